//! The spec's response schemas as JSON Schema validators.

use std::collections::HashMap;

use kernel_mock::spec::SpecOperation;
use serde_json::{json, Map, Value};

fn load_spec() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../openapi/kernel-openapi.yaml"
    );
    let text = std::fs::read_to_string(path).expect("read spec");
    serde_norway::from_str(&text).expect("parse spec")
}

/// Converts OpenAPI 3.0-isms: `nullable: true` becomes a `type` list (plus
/// `null` in an `enum`), or an `anyOf` with `{"type": "null"}` when there is
/// no `type`.
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

pub struct Schemas {
    spec: Value,
    components: Value,
    cache: HashMap<(String, String, bool), Option<jsonschema::Validator>>,
}

impl Schemas {
    pub fn new() -> Self {
        let spec = load_spec();
        let components = convert(&spec["components"]);
        Schemas {
            spec,
            components,
            cache: HashMap::new(),
        }
    }

    pub fn resolve<'a>(&'a self, value: &'a Value) -> &'a Value {
        match value.get("$ref").and_then(Value::as_str) {
            Some(reference) => {
                let pointer = reference.trim_start_matches('#');
                self.spec
                    .pointer(pointer)
                    .unwrap_or_else(|| panic!("unresolvable {reference}"))
            }
            None => value,
        }
    }

    /// The documented response of `op` for `status` (or `default`).
    pub fn response(&self, op: &SpecOperation, status: u16) -> Option<&Value> {
        let responses = &self.spec["paths"][op.path][op.method.to_ascii_lowercase()]["responses"];
        let response = responses
            .get(status.to_string())
            .or_else(|| responses.get("default"))?;
        Some(self.resolve(response))
    }

    /// The media types the spec documents for `op`/`status`.
    pub fn media_types(&self, op: &SpecOperation, status: u16) -> Vec<String> {
        self.response(op, status)
            .and_then(|r| r.get("content"))
            .and_then(Value::as_object)
            .map(|content| content.keys().cloned().collect())
            .unwrap_or_default()
    }

    /// A validator for the body of `op`/`status` in `media` (`None`: the
    /// response documents no body).
    pub fn validator(
        &mut self,
        op: &SpecOperation,
        status: u16,
        stream: bool,
    ) -> Option<&jsonschema::Validator> {
        let key = (op.id.to_owned(), status.to_string(), stream);
        if !self.cache.contains_key(&key) {
            let media = if stream {
                "text/event-stream"
            } else {
                "application/json"
            };
            let schema = self
                .response(op, status)
                .and_then(|r| r["content"][media].get("schema"))
                .cloned();
            let validator = schema.map(|schema| {
                let mut root = match convert(&schema) {
                    Value::Object(map) => map,
                    other => panic!("schema of {} {status} is not an object: {other}", op.id),
                };
                root.insert(
                    "$schema".into(),
                    json!("https://json-schema.org/draft/2020-12/schema"),
                );
                root.insert("components".into(), self.components.clone());
                jsonschema::draft202012::options()
                    .should_validate_formats(true)
                    .build(&Value::Object(root))
                    .unwrap_or_else(|e| panic!("schema of {} {status}: {e}", op.id))
            });
            self.cache.insert(key.clone(), validator);
        }
        self.cache.get(&key).and_then(Option::as_ref)
    }

    pub fn error_validator() -> jsonschema::Validator {
        let components = convert(&load_spec()["components"]);
        let root = json!({ "$ref": "#/components/schemas/Error", "components": components });
        jsonschema::draft202012::options()
            .should_validate_formats(true)
            .build(&root)
            .expect("Error schema")
    }
}
