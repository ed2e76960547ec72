//! Sites that fail (bot detection, CAPTCHA, an unknown domain) and flows
//! that expire.

use super::login;
use crate::common::{drive, fast_mock, login_fields, Api};
use kernel_mock::KernelMock;
use serde_json::json;
use std::time::Duration;

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
