//! 3.1 constructs the generator cannot read, and typify shapes that would
//! lose data.

use super::unions::union_tag;
use crate::walk::*;
use crate::Report;
use serde_json::{json, Map, Value};
use std::collections::BTreeSet;

/// `openapi: 3.1.x` → `3.0.3`.
pub fn downgrade_version(doc: &mut Value, _: &mut Report) {
    if doc["openapi"]
        .as_str()
        .is_some_and(|v| v.starts_with("3.1"))
    {
        doc["openapi"] = json!("3.0.3");
    }
}

/// `const: v` → `enum: [v]`.
pub fn const_to_enum(doc: &mut Value, _: &mut Report) {
    walk_mut(doc, &mut |map| {
        if let Some(c) = map.remove("const") {
            map.insert("enum".into(), json!([c]));
        }
    });
}

/// `$ref` + `nullable` → `allOf: [{$ref}]` + `nullable`; other siblings of
/// `$ref` are dropped as openapiv3 would, but on purpose.
pub fn ref_siblings(doc: &mut Value, _: &mut Report) {
    walk_mut(doc, &mut |map| {
        if !map.contains_key("$ref") || map.len() == 1 {
            return;
        }
        let reference = map.remove("$ref").expect("checked");
        let nullable = map
            .get("nullable")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        map.clear();
        if nullable {
            map.insert("allOf".into(), json!([{ "$ref": reference }]));
            map.insert("nullable".into(), json!(true));
        } else {
            map.insert("$ref".into(), reference);
        }
    });
}

/// Removes `contentEncoding` (3.1 only).
pub fn drop_content_encoding(doc: &mut Value, _: &mut Report) {
    walk_mut(doc, &mut |map| {
        if map.get("type").is_some() || map.get("format").is_some() {
            map.remove("contentEncoding");
        }
    });
}

/// Removes `additionalProperties: false` so typify does not emit
/// `deny_unknown_fields`.
pub fn allow_unknown_fields(doc: &mut Value, _: &mut Report) {
    walk_mut(doc, &mut |map| {
        if map.get("additionalProperties") == Some(&Value::Bool(false)) {
            map.remove("additionalProperties");
        }
    });
}

/// Drops `oneOf`s whose members are only `required` lists.
pub fn required_only_one_of(doc: &mut Value, _: &mut Report) {
    walk_mut(doc, &mut |map| {
        let only_required = map
            .get("oneOf")
            .and_then(Value::as_array)
            .is_some_and(|members| {
                members.iter().all(|m| {
                    m.as_object()
                        .is_some_and(|m| m.keys().all(|k| k == "required" || k == "description"))
                })
            });
        if only_required && map.contains_key("properties") {
            map.remove("oneOf");
        }
    });
}

