//! The sans-IO `text/event-stream` decoder.
//!
//! Parsing follows the WHATWG HTML standard, section "Interpreting an event
//! stream". Deliberate deviations, all documented on the items below:
//! invalid UTF-8 in a `data`, `event` or `id` value is an error rather than
//! being replaced by U+FFFD, and an event larger than the configured limit is
//! an error rather than unbounded buffering.

use std::borrow::Cow;
use std::collections::VecDeque;
use std::fmt;
use std::str::Utf8Error;
use std::time::Duration;

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
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Event {
    /// Event type: the value of the block's last `event` field, or
    /// `"message"` if the block had none (or only empty ones).
    pub event: Cow<'static, str>,
    /// The block's `data` values joined with `"\n"`. May be empty (a block
    /// with a `data` field whose value is empty).
    pub data: String,
    /// The last event ID at dispatch. IDs persist: events without an `id`
    /// field carry the previous one. `None` when the last event ID is the
    /// empty string, i.e. never set or reset by an `id` field with an empty
    /// value. `"0"` is a valid ID and is `Some("0")`.
    pub id: Option<String>,
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
                match self.parser.next(&mut rest) {
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
        self.parser.next(input)
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
        let result = self.parser.next(&mut unread);
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

/// The event-stream state machine; works on borrowed input.
#[derive(Debug, Clone)]
struct Parser {
    max: usize,
    /// Start of a line whose end has not arrived yet.
    line: Vec<u8>,
    /// The current unfinished line is dropped rather than buffered: it is a
    /// comment, or part of a block skipped after an error.
    discard_line: bool,
    /// The last input ended with CR: an LF starting the next input completes
    /// that CRLF rather than ending an empty line.
    pending_cr: bool,
    /// BOM bytes matched at the start of the stream, `BOM_DONE` after.
    bom: u8,
    /// Skipping the rest of a block after an error, until a blank line.
    skipping: bool,
    /// The data buffer: values joined by LF (without the trailing LF).
    data: String,
    /// Whether the block had a `data` field (`data` may still be empty).
    has_data: bool,
    /// The event type buffer.
    event_type: String,
    /// The spec's "last event ID buffer", set by `id` fields.
    id_buf: String,
    /// `id_buf` changed since the last blank line.
    id_dirty: bool,
    /// The spec's "last event ID string", copied from `id_buf` at blank lines.
    last_id: String,
    /// The reconnection time.
    retry: Option<Duration>,
    /// `id_buf` at each error not yet taken, when recorded (see
    /// `Decoder::record_error_ids`).
    error_ids: Option<VecDeque<String>>,
}

impl Parser {
    fn new(max: usize) -> Self {
        Self {
            max,
            line: Vec::new(),
            discard_line: false,
            pending_cr: false,
            bom: 0,
            skipping: false,
            data: String::new(),
            has_data: false,
            event_type: String::new(),
            id_buf: String::new(),
            id_dirty: false,
            last_id: String::new(),
            retry: None,
            error_ids: None,
        }
    }

    /// Consumes `input` until an event or error is produced or `input` is
    /// exhausted; an unterminated last line is moved into `self.line`.
    #[inline(always)] // see `Decoder::decode_fed`
    fn next(&mut self, input: &mut &[u8]) -> Option<Result<Event, DecodeError>> {
        if input.is_empty() {
            return None;
        }
        if self.pending_cr {
            self.pending_cr = false;
            if let [b'\n', rest @ ..] = *input {
                *input = rest;
            }
        }
        if self.bom != BOM_DONE && !self.strip_bom(input) {
            return None;
        }
        if self.discard_line || !self.line.is_empty() {
            if let Some(err) = self.continue_line(input) {
                return Some(Err(err));
            }
        }
        loop {
            let bytes = *input;
            let Some(pos) = find_eol(bytes) else {
                *input = &[];
                return self.start_line(bytes).map(Err);
            };
            let (line, rest) = bytes.split_at(pos);
            *input = self.skip_eol(rest);
            if line.is_empty() {
                if let Some(event) = self.blank_line() {
                    return Some(Ok(event));
                }
            } else if let Some(err) = self.field_line(line) {
                return Some(Err(err));
            }
        }
    }

    /// Handles the optional BOM at the start of the stream, which may arrive
    /// split across inputs. Returns `false` if more input is needed.
    fn strip_bom(&mut self, input: &mut &[u8]) -> bool {
        while let Some((&byte, rest)) = input.split_first() {
            let matched = usize::from(self.bom);
            if BOM.get(matched) == Some(&byte) {
                *input = rest;
                self.bom += 1;
                if self.bom == BOM_DONE {
                    return true;
                }
            } else {
                // Not a BOM after all: the bytes taken start the first line.
                self.line
                    .extend_from_slice(BOM.get(..matched).unwrap_or_default());
                self.bom = BOM_DONE;
                return true;
            }
        }
        false
    }

    /// Steps over the line terminator at the start of `rest`.
    #[inline]
    fn skip_eol<'a>(&mut self, rest: &'a [u8]) -> &'a [u8] {
        match rest {
            [b'\r', b'\n', tail @ ..] => tail,
            [b'\r'] => {
                // Can't tell CR from CRLF yet; the next input decides.
                self.pending_cr = true;
                &[]
            }
            [_, tail @ ..] => tail,
            [] => rest,
        }
    }

    /// Continues the unfinished line with `input`.
    fn continue_line(&mut self, input: &mut &[u8]) -> Option<DecodeError> {
        let bytes = *input;
        let Some(pos) = find_eol(bytes) else {
            *input = &[];
            return self.start_line(bytes);
        };
        let (head, rest) = bytes.split_at(pos);
        *input = self.skip_eol(rest);
        if self.discard_line {
            self.discard_line = false;
            return None;
        }
        if self.too_large(self.line.len() + head.len()) {
            self.line.clear();
            return Some(self.fail(DecodeError::EventTooLarge { limit: self.max }, false));
        }
        let mut line = std::mem::take(&mut self.line);
        line.extend_from_slice(head);
        // Never empty: an unfinished line holds at least one byte.
        let result = self.field_line(&line);
        line.clear();
        if line.capacity() <= RETAINED_LINE_CAPACITY {
            self.line = line;
        }
        result
    }

    /// Takes the start (or a further piece) of a line whose end has not
    /// arrived: buffers it, or drops it if its content can't matter.
    fn start_line(&mut self, bytes: &[u8]) -> Option<DecodeError> {
        if bytes.is_empty() || self.discard_line {
            return None;
        }
        if self.skipping || (self.line.is_empty() && bytes.first() == Some(&b':')) {
            self.discard_line = true;
            return None;
        }
        if self.too_large(self.line.len() + bytes.len()) {
            self.line.clear();
            return Some(self.fail(DecodeError::EventTooLarge { limit: self.max }, true));
        }
        self.line.extend_from_slice(bytes);
        None
    }

    /// Whether an event holding the current data plus a line of `line_len`
    /// bytes would exceed the limit.
    #[inline]
    fn too_large(&self, line_len: usize) -> bool {
        self.data.len().saturating_add(line_len) > self.max
    }

    /// Enters error recovery: drop the block's data and event type and skip
    /// its remaining lines. `mid_line` if the error came before the current
    /// line ended (its rest must not be taken for a blank line).
    #[cold]
    fn fail(&mut self, err: DecodeError, mid_line: bool) -> DecodeError {
        if let Some(ids) = &mut self.error_ids {
            ids.push_back(self.id_buf.clone());
        }
        self.skipping = true;
        self.discard_line = mid_line;
        self.data = String::new();
        self.has_data = false;
        self.event_type.clear();
        err
    }

    /// Processes a complete, non-empty line.
    #[inline]
    fn field_line(&mut self, line: &[u8]) -> Option<DecodeError> {
        if self.skipping {
            return None;
        }
        // Fast path: data lines are by far the most common.
        if let Some(value) = line.strip_prefix(b"data:") {
            if self.too_large(line.len()) {
                return Some(self.fail(DecodeError::EventTooLarge { limit: self.max }, false));
            }
            return self.data_field(value);
        }
        let (name, value) = match line.iter().position(|&b| b == b':') {
            Some(0) => return None, // comment
            Some(colon) => {
                let (name, rest) = line.split_at(colon);
                (name, rest.get(1..).unwrap_or_default())
            }
            None => (line, &[][..]),
        };
        if self.too_large(line.len()) {
            return Some(self.fail(DecodeError::EventTooLarge { limit: self.max }, false));
        }
        match name {
            b"data" => self.data_field(value),
            b"event" => match utf8(strip_space(value)) {
                Ok(value) => {
                    self.event_type.clear();
                    if self.event_type.capacity() == 0 {
                        // Moved out at the last dispatch: allocate exactly.
                        self.event_type = value.to_owned();
                    } else {
                        self.event_type.push_str(value);
                    }
                    None
                }
                Err(source) => Some(self.fail(
                    DecodeError::InvalidUtf8 {
                        field: "event",
                        source,
                    },
                    false,
                )),
            },
            b"id" => {
                let value = strip_space(value);
                if value.contains(&0) {
                    return None; // the standard ignores ids containing NULL
                }
                match utf8(value) {
                    Ok(value) => {
                        self.id_buf.clear();
                        self.id_buf.push_str(value);
                        self.id_dirty = true;
                        None
                    }
                    Err(source) => Some(self.fail(
                        DecodeError::InvalidUtf8 {
                            field: "id",
                            source,
                        },
                        false,
                    )),
                }
            }
            b"retry" => {
                if let Some(ms) = parse_retry(strip_space(value)) {
                    self.retry = Some(Duration::from_millis(ms));
                }
                None
            }
            _ => None, // unknown fields are ignored
        }
    }

    #[inline]
    fn data_field(&mut self, value: &[u8]) -> Option<DecodeError> {
        match utf8(strip_space(value)) {
            Ok(value) => {
                if self.has_data {
                    self.data.push('\n');
                    self.data.push_str(value);
                } else {
                    // The buffer is always unallocated here (moved out at
                    // dispatch): allocate it at the exact size in one go.
                    self.has_data = true;
                    self.data = String::with_capacity(alloc_size(value.len()));
                    self.data.push_str(value);
                }
                None
            }
            Err(source) => Some(self.fail(
                DecodeError::InvalidUtf8 {
                    field: "data",
                    source,
                },
                false,
            )),
        }
    }

    /// A blank line: the standard's "dispatch the event".
    #[inline(always)] // builds the event in place; see `Decoder::decode_fed`
    fn blank_line(&mut self) -> Option<Event> {
        self.skipping = false;
        if self.id_dirty {
            self.id_dirty = false;
            self.last_id.clone_from(&self.id_buf);
        }
        if !self.has_data {
            self.event_type.clear();
            return None;
        }
        self.has_data = false;
        let event = if self.event_type.is_empty() {
            Cow::Borrowed(MESSAGE)
        } else {
            Cow::Owned(std::mem::take(&mut self.event_type))
        };
        Some(Event {
            event,
            // Moved out, not copied: the next event's data allocates afresh
            // at its exact size.
            data: std::mem::take(&mut self.data),
            id: (!self.last_id.is_empty()).then(|| self.last_id.clone()),
            retry: self.retry,
        })
    }

    /// Drops the unterminated block and readies the parser for a new stream.
    fn end_of_stream(&mut self) {
        self.line.clear();
        if self.line.capacity() > RETAINED_LINE_CAPACITY {
            self.line = Vec::new();
        }
        self.discard_line = false;
        self.pending_cr = false;
        self.bom = 0;
        self.skipping = false;
        self.data = String::new();
        self.has_data = false;
        self.event_type.clear();
        // An `id` of the discarded block never reached the last event ID
        // string; the next stream's ID buffer starts from that string, so
        // IDs keep persisting across a reconnection.
        self.id_buf.clone_from(&self.last_id);
        self.id_dirty = false;
    }
}

