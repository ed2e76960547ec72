//! A resolved reading of one schema node, shared by [`crate::drift`] and
//! [`crate::surface`].
//!
//! It reads both the raw 3.1 spelling (`const`, `$ref` with a `nullable`
//! sibling, `type: [T, "null"]`, `oneOf: [T, {type: null}]`) and the spelling
//! codegen's representation transforms produce (`enum: [v]`,
//! `allOf: [{$ref}]` + `nullable`), so the same code reads the raw document
//! (the surface) and the transformed one (drift) without losing a construct.

use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet};

/// Reference chains and `allOf` nesting deeper than this are read as `any`
/// instead of recursing forever on a cyclic document.
pub(crate) const MAX_DEPTH: usize = 32;

/// The schema `true`: anything.
static ANY: Value = Value::Bool(true);

/// Keys whose value is documentation only.
pub(crate) fn is_cosmetic_key(key: &str) -> bool {
    matches!(
        key,
        "description" | "summary" | "title" | "example" | "examples" | "$comment" | "externalDocs"
    ) || key.starts_with("x-")
}

/// Escapes one JSON pointer segment.
pub(crate) fn escape(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

/// `ptr` extended by one segment.
pub(crate) fn child_ptr(ptr: &str, segment: &str) -> String {
    format!("{ptr}/{}", escape(segment))
}

/// Decodes `%XX` escapes (a `$ref` is a URI, so its fragment may carry them).
fn percent_decode(s: &str) -> Option<String> {
    if !s.contains('%') {
        return Some(s.to_string());
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// The JSON pointer a local reference (`#/...`) designates, decoded.
pub(crate) fn ref_pointer(reference: &str) -> Option<String> {
    let fragment = percent_decode(reference.strip_prefix('#')?)?;
    (fragment.is_empty() || fragment.starts_with('/')).then_some(fragment)
}

/// Resolves a local reference into the document.
pub(crate) fn resolve_ref<'a>(doc: &'a Value, reference: &str) -> Option<&'a Value> {
    doc.pointer(&ref_pointer(reference)?)
}

/// The component a `$ref` names, if it is exactly `#/components/schemas/<name>`.
pub(crate) fn component_name(reference: &str) -> Option<String> {
    let pointer = ref_pointer(reference)?;
    let rest = pointer.strip_prefix("/components/schemas/")?;
    (!rest.contains('/')).then(|| rest.replace("~1", "/").replace("~0", "~"))
}

/// The component schema `name`, with its pointer.
pub(crate) fn component<'a>(doc: &'a Value, name: &str) -> Option<Node<'a>> {
    let v = doc.get("components")?.get("schemas")?.get(name)?;
    Some(Node {
        v,
        ptr: child_ptr("/components/schemas", name),
    })
}

/// Follows `$ref`s of a non-schema object (response, parameter, request
/// body, header) to the object itself.
pub(crate) fn deref<'a>(doc: &'a Value, mut v: &'a Value) -> &'a Value {
    for _ in 0..MAX_DEPTH {
        match v
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| resolve_ref(doc, r))
        {
            Some(target) => v = target,
            None => break,
        }
    }
    v
}

/// A schema node and where it is in its document.
#[derive(Clone, Debug)]
pub(crate) struct Node<'a> {
    /// The schema.
    pub v: &'a Value,
    /// Its JSON pointer.
    pub ptr: String,
}

impl<'a> Node<'a> {
    fn child(&self, v: &'a Value, segments: &[&str]) -> Node<'a> {
        let ptr = segments
            .iter()
            .fold(self.ptr.clone(), |p, s| child_ptr(&p, s));
        Node { v, ptr }
    }
}

/// What a schema node means, after references to non-components, `allOf`
/// and nullability idioms are resolved.
#[derive(Clone, Debug)]
pub(crate) struct View<'a> {
    /// The shape.
    pub ty: Ty<'a>,
    /// `null` is an accepted value.
    pub nullable: bool,
    /// `deprecated: true`.
    pub deprecated: bool,
    /// The node whose keywords define `ty` (constraints are read there).
    pub node: Node<'a>,
}

