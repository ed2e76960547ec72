//! Response schemas: fields removed, added or no longer always present,
//! type and format changes, nullable refs, open and closed enums and unions.

use crate::{assert_drift, drift, drift_from, e, entries, op, schema};
use serde_json::{json, Value};
use xtask::drift::Category;

#[test]
fn response_field_removed() {
    let report = drift(|d| {
        schema(d, "Browser")["properties"]
            .as_object_mut()
            .unwrap()
            .remove("cdp_ws_url");
    });
    assert_drift(
        &report,
        &[("response_field_removed", "schema Browser.cdp_ws_url")],
        &[],
    );
}

#[test]
fn optional_response_field_added_is_additive() {
    let report =
        drift(|d| schema(d, "Browser")["properties"]["region"] = json!({"type": "string"}));
    assert_drift(&report, &[], &[("field_added", "schema Browser.region")]);
}

#[test]
fn type_changed() {
    let report =
        drift(|d| schema(d, "Browser")["properties"]["timeout_seconds"]["type"] = json!("string"));
    assert_drift(
        &report,
        &[("type_changed", "schema Browser.timeout_seconds")],
        &[],
    );
    assert_eq!(report.breaking[0].detail, "integer -> string");
}

#[test]
fn format_changed_is_a_type_change() {
    let report =
        drift(|d| schema(d, "Browser")["properties"]["created_at"]["format"] = json!("date"));
    assert_drift(
        &report,
        &[("type_changed", "schema Browser.created_at")],
        &[],
    );
    assert_eq!(
        report.breaking[0].detail,
        "string(date-time) -> string(date)"
    );
}

#[test]
fn always_present_response_field_becoming_optional() {
    let report = drift(|d| {
        schema(d, "Browser")["required"]
            .as_array_mut()
            .unwrap()
            .retain(|r| r != "cdp_ws_url")
    });
    assert_drift(
        &report,
        &[("response_field_optional", "schema Browser.cdp_ws_url")],
        &[],
    );
    assert_eq!(
        report.breaking[0].detail,
        "was always present, now optional"
    );
}

#[test]
fn always_present_response_field_becoming_nullable() {
    let report =
        drift(|d| schema(d, "Browser")["properties"]["cdp_ws_url"]["nullable"] = json!(true));
    assert_drift(
        &report,
        &[("response_field_optional", "schema Browser.cdp_ws_url")],
        &[],
    );
    assert_eq!(
        report.breaking[0].detail,
        "was always present, now nullable"
    );
}

#[test]
fn nullable_sibling_of_a_ref_is_read_as_the_generator_reads_it() {
    // 3.1 spelling: `$ref` with a `nullable` sibling (codegen's
    // `ref_siblings` keeps it; a plain 3.0 reader would drop it).
    let report = drift(|d| {
        schema(d, "BrowserTelemetryEventEnvelope")["properties"]["event"]["nullable"] = json!(true);
    });
    assert_drift(
        &report,
        &[(
            "response_field_optional",
            "schema BrowserTelemetryEventEnvelope.event",
        )],
        &[],
    );
}

#[test]
fn enum_value_added_to_an_open_enum_is_additive() {
    let report = drift(|d| {
        schema(d, "MFAType")["enum"]
            .as_array_mut()
            .unwrap()
            .push(json!("webauthn"))
    });
    assert_drift(&report, &[], &[("enum_value_added", "schema MFAType")]);
    assert_eq!(report.additive[0].detail, "value `webauthn` added");
}

#[test]
fn enum_value_added_to_a_closed_response_enum_is_breaking() {
    // codegen opens component and parameter enums, not enums inside an
    // inline 2xx body: the normalized view says this one is closed.
    fn mode(d: &mut Value) -> &mut Value {
        &mut op(d, "startFsWatch")["responses"]["201"]["content"]["application/json"]["schema"]
            ["properties"]["mode"]
    }
    let report = drift_from(
        |d| *mode(d) = json!({"type": "string", "enum": ["poll", "inotify"]}),
        |d| {
            mode(d)["enum"]
                .as_array_mut()
                .unwrap()
                .push(json!("fanotify"))
        },
    );
    assert_drift(
        &report,
        &[(
            "closed_enum_value_added",
            "operation startFsWatch response 201 application/json.mode",
        )],
        &[],
    );
}

#[test]
fn variant_added_to_a_closed_response_union_is_breaking() {
    let report = drift(|d| {
        let variants = schema(d, "Proxy")["properties"]["config"]["oneOf"]
            .as_array_mut()
            .unwrap();
        variants.push(json!({"$ref": "#/components/schemas/ProxyRef"}));
    });
    assert_drift(
        &report,
        &[("closed_union_variant_added", "schema Proxy.config")],
        &[],
    );
}

#[test]
fn optional_response_field_becoming_required_changes_the_generated_type() {
    // `Option<String>` -> `String` in the generated `Browser`: old code that
    // reads the field no longer compiles, though the wire is compatible.
    let report = drift(|d| {
        schema(d, "Browser")["required"]
            .as_array_mut()
            .unwrap()
            .push(json!("proxy_id"))
    });
    assert_drift(
        &report,
        &[("response_field_required", "schema Browser.proxy_id")],
        &[],
    );
    assert_eq!(
        report.breaking[0].detail,
        "now required: the generated field changes from Option<T> to T"
    );
}

#[test]
fn nullable_response_field_becoming_required_and_non_null_changes_the_generated_type() {
    let report = drift(|d| {
        let profile = schema(d, "Profile");
        profile["properties"]["name"]
            .as_object_mut()
            .unwrap()
            .remove("nullable");
        profile["required"]
            .as_array_mut()
            .unwrap()
            .push(json!("name"));
    });
    assert_eq!(
        entries(&report, Category::Breaking),
        vec![e("response_field_required", "schema Profile.name")],
        "{}",
        report.to_text()
    );
}

#[test]
fn optional_response_array_becoming_required_keeps_its_type() {
    // An optional array is generated as a `Vec` (absent = empty), not an
    // `Option`: requiring it changes no Rust type.
    let report = drift(|d| {
        let auth = schema(d, "ManagedAuth");
        let required = auth["required"].as_array_mut().unwrap();
        required.push(json!("allowed_domains"));
    });
    assert_drift(
        &report,
        &[],
        &[("field_now_required", "schema ManagedAuth.allowed_domains")],
    );
}
