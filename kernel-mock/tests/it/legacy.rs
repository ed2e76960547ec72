//! The deprecated `/agents/auth` API, polled as in the programmatic-flow
//! guide (seed 000): lower-case steps, `pending_fields`, `field_values`,
//! `selected_mfa_type`, `sso_button`, `save_credential_as`, expiry.

use std::time::Duration;

use crate::common::{fast_mock, Api};
use kernel_mock::sites::{PASSWORD, SMS_CODE, USERNAME};
use kernel_mock::KernelMock;
use serde_json::{json, Value};

async fn agent(api: &Api, domain: &str, profile: &str, extra: Value) -> String {
    let mut body = json!({ "domain": domain, "profile_name": profile });
    if let (Some(map), Value::Object(extra)) = (body.as_object_mut(), extra) {
        map.extend(extra);
    }
    let reply = api.post("/agents/auth", body).await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    reply.body["id"].as_str().unwrap().to_owned()
}

async fn invoke(api: &Api, agent_id: &str, save_as: Option<&str>) -> Value {
    let mut body = json!({ "auth_agent_id": agent_id });
    if let Some(name) = save_as {
        body["save_credential_as"] = json!(name);
    }
    let reply = api.post("/agents/auth/invocations", body).await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    reply.body
}

/// The polling loop of the guide; `respond` answers `awaiting_input`.
async fn poll(
    api: &Api,
    invocation: &str,
    mut respond: impl FnMut(&Value) -> Value,
) -> (Value, Vec<String>) {
    let mut steps = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let reply = api
            .get(&format!("/agents/auth/invocations/{invocation}"))
            .await;
        assert_eq!(reply.status, 200, "{:?}", reply.body);
        let state = reply.body;
        let step = state["step"].as_str().unwrap().to_owned();
        if steps.last() != Some(&step) {
            steps.push(step.clone());
        }
        if state["status"] != "IN_PROGRESS" {
            return (state, steps);
        }
        if step == "awaiting_input" {
            let body = respond(&state);
            let reply = api
                .post(
                    &format!("/agents/auth/invocations/{invocation}/submit"),
                    body,
                )
                .await;
            assert_eq!(reply.status, 202, "{:?}", reply.body);
            assert_eq!(reply.body, json!({ "accepted": true }));
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out: {state:#}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test]
async fn programmatic_flow_with_save_credential_as() {
    let mock = fast_mock().await;
    let api = Api::new(&mock);
    let agent_id = agent(&api, "password.example", "github-profile", json!({})).await;
    // Idempotent create.
    assert_eq!(
        agent(&api, "password.example", "github-profile", json!({})).await,
        agent_id
    );
    let created = invoke(&api, &agent_id, Some("my-saved-creds")).await;
    assert_eq!(created["type"], "login");
    assert!(created["handoff_code"].is_string());
    let invocation = created["invocation_id"].as_str().unwrap().to_owned();
    let (state, steps) = poll(&api, &invocation, |state| {
        let names: Vec<&str> = state["pending_fields"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|f| f["name"].as_str())
            .collect();
        assert_eq!(names, ["username", "password"]);
        json!({ "field_values": { "username": USERNAME, "password": PASSWORD } })
    })
    .await;
    assert_eq!(state["status"], "SUCCESS");
    assert_eq!(state["step"], "completed");
    assert_eq!(state["domain"], "password.example");
    assert_eq!(state["submitted_fields"], json!(["password", "username"]));
    for step in &steps {
        assert!(
            [
                "initialized",
                "discovering",
                "awaiting_input",
                "submitting",
                "completed"
            ]
            .contains(&step.as_str()),
            "{step}"
        );
    }
    assert!(steps.contains(&"awaiting_input".to_owned()));
    let saved = mock.credential_values("my-saved-creds").expect("saved");
    assert_eq!(saved.get("password").map(String::as_str), Some(PASSWORD));
    let agent = api.get(&format!("/agents/auth/{agent_id}")).await.body;
    assert_eq!(agent["status"], "AUTHENTICATED");
    assert_eq!(agent["credential"]["name"], "my-saved-creds");
    assert!(agent["credential_id"]
        .as_str()
        .unwrap()
        .starts_with("cred_"));
    // The agent is also visible as an auth connection.
    assert_eq!(
        api.get(&format!("/auth/connections/{agent_id}"))
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn two_factor_with_mfa_selection_and_pending_fields() {
    let mock = fast_mock().await;
    let api = Api::new(&mock);
    let agent_id = agent(&api, "mfa-choice.example", "p", json!({})).await;
    let invocation = invoke(&api, &agent_id, None).await["invocation_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (state, _) = poll(&api, &invocation, |state| {
        if let Some(options) = state["mfa_options"].as_array() {
            assert_eq!(options.len(), 3);
            return json!({ "selected_mfa_type": "sms" });
        }
        let names: Vec<&str> = state["pending_fields"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|f| f["name"].as_str())
            .collect();
        if names == ["sms_code"] {
            json!({ "field_values": { "sms_code": SMS_CODE } })
        } else {
            json!({ "field_values": { "username": USERNAME, "password": PASSWORD } })
        }
    })
    .await;
    assert_eq!(state["status"], "SUCCESS");
    // The legacy API saves nothing without save_credential_as.
    assert!(mock.credential_values("p-mfa-choice.example").is_none());
}

#[tokio::test]
async fn push_external_action_and_sso_button() {
    let mock = fast_mock().await;
    let api = Api::new(&mock);
    let agent_id = agent(&api, "push.example", "push", json!({})).await;
    let invocation = invoke(&api, &agent_id, None).await["invocation_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut message = None;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let state = api
            .get(&format!("/agents/auth/invocations/{invocation}"))
            .await
            .body;
        if state["step"] == "awaiting_input" {
            api.post(
                &format!("/agents/auth/invocations/{invocation}/submit"),
                json!({ "field_values": { "username": USERNAME, "password": PASSWORD } }),
            )
            .await;
        }
        if state["step"] == "awaiting_external_action" {
            message = state["external_action_message"].as_str().map(str::to_owned);
        }
        if state["status"] != "IN_PROGRESS" {
            assert_eq!(state["status"], "SUCCESS");
            break;
        }
        assert!(tokio::time::Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert!(message.unwrap().contains("phone"));

    let agent_id = agent(&api, "sso.example", "sso", json!({})).await;
    let invocation = invoke(&api, &agent_id, None).await["invocation_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (state, _) = poll(&api, &invocation, |state| {
        let selector = state["pending_sso_buttons"][1]["selector"]
            .as_str()
            .unwrap()
            .to_owned();
        json!({ "sso_button": selector })
    })
    .await;
    assert_eq!(state["status"], "SUCCESS");
    assert_eq!(state["sso_provider"], "github");
}

#[tokio::test]
async fn invocations_expire_with_step_expired() {
    let mock = KernelMock::builder()
        .step_delay(Duration::from_millis(10))
        .flow_ttl(Duration::from_millis(300))
        .start()
        .await
        .unwrap();
    let api = Api::new(&mock);
    let agent_id = agent(&api, "password.example", "x", json!({})).await;
    let created = invoke(&api, &agent_id, None).await;
    let invocation = created["invocation_id"].as_str().unwrap();
    tokio::time::sleep(Duration::from_millis(600)).await;
    let state = api
        .get(&format!("/agents/auth/invocations/{invocation}"))
        .await
        .body;
    assert_eq!(state["status"], "EXPIRED");
    assert_eq!(state["step"], "expired");
    let reply = api
        .post(
            &format!("/agents/auth/invocations/{invocation}/submit"),
            json!({ "field_values": { "a": "b" } }),
        )
        .await;
    assert_eq!(reply.status, 400);
}

#[tokio::test]
async fn legacy_errors_and_credential_name() {
    let mock = fast_mock().await;
    let api = Api::new(&mock);
    assert_eq!(api.get("/agents/auth/ma_nope").await.status, 404);
    assert_eq!(
        api.get("/agents/auth/invocations/flow_nope").await.status,
        404
    );
    assert_eq!(
        api.post(
            "/agents/auth/invocations",
            json!({ "auth_agent_id": "ma_nope" })
        )
        .await
        .status,
        404
    );
    assert_eq!(
        api.post("/agents/auth/invocations", json!({})).await.status,
        400
    );
    assert_eq!(
        api.post(
            "/agents/auth",
            json!({ "domain": "a.example", "profile_name": "p", "credential_name": "missing" })
        )
        .await
        .status,
        400
    );
    // Seed 001: a credential with some values; only the rest is pending.
    api.post("/credentials", json!({ "name": "partial", "domain": "password.example", "values": { "username": USERNAME } }))
        .await;
    let agent_id = agent(
        &api,
        "password.example",
        "cn",
        json!({ "credential_name": "partial" }),
    )
    .await;
    let invocation = invoke(&api, &agent_id, None).await["invocation_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (state, _) = poll(&api, &invocation, |state| {
        let names: Vec<&str> = state["pending_fields"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|f| f["name"].as_str())
            .collect();
        assert_eq!(names, ["password"]);
        json!({ "field_values": { "password": PASSWORD } })
    })
    .await;
    assert_eq!(state["status"], "SUCCESS");
    // Neither of two submit shapes at once.
    let reply = api
        .post(
            &format!("/agents/auth/invocations/{invocation}/submit"),
            json!({ "field_values": {}, "selected_mfa_type": "sms" }),
        )
        .await;
    assert_eq!(reply.status, 400);
    let list = api.get("/agents/auth?domain=password.example").await;
    assert_eq!(list.status, 200);
    assert_eq!(list.body.as_array().unwrap().len(), 1);
    assert_eq!(
        api.delete(&format!("/agents/auth/{agent_id}")).await.status,
        204
    );
    assert_eq!(
        api.get(&format!("/agents/auth/{agent_id}")).await.status,
        404
    );
}