/// The shape of a schema.
#[derive(Clone, Debug)]
pub(crate) enum Ty<'a> {
    /// No constraint the generator can use: free-form JSON.
    Any,
    /// A component schema, by name.
    Ref(String),
    /// A primitive, e.g. `string` with format `date-time`.
    Scalar { ty: String, format: Option<String> },
    /// A closed list of values (`enum`, or `const` as a one-value enum).
    Enum { ty: String, values: Vec<String> },
    /// An array of the item schema.
    Array(Node<'a>),
    /// An object with only `additionalProperties`: a map to that schema.
    Map(Node<'a>),
    /// An object with named fields.
    Object(Object<'a>),
    /// A `oneOf` / `anyOf`.
    Union(Union<'a>),
}

/// The fields of an object schema, `allOf` members merged.
#[derive(Clone, Debug, Default)]
pub(crate) struct Object<'a> {
    /// Field name and schema, in document order.
    pub fields: Vec<(String, Node<'a>)>,
    /// The required field names.
    pub required: BTreeSet<String>,
    /// Components merged in through `allOf`.
    pub bases: Vec<String>,
    /// `additionalProperties` next to named fields.
    pub extra: Option<Node<'a>>,
    /// A `oneOf` of bare `required` lists: "exactly one of these fields".
    pub alternatives: Vec<Vec<String>>,
}

impl<'a> Object<'a> {
    /// The schema of field `name`.
    pub fn field(&self, name: &str) -> Option<&Node<'a>> {
        self.fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, node)| node)
    }
}

/// A `oneOf` / `anyOf`.
#[derive(Clone, Debug)]
pub(crate) struct Union<'a> {
    /// The variants, `null` variants removed (they make the union nullable).
    pub variants: Vec<Node<'a>>,
    /// `anyOf` rather than `oneOf`.
    pub any_of: bool,
    /// The tag property, when every variant has a distinct one-value enum in
    /// the same required property (the rule codegen's `open_unions` uses).
    pub tag: Option<Tag>,
}

/// The tag of a tagged union.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Tag {
    /// The property carrying the tag, e.g. `event`.
    pub property: String,
    /// The tag of each variant, in variant order.
    pub values: Vec<String>,
}

/// An enum value as text: strings bare, anything else as JSON.
pub(crate) fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The declared types of a node, without `null`, and whether `null` was one.
fn types_of(map: &Map<String, Value>) -> (Vec<String>, bool) {
    let mut null = false;
    let mut types = Vec::new();
    let mut add = |t: &str| {
        if t == "null" {
            null = true;
        } else {
            types.push(t.to_string());
        }
    };
    match map.get("type") {
        Some(Value::String(t)) => add(t),
        Some(Value::Array(list)) => list.iter().filter_map(Value::as_str).for_each(&mut add),
        _ => {}
    }
    (types, null)
}

fn enum_type(types: &[String], values: &[Value]) -> String {
    if !types.is_empty() {
        return types.join("|");
    }
    let kind = |v: &Value| match v {
        Value::String(_) => "string",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_f64() => "number",
        Value::Number(_) => "integer",
        _ => "any",
    };
    let kinds: BTreeSet<&str> = values.iter().filter(|v| !v.is_null()).map(kind).collect();
    kinds.into_iter().collect::<Vec<_>>().join("|")
}

/// Keywords that give a schema a shape (as opposed to documentation).
fn is_structural(v: &Value) -> bool {
    const SHAPE: [&str; 11] = [
        "$ref",
        "type",
        "properties",
        "items",
        "allOf",
        "oneOf",
        "anyOf",
        "enum",
        "const",
        "additionalProperties",
        "required",
    ];
    match v {
        Value::Object(map) => SHAPE.iter().any(|k| map.contains_key(*k)),
        Value::Bool(_) => true,
        _ => false,
    }
}

fn is_null_schema(v: &Value) -> bool {
    v.get("type").and_then(Value::as_str) == Some("null")
}

/// A `oneOf` variant that only lists required fields of the parent object.
fn is_required_only(v: &Value) -> bool {
    v.as_object().is_some_and(|m| {
        m.contains_key("required") && m.keys().all(|k| k == "required" || is_cosmetic_key(k))
    })
}

/// Reads a schema node.
pub(crate) fn view<'a>(doc: &'a Value, node: Node<'a>) -> View<'a> {
    view_at(doc, node, 0)
}

