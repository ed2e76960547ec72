//! Heartbeats and keepalives are hidden (or shown on request); a silent
//! connection is dropped after `idle_timeout`.

use super::*;

/// Five heartbeats and keepalive comments over ~200 ms, then the terminal event.
fn heartbeat_body(ep: Ep) -> Sse {
    let mut body = Sse::new();
    for _ in 0..5 {
        body = body.ev(ep, &heartbeat()).sleep(20).keepalive().sleep(20);
    }
    body.ev(ep, &ep.terminal().unwrap())
}

#[tokio::test]
async fn heartbeats_are_hidden_by_default() {
    let mut routes: Vec<_> = Ep::STATES
        .iter()
        .map(|&ep| (ep.path("h"), vec![heartbeat_body(ep).reply()]))
        .collect();
    // Telemetry: keepalive comments only, then the browser goes away.
    let mut telemetry = Sse::new();
    for _ in 0..5 {
        telemetry = telemetry.keepalive().sleep(20);
    }
    routes.push((Ep::Telemetry.path("h"), vec![telemetry.reply()]));
    let server = Server::table(routes).await;
    let kernel = client(&server.url, options());
    for ep in Ep::STATES {
        let items = drain(ep.open(&kernel, "h").await, Duration::from_secs(5)).await;
        assert_eq!(describe(&items), vec![ep.terminal().unwrap()], "{ep:?}");
        assert_eq!(server.count(&ep.path("h")), 1);
    }
    let items = drain(
        Ep::Telemetry.open(&kernel, "h").await,
        Duration::from_secs(5),
    )
    .await;
    assert!(items.is_empty(), "{items:?}");
    let conns = server.conns(&Ep::Telemetry.path("h"));
    assert_eq!(conns.len(), 2, "a close, then 404");
    assert_eq!(
        conns[1].last_event_id, None,
        "no event was delivered, so no resume point"
    );
}

#[tokio::test]
async fn heartbeats_are_yielded_when_asked() {
    let routes = Ep::STATES
        .iter()
        .map(|&ep| (ep.path("h"), vec![heartbeat_body(ep).reply()]))
        .collect();
    let server = Server::table(routes).await;
    let kernel = client(
        &server.url,
        StreamOptions {
            heartbeats: true,
            ..options()
        },
    );
    for ep in Ep::STATES {
        let items = drain(ep.open(&kernel, "h").await, Duration::from_secs(5)).await;
        assert_eq!(items.len(), 6, "{ep:?}: {:#?}", describe(&items));
        assert!(
            items[..5]
                .iter()
                .all(|i| i.as_ref().is_ok_and(Item::is_heartbeat)),
            "{ep:?}: {:#?}",
            describe(&items)
        );
        assert_eq!(items[5].as_ref().unwrap().json(), ep.terminal().unwrap());
    }
}

#[tokio::test]
async fn keepalive_comments_keep_a_quiet_stream_alive() {
    let ep = Ep::Auth;
    let mut body = Sse::new();
    for _ in 0..12 {
        body = body.sleep(50).keepalive();
    }
    let body = body.ev(ep, &ep.terminal().unwrap());
    let server = Server::table(vec![(ep.path("k"), vec![body.reply()])]).await;
    let kernel = client(
        &server.url,
        StreamOptions {
            idle_timeout: Duration::from_millis(300),
            ..options()
        },
    );
    let started = Instant::now();
    let items = drain(ep.open(&kernel, "k").await, Duration::from_secs(5)).await;
    assert_eq!(describe(&items), vec![ep.terminal().unwrap()]);
    assert_eq!(
        server.count(&ep.path("k")),
        1,
        "600 ms of keepalives every 50 ms, 300 ms idle timeout: no reconnect"
    );
    assert!(started.elapsed() >= Duration::from_millis(600));
}

#[tokio::test]
async fn a_silent_stream_reconnects_after_the_idle_timeout_then_gives_up() {
    let auth = Ep::Auth.path("s");
    let telemetry = Ep::Telemetry.path("s");
    let fs = Ep::Fs.path("s");
    let server = Server::start({
        let telemetry = telemetry.clone();
        move |conn| {
            if conn.path == telemetry && conn.index == 0 {
                Sse::new()
                    .ev(Ep::Telemetry, &envelope(1))
                    .ev(Ep::Telemetry, &envelope(2))
                    .hold()
                    .reply()
            } else {
                Sse::new().hold().reply()
            }
        }
    })
    .await;
    let idle = Duration::from_millis(100);
    let kernel = client(
        &server.url,
        StreamOptions {
            idle_timeout: idle,
            max_reconnects: 3,
            ..options()
        },
    );
    let (auth_items, telemetry_items, fs_items) = tokio::join!(
        drain(Ep::Auth.open(&kernel, "s").await, Duration::from_secs(5)),
        drain(
            Ep::Telemetry.open(&kernel, "s").await,
            Duration::from_secs(5)
        ),
        drain(Ep::Fs.open(&kernel, "s").await, Duration::from_secs(5)),
    );

    // Auth: the first connection and 3 reconnects time out, then one error.
    assert_eq!(describe(&auth_items), vec![json!({"error": "timeout"})]);
    let conns = server.conns(&auth);
    assert_eq!(conns.len(), 4, "1 connection + max_reconnects (3)");
    for pair in conns.windows(2) {
        assert!(
            pair[1].at - pair[0].at >= idle,
            "each reconnect waits for the idle timeout"
        );
    }

    // Telemetry: the same, resuming from the last delivered seq each time.
    assert_eq!(
        describe(&telemetry_items),
        vec![envelope(1), envelope(2), json!({"error": "timeout"})]
    );
    let resumed: Vec<_> = server
        .conns(&telemetry)
        .iter()
        .map(|c| c.last_event_id.clone())
        .collect();
    assert_eq!(
        resumed,
        vec![None, Some("2".into()), Some("2".into()), Some("2".into())]
    );

    // Fs watch does not reconnect: one timeout error, one connection.
    assert_eq!(describe(&fs_items), vec![json!({"error": "timeout"})]);
    assert_eq!(server.count(&fs), 1);
}
