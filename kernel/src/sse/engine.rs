//! The connection engine under every event stream: it connects, feeds the
//! body to the [`Decoder`], bounds silence with a read-idle timeout and
//! reconnects with backoff (or the server's `retry:`), resuming with
//! `Last-Event-ID` where the endpoint takes it.

use super::{DecodeError as SseDecodeError, Decoder, Event, SharedStr};
use crate::error::{DecodeError, Error, Result};
use crate::retry::{random_unit, RetryPolicy};
use crate::sys::{ByteStream, ResponseValue};
use bytes::Bytes;
use futures::{Stream, StreamExt};
use serde::de::DeserializeOwned;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

/// How an event stream behaves.
#[derive(Clone, Debug)]
pub struct StreamOptions {
    /// Longest silence (no bytes at all, not even a keepalive) before the
    /// connection is considered dead. Default 45 s: three missed heartbeats.
    pub idle_timeout: Duration,
    /// Reconnect after a drop. Default: `true` for streams that can resume
    /// or whose events are states (telemetry, auth, invocations,
    /// deployments); `false` for fs watch, process output and logs, which
    /// would replay output on reconnect.
    pub reconnect: Option<bool>,
    /// Consecutive failed reconnects before giving up (default 10). An
    /// event delivered (not a heartbeat, not an error) resets the count.
    pub max_reconnects: u32,
    /// Backoff between reconnects when the server sent no `retry:`.
    pub backoff: RetryPolicy,
    /// Yield `sse_heartbeat` events instead of hiding them (default `false`).
    pub heartbeats: bool,
    /// Largest event accepted, in bytes (default 16 MiB).
    pub max_event_size: usize,
    /// Most streams open at once over one connection pool (default 100,
    /// the least RFC 9113 asks an HTTP/2 server to allow on a connection;
    /// `0` counts as 1). The next stream gets a pool of its own, so streams
    /// past an HTTP/2 server's cap do not wait for a slot; lower it for a
    /// server whose cap is lower. Over HTTP/2 a pool holds a connection per
    /// host (the API, or a browser's VM when routed to it); over HTTP/1.1,
    /// one per stream anyway. Ignored with [`KernelBuilder::http_client`],
    /// whose one client carries every stream.
    ///
    /// [`KernelBuilder::http_client`]: crate::KernelBuilder::http_client
    pub streams_per_connection: usize,
}

impl Default for StreamOptions {
    fn default() -> Self {
        Self {
            idle_timeout: Duration::from_secs(45),
            reconnect: None,
            max_reconnects: 10,
            backoff: RetryPolicy::default(),
            heartbeats: false,
            max_event_size: super::DEFAULT_MAX_EVENT_SIZE,
            streams_per_connection: 100,
        }
    }
}

/// What the engine needs to know about one decoded event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// An ordinary event.
    Normal,
    /// A keepalive.
    Heartbeat,
    /// The last event of the stream: end after it.
    Terminal,
    /// An `error` event.
    Error,
}

/// An endpoint's event type.
pub(crate) trait StreamEvent: DeserializeOwned + Send + 'static {
    fn kind(&self) -> Kind;
    /// The `ErrorEvent` payload, for [`Kind::Error`].
    fn into_error(self) -> Option<crate::types::ErrorEvent> {
        None
    }
}

/// A connection shorter than this is a quick drop.
const QUICK_DROP: Duration = Duration::from_secs(1);

/// The shortest reconnect delay a server's `retry:` can ask for.
const MIN_RETRY: Duration = Duration::from_millis(10);

pub(crate) type Connect = Box<
    dyn FnMut(
            Option<String>,
        ) -> Pin<Box<dyn Future<Output = Result<ResponseValue<ByteStream>>> + Send>>
        + Send,
>;

/// The connection and decoding state of one stream.
pub(crate) struct Engine {
    options: StreamOptions,
    reconnect: bool,
    /// Sent as `Last-Event-ID` on reconnect, when set: a telemetry `seq`
    /// (kept as a number: it changes with every event, and is sent rarely).
    pub(crate) resume_from: Option<u64>,
    /// Whether the endpoint takes `Last-Event-ID`.
    resumable: bool,
    decoder: Decoder,
    /// The rest of the last chunk read, not decoded yet.
    chunk: Bytes,
    body: Option<Pin<Box<dyn Stream<Item = reqwest::Result<Bytes>> + Send>>>,
    /// Opens the stream again; `None` once the stream has ended. It holds
    /// the stream's connection pool, so ending lets go of that at once, not
    /// when the caller drops the stream; declared after `body`, so a drop
    /// resets the stream before its pool counts it gone.
    connect: Option<Connect>,
    failures: u32,
    connected: bool,
    /// When the current connection opened, and how many connections in a
    /// row lasted less than [`QUICK_DROP`] without delivering anything new:
    /// a server that answers and hangs up at once gets a growing delay even
    /// while it (re)sends events.
    opened_at: Option<std::time::Instant>,
    quick_drops: u32,
    /// The current connection delivered an event not seen before (see
    /// [`Engine::advanced`]): its drop is not part of a storm.
    advanced: bool,
    /// The SSE `id` of the block of the last error [`Engine::next_raw`]
    /// returned, when that error came from the decoder.
    error_id: Option<String>,
}

