//! Resumption: random drops, `Last-Event-ID`, ids that are absent, empty or
//! zero, gaps and replays.

use super::*;

/// The telemetry stream is cut 100 times at random byte offsets (in the
/// middle of a line, between frames, before the first byte), half of the
/// time by an abort and half by a clean close, in random chunks. The client
/// gets every seq exactly once and in order, and each reconnect sends the
/// last seq it delivered.
#[tokio::test]
async fn telemetry_survives_100_random_drops_exactly_once_in_order() {
    const DROPS: usize = 100;
    const TOTAL: u64 = 700;
    const SEED: u64 = 0x5EED_0005_5E57;
    let path = Ep::Telemetry.path("r");
    // expected[i]: the Last-Event-ID request i must send.
    let expected: Arc<Mutex<Vec<Option<u64>>>> = Arc::new(Mutex::new(vec![None]));
    let rng = Arc::new(Mutex::new(Rng(SEED)));
    let server = Server::start({
        let (expected, rng) = (expected.clone(), rng.clone());
        move |conn| {
            let after: u64 = conn
                .last_event_id
                .as_deref()
                .map(|id| id.parse().expect("a numeric Last-Event-ID"))
                .unwrap_or(0);
            if after >= TOTAL {
                return Reply::Status(404);
            }
            let mut rng = rng.lock().unwrap();
            let mut body = b"retry: 5\n\n".to_vec();
            let mut ends = Vec::new(); // (offset after the frame, its seq)
            let last = if conn.index < DROPS {
                (after + 8).min(TOTAL)
            } else {
                TOTAL
            };
            for seq in after + 1..=last {
                if rng.below(4) == 0 {
                    body.extend_from_slice(b": keepalive\n\n");
                }
                body.extend_from_slice(Ep::Telemetry.frame(&envelope(seq)).as_bytes());
                ends.push((body.len(), seq));
            }
            let cut = if conn.index < DROPS {
                rng.below(body.len() + 1)
            } else {
                body.len()
            };
            let delivered = ends
                .iter()
                .filter(|(end, _)| *end <= cut)
                .map(|(_, seq)| *seq)
                .max();
            expected
                .lock()
                .unwrap()
                .push(delivered.or((after > 0).then_some(after)));
            // Send the first `cut` bytes in up to 3 random pieces.
            let mut sse = Sse::new();
            let mut start = 0;
            for _ in 0..3 {
                let end = start + rng.below(cut - start + 1);
                if end > start {
                    sse = sse.raw(body[start..end].to_vec());
                }
                start = end;
            }
            if cut > start {
                sse = sse.raw(body[start..cut].to_vec());
            }
            if conn.index < DROPS && rng.below(2) == 0 {
                sse = sse.abort();
            }
            sse.reply()
        }
    })
    .await;
    let kernel = client(
        &server.url,
        StreamOptions {
            max_reconnects: 20,
            ..options()
        },
    );
    let items = drain(
        Ep::Telemetry.open(&kernel, "r").await,
        Duration::from_secs(30),
    )
    .await;

    let seqs: Vec<u64> = items
        .iter()
        .map(|item| match item {
            Ok(item) => item
                .seq()
                .unwrap_or_else(|| panic!("not an event: {item:?}")),
            Err(e) => panic!(
                "error item after {} events (seed {SEED:#x}): {e}",
                items.len()
            ),
        })
        .collect();
    assert_eq!(
        seqs,
        (1..=TOTAL).collect::<Vec<_>>(),
        "every seq exactly once, in order (seed {SEED:#x})"
    );

    let conns = server.conns(&path);
    let expected = expected.lock().unwrap().clone();
    assert!(conns.len() > DROPS + 1, "{} connections", conns.len());
    // The last request (the 404) has no recorded successor.
    for (i, conn) in conns.iter().enumerate() {
        let sent = conn
            .last_event_id
            .as_deref()
            .map(|id| id.parse::<u64>().unwrap());
        assert_eq!(
            sent, expected[i],
            "request {i}: Last-Event-ID (seed {SEED:#x})"
        );
    }
    assert_eq!(
        conns.last().unwrap().last_event_id.as_deref(),
        Some(TOTAL.to_string().as_str())
    );
}

