//! Walking and naming inside a document, shared by the transforms.

use serde_json::{json, Map, Value};

/// Calls `f` on every mapping in the tree, parents before children.
pub(crate) fn walk_mut(v: &mut Value, f: &mut dyn FnMut(&mut Map<String, Value>)) {
    match v {
        Value::Object(map) => {
            f(map);
            for child in map.values_mut() {
                walk_mut(child, f);
            }
        }
        Value::Array(items) => {
            for child in items {
                walk_mut(child, f);
            }
        }
        _ => {}
    }
}

pub(crate) fn schemas_mut(doc: &mut Value) -> &mut Map<String, Value> {
    if doc["components"]["schemas"].is_null() {
        doc["components"]["schemas"] = json!({});
    }
    doc["components"]["schemas"]
        .as_object_mut()
        .expect("components.schemas is a mapping")
}

pub(crate) fn pascal(s: &str) -> String {
    let mut out = String::new();
    let mut upper = true;
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            if upper {
                out.push(c.to_ascii_uppercase());
            } else {
                out.push(c);
            }
            upper = false;
        } else {
            upper = true;
        }
    }
    out
}

/// A component name not yet taken, derived from `base`.
pub(crate) fn fresh_name(schemas: &Map<String, Value>, base: &str) -> String {
    if !schemas.contains_key(base) {
        return base.to_string();
    }
    (2..)
        .map(|n| format!("{base}{n}"))
        .find(|n| !schemas.contains_key(n))
        .expect("infinite")
}

pub(crate) fn ref_name(v: &Value) -> Option<&str> {
    v.get("$ref")?
        .as_str()?
        .strip_prefix("#/components/schemas/")
}
