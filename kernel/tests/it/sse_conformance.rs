//! Conformance table for `kernel::sse::Decoder`.
//!
//! Cases are written from the WHATWG HTML standard ("Interpreting an event
//! stream") and modelled on the web-platform-tests `eventsource/format-*`
//! tests, plus the decoder's documented extensions (size limit, UTF-8
//! errors, recovery). Every case is decoded whole, byte by byte and at 200
//! random split points, through both the copying (`feed`/`next_event`) and
//! the borrowing (`next_event_from`) APIs, and must give the same result
//! each time. A randomized differential test then compares the decoder with
//! a straightforward reference model of the same rules.

use std::time::Duration;

use kernel::sse::{DecodeError, Decoder, Event};
use kernel_testkit::sse::{reference, Out};

/// The decoder's item as the reference model writes it.
fn item(result: Result<Event, DecodeError>) -> Out {
    match result {
        Ok(event) => Out::Event {
            event: event.event.into_owned(),
            data: event.data.into(),
            id: event.id.map(Into::into),
            retry: event.retry.map(|d| u64::try_from(d.as_millis()).unwrap()),
        },
        Err(DecodeError::EventTooLarge { .. }) => Out::TooLarge,
        Err(DecodeError::InvalidUtf8 { field, .. }) => Out::Utf8(field),
        Err(other) => panic!("unexpected error {other:?}"),
    }
}

/// A `message` event.
fn msg(data: &str) -> Out {
    typed("message", data)
}

/// An event of the given type.
fn typed(event: &str, data: &str) -> Out {
    Out::Event {
        event: event.to_owned(),
        data: data.to_owned(),
        id: None,
        retry: None,
    }
}

struct Case {
    name: &'static str,
    input: Vec<u8>,
    expect: Vec<Out>,
    max: Option<usize>,
    /// `last_event_id()` after the stream ends.
    last_id: &'static str,
    /// `retry()` after the stream ends.
    retry: Option<u64>,
}

fn case(name: &'static str, input: impl AsRef<[u8]>, expect: Vec<Out>) -> Case {
    Case {
        name,
        input: input.as_ref().to_vec(),
        expect,
        max: None,
        last_id: "",
        retry: None,
    }
}

impl Case {
    fn max(mut self, max: usize) -> Self {
        self.max = Some(max);
        self
    }
    fn last_id(mut self, id: &'static str) -> Self {
        self.last_id = id;
        self
    }
    fn retry(mut self, ms: u64) -> Self {
        self.retry = Some(ms);
        self
    }
}

