//! kernel-mock's fault knobs, end to end through the `kernel` client: the
//! client's retry, resume and error behaviour, and unknown fields and enum
//! values surviving a round trip.

use futures::StreamExt;
use kernel::auth::{CredentialAnswers, FlowState, Outcome};
use kernel::sse::Telemetry;
use kernel::{Kernel, RetryPolicy};
use kernel_mock::KernelMock;
use std::time::{Duration, Instant};

fn client(mock: &KernelMock) -> Kernel {
    let policy = RetryPolicy {
        initial_backoff: Duration::from_millis(20),
        ..RetryPolicy::default()
    };
    kernel_testkit::client::builder(mock)
        .retry_policy(policy)
        .build()
        .unwrap()
}

async fn fast_mock() -> KernelMock {
    KernelMock::builder()
        .step_delay(Duration::from_millis(20))
        .telemetry_interval(Duration::from_millis(10))
        .sse_retry(Duration::from_millis(50))
        .start()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_429_with_retry_after_is_waited_out_and_retried() {
    let mock = fast_mock().await;
    let kernel = client(&mock);
    mock.faults().rate_limit_nth(1, 1);
    let started = Instant::now();
    let browsers = kernel.browsers().list().send().await.unwrap();
    assert!(browsers.is_empty());
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "waited for Retry-After: {:?}",
        started.elapsed()
    );
    assert_eq!(mock.request_count("getBrowsers"), 2);
}

#[tokio::test]
async fn a_503_once_is_retried_even_for_a_post() {
    let mock = fast_mock().await;
    let kernel = client(&mock);
    mock.faults().service_unavailable_once();
    // 503: the server did not act, so even a POST is sent again.
    let browser = kernel.browsers().create().send().await.unwrap();
    assert!(!browser.session_id.is_empty());
    assert_eq!(mock.request_count("postBrowsers"), 2);
    assert_eq!(
        kernel.browsers().list().send().await.unwrap().len(),
        1,
        "one browser, not two"
    );
}

#[tokio::test]
async fn a_delayed_post_times_out_once_and_is_not_resent() {
    let mock = fast_mock().await;
    let kernel = kernel_testkit::client::builder(&mock)
        .timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    mock.faults().delay(Duration::from_millis(600));
    let err = kernel.browsers().create().send().await.unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    mock.faults().delay(Duration::ZERO);
    assert_eq!(
        mock.request_count("postBrowsers"),
        1,
        "a POST that timed out is not sent twice"
    );
}

#[tokio::test]
async fn telemetry_resumes_after_dropped_streams() {
    let mock = fast_mock().await;
    let kernel = client(&mock);
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
    mock.faults()
        .drop_sse_streams(3, 5, Some("streamBrowserTelemetry"));
    let mut stream = kernel
        .browsers()
        .telemetry(&browser.session_id)
        .send()
        .await
        .unwrap();
    let mut seqs = Vec::new();
    while seqs.len() < 30 {
        match tokio::time::timeout(Duration::from_secs(10), stream.next())
            .await
            .unwrap()
        {
            Some(Ok(Telemetry::Event(event))) => seqs.push(event.seq.get()),
            Some(Ok(Telemetry::Gap { from, to })) => {
                panic!("the mock left no gap, got {from}..={to}")
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(
        seqs,
        (1..=30).collect::<Vec<u64>>(),
        "every seq exactly once, in order"
    );
    assert!(
        mock.request_count("streamBrowserTelemetry") >= 6,
        "the stream was cut 5 times and resumed"
    );
}

#[tokio::test]
async fn a_login_survives_unknown_fields_enum_values_and_events() {
    let mock = fast_mock().await;
    let kernel = client(&mock);
    mock.faults()
        .unknown_fields(true)
        .unknown_enum_values(true)
        .unknown_events(true);
    let mut answers = CredentialAnswers::new()
        .value("username", "user@example.com")
        .value("password", "correct-horse");
    let connections = kernel.auth().connections();
    let created = connections
        .create()
        .body(
            kernel::types::ManagedAuthCreateRequest::builder()
                .domain("password.example")
                .profile_name("drill"),
        )
        .send()
        .await
        .unwrap();
    let mut flow = connections.start_login(&created.id).send().await.unwrap();
    let mut states = Vec::new();
    while let Some(state) = flow.next_state().await {
        let state = state.unwrap();
        if let FlowState::AwaitingInput(request) = &state {
            let answer = kernel::auth::LoginHandler::on_input(&mut answers, request)
                .await
                .unwrap();
            flow.submit(answer).await.unwrap();
        }
        states.push(state);
    }
    assert_eq!(states.last(), Some(&FlowState::Success), "{states:?}");
    assert!(
        states
            .iter()
            .any(|s| matches!(s, FlowState::Unknown { step, .. } if step == "X_MOCK_UNKNOWN_STEP")),
        "the unknown step surfaced as Unknown: {states:?}"
    );
    // The connection, read with unknown fields and values, round-trips: what
    // the server sent is kept.
    let connection = connections.get(&created.id).send().await.unwrap();
    let json = serde_json::to_value(&connection).unwrap();
    if let Some(reason) = &connection.can_reauth_reason {
        assert!(reason.is_unknown(), "{reason:?}");
        assert_eq!(json["can_reauth_reason"], "x_mock_unknown_reason");
    }
    let outcome = kernel
        .auth()
        .connections()
        .ensure_logged_in("password.example", "drill", &mut answers)
        .send()
        .await
        .unwrap();
    assert!(matches!(outcome, Outcome::Success(_)));
}
