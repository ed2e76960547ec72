//! Streaming: a binary download consumed chunk by chunk, and an event
//! stream held open past 15 s.

use super::KEY;
use bytes::Bytes;
use futures::StreamExt;
use kernel_sys::{open, Client};
use std::time::{Duration, Instant};

/// An axum server on 127.0.0.1 with one route; returns its base URL.
async fn serve(router: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    format!("http://{addr}")
}

/// `read_file` of 8 MiB is consumed chunk by chunk. The server sends the
/// first MiB and then waits until the client has *received* it before
/// sending the rest, so a client that buffered the whole body would never
/// see a chunk and the test would time out.
#[tokio::test]
async fn read_file_is_a_stream_not_a_buffer() {
    const MIB: usize = 1 << 20;
    const TOTAL: usize = 8 * MIB;
    let first_seen = std::sync::Arc::new(tokio::sync::Notify::new());
    let seen = first_seen.clone();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(String, Option<String>)>();
    let router = axum::Router::new().route(
        "/browsers/{id}/fs/read_file",
        axum::routing::get(
            move |uri: axum::http::Uri, headers: axum::http::HeaderMap| {
                let seen = seen.clone();
                let auth = headers
                    .get("authorization")
                    .map(|v| v.to_str().unwrap().to_string());
                tx.send((uri.to_string(), auth)).unwrap();
                async move {
                    let chunks = futures::stream::unfold(0usize, move |sent| {
                        let seen = seen.clone();
                        async move {
                            if sent == TOTAL {
                                return None;
                            }
                            if sent == MIB {
                                seen.notified().await;
                            }
                            let byte = (sent / MIB) as u8;
                            Some((
                                Ok::<_, std::io::Error>(Bytes::from(vec![byte; MIB])),
                                sent + MIB,
                            ))
                        }
                    });
                    (
                        [("content-type", "application/octet-stream")],
                        axum::body::Body::from_stream(chunks),
                    )
                }
            },
        ),
    );
    let base = serve(router).await;
    let client = Client::with_api_key(&base, KEY).unwrap();
    let run = async {
        let response = client
            .read_file()
            .id("sess_1")
            .path("/tmp/big.bin")
            .send()
            .await
            .expect("readFile");
        assert_eq!(response.status().as_u16(), 200);
        let mut stream = response.into_inner();
        let (mut chunks, mut total, mut notified) = (0usize, 0usize, false);
        let expected_byte_at = |offset: usize| (offset / MIB) as u8;
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.expect("chunk");
            assert!(
                chunk
                    .iter()
                    .enumerate()
                    .all(|(i, b)| *b == expected_byte_at(total + i)),
                "content at {total}"
            );
            chunks += 1;
            total += chunk.len();
            if !notified {
                // The server holds the rest until this point.
                first_seen.notify_one();
                notified = true;
            }
        }
        (chunks, total)
    };
    let (chunks, total) = tokio::time::timeout(Duration::from_secs(30), run)
        .await
        .expect("the body arrived as a stream");
    assert_eq!(total, TOTAL, "total bytes");
    assert!(chunks > 1, "more than one chunk, got {chunks}");
    let (uri, auth) = rx.recv().await.unwrap();
    assert_eq!(uri, "/browsers/sess_1/fs/read_file?path=%2Ftmp%2Fbig.bin");
    assert_eq!(auth, Some(format!("Bearer {KEY}")));
}

/// An SSE body with a heartbeat comment every 2 s for 17 s, then the end.
fn slow_sse_router() -> axum::Router {
    axum::Router::new().route(
        "/auth/connections/{id}/events",
        axum::routing::get(|| async {
            let start = tokio::time::Instant::now();
            let events = futures::stream::unfold(0u32, move |tick| async move {
                // Heartbeats at 2, 4, .., 16 s; a last comment at 17 s; then the end.
                let at = match tick {
                    0 => 0,
                    1..=8 => 2 * tick as u64,
                    9 => 17,
                    _ => return None,
                };
                tokio::time::sleep_until(start + Duration::from_secs(at)).await;
                let body = match tick {
                    0 => "retry: 1000\n\n".to_string(),
                    9 => ": done\n\n".to_string(),
                    _ => format!(
                        ": heartbeat {tick}\n\nevent: sse_heartbeat\ndata: {{\"event\":\"sse_heartbeat\",\"timestamp\":\"2025-01-02T03:04:{:02}Z\"}}\n\n",
                        tick * 2
                    ),
                };
                Some((Ok::<_, std::io::Error>(Bytes::from(body)), tick + 1))
            });
            ([("content-type", "text/event-stream"), ("cache-control", "no-cache")], axum::body::Body::from_stream(events))
        }),
    )
}

