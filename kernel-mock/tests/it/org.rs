//! Organization resources end to end: projects through both path families,
//! limits, API keys, credential providers and logins through their items,
//! handoff-code exchange, and the event stream of an idle connection.

use std::time::Duration;

use crate::common::{drive, fast_mock, field_names, Api};
use kernel_mock::sites::{PASSWORD, TOTP_SECRET, USERNAME};
use kernel_mock::{KernelMock, ProviderItem};
use serde_json::{json, Value};

fn id_of(body: &Value) -> String {
    body["id"].as_str().expect("id").to_owned()
}

async fn provider(api: &Api, name: &str, token: &str) -> String {
    let reply = api
        .post(
            "/org/credential_providers",
            json!({ "provider_type": "onepassword", "name": name, "token": token }),
        )
        .await;
    assert_eq!(reply.status, 201, "{:?}", reply.body);
    assert!(reply.body.get("token").is_none(), "{:?}", reply.body);
    id_of(&reply.body)
}

async fn login(api: &Api, id: &str) -> Value {
    let reply = api
        .post(&format!("/auth/connections/{id}/login"), json!({}))
        .await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    reply.body
}

#[tokio::test]
async fn both_project_path_families_see_the_same_projects() {
    let mock = fast_mock().await;
    let api = Api::new(&mock);
    let created = api.post("/projects", json!({ "name": "staging" })).await;
    assert_eq!(created.status, 201);
    assert_eq!(created.body["status"], "active");
    let id = id_of(&created.body);

    let got = api.get(&format!("/org/projects/{id}")).await;
    assert_eq!(got.status, 200);
    assert_eq!(got.body, created.body);

    let patched = api
        .patch(
            &format!("/org/projects/{id}"),
            json!({ "name": "prod", "status": "archived" }),
        )
        .await;
    assert_eq!(patched.status, 200);
    let legacy = api.get(&format!("/projects/{id}")).await.body;
    assert_eq!(legacy["name"], "prod");
    assert_eq!(legacy["status"], "archived");

    // One name space: a duplicate through the other family conflicts.
    let duplicate = api.post("/org/projects", json!({ "name": "prod" })).await;
    assert_eq!(duplicate.status, 409);
    assert_eq!(duplicate.body["code"], "already_exists");
    api.post("/org/projects", json!({ "name": "other" })).await;
    for list in ["/projects", "/org/projects"] {
        let names: Vec<Value> = api.get(list).await.body.as_array().unwrap().clone();
        assert_eq!(names.len(), 2, "{list}");
        let found = api.get(&format!("{list}?query=PRO")).await.body;
        assert_eq!(found.as_array().unwrap().len(), 1, "{list}: {found}");
        assert_eq!(found[0]["id"], id.as_str());
    }

    assert_eq!(api.delete(&format!("/org/projects/{id}")).await.status, 204);
    assert_eq!(api.get(&format!("/projects/{id}")).await.status, 404);
    assert_eq!(api.delete(&format!("/projects/{id}")).await.status, 404);
    assert_eq!(api.get("/projects").await.body.as_array().unwrap().len(), 1);
    // The name is free again.
    assert_eq!(
        api.post("/projects", json!({ "name": "prod" }))
            .await
            .status,
        201
    );
}

