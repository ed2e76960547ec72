//! Every error shape becomes a typed `kernel::Error`, never a panic.

use crate::common::{browser_json, client, raw_server, API_KEY};
use kernel::{Error, Kernel, RetryPolicy};
use reqwest::StatusCode;
use std::collections::HashMap;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// A client that never retries, so each test sees exactly one response.
fn once(base: &str) -> Kernel {
    Kernel::builder()
        .api_key(API_KEY)
        .base_url(base)
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap()
}

async fn get_browser_error(server: &MockServer) -> Error {
    once(&server.uri())
        .browsers()
        .get("b1")
        .send()
        .await
        .unwrap_err()
}

#[tokio::test]
async fn json_error_body_is_decoded_with_headers() {
    let server = MockServer::start().await;
    let body = r#"{"code":"not_found","message":"browser b1 not found","details":[{"code":"missing","message":"no such session"}],"inner_error":{"code":"db","message":"row missing"}}"#;
    Mock::given(method("GET"))
        .and(path("/browsers/b1"))
        .respond_with(
            ResponseTemplate::new(404)
                .insert_header("content-type", "application/json")
                .insert_header("x-request-id", "req_123")
                .insert_header("x-custom", "kept")
                .set_body_string(body),
        )
        .expect(1)
        .mount(&server)
        .await;
    let err = get_browser_error(&server).await;
    assert!(err.is_not_found());
    assert!(!err.is_rate_limited() && !err.is_conflict() && !err.is_auth() && !err.is_timeout());
    assert_eq!(err.status(), Some(StatusCode::NOT_FOUND));
    let Error::Api(api) = &err else {
        panic!("expected Error::Api, got {err:?}")
    };
    assert_eq!(api.status, StatusCode::NOT_FOUND);
    assert_eq!(api.code.as_deref(), Some("not_found"));
    assert_eq!(api.message, "browser b1 not found");
    assert_eq!(api.details.len(), 1);
    assert_eq!(api.details[0].code.as_deref(), Some("missing"));
    assert_eq!(api.details[0].message.as_deref(), Some("no such session"));
    let inner = api.inner_error.as_ref().expect("inner_error");
    assert_eq!(inner.code.as_deref(), Some("db"));
    assert_eq!(inner.message.as_deref(), Some("row missing"));
    assert_eq!(api.request_id(), Some("req_123"));
    assert_eq!(api.headers.get("x-custom").unwrap(), "kept");
    assert_eq!(api.body, body);
    assert_eq!(api.json().unwrap()["code"], "not_found");
    let shown = err.to_string();
    assert!(
        shown.contains("404")
            && shown.contains("not_found")
            && shown.contains("browser b1 not found"),
        "{shown}"
    );
    assert!(err.api().is_some());
}

#[tokio::test]
async fn html_error_body_is_kept_as_text() {
    let server = MockServer::start().await;
    let html = "<html><body><h1>502 Bad Gateway</h1></body></html>";
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(502)
                .insert_header("content-type", "text/html")
                .set_body_string(html),
        )
        .mount(&server)
        .await;
    let err = get_browser_error(&server).await;
    let api = err.api().expect("Error::Api");
    assert_eq!(api.status, StatusCode::BAD_GATEWAY);
    assert_eq!(api.code, None);
    assert_eq!(api.message, html);
    assert_eq!(api.body, html);
    assert!(api.json().is_none());
    assert!(api.details.is_empty() && api.inner_error.is_none());
}

#[tokio::test]
async fn empty_error_body_uses_the_status_text() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&server)
        .await;
    let err = get_browser_error(&server).await;
    let api = err.api().expect("Error::Api");
    assert_eq!(api.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(api.message, "Service Unavailable");
    assert_eq!(api.body, "");
    assert_eq!(api.code, None);
}

#[tokio::test]
async fn wrong_shape_json_error_is_kept_raw() {
    let server = MockServer::start().await;
    let body = r#"{"code":5,"details":"text","inner_error":[1,2]}"#;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(400).set_body_string(body))
        .mount(&server)
        .await;
    let err = get_browser_error(&server).await;
    let api = err.api().expect("Error::Api");
    assert_eq!(api.status, StatusCode::BAD_REQUEST);
    assert_eq!(api.code, None);
    assert!(api.details.is_empty());
    assert!(api.inner_error.is_none());
    assert_eq!(api.message, body);
    assert_eq!(api.json().unwrap()["code"], 5);
}

