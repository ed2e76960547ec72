//! Secrets never show up in `Debug` output or in traces: the API key, a
//! credential's password, the values submitted to a login flow and the
//! `jwt=` token of a browser's URLs (on the browser, and on every error path
//! that can quote one).

use crate::common;

use crate::common::{browser_json, capture_tracing, client, refused_url, API_KEY};
use futures::TryStreamExt;
use kernel::{Error, Kernel, Paginate, RetryPolicy};
use std::collections::HashMap;
use std::time::Duration;
use wiremock::matchers::{method, path, path_regex};
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

/// The token of every browser URL below: it must never be shown.
const JWT: &str = "SECRETJWT";

fn assert_no_jwt(what: &str, text: &str) {
    assert!(!text.contains(JWT), "{what} leaks the jwt:\n{text}");
    assert_clean(what, text);
}

/// A browser as Kernel returns it: every URL carries the token.
fn browser_with_jwt(id: &str) -> serde_json::Value {
    let mut browser = browser_json(id);
    let host = "proxy.yul-upbeat-herschel.onkernel.com:8443";
    browser["cdp_ws_url"] = format!("wss://{host}/browser/cdp?jwt={JWT}").into();
    browser["webdriver_ws_url"] =
        format!("wss://{host}/browser/webdriver/session?jwt={JWT}").into();
    browser["browser_live_view_url"] =
        format!("https://{host}/browser/live?jwt={JWT}&tab=1").into();
    browser
}

#[tokio::test(flavor = "current_thread")]
async fn browsers_and_replays_show_their_urls_without_the_jwt() {
    common::init_tracing();
    let (capture, _guard) = capture_tracing();
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/browsers/b1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(browser_with_jwt("b1")))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/browsers"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!([
            browser_with_jwt("b1"),
            browser_with_jwt("b2")
        ])))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/browser_pools/pool/acquire"))
        .respond_with(ResponseTemplate::new(200).set_body_json(browser_with_jwt("b3")))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/browsers/b1/replays"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!([{
            "replay_id": "r1",
            "replay_view_url": format!("https://api.onkernel.com/browser/replays?jwt={JWT}&replay_id=r1"),
        }])))
        .mount(&server)
        .await;
    let kernel = client(&server.uri());

    let browser = kernel.browsers().get("b1").send().await.unwrap();
    let shown = format!("{browser:?} {browser:#?}");
    assert_no_jwt("Browser Debug", &shown);
    // The rest of each URL stays visible.
    for kept in [
        "wss://proxy.yul-upbeat-herschel.onkernel.com:8443/browser/cdp?jwt=[redacted]",
        "/browser/webdriver/session?jwt=[redacted]",
        "/browser/live?jwt=[redacted]&tab=1",
    ] {
        assert!(shown.contains(kept), "{kept} not in {shown}");
    }
    assert_eq!(
        browser.cdp_ws_url.to_string(),
        "wss://proxy.yul-upbeat-herschel.onkernel.com:8443/browser/cdp?jwt=[redacted]"
    );
    // What a CDP client is handed: the whole URL.
    assert_eq!(
        browser.cdp_ws_url.expose(),
        format!("wss://proxy.yul-upbeat-herschel.onkernel.com:8443/browser/cdp?jwt={JWT}")
    );
    let url: &kernel::JwtUrl = &browser.webdriver_ws_url;
    assert!(url.expose().ends_with(JWT));
    // Serialized (to store or forward it), the URL is whole again.
    assert!(serde_json::to_string(&browser).unwrap().contains(JWT));

    let listed: Vec<_> = kernel
        .browsers()
        .list()
        .items()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(listed.len(), 2);
    assert_no_jwt("listed browsers Debug", &format!("{listed:?}"));
    let acquired = kernel.browser_pools().acquire("pool").send().await.unwrap();
    assert!(acquired.is_some());
    assert_no_jwt("acquired browser Debug", &format!("{acquired:?}"));
    let replays = kernel.browsers().replays("b1").list().send().await.unwrap();
    let shown = format!("{replays:?}");
    assert_no_jwt("replays Debug", &shown);
    assert!(
        shown.contains("replays?jwt=[redacted]&replay_id=r1"),
        "{shown}"
    );
    assert!(replays[0]
        .replay_view_url
        .as_ref()
        .unwrap()
        .expose()
        .contains(JWT));

    let text = capture.text();
    assert!(text.contains("kernel.request"), "nothing captured: {text}");
    assert_no_jwt("traces", &text);
}

