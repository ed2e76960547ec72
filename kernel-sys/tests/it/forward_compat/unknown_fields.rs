//! Fields the spec does not know are ignored, next to the known data, and
//! an unknown flow step is kept verbatim.

use super::round_trip;
use crate::components::COMPONENTS;
use kernel_sys::open;
use kernel_sys::types;
use kernel_testkit::examples::example_of;
use kernel_testkit::spec::component;
use serde_json::json;

/// The object schemas of the spec (with their own `properties`).
pub(super) fn object_components() -> Vec<&'static str> {
    COMPONENTS
        .iter()
        .map(|(n, _)| *n)
        .filter(|n| component(n).get("properties").is_some())
        .collect()
}

#[test]
fn a_field_the_spec_does_not_know_is_ignored_everywhere() {
    let mut failures = Vec::new();
    let names = object_components();
    assert!(
        names.len() > 100,
        "expected the spec's object schemas, got {}",
        names.len()
    );
    for name in &names {
        let mut input = example_of(name);
        input["added_in_a_later_version"] = json!({ "nested": [1, "two", null] });
        if let Err(e) = round_trip(name, input) {
            failures.push(format!("{name}: {e}"));
        }
    }
    assert!(
        failures.is_empty(),
        "unknown fields rejected:\n{}",
        failures.join("\n")
    );
}

#[test]
fn managed_auth_browser_and_credential_keep_their_data_next_to_unknown_fields() {
    let mut auth = example_of("ManagedAuth");
    auth["risk_score"] = json!(0.3);
    auth["new_section"] = json!({ "a": 1 });
    let auth: types::ManagedAuth =
        serde_json::from_value(auth.clone()).expect("ManagedAuth with unknown fields");
    assert_eq!(auth.id, example_of("ManagedAuth")["id"].as_str().unwrap());
    assert_eq!(
        auth.domain,
        example_of("ManagedAuth")["domain"].as_str().unwrap()
    );

    let mut browser = example_of("Browser");
    browser["region"] = json!("eu-west-9");
    let browser: types::Browser =
        serde_json::from_value(browser).expect("Browser with an unknown field");
    assert_eq!(
        browser.session_id,
        example_of("Browser")["session_id"].as_str().unwrap()
    );
    assert_eq!(
        browser.cdp_ws_url.expose(),
        example_of("Browser")["cdp_ws_url"].as_str().unwrap()
    );

    let mut credential = example_of("Credential");
    credential["rotation_policy"] = json!({ "days": 30 });
    let credential: types::Credential =
        serde_json::from_value(credential).expect("Credential with an unknown field");
    assert_eq!(
        credential.name,
        example_of("Credential")["name"].as_str().unwrap()
    );
}

#[test]
fn an_unknown_flow_step_is_kept_verbatim_and_a_known_one_stays_typed() {
    let mut input = example_of("ManagedAuth");
    input["flow_step"] = json!("AWAITING_HUMAN_INTERVENTION");
    let auth: types::ManagedAuth = serde_json::from_value(input).expect("unknown flow_step");
    assert_eq!(
        auth.flow_step,
        Some(open::ManagedAuthFlowStep::Unknown(
            "AWAITING_HUMAN_INTERVENTION".into()
        ))
    );
    assert_eq!(
        serde_json::to_value(&auth).unwrap()["flow_step"],
        json!("AWAITING_HUMAN_INTERVENTION")
    );

    let mut input = example_of("ManagedAuth");
    input["flow_step"] = json!("AWAITING_INPUT");
    let auth: types::ManagedAuth = serde_json::from_value(input).expect("known flow_step");
    assert_eq!(
        auth.flow_step,
        Some(open::ManagedAuthFlowStep::AwaitingInput)
    );
    assert!(!auth.flow_step.as_ref().unwrap().is_unknown());
    assert_eq!(
        serde_json::to_value(&auth).unwrap()["flow_step"],
        json!("AWAITING_INPUT")
    );

    // The same field on the event stream.
    let mut event = example_of("ManagedAuthStateEvent");
    event["flow_step"] = json!("AWAITING_HUMAN_INTERVENTION");
    let event: open::ManagedAuthEvent = serde_json::from_value(event).expect("state event");
    let open::ManagedAuthEvent::Known(types::ManagedAuthEventKnown::ManagedAuthStateEvent(state)) =
        &event
    else {
        panic!("a managed_auth_state event is Known: {event:?}")
    };
    assert_eq!(
        state.flow_step,
        open::ManagedAuthStateEventFlowStep::Unknown("AWAITING_HUMAN_INTERVENTION".into())
    );
    assert_eq!(
        serde_json::to_value(&event).unwrap()["flow_step"],
        json!("AWAITING_HUMAN_INTERVENTION")
    );
}
