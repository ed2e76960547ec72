//! Nullable fields and refs accept `null`.

use super::round_trip;
use super::unknown_fields::object_components;
use kernel_sys::open;
use kernel_sys::types;
use kernel_testkit::examples::example_of;
use kernel_testkit::spec::component;
use serde_json::{json, Value};

#[test]
fn required_nullable_fields_accept_null() {
    let mut key = example_of("ApiKey");
    assert!(component("ApiKey")["required"]
        .as_array()
        .unwrap()
        .contains(&json!("expires_at")));
    key["expires_at"] = Value::Null;
    let key: types::ApiKey = serde_json::from_value(key).expect("ApiKey.expires_at: null");
    assert_eq!(key.expires_at, None);
    // Required: written back as an explicit null, not left out.
    let back = serde_json::to_value(&key).unwrap();
    assert_eq!(back.get("expires_at"), Some(&Value::Null));

    // A required field may be null but not missing.
    let mut missing = example_of("ApiKey");
    missing.as_object_mut().unwrap().remove("expires_at");
    assert!(
        serde_json::from_value::<types::ApiKey>(missing).is_err(),
        "expires_at is required"
    );
}

#[test]
fn nullable_refs_accept_null() {
    // `$ref` + `nullable: true` in the 3.1 spec (openapiv3 would drop the
    // `nullable`; the `ref_siblings` transform keeps it).
    assert_eq!(
        component("Browser")["properties"]["telemetry"]["nullable"],
        json!(true)
    );
    let mut browser = example_of("Browser");
    assert!(browser["telemetry"].is_object());
    browser["telemetry"] = Value::Null;
    let browser: types::Browser = serde_json::from_value(browser).expect("Browser.telemetry: null");
    assert_eq!(browser.telemetry, None);

    assert_eq!(
        component("DiscoveredField")["properties"]["linked_mfa_type"]["nullable"],
        json!(true)
    );
    let mut field = example_of("DiscoveredField");
    field["linked_mfa_type"] = Value::Null;
    let field: types::DiscoveredField =
        serde_json::from_value(field).expect("DiscoveredField.linked_mfa_type: null");
    assert_eq!(field.linked_mfa_type, None);
    let mut field = example_of("DiscoveredField");
    field["linked_mfa_type"] = json!("push");
    let field: types::DiscoveredField = serde_json::from_value(field).unwrap();
    assert_eq!(field.linked_mfa_type, Some(open::MfaType::Push));
}

/// Every property the spec marks nullable (`nullable: true`, a 3.1 type list
/// with `null`, or `$ref` + `nullable`) accepts `null` in every component.
#[test]
fn every_nullable_property_accepts_null() {
    let mut checked = 0;
    let mut failures = Vec::new();
    for name in object_components() {
        for (prop, schema) in component(name)["properties"].as_object().unwrap() {
            let nullable = schema.get("nullable") == Some(&json!(true))
                || schema["type"]
                    .as_array()
                    .is_some_and(|t| t.contains(&json!("null")));
            if !nullable {
                continue;
            }
            checked += 1;
            let mut input = example_of(name);
            input[prop.as_str()] = Value::Null;
            if let Err(e) = round_trip(name, input) {
                failures.push(format!("{name}.{prop}: {e}"));
            }
        }
    }
    assert!(
        checked >= 10,
        "expected the spec's nullable properties, found {checked}"
    );
    assert!(
        failures.is_empty(),
        "null rejected:\n{}",
        failures.join("\n")
    );
}
