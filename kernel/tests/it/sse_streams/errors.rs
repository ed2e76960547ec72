//! Unknown tags pass through as raw JSON; broken bodies, garbage and `error`
//! events are error items, and the stream carries on.

use super::*;

#[tokio::test]
async fn unknown_tags_pass_through_as_raw_json() {
    let unknown_for = |ep: Ep| -> Vec<Value> {
        match ep {
            Ep::Telemetry => vec![
                json!({"seq": 2, "event": {"type": "x_future_event", "ts": 5, "source": {"kind": "quantum"}, "data": {"a": [1, 2]}}}),
                json!({"seq": 3, "event": {"no_type": true}}),
            ],
            _ => vec![
                json!({"event": "x_future_event", "timestamp": TS, "detail": {"a": [1, 2]}}),
                json!({"event": 7, "weird": null}),
                json!({"no_tag": "at all"}),
            ],
        }
    };
    let mut routes = Vec::new();
    for ep in Ep::UNIONS {
        let unknown = unknown_for(ep);
        let after = ep.normal(unknown.len() as u64 + 2);
        let mut body = Sse::new()
            .ev(ep, &ep.normal(1))
            .evs(ep, &unknown)
            .ev(ep, &after);
        if let Some(terminal) = ep.terminal() {
            body = body.ev(ep, &terminal);
        }
        routes.push((ep.path("u"), vec![body.reply()]));
    }
    let server = Server::table(routes).await;
    let kernel = client(&server.url, options());
    for ep in Ep::UNIONS {
        let items = drain(ep.open(&kernel, "u").await, Duration::from_secs(5)).await;
        let unknown = unknown_for(ep);
        let mut expected = vec![ep.normal(1)];
        expected.extend(unknown.iter().cloned());
        expected.push(ep.normal(unknown.len() as u64 + 2));
        expected.extend(ep.terminal());
        let got = describe(&items);
        assert_eq!(got.len(), expected.len(), "{ep:?}: {got:#?}");
        for (i, (got, sent)) in got.iter().zip(&expected).enumerate() {
            assert_same_json(got, sent, &format!("{ep:?} item {i}"));
        }
        for (i, raw) in unknown.iter().enumerate() {
            let item = items[1 + i].as_ref().unwrap();
            let raw_got = item
                .unknown()
                .unwrap_or_else(|| panic!("{ep:?}: not Unknown: {item:?}"));
            let raw_sent = if ep == Ep::Telemetry {
                &raw["event"]
            } else {
                raw
            };
            assert_eq!(raw_got, raw_sent, "{ep:?}: the raw JSON is kept as sent");
        }
        // Telemetry ends when the browser is gone (404 on reconnect).
        let expected_connections = if ep == Ep::Telemetry { 2 } else { 1 };
        assert_eq!(server.count(&ep.path("u")), expected_connections, "{ep:?}");
    }
}

#[tokio::test]
async fn a_known_tag_with_a_broken_body_is_a_decode_error_and_the_stream_continues() {
    let mut routes = Vec::new();
    for ep in Ep::ALL {
        let mut body = Sse::new()
            .ev(ep, &ep.normal(1))
            .ev(ep, &ep.broken())
            .ev(ep, &ep.normal(3));
        if let Some(terminal) = ep.terminal() {
            body = body.ev(ep, &terminal);
        }
        routes.push((ep.path("x"), vec![body.reply()]));
    }
    // Process output whose base64 is invalid: a protocol error item.
    let bad_b64 = json!({"stream": "stderr", "data_b64": "%%% not base64 %%%"});
    routes.push((
        Ep::Process.path("y"),
        vec![Sse::new()
            .ev(Ep::Process, &bad_b64)
            .ev(Ep::Process, &Ep::Process.normal(2))
            .reply()],
    ));
    let server = Server::table(routes).await;
    let kernel = client(&server.url, options());
    for ep in Ep::ALL {
        let items = drain(ep.open(&kernel, "x").await, Duration::from_secs(5)).await;
        // Whether the broken telemetry event is also reported as a gap is
        // checked by `telemetry_decode_errors_are_not_gaps`.
        let items: Vec<_> = items
            .into_iter()
            .filter(|i| !matches!(i, Ok(Item::Telemetry(Telemetry::Gap { .. }))))
            .collect();
        let got = describe(&items);
        let mut expected = vec![ep.normal(1), json!({"error": "decode"}), ep.normal(3)];
        expected.extend(ep.terminal());
        assert_eq!(got.len(), expected.len(), "{ep:?}: {got:#?}");
        for (i, (got, sent)) in got.iter().zip(&expected).enumerate() {
            assert_same_json(got, sent, &format!("{ep:?} item {i}"));
        }
        let Err(Error::Decode(decode)) = &items[1] else {
            unreachable!()
        };
        assert_eq!(
            decode.body,
            ep.broken().to_string().into_bytes(),
            "{ep:?}: the raw data is kept"
        );
    }
    let items = drain(Ep::Process.open(&kernel, "y").await, Duration::from_secs(5)).await;
    assert_eq!(
        describe(&items),
        vec![json!({"error": "protocol"}), Ep::Process.normal(2)]
    );
}