/// `std::str::from_utf8`, validated with SIMD: data values are most of the
/// bytes of a stream, and std's validation was the decoder's largest cost
/// (27% on 1 KiB JSON events). The error, rare, comes from std.
#[inline]
fn utf8(bytes: &[u8]) -> Result<&str, Utf8Error> {
    match simdutf8::basic::from_utf8(bytes) {
        Ok(text) => Ok(text),
        Err(_) => std::str::from_utf8(bytes),
    }
}

/// Index of the first CR or LF.
#[inline]
fn find_eol(bytes: &[u8]) -> Option<usize> {
    // Lines are often short (blank lines, `id: 7`, `data: x`): test the
    // first 16 bytes a word at a time before paying the setup cost of the
    // vectorized search.
    let Some((head, tail)) = bytes.split_first_chunk::<16>() else {
        return bytes.iter().position(|&b| b == b'\n' || b == b'\r');
    };
    for (i, word) in head.as_chunks::<8>().0.iter().enumerate() {
        let mask = eol_mask(u64::from_le_bytes(*word));
        if mask != 0 {
            return Some(i * 8 + (mask.trailing_zeros() / 8) as usize);
        }
    }
    memchr::memchr2(b'\n', b'\r', tail).map(|pos| pos + 16)
}

/// Marks (with the byte's top bit) the bytes of `word` equal to LF or CR.
/// Classic zero-byte test; it may also flag a byte just above a real match
/// (borrow propagation), but the lowest flag is always exact, and only the
/// lowest is used.
#[inline]
fn eol_mask(word: u64) -> u64 {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let lf = word ^ (LO * u64::from(b'\n'));
    let cr = word ^ (LO * u64::from(b'\r'));
    ((lf.wrapping_sub(LO) & !lf) | (cr.wrapping_sub(LO) & !cr)) & HI
}

