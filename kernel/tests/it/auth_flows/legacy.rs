//! The legacy invocation flow: two factors, expiry, and a wrong password
//! then the right one.

use super::{count, credentials, fast, mock, Attempts, NeverAsked, Recording, STEP};
use kernel::auth::legacy::LegacyFlow;
use kernel::auth::Outcome;
use kernel_mock::sites::{PASSWORD, SMS_CODE, USERNAME};
use kernel_mock::KernelMock;
use kernel_testkit::client::{on_fake, within};
use serde_json::Value;
use std::time::Duration;

#[tokio::test]
async fn legacy_flow_with_two_factor() {
    let mock = mock().await;
    let kernel = on_fake(&mock);
    let flow = LegacyFlow::start(&kernel, "mfa-choice.example", "legacy", None)
        .await
        .unwrap()
        .with_options(fast());
    let invocation = flow.invocation_id().to_string();
    let mut handler = Recording::new(
        credentials()
            .mfa("sms")
            .on_missing(|_| Ok(SMS_CODE.to_string())),
    );
    let outcome = within(Duration::from_secs(10), flow.run(&mut handler))
        .await
        .unwrap();
    let done = match outcome {
        Outcome::Success(done) => done,
        other => panic!("{other:?}"),
    };
    assert_eq!(done.status.as_str(), "SUCCESS");
    let path = format!("/agents/auth/invocations/{invocation}/submit");
    let bodies: Vec<Value> = mock
        .requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path == path)
        .filter_map(|r| r.body_json())
        .collect();
    assert_eq!(bodies.len(), 3, "{bodies:?}");
    assert_eq!(bodies[0]["field_values"]["username"], USERNAME);
    assert_eq!(bodies[0]["field_values"]["password"], PASSWORD);
    assert_eq!(bodies[1], serde_json::json!({"selected_mfa_type": "sms"}));
    assert_eq!(
        bodies[2],
        serde_json::json!({"field_values": {"sms_code": SMS_CODE}})
    );
    assert_eq!(handler.inputs.len(), 3);
    handler.assert_no_repeats();
}

#[tokio::test]
async fn legacy_flow_expiry() {
    let mock = KernelMock::builder()
        .step_delay(STEP)
        .flow_ttl(Duration::from_secs(1))
        .start()
        .await
        .unwrap();
    let kernel = on_fake(&mock);
    let flow = LegacyFlow::start(&kernel, "slow.example", "legacy-slow", None)
        .await
        .unwrap()
        .with_options(fast());
    let outcome = within(Duration::from_secs(10), flow.run(&mut NeverAsked))
        .await
        .unwrap();
    assert_eq!(outcome, Outcome::Expired);
}

/// The legacy API has no `website_error`: a rejected form comes back exactly
/// as it was. It is still a new pause and must be answered again.
#[tokio::test]
async fn legacy_flow_wrong_password_then_the_right_one() {
    let mock = mock().await;
    let kernel = on_fake(&mock);
    let flow = LegacyFlow::start(&kernel, "wrong-password.example", "legacy-wrong", None)
        .await
        .unwrap()
        .with_options(fast());
    let invocation = flow.invocation_id().to_string();
    let mut handler = Recording::new(Attempts::new(&["wrong", PASSWORD]));
    let result = tokio::time::timeout(Duration::from_secs(8), flow.run(&mut handler)).await;
    let outcome = result.unwrap_or_else(|_| {
        panic!(
            "no outcome after 8 s: {} submits reached the server, the handler was asked {} times, states {:?}",
            count(&mock, "POST", &format!("/agents/auth/invocations/{invocation}/submit")),
            handler.inputs.len(),
            handler.names()
        )
    });
    let outcome = outcome.unwrap();
    assert!(outcome.is_success(), "{outcome:?}");
    assert_eq!(
        count(
            &mock,
            "POST",
            &format!("/agents/auth/invocations/{invocation}/submit")
        ),
        2
    );
}
