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
    /// row lasted less than [`QUICK_DROP`]: a server that answers and hangs
    /// up at once gets a growing delay even while it sends events.
    opened_at: Option<std::time::Instant>,
    quick_drops: u32,
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
            decoder: Decoder::with_max_event_size(options.max_event_size),
            connect,
            options,
            resume_from: None,
            resumable,
            body: None,
            failures: 0,
            connected: false,
            opened_at: None,
            quick_drops: 0,
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
        self.decoder = Decoder::with_max_event_size(self.options.max_event_size);
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
                    retry
                }
            }
            None => backoff,
        };
        // Connections that keep ending at once back off too, events or not.
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

    /// Gives up after too many failures, else schedules a reconnect.
    fn dropped(&mut self, why: Error) -> Option<Error> {
        self.body = None;
        self.failures += 1;
        let quick = self
            .opened_at
            .take()
            .is_some_and(|at| at.elapsed() < QUICK_DROP);
        self.quick_drops = if quick { self.quick_drops + 1 } else { 0 };
        if !self.reconnect || self.failures > self.options.max_reconnects {
            self.done = true;
            return Some(why);
        }
        tracing::info!(error = %why, attempt = self.failures, "event stream dropped; reconnecting");
        None
    }

    /// The next raw event, reconnecting as needed. `None` at the end.
    pub(crate) async fn next_raw(&mut self) -> Option<Result<Event>> {
        loop {
            if self.done {
                return None;
            }
            if let Some(event) = self.decoder.next_event() {
                return Some(event.map_err(sse_error));
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
    /// The next event, exactly once and in `seq` order across reconnects.
    Event(crate::types::BrowserTelemetryEventEnvelope),
    /// Sequence numbers the server itself skipped (it dropped events).
    Gap {
        /// First missing `seq`.
        from: u64,
        /// Last missing `seq`.
        to: u64,
    },
}

/// The telemetry stream: resumes with `Last-Event-ID` = the last delivered
/// `seq`, drops replays of events already delivered, and reports gaps.
pub(crate) fn telemetry(engine: Engine) -> EventStream<Telemetry> {
    struct State {
        engine: Engine,
        last: Option<u64>,
        pending: Option<Telemetry>,
    }
    let state = State {
        engine,
        last: None,
        pending: None,
    };
    Box::pin(futures::stream::unfold(state, |mut state| async move {
        if let Some(event) = state.pending.take() {
            return Some((Ok(event), state));
        }
        loop {
            let raw = match state.engine.next_raw().await? {
                Ok(raw) => raw,
                Err(e) => return Some((Err(e), state)),
            };
            let envelope: crate::types::BrowserTelemetryEventEnvelope = match decode(&raw.data) {
                Ok(envelope) => envelope,
                Err(e) => {
                    // The event is lost to us, not skipped by the server:
                    // move the resume point past it so it is neither
                    // reported as a gap nor replayed after a reconnect.
                    #[derive(serde::Deserialize)]
                    struct Seq {
                        seq: u64,
                    }
                    if let Ok(Seq { seq }) = serde_json::from_str::<Seq>(&raw.data) {
                        if state.last.is_none_or(|last| seq > last) {
                            state.last = Some(seq);
                            state.engine.resume_from = Some(seq.to_string());
                        }
                    }
                    return Some((Err(e), state));
                }
            };
            let seq = envelope.seq.get();
            if state.last.is_some_and(|last| seq <= last) {
                // Already delivered before a reconnect.
                continue;
            }
            let gap = state
                .last
                .filter(|last| seq > last + 1)
                .map(|last| Telemetry::Gap {
                    from: last + 1,
                    to: seq - 1,
                });
            state.last = Some(seq);
            state.engine.resume_from = Some(seq.to_string());
            state.engine.progressed();
            let event = Telemetry::Event(envelope);
            return Some(match gap {
                Some(gap) => {
                    tracing::warn!(?gap, "telemetry sequence gap");
                    state.pending = Some(event);
                    (Ok(gap), state)
                }
                None => (Ok(event), state),
            });
        }
    }))
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
