//! Each retry rule of `kernel::retry`, counted on the server, and visible in
//! tracing.

use crate::common;

use crate::common::{
    browser_json, capture_tracing, client, fast_policy, raw_server, refused_url, serve, API_KEY,
};
use kernel::{Error, Kernel, RetryPolicy};
use reqwest::StatusCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// Mounts `template` for every request and returns the server.
async fn always(template: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(template)
        .mount(&server)
        .await;
    server
}

/// Mounts `first` for the first request only, then a valid browser.
async fn once_then_ok(first: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(first)
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(wiremock::matchers::any())
        .respond_with(ResponseTemplate::new(200).set_body_json(browser_json("b1")))
        .with_priority(2)
        .mount(&server)
        .await;
    server
}

async fn hits(server: &MockServer) -> usize {
    server.received_requests().await.unwrap().len()
}

async fn get(kernel: &Kernel) -> Result<kernel::types::Browser, Error> {
    kernel.browsers().get("b1").send().await
}

async fn post(kernel: &Kernel) -> Result<kernel::types::Browser, Error> {
    kernel.browsers().create().stealth(true).send().await
}

#[tokio::test]
async fn get_500_is_retried_twice_by_default() {
    common::init_tracing();
    let server = always(ResponseTemplate::new(500)).await;
    let err = get(&client(&server.uri())).await.unwrap_err();
    assert_eq!(err.status(), Some(StatusCode::INTERNAL_SERVER_ERROR));
    assert_eq!(hits(&server).await, 3);
}

#[tokio::test]
async fn default_policy_retries_twice() {
    common::init_tracing();
    assert_eq!(RetryPolicy::default().max_retries, 2);
    assert_eq!(
        Kernel::builder()
            .api_key(API_KEY)
            .build()
            .unwrap()
            .retry_policy()
            .max_retries,
        2
    );
}

#[tokio::test]
async fn get_500_then_200_succeeds() {
    common::init_tracing();
    let server = once_then_ok(ResponseTemplate::new(500)).await;
    assert_eq!(get(&client(&server.uri())).await.unwrap().session_id, "b1");
    assert_eq!(hits(&server).await, 2);
}

#[tokio::test]
async fn get_408_is_retried() {
    common::init_tracing();
    let server = always(ResponseTemplate::new(408)).await;
    let err = get(&client(&server.uri())).await.unwrap_err();
    assert_eq!(err.status(), Some(StatusCode::REQUEST_TIMEOUT));
    assert_eq!(hits(&server).await, 3);
}

#[tokio::test]
async fn get_429_is_retried() {
    common::init_tracing();
    let server = always(ResponseTemplate::new(429)).await;
    let err = get(&client(&server.uri())).await.unwrap_err();
    assert!(err.is_rate_limited());
    assert_eq!(hits(&server).await, 3);
    let server = once_then_ok(ResponseTemplate::new(429)).await;
    get(&client(&server.uri())).await.unwrap();
    assert_eq!(hits(&server).await, 2);
}

#[tokio::test]
async fn get_409_is_not_retried() {
    common::init_tracing();
    let server = always(ResponseTemplate::new(409)).await;
    let err = get(&client(&server.uri())).await.unwrap_err();
    assert!(err.is_conflict());
    assert_eq!(hits(&server).await, 1);
}

#[tokio::test]
async fn get_404_is_not_retried() {
    common::init_tracing();
    let server = always(ResponseTemplate::new(404)).await;
    let err = get(&client(&server.uri())).await.unwrap_err();
    assert!(err.is_not_found());
    assert_eq!(hits(&server).await, 1);
}

#[tokio::test]
async fn get_400_401_403_422_are_not_retried() {
    common::init_tracing();
    for status in [400u16, 401, 403, 422] {
        let server = always(ResponseTemplate::new(status)).await;
        let err = get(&client(&server.uri())).await.unwrap_err();
        assert_eq!(err.status().map(|s| s.as_u16()), Some(status));
        assert_eq!(hits(&server).await, 1, "status {status}");
    }
}

