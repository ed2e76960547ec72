//! The API surface of a spec as sorted lines, one fact per line.
//!
//! Built from the raw 3.1 document (not codegen's down-converted view) so no
//! `const` tag or `$ref` sibling is lost; the shared schema reader reads both
//! spellings. Lines are grouped per operation (by operationId) and per
//! component schema (by name), groups sorted, the group's header line first
//! and its other lines sorted, so a spec change shows up as a small diff:
//!
//! ```text
//! operation getBrowsersById: GET /browsers/{id}
//! operation getBrowsersById param path id: string, required
//! operation getBrowsersById param query include_deleted: boolean, optional
//! operation getBrowsersById response 200 application/json: Browser
//! schema Browser: object
//! schema Browser.created_at: string(date-time), required
//! schema Browser.telemetry: BrowserTelemetryConfig, optional, nullable
//! schema InvocationEvent: oneOf tag event
//! schema InvocationEvent.oneOf[error]: ErrorEvent
//! schema InvocationEvent.oneOf[invocation_state]: InvocationStateEvent
//! ```
//!
//! Type expressions: a component by name; `string(date-time)`; `binary` for
//! `format: binary`; `enum string [a, b]`; `const x` for a one-value enum or
//! `const`; `[T]` for arrays; `map<T>` for `additionalProperties`; `object`
//! (with `allOf A, B` when merged); `oneOf` / `anyOf`, or `oneOf tag p` for a
//! tagged union; a trailing `?` on a nested type that is nullable. What is
//! inside gets lines of its own: fields as `.field`, items of inline arrays
//! as `[]`, values of inline maps as `{}`, union variants as `.oneOf[tag]`
//! (or `.oneOf[i]` untagged), and the event types of a `text/event-stream`
//! response as `event <tag>`.

use crate::schema::{self, child_ptr, deref, event_tags, view, Node, Ty, View};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// The surface of `spec` as text, one line per fact, newline-terminated.
pub fn render(spec: &Value) -> String {
    let mut out = String::new();
    for line in lines(spec) {
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// The surface of `spec`, one line per fact, in snapshot order.
pub fn lines(spec: &Value) -> Vec<String> {
    let mut groups = Groups::default();
    operations(spec, &mut groups);
    schemas(spec, &mut groups);
    let groups = groups.0.into_values();
    groups
        .flat_map(|(header, rest)| {
            std::iter::once(header).chain(rest.into_iter().map(|(_, line)| line))
        })
        .collect()
}

/// Group key → (header line, other lines sorted by location then text).
#[derive(Default)]
struct Groups(BTreeMap<String, (String, BTreeSet<(String, String)>)>);

impl Groups {
    fn header(&mut self, key: &str, line: String) {
        self.0.entry(key.to_string()).or_default().0 = line;
    }

    /// Adds `loc: text`. Sorting on the location first keeps a parent
    /// (`x`) before its children (`x.a`) although `.` sorts before `:`.
    fn line(&mut self, key: &str, loc: &str, text: String) {
        self.0
            .entry(key.to_string())
            .or_default()
            .1
            .insert((loc.to_string(), format!("{loc}: {text}")));
    }
}

/// A type expression for a view (see the module docs).
fn expr(doc: &Value, v: &View<'_>) -> String {
    expr_at(doc, v, 0)
}

fn expr_at(doc: &Value, v: &View<'_>, depth: usize) -> String {
    if depth > schema::MAX_DEPTH {
        // Only a reference cycle through non-component pointers gets here.
        return "...".into();
    }
    let nested = |node: &Node<'_>| {
        let inner = view(doc, node.clone());
        let mut text = expr_at(doc, &inner, depth + 1);
        if inner.nullable {
            text.push('?');
        }
        text
    };
    match &v.ty {
        Ty::Any => "any".into(),
        Ty::Ref(name) => name.clone(),
        Ty::Scalar {
            format: Some(f), ..
        } if f == "binary" => "binary".into(),
        Ty::Scalar {
            ty,
            format: Some(f),
        } => format!("{ty}({f})"),
        Ty::Scalar { ty, format: None } => ty.clone(),
        Ty::Enum { values, .. } if values.len() == 1 => format!("const {}", values[0]),
        Ty::Enum { ty, values } => format!("enum {ty} [{}]", values.join(", ")),
        Ty::Array(items) => format!("[{}]", nested(items)),
        Ty::Map(value) => format!("map<{}>", nested(value)),
        Ty::Object(object) => {
            let mut text = String::from("object");
            if !object.bases.is_empty() {
                text.push_str(&format!(" allOf {}", object.bases.join(", ")));
            }
            if !object.alternatives.is_empty() {
                let alts: Vec<String> = object.alternatives.iter().map(|a| a.join(" + ")).collect();
                text.push_str(&format!(", exactly one of ({})", alts.join(" | ")));
            }
            text
        }
        // The variants get a line each (see `expand`).
        Ty::Union(union) => {
            let word = if union.any_of { "anyOf" } else { "oneOf" };
            match &union.tag {
                Some(tag) => format!("{word} tag {}", tag.property),
                None => word.to_string(),
            }
        }
    }
}

fn flags(required: Option<bool>, v: &View<'_>) -> String {
    let mut parts = Vec::new();
    match required {
        Some(true) => parts.push("required"),
        Some(false) => parts.push("optional"),
        None => {}
    }
    if v.nullable {
        parts.push("nullable");
    }
    if v.deprecated {
        parts.push("deprecated");
    }
    parts.iter().map(|p| format!(", {p}")).collect()
}

/// Lines for what is inline inside `v` (fields, items, map values, inline
/// union variants), each prefixed by `loc`. Component references stop here:
/// the component has its own group.
fn expand(doc: &Value, v: &View<'_>, loc: &str, key: &str, groups: &mut Groups, depth: usize) {
    if depth > schema::MAX_DEPTH {
        return;
    }
    let mut nested = |node: &Node<'_>, loc: String, required: Option<bool>| {
        let inner = view(doc, node.clone());
        groups.line(
            key,
            &loc,
            format!("{}{}", expr(doc, &inner), flags(required, &inner)),
        );
        expand(doc, &inner, &loc, key, groups, depth + 1);
    };
    match &v.ty {
        Ty::Object(object) => {
            for (name, node) in &object.fields {
                nested(
                    node,
                    format!("{loc}.{name}"),
                    Some(object.required.contains(name)),
                );
            }
            if let Some(extra) = &object.extra {
                nested(extra, format!("{loc}{{}}"), None);
            }
        }
        // Items and values only get a line of their own when they have inner
        // structure: the parent line already shows `[T]` / `map<T>`.
        Ty::Array(items) => expand(
            doc,
            &view(doc, items.clone()),
            &format!("{loc}[]"),
            key,
            groups,
            depth + 1,
        ),
        Ty::Map(value) => expand(
            doc,
            &view(doc, value.clone()),
            &format!("{loc}{{}}"),
            key,
            groups,
            depth + 1,
        ),
        Ty::Union(union) => {
            for (i, variant) in union.variants.iter().enumerate() {
                let name = union
                    .tag
                    .as_ref()
                    .map_or_else(|| i.to_string(), |t| t.values[i].clone());
                nested(variant, format!("{loc}.oneOf[{name}]"), None);
            }
        }
        _ => {}
    }
}

