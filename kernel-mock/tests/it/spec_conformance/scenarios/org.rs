//! Organization resources: projects (both path families) and their limits,
//! API keys, credential providers and logins through them, handoff-code
//! exchange, and the event stream of a connection without a login.

use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Value};

use crate::spec_conformance::recorder::Recorder;

pub async fn scenario(r: &Recorder) {
    projects(r).await;
    api_keys(r).await;
    credential_providers(r).await;
    exchange(r).await;
}

fn id_of(body: &Value) -> String {
    body["id"].as_str().expect("id").to_owned()
}

async fn projects(r: &Recorder) {
    use Method as M;
    let alpha = r
        .expect(
            M::POST,
            "/org/projects",
            Some(json!({ "name": "alpha" })),
            201,
        )
        .await;
    let alpha = id_of(&alpha);
    let beta = r
        .expect(M::POST, "/projects", Some(json!({ "name": "beta" })), 201)
        .await;
    let beta = id_of(&beta);
    r.expect(
        M::POST,
        "/org/projects",
        Some(json!({ "name": "beta" })),
        409,
    )
    .await;
    r.expect(M::POST, "/projects", Some(json!({ "name": "alpha" })), 409)
        .await;
    r.expect(M::POST, "/org/projects", Some(json!({ "name": " " })), 400)
        .await;
    r.expect(M::POST, "/projects", Some(json!({})), 400).await;
    r.expect(M::GET, "/org/projects", None, 200).await;
    r.expect(M::GET, "/projects?limit=1", None, 200).await;
    let found = r
        .send_raw(M::GET, "/org/projects", |req| {
            req.query(&[("query", "ALP")])
        })
        .await;
    assert_eq!(found.status, 200);
    assert!(found.content_type.starts_with("application/json"));
    assert_eq!(found.headers["x-has-more"], "false");
    let matches: Value = serde_json::from_slice(&found.bytes).expect("JSON list");
    assert_eq!(matches.as_array().map(Vec::len), Some(1), "{matches:#}");
    for base in ["/org/projects", "/projects"] {
        r.expect(M::GET, &format!("{base}/{alpha}"), None, 200)
            .await;
        r.expect(M::GET, &format!("{base}/proj_missing"), None, 404)
            .await;
        r.expect(
            M::PATCH,
            &format!("{base}/proj_missing"),
            Some(json!({ "name": "x" })),
            404,
        )
        .await;
        r.expect(M::GET, &format!("{base}/{alpha}/limits"), None, 200)
            .await;
        r.expect(M::GET, &format!("{base}/proj_missing/limits"), None, 404)
            .await;
        r.expect(
            M::PATCH,
            &format!("{base}/{alpha}/limits"),
            Some(json!({ "max_concurrent_sessions": 5, "max_pooled_sessions": 0 })),
            200,
        )
        .await;
        r.expect(
            M::PATCH,
            &format!("{base}/{alpha}/limits"),
            Some(json!({ "max_concurrent_invocations": -1 })),
            400,
        )
        .await;
        r.expect(
            M::PATCH,
            &format!("{base}/proj_missing/limits"),
            Some(json!({})),
            404,
        )
        .await;
        r.expect(M::DELETE, &format!("{base}/proj_missing"), None, 404)
            .await;
    }
    r.expect(
        M::PATCH,
        &format!("/org/projects/{alpha}"),
        Some(json!({ "status": "archived" })),
        200,
    )
    .await;
    r.expect(
        M::PATCH,
        &format!("/projects/{beta}"),
        Some(json!({ "name": "alpha" })),
        409,
    )
    .await;
    r.expect(
        M::PATCH,
        &format!("/projects/{beta}"),
        Some(json!({ "status": "frozen" })),
        400,
    )
    .await;
    r.expect(
        M::PATCH,
        &format!("/projects/{beta}"),
        Some(json!({ "name": "gamma", "status": "active" })),
        200,
    )
    .await;
    // A project with an API key is not empty.
    let key = r
        .expect(
            M::POST,
            "/org/api_keys",
            Some(json!({ "name": "scoped", "project_id": beta })),
            201,
        )
        .await;
    r.expect(M::DELETE, &format!("/org/projects/{beta}"), None, 409)
        .await;
    r.expect(
        M::DELETE,
        &format!("/org/api_keys/{}", id_of(&key)),
        None,
        204,
    )
    .await;
    r.expect(M::DELETE, &format!("/projects/{beta}"), None, 204)
        .await;
    r.expect(M::DELETE, &format!("/org/projects/{alpha}"), None, 204)
        .await;
    r.expect(M::GET, &format!("/org/projects/{alpha}"), None, 404)
        .await;
}

