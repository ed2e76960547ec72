//! `ensure_logged_in`: one login for two calls, reuse of the existing
//! connection on 409, and partial credentials.

use super::{
    connection, count, credentials, field_names, mock, submits, success, NeverAsked, Recording,
    STEP,
};
use kernel::auth::CredentialAnswers;
use kernel::types;
use kernel_mock::sites::{PASSWORD, TOTP_SECRET, USERNAME};
use kernel_mock::{Field, Form, KernelMock, OnWrong, Site, Step};
use kernel_testkit::client::{on_fake, within};
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

#[tokio::test]
async fn ensure_logged_in_twice_logs_in_once() {
    let mock = mock().await;
    let kernel = on_fake(&mock);
    let connections = kernel.auth().connections();
    let first = within(
        Duration::from_secs(10),
        connections
            .ensure_logged_in("password.example", "ensure", &mut credentials())
            .send(),
    )
    .await
    .unwrap();
    let first = success(first);
    assert_eq!(mock.request_count("postAuthConnectionsLogin"), 1);
    let before = mock.requests().len();
    let started = Instant::now();
    let second = within(
        Duration::from_secs(10),
        connections
            .ensure_logged_in("password.example", "ensure", &mut NeverAsked)
            .send(),
    )
    .await
    .unwrap();
    let elapsed = started.elapsed();
    assert_eq!(success(second).id, first.id);
    let after: Vec<String> = mock.requests()[before..]
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert_eq!(
        mock.request_count("postAuthConnectionsLogin"),
        1,
        "no second login: {after:?}"
    );
    assert!(
        !after
            .iter()
            .any(|r| r.ends_with("/events") || r.ends_with("/submit")),
        "{after:?}"
    );
    assert_eq!(
        after,
        [
            "POST /auth/connections".to_string(),
            format!("GET /auth/connections/{}", first.id)
        ]
    );
    assert!(
        elapsed < Duration::from_secs(1),
        "returned at once: {elapsed:?}"
    );
}

#[tokio::test]
async fn ensure_logged_in_reuses_the_existing_connection_on_409() {
    let mock = mock().await;
    let kernel = on_fake(&mock);
    let existing = connection(&kernel, "password.example", "existing").await;
    let outcome = within(
        Duration::from_secs(10),
        kernel
            .auth()
            .connections()
            .ensure_logged_in("password.example", "existing", &mut credentials())
            .send(),
    )
    .await
    .unwrap();
    assert_eq!(success(outcome).id, existing);
    assert_eq!(
        mock.request_count("postAuthConnections"),
        2,
        "created once, then the 409"
    );
    assert_eq!(
        count(
            &mock,
            "POST",
            &format!("/auth/connections/{existing}/login")
        ),
        1
    );
    let all = kernel.auth().connections().list().send().await.unwrap();
    assert_eq!(all.len(), 1, "no second connection");
}

/// Seed 001: the credential has the email and the TOTP secret but no
/// password; only the password is asked, the code is filled by Kernel.
#[tokio::test]
async fn partial_credentials_ask_only_for_the_password() {
    let site = Site::builder("partial.example")
        .form(
            Form::new()
                .field(Field::email("email", "Email").expect(USERNAME))
                .field(Field::password("password", "Password").expect(PASSWORD))
                .on_wrong(OnWrong::retry("Incorrect email or password")),
        )
        .step(Step::form(
            Form::new().field(Field::totp("totp_code", "Code")),
        ))
        .build();
    let mock = KernelMock::builder()
        .step_delay(STEP)
        .site(site)
        .start()
        .await
        .unwrap();
    let kernel = on_fake(&mock);
    let values = std::collections::HashMap::from([("email".to_string(), USERNAME.to_string())]);
    kernel
        .credentials()
        .create()
        .body(
            types::CreateCredentialRequest::builder()
                .name("my-login")
                .domain("partial.example")
                .values(values)
                .totp_secret(Some(TOTP_SECRET.into())),
        )
        .send()
        .await
        .unwrap();
    let reference = types::CredentialReference {
        name: Some("my-login".into()),
        auto: None,
        path: None,
        provider: None,
    };
    let mut handler = Recording::new(CredentialAnswers::new().value("password", PASSWORD));
    let outcome = within(
        Duration::from_secs(10),
        kernel
            .auth()
            .connections()
            .ensure_logged_in("partial.example", "partial", &mut handler)
            .credential(reference)
            .send(),
    )
    .await
    .unwrap();
    let connection = success(outcome);
    assert_eq!(handler.inputs.len(), 1, "{:#?}", handler.states);
    let asked: Vec<&str> = handler.inputs[0]
        .fields
        .iter()
        .map(|f| f.name.as_str())
        .collect();
    assert_eq!(asked, ["password"]);
    let bodies = submits(&mock, &connection.id);
    assert_eq!(bodies.len(), 1);
    assert_eq!(
        field_names(&bodies[0]),
        BTreeSet::from(["password".to_string()])
    );
}
