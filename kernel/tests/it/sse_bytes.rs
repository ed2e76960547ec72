//! The zero-copy side of `kernel::sse`: `Decoder::next_event_from_bytes`
//! and `DecodeStream` must decode exactly as the copying `feed` API does
//! (itself checked against the standard in `sse_conformance`), with values
//! that are slices of their chunk.

use bytes::Bytes;
use futures::StreamExt;
use kernel::sse::{DecodeError, DecodeStream, DecodeStreamError, Decoder, Event, SharedStr};

/// Everything observable of one decoded item.
type Item = Result<(String, String, Option<String>, Option<u128>), String>;

fn item(result: Result<Event, DecodeError>) -> Item {
    result
        .map(|e| {
            (
                e.event.into_owned(),
                e.data.into(),
                e.id.map(Into::into),
                e.retry.map(|r| r.as_millis()),
            )
        })
        .map_err(|e| format!("{e:?}"))
}

/// Decoder state after a stream: last event ID and retry.
type End = (String, Option<u128>);

fn end(decoder: &Decoder) -> End {
    (
        decoder.last_event_id().to_owned(),
        decoder.retry().map(|r| r.as_millis()),
    )
}

fn with_feed(chunks: &[&[u8]], max: usize) -> (Vec<Item>, End) {
    let mut decoder = Decoder::with_max_event_size(max);
    let mut out = Vec::new();
    for chunk in chunks {
        decoder.feed(chunk);
        out.extend(std::iter::from_fn(|| decoder.next_event()).map(item));
    }
    decoder.finish();
    out.extend(std::iter::from_fn(|| decoder.next_event()).map(item));
    (out, end(&decoder))
}

/// `release` after chunk i when bit i is set, as a stream going quiet does.
fn with_bytes(chunks: &[&[u8]], max: usize, release: u64) -> (Vec<Item>, End) {
    let mut decoder = Decoder::with_max_event_size(max);
    let mut out = Vec::new();
    for (i, chunk) in chunks.iter().enumerate() {
        let mut bytes = Bytes::copy_from_slice(chunk);
        while let Some(result) = decoder.next_event_from_bytes(&mut bytes) {
            out.push(item(result));
        }
        assert!(bytes.is_empty(), "input left undecoded");
        if release >> (i % 64) & 1 == 1 {
            decoder.release_input();
        }
    }
    decoder.finish();
    let mut empty = Bytes::new();
    out.extend(std::iter::from_fn(|| decoder.next_event_from_bytes(&mut empty)).map(item));
    (out, end(&decoder))
}

fn with_stream(chunks: &[&[u8]], max: usize) -> (Vec<Item>, End) {
    let body = futures::stream::iter(
        chunks
            .iter()
            .map(|c| Ok::<_, std::io::Error>(Bytes::copy_from_slice(c))),
    );
    let mut events = DecodeStream::with_decoder(body, Decoder::with_max_event_size(max));
    let out = futures::executor::block_on(async {
        let mut out = Vec::new();
        while let Some(result) = events.next().await {
            out.push(item(result.map_err(|e| match e {
                DecodeStreamError::Decode(e) => e,
                DecodeStreamError::Body(e) => panic!("body error {e}"),
            })));
        }
        out
    });
    (out, end(events.decoder()))
}

struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

/// Mostly well-formed lines, with the awkward bytes mixed in.
fn random_stream(rng: &mut Rng) -> Vec<u8> {
    const PIECES: &[&[u8]] = &[
        b"data: x",
        b"data:yz",
        b"data",
        b"data: \xC3\xA9",
        b"data: \xFF",
        b"id: 7",
        b"id: 42",
        b"id",
        b"id: a\0b",
        b"event: t",
        b"event: \xC3",
        b"retry: 100",
        b": comment",
        b"\xEF\xBB\xBF",
        b"data: a long value that is often split across chunks",
        b"x",
        b" ",
    ];
    const EOLS: &[&[u8]] = &[b"\n", b"\n", b"\r", b"\r\n"];
    let mut out = Vec::new();
    if rng.below(4) == 0 {
        out.extend_from_slice(b"\xEF\xBB\xBF");
    }
    for _ in 0..rng.below(30) {
        if rng.below(3) != 0 {
            out.extend_from_slice(PIECES[rng.below(PIECES.len())]);
        }
        out.extend_from_slice(EOLS[rng.below(EOLS.len())]);
    }
    out
}

fn split<'a>(input: &'a [u8], rng: &mut Rng) -> Vec<&'a [u8]> {
    let mut cuts: Vec<usize> = (0..rng.below(10))
        .map(|_| rng.below(input.len() + 1))
        .collect();
    cuts.sort_unstable();
    let mut chunks = Vec::new();
    let mut start = 0;
    for cut in cuts.into_iter().chain([input.len()]) {
        chunks.push(&input[start..cut]);
        start = cut;
    }
    chunks
}

#[test]
fn bytes_and_stream_decode_like_feed() {
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    for iteration in 0..20_000 {
        let input = random_stream(&mut rng);
        let chunks = split(&input, &mut rng);
        let max = if rng.below(3) == 0 {
            8 + rng.below(40)
        } else {
            usize::MAX
        };
        let expected = with_feed(&chunks, max);
        let release = (rng.0 >> 3) ^ rng.0;
        let context = || format!("iteration {iteration}: {chunks:?} max {max}");
        assert_eq!(with_bytes(&chunks, max, 0), expected, "{}", context());
        assert_eq!(with_bytes(&chunks, max, release), expected, "{}", context());
        assert_eq!(with_stream(&chunks, max), expected, "{}", context());
    }
}

