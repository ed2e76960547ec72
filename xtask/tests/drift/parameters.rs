//! Parameters: removed, newly required, added, and enum values removed.

use crate::{assert_drift, drift, op, param};
use serde_json::json;

#[test]
fn parameter_removed() {
    let report = drift(|d| {
        op(d, "getBrowsers")["parameters"]
            .as_array_mut()
            .unwrap()
            .retain(|p| p["name"] != "status");
    });
    assert_drift(
        &report,
        &[("parameter_removed", "operation getBrowsers param status")],
        &[],
    );
}

#[test]
fn parameter_newly_required() {
    let report = drift(|d| param(d, "getBrowsers", "status")["required"] = json!(true));
    assert_drift(
        &report,
        &[("parameter_required", "operation getBrowsers param status")],
        &[],
    );
}

#[test]
fn new_required_parameter_is_breaking_new_optional_one_is_not() {
    let report = drift(|d| {
        let params = op(d, "getBrowsers")["parameters"].as_array_mut().unwrap();
        params.push(json!({"name": "region", "in": "query", "required": true, "schema": {"type": "string"}}));
        params.push(json!({"name": "label", "in": "query", "schema": {"type": "string"}}));
    });
    assert_drift(
        &report,
        &[("parameter_required", "operation getBrowsers param region")],
        &[("parameter_added", "operation getBrowsers param label")],
    );
}

#[test]
fn enum_value_removed_from_a_request_parameter() {
    let report = drift(|d| {
        param(d, "getBrowsers", "status")["schema"]["enum"]
            .as_array_mut()
            .unwrap()
            .retain(|v| v != "all");
    });
    assert_drift(
        &report,
        &[("enum_value_removed", "operation getBrowsers param status")],
        &[],
    );
    assert_eq!(report.breaking[0].detail, "value `all` removed");
}
