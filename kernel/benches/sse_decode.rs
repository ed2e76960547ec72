//! SSE decoding throughput: `kernel::sse::Decoder` against `sseer`,
//! `sse-stream` and `eventsource-stream`, on the same bytes in 4 KiB chunks.
//!
//! Every contestant must produce every event's data as an owned value; the
//! event count and data size are checked once, outside the timed loops. The
//! async competitors are driven over `futures::stream::iter` with
//! `futures::executor::block_on`. Ours is measured four ways: the copying
//! pull API (`feed` + `next_event`), the borrowing one (`next_event_from`),
//! the zero-copy one on `Bytes` (`next_event_from_bytes`), and through its
//! public `Stream`, `DecodeStream`, over the same byte stream as the
//! competitors.
//!
//! On a shared machine, criterion's back-to-back groups see the load change
//! between contestants; so after them the bench also times the contestants
//! interleaved (each round runs each once, in a rotating order) and prints
//! the medians and each one's speed relative to the fastest competitor,
//! which is the figure to quote.
//!
//! Run: `cargo bench -p kernel --bench sse_decode` (`-- interleaved` for
//! the interleaved comparison alone).

use std::hint::black_box;
use std::io;

use bytes::Bytes;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use futures::executor::block_on;
use futures::stream::{self, Stream, StreamExt};
use kernel::sse::{DecodeStream, Decoder};

const CHUNK: usize = 4096;

/// ~2000 Kernel-telemetry-like events of about 1 KiB of JSON each, with
/// `id` lines, some `event` lines, a little non-ASCII text and occasional
/// keepalive comments.
fn telemetry() -> (Vec<u8>, usize, usize) {
    let mut out = String::new();
    let mut data_bytes = 0;
    let mut seed = 0x2545_F491_4F6C_DD1Du64;
    for seq in 0..2000u32 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        if seq % 50 == 0 {
            out.push_str(": keepalive\n\n");
        }
        let pad = "abcdefghij".repeat(60 + (seed % 30) as usize);
        let note = if seq % 10 == 0 { "café ✓" } else { "ok" };
        let data = format!(
            r#"{{"seq":{seq},"event":{{"type":"network.response","ts":"2025-06-01T12:00:{:02}.{:03}Z","session_id":"ses_8f3a2c1d9e","url":"https://example.com/api/items?page={seq}","status":200,"headers":{{"content-type":"application/json","cache-control":"no-store"}},"timing":{{"dns":1.25,"connect":8.5,"ttfb":42.75}},"note":"{note}","body":"{pad}"}}}}"#,
            seq % 60,
            seq % 1000
        );
        data_bytes += data.len();
        out.push_str(&format!("id: {seq}\n"));
        if seq % 4 == 0 {
            out.push_str("event: telemetry\n");
        }
        out.push_str("data: ");
        out.push_str(&data);
        out.push_str("\n\n");
    }
    (out.into_bytes(), 2000, data_bytes)
}

/// 100k tiny events.
fn tiny() -> (Vec<u8>, usize, usize) {
    (b"data: x\n\n".repeat(100_000), 100_000, 100_000)
}

fn chunks(input: &[u8]) -> Vec<Bytes> {
    input.chunks(CHUNK).map(Bytes::copy_from_slice).collect()
}

fn byte_stream(chunks: &[Bytes]) -> impl Stream<Item = Result<Bytes, io::Error>> + Unpin + '_ {
    stream::iter(chunks.iter().cloned().map(Ok))
}

/// `(events, data bytes)` from a contestant.
type Tally = (usize, usize);

fn kernel_feed(chunks: &[Bytes]) -> Tally {
    let mut decoder = Decoder::new();
    let (mut n, mut bytes) = (0, 0);
    for chunk in chunks {
        decoder.feed(chunk);
        while let Some(event) = decoder.next_event() {
            let event = event.expect("valid stream");
            n += 1;
            bytes += event.data.len();
            black_box(event);
        }
    }
    decoder.finish();
    (n, bytes)
}

fn kernel_borrow(chunks: &[Bytes]) -> Tally {
    let mut decoder = Decoder::new();
    let (mut n, mut bytes) = (0, 0);
    for chunk in chunks {
        let mut input: &[u8] = chunk;
        while let Some(event) = decoder.next_event_from(&mut input) {
            let event = event.expect("valid stream");
            n += 1;
            bytes += event.data.len();
            black_box(event);
        }
    }
    decoder.finish();
    (n, bytes)
}

fn kernel_bytes(chunks: &[Bytes]) -> Tally {
    let mut decoder = Decoder::new();
    let (mut n, mut bytes) = (0, 0);
    for chunk in chunks {
        let mut input = chunk.clone();
        while let Some(event) = decoder.next_event_from_bytes(&mut input) {
            let event = event.expect("valid stream");
            n += 1;
            bytes += event.data.len();
            black_box(event);
        }
    }
    decoder.finish();
    (n, bytes)
}

fn kernel_stream(chunks: &[Bytes]) -> Tally {
    block_on(async {
        let mut events = DecodeStream::new(byte_stream(chunks));
        let (mut n, mut bytes) = (0, 0);
        while let Some(event) = events.next().await {
            let event = event.expect("valid stream");
            n += 1;
            bytes += event.data.len();
            black_box(event);
        }
        (n, bytes)
    })
}