async fn api_keys(r: &Recorder) {
    use Method as M;
    let project = r
        .expect(
            M::POST,
            "/org/projects",
            Some(json!({ "name": "keys" })),
            201,
        )
        .await;
    let project = id_of(&project);
    let created = r
        .expect(M::POST, "/org/api_keys", Some(json!({ "name": "ci" })), 201)
        .await;
    let id = id_of(&created);
    r.expect(
        M::POST,
        "/org/api_keys",
        Some(json!({ "name": "expiring", "days_to_expire": 30, "project_id": project })),
        201,
    )
    .await;
    r.expect(
        M::POST,
        "/org/api_keys",
        Some(json!({ "name": "never", "days_to_expire": null, "project_id": null })),
        201,
    )
    .await;
    r.expect(
        M::POST,
        "/org/api_keys",
        Some(json!({ "name": "x", "project_id": "proj_missing" })),
        404,
    )
    .await;
    r.expect(M::POST, "/org/api_keys", Some(json!({ "name": "" })), 400)
        .await;
    r.expect(
        M::POST,
        "/org/api_keys",
        Some(json!({ "name": "x", "days_to_expire": 3651 })),
        400,
    )
    .await;
    r.expect(M::GET, "/org/api_keys", None, 200).await;
    r.expect(M::GET, "/org/api_keys?limit=1&offset=1", None, 200)
        .await;
    r.expect(M::GET, &format!("/org/api_keys/{id}"), None, 200)
        .await;
    r.expect(M::GET, "/org/api_keys/key_missing", None, 404)
        .await;
    r.expect(
        M::PATCH,
        &format!("/org/api_keys/{id}"),
        Some(json!({ "name": "ci-renamed" })),
        200,
    )
    .await;
    r.expect(
        M::PATCH,
        &format!("/org/api_keys/{id}"),
        Some(json!({ "name": "" })),
        400,
    )
    .await;
    r.expect(
        M::PATCH,
        "/org/api_keys/key_missing",
        Some(json!({ "name": "x" })),
        404,
    )
    .await;
    r.expect(M::DELETE, &format!("/org/api_keys/{id}"), None, 204)
        .await;
    r.expect(M::DELETE, &format!("/org/api_keys/{id}"), None, 404)
        .await;
}

