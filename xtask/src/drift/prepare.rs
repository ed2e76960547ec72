//! Each document read three ways: raw, after codegen's representation
//! transforms, and normalized (to learn which enums and unions are open).

use crate::schema::{child_ptr, component, component_name};
use crate::SpecError;
use codegen::TransformKind;
use serde_json::Value;
use std::collections::HashSet;

/// One document, read three ways.
pub(super) struct Prepared {
    /// The raw document.
    pub(super) raw: Value,
    /// After the representation transforms.
    pub(super) doc: Value,
    /// Pointers (into `doc`) of the enums the SDK generates open.
    pub(super) open_enums: HashSet<String>,
    /// Pointers of the component unions the SDK generates open.
    pub(super) open_unions: HashSet<String>,
}

impl Prepared {
    /// Reads `raw` the three ways; `label` names it in errors.
    pub(super) fn new(raw: &Value, label: &str) -> Result<Prepared, SpecError> {
        let run = |keep: &dyn Fn(TransformKind) -> bool| {
            // A transform that panics on an odd document is reported, not propagated.
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                let mut doc = raw.clone();
                let mut report = codegen::Report::default();
                for (_, kind, transform) in codegen::TRANSFORMS {
                    if keep(kind) {
                        transform(&mut doc, &mut report);
                    }
                }
                (doc, report)
            }))
            .map_err(|_| {
                SpecError::Unreadable(format!(
                    "{label}: codegen's transforms cannot process this document"
                ))
            })
        };
        let (doc, _) = run(&|kind| kind == TransformKind::Representation)?;
        // Removals are skipped so every operation and response keeps its place.
        let (normalized, report) = run(&|kind| kind != TransformKind::Removal)?;
        let enum_names: HashSet<String> =
            report.open_enums.iter().map(|e| e.name.clone()).collect();
        let mut open_enums = HashSet::new();
        open_enum_pointers(
            &doc,
            "",
            &normalized,
            &normalized,
            &enum_names,
            &mut open_enums,
            0,
        );
        let open_unions = report
            .open_unions
            .iter()
            .map(|u| child_ptr("/components/schemas", &u.name))
            .collect();
        Ok(Prepared {
            raw: raw.clone(),
            doc,
            open_enums,
            open_unions,
        })
    }
}

/// The component a normalized node refers to, when `doc_node` was inline
/// there and codegen hoisted it (`$ref`, or `allOf: [$ref]` + `nullable`).
fn hoisted(doc_node: &Value, normalized: &Value) -> Option<String> {
    if doc_node.get("$ref").is_some() || doc_node.get("allOf").is_some() {
        return None;
    }
    let reference = normalized.get("$ref").or_else(|| {
        normalized
            .get("allOf")?
            .as_array()
            .filter(|a| a.len() == 1)?[0]
            .get("$ref")
    })?;
    component_name(reference.as_str()?)
}

/// Walks `doc` and its normalized counterpart in parallel and records the
/// pointers (in `doc`) of enums the normalized view made open: component
/// enums codegen lists, and inline enums it hoisted into one.
fn open_enum_pointers(
    doc_node: &Value,
    ptr: &str,
    normalized_node: &Value,
    normalized: &Value,
    names: &HashSet<String>,
    out: &mut HashSet<String>,
    depth: usize,
) {
    if depth > 64 {
        return;
    }
    if let Some(name) = ptr.strip_prefix("/components/schemas/") {
        if !name.contains('/') && names.contains(&name.replace("~1", "/").replace("~0", "~")) {
            out.insert(ptr.to_string());
        }
    }
    match doc_node {
        Value::Object(map) => {
            if let Some(name) = hoisted(doc_node, normalized_node) {
                if names.contains(&name) {
                    if map.contains_key("enum") {
                        out.insert(ptr.to_string());
                    }
                } else if let Some(target) = component(normalized, &name) {
                    // A hoisted inline body: its enums were hoisted from there.
                    open_enum_pointers(doc_node, ptr, target.v, normalized, names, out, depth + 1);
                }
                return;
            }
            let mut counterpart = normalized_node;
            if let Some(known) = normalized_node
                .get("x-kernel-open-union")
                .and_then(Value::as_str)
            {
                // An open union: the closed original lives on as `<Name>Known`.
                counterpart = component(normalized, known).map_or(&Value::Null, |n| n.v);
            }
            for (key, child) in map {
                if let Some(other) = counterpart.get(key) {
                    open_enum_pointers(
                        child,
                        &child_ptr(ptr, key),
                        other,
                        normalized,
                        names,
                        out,
                        depth + 1,
                    );
                }
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                if let Some(other) = normalized_node.get(i) {
                    open_enum_pointers(
                        item,
                        &format!("{ptr}/{i}"),
                        other,
                        normalized,
                        names,
                        out,
                        depth + 1,
                    );
                }
            }
        }
        _ => {}
    }
}
