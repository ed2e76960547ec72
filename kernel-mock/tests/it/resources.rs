//! CRUD endpoints: credentials (and TOTP codes), profiles, auth connections,
//! browsers, invocations; pagination headers; invocation event streams.

use std::time::Duration;

use crate::common::{fast_mock, Api};
use serde_json::{json, Value};

#[tokio::test]
async fn credentials_crud_never_returns_values() {
    let mock = fast_mock().await;
    let api = Api::new(&mock);
    let created = api
        .post(
            "/credentials",
            json!({ "name": "c1", "domain": "Example.com", "values": { "username": "u", "password": "p" },
                    "totp_secret": "jbsw y3dp ehpk 3pxp" }),
        )
        .await;
    assert_eq!(created.status, 201);
    let body = &created.body;
    assert_eq!(body["name"], "c1");
    assert_eq!(body["domain"], "example.com");
    assert_eq!(body["has_values"], true);
    assert_eq!(body["has_totp_secret"], true);
    assert_eq!(body["totp_code"].as_str().unwrap().len(), 6);
    assert!(body["totp_code_expires_at"].is_string());
    assert!(body.get("values").is_none() && body.get("totp_secret").is_none());
    let id = body["id"].as_str().unwrap().to_owned();

    // By id and by name; no code outside create/update.
    for key in [id.as_str(), "c1"] {
        let got = api.get(&format!("/credentials/{key}")).await;
        assert_eq!(got.status, 200);
        assert_eq!(got.body["id"], id.as_str());
        assert!(got.body.get("totp_code").is_none());
        assert!(got.body.get("values").is_none());
    }
    // Duplicate name.
    let dup = api
        .post(
            "/credentials",
            json!({ "name": "c1", "domain": "x", "values": {} }),
        )
        .await;
    assert_eq!(dup.status, 409);
    // Invalid base32 and missing fields.
    assert_eq!(
        api.post(
            "/credentials",
            json!({ "name": "c2", "domain": "x", "values": {}, "totp_secret": "!!" })
        )
        .await
        .status,
        400
    );
    assert_eq!(
        api.post("/credentials", json!({ "name": "c2", "values": {} }))
            .await
            .status,
        400
    );

    // TOTP code endpoint: the RFC 6238 code of the stored secret.
    let code = api.get("/credentials/c1/totp-code").await;
    assert_eq!(code.status, 200);
    let now = kernel_mock::totp::now_unix();
    let value = code.body["code"].as_str().unwrap();
    assert!(kernel_mock::totp::verify("JBSWY3DPEHPK3PXP", value, now));
    let expires: chrono::DateTime<chrono::Utc> =
        code.body["expires_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(expires.timestamp() % 30, 0);

    // Update merges values, renames, removes the secret.
    let updated = api
        .patch(
            "/credentials/c1",
            json!({ "name": "c1-renamed", "values": { "otp_email": "e" }, "totp_secret": "" }),
        )
        .await;
    assert_eq!(updated.status, 200);
    assert_eq!(updated.body["name"], "c1-renamed");
    assert_eq!(updated.body["has_totp_secret"], false);
    let values = mock.credential_values("c1-renamed").unwrap();
    assert_eq!(values.len(), 3);
    assert_eq!(
        api.get("/credentials/c1-renamed/totp-code").await.status,
        404
    );
    let with_secret = api
        .patch(
            "/credentials/c1-renamed",
            json!({ "totp_secret": "GEZDGNBVGY3TQOJQ" }),
        )
        .await;
    assert!(with_secret.body["totp_code"].is_string());
    let sso = api
        .patch(
            "/credentials/c1-renamed",
            json!({ "sso_provider": "google" }),
        )
        .await;
    assert_eq!(sso.body["sso_provider"], "google");
    let cleared = api
        .patch("/credentials/c1-renamed", json!({ "sso_provider": null }))
        .await;
    assert!(cleared.body.get("sso_provider").is_none());

    // List with the domain filter.
    api.post(
        "/credentials",
        json!({ "name": "other", "domain": "other.com", "values": {} }),
    )
    .await;
    let list = api.get("/credentials?domain=example.com").await;
    assert_eq!(list.status, 200);
    assert_eq!(list.body.as_array().unwrap().len(), 1);
    assert_eq!(list.header("x-has-more"), Some("false"));

    assert_eq!(api.delete("/credentials/c1-renamed").await.status, 204);
    assert_eq!(api.get("/credentials/c1-renamed").await.status, 404);
    assert_eq!(api.delete("/credentials/c1-renamed").await.status, 404);
    assert_eq!(api.get("/credentials/nope/totp-code").await.status, 404);
}

#[tokio::test]
async fn profiles_crud_and_pagination_headers() {
    let mock = fast_mock().await;
    let api = Api::new(&mock);
    for i in 0..5 {
        let reply = api
            .post("/profiles", json!({ "name": format!("profile-{i}") }))
            .await;
        assert_eq!(reply.status, 201);
        assert!(reply.body["id"].is_string() && reply.body["created_at"].is_string());
    }
    let unnamed = api.post("/profiles", json!({})).await;
    assert_eq!(unnamed.status, 201);
    assert_eq!(
        api.post("/profiles", json!({ "name": "profile-0" }))
            .await
            .status,
        409
    );

    let page = api.get("/profiles?limit=2&offset=1").await;
    assert_eq!(page.status, 200);
    let items = page.body.as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["name"], "profile-1");
    assert_eq!(page.header("x-limit"), Some("2"));
    assert_eq!(page.header("x-offset"), Some("1"));
    assert_eq!(page.header("x-has-more"), Some("true"));
    assert_eq!(page.header("x-next-offset"), Some("3"));
    let last = api.get("/profiles?limit=2&offset=4").await;
    assert_eq!(last.body.as_array().unwrap().len(), 2);
    assert_eq!(last.header("x-has-more"), Some("false"));
    assert_eq!(last.header("x-next-offset"), None);
    assert_eq!(api.get("/profiles?limit=0").await.status, 400);
    assert_eq!(api.get("/profiles?limit=101").await.status, 400);
    assert_eq!(api.get("/profiles?offset=-1").await.status, 400);
    let search = api.get("/profiles?query=PROFILE-3").await;
    assert_eq!(search.body.as_array().unwrap().len(), 1);

    assert_eq!(
        api.get("/profiles/profile-2").await.body["name"],
        "profile-2"
    );
    assert_eq!(api.delete("/profiles/profile-2").await.status, 204);
    assert_eq!(api.get("/profiles/profile-2").await.status, 404);
    assert_eq!(api.delete("/profiles/profile-2").await.status, 404);
}

