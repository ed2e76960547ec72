//! Shared helpers for the `client_*` integration tests: local servers,
//! fixtures, a tracing capture and a fast retry policy.
#![allow(dead_code)]

use kernel::{Kernel, RetryPolicy};
use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// A distinctive API key: it must never show up in logs or `Debug` output.
pub const API_KEY: &str = "sk_live_SECRET_123";

/// Retries with millisecond backoffs, so retry tests run fast. Same number of
/// retries as the default (2).
pub fn fast_policy() -> RetryPolicy {
    RetryPolicy {
        max_retries: 2,
        initial_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(4),
        min_backoff: Duration::from_millis(1),
        ..RetryPolicy::default()
    }
}

/// A client for a local server with the fast retry policy.
pub fn client(base_url: &str) -> Kernel {
    Kernel::builder()
        .api_key(API_KEY)
        .base_url(base_url)
        .retry_policy(fast_policy())
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client")
}

/// A valid `Browser` JSON object.
pub fn browser_json(id: &str) -> serde_json::Value {
    serde_json::json!({
        "session_id": id,
        "cdp_ws_url": format!("wss://cdp.example/{id}"),
        "webdriver_ws_url": format!("wss://wd.example/{id}"),
        "created_at": "2025-01-01T00:00:00Z",
        "headless": false,
        "stealth": true,
        "timeout_seconds": 60,
    })
}

/// Serves `router` on an ephemeral port of 127.0.0.1; returns the base URL.
pub async fn serve(router: axum::Router) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, router).await.ok();
    });
    format!("http://{addr}")
}

/// A URL on which nothing listens (connection refused).
pub fn refused_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}

/// A hand-written HTTP/1.1 server: for every connection, reads the request
/// head, writes `response` verbatim and closes the connection. Returns the
/// base URL and the number of connections served.
pub async fn raw_server(response: Vec<u8>) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().unwrap();
    let count = Arc::new(AtomicUsize::new(0));
    let served = count.clone();
    let response = Arc::new(response);
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            served.fetch_add(1, Ordering::SeqCst);
            let response = response.clone();
            tokio::spawn(async move {
                read_request_head(&mut socket).await;
                let _ = socket.write_all(&response).await;
                let _ = socket.flush().await;
                // Dropping the socket closes the connection, whatever the
                // response promised.
            });
        }
    });
    (format!("http://{addr}"), count)
}

/// A server that accepts every connection, reads what it is sent and never
/// answers. Returns the base URL.
pub async fn silent_server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = vec![0u8; 64 * 1024];
                while matches!(socket.read(&mut buf).await, Ok(n) if n > 0) {}
            });
        }
    });
    base
}

/// A JSON response with `status` and `body`, for axum handlers.
pub fn json_response(status: u16, body: impl Into<String>) -> axum::response::Response {
    axum::response::Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(axum::body::Body::from(body.into()))
        .expect("a valid response")
}

/// Reads up to the end of the request head (`\r\n\r\n`).
pub async fn read_request_head(socket: &mut tokio::net::TcpStream) -> Vec<u8> {
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match socket.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    head
}

/// Everything the tracing subscriber wrote, as text.
#[derive(Clone, Default)]
pub struct Capture(Arc<Mutex<Vec<u8>>>);

impl Capture {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Capture {
    type Writer = Capture;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

thread_local! {
    /// The capture of the current thread, if any.
    static CURRENT: std::cell::RefCell<Option<Capture>> = const { std::cell::RefCell::new(None) };
}

/// Writes to the current thread's capture (or nowhere).
struct ThreadWriter;

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for ThreadWriter {
    type Writer = Capture;
    fn make_writer(&'a self) -> Self::Writer {
        CURRENT.with(|c| c.borrow().clone()).unwrap_or_default()
    }
}

/// Installs, once per test binary, a global subscriber that records every
/// event and span close at TRACE level into the capture of the thread that
/// emitted it. A global subscriber, rather than `set_default` per test:
/// callsites first hit by a concurrent test could otherwise cache "never
/// interested" and go missing from a capture.
///
/// Call it first in every test of a binary that captures traces, before any
/// tracing callsite can be registered.
pub fn init_tracing() {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::Layer;
    static INIT: std::sync::Once = std::sync::Once::new();
    INIT.call_once(|| {
        let layer = tracing_subscriber::fmt::layer()
            .with_writer(ThreadWriter)
            .with_ansi(false)
            .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
            .with_filter(tracing_subscriber::filter::dynamic_filter_fn(|_, _| {
                // Decided per event, never cached per callsite.
                CURRENT.with(|c| c.borrow().is_some())
            }));
        let subscriber = tracing_subscriber::registry().with(layer);
        tracing::subscriber::set_global_default(subscriber).expect("one global subscriber");
    });
}

/// Stops the capture of the current thread when dropped.
pub struct CaptureGuard(());

impl Drop for CaptureGuard {
    fn drop(&mut self) {
        CURRENT.with(|c| c.borrow_mut().take());
    }
}

/// Captures every event and span close at TRACE level emitted on the current
/// thread (use a current-thread runtime) until the guard is dropped.
pub fn capture_tracing() -> (Capture, CaptureGuard) {
    init_tracing();
    let capture = Capture::default();
    CURRENT.with(|c| *c.borrow_mut() = Some(capture.clone()));
    (capture, CaptureGuard(()))
}

/// A deterministic, non-repeating-looking byte pattern of `len` bytes.
pub fn pattern(len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| (i.wrapping_mul(31) ^ (i >> 8)) as u8)
        .collect()
}
