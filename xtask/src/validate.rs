//! Is a document an OpenAPI 3.1 spec this SDK can be generated from?
//!
//! [`validate`] checks the shape the rest of the tooling relies on (so drift,
//! the surface and codegen's transforms never meet a surprise), every local
//! `$ref` and the uniqueness of operation ids. [`check_generator`] goes one
//! step further: the normalized view must deserialize the way progenitor
//! reads it, so `update-spec` can reject a document before vendoring it
//! rather than after a failed build.

use crate::schema::{child_ptr, deref, resolve_ref};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet};

/// Problems past this many are summarized: the first ones are enough to act on.
const MAX_PROBLEMS: usize = 50;

const PARAMETER_LOCATIONS: [&str; 4] = ["query", "header", "path", "cookie"];

/// Checks `doc`; on failure returns every problem found, one message each
/// (located by operation or JSON pointer).
pub fn validate(doc: &Value) -> Result<(), Vec<String>> {
    let mut problems = Vec::new();
    check_document(doc, &mut problems);
    if problems.is_empty() {
        return Ok(());
    }
    if problems.len() > MAX_PROBLEMS {
        let more = problems.len() - MAX_PROBLEMS;
        problems.truncate(MAX_PROBLEMS);
        problems.push(format!("... and {more} more"));
    }
    Err(problems)
}

/// Normalizes `doc` with `codegen::normalize` and deserializes the result as
/// progenitor does (`openapiv3::OpenAPI`). `doc` must have passed [`validate`].
pub fn check_generator(doc: &Value) -> Result<(), String> {
    let normalized = std::panic::catch_unwind(|| codegen::normalize(doc).0)
        .map_err(|_| "codegen::normalize panicked on this document".to_string())?;
    serde_path_to_error::deserialize::<_, openapiv3::OpenAPI>(normalized)
        .map(|_| ())
        .map_err(|e| {
            format!(
                "the normalized view is not OpenAPI 3.0 as progenitor reads it, at {}: {} \
             (a 3.1 construct codegen's transforms do not handle yet?)",
                e.path(),
                e.inner()
            )
        })
}

fn check_document(doc: &Value, problems: &mut Vec<String>) {
    let Some(root) = doc.as_object() else {
        problems.push("the document is not a mapping".into());
        return;
    };
    match root.get("openapi") {
        Some(Value::String(v)) if v.starts_with("3.1.") => {}
        Some(Value::String(v)) => {
            problems.push(format!("openapi: expected a 3.1.x version, found `{v}`"))
        }
        Some(_) => problems.push("openapi: expected a version string such as `3.1.0`".into()),
        None => problems.push("openapi: missing (expected `3.1.x`)".into()),
    }
    match root.get("info").and_then(Value::as_object) {
        Some(info) => {
            for key in ["title", "version"] {
                if !info.get(key).is_some_and(Value::is_string) {
                    problems.push(format!("info.{key}: missing or not a string"));
                }
            }
        }
        None => problems.push("info: missing or not a mapping".into()),
    }
    check_components(root, problems);
    match root.get("paths").and_then(Value::as_object) {
        Some(paths) => check_paths(doc, paths, problems),
        None => problems.push("paths: missing or not a mapping".into()),
    }
    check_refs(doc, doc, "", problems);
}

fn check_components(root: &Map<String, Value>, problems: &mut Vec<String>) {
    let Some(components) = root.get("components") else {
        return;
    };
    let Some(components) = components.as_object() else {
        problems.push("components: not a mapping".into());
        return;
    };
    for (section, entries) in components {
        if section.starts_with("x-") {
            continue;
        }
        let Some(entries) = entries.as_object() else {
            problems.push(format!("components.{section}: not a mapping"));
            continue;
        };
        for (name, entry) in entries {
            // Schemas may be booleans in 3.1; everything else is an object.
            let ok = entry.is_object() || (section == "schemas" && entry.is_boolean());
            if !ok {
                problems.push(format!("components.{section}.{name}: not a mapping"));
            }
        }
    }
}

