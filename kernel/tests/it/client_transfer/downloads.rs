//! Downloads: streamed bodies, the atomic `save_to`, no file left by a
//! failed or cut download, no JSON timeout, and retries for GET.

use crate::common::{client, pattern, raw_server, serve, API_KEY};
use axum::body::Body;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use futures::StreamExt;
use kernel::{Download, Error, Kernel};
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn read_file_server(content: Vec<u8>) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/browsers/b1/fs/read_file"))
        .and(query_param("path", "/home/kernel/data.bin"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("content-type", "application/octet-stream")
                .set_body_bytes(content),
        )
        .mount(&server)
        .await;
    server
}

async fn read_file(kernel: &Kernel) -> Result<Download, Error> {
    kernel
        .browsers()
        .fs("b1")
        .read_file()
        .path("/home/kernel/data.bin")
        .send()
        .await
}

#[tokio::test]
async fn read_file_save_to_writes_the_exact_bytes() {
    let content = pattern(3 << 20);
    let server = read_file_server(content.clone()).await;
    let kernel = client(&server.uri());
    let download = read_file(&kernel).await.unwrap();
    assert_eq!(download.content_length, Some(content.len() as u64));
    assert_eq!(
        download.content_type.as_deref(),
        Some("application/octet-stream")
    );
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("data.bin");
    let written = download.save_to(&target).await.unwrap();
    assert_eq!(written, content.len() as u64);
    assert!(
        std::fs::read(&target).unwrap() == content,
        "saved bytes differ"
    );
    // Only the file itself: the temporary file was renamed.
    let entries: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(entries, vec![std::ffi::OsString::from("data.bin")]);
}

#[tokio::test]
async fn save_to_replaces_an_existing_file() {
    let content = pattern(1000);
    let server = read_file_server(content.clone()).await;
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("data.bin");
    std::fs::write(
        &target,
        b"old old old old old old old old old old old old old",
    )
    .unwrap();
    read_file(&client(&server.uri()))
        .await
        .unwrap()
        .save_to(&target)
        .await
        .unwrap();
    assert_eq!(std::fs::read(&target).unwrap(), content);
}

#[tokio::test]
async fn bytes_and_into_stream_return_the_body() {
    let content = pattern(200_000);
    let server = read_file_server(content.clone()).await;
    let kernel = client(&server.uri());
    assert_eq!(
        read_file(&kernel).await.unwrap().bytes().await.unwrap(),
        content
    );
    let mut stream = std::pin::pin!(read_file(&kernel).await.unwrap().into_stream());
    let mut collected = Vec::new();
    while let Some(chunk) = stream.next().await {
        collected.extend_from_slice(&chunk.unwrap());
    }
    assert_eq!(collected, content);
}

fn assert_dir_empty(dir: &std::path::Path) {
    let entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(entries.is_empty(), "left behind: {entries:?}");
}

#[tokio::test]
async fn a_download_cut_short_leaves_no_file() {
    let mut response = b"HTTP/1.1 200 OK\r\ncontent-type: application/octet-stream\r\ncontent-length: 100000\r\n\r\n".to_vec();
    response.extend(pattern(1000));
    let (base, _) = raw_server(response).await;
    let kernel = client(&base);
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("out.bin");
    let err = read_file(&kernel)
        .await
        .unwrap()
        .save_to(&target)
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Connection(_) | Error::Protocol(_)),
        "{err:?}"
    );
    assert!(!target.exists(), "a partial file was left at the path");
    assert_dir_empty(dir.path());
}

#[tokio::test]
async fn a_truncated_chunked_download_leaves_no_file() {
    let mut response = b"HTTP/1.1 200 OK\r\ncontent-type: application/octet-stream\r\ntransfer-encoding: chunked\r\n\r\n400\r\n".to_vec();
    response.extend(pattern(0x400));
    response.extend(b"\r\n400\r\n");
    response.extend(pattern(10));
    let (base, _) = raw_server(response).await;
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("out.bin");
    let err = read_file(&client(&base))
        .await
        .unwrap()
        .save_to(&target)
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Connection(_) | Error::Protocol(_)),
        "{err:?}"
    );
    assert!(!target.exists());
    assert_dir_empty(dir.path());
}

#[tokio::test]
async fn a_failed_download_keeps_the_previous_file() {
    let mut response = b"HTTP/1.1 200 OK\r\ncontent-length: 5000\r\n\r\n".to_vec();
    response.extend(pattern(100));
    let (base, _) = raw_server(response).await;
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("keep.bin");
    std::fs::write(&target, b"previous").unwrap();
    read_file(&client(&base))
        .await
        .unwrap()
        .save_to(&target)
        .await
        .unwrap_err();
    assert_eq!(std::fs::read(&target).unwrap(), b"previous");
    let entries: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(entries, vec![std::ffi::OsString::from("keep.bin")]);
}

#[tokio::test]
async fn a_download_is_not_cut_off_by_the_json_timeout() {
    // Downloads have no total timeout (only a read-idle one): a body that
    // takes longer than `timeout` to arrive, with data flowing, completes.
    let router = axum::Router::new().route(
        "/browsers/{id}/fs/read_file",
        axum::routing::get(|| async {
            let chunks = futures::stream::iter(0..8u8).then(|i| async move {
                tokio::time::sleep(Duration::from_millis(100)).await;
                Ok::<_, std::io::Error>(bytes::Bytes::from(vec![i; 1000]))
            });
            Body::from_stream(chunks)
        }),
    );
    let base = serve(router).await;
    let kernel = Kernel::builder()
        .api_key(API_KEY)
        .base_url(base)
        .timeout(Duration::from_millis(300))
        .max_retries(0)
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("slow.bin");
    let download = read_file(&kernel).await.expect("headers arrive at once");
    let written = download
        .save_to(&target)
        .await
        .expect("a slow download must not hit the JSON request timeout");
    assert_eq!(written, 8000);
}

#[tokio::test]
async fn a_failed_download_request_is_an_api_error() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(404)
                .set_body_json(serde_json::json!({"code":"not_found","message":"no such file"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let err = read_file(&client(&server.uri())).await.unwrap_err();
    assert!(err.is_not_found());
    assert_eq!(err.api().unwrap().message, "no such file");
}

#[tokio::test]
async fn a_download_server_error_is_retried_for_get() {
    let count = Arc::new(AtomicUsize::new(0));
    let counter = count.clone();
    let router = axum::Router::new().route(
        "/browsers/{id}/fs/read_file",
        axum::routing::get(
            move |Path(_id): Path<String>, Query(_q): Query<HashMap<String, String>>| {
                let counter = counter.clone();
                async move {
                    if counter.fetch_add(1, Ordering::SeqCst) == 0 {
                        (StatusCode::BAD_GATEWAY, Vec::new())
                    } else {
                        (StatusCode::OK, b"ok".to_vec())
                    }
                }
            },
        ),
    );
    let base = serve(router).await;
    let body = read_file(&client(&base))
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(&body[..], b"ok");
    assert_eq!(count.load(Ordering::SeqCst), 2);
}