/// Removes `default` from properties that are not required.
pub fn drop_property_defaults(doc: &mut Value, _: &mut Report) {
    walk_mut(doc, &mut |map| {
        let required: BTreeSet<String> = map
            .get("required")
            .and_then(Value::as_array)
            .map(|r| {
                r.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        if let Some(props) = map.get_mut("properties").and_then(Value::as_object_mut) {
            for (name, prop) in props.iter_mut() {
                if !required.contains(name) {
                    if let Some(prop) = prop.as_object_mut() {
                        prop.remove("default");
                    }
                }
            }
        }
    });
}

/// Replaces untagged `oneOf`s of object `$ref`s by the merge of their
/// properties, all optional.
pub fn merge_untagged_object_unions(doc: &mut Value, _: &mut Report) {
    let schemas = doc["components"]["schemas"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    let mut merges: Vec<(String, Value)> = Vec::new();
    fn visit(
        v: &Value,
        pointer: String,
        schemas: &Map<String, Value>,
        out: &mut Vec<(String, Value)>,
    ) {
        match v {
            Value::Object(map) => {
                if let Some(members) = map.get("oneOf").and_then(Value::as_array) {
                    let objects: Option<Vec<&Value>> = members
                        .iter()
                        .map(|m| {
                            ref_name(m)
                                .and_then(|n| schemas.get(n))
                                .filter(|s| s.get("properties").is_some())
                        })
                        .collect();
                    if let Some(objects) = objects.filter(|o| o.len() > 1) {
                        if union_tag(schemas, members).is_none() {
                            let mut properties = Map::new();
                            for object in &objects {
                                for (name, prop) in
                                    object["properties"].as_object().into_iter().flatten()
                                {
                                    properties
                                        .entry(name.clone())
                                        .or_insert_with(|| prop.clone());
                                }
                            }
                            let mut merged = json!({ "type": "object", "properties": properties });
                            if let Some(d) = map.get("description") {
                                merged["description"] = d.clone();
                            }
                            out.push((pointer.clone(), merged));
                        }
                    }
                }
                for (k, child) in map {
                    visit(
                        child,
                        format!("{pointer}/{}", k.replace('~', "~0").replace('/', "~1")),
                        schemas,
                        out,
                    );
                }
            }
            Value::Array(items) => {
                for (i, child) in items.iter().enumerate() {
                    visit(child, format!("{pointer}/{i}"), schemas, out);
                }
            }
            _ => {}
        }
    }
    // Component-level unions are left to `open_unions`; properties and
    // request/response bodies are merged.
    for (name, schema) in &schemas {
        let base = format!(
            "/components/schemas/{}",
            name.replace('~', "~0").replace('/', "~1")
        );
        for (key, child) in schema.as_object().into_iter().flatten() {
            if key != "oneOf" {
                visit(child, format!("{base}/{key}"), &schemas, &mut merges);
            }
        }
    }
    for (pointer, merged) in merges {
        if let Some(slot) = doc.pointer_mut(&pointer) {
            *slot = merged;
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::transforms::testing::*;
    use crate::*;
    use serde_json::json;

    #[test]
    fn downgrade_version_only_touches_3_1() {
        assert_eq!(
            run(downgrade_version, json!({"openapi": "3.1.0"})).0["openapi"],
            "3.0.3"
        );
        assert_eq!(
            run(downgrade_version, json!({"openapi": "3.0.1"})).0["openapi"],
            "3.0.1"
        );
    }

    #[test]
    fn const_becomes_single_value_enum() {
        let (doc, _) = run(
            const_to_enum,
            json!({"properties": {"event": {"type": "string", "const": "log"}}}),
        );
        assert_eq!(
            doc["properties"]["event"],
            json!({"type": "string", "enum": ["log"]})
        );
    }

    #[test]
    fn nullable_ref_sibling_is_kept_through_all_of() {
        let (doc, _) = run(
            ref_siblings,
            json!({"a": {"$ref": "#/components/schemas/T", "nullable": true, "description": "d"},
                   "b": {"$ref": "#/components/schemas/T", "description": "d"},
                   "c": {"$ref": "#/components/schemas/T"}}),
        );
        assert_eq!(
            doc["a"],
            json!({"allOf": [{"$ref": "#/components/schemas/T"}], "nullable": true})
        );
        assert_eq!(doc["b"], json!({"$ref": "#/components/schemas/T"}));
        assert_eq!(doc["c"], json!({"$ref": "#/components/schemas/T"}));
    }

    #[test]
    fn content_encoding_is_dropped() {
        let (doc, _) = run(
            drop_content_encoding,
            json!({"png": {"type": "string", "contentEncoding": "base64"}}),
        );
        assert_eq!(doc["png"], json!({"type": "string"}));
    }

    #[test]
    fn additional_properties_false_is_removed_but_maps_stay() {
        let (doc, _) = run(
            allow_unknown_fields,
            json!({"a": {"type": "object", "additionalProperties": false},
                   "m": {"type": "object", "additionalProperties": {"type": "string"}}}),
        );
        assert_eq!(doc["a"], json!({"type": "object"}));
        assert_eq!(doc["m"]["additionalProperties"], json!({"type": "string"}));
    }

    #[test]
    fn required_only_one_of_is_dropped() {
        let (doc, _) = run(
            required_only_one_of,
            json!({"p": {"type": "object", "properties": {"id": {"type": "string"}, "name": {"type": "string"}},
                         "oneOf": [{"required": ["id"]}, {"required": ["name"]}]},
                   "u": {"type": "object", "properties": {"a": {"type": "string"}},
                         "oneOf": [{"required": ["a"], "properties": {"a": {"type": "string"}}}, {"required": ["b"]}]}}),
        );
        assert!(doc["p"].get("oneOf").is_none());
        assert!(doc["p"]["properties"]["name"].is_object());
        // A oneOf whose members carry schemas is a real union: kept.
        assert!(doc["u"]["oneOf"].is_array());
    }

    #[test]
    fn optional_defaults_are_dropped() {
        let (doc, _) = run(
            drop_property_defaults,
            json!({"type": "object", "required": ["size"], "properties": {
                "size": {"type": "integer", "default": 1},
                "fill_rate": {"type": "integer", "default": 10}}}),
        );
        assert_eq!(
            doc["properties"]["size"]["default"], 1,
            "a required default stays"
        );
        assert!(doc["properties"]["fill_rate"].get("default").is_none());
    }

    #[test]
    fn untagged_object_unions_are_merged() {
        let (doc, _) = run(
            merge_untagged_object_unions,
            json!({"components": {"schemas": {
                "P": {"type": "object", "properties": {"config": {"oneOf": [
                    {"$ref": "#/components/schemas/A"}, {"$ref": "#/components/schemas/B"}]}}},
                "A": {"type": "object", "properties": {"country": {"type": "string"}}},
                "B": {"type": "object", "required": ["host"], "properties": {"host": {"type": "string"}, "country": {"type": "string"}}},
                "T": {"type": "object", "properties": {"ev": {"oneOf": [
                    {"$ref": "#/components/schemas/X"}, {"$ref": "#/components/schemas/Y"}]}}},
                "X": {"type": "object", "required": ["k"], "properties": {"k": {"type": "string", "enum": ["x"]}}},
                "Y": {"type": "object", "required": ["k"], "properties": {"k": {"type": "string", "enum": ["y"]}}}
            }}}),
        );
        let config = &doc["components"]["schemas"]["P"]["properties"]["config"];
        assert!(config.get("oneOf").is_none());
        assert_eq!(
            config["properties"]
                .as_object()
                .unwrap()
                .keys()
                .collect::<Vec<_>>(),
            ["country", "host"]
        );
        assert!(
            config.get("required").is_none(),
            "every merged property is optional"
        );
        // A tagged union is left alone.
        assert!(doc["components"]["schemas"]["T"]["properties"]["ev"]["oneOf"].is_array());
    }
}
