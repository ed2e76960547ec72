//! The connection's login, submit and events endpoints: conflicts and
//! submit errors, deletion mid-flow, a stream opened before the login.

use super::login;
use crate::common::{fast_mock, login_fields, Api};
use kernel_mock::sites::USERNAME;
use serde_json::json;
use std::time::Duration;

#[tokio::test]
async fn login_conflicts_and_submit_errors() {
    let mock = fast_mock().await;
    let api = Api::new(&mock);
    let id = api.connection("password.example", "c", json!({})).await;

    // Submit before any flow.
    let reply = api.submit(&id, login_fields()).await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.body["code"], "no_active_flow");

    login(&api, &id).await;
    let again = api
        .post(&format!("/auth/connections/{id}/login"), json!({}))
        .await;
    assert_eq!(again.status, 409);
    assert!(again.body["code"].is_string() && again.body["message"].is_string());

    // Not awaiting input yet (DISCOVERING).
    let reply = api.submit(&id, login_fields()).await;
    assert_eq!(reply.status, 422, "{:?}", reply.body);

    api.wait_connection(&id, |c| c["flow_step"] == "AWAITING_INPUT")
        .await;
    // Missing a field.
    let reply = api
        .submit(&id, json!({ "fields": { "username": USERNAME } }))
        .await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.body["code"], "missing_fields");
    // The wrong kind of submission.
    let reply = api.submit(&id, json!({ "mfa_option_id": "sms" })).await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.body["code"], "invalid_submission");
    // Two kinds at once.
    let reply = api
        .submit(
            &id,
            json!({ "mfa_option_id": "sms", "sso_provider": "google" }),
        )
        .await;
    assert_eq!(reply.status, 400);
    // Unknown property (additionalProperties: false) and malformed JSON.
    let reply = api.submit(&id, json!({ "field_values": {} })).await;
    assert_eq!(reply.status, 400);
    let raw = api
        .http
        .post(api.url(&format!("/auth/connections/{id}/submit")))
        .bearer_auth(&api.key)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    let raw = crate::common::read(raw).await;
    assert_eq!(raw.status, 400);
    assert_eq!(raw.body["code"], "bad_request");
    // Unknown connection.
    assert_eq!(api.submit("ma_missing", login_fields()).await.status, 404);
    assert_eq!(
        api.post("/auth/connections/ma_missing/login", json!({}))
            .await
            .status,
        404
    );

    let reply = api.submit(&id, login_fields()).await;
    assert_eq!(reply.status, 202);
    assert_eq!(reply.body, json!({ "accepted": true }));
    let done = api
        .wait_connection(&id, |c| c["flow_status"] != "IN_PROGRESS")
        .await;
    assert_eq!(done["flow_status"], "SUCCESS");
}

#[tokio::test]
async fn deleting_a_connection_cancels_its_flow_and_ends_the_stream() {
    let mock = fast_mock().await;
    let api = Api::new(&mock);
    let id = api.connection("password.example", "d", json!({})).await;
    login(&api, &id).await;
    api.wait_connection(&id, |c| c["flow_step"] == "AWAITING_INPUT")
        .await;
    let mut events = api
        .sse(&format!("/auth/connections/{id}/events"), None)
        .await;
    let first = events
        .next_event(Duration::from_secs(5))
        .await
        .unwrap()
        .json();
    assert_eq!(first["flow_step"], "AWAITING_INPUT");
    assert_eq!(
        api.delete(&format!("/auth/connections/{id}")).await.status,
        204
    );
    let last = events
        .next_event(Duration::from_secs(5))
        .await
        .unwrap()
        .json();
    assert_eq!(last["flow_status"], "CANCELED");
    assert!(events.next_event(Duration::from_secs(5)).await.is_none());
    assert_eq!(
        api.get(&format!("/auth/connections/{id}")).await.status,
        404
    );
}

#[tokio::test]
async fn event_stream_opened_before_login_waits_and_sends_heartbeats() {
    let mock = fast_mock().await;
    let api = Api::new(&mock);
    let id = api.connection("password.example", "early", json!({})).await;
    let mut events = api
        .sse(&format!("/auth/connections/{id}/events"), None)
        .await;
    let beat = events
        .next_data(Duration::from_secs(5))
        .await
        .expect("heartbeat");
    assert_eq!(beat.event.as_deref(), Some("sse_heartbeat"));
    let beat = beat.json();
    assert_eq!(beat["event"], "sse_heartbeat");
    assert!(beat["timestamp"]
        .as_str()
        .unwrap()
        .parse::<chrono::DateTime<chrono::Utc>>()
        .is_ok());
    login(&api, &id).await;
    let first = events
        .next_event(Duration::from_secs(5))
        .await
        .expect("state");
    assert_eq!(first.event.as_deref(), Some("managed_auth_state"));
    let first = first.json();
    assert_eq!(first["event"], "managed_auth_state");
    assert_eq!(first["flow_status"], "IN_PROGRESS");
    assert_eq!(first["flow_type"], "LOGIN");
}
