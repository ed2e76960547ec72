//! Invalid input: a malformed new spec is a clear error.

use crate::{op, schema, vendored};
use serde_json::json;

#[test]
fn malformed_new_spec_is_a_clear_error() {
    let not_yaml = xtask::parse_spec("openapi: [3.1.0\n", "new.yaml").unwrap_err();
    assert!(matches!(not_yaml, xtask::SpecError::Unreadable(_)));
    assert!(
        not_yaml.to_string().starts_with("new.yaml: not YAML/JSON"),
        "{not_yaml}"
    );

    let mut doc = vendored();
    op(&mut doc, "getBrowsers")
        .as_object_mut()
        .unwrap()
        .remove("responses");
    op(&mut doc, "getProxies")["operationId"] = json!("getBrowsersById");
    schema(&mut doc, "Browser")["properties"]["pool"]["$ref"] =
        json!("#/components/schemas/NoSuchPool");
    doc["openapi"] = json!("3.0.3");
    let text = serde_json::to_string(&doc).unwrap();
    let error = xtask::parse_spec(&text, "new.json")
        .unwrap_err()
        .to_string();
    for expected in [
        "new.json is not a valid OpenAPI 3.1 document:",
        "openapi: expected a 3.1.x version, found `3.0.3`",
        "GET /browsers (getBrowsers): no responses",
        "operationId `getBrowsersById` is used by 2 operations",
        "#/components/schemas/Browser/properties/pool: $ref `#/components/schemas/NoSuchPool` does not resolve",
    ] {
        assert!(error.contains(expected), "missing {expected:?} in:\n{error}");
    }
}
