use super::parser::*;
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
fn alloc_size_rounds_large_buffers_only() {
    assert_eq!(alloc_size(0), 0);
    assert_eq!(alloc_size(512), 512);
    assert_eq!(alloc_size(513), 768);
    assert_eq!(alloc_size(1024), 1024);
    assert_eq!(alloc_size(usize::MAX), usize::MAX);
    let mut d = Decoder::new();
    // Values are copied or shared at their exact size; the buffer that
    // joins several is the one sized by `alloc_size`.
    d.feed(format!("data: {0}\ndata: {0}\n\n", "a".repeat(500)).as_bytes());
    let event = d.next_event().unwrap().unwrap();
    assert_eq!((event.data.len(), d.parser.joined.capacity()), (1001, 1024));
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
            Ok(event) => event.data.to_string(),
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
