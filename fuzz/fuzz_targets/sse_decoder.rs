//! Fuzzes `kernel::sse::Decoder`: arbitrary bytes, split at points derived
//! from the input, fed through both pull APIs. It must never panic, must give
//! the same result however the input is split, must agree with the reference
//! model of the parsing rules (`kernel_testkit::sse`), and its events must
//! respect their invariants.
//!
//! Input layout: byte 0 picks the event size limit, bytes 1..9 seed the
//! split points, the rest is the event stream.
#![no_main]

use kernel::sse::{DecodeError, Decoder, Event};
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

/// Decodes `input` cut at `cuts`; `api` bit i picks the API for chunk i.
fn run(input: &[u8], cuts: &[usize], max: usize, api: u64) -> Outcome {
    let mut decoder = Decoder::with_max_event_size(max);
    let mut events = Vec::new();
    let mut start = 0;
    for (i, &end) in cuts.iter().chain(std::iter::once(&input.len())).enumerate() {
        let mut chunk = &input[start..end];
        start = end;
        if api >> (i % 64) & 1 == 0 {
            decoder.feed(chunk);
            while let Some(result) = decoder.next_event() {
                events.push(out(result, max));
            }
        } else {
            while let Some(result) = decoder.next_event_from(&mut chunk) {
                events.push(out(result, max));
            }
            assert!(chunk.is_empty());
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
    assert_eq!(run(stream, &[], max, u64::MAX), expected, "whole, borrow");

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