#[tokio::test]
async fn post_500_is_not_retried() {
    common::init_tracing();
    let server = always(ResponseTemplate::new(500)).await;
    let err = post(&client(&server.uri())).await.unwrap_err();
    assert_eq!(err.status(), Some(StatusCode::INTERNAL_SERVER_ERROR));
    assert_eq!(hits(&server).await, 1);
}

#[tokio::test]
async fn post_502_504_408_are_not_retried() {
    common::init_tracing();
    for status in [502u16, 504, 408] {
        let server = always(ResponseTemplate::new(status)).await;
        post(&client(&server.uri())).await.unwrap_err();
        assert_eq!(hits(&server).await, 1, "status {status}");
    }
}

#[tokio::test]
async fn post_429_is_retried() {
    common::init_tracing();
    let server = always(ResponseTemplate::new(429)).await;
    let err = post(&client(&server.uri())).await.unwrap_err();
    assert!(err.is_rate_limited());
    assert_eq!(hits(&server).await, 3);
}

#[tokio::test]
async fn post_503_is_retried() {
    common::init_tracing();
    let server = always(ResponseTemplate::new(503)).await;
    let err = post(&client(&server.uri())).await.unwrap_err();
    assert_eq!(err.status(), Some(StatusCode::SERVICE_UNAVAILABLE));
    assert_eq!(hits(&server).await, 3);
    let server = once_then_ok(ResponseTemplate::new(503)).await;
    post(&client(&server.uri())).await.unwrap();
    assert_eq!(hits(&server).await, 2);
}

#[tokio::test]
async fn patch_and_delete_follow_the_method_rules() {
    common::init_tracing();
    // PATCH is not idempotent: a 500 is not retried.
    let server = always(ResponseTemplate::new(500)).await;
    client(&server.uri())
        .browsers()
        .update("b1")
        .send()
        .await
        .unwrap_err();
    assert_eq!(hits(&server).await, 1);
    // DELETE is: a 500 is retried.
    let server = always(ResponseTemplate::new(500)).await;
    client(&server.uri())
        .browsers()
        .delete("b1")
        .send()
        .await
        .unwrap_err();
    assert_eq!(hits(&server).await, 3);
}

#[tokio::test]
async fn post_with_x_should_retry_true_is_retried() {
    common::init_tracing();
    let server = always(ResponseTemplate::new(500).insert_header("x-should-retry", "true")).await;
    post(&client(&server.uri())).await.unwrap_err();
    assert_eq!(hits(&server).await, 3);
}

#[tokio::test]
async fn get_with_x_should_retry_false_is_not_retried() {
    common::init_tracing();
    let server = always(ResponseTemplate::new(500).insert_header("x-should-retry", "false")).await;
    get(&client(&server.uri())).await.unwrap_err();
    assert_eq!(hits(&server).await, 1);
    let server = always(ResponseTemplate::new(429).insert_header("x-should-retry", "false")).await;
    get(&client(&server.uri())).await.unwrap_err();
    assert_eq!(hits(&server).await, 1);
}

/// A server that counts requests on every path and answers after `delay`.
async fn slow_server(delay: Duration) -> (String, Arc<AtomicUsize>) {
    let count = Arc::new(AtomicUsize::new(0));
    let counter = count.clone();
    let handler = move || {
        let counter = counter.clone();
        async move {
            counter.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(delay).await;
            axum::Json(browser_json("slow"))
        }
    };
    let router = axum::Router::new()
        .route("/browsers", axum::routing::post(handler.clone()))
        .route("/browsers/{id}", axum::routing::get(handler));
    (serve(router).await, count)
}

fn timing_out(base: &str) -> Kernel {
    Kernel::builder()
        .api_key(API_KEY)
        .base_url(base)
        .retry_policy(fast_policy())
        .timeout(Duration::from_millis(150))
        .build()
        .unwrap()
}

