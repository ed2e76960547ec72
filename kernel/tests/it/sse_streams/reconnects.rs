//! When a stream reconnects: the `retry:` field, terminal events, output
//! streams, a deleted browser.

use super::*;

#[tokio::test]
async fn the_server_retry_field_sets_the_reconnect_delay() {
    let ep = Ep::Auth;
    let body = |retry: u64| {
        vec![
            Sse::new()
                .retry(retry)
                .ev(ep, &auth_state("IN_PROGRESS"))
                .reply(),
            Sse::new().ev(ep, &auth_state("SUCCESS")).reply(),
        ]
    };
    let server = Server::table(vec![
        (ep.path("slow"), body(300)),
        (ep.path("fast"), body(20)),
    ])
    .await;
    // `retry: 300` against a 10-50 ms backoff.
    let quick_backoff = client(&server.url, options());
    // `retry: 20` against a 3 s backoff.
    let slow_backoff = client(
        &server.url,
        StreamOptions {
            backoff: RetryPolicy {
                initial_backoff: Duration::from_secs(3),
                max_backoff: Duration::from_secs(3),
                ..RetryPolicy::default()
            },
            ..options()
        },
    );
    let (slow, fast) = tokio::join!(
        drain(
            ep.open(&quick_backoff, "slow").await,
            Duration::from_secs(5)
        ),
        drain(ep.open(&slow_backoff, "fast").await, Duration::from_secs(5)),
    );
    for items in [&slow, &fast] {
        assert_eq!(
            describe(items),
            vec![auth_state("IN_PROGRESS"), auth_state("SUCCESS")]
        );
    }
    let delay = |path: &str| {
        let conns = server.conns(path);
        assert_eq!(conns.len(), 2, "{path}");
        conns[1].at - conns[0].at
    };
    let slow = delay(&ep.path("slow"));
    assert!(
        slow >= Duration::from_millis(300) && slow < Duration::from_secs(5),
        "retry: 300 → reconnected after {slow:?}"
    );
    let fast = delay(&ep.path("fast"));
    assert!(
        fast >= Duration::from_millis(20) && fast < Duration::from_secs(2),
        "retry: 20 → reconnected after {fast:?}"
    );
}

/// WHATWG: the reconnection time set by `retry:` belongs to the event
/// source, not to one connection; a later connection that sends no `retry:`
/// keeps it.
#[tokio::test]
async fn the_retry_field_persists_across_connections() {
    let ep = Ep::Auth;
    let path = ep.path("p");
    let server = Server::table(vec![(
        path.clone(),
        vec![
            Sse::new()
                .retry(300)
                .ev(ep, &auth_state("IN_PROGRESS"))
                .reply(),
            Sse::new().ev(ep, &auth_state("IN_PROGRESS")).reply(),
            Sse::new().ev(ep, &auth_state("SUCCESS")).reply(),
        ],
    )])
    .await;
    let kernel = client(&server.url, options());
    let items = drain(ep.open(&kernel, "p").await, Duration::from_secs(5)).await;
    assert_eq!(items.len(), 3, "{:#?}", describe(&items));
    let conns = server.conns(&path);
    assert_eq!(conns.len(), 3);
    let first = conns[1].at - conns[0].at;
    let second = conns[2].at - conns[1].at;
    assert!(
        first >= Duration::from_millis(300),
        "first reconnect after {first:?}"
    );
    assert!(
        second >= Duration::from_millis(300),
        "second reconnect after {second:?}: `retry: 300` was forgotten"
    );
}

/// The terminal states of each endpoint, after the non-terminal ones.
fn terminal_cases() -> Vec<(Ep, &'static str, Vec<Value>, Value)> {
    let mut cases = Vec::new();
    for status in ["SUCCESS", "FAILED", "EXPIRED", "CANCELED"] {
        cases.push((
            Ep::Auth,
            status,
            vec![auth_state("IN_PROGRESS")],
            auth_state(status),
        ));
    }
    for status in ["succeeded", "failed"] {
        let before = vec![invocation_state("queued"), invocation_state("running")];
        cases.push((Ep::Invocation, status, before, invocation_state(status)));
    }
    for status in ["running", "failed", "stopped"] {
        let before = vec![deployment_state("queued"), deployment_state("in_progress")];
        cases.push((Ep::Deployment, status, before, deployment_state(status)));
    }
    cases.push((
        Ep::Process,
        "exit",
        vec![Ep::Process.normal(1)],
        json!({"event": "exit", "exit_code": 3}),
    ));
    cases
}

