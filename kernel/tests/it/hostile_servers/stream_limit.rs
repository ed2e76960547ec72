//! An HTTP/2 server that allows fewer concurrent streams than a client
//! opens (its `SETTINGS_MAX_CONCURRENT_STREAMS`). A client that built its
//! own connections spreads its streams over more of them, so every stream
//! delivers, and keeps them off its JSON calls' connection. With a
//! `reqwest::Client` of the user's, hyper queues the extra streams on its
//! one connection: they fail with a timeout (here the read timeout, with
//! no retries and the idle timeout longer) instead of waiting for ever,
//! and the streams within the limit keep delivering.

use bytes::Bytes;
use futures::StreamExt;
use kernel::routing::BrowserRouting;
use kernel::sse::{StreamOptions, Telemetry};
use kernel::Kernel;
use kernel_testkit::h2_events::serve_connection;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const EVENT: &str = r#"{"seq":1,"event":{"ts":1,"type":"page_load","source":{"kind":"cdp"}}}"#;

/// Connections a server accepted, and of those, closed.
#[derive(Default)]
struct Connections {
    accepted: AtomicUsize,
    closed: AtomicUsize,
}

/// At most `limit` streams open on each HTTP/2 connection; each answers
/// one event and stays open.
async fn h2_server(limit: u32) -> (String, Arc<Connections>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let events = Bytes::from(format!("id: 1\ndata: {EVENT}\n\n"));
    let connections = Arc::new(Connections::default());
    let seen = connections.clone();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            seen.accepted.fetch_add(1, Ordering::SeqCst);
            let (events, seen) = (events.clone(), seen.clone());
            tokio::spawn(async move {
                serve_connection(socket, events, Some(limit)).await;
                seen.closed.fetch_add(1, Ordering::SeqCst);
            });
        }
    });
    (base, connections)
}

/// A client over HTTP/2 connections of its own.
fn h2_kernel(base: &str, options: StreamOptions) -> Kernel {
    Kernel::builder()
        .api_key(crate::common::API_KEY)
        .base_url(base)
        .browser_routing(BrowserRouting::Off)
        .http2_prior_knowledge()
        .stream_options(options)
        .read_timeout(Duration::from_secs(2))
        .max_retries(0)
        .build()
        .unwrap()
}

/// Opens a telemetry stream and waits for its first event.
async fn first_event(kernel: &Kernel, id: &str) -> kernel::sse::EventStream<Telemetry> {
    let mut stream = kernel.browsers().telemetry(id).send().await.unwrap();
    match stream.next().await {
        Some(Ok(Telemetry::Event(event))) => assert_eq!(event.seq.get(), 1),
        other => panic!("stream {id}: {other:?}"),
    }
    stream
}

#[tokio::test]
async fn streams_past_a_common_http2_cap_get_another_connection_and_all_deliver() {
    // 100 is a common cap (and RFC 9113's least); the default spreads at it.
    let (base, connections) = h2_server(100).await;
    let kernel = h2_kernel(&base, StreamOptions::default());
    let opened = tokio::time::timeout(
        Duration::from_secs(20),
        futures::future::join_all((0..150).map(|i| {
            let kernel = kernel.clone();
            async move { first_event(&kernel, &format!("b{i}")).await }
        })),
    )
    .await
    .expect("every one of 150 streams delivers, none waits for a slot");
    assert_eq!(opened.len(), 150);
    assert_eq!(connections.accepted.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn json_calls_do_not_queue_behind_open_streams() {
    // A server that allows one open stream per connection.
    let (base, connections) = h2_server(1).await;
    let kernel = h2_kernel(&base, StreamOptions::default());
    let _open = first_event(&kernel, "b1").await;
    let deleted = tokio::time::timeout(
        Duration::from_secs(5),
        kernel.browsers().delete("b1").send(),
    )
    .await
    .expect("the call does not wait for the stream's slot");
    deleted.unwrap();
    assert_eq!(
        connections.accepted.load(Ordering::SeqCst),
        2,
        "the stream and the call each on a connection of their own"
    );
}

#[tokio::test]
async fn a_pool_no_stream_holds_is_dropped_and_its_connection_closes() {
    let (base, connections) = h2_server(1).await;
    let options = StreamOptions {
        streams_per_connection: 1,
        ..StreamOptions::default()
    };
    let kernel = h2_kernel(&base, options);
    let first = first_event(&kernel, "b1").await;
    let second = first_event(&kernel, "b2").await;
    let third = first_event(&kernel, "b3").await;
    assert_eq!(connections.accepted.load(Ordering::SeqCst), 3);

    drop((second, third));
    // The second pool's connection is reused; the third pool, idle behind
    // it, goes, and its connection with it.
    let _fourth = first_event(&kernel, "b4").await;
    assert_eq!(connections.accepted.load(Ordering::SeqCst), 3);
    tokio::time::timeout(Duration::from_secs(5), async {
        while connections.closed.load(Ordering::SeqCst) < 1 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("the idle pool's connection closes");
    assert_eq!(connections.closed.load(Ordering::SeqCst), 1);
    drop(first);
}

#[tokio::test]
async fn with_the_users_client_streams_past_an_http2_cap_time_out_and_the_others_keep_going() {
    let (base, _) = h2_server(1).await;
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
