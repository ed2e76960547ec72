//! Wrong input and failures: a wrong password then the right one, and the
//! failure codes of the failing sites.

use super::{connection, credentials, mock, start, submits, success, Recording};
use kernel::auth::{CredentialAnswers, Outcome};
use kernel_mock::sites::{PASSWORD, USERNAME};
use kernel_testkit::client::{on_fake, within};
use std::time::Duration;

#[tokio::test]
async fn wrong_password_then_the_right_one() {
    let mock = mock().await;
    let kernel = on_fake(&mock);
    let id = connection(&kernel, "wrong-password.example", "wrong").await;
    let answers = CredentialAnswers::new()
        .value("username", USERNAME)
        .value("password", "not-the-password")
        .on_missing(|field| {
            Ok(if field.name == "password" {
                PASSWORD.to_string()
            } else {
                panic!("asked for {}", field.name)
            })
        });
    let mut handler = Recording::new(answers);
    let outcome = within(
        Duration::from_secs(10),
        start(&kernel, &id).await.run(&mut handler),
    )
    .await
    .unwrap();
    success(outcome);
    assert_eq!(
        handler.inputs.len(),
        2,
        "the re-asked form is a new pause: {:#?}",
        handler.states
    );
    assert_eq!(handler.inputs[0].website_error, None);
    assert_eq!(
        handler.inputs[1].website_error.as_deref(),
        Some("Incorrect password")
    );
    let bodies = submits(&mock, &id);
    assert_eq!(bodies.len(), 2, "exactly two submits: {bodies:?}");
    assert_eq!(mock.request_count("postAuthConnectionsSubmit"), 2);
    assert_eq!(bodies[0]["fields"]["password"], "not-the-password");
    assert_eq!(bodies[1]["fields"]["password"], PASSWORD);
    assert_eq!(
        bodies[1]["fields"]["username"], USERNAME,
        "the username is kept"
    );
}

async fn fails_with(domain: &str, handler: CredentialAnswers, code: &str) {
    let mock = mock().await;
    let kernel = on_fake(&mock);
    let id = connection(&kernel, domain, "failing").await;
    let outcome = within(
        Duration::from_secs(10),
        start(&kernel, &id).await.run(&mut { handler }),
    )
    .await
    .unwrap();
    match outcome {
        Outcome::Failed(failure) => {
            assert_eq!(failure.code.as_deref(), Some(code), "{failure:?}");
            assert!(
                failure.message.as_deref().is_some_and(|m| !m.is_empty()),
                "{failure:?}"
            );
        }
        other => panic!("expected {code}, got {other:?}"),
    }
    assert!(!mock.profile_has_auth_state("failing"));
}

#[tokio::test]
async fn failure_credentials_invalid() {
    let answers = CredentialAnswers::new()
        .value("username", USERNAME)
        .value("password", "nope");
    fails_with("password.example", answers, "credentials_invalid").await;
}

#[tokio::test]
async fn failure_bot_detected() {
    fails_with("bot.example", CredentialAnswers::new(), "bot_detected").await;
}

#[tokio::test]
async fn failure_captcha_blocked() {
    fails_with("captcha.example", credentials(), "captcha_blocked").await;
}