/// Reads a schema node, reading a component reference as the component.
pub(crate) fn view_resolved<'a>(doc: &'a Value, node: Node<'a>) -> View<'a> {
    let mut v = view(doc, node);
    for _ in 0..MAX_DEPTH {
        let Ty::Ref(name) = &v.ty else { break };
        let Some(target) = component(doc, name) else {
            break;
        };
        let (nullable, deprecated) = (v.nullable, v.deprecated);
        v = view(doc, target);
        v.nullable |= nullable;
        v.deprecated |= deprecated;
    }
    v
}

fn view_at<'a>(doc: &'a Value, node: Node<'a>, depth: usize) -> View<'a> {
    let Some(map) = node.v.as_object().filter(|_| depth <= MAX_DEPTH) else {
        return View {
            ty: Ty::Any,
            nullable: false,
            deprecated: false,
            node,
        };
    };
    let (types, null_type) = types_of(map);
    let mut nullable = null_type || map.get("nullable") == Some(&Value::Bool(true));
    let deprecated = map.get("deprecated") == Some(&Value::Bool(true));
    let wrap = |mut inner: View<'a>, nullable: bool| {
        inner.nullable |= nullable;
        inner.deprecated |= deprecated;
        inner
    };

    if let Some(reference) = map.get("$ref").and_then(Value::as_str) {
        if let Some(name) = component_name(reference) {
            return View {
                ty: Ty::Ref(name),
                nullable,
                deprecated,
                node,
            };
        }
        // A reference into the middle of the document: read the target.
        if let (Some(target), Some(ptr)) = (resolve_ref(doc, reference), ref_pointer(reference)) {
            return wrap(view_at(doc, Node { v: target, ptr }, depth + 1), nullable);
        }
        return View {
            ty: Ty::Any,
            nullable,
            deprecated,
            node,
        };
    }
    if let Some(c) = map.get("const") {
        let ty = Ty::Enum {
            ty: enum_type(&types, std::slice::from_ref(c)),
            values: vec![value_text(c)],
        };
        return View {
            ty,
            nullable,
            deprecated,
            node,
        };
    }
    if let Some(members) = map.get("allOf").and_then(Value::as_array) {
        nullable |= members
            .iter()
            .any(|m| m.get("nullable") == Some(&Value::Bool(true)));
        let structural: Vec<usize> = (0..members.len())
            .filter(|i| is_structural(&members[*i]))
            .collect();
        let own_shape = ["properties", "items", "enum", "oneOf", "anyOf"]
            .iter()
            .any(|k| map.contains_key(*k));
        if let ([only], false) = (structural.as_slice(), own_shape) {
            let member = node.child(&members[*only], &["allOf", &only.to_string()]);
            return wrap(view_at(doc, member, depth + 1), nullable);
        }
        let mut object = Object::default();
        merge(doc, &node, &mut object, depth);
        return View {
            ty: Ty::Object(object),
            nullable,
            deprecated,
            node,
        };
    }
    for key in ["oneOf", "anyOf"] {
        let Some(variants) = map.get(key).and_then(Value::as_array) else {
            continue;
        };
        let mut kept = Vec::new();
        for (i, variant) in variants.iter().enumerate() {
            if is_null_schema(variant) {
                nullable = true;
            } else {
                kept.push(node.child(variant, &[key, &i.to_string()]));
            }
        }
        if map.contains_key("properties") && kept.iter().all(|n| is_required_only(n.v)) {
            // "Exactly one of these fields": still an object.
            break;
        }
        if let [only] = kept.as_slice() {
            return wrap(view_at(doc, only.clone(), depth + 1), nullable);
        }
        let tag = union_tag(doc, &kept);
        let ty = Ty::Union(Union {
            variants: kept,
            any_of: key == "anyOf",
            tag,
        });
        return View {
            ty,
            nullable,
            deprecated,
            node,
        };
    }
    if let Some(values) = map.get("enum").and_then(Value::as_array) {
        nullable |= values.iter().any(Value::is_null);
        let ty = Ty::Enum {
            ty: enum_type(&types, values),
            values: values
                .iter()
                .filter(|v| !v.is_null())
                .map(value_text)
                .collect(),
        };
        return View {
            ty,
            nullable,
            deprecated,
            node,
        };
    }
    let declared = |t: &str| types.iter().any(|x| x == t);
    if declared("array") || (types.is_empty() && map.contains_key("items")) {
        let items = match map.get("items") {
            Some(items) => node.child(items, &["items"]),
            None => Node {
                v: &ANY,
                ptr: child_ptr(&node.ptr, "items"),
            },
        };
        return View {
            ty: Ty::Array(items),
            nullable,
            deprecated,
            node,
        };
    }
    let object_like = map.contains_key("properties") || map.contains_key("additionalProperties");
    if declared("object") || (types.is_empty() && object_like) {
        let additional = map
            .get("additionalProperties")
            .filter(|a| a.is_object() || **a == Value::Bool(true));
        if let (None, Some(additional)) = (map.get("properties"), additional) {
            let value = node.child(additional, &["additionalProperties"]);
            return View {
                ty: Ty::Map(value),
                nullable,
                deprecated,
                node,
            };
        }
        let mut object = Object::default();
        merge_own(map, &node, &mut object);
        return View {
            ty: Ty::Object(object),
            nullable,
            deprecated,
            node,
        };
    }
    let ty = match types.as_slice() {
        [] => Ty::Any,
        _ => Ty::Scalar {
            ty: types.join("|"),
            format: map
                .get("format")
                .and_then(Value::as_str)
                .map(str::to_string),
        },
    };
    View {
        ty,
        nullable,
        deprecated,
        node,
    }
}

