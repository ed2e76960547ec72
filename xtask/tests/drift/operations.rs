//! Operations removed, added, or with a changed path or method.

use crate::{assert_drift, drift};
use serde_json::json;
use xtask::drift::Bump;

#[test]
fn operation_removed() {
    let report = drift(|d| {
        d["paths"]["/browsers"]
            .as_object_mut()
            .unwrap()
            .remove("get");
    });
    assert_drift(
        &report,
        &[("operation_removed", "operation getBrowsers")],
        &[],
    );
    assert_eq!(report.breaking[0].detail, "GET /browsers removed");
    assert_eq!(report.bump(), Bump::Major);
}

#[test]
fn operation_path_changed() {
    let report = drift(|d| {
        let get = d["paths"]["/browsers/{id}"]
            .as_object_mut()
            .unwrap()
            .remove("get")
            .unwrap();
        d["paths"]["/sessions/{id}"] = json!({ "get": get });
    });
    assert_drift(
        &report,
        &[("operation_moved", "operation getBrowsersById")],
        &[],
    );
    assert_eq!(
        report.breaking[0].detail,
        "GET /browsers/{id} -> GET /sessions/{id}"
    );
}

#[test]
fn operation_method_changed() {
    let report = drift(|d| {
        let item = d["paths"]["/browsers/{id}"].as_object_mut().unwrap();
        let patch = item.remove("patch").unwrap();
        item.insert("put".into(), patch);
    });
    assert_drift(
        &report,
        &[("operation_moved", "operation patchBrowsersById")],
        &[],
    );
    assert_eq!(
        report.breaking[0].detail,
        "PATCH /browsers/{id} -> PUT /browsers/{id}"
    );
}

#[test]
fn operation_added_is_additive() {
    let report = drift(|d| {
        d["paths"]["/browsers/{id}/ping"] = json!({"post": {
            "operationId": "pingBrowser",
            "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
            "responses": {"204": {"description": "pong"}}
        }});
    });
    assert_drift(
        &report,
        &[],
        &[("operation_added", "operation pingBrowser")],
    );
    assert_eq!(report.bump(), Bump::Minor);
}
