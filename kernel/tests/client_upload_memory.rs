//! An upload of a large file is streamed: the client's peak memory does not
//! grow with the file size. Alone in its binary so no other test moves the
//! process's peak RSS.

mod common;

use axum::body::Body;
use axum::http::{HeaderMap, StatusCode};
use common::{client, serve};
use kernel::Upload;
use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

const FILE_MIB: u64 = 96;

fn vm_hwm_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_upload_is_streamed_not_buffered() {
    // The server counts and checksums the file part without keeping it.
    let received = Arc::new(AtomicU64::new(0));
    let checksum = Arc::new(AtomicU64::new(0));
    let (r, c) = (received.clone(), checksum.clone());
    let router = axum::Router::new()
        .route(
            "/browsers/{id}/fs/upload",
            axum::routing::post(move |headers: HeaderMap, body: Body| {
                let (r, c) = (r.clone(), c.clone());
                async move {
                    let boundary =
                        multer::parse_boundary(headers["content-type"].to_str().unwrap()).unwrap();
                    let mut multipart = multer::Multipart::new(body.into_data_stream(), boundary);
                    while let Some(mut field) = multipart.next_field().await.unwrap() {
                        if field.name() != Some("files[0][file]") {
                            continue;
                        }
                        let mut sum = 0u64;
                        while let Some(chunk) = field.chunk().await.unwrap() {
                            r.fetch_add(chunk.len() as u64, Ordering::SeqCst);
                            sum = chunk
                                .iter()
                                .fold(sum, |s, &b| s.wrapping_mul(31).wrapping_add(b as u64));
                        }
                        c.store(sum, Ordering::SeqCst);
                    }
                    StatusCode::OK
                }
            }),
        )
        .layer(axum::extract::DefaultBodyLimit::disable());
    let base = serve(router).await;

    // Written in 1 MiB pieces, so making the file does not raise the peak.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.bin");
    let mut file = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    let piece: Vec<u8> = (0..1 << 20).map(|i: u32| (i % 251) as u8).collect();
    let mut expected = 0u64;
    for _ in 0..FILE_MIB {
        file.write_all(&piece).unwrap();
        expected = piece
            .iter()
            .fold(expected, |s, &b| s.wrapping_mul(31).wrapping_add(b as u64));
    }
    file.flush().unwrap();
    drop(file);

    let kernel = client(&base);
    // Warm up the connection and allocator with a small upload.
    kernel
        .browsers()
        .fs("b1")
        .upload()
        .file("/w", Upload::bytes(vec![1u8; 1 << 16]))
        .send()
        .await
        .unwrap();
    received.store(0, Ordering::SeqCst);
    let can_reset = std::fs::write("/proc/self/clear_refs", "5").is_ok();
    let before = vm_hwm_kib();
    kernel
        .browsers()
        .fs("b1")
        .upload()
        .file("/tmp/big.bin", Upload::path(&path).await.unwrap())
        .send()
        .await
        .unwrap();
    let after = vm_hwm_kib();

    assert_eq!(
        received.load(Ordering::SeqCst),
        FILE_MIB << 20,
        "bytes received"
    );
    assert_eq!(
        checksum.load(Ordering::SeqCst),
        expected,
        "content checksum"
    );
    let growth_mib = (after.saturating_sub(before)) as f64 / 1024.0;
    eprintln!("peak RSS {before} KiB -> {after} KiB (+{growth_mib:.1} MiB) for a {FILE_MIB} MiB upload, reset={can_reset}");
    assert!(
        growth_mib < 32.0,
        "peak memory grew by {growth_mib:.1} MiB for a {FILE_MIB} MiB upload: it is buffered"
    );
}