/// Merges an `allOf` member (following references) into `object`.
fn merge<'a>(doc: &'a Value, node: &Node<'a>, object: &mut Object<'a>, depth: usize) {
    let Some(map) = node.v.as_object().filter(|_| depth <= MAX_DEPTH) else {
        return;
    };
    if let Some(reference) = map.get("$ref").and_then(Value::as_str) {
        if let Some(name) = component_name(reference) {
            object.bases.push(name);
        }
        if let (Some(target), Some(ptr)) = (resolve_ref(doc, reference), ref_pointer(reference)) {
            merge(doc, &Node { v: target, ptr }, object, depth + 1);
        }
        return;
    }
    if let Some(members) = map.get("allOf").and_then(Value::as_array) {
        for (i, member) in members.iter().enumerate() {
            merge(
                doc,
                &node.child(member, &["allOf", &i.to_string()]),
                object,
                depth + 1,
            );
        }
    }
    merge_own(map, node, object);
}

/// Adds a node's own `properties`, `required`, `additionalProperties` and
/// required-only `oneOf` to `object`.
fn merge_own<'a>(map: &'a Map<String, Value>, node: &Node<'a>, object: &mut Object<'a>) {
    if let Some(props) = map.get("properties").and_then(Value::as_object) {
        for (name, schema) in props {
            let field = node.child(schema, &["properties", name]);
            match object.fields.iter_mut().find(|(n, _)| n == name) {
                Some(slot) => slot.1 = field,
                None => object.fields.push((name.clone(), field)),
            }
        }
    }
    if let Some(required) = map.get("required").and_then(Value::as_array) {
        object.required.extend(
            required
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_string),
        );
    }
    if let Some(extra) = map.get("additionalProperties").filter(|a| a.is_object()) {
        object.extra = Some(node.child(extra, &["additionalProperties"]));
    }
    if let Some(variants) = map.get("oneOf").and_then(Value::as_array) {
        if variants.iter().all(is_required_only) {
            object.alternatives = variants
                .iter()
                .map(|v| {
                    v["required"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect()
                })
                .collect();
        }
    }
}

/// The object a union variant is, following a component reference.
fn variant_object<'a>(doc: &'a Value, node: &Node<'a>) -> Option<Object<'a>> {
    // Read shallowly (no `view`): a union whose variants lead back to it
    // would otherwise recurse without end.
    let node = follow_refs(doc, node.clone());
    let map = node.v.as_object()?;
    let object_like = map.contains_key("properties") || map.contains_key("allOf");
    if !object_like || map.contains_key("oneOf") || map.contains_key("anyOf") {
        return None;
    }
    let mut object = Object::default();
    merge(doc, &node, &mut object, 0);
    Some(object)
}

/// Follows a chain of `$ref`s to the schema they lead to.
fn follow_refs<'a>(doc: &'a Value, mut node: Node<'a>) -> Node<'a> {
    for _ in 0..MAX_DEPTH {
        let Some(reference) = node.v.get("$ref").and_then(Value::as_str) else {
            break;
        };
        let (Some(v), Some(ptr)) = (resolve_ref(doc, reference), ref_pointer(reference)) else {
            break;
        };
        node = Node { v, ptr };
    }
    node
}