#[tokio::test]
async fn project_limits_patch_only_what_is_given() {
    let mock = fast_mock().await;
    let api = Api::new(&mock);
    let id = id_of(&api.post("/org/projects", json!({ "name": "p" })).await.body);
    let limits = format!("/org/projects/{id}/limits");
    let legacy = format!("/projects/{id}/limits");
    // No project-level caps at first.
    assert_eq!(api.get(&limits).await.body, json!({}));

    let set = api
        .patch(
            &limits,
            json!({ "max_concurrent_sessions": 10, "max_pooled_sessions": 50 }),
        )
        .await;
    assert_eq!(set.status, 200);
    assert_eq!(
        set.body,
        json!({ "max_concurrent_sessions": 10, "max_pooled_sessions": 50 })
    );
    // Omitted and null fields stay; 0 removes the cap.
    let changed = api
        .patch(
            &legacy,
            json!({ "max_concurrent_invocations": 3, "max_pooled_sessions": null, "max_concurrent_sessions": 0 }),
        )
        .await;
    assert_eq!(changed.status, 200);
    let expected = json!({ "max_concurrent_invocations": 3, "max_pooled_sessions": 50 });
    assert_eq!(changed.body, expected);
    assert_eq!(api.get(&limits).await.body, expected);
    assert_eq!(api.get(&legacy).await.body, expected);

    // A bad value changes nothing.
    let bad = api
        .patch(
            &limits,
            json!({ "max_concurrent_invocations": 9, "max_pooled_sessions": -1 }),
        )
        .await;
    assert_eq!(bad.status, 400);
    assert_eq!(api.get(&limits).await.body, expected);
    let unknown = api.patch(&limits, json!({ "max_browsers": 1 })).await;
    assert_eq!(unknown.status, 400);
    assert_eq!(
        api.get("/org/projects/proj_missing/limits").await.status,
        404
    );
}

#[tokio::test]
async fn an_api_key_is_shown_once_then_masked() {
    let mock = fast_mock().await;
    let api = Api::new(&mock);
    let project = id_of(
        &api.post("/org/projects", json!({ "name": "ci" }))
            .await
            .body,
    );
    let created = api
        .post(
            "/org/api_keys",
            json!({ "name": "deploy", "days_to_expire": 30, "project_id": project }),
        )
        .await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    let key = created.body["key"]
        .as_str()
        .expect("plaintext key")
        .to_owned();
    let masked = created.body["masked_key"].as_str().unwrap().to_owned();
    assert!(key.len() > 12);
    assert!(!masked.contains(&key[7..key.len() - 4]), "{masked}");
    assert!(masked.starts_with(&key[..7]) && masked.ends_with(&key[key.len() - 4..]));
    assert_eq!(created.body["project_name"], "ci");
    assert!(created.body["expires_at"].is_string());
    let id = id_of(&created.body);

    let got = api.get(&format!("/org/api_keys/{id}")).await.body;
    let listed = api.get("/org/api_keys").await.body[0].clone();
    let renamed = api
        .patch(
            &format!("/org/api_keys/{id}"),
            json!({ "name": "deploy-2" }),
        )
        .await
        .body;
    assert_eq!(renamed["name"], "deploy-2");
    for body in [&got, &listed, &renamed] {
        assert!(body.get("key").is_none(), "{body}");
        assert_eq!(body["masked_key"], masked.as_str());
        assert!(!body.to_string().contains(&key), "{body}");
    }

    let forever = api
        .post("/org/api_keys", json!({ "name": "forever" }))
        .await;
    assert_eq!(forever.body["expires_at"], Value::Null);
    assert_eq!(forever.body["project_id"], Value::Null);
    assert_ne!(forever.body["key"], created.body["key"]);

    assert_eq!(api.delete(&format!("/org/api_keys/{id}")).await.status, 204);
    assert_eq!(api.get(&format!("/org/api_keys/{id}")).await.status, 404);
    let unknown_project = api
        .post(
            "/org/api_keys",
            json!({ "name": "x", "project_id": "proj_missing" }),
        )
        .await;
    assert_eq!(unknown_project.status, 404);
}

