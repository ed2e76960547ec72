//! Second factors: TOTP typed or generated from a saved secret, partial
//! credentials, MFA choice (SMS, TOTP, push) and push approval.

use super::login;
use crate::common::{drive, fast_mock, field_names, login_fields, Api};
use kernel_mock::sites::{PASSWORD, SMS_CODE, TOTP_SECRET, USERNAME};
use serde_json::{json, Value};
use std::time::Duration;

#[tokio::test]
async fn totp_site_with_user_entered_code_and_a_retry() {
    let mock = fast_mock().await;
    let api = Api::new(&mock);
    let id = api.connection("totp.example", "t", json!({})).await;
    login(&api, &id).await;
    let mut wrong_code_sent = false;
    let mut website_errors = Vec::new();
    let states = drive(&api, &id, |state| {
        if let Some(error) = state["website_error"].as_str() {
            website_errors.push(error.to_owned());
        }
        match field_names(state).as_slice() {
            [u, _] if u == "username" => Some(login_fields()),
            [code] if code == "totp_code" => {
                assert_eq!(state["discovered_fields"][0]["type"], "totp");
                if !wrong_code_sent {
                    wrong_code_sent = true;
                    return Some(json!({ "fields": { "totp_code": "000000" } }));
                }
                let code = kernel_mock::totp::code_now(TOTP_SECRET).unwrap();
                Some(json!({ "fields": { "totp_code": code } }))
            }
            other => panic!("unexpected {other:?}"),
        }
    })
    .await;
    assert_eq!(website_errors, ["Invalid verification code"]);
    assert_eq!(states.last().unwrap()["flow_status"], "SUCCESS");
    // One-time codes are never saved.
    let saved = mock.credential_values("t-totp.example").unwrap();
    assert!(!saved.contains_key("totp_code"));
}

#[tokio::test]
async fn totp_site_is_fully_automatic_with_a_complete_credential() {
    let mock = fast_mock().await;
    let api = Api::new(&mock);
    let secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
    let created = api
        .post(
            "/credentials",
            json!({ "name": "full", "domain": "totp.example",
                    "values": { "username": USERNAME, "password": PASSWORD }, "totp_secret": secret }),
        )
        .await;
    assert_eq!(created.status, 201);
    let id = api
        .connection(
            "totp.example",
            "auto",
            json!({ "credential": { "name": "full" } }),
        )
        .await;
    login(&api, &id).await;
    let states = drive(&api, &id, |state| panic!("no input expected: {state:#}")).await;
    assert_eq!(states.last().unwrap()["flow_status"], "SUCCESS");
}

/// Seed 001: a credential with the email and TOTP secret but no password;
/// only the password is asked, the TOTP is filled by the mock.
#[tokio::test]
async fn partial_credential_asks_only_for_missing_fields() {
    let mock = fast_mock().await;
    let api = Api::new(&mock);
    api.post(
        "/credentials",
        json!({ "name": "my-login", "domain": "totp.example", "values": { "username": USERNAME }, "totp_secret": "JBSWY3DPEHPK3PXP" }),
    )
    .await;
    let id = api
        .connection(
            "totp.example",
            "my-profile",
            json!({ "credential": { "name": "my-login" } }),
        )
        .await;
    login(&api, &id).await;
    let mut asked = Vec::new();
    let states = drive(&api, &id, |state| {
        asked.push(field_names(state));
        Some(json!({ "fields": { "password": PASSWORD } }))
    })
    .await;
    assert_eq!(asked, vec![vec!["password".to_owned()]]);
    assert_eq!(states.last().unwrap()["flow_status"], "SUCCESS");
    // The user-provided password was merged into the credential.
    let saved = mock.credential_values("my-login").unwrap();
    assert_eq!(saved.get("password").map(String::as_str), Some(PASSWORD));
}

