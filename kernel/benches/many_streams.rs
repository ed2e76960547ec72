//! Memory and idle CPU of many open event streams: N browser telemetry
//! streams opened through `kernel.browsers().telemetry(id)`, each receiving
//! a few events and then staying open, idle.
//!
//! The server runs in a child process (this binary, re-executed), so its
//! memory is not counted: a lean server on raw TCP that answers each
//! request with `EVENTS` telemetry events and then holds the stream open
//! without sending anything. It speaks HTTP/1.1 (one connection per
//! stream) or HTTP/2 (`kernel_testkit::h2_events`, at most 100 streams on
//! a connection, a common server cap; the client uses prior knowledge, as
//! ALPN would choose with a TLS server that offers h2, and spreads its
//! streams over a connection per 100). Each N and protocol runs in a fresh
//! client process, so one run's freed memory does not hide in the next's
//! baseline.
//!
//! Printed per N: the RSS (`VmRSS`) before opening the streams (after one
//! warm-up stream, so lazy one-time setup is in the baseline) and once they
//! are all open and idle, the bytes per stream beyond that baseline, the
//! live heap bytes per stream (from a counting allocator) with the sizes of
//! the allocations each stream keeps, and the CPU time the process used
//! over a 2 s idle window. Every event is checked to have arrived, in order.
//! Goal: <= 16 KiB per stream beyond the baseline, ~0 idle CPU.
//!
//! `cargo bench -p kernel --bench many_streams` (N = 1000 and 5000, both
//! protocols; other counts as arguments: `-- 200 2000`, one protocol:
//! `-- h1` or `-- h2`). To see where the bytes go,
//! `MANY_STREAMS_TRACE=<min size>[-<max size>]` prints a backtrace of the
//! first few allocations of that size made while the streams open. Over
//! HTTP/1.1 it needs two file descriptors per stream (client and server
//! processes each hold N sockets): raise `ulimit -n` if it says so.

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicIsize, AtomicUsize, Ordering::Relaxed};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use kernel::routing::BrowserRouting;
use kernel::sse::Telemetry;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Events each stream receives before going idle.
const EVENTS: u64 = 3;
/// Streams being opened at once (the rest wait), so the server's accept
/// backlog never overflows into SYN retransmits.
const OPENING: usize = 200;

/// The HTTP/2 server's `SETTINGS_MAX_CONCURRENT_STREAMS`.
const H2_STREAM_CAP: u32 = 100;

/// Counts live heap bytes, and live allocations by power-of-two size class.
struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);
/// Allocations at least this large get a backtrace (0: none).
static TRACE_MIN: AtomicUsize = AtomicUsize::new(0);
/// And at most this large.
static TRACE_MAX: AtomicUsize = AtomicUsize::new(usize::MAX);
static TRACES_LEFT: AtomicIsize = AtomicIsize::new(12);

thread_local! {
    /// Inside a trace: its own allocations are not traced.
    static TRACING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

fn trace(size: usize) {
    let min = TRACE_MIN.load(Relaxed);
    if min == 0
        || size < min
        || size > TRACE_MAX.load(Relaxed)
        || TRACING.get()
        || TRACES_LEFT.fetch_sub(1, Relaxed) <= 0
    {
        return;
    }
    TRACING.set(true);
    eprintln!(
        "allocation of {size} bytes:\n{}",
        std::backtrace::Backtrace::force_capture()
    );
    TRACING.set(false);
}
static BY_CLASS: [AtomicIsize; 40] = [const { AtomicIsize::new(0) }; 40];

fn class(size: usize) -> usize {
    (usize::BITS - size.max(1).leading_zeros()) as usize % 40
}

// SAFETY: forwards to the system allocator unchanged; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Relaxed);
        BY_CLASS[class(layout.size())].fetch_add(1, Relaxed);
        trace(layout.size());
        // SAFETY: the caller's contract is System's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Relaxed);
        BY_CLASS[class(layout.size())].fetch_sub(1, Relaxed);
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(new_size as isize - layout.size() as isize, Relaxed);
        BY_CLASS[class(layout.size())].fetch_sub(1, Relaxed);
        BY_CLASS[class(new_size)].fetch_add(1, Relaxed);
        trace(new_size);
        // SAFETY: as above.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn classes() -> Vec<isize> {
    BY_CLASS.iter().map(|c| c.load(Relaxed)).collect()
}

/// `VmRSS` in KiB.
fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// User plus system CPU time of this process, in clock ticks.
fn cpu_ticks() -> u64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the parenthesized command name; utime and stime are the
    // 14th and 15th fields of the line.
    let rest = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let field = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    field(11) + field(12)
}

/// The soft limit on open files.
fn open_files_limit() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

