//! Typed, resumable event streams over the [`Decoder`].
//!
//! One engine serves all seven Kernel event streams. It connects, feeds the
//! body to the decoder, decodes each `data` as the endpoint's generated event
//! type and:
//! - hides `sse_heartbeat` events unless [`StreamOptions::heartbeats`] is set;
//! - turns an `error` event into an [`Error::Event`] item;
//! - passes an event with an unknown tag through as raw JSON (the open unions
//!   of `kernel-sys`);
//! - turns undecodable `data` into an [`Error::Decode`] item and carries on;
//! - has no total timeout, only a read-idle timeout
//!   ([`StreamOptions::idle_timeout`], heartbeats arrive about every 15 s);
//! - reconnects with backoff when the connection drops before a terminal
//!   event, sending `Last-Event-ID` where the API supports it and honouring
//!   the server's `retry:`;
//! - ends cleanly, without reconnecting, after a terminal event (an auth flow
//!   that succeeded, failed, expired or was canceled; an invocation or
//!   deployment that finished; a process that exited).

use super::{DecodeError as SseDecodeError, Decoder, Event};
use crate::error::{DecodeError, Error, Result};
use crate::retry::RetryPolicy;
use crate::sys::{ByteStream, ResponseValue};
use bytes::Bytes;
use futures::{Stream, StreamExt};
use serde::de::DeserializeOwned;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

