//! Fuzzes `kernel::sse::Decoder`: arbitrary bytes, split at points derived
//! from the input, fed through both pull APIs. It must never panic, must give
//! the same result however the input is split, must agree with a direct
//! reference model of the parsing rules, and its events must respect their
//! invariants.
//!
//! Input layout: byte 0 picks the event size limit, bytes 1..9 seed the
//! split points, the rest is the event stream.
#![no_main]

use kernel::sse::{DecodeError, Decoder, Event};
use libfuzzer_sys::fuzz_target;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Out {
    Event {
        event: String,
        data: String,
        id: Option<String>,
        retry: Option<u128>,
    },
    TooLarge,
    Utf8(&'static str),
}

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
                retry: event.retry.map(|d| d.as_millis()),
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

type Outcome = (Vec<Out>, String, Option<u128>);

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
    let retry = decoder.retry().map(|d| d.as_millis());
    (events, decoder.last_event_id().to_owned(), retry)
}

/// The parsing rules applied to the whole input at once (no chunking),
/// with the decoder's documented error handling.
fn reference(input: &[u8], max: usize) -> Outcome {
    let mut rest = input.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(input);
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
    let mut events = Vec::new();
    let (mut data, mut has_data, mut event_type) = (String::new(), false, String::new());
    let (mut id_buf, mut last_id, mut retry) = (String::new(), String::new(), None);
    let mut skipping = false;
    for line in lines {
        if line.is_empty() {
            skipping = false;
            last_id = id_buf.clone();
            if has_data {
                events.push(Out::Event {
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
                    retry = Some(u128::from(ms));
                }
                _ => {}
            }
        }
        if let Some(error) = error {
            events.push(error);
            skipping = true;
            data.clear();
            has_data = false;
            event_type.clear();
        }
    }
    if !skipping && rest.first().is_some_and(|&b| b != b':') && data.len() + rest.len() > max {
        events.push(Out::TooLarge);
    }
    (events, last_id, retry)
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
