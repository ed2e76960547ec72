//! Happy paths: a password, TOTP from a secret, a code typed by the user,
//! SSO buttons, MFA selection and push approval.

use super::{connection, credentials, field_names, mock, start, submits, success, Recording};
use kernel::auth::{Answer, CredentialAnswers, FlowState, InputRequest, LoginHandler, Totp};
use kernel_mock::sites::{PASSWORD, SMS_CODE, TOTP_SECRET, USERNAME};
use kernel_testkit::client::{on_fake, within};
use serde_json::Value;
use std::collections::BTreeSet;
use std::time::Duration;
use tokio::sync::mpsc;

#[tokio::test]
async fn username_and_password() {
    let mock = mock().await;
    let kernel = on_fake(&mock);
    let id = connection(&kernel, "password.example", "pw").await;
    let mut handler = Recording::new(credentials());
    let outcome = within(
        Duration::from_secs(10),
        start(&kernel, &id).await.run(&mut handler),
    )
    .await
    .unwrap();
    let connection = success(outcome);
    assert_eq!(connection.id, id);
    assert_eq!(
        connection.status,
        kernel::types::ManagedAuthStatus::Authenticated
    );
    assert!(mock.profile_has_auth_state("pw"));
    assert_eq!(handler.inputs.len(), 1);
    let names: Vec<&str> = handler.inputs[0]
        .fields
        .iter()
        .map(|f| f.name.as_str())
        .collect();
    assert_eq!(names, ["username", "password"]);
    assert_eq!(
        handler.names(),
        ["DISCOVERING", "AWAITING_INPUT", "SUBMITTING", "SUCCESS"]
    );
    let bodies = submits(&mock, &id);
    assert_eq!(bodies.len(), 1);
    assert_eq!(bodies[0]["fields"]["username"], USERNAME);
    assert_eq!(bodies[0]["fields"]["password"], PASSWORD);
}

#[tokio::test]
async fn password_then_totp_from_a_secret() {
    let mock = mock().await;
    let kernel = on_fake(&mock);
    let id = connection(&kernel, "totp.example", "totp").await;
    let mut handler = Recording::new(credentials().totp_secret(TOTP_SECRET).unwrap());
    let outcome = within(
        Duration::from_secs(10),
        start(&kernel, &id).await.run(&mut handler),
    )
    .await
    .unwrap();
    success(outcome);
    assert_eq!(handler.inputs.len(), 2, "login form, then the code");
    assert_eq!(handler.inputs[1].fields[0].name, "totp_code");
    let bodies = submits(&mock, &id);
    assert_eq!(bodies.len(), 2);
    let code = bodies[1]["fields"]["totp_code"]
        .as_str()
        .unwrap()
        .to_string();
    // The code is the RFC 6238 code of the secret (this or the previous step).
    let totp = Totp::from_base32(TOTP_SECRET).unwrap();
    let now = std::time::SystemTime::now();
    assert!(
        code == totp.code_at(now) || code == totp.code_at(now - Duration::from_secs(30)),
        "{code} is not the current code"
    );
    handler.assert_no_repeats();
}

/// Asks "the user" for codes over a channel, like a UI would.
struct Typist {
    prompts: mpsc::UnboundedSender<InputRequest>,
    codes: mpsc::UnboundedReceiver<String>,
}

impl LoginHandler for Typist {
    async fn on_input(&mut self, request: &InputRequest) -> kernel::Result<Answer> {
        if !request.mfa_options.is_empty() {
            return Ok(Answer::MfaOption("sms".into()));
        }
        if request.fields.iter().any(|f| f.name == "username") {
            return Ok(Answer::fields([
                ("username", USERNAME),
                ("password", PASSWORD),
            ]));
        }
        let field = request.fields[0].name.clone();
        self.prompts
            .send(request.clone())
            .expect("the user is there");
        let code = self.codes.recv().await.expect("the user typed a code");
        Ok(Answer::fields([(field, code)]))
    }
}

#[tokio::test]
async fn two_factor_code_typed_by_the_user() {
    let mock = mock().await;
    let kernel = on_fake(&mock);
    let id = connection(&kernel, "mfa-choice.example", "typed").await;
    let (prompts_tx, mut prompts) = mpsc::unbounded_channel();
    let (codes, codes_rx) = mpsc::unbounded_channel();
    let flow = start(&kernel, &id).await;
    let run = tokio::spawn(async move {
        flow.run(&mut Typist {
            prompts: prompts_tx,
            codes: codes_rx,
        })
        .await
    });
    // The user sees the prompt, reads the SMS and types the code.
    let prompt = within(Duration::from_secs(10), prompts.recv())
        .await
        .expect("a prompt");
    assert_eq!(prompt.fields.len(), 1);
    assert_eq!(prompt.fields[0].name, "sms_code");
    assert_eq!(
        prompt.fields[0].type_,
        kernel::types::DiscoveredFieldType::Code
    );
    assert!(
        prompt.fields[0]
            .hint
            .as_deref()
            .unwrap_or("")
            .contains("0123"),
        "{prompt:?}"
    );
    codes.send(SMS_CODE.to_string()).unwrap();
    let outcome = within(Duration::from_secs(10), run).await.unwrap().unwrap();
    success(outcome);
    assert!(prompts.try_recv().is_err(), "asked only once");
    let bodies = submits(&mock, &id);
    assert_eq!(bodies.len(), 3);
    assert_eq!(bodies[2]["fields"]["sms_code"], SMS_CODE);
}