/// What a client saw of the stream: (seconds since the request, bytes) for
/// each chunk, and how it ended.
async fn read_events(client: Client) -> (Vec<(f64, Vec<u8>)>, Result<(), String>, f64) {
    let start = Instant::now();
    let response = match client
        .get_auth_connections_events_by_id()
        .id("ma_1")
        .send()
        .await
    {
        Ok(r) => r,
        Err(e) => {
            return (
                Vec::new(),
                Err(e.to_string()),
                start.elapsed().as_secs_f64(),
            )
        }
    };
    let mut stream = response.into_inner();
    let mut chunks = Vec::new();
    while let Some(chunk) = stream.next().await {
        match chunk {
            Ok(bytes) => chunks.push((start.elapsed().as_secs_f64(), bytes.to_vec())),
            Err(e) => {
                return (
                    chunks,
                    Err(format!("{e} (timeout: {})", e.is_timeout())),
                    start.elapsed().as_secs_f64(),
                )
            }
        }
    }
    (chunks, Ok(()), start.elapsed().as_secs_f64())
}

/// `Client::with_api_key` keeps an event stream open for 17 s; the generated
/// `Client::new` (progenitor's 15 s total timeout) cuts the same stream, which
/// is why `with_api_key` exists. Both run at once.
#[tokio::test]
async fn an_event_stream_outlives_fifteen_seconds_with_with_api_key_but_not_with_client_new() {
    let base = serve(slow_sse_router()).await;
    let long = tokio::spawn(read_events(Client::with_api_key(&base, KEY).unwrap()));
    let short = tokio::spawn(read_events(Client::new(
        &base,
        kernel_sys::Hooks::default(),
    )));
    let (long, short) = (long.await.unwrap(), short.await.unwrap());

    // with_api_key: everything, including bytes after 15 s, then a clean end.
    let (chunks, end, elapsed) = long;
    assert_eq!(end, Ok(()), "the stream ends cleanly");
    assert!(
        (16.5..19.0).contains(&elapsed),
        "the stream lasted {elapsed:.1}s"
    );
    let late: Vec<f64> = chunks
        .iter()
        .filter(|(t, _)| *t > 15.0)
        .map(|(t, _)| *t)
        .collect();
    assert!(late.len() >= 2, "bytes keep arriving after 15 s: {late:?}");
    let text = String::from_utf8(chunks.iter().flat_map(|(_, b)| b.clone()).collect()).unwrap();
    assert!(
        text.starts_with("retry: 1000\n\n") && text.ends_with(": done\n\n"),
        "{text}"
    );
    assert_eq!(text.matches(": heartbeat").count(), 8);
    // The events are documented ManagedAuthEvents.
    let events: Vec<open::ManagedAuthEvent> = text
        .lines()
        .filter_map(|l| l.strip_prefix("data: "))
        .map(|data| serde_json::from_str(data).expect("event JSON"))
        .collect();
    assert_eq!(events.len(), 8);
    assert!(
        events
            .iter()
            .all(|e| matches!(e, open::ManagedAuthEvent::Known(_))),
        "{events:?}"
    );

    // Client::new: cut at 15 s with a timeout error, before the end.
    let (chunks, end, elapsed) = short;
    let error = end.expect_err("Client::new cuts the stream");
    assert!(error.contains("timeout: true"), "a timeout: {error}");
    assert!((14.5..16.5).contains(&elapsed), "cut at {elapsed:.1}s");
    assert!(chunks.iter().all(|(t, _)| *t < 15.0), "nothing after 15 s");
    assert!(!chunks.is_empty(), "it did stream until then");
}
