//! Per-request overhead of `kernel` against raw `reqwest`.
//!
//! Both clients do the same thing against the same local axum server in the
//! same run: `GET /browsers/{id}` and decode the JSON body into
//! `kernel_sys::types::Browser`. `kernel` adds its transport (headers,
//! timeout, retry bookkeeping, tracing span, error capture); raw `reqwest`
//! sends the same request (same headers) and decodes.
//!
//! Measured at concurrency 1 (one request per iteration) and 64 (64
//! concurrent requests per iteration, `join_all`, multi-thread runtime).
//! Absolute times depend on the machine; the report that matters is the
//! ratio kernel / reqwest, printed at the end twice:
//! - from criterion's medians;
//! - from an interleaved A/B loop (batches of each client alternate, the
//!   median of the per-round ratios), which cancels drift on a busy machine.
//!
//! Goal: median ratio <= 1.05.
//!
//! `cargo bench -p kernel --bench overhead` (add `-- --quick` for a short run).

use criterion::{Criterion, Throughput};
use futures::future::join_all;
use kernel::types::Browser;
use kernel::Kernel;
use progenitor_client::ClientInfo;
use std::time::{Duration, Instant};

const API_KEY: &str = "sk_bench_key";
const USER_AGENT: &str = concat!("kernel-rs/", env!("CARGO_PKG_VERSION"));

fn browser_body() -> String {
    serde_json::json!({
        "session_id": "bench_browser",
        "cdp_ws_url": "wss://proxy.example.com/cdp/bench_browser?jwt=eyJhbGciOiJIUzI1NiJ9.payload.signature",
        "webdriver_ws_url": "wss://proxy.example.com/webdriver/bench_browser",
        "browser_live_view_url": "https://live.example.com/bench_browser",
        "base_url": "https://proxy.example.com",
        "created_at": "2025-01-01T00:00:00Z",
        "headless": false,
        "stealth": true,
        "timeout_seconds": 300,
        "viewport": {"width": 1920, "height": 1080, "refresh_rate": 25},
        "kiosk_mode": false,
        "gpu": false,
    })
    .to_string()
}

/// Starts the server on its own runtime thread; returns the base URL.
fn start_server() -> String {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let body = bytes::Bytes::from(browser_body());
            let router = axum::Router::new().route(
                "/browsers/{id}",
                axum::routing::get(move || {
                    let body = body.clone();
                    async move { ([("content-type", "application/json")], body) }
                }),
            );
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(format!("http://{}", listener.local_addr().unwrap()))
                .unwrap();
            axum::serve(listener, router).await.unwrap();
        });
    });
    rx.recv().unwrap()
}

async fn raw_get(http: &reqwest::Client, url: &str) -> Browser {
    let response = http
        .get(url)
        .header(reqwest::header::AUTHORIZATION, format!("Bearer {API_KEY}"))
        .header(reqwest::header::ACCEPT, "application/json")
        // The same request `kernel` sends: its generated code adds the API
        // version, its transport the user agent.
        .header("api-version", kernel::sys::Client::api_version())
        .header(reqwest::header::USER_AGENT, USER_AGENT)
        .timeout(Duration::from_secs(60))
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success());
    response.json::<Browser>().await.unwrap()
}

async fn kernel_get(kernel: &Kernel) -> Browser {
    kernel.browsers().get("bench_browser").send().await.unwrap()
}

async fn raw_batch(http: &reqwest::Client, url: &str, concurrency: usize) {
    if concurrency == 1 {
        std::hint::black_box(raw_get(http, url).await);
    } else {
        std::hint::black_box(join_all((0..concurrency).map(|_| raw_get(http, url))).await);
    }
}

async fn kernel_batch(kernel: &Kernel, concurrency: usize) {
    if concurrency == 1 {
        std::hint::black_box(kernel_get(kernel).await);
    } else {
        std::hint::black_box(join_all((0..concurrency).map(|_| kernel_get(kernel))).await);
    }
}

/// Interleaved A/B: `rounds` rounds of `batches` batches per client, the
/// order alternating each round. Returns the median of the per-round ratios
/// and the median per-request times.
fn interleaved(
    rt: &tokio::runtime::Runtime,
    http: &reqwest::Client,
    url: &str,
    kernel: &Kernel,
    concurrency: usize,
    rounds: usize,
    batches: usize,
) -> (f64, Duration, Duration) {
    let mut ratios = Vec::new();
    let mut raw_times = Vec::new();
    let mut kernel_times = Vec::new();
    for round in 0..rounds {
        let time_raw = || {
            let started = Instant::now();
            rt.block_on(async {
                for _ in 0..batches {
                    raw_batch(http, url, concurrency).await;
                }
            });
            started.elapsed()
        };
        let time_kernel = || {
            let started = Instant::now();
            rt.block_on(async {
                for _ in 0..batches {
                    kernel_batch(kernel, concurrency).await;
                }
            });
            started.elapsed()
        };
        let (raw, kern) = if round % 2 == 0 {
            let raw = time_raw();
            (raw, time_kernel())
        } else {
            let kern = time_kernel();
            (time_raw(), kern)
        };
        ratios.push(kern.as_secs_f64() / raw.as_secs_f64());
        let per_request = (batches * concurrency) as u32;
        raw_times.push(raw / per_request);
        kernel_times.push(kern / per_request);
    }
    ratios.sort_by(f64::total_cmp);
    raw_times.sort();
    kernel_times.sort();
    (
        ratios[rounds / 2],
        raw_times[rounds / 2],
        kernel_times[rounds / 2],
    )
}