/// A typed event stream.
pub type EventStream<T> = Pin<Box<dyn Stream<Item = Result<T>> + Send>>;

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
    connect: Connect,
    options: StreamOptions,
    reconnect: bool,
    /// Sent as `Last-Event-ID` on reconnect, when set.
    pub(crate) resume_from: Option<String>,
    /// Whether the endpoint takes `Last-Event-ID`.
    resumable: bool,
    decoder: Decoder,
    body: Option<Pin<Box<dyn Stream<Item = reqwest::Result<Bytes>> + Send>>>,
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
    done: bool,
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
            connect,
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
            done: false,
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
        self.done = true;
        self.body = None;
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
            self.done = true;
            return Some(why);
        }
        tracing::info!(error = %why, attempt = self.failures, "event stream dropped; reconnecting");
        None
    }

    /// The next raw event, reconnecting as needed. `None` at the end.
    pub(crate) async fn next_raw(&mut self) -> Option<Result<Event>> {
        self.error_id = None;
        loop {
            if self.done {
                return None;
            }
            if let Some(event) = self.decoder.next_event() {
                return Some(event.map_err(|e| {
                    self.error_id = self.decoder.take_error_id();
                    sse_error(e)
                }));
            }
            let Some(body) = self.body.as_mut() else {
                if self.connected {
                    tokio::time::sleep(self.reconnect_delay()).await;
                }
                let last = if self.resumable {
                    self.resume_from.clone()
                } else {
                    None
                };
                // No answer at all counts like silence on an open stream.
                let connected =
                    tokio::time::timeout(self.options.idle_timeout, (self.connect)(last))
                        .await
                        .unwrap_or_else(|_| {
                            Err(Error::Timeout(format!(
                                "no response to the event stream request within {:?}",
                                self.options.idle_timeout
                            )))
                        });
                match connected {
                    Ok(response) => {
                        self.body = Some(Box::pin(response.into_inner().into_inner()));
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
            match tokio::time::timeout(self.options.idle_timeout, body.next()).await {
                Ok(Some(Ok(chunk))) => {
                    self.decoder.feed(&chunk);
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

/// A uniform random number in `[0, 1)`, for jitter.
fn random_unit() -> f64 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(std::time::Instant::now().elapsed().as_nanos());
    (hasher.finish() >> 11) as f64 / (1u64 << 53) as f64
}

fn sse_error(e: SseDecodeError) -> Error {
    Error::Protocol(format!("malformed event stream: {e}"))
}

/// Decodes `data` as `T`, keeping the raw body on failure.
pub(crate) fn decode<T: DeserializeOwned>(data: &str) -> Result<T> {
    serde_json::from_str(data).map_err(|e| {
        Error::Decode(Box::new(DecodeError::new(
            Bytes::copy_from_slice(data.as_bytes()),
            e,
        )))
    })
}

/// The typed stream of an endpoint whose events are a [`StreamEvent`].
pub(crate) fn typed<T: StreamEvent>(engine: Engine, heartbeats: bool) -> EventStream<T> {
    Box::pin(futures::stream::unfold(
        engine,
        move |mut engine| async move {
            loop {
                let raw = match engine.next_raw().await? {
                    Ok(raw) => raw,
                    Err(e) => return Some((Err(e), engine)),
                };
                let event: T = match decode(&raw.data) {
                    Ok(event) => event,
                    Err(e) => return Some((Err(e), engine)),
                };
                match event.kind() {
                    Kind::Heartbeat if !heartbeats => continue,
                    Kind::Terminal => {
                        engine.progressed();
                        engine.finish();
                        return Some((Ok(event), engine));
                    }
                    Kind::Error => {
                        let error = match event.into_error() {
                            Some(e) => Error::Event(Box::new(e)),
                            None => Error::Protocol("error event without a payload".into()),
                        };
                        return Some((Err(error), engine));
                    }
                    Kind::Heartbeat => return Some((Ok(event), engine)),
                    Kind::Normal => {
                        engine.progressed();
                        return Some((Ok(event), engine));
                    }
                }
            }
        },
    ))
}

mod kinds {
    use super::{Kind, StreamEvent};
    use crate::types::{
        DeploymentEvent, DeploymentStatus, InvocationEvent, InvocationStatus, ManagedAuthEvent,
        ManagedAuthStateEventFlowStatus as Flow,
    };
    use crate::types::{
        DeploymentEventKnown as D, ErrorEvent, FileSystemEvent, InvocationEventKnown as I,
        LogEvent, ManagedAuthEventKnown as M,
    };

    impl StreamEvent for ManagedAuthEvent {
        fn kind(&self) -> Kind {
            match self {
                ManagedAuthEvent::Known(M::ManagedAuthStateEvent(state)) => match state.flow_status
                {
                    Flow::Success | Flow::Failed | Flow::Expired | Flow::Canceled => Kind::Terminal,
                    _ => Kind::Normal,
                },
                ManagedAuthEvent::Known(M::ErrorEvent(_)) => Kind::Error,
                ManagedAuthEvent::Known(M::SseHeartbeatEvent(_)) => Kind::Heartbeat,
                _ => Kind::Normal,
            }
        }
        fn into_error(self) -> Option<ErrorEvent> {
            match self {
                ManagedAuthEvent::Known(M::ErrorEvent(e)) => Some(e),
                _ => None,
            }
        }
    }

    impl StreamEvent for InvocationEvent {
        fn kind(&self) -> Kind {
            match self {
                InvocationEvent::Known(I::InvocationStateEvent(state)) => {
                    match state.invocation.status {
                        InvocationStatus::Succeeded | InvocationStatus::Failed => Kind::Terminal,
                        _ => Kind::Normal,
                    }
                }
                InvocationEvent::Known(I::ErrorEvent(_)) => Kind::Error,
                InvocationEvent::Known(I::SseHeartbeatEvent(_)) => Kind::Heartbeat,
                _ => Kind::Normal,
            }
        }
        fn into_error(self) -> Option<ErrorEvent> {
            match self {
                InvocationEvent::Known(I::ErrorEvent(e)) => Some(e),
                _ => None,
            }
        }
    }

    impl StreamEvent for DeploymentEvent {
        fn kind(&self) -> Kind {
            match self {
                DeploymentEvent::Known(D::DeploymentStateEvent(state)) => {
                    match state.deployment.status {
                        DeploymentStatus::Running
                        | DeploymentStatus::Failed
                        | DeploymentStatus::Stopped => Kind::Terminal,
                        _ => Kind::Normal,
                    }
                }
                DeploymentEvent::Known(D::ErrorEvent(_)) => Kind::Error,
                DeploymentEvent::Known(D::SseHeartbeatEvent(_)) => Kind::Heartbeat,
                _ => Kind::Normal,
            }
        }
        fn into_error(self) -> Option<ErrorEvent> {
            match self {
                DeploymentEvent::Known(D::ErrorEvent(e)) => Some(e),
                _ => None,
            }
        }
    }

    impl StreamEvent for FileSystemEvent {
        fn kind(&self) -> Kind {
            Kind::Normal
        }
    }

    impl StreamEvent for LogEvent {
        fn kind(&self) -> Kind {
            Kind::Normal
        }
    }
}

/// The stream, or a stream that yields only the error that kept it from
/// opening.
pub(crate) fn or_failed<T: Send + 'static>(stream: Result<EventStream<T>>) -> EventStream<T> {
    stream.unwrap_or_else(|e| Box::pin(futures::stream::once(async move { Err(e) })))
}

/// Builds a [`Connect`] from a function that starts the request.
pub(crate) fn connector<F, Fut>(mut start: F) -> Connect
where
    F: FnMut(Option<String>) -> Fut + Send + 'static,
    Fut: Future<
            Output = std::result::Result<ResponseValue<ByteStream>, progenitor_client::Error<()>>,
        > + Send
        + 'static,
{
    Box::new(move |last| {
        let request = start(last);
        Box::pin(async move { request.await.map_err(Error::from) })
    })
}

/// How the event stream of an endpoint is opened, chosen by the spec's
/// event schema: the call layer's stream builders call `open` with their
/// connector. `reconnect: false` turns reconnecting off whatever the
/// endpoint's default.
pub(crate) trait Streamed {
    /// What the stream yields.
    type Item;
    /// The typed stream over `connect`.
    fn open(kernel: &crate::Kernel, connect: Connect, reconnect: bool) -> EventStream<Self::Item>;
}

/// An engine with the endpoint's reconnect default, or none at all.
fn engine(
    kernel: &crate::Kernel,
    connect: Connect,
    reconnect_default: bool,
    resumable: bool,
    reconnect: bool,
) -> Engine {
    let engine = kernel.engine(connect, reconnect_default, resumable);
    if reconnect {
        engine
    } else {
        engine.without_reconnect()
    }
}

impl Streamed for crate::types::BrowserTelemetryEventEnvelope {
    type Item = Telemetry;
    fn open(kernel: &crate::Kernel, connect: Connect, reconnect: bool) -> EventStream<Telemetry> {
        telemetry(engine(kernel, connect, true, true, reconnect))
    }
}

impl Streamed for crate::types::ProcessStreamEvent {
    type Item = ProcessOutput;
    // A reconnect would replay output: off by default.
    fn open(
        kernel: &crate::Kernel,
        connect: Connect,
        reconnect: bool,
    ) -> EventStream<ProcessOutput> {
        process_output(engine(kernel, connect, false, false, reconnect))
    }
}

/// Streams of plain events that a reconnect would replay (logs, file
/// watches): no reconnect by default.
macro_rules! replaying {
    ($($event:ty),*) => {$(
        impl Streamed for $event {
            type Item = $event;
            fn open(kernel: &crate::Kernel, connect: Connect, reconnect: bool) -> EventStream<$event> {
                typed(engine(kernel, connect, false, false, reconnect), false)
            }
        }
    )*};
}
replaying!(crate::types::LogEvent, crate::types::FileSystemEvent);

/// State streams (auth connections, invocations, deployments): each event
/// is the whole state, so reconnecting is safe; heartbeats as configured.
macro_rules! state {
    ($($event:ty),*) => {$(
        impl Streamed for $event {
            type Item = $event;
            fn open(kernel: &crate::Kernel, connect: Connect, reconnect: bool) -> EventStream<$event> {
                typed(engine(kernel, connect, true, false, reconnect), kernel.stream_options().heartbeats)
            }
        }
    )*};
}
state!(
    crate::types::ManagedAuthEvent,
    crate::types::InvocationEvent,
    crate::types::DeploymentEvent
);

/// An item of the browser telemetry stream.
// Not boxed: matched directly by every consumer; moved once per event.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Telemetry {
    /// The next event, exactly once and in `seq` order across reconnects
    /// (within one numbering: see [`Reset`](Self::Reset)).
    Event(crate::types::BrowserTelemetryEventEnvelope),
    /// Sequence numbers the server itself skipped (it dropped events).
    Gap {
        /// First missing `seq`.
        from: u64,
        /// Last missing `seq`.
        to: u64,
    },
    /// The numbering started again: `seq` is process-monotonic per browser
    /// VM, so a VM that restarted numbers its events from 1 again. The event
    /// numbered `seq` comes next (as an [`Event`](Self::Event), or as an
    /// error item if it could not be decoded), after a [`Gap`](Self::Gap)
    /// from 1 if `seq` is above 1. From there on everything follows the new
    /// numbering: replays are dropped, gaps are reported and reconnects
    /// resume (`Last-Event-ID`) in it.
    ///
    /// How a reset is told from a replay: an event whose `seq` is not above
    /// the last one delivered is either a replay (a server resending what
    /// was already delivered, as one that ignores `Last-Event-ID` does on
    /// reconnect) or the first of a new numbering. A replay resends the
    /// same event, a new numbering brings other events (their `ts` differ,
    /// at least) under old numbers. So the stream remembers a fingerprint of
    /// the `data` of the last 1024 events delivered: an event with the
    /// `seq` and the `data` of one of them is a replay and is dropped; any
    /// other event with a `seq` at or below the last delivered one is a
    /// reset. Since `seq` only grows within a numbering, the same rule holds
    /// on a fresh connection and in the middle of one.
    ///
    /// Limits: a replay reaching back more than 1024 events, or resending
    /// an event with different bytes, is taken for a reset (those events
    /// come again after it); an event of a new numbering byte for byte
    /// equal to the old event of the same `seq` is taken for a replay; and
    /// a reset is only seen through an event numbered at or below
    /// `previous` (a restarted server that honours `Last-Event-ID` and
    /// sends only higher numbers hides it).
    Reset {
        /// The last `seq` delivered before the reset, in the old numbering.
        previous: u64,
        /// The first `seq` received in the new numbering.
        seq: u64,
    },
}

/// How many delivered events the telemetry stream remembers, to tell a
/// replay from a reset.
const REPLAY_WINDOW: usize = 1024;

/// What a telemetry event is to the stream.
#[derive(Debug, PartialEq, Eq)]
enum Place {
    /// Delivered already: dropped.
    Replay,
    /// New: delivered, after the gap `missed` (first, last) if any.
    Next { missed: Option<(u64, u64)> },
    /// The first of a new numbering, after `previous` of the old one; the
    /// new numbering's seqs before it are `missed`.
    Reset {
        previous: u64,
        missed: Option<(u64, u64)>,
    },
}

/// The telemetry numbering as delivered so far.
struct Numbering {
    /// The last `seq` delivered, in the current numbering.
    last: Option<u64>,
    /// `(seq, fingerprint of its data)` of the last delivered events of the
    /// current numbering, in `seq` order.
    recent: std::collections::VecDeque<(u64, u64)>,
    /// Keys of the fingerprints: random, so a server cannot make a new
    /// event pass for a replay on purpose.
    keys: std::collections::hash_map::RandomState,
}

impl Numbering {
    fn new() -> Self {
        Self {
            last: None,
            recent: std::collections::VecDeque::new(),
            keys: std::collections::hash_map::RandomState::new(),
        }
    }

    /// Places event `seq`, whose `data` is as received, and remembers it
    /// unless it is a replay. The rule is on [`Telemetry::Reset`].
    fn place(&mut self, seq: u64, data: &str) -> Place {
        use std::hash::BuildHasher;
        let print = self.keys.hash_one(data);
        let place = match self.last {
            Some(last) if seq <= last => {
                let known = self
                    .recent
                    .binary_search_by_key(&seq, |&(seq, _)| seq)
                    .ok()
                    .and_then(|i| self.recent.get(i));
                if known.is_some_and(|&(_, known)| known == print) {
                    return Place::Replay;
                }
                self.recent.clear();
                Place::Reset {
                    previous: last,
                    missed: missed(0, seq),
                }
            }
            last => Place::Next {
                missed: last.and_then(|last| missed(last, seq)),
            },
        };
        self.last = Some(seq);
        if self.recent.len() == REPLAY_WINDOW {
            self.recent.pop_front();
        }
        self.recent.push_back((seq, print));
        place
    }

    /// An event known only by its `seq` (its bytes could not be decoded).
    /// Past the last one, the numbering moves to it, and the result is the
    /// gap before it, if any; otherwise (a replay, or a reset that the next
    /// readable event will show) nothing changes and the result is `None`.
    fn skip(&mut self, seq: u64) -> Option<Option<(u64, u64)>> {
        let missed = match self.last {
            Some(last) if seq <= last => return None,
            last => last.and_then(|last| missed(last, seq)),
        };
        self.last = Some(seq);
        Some(missed)
    }
}

/// The seqs strictly between `last` and `seq`, if any.
fn missed(last: u64, seq: u64) -> Option<(u64, u64)> {
    (seq > last.saturating_add(1)).then(|| (last + 1, seq - 1))
}

/// The telemetry stream: resumes with `Last-Event-ID` = the last delivered
/// `seq`, drops replays of events already delivered, and reports gaps and
/// resets.
pub(crate) fn telemetry(engine: Engine) -> EventStream<Telemetry> {
    struct State {
        engine: Engine,
        numbering: Numbering,
        /// Items to yield before reading on: an event and what precedes it.
        pending: std::collections::VecDeque<Result<Telemetry>>,
    }
    let state = State {
        engine,
        numbering: Numbering::new(),
        pending: std::collections::VecDeque::new(),
    };
    let gap = |(from, to)| {
        tracing::warn!(from, to, "telemetry sequence gap");
        Ok(Telemetry::Gap { from, to })
    };
    Box::pin(futures::stream::unfold(
        state,
        move |mut state| async move {
            if let Some(item) = state.pending.pop_front() {
                return Some((item, state));
            }
            loop {
                let (seq, data, item) = match state.engine.next_raw().await? {
                    Ok(raw) => {
                        match decode::<crate::types::BrowserTelemetryEventEnvelope>(&raw.data) {
                            Ok(envelope) => {
                                (envelope.seq.get(), raw.data, Ok(Telemetry::Event(envelope)))
                            }
                            // The event is lost to us, not skipped by the server:
                            // placed like the others, so it is neither reported as
                            // a gap nor fetched again after a reconnect.
                            Err(e) => match seq_of(&raw.data) {
                                Some(seq) => (seq, raw.data, Err(e)),
                                None => return Some((Err(e), state)),
                            },
                        }
                    }
                    Err(e) => {
                        // Bytes the SSE decoder rejected: the event's seq is its
                        // `id:` (the API sends it before `data:`), if any.
                        let seq = state.engine.error_id().and_then(|id| id.parse().ok());
                        if let Some(missed) = seq.and_then(|seq| state.numbering.skip(seq)) {
                            state.engine.resume_from = seq.map(|seq: u64| seq.to_string());
                            if let Some(missed) = missed {
                                state.pending.push_back(gap(missed));
                            }
                        }
                        state.pending.push_back(Err(e));
                        let item = state.pending.pop_front()?;
                        return Some((item, state));
                    }
                };
                match state.numbering.place(seq, &data) {
                    Place::Replay => continue,
                    Place::Next { missed } => state.pending.extend(missed.map(gap)),
                    Place::Reset { previous, missed } => {
                        tracing::warn!(previous, seq, "telemetry sequence reset");
                        state
                            .pending
                            .push_back(Ok(Telemetry::Reset { previous, seq }));
                        state.pending.extend(missed.map(gap));
                    }
                }
                state.engine.resume_from = Some(seq.to_string());
                if item.is_ok() {
                    state.engine.progressed();
                    state.engine.advanced();
                }
                state.pending.push_back(item);
                let item = state.pending.pop_front()?;
                return Some((item, state));
            }
        },
    ))
}

/// The `seq` of telemetry `data` that does not decode as an envelope.
fn seq_of(data: &str) -> Option<u64> {
    #[derive(serde::Deserialize)]
    struct Seq {
        seq: u64,
    }
    serde_json::from_str::<Seq>(data)
        .ok()
        .map(|Seq { seq }| seq)
}

/// An item of a process's output stream, with `data_b64` decoded.
#[derive(Clone, Debug, PartialEq)]
pub enum ProcessOutput {
    /// Output bytes.
    Output {
        /// `stdout`, `stderr`, or a stream this version does not know.
        stream: crate::types::ProcessStreamEventStream,
        /// The decoded bytes.
        data: Bytes,
    },
    /// The process exited; the stream ends after this.
    Exit {
        /// The exit code, when reported.
        code: Option<i64>,
    },
    /// An event this version does not understand, as sent.
    Other(crate::types::ProcessStreamEvent),
}

impl StreamEvent for crate::types::ProcessStreamEvent {
    fn kind(&self) -> Kind {
        match &self.event {
            Some(crate::types::ProcessStreamEventEvent::Exit) => Kind::Terminal,
            _ => Kind::Normal,
        }
    }
}

pub(crate) fn process_output(engine: Engine) -> EventStream<ProcessOutput> {
    use base64::Engine as _;
    Box::pin(
        typed::<crate::types::ProcessStreamEvent>(engine, false).map(|item| {
            let event = item?;
            if let Some(crate::types::ProcessStreamEventEvent::Exit) = event.event {
                return Ok(ProcessOutput::Exit {
                    code: event.exit_code,
                });
            }
            match (&event.stream, &event.data_b64) {
                (Some(stream), Some(b64)) => {
                    let data = base64::engine::general_purpose::STANDARD
                        .decode(b64)
                        .map_err(|e| {
                            Error::Protocol(format!("process output is not base64: {e}"))
                        })?;
                    Ok(ProcessOutput::Output {
                        stream: stream.clone(),
                        data: data.into(),
                    })
                }
                _ => Ok(ProcessOutput::Other(event)),
            }
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::{missed, Numbering, Place, REPLAY_WINDOW};

    fn next(missed: Option<(u64, u64)>) -> Place {
        Place::Next { missed }
    }

    #[test]
    fn new_seqs_are_next_with_their_gaps() {
        let mut n = Numbering::new();
        // The first event is never a gap, whatever its seq.
        assert_eq!(n.place(7, "a"), next(None));
        assert_eq!(n.place(8, "b"), next(None));
        assert_eq!(n.place(11, "c"), next(Some((9, 10))));
    }

    #[test]
    fn same_seq_and_data_is_a_replay_anything_else_lower_a_reset() {
        let mut n = Numbering::new();
        for seq in 1..=5 {
            assert_eq!(n.place(seq, &format!("old {seq}")), next(None));
        }
        assert_eq!(n.place(2, "old 2"), Place::Replay);
        assert_eq!(n.place(5, "old 5"), Place::Replay);
        assert_eq!(n.last, Some(5), "a replay does not move the numbering");
        // Same seq, other data: a new numbering.
        assert_eq!(
            n.place(3, "new 3"),
            Place::Reset {
                previous: 5,
                missed: Some((1, 2))
            }
        );
        // The old events are forgotten: their seqs now belong to the new run.
        assert_eq!(n.place(4, "old 4"), next(None));
        assert_eq!(n.place(4, "old 4"), Place::Replay);
        assert_eq!(
            n.place(1, "newer 1"),
            Place::Reset {
                previous: 4,
                missed: None
            }
        );
    }

    #[test]
    fn a_replay_older_than_the_window_is_a_reset() {
        let mut n = Numbering::new();
        let total = REPLAY_WINDOW as u64 + 10;
        for seq in 1..=total {
            n.place(seq, &seq.to_string());
        }
        assert_eq!(n.recent.len(), REPLAY_WINDOW);
        assert_eq!(n.place(11, "11"), Place::Replay, "the oldest remembered");
        assert!(matches!(n.place(10, "10"), Place::Reset { .. }));
    }

    #[test]
    fn an_unreadable_event_moves_the_numbering_only_forward() {
        let mut n = Numbering::new();
        assert_eq!(n.skip(3), Some(None));
        assert_eq!(n.skip(6), Some(Some((4, 5))));
        assert_eq!(n.skip(6), None);
        assert_eq!(n.skip(2), None);
        assert_eq!(n.last, Some(6));
        assert_eq!(n.place(7, "a"), next(None));
    }

    #[test]
    fn missed_is_empty_for_consecutive_and_safe_at_the_ends() {
        assert_eq!(missed(4, 5), None);
        assert_eq!(missed(4, 4), None);
        assert_eq!(missed(0, 1), None);
        assert_eq!(missed(0, 3), Some((1, 2)));
        assert_eq!(missed(u64::MAX, 0), None);
        assert_eq!(
            missed(u64::MAX - 2, u64::MAX),
            Some((u64::MAX - 1, u64::MAX - 1))
        );
    }
}