#[tokio::test]
async fn auth_connections_crud_filters_and_conflict() {
    let mock = fast_mock().await;
    let api = Api::new(&mock);
    let id = api
        .connection(
            "password.example",
            "work",
            json!({ "allowed_domains": ["login.password.example"], "health_check_interval": 3600, "save_credentials": false }),
        )
        .await;
    let got = api.get(&format!("/auth/connections/{id}")).await;
    assert_eq!(got.status, 200);
    let body = &got.body;
    assert_eq!(body["status"], "NEEDS_AUTH");
    assert_eq!(body["save_credentials"], false);
    assert_eq!(body["record_session"], false);
    assert_eq!(body["can_reauth"], false);
    assert_eq!(body["can_reauth_reason"], "no_prior_successful_login");
    assert!(body.get("flow_status").is_none());
    // The profile was created automatically.
    assert_eq!(api.get("/profiles/work").await.status, 200);

    // 409 with the existing id.
    let dup = api
        .post(
            "/auth/connections",
            json!({ "domain": "password.example", "profile_name": "work" }),
        )
        .await;
    assert_eq!(dup.status, 409);
    assert_eq!(dup.body["code"], "already_exists");
    assert_eq!(dup.body["existing_id"], id.as_str());

    // Validation.
    for bad in [
        json!({ "domain": "", "profile_name": "x" }),
        json!({ "domain": "a.example" }),
        json!({ "domain": "a.example", "profile_name": "x", "health_check_interval": 10 }),
        json!({ "domain": "a.example", "profile_name": "x", "credential": { "name": "missing" } }),
        json!({ "domain": "a.example", "profile_name": "x", "login_url": "not a url" }),
        json!({ "domain": "a.example", "profile_name": "x", "unknown": 1 }),
    ] {
        let reply = api.post("/auth/connections", bad.clone()).await;
        assert_eq!(reply.status, 400, "{bad}");
        assert_eq!(reply.body["code"], "bad_request");
    }

    api.connection("sso.example", "work", json!({})).await;
    api.connection("sso.example", "home", json!({})).await;
    let by_profile = api.get("/auth/connections?profile_name=work").await;
    assert_eq!(by_profile.body.as_array().unwrap().len(), 2);
    let by_domain = api
        .get("/auth/connections?domain=sso.example&limit=1")
        .await;
    assert_eq!(by_domain.body.as_array().unwrap().len(), 1);
    assert_eq!(by_domain.header("x-has-more"), Some("true"));
    assert_eq!(by_domain.header("x-next-offset"), Some("1"));

    // Patch.
    api.post(
        "/credentials",
        json!({ "name": "cred", "domain": "password.example", "values": {} }),
    )
    .await;
    let patched = api
        .patch(
            &format!("/auth/connections/{id}"),
            json!({ "credential": { "name": "cred" }, "login_url": "https://password.example/login", "record_session": true }),
        )
        .await;
    assert_eq!(patched.status, 200, "{:?}", patched.body);
    assert_eq!(patched.body["credential"]["name"], "cred");
    assert_eq!(patched.body["login_url"], "https://password.example/login");
    assert_eq!(patched.body["record_session"], true);
    assert_eq!(patched.body["can_reauth_reason"], "has_credential");
    assert_eq!(
        api.patch(
            &format!("/auth/connections/{id}"),
            json!({ "health_check_interval": 1 })
        )
        .await
        .status,
        400
    );
    assert_eq!(
        api.patch("/auth/connections/ma_missing", json!({}))
            .await
            .status,
        404
    );

    assert_eq!(
        api.delete(&format!("/auth/connections/{id}")).await.status,
        204
    );
    assert_eq!(
        api.delete(&format!("/auth/connections/{id}")).await.status,
        404
    );
    assert_eq!(api.get("/auth/connections/ma_missing").await.status, 404);
    assert_eq!(
        api.get("/auth/connections/ma_missing/events").await.status,
        404
    );
}

