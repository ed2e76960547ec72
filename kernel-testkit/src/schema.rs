//! Values checked against the spec's schemas with the `jsonschema` crate
//! (draft 2020-12, formats checked).
//!
//! The spec is OpenAPI 3.1 but keeps 3.0's `nullable: true`; [`convert`]
//! turns it into JSON Schema. The converted `components` are registered once
//! per process under [`SPEC_URI`], and each validator's `$ref`s point there,
//! so building a validator does not copy the spec.

use jsonschema::{Draft, Registry};

pub use jsonschema::Validator;
use serde_json::{json, Map, Value};
use std::sync::OnceLock;

/// Where the converted spec is registered for `$ref`s to resolve against.
pub const SPEC_URI: &str = "urn:kernel:openapi";

/// Converts OpenAPI 3.0-isms to JSON Schema: `nullable: true` becomes a
/// `type` list with `"null"` (and `null` in an `enum`), or an `anyOf` with
/// `{"type": "null"}` when there is no `type` (a `$ref`).
pub fn convert(value: &Value) -> Value {
    match value {
        Value::Array(items) => Value::Array(items.iter().map(convert).collect()),
        Value::Object(map) => {
            let nullable = map.get("nullable") == Some(&Value::Bool(true));
            let mut out = Map::new();
            for (key, child) in map {
                if key == "nullable" && child.is_boolean() {
                    continue;
                }
                out.insert(key.clone(), convert(child));
            }
            if !nullable {
                return Value::Object(out);
            }
            match out.get_mut("type") {
                Some(Value::String(t)) => {
                    let t = t.clone();
                    out.insert("type".into(), json!([t, "null"]));
                    if let Some(Value::Array(values)) = out.get_mut("enum") {
                        values.push(Value::Null);
                    }
                    Value::Object(out)
                }
                Some(Value::Array(types)) => {
                    types.push(json!("null"));
                    Value::Object(out)
                }
                _ => json!({ "anyOf": [Value::Object(out), { "type": "null" }] }),
            }
        }
        other => other.clone(),
    }
}

/// Points every local `$ref` (`#/...`) at the registered spec.
fn anchor(value: &mut Value) {
    match value {
        Value::Array(items) => items.iter_mut().for_each(anchor),
        Value::Object(map) => {
            for (key, child) in map.iter_mut() {
                match child {
                    Value::String(reference) if key == "$ref" && reference.starts_with('#') => {
                        *reference = format!("{SPEC_URI}{reference}");
                    }
                    _ => anchor(child),
                }
            }
        }
        _ => {}
    }
}

fn registry() -> &'static Registry<'static> {
    static REGISTRY: OnceLock<Registry<'static>> = OnceLock::new();
    static DOCUMENT: OnceLock<Value> = OnceLock::new();
    REGISTRY.get_or_init(|| {
        let document = DOCUMENT
            .get_or_init(|| json!({ "components": convert(&crate::spec::spec()["components"]) }));
        Registry::new()
            .draft(Draft::Draft202012)
            .add(SPEC_URI, document)
            .and_then(|builder| builder.prepare())
            .unwrap_or_else(|e| panic!("the spec's components do not register: {e}"))
    })
}

/// A validator for `schema`, a schema of the spec (or one written like
/// them, whose `$ref`s name the spec's components).
pub fn validator(schema: &Value) -> Validator {
    let mut root = convert(schema);
    anchor(&mut root);
    if let Value::Object(map) = &mut root {
        map.insert(
            "$schema".into(),
            json!("https://json-schema.org/draft/2020-12/schema"),
        );
    }
    jsonschema::options()
        .with_draft(Draft::Draft202012)
        .with_registry(registry())
        .should_validate_formats(true)
        .build(&root)
        .unwrap_or_else(|e| panic!("the schema does not compile: {e}\n{schema}"))
}

/// Checks `value` against `schema`. Returns every violation, each with the
/// JSON pointer of the offending value.
pub fn validate(schema: &Value, value: &Value) -> Result<(), Vec<String>> {
    let validator = validator(schema);
    let errors: Vec<String> = validator
        .iter_errors(value)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}
