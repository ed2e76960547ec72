//! Every scripted site end to end through the Managed Auth API: create the
//! connection (and credential), log in, follow the event stream, submit,
//! reach the terminal state.

use std::time::Duration;

use crate::common::{drive, fast_mock, field_names, login_fields, Api};
use kernel_mock::sites::{PASSWORD, SMS_CODE, TOTP_SECRET, USERNAME};
use kernel_mock::{Field, Form, KernelMock, MfaChoice, OnWrong, Site, Step};
use serde_json::{json, Value};

fn steps(states: &[Value]) -> Vec<String> {
    states
        .iter()
        .map(|s| s["flow_step"].as_str().unwrap_or("?").to_owned())
        .collect()
}

async fn login(api: &Api, id: &str) -> Value {
    let reply = api
        .post(&format!("/auth/connections/{id}/login"), json!({}))
        .await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    reply.body
}

#[tokio::test]
async fn password_site_succeeds_and_saves_the_credential() {
    let mock = fast_mock().await;
    let api = Api::new(&mock);
    let id = api.connection("password.example", "shop", json!({})).await;
    let started = login(&api, &id).await;
    assert_eq!(started["id"], id.as_str());
    assert_eq!(started["flow_type"], "LOGIN");
    assert!(started["hosted_url"]
        .as_str()
        .unwrap()
        .starts_with("https://"));
    let states = drive(&api, &id, |state| {
        assert_eq!(field_names(state), ["username", "password"]);
        assert_eq!(state["discovered_fields"][1]["type"], "password");
        Some(login_fields())
    })
    .await;
    let steps = steps(&states);
    assert_eq!(steps.first().map(String::as_str), Some("DISCOVERING"));
    assert!(steps.contains(&"AWAITING_INPUT".to_owned()));
    assert!(steps.contains(&"SUBMITTING".to_owned()));
    let last = states.last().unwrap();
    assert_eq!(last["flow_status"], "SUCCESS");
    assert_eq!(last["flow_step"], "COMPLETED");
    assert_eq!(last["post_login_url"], "https://password.example/home");
    let connection = api.get(&format!("/auth/connections/{id}")).await.body;
    assert_eq!(connection["status"], "AUTHENTICATED");
    assert_eq!(connection["flow_status"], "SUCCESS");
    assert_eq!(connection["credential"]["name"], "shop-password.example");
    assert_eq!(connection["can_reauth"], true);
    assert!(connection.get("hosted_url").is_none());
    let saved = mock
        .credential_values("shop-password.example")
        .expect("saved credential");
    assert_eq!(saved.get("username").map(String::as_str), Some(USERNAME));
    assert_eq!(saved.get("password").map(String::as_str), Some(PASSWORD));
    assert!(mock.profile_has_auth_state("shop"));

    // A second login re-authenticates from the saved credential alone.
    let again = login(&api, &id).await;
    assert_eq!(again["flow_type"], "REAUTH");
    let states = drive(&api, &id, |state| {
        panic!("no input expected, got {state:#}")
    })
    .await;
    assert_eq!(states.last().unwrap()["flow_status"], "SUCCESS");
    assert!(!steps_of(&states).contains(&"AWAITING_INPUT".to_owned()));
}

fn steps_of(states: &[Value]) -> Vec<String> {
    steps(states)
}

#[tokio::test]
async fn password_site_fails_with_credentials_invalid() {
    let mock = fast_mock().await;
    let api = Api::new(&mock);
    let id = api
        .connection(
            "password.example",
            "p",
            json!({ "save_credentials": false }),
        )
        .await;
    login(&api, &id).await;
    let states = drive(&api, &id, |_| {
        Some(json!({ "fields": { "username": USERNAME, "password": "nope" } }))
    })
    .await;
    let last = states.last().unwrap();
    assert_eq!(last["flow_status"], "FAILED");
    assert_eq!(last["error_code"], "credentials_invalid");
    assert!(last["error_message"].as_str().is_some());
    let connection = api.get(&format!("/auth/connections/{id}")).await.body;
    assert_eq!(connection["status"], "NEEDS_AUTH");
    assert_eq!(connection["error_code"], "credentials_invalid");
    assert!(mock.credential_values("p-password.example").is_none());
    assert!(!mock.profile_has_auth_state("p"));
}