#[tokio::test]
async fn browsers_crud_profiles_and_pagination() {
    let mock = fast_mock().await;
    let api = Api::new(&mock);
    api.post("/profiles", json!({ "name": "p1" })).await;
    let browser = api
        .post(
            "/browsers",
            json!({ "profile": { "name": "p1" }, "stealth": true, "viewport": { "width": 1280, "height": 800 },
                    "start_url": "https://shop.example/", "timeout_seconds": 120 }),
        )
        .await;
    assert_eq!(browser.status, 200, "{:?}", browser.body);
    let b = &browser.body;
    assert_eq!(b["stealth"], true);
    assert_eq!(b["headless"], false);
    assert_eq!(b["timeout_seconds"], 120);
    assert_eq!(b["profile"]["name"], "p1");
    assert_eq!(b["viewport"]["width"], 1280);
    let cdp = b["cdp_ws_url"].as_str().unwrap();
    assert!(
        cdp.starts_with("ws://") && cdp.contains("/browser/cdp?jwt="),
        "{cdp}"
    );
    let id = b["session_id"].as_str().unwrap().to_owned();

    // Empty body, and missing or invalid profiles.
    let bare = api.send(reqwest::Method::POST, "/browsers", None).await;
    assert_eq!(bare.status, 200);
    assert_eq!(bare.body["timeout_seconds"], 60);
    for bad in [
        json!({ "profile": { "name": "missing" } }),
        json!({ "profile": { "id": "prof_missing" } }),
        json!({ "profile": { "name": "bad name!" } }),
        json!({ "profile": {} }),
        json!({ "timeout_seconds": 5 }),
        json!({ "headless": true, "gpu": true }),
    ] {
        assert_eq!(
            api.post("/browsers", bad.clone()).await.status,
            400,
            "{bad}"
        );
    }
    for _ in 0..3 {
        api.post("/browsers", json!({ "headless": true })).await;
    }
    let page = api.get("/browsers?limit=2").await;
    assert_eq!(page.body.as_array().unwrap().len(), 2);
    assert_eq!(page.header("x-limit"), Some("2"));
    assert_eq!(page.header("x-offset"), Some("0"));
    assert_eq!(page.header("x-has-more"), Some("true"));
    assert_eq!(page.header("x-next-offset"), Some("2"));
    let rest = api.get("/browsers?limit=2&offset=4").await;
    assert_eq!(rest.body.as_array().unwrap().len(), 1);
    assert_eq!(rest.header("x-has-more"), Some("false"));
    assert!(rest.header("x-next-offset").is_none());

    assert_eq!(api.get(&format!("/browsers/{id}")).await.status, 200);
    assert_eq!(api.delete(&format!("/browsers/{id}")).await.status, 204);
    assert_eq!(api.get(&format!("/browsers/{id}")).await.status, 404);
    let deleted = api
        .get(&format!("/browsers/{id}?include_deleted=true"))
        .await;
    assert_eq!(deleted.status, 200);
    assert!(deleted.body["deleted_at"].is_string());
    assert_eq!(api.get("/browsers").await.body.as_array().unwrap().len(), 4);
    assert_eq!(
        api.get("/browsers?status=deleted")
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        api.get("/browsers?status=all")
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        5
    );
    let search = api.get(&format!("/browsers?status=all&query={id}")).await;
    assert_eq!(search.body.as_array().unwrap().len(), 1);
    assert_eq!(api.delete(&format!("/browsers/{id}")).await.status, 404);
}

