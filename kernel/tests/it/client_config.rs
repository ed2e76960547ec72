//! Client configuration: the builder's settings reach the wire.
//!
//! `from_env` is tested in `client_env.rs`, alone in its binary, so no other
//! test reads the environment while it is changed.

use crate::common::{browser_json, serve, API_KEY};
use kernel::{Error, Kernel, RetryPolicy};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

#[tokio::test]
async fn build_without_api_key_is_a_config_error() {
    let err = Kernel::builder()
        .base_url("http://127.0.0.1:1")
        .build()
        .unwrap_err();
    match &err {
        Error::Config(message) => {
            assert!(message.contains("API key"), "unclear message: {message}")
        }
        other => panic!("expected Error::Config, got {other:?}"),
    }
}

#[tokio::test]
async fn build_rejects_an_invalid_base_url() {
    let err = Kernel::builder()
        .api_key(API_KEY)
        .base_url("not a url")
        .build()
        .unwrap_err();
    assert!(
        matches!(&err, Error::Config(m) if m.contains("not a url")),
        "{err:?}"
    );
}

#[tokio::test]
async fn build_rejects_an_invalid_default_header() {
    let err = Kernel::builder()
        .api_key(API_KEY)
        .default_header("bad header\n", "v")
        .build()
        .unwrap_err();
    assert!(
        matches!(&err, Error::Config(m) if m.contains("bad header")),
        "{err:?}"
    );
    let err = Kernel::builder()
        .api_key(API_KEY)
        .default_header("x-ok", "bad\nvalue")
        .build()
        .unwrap_err();
    assert!(
        matches!(&err, Error::Config(m) if m.contains("x-ok")),
        "{err:?}"
    );
}

#[tokio::test]
async fn api_key_base_url_user_agent_and_default_headers_reach_the_server() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/browsers/b1"))
        .and(header(
            "authorization",
            format!("Bearer {API_KEY}").as_str(),
        ))
        .and(header("user-agent", "my-agent/1.0"))
        .and(header("x-team", "qa"))
        .and(header("x-trace", "abc"))
        .respond_with(ResponseTemplate::new(200).set_body_json(browser_json("b1")))
        .expect(1)
        .mount(&server)
        .await;
    // A trailing slash on the base URL is accepted.
    let kernel = Kernel::builder()
        .api_key(API_KEY)
        .base_url(format!("{}/", server.uri()))
        .user_agent("my-agent/1.0")
        .default_header("x-team", "qa")
        .default_header("x-trace", "abc")
        .build()
        .unwrap();
    assert_eq!(kernel.base_url(), server.uri());
    let browser = kernel.browsers().get("b1").send().await.unwrap();
    assert_eq!(browser.session_id, "b1");
    let received = server.received_requests().await.unwrap();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].url.path(), "/browsers/b1");
}

/// The headers of one `browsers().get()` sent by a client from `builder`
/// (its base URL set here), each name with all its values in order.
async fn sent_headers(builder: kernel::KernelBuilder) -> impl Fn(&str) -> Vec<String> {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(browser_json("b1")))
        .mount(&server)
        .await;
    let kernel = builder.base_url(server.uri()).build().unwrap();
    kernel.browsers().get("b1").send().await.unwrap();
    let headers = server.received_requests().await.unwrap()[0].headers.clone();
    move |name| {
        headers
            .get_all(name)
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect()
    }
}

#[tokio::test]
async fn a_default_header_keeps_all_its_values_and_never_replaces_the_requests_own() {
    let values = sent_headers(
        Kernel::builder()
            .api_key(API_KEY)
            .default_header("x-team", "qa")
            .default_header("x-multi", "one")
            .default_header("x-multi", "two")
            // The request sets its own `accept`: the default must not be added.
            .default_header("accept", "text/plain")
            .default_header("accept", "text/html")
            .default_header("x-last", "end"),
    )
    .await;
    assert_eq!(values("x-team"), ["qa"]);
    assert_eq!(values("x-multi"), ["one", "two"]);
    assert_eq!(values("accept"), ["application/json"]);
    assert_eq!(values("x-last"), ["end"]);
}

#[tokio::test]
async fn default_user_agent_names_the_sdk() {
    let values = sent_headers(Kernel::builder().api_key(API_KEY)).await;
    let agent = values("user-agent");
    assert!(
        agent.len() == 1 && agent[0].starts_with("kernel-rs/"),
        "{agent:?}"
    );
    assert_eq!(values("authorization"), [format!("Bearer {API_KEY}")]);
}

