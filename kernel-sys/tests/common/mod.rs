//! Spec helpers shared by the `kernel-sys` integration tests.
//!
//! The vendored spec has no whole-response examples, only property-level
//! `example:` values. [`example`] synthesizes a JSON value for any schema from
//! those (following `$ref`, `allOf`, `oneOf`), falling back to values that fit
//! the type and constraints. [`validate`] is a small JSON Schema checker for
//! the subset the spec uses, so a request body can be checked against the
//! *raw* (3.1) spec rather than against the generated types that produced it.

#![allow(dead_code)]

use serde_json::{json, Map, Value};
use std::sync::OnceLock;

/// The vendored spec as written (OpenAPI 3.1, not normalized): the crate's
/// own copy, the one the build script generated from.
pub fn spec() -> &'static Value {
    static SPEC: OnceLock<Value> = OnceLock::new();
    SPEC.get_or_init(|| {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("openapi/kernel-openapi.yaml");
        codegen::load(&path).unwrap_or_else(|e| panic!("{e}"))
    })
}

/// `components.schemas.<name>`.
pub fn component(name: &str) -> &'static Value {
    let schema = &spec()["components"]["schemas"][name];
    assert!(schema.is_object(), "no component schema {name}");
    schema
}

/// The names of every component schema, in spec order.
pub fn component_names() -> Vec<String> {
    spec()["components"]["schemas"]
        .as_object()
        .expect("schemas")
        .keys()
        .cloned()
        .collect()
}

/// Follows one local `$ref` (`#/components/...`).
pub fn resolve(schema: &Value) -> &Value {
    let mut current = schema;
    for _ in 0..16 {
        let Some(reference) = current.get("$ref").and_then(Value::as_str) else {
            return current;
        };
        let pointer = reference
            .strip_prefix('#')
            .unwrap_or_else(|| panic!("non-local $ref {reference}"));
        current = spec()
            .pointer(pointer)
            .unwrap_or_else(|| panic!("dangling $ref {reference}"));
    }
    panic!("$ref cycle at {schema}")
}

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

