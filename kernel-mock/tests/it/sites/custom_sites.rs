//! A site defined with `Site::builder` and added to the mock.

use super::login;
use crate::common::{drive, field_names, Api};
use kernel_mock::{Field, Form, KernelMock, MfaChoice, OnWrong, Site, Step};
use serde_json::json;
use std::time::Duration;

#[tokio::test]
async fn custom_site_from_the_builder() {
    let site = Site::builder("intranet.test")
        .form(
            Form::new()
                .field(Field::email("email", "Work email").expect("me@corp.test"))
                .on_wrong(OnWrong::retry("Unknown user")),
        )
        .step(Step::choose_mfa([MfaChoice::new(
            "email",
            "Email me a code",
        )
        .then(Step::form(
            Form::new().field(Field::code("code", "Code").expect("424242")),
        ))]))
        .build();
    let mock = KernelMock::builder()
        .step_delay(Duration::from_millis(10))
        .site(site)
        .start()
        .await
        .unwrap();
    assert!(mock.sites().contains(&"intranet.test".to_owned()));
    let api = Api::new(&mock);
    let id = api.connection("intranet.test", "corp", json!({})).await;
    login(&api, &id).await;
    let states = drive(&api, &id, |state| {
        if state["mfa_options"].is_array() {
            return Some(json!({ "mfa_option_id": "email" }));
        }
        match field_names(state).as_slice() {
            [e] if e == "email" => Some(json!({ "fields": { "email": "me@corp.test" } })),
            [c] if c == "code" => Some(json!({ "fields": { "code": "424242" } })),
            other => panic!("{other:?}"),
        }
    })
    .await;
    let last = states.last().unwrap();
    assert_eq!(last["flow_status"], "SUCCESS");
    assert_eq!(last["post_login_url"], "https://intranet.test/home");
}
