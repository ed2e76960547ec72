//! The line and field parser under [`Decoder`](super::Decoder): WHATWG's
//! "Interpreting an event stream". Line ends are found by `super::eol`.

use super::eol::find_eol;
use super::*;

/// The event-stream state machine; works on borrowed input. Given the
/// [`Bytes`] that the input is a part of (its owner), field values are
/// slices of it rather than copies.
#[derive(Debug, Clone)]
pub(super) struct Parser {
    pub(super) max: usize,
    /// Start of a line whose end has not arrived yet.
    pub(super) line: Vec<u8>,
    /// `line` is all ASCII (as the line-end search found); `false` when not
    /// known.
    pub(super) line_ascii: bool,
    /// The current unfinished line is dropped rather than buffered: it is a
    /// comment, or part of a block skipped after an error.
    pub(super) discard_line: bool,
    /// The last input ended with CR: an LF starting the next input completes
    /// that CRLF rather than ending an empty line.
    pub(super) pending_cr: bool,
    /// BOM bytes matched at the start of the stream, `BOM_DONE` after.
    pub(super) bom: u8,
    /// Skipping the rest of a block after an error, until a blank line.
    pub(super) skipping: bool,
    /// The block's data while it has one value: a slice of the input it
    /// came in, or a copy.
    pub(super) data: SharedStr,
    /// The block's values joined by LF (without the trailing LF), once it
    /// has more than one; `data` is unused then. A scratch buffer, copied
    /// out at dispatch, so its capacity serves the next blocks.
    pub(super) joined: String,
    /// Whether the block had a `data` field (`data` may still be empty).
    pub(super) has_data: bool,
    /// The event type buffer.
    pub(super) event_type: String,
    /// The spec's "last event ID buffer" when an `id` field changed it since
    /// the last blank line; when `None` it equals `last_id`.
    pub(super) id_buf: Option<SharedStr>,
    /// The spec's "last event ID string", taken from `id_buf` at blank lines.
    pub(super) last_id: SharedStr,
    /// `data`, `id_buf` or `last_id` may be a slice of an input chunk (see
    /// `Decoder::release_input`).
    pub(super) holds_input: bool,
    /// The reconnection time.
    pub(super) retry: Option<Duration>,
    /// `id_buf` at each error not yet taken, when recorded (see
    /// `Decoder::record_error_ids`).
    pub(super) error_ids: Option<VecDeque<String>>,
}

impl Parser {
    pub(super) fn new(max: usize) -> Self {
        Self {
            max,
            line: Vec::new(),
            line_ascii: false,
            discard_line: false,
            pending_cr: false,
            bom: 0,
            skipping: false,
            data: SharedStr::new(),
            joined: String::new(),
            has_data: false,
            event_type: String::new(),
            id_buf: None,
            last_id: SharedStr::new(),
            holds_input: false,
            retry: None,
            error_ids: None,
        }
    }

