//! Union tags, and the SSE event types a stream's body schema carries.

use super::pointer::{ref_pointer, resolve_ref, Node};
use super::view::{merge, value_text, view_resolved, Object, Ty, Union};
use super::MAX_DEPTH;
use serde_json::Value;
use std::collections::BTreeSet;

/// The tag of a tagged union.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Tag {
    /// The property carrying the tag, e.g. `event`.
    pub property: String,
    /// The tag of each variant, in variant order.
    pub values: Vec<String>,
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

/// The tag of a union, by codegen's rule ([`codegen::union_tag_by`]) read
/// from this document's spelling: variants may be inline, references or
/// `allOf` compositions, and a tag may be a `const` or a referenced enum.
pub(super) fn union_tag(doc: &Value, variants: &[Node<'_>]) -> Option<Tag> {
    let objects: Vec<Object> = variants
        .iter()
        .map(|v| variant_object(doc, v))
        .collect::<Option<_>>()?;
    let first = objects.first()?;
    let candidates = first.fields.iter().map(|(name, _)| name.as_str());
    let (property, values) = codegen::union_tag_by(&objects, candidates, |o, property| {
        o.required
            .contains(property)
            .then(|| single_value(doc, o.field(property)?))?
    })?;
    Some(Tag { property, values })
}

/// The SSE event types a `text/event-stream` body schema carries: the tags of
/// the union it is (or that one of its fields is, for an envelope such as
/// telemetry's `{seq, event}`), or the one-value tag of a single event type.
pub(crate) fn event_tags(doc: &Value, node: Node<'_>) -> BTreeSet<String> {
    event_tags_at(doc, node, 0)
}

/// [`event_tags`], `depth` levels of envelopes and unions down.
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::component;

    #[test]
    fn raw_spec_unions_have_the_tags_codegen_opens_them_by() {
        let raw = crate::load_spec(&crate::workspace_root().join(crate::SPEC_PATH)).unwrap();
        let (_, report) = codegen::normalize(&raw);
        assert!(!report.open_unions.is_empty());
        for union in &report.open_unions {
            let node = component(&raw, &union.name).unwrap();
            let Ty::Union(read) = view_resolved(&raw, node).ty else {
                panic!("{} is not read as a union", union.name);
            };
            let expected = Tag {
                property: union.tag.clone(),
                values: union.tags.clone(),
            };
            assert_eq!(read.tag, Some(expected), "{}", union.name);
        }
    }
}