#[tokio::test]
async fn sso_button_by_provider() {
    let mock = mock().await;
    let kernel = on_fake(&mock);
    let id = connection(&kernel, "sso.example", "sso").await;
    let mut handler = Recording::new(CredentialAnswers::new().sso("github"));
    let outcome = within(
        Duration::from_secs(10),
        start(&kernel, &id).await.run(&mut handler),
    )
    .await
    .unwrap();
    let connection = success(outcome);
    assert_eq!(connection.sso_provider.as_deref(), Some("github"));
    assert_eq!(handler.inputs.len(), 1);
    let providers: Vec<&str> = handler.inputs[0]
        .sso_buttons
        .iter()
        .map(|b| b.provider.as_str())
        .collect();
    assert_eq!(providers, ["google", "github"]);
    let bodies = submits(&mock, &id);
    assert_eq!(bodies.len(), 1);
    assert_eq!(bodies[0]["sso_provider"], "github");
    assert!(
        bodies[0]
            .get("sso_button_selector")
            .is_none_or(Value::is_null),
        "{}",
        bodies[0]
    );
}

#[tokio::test]
async fn sso_button_by_selector_with_the_stream_api() {
    let mock = mock().await;
    let kernel = on_fake(&mock);
    let id = connection(&kernel, "sso.example", "sso-selector").await;
    let mut flow = start(&kernel, &id).await;
    let mut seen = Vec::new();
    let mut selector = None;
    within(Duration::from_secs(10), async {
        while let Some(state) = flow.next_state().await {
            let state = state.unwrap();
            seen.push(state.name());
            if let FlowState::AwaitingInput(request) = &state {
                let button = request
                    .sso_buttons
                    .iter()
                    .find(|b| b.provider == "google")
                    .expect("a google button");
                selector = Some(button.selector.clone());
                flow.submit(Answer::SsoButton(button.selector.clone()))
                    .await
                    .unwrap();
            }
        }
    })
    .await;
    assert_eq!(seen.last().map(String::as_str), Some("SUCCESS"), "{seen:?}");
    assert_eq!(
        seen.iter().filter(|s| *s == "AWAITING_INPUT").count(),
        1,
        "{seen:?}"
    );
    let bodies = submits(&mock, &id);
    assert_eq!(bodies.len(), 1);
    assert_eq!(
        bodies[0]["sso_button_selector"].as_str(),
        selector.as_deref()
    );
    let connection = kernel.auth().connections().get(&id).send().await.unwrap();
    assert_eq!(connection.sso_provider.as_deref(), Some("google"));
}

#[tokio::test]
async fn mfa_selection_then_a_code() {
    let mock = mock().await;
    let kernel = on_fake(&mock);
    let id = connection(&kernel, "mfa-choice.example", "mfa").await;
    let asked = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = asked.clone();
    let answers = credentials().mfa("sms").on_missing(move |field| {
        log.lock().unwrap().push(field.name.clone());
        Ok(SMS_CODE.to_string())
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
        *asked.lock().unwrap(),
        ["sms_code"],
        "only the code was prompted"
    );
    assert_eq!(handler.inputs.len(), 3);
    let offered: Vec<&str> = handler.inputs[1]
        .mfa_options
        .iter()
        .map(|o| o.type_.as_str())
        .collect();
    assert_eq!(offered, ["sms", "totp", "push"]);
    let bodies = submits(&mock, &id);
    assert_eq!(bodies.len(), 3, "{bodies:?}");
    assert_eq!(
        field_names(&bodies[0]),
        BTreeSet::from(["username".to_string(), "password".to_string()])
    );
    assert_eq!(bodies[1]["mfa_option_id"], "sms");
    assert_eq!(bodies[2]["fields"]["sms_code"], SMS_CODE);
    handler.assert_no_repeats();
}

#[tokio::test]
async fn mfa_selection_picks_totp_when_a_secret_is_known() {
    let mock = mock().await;
    let kernel = on_fake(&mock);
    let id = connection(&kernel, "mfa-choice.example", "mfa-totp").await;
    let mut handler = Recording::new(credentials().totp_secret(TOTP_SECRET).unwrap());
    let outcome = within(
        Duration::from_secs(10),
        start(&kernel, &id).await.run(&mut handler),
    )
    .await
    .unwrap();
    success(outcome);
    let bodies = submits(&mock, &id);
    assert_eq!(bodies.len(), 3, "{bodies:?}");
    assert_eq!(bodies[1]["mfa_option_id"], "totp");
    assert_eq!(
        bodies[2]["fields"]["totp_code"].as_str().map(str::len),
        Some(6)
    );
}

#[tokio::test]
async fn push_approval_completes_by_itself() {
    let mock = mock().await;
    let kernel = on_fake(&mock);
    let id = connection(&kernel, "push.example", "push").await;
    let mut handler = Recording::new(credentials());
    let outcome = within(
        Duration::from_secs(10),
        start(&kernel, &id).await.run(&mut handler),
    )
    .await
    .unwrap();
    success(outcome);
    assert_eq!(
        handler.external,
        [Some(
            "Tap 'Yes' on the sign-in prompt on your phone".to_string()
        )]
    );
    assert_eq!(handler.inputs.len(), 1, "only the login form was asked");
    assert_eq!(
        submits(&mock, &id).len(),
        1,
        "nothing was submitted for the push"
    );
    let names = handler.names();
    let at = names
        .iter()
        .position(|n| n == "AWAITING_EXTERNAL_ACTION")
        .expect("the push pause");
    assert_eq!(names.last().map(String::as_str), Some("SUCCESS"));
    assert!(at < names.len() - 1);
}