#[tokio::test]
async fn garbage_truncated_and_oversized_data_are_error_items_and_the_stream_continues() {
    let auth = Ep::Auth.path("g");
    let body = Sse::new()
        .raw(&b"data: \xff\xfe\xfd garbage\n\n"[..]) // not UTF-8
        .raw("data: not json at all\n\n")
        .raw("data: {\"event\":\"managed_auth_state\",\"flow_st\n\n") // truncated JSON
        .raw("data:\n\n") // empty data
        .raw(format!(
            "data: {{\"event\":\"log\",\"pad\":\"{}\"}}\n\n",
            "a".repeat(8000)
        )) // over the size limit
        .raw(&b"\x00\x01 rubbish line\n:\xff comment\n\n"[..]) // no data: nothing
        .ev(Ep::Auth, &auth_state("IN_PROGRESS"))
        .ev(Ep::Auth, &auth_state("SUCCESS"));
    // A non-reconnecting stream that ends in the middle of a block: the
    // unterminated block is discarded and the stream ends cleanly.
    let fs = Ep::Fs.path("g");
    let fs_body = Sse::new()
        .ev(Ep::Fs, &Ep::Fs.normal(1))
        .raw("data: {\"type\":\"CRE");
    // Same, cut by an abort: the drop is reported, no reconnect.
    let fs_cut = Ep::Fs.path("h");
    let fs_cut_body = Sse::new()
        .ev(Ep::Fs, &Ep::Fs.normal(1))
        .raw("data: {\"type\":\"CRE")
        .abort();
    let server = Server::table(vec![
        (auth.clone(), vec![body.reply()]),
        (fs.clone(), vec![fs_body.reply()]),
        (fs_cut.clone(), vec![fs_cut_body.reply()]),
    ])
    .await;
    let kernel = client(
        &server.url,
        StreamOptions {
            max_event_size: 4096,
            ..options()
        },
    );

    let items = drain(Ep::Auth.open(&kernel, "g").await, Duration::from_secs(5)).await;
    let got = describe(&items);
    let expected = vec![
        json!({"error": "protocol"}),
        json!({"error": "decode"}),
        json!({"error": "decode"}),
        json!({"error": "decode"}),
        json!({"error": "protocol"}),
        auth_state("IN_PROGRESS"),
        auth_state("SUCCESS"),
    ];
    assert_eq!(got.len(), expected.len(), "{got:#?}");
    for (i, (got, sent)) in got.iter().zip(&expected).enumerate() {
        assert_same_json(got, sent, &format!("item {i}"));
    }

    let items = drain(Ep::Fs.open(&kernel, "g").await, Duration::from_secs(5)).await;
    assert_eq!(describe(&items), vec![Ep::Fs.normal(1)]);

    let items = drain(Ep::Fs.open(&kernel, "h").await, Duration::from_secs(5)).await;
    assert_eq!(items.len(), 2, "{:#?}", describe(&items));
    assert_eq!(items[0].as_ref().unwrap().json(), Ep::Fs.normal(1));
    assert!(
        matches!(items[1], Err(Error::Connection(_) | Error::Protocol(_))),
        "{:?}",
        items[1]
    );

    tokio::time::sleep(Duration::from_millis(150)).await;
    for path in [&auth, &fs, &fs_cut] {
        assert_eq!(server.count(path), 1, "{path}");
    }
}

#[tokio::test]
async fn error_events_are_error_items_and_do_not_end_the_stream() {
    let mut routes = Vec::new();
    for ep in Ep::STATES {
        let body = Sse::new()
            .ev(ep, &ep.normal(1))
            .ev(ep, &error_event("first"))
            .ev(ep, &ep.normal(2))
            .ev(ep, &error_event("second"))
            .ev(ep, &ep.terminal().unwrap());
        routes.push((ep.path("e"), vec![body.reply()]));
    }
    let server = Server::table(routes).await;
    let kernel = client(&server.url, options());
    for ep in Ep::STATES {
        let items = drain(ep.open(&kernel, "e").await, Duration::from_secs(5)).await;
        assert_eq!(items.len(), 5, "{ep:?}: {:#?}", describe(&items));
        for (i, code) in [(1, "first"), (3, "second")] {
            let Err(Error::Event(event)) = &items[i] else {
                panic!("{ep:?} item {i}: {:?}", items[i])
            };
            assert_eq!(event.error.code, code);
            assert_eq!(event.error.message, "it broke");
        }
        assert_eq!(items[4].as_ref().unwrap().json(), ep.terminal().unwrap());
        assert_eq!(server.count(&ep.path("e")), 1, "{ep:?}");
    }
}

/// A telemetry envelope that fails to decode was still sent by the server:
/// its `seq` is not a gap the server made, and a reconnect resumes after it
/// rather than replaying it (the server here honours Last-Event-ID).
#[tokio::test]
async fn telemetry_decode_errors_are_not_gaps() {
    let ep = Ep::Telemetry;
    let path = ep.path("t");
    // seq 2 is the broken one.
    let log = [envelope(1), ep.broken(), envelope(3)];
    let server = Server::start(move |conn| {
        let after: usize = conn
            .last_event_id
            .as_deref()
            .map_or(0, |id| id.parse().unwrap());
        match conn.index {
            // The first connection is cut after seq 2.
            0 => Sse::new().evs(ep, &log[..2]).abort().reply(),
            1 => Sse::new().evs(ep, &log[after.min(3)..]).reply(),
            _ => Reply::Status(404),
        }
    })
    .await;
    let kernel = client(&server.url, options());
    let items = drain(ep.open(&kernel, "t").await, Duration::from_secs(5)).await;
    let resumed_from: Vec<_> = server
        .conns(&path)
        .iter()
        .map(|c| c.last_event_id.clone())
        .collect();
    assert_eq!(
        (describe(&items), resumed_from),
        (
            vec![envelope(1), json!({"error": "decode"}), envelope(3)],
            vec![None, Some("2".into()), Some("3".into())]
        ),
        "(items, Last-Event-IDs): seq 2 is delivered once, as an error, and is neither a gap nor replayed"
    );
}
