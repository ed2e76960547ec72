//! An HTTP/2 server that allows fewer concurrent streams than a client
//! opens (its `SETTINGS_MAX_CONCURRENT_STREAMS`): hyper queues the extra
//! streams on the one connection, so they fail with a timeout (here the
//! read timeout, with no retries and the idle timeout longer) instead of
//! waiting for ever, and the streams within the limit keep delivering.

use bytes::Bytes;
use futures::StreamExt;
use kernel::routing::BrowserRouting;
use kernel::sse::Telemetry;
use kernel::Kernel;
use kernel_testkit::h2_events::serve_connection;
use std::time::{Duration, Instant};

const EVENT: &str = r#"{"seq":1,"event":{"ts":1,"type":"page_load","source":{"kind":"cdp"}}}"#;

/// At most `limit` streams open on each HTTP/2 connection; each answers
/// one event and stays open.
async fn h2_server(limit: u32) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let events = Bytes::from(format!("id: 1\ndata: {EVENT}\n\n"));
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            tokio::spawn(serve_connection(socket, events.clone(), Some(limit)));
        }
    });
    base
}

#[tokio::test]
async fn streams_past_an_http2_servers_limit_time_out_and_the_others_keep_going() {
    let base = h2_server(1).await;
    let http = reqwest::Client::builder()
        .http2_prior_knowledge()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let kernel = Kernel::builder()
        .api_key(crate::common::API_KEY)
        .base_url(&base)
        .browser_routing(BrowserRouting::Off)
        .http_client(http)
        .read_timeout(Duration::from_millis(500))
        .max_retries(0)
        .build()
        .unwrap();

    let mut first = kernel.browsers().telemetry("b1").send().await.unwrap();
    match first.next().await {
        Some(Ok(Telemetry::Event(event))) => assert_eq!(event.seq.get(), 1),
        other => panic!("the stream within the limit: {other:?}"),
    }

    let started = Instant::now();
    let past = tokio::time::timeout(Duration::from_secs(10), async {
        let mut second = kernel.browsers().telemetry("b2").send().await?;
        match second.next().await {
            Some(item) => item.map(|_| ()),
            None => panic!("the stream past the limit ended without an error"),
        }
    })
    .await
    .expect("the stream past the limit is bounded in time");
    let error = past.expect_err("the server never answers a stream past its limit");
    assert!(error.is_timeout(), "{error:?}");
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(400) && waited < Duration::from_secs(5),
        "failed after {waited:?}, not after the 500 ms read timeout"
    );

    // The stream within the limit is still open: nothing more arrives, and
    // it has not failed.
    let idle = tokio::time::timeout(Duration::from_millis(200), first.next()).await;
    assert!(idle.is_err(), "the first stream yielded {:?}", idle.ok());
}
