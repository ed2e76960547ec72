//! JSON pointers, local references, and schema nodes with their pointer.

use super::MAX_DEPTH;
use serde_json::Value;

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
    /// A node below this one, `segments` further down.
    pub(super) fn child(&self, v: &'a Value, segments: &[&str]) -> Node<'a> {
        let ptr = segments
            .iter()
            .fold(self.ptr.clone(), |p, s| child_ptr(&p, s));
        Node { v, ptr }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
