//! The stream API: a programmatic flow driven by `next_state()` and
//! `submit()`, and the flow as a `Stream`.

use super::{connection, mock, start, submits};
use kernel::auth::{Answer, FlowState, Totp};
use kernel_mock::sites::{PASSWORD, TOTP_SECRET, USERNAME};
use kernel_testkit::client::{on_fake, within};
use std::time::Duration;

/// The seed's programmatic flow, without a handler: `next_state()` and
/// `submit()` from the caller.
#[tokio::test]
async fn stream_api_programmatic_flow() {
    let mock = mock().await;
    let kernel = on_fake(&mock);
    let id = connection(&kernel, "totp.example", "programmatic").await;
    let totp = Totp::from_base32(TOTP_SECRET).unwrap();
    let mut flow = start(&kernel, &id).await;
    let mut seen = Vec::new();
    within(Duration::from_secs(10), async {
        while let Some(state) = flow.next_state().await {
            let state = state.unwrap();
            if let FlowState::AwaitingInput(request) = &state {
                let names: Vec<&str> = request.fields.iter().map(|f| f.name.as_str()).collect();
                let answer = if names.contains(&"username") {
                    Answer::fields([("username", USERNAME), ("password", PASSWORD)])
                } else {
                    Answer::fields([(names[0], totp.now())])
                };
                flow.submit(answer).await.unwrap();
            }
            seen.push(state);
        }
    })
    .await;
    assert_eq!(seen.last(), Some(&FlowState::Success), "{seen:#?}");
    assert_eq!(
        seen.iter()
            .filter(|s| matches!(s, FlowState::AwaitingInput(_)))
            .count(),
        2,
        "{seen:#?}"
    );
    for pair in seen.windows(2) {
        assert_ne!(pair[0], pair[1]);
    }
    assert_eq!(submits(&mock, &id).len(), 2);
    assert!(flow.next_state().await.is_none());
}

#[tokio::test]
async fn stream_api_as_a_stream() {
    use futures::StreamExt;
    let mock = mock().await;
    let kernel = on_fake(&mock);
    let id = connection(&kernel, "bot.example", "states").await;
    let states: Vec<FlowState> = within(
        Duration::from_secs(10),
        start(&kernel, &id)
            .await
            .states()
            .map(Result::unwrap)
            .collect(),
    )
    .await;
    assert_eq!(states.first(), Some(&FlowState::Discovering));
    match states.last() {
        Some(FlowState::Failed(failure)) => {
            assert_eq!(failure.code.as_deref(), Some("bot_detected"))
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(states.len(), 2, "{states:#?}");
}
