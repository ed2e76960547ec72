//! The fake's own DevTools client: JSON-RPC over one websocket to a
//! Chromium's browser endpoint, with flatten sessions (`sessionId` on each
//! message) for page targets. It needs a handful of commands, so it is a
//! few lines over `tokio-tungstenite` rather than a full CDP library.

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::stream::SplitSink;
use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::sync::lock;

/// How long any one command may take.
pub(crate) const CALL_DEADLINE: Duration = Duration::from_secs(15);

/// Largest message either way: a screenshot of a 7680x4320 viewport, as
/// base64, is tens of megabytes.
pub(crate) const MAX_MESSAGE: usize = 256 * 1024 * 1024;

/// Why a command failed.
#[derive(Debug, Clone)]
pub(crate) enum CdpError {
    /// No answer within the deadline.
    Timeout(String),
    /// The connection is gone (Chromium exited or closed it).
    Closed,
    /// Chromium answered with an error.
    Protocol(String),
}

impl fmt::Display for CdpError {
    /// Writes what failed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CdpError::Timeout(method) => write!(f, "{method} got no answer from Chromium"),
            CdpError::Closed => f.write_str("the DevTools connection to Chromium closed"),
            CdpError::Protocol(message) => write!(f, "Chromium answered: {message}"),
        }
    }
}

/// A protocol event: its method, params and session (if a target's).
pub(crate) type EventHandler = Box<dyn Fn(&str, &Value, Option<&str>) + Send + Sync>;

/// The websocket configuration of every DevTools connection the fake opens.
pub(crate) fn ws_config() -> WebSocketConfig {
    WebSocketConfig::default()
        .max_message_size(Some(MAX_MESSAGE))
        .max_frame_size(Some(MAX_MESSAGE))
}

/// The sending half of a DevTools websocket.
type Sink = SplitSink<WebSocketStream<MaybeTlsStream<TcpStream>>, Message>;
/// The commands awaiting answers, by id (`None` once closed).
type Waiters = Mutex<Option<HashMap<u64, oneshot::Sender<Result<Value, CdpError>>>>>;

/// A connection to one Chromium's browser endpoint.
pub(crate) struct Client {
    /// The socket's sending half.
    sink: tokio::sync::Mutex<Sink>,
    /// Commands awaiting an answer; `None` once the connection closed.
    waiters: Arc<Waiters>,
    /// The next command id.
    next_id: AtomicU64,
    /// The task reading answers and events.
    reader: tokio::task::AbortHandle,
}

impl Client {
    /// Connects to `url` (`ws://127.0.0.1:<port>/devtools/browser/<id>`);
    /// `on_event` sees every event.
    pub(crate) async fn connect(url: &str, on_event: EventHandler) -> Result<Client, String> {
        let connect = tokio_tungstenite::connect_async_with_config(url, Some(ws_config()), true);
        let (socket, _) = tokio::time::timeout(CALL_DEADLINE, connect)
            .await
            .map_err(|_| format!("connecting to {url} timed out"))?
            .map_err(|e| format!("cannot connect to {url}: {e}"))?;
        let (sink, mut stream) = socket.split();
        let waiters: Arc<Waiters> = Arc::new(Mutex::new(Some(HashMap::new())));
        let read_waiters = waiters.clone();
        let reader = tokio::spawn(async move {
            while let Some(Ok(message)) = stream.next().await {
                let text = match &message {
                    Message::Text(text) => text.as_str(),
                    Message::Close(_) => break,
                    _ => continue,
                };
                let Ok(value) = serde_json::from_str::<Value>(text) else {
                    continue;
                };
                dispatch(&read_waiters, &on_event, value);
            }
            // Everyone still waiting learns the connection is gone.
            if let Some(waiting) = lock(&read_waiters).take() {
                for (_, waiter) in waiting {
                    let _ = waiter.send(Err(CdpError::Closed));
                }
            }
        })
        .abort_handle();
        Ok(Client {
            sink: tokio::sync::Mutex::new(sink),
            waiters,
            next_id: AtomicU64::new(1),
            reader,
        })
    }

    /// Sends `method` to target session `session_id` without waiting for the
    /// answer (which is then dropped).
    pub(crate) async fn send(
        &self,
        method: &str,
        params: Value,
        session_id: &str,
    ) -> Result<(), CdpError> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let message =
            json!({ "id": id, "method": method, "params": params, "sessionId": session_id });
        let send = async {
            self.sink
                .lock()
                .await
                .send(Message::text(message.to_string()))
                .await
        };
        tokio::time::timeout(CALL_DEADLINE, send)
            .await
            .map_err(|_| CdpError::Timeout(method.to_owned()))?
            .map_err(|_| CdpError::Closed)
    }

    /// Sends `method` with `params` (to target session `session_id`, or the
    /// browser) and awaits its `result`, within [`CALL_DEADLINE`].
    pub(crate) async fn call(
        &self,
        method: &str,
        params: Value,
        session_id: Option<&str>,
    ) -> Result<Value, CdpError> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = oneshot::channel();
        match lock(&self.waiters).as_mut() {
            Some(waiting) => waiting.insert(id, tx),
            None => return Err(CdpError::Closed),
        };
        let mut message = json!({ "id": id, "method": method, "params": params });
        if let Some(session_id) = session_id {
            message["sessionId"] = Value::from(session_id);
        }
        let exchange = async {
            self.sink
                .lock()
                .await
                .send(Message::text(message.to_string()))
                .await
                .map_err(|_| CdpError::Closed)?;
            rx.await.map_err(|_| CdpError::Closed)?
        };
        let answer = tokio::time::timeout(CALL_DEADLINE, exchange).await;
        if let Some(waiting) = lock(&self.waiters).as_mut() {
            waiting.remove(&id);
        }
        answer.map_err(|_| CdpError::Timeout(method.to_owned()))?
    }
}

impl Drop for Client {
    /// Stops reading; the socket closes with the reader.
    fn drop(&mut self) {
        self.reader.abort();
    }
}

/// Hands an answer to its waiter, or an event to the handler.
fn dispatch(waiters: &Waiters, on_event: &EventHandler, value: Value) {
    if let Some(id) = value.get("id").and_then(Value::as_u64) {
        let waiter = lock(waiters).as_mut().and_then(|w| w.remove(&id));
        if let Some(waiter) = waiter {
            let answer = match value.get("error") {
                Some(error) => Err(CdpError::Protocol(
                    error
                        .get("message")
                        .and_then(Value::as_str)
                        .map_or_else(|| error.to_string(), str::to_owned),
                )),
                None => Ok(value.get("result").cloned().unwrap_or(Value::Null)),
            };
            let _ = waiter.send(answer);
        }
        return;
    }
    if let Some(method) = value.get("method").and_then(Value::as_str) {
        let params = value.get("params").unwrap_or(&Value::Null);
        on_event(
            method,
            params,
            value.get("sessionId").and_then(Value::as_str),
        );
    }
}