/// The same against `kernel-mock`'s live telemetry, cut by the mock's own
/// `drop_sse_streams` fault after a random number of events, 25 times; the
/// stream then ends when the browser is deleted (404 on reconnect).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kernel_mock_telemetry_resumes_across_cuts_and_ends_when_the_browser_is_deleted() {
    const CUTS: usize = 25;
    let mock = kernel_mock::KernelMock::builder()
        .telemetry_interval(Duration::from_millis(2))
        .sse_retry(Duration::from_millis(5))
        .start()
        .await
        .unwrap();
    let kernel = kernel_testkit::client::builder(&mock)
        .max_retries(0)
        .stream_options(options())
        .build()
        .unwrap();
    let config = kernel::types::BrowserTelemetryConfig::try_from(
        kernel::types::BrowserTelemetryConfig::builder(),
    )
    .unwrap();
    let browser = kernel
        .browsers()
        .create()
        .telemetry(config)
        .send()
        .await
        .unwrap();
    let id = browser.session_id.clone();
    let mut rng = Rng(0xC0FFEE);
    let cuts: Vec<usize> = (0..CUTS).map(|_| rng.below(5)).collect();
    for &k in &cuts {
        mock.faults()
            .drop_sse_streams(k, 1, Some("streamBrowserTelemetry"));
    }
    let mut stream = kernel.browsers().telemetry(&id).send().await.unwrap();
    let mut seqs = Vec::new();
    let target = cuts.iter().sum::<usize>() as u64 + 10;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let mut deleted = false;
    loop {
        let item = match tokio::time::timeout_at(deadline, stream.next()).await {
            Ok(Some(item)) => item,
            Ok(None) => break,
            Err(_) => panic!("telemetry did not end; {} events", seqs.len()),
        };
        match item {
            Ok(Telemetry::Event(e)) => seqs.push(e.seq.get()),
            other => panic!("unexpected item after seq {:?}: {other:?}", seqs.last()),
        }
        if !deleted && seqs.len() as u64 >= target {
            kernel.browsers().delete(&id).send().await.unwrap();
            deleted = true;
        }
    }
    assert!(
        deleted,
        "the stream ended before the browser was deleted, after {} events",
        seqs.len()
    );
    let last = *seqs.last().unwrap();
    assert_eq!(
        seqs,
        (1..=last).collect::<Vec<_>>(),
        "every seq exactly once, in order"
    );

    let requests: Vec<_> = mock
        .requests()
        .into_iter()
        .filter(|r| r.operation_id.as_deref() == Some("streamBrowserTelemetry"))
        .collect();
    assert!(
        requests.len() >= CUTS + 2,
        "{} telemetry requests",
        requests.len()
    );
    let sent: Vec<Option<u64>> = requests
        .iter()
        .map(|r| r.header("last-event-id").map(|v| v.parse().unwrap()))
        .collect();
    let mut resume = 0u64;
    for (i, &k) in cuts.iter().enumerate() {
        assert_eq!(sent[i].unwrap_or(0), resume, "request {i}: Last-Event-ID");
        resume += k as u64;
    }
    assert_eq!(sent[CUTS].unwrap_or(0), resume, "first uncut request");
    assert_eq!(
        *sent.last().unwrap(),
        Some(last),
        "the reconnect after the delete resumes from the last seq"
    );
}

