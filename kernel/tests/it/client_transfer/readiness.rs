//! `Readiness::NotReady` on 202 for replay and profile downloads, and a
//! pool's `acquire` returning `None` on 204.

use crate::common::{browser_json, client, pattern};
use kernel::Readiness;
use std::time::Duration;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

#[tokio::test]
async fn replay_download_not_ready_on_202() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/browsers/b1/replays/r1"))
        .respond_with(ResponseTemplate::new(202).insert_header("retry-after", "5"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/browsers/b1/replays/r2"))
        .respond_with(ResponseTemplate::new(202))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/browsers/b1/replays/r3"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("content-type", "video/mp4")
                .set_body_bytes(pattern(5000)),
        )
        .mount(&server)
        .await;
    let kernel = client(&server.uri());
    match kernel
        .browsers()
        .replays("b1")
        .download("r1")
        .send()
        .await
        .unwrap()
    {
        Readiness::NotReady { retry_after } => {
            assert_eq!(retry_after, Some(Duration::from_secs(5)))
        }
        Readiness::Ready(d) => panic!("expected NotReady, got {d:?}"),
    }
    match kernel
        .browsers()
        .replays("b1")
        .download("r2")
        .send()
        .await
        .unwrap()
    {
        Readiness::NotReady { retry_after } => assert_eq!(retry_after, None),
        Readiness::Ready(d) => panic!("expected NotReady, got {d:?}"),
    }
    match kernel
        .browsers()
        .replays("b1")
        .download("r3")
        .send()
        .await
        .unwrap()
    {
        Readiness::Ready(d) => {
            assert_eq!(d.content_type.as_deref(), Some("video/mp4"));
            assert_eq!(d.bytes().await.unwrap(), pattern(5000));
        }
        Readiness::NotReady { .. } => panic!("expected Ready"),
    }
}

#[tokio::test]
async fn profile_download_not_ready_on_202() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/profiles/work/download"))
        .respond_with(ResponseTemplate::new(202).insert_header("retry-after", "2"))
        .mount(&server)
        .await;
    let ready = client(&server.uri())
        .profiles()
        .download("work")
        .send()
        .await
        .unwrap();
    assert!(
        matches!(ready, Readiness::NotReady { retry_after: Some(d) } if d == Duration::from_secs(2)),
        "{ready:?}"
    );
}

#[tokio::test]
async fn pool_acquire_returns_none_on_204() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/browser_pools/empty/acquire"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/browser_pools/full/acquire"))
        .respond_with(ResponseTemplate::new(200).set_body_json(browser_json("pooled")))
        .mount(&server)
        .await;
    let kernel = client(&server.uri());
    assert!(kernel
        .browser_pools()
        .acquire("empty")
        .acquire_timeout_seconds(1)
        .send()
        .await
        .unwrap()
        .is_none());
    let browser = kernel
        .browser_pools()
        .acquire("full")
        .acquire_timeout_seconds(1)
        .send()
        .await
        .unwrap()
        .expect("a browser");
    assert_eq!(browser.session_id, "pooled");
    let received = server.received_requests().await.unwrap();
    let sent: serde_json::Value = serde_json::from_slice(&received[0].body).unwrap();
    assert_eq!(sent["acquire_timeout_seconds"], 1);
}