#[tokio::test]
async fn mfa_choice_site_sms_totp_and_push() {
    let mock = fast_mock().await;
    let api = Api::new(&mock);
    for (method, profile) in [("sms", "m1"), ("totp", "m2"), ("push", "m3")] {
        let id = api
            .connection("mfa-choice.example", profile, json!({}))
            .await;
        login(&api, &id).await;
        let mut saw_options = false;
        let mut saw_external = false;
        let mut events = api
            .sse(&format!("/auth/connections/{id}/events"), None)
            .await;
        let mut last = Value::Null;
        while let Some(frame) = events.next_event(Duration::from_secs(10)).await {
            let state = frame.json();
            last = state.clone();
            if state["flow_status"] != "IN_PROGRESS" {
                break;
            }
            if state["flow_step"] == "AWAITING_EXTERNAL_ACTION" {
                saw_external = true;
                assert!(state["external_action_message"]
                    .as_str()
                    .unwrap()
                    .contains("phone"));
            }
            if state["flow_step"] != "AWAITING_INPUT" {
                continue;
            }
            let body = if let Some(options) = state["mfa_options"].as_array() {
                saw_options = true;
                let types: Vec<&str> = options.iter().filter_map(|o| o["type"].as_str()).collect();
                assert_eq!(types, ["sms", "totp", "push"]);
                assert_eq!(options[0]["target"], "***-***-0123");
                json!({ "mfa_option_id": method })
            } else {
                match field_names(&state).as_slice() {
                    [u, _] if u == "username" => login_fields(),
                    [c] if c == "sms_code" => json!({ "fields": { "sms_code": SMS_CODE } }),
                    [c] if c == "totp_code" => {
                        json!({ "fields": { "totp_code": kernel_mock::totp::code_now(TOTP_SECRET).unwrap() } })
                    }
                    other => panic!("unexpected {other:?}"),
                }
            };
            assert_eq!(api.submit(&id, body).await.status, 202);
        }
        assert!(saw_options, "{method}");
        assert_eq!(saw_external, method == "push", "{method}");
        assert_eq!(last["flow_status"], "SUCCESS", "{method}: {last:#}");
    }
}

#[tokio::test]
async fn mfa_choice_rejects_a_wrong_sms_code() {
    let mock = fast_mock().await;
    let api = Api::new(&mock);
    let id = api.connection("mfa-choice.example", "sms", json!({})).await;
    login(&api, &id).await;
    let mut codes = vec![SMS_CODE, "999999"];
    let mut errors = Vec::new();
    let states = drive(&api, &id, |state| {
        if state["mfa_options"].is_array() {
            return Some(json!({ "mfa_option_id": "sms" }));
        }
        if let Some(error) = state["website_error"].as_str() {
            errors.push(error.to_owned());
        }
        match field_names(state).as_slice() {
            [u, _] if u == "username" => Some(login_fields()),
            [c] if c == "sms_code" => {
                Some(json!({ "fields": { "sms_code": codes.pop().unwrap() } }))
            }
            other => panic!("unexpected {other:?}"),
        }
    })
    .await;
    assert_eq!(errors, ["That code didn't work"]);
    assert_eq!(states.last().unwrap()["flow_status"], "SUCCESS");
}

#[tokio::test]
async fn mfa_choice_picks_totp_itself_when_the_credential_has_a_secret() {
    let mock = fast_mock().await;
    let api = Api::new(&mock);
    api.post(
        "/credentials",
        json!({ "name": "c", "domain": "mfa-choice.example",
                "values": { "username": USERNAME, "password": PASSWORD }, "totp_secret": TOTP_SECRET }),
    )
    .await;
    let id = api
        .connection(
            "mfa-choice.example",
            "auto",
            json!({ "credential": { "name": "c" } }),
        )
        .await;
    login(&api, &id).await;
    let states = drive(&api, &id, |state| panic!("no input expected: {state:#}")).await;
    assert_eq!(states.last().unwrap()["flow_status"], "SUCCESS");
}

#[tokio::test]
async fn push_site_completes_by_itself() {
    let mock = fast_mock().await;
    let api = Api::new(&mock);
    let id = api.connection("push.example", "p", json!({})).await;
    login(&api, &id).await;
    let states = drive(&api, &id, |_| Some(login_fields())).await;
    let external = states
        .iter()
        .find(|s| s["flow_step"] == "AWAITING_EXTERNAL_ACTION")
        .expect("external action");
    assert_eq!(
        external["external_action_message"],
        "Tap 'Yes' on the sign-in prompt on your phone"
    );
    assert_eq!(states.last().unwrap()["flow_status"], "SUCCESS");
}