fn check_paths(doc: &Value, paths: &Map<String, Value>, problems: &mut Vec<String>) {
    let mut ids: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (path, item) in paths {
        if !path.starts_with('/') {
            problems.push(format!("paths.{path}: a path must start with `/`"));
        }
        let Some(item) = item.as_object() else {
            problems.push(format!("paths.{path}: not a mapping"));
            continue;
        };
        let shared = check_parameters(
            doc,
            item.get("parameters"),
            &format!("paths.{path}"),
            problems,
        );
        for method in codegen::METHODS {
            let Some(op) = item.get(method) else { continue };
            let label = format!("{} {path}", method.to_uppercase());
            let Some(op) = op.as_object() else {
                problems.push(format!("{label}: not a mapping"));
                continue;
            };
            let label = match op.get("operationId") {
                Some(Value::String(id)) if !id.is_empty() => {
                    ids.entry(id.clone()).or_default().push(label.clone());
                    format!("{label} ({id})")
                }
                _ => {
                    problems.push(format!(
                        "{label}: no operationId (the SDK names its methods after it)"
                    ));
                    label
                }
            };
            let mut declared = shared.clone();
            declared.extend(check_parameters(
                doc,
                op.get("parameters"),
                &label,
                problems,
            ));
            for var in template_variables(path) {
                if !declared.contains(&var) {
                    problems.push(format!("{label}: path parameter `{var}` is not declared"));
                }
            }
            check_operation(doc, op, &label, problems);
        }
    }
    for (id, places) in ids {
        if places.len() > 1 {
            problems.push(format!(
                "operationId `{id}` is used by {} operations: {}",
                places.len(),
                places.join(", ")
            ));
        }
    }
}

/// `{id}` and `{name}` in `/a/{id}/b/{name}`.
fn template_variables(path: &str) -> Vec<String> {
    path.split('{')
        .skip(1)
        .filter_map(|rest| rest.split_once('}'))
        .map(|(var, _)| var.to_string())
        .collect()
}

/// Checks a parameter list; returns the names of its path parameters.
fn check_parameters(
    doc: &Value,
    list: Option<&Value>,
    label: &str,
    problems: &mut Vec<String>,
) -> BTreeSet<String> {
    let mut path_params = BTreeSet::new();
    let Some(list) = list else { return path_params };
    let Some(list) = list.as_array() else {
        problems.push(format!("{label}: parameters is not a list"));
        return path_params;
    };
    for (i, param) in list.iter().enumerate() {
        let param = deref(doc, param);
        let Some(map) = param.as_object() else {
            problems.push(format!("{label}: parameter {i} is not a mapping"));
            continue;
        };
        let Some(name) = map.get("name").and_then(Value::as_str) else {
            problems.push(format!("{label}: parameter {i} has no name"));
            continue;
        };
        match map.get("in").and_then(Value::as_str) {
            Some("path") => {
                if map.get("required") != Some(&Value::Bool(true)) {
                    problems.push(format!(
                        "{label}: path parameter `{name}` must be `required: true`"
                    ));
                }
                path_params.insert(name.to_string());
            }
            Some(location) if PARAMETER_LOCATIONS.contains(&location) => {}
            _ => problems.push(format!(
                "{label}: parameter `{name}` needs `in` set to one of {}",
                PARAMETER_LOCATIONS.join(", ")
            )),
        }
    }
    path_params
}

fn check_operation(doc: &Value, op: &Map<String, Value>, label: &str, problems: &mut Vec<String>) {
    if let Some(body) = op.get("requestBody") {
        match deref(doc, body).get("content") {
            Some(content) => check_content(content, &format!("{label}: requestBody"), problems),
            None => problems.push(format!("{label}: requestBody has no content")),
        }
    }
    let Some(responses) = op
        .get("responses")
        .and_then(Value::as_object)
        .filter(|r| !r.is_empty())
    else {
        problems.push(format!("{label}: no responses"));
        return;
    };
    for (status, response) in responses {
        if !is_status(status) {
            problems.push(format!(
                "{label}: `{status}` is not a status code, a range such as 4XX, or default"
            ));
        }
        let response = deref(doc, response);
        if !response.is_object() {
            problems.push(format!("{label}: response {status} is not a mapping"));
        } else if let Some(content) = response.get("content") {
            check_content(content, &format!("{label}: response {status}"), problems);
        }
    }
}