/// Criterion's median estimate (ns per iteration) for a benchmark.
fn criterion_median(group: &str, function: &str) -> Option<f64> {
    // Criterion writes to `$CRITERION_HOME`, else `<cargo target dir>/criterion`
    // under cargo, else `./target/criterion`.
    let exe = std::env::current_exe().ok()?;
    // <target>/<profile>/deps/overhead-<hash>
    let target = exe.parent()?.parent()?.parent()?.to_path_buf();
    let candidates = [
        std::env::var_os("CRITERION_HOME").map(std::path::PathBuf::from),
        Some(target.join("criterion")),
        Some(std::path::PathBuf::from("target/criterion")),
    ];
    candidates.into_iter().flatten().find_map(|dir| {
        let path = dir
            .join(group)
            .join(function)
            .join("new")
            .join("estimates.json");
        let json: serde_json::Value = serde_json::from_slice(&std::fs::read(path).ok()?).ok()?;
        json["median"]["point_estimate"].as_f64()
    })
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    // `cargo bench` passes `--bench`; `cargo test --benches` does not: then
    // every benchmark runs once, as a smoke test.
    let benching = args.iter().any(|a| a == "--bench");
    let quick = args.iter().any(|a| a == "--quick");

    let base = start_server();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let kernel = Kernel::builder()
        .api_key(API_KEY)
        .base_url(&base)
        .build()
        .unwrap();
    let http = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let url = format!("{base}/browsers/bench_browser");

    // Both clients decode the same thing.
    let (a, b) = rt.block_on(async { (raw_get(&http, &url).await, kernel_get(&kernel).await) });
    assert_eq!(a, b);
    // Warm both connection pools to 64 connections.
    rt.block_on(async {
        raw_batch(&http, &url, 64).await;
        kernel_batch(&kernel, 64).await;
    });

    // Profiling aid: `OVERHEAD_PROFILE=kernel|reqwest` runs only that client
    // (batches of `OVERHEAD_CONCURRENCY` GETs, default 1, for
    // `OVERHEAD_SECS`, default 10 s), e.g. under `perf record -g` or
    // callgrind, and exits.
    if let Ok(which) = std::env::var("OVERHEAD_PROFILE") {
        let number = |name: &str, default: u64| {
            std::env::var(name)
                .ok()
                .and_then(|s| s.parse().ok())
                .unwrap_or(default)
        };
        let secs = number("OVERHEAD_SECS", 10);
        let concurrency = number("OVERHEAD_CONCURRENCY", 1) as usize;
        let deadline = Instant::now() + Duration::from_secs(secs);
        let mut n = 0u64;
        rt.block_on(async {
            while Instant::now() < deadline {
                for _ in 0..100 {
                    match which.as_str() {
                        "kernel" => kernel_batch(&kernel, concurrency).await,
                        _ => raw_batch(&http, &url, concurrency).await,
                    }
                }
                n += 100 * concurrency as u64;
            }
        });
        println!(
            "{which}: {n} requests, {:.1} µs/request",
            secs as f64 * 1e6 / n as f64
        );
        return;
    }

    let mut criterion = Criterion::default()
        .sample_size(if quick { 10 } else { 40 })
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(if quick { 2 } else { 5 }))
        .configure_from_args();
    for concurrency in [1usize, 64] {
        let group_name = format!("get_browser_c{concurrency}");
        let mut group = criterion.benchmark_group(&group_name);
        group.throughput(Throughput::Elements(concurrency as u64));
        group.bench_function("reqwest", |b| {
            b.to_async(&rt).iter(|| raw_batch(&http, &url, concurrency))
        });
        group.bench_function("kernel", |b| {
            b.to_async(&rt).iter(|| kernel_batch(&kernel, concurrency))
        });
        group.finish();
    }
    criterion.final_summary();

    if !benching {
        return;
    }
    println!();
    println!("kernel / reqwest, same server, same run (goal: median ratio <= 1.05)");
    for concurrency in [1usize, 64] {
        let group_name = format!("get_browser_c{concurrency}");
        match (criterion_median(&group_name, "reqwest"), criterion_median(&group_name, "kernel")) {
            (Some(raw), Some(kern)) => println!(
                "  criterion   concurrency {concurrency:>2}: reqwest {:>9.1} µs/iter, kernel {:>9.1} µs/iter, ratio {:.3}",
                raw / 1e3,
                kern / 1e3,
                kern / raw
            ),
            _ => println!("  criterion   concurrency {concurrency:>2}: estimates not found"),
        }
        // Many short rounds: each A/B pair runs under the same conditions, so
        // the median ratio resists other load on the machine.
        let (rounds, batches) = match (concurrency, quick) {
            (1, true) => (51, 50),
            (1, false) => (301, 50),
            (_, true) => (21, 2),
            (_, false) => (151, 2),
        };
        let (ratio, raw, kern) =
            interleaved(&rt, &http, &url, &kernel, concurrency, rounds, batches);
        println!(
            "  interleaved concurrency {concurrency:>2}: reqwest {:>9.1} µs/request, kernel {:>9.1} µs/request, median ratio {ratio:.3} ({rounds} rounds)",
            raw.as_secs_f64() * 1e6,
            kern.as_secs_f64() * 1e6,
        );
    }
}
