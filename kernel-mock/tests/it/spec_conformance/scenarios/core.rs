//! Managed Auth, the legacy agent API, credentials, profiles, browsers with
//! telemetry, and invocations: successes and their documented errors.

use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Value};

use crate::spec_conformance::recorder::Recorder;

pub async fn scenario(r: &Recorder) {
    use Method as M;

    // 401 on a sample of operations (every route is covered in routing.rs).
    for (method, path) in [
        (M::GET, "/auth/connections"),
        (M::POST, "/auth/connections"),
        (M::GET, "/credentials"),
        (M::GET, "/profiles"),
        (M::GET, "/browsers"),
        (M::GET, "/agents/auth"),
        (M::GET, "/invocations"),
        (M::GET, "/browsers/x/telemetry"),
        (M::GET, "/auth/connections/x/events"),
        (M::POST, "/invocations"),
    ] {
        let reply = r.call_with(method, path, Some(json!({})), false).await;
        assert_eq!(reply.status, 401);
    }

    // Credentials.
    r.expect(
        M::POST,
        "/credentials",
        Some(json!({ "name": "cred-a", "domain": "totp.example", "values": { "username": "user@example.com" }, "totp_secret": "JBSWY3DPEHPK3PXP" })),
        201,
    )
    .await;
    r.expect(M::POST, "/credentials", Some(json!({ "name": "cred-b", "domain": "x.example", "values": {}, "sso_provider": "google" })), 201).await;
    r.expect(
        M::POST,
        "/credentials",
        Some(json!({ "name": "cred-a", "domain": "x", "values": {} })),
        409,
    )
    .await;
    r.expect(
        M::POST,
        "/credentials",
        Some(json!({ "name": "bad", "domain": "x", "values": {}, "totp_secret": "1" })),
        400,
    )
    .await;
    r.expect(M::GET, "/credentials", None, 200).await;
    r.expect(
        M::GET,
        "/credentials?domain=totp.example&limit=1",
        None,
        200,
    )
    .await;
    r.expect(M::GET, "/credentials/cred-a", None, 200).await;
    r.expect(M::GET, "/credentials/nope", None, 404).await;
    r.expect(
        M::PATCH,
        "/credentials/cred-b",
        Some(json!({ "values": { "password": "x" }, "totp_secret": "GEZDGNBV" })),
        200,
    )
    .await;
    r.expect(
        M::PATCH,
        "/credentials/cred-b",
        Some(json!({ "name": "cred-a" })),
        409,
    )
    .await;
    r.expect(
        M::PATCH,
        "/credentials/cred-b",
        Some(json!({ "bogus": 1 })),
        400,
    )
    .await;
    r.expect(M::PATCH, "/credentials/nope", Some(json!({})), 404)
        .await;
    r.expect(M::GET, "/credentials/cred-a/totp-code", None, 200)
        .await;
    r.expect(M::GET, "/credentials/nope/totp-code", None, 404)
        .await;

    // Profiles.
    r.expect(M::POST, "/profiles", Some(json!({ "name": "prof-a" })), 201)
        .await;
    r.expect(M::POST, "/profiles", Some(json!({})), 201).await;
    r.expect(M::POST, "/profiles", Some(json!({ "name": "prof-a" })), 409)
        .await;
    r.expect(M::POST, "/profiles", Some(json!({ "name": 3 })), 400)
        .await;
    r.expect(M::GET, "/profiles?limit=1", None, 200).await;
    r.expect(M::GET, "/profiles?limit=0", None, 400).await;
    r.expect(M::GET, "/profiles/prof-a", None, 200).await;
    r.expect(M::GET, "/profiles/nope", None, 404).await;

    // Auth connections: CRUD and errors.
    let conn = r
        .expect(
            M::POST,
            "/auth/connections",
            Some(json!({ "domain": "password.example", "profile_name": "prof-a", "allowed_domains": ["a.example"], "health_check_interval": 600 })),
            201,
        )
        .await;
    let id = conn["id"].as_str().unwrap().to_owned();
    r.expect(
        M::POST,
        "/auth/connections",
        Some(json!({ "domain": "password.example", "profile_name": "prof-a" })),
        409,
    )
    .await;
    r.expect(
        M::POST,
        "/auth/connections",
        Some(json!({ "domain": "x.example" })),
        400,
    )
    .await;
    r.expect(M::GET, "/auth/connections", None, 200).await;
    r.expect(
        M::GET,
        "/auth/connections?domain=password.example&profile_name=prof-a",
        None,
        200,
    )
    .await;
    r.expect(M::GET, &format!("/auth/connections/{id}"), None, 200)
        .await;
    r.expect(M::GET, "/auth/connections/nope", None, 404).await;
    r.expect(
        M::PATCH,
        &format!("/auth/connections/{id}"),
        Some(json!({ "login_url": "https://password.example/login", "auto_reauth": false })),
        200,
    )
    .await;
    r.expect(
        M::PATCH,
        &format!("/auth/connections/{id}"),
        Some(json!({ "health_check_interval": 5 })),
        400,
    )
    .await;
    r.expect(M::PATCH, "/auth/connections/nope", Some(json!({})), 404)
        .await;
    r.expect(
        M::POST,
        &format!("/auth/connections/{id}/submit"),
        Some(json!({ "fields": {} })),
        400,
    )
    .await;
    r.expect(
        M::POST,
        "/auth/connections/nope/login",
        Some(json!({})),
        404,
    )
    .await;
    r.expect(
        M::POST,
        &format!("/auth/connections/{id}/login"),
        Some(json!({ "proxy": { "id": "p" } })),
        400,
    )
    .await;

    // A full login: wrong password first (FAILED), then a success.
    r.expect(
        M::POST,
        &format!("/auth/connections/{id}/login"),
        Some(json!({})),
        200,
    )
    .await;
    r.expect(
        M::POST,
        &format!("/auth/connections/{id}/login"),
        Some(json!({})),
        409,
    )
    .await;
    r.expect(
        M::POST,
        &format!("/auth/connections/{id}/submit"),
        Some(json!({ "fields": { "username": "u" } })),
        422,
    )
    .await;
    r.poll(&format!("/auth/connections/{id}"), |c| {
        c["flow_step"] == "AWAITING_INPUT"
    })
    .await;
    r.expect(
        M::POST,
        &format!("/auth/connections/{id}/submit"),
        Some(json!({ "fields": { "username": "u" } })),
        400,
    )
    .await;
    r.expect(
        M::POST,
        "/auth/connections/nope/submit",
        Some(json!({ "fields": {} })),
        404,
    )
    .await;
    r.expect(
        M::POST,
        &format!("/auth/connections/{id}/submit"),
        Some(json!({ "fields": { "username": "user@example.com", "password": "bad" } })),
        202,
    )
    .await;
    r.stream(
        &format!("/auth/connections/{id}/events"),
        20,
        Duration::from_secs(5),
    )
    .await;
    r.poll(&format!("/auth/connections/{id}"), |c| {
        c["flow_status"] == "FAILED"
    })
    .await;
    r.expect(
        M::POST,
        &format!("/auth/connections/{id}/login"),
        Some(json!({})),
        200,
    )
    .await;
    r.poll(&format!("/auth/connections/{id}"), |c| {
        c["flow_step"] == "AWAITING_INPUT"
    })
    .await;
    r.expect(
        M::POST,
        &format!("/auth/connections/{id}/submit"),
        Some(json!({ "fields": { "username": "user@example.com", "password": "correct-horse" } })),
        202,
    )
    .await;
    r.stream(
        &format!("/auth/connections/{id}/events"),
        20,
        Duration::from_secs(5),
    )
    .await;
    r.poll(&format!("/auth/connections/{id}"), |c| {
        c["flow_status"] == "SUCCESS"
    })
    .await;
    r.expect(M::GET, "/auth/connections/nope/events", None, 404)
        .await;

    // Flows that show MFA options, SSO buttons, sign-in options, an external
    // action and an expiry, as ManagedAuth and as events.
    for (domain, answers) in [
        (
            "mfa-choice.example",
            vec![
                json!({ "fields": { "username": "user@example.com", "password": "correct-horse" } }),
                json!({ "mfa_option_id": "push" }),
            ],
        ),
        ("sso.example", vec![json!({ "sso_provider": "google" })]),
        (
            "account-picker.example",
            vec![
                json!({ "fields": { "email": "user@example.com", "password": "correct-horse" } }),
                json!({ "sign_in_option_id": "personal" }),
            ],
        ),
        (
            "totp.example",
            vec![
                json!({ "fields": { "username": "user@example.com", "password": "correct-horse" } }),
            ],
        ),
    ] {
        let credential = if domain == "totp.example" {
            json!({ "name": "cred-a" })
        } else {
            Value::Null
        };
        let mut body = json!({ "domain": domain, "profile_name": format!("p-{domain}") });
        if !credential.is_null() {
            body["credential"] = credential;
        }
        let conn = r
            .expect(M::POST, "/auth/connections", Some(body), 201)
            .await;
        let cid = conn["id"].as_str().unwrap().to_owned();
        r.expect(
            M::POST,
            &format!("/auth/connections/{cid}/login"),
            None,
            200,
        )
        .await;
        for answer in answers {
            r.poll(&format!("/auth/connections/{cid}"), |c| {
                c["flow_step"] == "AWAITING_INPUT"
            })
            .await;
            r.expect(
                M::POST,
                &format!("/auth/connections/{cid}/submit"),
                Some(answer),
                202,
            )
            .await;
        }
        r.stream(
            &format!("/auth/connections/{cid}/events"),
            30,
            Duration::from_secs(5),
        )
        .await;
        r.poll(&format!("/auth/connections/{cid}"), |c| {
            c["flow_status"] != "IN_PROGRESS"
        })
        .await;
    }
    let slow = r
        .expect(
            M::POST,
            "/auth/connections",
            Some(json!({ "domain": "slow.example", "profile_name": "slow" })),
            201,
        )
        .await;
    let slow_id = slow["id"].as_str().unwrap().to_owned();
    r.expect(
        M::POST,
        &format!("/auth/connections/{slow_id}/login"),
        Some(json!({})),
        200,
    )
    .await;
    r.stream(
        &format!("/auth/connections/{slow_id}/events"),
        10,
        Duration::from_secs(5),
    )
    .await;
    r.poll(&format!("/auth/connections/{slow_id}"), |c| {
        c["flow_status"] == "EXPIRED"
    })
    .await;

    // Legacy agents.
    r.expect(M::POST, "/credentials", Some(json!({ "name": "cred-legacy", "domain": "mfa-choice.example", "values": { "unused": "x" } })), 201).await;
    let agent = r.expect(M::POST, "/agents/auth", Some(json!({ "domain": "mfa-choice.example", "profile_name": "legacy", "credential_name": "cred-legacy" })), 200).await;
    let agent_id = agent["id"].as_str().unwrap().to_owned();
    r.expect(M::POST, "/agents/auth", Some(json!({ "domain": "x" })), 400)
        .await;
    r.expect(M::GET, "/agents/auth", None, 200).await;
    r.expect(M::GET, &format!("/agents/auth/{agent_id}"), None, 200)
        .await;
    r.expect(M::GET, "/agents/auth/nope", None, 404).await;
    r.expect(
        M::POST,
        "/agents/auth/invocations",
        Some(json!({ "auth_agent_id": "nope" })),
        404,
    )
    .await;
    r.expect(
        M::POST,
        "/agents/auth/invocations",
        Some(json!({ "bogus": true })),
        400,
    )
    .await;
    let invocation = r
        .expect(
            M::POST,
            "/agents/auth/invocations",
            Some(json!({ "auth_agent_id": agent_id, "save_credential_as": "legacy-creds" })),
            200,
        )
        .await;
    let inv = invocation["invocation_id"].as_str().unwrap().to_owned();
    r.expect(
        M::POST,
        &format!("/agents/auth/invocations/{inv}/submit"),
        Some(json!({ "field_values": {} })),
        422,
    )
    .await;
    r.poll(&format!("/agents/auth/invocations/{inv}"), |s| {
        s["step"] == "awaiting_input"
    })
    .await;
    r.expect(
        M::POST,
        &format!("/agents/auth/invocations/{inv}/submit"),
        Some(json!({ "selected_mfa_type": "sms" })),
        400,
    )
    .await;
    r.expect(
        M::POST,
        &format!("/agents/auth/invocations/{inv}/submit"),
        Some(json!({ "field_values": { "username": "user@example.com", "password": "correct-horse" } })),
        202,
    )
    .await;
    r.poll(&format!("/agents/auth/invocations/{inv}"), |s| {
        s["step"] == "awaiting_input" && s["mfa_options"].is_array()
    })
    .await;
    r.expect(
        M::POST,
        &format!("/agents/auth/invocations/{inv}/submit"),
        Some(json!({ "selected_mfa_type": "sms" })),
        202,
    )
    .await;
    r.poll(&format!("/agents/auth/invocations/{inv}"), |s| {
        s["step"] == "awaiting_input"
    })
    .await;
    r.expect(
        M::POST,
        &format!("/agents/auth/invocations/{inv}/submit"),
        Some(json!({ "field_values": { "sms_code": "123456" } })),
        202,
    )
    .await;
    r.poll(&format!("/agents/auth/invocations/{inv}"), |s| {
        s["status"] == "SUCCESS"
    })
    .await;
    r.expect(M::GET, "/agents/auth/invocations/nope", None, 404)
        .await;
    r.expect(
        M::POST,
        "/agents/auth/invocations/nope/submit",
        Some(json!({ "field_values": {} })),
        404,
    )
    .await;
    r.expect(
        M::POST,
        &format!("/agents/auth/invocations/{inv}/submit"),
        Some(json!({ "field_values": {} })),
        400,
    )
    .await;
    let slow_agent = r
        .expect(
            M::POST,
            "/agents/auth",
            Some(json!({ "domain": "slow.example", "profile_name": "slow" })),
            200,
        )
        .await;
    let slow_inv = r
        .expect(
            M::POST,
            "/agents/auth/invocations",
            Some(json!({ "auth_agent_id": slow_agent["id"] })),
            200,
        )
        .await;
    let slow_inv = slow_inv["invocation_id"].as_str().unwrap().to_owned();
    r.poll(&format!("/agents/auth/invocations/{slow_inv}"), |s| {
        s["status"] == "EXPIRED"
    })
    .await;

    // Browsers and telemetry.
    let browser = r
        .expect(
            M::POST,
            "/browsers",
            Some(json!({ "profile": { "name": "prof-a" }, "telemetry": {}, "viewport": { "width": 1024, "height": 768, "refresh_rate": 60 },
                         "chrome_policy": { "BookmarkBarEnabled": true }, "kiosk_mode": true, "start_url": "https://shop.example/" })),
            200,
        )
        .await;
    let bid = browser["session_id"].as_str().unwrap().to_owned();
    r.expect(M::POST, "/browsers", None, 200).await;
    r.expect(
        M::POST,
        "/browsers",
        Some(json!({ "profile": { "name": "nope" } })),
        400,
    )
    .await;
    r.expect(M::GET, "/browsers?limit=1", None, 200).await;
    r.expect(M::GET, &format!("/browsers/{bid}"), None, 200)
        .await;
    r.expect(M::GET, "/browsers/nope", None, 404).await;
    r.stream(
        &format!("/browsers/{bid}/telemetry"),
        40,
        Duration::from_secs(5),
    )
    .await;
    r.expect(M::GET, "/browsers/nope/telemetry", None, 404)
        .await;
    r.expect(M::DELETE, &format!("/browsers/{bid}"), None, 204)
        .await;
    r.expect(M::DELETE, &format!("/browsers/{bid}"), None, 404)
        .await;
    r.expect(
        M::GET,
        &format!("/browsers/{bid}?include_deleted=true"),
        None,
        200,
    )
    .await;
    r.expect(M::GET, "/browsers?status=all", None, 200).await;

    // Invocations.
    let queued = r
        .expect(M::POST, "/invocations", Some(json!({ "app_name": "app", "version": "1", "action_name": "go", "payload": "{}", "async": true })), 202)
        .await;
    let iid = queued["id"].as_str().unwrap().to_owned();
    r.stream(
        &format!("/invocations/{iid}/events"),
        50,
        Duration::from_secs(5),
    )
    .await;
    r.expect(
        M::POST,
        "/invocations",
        Some(json!({ "app_name": "app", "version": "1", "action_name": "go" })),
        200,
    )
    .await;
    r.expect(
        M::POST,
        "/invocations",
        Some(json!({ "app_name": "app" })),
        400,
    )
    .await;
    r.expect(M::GET, "/invocations", None, 200).await;
    r.expect(M::GET, "/invocations?status=nope", None, 400)
        .await;
    r.expect(M::GET, &format!("/invocations/{iid}"), None, 200)
        .await;
    r.expect(M::GET, "/invocations/nope", None, 404).await;
    r.expect(
        M::PATCH,
        &format!("/invocations/{iid}"),
        Some(json!({ "status": "failed", "output": "\"stopped\"" })),
        200,
    )
    .await;
    r.expect(
        M::PATCH,
        &format!("/invocations/{iid}"),
        Some(json!({ "status": "bogus" })),
        400,
    )
    .await;
    r.expect(
        M::PATCH,
        "/invocations/nope",
        Some(json!({ "status": "failed" })),
        404,
    )
    .await;
    r.expect(
        M::GET,
        &format!("/invocations/{iid}/events?since=bogus"),
        None,
        400,
    )
    .await;
    r.expect(M::GET, "/invocations/nope/events", None, 404)
        .await;

    // Deletes last.
    r.expect(M::DELETE, &format!("/agents/auth/{agent_id}"), None, 204)
        .await;
    r.expect(M::DELETE, &format!("/agents/auth/{agent_id}"), None, 404)
        .await;
    r.expect(M::DELETE, &format!("/auth/connections/{id}"), None, 204)
        .await;
    r.expect(M::DELETE, &format!("/auth/connections/{id}"), None, 404)
        .await;
    r.expect(M::DELETE, "/credentials/cred-b", None, 204).await;
    r.expect(M::DELETE, "/credentials/cred-b", None, 404).await;
    r.expect(M::DELETE, "/profiles/prof-a", None, 204).await;
    r.expect(M::DELETE, "/profiles/prof-a", None, 404).await;
}