/// The one value of a one-value enum (or `const`) field, read shallowly.
fn single_value(doc: &Value, node: &Node<'_>) -> Option<String> {
    let node = follow_refs(doc, node.clone());
    if let Some(c) = node.v.get("const") {
        return Some(value_text(c));
    }
    match node.v.get("enum")?.as_array()?.as_slice() {
        [only] => Some(value_text(only)),
        _ => None,
    }
}

/// The tag of a union: the first property of the first variant that every
/// variant requires with a distinct one-value enum.
fn union_tag(doc: &Value, variants: &[Node<'_>]) -> Option<Tag> {
    let objects: Vec<Object> = variants
        .iter()
        .map(|v| variant_object(doc, v))
        .collect::<Option<_>>()?;
    let first = objects.first()?;
    first.fields.iter().find_map(|(property, _)| {
        let values: Vec<String> = objects
            .iter()
            .map(|o| {
                o.required
                    .contains(property)
                    .then(|| single_value(doc, o.field(property)?))?
            })
            .collect::<Option<_>>()?;
        let unique: BTreeSet<&String> = values.iter().collect();
        (unique.len() == values.len()).then(|| Tag {
            property: property.clone(),
            values,
        })
    })
}

/// The SSE event types a `text/event-stream` body schema carries: the tags of
/// the union it is (or that one of its fields is, for an envelope such as
/// telemetry's `{seq, event}`), or the one-value tag of a single event type.
pub(crate) fn event_tags(doc: &Value, node: Node<'_>) -> BTreeSet<String> {
    event_tags_at(doc, node, 0)
}

fn event_tags_at(doc: &Value, node: Node<'_>, depth: usize) -> BTreeSet<String> {
    if depth > 4 {
        return BTreeSet::new();
    }
    match view_resolved(doc, node).ty {
        Ty::Union(Union { tag: Some(tag), .. }) => tag.values.into_iter().collect(),
        Ty::Union(union) => union
            .variants
            .into_iter()
            .flat_map(|v| event_tags_at(doc, v, depth + 1))
            .collect(),
        Ty::Object(object) => {
            // An envelope: the union is one of the fields.
            for (_, field) in &object.fields {
                if matches!(view_resolved(doc, field.clone()).ty, Ty::Union(_)) {
                    return event_tags_at(doc, field.clone(), depth + 1);
                }
            }
            // A single event type: its required one-value field is the tag.
            object
                .fields
                .iter()
                .filter(|(name, _)| object.required.contains(name))
                .find_map(|(_, field)| single_value(doc, field))
                .into_iter()
                .collect()
        }
        _ => BTreeSet::new(),
    }
}

/// Which side of the wire a schema is on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Sides {
    /// Sent by the client (request bodies, parameters).
    pub request: bool,
    /// Read by the client (response bodies and headers, SSE events).
    pub response: bool,
}

impl Sides {
    /// Only sent.
    pub const REQUEST: Sides = Sides {
        request: true,
        response: false,
    };
    /// Only read.
    pub const RESPONSE: Sides = Sides {
        request: false,
        response: true,
    };
    /// Both.
    pub const BOTH: Sides = Sides {
        request: true,
        response: true,
    };

    /// Both sets of sides.
    pub fn union(self, other: Sides) -> Sides {
        Sides {
            request: self.request || other.request,
            response: self.response || other.response,
        }
    }
}

/// For every component schema an operation reaches, whether it is reached
/// from a request (parameters, request bodies) or a response (bodies,
/// headers), following references transitively.
pub(crate) fn usage(doc: &Value) -> BTreeMap<String, Sides> {
    let mut out = BTreeMap::new();
    let Some(paths) = doc.get("paths").and_then(Value::as_object) else {
        return out;
    };
    for item in paths.values() {
        let shared = item
            .get("parameters")
            .and_then(Value::as_array)
            .into_iter()
            .flatten();
        for param in shared {
            mark(doc, deref(doc, param), Sides::REQUEST, &mut out, 0);
        }
        for method in codegen::METHODS {
            let Some(op) = item.get(method) else { continue };
            for param in op
                .get("parameters")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                mark(doc, deref(doc, param), Sides::REQUEST, &mut out, 0);
            }
            if let Some(body) = op.get("requestBody") {
                mark(doc, deref(doc, body), Sides::REQUEST, &mut out, 0);
            }
            for response in op
                .get("responses")
                .and_then(Value::as_object)
                .into_iter()
                .flat_map(|r| r.values())
            {
                let response = deref(doc, response);
                for header in response
                    .get("headers")
                    .and_then(Value::as_object)
                    .into_iter()
                    .flat_map(|h| h.values())
                {
                    mark(doc, deref(doc, header), Sides::RESPONSE, &mut out, 0);
                }
                mark(
                    doc,
                    response.get("content").unwrap_or(&Value::Null),
                    Sides::RESPONSE,
                    &mut out,
                    0,
                );
            }
        }
    }
    out
}

