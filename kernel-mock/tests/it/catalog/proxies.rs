//! Proxies: round trips, soft deletion and deterministic health checks.

use reqwest::Method;
use serde_json::{json, Value};

use super::assert_error;
use crate::common::{fast_mock, Api};

#[tokio::test]
async fn proxies_round_trip_and_soft_delete() {
    let mock = fast_mock().await;
    let api = Api::new(&mock);
    let created = api
        .post(
            "/proxies",
            json!({ "type": "residential", "name": "home", "config": { "country": "US", "city": "sanfrancisco" } }),
        )
        .await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    let id = created.body["id"].as_str().unwrap().to_owned();
    assert_eq!(created.body["type"], "residential");
    assert_eq!(created.body["protocol"], "https");
    assert!(created.body.get("status").is_none());
    let other = api
        .post("/proxies", json!({ "type": "isp", "protocol": "http" }))
        .await;
    assert_eq!(other.status, 201);

    let listed = api.get("/proxies").await;
    assert_eq!(listed.status, 200);
    assert_eq!(listed.body.as_array().unwrap().len(), 2);
    assert_eq!(api.get(&format!("/proxies/{id}")).await.body, created.body);
    assert_eq!(api.get("/proxies/home").await.body["id"], id.as_str());

    for (body, why) in [
        (
            json!({ "type": "residential", "name": "home" }),
            "duplicate name",
        ),
        (
            json!({ "type": "isp", "config": { "city": "x" } }),
            "field of another type",
        ),
        (
            json!({ "type": "residential", "config": { "city": "x" } }),
            "city without country",
        ),
        (
            json!({ "type": "custom", "config": { "host": "h", "port": 70000 } }),
            "port range",
        ),
        (
            json!({ "type": "custom", "config": { "port": 1 } }),
            "no host",
        ),
        (
            json!({ "type": "mobile", "config": { "carrier": "pigeon" } }),
            "unknown carrier",
        ),
        (
            json!({ "type": "datacenter", "protocol": "socks5" }),
            "unknown protocol",
        ),
        (json!({ "type": "datacenter", "extra": 1 }), "unknown field"),
    ] {
        let reply = api.post("/proxies", body).await;
        assert_eq!(reply.status, 400, "{why}: {:?}", reply.body);
    }

    assert_eq!(api.delete(&format!("/proxies/{id}")).await.status, 204);
    assert_error(&api.get(&format!("/proxies/{id}")).await, 404);
    assert_error(&api.delete(&format!("/proxies/{id}")).await, 404);
    assert_error(
        &api.post(&format!("/proxies/{id}/check"), json!({})).await,
        404,
    );
    assert_eq!(api.get("/proxies").await.body.as_array().unwrap().len(), 1);
    // The name is free again once the proxy is deleted.
    let reused = api
        .post("/proxies", json!({ "type": "datacenter", "name": "home" }))
        .await;
    assert_eq!(reused.status, 201);
}

#[tokio::test]
async fn proxy_checks_are_deterministic() {
    let mock = fast_mock().await;
    let api = Api::new(&mock);
    let create = |host: &str, port: u16| json!({ "type": "custom", "config": { "host": host, "port": port, "password": "s3cret" } });
    let good = api.post("/proxies", create("10.0.0.7", 3128)).await.body;
    let bad_host = api
        .post("/proxies", create("proxy.invalid", 3128))
        .await
        .body;
    let bad_port = api
        .post("/proxies", create("proxy.example.com", 0))
        .await
        .body;
    assert!(!good.to_string().contains("s3cret"));

    let check = |proxy: &Value| format!("/proxies/{}/check", proxy["id"].as_str().unwrap());
    let passed = api.send(Method::POST, &check(&good), None).await;
    assert_eq!(passed.status, 200);
    assert_eq!(passed.body["status"], "available");
    assert_eq!(passed.body["ip_address"], "10.0.0.7");
    assert!(passed.body["last_checked"].is_string());
    for proxy in [&bad_host, &bad_port] {
        let failed = api.post(&check(proxy), json!({})).await;
        assert_eq!(failed.status, 200);
        assert_eq!(failed.body["status"], "unavailable");
        let stored = api
            .get(&format!("/proxies/{}", proxy["id"].as_str().unwrap()))
            .await;
        assert_eq!(stored.body["status"], "unavailable");
    }

    // A target URL: its result is answered, the stored health is kept.
    let unreachable = api
        .post(&check(&good), json!({ "url": "https://site.invalid/" }))
        .await;
    assert_eq!(unreachable.status, 200);
    assert_eq!(unreachable.body["status"], "unavailable");
    let reachable = api
        .post(&check(&good), json!({ "url": "https://example.com/" }))
        .await;
    assert_eq!(reachable.body["status"], "available");
    let stored = api
        .get(&format!("/proxies/{}", good["id"].as_str().unwrap()))
        .await;
    assert_eq!(stored.body["status"], "available");
    for url in ["ftp://example.com", "http://127.0.0.1:8080/", "not a url"] {
        assert_error(&api.post(&check(&good), json!({ "url": url })).await, 400);
    }
    assert_error(&api.post(&check(&good), json!({ "uri": "x" })).await, 400);
}

#[tokio::test]
async fn browsers_and_connections_use_existing_proxies_only() {
    let mock = fast_mock().await;
    let api = Api::new(&mock);
    let proxy = api
        .post("/proxies", json!({ "name": "dc", "type": "datacenter" }))
        .await;
    assert_eq!(proxy.status, 201, "{:?}", proxy.body);
    let proxy_id = proxy.body["id"].as_str().unwrap().to_owned();

    let browser = api.post("/browsers", json!({ "proxy_id": proxy_id })).await;
    assert_eq!(browser.status, 200, "{:?}", browser.body);
    assert_eq!(browser.body["proxy_id"], proxy_id.as_str());
    let id = browser.body["session_id"].as_str().unwrap().to_owned();
    let patched = api
        .patch(&format!("/browsers/{id}"), json!({ "proxy_id": "" }))
        .await;
    assert_eq!(patched.status, 200, "{:?}", patched.body);
    assert!(patched.body.get("proxy_id").is_none_or(Value::is_null));
    let patched = api
        .patch(&format!("/browsers/{id}"), json!({ "proxy_id": "dc" }))
        .await;
    assert_eq!(patched.body["proxy_id"], proxy_id.as_str());
    assert_error(
        &api.post("/browsers", json!({ "proxy_id": "nope" })).await,
        400,
    );

    let connection = api
        .post(
            "/auth/connections",
            json!({ "domain": "password.example", "profile_name": "p", "proxy": { "name": "dc" } }),
        )
        .await;
    assert_eq!(connection.status, 201, "{:?}", connection.body);
    assert_eq!(connection.body["proxy_id"], proxy_id.as_str());
    assert_error(
        &api.post(
            "/auth/connections",
            json!({ "domain": "totp.example", "profile_name": "p", "proxy": { "id": "nope" } }),
        )
        .await,
        400,
    );
}