#[tokio::test(flavor = "current_thread")]
async fn error_paths_never_show_the_jwt() {
    common::init_tracing();
    let (capture, _guard) = capture_tracing();
    let url = format!("wss://proxy.example/browser/cdp?jwt={JWT}");
    let server = MockServer::start().await;
    // A 404 whose error message quotes the URL.
    Mock::given(method("GET"))
        .and(path("/browsers/gone"))
        .respond_with(ResponseTemplate::new(404).set_body_json(serde_json::json!({
            "code": "not_found",
            "message": format!("no browser behind {url}"),
            "details": [{"code": "stale", "message": format!("{url} expired")}],
            "inner_error": {"message": url},
        })))
        .mount(&server)
        .await;
    // A 404 that is not the `Error` shape: the message is the raw body.
    Mock::given(method("GET"))
        .and(path("/browsers/html"))
        .respond_with(
            ResponseTemplate::new(404).set_body_string(format!("<a href=\"{url}\">gone</a>")),
        )
        .mount(&server)
        .await;
    // A 503 after retries: the retry warnings are traced too.
    Mock::given(method("GET"))
        .and(path("/browsers/busy"))
        .respond_with(ResponseTemplate::new(503).set_body_json(browser_with_jwt("busy")))
        .mount(&server)
        .await;
    // A browser that does not decode, at a field serde quotes the value of.
    let mut bad = browser_with_jwt("bad");
    bad["timeout_seconds"] = url.clone().into();
    Mock::given(method("GET"))
        .and(path("/browsers/bad"))
        .respond_with(ResponseTemplate::new(200).set_body_json(bad))
        .mount(&server)
        .await;
    // A browser that comes too late.
    Mock::given(method("GET"))
        .and(path_regex("^/browsers/slow"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(browser_with_jwt("slow"))
                .set_delay(Duration::from_secs(5)),
        )
        .mount(&server)
        .await;
    let kernel = client(&server.uri());
    let mut shown = Vec::new();

    let err = kernel.browsers().get("gone").send().await.unwrap_err();
    assert!(err.is_not_found());
    let api = err.api().unwrap();
    assert_eq!(
        api.message,
        "no browser behind wss://proxy.example/browser/cdp?jwt=[redacted]"
    );
    // The raw body is kept as the server sent it: the checks are not vacuous.
    assert!(api.body.contains(JWT));
    shown.push((
        "404 JSON",
        format!("{err} {err:?} {err:#?} {api} {api:?} {:?}", api.details),
    ));

    let err = kernel.browsers().get("html").send().await.unwrap_err();
    assert!(err.is_not_found());
    assert!(err.api().unwrap().body.contains(JWT));
    shown.push((
        "404 text",
        format!("{err} {err:?} {:?}", err.api().unwrap().message),
    ));

    let err = kernel.browsers().get("busy").send().await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(503));
    shown.push(("503", format!("{err} {err:?}")));

    let err = kernel.browsers().get("bad").send().await.unwrap_err();
    let Error::Decode(decode) = &err else {
        panic!("not a decode error: {err:?}")
    };
    assert!(!decode.body.is_empty());
    let text = format!("{err} {err:?} {err:#?} {decode} {decode:?}");
    assert!(
        text.contains("jwt=[redacted]"),
        "serde no longer quotes the value: {text}"
    );
    shown.push(("decode", text));

    // The same through `Kernel::request`, whose URL carries a token too.
    let err = kernel
        .request(reqwest::Method::GET, "/browsers/bad")
        .query("jwt", JWT)
        .send::<kernel::types::Browser>()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Decode(_)), "{err:?}");
    shown.push(("decode via request", format!("{err} {err:?}")));

    let quick = Kernel::builder()
        .api_key(API_KEY)
        .base_url(server.uri())
        .retry_policy(RetryPolicy::none())
        .timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    let err = quick
        .request(reqwest::Method::GET, "/browsers/slow")
        .query("jwt", JWT)
        .send::<kernel::types::Browser>()
        .await
        .unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    let text = format!("{err} {err:?}");
    assert!(
        text.contains("jwt=[redacted]"),
        "the URL is no longer shown: {text}"
    );
    shown.push(("timeout", text));
    // An id is percent-encoded into the path (`slow%3Fjwt=…`).
    let err = quick
        .browsers()
        .get(format!("slow?jwt={JWT}"))
        .send()
        .await
        .unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    let text = format!("{err} {err:?}");
    assert!(
        text.contains("slow%3Fjwt=[redacted]"),
        "the URL is no longer shown: {text}"
    );
    shown.push(("timeout, encoded id", text));

    let refused = Kernel::builder()
        .api_key(API_KEY)
        .base_url(refused_url())
        .retry_policy(common::fast_policy())
        .build()
        .unwrap();
    let err = refused
        .request(reqwest::Method::GET, "/browsers/b1")
        .query("jwt", JWT)
        .send::<serde_json::Value>()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Connection(_)), "{err:?}");
    let text = format!("{err} {err:?} {err:#?}");
    assert!(
        text.contains("jwt=[redacted]"),
        "the URL is no longer shown: {text}"
    );
    shown.push(("connection", text));

    for (what, text) in &shown {
        assert_no_jwt(what, text);
    }
    let text = capture.text();
    for traced in [
        "kernel error response",
        "retrying kernel request",
        "kernel request failed",
        // A transport error's URL, traced with its token hidden.
        "jwt=[redacted]",
    ] {
        assert!(text.contains(traced), "{traced:?} not traced: {text}");
    }
    assert_no_jwt("traces", &text);
}