/// Marks every component referenced under `v` (transitively) as used on `side`.
fn mark(doc: &Value, v: &Value, side: Sides, out: &mut BTreeMap<String, Sides>, depth: usize) {
    if depth > 256 {
        return;
    }
    match v {
        Value::Object(map) => {
            if let Some(reference) = map.get("$ref").and_then(Value::as_str) {
                let owner = ref_pointer(reference)
                    .and_then(|p| p.strip_prefix("/components/schemas/").map(str::to_string))
                    .and_then(|rest| {
                        rest.split('/')
                            .next()
                            .map(|s| s.replace("~1", "/").replace("~0", "~"))
                    });
                if let Some(name) = owner {
                    let entry = out.entry(name.clone()).or_default();
                    let before = *entry;
                    *entry = entry.union(side);
                    if *entry != before {
                        if let Some(target) = component(doc, &name) {
                            mark(doc, target.v, side, out, depth + 1);
                        }
                    }
                } else if let Some(target) = resolve_ref(doc, reference) {
                    // A shared parameter / response / body: mark through it.
                    mark(doc, target, side, out, depth + 1);
                }
            }
            for (key, child) in map {
                // Data, not schema: an example may quote a `$ref` key.
                if !matches!(
                    key.as_str(),
                    "example" | "examples" | "default" | "enum" | "const"
                ) {
                    mark(doc, child, side, out, depth + 1);
                }
            }
        }
        Value::Array(items) => items
            .iter()
            .for_each(|i| mark(doc, i, side, out, depth + 1)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read(doc: &Value, pointer: &str) -> String {
        let v = view(
            doc,
            Node {
                v: doc.pointer(pointer).unwrap(),
                ptr: pointer.into(),
            },
        );
        format!(
            "{:?} nullable={}",
            std::mem::discriminant(&v.ty),
            v.nullable
        )
    }

    #[test]
    fn nullable_spellings_agree() {
        let doc = json!({
            "a": {"$ref": "#/components/schemas/T", "nullable": true},
            "b": {"allOf": [{"$ref": "#/components/schemas/T"}], "nullable": true},
            "c": {"oneOf": [{"$ref": "#/components/schemas/T"}, {"type": "null"}]},
            "d": {"allOf": [{"$ref": "#/components/schemas/T"}, {"description": "doc"}], "nullable": true},
        });
        let expected = read(&doc, "/a");
        for p in ["/b", "/c", "/d"] {
            assert_eq!(read(&doc, p), expected, "{p}");
        }
        assert!(expected.ends_with("nullable=true"));
    }

    #[test]
    fn const_reads_as_a_one_value_enum() {
        let doc = json!({"c": {"type": "string", "const": "log"}, "e": {"type": "string", "enum": ["log"]}});
        for p in ["/c", "/e"] {
            let v = view(
                &doc,
                Node {
                    v: doc.pointer(p).unwrap(),
                    ptr: p.into(),
                },
            );
            assert!(
                matches!(v.ty, Ty::Enum { ref values, .. } if values == &["log"]),
                "{p}"
            );
        }
    }

    #[test]
    fn type_array_with_null_is_nullable() {
        let doc = json!({"t": {"type": ["string", "null"], "format": "date-time"}});
        let v = view(
            &doc,
            Node {
                v: &doc["t"],
                ptr: "/t".into(),
            },
        );
        assert!(v.nullable);
        assert!(
            matches!(v.ty, Ty::Scalar { ref ty, ref format } if ty == "string" && format.as_deref() == Some("date-time"))
        );
    }

    #[test]
    fn percent_encoded_references_resolve() {
        assert_eq!(
            component_name("#/components/schemas/A%20B").as_deref(),
            Some("A B")
        );
        assert_eq!(component_name("#/components/schemas/A/properties/x"), None);
        assert_eq!(ref_pointer("other.yaml#/x"), None);
    }
}
