//! Server-Sent Events (`text/event-stream`) support.
//!
//! [`Decoder`] is a sans-IO decoder: bytes go in (in chunks of any size),
//! [`Event`]s come out. It follows the WHATWG HTML "Interpreting an event
//! stream" rules (BOM, CR/LF/CRLF line ends, comments, `data`/`event`/`id`/
//! `retry` fields, dispatch on blank lines) and bounds memory per event.
//!
//! ```
//! use kernel::sse::Decoder;
//!
//! let mut decoder = Decoder::new();
//! decoder.feed(b"id: 7\ndata: hello\n\n");
//! let event = decoder.next_event().unwrap().unwrap();
//! assert_eq!(event.data, "hello");
//! assert_eq!(decoder.last_event_id(), "7");
//! ```
//!
//! # Many streams at once
//!
//! Each open [`EventStream`] holds its connection's stream. Over HTTP/1.1
//! that is a connection of its own: about 22 KiB per stream, most of it
//! hyper's connection buffers, which reqwest does not let us size. Over
//! HTTP/2 (chosen by ALPN when a TLS server offers it, or forced with a
//! `reqwest::Client` given to
//! [`KernelBuilder::http_client`](crate::KernelBuilder::http_client)) one
//! connection carries them all: about 5–8 KiB per stream (the
//! `many_streams` bench). An HTTP/2 server caps the streams open on one
//! connection (its `SETTINGS_MAX_CONCURRENT_STREAMS`, often 100 to 250),
//! and reqwest opens no second connection for more: the streams past it
//! wait for a free slot, and one that gets none fails with
//! [`Error::Timeout`](crate::Error::Timeout) after
//! [`StreamOptions::idle_timeout`] or the
//! [`read_timeout`](crate::KernelBuilder::read_timeout) (per attempt, with
//! retries), whichever ends first. Each [`Kernel`](crate::Kernel) built
//! without `http_client` has connections of its own, so spreading streams
//! over several clients raises that cap.

mod decode_stream;
mod decoder;
mod engine;
mod process;
mod stream;
mod telemetry;

pub use decode_stream::{DecodeStream, DecodeStreamError};
pub use decoder::*;
pub use engine::StreamOptions;
pub(crate) use engine::{Connect, Engine};
pub use process::ProcessOutput;
pub use stream::EventStream;
pub(crate) use stream::{connector, or_failed, Streamed};
pub use telemetry::Telemetry;