/// Capacity for a new data buffer of `len` bytes: exact for small ones,
/// rounded up to a multiple of 256 bytes above that, so consecutive events of
/// similar size reuse each other's freed blocks instead of churning the
/// allocator (measured: ~15% on 1 KiB events with glibc).
#[inline]
fn alloc_size(len: usize) -> usize {
    if len <= 512 {
        len
    } else {
        len.checked_next_multiple_of(256).unwrap_or(len)
    }
}

/// Removes one leading space, as the standard requires (only one).
#[inline]
fn strip_space(value: &[u8]) -> &[u8] {
    match value {
        [b' ', rest @ ..] => rest,
        _ => value,
    }
}

/// Parses a `retry` value: ASCII digits only, at least one; saturates at
/// `u64::MAX` milliseconds rather than failing on huge values.
fn parse_retry(value: &[u8]) -> Option<u64> {
    if value.is_empty() {
        return None;
    }
    value.iter().try_fold(0u64, |ms, &b| {
        b.is_ascii_digit()
            .then(|| ms.saturating_mul(10).saturating_add(u64::from(b - b'0')))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(decoder: &mut Decoder) -> Vec<Result<Event, DecodeError>> {
        std::iter::from_fn(|| decoder.next_event()).collect()
    }

    fn data_of(results: &[Result<Event, DecodeError>]) -> Vec<&str> {
        results
            .iter()
            .map(|r| r.as_ref().map_or("<err>", |e| e.data.as_str()))
            .collect()
    }

    #[test]
    fn find_eol_head_and_tail() {
        assert_eq!(find_eol(b""), None);
        assert_eq!(find_eol(b"\n"), Some(0));
        assert_eq!(find_eol(b"abc\r"), Some(3));
        let mut long = vec![b'x'; 100];
        assert_eq!(find_eol(&long), None);
        long.push(b'\r');
        assert_eq!(find_eol(&long), Some(100));
        long[16] = b'\n';
        assert_eq!(find_eol(&long), Some(16));
    }

    #[test]
    fn alloc_size_rounds_large_buffers_only() {
        assert_eq!(alloc_size(0), 0);
        assert_eq!(alloc_size(512), 512);
        assert_eq!(alloc_size(513), 768);
        assert_eq!(alloc_size(1024), 1024);
        assert_eq!(alloc_size(usize::MAX), usize::MAX);
        let mut d = Decoder::new();
        d.feed(format!("data: {}\n\n", "a".repeat(1000)).as_bytes());
        let event = d.next_event().unwrap().unwrap();
        assert_eq!((event.data.len(), event.data.capacity()), (1000, 1024));
    }

    #[test]
    fn retry_parsing() {
        assert_eq!(parse_retry(b"0"), Some(0));
        assert_eq!(parse_retry(b"03000"), Some(3000));
        assert_eq!(parse_retry(b""), None);
        assert_eq!(parse_retry(b"12a"), None);
        assert_eq!(parse_retry(b"-1"), None);
        assert_eq!(parse_retry(b" 1"), None);
        assert_eq!(parse_retry(&[b'9'; 40]), Some(u64::MAX));
    }

    #[test]
    fn cr_at_end_of_chunk_dispatches_without_waiting() {
        let mut d = Decoder::new();
        d.feed(b"data: x\r\r");
        let ev = d.next_event().unwrap().unwrap();
        assert_eq!(ev.data, "x");
        // The LF completing the last CRLF must not count as a blank line.
        d.feed(b"\ndata: y\r");
        assert!(d.next_event().is_none());
        d.feed(b"\n\r\n");
        assert_eq!(d.next_event().unwrap().unwrap().data, "y");
    }

    #[test]
    fn finish_keeps_complete_events_and_drops_partial_block() {
        let mut d = Decoder::new();
        d.feed(b"id: 1\ndata: a\n\nid: 2\ndata: b\n");
        d.finish();
        let results = collect(&mut d);
        assert_eq!(data_of(&results), ["a"]);
        assert_eq!(d.last_event_id(), "1");
        // A new stream: BOM stripped again, id persists.
        d.feed(b"\xEF\xBB\xBFdata: c\n\n");
        let ev = d.next_event().unwrap().unwrap();
        assert_eq!((ev.data.as_str(), ev.id.as_deref()), ("c", Some("1")));
    }

    #[test]
    fn next_event_from_drains_fed_input_first() {
        let mut d = Decoder::new();
        d.feed(b"data: a\n\ndata: b");
        let mut input: &[u8] = b"\n\ndata: c\n\n";
        let mut seen = Vec::new();
        while let Some(ev) = d.next_event_from(&mut input) {
            seen.push(ev.unwrap().data);
        }
        assert_eq!(seen, ["a", "b", "c"]);
        assert!(input.is_empty());
    }

    #[test]
    fn feed_compacts_partially_drained_input() {
        let mut d = Decoder::new();
        let mut next = 0;
        let mut expected = 0;
        for _ in 0..200 {
            // 20 events in, 19 out: a backlog builds up, so the buffer is
            // never fully drained and must be compacted instead.
            let chunk: String = (next..next + 20)
                .map(|i| format!("data: {i}\n\n"))
                .collect();
            next += 20;
            d.feed(chunk.as_bytes());
            for _ in 0..19 {
                assert_eq!(d.next_event().unwrap().unwrap().data, expected.to_string());
                expected += 1;
            }
            let undecoded = d.input.len() - d.pos;
            assert!(
                d.input.len() <= 2 * undecoded + chunk.len(),
                "{} bytes held",
                d.input.len()
            );
        }
        let rest = collect(&mut d);
        assert_eq!(rest.len(), 200);
    }

    #[test]
    fn feed_decodes_ahead_only_a_few_events() {
        let mut d = Decoder::new();
        d.feed(&b"data: x\n\n".repeat(1000));
        assert_eq!(d.queued.len(), EAGER_EVENTS);
        assert_eq!(collect(&mut d).len(), 1000);
    }

    #[test]
    fn huge_line_buffer_is_released() {
        let mut d = Decoder::new();
        d.feed(&[b'a'; 200_000]);
        assert!(d.next_event().is_none());
        d.feed(b"\n\ndata: x\n\n");
        assert_eq!(d.next_event().unwrap().unwrap().data, "x");
        assert!(d.parser.line.capacity() <= RETAINED_LINE_CAPACITY);
    }

    #[test]
    fn long_comment_is_not_buffered_and_not_limited() {
        let mut d = Decoder::with_max_event_size(10);
        d.feed(b":");
        for _ in 0..100 {
            d.feed(&[b'c'; 1000]);
            assert!(d.next_event().is_none());
        }
        assert!(d.parser.line.is_empty());
        d.feed(b"\ndata: ok\n\n");
        assert_eq!(d.next_event().unwrap().unwrap().data, "ok");
    }

    #[test]
    fn too_large_midline_then_recovers() {
        let mut d = Decoder::with_max_event_size(12);
        d.feed(b"data: 0123");
        assert!(d.next_event().is_none());
        d.feed(b"456789");
        assert_eq!(
            d.next_event(),
            Some(Err(DecodeError::EventTooLarge { limit: 12 }))
        );
        // The rest of the long line must not end the skipped block.
        d.feed(b"abc\ndata: z\n\ndata: ok\n\n");
        let results = collect(&mut d);
        assert_eq!(data_of(&results), ["ok"]);
    }

    #[test]
    fn error_ids_follow_the_errors_even_when_decoded_ahead() {
        let mut d = Decoder::with_max_event_size(64);
        assert_eq!(d.take_error_id(), None, "not recorded unless asked");
        d.record_error_ids();
        // `feed` decodes all of these at once, before any is taken.
        let mut input = b"id: 1\ndata: a\n\nid: 2\ndata: \xff\n\n".to_vec();
        input.extend_from_slice(format!("id: 3\ndata: {}\n\n", "x".repeat(99)).as_bytes());
        // An error before its block's `id`: the previous ID is in effect.
        input.extend_from_slice(b"data: \xfe\nid: 9\n\nid: 4\ndata: b\n\n");
        d.feed(&input);
        let mut seen = Vec::new();
        while let Some(result) = d.next_event() {
            seen.push(match result {
                Ok(event) => event.data,
                Err(_) => format!("error at {}", d.take_error_id().unwrap()),
            });
        }
        assert_eq!(seen, ["a", "error at 2", "error at 3", "error at 3", "b"]);
        assert_eq!(d.take_error_id(), None);
    }

    #[test]
    fn debug_is_a_summary() {
        let mut d = Decoder::new();
        d.feed(&[b'a'; 1000]);
        let debug = format!("{d:?}");
        assert!(debug.contains("buffered_bytes: 1000"), "{debug}");
        assert!(debug.len() < 200, "{debug}");
    }

    #[test]
    fn error_display_and_source() {
        use std::error::Error as _;
        let err = DecodeError::EventTooLarge { limit: 5 };
        assert_eq!(
            err.to_string(),
            "server-sent event exceeds the 5-byte limit"
        );
        assert!(err.source().is_none());
        let mut d = Decoder::new();
        d.feed(b"event: \xC3\n");
        let err = d.next_event().unwrap().unwrap_err();
        assert!(matches!(
            err,
            DecodeError::InvalidUtf8 { field: "event", .. }
        ));
        assert!(err.source().is_some());
    }
}
