//! Starting and stopping the server.

use std::time::{Duration, Instant};

use crate::common::{fast_mock, Api};
use kernel_mock::{KernelMock, DEFAULT_API_KEY};
use serde_json::json;

fn assert_send_sync<T: Send + Sync>() {}

#[test]
fn the_handle_is_send_and_sync() {
    assert_send_sync::<KernelMock>();
    assert_send_sync::<kernel_mock::Faults>();
}

#[tokio::test]
async fn defaults_and_base_url() {
    let mock = KernelMock::start().await.unwrap();
    assert_eq!(mock.api_key(), DEFAULT_API_KEY);
    assert!(mock.base_url().starts_with("http://127.0.0.1:"));
    assert!(!mock.base_url().ends_with('/'));
    assert_eq!(mock.base_url(), format!("http://{}", mock.addr()));
    assert_eq!(mock.sites().len(), kernel_mock::Site::defaults().len());
    let custom = KernelMock::builder()
        .api_key("k2")
        .without_default_sites()
        .start()
        .await
        .unwrap();
    assert_eq!(custom.api_key(), "k2");
    assert!(custom.sites().is_empty());
    assert_ne!(custom.addr(), mock.addr());
}

async fn refused(url: &str) -> bool {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        if reqwest::get(url).await.is_err() {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn shutdown_closes_the_listener_and_ends_streams() {
    let mock = fast_mock().await;
    let api = Api::new(&mock);
    let id = api.connection("slow.example", "s", json!({})).await;
    api.post(&format!("/auth/connections/{id}/login"), json!({}))
        .await;
    let mut events = api
        .sse(&format!("/auth/connections/{id}/events"), None)
        .await;
    events
        .next_event(Duration::from_secs(5))
        .await
        .expect("first state");
    let url = api.url("/profiles");
    let started = Instant::now();
    mock.shutdown().await;
    assert!(started.elapsed() < Duration::from_secs(5));
    while events.next_data(Duration::from_secs(5)).await.is_some() {}
    assert_ne!(events.ended, Some(crate::common::StreamEnd::Timeout));
    assert!(refused(&url).await);
}

#[tokio::test]
async fn dropping_the_handle_stops_the_server() {
    let mock = fast_mock().await;
    let url = format!("{}/profiles", mock.base_url());
    assert_eq!(reqwest::get(&url).await.unwrap().status(), 401);
    drop(mock);
    assert!(refused(&url).await);
}
