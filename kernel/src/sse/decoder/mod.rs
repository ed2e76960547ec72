//! The sans-IO `text/event-stream` decoder.
//!
//! Parsing follows the WHATWG HTML standard, section "Interpreting an event
//! stream". Deliberate deviations, all documented on the items below:
//! invalid UTF-8 in a `data`, `event` or `id` value is an error rather than
//! being replaced by U+FFFD, and an event larger than the configured limit is
//! an error rather than unbounded buffering.

use bytes::{Buf, Bytes};
use std::borrow::Cow;
use std::collections::VecDeque;
use std::fmt;
use std::str::Utf8Error;
use std::time::Duration;

mod eol;
mod parser;
mod text;

use parser::Parser;
pub use text::SharedStr;

/// Default limit for [`Decoder::max_event_size`]: 16 MiB.
pub const DEFAULT_MAX_EVENT_SIZE: usize = 16 * 1024 * 1024;

/// UTF-8 byte order mark, stripped once at the start of a stream.
const BOM: [u8; 3] = [0xEF, 0xBB, 0xBF];
/// `Parser::bom` once the start of the stream has been handled.
const BOM_DONE: u8 = 3;
/// Event type used when a block sets none.
const MESSAGE: &str = "message";
/// Scratch line buffers above this capacity are freed after use, so one huge
/// line does not pin its memory for the rest of the stream.
const RETAINED_LINE_CAPACITY: usize = 64 * 1024;
/// Same idea for the input buffer of [`Decoder::feed`].
const RETAINED_INPUT_CAPACITY: usize = 1024 * 1024;
/// At most this many events are decoded ahead by [`Decoder::feed`].
const EAGER_EVENTS: usize = 16;

/// One dispatched event.
///
/// Produced when a blank line ends a block that had at least one `data`
/// field. Blocks without `data` are not dispatched (their `id` and `retry`
/// fields still take effect).
///
/// Decoded from [`Bytes`] ([`Decoder::next_event_from_bytes`]), `data` and
/// `id` are slices of the chunk they arrived in; only a value split across
/// chunks, or several `data` lines joined, is copied (once). The other APIs
/// copy each value once.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Event {
    /// Event type: the value of the block's last `event` field, or
    /// `"message"` if the block had none (or only empty ones).
    pub event: Cow<'static, str>,
    /// The block's `data` values joined with `"\n"`. May be empty (a block
    /// with a `data` field whose value is empty).
    pub data: SharedStr,
    /// The last event ID at dispatch. IDs persist: events without an `id`
    /// field carry the previous one. `None` when the last event ID is the
    /// empty string, i.e. never set or reset by an `id` field with an empty
    /// value. `"0"` is a valid ID and is `Some("0")`.
    pub id: Option<SharedStr>,
    /// The reconnection time in effect at dispatch: the last valid `retry`
    /// field seen so far on the stream (not necessarily in this block), or
    /// `None` if there has been none. Same as [`Decoder::retry`].
    pub retry: Option<Duration>,
}

/// Why an event could not be decoded.
///
/// After an error the decoder skips the rest of the offending block, up to
/// and including the next blank line, then carries on with the next block.
/// Each error is reported once, in stream order with the events. Fields of
/// the offending block that were processed before the error (`id`, `retry`)
/// stay in effect; its `data` and `event` are dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecodeError {
    /// The event grew beyond [`Decoder::max_event_size`]: its data so far
    /// plus the current line would take more than `limit` bytes.
    EventTooLarge {
        /// The configured limit, in bytes.
        limit: usize,
    },
    /// The value of a `data`, `event` or `id` field is not valid UTF-8.
    InvalidUtf8 {
        /// Name of the offending field: `"data"`, `"event"` or `"id"`.
        field: &'static str,
        /// Details; positions are relative to the start of the field value.
        source: Utf8Error,
    },
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::EventTooLarge { limit } => {
                write!(f, "server-sent event exceeds the {limit}-byte limit")
            }
            Self::InvalidUtf8 { field, .. } => {
                write!(f, "server-sent event `{field}` field is not valid UTF-8")
            }
        }
    }
}