#[tokio::test]
async fn terminal_events_end_the_stream_without_reconnecting() {
    let cases = terminal_cases();
    let mut routes = Vec::new();
    for (ep, status, before, terminal) in &cases {
        let body = Sse::new().evs(*ep, before).ev(*ep, terminal);
        // The server closes after the terminal event, or keeps the
        // connection open: either way the stream ends on the event itself.
        routes.push((
            ep.path(&format!("close-{status}")),
            vec![body.clone().reply()],
        ));
        routes.push((
            ep.path(&format!("hold-{status}")),
            vec![body.hold().reply()],
        ));
    }
    let server = Server::table(routes).await;
    let kernel = client(&server.url, options());
    let kernel = &kernel;
    let runs = cases.iter().flat_map(|(ep, status, before, terminal)| {
        ["close", "hold"].map(|how| {
            let id = format!("{how}-{status}");
            let mut expected = before.clone();
            expected.push(terminal.clone());
            async move {
                let stream = ep.open(kernel, &id).await;
                (
                    *ep,
                    id,
                    expected,
                    drain(stream, Duration::from_secs(3)).await,
                )
            }
        })
    });
    let results = futures::future::join_all(runs).await;
    tokio::time::sleep(Duration::from_millis(200)).await; // time for a (wrong) reconnect
    for (ep, id, expected, items) in results {
        assert_eq!(describe(&items), expected, "{ep:?} {id}");
        assert_eq!(
            server.count(&ep.path(&id)),
            1,
            "{ep:?} {id}: no reconnect after the terminal event"
        );
    }
}

/// The terminal event is the last item even when more events follow it in
/// the same read.
#[tokio::test]
async fn nothing_is_yielded_after_a_terminal_event() {
    let after = |ep: Ep| match ep {
        Ep::Auth => auth_state("IN_PROGRESS"),
        Ep::Invocation => json!({"event": "log", "timestamp": TS, "message": "late log line"}),
        Ep::Deployment => json!({"event": "log", "timestamp": TS, "message": "late log line"}),
        _ => Ep::Process.normal(9),
    };
    let eps = [Ep::Auth, Ep::Invocation, Ep::Deployment, Ep::Process];
    let routes = eps
        .iter()
        .map(|&ep| {
            let body = Sse::new()
                .ev(ep, &ep.normal(1))
                .ev(ep, &ep.terminal().unwrap())
                .ev(ep, &after(ep))
                .one_chunk()
                .hold();
            (ep.path("late"), vec![body.reply()])
        })
        .collect();
    let server = Server::table(routes).await;
    let kernel = client(&server.url, options());
    let mut failures = Vec::new();
    for ep in eps {
        let items = drain(ep.open(&kernel, "late").await, Duration::from_secs(3)).await;
        let expected = vec![ep.normal(1), ep.terminal().unwrap()];
        let got = describe(&items);
        if got != expected {
            failures.push(format!("{ep:?}: expected {expected:?}\n   got {got:?}"));
        }
    }
    assert!(
        failures.is_empty(),
        "events after the terminal one were yielded:\n{}",
        failures.join("\n")
    );
}

#[tokio::test]
async fn state_streams_that_drop_before_a_terminal_event_reconnect() {
    let mut routes = Vec::new();
    for ep in Ep::STATES {
        // The frames carry SSE ids; these endpoints do not take
        // Last-Event-ID, so none is sent.
        let first = Sse::new()
            .raw(format!("id: evt-1\n{}", ep.frame(&ep.normal(1))))
            .raw(format!("id: evt-2\n{}", ep.frame(&ep.normal(2))));
        let second = Sse::new().ev(ep, &ep.terminal().unwrap());
        routes.push((
            ep.path("abort"),
            vec![first.clone().abort().reply(), second.clone().reply()],
        ));
        routes.push((ep.path("close"), vec![first.reply(), second.reply()]));
    }
    let server = Server::table(routes).await;
    let kernel = client(&server.url, options());
    for ep in Ep::STATES {
        for how in ["abort", "close"] {
            let items = drain(ep.open(&kernel, how).await, Duration::from_secs(5)).await;
            assert_eq!(
                describe(&items),
                vec![ep.normal(1), ep.normal(2), ep.terminal().unwrap()],
                "{ep:?} {how}"
            );
            let conns = server.conns(&ep.path(how));
            assert_eq!(conns.len(), 2, "{ep:?} {how}: one reconnect");
            assert_eq!(conns[1].last_event_id, None, "{ep:?} {how}");
        }
    }
}

#[tokio::test]
async fn output_streams_do_not_reconnect() {
    let eps = [Ep::Fs, Ep::Logs, Ep::Process];
    let mut routes = Vec::new();
    for ep in eps {
        let body = Sse::new().ev(ep, &ep.normal(1)).ev(ep, &ep.normal(2));
        routes.push((
            ep.path("close"),
            vec![body.clone().reply(), body.clone().reply()],
        ));
        routes.push((
            ep.path("abort"),
            vec![body.clone().abort().reply(), body.reply()],
        ));
    }
    let server = Server::table(routes).await;
    let kernel = client(&server.url, options());
    for ep in eps {
        // A clean close is the normal end.
        let items = drain(ep.open(&kernel, "close").await, Duration::from_secs(5)).await;
        assert_eq!(describe(&items), vec![ep.normal(1), ep.normal(2)], "{ep:?}");
        // A cut is reported, then the stream ends.
        let items = drain(ep.open(&kernel, "abort").await, Duration::from_secs(5)).await;
        let got = describe(&items);
        assert_eq!(got.len(), 3, "{ep:?}: {got:#?}");
        assert_eq!(got[..2], [ep.normal(1), ep.normal(2)], "{ep:?}");
        assert!(
            matches!(items[2], Err(Error::Connection(_) | Error::Protocol(_))),
            "{ep:?}: {:?}",
            items[2]
        );
    }
    tokio::time::sleep(Duration::from_millis(150)).await;
    for ep in eps {
        for how in ["close", "abort"] {
            assert_eq!(server.count(&ep.path(how)), 1, "{ep:?} {how}");
        }
    }
}

