//! Secrets never show up in `Debug` output or in traces: the API key, a
//! credential's password and the values submitted to a login flow.

mod common;

use common::{browser_json, capture_tracing, client, refused_url, API_KEY};
use kernel::{Error, Kernel, RetryPolicy};
use std::collections::HashMap;
use std::time::Duration;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const PASSWORD: &str = "hunter2-PASSWORD-xyz";
const OTP: &str = "SUBMIT-SECRET-987";

fn assert_clean(what: &str, text: &str) {
    for secret in [API_KEY, PASSWORD, OTP, "SECRET_123"] {
        assert!(!text.contains(secret), "{what} leaks {secret:?}:\n{text}");
    }
}

#[test]
fn debug_of_builder_and_client_hide_the_key() {
    common::init_tracing();
    let builder = Kernel::builder()
        .api_key(API_KEY)
        .base_url("http://127.0.0.1:1")
        .default_header("x-team", "qa")
        .timeout(Duration::from_secs(5));
    let shown = format!("{builder:?}");
    assert_clean("KernelBuilder Debug", &shown);
    assert!(shown.contains("[redacted]"), "{shown}");
    let kernel = builder.build().unwrap();
    let shown = format!("{kernel:?} {kernel:#?}");
    assert_clean("Kernel Debug", &shown);
    assert!(shown.contains("127.0.0.1:1"), "{shown}");
    assert_clean("sys client Debug", &format!("{:?}", kernel.sys()));
    assert_clean(
        "builder Debug",
        &format!("{:?}", kernel.browsers().get("b1")),
    );
    let secret = kernel::Secret::new(API_KEY);
    assert_eq!(format!("{secret:?}"), "[redacted]");
    assert_eq!(format!("{secret}"), "[redacted]");
    assert_eq!(secret.expose(), API_KEY);
}

#[test]
fn config_errors_do_not_echo_the_key() {
    common::init_tracing();
    let err = Kernel::builder()
        .api_key(format!("{API_KEY}\n"))
        .build()
        .unwrap_err();
    assert!(matches!(err, Error::Config(_)));
    assert_clean("Config error", &format!("{err} {err:?}"));
}

#[tokio::test]
async fn errors_from_failed_calls_hide_the_key() {
    common::init_tracing();
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(401)
                .insert_header("x-request-id", "req_1")
                .set_body_json(
                    serde_json::json!({"code":"unauthorized","message":"invalid API key"}),
                ),
        )
        .mount(&server)
        .await;
    let kernel = client(&server.uri());
    let err = kernel.browsers().get("b1").send().await.unwrap_err();
    assert!(err.is_auth());
    assert_clean("Api error", &format!("{err} {err:?} {err:#?}"));
    let raw = kernel.browsers().get("b1").send().await.unwrap_err();
    assert_clean("kernel_sys error", &format!("{raw} {raw:?}"));

    // A connection error carries the URL, not the headers.
    let kernel = Kernel::builder()
        .api_key(API_KEY)
        .base_url(refused_url())
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    let err = kernel.browsers().get("b1").send().await.unwrap_err();
    assert!(matches!(err, Error::Connection(_)));
    assert_clean("Connection error", &format!("{err} {err:?} {err:#?}"));
}

#[tokio::test]
async fn traces_at_trace_level_hide_the_key_and_request_bodies() {
    common::init_tracing();
    let (capture, _guard) = capture_tracing();
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/browsers/b1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(browser_json("b1")))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/browsers/flaky"))
        .respond_with(ResponseTemplate::new(500).set_body_string("oops"))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/credentials"))
        .respond_with(ResponseTemplate::new(201).set_body_json(serde_json::json!({
            "id": "cred_1", "name": "work", "domain": "example.com",
            "created_at": "2025-01-01T00:00:00Z", "updated_at": "2025-01-01T00:00:00Z",
        })))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/auth/connections/conn_1/submit"))
        .respond_with(
            ResponseTemplate::new(202).set_body_json(serde_json::json!({"accepted": true})),
        )
        .mount(&server)
        .await;
    // A failing submit too: its error path must not log the request either.
    Mock::given(method("POST"))
        .and(path("/auth/connections/conn_2/submit"))
        .respond_with(
            ResponseTemplate::new(422).set_body_json(
                serde_json::json!({"code":"credentials_invalid","message":"rejected"}),
            ),
        )
        .mount(&server)
        .await;
    let kernel = client(&server.uri());

    kernel.browsers().get("b1").send().await.unwrap();
    kernel.browsers().get("flaky").send().await.unwrap_err();
    let values = HashMap::from([
        ("username".to_string(), "me".to_string()),
        ("password".to_string(), PASSWORD.to_string()),
    ]);
    let credential = kernel
        .credentials()
        .create()
        .name("work")
        .domain("example.com")
        .values(values)
        .send()
        .await
        .unwrap();
    assert_eq!(credential.id, "cred_1");
    let fields = HashMap::from([
        ("otp".to_string(), OTP.to_string()),
        ("password".to_string(), PASSWORD.to_string()),
    ]);
    let submitted = kernel
        .auth()
        .connections()
        .submit("conn_1")
        .fields(fields.clone())
        .send()
        .await
        .unwrap();
    assert!(submitted.accepted);
    let err = kernel
        .auth()
        .connections()
        .submit("conn_2")
        .fields(fields)
        .send()
        .await
        .unwrap_err();
    assert_clean("submit error", &format!("{err} {err:?}"));

    // The secrets did go over the wire: the check below is not vacuous.
    let received = server.received_requests().await.unwrap();
    let wire: String = received
        .iter()
        .map(|r| format!("{:?} {}", r.headers, String::from_utf8_lossy(&r.body)))
        .collect();
    assert!(wire.contains(API_KEY) && wire.contains(PASSWORD) && wire.contains(OTP));

    let text = capture.text();
    assert!(text.contains("kernel.request"), "nothing captured: {text}");
    assert!(
        text.contains("TRACE") || text.contains("DEBUG"),
        "not captured at TRACE level: {text}"
    );
    assert_clean("traces", &text);
}

#[test]
fn debug_of_requests_carrying_secrets_hides_them() {
    // Anyone logging a request (`tracing::debug!(?request)`) must not log
    // the password or the submitted values.
    common::init_tracing();
    let kernel = Kernel::builder()
        .api_key(API_KEY)
        .base_url("http://127.0.0.1:1")
        .build()
        .unwrap();
    let values = HashMap::from([("password".to_string(), PASSWORD.to_string())]);
    let create = kernel
        .credentials()
        .create()
        .name("work")
        .domain("example.com")
        .values(values.clone());
    assert_clean("POST /credentials builder Debug", &format!("{create:?}"));
    let fields = HashMap::from([("otp".to_string(), OTP.to_string())]);
    let submit = kernel
        .auth()
        .connections()
        .submit("conn_1")
        .fields(fields.clone());
    assert_clean(
        "POST /auth/connections/{id}/submit builder Debug",
        &format!("{submit:?}"),
    );
    // The handoff code is the credential of the exchange call.
    let exchange = kernel.auth().connections().exchange("conn_1").code(OTP);
    assert_clean(
        "POST /auth/connections/{id}/exchange builder Debug",
        &format!("{exchange:?}"),
    );
}
