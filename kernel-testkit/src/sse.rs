//! A reference model of the WHATWG rules for interpreting an event stream,
//! which the SSE decoder is checked against (the conformance table's
//! differential test and the fuzz target).
//!
//! It is a direct transcription of the standard's algorithm, run on the
//! whole input at once with no chunking, extended with the decoder's
//! documented error rules: an event above the size limit and a field that is
//! not UTF-8 are reported, and the rest of their block is skipped.

/// One item a decoder yields: an event or an error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Out {
    /// A dispatched event.
    Event {
        /// Its type (`message` unless an `event` field said otherwise).
        event: String,
        /// Its `data` lines joined with `\n`.
        data: String,
        /// The last event ID at dispatch, `None` when empty.
        id: Option<String>,
        /// The reconnection time in effect, in milliseconds.
        retry: Option<u64>,
    },
    /// An event grew beyond the size limit.
    TooLarge,
    /// The named field was not UTF-8.
    Utf8(&'static str),
}

impl Out {
    /// The same event with its last event ID.
    pub fn id(mut self, value: &str) -> Self {
        if let Out::Event { id, .. } = &mut self {
            *id = Some(value.to_owned());
        }
        self
    }

    /// The same event with its reconnection time.
    pub fn retry(mut self, ms: u64) -> Self {
        if let Out::Event { retry, .. } = &mut self {
            *retry = Some(ms);
        }
        self
    }
}

/// Everything a stream gives: its items, the last event ID at the end, and
/// the reconnection time in effect at the end (milliseconds).
pub type Outcome = (Vec<Out>, String, Option<u64>);

/// A direct transcription of the standard's algorithm (whole input at once,
/// no chunking), extended with the decoder's documented error rules.
pub fn reference(input: &[u8], max: usize) -> Outcome {
    let mut rest = input.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(input);
    // Only terminated lines; the unterminated tail is discarded at EOF.
    let mut lines = Vec::new();
    while let Some(pos) = rest.iter().position(|&b| b == b'\r' || b == b'\n') {
        lines.push(&rest[..pos]);
        let skip = if rest[pos..].starts_with(b"\r\n") {
            2
        } else {
            1
        };
        rest = &rest[pos + skip..];
    }
    let mut out = Vec::new();
    let (mut data, mut has_data, mut event_type) = (String::new(), false, String::new());
    let (mut id_buf, mut last_id, mut retry) = (String::new(), String::new(), None);
    let mut skipping = false;
    for line in lines {
        if line.is_empty() {
            skipping = false;
            last_id = id_buf.clone();
            if has_data {
                out.push(Out::Event {
                    event: if event_type.is_empty() {
                        "message".into()
                    } else {
                        event_type.clone()
                    },
                    data: data.clone(),
                    id: (!last_id.is_empty()).then(|| last_id.clone()),
                    retry,
                });
            }
            data.clear();
            has_data = false;
            event_type.clear();
            continue;
        }
        if skipping || line[0] == b':' {
            continue;
        }
        let (name, value) = match line.iter().position(|&b| b == b':') {
            Some(i) => (&line[..i], &line[i + 1..]),
            None => (line, &b""[..]),
        };
        let value = value.strip_prefix(b" ").unwrap_or(value);
        let mut error = None;
        if data.len() + line.len() > max {
            error = Some(Out::TooLarge);
        } else {
            match name {
                b"data" => match std::str::from_utf8(value) {
                    Ok(v) => {
                        if has_data {
                            data.push('\n');
                        }
                        has_data = true;
                        data.push_str(v);
                    }
                    Err(_) => error = Some(Out::Utf8("data")),
                },
                b"event" => match std::str::from_utf8(value) {
                    Ok(v) => event_type = v.to_owned(),
                    Err(_) => error = Some(Out::Utf8("event")),
                },
                b"id" if !value.contains(&0) => match std::str::from_utf8(value) {
                    Ok(v) => id_buf = v.to_owned(),
                    Err(_) => error = Some(Out::Utf8("id")),
                },
                b"retry" if !value.is_empty() && value.iter().all(u8::is_ascii_digit) => {
                    let ms = value.iter().fold(0u64, |ms, d| {
                        ms.saturating_mul(10).saturating_add(u64::from(d - b'0'))
                    });
                    retry = Some(ms);
                }
                _ => {}
            }
        }
        if let Some(error) = error {
            out.push(error);
            skipping = true;
            data.clear();
            has_data = false;
            event_type.clear();
        }
    }
    // An unterminated line that already exceeds the limit is reported even
    // though it never ends: the decoder cannot buffer it to find out.
    let tail = rest;
    if !skipping && tail.first().is_some_and(|&b| b != b':') && data.len() + tail.len() > max {
        out.push(Out::TooLarge);
    }
    (out, last_id, retry)
}