fn cases() -> Vec<Case> {
    let long = "x".repeat(2048);
    let big_data = "y".repeat(100_000);
    vec![
        // --- Byte order mark (format-bom, format-bom-2) ---
        case(
            "bom stripped once; a BOM later is part of a field name",
            b"\xEF\xBB\xBFdata:1\n\n\xEF\xBB\xBFdata:2\n\ndata:3\n\n",
            vec![msg("1"), msg("3")],
        ),
        case(
            "double bom: only the first is stripped",
            b"\xEF\xBB\xBF\xEF\xBB\xBFdata:1\n\ndata:2\n\ndata:3\n\n",
            vec![msg("2"), msg("3")],
        ),
        case("partial bom is content", b"\xEF\xBBdata: x\n\ndata: y\n\n", vec![msg("y")]),
        case("one bom byte is content", b"\xEFdata: x\n\ndata: y\n\n", vec![msg("y")]),
        case("bom then blank line", b"\xEF\xBB\xBF\ndata: x\n\n", vec![msg("x")]),
        case("bom then comment", b"\xEF\xBB\xBF: hi\ndata: x\n\n", vec![msg("x")]),
        case("bom only", b"\xEF\xBB\xBF", vec![]),
        case("empty stream", b"", vec![]),
        case("bom with CR line ends", b"\xEF\xBB\xBFdata: x\r\r", vec![msg("x")]),
        // --- Line ends (format-newlines) ---
        case(
            "newline fest",
            b"data:test\r\ndata\ndata:test\r\n\r\n",
            vec![msg("test\n\ntest")],
        ),
        case("LF", b"data: a\ndata: b\n\ndata: c\n\n", vec![msg("a\nb"), msg("c")]),
        case("CR", b"data: a\rdata: b\r\rdata: c\r\r", vec![msg("a\nb"), msg("c")]),
        case(
            "CRLF",
            b"data: a\r\ndata: b\r\n\r\ndata: c\r\n\r\n",
            vec![msg("a\nb"), msg("c")],
        ),
        case(
            "mixed line ends",
            b"data: a\r\n\rdata: b\n\r\ndata: c\r\n\n",
            vec![msg("a"), msg("b"), msg("c")],
        ),
        case("CR CRLF is two line ends", b"data: a\r\r\ndata: b\n\n", vec![msg("a"), msg("b")]),
        case("LF CR is two line ends", b"data: a\n\rdata: b\n\n", vec![msg("a"), msg("b")]),
        case(
            "CRLF split across chunks counts once (random splits hit it)",
            b"data: a\r\n\r\ndata: b\r\n\r\n",
            vec![msg("a"), msg("b")],
        ),
        case("CR at end of stream ends the line only", b"data: a\r", vec![]),
        // --- Comments (format-comments) ---
        case(
            "comment fest",
            format!("data:1\r:\0\n:\r\ndata:2\n:{long}\rdata:3\n:data:fail\r:{long}\ndata:4\n\n"),
            vec![msg("1\n2\n3\n4")],
        ),
        case("keepalive-only stream", b": keepalive\n\n: ping\r\n\r\n:\n\n:\r\r", vec![]),
        case("comment with invalid UTF-8 is ignored", b": \xFF\xFE\ndata: ok\n\n", vec![msg("ok")]),
        case("comment between data lines", b"data: a\n: c\ndata: b\n\n", vec![msg("a\nb")]),
        // --- Field parsing (format-field-parsing, format-field-unknown) ---
        case(
            "field parsing",
            b"data:\0\ndata:  2\rData:1\ndata\0:2\ndata:1\r\0data:4\nda-ta:3\rdata_5\ndata:3\rdata:\r\n data:32\ndata:4\n\n",
            vec![msg("\0\n 2\n1\n3\n\n4")],
        ),
        case(
            "unknown fields and parsing fun",
            b"data:test\n data\ndata\nfoobar:xxx\njustsometext\n:thisisacommentyay\ndata:test\n\n",
            vec![msg("test\n\ntest")],
        ),
        case(
            "data field parsing (format-field-data)",
            b"data:\n\ndata\ndata\n\ndata:test\n\n",
            vec![msg(""), msg("\n"), msg("test")],
        ),
        case("field without colon: data", b"data\n\n", vec![msg("")]),
        case("field without colon: event resets type", b"event\ndata: x\n\n", vec![msg("x")]),
        case("colon in value kept", b"data: a:b: c\n\n", vec![msg("a:b: c")]),
        case("null character in data (format-null-character)", b"data:\0\n\n", vec![msg("\0")]),
        case("UTF-8 data (format-utf-8)", b"data:ok\xE2\x80\xA6\n\n", vec![msg("ok\u{2026}")]),
        case(
            "4-byte UTF-8 (random splits cut it)",
            "data: \u{1F600}\u{e9}\nevent: \u{1F680}\n\n".as_bytes(),
            vec![typed("\u{1F680}", "\u{1F600}\u{e9}")],
        ),
        // --- Leading space (format-leading-space) ---
        case(
            "leading space",
            b"data:\ttest\rdata: \ndata:test\n\n",
            vec![msg("\ttest\n\ntest")],
        ),
        case("only one leading space stripped", b"data:  x\n\n", vec![msg(" x")]),
        case("no space needed", b"data:x\n\n", vec![msg("x")]),
        case("trailing spaces kept", b"data: x  \n\n", vec![msg("x  ")]),
        case(
            "one space stripped from event and id too",
            b"event:  t\nid:  7\ndata: x\n\n",
            vec![typed(" t", "x").id(" 7")],
        )
        .last_id(" 7"),
        // --- Event type (format-field-event, format-field-event-empty) ---
        case(
            "event type, reset after dispatch",
            b"event: foo\ndata: bar\n\ndata: baz\n\n",
            vec![typed("foo", "bar"), msg("baz")],
        ),
        case("empty event type is message", b"event: \ndata:data\n\n", vec![msg("data")]),
        case("last event field wins", b"event: a\nevent: b\ndata: x\n\n", vec![typed("b", "x")]),
        case(
            "event type reset by a block without data",
            b"event: foo\n\ndata: x\n\n",
            vec![msg("x")],
        ),
        case("event name is case sensitive", b"Event: foo\ndata: x\n\n", vec![msg("x")]),
        // --- Dispatch rules ---
        case("block without data is not dispatched", b"event: e\nid: 1\n\n", vec![]).last_id("1"),
        case(
            "unterminated final block discarded (format-data-before-final-empty-line)",
            b"retry:1000\ndata:test1\n\nid:test\ndata:test2",
            vec![msg("test1").retry(1000)],
        )
        .retry(1000),
        case(
            "final block ended by one line end only is discarded",
            b"data: a\n\ndata: b\n",
            vec![msg("a")],
        ),
        case("data without any line end", b"data: a", vec![]),
        case("several blank lines", b"\n\n\ndata: a\n\n\n\n", vec![msg("a")]),
        // --- id (format-field-id*, format-field-id-null) ---
        case(
            "id persists",
            b"id: 1\ndata: 1\n\ndata:2\n\n",
            vec![msg("1").id("1"), msg("2").id("1")],
        )
        .last_id("1"),
        case(
            "id changes and persists",
            b"id: 1\ndata: 1\n\nid: 2\ndata:2\n\ndata:3\n\n",
            vec![msg("1").id("1"), msg("2").id("2"), msg("3").id("2")],
        )
        .last_id("2"),
        case(
            "id reset by empty id",
            b"id: 1\ndata: 1\n\nid:\ndata:2\n\ndata:3\n\n",
            vec![msg("1").id("1"), msg("2"), msg("3")],
        ),
        case(
            "id reset by id without colon",
            b"id: 3\ndata: a\n\nid\ndata: b\n\n",
            vec![msg("a").id("3"), msg("b")],
        ),
        case(
            "id containing NULL is ignored",
            b"id: 1\ndata: a\n\nid: a\0b\ndata: b\n\nid: \0\ndata: c\n\n",
            vec![msg("a").id("1"), msg("b").id("1"), msg("c").id("1")],
        )
        .last_id("1"),
        case("id 0 is a valid id", b"id: 0\ndata: x\n\n", vec![msg("x").id("0")]).last_id("0"),
        case(
            "id in a block without data still updates the last event id",
            b"id: 5\n\ndata: x\n\n",
            vec![msg("x").id("5")],
        )
        .last_id("5"),
        case(
            "id applies to its own block's event",
            b"data: x\nid: 6\n\n",
            vec![msg("x").id("6")],
        )
        .last_id("6"),
        case(
            "id of an unterminated final block is not applied",
            b"id: 1\ndata: a\n\nid: 2\ndata: b\n",
            vec![msg("a").id("1")],
        )
        .last_id("1"),
        // --- retry (format-field-retry, format-field-retry-bogus, -empty) ---
        case("retry", b"retry: 3000\ndata: x\n\n", vec![msg("x").retry(3000)]).retry(3000),
        case(
            "retry with leading zeros is decimal",
            b"retry:03000\ndata:x\n\n",
            vec![msg("x").retry(3000)],
        )
        .retry(3000),
        case(
            "bogus retry ignored, earlier one kept",
            b"retry:3000\nretry:1000x\ndata:x\n\n",
            vec![msg("x").retry(3000)],
        )
        .retry(3000),
        case("retry: 12a ignored", b"retry: 12a\ndata: x\n\n", vec![msg("x")]),
        case("retry: empty ignored", b"retry: \ndata: x\n\n", vec![msg("x")]),
        case("retry without colon ignored", b"retry\ndata:test\n\n", vec![msg("test")]),
        case("retry: -1 ignored", b"retry: -1\ndata: x\n\n", vec![msg("x")]),
        case("retry: 1.5 ignored", b"retry: 1.5\ndata: x\n\n", vec![msg("x")]),
        case("retry with two spaces ignored", b"retry:  5\ndata: x\n\n", vec![msg("x")]),
        case("retry: 0", b"retry: 0\ndata: x\n\n", vec![msg("x").retry(0)]).retry(0),
        case(
            "huge retry saturates",
            b"retry: 99999999999999999999999\ndata: x\n\n",
            vec![msg("x").retry(u64::MAX)],
        )
        .retry(u64::MAX),
        case(
            "retry in a block without data still applies",
            b"retry: 500\n\ndata: x\n\n",
            vec![msg("x").retry(500)],
        )
        .retry(500),
        case(
            "retry applies as soon as parsed, even in an unterminated block",
            b"data: x\n\nretry: 7\n",
            vec![msg("x")],
        )
        .retry(7),
        // --- Large events ---
        case(
            "100 kB data line",
            format!("data: {big_data}\n\ndata: after\n\n"),
            vec![msg(&big_data), msg("after")],
        ),
        // --- Size limit ---
        case(
            "event too large: single line",
            b"data: 0123456789abcdef\n\ndata: ok\n\n",
            vec![Out::TooLarge, msg("ok")],
        )
        .max(16),
        case(
            "event too large: grows over several lines",
            b"data: 12345\ndata: 67890\ndata: zz\n\ndata: ok\n\n",
            vec![Out::TooLarge, msg("ok")],
        )
        .max(12),
        case("event exactly at the limit", b"data: 12345\n\n", vec![msg("12345")]).max(11),
        case(
            "long unknown field counts towards the limit",
            b"foo: 0123456789\n\ndata: ok\n\n",
            vec![Out::TooLarge, msg("ok")],
        )
        .max(8),
        case(
            "long comment does not count towards the limit",
            format!(": {long}\ndata: ok\n\n"),
            vec![msg("ok")],
        )
        .max(8),
        case(
            "too-large event: rest of its block skipped, ids before the error kept",
            b"id: 1\ndata: 0123456789abcdef\nid: 2\ndata: more\n\ndata: ok\n\n",
            vec![Out::TooLarge, msg("ok").id("1")],
        )
        .max(16)
        .last_id("1"),
        case(
            "too-large event whose line never ends",
            b"data: ok\n\ndata: 0123456789abcdef",
            vec![msg("ok"), Out::TooLarge],
        )
        .max(16),
        case("limit 0 rejects any field line", b"data\n\n: c\n\n", vec![Out::TooLarge]).max(0),
        // --- Invalid UTF-8 ---
        case(
            "invalid UTF-8 in data, then recovery",
            b"data: \xFF\n\ndata: ok\n\n",
            vec![Out::Utf8("data"), msg("ok")],
        ),
        case(
            "invalid UTF-8 mid-block skips the block",
            b"data: a\ndata: \xC3\ndata: c\n\ndata: d\n\n",
            vec![Out::Utf8("data"), msg("d")],
        ),
        case(
            "invalid UTF-8 in event",
            b"event: \xC0\xAF\ndata: x\n\ndata: y\n\n",
            vec![Out::Utf8("event"), msg("y")],
        ),
        case(
            "invalid UTF-8 in id: id not applied",
            b"id: 1\n\nid: \xFF\ndata: x\n\ndata: y\n\n",
            vec![Out::Utf8("id"), msg("y").id("1")],
        )
        .last_id("1"),
        case(
            "id after the error in the same block is skipped",
            b"data: \xFF\nid: 10\n\ndata: e\n\n",
            vec![Out::Utf8("data"), msg("e")],
        ),
        case(
            "invalid UTF-8 in an unknown field or retry is ignored",
            b"f\xFFo: bar\nretry: \xFF\ndata: ok\n\n",
            vec![msg("ok")],
        ),
        case(
            "truncated multibyte sequence before line end",
            b"data: \xE2\x80\n\ndata: ok\n\n",
            vec![Out::Utf8("data"), msg("ok")],
        ),
        case(
            "surrogate code point encoding rejected",
            b"data: \xED\xA0\x80\n\ndata: ok\n\n",
            vec![Out::Utf8("data"), msg("ok")],
        ),
        case(
            "two errors in a row are reported once each",
            b"data: \xFF\n\ndata: \xFE\n\ndata: ok\n\n",
            vec![Out::Utf8("data"), Out::Utf8("data"), msg("ok")],
        ),
        // --- Kernel-like telemetry ---
        case(
            "telemetry with ids, event types and keepalives",
            b"retry: 1000\n\n: keepalive\n\nid: 1\nevent: log\ndata: {\"seq\":1}\n\n: keepalive\n\nid: 2\ndata: {\"seq\":2}\n\n",
            vec![
                typed("log", "{\"seq\":1}").id("1").retry(1000),
                msg("{\"seq\":2}").id("2").retry(1000),
            ],
        )
        .last_id("2")
        .retry(1000),
        // --- Fuzz regressions (inputs found by `cargo fuzz run sse_decoder`) ---
    ]
}