async fn credential_providers(r: &Recorder) {
    use Method as M;
    let base = "/org/credential_providers";
    let provider = r
        .expect(
            M::POST,
            base,
            Some(json!({ "provider_type": "onepassword", "name": "org-1p", "token": "ops_valid", "cache_ttl_seconds": 60 })),
            201,
        )
        .await;
    let id = id_of(&provider);
    let bad = r
        .expect(
            M::POST,
            base,
            Some(json!({ "provider_type": "onepassword", "name": "org-bad", "token": "nope" })),
            201,
        )
        .await;
    let bad = id_of(&bad);
    r.expect(
        M::POST,
        base,
        Some(json!({ "provider_type": "onepassword", "name": "org-1p", "token": "ops_x" })),
        409,
    )
    .await;
    r.expect(
        M::POST,
        base,
        Some(json!({ "provider_type": "bitwarden", "name": "bw", "token": "t" })),
        400,
    )
    .await;
    r.expect(
        M::POST,
        base,
        Some(json!({ "provider_type": "onepassword", "name": "no-token" })),
        400,
    )
    .await;
    r.expect(M::GET, base, None, 200).await;
    r.expect(M::GET, &format!("{base}/{id}"), None, 200).await;
    r.expect(M::GET, &format!("{base}/credprov_missing"), None, 404)
        .await;
    r.expect(
        M::PATCH,
        &format!("{base}/{bad}"),
        Some(json!({ "priority": 5, "enabled": false, "cache_ttl_seconds": 10 })),
        200,
    )
    .await;
    r.expect(
        M::PATCH,
        &format!("{base}/{bad}"),
        Some(json!({ "name": "org-1p" })),
        409,
    )
    .await;
    r.expect(
        M::PATCH,
        &format!("{base}/{bad}"),
        Some(json!({ "name": "" })),
        400,
    )
    .await;
    r.expect(
        M::PATCH,
        &format!("{base}/credprov_missing"),
        Some(json!({})),
        404,
    )
    .await;
    let test = r
        .expect(M::POST, &format!("{base}/{id}/test"), None, 200)
        .await;
    assert_eq!(test["success"], true);
    let failed = r
        .expect(M::POST, &format!("{base}/{bad}/test"), None, 200)
        .await;
    assert_eq!(failed["success"], false);
    r.expect(M::POST, &format!("{base}/credprov_missing/test"), None, 404)
        .await;
    r.expect(M::GET, &format!("{base}/{id}/items"), None, 200)
        .await;
    r.expect(M::GET, &format!("{base}/credprov_missing/items"), None, 404)
        .await;

    // Logins filled from provider items, by path and by domain.
    for (domain, credential) in [
        (
            "password.example",
            json!({ "provider": "org-1p", "path": "Kernel Mock/password.example" }),
        ),
        (
            "totp.example",
            json!({ "provider": "org-1p", "auto": true }),
        ),
    ] {
        let conn = r
            .expect(
                M::POST,
                "/auth/connections",
                Some(json!({ "domain": domain, "profile_name": "org-provider", "credential": credential })),
                201,
            )
            .await;
        let cid = id_of(&conn);
        r.expect(
            M::POST,
            &format!("/auth/connections/{cid}/login"),
            None,
            200,
        )
        .await;
        let done = r
            .poll(&format!("/auth/connections/{cid}"), |c| {
                c["flow_status"] != "IN_PROGRESS"
            })
            .await;
        assert_eq!(done["flow_status"], "SUCCESS", "{done:#}");
    }
    for credential in [
        json!({ "provider": "missing-1p", "auto": true }),
        json!({ "provider": "org-1p", "path": "Kernel Mock/nothing" }),
        json!({ "provider": "org-1p" }),
    ] {
        r.expect(
            M::POST,
            "/auth/connections",
            Some(json!({ "domain": "a.example", "profile_name": "org-bad-ref", "credential": credential })),
            400,
        )
        .await;
    }

    r.expect(M::DELETE, &format!("{base}/{bad}"), None, 204)
        .await;
    r.expect(M::DELETE, &format!("{base}/{bad}"), None, 404)
        .await;
}

async fn exchange(r: &Recorder) {
    use Method as M;
    let conn = r
        .expect(
            M::POST,
            "/auth/connections",
            Some(json!({ "domain": "slow.example", "profile_name": "org-exchange" })),
            201,
        )
        .await;
    let cid = id_of(&conn);
    // Before any login the stream opens with a heartbeat.
    let events = r
        .stream(
            &format!("/auth/connections/{cid}/events"),
            1,
            Duration::from_secs(2),
        )
        .await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["event"], "sse_heartbeat");
    let login = r
        .expect(
            M::POST,
            &format!("/auth/connections/{cid}/login"),
            None,
            200,
        )
        .await;
    let code = login["handoff_code"].as_str().expect("handoff_code");
    let path = format!("/auth/connections/{cid}/exchange");
    r.expect(M::POST, &path, Some(json!({ "code": "wrong" })), 400)
        .await;
    r.expect(M::POST, &path, Some(json!({ "code": code })), 200)
        .await;
    r.expect(M::POST, &path, Some(json!({ "code": code })), 410)
        .await;
    r.expect(
        M::POST,
        "/auth/connections/ma_missing/exchange",
        Some(json!({ "code": code })),
        404,
    )
    .await;

    let agent = r
        .expect(
            M::POST,
            "/agents/auth",
            Some(json!({ "domain": "slow.example", "profile_name": "org-exchange-legacy" })),
            200,
        )
        .await;
    let invocation = r
        .expect(
            M::POST,
            "/agents/auth/invocations",
            Some(json!({ "auth_agent_id": id_of(&agent) })),
            200,
        )
        .await;
    let iid = invocation["invocation_id"].as_str().expect("invocation_id");
    let code = invocation["handoff_code"].as_str().expect("handoff_code");
    let path = format!("/agents/auth/invocations/{iid}/exchange");
    r.expect(M::POST, &path, Some(json!({ "code": "wrong" })), 400)
        .await;
    r.expect(M::POST, &path, Some(json!({ "code": code })), 200)
        .await;
    r.expect(M::POST, &path, Some(json!({ "code": code })), 410)
        .await;
    r.expect(
        M::POST,
        "/agents/auth/invocations/flow_missing/exchange",
        Some(json!({ "code": code })),
        404,
    )
    .await;
}
