//! A JSON example for any schema of the spec.
//!
//! The spec has no whole-response examples, only property-level `example:`
//! values. [`example`] builds a value from those (following `$ref`, `allOf`,
//! `oneOf`), falling back to values that fit the type and constraints.

use crate::schema::validate;
use crate::spec::{component, resolve, spec, SpecOp};
use serde_json::{json, Map, Value};

/// A synthesized example for the component schema `name`.
pub fn example_of(name: &str) -> Value {
    example(component(name))
}

/// A synthesized example for `schema`: the spec's `example` where there is
/// one, otherwise a value that fits the type and constraints. Objects get
/// every property (required or not), arrays one item.
///
/// A spec `example` that is invalid against its own schema (see
/// [`invalid_spec_examples`]) is not used: the value is synthesized instead.
/// A property that would recurse into a schema being synthesized is left out
/// (it is optional in the spec: `BrowserCallStack.parent`).
pub fn example(schema: &Value) -> Value {
    synth(schema, &mut Vec::new()).expect("the top-level schema is not recursive")
}

fn types_of(schema: &Value) -> Vec<&str> {
    match schema.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

fn primary_type(schema: &Value) -> Option<&str> {
    let types = types_of(schema);
    types
        .iter()
        .copied()
        .find(|t| *t != "null")
        .or(types.first().copied())
}

/// `None`: the schema recurses into one on `stack`.
fn synth(schema: &Value, stack: &mut Vec<String>) -> Option<Value> {
    let given = schema.get("example").or_else(|| {
        schema
            .get("examples")
            .and_then(Value::as_array)
            .and_then(|e| e.first())
    });
    if let Some(e) = given {
        if validate(schema, e).is_ok() {
            return Some(e.clone());
        }
    }
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        if stack.iter().any(|r| r == reference) {
            return None;
        }
        stack.push(reference.to_string());
        let value = synth(resolve(schema), stack);
        stack.pop();
        return value;
    }
    synth_inner(schema, stack)
}

fn synth_inner(schema: &Value, stack: &mut Vec<String>) -> Option<Value> {
    if let Some(c) = schema.get("const") {
        return Some(c.clone());
    }
    if let Some(e) = schema.get("enum").and_then(Value::as_array) {
        if let Some(first) = e.iter().find(|v| !v.is_null()) {
            return Some(first.clone());
        }
    }
    if let Some(all) = schema.get("allOf").and_then(Value::as_array) {
        let mut merged = Value::Null;
        for part in all {
            let value = synth(part, stack)?;
            merged = match (merged, value) {
                (Value::Object(mut a), Value::Object(b)) => {
                    a.extend(b);
                    Value::Object(a)
                }
                (Value::Null, v) => v,
                (a, Value::Null) => a,
                (_, v) => v,
            };
        }
        if schema.get("properties").is_none() {
            return Some(merged);
        }
        let mut own = synth_object(schema, stack)?;
        if let (Value::Object(own_map), Value::Object(m)) = (&mut own, merged) {
            for (k, v) in m {
                own_map.entry(k).or_insert(v);
            }
        }
        return Some(own);
    }
    if schema.get("properties").is_some() || primary_type(schema) == Some("object") {
        return synth_object(schema, stack);
    }
    if let Some(variants) = schema
        .get("oneOf")
        .or(schema.get("anyOf"))
        .and_then(Value::as_array)
    {
        return synth(&variants[0], stack);
    }
    let value = match primary_type(schema) {
        Some("array") => {
            let item = match schema.get("items") {
                Some(items) => synth(items, stack)?,
                None => json!("item"),
            };
            let min = schema
                .get("minItems")
                .and_then(Value::as_u64)
                .unwrap_or(1)
                .max(1);
            Value::Array(vec![item; min as usize])
        }
        Some("string") => synth_string(schema),
        Some("integer") => {
            if let Some(d) = schema.get("default").filter(|d| d.is_i64() || d.is_u64()) {
                return Some(d.clone());
            }
            let min = schema.get("minimum").and_then(Value::as_i64);
            let max = schema.get("maximum").and_then(Value::as_i64);
            match (min, max) {
                (Some(lo), _) => json!(lo.max(1).min(max.unwrap_or(i64::MAX))),
                (None, Some(hi)) => json!(1.min(hi)),
                (None, None) => json!(1),
            }
        }
        Some("number") => schema.get("default").cloned().unwrap_or_else(|| {
            let min = schema.get("minimum").and_then(Value::as_f64).unwrap_or(0.0);
            json!(min.max(1.5))
        }),
        Some("boolean") => schema.get("default").cloned().unwrap_or(json!(true)),
        Some("null") => Value::Null,
        // An untyped schema (`{}` or description only): any JSON.
        _ => json!({ "any": "value" }),
    };
    Some(value)
}