/// xorshift64*: small, seeded, good enough for split points.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn new_decoder(max: Option<usize>) -> Decoder {
    match max {
        Some(max) => Decoder::with_max_event_size(max),
        None => Decoder::new(),
    }
}

#[derive(Clone, Copy, Debug)]
enum Api {
    Feed,
    Borrow,
    /// Alternate per chunk, to check the two can be mixed.
    Mixed(u64),
}

/// Decodes `input` cut into `chunks` pieces; returns the output and the
/// decoder's final `last_event_id()` and `retry()`.
fn run(
    input: &[u8],
    cuts: &[usize],
    max: Option<usize>,
    api: Api,
) -> (Vec<Out>, String, Option<u64>) {
    let mut decoder = new_decoder(max);
    let mut out = Vec::new();
    let mut start = 0;
    for (i, &end) in cuts.iter().chain(std::iter::once(&input.len())).enumerate() {
        let mut chunk = &input[start..end];
        start = end;
        let use_feed = match api {
            Api::Feed => true,
            Api::Borrow => false,
            Api::Mixed(bits) => bits >> (i % 64) & 1 == 1,
        };
        if use_feed {
            decoder.feed(chunk);
            while let Some(result) = decoder.next_event() {
                out.push(item(result));
            }
        } else {
            while let Some(result) = decoder.next_event_from(&mut chunk) {
                out.push(item(result));
            }
            assert!(
                chunk.is_empty(),
                "next_event_from returned None before consuming its input"
            );
        }
    }
    decoder.finish();
    while let Some(result) = decoder.next_event() {
        out.push(item(result));
    }
    let retry = decoder
        .retry()
        .map(|d| u64::try_from(d.as_millis()).unwrap());
    (out, decoder.last_event_id().to_owned(), retry)
}