fn operations(doc: &Value, groups: &mut Groups) {
    let Some(paths) = doc.get("paths").and_then(Value::as_object) else {
        return;
    };
    for (path, item) in paths {
        for method in codegen::METHODS {
            let Some(op) = item.get(method) else { continue };
            let id = op
                .get("operationId")
                .and_then(Value::as_str)
                .map(str::to_string);
            let id = id.unwrap_or_else(|| format!("{} {path}", method.to_uppercase()));
            let key = format!("operation {id}");
            let deprecated = if op.get("deprecated") == Some(&Value::Bool(true)) {
                ", deprecated"
            } else {
                ""
            };
            groups.header(
                &key,
                format!("{key}: {} {path}{deprecated}", method.to_uppercase()),
            );
            let op_ptr = child_ptr(&child_ptr("/paths", path), method);
            parameters(doc, item, op, &key, groups);
            if let Some(body) = op.get("requestBody") {
                let body = deref(doc, body);
                let required = body.get("required") == Some(&Value::Bool(true));
                let flag = if required { "required" } else { "optional" };
                let ptr = child_ptr(&op_ptr, "requestBody");
                content(
                    doc,
                    body,
                    &ptr,
                    &format!("{key} request"),
                    &format!(", {flag}"),
                    &key,
                    groups,
                );
            }
            let responses = op.get("responses").and_then(Value::as_object);
            for (status, response) in responses.into_iter().flatten() {
                let response = deref(doc, response);
                let loc = format!("{key} response {status}");
                let ptr = child_ptr(&child_ptr(&op_ptr, "responses"), status);
                content(doc, response, &ptr, &loc, "", &key, groups);
                let headers = response.get("headers").and_then(Value::as_object);
                for (name, header) in headers.into_iter().flatten() {
                    let header = deref(doc, header);
                    let node = Node {
                        v: header.get("schema").unwrap_or(&Value::Null),
                        ptr: String::new(),
                    };
                    let v = view(doc, node);
                    let required = header.get("required") == Some(&Value::Bool(true));
                    let text = format!("{}{}", expr(doc, &v), flags(Some(required), &v));
                    groups.line(&key, &format!("{loc} header {name}"), text);
                }
            }
        }
    }
}

