//! Telemetry servers that tear the stream again and again, restart their
//! numbering, replay what was already delivered or send bytes that are not
//! UTF-8: the stream keeps up, loses nothing, repeats nothing and invents no
//! gaps.

use axum::body::Body;
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;
use bytes::Bytes;
use futures::StreamExt;
use kernel::sse::{EventStream, StreamOptions, Telemetry};
use kernel::{Kernel, RetryPolicy};
use serde_json::json;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What the server does with one request.
enum Reply {
    /// These bytes, then a clean end of the body.
    Close(Vec<u8>),
    /// These bytes, then the connection is cut mid-body.
    Cut(Vec<u8>),
    /// 404: the browser is gone, which ends the stream.
    Gone,
}

/// The `Last-Event-ID` of every request, in order.
type Resumes = Arc<Mutex<Vec<Option<String>>>>;

/// Serves `/browsers/{id}/telemetry`: `script(request index, Last-Event-ID
/// as a number, 0 if none)` answers each request.
async fn telemetry_server(
    script: impl Fn(usize, u64) -> Reply + Send + Sync + 'static,
) -> (String, Resumes) {
    let resumes: Resumes = Arc::default();
    let log = resumes.clone();
    let script = Arc::new(script);
    let router = axum::Router::new().route(
        "/browsers/{id}/telemetry",
        get(move |headers: HeaderMap| {
            let last = headers
                .get("last-event-id")
                .map(|v| v.to_str().unwrap_or("?").to_owned());
            let index = {
                let mut log = log.lock().unwrap();
                log.push(last.clone());
                log.len() - 1
            };
            let after = last.and_then(|id| id.parse().ok()).unwrap_or(0);
            let reply = script(index, after);
            async move { respond(reply) }
        }),
    );
    (crate::common::serve(router).await, resumes)
}

