//! Authentication on every route, every spec operation served, `405`/`404`
//! for everything else.

use crate::common::{fast_mock, read, Api};
use kernel_mock::spec::{self, OPERATIONS};
use reqwest::Method;

fn concrete(path: &str) -> String {
    path.split('/')
        .map(|segment| {
            if segment.starts_with('{') {
                "x_mock_id"
            } else {
                segment
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[tokio::test]
async fn every_route_requires_the_bearer_token() {
    let mock = fast_mock().await;
    let api = Api::new(&mock);
    let mut checked = 0;
    let extra = [("GET", "/not/in/the/spec"), ("PUT", "/profiles")];
    let routes = OPERATIONS
        .iter()
        .map(|op| (op.method, op.path))
        .chain(extra);
    for (method, template) in routes {
        let method = Method::from_bytes(method.as_bytes()).unwrap();
        let url = api.url(&concrete(template));
        let variants: [(&str, Option<String>); 4] = [
            ("missing", None),
            ("wrong key", Some("Bearer not-the-key".to_owned())),
            ("wrong scheme", Some(format!("Basic {}", api.key))),
            ("bare key", Some(api.key.clone())),
        ];
        for (what, header) in variants {
            let mut request = api.http.request(method.clone(), &url).body("{}");
            if let Some(value) = header {
                request = request.header("authorization", value);
            }
            let reply = read(request.send().await.unwrap()).await;
            assert_eq!(reply.status, 401, "{method} {template} ({what})");
            assert_eq!(reply.body["code"], "unauthorized", "{method} {template}");
            assert!(reply.body["message"].is_string());
            assert!(reply
                .header("content-type")
                .unwrap()
                .starts_with("application/json"));
            checked += 1;
        }
    }
    assert!(checked >= OPERATIONS.len() * 4);
    // Nothing was created by rejected requests.
    assert_eq!(api.get("/profiles").await.body.as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn every_operation_of_the_spec_is_served() {
    let mock = fast_mock().await;
    let api = Api::new(&mock);
    let unserved: Vec<&str> = OPERATIONS
        .iter()
        .filter(|op| !spec::is_implemented(op.id))
        .map(|op| op.id)
        .collect();
    assert!(unserved.is_empty(), "not served: {unserved:?}");
    for op in OPERATIONS.iter().filter(|op| !op.streaming) {
        let method = Method::from_bytes(op.method.as_bytes()).unwrap();
        let reply = api
            .send(method, &concrete(op.path), Some(serde_json::json!({})))
            .await;
        assert_ne!(
            reply.status, 501,
            "{} {} {}: {:?}",
            op.id, op.method, op.path, reply.body
        );
        assert!(
            reply.status.as_u16() < 500,
            "{} {} {}: {} {:?}",
            op.id,
            op.method,
            op.path,
            reply.status,
            reply.body
        );
    }
}

#[tokio::test]
async fn other_methods_and_paths() {
    let mock = fast_mock().await;
    let api = Api::new(&mock);
    let reply = api.send(Method::PUT, "/profiles", None).await;
    assert_eq!(reply.status, 405);
    assert_eq!(reply.header("allow"), Some("GET, POST"));
    assert_eq!(reply.body["code"], "method_not_allowed");
    let reply = api.get("/not/in/the/spec").await;
    assert_eq!(reply.status, 404);
    assert_eq!(reply.body["code"], "not_found");
    // A literal segment that is also an id position.
    assert_eq!(api.get("/agents/auth/invocations").await.status, 404);
}

#[tokio::test]
async fn malformed_json_is_a_400_with_an_error_body() {
    let mock = fast_mock().await;
    let api = Api::new(&mock);
    for (method, path) in [
        ("POST", "/auth/connections"),
        ("POST", "/credentials"),
        ("POST", "/profiles"),
        ("POST", "/browsers"),
        ("POST", "/invocations"),
        ("POST", "/agents/auth"),
        ("POST", "/agents/auth/invocations"),
        ("PATCH", "/credentials/x"),
    ] {
        // The last body has a wrong type for a field of every schema.
        let wrong_type = "{\"name\": 5, \"domain\": 5, \"headless\": \"yes\", \"auth_agent_id\": 5, \"app_name\": 5}";
        for body in ["{", "[1,2]", "\"str\"", "", wrong_type] {
            if body.is_empty() && matches!(path, "/profiles" | "/browsers") {
                continue; // optional bodies
            }
            let request = api
                .http
                .request(
                    Method::from_bytes(method.as_bytes()).unwrap(),
                    api.url(path),
                )
                .bearer_auth(&api.key)
                .header("content-type", "application/json")
                .body(body);
            let reply = read(request.send().await.unwrap()).await;
            assert!(
                reply.status == 400 || (reply.status == 404 && path == "/credentials/x"),
                "{method} {path} {body}: {} {:?}",
                reply.status,
                reply.body
            );
            assert!(reply.body["code"].is_string() && reply.body["message"].is_string());
        }
    }
}
