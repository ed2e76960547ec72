//! No secret in what a failing call leaves behind: the API key, a submitted
//! password or a jwt in a URL never shows in the error (`Display`,
//! `Debug`) or in the trace at TRACE level, on every error path.

use crate::common::{self, API_KEY};
use axum::body::Body;
use axum::response::Response;
use axum::routing::{any, post};
use kernel::{Kernel, RetryPolicy};
use std::time::Duration;
use tokio::io::AsyncWriteExt;

const PASSWORD: &str = "hunter2-SECRET";
const JWT: &str = "SECRETJWT";

fn client(base: &str) -> Kernel {
    Kernel::builder()
        .api_key(API_KEY)
        .base_url(base)
        .retry_policy(RetryPolicy {
            initial_backoff: Duration::from_millis(1),
            max_backoff: Duration::from_millis(2),
            min_backoff: Duration::from_millis(1),
            ..RetryPolicy::default()
        })
        .timeout(Duration::from_millis(300))
        .read_timeout(Duration::from_millis(300))
        .max_response_bytes(1024)
        .build()
        .unwrap()
}

/// Creates a credential carrying [`PASSWORD`] against `base` and checks
/// the error and the trace.
async fn check(path: &str, base: &str) {
    let (capture, _guard) = common::capture_tracing();
    let err = client(base)
        .credentials()
        .create()
        .name("c")
        .domain("example.com")
        .values([("password", PASSWORD)])
        .send()
        .await
        .expect_err(path);
    let shown = format!("{err}\n{err:?}\n{}", capture.text());
    assert!(!capture.text().is_empty(), "{path}: the trace was captured");
    for secret in [API_KEY, PASSWORD, JWT] {
        assert!(
            !shown.contains(secret),
            "{path}: {secret} leaked in\n{shown}"
        );
    }
}

async fn serve(router: axum::Router) -> String {
    common::serve(router).await
}

#[tokio::test(flavor = "current_thread")]
async fn no_error_path_leaks_a_secret() {
    common::init_tracing();
    check("refused", &common::refused_url()).await;

    check("timeout", &common::silent_server().await).await;

    let api_error = serve(axum::Router::new().route(
        "/credentials",
        post(|| async { common::json_response(500, r#"{"code":"internal","message":"boom"}"#) }),
    ))
    .await;
    check("api error", &api_error).await;

    let retried = serve(axum::Router::new().route(
        "/credentials",
        post(|| async {
            common::json_response(503, r#"{"code":"unavailable","message":"later"}"#)
        }),
    ))
    .await;
    check("retries exhausted", &retried).await;

    let elsewhere = format!("{}/x?jwt={JWT}", common::refused_url());
    let redirect = serve(axum::Router::new().route(
        "/credentials",
        any(move || {
            let elsewhere = elsewhere.clone();
            async move {
                Response::builder()
                    .status(307)
                    .header("location", elsewhere)
                    .body(Body::empty())
                    .unwrap()
            }
        }),
    ))
    .await;
    check("redirect", &redirect).await;

    let too_large = serve(axum::Router::new().route(
        "/credentials",
        post(|| async {
            common::json_response(200, format!("{{\"pad\":\"{}\"}}", "x".repeat(4096)))
        }),
    ))
    .await;
    check("too large", &too_large).await;

    let undecodable = serve(axum::Router::new().route(
        "/credentials",
        post(|| async { common::json_response(201, r#"{"id": 5}"#) }),
    ))
    .await;
    check("decode", &undecodable).await;

    let garbage = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let garbage_base = format!("http://{}", garbage.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = garbage.accept().await {
            common::read_request_head(&mut socket).await;
            let _ = socket.write_all(b"NOT HTTP AT ALL\r\n\r\n").await;
        }
    });
    check("malformed", &garbage_base).await;
}

/// A jwt in the URL of a request that fails is redacted from the error.
#[tokio::test(flavor = "current_thread")]
async fn a_jwt_in_a_failed_url_is_redacted() {
    common::init_tracing();
    let (capture, _guard) = common::capture_tracing();
    let err = client(&common::refused_url())
        .request(reqwest::Method::GET, format!("/browsers/b?jwt={JWT}&x=1"))
        .send::<serde_json::Value>()
        .await
        .unwrap_err();
    let shown = format!("{err}\n{err:?}\n{}", capture.text());
    assert!(shown.contains("x=1"), "the rest of the URL stays: {shown}");
    assert!(!shown.contains(JWT), "{shown}");
}
