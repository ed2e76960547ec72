//! Secrets never leak from a login: not in tracing output (captured at TRACE
//! level from every thread), not in `Debug` or `Display` of the answers, the
//! TOTP generator, the flow, its states or any error.
//!
//! One binary with a global subscriber: the capture sees the mock, the
//! client and every task the runtime runs.

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use kernel::auth::{Answer, CredentialAnswers, FlowOptions, FlowState, LoginHandler, Totp};
use kernel::types;
use kernel_mock::{Field, Form, KernelMock, OnWrong, Site, Step};

/// A password that appears nowhere else.
const PASSWORD: &str = "Zq9-hunter2-DISTINCT-PASSWORD";
/// A wrong password, as distinctive.
const WRONG: &str = "Wq7-DISTINCT-WRONG-pw";
/// A TOTP secret that appears nowhere else (base32 of "abcdefghijklmnopqrst").
const TOTP_SECRET: &str = "MFRGGZDFMZTWQ2LKNNWG23TPOBYXE5DU";
/// The decoded key as hex, as the generator stores it internally.
const TOTP_KEY_HEX: &str = "6162636465666768696a6b6c6d6e6f7071727374";

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Capture {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

/// The global capture, installed once for this binary.
fn capture() -> Capture {
    static CAPTURE: OnceLock<Capture> = OnceLock::new();
    CAPTURE
        .get_or_init(|| {
            let capture = Capture::default();
            let writer = capture.clone();
            let subscriber = tracing_subscriber::fmt()
                .with_max_level(tracing::Level::TRACE)
                .with_writer(move || writer.clone())
                .finish();
            tracing::subscriber::set_global_default(subscriber).expect("the only subscriber");
            capture
        })
        .clone()
}

fn site() -> Site {
    Site::builder("secret.example")
        .form(
            Form::new()
                .field(Field::text("username", "Username").expect("someone"))
                .field(Field::password("password", "Password").expect(PASSWORD))
                .on_wrong(OnWrong::retry("Incorrect password")),
        )
        .step(Step::form(
            Form::new()
                .field(Field::totp("totp_code", "Code"))
                .on_wrong(OnWrong::retry("Bad code")),
        ))
        .totp_secret(TOTP_SECRET)
        .build()
}

fn assert_clean(what: &str, text: &str) {
    assert!(
        !text.contains(PASSWORD),
        "{what} shows the password:\n{text}"
    );
    assert!(
        !text.contains(TOTP_SECRET),
        "{what} shows the TOTP secret:\n{text}"
    );
    assert!(
        !text.to_ascii_lowercase().contains(TOTP_KEY_HEX),
        "{what} shows the TOTP key:\n{text}"
    );
}

fn answers() -> CredentialAnswers {
    CredentialAnswers::new()
        .value("username", "someone")
        .value("password", PASSWORD)
        .totp_secret(TOTP_SECRET)
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_login_logs_no_secret() {
    let capture = capture();
    let mock = KernelMock::builder()
        .step_delay(Duration::from_millis(20))
        .site(site())
        .start()
        .await
        .unwrap();
    let kernel = kernel_testkit::client::on_fake(&mock);
    let id = kernel
        .auth()
        .connections()
        .create()
        .body(
            types::ManagedAuthCreateRequest::builder()
                .domain("secret.example")
                .profile_name("secret"),
        )
        .send()
        .await
        .unwrap()
        .id;
    let flow = kernel
        .auth()
        .connections()
        .start_login(&id)
        .send()
        .await
        .unwrap()
        .with_options(FlowOptions {
            poll_interval: Duration::from_millis(50),
            ..FlowOptions::default()
        });
    let mut handler = answers();
    let outcome = tokio::time::timeout(Duration::from_secs(10), flow.run(&mut handler))
        .await
        .unwrap()
        .unwrap();
    assert!(outcome.is_success(), "{outcome:?}");
    // The secrets did reach the server: the capture is of a real login.
    let sent: Vec<String> = mock
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/submit"))
        .map(|r| String::from_utf8_lossy(&r.body).into_owned())
        .collect();
    assert!(sent[0].contains(PASSWORD), "{sent:?}");
    assert_clean("the handler after the login", &format!("{handler:?}"));
    assert_clean("the outcome", &format!("{outcome:?}"));

    let logs = capture.text();
    assert!(
        logs.contains("kernel.request") && logs.contains("submit"),
        "the capture works:\n{logs}"
    );
    assert!(
        logs.contains("TRACE") || logs.contains("DEBUG"),
        "captured below INFO:\n{logs}"
    );
    assert_clean("the tracing output", &logs);
}

#[tokio::test]
async fn debug_and_display_show_no_secret() {
    let handler = answers();
    assert_clean("CredentialAnswers", &format!("{handler:?} {handler:#?}"));
    let answer = Answer::fields([("username", "someone"), ("password", PASSWORD)]);
    assert_clean("Answer", &format!("{answer:?} {answer:#?}"));
    assert!(
        format!("{answer:?}").contains("password"),
        "the field name is shown: {answer:?}"
    );
    let totp = Totp::from_base32(TOTP_SECRET).unwrap();
    assert_clean("Totp", &format!("{totp:?} {totp:#?}"));
    let secret = kernel::Secret::new(PASSWORD);
    assert_clean("Secret", &format!("{secret:?} {secret}"));
    assert_clean("a bad TOTP secret error", &{
        let e = Totp::from_base32(&format!("{PASSWORD}!")).unwrap_err();
        format!("{e:?} {e}")
    });

    let mock = KernelMock::builder()
        .step_delay(Duration::from_millis(20))
        .site(site())
        .start()
        .await
        .unwrap();
    let kernel = kernel_testkit::client::on_fake(&mock);
    let connections = kernel.auth().connections();
    let id = connections
        .create()
        .body(
            types::ManagedAuthCreateRequest::builder()
                .domain("secret.example")
                .profile_name("debug"),
        )
        .send()
        .await
        .unwrap()
        .id;

    // The flow and its states, mid-flow after the password was submitted.
    let mut flow = connections.start_login(&id).send().await.unwrap();
    let mut states = Vec::new();
    let mut handler = answers();
    while let Some(state) = tokio::time::timeout(Duration::from_secs(10), flow.next_state())
        .await
        .unwrap()
    {
        let state = state.unwrap();
        if let FlowState::AwaitingInput(request) = &state {
            let answer = handler.on_input(request).await.unwrap();
            assert_clean("an answer", &format!("{answer:?}"));
            flow.submit(answer).await.unwrap();
            assert_clean("the flow", &format!("{flow:?} {flow:#?}"));
        }
        states.push(state);
    }
    assert_clean("the states", &format!("{states:?}"));
    assert_eq!(states.last(), Some(&FlowState::Success));

    // An API error for a request that carried the password.
    let body = Answer::fields([("password", PASSWORD)]).to_submit_request();
    let error = connections.submit(&id).body(body).send().await.unwrap_err();

    assert_clean("an API error", &format!("{error:?} {error}"));

    // The error of a run whose password the site rejects, with no prompt.
    let id = connections
        .create()
        .body(
            types::ManagedAuthCreateRequest::builder()
                .domain("secret.example")
                .profile_name("rejected"),
        )
        .send()
        .await
        .unwrap()
        .id;
    let flow = connections.start_login(&id).send().await.unwrap();
    let mut wrong = CredentialAnswers::new()
        .value("username", "someone")
        .value("password", WRONG);
    let result = tokio::time::timeout(Duration::from_secs(10), flow.run(&mut wrong))
        .await
        .unwrap();
    let error = match result {
        Err(e) => e,
        Ok(outcome) => panic!("expected an error without a prompt, got {outcome:?}"),
    };
    let shown = format!("{error:?} {error}");
    assert_clean("a login error", &shown);
    assert!(
        !shown.contains(WRONG),
        "the rejected password is shown: {shown}"
    );
}