impl Engine {
    pub(crate) fn new(
        connect: Connect,
        options: StreamOptions,
        reconnect_default: bool,
        resumable: bool,
    ) -> Self {
        Self {
            reconnect: options.reconnect.unwrap_or(reconnect_default),
            decoder: new_decoder(&options),
            chunk: Bytes::new(),
            connect: Some(connect),
            options,
            resume_from: None,
            resumable,
            body: None,
            failures: 0,
            connected: false,
            opened_at: None,
            quick_drops: 0,
            advanced: false,
            error_id: None,
        }
    }

    /// Ends the stream: nothing more is yielded, not even events already
    /// decoded from the same read.
    /// Never reconnects: a drop ends the stream (callers with a fallback,
    /// like the login flow, handle drops themselves).
    pub(crate) fn without_reconnect(mut self) -> Self {
        self.reconnect = false;
        self
    }

    pub(crate) fn finish(&mut self) {
        self.connect = None;
        self.body = None;
        self.chunk = Bytes::new();
        self.decoder = new_decoder(&self.options);
    }

    /// Wait before reconnect number `self.failures`.
    fn reconnect_delay(&self) -> Duration {
        let backoff = self
            .options
            .backoff
            .backoff(self.failures.saturating_sub(1));
        let delay = match self.decoder.retry() {
            // The server's `retry:`, bounded: `retry: 0` must not become a
            // hot loop, nor a huge value a hang. After repeated failures the
            // backoff grows past it.
            Some(retry) => {
                let retry = retry.clamp(MIN_RETRY, self.options.backoff.max_retry_after);
                if self.failures > 1 {
                    retry.max(backoff)
                } else {
                    // Up to 10 % more, so clients cut off together do not
                    // all come back at the same instant.
                    retry.mul_f64(1.0 + 0.1 * random_unit())
                }
            }
            None => backoff,
        };
        // Connections that keep ending at once, with nothing new, back off
        // too, even if they (re)send events.
        match self.quick_drops.checked_sub(3) {
            Some(n) => delay.max(self.options.backoff.backoff(n)),
            None => delay,
        }
    }

    /// The stream delivered a real event (not a heartbeat, not an error):
    /// the connection works, so the reconnect budget starts over.
    pub(crate) fn progressed(&mut self) {
        self.failures = 0;
    }

    /// The current connection delivered an event the stream had not seen
    /// (for telemetry, a `seq` past the resume point, or the start of a new
    /// numbering). Such a connection is progress, however short: its drop
    /// resets the quick-drop count, so the next reconnect waits only the
    /// server's `retry:`. Only streams that can tell new events from
    /// replayed ones call this; for the others every short connection
    /// counts towards the storm backoff.
    pub(crate) fn advanced(&mut self) {
        self.advanced = true;
    }

    /// The SSE `id` in effect for the block of the decoding error that
    /// [`next_raw`](Self::next_raw) just returned (empty if none was set);
    /// `None` if that item was not a decoding error.
    pub(crate) fn error_id(&mut self) -> Option<String> {
        self.error_id.take()
    }

    /// Gives up after too many failures, else schedules a reconnect.
    fn dropped(&mut self, why: Error) -> Option<Error> {
        self.body = None;
        self.failures += 1;
        let quick = self
            .opened_at
            .take()
            .is_some_and(|at| at.elapsed() < QUICK_DROP);
        let advanced = std::mem::take(&mut self.advanced);
        self.quick_drops = if quick && !advanced {
            self.quick_drops + 1
        } else {
            0
        };
        if !self.reconnect || self.failures > self.options.max_reconnects {
            self.connect = None;
            return Some(why);
        }
        tracing::info!(error = %why, attempt = self.failures, "event stream dropped; reconnecting");
        None
    }