fn random_cuts(rng: &mut Rng, len: usize) -> Vec<usize> {
    if len < 2 {
        return Vec::new();
    }
    let count = 1 + rng.below(len.min(12));
    let mut cuts: Vec<usize> = (0..count).map(|_| 1 + rng.below(len - 1)).collect();
    cuts.sort_unstable();
    cuts.dedup();
    cuts
}

fn check_case(case: &Case) {
    let expected = (case.expect.clone(), case.last_id.to_owned(), case.retry);
    let len = case.input.len();
    let bytewise: Vec<usize> = (1..len).collect();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ len as u64);
    for (label, cuts, api) in [
        ("whole/feed", Vec::new(), Api::Feed),
        ("whole/borrow", Vec::new(), Api::Borrow),
        ("bytewise/feed", bytewise.clone(), Api::Feed),
        ("bytewise/borrow", bytewise, Api::Borrow),
    ] {
        let got = run(&case.input, &cuts, case.max, api);
        assert_eq!(got, expected, "case {:?} decoded {label}", case.name);
    }
    for round in 0..200 {
        let cuts = random_cuts(&mut rng, len);
        let api = match round % 3 {
            0 => Api::Feed,
            1 => Api::Borrow,
            _ => Api::Mixed(rng.next()),
        };
        let got = run(&case.input, &cuts, case.max, api);
        assert_eq!(
            got, expected,
            "case {:?} split at {cuts:?} via {api:?}",
            case.name
        );
    }
}

