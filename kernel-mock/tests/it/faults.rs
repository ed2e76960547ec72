//! Every fault knob, the request log and the route counters.

use std::time::{Duration, Instant};

use crate::common::{fast_mock, Api, StreamEnd};
use kernel_mock::FaultRule;
use serde_json::json;

#[tokio::test]
async fn rate_limit_on_the_nth_request() {
    let mock = fast_mock().await;
    let api = Api::new(&mock);
    mock.faults().rate_limit_nth(3, 7);
    assert_eq!(api.get("/profiles").await.status, 200);
    assert_eq!(api.get("/profiles").await.status, 200);
    let limited = api.get("/profiles").await;
    assert_eq!(limited.status, 429);
    assert_eq!(limited.header("retry-after"), Some("7"));
    assert_eq!(limited.body["code"], "rate_limited");
    assert!(limited.body["message"].is_string());
    assert_eq!(api.get("/profiles").await.status, 200);
}

#[tokio::test]
async fn service_unavailable_once_and_per_operation_rules() {
    let mock = fast_mock().await;
    let api = Api::new(&mock);
    mock.faults().service_unavailable_once();
    let reply = api.get("/credentials").await;
    assert_eq!(reply.status, 503);
    assert_eq!(reply.body["code"], "service_unavailable");
    assert_eq!(api.get("/credentials").await.status, 200);

    mock.faults()
        .inject(FaultRule::status(500).operation("postBrowsers").times(2));
    assert_eq!(api.get("/browsers").await.status, 200);
    assert_eq!(api.post("/browsers", json!({})).await.status, 500);
    assert_eq!(api.post("/browsers", json!({})).await.status, 500);
    assert_eq!(api.post("/browsers", json!({})).await.status, 200);
}

#[tokio::test]
async fn delay_responses() {
    let mock = fast_mock().await;
    let api = Api::new(&mock);
    let delay = Duration::from_millis(1000);
    mock.faults().delay(delay);
    let started = Instant::now();
    assert_eq!(api.get("/profiles").await.status, 200);
    assert!(started.elapsed() >= delay);
    mock.faults().delay(Duration::ZERO);
    let started = Instant::now();
    api.get("/profiles").await;
    assert!(started.elapsed() < delay);
}

#[tokio::test]
async fn drop_sse_stream_after_k_events() {
    let mock = fast_mock().await;
    let api = Api::new(&mock);
    let id = api.post("/browsers", json!({ "telemetry": {} })).await.body["session_id"]
        .as_str()
        .unwrap()
        .to_owned();
    mock.faults().drop_sse_after(3);
    let mut stream = api.sse(&format!("/browsers/{id}/telemetry"), None).await;
    let mut seqs = Vec::new();
    while let Some(frame) = stream.next_data(Duration::from_secs(5)).await {
        seqs.push(frame.json()["seq"].as_u64().unwrap());
    }
    assert_eq!(seqs, [1, 2, 3]);
    assert!(
        matches!(stream.ended, Some(StreamEnd::Error(_))),
        "{:?}",
        stream.ended
    );
    assert!(
        stream.leftover.starts_with("data: "),
        "a partial frame: {:?}",
        stream.leftover
    );
    // Only the next stream was cut; resuming works.
    let mut resumed = api
        .sse(&format!("/browsers/{id}/telemetry"), Some("3"))
        .await;
    assert_eq!(
        resumed
            .next_data(Duration::from_secs(5))
            .await
            .unwrap()
            .id
            .as_deref(),
        Some("4")
    );

    // An auth-connection stream cut before its terminal event.
    let conn = api.connection("password.example", "cut", json!({})).await;
    api.post(&format!("/auth/connections/{conn}/login"), json!({}))
        .await;
    mock.faults().drop_sse_after(1);
    let mut events = api
        .sse(&format!("/auth/connections/{conn}/events"), None)
        .await;
    let first = events
        .next_event(Duration::from_secs(5))
        .await
        .unwrap()
        .json();
    assert_eq!(first["flow_status"], "IN_PROGRESS");
    assert!(events.next_event(Duration::from_secs(5)).await.is_none());
    assert!(
        matches!(events.ended, Some(StreamEnd::Error(_))),
        "{:?}",
        events.ended
    );
}