fn synth_object(schema: &Value, stack: &mut Vec<String>) -> Option<Value> {
    let mut out = Map::new();
    let props = schema.get("properties").and_then(Value::as_object);
    let required_here = required(schema);
    // A `oneOf` of `required` lists (e.g. "provide either id or name"):
    // take the first alternative and leave out what only the others require,
    // so exactly one alternative matches.
    let mut excluded: Vec<&str> = Vec::new();
    let mut variant_props: Option<&Map<String, Value>> = None;
    if let Some(variants) = schema.get("oneOf").and_then(Value::as_array) {
        let chosen = resolve(&variants[0]);
        let chosen_required: Vec<&str> = required(chosen);
        for other in &variants[1..] {
            for r in required(resolve(other)) {
                if !chosen_required.contains(&r) {
                    excluded.push(r);
                }
            }
            if let Some(p) = resolve(other).get("properties").and_then(Value::as_object) {
                excluded.extend(
                    p.keys()
                        .map(String::as_str)
                        .filter(|k| !chosen_required.contains(k)),
                );
            }
        }
        variant_props = chosen.get("properties").and_then(Value::as_object);
    }
    for map in props.into_iter().chain(variant_props) {
        for (name, sub) in map {
            if excluded.contains(&name.as_str()) {
                continue;
            }
            match synth(sub, stack) {
                Some(value) => {
                    out.insert(name.clone(), value);
                }
                // A recursive property: left out if optional.
                None if !required_here.contains(&name.as_str()) => {}
                None => return None,
            }
        }
    }
    if out.is_empty() {
        if let Some(extra) = schema.get("additionalProperties").filter(|a| a.is_object()) {
            out.insert("key".into(), synth(extra, stack)?);
        }
    }
    Some(Value::Object(out))
}

fn required(schema: &Value) -> Vec<&str> {
    schema
        .get("required")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect()
}

fn synth_string(schema: &Value) -> Value {
    if let Some(d) = schema.get("default").filter(|d| d.is_string()) {
        return d.clone();
    }
    let candidate = match schema.get("format").and_then(Value::as_str) {
        Some("date-time") => "2025-01-02T03:04:05Z",
        Some("date") => "2025-01-02",
        Some("uuid") => "6f1c1a5e-0b8e-4d3b-9a51-2f1f0d9b7c11",
        Some("uri") | Some("url") => "https://example.com/",
        Some("email") => "user@example.com",
        Some("binary") | Some("byte") => "aGVsbG8=",
        _ => "example",
    };
    let Some(pattern) = schema.get("pattern").and_then(Value::as_str) else {
        return json!(candidate);
    };
    let re = regress::Regex::new(pattern).unwrap_or_else(|e| panic!("bad pattern {pattern}: {e}"));
    let fits = [candidate, "example", "/tmp/example", "0755", "a"]
        .into_iter()
        .find(|c| re.find(c).is_some());
    json!(fits.unwrap_or_else(|| panic!(
        "no synthesized string fits the pattern {pattern}: add a candidate"
    )))
}

/// Every `example` in the spec that is invalid against the schema it is
/// attached to, as `(JSON pointer, example)`.
pub fn invalid_spec_examples() -> Vec<(String, Value)> {
    fn walk(v: &Value, at: &str, out: &mut Vec<(String, Value)>) {
        match v {
            Value::Object(map) => {
                if let Some(e) = map.get("example") {
                    // Only where the mapping is a schema (has a type or a $ref).
                    let is_schema = ["type", "$ref", "allOf", "oneOf", "enum", "format"]
                        .iter()
                        .any(|k| map.contains_key(*k));
                    if is_schema && validate(v, e).is_err() {
                        out.push((format!("{at}/example"), e.clone()));
                    }
                }
                for (k, child) in map {
                    if k != "example" && k != "examples" {
                        walk(
                            child,
                            &format!("{at}/{}", k.replace('~', "~0").replace('/', "~1")),
                            out,
                        );
                    }
                }
            }
            Value::Array(items) => {
                for (i, child) in items.iter().enumerate() {
                    walk(child, &format!("{at}/{i}"), out);
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(spec(), "", &mut out);
    out
}

impl SpecOp {
    /// The success response progenitor keeps (the first 2xx with a body,
    /// else the first 2xx): its status and, for a JSON body, an example.
    pub fn primary_response(&self) -> (u16, Option<Value>) {
        let responses = self.op["responses"].as_object().expect("responses");
        let success: Vec<(&String, &Value)> = responses
            .iter()
            .filter(|(s, _)| s.starts_with('2'))
            .collect();
        let (status, response) = success
            .iter()
            .find(|(_, r)| r.get("content").is_some())
            .or(success.first())
            .copied()
            .unwrap_or_else(|| panic!("{} has no 2xx response", self.id));
        let body = response
            .pointer("/content/application~1json/schema")
            .map(example);
        (status.parse().expect("numeric status"), body)
    }
}