#[tokio::test]
async fn a_custom_reqwest_client_is_used_and_still_authenticated() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(header("x-from-custom-client", "yes"))
        .and(header(
            "authorization",
            format!("Bearer {API_KEY}").as_str(),
        ))
        .and(header("x-default", "1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(browser_json("b1")))
        .expect(1)
        .mount(&server)
        .await;
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("x-from-custom-client", "yes".parse().unwrap());
    let http = reqwest::Client::builder()
        .default_headers(headers)
        .build()
        .unwrap();
    let kernel = Kernel::builder()
        .api_key(API_KEY)
        .base_url(server.uri())
        .http_client(http)
        .default_header("x-default", "1")
        .build()
        .unwrap();
    kernel.browsers().get("b1").send().await.unwrap();
}

#[tokio::test]
async fn the_per_request_timeout_turns_a_slow_server_into_error_timeout() {
    let router = axum::Router::new().route(
        "/browsers/{id}",
        axum::routing::get(|| async {
            tokio::time::sleep(Duration::from_secs(3)).await;
            axum::Json(browser_json("slow"))
        }),
    );
    let base = serve(router).await;
    let kernel = Kernel::builder()
        .api_key(API_KEY)
        .base_url(base)
        .timeout(Duration::from_millis(200))
        .max_retries(0)
        .build()
        .unwrap();
    let started = Instant::now();
    let err = kernel.browsers().get("slow").send().await.unwrap_err();
    let elapsed = started.elapsed();
    assert!(err.is_timeout(), "expected a timeout, got {err:?}");
    assert!(matches!(err, Error::Timeout(_)));
    assert!(
        elapsed >= Duration::from_millis(190),
        "gave up too early: {elapsed:?}"
    );
    assert!(
        elapsed < Duration::from_secs(2),
        "the timeout was not applied: {elapsed:?}"
    );
}

#[tokio::test]
async fn the_connect_timeout_applies() {
    // A listener whose accept queue is full: Linux drops further SYNs, so
    // connecting hangs until the connect timeout.
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let listener = socket.listen(0).unwrap();
    let addr = listener.local_addr().unwrap();
    let mut fillers = Vec::new();
    for _ in 0..4 {
        let attempt = tokio::time::timeout(
            Duration::from_millis(200),
            tokio::net::TcpStream::connect(addr),
        )
        .await;
        match attempt {
            Ok(Ok(stream)) => fillers.push(stream),
            _ => break,
        }
    }
    let kernel = Kernel::builder()
        .api_key(API_KEY)
        .base_url(format!("http://{addr}"))
        .connect_timeout(Duration::from_millis(300))
        .timeout(Duration::from_secs(30))
        .max_retries(0)
        .build()
        .unwrap();
    let started = Instant::now();
    let err = kernel.browsers().get("b1").send().await.unwrap_err();
    let elapsed = started.elapsed();
    assert!(err.is_timeout(), "expected a connect timeout, got {err:?}");
    assert!(
        elapsed < Duration::from_secs(5),
        "the connect timeout was not applied: {elapsed:?}"
    );
    drop(listener);
    drop(fillers);
}

#[tokio::test]
async fn max_retries_sets_the_number_of_attempts() {
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    let router = axum::Router::new().route(
        "/browsers/{id}",
        axum::routing::get(move || {
            let counter = counter.clone();
            async move {
                counter.fetch_add(1, Ordering::SeqCst);
                axum::http::StatusCode::INTERNAL_SERVER_ERROR
            }
        }),
    );
    let base = serve(router).await;
    let fast = RetryPolicy {
        initial_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(2),
        ..RetryPolicy::default()
    };
    for (retries, expected) in [(0u32, 1usize), (1, 2), (4, 5)] {
        hits.store(0, Ordering::SeqCst);
        let kernel = Kernel::builder()
            .api_key(API_KEY)
            .base_url(&base)
            .retry_policy(fast.clone())
            .max_retries(retries)
            .build()
            .unwrap();
        assert_eq!(kernel.retry_policy().max_retries, retries);
        let err = kernel.browsers().get("b1").send().await.unwrap_err();
        assert_eq!(
            err.status(),
            Some(reqwest::StatusCode::INTERNAL_SERVER_ERROR)
        );
        assert_eq!(
            hits.load(Ordering::SeqCst),
            expected,
            "max_retries({retries})"
        );
    }
}

#[tokio::test]
async fn retry_policy_none_sends_once() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(503))
        .expect(1)
        .mount(&server)
        .await;
    let kernel = Kernel::builder()
        .api_key(API_KEY)
        .base_url(server.uri())
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    let err = kernel.browsers().get("b1").send().await.unwrap_err();
    assert_eq!(err.status(), Some(reqwest::StatusCode::SERVICE_UNAVAILABLE));
}

#[tokio::test]
async fn clones_share_the_configuration() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(header("x-team", "qa"))
        .respond_with(ResponseTemplate::new(200).set_body_json(browser_json("b1")))
        .expect(2)
        .mount(&server)
        .await;
    let kernel = Kernel::builder()
        .api_key(API_KEY)
        .base_url(server.uri())
        .default_header("x-team", "qa")
        .build()
        .unwrap();
    let clone = kernel.clone();
    kernel.browsers().get("b1").send().await.unwrap();
    tokio::spawn(async move { clone.browsers().get("b1").send().await.map(|_| ()) })
        .await
        .unwrap()
        .unwrap();
}
