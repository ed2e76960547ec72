//! Which side of the wire (request, response) each component schema is on.

use super::pointer::{component, deref, ref_pointer, resolve_ref};
use serde_json::Value;
use std::collections::BTreeMap;

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
