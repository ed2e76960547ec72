//! Fuzzes `kernel::sse::Decoder`: arbitrary bytes, split at points derived
//! from the input, fed through its three pull APIs (copying, borrowing, and
//! zero-copy on `Bytes`, with or without letting go of the input between
//! chunks) and its `Stream`, `DecodeStream`. It must never panic, must give
//! the same result however the input is split, must agree with the reference
//! model of the parsing rules (`kernel_testkit::sse`), and its events must
//! respect their invariants.
//!
//! Input layout: byte 0 picks the event size limit, bytes 1..9 seed the
//! split points, the rest is the event stream.
#![no_main]

use bytes::Bytes;
use kernel::sse::{DecodeError, DecodeStream, DecodeStreamError, Decoder, Event};
use kernel_testkit::sse::{reference, Out, Outcome};
use libfuzzer_sys::fuzz_target;

fn out(result: Result<Event, DecodeError>, max: usize) -> Out {
    match result {
        Ok(event) => {
            assert!(!event.event.is_empty(), "empty event type");
            assert!(event.data.len() <= max, "event above the limit");
            if let Some(id) = &event.id {
                assert!(!id.is_empty() && !id.contains('\0'), "bad id {id:?}");
            }
            Out::Event {
                event: event.event.into_owned(),
                data: event.data.into(),
                id: event.id.map(Into::into),
                retry: event.retry.map(|d| u64::try_from(d.as_millis()).unwrap()),
            }
        }
        Err(DecodeError::EventTooLarge { limit }) => {
            assert_eq!(limit, max);
            Out::TooLarge
        }
        Err(DecodeError::InvalidUtf8 { field, .. }) => Out::Utf8(field),
        Err(other) => panic!("unknown error {other:?}"),
    }
}

/// The chunks of `input` cut at `cuts`.
fn chunks<'a>(input: &'a [u8], cuts: &'a [usize]) -> impl Iterator<Item = &'a [u8]> {
    let ends = cuts.iter().copied().chain(std::iter::once(input.len()));
    let starts = std::iter::once(0).chain(cuts.iter().copied());
    starts.zip(ends).map(|(start, end)| &input[start..end])
}

/// Decodes `input` cut at `cuts`; bits 2i and 2i+1 of `api` pick the API
/// for chunk i: `feed`, `next_event_from`, or `next_event_from_bytes`
/// (then `release_input` too when both bits are set).
fn run(input: &[u8], cuts: &[usize], max: usize, api: u64) -> Outcome {
    let mut decoder = Decoder::with_max_event_size(max);
    let mut events = Vec::new();
    for (i, mut chunk) in chunks(input, cuts).enumerate() {
        match api >> (2 * i % 64) & 3 {
            0 => {
                decoder.feed(chunk);
                while let Some(result) = decoder.next_event() {
                    events.push(out(result, max));
                }
            }
            1 => {
                while let Some(result) = decoder.next_event_from(&mut chunk) {
                    events.push(out(result, max));
                }
                assert!(chunk.is_empty());
            }
            release => {
                // A chunk that is a slice of a larger buffer, as a network
                // read's is.
                let owner = Bytes::from([b"<", chunk, b">"].concat());
                let mut chunk = owner.slice(1..owner.len() - 1);
                drop(owner);
                while let Some(result) = decoder.next_event_from_bytes(&mut chunk) {
                    events.push(out(result, max));
                }
                assert!(chunk.is_empty());
                if release == 3 {
                    decoder.release_input();
                }
            }
        }
    }
    decoder.finish();
    while let Some(result) = decoder.next_event() {
        events.push(out(result, max));
    }
    assert!(!decoder.last_event_id().contains('\0'));
    let retry = decoder
        .retry()
        .map(|d| u64::try_from(d.as_millis()).unwrap());
    (events, decoder.last_event_id().to_owned(), retry)
}

fuzz_target!(|input: &[u8]| {
    let Some((&limit, rest)) = input.split_first() else {
        return;
    };
    let Some((seed, stream)) = rest.split_first_chunk::<8>() else {
        return;
    };
    let mut seed = u64::from_le_bytes(*seed) | 1;
    let max = match limit % 4 {
        0 => usize::MAX,
        1 => 16 * 1024 * 1024,
        _ => usize::from(limit),
    };

    let expected = reference(stream, max);
    assert_eq!(run(stream, &[], max, 0), expected, "whole, feed");
    assert_eq!(
        run(stream, &[], max, 0x5555_5555_5555_5555),
        expected,
        "whole, borrow"
    );
    assert_eq!(
        run(stream, &[], max, u64::MAX),
        expected,
        "whole, bytes, released"
    );

    // Split points derived from the input (xorshift on the seed).
    let mut cuts = Vec::new();
    if stream.len() > 1 {
        for _ in 0..(seed % 17) {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            cuts.push(1 + (seed as usize) % (stream.len() - 1));
        }
        cuts.sort_unstable();
        cuts.dedup();
    }
    assert_eq!(run(stream, &cuts, max, seed), expected, "split at {cuts:?}");

    if stream.len() <= 256 {
        let bytewise: Vec<usize> = (1..stream.len()).collect();
        assert_eq!(
            run(stream, &bytewise, max, seed.rotate_left(7)),
            expected,
            "byte by byte"
        );
    }

    // So does the `Stream`, over the same chunks.
    let body = futures::stream::iter(
        chunks(stream, &cuts).map(|c| Ok::<_, std::convert::Infallible>(Bytes::copy_from_slice(c))),
    );
    let mut decoded = DecodeStream::with_decoder(body, Decoder::with_max_event_size(max));
    let streamed: Vec<Out> = futures::executor::block_on_stream(&mut decoded)
        .map(|item| match item {
            Ok(event) => out(Ok(event), max),
            Err(DecodeStreamError::Decode(e)) => out(Err(e), max),
            Err(DecodeStreamError::Body(never)) => match never {},
        })
        .collect();
    assert_eq!(streamed, expected.0, "DecodeStream, split at {cuts:?}");
    assert_eq!(
        decoded.decoder().last_event_id(),
        expected.1,
        "DecodeStream's last id"
    );

    // The push API agrees too.
    let mut decoder = Decoder::with_max_event_size(max);
    let mut pushed = Vec::new();
    for chunk in stream.chunks(3) {
        decoder.decode(chunk, |result| pushed.push(out(result, max)));
    }
    decoder.finish();
    pushed.extend(std::iter::from_fn(|| decoder.next_event()).map(|r| out(r, max)));
    assert_eq!(pushed, expected.0, "push API");
});