impl std::error::Error for DecodeError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::EventTooLarge { .. } => None,
            Self::InvalidUtf8 { source, .. } => Some(source),
        }
    }
}

/// Sans-IO decoder for a `text/event-stream` body.
///
/// Feed bytes in chunks of any size and pull [`Event`]s out:
///
/// * [`feed`](Self::feed) + [`next_event`](Self::next_event): the caller
///   may drop each chunk right away (the decoder keeps what it still needs);
/// * [`next_event_from`](Self::next_event_from): decodes straight from the
///   caller's buffer without copying it (only a line split across chunks is
///   buffered);
/// * [`next_event_from_bytes`](Self::next_event_from_bytes): the same from
///   [`Bytes`], with each event's `data` and `id` slices of them (no copy);
///   [`DecodeStream`](super::DecodeStream) does this over a stream of chunks;
/// * [`decode`](Self::decode): push style, calls a closure per event.
///
/// Call [`finish`](Self::finish) at end of stream: an unterminated final
/// block is discarded, as the standard requires. The decoder can then be
/// fed a new stream (a reconnection); the last event ID and reconnection
/// time carry over.
///
/// Memory is bounded per event by [`max_event_size`](Self::max_event_size)
/// (comment lines are never buffered); input given to `feed` and not decoded
/// yet stays buffered, so drain `next_event` before feeding more.
///
/// ```
/// use std::time::Duration;
/// use kernel::sse::Decoder;
///
/// let mut decoder = Decoder::new();
/// // Chunks may split lines, even a CRLF pair, anywhere.
/// decoder.feed(b"retry: 3000\r\nid: 42\r\nevent: update\r\ndata: {\"a\":");
/// assert!(decoder.next_event().is_none());
/// decoder.feed(b"1}\r\ndata: more\r\n\r\n: keepalive\n\ndata: next\n\ndata: cut off");
///
/// let first = decoder.next_event().unwrap().unwrap();
/// assert_eq!(first.event, "update");
/// assert_eq!(first.data, "{\"a\":1}\nmore");
/// assert_eq!(first.id.as_deref(), Some("42"));
/// assert_eq!(first.retry, Some(Duration::from_millis(3000)));
///
/// let second = decoder.next_event().unwrap().unwrap();
/// assert_eq!((second.event.as_ref(), second.data.as_str()), ("message", "next"));
/// assert_eq!(second.id.as_deref(), Some("42")); // ids persist
///
/// decoder.finish(); // end of stream: the unterminated block is dropped
/// assert!(decoder.next_event().is_none());
/// assert_eq!(decoder.last_event_id(), "42"); // for a Last-Event-ID header
/// ```
#[derive(Clone)]
pub struct Decoder {
    parser: Parser,
    /// Bytes passed to `feed`; `input[pos..]` is not decoded yet.
    input: Vec<u8>,
    pos: usize,
    /// Events decoded ahead (by `feed` or `finish`), not yet taken; they
    /// come before `input[pos..]` in the stream.
    queued: VecDeque<Result<Event, DecodeError>>,
}

impl fmt::Debug for Decoder {
    // A summary: the buffers may hold megabytes.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Decoder")
            .field("max_event_size", &self.parser.max)
            .field("last_event_id", &self.parser.last_id)
            .field("retry", &self.parser.retry)
            .field(
                "buffered_bytes",
                &(self.input.len() - self.pos.min(self.input.len()) + self.parser.line.len()),
            )
            .field("queued_events", &self.queued.len())
            .finish_non_exhaustive()
    }
}

impl Default for Decoder {
    fn default() -> Self {
        Self::new()
    }
}

impl Decoder {
    /// A decoder with the default 16 MiB event size limit.
    #[must_use]
    pub fn new() -> Self {
        Self::with_max_event_size(DEFAULT_MAX_EVENT_SIZE)
    }

    /// A decoder whose events may hold at most `limit` bytes (data so far
    /// plus the current line); see [`DecodeError::EventTooLarge`].
    #[must_use]
    pub fn with_max_event_size(limit: usize) -> Self {
        Self {
            parser: Parser::new(limit),
            input: Vec::new(),
            pos: 0,
            queued: VecDeque::new(),
        }
    }