/// Whether `text` lies inside `chunk`'s memory.
fn inside(text: &str, chunk: &Bytes) -> bool {
    let range = chunk.as_ptr_range();
    range.contains(&text.as_ptr()) && text.as_bytes().as_ptr_range().end <= range.end
}

#[test]
fn values_in_one_chunk_are_slices_of_it() {
    let mut decoder = Decoder::new();
    let chunk = Bytes::from_static(
        b"id: 0123456789abcdef0123456789\ndata: {\"value\":\"longer than inline\"}\n\n\
          data: short\n\ndata: a split value, also long",
    );
    let mut input = chunk.clone();
    let first = decoder.next_event_from_bytes(&mut input).unwrap().unwrap();
    assert_eq!(first.data, "{\"value\":\"longer than inline\"}");
    assert!(inside(&first.data, &chunk));
    assert!(inside(first.id.as_deref().unwrap(), &chunk));
    // Short values are inline: no reference to the chunk at all.
    let second = decoder.next_event_from_bytes(&mut input).unwrap().unwrap();
    assert_eq!(second.data, "short");
    assert!(!inside(&second.data, &chunk));
    assert!(
        inside(second.id.as_deref().unwrap(), &chunk),
        "persisted id"
    );
    assert!(decoder.next_event_from_bytes(&mut input).is_none());

    // Split across chunks: one copy, in neither chunk.
    let tail = Bytes::from_static(b" one\n\n");
    let mut input = tail.clone();
    let third = decoder.next_event_from_bytes(&mut input).unwrap().unwrap();
    assert_eq!(third.data, "a split value, also long one");
    assert!(!inside(&third.data, &chunk) && !inside(&third.data, &tail));
}

#[test]
fn release_input_copies_what_the_decoder_keeps() {
    let mut decoder = Decoder::new();
    let (five, six) = ("5".repeat(30), "6".repeat(30));
    let data = "pending and longer than inline";
    let chunk = Bytes::from(format!("id: {five}\ndata: a\n\nid: {six}\ndata: {data}\n"));
    let mut input = chunk.clone();
    decoder.next_event_from_bytes(&mut input).unwrap().unwrap();
    assert!(decoder.next_event_from_bytes(&mut input).is_none());
    assert_eq!(decoder.last_event_id(), five);
    assert!(inside(decoder.last_event_id(), &chunk));
    decoder.release_input();
    // Nothing of the chunk is needed any more: the pending block, its id
    // and the last event ID are the decoder's own.
    assert!(!inside(decoder.last_event_id(), &chunk));
    drop(chunk);
    let mut rest = Bytes::from_static(b"\n");
    let event = decoder.next_event_from_bytes(&mut rest).unwrap().unwrap();
    assert_eq!(
        (event.data.as_str(), event.id.as_deref()),
        (data, Some(six.as_str()))
    );
    assert_eq!(decoder.last_event_id(), six);
}

#[test]
fn decode_stream_reports_body_errors_and_goes_on() {
    let body = futures::stream::iter([
        Ok(Bytes::from_static(b"data: a\n")),
        Err("reset"),
        Ok(Bytes::from_static(b"\ndata: \xFF\n\ndata: b\n\n")),
    ]);
    let items: Vec<_> = futures::executor::block_on(DecodeStream::new(body).collect());
    let shown: Vec<String> = items
        .into_iter()
        .map(|item| match item {
            Ok(event) => event.data.to_string(),
            Err(DecodeStreamError::Body(e)) => format!("body: {e}"),
            Err(DecodeStreamError::Decode(e)) => format!("decode: {e}"),
        })
        .collect();
    assert_eq!(
        shown,
        [
            "body: reset",
            "a",
            "decode: server-sent event `data` field is not valid UTF-8",
            "b"
        ]
    );
}

#[test]
fn shared_str_behaves_like_a_string() {
    use std::collections::HashSet;
    let text = SharedStr::from("café");
    assert_eq!(text, "café");
    assert_eq!(text, *"café");
    assert_eq!(text, String::from("café"));
    assert_eq!("café", text);
    assert_eq!(text.len(), 5);
    assert_eq!(format!("{text} {text:?}"), "café \"café\"");
    let set: HashSet<SharedStr> = [text.clone()].into();
    assert!(set.contains("café"), "hashes as a str");
    assert_eq!(String::from(text.clone()), "café");
    assert_eq!(SharedStr::try_from(Bytes::from_static(b"\xFF")).ok(), None);
    assert_eq!(
        SharedStr::try_from(text.into_bytes()).unwrap(),
        SharedStr::from_static("café")
    );
    assert!(SharedStr::new().is_empty());
    let long = "x".repeat(SharedStr::INLINE + 1);
    assert_eq!(SharedStr::from(long.clone()), long);
    assert_eq!(SharedStr::from(long.as_str()).into_bytes(), long.as_bytes());
    assert_eq!(SharedStr::from("ab").into_bytes(), "ab".as_bytes());
}