    /// The next raw event, reconnecting as needed. `None` at the end.
    pub(crate) async fn next_raw(&mut self) -> Option<Result<Event>> {
        self.error_id = None;
        loop {
            // Ended: not even events already decoded are yielded.
            self.connect.as_ref()?;
            if let Some(event) = self.decoder.next_event_from_bytes(&mut self.chunk) {
                return Some(event.map_err(|e| {
                    self.error_id = self.decoder.take_error_id();
                    sse_error(e)
                }));
            }
            // Used up: let go of it rather than hold an empty slice of it.
            self.chunk = Bytes::new();
            let Some(body) = self.body.as_mut() else {
                if self.connected {
                    tokio::time::sleep(self.reconnect_delay()).await;
                }
                let last = if self.resumable {
                    self.resume_from.map(|seq| seq.to_string())
                } else {
                    None
                };
                let connect = self.connect.as_mut()?;
                // No answer at all counts like silence on an open stream.
                let connected = tokio::time::timeout(self.options.idle_timeout, connect(last))
                    .await
                    .unwrap_or_else(|_| {
                        Err(Error::Timeout(format!(
                            "no response to the event stream request within {:?}",
                            self.options.idle_timeout
                        )))
                    });
                match connected {
                    Ok(response) => {
                        // The body's own box, not boxed again.
                        self.body = Some(response.into_inner().into_inner());
                        self.chunk = Bytes::new();
                        // A new connection starts a new byte stream: `finish`
                        // drops a partial block and keeps `retry` (which
                        // belongs to the stream, not the connection). The
                        // resume point is kept by the engine.
                        self.decoder.finish();
                        self.connected = true;
                        self.opened_at = Some(std::time::Instant::now());
                        self.advanced = false;
                    }
                    // The stream is gone for good: the resource was deleted
                    // while we were reconnecting.
                    Err(e)
                        if self.connected
                            && matches!(e.status().map(|s| s.as_u16()), Some(404 | 410)) =>
                    {
                        self.finish();
                        return None;
                    }
                    Err(e) => {
                        let retryable = self.connected
                            && (matches!(e, Error::Connection(_) | Error::Timeout(_))
                                || e.status()
                                    .is_some_and(|s| s.is_server_error() || s.as_u16() == 429));
                        if !retryable {
                            self.finish();
                            return Some(Err(e));
                        }
                        if let Some(e) = self.dropped(e) {
                            return Some(Err(e));
                        }
                    }
                }
                continue;
            };
            let decoder = &mut self.decoder;
            let next = std::future::poll_fn(|cx| {
                let next = body.poll_next_unpin(cx);
                if next.is_pending() {
                    // The chunk is used up: let hyper's read buffer go while
                    // the stream is quiet.
                    decoder.release_input();
                }
                next
            });
            match tokio::time::timeout(self.options.idle_timeout, next).await {
                Ok(Some(Ok(chunk))) => {
                    self.chunk = chunk;
                }
                Ok(None) => {
                    // An unterminated block at the end is discarded.
                    self.decoder.finish();
                    // A clean close of a stream that does not reconnect is
                    // its normal end.
                    if !self.reconnect {
                        self.finish();
                        return None;
                    }
                    let closed =
                        Error::Protocol("the server closed the event stream before its end".into());
                    if let Some(e) = self.dropped(closed) {
                        return Some(Err(e));
                    }
                }
                Ok(Some(Err(e))) => {
                    if let Some(e) = self.dropped(Error::from_reqwest(e)) {
                        return Some(Err(e));
                    }
                }
                Err(_) => {
                    let e = Error::Timeout(format!(
                        "no data on the event stream for {:?}",
                        self.options.idle_timeout
                    ));
                    if let Some(e) = self.dropped(e) {
                        return Some(Err(e));
                    }
                }
            }
        }
    }
}

/// A decoder for `options` that records the id of each error's block.
fn new_decoder(options: &StreamOptions) -> Decoder {
    let mut decoder = Decoder::with_max_event_size(options.max_event_size);
    decoder.record_error_ids();
    decoder
}

fn sse_error(e: SseDecodeError) -> Error {
    Error::Protocol(format!("malformed event stream: {e}"))
}

/// Decodes `data` as `T` in place, keeping the raw body (shared, not
/// copied) on failure.
pub(crate) fn decode<T: DeserializeOwned>(data: &SharedStr) -> Result<T> {
    // `from_str`, not `from_slice`: the decoder has validated the UTF-8
    // already, and serde_json's `str` reader skips validating it again.
    serde_json::from_str(data)
        .map_err(|e| Error::Decode(Box::new(DecodeError::new(data.clone().into_bytes(), e))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    /// An engine whose connector holds `held` (as a real one holds the
    /// stream's pool) and fails every connect.
    fn engine(held: &Arc<()>) -> Engine {
        let held = held.clone();
        let connect: Connect = Box::new(move |_| {
            let _ = &held;
            Box::pin(async { Err(Error::Timeout("no server".into())) })
        });
        Engine::new(connect, StreamOptions::default(), false, false)
    }

    #[test]
    fn a_finished_stream_lets_go_of_its_connector() {
        let held = Arc::new(());
        let mut engine = engine(&held);
        assert_eq!(Arc::strong_count(&held), 2);
        engine.finish();
        assert_eq!(
            Arc::strong_count(&held),
            1,
            "held until the stream is dropped"
        );
    }

    #[tokio::test]
    async fn a_stream_that_gives_up_lets_go_of_its_connector() {
        let held = Arc::new(());
        let mut engine = engine(&held).without_reconnect();
        assert!(matches!(
            engine.next_raw().await,
            Some(Err(Error::Timeout(_)))
        ));
        assert_eq!(
            Arc::strong_count(&held),
            1,
            "held until the stream is dropped"
        );
        assert!(engine.next_raw().await.is_none());
    }
}
