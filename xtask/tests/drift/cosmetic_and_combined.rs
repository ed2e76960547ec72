//! Documentation-only changes, combined changes in each category, and the
//! JSON report's shape.

use crate::{assert_drift, drift, e, entries, op, param, schema};
use serde_json::json;
use xtask::drift::{Bump, Category};

#[test]
fn documentation_only_changes_are_cosmetic() {
    let report = drift(|d| {
        let get = op(d, "getBrowsers");
        get["summary"] = json!("List browsers");
        get["x-codeSamples"][0]["source"] = json!("// new sample");
        let browser = schema(d, "Browser");
        browser["properties"]["cdp_ws_url"]["description"] = json!("The CDP websocket URL.");
        browser["properties"]["cdp_ws_url"]["example"] = json!("wss://example");
        // A description next to a `$ref`: read from the raw document.
        schema(d, "Error")["properties"]["inner_error"]["description"] = json!("The cause.");
    });
    assert!(
        report.breaking.is_empty() && report.additive.is_empty(),
        "{}",
        report.to_text()
    );
    assert_eq!(
        entries(&report, Category::Cosmetic),
        vec![
            e("extension_changed", "operation getBrowsers"),
            e("summary_changed", "operation getBrowsers"),
            e("description_changed", "schema Browser.cdp_ws_url"),
            e("example_changed", "schema Browser.cdp_ws_url"),
            e("description_changed", "schema Error.inner_error"),
        ]
    );
    assert_eq!(report.bump(), Bump::Patch);
}

#[test]
fn combined_changes_land_in_each_category() {
    let report = drift(|d| {
        d["paths"]["/browsers"]
            .as_object_mut()
            .unwrap()
            .remove("get");
        schema(d, "Browser")["properties"]["region"] = json!({"type": "string"});
        schema(d, "MFAType")["enum"]
            .as_array_mut()
            .unwrap()
            .push(json!("webauthn"));
        schema(d, "MFAType")["description"] = json!("How the second factor is delivered.");
    });
    assert_eq!(
        entries(&report, Category::Breaking),
        vec![e("operation_removed", "operation getBrowsers")]
    );
    assert_eq!(
        entries(&report, Category::Additive),
        vec![
            e("field_added", "schema Browser.region"),
            e("enum_value_added", "schema MFAType")
        ]
    );
    assert_eq!(
        entries(&report, Category::Cosmetic),
        vec![e("description_changed", "schema MFAType")]
    );
    assert_eq!(report.bump(), Bump::Major);
    let text = report.to_text();
    for heading in [
        "## Breaking (1)",
        "## Additive (2)",
        "## Cosmetic (1)",
        "Suggested version bump: major",
    ] {
        assert!(text.contains(heading), "{text}");
    }
    assert!(
        text.contains("- operation getBrowsers: GET /browsers removed [operation_removed]"),
        "{text}"
    );
}

#[test]
fn combined_request_and_response_changes() {
    let report = drift(|d| {
        param(d, "getInvocations", "status")["schema"]["enum"]
            .as_array_mut()
            .unwrap()
            .retain(|v| v != "queued");
        schema(d, "Browser")["required"]
            .as_array_mut()
            .unwrap()
            .retain(|r| r != "created_at");
        schema(d, "BrowserRequest")["properties"]["headless"]["deprecated"] = json!(true);
        schema(d, "BrowserRequest")["properties"]["timeout_seconds"]["maximum"] = json!(3600);
    });
    assert_drift(
        &report,
        &[
            (
                "enum_value_removed",
                "operation getInvocations param status",
            ),
            ("response_field_optional", "schema Browser.created_at"),
        ],
        &[
            ("deprecated", "schema BrowserRequest.headless"),
            (
                "constraint_changed",
                "schema BrowserRequest.timeout_seconds",
            ),
        ],
    );
}

#[test]
fn json_report_shape_is_stable() {
    let report = drift(|d| {
        d["paths"]["/browsers"]
            .as_object_mut()
            .unwrap()
            .remove("get");
    });
    assert_eq!(
        report.to_json(),
        json!({
            "breaking": [{"kind": "operation_removed", "location": "operation getBrowsers", "detail": "GET /browsers removed"}],
            "additive": [],
            "cosmetic": []
        })
    );
}
