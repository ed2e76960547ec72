//! Reading a schema node as a [`View`]: its shape, nullability and
//! deprecation, whichever spelling the document uses.

use super::pointer::{child_ptr, component, component_name, ref_pointer, resolve_ref, Node};
use super::tags::{union_tag, Tag};
use super::{is_cosmetic_key, MAX_DEPTH};
use serde_json::{Map, Value};
use std::collections::BTreeSet;

/// The schema `true`: anything.
static ANY: Value = Value::Bool(true);

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
    /// the same required property (codegen's rule, [`codegen::union_tag_by`]).
    pub tag: Option<Tag>,
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

/// The type of an enum: the declared one, else the kinds of its values.
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

/// `type: null`: a union variant that makes the union nullable.
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

/// [`view`], `depth` references and `allOf`s down.
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
pub(super) fn merge<'a>(doc: &'a Value, node: &Node<'a>, object: &mut Object<'a>, depth: usize) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The shape and nullability of the node at `pointer`, as text.
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
}
