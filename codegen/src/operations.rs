//! The operations of a document: one loop over paths and methods.

use crate::METHODS;
use serde_json::{Map, Value};

/// One operation of the spec, as listed by [`operations`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Operation {
    /// The `operationId`.
    pub id: String,
    /// Lower-case HTTP method.
    pub method: String,
    /// Path template, e.g. `/browsers/{id}`.
    pub path: String,
    /// First tag, or `""`.
    pub tag: String,
    /// `deprecated: true` in the spec.
    pub deprecated: bool,
}

/// The name of `operationId`'s constant in `kernel_sys::ops`
/// (`getBrowsersById` → `GET_BROWSERS_BY_ID`): progenitor's method name
/// in upper case.
pub fn const_name(id: &str) -> String {
    heck::ToSnakeCase::to_snake_case(id).to_uppercase()
}

/// Every operation in the document, in path then method order.
pub fn operations(spec: &Value) -> Vec<Operation> {
    let mut out = Vec::new();
    let Some(paths) = spec.get("paths").and_then(Value::as_object) else {
        return out;
    };
    for (path, item) in paths {
        for method in METHODS {
            let Some(op) = item.get(method) else { continue };
            out.push(Operation {
                id: op["operationId"].as_str().unwrap_or_default().to_string(),
                method: method.to_string(),
                path: path.clone(),
                tag: op["tags"][0].as_str().unwrap_or_default().to_string(),
                deprecated: op["deprecated"].as_bool().unwrap_or(false),
            });
        }
    }
    out
}

pub(crate) fn for_each_operation(
    doc: &mut Value,
    mut f: impl FnMut(&str, &str, &mut Map<String, Value>),
) {
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for (path, item) in paths.iter_mut() {
        for method in METHODS {
            if let Some(op) = item.get_mut(method).and_then(Value::as_object_mut) {
                f(path, method, op);
            }
        }
    }
}