#[tokio::test]
async fn telemetry_ends_cleanly_when_the_browser_is_gone() {
    let ep = Ep::Telemetry;
    let three = [envelope(1), envelope(2), envelope(3)];
    let server = Server::table(vec![
        (
            ep.path("close"),
            vec![Sse::new().evs(ep, &three).reply(), Reply::Status(404)],
        ),
        (
            ep.path("abort"),
            vec![
                Sse::new().evs(ep, &three).abort().reply(),
                Reply::Status(404),
            ],
        ),
        (
            ep.path("gone"),
            vec![Sse::new().evs(ep, &three).reply(), Reply::Status(410)],
        ),
        // Not found on the first request: an error, not a silent end.
        (ep.path("never"), vec![Reply::Status(404)]),
    ])
    .await;
    let kernel = client(&server.url, options());
    for id in ["close", "abort", "gone"] {
        let items = drain(ep.open(&kernel, id).await, Duration::from_secs(5)).await;
        assert_eq!(describe(&items), three.to_vec(), "{id}");
        let resumed: Vec<_> = server
            .conns(&ep.path(id))
            .iter()
            .map(|c| c.last_event_id.clone())
            .collect();
        assert_eq!(resumed, vec![None, Some("3".into())], "{id}");
    }
    let items = drain(ep.open(&kernel, "never").await, Duration::from_secs(5)).await;
    assert_eq!(items.len(), 1, "{:#?}", describe(&items));
    assert!(
        items[0].as_ref().is_err_and(Error::is_not_found),
        "{:?}",
        items[0]
    );
    assert_eq!(server.count(&ep.path("never")), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kernel_mock_invocation_events_reconnect_after_a_cut_and_hide_heartbeats() {
    let mock = kernel_mock::KernelMock::builder()
        .step_delay(Duration::from_millis(60))
        .heartbeat_interval(Duration::from_millis(10))
        .start()
        .await
        .unwrap();
    let http = reqwest::Client::new();
    let mut ids = Vec::new();
    for _ in 0..2 {
        let created: Value = http
            .post(format!("{}/invocations", mock.base_url()))
            .bearer_auth(mock.api_key())
            .json(&json!({"app_name": "app", "version": "1", "action_name": "act", "async": true}))
            .send()
            .await
            .unwrap()
            .error_for_status()
            .unwrap()
            .json()
            .await
            .unwrap();
        ids.push(created["id"].as_str().unwrap().to_owned());
    }
    // Both streams are cut after their first event (the `queued` state).
    mock.faults()
        .drop_sse_streams(1, 2, Some("getInvocationsEventsById"));
    let kernel = |heartbeats: bool| {
        kernel_testkit::client::builder(&mock)
            .max_retries(0)
            .stream_options(StreamOptions {
                heartbeats,
                ..options()
            })
            .build()
            .unwrap()
    };
    let (hidden, shown) = (kernel(false), kernel(true));
    let (hidden, shown) = tokio::join!(
        drain(
            hidden.invocations().events(&ids[0]).send().await.unwrap(),
            Duration::from_secs(10)
        ),
        drain(
            shown.invocations().events(&ids[1]).send().await.unwrap(),
            Duration::from_secs(10)
        ),
    );
    assert_eq!(
        mock.request_count("getInvocationsEventsById"),
        4,
        "one reconnect per stream after the cut"
    );
    let is_heartbeat = |e: &InvocationEvent| {
        matches!(
            e,
            InvocationEvent::Known(InvocationEventKnown::SseHeartbeatEvent(_))
        )
    };
    for (items, heartbeats) in [(hidden, false), (shown, true)] {
        let events: Vec<InvocationEvent> = items
            .into_iter()
            .map(|i| i.expect("no error items"))
            .collect();
        assert_eq!(
            events.iter().any(is_heartbeat),
            heartbeats,
            "heartbeats shown: {heartbeats}: {events:#?}"
        );
        let Some(InvocationEvent::Known(InvocationEventKnown::InvocationStateEvent(last))) =
            events.last()
        else {
            panic!("the stream ends with a state: {events:#?}");
        };
        assert_eq!(last.invocation.status.as_str(), "succeeded");
    }
}
