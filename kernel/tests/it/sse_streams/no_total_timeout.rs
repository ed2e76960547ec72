//! No total timeout on streams.

use super::*;

/// Every stream keeps sending for 3 s through a client whose JSON request
/// timeout is 1 s: none is cut.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streams_outlive_the_json_request_timeout() {
    const EVENTS: u64 = 30; // one every 100 ms
    let mut routes = Vec::new();
    for ep in Ep::ALL {
        let mut body = Sse::new();
        for n in 1..=EVENTS {
            body = body.ev(ep, &ep.normal(n)).sleep(100);
        }
        if let Some(terminal) = ep.terminal() {
            body = body.ev(ep, &terminal);
        }
        // A second connection (a cut stream reconnecting) ends at once.
        let again = match ep.terminal() {
            Some(terminal) => Sse::new().ev(ep, &terminal).reply(),
            None => Reply::Status(404),
        };
        routes.push((ep.path("long"), vec![body.reply(), again]));
    }
    let server = Server::table(routes).await;
    let kernel = Kernel::builder()
        .api_key("sk_test")
        .base_url(&server.url)
        .max_retries(0)
        .timeout(Duration::from_secs(1))
        .stream_options(options())
        .build()
        .unwrap();
    let started = Instant::now();
    let kernel = &kernel;
    let runs = Ep::ALL.map(|ep| async move {
        let stream = ep.open(kernel, "long").await;
        (ep, drain(stream, Duration::from_secs(15)).await)
    });
    let results = futures::future::join_all(runs).await;
    let mut failures = Vec::new();
    for (ep, items) in results {
        let errors: Vec<String> = items
            .iter()
            .filter_map(|i| i.as_ref().err().map(|e| e.to_string()))
            .collect();
        let events = items.iter().filter(|i| i.is_ok()).count() as u64;
        let expected = EVENTS + ep.terminal().map_or(0, |_| 1);
        // Telemetry ends with a reconnect that gets 404; the others end on
        // their terminal event or the server's close.
        let connections = server.count(&ep.path("long"));
        let expected_connections = if ep == Ep::Telemetry { 2 } else { 1 };
        if events != expected || !errors.is_empty() || connections != expected_connections {
            failures.push(format!(
                "{ep:?}: {events}/{expected} events, {connections} connection(s) (expected {expected_connections}), errors {errors:?}"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "streams cut by the 1 s request timeout:\n{}",
        failures.join("\n")
    );
    assert!(started.elapsed() >= Duration::from_secs(3));
}