fn respond(reply: Reply) -> Response {
    let (bytes, cut) = match reply {
        Reply::Gone => {
            return Response::builder()
                .status(404)
                .header("content-type", "application/json")
                .body(Body::from(r#"{"code":"not_found","message":"gone"}"#))
                .unwrap()
        }
        Reply::Close(bytes) => (bytes, false),
        Reply::Cut(bytes) => (bytes, true),
    };
    let body = futures::stream::once(async move { Ok(Bytes::from(bytes)) }).chain(
        futures::stream::once(async move {
            if cut {
                // Lets the bytes above reach the client before the cut.
                tokio::time::sleep(Duration::from_millis(10)).await;
                Err(std::io::Error::new(
                    std::io::ErrorKind::ConnectionAborted,
                    "test: cut",
                ))
            } else {
                Ok(Bytes::new())
            }
        }),
    );
    Response::builder()
        .header("content-type", "text/event-stream")
        .body(Body::from_stream(body))
        .unwrap()
}

/// Base of the event timestamps, in Unix microseconds.
const TS: u64 = 1_750_000_000_000_000;

/// The JSON of event `seq` of VM run `boot`: a restarted VM numbers its
/// events from 1 again, but they are other events (other timestamps).
fn envelope(boot: u64, seq: u64) -> String {
    json!({"seq": seq, "event": {"ts": TS + boot * 1_000_000_000 + seq, "type": "page_load", "source": {"kind": "cdp"}}})
        .to_string()
}

/// Event `seq` of VM run `boot`, framed as the API does (`id:` = `seq`).
fn frame(boot: u64, seq: u64) -> String {
    format!("id: {seq}\ndata: {}\n\n", envelope(boot, seq))
}

fn frames(boot: u64, seqs: impl IntoIterator<Item = u64>) -> Vec<u8> {
    seqs.into_iter()
        .map(|seq| frame(boot, seq))
        .collect::<String>()
        .into_bytes()
}

fn client(base: &str, options: StreamOptions) -> Kernel {
    Kernel::builder()
        .api_key(crate::common::API_KEY)
        .base_url(base)
        .max_retries(0)
        .stream_options(options)
        .build()
        .unwrap()
}

/// Every item until the stream ends, each as a short string: `"boot:seq"`
/// for an event, `"gap a..=b"`, `"reset p->s"`, `"error"`. Fails if the
/// stream does not end `within`.
async fn drain(mut stream: EventStream<Telemetry>, within: Duration) -> Vec<String> {
    let mut items = Vec::new();
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let item = match tokio::time::timeout_at(deadline, stream.next()).await {
            Ok(Some(item)) => item,
            Ok(None) => return items,
            Err(_) => panic!("the stream did not end within {within:?}; so far: {items:?}"),
        };
        items.push(match item {
            Ok(Telemetry::Event(e)) => {
                let json = serde_json::to_value(&e).unwrap();
                let ts = json["event"]["ts"].as_u64().unwrap();
                format!("{}:{}", (ts - TS) / 1_000_000_000, e.seq)
            }
            Ok(Telemetry::Gap { from, to }) => format!("gap {from}..={to}"),
            Ok(Telemetry::Reset { previous, seq }) => format!("reset {previous}->{seq}"),
            Ok(other) => panic!("unexpected item {other:?}"),
            Err(_) => "error".to_owned(),
        });
    }
}

fn events(boot: u64, seqs: impl IntoIterator<Item = u64>) -> Vec<String> {
    seqs.into_iter()
        .map(|seq| format!("{boot}:{seq}"))
        .collect()
}

fn resumes(log: &Resumes) -> Vec<Option<String>> {
    log.lock().unwrap().clone()
}

/// A stream torn 18 times in 120 events, each connection bringing the next
/// few events, with `retry: 50`: every connection made progress, so each
/// reconnect waits about the server's 50 ms instead of a backoff that grows
/// as if the server were hanging up without sending anything. Default
/// stream options, as a user would have them.
#[tokio::test]
async fn a_stream_torn_often_but_making_progress_is_followed_promptly() {
    const TOTAL: u64 = 120;
    const TEARS: usize = 18;
    const PER_CONNECTION: u64 = 6;
    let (base, log) = telemetry_server(|index, after| {
        if after >= TOTAL {
            return Reply::Gone;
        }
        let last = if index < TEARS {
            (after + PER_CONNECTION).min(TOTAL)
        } else {
            TOTAL
        };
        let mut body = b"retry: 50\n\n".to_vec();
        body.extend(frames(0, after + 1..=last));
        // Half of the tears are cuts, half clean closes before the end.
        if index % 2 == 0 {
            Reply::Cut(body)
        } else {
            Reply::Close(body)
        }
    })
    .await;
    let kernel = client(&base, StreamOptions::default());
    let started = Instant::now();
    let stream = kernel.browsers().telemetry("b").send().await.unwrap();
    // Before the fix this took over a minute; allow a slow machine plenty.
    let items = drain(stream, Duration::from_secs(10)).await;
    let took = started.elapsed();
    eprintln!("followed {TOTAL} events torn {TEARS} times in {took:?}");
    assert_eq!(items, events(0, 1..=TOTAL), "every event once, in order");
    let sent = resumes(&log);
    assert_eq!(
        sent.len(),
        TEARS + 2,
        "one request per tear, the last and the 404"
    );
    assert_eq!(sent[1].as_deref(), Some("6"));
    assert_eq!(sent.last().unwrap().as_deref(), Some("120"));
}

/// The counterpart: connections that bring nothing new (the server replays
/// the same three events and hangs up, with `retry: 0`) are still backed
/// off, so a broken server is not hammered.
#[tokio::test]
async fn connections_that_only_replay_old_events_are_backed_off() {
    let (base, log) = telemetry_server(|_, _| {
        Reply::Close([b"retry: 0\n\n".to_vec(), frames(0, 1..=3)].concat())
    })
    .await;
    let options = StreamOptions {
        max_reconnects: 100,
        backoff: RetryPolicy {
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(400),
            ..RetryPolicy::default()
        },
        ..StreamOptions::default()
    };
    let kernel = client(&base, options);
    let mut stream = kernel.browsers().telemetry("b").send().await.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(2);
    let mut items = Vec::new();
    while let Ok(Some(item)) = tokio::time::timeout_at(deadline, stream.next()).await {
        items.push(item.map(|t| format!("{t:?}")).map_err(|e| e.to_string()));
    }
    assert_eq!(
        items.len(),
        3,
        "the three events once, no replays: {items:?}"
    );
    let connections = resumes(&log).len();
    // Unbounded, `retry: 0` (10 ms at least) would mean ~200 connections.
    assert!(connections < 20, "{connections} connections in 2 s");
    assert!(connections >= 3, "it did keep reconnecting: {connections}");
}

/// Fast reconnects for the scenarios below.
fn fast() -> StreamOptions {
    StreamOptions {
        idle_timeout: Duration::from_secs(5),
        backoff: RetryPolicy {
            initial_backoff: Duration::from_millis(5),
            max_backoff: Duration::from_millis(20),
            ..RetryPolicy::default()
        },
        ..StreamOptions::default()
    }
}

/// The browser VM restarts while the client is reconnecting, and its
/// numbering starts again at 1: the client reports the reset, then takes
/// every event of the new run exactly once. The resume point follows the new
/// numbering, a replay of new events is dropped, and a seq the new run skips
/// is a gap of the new numbering.
#[tokio::test]
async fn a_vm_restart_between_connections_is_a_reset_and_nothing_is_lost() {
    let (base, log) = telemetry_server(|index, after| match index {
        // First run: 1..=50, then the connection is cut.
        0 => Reply::Cut(frames(0, 1..=50)),
        // The VM restarted: the server knows only its new events (1..=30
        // so far), whatever the client asks for.
        1 => Reply::Cut(frames(1, 1..=30)),
        // Resumed in the new numbering; the server replays three events
        // before the resume point and has lost seq 40.
        2 if after == 30 => Reply::Close(frames(1, (28..=50).filter(|&s| s != 40))),
        _ => Reply::Gone,
    })
    .await;
    let kernel = client(&base, fast());
    let stream = kernel.browsers().telemetry("b").send().await.unwrap();
    let items = drain(stream, Duration::from_secs(10)).await;
    let mut expected = events(0, 1..=50);
    expected.push("reset 50->1".into());
    expected.extend(events(1, 1..=39));
    expected.push("gap 40..=40".into());
    expected.extend(events(1, 41..=50));
    assert_eq!(items, expected);
    assert_eq!(
        resumes(&log),
        [None, Some("50"), Some("30"), Some("50")].map(|s| s.map(String::from)),
        "Last-Event-ID follows the new numbering after the reset"
    );
}

/// The VM restarts while a connection is open: the seqs on that connection
/// go down, which a single run never does. Reported as a reset; the new
/// events all come through.
#[tokio::test]
async fn a_vm_restart_during_a_connection_is_a_reset() {
    let (base, log) = telemetry_server(|index, _| match index {
        0 => Reply::Close([frames(0, 1..=20), frames(1, 1..=20)].concat()),
        _ => Reply::Gone,
    })
    .await;
    let kernel = client(&base, fast());
    let stream = kernel.browsers().telemetry("b").send().await.unwrap();
    let items = drain(stream, Duration::from_secs(10)).await;
    let mut expected = events(0, 1..=20);
    expected.push("reset 20->1".into());
    expected.extend(events(1, 1..=20));
    assert_eq!(items, expected);
    assert_eq!(
        resumes(&log),
        [None, Some("20")].map(|s| s.map(String::from))
    );
}

/// A server that ignores `Last-Event-ID` and replays the same events from
/// the start on every connection: a replay, not a reset; each event comes
/// through once.
#[tokio::test]
async fn a_replay_from_the_start_is_not_a_reset() {
    let (base, _) = telemetry_server(|index, _| match index {
        0 => Reply::Cut(frames(0, 1..=10)),
        1 => Reply::Cut(frames(0, 1..=20)),
        2 => Reply::Close(frames(0, 1..=25)),
        _ => Reply::Gone,
    })
    .await;
    let kernel = client(&base, fast());
    let stream = kernel.browsers().telemetry("b").send().await.unwrap();
    let items = drain(stream, Duration::from_secs(10)).await;
    assert_eq!(items, events(0, 1..=25));
}

/// An event whose `data` is not UTF-8 is one error item: its seq (from its
/// `id:` line) was sent by the server, so it is not also reported as a gap,
/// and a reconnect resumes after it instead of fetching it again. The same
/// for an event above the size limit.
#[tokio::test]
async fn an_unreadable_event_is_an_error_not_a_gap() {
    let mut bad =
        b"id: 2\ndata: {\"seq\":2,\"event\":{\"type\":\"console_log\",\"text\":\"".to_vec();
    bad.extend_from_slice(b"\xff\xfe");
    bad.extend_from_slice(b"\"}}\n\n");
    let oversized = format!("id: 2\ndata: {}\n\n", "x".repeat(4096)).into_bytes();
    for (what, bad, max_event_size) in [
        ("not UTF-8", bad, 1024 * 1024),
        ("too large", oversized, 1024),
    ] {
        let (base, log) = telemetry_server(move |_, after| match after {
            // Event 1, the unreadable event 2, then the connection is cut.
            0 => Reply::Cut([frames(0, [1]), bad.clone()].concat()),
            1 => Reply::Cut([bad.clone(), frames(0, [3])].concat()),
            2 => Reply::Close(frames(0, [3])),
            _ => Reply::Gone,
        })
        .await;
        let options = StreamOptions {
            max_event_size,
            ..fast()
        };
        let kernel = client(&base, options);
        let stream = kernel.browsers().telemetry("b").send().await.unwrap();
        let items = drain(stream, Duration::from_secs(10)).await;
        assert_eq!(items, ["0:1", "error", "0:3"], "{what}");
        assert_eq!(
            resumes(&log),
            [None, Some("2"), Some("3")].map(|s| s.map(String::from)),
            "{what}: resumed after the unreadable event"
        );
    }
}
