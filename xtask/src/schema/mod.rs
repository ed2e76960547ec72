//! A resolved reading of one schema node, shared by [`crate::drift`] and
//! [`crate::surface`].
//!
//! It reads both the raw 3.1 spelling (`const`, `$ref` with a `nullable`
//! sibling, `type: [T, "null"]`, `oneOf: [T, {type: null}]`) and the spelling
//! codegen's representation transforms produce (`enum: [v]`,
//! `allOf: [{$ref}]` + `nullable`), so the same code reads the raw document
//! (the surface) and the transformed one (drift) without losing a construct.
//!
//! `view` reads a node, following `pointer`s and references; `tags` finds
//! union tags and SSE event types; `usage` says which side of the wire each
//! component is on.

mod pointer;
mod tags;
mod usage;
mod view;

pub(crate) use pointer::{
    child_ptr, component, component_name, deref, ref_pointer, resolve_ref, Node,
};
pub(crate) use tags::event_tags;
pub(crate) use usage::{usage, Sides};
pub(crate) use view::{view, view_resolved, Object, Ty, Union, View};

/// Reference chains and `allOf` nesting deeper than this are read as `any`
/// instead of recursing forever on a cyclic document.
pub(crate) const MAX_DEPTH: usize = 32;

/// Keys whose value is documentation only.
pub(crate) fn is_cosmetic_key(key: &str) -> bool {
    matches!(
        key,
        "description" | "summary" | "title" | "example" | "examples" | "$comment" | "externalDocs"
    ) || key.starts_with("x-")
}