fn parameters(doc: &Value, item: &Value, op: &Value, key: &str, groups: &mut Groups) {
    // Operation parameters override path-level ones with the same name and location.
    let mut merged: BTreeMap<(String, String), &Value> = BTreeMap::new();
    for list in [item.get("parameters"), op.get("parameters")] {
        for param in list.and_then(Value::as_array).into_iter().flatten() {
            let param = deref(doc, param);
            let name = param
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let location = param.get("in").and_then(Value::as_str).unwrap_or_default();
            merged.insert((location.to_string(), name.to_string()), param);
        }
    }
    for ((location, name), param) in merged {
        let schema = param.get("schema").unwrap_or(&Value::Null);
        let v = view(
            doc,
            Node {
                v: schema,
                ptr: String::new(),
            },
        );
        let required = param.get("required") == Some(&Value::Bool(true));
        let mut flag = flags(Some(required), &v);
        if param.get("deprecated") == Some(&Value::Bool(true)) && !v.deprecated {
            flag.push_str(", deprecated");
        }
        let loc = format!("{key} param {location} {name}");
        groups.line(key, &loc, format!("{}{flag}", expr(doc, &v)));
        expand(doc, &v, &loc, key, groups, 0);
    }
}

/// Lines for a request body or response: one per media type (or "no body").
fn content(
    doc: &Value,
    owner: &Value,
    ptr: &str,
    loc: &str,
    suffix: &str,
    key: &str,
    groups: &mut Groups,
) {
    let media = owner
        .get("content")
        .and_then(Value::as_object)
        .filter(|c| !c.is_empty());
    let Some(media) = media else {
        groups.line(key, loc, format!("no body{suffix}"));
        return;
    };
    for (media_type, entry) in media {
        let loc = format!("{loc} {media_type}");
        let Some(schema) = entry.get("schema") else {
            let what = if media_type.starts_with("text/") || media_type.ends_with("json") {
                "any"
            } else {
                "binary"
            };
            groups.line(key, &loc, format!("{what}{suffix}"));
            continue;
        };
        let ptr = child_ptr(&child_ptr(&child_ptr(ptr, "content"), media_type), "schema");
        let node = Node { v: schema, ptr };
        let v = view(doc, node.clone());
        let mut text = expr(doc, &v);
        if media_type == "text/event-stream" {
            text = format!("stream of {text}");
            for tag in event_tags(doc, node) {
                groups.line(key, &format!("{loc} event {tag}"), "SSE event type".into());
            }
        }
        let nullable = if v.nullable { ", nullable" } else { "" };
        groups.line(key, &loc, format!("{text}{nullable}{suffix}"));
        expand(doc, &v, &loc, key, groups, 0);
    }
}

fn schemas(doc: &Value, groups: &mut Groups) {
    let Some(schemas) = doc
        .pointer("/components/schemas")
        .and_then(Value::as_object)
    else {
        return;
    };
    for name in schemas.keys() {
        let Some(node) = schema::component(doc, name) else {
            continue;
        };
        let key = format!("schema {name}");
        let v = view(doc, node);
        groups.header(&key, format!("{key}: {}{}", expr(doc, &v), flags(None, &v)));
        expand(doc, &v, &key, &key, groups, 0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn raw_3_1_constructs_are_kept() {
        let doc = json!({
            "paths": {"/e": {"get": {"operationId": "events", "responses": {"200": {"content": {
                "text/event-stream": {"schema": {"$ref": "#/components/schemas/Event"}}}}}}}},
            "components": {"schemas": {
                "Event": {"oneOf": [{"$ref": "#/components/schemas/Log"}, {"$ref": "#/components/schemas/Err"}]},
                "Log": {"type": "object", "required": ["event", "at"], "properties": {
                    "event": {"type": "string", "const": "log"},
                    "at": {"type": "string", "format": "date-time"},
                    "prev": {"$ref": "#/components/schemas/Log", "nullable": true, "description": "d"}}},
                "Err": {"type": "object", "required": ["event"], "properties": {"event": {"const": "error"}}}
            }}
        });
        let text = render(&doc);
        let expected = "\
operation events: GET /e
operation events response 200 text/event-stream: stream of Event
operation events response 200 text/event-stream event error: SSE event type
operation events response 200 text/event-stream event log: SSE event type
schema Err: object
schema Err.event: const error, required
schema Event: oneOf tag event
schema Event.oneOf[error]: Err
schema Event.oneOf[log]: Log
schema Log: object
schema Log.at: string(date-time), required
schema Log.event: const log, required
schema Log.prev: Log, optional, nullable
";
        assert_eq!(text, expected);
    }
}