#[tokio::test]
async fn invocations_run_and_stream_events() {
    let mock = fast_mock().await;
    let api = Api::new(&mock);
    let queued = api
        .post(
            "/invocations",
            json!({ "app_name": "shop", "version": "1.0.0", "action_name": "checkout", "payload": "{\"sku\":42}", "async": true }),
        )
        .await;
    assert_eq!(queued.status, 202);
    assert_eq!(queued.body["status"], "queued");
    let id = queued.body["id"].as_str().unwrap().to_owned();

    let mut events = api.sse(&format!("/invocations/{id}/events"), None).await;
    let mut kinds = Vec::new();
    let mut statuses = Vec::new();
    while let Some(frame) = events.next_event(Duration::from_secs(10)).await {
        let value = frame.json();
        assert_eq!(frame.event.as_deref(), value["event"].as_str());
        kinds.push(value["event"].as_str().unwrap().to_owned());
        if value["event"] == "invocation_state" {
            statuses.push(value["invocation"]["status"].as_str().unwrap().to_owned());
        }
    }
    assert_eq!(events.ended, Some(crate::common::StreamEnd::Clean));
    assert_eq!(statuses, ["queued", "running", "succeeded"]);
    assert!(kinds.iter().filter(|k| *k == "log").count() >= 3);

    let got = api.get(&format!("/invocations/{id}")).await;
    assert_eq!(got.body["status"], "succeeded");
    let output: Value = serde_json::from_str(got.body["output"].as_str().unwrap()).unwrap();
    assert_eq!(output["echo"]["sku"], 42);
    assert!(got.body["finished_at"].is_string());

    // A finished invocation replays its events and ends.
    let mut replay = api.sse(&format!("/invocations/{id}/events"), None).await;
    let mut count = 0;
    while replay.next_event(Duration::from_secs(5)).await.is_some() {
        count += 1;
    }
    assert_eq!(count, kinds.len());

    // Synchronous invocation waits; mock_fail fails.
    let sync = api
        .post("/invocations", json!({ "app_name": "shop", "version": "1", "action_name": "a", "payload": "{\"mock_fail\":true}" }))
        .await;
    assert_eq!(sync.status, 200);
    assert_eq!(sync.body["status"], "failed");
    assert!(sync.body["status_reason"].is_string());

    let list = api.get("/invocations?status=succeeded").await;
    assert_eq!(list.body.as_array().unwrap().len(), 1);
    assert_eq!(api.get("/invocations?status=bogus").await.status, 400);
    assert_eq!(
        api.get("/invocations?since=5m")
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(api.get("/invocations?since=garbage").await.status, 400);
    assert_eq!(api.get("/invocations/inv_missing").await.status, 404);
    assert_eq!(api.get("/invocations/inv_missing/events").await.status, 404);
    assert_eq!(
        api.post("/invocations", json!({ "app_name": "a" }))
            .await
            .status,
        400
    );

    // Cancel via PATCH.
    let slow = api
        .post(
            "/invocations",
            json!({ "app_name": "shop", "version": "1", "action_name": "a", "async": true }),
        )
        .await;
    let slow_id = slow.body["id"].as_str().unwrap();
    let patched = api
        .patch(
            &format!("/invocations/{slow_id}"),
            json!({ "status": "failed" }),
        )
        .await;
    assert_eq!(patched.status, 200);
    assert_eq!(patched.body["status"], "failed");
    assert_eq!(
        api.patch(
            &format!("/invocations/{slow_id}"),
            json!({ "status": "queued" })
        )
        .await
        .status,
        400
    );
}