    /// The event size limit, in bytes.
    #[must_use]
    pub fn max_event_size(&self) -> usize {
        self.parser.max
    }

    /// Takes a chunk of the stream; get its events with
    /// [`next_event`](Self::next_event).
    ///
    /// The first few events of the chunk are decoded right away, straight
    /// from `chunk`; the rest of it is copied and decoded on demand. Memory
    /// held is thus bounded by the input not yet drained plus a few events.
    pub fn feed(&mut self, chunk: &[u8]) {
        let mut rest = chunk;
        // Decoding in place saves copying the chunk, which matters for large
        // events; only allowed when no earlier input is pending (order).
        if self.pos >= self.input.len() {
            while self.queued.len() < EAGER_EVENTS {
                match self.parser.next(&mut rest, None) {
                    Some(result) => self.queued.push_back(result),
                    None => break,
                }
            }
        }
        if rest.is_empty() {
            return;
        }
        // Reclaim the decoded prefix once it is at least half the buffer, so
        // the copy is amortized even if the caller never drains fully.
        let pos = self.pos.min(self.input.len());
        if pos > 0 && pos >= self.input.len() / 2 {
            self.input.drain(..pos);
            self.pos = 0;
        }
        self.input.extend_from_slice(rest);
    }

    /// Decodes the next event from the fed input.
    ///
    /// Returns `None` when the fed input holds no further complete event;
    /// feed more and call again. Errors are described on [`DecodeError`].
    #[inline]
    pub fn next_event(&mut self) -> Option<Result<Event, DecodeError>> {
        if let Some(queued) = self.queued.pop_front() {
            return Some(queued);
        }
        self.decode_fed()
    }

    /// Decodes the next event directly from `input`, advancing it past the
    /// bytes consumed; no copy is made except of a line left incomplete at
    /// the end of `input`.
    ///
    /// Input given to [`feed`](Self::feed) earlier is decoded first. Returns
    /// `None` once `input` is fully consumed without completing an event.
    ///
    /// ```
    /// use kernel::sse::Decoder;
    ///
    /// let mut decoder = Decoder::new();
    /// let mut input: &[u8] = b"data: a\n\ndata: b\n\ndata: c";
    /// let mut data = Vec::new();
    /// while let Some(event) = decoder.next_event_from(&mut input) {
    ///     data.push(event.unwrap().data);
    /// }
    /// assert_eq!(data, ["a", "b"]);
    /// assert!(input.is_empty()); // "data: c" is buffered until its line ends
    /// ```
    #[inline]
    pub fn next_event_from(&mut self, input: &mut &[u8]) -> Option<Result<Event, DecodeError>> {
        if !self.queued.is_empty() || self.pos < self.input.len() {
            if let Some(result) = self.next_event() {
                return Some(result);
            }
        }
        self.parser.next(input, None)
    }

    /// Decodes the next event directly from `input`, advancing it past the
    /// bytes consumed, like [`next_event_from`](Self::next_event_from); the
    /// event's `data` and `id` are slices of `input` rather than copies
    /// (unless split across chunks).
    ///
    /// The decoder may keep slices of `input` too (the last event ID, a
    /// block not ended yet), which keeps its memory alive; call
    /// [`release_input`](Self::release_input) before waiting long for more.
    ///
    /// ```
    /// use bytes::Bytes;
    /// use kernel::sse::Decoder;
    ///
    /// let mut decoder = Decoder::new();
    /// let mut chunk = Bytes::from_static(b"id: 1\ndata: a\n\ndata: b");
    /// let event = decoder.next_event_from_bytes(&mut chunk).unwrap().unwrap();
    /// assert_eq!((event.data.as_str(), event.id.as_deref()), ("a", Some("1")));
    /// assert!(decoder.next_event_from_bytes(&mut chunk).is_none());
    /// assert!(chunk.is_empty()); // "data: b" is kept until its line ends
    /// ```
    #[inline]
    pub fn next_event_from_bytes(
        &mut self,
        input: &mut Bytes,
    ) -> Option<Result<Event, DecodeError>> {
        if !self.queued.is_empty() || self.pos < self.input.len() {
            if let Some(result) = self.next_event() {
                return Some(result);
            }
        }
        let mut unread: &[u8] = input;
        let result = self.parser.next(&mut unread, Some(input));
        let used = input.len() - unread.len();
        input.advance(used);
        result
    }