#[tokio::test]
async fn post_that_timed_out_is_not_resent() {
    common::init_tracing();
    // A POST that timed out must not create two browsers.
    let (base, count) = slow_server(Duration::from_millis(600)).await;
    let err = post(&timing_out(&base)).await.unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    // Give a (wrong) resend the time to arrive.
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(count.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn get_that_timed_out_is_resent() {
    common::init_tracing();
    let (base, count) = slow_server(Duration::from_millis(600)).await;
    let err = get(&timing_out(&base)).await.unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    assert_eq!(count.load(Ordering::SeqCst), 3);
}

/// A server whose first `cuts` responses (on every path) send the headers
/// and half a JSON body, then drop the connection; later ones are whole.
async fn cut_body_server(cuts: usize) -> (String, Arc<AtomicUsize>) {
    let count = Arc::new(AtomicUsize::new(0));
    let counter = count.clone();
    let handler = move || {
        let n = counter.fetch_add(1, Ordering::SeqCst);
        async move {
            let whole = browser_json("cut").to_string();
            let body = if n < cuts {
                use futures::StreamExt;
                let half = bytes::Bytes::from(whole[..whole.len() / 2].to_owned());
                // The error comes later, so the headers (and the half) have
                // reached the client by then.
                let cut = async {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    Err(std::io::Error::other("connection lost"))
                };
                let parts =
                    futures::stream::once(async { Ok(half) }).chain(futures::stream::once(cut));
                axum::body::Body::from_stream(parts)
            } else {
                axum::body::Body::from(whole)
            };
            axum::response::Response::builder()
                .header("content-type", "application/json")
                .body(body)
                .unwrap()
        }
    };
    let router = axum::Router::new()
        .route("/browsers", axum::routing::post(handler.clone()))
        .route("/browsers/{id}", axum::routing::get(handler));
    (serve(router).await, count)
}

#[tokio::test]
async fn get_whose_body_was_cut_is_resent() {
    common::init_tracing();
    let (base, count) = cut_body_server(1).await;
    let browser = get(&client(&base)).await.unwrap();
    assert_eq!(browser.session_id, "cut");
    assert_eq!(count.load(Ordering::SeqCst), 2);

    // Every attempt cut: the error is a connection error, after 1 + 2 tries.
    let (base, count) = cut_body_server(usize::MAX).await;
    let err = get(&client(&base)).await.unwrap_err();
    assert!(matches!(err, Error::Connection(_)), "{err:?}");
    assert_eq!(count.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn post_whose_body_was_cut_is_not_resent() {
    common::init_tracing();
    // The server acted on it: resending could create a second browser.
    let (base, count) = cut_body_server(1).await;
    let err = post(&client(&base)).await.unwrap_err();
    assert!(matches!(err, Error::Connection(_)), "{err:?}");
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(count.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn connection_refused_on_post_is_retried() {
    common::init_tracing();
    // Nothing reached a server, so even a POST may be resent. Backoffs of
    // at least 100 ms (the floor): three attempts take >= 200 ms, one
    // attempt takes a few ms.
    let (capture, _guard) = capture_tracing();
    let policy = RetryPolicy {
        max_retries: 2,
        initial_backoff: Duration::from_millis(100),
        max_backoff: Duration::from_millis(100),
        min_backoff: Duration::from_millis(100),
        ..RetryPolicy::default()
    };
    let kernel = Kernel::builder()
        .api_key(API_KEY)
        .base_url(refused_url())
        .retry_policy(policy)
        .build()
        .unwrap();
    let started = Instant::now();
    let err = post(&kernel).await.unwrap_err();
    let elapsed = started.elapsed();
    assert!(
        matches!(err, Error::Connection(_)),
        "expected Error::Connection, got {err:?}"
    );
    assert!(
        elapsed >= Duration::from_millis(190),
        "no backoff, so no retry: {elapsed:?}"
    );
    let text = capture.text();
    assert_eq!(text.matches("retrying kernel request").count(), 2, "{text}");
    assert!(text.contains("attempts=3"), "{text}");
    assert!(text.contains("method=POST"), "{text}");
}

#[tokio::test]
async fn connection_closed_before_a_response_retries_get_but_not_post() {
    common::init_tracing();
    let (base, connections) = raw_server(Vec::new()).await;
    let err = get(&client(&base)).await.unwrap_err();
    assert!(matches!(err, Error::Connection(_)), "{err:?}");
    assert_eq!(connections.load(Ordering::SeqCst), 3, "GET is resent");
    let (base, connections) = raw_server(Vec::new()).await;
    let err = post(&client(&base)).await.unwrap_err();
    assert!(matches!(err, Error::Connection(_)), "{err:?}");
    assert_eq!(
        connections.load(Ordering::SeqCst),
        1,
        "the POST may have reached the server"
    );
}

#[tokio::test]
async fn retry_after_seconds_is_honoured() {
    common::init_tracing();
    let server = once_then_ok(ResponseTemplate::new(429).insert_header("retry-after", "1")).await;
    let started = Instant::now();
    post(&client(&server.uri())).await.unwrap();
    let elapsed = started.elapsed();
    assert_eq!(hits(&server).await, 2);
    assert!(
        elapsed >= Duration::from_millis(950),
        "Retry-After: 1 not waited for: {elapsed:?}"
    );
    assert!(elapsed < Duration::from_secs(3), "{elapsed:?}");
}

#[tokio::test]
async fn retry_after_http_date_is_honoured() {
    common::init_tracing();
    let server = MockServer::start().await;
    // The date is computed when the 503 is sent: 3 s ahead, whole seconds,
    // so the wait is between 2 and 3 s.
    struct DateAhead;
    impl wiremock::Respond for DateAhead {
        fn respond(&self, _: &wiremock::Request) -> ResponseTemplate {
            let date =
                kernel_testkit::http_date::format(SystemTime::now() + Duration::from_secs(3));
            ResponseTemplate::new(503).insert_header("retry-after", date.as_str())
        }
    }
    Mock::given(wiremock::matchers::any())
        .respond_with(DateAhead)
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(wiremock::matchers::any())
        .respond_with(ResponseTemplate::new(200).set_body_json(browser_json("b1")))
        .with_priority(2)
        .mount(&server)
        .await;
    let started = Instant::now();
    get(&client(&server.uri())).await.unwrap();
    let elapsed = started.elapsed();
    assert_eq!(hits(&server).await, 2);
    assert!(
        elapsed >= Duration::from_millis(1900),
        "Retry-After date not waited for: {elapsed:?}"
    );
    assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
}

#[tokio::test]
async fn retry_after_ms_is_honoured_and_wins() {
    common::init_tracing();
    let server = once_then_ok(
        ResponseTemplate::new(429)
            .insert_header("retry-after-ms", "300")
            .insert_header("retry-after", "5"),
    )
    .await;
    let started = Instant::now();
    get(&client(&server.uri())).await.unwrap();
    let elapsed = started.elapsed();
    assert_eq!(hits(&server).await, 2);
    assert!(
        elapsed >= Duration::from_millis(290),
        "retry-after-ms not waited for: {elapsed:?}"
    );
    assert!(
        elapsed < Duration::from_secs(2),
        "Retry-After used instead of retry-after-ms: {elapsed:?}"
    );
}

#[tokio::test]
async fn retry_after_above_the_cap_is_not_waited_for() {
    common::init_tracing();
    // The policy documents that a longer wait "is not waited for: the error is
    // returned instead".
    let server = always(ResponseTemplate::new(429).insert_header("retry-after", "120")).await;
    let started = Instant::now();
    let err = get(&client(&server.uri())).await.unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "waited for a 120 s Retry-After"
    );
    assert!(err.is_rate_limited());
    assert_eq!(
        hits(&server).await,
        1,
        "a Retry-After above max_retry_after must return the error, not retry early"
    );
}

#[tokio::test]
async fn retries_are_visible_in_tracing() {
    common::init_tracing();
    let (capture, _guard) = capture_tracing();
    let server = always(ResponseTemplate::new(500)).await;
    get(&client(&server.uri())).await.unwrap_err();
    let text = capture.text();
    assert_eq!(text.matches("retrying kernel request").count(), 2, "{text}");
    let warn_lines: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("retrying kernel request"))
        .collect();
    assert!(
        warn_lines
            .iter()
            .all(|l| l.contains("WARN") && l.contains("status=500")),
        "{warn_lines:#?}"
    );
    assert!(
        warn_lines[0].contains("attempt=1") && warn_lines[1].contains("attempt=2"),
        "{warn_lines:#?}"
    );
    // The span, with its fields, closes once per call.
    let close: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("kernel.request{") && l.contains("close"))
        .collect();
    assert_eq!(close.len(), 1, "{text}");
    let span = close[0];
    for field in ["method=GET", "status=500", "attempts=3", "operation="] {
        assert!(span.contains(field), "missing {field} in {span}");
    }
    assert!(
        span.contains(r#"path="/browsers/{id}""#),
        "the span must carry the path template: {span}"
    );
}

#[tokio::test]
async fn a_successful_request_is_one_span_with_one_attempt() {
    common::init_tracing();
    let (capture, _guard) = capture_tracing();
    let server = always(ResponseTemplate::new(200).set_body_json(browser_json("b1"))).await;
    get(&client(&server.uri())).await.unwrap();
    let text = capture.text();
    assert!(!text.contains("retrying kernel request"), "{text}");
    let close: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("kernel.request{") && l.contains("close"))
        .collect();
    assert_eq!(close.len(), 1, "{text}");
    assert!(
        close[0].contains("status=200") && close[0].contains("attempts=1"),
        "{}",
        close[0]
    );
    assert!(
        close[0].contains(r#"path="/browsers/{id}""#),
        "{}",
        close[0]
    );
}

#[tokio::test]
async fn retries_use_the_backoff_of_the_policy() {
    common::init_tracing();
    // Without Retry-After, waits follow the policy: 2 retries, each drawn
    // between the 200 ms floor and its ceiling (400 ms, then 800 ms), take
    // at least 400 ms.
    let server = always(ResponseTemplate::new(500)).await;
    let policy = RetryPolicy {
        max_retries: 2,
        initial_backoff: Duration::from_millis(400),
        max_backoff: Duration::from_secs(1),
        min_backoff: Duration::from_millis(200),
        ..RetryPolicy::default()
    };
    let kernel = Kernel::builder()
        .api_key(API_KEY)
        .base_url(server.uri())
        .retry_policy(policy)
        .build()
        .unwrap();
    let started = Instant::now();
    get(&kernel).await.unwrap_err();
    let elapsed = started.elapsed();
    assert!(elapsed >= Duration::from_millis(390), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(2), "{elapsed:?}");
    assert_eq!(hits(&server).await, 3);
}

#[tokio::test]
async fn the_same_request_is_resent() {
    common::init_tracing();
    // A retried POST carries the same body and headers.
    let server = once_then_ok(ResponseTemplate::new(503)).await;
    post(&client(&server.uri())).await.unwrap();
    let received = server.received_requests().await.unwrap();
    assert_eq!(received.len(), 2);
    assert_eq!(received[0].body, received[1].body);
    assert_eq!(received[0].url, received[1].url);
    let auth = |i: usize| received[i].headers.get("authorization").cloned();
    assert_eq!(auth(0), auth(1));
    assert!(auth(1).is_some());
    let body: serde_json::Value = serde_json::from_slice(&received[1].body).unwrap();
    assert_eq!(body["stealth"], true);
}

#[tokio::test]
async fn path_matchers_see_the_paths() {
    common::init_tracing();
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/browsers"))
        .respond_with(ResponseTemplate::new(200).set_body_json(browser_json("new")))
        .expect(1)
        .mount(&server)
        .await;
    assert_eq!(
        post(&client(&server.uri())).await.unwrap().session_id,
        "new"
    );
}
