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