#[tokio::test]
async fn conflict_on_create_connection_exposes_the_existing_id() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/auth/connections"))
        .respond_with(ResponseTemplate::new(409).set_body_json(serde_json::json!({
            "code": "already_exists",
            "message": "Auth connection already exists for this profile and domain",
            "existing_id": "conn_existing_1",
        })))
        .expect(1)
        .mount(&server)
        .await;
    // The default client: 409 is never retried.
    let kernel = client(&server.uri());
    let err = kernel
        .auth()
        .connections()
        .create()
        .domain("example.com")
        .profile_name("work")
        .send()
        .await
        .unwrap_err();
    assert!(err.is_conflict());
    let api = err.api().expect("Error::Api");
    assert_eq!(api.code.as_deref(), Some("already_exists"));
    assert_eq!(api.existing_id(), Some("conn_existing_1"));
    let typed = api.already_exists().expect("typed 409 body");
    assert_eq!(typed.existing_id, "conn_existing_1");
    assert_eq!(typed.code, "already_exists");
}

#[tokio::test]
async fn managed_auth_error_body_is_typed() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/auth/connections/conn_1/submit"))
        .respond_with(ResponseTemplate::new(422).set_body_json(serde_json::json!({
            "code": "credentials_invalid",
            "message": "The password was rejected",
            "details": "login form said: wrong password",
            "recoverable": true,
            "doc_url": "https://docs.example/errors#credentials_invalid",
        })))
        .mount(&server)
        .await;
    let err = client(&server.uri())
        .auth()
        .connections()
        .submit("conn_1")
        .fields(HashMap::from([("password".to_string(), "x".to_string())]))
        .send()
        .await
        .unwrap_err();
    let api = err.api().expect("Error::Api");
    assert_eq!(api.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(api.code.as_deref(), Some("credentials_invalid"));
    assert_eq!(api.message, "The password was rejected");
    // `details` is a string here, not the `Error` schema's array.
    assert!(api.details.is_empty());
    let typed = api.managed_auth().expect("ManagedAuthError");
    assert_eq!(typed.code.as_str(), "credentials_invalid");
    assert!(!typed.code.is_unknown());
    assert_eq!(typed.recoverable, Some(true));
    assert_eq!(
        typed.details.as_deref(),
        Some("login form said: wrong password")
    );
    assert!(api.already_exists().is_none(), "not a 409");
}

#[tokio::test]
async fn unknown_managed_auth_error_code_is_kept() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(400)
                .set_body_json(serde_json::json!({"code": "brand_new_code", "message": "new"})),
        )
        .mount(&server)
        .await;
    let err = client(&server.uri())
        .auth()
        .connections()
        .login("conn_1")
        .send()
        .await
        .unwrap_err();
    let typed = err
        .api()
        .unwrap()
        .managed_auth()
        .expect("an unknown code still decodes");
    assert!(typed.code.is_unknown());
    assert_eq!(typed.code.as_str(), "brand_new_code");
}

#[tokio::test]
async fn rate_limit_and_auth_predicates() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/browsers/limited"))
        .respond_with(ResponseTemplate::new(429))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/browsers/denied"))
        .respond_with(ResponseTemplate::new(401))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/browsers/forbidden"))
        .respond_with(ResponseTemplate::new(403))
        .mount(&server)
        .await;
    let kernel = once(&server.uri());
    let err = kernel.browsers().get("limited").send().await.unwrap_err();
    assert!(err.is_rate_limited() && !err.is_not_found());
    let err = kernel.browsers().get("denied").send().await.unwrap_err();
    assert!(err.is_auth() && !err.is_rate_limited());
    let err = kernel.browsers().get("forbidden").send().await.unwrap_err();
    assert!(err.is_auth());
}

