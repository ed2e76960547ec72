//! No Chromium outlives its browser or its test: browsers and a pool
//! deleted, a test that panics, a test process killed with `SIGKILL`; and
//! the startup time and memory of browsers, measured. Each scenario runs in
//! a child process (this test binary again, one test) whose processes carry
//! a tag in their environment, so its Chromium processes can be told apart.

use std::io::{BufRead, BufReader};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::json;

use crate::chromium::cdp::Cdp;
use crate::chromium::procs;
use crate::chromium::{chromium_mock, create, first_page};
use crate::common::Api;

/// A multi-threaded runtime for the scenarios child processes run.
fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime")
}

/// Prints a line for the parent process to read.
fn tell(line: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

/// Runs this test's scenario `role` in a child process; its output.
fn run_child(test: &str, role: &str, tag: &str) -> std::process::Output {
    let output = procs::child(test, role, tag)
        .output()
        .expect("run the child");
    for line in told(&String::from_utf8_lossy(&output.stdout)) {
        println!("{line}");
    }
    output
}

/// The lines a child [`tell`]s (libtest may start them with its own
/// `test … ` output).
fn told(stdout: &str) -> Vec<&str> {
    stdout
        .lines()
        .filter_map(|l| l.find("CHILD ").map(|at| &l[at..]))
        .collect()
}

/// The number after `key=` in a child's output.
fn reported(output: &std::process::Output, key: &str) -> Option<u64> {
    told(&String::from_utf8_lossy(&output.stdout))
        .into_iter()
        .find_map(|l| {
            let value = l.strip_prefix(&format!("CHILD {key}="))?;
            value.split_whitespace().next()?.parse().ok()
        })
}

/// A child's whole output, for a failure message.
fn transcript(output: &std::process::Output) -> String {
    format!(
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[test]
fn ten_browsers_and_a_pool_leave_no_chromium_behind() {
    let tag = procs::TAG;
    if procs::role().as_deref() == Some("ten") {
        let tag = std::env::var(tag).unwrap();
        runtime().block_on(async {
            let mock = chromium_mock().await;
            let api = Api::new(&mock);
            for _ in 0..10 {
                let browser = create(&api, json!({})).await;
                assert!(
                    !procs::tagged(&tag).is_empty(),
                    "the browser's Chromium runs"
                );
                let id = browser["session_id"].as_str().unwrap();
                assert_eq!(
                    api.delete(&format!("/browsers/{id}")).await.status,
                    StatusCode::NO_CONTENT
                );
            }
            let left = procs::wait_gone(&tag, Duration::from_secs(10));
            assert!(left.is_empty(), "left after deleting: {left:?}");
            // A pool's browsers, acquired (so running) and the pool deleted.
            let pool = api
                .post("/browser_pools", json!({ "name": "warm", "size": 2 }))
                .await;
            assert!(pool.status.is_success(), "{}", pool.body);
            let leased = api.post("/browser_pools/warm/acquire", json!({})).await;
            assert_eq!(leased.status, StatusCode::OK, "{}", leased.body);
            let mut cdp = Cdp::connect(leased.body["cdp_ws_url"].as_str().unwrap()).await;
            cdp.call("Browser.getVersion", json!({}), None).await;
            let reply = api
                .send(
                    reqwest::Method::DELETE,
                    "/browser_pools/warm",
                    Some(json!({ "force": true })),
                )
                .await;
            assert_eq!(reply.status, StatusCode::NO_CONTENT, "{}", reply.body);
            let left = procs::wait_gone(&tag, Duration::from_secs(10));
            assert!(left.is_empty(), "left after deleting the pool: {left:?}");
            mock.shutdown().await;
            let roots = procs::temp_roots(std::process::id());
            assert!(roots.is_empty(), "temp roots left: {roots:?}");
            tell("CHILD ok=1");
        });
        return;
    }
    let tag = procs::unique_tag("ten");
    let output = run_child(
        "chromium::leaks::ten_browsers_and_a_pool_leave_no_chromium_behind",
        "ten",
        &tag,
    );
    assert!(output.status.success(), "{}", transcript(&output));
    assert_eq!(reported(&output, "ok"), Some(1));
    assert!(procs::wait_gone(&tag, Duration::from_secs(10)).is_empty());
}

#[test]
fn a_panicking_test_leaves_no_chromium_behind() {
    if procs::role().as_deref() == Some("panic") {
        let tag = std::env::var(procs::TAG).unwrap();
        let scenario = std::panic::catch_unwind(|| {
            runtime().block_on(async {
                let mock = chromium_mock().await;
                let api = Api::new(&mock);
                create(&api, json!({})).await;
                create(&api, json!({})).await;
                tell(&format!("CHILD running={}", procs::tagged(&tag).len()));
                panic!("the test fails with its mock alive");
            })
        });
        // Unwinding dropped the mock: its Chromium is gone while this
        // process still runs.
        let left = procs::wait_gone(&tag, Duration::from_secs(10));
        tell(&format!("CHILD left={}", left.len()));
        if let Err(panic) = scenario {
            std::panic::resume_unwind(panic);
        }
        return;
    }
    let tag = procs::unique_tag("panic");
    let output = run_child(
        "chromium::leaks::a_panicking_test_leaves_no_chromium_behind",
        "panic",
        &tag,
    );
    assert!(!output.status.success(), "the child test panics");
    assert!(
        reported(&output, "running").unwrap_or(0) > 0,
        "{}",
        transcript(&output)
    );
    assert_eq!(reported(&output, "left"), Some(0));
    assert!(procs::wait_gone(&tag, Duration::from_secs(10)).is_empty());
}

#[test]
fn a_killed_test_process_leaves_no_chromium_behind() {
    if procs::role().as_deref() == Some("killed") {
        runtime().block_on(async {
            let mock = chromium_mock().await;
            let api = Api::new(&mock);
            create(&api, json!({})).await;
            create(&api, json!({})).await;
            tell("CHILD ready=1");
            tokio::time::sleep(Duration::from_secs(120)).await;
        });
        return;
    }
    let tag = procs::unique_tag("killed");
    let mut child = procs::child(
        "chromium::leaks::a_killed_test_process_leaves_no_chromium_behind",
        "killed",
        &tag,
    )
    .stdout(std::process::Stdio::piped())
    .spawn()
    .expect("spawn the child");
    let stdout = child.stdout.take().unwrap();
    let ready = std::thread::spawn(move || {
        BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .any(|line| line.ends_with("CHILD ready=1"))
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    while !ready.is_finished() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let running = procs::tagged(&tag);
    child.kill().expect("SIGKILL the child");
    let _ = child.wait();
    assert!(ready.join().unwrap(), "the child started its browsers");
    assert!(!running.is_empty(), "the child's Chromium ran");
    let left = procs::wait_gone(&tag, Duration::from_secs(10));
    assert!(left.is_empty(), "left after SIGKILL: {left:?}");
}

/// Five Chromium-backed browsers at once each answer CDP. The child also
/// prints, for the record, the time from `postBrowsers` to an answered
/// `Runtime.evaluate` and the memory of the Chromium processes; nothing
/// asserts on those figures.
#[test]
fn five_browsers_at_once_are_each_usable() {
    if procs::role().as_deref() == Some("measure") {
        runtime().block_on(async {
            let mock = chromium_mock().await;
            let api = Api::new(&mock);
            let mut kept = Vec::new();
            for n in 1..=5 {
                let started = Instant::now();
                let browser = create(&api, json!({})).await;
                let created = started.elapsed();
                let mut cdp = Cdp::connect(browser["cdp_ws_url"].as_str().unwrap()).await;
                let session = first_page(&mut cdp).await;
                assert_eq!(cdp.eval(&session, "1 + 1").await, 2);
                let usable = started.elapsed();
                tell(&format!(
                    "CHILD startup_ms_{n}={} (created {} ms)",
                    usable.as_millis(),
                    created.as_millis()
                ));
                kept.push(cdp);
                if n == 1 || n == 5 {
                    tokio::time::sleep(Duration::from_secs(2)).await;
                    let tree = procs::chromium_tree();
                    let (pss, rss) = procs::memory_kib(&tree);
                    tell(&format!(
                        "CHILD memory_{n}: {} processes, PSS {} MiB ({} MiB per browser), RSS {} MiB",
                        tree.len(),
                        pss / 1024,
                        pss / 1024 / n,
                        rss / 1024
                    ));
                }
            }
            mock.shutdown().await;
            tell("CHILD ok=1");
        });
        return;
    }
    let output = run_child(
        "chromium::leaks::five_browsers_at_once_are_each_usable",
        "measure",
        &procs::unique_tag("measure"),
    );
    assert!(output.status.success(), "{}", transcript(&output));
    assert_eq!(reported(&output, "ok"), Some(1));
    assert!(reported(&output, "startup_ms_1").is_some());
}
