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

use super::engine::{decode, Connect, Engine, Kind, StreamEvent};
use super::process::{process_output, ProcessOutput};
use super::telemetry::{telemetry, Telemetry};
use crate::error::{Error, Result};
use crate::sys::{ByteStream, ResponseValue};
use futures::Stream;
use std::future::Future;
use std::pin::Pin;

/// A typed event stream.
pub type EventStream<T> = Pin<Box<dyn Stream<Item = Result<T>> + Send>>;

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
        Box::pin(async move {
            match request.await {
                Ok(response) => Ok(response),
                // A success status the spec does not list still carries the
                // stream.
                Err(progenitor_client::Error::UnexpectedResponse(r)) if r.status().is_success() => {
                    Ok(ResponseValue::stream(r))
                }
                Err(e) => Err(Error::from(e)),
            }
        })
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
