//! Idempotency went by HTTP method: `PUT /browsers/{id}/fs/move` was sent
//! three times after a connection reset although the first move had
//! happened, and a `501` was retried.

use crate::common;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use tokio::net::TcpListener;

/// A server that reads each request head and then closes the connection
/// without answering, as if it crashed after acting. Returns the base URL
/// and the number of requests it read.
async fn acts_then_resets() -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let count = Arc::new(AtomicUsize::new(0));
    let seen = count.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let seen = seen.clone();
            tokio::spawn(async move {
                let head = common::read_request_head(&mut socket).await;
                if !head.is_empty() {
                    seen.fetch_add(1, Ordering::SeqCst);
                }
                // Give the body time to arrive, then drop the socket.
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            });
        }
    });
    (base, count)
}

#[tokio::test]
async fn a_move_is_never_resent_after_it_may_have_happened() {
    let (base, requests) = acts_then_resets().await;
    let err = common::client(&base)
        .browsers()
        .fs("b")
        .move_path()
        .src_path("/a")
        .dest_path("/b")
        .send()
        .await
        .unwrap_err();
    assert!(matches!(err, kernel::Error::Connection(_)), "{err:?}");
    assert_eq!(
        requests.load(Ordering::SeqCst),
        1,
        "sent once, although a PUT"
    );
}

#[tokio::test]
async fn a_screenshot_is_resent_although_a_post() {
    let (base, requests) = acts_then_resets().await;
    common::client(&base)
        .browsers()
        .computer("b")
        .screenshot()
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        requests.load(Ordering::SeqCst),
        3,
        "reading the screen twice is harmless: retried like a GET"
    );
}

#[tokio::test]
async fn a_501_is_never_retried() {
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    let router = axum::Router::new().route(
        "/browsers/{id}",
        axum::routing::get(move || {
            counter.fetch_add(1, Ordering::SeqCst);
            async { (axum::http::StatusCode::NOT_IMPLEMENTED, "no") }
        }),
    );
    let base = common::serve(router).await;
    let err = common::client(&base)
        .browsers()
        .get("b")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(reqwest::StatusCode::NOT_IMPLEMENTED));
    assert_eq!(hits.load(Ordering::SeqCst), 1);
}
