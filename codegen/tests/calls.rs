//! The call-layer generator, run on the vendored spec as the build scripts
//! run it.

use kernel_codegen::calls::{self, Layer};
use serde_json::{json, Value};

fn spec() -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(kernel_codegen::SPEC_PATH);
    kernel_codegen::load(&path).unwrap()
}

fn layer(spec: &Value) -> Layer {
    let (doc, report) = kernel_codegen::normalize(spec);
    let sys = kernel_codegen::sys::generate(doc, &report).unwrap();
    calls::generate(spec, &sys).unwrap()
}

#[test]
fn a_change_to_one_operation_changes_exactly_its_builder() {
    let spec = spec();
    let before = layer(&spec);
    let mut changed = spec.clone();
    changed["paths"]["/profiles"]["get"]["parameters"]
        .as_array_mut()
        .unwrap()
        .push(json!({
            "name": "starts_with",
            "in": "query",
            "required": false,
            "schema": {"type": "string"},
            "description": "Only profiles whose name starts with this."
        }));
    let after = layer(&changed);
    assert_eq!(before.builders.len(), after.builders.len());
    let differing: Vec<&String> = before
        .builders
        .iter()
        .filter(|(id, code)| after.builders.get(*id) != Some(code))
        .map(|(id, _)| id)
        .collect();
    assert_eq!(differing, ["getProfiles"]);
    assert!(after.builders["getProfiles"].contains("starts_with"));
    let added: Vec<_> = after
        .surface
        .iter()
        .filter(|l| !before.surface.contains(l))
        .collect();
    assert_eq!(added, ["profiles::List.starts_with(impl Into<String>)"]);
}

#[test]
fn every_operation_gets_a_builder_or_a_hand_written_accessor() {
    let spec = spec();
    let layer = layer(&spec);
    let ops = kernel_codegen::operations(&spec);
    assert_eq!(layer.builders.len(), ops.len());
    for op in &ops {
        let line = layer.surface.iter().find(|l| {
            l.ends_with(&format!(" {}", op.id)) || l.ends_with(&format!(" {} deprecated", op.id))
        });
        assert!(line.is_some(), "{} has no accessor line", op.id);
    }
}

#[test]
fn names_follow_the_rule_or_the_table() {
    let op = |id: &str, method: &str, path: &str| kernel_codegen::Operation {
        id: id.into(),
        method: method.into(),
        path: path.into(),
        tag: String::new(),
        deprecated: false,
    };
    let name =
        |o: &kernel_codegen::Operation| calls::method_name(o, calls::area_of(&o.path).unwrap());
    assert_eq!(name(&op("getBrowsers", "get", "/browsers")), "list");
    assert_eq!(name(&op("postBrowsers", "post", "/browsers")), "create");
    assert_eq!(name(&op("getBrowsersById", "get", "/browsers/{id}")), "get");
    assert_eq!(
        name(&op("patchBrowsersById", "patch", "/browsers/{id}")),
        "update"
    );
    assert_eq!(
        name(&op("x", "patch", "/org/projects/{id}/limits")),
        "update_limits"
    );
    assert_eq!(
        name(&op("x", "delete", "/invocations/{id}/browsers")),
        "delete_browsers"
    );
    assert_eq!(
        name(&op("x", "post", "/browsers/{id}/computer/click_mouse")),
        "click_mouse"
    );
    assert_eq!(
        name(&op("x", "get", "/credentials/{id_or_name}/totp-code")),
        "totp_code"
    );
    // The table wins over the rule.
    assert_eq!(
        name(&op("typeText", "post", "/browsers/{id}/computer/type")),
        "type_text"
    );
    assert_eq!(
        calls::area_of("/browsers/{id}/fs/read_file").unwrap().path,
        "browsers.fs"
    );
    assert_eq!(
        calls::area_of("/projects/{id}").unwrap().path,
        "legacy_projects"
    );
    assert!(calls::area_of("/nowhere").is_none());
}

#[test]
fn a_path_no_area_holds_is_a_clear_error() {
    let mut spec = spec();
    let item = spec["paths"]["/apps"].clone();
    let mut item = item;
    item["get"]["operationId"] = json!("getWidgets");
    spec["paths"]["/widgets"] = item;
    let (doc, report) = kernel_codegen::normalize(&spec);
    let sys = kernel_codegen::sys::generate(doc, &report).unwrap();
    let err = calls::generate(&spec, &sys).unwrap_err();
    assert!(err.contains("getWidgets") && err.contains("AREAS"), "{err}");
}

#[test]
fn deprecated_operations_get_deprecated_accessors() {
    let spec = spec();
    let layer = layer(&spec);
    let deprecated: Vec<_> = kernel_codegen::operations(&spec)
        .into_iter()
        .filter(|o| o.deprecated)
        .collect();
    assert!(!deprecated.is_empty());
    for op in deprecated {
        assert!(
            layer
                .surface
                .iter()
                .any(|l| l.ends_with(&format!(" {} deprecated", op.id))),
            "{}: accessor not marked deprecated",
            op.id
        );
    }
    // The area that holds only deprecated operations is deprecated itself.
    let kernel = &layer.kernel;
    let at = kernel
        .find("pub fn legacy_projects")
        .expect("legacy_projects accessor");
    assert!(kernel[..at]
        .rsplit("pub fn")
        .next()
        .unwrap()
        .contains("deprecated"));
}
