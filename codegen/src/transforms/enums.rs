//! String enums made open: unknown values are kept.

use crate::operations::for_each_operation;
use crate::walk::*;
use crate::{OpenEnum, Report};
use serde_json::{json, Map, Value};
use std::collections::BTreeSet;

fn is_open_enum_candidate(map: &Map<String, Value>) -> bool {
    map.get("type").and_then(Value::as_str) == Some("string")
        && map
            .get("enum")
            .and_then(Value::as_array)
            .is_some_and(|e| !e.is_empty() && e.iter().all(Value::is_string))
}

fn is_single_value(map: &Map<String, Value>) -> bool {
    map.get("enum")
        .and_then(Value::as_array)
        .is_some_and(|e| e.len() == 1)
}

fn enum_of(schema: &Value) -> OpenEnum {
    OpenEnum {
        name: String::new(),
        values: schema["enum"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
        description: schema
            .get("description")
            .and_then(Value::as_str)
            .map(str::to_string),
    }
}

/// Every string enum becomes a named component (if it was inline) and is
/// listed for replacement by an open enum. The one exception: single-value
/// enums that tag the variants of an open union stay closed, because typify
/// tells the variants apart by them. A single-value enum elsewhere (a `const`
/// region, a lifecycle `event: exit`) is opened like any other: a new value
/// from the server must not fail the whole response.
pub fn open_enums(doc: &mut Value, report: &mut Report) {
    // (variant schema, tag property) pairs that must stay closed.
    let mut tags: BTreeSet<(String, String)> = BTreeSet::new();
    for union in &report.open_unions {
        let known = &doc["components"]["schemas"][&union.known];
        for variant in known["oneOf"].as_array().into_iter().flatten() {
            if let Some(name) = ref_name(variant) {
                tags.insert((name.to_string(), union.tag.clone()));
            }
        }
    }
    // Components that are themselves enums.
    let schemas = schemas_mut(doc);
    for (name, schema) in schemas.iter() {
        if schema
            .as_object()
            .is_some_and(|m| is_open_enum_candidate(m) && !is_single_value(m))
        {
            report.open_enums.push(OpenEnum {
                name: name.clone(),
                ..enum_of(schema)
            });
        }
    }
    // Inline enums in component properties, one level deep and inside
    // `items`, named `<Schema><Property>` as typify would name them.
    let mut hoisted: Vec<(String, Value)> = Vec::new();
    let names: Vec<String> = schemas.keys().cloned().collect();
    for name in &names {
        let mut found = Vec::new();
        collect_property_enums(&schemas[name], &pascal(name), &mut found);
        found.retain(|(pointer, _)| {
            let prop = pointer.strip_prefix("/properties/").unwrap_or_default();
            !tags.contains(&(name.clone(), prop.to_string()))
        });
        for (pointer, base) in found {
            let candidate = fresh_name(schemas, &base);
            let taken = hoisted.iter().any(|(n, _)| *n == candidate);
            let target = if taken {
                format!("{candidate}{}", hoisted.len())
            } else {
                candidate
            };
            let slot = schemas
                .get_mut(name)
                .expect("name")
                .pointer_mut(&pointer)
                .expect("pointer");
            let nullable = slot["nullable"].as_bool().unwrap_or(false);
            let reference = json!({ "$ref": format!("#/components/schemas/{target}") });
            let replacement = if nullable {
                json!({ "allOf": [reference], "nullable": true })
            } else {
                reference
            };
            let schema = std::mem::replace(slot, replacement);
            hoisted.push((target, schema));
        }
    }
    for (name, schema) in hoisted {
        report.open_enums.push(OpenEnum {
            name: name.clone(),
            ..enum_of(&schema)
        });
        schemas.insert(name, strip_nullable(schema));
    }
    // Inline enums in operation parameters: `<OperationId><Param>`.
    let mut params: Vec<(String, Value)> = Vec::new();
    for_each_operation(doc, |_, _, op| {
        let id = pascal(op["operationId"].as_str().unwrap_or_default());
        let Some(list) = op.get_mut("parameters").and_then(Value::as_array_mut) else {
            return;
        };
        for p in list {
            let pname = pascal(p["name"].as_str().unwrap_or_default());
            let Some(schema) = p.get_mut("schema") else {
                continue;
            };
            if schema.as_object().is_some_and(is_open_enum_candidate) {
                let name = format!("{id}{pname}");
                params.push((name.clone(), schema.take()));
                *schema = json!({ "$ref": format!("#/components/schemas/{name}") });
            }
        }
    });
    let schemas = schemas_mut(doc);
    for (name, schema) in params {
        let name = fresh_name(schemas, &name);
        report.open_enums.push(OpenEnum {
            name: name.clone(),
            ..enum_of(&schema)
        });
        schemas.insert(name, schema);
    }
}

/// A hoisted enum that was `nullable` keeps that at the use site instead.
fn strip_nullable(mut schema: Value) -> Value {
    if let Some(map) = schema.as_object_mut() {
        map.remove("nullable");
    }
    schema
}

/// Inline enums anywhere under a component: in properties (recursively, as
/// typify nests inline structs), in `items`, and in `allOf`/`oneOf`/`anyOf`
/// members. Each is named `<Schema><Property>...` as typify would name it.
fn collect_property_enums(schema: &Value, prefix: &str, out: &mut Vec<(String, String)>) {
    collect_at(schema, "", prefix, out);
}

fn collect_at(schema: &Value, pointer: &str, name: &str, out: &mut Vec<(String, String)>) {
    if let Some(props) = schema.get("properties").and_then(Value::as_object) {
        for (prop, sub) in props {
            let escaped = prop.replace('~', "~0").replace('/', "~1");
            let here = format!("{pointer}/properties/{escaped}");
            let sub_name = format!("{name}{}", pascal(prop));
            if sub.as_object().is_some_and(is_open_enum_candidate) {
                out.push((here, sub_name));
            } else {
                collect_at(sub, &here, &sub_name, out);
            }
        }
    }
    if let Some(items) = schema.get("items") {
        let here = format!("{pointer}/items");
        if items.as_object().is_some_and(is_open_enum_candidate) {
            out.push((here, format!("{name}Item")));
        } else {
            collect_at(items, &here, &format!("{name}Item"), out);
        }
    }
    for key in ["allOf", "oneOf", "anyOf"] {
        for (i, member) in schema
            .get(key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            collect_at(member, &format!("{pointer}/{key}/{i}"), name, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::transforms::testing::*;
    use crate::*;
    use serde_json::json;

    #[test]
    fn enums_are_hoisted_and_listed() {
        let (doc, report) = run(
            open_enums,
            json!({"components": {"schemas": {
                "Mfa": {"type": "string", "enum": ["sms", "totp"]},
                "Conn": {"type": "object", "properties": {
                    "flow_step": {"type": "string", "enum": ["DISCOVERING", "AWAITING_INPUT"], "nullable": true},
                    "tag": {"type": "string", "enum": ["only"]},
                    "kinds": {"type": "array", "items": {"type": "string", "enum": ["x", "y"]}},
                    "data": {"type": "object", "properties": {"reason": {"type": "string", "enum": ["a", "b"]}}}
                }}
            }},
            "paths": {"/b": {"get": {"operationId": "getB", "parameters": [
                {"name": "status", "in": "query", "schema": {"type": "string", "enum": ["active", "all"]}}
            ]}}}}),
        );
        let names: Vec<&str> = report.open_enums.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "Mfa",
                "ConnFlowStep",
                "ConnTag",
                "ConnKindsItem",
                "ConnDataReason",
                "GetBStatus"
            ]
        );
        assert_eq!(
            report.open_enums[1].values,
            ["DISCOVERING", "AWAITING_INPUT"]
        );
        let s = &doc["components"]["schemas"];
        // The nullable inline enum stays nullable at its use site.
        assert_eq!(
            s["Conn"]["properties"]["flow_step"],
            json!({"allOf": [{"$ref": "#/components/schemas/ConnFlowStep"}], "nullable": true})
        );
        assert!(s["ConnFlowStep"].get("nullable").is_none());
        // A single-value enum that tags no union is opened too.
        assert_eq!(
            s["Conn"]["properties"]["tag"]["$ref"],
            "#/components/schemas/ConnTag"
        );
        assert_eq!(
            s["Conn"]["properties"]["kinds"]["items"]["$ref"],
            "#/components/schemas/ConnKindsItem"
        );
        assert_eq!(
            doc["paths"]["/b"]["get"]["parameters"][0]["schema"]["$ref"],
            "#/components/schemas/GetBStatus"
        );
        assert_eq!(
            s["Conn"]["properties"]["data"]["properties"]["reason"]["$ref"],
            "#/components/schemas/ConnDataReason"
        );
    }

    #[test]
    fn union_tags_stay_closed() {
        let mut doc = union_doc();
        let mut report = Report::default();
        open_unions(&mut doc, &mut report);
        open_enums(&mut doc, &mut report);
        let s = &doc["components"]["schemas"];
        // The tag of each variant is still an inline single-value enum.
        assert_eq!(s["A"]["properties"]["event"]["enum"], json!(["a"]));
        assert_eq!(s["B"]["properties"]["event"]["enum"], json!(["b"]));
        assert!(report
            .open_enums
            .iter()
            .all(|e| e.name != "AEvent" && e.name != "BEvent"));
    }
}
