//! Documentation changes (raw documents), and the safety net that lists
//! whatever else differs once documentation is stripped.

use super::operations::{operations, parameters};
use super::{brief, Category, Differ};
use crate::schema::{self, child_ptr, deref, is_cosmetic_key};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

impl Differ<'_> {
    /// Documentation that changed on an element both documents have.
    pub(super) fn cosmetic(&mut self, old: &Value, new: &Value) {
        let Cosmetics {
            docs: old_docs,
            locs: old_locs,
        } = cosmetics(old);
        let Cosmetics {
            docs: new_docs,
            locs: new_locs,
        } = cosmetics(new);
        let keys: BTreeSet<&(String, String)> = old_docs.keys().chain(new_docs.keys()).collect();
        for key @ (loc, name) in keys {
            // A new or removed element's documentation is part of that change.
            if !old_locs.contains(loc) || !new_locs.contains(loc) {
                continue;
            }
            let (a, b) = (old_docs.get(key), new_docs.get(key));
            if a == b {
                continue;
            }
            let kind = match name.as_str() {
                _ if loc == "info" => "info_changed",
                "description" | "$comment" => "description_changed",
                "summary" => "summary_changed",
                "title" => "title_changed",
                "example" | "examples" => "example_changed",
                "tags" => "tags_changed",
                _ => "extension_changed",
            };
            let one = |v: Option<&Vec<Value>>| match v.map(Vec::as_slice) {
                Some([single]) => brief(Some(single)),
                Some(many) => brief(Some(&Value::Array(many.to_vec()))),
                None => "none".into(),
            };
            self.push(
                Category::Cosmetic,
                kind,
                loc,
                format!("{name}: {} -> {}", one(a), one(b)),
            );
        }
    }

    /// If no rule fired but the documents still differ beyond documentation,
    /// list where, so a change is never silently reported as "nothing".
    pub(super) fn safety_net(&mut self) {
        let contract = self.changes.iter().any(|(c, _)| *c != Category::Cosmetic);
        if contract {
            return;
        }
        let a = canonical(&strip_cosmetic(self.od));
        let b = canonical(&strip_cosmetic(self.nd));
        let mut places = Vec::new();
        differences(&a, &b, "", &mut places);
        for place in places.into_iter().take(20) {
            self.push(
                Category::Additive,
                "other_change",
                &format!("#{place}"),
                "changed; no rule classifies it, review the snapshot diff",
            );
        }
    }
}

/// Collects the documentation of a raw document.
fn cosmetics(doc: &Value) -> Cosmetics {
    let mut c = Cosmetics::default();
    if let Some(info) = doc.get("info").and_then(Value::as_object) {
        c.locs.insert("info".into());
        for (k, v) in info {
            c.add("info", k, v);
        }
    }
    c.locs.insert("document".into());
    if let Some(root) = doc.as_object() {
        for (k, v) in root {
            if k == "tags" || k == "externalDocs" || k.starts_with("x-") {
                c.add("document", k, v);
            }
        }
    }
    for (id, op) in operations(doc) {
        let loc = format!("operation {id}");
        c.keys(&loc, op.node, &["tags"]);
        for ((_, name), (param, _)) in parameters(doc, &op) {
            let ploc = format!("{loc} param {name}");
            c.keys(&ploc, param, &[]);
            c.schema(&ploc, param.get("schema"), 0);
        }
        if let Some(body) = op.node.get("requestBody") {
            c.body(&format!("{loc} request"), deref(doc, body));
        }
        for (status, response) in op
            .node
            .get("responses")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            let rloc = format!("{loc} response {status}");
            let response = deref(doc, response);
            c.body(&rloc, response);
            for (name, header) in response
                .get("headers")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
            {
                let hloc = format!("{rloc} header {}", name.to_ascii_lowercase());
                let header = deref(doc, header);
                c.keys(&hloc, header, &[]);
                c.schema(&hloc, header.get("schema"), 0);
            }
        }
    }
    for (name, s) in doc
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        c.schema(&format!("schema {name}"), Some(s), 0);
    }
    for (name, s) in doc
        .pointer("/components/securitySchemes")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        c.keys(&format!("security scheme {name}"), s, &[]);
    }
    c
}

/// Documentation per (location, key), and the locations that exist.
#[derive(Default)]
struct Cosmetics {
    /// The documentation values, in document order.
    docs: BTreeMap<(String, String), Vec<Value>>,
    /// Every location seen, documented or not.
    locs: BTreeSet<String>,
}

impl Cosmetics {
    /// Records one documentation value.
    fn add(&mut self, loc: &str, key: &str, v: &Value) {
        self.docs
            .entry((loc.to_string(), key.to_string()))
            .or_default()
            .push(v.clone());
    }

