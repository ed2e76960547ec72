//! The first factor: password and email-first sites, a wrong password,
//! SSO buttons and an account picker.

use super::{login, steps, steps_of};
use crate::common::{drive, fast_mock, field_names, login_fields, Api};
use kernel_mock::sites::{PASSWORD, USERNAME};
use serde_json::json;

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
