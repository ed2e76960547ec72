//! Browser telemetry streams: framing, `Last-Event-ID` resume, categories,
//! keepalives, and the end of the stream when the browser is deleted.

use std::collections::BTreeSet;
use std::time::Duration;

use crate::common::{fast_mock, Api, StreamEnd};
use kernel_mock::KernelMock;
use serde_json::json;

const WAIT: Duration = Duration::from_secs(5);

async fn browser(api: &Api, telemetry: serde_json::Value) -> String {
    let reply = api
        .post(
            "/browsers",
            json!({ "telemetry": telemetry, "start_url": "https://shop.example/" }),
        )
        .await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    reply.body["session_id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn framing_and_resume_with_last_event_id() {
    let mock = fast_mock().await;
    let api = Api::new(&mock);
    let id = browser(&api, json!({})).await;
    let mut stream = api.sse(&format!("/browsers/{id}/telemetry"), None).await;

    let first = stream.next(WAIT).await.expect("retry frame");
    assert_eq!(first.retry, Some(3000));
    assert!(first.data.is_none());

    let mut seqs = Vec::new();
    let mut types = BTreeSet::new();
    while seqs.len() < 20 {
        let frame = stream.next_data(WAIT).await.expect("event");
        assert!(
            frame.event.is_none(),
            "telemetry frames have no event: line"
        );
        let envelope = frame.json();
        let seq = envelope["seq"].as_u64().unwrap();
        assert_eq!(frame.id.as_deref(), Some(seq.to_string().as_str()));
        assert!(envelope["event"]["ts"].is_i64());
        assert!(envelope["event"]["source"]["kind"].is_string());
        types.insert(envelope["event"]["type"].as_str().unwrap().to_owned());
        seqs.push(seq);
    }
    // seq starts at 1 and increases by one.
    assert_eq!(seqs[0], 1);
    assert!(seqs.windows(2).all(|w| w[1] == w[0] + 1), "{seqs:?}");
    for expected in [
        "page_navigation",
        "network_request",
        "network_response",
        "page_load",
        "console_log",
        "interaction_click",
    ] {
        assert!(
            types.contains(expected),
            "{expected} missing from {types:?}"
        );
    }
    drop(stream);

    // Resume strictly after seq 7.
    let mut resumed = api
        .sse(&format!("/browsers/{id}/telemetry"), Some("7"))
        .await;
    let next = resumed.next_data(WAIT).await.unwrap();
    assert_eq!(next.id.as_deref(), Some("8"));
    assert_eq!(next.json()["seq"], 8);
    drop(resumed);

    // 0 is a valid Last-Event-ID: everything from seq 1.
    let mut from_zero = api
        .sse(&format!("/browsers/{id}/telemetry"), Some("0"))
        .await;
    assert_eq!(
        from_zero.next_data(WAIT).await.unwrap().id.as_deref(),
        Some("1")
    );
}

#[tokio::test]
async fn categories_filter_events_and_no_telemetry_means_no_events() {
    let mock = KernelMock::builder()
        .telemetry_interval(Duration::from_millis(10))
        .heartbeat_interval(Duration::from_millis(200))
        .start()
        .await
        .unwrap();
    let api = Api::new(&mock);
    let id = browser(
        &api,
        json!({ "browser": { "console": { "enabled": false }, "network": { "enabled": false } } }),
    )
    .await;
    let mut stream = api.sse(&format!("/browsers/{id}/telemetry"), None).await;
    for _ in 0..20 {
        let frame = stream.next_data(WAIT).await.unwrap();
        let kind = frame.json()["event"]["type"].as_str().unwrap().to_owned();
        assert!(
            !kind.starts_with("console_") && !kind.starts_with("network_"),
            "{kind}"
        );
    }

    // Without a telemetry config, the stream opens but only keepalives flow.
    let quiet = api.post("/browsers", json!({})).await.body["session_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut stream = api.sse(&format!("/browsers/{quiet}/telemetry"), None).await;
    assert!(stream.next(WAIT).await.unwrap().retry.is_some());
    let keepalive = stream.next(WAIT).await.unwrap();
    assert_eq!(keepalive.comment.as_deref(), Some("keepalive"));
    assert!(keepalive.data.is_none());
}

#[tokio::test]
async fn deleting_the_browser_ends_the_stream() {
    let mock = fast_mock().await;
    let api = Api::new(&mock);
    let id = browser(&api, json!({})).await;
    let mut stream = api.sse(&format!("/browsers/{id}/telemetry"), None).await;
    stream.next_data(WAIT).await.unwrap();
    assert_eq!(api.delete(&format!("/browsers/{id}")).await.status, 204);
    while stream.next_data(WAIT).await.is_some() {}
    assert_eq!(stream.ended, Some(StreamEnd::Clean));
    // A deleted session has no stream.
    let reply = api.get(&format!("/browsers/{id}/telemetry")).await;
    assert_eq!(reply.status, 404);
    assert_eq!(reply.body["code"], "not_found");
    assert_eq!(api.get("/browsers/nope/telemetry").await.status, 404);
}
