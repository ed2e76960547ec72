//! A success the spec does not list was reported as a failure and its body
//! thrown away: `POST /browsers` answered `201` gave `Err(Api{status: 201})`
//! although the browser existed.

use crate::common;
use axum::body::Body;
use axum::response::Response;
use axum::routing::{delete, post};
use kernel::Error;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

#[tokio::test]
async fn an_unlisted_2xx_with_the_success_body_is_ok() {
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    let router = axum::Router::new().route(
        "/browsers",
        post(move || {
            counter.fetch_add(1, Ordering::SeqCst);
            async { common::json_response(201, common::browser_json("created").to_string()) }
        }),
    );
    let base = common::serve(router).await;
    let kernel = common::client(&base);
    let response = kernel
        .browsers()
        .create()
        .send_with_response()
        .await
        .expect("a 201 with a browser is a success");
    assert_eq!(response.status(), 201);
    assert_eq!(response.value().session_id, "created");
    assert_eq!(hits.load(Ordering::SeqCst), 1, "and it was not sent again");
}

#[tokio::test]
async fn an_unlisted_2xx_that_does_not_decode_keeps_its_body() {
    let router = axum::Router::new().route(
        "/browsers",
        post(|| async {
            common::json_response(201, r#"{"session_id": 7, "note": "not a browser"}"#)
        }),
    );
    let base = common::serve(router).await;
    let err = common::client(&base)
        .browsers()
        .create()
        .send()
        .await
        .unwrap_err();
    match err {
        Error::Decode(decode) => {
            assert!(
                std::str::from_utf8(&decode.body)
                    .unwrap()
                    .contains("not a browser"),
                "the body is kept"
            );
        }
        other => panic!("expected a decode error, got {other:?}"),
    }
}

#[tokio::test]
async fn unlisted_2xx_answers_to_empty_and_optional_calls_are_ok() {
    let router = axum::Router::new()
        .route(
            "/browsers/{id}",
            delete(|| async { common::json_response(202, r#"{"queued": true}"#) }),
        )
        .route(
            "/browser_pools/{id}/acquire",
            post(|| async {
                common::json_response(201, common::browser_json("leased").to_string())
            }),
        );
    let base = common::serve(router).await;
    let kernel = common::client(&base);
    let deleted = kernel
        .browsers()
        .delete("b")
        .send_with_response()
        .await
        .expect("a 202 to a delete is a success");
    assert_eq!(deleted.status(), 202);
    let leased = kernel
        .browser_pools()
        .acquire("pool")
        .send()
        .await
        .expect("a 201 with a browser");
    assert_eq!(leased.map(|b| b.session_id).as_deref(), Some("leased"));
}

#[tokio::test]
async fn an_unlisted_2xx_download_is_streamed() {
    let router = axum::Router::new().route(
        "/browsers/{id}/computer/screenshot",
        post(|| async {
            Response::builder()
                .status(203)
                .header("content-type", "image/png")
                .body(Body::from("png bytes"))
                .unwrap()
        }),
    );
    let base = common::serve(router).await;
    let png = common::client(&base)
        .browsers()
        .computer("b")
        .screenshot()
        .send()
        .await
        .expect("a 203 with an image is a success")
        .bytes()
        .await
        .unwrap();
    assert_eq!(&png[..], b"png bytes");
}

#[tokio::test]
async fn an_unlisted_2xx_event_stream_is_followed() {
    let router = axum::Router::new().route(
        "/invocations/{id}/events",
        axum::routing::get(|| async {
            Response::builder()
                .status(203)
                .header("content-type", "text/event-stream")
                .body(Body::from(
                    "data: {\"event\":\"log\",\"timestamp\":\"2025-01-01T00:00:00Z\",\"message\":\"hi\"}\n\n",
                ))
                .unwrap()
        }),
    );
    let base = common::serve(router).await;
    let kernel = kernel::Kernel::builder()
        .api_key(common::API_KEY)
        .base_url(&base)
        .max_retries(0)
        .build()
        .unwrap();
    let mut events = kernel.invocations().events("inv").send().await.unwrap();
    use futures::StreamExt;
    let first = tokio::time::timeout(std::time::Duration::from_secs(5), events.next())
        .await
        .expect("an event")
        .expect("an item");
    assert!(first.is_ok(), "the 203 stream is read: {first:?}");
}