#[tokio::test]
async fn the_resume_point_survives_idless_empty_and_zero_ids() {
    let ep = Ep::Telemetry;
    let data = |seq: u64| envelope(seq).to_string();
    let first = Sse::new()
        .raw(format!("id: 1\ndata: {}\n\n", data(1)))
        .raw(format!("data: {}\n\n", data(2))) // no id
        .raw(format!("id\ndata: {}\n\n", data(3))) // `id` with no value: resets the SSE last event ID
        .raw(format!("id: 0\ndata: {}\n\n", data(4))) // a falsy id
        .raw(format!("id: 99\ndata: {}\n\n", data(5))) // an id that disagrees with the seq
        .raw("id:\n\n") // an id-only block resetting the id, no event
        .abort();
    let second = Sse::new()
        .raw(format!("id:\ndata: {}\n\n", data(6)))
        .raw("id:\n\n");
    let path = ep.path("z");
    let server = Server::table(vec![(path.clone(), vec![first.reply(), second.reply()])]).await;
    let kernel = client(&server.url, options());
    let items = drain(ep.open(&kernel, "z").await, Duration::from_secs(5)).await;
    assert_eq!(describe(&items), (1..=6).map(envelope).collect::<Vec<_>>());
    let resumed: Vec<_> = server
        .conns(&path)
        .iter()
        .map(|c| c.last_event_id.clone())
        .collect();
    assert_eq!(
        resumed,
        vec![None, Some("5".into()), Some("6".into())],
        "Last-Event-ID is the last delivered seq"
    );
}

#[tokio::test]
async fn skipped_seqs_are_reported_as_gaps_and_replays_are_dropped() {
    let ep = Ep::Telemetry;
    let gaps = ep.path("gap");
    let replay = ep.path("replay");
    let server = Server::table(vec![
        (
            gaps.clone(),
            vec![
                Sse::new()
                    .evs(ep, &[envelope(1), envelope(2), envelope(5), envelope(6)])
                    .abort()
                    .reply(),
                // Resumes after 6 but the server lost 7 and 8.
                Sse::new().evs(ep, &[envelope(9), envelope(10)]).reply(),
            ],
        ),
        (
            replay.clone(),
            vec![
                // A server that ignores Last-Event-ID and replays from the start.
                Sse::new()
                    .evs(ep, &[envelope(1), envelope(2), envelope(3)])
                    .reply(),
                Sse::new()
                    .evs(ep, &(1..=5).map(envelope).collect::<Vec<_>>())
                    .abort()
                    .reply(),
                Sse::new()
                    .evs(ep, &(1..=7).map(envelope).collect::<Vec<_>>())
                    .reply(),
            ],
        ),
    ])
    .await;
    let kernel = client(&server.url, options());
    let items = drain(ep.open(&kernel, "gap").await, Duration::from_secs(5)).await;
    let items: Vec<Telemetry> = items
        .into_iter()
        .map(|i| match i {
            Ok(Item::Telemetry(t)) => t,
            other => panic!("{other:?}"),
        })
        .collect();
    let shape: Vec<String> = items
        .iter()
        .map(|t| match t {
            Telemetry::Event(e) => e.seq.to_string(),
            Telemetry::Gap { from, to } => format!("gap {from}..={to}"),
            other => panic!("unexpected telemetry item {other:?}"),
        })
        .collect();
    assert_eq!(
        shape,
        ["1", "2", "gap 3..=4", "5", "6", "gap 7..=8", "9", "10"]
    );
    let resumed: Vec<_> = server
        .conns(&gaps)
        .iter()
        .map(|c| c.last_event_id.clone())
        .collect();
    assert_eq!(resumed, vec![None, Some("6".into()), Some("10".into())]);

    let items = drain(ep.open(&kernel, "replay").await, Duration::from_secs(5)).await;
    let seqs: Vec<u64> = items
        .iter()
        .map(|i| i.as_ref().unwrap().seq().unwrap())
        .collect();
    assert_eq!(seqs, (1..=7).collect::<Vec<_>>(), "no duplicates, no gaps");
    let resumed: Vec<_> = server
        .conns(&replay)
        .iter()
        .map(|c| c.last_event_id.clone())
        .collect();
    assert_eq!(
        resumed,
        vec![None, Some("3".into()), Some("5".into()), Some("7".into())]
    );
}