/// The wire protocol of a run.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Protocol {
    Http1,
    Http2,
}

impl Protocol {
    const ALL: [Protocol; 2] = [Protocol::Http1, Protocol::Http2];

    fn name(self) -> &'static str {
        match self {
            Protocol::Http1 => "h1",
            Protocol::Http2 => "h2",
        }
    }

    fn named(name: &str) -> Option<Protocol> {
        Protocol::ALL.into_iter().find(|p| p.name() == name)
    }
}

fn event(seq: u64) -> String {
    let data = format!(
        r#"{{"seq":{seq},"event":{{"ts":{},"type":"page_load","source":{{"kind":"cdp"}}}}}}"#,
        1_750_000_000_000_000u64 + seq
    );
    format!("id: {seq}\ndata: {data}\n\n")
}

/// An event as one HTTP/1.1 chunk.
fn chunk(seq: u64) -> String {
    let event = event(seq);
    format!("{:x}\r\n{event}\r\n", event.len())
}

/// The server: prints its port, then serves until its stdin closes.
fn serve(protocol: Protocol) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        println!("{}", listener.local_addr().unwrap().port());
        std::io::stdout().flush().unwrap();
        // The client ends the server by closing its stdin (or dying).
        tokio::spawn(async {
            let mut sink = Vec::new();
            let _ = tokio::io::stdin().read_to_end(&mut sink).await;
            std::process::exit(0);
        });
        if protocol == Protocol::Http2 {
            let events: String = (1..=EVENTS).map(event).collect();
            let events = bytes::Bytes::from(events);
            loop {
                if let Ok((socket, _)) = listener.accept().await {
                    let _ = socket.set_nodelay(true);
                    tokio::spawn(kernel_testkit::h2_events::serve_connection(
                        socket,
                        events.clone(),
                        Some(H2_STREAM_CAP),
                    ));
                }
            }
        }
        let events: String = (1..=EVENTS).map(chunk).collect();
        let events: Arc<[u8]> = Arc::from(events.into_bytes());
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                continue;
            };
            let events = events.clone();
            tokio::spawn(async move {
                let _ = socket.set_nodelay(true);
                let mut head = Vec::new();
                let mut buf = [0u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match socket.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let answer = b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n\
                    cache-control: no-store\r\ntransfer-encoding: chunked\r\n\r\n";
                if socket.write_all(answer).await.is_err()
                    || socket.write_all(&events).await.is_err()
                {
                    return;
                }
                // Idle: nothing more, until the client hangs up.
                while matches!(socket.read(&mut buf).await, Ok(n) if n > 0) {}
            });
        }
    });
}

/// Opens one stream and reads its events; the stream is returned open.
async fn open(kernel: &kernel::Kernel, i: usize) -> kernel::sse::EventStream<Telemetry> {
    let mut stream = kernel
        .browsers()
        .telemetry(format!("browser{i}"))
        .send()
        .await
        .expect("stream opens");
    for seq in 1..=EVENTS {
        match stream.next().await {
            Some(Ok(Telemetry::Event(event))) => assert_eq!(event.seq.get(), seq),
            other => panic!("stream {i}: expected event {seq}, got {other:?}"),
        }
    }
    stream
}

