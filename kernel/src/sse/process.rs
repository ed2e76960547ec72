//! A process's output stream, with `data_b64` decoded.

use super::engine::{Engine, Kind, StreamEvent};
use super::stream::{typed, EventStream};
use crate::error::Error;
use bytes::Bytes;
use futures::StreamExt;

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