#[tokio::test]
async fn malformed_success_body_is_a_decode_error_with_path_and_body() {
    let server = MockServer::start().await;
    let body = r#"{"cdp_ws_url":"wss://x","created_at":"2025-01-01T00:00:00Z","headless":false,"session_id":5,"stealth":true,"timeout_seconds":60,"webdriver_ws_url":"wss://y"}"#;
    Mock::given(method("GET"))
        .and(path("/browsers/b1"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("content-type", "application/json")
                .set_body_string(body),
        )
        .mount(&server)
        .await;
    let err = once(&server.uri())
        .browsers()
        .get("b1")
        .send()
        .await
        .unwrap_err();
    let Error::Decode(decode) = &err else {
        panic!("expected Error::Decode, got {err:?}")
    };
    assert_eq!(decode.path, "$.session_id");
    assert_eq!(&decode.body[..], body.as_bytes());
    assert!(err.to_string().contains("$.session_id"), "{err}");
}

#[tokio::test]
async fn malformed_item_in_a_list_points_at_the_item() {
    let server = MockServer::start().await;
    let good = browser_json("b0").to_string();
    let bad = r#"{"cdp_ws_url":"wss://x","created_at":"yesterday","headless":false,"session_id":"b1","stealth":true,"timeout_seconds":60,"webdriver_ws_url":"wss://y"}"#;
    let body = format!("[{good},{bad}]");
    Mock::given(method("GET"))
        .and(path("/browsers"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("content-type", "application/json")
                .set_body_string(body.clone()),
        )
        .mount(&server)
        .await;
    let err = once(&server.uri())
        .browsers()
        .list()
        .send()
        .await
        .unwrap_err();
    let Error::Decode(decode) = &err else {
        panic!("expected Error::Decode, got {err:?}")
    };
    assert_eq!(decode.path, "$[1].created_at");
    assert_eq!(&decode.body[..], body.as_bytes());
}

#[tokio::test]
async fn truncated_json_success_body_is_a_decode_error() {
    let server = MockServer::start().await;
    let body = r#"{"session_id":"b1","cdp_ws_url":"#;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_string(body))
        .mount(&server)
        .await;
    let err = once(&server.uri())
        .browsers()
        .get("b1")
        .send()
        .await
        .unwrap_err();
    let Error::Decode(decode) = &err else {
        panic!("expected Error::Decode, got {err:?}")
    };
    assert_eq!(&decode.body[..], body.as_bytes());
}

#[tokio::test]
async fn connection_dropped_mid_body_is_a_typed_error() {
    let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 500\r\n\r\n";
    let (base, _) = raw_server(format!("{head}{{\"session_id\":\"b1\",").into_bytes()).await;
    let err = once(&base).browsers().get("b1").send().await.unwrap_err();
    assert!(
        matches!(err, Error::Connection(_)),
        "expected Error::Connection, got {err:?}"
    );
    assert!(err.api().is_none());
}

#[tokio::test]
async fn connection_dropped_mid_error_body_is_a_typed_error() {
    let head = "HTTP/1.1 500 Internal Server Error\r\ncontent-type: application/json\r\ncontent-length: 500\r\n\r\n";
    let (base, _) = raw_server(format!("{head}{{\"code\":\"inter").into_bytes()).await;
    let err = once(&base).browsers().get("b1").send().await.unwrap_err();
    assert!(
        matches!(err, Error::Connection(_) | Error::Api(_)),
        "unexpected {err:?}"
    );
}

#[tokio::test]
async fn connection_closed_without_a_response_is_a_typed_error() {
    let (base, connections) = raw_server(Vec::new()).await;
    let err = once(&base).browsers().get("b1").send().await.unwrap_err();
    assert!(
        matches!(err, Error::Connection(_)),
        "expected Error::Connection, got {err:?}"
    );
    assert_eq!(connections.load(std::sync::atomic::Ordering::SeqCst), 1);
}

#[tokio::test]
async fn garbage_instead_of_http_is_a_typed_error() {
    let (base, connections) =
        raw_server(b"SSH-2.0-OpenSSH_9.6\r\n\x00\xff\xfe garbage".to_vec()).await;
    let err = once(&base).browsers().get("b1").send().await.unwrap_err();
    // Not HTTP is the server's fault, said as such, and not a lost
    // connection: it is not retried either.
    assert!(
        matches!(&err, Error::Protocol(what) if what.starts_with("malformed response")),
        "expected Error::Protocol, got {err:?}"
    );
    assert_eq!(connections.load(std::sync::atomic::Ordering::SeqCst), 1);
}

#[tokio::test]
async fn missing_path_parameter_is_an_invalid_request() {
    let kernel = once("http://127.0.0.1:1");
    let err = kernel
        .sys()
        .get_browsers_by_id()
        .send()
        .await
        .map_err(Error::from)
        .unwrap_err();
    assert!(
        matches!(err, Error::InvalidRequest(_)),
        "expected Error::InvalidRequest, got {err:?}"
    );
}

#[tokio::test]
async fn huge_error_body_is_capped() {
    let server = MockServer::start().await;
    let body = "x".repeat(3 << 20);
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(500).set_body_string(body))
        .mount(&server)
        .await;
    let err = get_browser_error(&server).await;
    let api = err.api().expect("Error::Api");
    assert!(
        api.body.len() <= 1 << 20,
        "error body kept whole: {} bytes",
        api.body.len()
    );
    assert!(api.message.chars().count() <= 501, "message not truncated");
}
