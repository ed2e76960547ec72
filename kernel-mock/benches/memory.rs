//! The fake's memory with many browsers and files: resident set size of
//! this process (the fake runs in it) before and after creating 1,000
//! browsers and writing 10,000 files of 1 KiB (10 per browser) through the
//! HTTP API, and after deleting the browsers.
//!
//! `cargo bench -p kernel-mock --bench memory` (`-- --quick`: 100 browsers).
//! `cargo test --benches` runs the quick size as a smoke test.

use std::time::Instant;

use kernel_mock::KernelMock;
use serde_json::Value;

/// This process's resident set size in KiB (Linux), if readable.
fn rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

fn mib(kib: Option<u64>) -> String {
    kib.map(|k| format!("{:.1} MiB", k as f64 / 1024.0))
        .unwrap_or_else(|| "n/a".to_owned())
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let full = args.iter().any(|a| a == "--bench") && !args.iter().any(|a| a == "--quick");
    let browsers = if full { 1_000 } else { 100 };
    let files_per_browser = 10;
    let file = vec![b'x'; 1024];

    let mock = KernelMock::start().await.expect("fake");
    let http = reqwest::Client::new();
    let key = mock.api_key();
    let base = mock.base_url();
    let before = rss_kib();
    let started = Instant::now();
    let mut ids = Vec::with_capacity(browsers);
    for _ in 0..browsers {
        let browser: Value = http
            .post(format!("{base}/browsers"))
            .bearer_auth(&key)
            .json(&serde_json::json!({}))
            .send()
            .await
            .expect("create")
            .json()
            .await
            .expect("browser");
        let id = browser["session_id"]
            .as_str()
            .expect("session_id")
            .to_owned();
        for n in 0..files_per_browser {
            let status = http
                .put(format!("{base}/browsers/{id}/fs/write_file"))
                .query(&[("path", format!("/tmp/file-{n}.txt"))])
                .bearer_auth(&key)
                .header("content-type", "application/octet-stream")
                .body(file.clone())
                .send()
                .await
                .expect("write")
                .status();
            assert_eq!(status, 201, "write_file");
        }
        ids.push(id);
    }
    let filled = rss_kib();
    let elapsed = started.elapsed();
    for id in &ids {
        http.delete(format!("{base}/browsers/{id}"))
            .bearer_auth(&key)
            .send()
            .await
            .expect("delete");
    }
    let deleted = rss_kib();
    let files = browsers * files_per_browser;
    println!(
        "{browsers} browsers, {files} files of 1 KiB: RSS {} before, {} filled ({} more, {:.1} KiB per browser with its files), {} after deleting; filled in {elapsed:.1?}",
        mib(before),
        mib(filled),
        mib(filled.zip(before).map(|(f, b)| f.saturating_sub(b))),
        filled
            .zip(before)
            .map(|(f, b)| f.saturating_sub(b) as f64 / browsers as f64)
            .unwrap_or(f64::NAN),
        mib(deleted),
    );
}