fn check_content(content: &Value, label: &str, problems: &mut Vec<String>) {
    match content.as_object() {
        Some(types) => {
            for (media, entry) in types {
                if !entry.is_object() {
                    problems.push(format!("{label}: content `{media}` is not a mapping"));
                }
            }
        }
        None => problems.push(format!("{label}: content is not a mapping")),
    }
}

fn is_status(s: &str) -> bool {
    let b = s.as_bytes();
    s == "default"
        || (b.len() == 3
            && (b'1'..=b'5').contains(&b[0])
            && ((b[1].is_ascii_digit() && b[2].is_ascii_digit()) || &b[1..] == b"XX"))
}

/// Every `$ref` under `v` must be a local reference that resolves.
fn check_refs(doc: &Value, v: &Value, ptr: &str, problems: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            if let Some(reference) = map.get("$ref") {
                match reference.as_str() {
                    Some(r) if !r.starts_with('#') => problems.push(format!(
                        "{}: external $ref `{r}` is not supported (bundle the document so every reference is local)",
                        display_ptr(ptr)
                    )),
                    Some(r) if resolve_ref(doc, r).is_none() => {
                        problems.push(format!("{}: $ref `{r}` does not resolve", display_ptr(ptr)))
                    }
                    Some(_) => {}
                    None => problems.push(format!("{}: $ref is not a string", display_ptr(ptr))),
                }
            }
            for (key, child) in map {
                // Values, not schemas: they may legitimately contain `$ref` keys.
                let data = matches!(key.as_str(), "example" | "default" | "enum" | "const")
                    || key.starts_with("x-")
                    || (key == "examples" && child.is_array());
                if !data {
                    check_refs(doc, child, &child_ptr(ptr, key), problems);
                }
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                check_refs(doc, item, &format!("{ptr}/{i}"), problems);
            }
        }
        _ => {}
    }
}

fn display_ptr(ptr: &str) -> String {
    format!("#{ptr}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn minimal() -> Value {
        json!({
            "openapi": "3.1.0",
            "info": {"title": "t", "version": "1"},
            "paths": {"/a/{id}": {"get": {
                "operationId": "getA",
                "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
                "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/A"}}}}}
            }}},
            "components": {"schemas": {"A": {"type": "object"}}}
        })
    }

    #[test]
    fn a_minimal_document_passes() {
        assert_eq!(validate(&minimal()), Ok(()));
    }

    #[test]
    fn problems_are_located() {
        let mut doc = minimal();
        doc["openapi"] = json!("3.0.3");
        doc["paths"]["/a/{id}"]["get"]["responses"]["200"]["content"]["application/json"]
            ["schema"]["$ref"] = json!("#/components/schemas/Missing");
        doc["paths"]["/a/{id}"]["get"]["parameters"] = json!([]);
        doc["paths"]["/b"] = json!({"post": {"operationId": "getA"}});
        let problems = validate(&doc).unwrap_err();
        let text = problems.join("\n");
        for expected in [
            "openapi: expected a 3.1.x version, found `3.0.3`",
            "GET /a/{id} (getA): path parameter `id` is not declared",
            "$ref `#/components/schemas/Missing` does not resolve",
            "POST /b (getA): no responses",
            "operationId `getA` is used by 2 operations",
        ] {
            assert!(text.contains(expected), "missing {expected:?} in\n{text}");
        }
    }

    #[test]
    fn status_codes() {
        for ok in ["200", "4XX", "default", "599"] {
            assert!(is_status(ok), "{ok}");
        }
        for bad in ["20", "600", "2xx", "ok"] {
            assert!(!is_status(bad), "{bad}");
        }
    }
}