#[tokio::test]
async fn unknown_fields_and_enum_values() {
    let mock = fast_mock().await;
    let api = Api::new(&mock);
    let id = api.connection("slow.example", "drill", json!({})).await;
    api.post(&format!("/auth/connections/{id}/login"), json!({}))
        .await;
    mock.faults().unknown_fields(true).unknown_enum_values(true);
    let connection = api.get(&format!("/auth/connections/{id}")).await;
    assert_eq!(connection.status, 200);
    assert_eq!(connection.body["x_mock_new_field"], 1);
    assert_eq!(connection.body["flow_step"], "X_MOCK_UNKNOWN_STEP");
    assert_eq!(
        connection.body["can_reauth_reason"],
        "x_mock_unknown_reason"
    );
    let list = api.get("/auth/connections").await;
    assert_eq!(list.body[0]["x_mock_new_field"], 1);
    // Error bodies too.
    let missing = api.get("/profiles/nope").await;
    assert_eq!(missing.status, 404);
    assert_eq!(missing.body["x_mock_new_field"], 1);
    // Events too.
    let mut events = api
        .sse(&format!("/auth/connections/{id}/events"), None)
        .await;
    let state = events
        .next_event(Duration::from_secs(5))
        .await
        .unwrap()
        .json();
    assert_eq!(state["x_mock_new_field"], 1);
    assert_eq!(state["flow_step"], "X_MOCK_UNKNOWN_STEP");
    drop(events);

    mock.faults().clear();
    let plain = api.get(&format!("/auth/connections/{id}")).await;
    assert!(plain.body.get("x_mock_new_field").is_none());
    assert_eq!(plain.body["flow_step"], "DISCOVERING");
}

#[tokio::test]
async fn unknown_events_on_streams() {
    let mock = fast_mock().await;
    let api = Api::new(&mock);
    mock.faults().unknown_events(true);
    let id = api.connection("password.example", "ev", json!({})).await;
    api.post(&format!("/auth/connections/{id}/login"), json!({}))
        .await;
    let mut events = api
        .sse(&format!("/auth/connections/{id}/events"), None)
        .await;
    let first = events.next_event(Duration::from_secs(5)).await.unwrap();
    assert_eq!(first.event.as_deref(), Some("x_mock_unknown_event"));
    assert_eq!(first.json()["event"], "x_mock_unknown_event");
    assert_eq!(
        events
            .next_event(Duration::from_secs(5))
            .await
            .unwrap()
            .event
            .as_deref(),
        Some("managed_auth_state")
    );

    let browser = api.post("/browsers", json!({ "telemetry": {} })).await.body["session_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut telemetry = api
        .sse(&format!("/browsers/{browser}/telemetry"), None)
        .await;
    let mut found = false;
    for _ in 0..30 {
        let frame = telemetry.next_data(Duration::from_secs(5)).await.unwrap();
        if frame.json()["event"]["type"] == "x_mock_unknown_event" {
            found = true;
            break;
        }
    }
    assert!(found);
}

#[tokio::test]
async fn request_log_and_counters() {
    let mock = fast_mock().await;
    let api = Api::new(&mock);
    api.post("/profiles", json!({ "name": "logged" })).await;
    api.get("/profiles").await;
    api.get("/profiles").await;
    api.get("/proxies").await;
    api.get("/definitely/not/a/route").await;
    assert_eq!(mock.request_count("postProfiles"), 1);
    assert_eq!(mock.request_count("getProfiles"), 2);
    assert_eq!(mock.request_count("getProxies"), 1);
    assert_eq!(mock.request_count("GET /definitely/not/a/route"), 1);
    let requests = mock.requests();
    let post = requests.iter().find(|r| r.method == "POST").unwrap();
    assert_eq!(post.path, "/profiles");
    assert_eq!(post.operation_id.as_deref(), Some("postProfiles"));
    assert_eq!(post.body_json().unwrap()["name"], "logged");
    assert_eq!(
        post.header("authorization"),
        Some(format!("Bearer {}", mock.api_key()).as_str())
    );
    assert_eq!(mock.route_counts().values().sum::<u64>(), 5);
    mock.clear_requests();
    assert!(mock.requests().is_empty());
    assert_eq!(mock.request_count("getProfiles"), 0);
}