    /// Records the documentation keys of one object (plus `extra` keys).
    fn keys(&mut self, loc: &str, v: &Value, extra: &[&str]) {
        self.locs.insert(loc.to_string());
        for (k, value) in v.as_object().into_iter().flatten() {
            if is_cosmetic_key(k) || extra.contains(&k.as_str()) {
                self.add(loc, k, value);
            }
        }
    }

    /// A request body's or response's documentation, per media type.
    fn body(&mut self, loc: &str, body: &Value) {
        self.keys(loc, body, &[]);
        for (media, entry) in body
            .get("content")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            let mloc = format!("{loc} {media}");
            self.keys(&mloc, entry, &[]);
            self.schema(&mloc, entry.get("schema"), 0);
        }
    }

    /// A schema's documentation, recursing into inline structure (not into
    /// `$ref`s: components are walked under their own name). `allOf` members
    /// share their parent's location, as the merged object does in drift.
    fn schema(&mut self, loc: &str, s: Option<&Value>, depth: usize) {
        let Some(s) = s.filter(|s| s.is_object() && depth <= schema::MAX_DEPTH) else {
            return;
        };
        self.keys(loc, s, &[]);
        for (name, p) in s
            .get("properties")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            self.schema(&format!("{loc}.{name}"), Some(p), depth + 1);
        }
        self.schema(&format!("{loc}[]"), s.get("items"), depth + 1);
        self.schema(
            &format!("{loc}{{}}"),
            s.get("additionalProperties"),
            depth + 1,
        );
        for member in s
            .get("allOf")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            self.schema(loc, Some(member), depth + 1);
        }
        for key in ["oneOf", "anyOf"] {
            for (i, variant) in s
                .get(key)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .enumerate()
            {
                self.schema(&format!("{loc}.oneOf[#{i}]"), Some(variant), depth + 1);
            }
        }
    }
}

/// Keys whose children are names (of properties, paths, media types...),
/// not keywords: documentation keys are only stripped one level below.
const NAME_MAPS: [&str; 14] = [
    "properties",
    "patternProperties",
    "paths",
    "responses",
    "content",
    "headers",
    "schemas",
    "parameters",
    "securitySchemes",
    "requestBodies",
    "callbacks",
    "links",
    "encoding",
    "mapping",
];

/// Values that are data, not schema: left as they are.
const DATA: [&str; 5] = ["enum", "const", "default", "required", "security"];

/// The document without its documentation (and without `info`, `tags`).
pub(super) fn strip_cosmetic(v: &Value) -> Value {
    /// A keyword-level value: documentation keys dropped.
    fn keywords(v: &Value) -> Value {
        match v {
            Value::Object(map) => Value::Object(
                map.iter()
                    .filter(|(k, _)| !is_cosmetic_key(k) && !matches!(k.as_str(), "info" | "tags"))
                    .map(|(k, child)| {
                        let child = if NAME_MAPS.contains(&k.as_str()) {
                            names(child)
                        } else if DATA.contains(&k.as_str()) {
                            child.clone()
                        } else {
                            keywords(child)
                        };
                        (k.clone(), child)
                    })
                    .collect(),
            ),
            Value::Array(items) => Value::Array(items.iter().map(keywords).collect()),
            other => other.clone(),
        }
    }
    /// A name map's value: names kept, their values read as keywords.
    fn names(v: &Value) -> Value {
        match v {
            Value::Object(map) => {
                Value::Object(map.iter().map(|(k, c)| (k.clone(), keywords(c))).collect())
            }
            Value::Array(items) => Value::Array(items.iter().map(keywords).collect()),
            other => other.clone(),
        }
    }
    keywords(v)
}

/// Keys sorted and arrays sorted, so order alone is never a difference.
fn canonical(v: &Value) -> Value {
    match v {
        Value::Object(map) => {
            let sorted: BTreeMap<&String, Value> =
                map.iter().map(|(k, c)| (k, canonical(c))).collect();
            Value::Object(sorted.into_iter().map(|(k, c)| (k.clone(), c)).collect())
        }
        Value::Array(items) => {
            let mut items: Vec<Value> = items.iter().map(canonical).collect();
            items.sort_by_cached_key(|i| i.to_string());
            Value::Array(items)
        }
        other => other.clone(),
    }
}

/// The pointers where two canonical documents differ.
fn differences(a: &Value, b: &Value, ptr: &str, out: &mut Vec<String>) {
    if a == b || out.len() >= 20 {
        return;
    }
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let keys: BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            for key in keys {
                match (x.get(key), y.get(key)) {
                    (Some(p), Some(q)) => differences(p, q, &child_ptr(ptr, key), out),
                    _ => out.push(child_ptr(ptr, key)),
                }
            }
        }
        _ => out.push(if ptr.is_empty() {
            "/".into()
        } else {
            ptr.into()
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn stripping_keeps_properties_named_like_keywords() {
        let v = json!({"properties": {"description": {"type": "string", "description": "d"}}});
        assert_eq!(
            strip_cosmetic(&v),
            json!({"properties": {"description": {"type": "string"}}})
        );
    }
}
