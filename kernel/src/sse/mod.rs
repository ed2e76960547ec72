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
//! that is a connection of its own: about 23 KiB per stream, most of it
//! hyper's connection buffers, which reqwest does not let us size. Over
//! HTTP/2 (chosen by ALPN when a TLS server offers it, or
//! [`http2_prior_knowledge`](crate::KernelBuilder::http2_prior_knowledge))
//! one connection carries many: about 7–9 KiB per stream at a hundred
//! streams per connection (the `many_streams` bench).
//!
//! An HTTP/2 server caps the streams open on one connection (its
//! `SETTINGS_MAX_CONCURRENT_STREAMS`, often 100 to 250), and reqwest opens
//! no second connection past it. So event streams never share the JSON
//! calls' connections, and each connection pool of theirs carries at most
//! [`StreamOptions::streams_per_connection`] (default 100): the next stream
//! gets a pool of its own. An idle pool is dropped, with its connections,
//! once an earlier one has room for the next stream. With a
//! `reqwest::Client` of your own
//! ([`KernelBuilder::http_client`](crate::KernelBuilder::http_client)) its
//! one pool carries everything, JSON calls too: the streams past the cap
//! wait for a free slot, and one that gets none fails with
//! [`Error::Timeout`](crate::Error::Timeout) after
//! [`StreamOptions::idle_timeout`] or the
//! [`read_timeout`](crate::KernelBuilder::read_timeout) (per attempt, with
//! retries), whichever ends first.

mod decode_stream;
mod decoder;
mod engine;
mod pools;
mod process;
mod stream;
mod telemetry;

pub use decode_stream::{DecodeStream, DecodeStreamError};
pub use decoder::*;
pub use engine::StreamOptions;
pub(crate) use engine::{Connect, Engine};
pub(crate) use pools::{Lease, MakePool, Pools};
pub use process::ProcessOutput;
pub use stream::EventStream;
pub(crate) use stream::{connector, or_failed, Streamed};
pub use telemetry::Telemetry;
