//! Latency of a browser's own calls sent straight to its VM versus through
//! the API gateway, on the fake with a 20 ms gateway hop
//! (`KernelMockBuilder::control_plane_delay`).
//!
//! Two clients against the same fake in the same run: one with
//! `BrowserRouting::Off` (every call through the gateway), one routing the
//! `computer` subresource direct (the default list includes it). Each makes
//! the same calls on the same browser: a computer action (`move_mouse`) and a
//! screenshot (read to the end). Reported twice: criterion's medians, and the
//! median of interleaved A/B rounds (which cancels drift on a busy machine),
//! as the ratio routed / direct.
//!
//! Goal: direct at least 2x faster.
//!
//! `cargo bench -p kernel --bench direct_routing` (add `-- --quick` for a
//! short run). `cargo test --benches` runs each once, as a smoke test.

use std::time::{Duration, Instant};

use criterion::Criterion;
use kernel::routing::BrowserRouting;
use kernel::Kernel;
use kernel_mock::KernelMock;

/// The gateway hop the fake adds, like the one to Kernel's control plane.
const GATEWAY_DELAY: Duration = Duration::from_millis(20);

fn client(mock: &KernelMock, routing: BrowserRouting) -> Kernel {
    Kernel::builder()
        .api_key(mock.api_key())
        .base_url(mock.base_url())
        .browser_routing(routing)
        .build()
        .expect("client")
}

async fn action(kernel: &Kernel, id: &str) {
    kernel
        .browsers()
        .computer(id)
        .move_mouse()
        .x(10)
        .y(20)
        .send()
        .await
        .expect("move_mouse");
}

async fn screenshot(kernel: &Kernel, id: &str) {
    let png = kernel
        .browsers()
        .computer(id)
        .screenshot()
        .send()
        .await
        .expect("screenshot")
        .bytes()
        .await
        .expect("screenshot body");
    assert!(png.starts_with(b"\x89PNG"));
}

/// Median over `rounds` of (routed time / direct time) for one call each.
fn interleaved<F, Fut>(
    rt: &tokio::runtime::Runtime,
    rounds: usize,
    mut call: F,
) -> (f64, Duration, Duration)
where
    F: FnMut(bool) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let mut ratios = Vec::with_capacity(rounds);
    let (mut routed_total, mut direct_total) = (Duration::ZERO, Duration::ZERO);
    for _ in 0..rounds {
        let started = Instant::now();
        rt.block_on(call(false));
        let routed = started.elapsed();
        let started = Instant::now();
        rt.block_on(call(true));
        let direct = started.elapsed();
        routed_total += routed;
        direct_total += direct;
        ratios.push(routed.as_secs_f64() / direct.as_secs_f64());
    }
    ratios.sort_by(f64::total_cmp);
    let n = rounds as u32;
    (ratios[ratios.len() / 2], routed_total / n, direct_total / n)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let benching = args.iter().any(|a| a == "--bench");
    let quick = args.iter().any(|a| a == "--quick");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let mock = rt.block_on(async {
        KernelMock::builder()
            .control_plane_delay(GATEWAY_DELAY)
            .start()
            .await
            .expect("fake")
    });
    let routed = client(&mock, BrowserRouting::Off);
    let direct = client(&mock, BrowserRouting::subresources(["computer"]));
    // Created through the routing client, so its route is cached.
    let id = rt.block_on(async {
        direct
            .browsers()
            .create()
            .send()
            .await
            .expect("browser")
            .session_id
    });
    // Both paths work, and the direct one skips the gateway.
    rt.block_on(async {
        action(&routed, &id).await;
        action(&direct, &id).await;
    });
    let paths: Vec<String> = mock.requests().iter().map(|r| r.path.clone()).collect();
    assert!(
        paths.iter().any(|p| p.starts_with("/vm/")),
        "no direct request: {paths:?}"
    );

    let mut criterion = Criterion::default()
        .sample_size(if quick { 10 } else { 30 })
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(if quick { 2 } else { 5 }))
        .configure_from_args();
    for (name, direct_call) in [("computer_action", false), ("screenshot", true)] {
        let mut group = criterion.benchmark_group(name);
        for (label, kernel) in [("routed", &routed), ("direct", &direct)] {
            group.bench_function(label, |b| {
                b.to_async(&rt).iter(|| async {
                    if direct_call {
                        screenshot(kernel, &id).await
                    } else {
                        action(kernel, &id).await
                    }
                })
            });
        }
        group.finish();
    }
    criterion.final_summary();
    if !benching {
        return;
    }

    println!();
    println!(
        "routed / direct latency, same fake ({} ms gateway hop), same run (goal: >= 2)",
        GATEWAY_DELAY.as_millis()
    );
    let rounds = if quick { 21 } else { 101 };
    let (ratio, r, d) = interleaved(&rt, rounds, |go_direct| {
        let kernel = if go_direct { &direct } else { &routed };
        let id = id.clone();
        async move { action(kernel, &id).await }
    });
    println!(
        "  computer action: routed {:>7.2} ms, direct {:>7.2} ms, median ratio {ratio:.1} ({rounds} rounds)",
        r.as_secs_f64() * 1e3,
        d.as_secs_f64() * 1e3
    );
    let (ratio, r, d) = interleaved(&rt, rounds, |go_direct| {
        let kernel = if go_direct { &direct } else { &routed };
        let id = id.clone();
        async move { screenshot(kernel, &id).await }
    });
    println!(
        "  screenshot:      routed {:>7.2} ms, direct {:>7.2} ms, median ratio {ratio:.1} ({rounds} rounds)",
        r.as_secs_f64() * 1e3,
        d.as_secs_f64() * 1e3
    );
}
