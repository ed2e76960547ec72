//! Streams that reconnect too eagerly, a silent stream server, a cancelled
//! save and a legacy flow against a failing server.

use crate::common;
use axum::body::Body;
use axum::response::Response;
use axum::routing::get;
use futures::StreamExt;
use kernel::sse::StreamOptions;
use kernel::{Kernel, RetryPolicy};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn sse(body: &'static str) -> Response {
    Response::builder()
        .header("content-type", "text/event-stream")
        .body(Body::from(body))
        .unwrap()
}

fn streaming_client(base: &str, options: StreamOptions) -> Kernel {
    Kernel::builder()
        .api_key(common::API_KEY)
        .base_url(base)
        .max_retries(0)
        .stream_options(options)
        .build()
        .unwrap()
}

fn fast_stream_options() -> StreamOptions {
    StreamOptions {
        idle_timeout: Duration::from_millis(300),
        max_reconnects: 5,
        backoff: RetryPolicy {
            initial_backoff: Duration::from_millis(5),
            max_backoff: Duration::from_millis(20),
            ..RetryPolicy::default()
        },
        ..StreamOptions::default()
    }
}

/// `retry: 0`, an undecodable event, then a close: the engine runs out of
/// reconnects instead of looping forever.
#[tokio::test]
async fn retry_zero_and_junk_events_run_out_of_reconnects() {
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    let router = axum::Router::new().route(
        "/invocations/{id}/events",
        get(move || {
            counter.fetch_add(1, Ordering::SeqCst);
            async { sse("retry: 0\ndata: not json\n\n") }
        }),
    );
    let base = common::serve(router).await;
    let kernel = streaming_client(&base, fast_stream_options());
    let mut events = kernel.invocations().events("inv").send().await.unwrap();
    let started = Instant::now();
    let mut items = 0;
    while let Some(_item) = tokio::time::timeout(Duration::from_secs(10), events.next())
        .await
        .expect("the stream ends by itself")
    {
        items += 1;
    }
    let connections = hits.load(Ordering::SeqCst);
    assert!(
        connections <= 1 + 5,
        "bounded by max_reconnects: {connections} connections"
    );
    assert!(
        items >= 2,
        "the undecodable events and the final error were reported"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
}

/// `retry: 0`, an event of an unknown type (a real event: kept as raw
/// JSON), then a close, again and again: the stream goes on, but connections
/// that keep ending at once are backed off, not a hot loop.
#[tokio::test]
async fn retry_zero_and_instant_closes_are_backed_off() {
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    let router = axum::Router::new().route(
        "/invocations/{id}/events",
        get(move || {
            counter.fetch_add(1, Ordering::SeqCst);
            async { sse("retry: 0\ndata: {}\n\n") }
        }),
    );
    let base = common::serve(router).await;
    let mut options = fast_stream_options();
    options.backoff.initial_backoff = Duration::from_millis(100);
    options.backoff.max_backoff = Duration::from_millis(400);
    let kernel = streaming_client(&base, options);
    let mut events = kernel.invocations().events("inv").send().await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(2);
    while Instant::now() < deadline {
        match tokio::time::timeout_at(deadline.into(), events.next()).await {
            Ok(Some(Ok(kernel::types::InvocationEvent::Unknown(_)))) => {}
            Ok(other) => panic!("unexpected {other:?}"),
            Err(_) => break,
        }
    }
    let connections = hits.load(Ordering::SeqCst);
    // Unbounded, `retry: 0` would mean hundreds of connections in 2 s.
    assert!(connections < 20, "{connections} connections in 2 s");
    assert!(connections >= 3, "it did keep reconnecting: {connections}");
}

/// A huge `retry:` is clamped to `max_retry_after`, not slept for years.
#[tokio::test]
async fn a_huge_retry_is_clamped() {
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    let router = axum::Router::new().route(
        "/invocations/{id}/events",
        get(move || {
            let n = counter.fetch_add(1, Ordering::SeqCst);
            async move {
                if n == 0 {
                    sse("retry: 99999999999999\nevent: log\ndata: {\"event\":\"log\",\"timestamp\":\"2025-01-01T00:00:00Z\",\"message\":\"a\"}\n\n")
                } else {
                    sse("data: {\"event\":\"invocation_state\",\"timestamp\":\"2025-01-01T00:00:00Z\",\"invocation\":{\"id\":\"inv\",\"app_name\":\"a\",\"version\":\"1\",\"action_name\":\"x\",\"status\":\"succeeded\",\"started_at\":\"2025-01-01T00:00:00Z\"}}\n\n")
                }
            }
        }),
    );
    let base = common::serve(router).await;
    let mut options = fast_stream_options();
    options.backoff.max_retry_after = Duration::from_millis(200);
    let kernel = streaming_client(&base, options);
    let mut events = kernel.invocations().events("inv").send().await.unwrap();
    let first = events.next().await.expect("first").expect("a log event");
    drop(first);
    let second = tokio::time::timeout(Duration::from_secs(3), events.next())
        .await
        .expect("reconnected within the clamp, not after years");
    assert!(second.is_some());
    assert!(hits.load(Ordering::SeqCst) >= 2);
}

/// A server that accepts the connection but never answers: the stream
/// gives up after the idle timeout instead of hanging.
#[tokio::test]
async fn no_response_headers_is_a_timeout_not_a_hang() {
    let base = common::silent_server().await;
    let kernel = streaming_client(&base, fast_stream_options());
    let mut events = kernel.invocations().events("inv").send().await.unwrap();
    let item = tokio::time::timeout(Duration::from_secs(5), events.next())
        .await
        .expect("no hang");
    match item {
        Some(Err(e)) => assert!(e.is_timeout(), "{e:?}"),
        other => panic!("expected a timeout error, got {other:?}"),
    }
}

/// Dropping `save_to` half-way (a timeout around it) leaves no file.
#[tokio::test]
async fn a_cancelled_save_leaves_no_file() {
    let router = axum::Router::new().route(
        "/browsers/{id}/fs/read_file",
        get(|| async {
            let chunks = futures::stream::unfold(0u32, |n| async move {
                tokio::time::sleep(Duration::from_millis(50)).await;
                Some((
                    Ok::<_, std::io::Error>(bytes::Bytes::from(vec![b'x'; 1024])),
                    n + 1,
                ))
            });
            Response::builder()
                .header("content-type", "application/octet-stream")
                .body(Body::from_stream(chunks))
                .unwrap()
        }),
    );
    let base = common::serve(router).await;
    let kernel = common::client(&base);
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("file.bin");
    let download = kernel
        .browsers()
        .fs("b")
        .read_file()
        .path("/x")
        .send()
        .await
        .unwrap();
    let saved = tokio::time::timeout(Duration::from_millis(300), download.save_to(&target)).await;
    assert!(saved.is_err(), "the save was cancelled by the timeout");
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert!(left.is_empty(), "no file and no temporary file: {left:?}");
}

/// A legacy flow whose server keeps failing still ends, as expired.
#[tokio::test]
async fn a_legacy_flow_ends_while_the_server_keeps_failing() {
    let router = axum::Router::new().route(
        "/agents/auth/invocations/{id}",
        get(|| async {
            Response::builder()
                .status(503)
                .header("content-type", "application/json")
                .body(Body::from(r#"{"code":"unavailable","message":"down"}"#))
                .unwrap()
        }),
    );
    let base = common::serve(router).await;
    let kernel = common::client(&base);
    let options = kernel::auth::FlowOptions {
        poll_interval: Duration::from_millis(20),
        max_duration: Duration::from_millis(200),
        ..Default::default()
    };
    let flow = kernel::auth::legacy::LegacyFlow::follow(&kernel, "inv", None).with_options(options);
    let outcome = tokio::time::timeout(Duration::from_secs(5), flow.wait())
        .await
        .expect("the flow ends")
        .expect("no error: the failures were transient");
    assert_eq!(outcome, kernel::auth::Outcome::Expired);
}