#[test]
fn conformance_table() {
    let cases = cases();
    assert!(cases.len() >= 80, "only {} cases", cases.len());
    for case in &cases {
        check_case(case);
    }
}

#[test]
fn push_api_matches_pull_api() {
    for case in cases() {
        let mut decoder = new_decoder(case.max);
        let mut out = Vec::new();
        for chunk in case.input.chunks(7) {
            decoder.decode(chunk, |result| out.push(item(result)));
        }
        decoder.finish();
        out.extend(std::iter::from_fn(|| decoder.next_event()).map(item));
        assert_eq!(out, case.expect, "case {:?}", case.name);
    }
}

#[test]
fn finish_before_draining_keeps_complete_events() {
    for case in cases() {
        let mut decoder = new_decoder(case.max);
        decoder.feed(&case.input);
        decoder.finish();
        let out: Vec<Out> = std::iter::from_fn(|| decoder.next_event())
            .map(item)
            .collect();
        assert_eq!(out, case.expect, "case {:?}", case.name);
        assert_eq!(
            decoder.last_event_id(),
            case.last_id,
            "case {:?}",
            case.name
        );
    }
}

#[test]
fn reconnection_keeps_last_event_id_and_retry_and_strips_bom_again() {
    let mut decoder = Decoder::new();
    decoder.feed(b"retry: 250\nid: 41\ndata: a\n\nid: 42\ndata: cut");
    assert_eq!(decoder.next_event().unwrap().unwrap().data, "a");
    assert!(decoder.next_event().is_none());
    decoder.finish();
    assert_eq!(decoder.last_event_id(), "41");
    // New connection: a fresh BOM is stripped, the id buffer restarts from
    // the last event ID string ("42" was never dispatched).
    decoder.feed(b"\xEF\xBB\xBFdata: b\n\n");
    let event = decoder.next_event().unwrap().unwrap();
    assert_eq!(event.data, "b");
    assert_eq!(event.id.as_deref(), Some("41"));
    assert_eq!(event.retry, Some(Duration::from_millis(250)));
}