    /// Consumes `input` until an event or error is produced or `input` is
    /// exhausted; an unterminated last line is moved into `self.line`.
    /// `owner`, if any, holds `input`: values are then slices of it.
    #[inline(always)] // see `Decoder::decode_fed`
    pub(super) fn next(
        &mut self,
        input: &mut &[u8],
        owner: Option<&Bytes>,
    ) -> Option<Result<Event, DecodeError>> {
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
            let scan = find_eol(bytes);
            if !scan.found {
                *input = &[];
                return self.start_line(bytes, scan.ascii).map(Err);
            }
            let (at, ascii) = (scan.at, scan.ascii);
            let (line, rest) = bytes.split_at(at);
            *input = self.skip_eol(rest);
            if line.is_empty() {
                if let Some(event) = self.blank_line() {
                    return Some(Ok(event));
                }
            } else if let Some(event) = self.lone_data(Line { bytes: line, ascii }, input, owner) {
                return Some(Ok(event));
            } else if let Some(err) = self.field_line(Line { bytes: line, ascii }, owner) {
                return Some(Err(err));
            }
        }
    }

    /// A block's only `data` line, with the blank line that ends the block
    /// next in `input`: the common event of one line. It is made from the
    /// value at once, as `field_line` then `blank_line` would make it, but
    /// without the value passing through `self.data` (measured: that store
    /// and the load after it stalled on store forwarding). `None`, having
    /// changed nothing, in any other case: the line is then parsed as usual.
    #[inline(always)]
    fn lone_data(
        &mut self,
        line: Line<'_>,
        input: &mut &[u8],
        owner: Option<&Bytes>,
    ) -> Option<Event> {
        if self.has_data || self.skipping || !matches!(input.first(), Some(b'\n' | b'\r')) {
            return None;
        }
        let value = line.bytes.strip_prefix(b"data:")?;
        if self.too_large(line.bytes.len()) {
            return None;
        }
        let value = text(strip_space(value), line.ascii).ok()?;
        let data = self.share(value, owner);
        *input = self.skip_eol(input);
        self.end_block_id();
        Some(self.dispatch(data))
    }

    /// Handles the optional BOM at the start of the stream, which may arrive
    /// split across inputs. Returns `false` if more input is needed.
    pub(super) fn strip_bom(&mut self, input: &mut &[u8]) -> bool {
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
                self.line_ascii = false;
                self.bom = BOM_DONE;
                return true;
            }
        }
        false
    }

    /// Steps over the line terminator at the start of `rest`.
    #[inline]
    pub(super) fn skip_eol<'a>(&mut self, rest: &'a [u8]) -> &'a [u8] {
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
    pub(super) fn continue_line(&mut self, input: &mut &[u8]) -> Option<DecodeError> {
        let bytes = *input;
        let scan = find_eol(bytes);
        if !scan.found {
            *input = &[];
            return self.start_line(bytes, scan.ascii);
        }
        let (head, rest) = bytes.split_at(scan.at);
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
        // Never empty: an unfinished line holds at least one byte. Its
        // start is in an earlier input: copied. Both parts were scanned, so
        // an ASCII line is not checked again (measured: 6% of the time on
        // 1 KiB events in 4 KiB chunks).
        let ascii = self.line_ascii && scan.ascii;
        let result = self.field_line(
            Line {
                bytes: &line,
                ascii,
            },
            None,
        );
        line.clear();
        if line.capacity() <= RETAINED_LINE_CAPACITY {
            self.line = line;
        }
        result
    }

    /// Takes the start (or a further piece) of a line whose end has not
    /// arrived: buffers it, or drops it if its content can't matter.
    /// `ascii`: the piece is all ASCII.
    pub(super) fn start_line(&mut self, bytes: &[u8], ascii: bool) -> Option<DecodeError> {
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
        self.line_ascii = ascii && (self.line.is_empty() || self.line_ascii);
        self.line.extend_from_slice(bytes);
        None
    }

    /// Whether an event holding the current data plus a line of `line_len`
    /// bytes would exceed the limit.
    #[inline]
    pub(super) fn too_large(&self, line_len: usize) -> bool {
        self.data_len().saturating_add(line_len) > self.max
    }

    /// Bytes of data in the block so far.
    #[inline]
    pub(super) fn data_len(&self) -> usize {
        if self.joined.is_empty() {
            self.data.len()
        } else {
            self.joined.len()
        }
    }

    /// Drops the block's data, keeping the scratch buffer unless it is huge.
    pub(super) fn clear_data(&mut self) {
        self.data = SharedStr::new();
        self.joined.clear();
        if self.joined.capacity() > RETAINED_LINE_CAPACITY {
            self.joined = String::new();
        }
        self.has_data = false;
    }

    /// Enters error recovery: drop the block's data and event type and skip
    /// its remaining lines. `mid_line` if the error came before the current
    /// line ended (its rest must not be taken for a blank line).
    #[cold]
    pub(super) fn fail(&mut self, err: DecodeError, mid_line: bool) -> DecodeError {
        if let Some(ids) = &mut self.error_ids {
            ids.push_back(self.id_buf.as_ref().unwrap_or(&self.last_id).to_string());
        }
        self.skipping = true;
        self.discard_line = mid_line;
        self.clear_data();
        self.event_type.clear();
        err
    }

    /// Processes a complete, non-empty line, a part of `owner` if given.
    #[inline]
    pub(super) fn field_line(
        &mut self,
        line: Line<'_>,
        owner: Option<&Bytes>,
    ) -> Option<DecodeError> {
        if self.skipping {
            return None;
        }
        let Line { bytes: line, ascii } = line;
        // Fast path: data lines are by far the most common.
        if let Some(value) = line.strip_prefix(b"data:") {
            if self.too_large(line.len()) {
                return Some(self.fail(DecodeError::EventTooLarge { limit: self.max }, false));
            }
            return self.data_field(value, ascii, owner);
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
            b"data" => self.data_field(value, ascii, owner),
            b"event" => match text(strip_space(value), ascii) {
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
                match text(value, ascii) {
                    Ok(value) => {
                        // The old value first, as for `data`.
                        drop(self.id_buf.take());
                        self.id_buf = Some(self.share(value, owner));
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

    /// `text`, a part of `owner` if given, as a slice of it, else a copy.
    #[inline]
    pub(super) fn share(&mut self, text: &str, owner: Option<&Bytes>) -> SharedStr {
        match owner {
            Some(owner) => {
                self.holds_input = true;
                SharedStr::slice_of(owner, text)
            }
            None => SharedStr::from(text),
        }
    }

    #[inline]
    pub(super) fn data_field(
        &mut self,
        value: &[u8],
        ascii: bool,
        owner: Option<&Bytes>,
    ) -> Option<DecodeError> {
        match text(strip_space(value), ascii) {
            Ok(value) => {
                if !self.has_data {
                    self.has_data = true;
                    // The old value goes first: dropped after the new one is
                    // made, the drop call would move the new value through
                    // the stack, and that move stalled on store forwarding
                    // (measured: 70% of this function's time).
                    drop(std::mem::take(&mut self.data));
                    self.data = self.share(value, owner);
                } else {
                    if self.joined.is_empty() {
                        // The second value: from here on the block is
                        // joined in the scratch buffer.
                        let len = self.data.len() + 1 + value.len();
                        self.joined.reserve_exact(alloc_size(len));
                        self.joined.push_str(&self.data);
                        self.data = SharedStr::new();
                    }
                    self.joined.push('\n');
                    self.joined.push_str(value);
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
    pub(super) fn blank_line(&mut self) -> Option<Event> {
        self.skipping = false;
        self.end_block_id();
        if !self.has_data {
            self.event_type.clear();
            return None;
        }
        self.has_data = false;
        let data = if self.joined.is_empty() {
            // Moved out: a slice of the input, or a copy made for this event.
            std::mem::take(&mut self.data)
        } else {
            let data = SharedStr::from(self.joined.as_str());
            self.clear_data();
            data
        };
        Some(self.dispatch(data))
    }

    /// At the end of a block, the ID buffer becomes the last event ID.
    #[inline(always)]
    fn end_block_id(&mut self) {
        if let Some(id) = self.id_buf.take() {
            self.last_id = id;
        }
    }

    /// The event of a block whose data is `data`, the block's end handled.
    #[inline(always)]
    fn dispatch(&mut self, data: SharedStr) -> Event {
        let event = if self.event_type.is_empty() {
            Cow::Borrowed(MESSAGE)
        } else {
            Cow::Owned(std::mem::take(&mut self.event_type))
        };
        Event {
            event,
            data,
            id: (!self.last_id.is_empty()).then(|| self.last_id.clone()),
            retry: self.retry,
        }
    }

    /// Drops the unterminated block and readies the parser for a new stream.
    pub(super) fn end_of_stream(&mut self) {
        self.line.clear();
        if self.line.capacity() > RETAINED_LINE_CAPACITY {
            self.line = Vec::new();
        }
        self.discard_line = false;
        self.pending_cr = false;
        self.bom = 0;
        self.skipping = false;
        self.clear_data();
        self.event_type.clear();
        // An `id` of the discarded block never reached the last event ID
        // string; the next stream's ID buffer starts from that string, so
        // IDs keep persisting across a reconnection.
        self.id_buf = None;
    }

    /// Copies what the parser keeps out of input chunks (see
    /// `Decoder::release_input`).
    pub(super) fn release_input(&mut self) {
        if !std::mem::take(&mut self.holds_input) {
            return;
        }
        for text in [
            Some(&mut self.last_id),
            self.id_buf.as_mut(),
            Some(&mut self.data),
        ]
        .into_iter()
        .flatten()
        {
            if text.is_shared() {
                *text = SharedStr::from(text.as_str());
            }
        }
    }
}

/// A complete, non-empty line, without its end.
#[derive(Clone, Copy)]
pub(super) struct Line<'a> {
    pub(super) bytes: &'a [u8],
    /// `bytes` are all ASCII, as the line-end search found; `false` when
    /// not known.
    pub(super) ascii: bool,
}

/// `value`, a part of a line, as text: without a check when the line is
/// known to be ASCII.
#[inline]
pub(super) fn text(value: &[u8], ascii: bool) -> Result<&str, Utf8Error> {
    if ascii {
        debug_assert!(value.is_ascii());
        // SAFETY: ASCII is UTF-8; `ascii` comes from `find_eol`, which
        // saw every byte of the line.
        Ok(unsafe { std::str::from_utf8_unchecked(value) })
    } else {
        utf8(value)
    }
}

/// `std::str::from_utf8`, validated with SIMD: data values are most of the
/// bytes of a stream, and std's validation was the decoder's largest cost
/// (27% on 1 KiB JSON events). The error, rare, comes from std.
#[inline]
pub(super) fn utf8(bytes: &[u8]) -> Result<&str, Utf8Error> {
    match simdutf8::basic::from_utf8(bytes) {
        Ok(text) => Ok(text),
        Err(_) => std::str::from_utf8(bytes),
    }
}

/// Capacity for a new data buffer of `len` bytes: exact for small ones,
/// rounded up to a multiple of 256 bytes above that, so consecutive events of
/// similar size reuse each other's freed blocks instead of churning the
/// allocator (measured: ~15% on 1 KiB events with glibc).
#[inline]
pub(super) fn alloc_size(len: usize) -> usize {
    if len <= 512 {
        len
    } else {
        len.checked_next_multiple_of(256).unwrap_or(len)
    }
}

/// Removes one leading space, as the standard requires (only one).
#[inline]
pub(super) fn strip_space(value: &[u8]) -> &[u8] {
    match value {
        [b' ', rest @ ..] => rest,
        _ => value,
    }
}

/// Parses a `retry` value: ASCII digits only, at least one; saturates at
/// `u64::MAX` milliseconds rather than failing on huge values.
pub(super) fn parse_retry(value: &[u8]) -> Option<u64> {
    if value.is_empty() {
        return None;
    }
    value.iter().try_fold(0u64, |ms, &b| {
        b.is_ascii_digit()
            .then(|| ms.saturating_mul(10).saturating_add(u64::from(b - b'0')))
    })
}