    /// Copies what the decoder keeps from input given to
    /// [`next_event_from_bytes`](Self::next_event_from_bytes) (the last event
    /// ID, the values of a block not ended yet) out of it, so that input can
    /// be freed. Cheap when there is nothing to copy; worth calling before
    /// a stream waits for its next chunk, since network chunks are often
    /// slices of a much larger read buffer.
    pub fn release_input(&mut self) {
        self.parser.release_input();
    }

    /// Decodes a whole chunk, calling `on_event` for each event or error in
    /// stream order.
    ///
    /// ```
    /// use kernel::sse::Decoder;
    ///
    /// let mut decoder = Decoder::new();
    /// let mut seen = Vec::new();
    /// decoder.decode(b"data: 1\n\ndata: 2\n", |event| seen.push(event.unwrap().data));
    /// decoder.decode(b"\n", |event| seen.push(event.unwrap().data));
    /// assert_eq!(seen, ["1", "2"]);
    /// ```
    pub fn decode<F>(&mut self, mut chunk: &[u8], mut on_event: F)
    where
        F: FnMut(Result<Event, DecodeError>),
    {
        while let Some(result) = self.next_event_from(&mut chunk) {
            on_event(result);
        }
    }

    /// Signals the end of the stream.
    ///
    /// Complete events in input already fed stay available from
    /// [`next_event`](Self::next_event); the unterminated final block, if
    /// any, is discarded without being dispatched. The decoder is then ready
    /// for a new stream (a reconnection): the BOM rule applies again, while
    /// [`last_event_id`](Self::last_event_id) and [`retry`](Self::retry)
    /// carry over.
    pub fn finish(&mut self) {
        while let Some(result) = self.decode_fed() {
            self.queued.push_back(result);
        }
        self.parser.end_of_stream();
    }

    /// The last event ID string: the value to send as `Last-Event-ID` when
    /// reconnecting. Empty if none. Updated when a block ends (blank line),
    /// whether or not the block was dispatched.
    #[must_use]
    pub fn last_event_id(&self) -> &str {
        &self.parser.last_id
    }

    /// The reconnection time: the last valid `retry` field seen, applied as
    /// soon as the field is parsed. `None` if there has been none.
    #[must_use]
    pub fn retry(&self) -> Option<Duration> {
        self.parser.retry
    }

    /// From now on, remember the event ID in effect for the block of each
    /// error, for [`take_error_id`](Self::take_error_id). Crate-internal:
    /// the telemetry stream needs the `seq` (sent as the SSE `id`) of an
    /// event it could not read, and errors may be decoded ahead of the
    /// consumer, so the decoder's current state would be too late.
    pub(crate) fn record_error_ids(&mut self) {
        self.parser.error_ids.get_or_insert_with(VecDeque::new);
    }

    /// The event ID of the block of the oldest error not taken yet (empty
    /// if none was set), when recording; call once per error taken from
    /// the decoder, in order. The ID is the one in effect when the error
    /// occurred: an `id` field after the error in its block is skipped.
    pub(crate) fn take_error_id(&mut self) -> Option<String> {
        self.parser.error_ids.as_mut()?.pop_front()
    }

    /// Decodes from the fed input only (not the queue).
    // `always`: the whole decode loop then lands in the caller, and the event
    // is built where it is used instead of being copied out (measured: the
    // copy stalled on store forwarding and cost ~30% on tiny events).
    #[inline(always)]
    fn decode_fed(&mut self) -> Option<Result<Event, DecodeError>> {
        let mut unread = self.input.get(self.pos..).unwrap_or_default();
        let before = unread.len();
        let result = self.parser.next(&mut unread, None);
        self.pos += before - unread.len();
        if self.pos >= self.input.len() {
            self.pos = 0;
            if self.input.capacity() > RETAINED_INPUT_CAPACITY {
                self.input = Vec::new();
            } else {
                self.input.clear();
            }
        }
        result
    }
}

#[cfg(test)]
mod tests;