#[test]
fn last_event_id_updates_at_block_end_not_at_id_line() {
    let mut decoder = Decoder::new();
    decoder.feed(b"id: 1\n");
    assert!(decoder.next_event().is_none());
    assert_eq!(decoder.last_event_id(), "");
    decoder.feed(b"\n");
    assert!(decoder.next_event().is_none());
    assert_eq!(decoder.last_event_id(), "1");
}

#[test]
fn retry_applies_immediately() {
    let mut decoder = Decoder::new();
    decoder.feed(b"retry: 12\n");
    assert!(decoder.next_event().is_none());
    assert_eq!(decoder.retry(), Some(Duration::from_millis(12)));
}

#[test]
fn error_values() {
    let mut decoder = Decoder::with_max_event_size(4);
    decoder.feed(b"data: 12345\n\ndata: \xFF\n\n");
    assert_eq!(
        decoder.next_event(),
        Some(Err(DecodeError::EventTooLarge { limit: 4 }))
    );
    let mut decoder = Decoder::new();
    decoder.feed(b"data: ab\xFF\n\n");
    match decoder.next_event() {
        Some(Err(DecodeError::InvalidUtf8 { field, source })) => {
            assert_eq!(field, "data");
            assert_eq!(source.valid_up_to(), 2);
        }
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(decoder.max_event_size(), 16 * 1024 * 1024);
}

// ---------------------------------------------------------------------------
// Differential test against the reference model (kernel_testkit::sse).
// ---------------------------------------------------------------------------

/// Builds a random stream of mostly well-formed lines (so events, ids and
/// retries do occur) with odd bytes and raw token soup mixed in.
fn random_stream(rng: &mut Rng) -> Vec<u8> {
    const NAMES: &[&[u8]] = &[
        b"data", b"data", b"data", b"data", b"event", b"id", b"id", b"retry", b"", b"Data", b"foo",
        b"dat", b"data ",
    ];
    const VALUES: &[&[u8]] = &[
        b"x",
        b"yz",
        b"x",
        b"yz",
        b" ",
        b"0",
        b"42",
        b"42",
        b"7a",
        b"\0",
        b"\xFF",
        b"\xC3",
        b"\xC3\xA9",
        b"\xF0\x9F\x98\x80",
        b":",
        b"\xEF\xBB\xBF",
        b"\r",
        b"\n",
    ];
    const EOLS: &[&[u8]] = &[b"\n", b"\n", b"\r", b"\r\n"];
    let mut out = Vec::new();
    if rng.below(4) == 0 {
        out.extend_from_slice(b"\xEF\xBB\xBF");
    }
    for _ in 0..rng.below(20) {
        match rng.below(12) {
            0..=2 => out.extend_from_slice(EOLS[rng.below(EOLS.len())]),
            3 => {
                for _ in 0..1 + rng.below(3) {
                    out.extend_from_slice(VALUES[rng.below(VALUES.len())]);
                }
            }
            _ => {
                out.extend_from_slice(NAMES[rng.below(NAMES.len())]);
                if rng.below(6) != 0 {
                    out.push(b':');
                    if rng.below(2) == 0 {
                        out.push(b' ');
                    }
                }
                for _ in 0..rng.below(3) {
                    // Mostly printable values; odd bytes now and then.
                    let pool = if rng.below(4) == 0 { VALUES.len() } else { 7 };
                    out.extend_from_slice(VALUES[rng.below(pool)]);
                }
                out.extend_from_slice(EOLS[rng.below(EOLS.len())]);
            }
        }
    }
    out
}

#[test]
fn differential_against_reference_model() {
    let mut rng = Rng(0xD1B5_4A32_D192_ED03);
    for iteration in 0..20_000 {
        let input = random_stream(&mut rng);
        let max = if rng.below(3) == 0 {
            4 + rng.below(20)
        } else {
            usize::MAX
        };
        let expected = reference(&input, max);
        let cuts = random_cuts(&mut rng, input.len());
        let api = Api::Mixed(rng.next());
        let got = run(&input, &cuts, Some(max), api);
        assert_eq!(
            got,
            expected,
            "iteration {iteration}: input {:?} max {max} cuts {cuts:?}",
            String::from_utf8_lossy(&input)
        );
    }
}

#[test]
fn reference_model_agrees_with_the_table() {
    for case in cases() {
        let got = reference(&case.input, case.max.unwrap_or(usize::MAX));
        let expected = (case.expect.clone(), case.last_id.to_owned(), case.retry);
        assert_eq!(got, expected, "case {:?}", case.name);
    }
}
