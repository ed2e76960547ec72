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

mod cases;
mod differential;

use cases::cases;

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