#[tokio::test]
async fn email_first_site_asks_two_pages() {
    let mock = fast_mock().await;
    let api = Api::new(&mock);
    let id = api.connection("email-first.example", "e", json!({})).await;
    login(&api, &id).await;
    let mut pages = Vec::new();
    let states = drive(&api, &id, |state| {
        let names = field_names(state);
        pages.push(names.clone());
        match names.as_slice() {
            [email] if email == "email" => Some(json!({ "fields": { "email": USERNAME } })),
            [password] if password == "password" => {
                Some(json!({ "fields": { "password": PASSWORD } }))
            }
            other => panic!("unexpected page {other:?}"),
        }
    })
    .await;
    assert_eq!(
        pages,
        vec![vec!["email".to_owned()], vec!["password".to_owned()]]
    );
    assert_eq!(states.last().unwrap()["flow_status"], "SUCCESS");
}

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
async fn sso_site_by_provider_and_by_selector() {
    let mock = fast_mock().await;
    let api = Api::new(&mock);
    let id = api.connection("sso.example", "s1", json!({})).await;
    login(&api, &id).await;
    let states = drive(&api, &id, |state| {
        let buttons = state["pending_sso_buttons"].as_array().expect("buttons");
        let providers: Vec<&str> = buttons
            .iter()
            .filter_map(|b| b["provider"].as_str())
            .collect();
        assert_eq!(providers, ["google", "github"]);
        Some(json!({ "sso_provider": "github" }))
    })
    .await;
    assert_eq!(states.last().unwrap()["flow_status"], "SUCCESS");
    let connection = api.get(&format!("/auth/connections/{id}")).await.body;
    assert_eq!(connection["sso_provider"], "github");

    let id = api.connection("sso.example", "s2", json!({})).await;
    login(&api, &id).await;
    let states = drive(&api, &id, |state| {
        let selector = state["pending_sso_buttons"][0]["selector"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(selector.starts_with("xpath="));
        Some(json!({ "sso_button_selector": selector }))
    })
    .await;
    assert_eq!(states.last().unwrap()["flow_status"], "SUCCESS");
    let connection = api.get(&format!("/auth/connections/{id}")).await.body;
    assert_eq!(connection["sso_provider"], "google");
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

#[tokio::test]
async fn wrong_password_site_shows_website_error_then_allows_retry() {
    let mock = fast_mock().await;
    let api = Api::new(&mock);
    let id = api
        .connection("wrong-password.example", "w", json!({}))
        .await;
    login(&api, &id).await;
    let mut attempt = 0;
    let states = drive(&api, &id, |state| {
        attempt += 1;
        if attempt == 1 {
            assert!(state.get("website_error").is_none());
            Some(json!({ "fields": { "username": USERNAME, "password": "wrong" } }))
        } else {
            assert_eq!(state["website_error"], "Incorrect password");
            Some(login_fields())
        }
    })
    .await;
    assert_eq!(attempt, 2);
    assert_eq!(states.last().unwrap()["flow_status"], "SUCCESS");

    // Three wrong attempts fail the flow.
    let id = api
        .connection("wrong-password.example", "w2", json!({}))
        .await;
    login(&api, &id).await;
    let states = drive(&api, &id, |_| {
        Some(json!({ "fields": { "username": USERNAME, "password": "wrong" } }))
    })
    .await;
    let last = states.last().unwrap();
    assert_eq!(last["flow_status"], "FAILED");
    assert_eq!(last["error_code"], "max_attempts_reached");
}

#[tokio::test]
async fn account_picker_site_uses_sign_in_options() {
    let mock = fast_mock().await;
    let api = Api::new(&mock);
    let id = api
        .connection("account-picker.example", "a", json!({}))
        .await;
    login(&api, &id).await;
    let states = drive(&api, &id, |state| {
        if let Some(options) = state["sign_in_options"].as_array() {
            assert_eq!(options[1]["id"], "work");
            Some(json!({ "sign_in_option_id": "work" }))
        } else {
            Some(json!({ "fields": { "email": USERNAME, "password": PASSWORD } }))
        }
    })
    .await;
    assert_eq!(states.last().unwrap()["flow_status"], "SUCCESS");
}

#[tokio::test]
async fn bot_and_captcha_sites_fail_with_their_codes() {
    let mock = fast_mock().await;
    let api = Api::new(&mock);
    let id = api.connection("bot.example", "b", json!({})).await;
    login(&api, &id).await;
    let states = drive(&api, &id, |state| panic!("no input expected: {state:#}")).await;
    let last = states.last().unwrap();
    assert_eq!(last["flow_status"], "FAILED");
    assert_eq!(last["error_code"], "bot_detected");

    let id = api.connection("captcha.example", "c", json!({})).await;
    login(&api, &id).await;
    let states = drive(&api, &id, |_| {
        Some(json!({ "fields": { "username": "x", "password": "y" } }))
    })
    .await;
    let last = states.last().unwrap();
    assert_eq!(last["flow_status"], "FAILED");
    assert_eq!(last["error_code"], "captcha_blocked");
    assert!(last["error_message"].as_str().unwrap().contains("CAPTCHA"));
}

#[tokio::test]
async fn unknown_domain_fails_with_login_form_not_found() {
    let mock = fast_mock().await;
    let api = Api::new(&mock);
    let id = api.connection("nowhere.test", "n", json!({})).await;
    login(&api, &id).await;
    let states = drive(&api, &id, |_| None).await;
    assert_eq!(states.last().unwrap()["error_code"], "login_form_not_found");
}

#[tokio::test]
async fn slow_site_expires_at_flow_expires_at() {
    let mock = KernelMock::builder()
        .step_delay(Duration::from_millis(10))
        .flow_ttl(Duration::from_millis(400))
        .start()
        .await
        .unwrap();
    let api = Api::new(&mock);
    let id = api.connection("slow.example", "slow", json!({})).await;
    let started = login(&api, &id).await;
    let expires: chrono::DateTime<chrono::Utc> = started["flow_expires_at"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let states = drive(&api, &id, |_| None).await;
    assert_eq!(states.last().unwrap()["flow_status"], "EXPIRED");
    assert!(chrono::Utc::now() >= expires - chrono::Duration::milliseconds(50));
    // An expired flow does not block a new login.
    login(&api, &id).await;
}

#[tokio::test]
async fn idle_flow_on_any_site_expires() {
    let mock = KernelMock::builder()
        .step_delay(Duration::from_millis(10))
        .flow_ttl(Duration::from_millis(300))
        .start()
        .await
        .unwrap();
    let api = Api::new(&mock);
    let id = api.connection("password.example", "idle", json!({})).await;
    login(&api, &id).await;
    let states = drive(&api, &id, |_| None).await;
    assert_eq!(states.last().unwrap()["flow_status"], "EXPIRED");
    let reply = api.submit(&id, login_fields()).await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.body["code"], "no_active_flow");
}

#[tokio::test]
async fn custom_site_from_the_builder() {
    let site = Site::builder("intranet.test")
        .form(
            Form::new()
                .field(Field::email("email", "Work email").expect("me@corp.test"))
                .on_wrong(OnWrong::retry("Unknown user")),
        )
        .step(Step::choose_mfa([MfaChoice::new(
            "email",
            "Email me a code",
        )
        .then(Step::form(
            Form::new().field(Field::code("code", "Code").expect("424242")),
        ))]))
        .build();
    let mock = KernelMock::builder()
        .step_delay(Duration::from_millis(10))
        .site(site)
        .start()
        .await
        .unwrap();
    assert!(mock.sites().contains(&"intranet.test".to_owned()));
    let api = Api::new(&mock);
    let id = api.connection("intranet.test", "corp", json!({})).await;
    login(&api, &id).await;
    let states = drive(&api, &id, |state| {
        if state["mfa_options"].is_array() {
            return Some(json!({ "mfa_option_id": "email" }));
        }
        match field_names(state).as_slice() {
            [e] if e == "email" => Some(json!({ "fields": { "email": "me@corp.test" } })),
            [c] if c == "code" => Some(json!({ "fields": { "code": "424242" } })),
            other => panic!("{other:?}"),
        }
    })
    .await;
    let last = states.last().unwrap();
    assert_eq!(last["flow_status"], "SUCCESS");
    assert_eq!(last["post_login_url"], "https://intranet.test/home");
}

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