fn sseer(chunks: &[Bytes]) -> Tally {
    block_on(async {
        let mut events = sseer::EventStream::new(byte_stream(chunks));
        let (mut n, mut bytes) = (0, 0);
        while let Some(event) = events.next().await {
            let event = event.expect("valid stream");
            n += 1;
            bytes += event.data.len();
            black_box(event);
        }
        (n, bytes)
    })
}

fn sse_stream(chunks: &[Bytes]) -> Tally {
    block_on(async {
        let mut events = sse_stream::SseByteStream::new(byte_stream(chunks));
        let (mut n, mut bytes) = (0, 0);
        while let Some(event) = events.next().await {
            let event = event.expect("valid stream");
            // It also yields blocks without data; those are not events.
            if let Some(data) = &event.data {
                n += 1;
                bytes += data.len();
            }
            black_box(event);
        }
        (n, bytes)
    })
}

fn eventsource_stream(chunks: &[Bytes]) -> Tally {
    block_on(async {
        let mut events = eventsource_stream::EventStream::new(byte_stream(chunks));
        let (mut n, mut bytes) = (0, 0);
        while let Some(event) = events.next().await {
            let event = event.expect("valid stream");
            n += 1;
            bytes += event.data.len();
            black_box(event);
        }
        (n, bytes)
    })
}

type Contestant = (&'static str, fn(&[Bytes]) -> Tally);

const CONTESTANTS: [Contestant; 7] = [
    ("kernel/feed", kernel_feed),
    ("kernel/borrow", kernel_borrow),
    ("kernel/bytes", kernel_bytes),
    ("kernel/stream", kernel_stream),
    ("sseer", sseer),
    ("sse-stream", sse_stream),
    ("eventsource-stream", eventsource_stream),
];

fn bench_workload(
    c: &mut Criterion,
    name: &str,
    (input, events, data_bytes): (Vec<u8>, usize, usize),
) {
    let chunks = chunks(&input);
    for (contestant, run) in CONTESTANTS {
        assert_eq!(
            run(&chunks),
            (events, data_bytes),
            "{contestant} did not decode every event of {name}"
        );
    }
    let mut group = c.benchmark_group(name);
    group.throughput(Throughput::Bytes(input.len() as u64));
    for (contestant, run) in CONTESTANTS {
        group.bench_function(contestant, |b| b.iter(|| run(black_box(&chunks))));
    }
    group.finish();
}

/// Medians of `rounds` interleaved runs of every contestant, and the speed
/// of each relative to the fastest competitor (above 1: faster).
fn interleaved(name: &str, (input, ..): (Vec<u8>, usize, usize), rounds: usize) {
    let chunks = chunks(&input);
    let mut times = vec![Vec::with_capacity(rounds); CONTESTANTS.len()];
    for round in 0..rounds {
        for k in 0..CONTESTANTS.len() {
            let i = (round + k) % CONTESTANTS.len();
            let start = std::time::Instant::now();
            black_box(CONTESTANTS[i].1(black_box(&chunks)));
            times[i].push(start.elapsed());
        }
    }
    let medians: Vec<_> = times
        .iter_mut()
        .map(|t| {
            t.sort_unstable();
            t[t.len() / 2]
        })
        .collect();
    let fastest_peer = CONTESTANTS
        .iter()
        .zip(&medians)
        .filter(|((name, _), _)| !name.starts_with("kernel/"))
        .map(|(_, m)| *m)
        .min()
        .expect("competitors");
    println!("{name}, interleaved medians of {rounds} rounds:");
    for ((contestant, _), median) in CONTESTANTS.iter().zip(&medians) {
        println!(
            "  {contestant:<20} {median:>10.2?}  {:.2}x the fastest competitor",
            fastest_peer.as_secs_f64() / median.as_secs_f64()
        );
    }
}

/// Profiling aid: `SSE_PROFILE=<contestant>@<workload>` (say
/// `kernel/stream@tiny_events`) runs only that contestant on that workload
/// for `SSE_ROUNDS` rounds (default 200), e.g. under `perf record` or
/// callgrind, and exits.
fn profile(spec: &str) {
    let (who, workload) = spec
        .split_once('@')
        .expect("SSE_PROFILE=<contestant>@<workload>");
    let (_, run) = CONTESTANTS
        .into_iter()
        .find(|(name, _)| *name == who)
        .expect("a contestant's name");
    let (input, ..) = match workload {
        "telemetry_1k_json" => telemetry(),
        "tiny_events" => tiny(),
        other => panic!("no workload {other}"),
    };
    let rounds: usize = std::env::var("SSE_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(200);
    let chunks = chunks(&input);
    for _ in 0..rounds {
        black_box(run(black_box(&chunks)));
    }
}

fn benches(c: &mut Criterion) {
    if let Ok(spec) = std::env::var("SSE_PROFILE") {
        return profile(&spec);
    }
    // A filter (a positional argument) picks criterion benchmarks; the
    // interleaved comparison runs without one, or for `interleaved`.
    let filter = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    if filter.as_deref() != Some("interleaved") {
        bench_workload(c, "telemetry_1k_json", telemetry());
        bench_workload(c, "tiny_events", tiny());
        if filter.is_some() {
            return;
        }
    }
    // `cargo test --benches` runs each benchmark once; so does this, briefly.
    let rounds = if std::env::args().any(|a| a == "--bench") {
        101
    } else {
        1
    };
    interleaved("telemetry_1k_json", telemetry(), rounds);
    interleaved("tiny_events", tiny(), rounds);
}

criterion_group!(sse, benches);
criterion_main!(sse);