#[tokio::test]
async fn provider_test_lists_vaults_and_items_are_seeded() {
    let mock = KernelMock::builder()
        .step_delay(Duration::from_millis(5))
        .credential_provider_items(
            "team-1p",
            [
                ProviderItem::new("Engineering", "Intranet").url("https://intranet.test"),
                ProviderItem::new("Finance", "Bank").url("bank.test"),
                ProviderItem::new("Engineering", "Wiki"),
            ],
        )
        .start()
        .await
        .unwrap();
    let api = Api::new(&mock);
    let team = provider(&api, "team-1p", "ops_service_account").await;
    let test = api
        .post(&format!("/org/credential_providers/{team}/test"), json!({}))
        .await;
    assert_eq!(test.status, 200);
    assert_eq!(test.body["success"], true);
    let vaults: Vec<&str> = test.body["vaults"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["name"].as_str().unwrap())
        .collect();
    assert_eq!(vaults, ["Engineering", "Finance"]);
    let items = api
        .get(&format!("/org/credential_providers/{team}/items"))
        .await
        .body;
    let items = items["items"].as_array().unwrap();
    let paths: Vec<&str> = items.iter().map(|i| i["path"].as_str().unwrap()).collect();
    assert_eq!(
        paths,
        ["Engineering/Intranet", "Finance/Bank", "Engineering/Wiki"]
    );
    assert_eq!(items[0]["vault_id"], test.body["vaults"][0]["id"]);
    assert_eq!(items[1]["urls"], json!(["bank.test"]));

    // A provider without seeded items has the default vault.
    let other = provider(&api, "other-1p", "ops_x").await;
    let test = api
        .post(
            &format!("/org/credential_providers/{other}/test"),
            json!({}),
        )
        .await
        .body;
    assert_eq!(test["vaults"][0]["name"], "Kernel Mock");
    let items = api
        .get(&format!("/org/credential_providers/{other}/items"))
        .await
        .body;
    assert!(items["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|i| i["path"] == "Kernel Mock/totp.example"));

    // A token that is not a service-account token fails the test.
    let bad = provider(&api, "bad-1p", "not-a-token").await;
    let test = api
        .post(&format!("/org/credential_providers/{bad}/test"), json!({}))
        .await;
    assert_eq!(test.status, 200);
    assert_eq!(test.body["success"], false);
    assert_eq!(test.body["vaults"], json!([]));
    assert_eq!(test.body["error"], "Invalid token");

    // Rotating the token fixes it.
    api.patch(
        &format!("/org/credential_providers/{bad}"),
        json!({ "token": "ops_rotated" }),
    )
    .await;
    let test = api
        .post(&format!("/org/credential_providers/{bad}/test"), json!({}))
        .await
        .body;
    assert_eq!(test["success"], true);
}

#[tokio::test]
async fn invalid_seeded_items_fail_the_start() {
    let error = KernelMock::builder()
        .credential_provider_items(
            "onepassword",
            [ProviderItem::new("V", "T").totp_secret("not base32!")],
        )
        .start()
        .await
        .unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput);
}

#[tokio::test]
async fn a_provider_path_fills_what_the_item_has_and_pauses_for_the_rest() {
    let mock = KernelMock::builder()
        .step_delay(Duration::from_millis(5))
        .heartbeat_interval(Duration::from_millis(400))
        .credential_provider_items(
            "onepassword",
            [
                ProviderItem::new("Personal", "Shop").username(USERNAME),
                ProviderItem::new("Personal", "Authenticator")
                    .username(USERNAME)
                    .password(PASSWORD)
                    .totp_secret(TOTP_SECRET),
            ],
        )
        .start()
        .await
        .unwrap();
    let api = Api::new(&mock);
    provider(&api, "my-1p", "ops_token").await;

    // The item has the username only: the flow asks for the password.
    let id = api
        .connection(
            "password.example",
            "shop",
            json!({ "credential": { "provider": "my-1p", "path": "Personal/Shop" } }),
        )
        .await;
    login(&api, &id).await;
    let mut asked = Vec::new();
    let states = drive(&api, &id, |state| {
        asked.push(field_names(state));
        Some(json!({ "fields": { "password": PASSWORD } }))
    })
    .await;
    assert_eq!(asked, [["password"]]);
    assert_eq!(states.last().unwrap()["flow_status"], "SUCCESS");
    let connection = api.get(&format!("/auth/connections/{id}")).await.body;
    assert_eq!(connection["status"], "AUTHENTICATED");
    assert_eq!(
        connection["credential"],
        json!({ "provider": "my-1p", "path": "Personal/Shop" })
    );
    assert_eq!(connection["can_reauth_reason"], "external_credential");
    // An external credential is not copied into a Kernel credential.
    assert!(mock.credential_values("shop-password.example").is_none());

    // Username, password and TOTP secret: no input at all.
    let id = api
        .connection(
            "totp.example",
            "mfa",
            json!({ "credential": { "provider": "my-1p", "path": "Personal/Authenticator" } }),
        )
        .await;
    login(&api, &id).await;
    let states = drive(&api, &id, |state| panic!("no input expected: {state:#}")).await;
    assert_eq!(states.last().unwrap()["flow_status"], "SUCCESS");

    // A disabled provider fills nothing.
    api.patch(
        "/org/credential_providers/my-1p",
        json!({ "enabled": false }),
    )
    .await;
    let id = api
        .connection(
            "password.example",
            "disabled",
            json!({ "credential": { "provider": "my-1p", "path": "Personal/Authenticator" } }),
        )
        .await;
    login(&api, &id).await;
    let mut asked = Vec::new();
    drive(&api, &id, |state| {
        asked.push(field_names(state));
        Some(crate::common::login_fields())
    })
    .await;
    assert_eq!(asked, [["username", "password"]]);
}

#[tokio::test]
async fn a_provider_auto_reference_matches_the_item_by_domain() {
    let mock = KernelMock::builder()
        .step_delay(Duration::from_millis(5))
        .heartbeat_interval(Duration::from_millis(400))
        .credential_provider_items(
            "auto-1p",
            [
                ProviderItem::new("V", "Wrong site")
                    .url("https://password.example")
                    .username("someone-else")
                    .password("nope"),
                ProviderItem::new("V", "Email first")
                    .url("https://www.email-first.example/login")
                    .username(USERNAME)
                    .password(PASSWORD),
            ],
        )
        .start()
        .await
        .unwrap();
    let api = Api::new(&mock);
    provider(&api, "auto-1p", "ops_token").await;
    let auto = json!({ "credential": { "provider": "auto-1p", "auto": true } });

    // The item for email-first.example fills `email` from its username and
    // the password, on both pages.
    let id = api
        .connection("email-first.example", "auto", auto.clone())
        .await;
    login(&api, &id).await;
    let states = drive(&api, &id, |state| panic!("no input expected: {state:#}")).await;
    assert_eq!(states.last().unwrap()["flow_status"], "SUCCESS");

    // No item for this domain: the flow asks for every field.
    let id = api.connection("push.example", "auto", auto).await;
    login(&api, &id).await;
    let mut asked = Vec::new();
    drive(&api, &id, |state| {
        asked.push(field_names(state));
        Some(crate::common::login_fields())
    })
    .await;
    assert_eq!(asked, [["username", "password"]]);

    // References are checked.
    for (credential, message) in [
        (json!({ "provider": "missing", "auto": true }), "not found"),
        (json!({ "provider": "auto-1p" }), "path or auto"),
        (
            json!({ "provider": "auto-1p", "path": "V/Nope" }),
            "no item",
        ),
        (
            json!({ "provider": "auto-1p", "path": "V/Wrong site", "auto": true }),
            "not both",
        ),
        (json!({ "name": "x", "provider": "auto-1p" }), "not both"),
    ] {
        let reply = api
            .post(
                "/auth/connections",
                json!({ "domain": "a.example", "profile_name": "bad", "credential": credential }),
            )
            .await;
        assert_eq!(reply.status, 400, "{credential}");
        assert!(
            reply.body["message"].as_str().unwrap().contains(message),
            "{credential}: {:?}",
            reply.body
        );
    }
}

#[tokio::test]
async fn handoff_codes_exchange_once_for_a_jwt() {
    let mock = fast_mock().await;
    let api = Api::new(&mock);
    let id = api.connection("slow.example", "handoff", json!({})).await;
    let first = login(&api, &id).await;
    let code = first["handoff_code"].as_str().unwrap().to_owned();
    let exchange = format!("/auth/connections/{id}/exchange");

    let wrong = api.post(&exchange, json!({ "code": "nope" })).await;
    assert_eq!(wrong.status, 400);
    assert_eq!(wrong.body["code"], "invalid_handoff_code");
    let other = api.connection("slow.example", "handoff-2", json!({})).await;
    let foreign = api
        .post(
            &format!("/auth/connections/{other}/exchange"),
            json!({ "code": code }),
        )
        .await;
    assert_eq!(
        foreign.status, 400,
        "a code is only valid for its connection"
    );

    let ok = api.post(&exchange, json!({ "code": code })).await;
    assert_eq!(ok.status, 200, "{:?}", ok.body);
    let jwt = ok.body["jwt"].as_str().unwrap();
    assert_eq!(jwt.split('.').count(), 3);
    assert!(jwt.starts_with("eyJ"));
    let connection = api.get(&format!("/auth/connections/{id}")).await.body;
    assert!(connection["hosted_url"].as_str().unwrap().ends_with(&code));
    let again = api.post(&exchange, json!({ "code": code })).await;
    assert_eq!(again.status, 410);

    // A new flow's code works; the old flow's code is gone.
    api.delete(&format!("/auth/connections/{other}")).await;
    let legacy = api
        .post(
            "/agents/auth",
            json!({ "domain": "slow.example", "profile_name": "handoff" }),
        )
        .await;
    assert_eq!(id_of(&legacy.body), id);
    let invocation = api
        .post("/agents/auth/invocations", json!({ "auth_agent_id": id }))
        .await
        .body;
    let iid = invocation["invocation_id"].as_str().unwrap();
    let new_code = invocation["handoff_code"].as_str().unwrap();
    assert_eq!(
        api.post(&exchange, json!({ "code": code })).await.status,
        410
    );
    let legacy_exchange = format!("/agents/auth/invocations/{iid}/exchange");
    assert_eq!(
        api.post(&legacy_exchange, json!({ "code": code }))
            .await
            .status,
        400
    );
    let ok = api
        .post(&legacy_exchange, json!({ "code": new_code }))
        .await;
    assert_eq!(ok.status, 200);
    assert_eq!(ok.body["invocation_id"], iid);
    assert_eq!(
        api.post(&exchange, json!({ "code": new_code }))
            .await
            .status,
        410
    );
    assert_eq!(
        api.post(
            "/agents/auth/invocations/flow_missing/exchange",
            json!({ "code": new_code })
        )
        .await
        .status,
        404
    );
}

#[tokio::test]
async fn an_idle_connection_stream_answers_at_once() {
    // The default 15 s heartbeat: nothing else would start the body.
    let mock = KernelMock::start().await.unwrap();
    let api = Api::new(&mock);
    let id = api.connection("password.example", "idle", json!({})).await;
    let request = api
        .http
        .get(api.url(&format!("/auth/connections/{id}/events")))
        .bearer_auth(&api.key);
    let response = tokio::time::timeout(Duration::from_secs(1), request.send())
        .await
        .expect("response head within 1 s")
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "text/event-stream",
        "{:?}",
        response.headers()
    );
    let mut events = crate::common::SseReader::new(response);
    let first = events
        .next(Duration::from_secs(1))
        .await
        .expect("a first frame within 1 s");
    assert_eq!(first.event.as_deref(), Some("sse_heartbeat"));
    assert_eq!(first.json()["event"], "sse_heartbeat");
}
