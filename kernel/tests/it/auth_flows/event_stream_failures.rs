//! The event stream failing: dropped mid-flow, unavailable or cut every
//! time (falling back to polling), and polling through server errors.

use super::{
    connection, count, credentials, fast, mock, start, submits, success, Attempts, Recording,
    EVENTS_OP, STEP,
};
use kernel::auth::legacy::LegacyFlow;
use kernel::auth::FlowOptions;
use kernel_mock::sites::{PASSWORD, TOTP_SECRET, USERNAME};
use kernel_mock::{FaultRule, Field, Form, KernelMock, OnWrong, Site};
use kernel_testkit::client::{on_fake, within};
use std::time::Duration;

#[tokio::test]
async fn event_stream_dropped_mid_flow() {
    let mock = mock().await;
    let kernel = on_fake(&mock);
    let id = connection(&kernel, "totp.example", "dropped").await;
    // Cut after DISCOVERING and the first AWAITING_INPUT.
    mock.faults().drop_sse_after(2);
    let mut handler = Recording::new(credentials().totp_secret(TOTP_SECRET).unwrap());
    let outcome = within(
        Duration::from_secs(10),
        start(&kernel, &id).await.run(&mut handler),
    )
    .await
    .unwrap();
    success(outcome);
    handler.assert_no_repeats();
    assert_eq!(handler.inputs.len(), 2, "{:#?}", handler.states);
    assert_eq!(submits(&mock, &id).len(), 2);
    let streams = count(&mock, "GET", &format!("/auth/connections/{id}/events"));
    let reads = count(&mock, "GET", &format!("/auth/connections/{id}"));
    assert!(
        streams >= 2 || reads >= 2,
        "the flow reconciled after the cut (streams {streams}, reads {reads})"
    );
}

#[tokio::test]
async fn event_stream_unavailable_falls_back_to_polling() {
    let mock = mock().await;
    let kernel = on_fake(&mock);
    let id = connection(&kernel, "totp.example", "polling").await;
    mock.faults()
        .inject(FaultRule::status(404).operation(EVENTS_OP));
    let mut handler = Recording::new(credentials().totp_secret(TOTP_SECRET).unwrap());
    let outcome = within(
        Duration::from_secs(10),
        start(&kernel, &id).await.run(&mut handler),
    )
    .await
    .unwrap();
    success(outcome);
    handler.assert_no_repeats();
    assert_eq!(handler.inputs.len(), 2);
    assert_eq!(submits(&mock, &id).len(), 2);
    assert!(
        count(&mock, "GET", &format!("/auth/connections/{id}")) >= 3,
        "it polled"
    );
}

/// Every event stream is cut before its first event: the flow must not
/// wait on the stream forever but reach the end by polling.
#[tokio::test]
async fn event_stream_cut_every_time_falls_back_to_polling() {
    let mock = mock().await;
    let kernel = on_fake(&mock);
    let id = connection(&kernel, "password.example", "always-cut").await;
    mock.faults().drop_sse_streams(0, 10_000, Some(EVENTS_OP));
    let mut handler = Recording::new(credentials());
    let result = tokio::time::timeout(
        Duration::from_secs(8),
        start(&kernel, &id).await.run(&mut handler),
    )
    .await;
    let streams = count(&mock, "GET", &format!("/auth/connections/{id}/events"));
    let reads = count(&mock, "GET", &format!("/auth/connections/{id}"));
    let outcome = result.unwrap_or_else(|_| {
        panic!(
            "no outcome after 8 s: {streams} event streams opened, {reads} reads, states seen {:?}",
            handler.names()
        )
    });
    success(outcome.unwrap());
    assert_eq!(submits(&mock, &id).len(), 1);
}

/// While polling, a burst of server errors (more than the transport's
/// retries absorb) is transient: the flow polls again rather than fail.
#[tokio::test]
async fn polling_rides_out_a_burst_of_server_errors() {
    let mock = mock().await;
    let kernel = on_fake(&mock);
    let id = connection(&kernel, "password.example", "burst").await;
    mock.faults()
        .inject(FaultRule::status(404).operation(EVENTS_OP));
    // The first read passes; the next one fails with its two retries.
    mock.faults().inject(
        FaultRule::status(503)
            .operation("getAuthConnectionsById")
            .on_nth(2)
            .times(3),
    );
    let result = within(
        Duration::from_secs(10),
        start(&kernel, &id).await.run(&mut credentials()),
    )
    .await;
    let outcome =
        result.unwrap_or_else(|e| panic!("the flow failed on a transient server error: {e:?}"));
    success(outcome);
}

#[tokio::test]
async fn legacy_polling_rides_out_a_burst_of_server_errors() {
    let mock = mock().await;
    let kernel = on_fake(&mock);
    let flow = LegacyFlow::start(&kernel, "password.example", "legacy-burst", None)
        .await
        .unwrap()
        .with_options(fast());
    mock.faults().inject(
        FaultRule::status(503)
            .operation("getAgentsAuthInvocationsInvocationId")
            .on_nth(2)
            .times(3),
    );
    let result = within(Duration::from_secs(10), flow.run(&mut credentials())).await;
    let outcome =
        result.unwrap_or_else(|e| panic!("the flow failed on a transient server error: {e:?}"));
    assert!(outcome.is_success(), "{outcome:?}");
}

/// With polling, a rejected form comes back identical (same fields, same
/// `website_error`) if the poll missed the short SUBMITTING phase; it is
/// still a new pause and must be answered.
#[tokio::test]
async fn polling_sees_a_repeated_rejection_as_a_new_pause() {
    let site = Site::builder("retry.example")
        .form(
            Form::new()
                .field(Field::text("username", "Username").expect(USERNAME))
                .field(Field::password("password", "Password").expect(PASSWORD))
                .on_wrong(OnWrong::retry("Incorrect password")),
        )
        .build();
    let mock = KernelMock::builder()
        .step_delay(STEP)
        .site(site)
        .start()
        .await
        .unwrap();
    let kernel = on_fake(&mock);
    let id = connection(&kernel, "retry.example", "retry").await;
    mock.faults()
        .inject(FaultRule::status(404).operation(EVENTS_OP));
    let flow = start(&kernel, &id).await.with_options(FlowOptions {
        poll_interval: Duration::from_millis(200),
        ..fast()
    });
    let mut handler = Recording::new(Attempts::new(&["wrong-1", "wrong-2", PASSWORD]));
    let result = tokio::time::timeout(Duration::from_secs(8), flow.run(&mut handler)).await;
    let outcome = result.unwrap_or_else(|_| {
        panic!(
            "no outcome after 8 s: {} submits reached the server, the handler was asked {} times, states {:?}",
            submits(&mock, &id).len(),
            handler.inputs.len(),
            handler.names()
        )
    });
    success(outcome.unwrap());
    assert_eq!(submits(&mock, &id).len(), 3);
}
