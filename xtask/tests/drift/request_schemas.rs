//! Request schemas: required fields, removed enum values, and a schema both
//! sent and read.

use crate::{assert_drift, drift, schema};
use serde_json::json;

#[test]
fn request_field_newly_required() {
    let report = drift(|d| schema(d, "BrowserRequest")["required"] = json!(["headless"]));
    assert_drift(
        &report,
        &[("request_field_required", "schema BrowserRequest.headless")],
        &[],
    );
}

#[test]
fn new_required_request_field_is_breaking_new_optional_one_is_not() {
    let report = drift(|d| {
        let s = schema(d, "BrowserRequest");
        s["properties"]["locale"] = json!({"type": "string"});
        s["properties"]["note"] = json!({"type": "string"});
        s["required"] = json!(["locale"]);
    });
    assert_drift(
        &report,
        &[("request_field_required", "schema BrowserRequest.locale")],
        &[("field_added", "schema BrowserRequest.note")],
    );
}

#[test]
fn enum_value_removed_from_a_request_schema() {
    let report = drift(|d| {
        let values = schema(d, "ComputerAction")["properties"]["type"]["enum"]
            .as_array_mut()
            .unwrap();
        values.retain(|v| v != "sleep");
    });
    assert_drift(
        &report,
        &[("enum_value_removed", "schema ComputerAction.type")],
        &[],
    );
}

#[test]
fn schema_used_on_both_sides_gets_both_rule_sets() {
    // BrowserViewport is sent (BrowserRequest.viewport) and read
    // (Browser.viewport); BrowserViewportUpdate merges it through allOf.
    let report = drift(|d| {
        schema(d, "BrowserViewport")["required"] = json!(["width", "height", "refresh_rate"])
    });
    assert_drift(
        &report,
        &[
            (
                "request_field_required",
                "schema BrowserViewport.refresh_rate",
            ),
            (
                "request_field_required",
                "schema BrowserViewportUpdate.refresh_rate",
            ),
        ],
        &[],
    );
    let report = drift(|d| {
        schema(d, "BrowserViewport")["properties"]
            .as_object_mut()
            .unwrap()
            .remove("refresh_rate");
    });
    assert_drift(
        &report,
        &[
            (
                "response_field_removed",
                "schema BrowserViewport.refresh_rate",
            ),
            (
                "request_field_removed",
                "schema BrowserViewportUpdate.refresh_rate",
            ),
        ],
        &[],
    );
}