/// Checks `value` against `schema` (the subset of JSON Schema the spec uses:
/// `$ref`, `allOf`/`oneOf`/`anyOf`, `type` (incl. 3.1 type lists), `nullable`,
/// `enum`/`const`, `properties`/`required`/`additionalProperties`, `items`,
/// string `pattern`/lengths/`format: date-time`, numeric bounds). Returns every
/// violation, each with its JSON pointer.
pub fn validate(schema: &Value, value: &Value) -> Result<(), Vec<String>> {
    let mut errors = Vec::new();
    check(schema, value, "", &mut errors);
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

fn check(schema: &Value, value: &Value, at: &str, errors: &mut Vec<String>) {
    if schema.get("$ref").is_some() {
        // A 3.1 `$ref` may carry `nullable`-like siblings.
        if value.is_null() && schema.get("nullable") == Some(&Value::Bool(true)) {
            return;
        }
        return check(resolve(schema), value, at, errors);
    }
    if value.is_null()
        && (schema.get("nullable") == Some(&Value::Bool(true))
            || types_of(schema).contains(&"null"))
    {
        return;
    }
    if let Some(all) = schema.get("allOf").and_then(Value::as_array) {
        for part in all {
            check(part, value, at, errors);
        }
    }
    for (key, exactly_one) in [("oneOf", true), ("anyOf", false)] {
        if let Some(variants) = schema.get(key).and_then(Value::as_array) {
            let matching = variants
                .iter()
                .filter(|v| {
                    let mut e = Vec::new();
                    check(v, value, at, &mut e);
                    e.is_empty()
                })
                .count();
            if (exactly_one && matching != 1) || (!exactly_one && matching == 0) {
                errors.push(format!(
                    "{at}: {matching} of the {key} alternatives match {value}"
                ));
            }
        }
    }
    if let Some(e) = schema.get("enum").and_then(Value::as_array) {
        if !e.contains(value) {
            errors.push(format!("{at}: {value} is not one of {e:?}"));
        }
    }
    if let Some(c) = schema.get("const") {
        if c != value {
            errors.push(format!("{at}: {value} is not the const {c}"));
        }
    }
    let types = types_of(schema);
    if !types.is_empty() {
        let ok = types.iter().any(|t| match *t {
            "object" => value.is_object(),
            "array" => value.is_array(),
            "string" => value.is_string(),
            "integer" => value.is_i64() || value.is_u64(),
            "number" => value.is_number(),
            "boolean" => value.is_boolean(),
            "null" => value.is_null(),
            _ => true,
        });
        if !ok {
            errors.push(format!("{at}: {value} is not of type {types:?}"));
            return;
        }
    }
    match value {
        Value::Object(map) => {
            for r in required(schema) {
                if !map.contains_key(r) {
                    errors.push(format!("{at}: missing required property `{r}`"));
                }
            }
            let props = schema.get("properties").and_then(Value::as_object);
            for (k, v) in map {
                let here = format!("{at}/{k}");
                match props.and_then(|p| p.get(k)) {
                    Some(sub) => check(sub, v, &here, errors),
                    None => match schema.get("additionalProperties") {
                        Some(Value::Bool(false)) => {
                            errors.push(format!("{here}: property not allowed"))
                        }
                        Some(extra @ Value::Object(_)) => check(extra, v, &here, errors),
                        _ => {}
                    },
                }
            }
        }
        Value::Array(items) => {
            if let Some(item_schema) = schema.get("items") {
                for (i, item) in items.iter().enumerate() {
                    check(item_schema, item, &format!("{at}/{i}"), errors);
                }
            }
            if let Some(min) = schema.get("minItems").and_then(Value::as_u64) {
                if (items.len() as u64) < min {
                    errors.push(format!("{at}: fewer than {min} items"));
                }
            }
            if let Some(max) = schema.get("maxItems").and_then(Value::as_u64) {
                if (items.len() as u64) > max {
                    errors.push(format!("{at}: more than {max} items"));
                }
            }
        }
        Value::String(s) => {
            if let Some(pattern) = schema.get("pattern").and_then(Value::as_str) {
                let re = regress::Regex::new(pattern).expect("pattern");
                if re.find(s).is_none() {
                    errors.push(format!("{at}: {s:?} does not match {pattern}"));
                }
            }
            let len = s.chars().count() as u64;
            if schema
                .get("minLength")
                .and_then(Value::as_u64)
                .is_some_and(|m| len < m)
            {
                errors.push(format!("{at}: {s:?} is too short"));
            }
            if schema
                .get("maxLength")
                .and_then(Value::as_u64)
                .is_some_and(|m| len > m)
            {
                errors.push(format!("{at}: {s:?} is too long"));
            }
            if schema.get("format").and_then(Value::as_str) == Some("date-time")
                && chrono::DateTime::parse_from_rfc3339(s).is_err()
            {
                errors.push(format!("{at}: {s:?} is not an RFC 3339 date-time"));
            }
        }
        Value::Number(n) => {
            let x = n.as_f64().expect("finite");
            if schema
                .get("minimum")
                .and_then(Value::as_f64)
                .is_some_and(|m| x < m)
            {
                errors.push(format!("{at}: {x} is below the minimum"));
            }
            if schema
                .get("maximum")
                .and_then(Value::as_f64)
                .is_some_and(|m| x > m)
            {
                errors.push(format!("{at}: {x} is above the maximum"));
            }
        }
        _ => {}
    }
}

/// One operation of the raw spec.
pub struct SpecOp {
    pub id: String,
    pub method: String,
    pub path: String,
    pub tag: String,
    pub op: &'static Value,
    /// Path-level and operation-level parameters, `$ref`s resolved.
    pub params: Vec<&'static Value>,
}

/// Every operation of the spec.
pub fn spec_operations() -> Vec<SpecOp> {
    codegen::operations(spec())
        .into_iter()
        .map(|o| {
            let item = &spec()["paths"][&o.path];
            let op = &item[&o.method];
            let params = item["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .chain(op["parameters"].as_array().into_iter().flatten())
                .map(resolve)
                .collect();
            SpecOp {
                id: o.id,
                method: o.method,
                path: o.path,
                tag: o.tag,
                op,
                params,
            }
        })
        .collect()
}

/// The operation with this `operationId`.
pub fn spec_operation(id: &str) -> SpecOp {
    spec_operations()
        .into_iter()
        .find(|o| o.id == id)
        .unwrap_or_else(|| panic!("no operation {id} in the spec"))
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

    /// The JSON request body schema, if the operation takes one.
    pub fn json_body_schema(&self) -> Option<&'static Value> {
        self.op
            .pointer("/requestBody/content/application~1json/schema")
    }

    /// The request body content types the spec allows.
    pub fn body_content_types(&self) -> Vec<String> {
        self.op
            .pointer("/requestBody/content")
            .and_then(Value::as_object)
            .map(|c| c.keys().cloned().collect())
            .unwrap_or_default()
    }

    /// The schema of the parameter `name` in `location`.
    pub fn param(&self, location: &str, name: &str) -> Option<&'static Value> {
        self.params.iter().copied().find(|p| {
            p["in"] == location
                && p["name"]
                    .as_str()
                    .is_some_and(|n| n.eq_ignore_ascii_case(name))
        })
    }

    /// The path with `{name}` placeholders filled from `values`.
    pub fn fill_path(&self, values: &[(&str, &str)]) -> String {
        let mut path = self.path.clone();
        for (name, value) in values {
            let placeholder = format!("{{{name}}}");
            assert!(
                path.contains(&placeholder),
                "{} has no path parameter {name}",
                self.path
            );
            path = path.replace(&placeholder, value);
        }
        assert!(!path.contains('{'), "unfilled path parameter in {path}");
        path
    }
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