/// One run with `n` streams, in this process.
fn client(n: usize, protocol: Protocol) {
    if let (Protocol::Http1, Some(limit)) = (protocol, open_files_limit()) {
        assert!(
            limit as usize > n + 100,
            "{n} streams need more than the {limit} open files allowed: raise `ulimit -n`"
        );
    }
    let exe = std::env::current_exe().unwrap();
    let mut server = Command::new(exe)
        .env("MANY_STREAMS_SERVE", protocol.name())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("server starts");
    let mut port = String::new();
    BufReader::new(server.stdout.take().unwrap())
        .read_line(&mut port)
        .unwrap();
    let base = format!("http://127.0.0.1:{}", port.trim());

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let mut kernel = kernel::Kernel::builder()
            .api_key("bench")
            .base_url(&base)
            .browser_routing(BrowserRouting::Off);
        if protocol == Protocol::Http2 {
            kernel = kernel.http2_prior_knowledge();
        }
        let kernel = kernel.build().unwrap();
        // One stream first, so one-time setup is in the baseline.
        drop(open(&kernel, usize::MAX).await);
        tokio::time::sleep(Duration::from_millis(200)).await;
        let (rss_before, live_before, classes_before) = (rss_kib(), LIVE.load(Relaxed), classes());

        // `<min>` or `<min>-<max>`.
        if let Ok(range) = std::env::var("MANY_STREAMS_TRACE") {
            let (min, max) = range.split_once('-').unwrap_or((&range, ""));
            TRACE_MAX.store(max.parse().unwrap_or(usize::MAX), Relaxed);
            TRACES_LEFT.store(40, Relaxed);
            TRACE_MIN.store(min.parse().unwrap_or(0), Relaxed);
        }
        let started = Instant::now();
        let opening = Arc::new(tokio::sync::Semaphore::new(OPENING));
        let delivered = Arc::new(AtomicUsize::new(0));
        let all = Arc::new(tokio::sync::Notify::new());
        let tasks: Vec<_> = (0..n)
            .map(|i| {
                let (kernel, opening) = (kernel.clone(), opening.clone());
                let (delivered, all) = (delivered.clone(), all.clone());
                tokio::spawn(async move {
                    let permit = opening.acquire_owned().await.unwrap();
                    let mut stream = open(&kernel, i).await;
                    drop((permit, kernel));
                    if delivered.fetch_add(1, Relaxed) + 1 == n {
                        all.notify_one();
                    }
                    // Open and idle: nothing more must arrive.
                    let next = stream.next().await;
                    panic!("stream {i} yielded while idle: {next:?}");
                })
            })
            .collect();
        tokio::time::timeout(Duration::from_secs(300), all.notified())
            .await
            .expect("every stream delivers its events");
        let opened_in = started.elapsed();
        TRACE_MIN.store(0, Relaxed);
        assert_eq!(delivered.load(Relaxed), n);
        tokio::time::sleep(Duration::from_millis(500)).await;
        let (rss_after, live_after, classes_after) = (rss_kib(), LIVE.load(Relaxed), classes());

        let cpu_before = cpu_ticks();
        tokio::time::sleep(Duration::from_secs(2)).await;
        let idle_ticks = cpu_ticks() - cpu_before;
        assert!(tasks.iter().all(|t| !t.is_finished()), "a stream ended while idle");

        let per_stream = (rss_after.saturating_sub(rss_before)) as f64 * 1024.0 / n as f64;
        let heap_per_stream = (live_after - live_before) as f64 / n as f64;
        println!(
            "{n} {} streams ({} events each, all delivered, opened in {:.1} s): RSS {:.1} -> {:.1} MiB, \
             {:.1} KiB per stream beyond baseline; live heap {:.1} KiB per stream; \
             idle CPU {} ms over 2 s",
            protocol.name(),
            EVENTS,
            opened_in.as_secs_f64(),
            rss_before as f64 / 1024.0,
            rss_after as f64 / 1024.0,
            per_stream / 1024.0,
            heap_per_stream / 1024.0,
            idle_ticks * 10,
        );
        let kept: Vec<String> = classes_before
            .iter()
            .zip(&classes_after)
            .enumerate()
            .filter_map(|(class, (before, after))| {
                let per = (after - before) as f64 / n as f64;
                (per.abs() >= 0.05).then(|| {
                    let upto = 1usize << class;
                    format!("{per:.1}x<={upto}")
                })
            })
            .collect();
        println!("  allocations kept per stream, by size (bytes): {}", kept.join(" "));
        for task in tasks {
            task.abort();
        }
    });
    drop(server.stdin.take());
    let _ = server.wait();
}

fn main() {
    let protocol_in = |var| std::env::var(var).ok().and_then(|p| Protocol::named(&p));
    if let Some(protocol) = protocol_in("MANY_STREAMS_SERVE") {
        return serve(protocol);
    }
    if let (Some(n), Some(protocol)) = (
        std::env::var("MANY_STREAMS_N")
            .ok()
            .and_then(|n| n.parse().ok()),
        protocol_in("MANY_STREAMS_PROTOCOL"),
    ) {
        return client(n, protocol);
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut counts: Vec<usize> = args.iter().filter_map(|a| a.parse().ok()).collect();
    let mut protocols: Vec<Protocol> = args.iter().filter_map(|a| Protocol::named(a)).collect();
    if protocols.is_empty() {
        protocols = Protocol::ALL.to_vec();
    }
    if counts.is_empty() {
        counts = vec![1000, 5000];
    }
    // `cargo bench` passes `--bench`; `cargo test --benches` does not: then
    // a small smoke run.
    if !std::env::args().any(|a| a == "--bench") {
        counts = vec![20];
    }
    for n in counts {
        for &protocol in &protocols {
            let exe = std::env::current_exe().unwrap();
            let status = Command::new(exe)
                .env("MANY_STREAMS_N", n.to_string())
                .env("MANY_STREAMS_PROTOCOL", protocol.name())
                .status()
                .expect("client runs");
            assert!(
                status.success(),
                "the {protocol:?} run with {n} streams failed"
            );
        }
    }
}
