//! Schemas: component schemas by name, and the schemas of parameters,
//! bodies and headers, compared structurally under the request rules, the
//! response rules or both.

use super::{brief, Category, Differ};
use crate::schema::{self, component, view, Node, Sides, Ty, View};
use serde_json::Value;
use std::collections::BTreeSet;

/// A short rendering of a view's type, for details.
fn short(v: &View<'_>) -> String {
    let base = match &v.ty {
        Ty::Any => "any".to_string(),
        Ty::Ref(name) => name.clone(),
        Ty::Scalar {
            ty,
            format: Some(f),
        } => format!("{ty}({f})"),
        Ty::Scalar { ty, format: None } => ty.clone(),
        Ty::Enum { ty, .. } => format!("enum {ty}"),
        Ty::Array(_) => "array".into(),
        Ty::Map(_) => "map".into(),
        Ty::Object(_) => "object".into(),
        Ty::Union(_) => "union".into(),
    };
    if v.nullable {
        format!("{base}?")
    } else {
        base
    }
}

/// Constraint keywords: listed when they change, never classified breaking
/// (the SDK does not validate them; the server does).
const CONSTRAINTS: [&str; 13] = [
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "minLength",
    "maxLength",
    "pattern",
    "minItems",
    "maxItems",
    "uniqueItems",
    "minProperties",
    "maxProperties",
];

/// Where a schema sits: a field's nullability is judged with its
/// required-ness by the object comparison, anything else on its own.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Position {
    /// A field of an object.
    Field,
    /// Anything else: a body, a parameter, an item, a component.
    Other,
}

impl<'a> Differ<'a> {
    /// Component schemas removed, added or changed.
    pub(super) fn components(&mut self) {
        let names = |doc: &'a Value| -> BTreeSet<&'a String> {
            doc.pointer("/components/schemas")
                .and_then(Value::as_object)
                .map(|m| m.keys().collect())
                .unwrap_or_default()
        };
        let old_names = names(self.od);
        let new_names = names(self.nd);
        for name in &old_names {
            let loc = format!("schema {name}");
            let (Some(o), Some(n)) = (component(self.od, name), component(self.nd, name)) else {
                self.push(
                    Category::Breaking,
                    "schema_removed",
                    &loc,
                    "component schema removed",
                );
                continue;
            };
            // Unreachable from any operation: judge it by both rule sets.
            let sides = self
                .usage
                .get(*name)
                .copied()
                .filter(|s| s.request || s.response)
                .unwrap_or(Sides::BOTH);
            self.schema(o, n, &loc, sides, Position::Other, 0);
        }
        for name in new_names.difference(&old_names) {
            self.push(
                Category::Additive,
                "schema_added",
                &format!("schema {name}"),
                "new component schema",
            );
        }
    }

    /// Two schemas at the same location: deprecation, nullability, then
    /// their views.
    pub(super) fn schema(
        &mut self,
        o: Node<'a>,
        n: Node<'a>,
        loc: &str,
        sides: Sides,
        position: Position,
        depth: usize,
    ) {
        if depth > schema::MAX_DEPTH {
            return;
        }
        let ov = view(self.od, o);
        let nv = view(self.nd, n);
        if !ov.deprecated && nv.deprecated {
            self.push(Category::Additive, "deprecated", loc, "deprecated");
        }
        if position == Position::Other && ov.nullable != nv.nullable {
            if nv.nullable && sides.response {
                self.push(Category::Breaking, "response_nullable", loc, "now nullable");
            } else {
                let detail = if nv.nullable {
                    "now nullable"
                } else {
                    "no longer nullable"
                };
                self.push(Category::Additive, "nullability_changed", loc, detail);
            }
        }
        self.views(ov, nv, loc, sides, depth);
    }

    /// Two read schemas: type, enum values, constraints, and their parts.
    fn views(&mut self, ov: View<'a>, nv: View<'a>, loc: &str, sides: Sides, depth: usize) {
        match (&ov.ty, &nv.ty) {
            (Ty::Ref(a), Ty::Ref(b)) => {
                // The same component is compared once, under its own name.
                if a != b {
                    self.push(
                        Category::Breaking,
                        "type_changed",
                        loc,
                        format!("{a} -> {b}"),
                    );
                }
                return;
            }
            // An inline schema against a component: compare the structures.
            (Ty::Ref(_), _) => {
                let resolved = schema::view_resolved(self.od, ov.node.clone());
                if !matches!(resolved.ty, Ty::Ref(_)) {
                    self.views(resolved, nv, loc, sides, depth + 1);
                }
                return;
            }
            (_, Ty::Ref(_)) => {
                let resolved = schema::view_resolved(self.nd, nv.node.clone());
                if !matches!(resolved.ty, Ty::Ref(_)) {
                    self.views(ov, resolved, loc, sides, depth + 1);
                }
                return;
            }
            _ => {}
        }
        self.constraints(&ov, &nv, loc);
        let (old_short, new_short) = (short(&ov), short(&nv));
        let old_ptr = ov.node.ptr.clone();
        match (ov.ty, nv.ty) {
            (Ty::Any, Ty::Any) => {}
            (Ty::Scalar { ty: a, format: fa }, Ty::Scalar { ty: b, format: fb }) => {
                if (&a, &fa) != (&b, &fb) {
                    self.push(
                        Category::Breaking,
                        "type_changed",
                        loc,
                        format!("{old_short} -> {new_short}"),
                    );
                }
            }
            (Ty::Enum { ty: a, values: va }, Ty::Enum { ty: b, values: vb }) => {
                if a != b {
                    self.push(
                        Category::Breaking,
                        "type_changed",
                        loc,
                        format!("enum {a} -> enum {b}"),
                    );
                }
                for value in va.iter().filter(|v| !vb.contains(v)) {
                    self.push(
                        Category::Breaking,
                        "enum_value_removed",
                        loc,
                        format!("value `{value}` removed"),
                    );
                }
                let open = self.old.open_enums.contains(&old_ptr);
                for value in vb.iter().filter(|v| !va.contains(v)) {
                    if sides.response && !open {
                        let detail = format!(
                            "value `{value}` added to an enum old clients decode as closed"
                        );
                        self.push(Category::Breaking, "closed_enum_value_added", loc, detail);
                    } else {
                        self.push(
                            Category::Additive,
                            "enum_value_added",
                            loc,
                            format!("value `{value}` added"),
                        );
                    }
                }
            }
            (Ty::Array(a), Ty::Array(b)) => {
                self.schema(a, b, &format!("{loc}[]"), sides, Position::Other, depth + 1)
            }
            (Ty::Map(a), Ty::Map(b)) => self.schema(
                a,
                b,
                &format!("{loc}{{}}"),
                sides,
                Position::Other,
                depth + 1,
            ),
            (Ty::Object(a), Ty::Object(b)) => self.objects(a, b, loc, sides, depth),
            (Ty::Union(a), Ty::Union(b)) => {
                let open = self.old.open_unions.contains(&old_ptr);
                self.unions(a, b, open, loc, sides, depth)
            }
            _ => {
                self.push(
                    Category::Breaking,
                    "type_changed",
                    loc,
                    format!("{old_short} -> {new_short}"),
                );
            }
        }
    }

    /// Constraint keywords and `default`.
    fn constraints(&mut self, ov: &View<'a>, nv: &View<'a>, loc: &str) {
        for key in CONSTRAINTS {
            let (a, b) = (ov.node.v.get(key), nv.node.v.get(key));
            if a != b {
                self.push(
                    Category::Additive,
                    "constraint_changed",
                    loc,
                    format!("{key}: {} -> {}", brief(a), brief(b)),
                );
            }
        }
        let (a, b) = (ov.node.v.get("default"), nv.node.v.get("default"));
        if a != b {
            self.push(
                Category::Additive,
                "default_changed",
                loc,
                format!("default: {} -> {}", brief(a), brief(b)),
            );
        }
    }

    /// Two objects' fields, required-ness, additional properties and
    /// required-only alternatives.
    fn objects(
        &mut self,
        a: schema::Object<'a>,
        b: schema::Object<'a>,
        loc: &str,
        sides: Sides,
        depth: usize,
    ) {
        let always = |doc: &'a Value, object: &schema::Object<'a>, name: &str, node: &Node<'a>| {
            object.required.contains(name) && !view(doc, node.clone()).nullable
        };
        // Whether the generated field is an `Option`: typify wraps a field
        // that is nullable or not required, except an array or a map that is
        // only not required (`Vec` / `Map` with `#[serde(default)]`).
        let wrapped = |doc: &'a Value, object: &schema::Object<'a>, name: &str, node: &Node<'a>| {
            let v = view(doc, node.clone());
            v.nullable
                || (!object.required.contains(name) && !matches!(v.ty, Ty::Array(_) | Ty::Map(_)))
        };
        for (name, on) in &a.fields {
            let floc = format!("{loc}.{name}");
            let Some(nn) = b.field(name) else {
                let kind = if sides.response {
                    "response_field_removed"
                } else {
                    "request_field_removed"
                };
                self.push(Category::Breaking, kind, &floc, "field removed");
                continue;
            };
            let (o_req, n_req) = (a.required.contains(name), b.required.contains(name));
            let o_null = view(self.od, on.clone()).nullable;
            let n_null = view(self.nd, nn.clone()).nullable;
            let mut breaking = false;
            if sides.request && !o_req && n_req {
                self.push(
                    Category::Breaking,
                    "request_field_required",
                    &floc,
                    "request field now required",
                );
                breaking = true;
            }
            let (o_always, n_always) =
                (always(self.od, &a, name, on), always(self.nd, &b, name, nn));
            if sides.response && o_always && !n_always {
                let how = match (n_req, n_null) {
                    (false, true) => "optional and nullable",
                    (false, false) => "optional",
                    _ => "nullable",
                };
                self.push(
                    Category::Breaking,
                    "response_field_optional",
                    &floc,
                    format!("was always present, now {how}"),
                );
                breaking = true;
            }
            // Harmless on the wire (old clients already handle the field
            // being there), but the generated response type changes from
            // `Option<T>` to `T`: code that reads it no longer compiles.
            if sides.response
                && !breaking
                && wrapped(self.od, &a, name, on)
                && !wrapped(self.nd, &b, name, nn)
            {
                let how = if o_null && !n_null {
                    "no longer nullable"
                } else {
                    "now required"
                };
                self.push(
                    Category::Breaking,
                    "response_field_required",
                    &floc,
                    format!("{how}: the generated field changes from Option<T> to T"),
                );
                breaking = true;
            }
            if !breaking {
                match (o_req, n_req) {
                    (true, false) => self.push(
                        Category::Additive,
                        "field_now_optional",
                        &floc,
                        "field now optional",
                    ),
                    (false, true) => self.push(
                        Category::Additive,
                        "field_now_required",
                        &floc,
                        "field now required",
                    ),
                    _ => {}
                }
                if o_null != n_null {
                    let detail = if n_null {
                        "now nullable"
                    } else {
                        "no longer nullable"
                    };
                    self.push(Category::Additive, "nullability_changed", &floc, detail);
                }
            }
            self.schema(
                on.clone(),
                nn.clone(),
                &floc,
                sides,
                Position::Field,
                depth + 1,
            );
        }
        for (name, _) in &b.fields {
            if a.field(name).is_some() {
                continue;
            }
            let floc = format!("{loc}.{name}");
            if sides.request && b.required.contains(name) {
                self.push(
                    Category::Breaking,
                    "request_field_required",
                    &floc,
                    "new required request field",
                );
            } else {
                let what = if b.required.contains(name) {
                    "new field (required)"
                } else {
                    "new optional field"
                };
                self.push(Category::Additive, "field_added", &floc, what);
            }
        }
        match (a.extra, b.extra) {
            (Some(x), Some(y)) => self.schema(
                x,
                y,
                &format!("{loc}{{}}"),
                sides,
                Position::Other,
                depth + 1,
            ),
            (None, None) => {}
            (x, _) => {
                let detail = if x.is_some() {
                    "additional properties removed"
                } else {
                    "additional properties added"
                };
                let category = if x.is_some() {
                    Category::Breaking
                } else {
                    Category::Additive
                };
                let kind = if x.is_some() {
                    "type_changed"
                } else {
                    "field_added"
                };
                self.push(category, kind, &format!("{loc}{{}}"), detail);
            }
        }
        if a.alternatives != b.alternatives {
            let alts = |x: &[Vec<String>]| {
                x.iter()
                    .map(|a| a.join(" + "))
                    .collect::<Vec<_>>()
                    .join(" | ")
            };
            let detail = format!(
                "exactly one of: ({}) -> ({})",
                alts(&a.alternatives),
                alts(&b.alternatives)
            );
            self.push(Category::Additive, "constraint_changed", loc, detail);
        }
    }

    /// Two unions' tags and variants; `open` says old clients keep unknown
    /// variants.
    fn unions(
        &mut self,
        a: schema::Union<'a>,
        b: schema::Union<'a>,
        open: bool,
        loc: &str,
        sides: Sides,
        depth: usize,
    ) {
        // Variants are matched by tag when both are tagged by the same
        // property, else by component name, else by position.
        let key = |doc: &'a Value, u: &schema::Union<'a>| -> Vec<(String, Node<'a>)> {
            u.variants
                .iter()
                .enumerate()
                .map(|(i, node)| {
                    let name = match (&u.tag, view(doc, node.clone()).ty) {
                        (Some(tag), _) => tag.values[i].clone(),
                        (None, Ty::Ref(name)) => name,
                        (None, _) => format!("#{i}"),
                    };
                    (name, node.clone())
                })
                .collect()
        };
        let same_tag = match (&a.tag, &b.tag) {
            (Some(x), Some(y)) => x.property == y.property,
            (None, None) => true,
            _ => false,
        };
        if !same_tag {
            let tag = |u: &schema::Union| {
                u.tag
                    .as_ref()
                    .map_or("untagged".to_string(), |t| format!("tag {}", t.property))
            };
            self.push(
                Category::Breaking,
                "type_changed",
                loc,
                format!("union {} -> {}", tag(&a), tag(&b)),
            );
            return;
        }
        let old_variants = key(self.od, &a);
        let new_variants = key(self.nd, &b);
        for (name, on) in &old_variants {
            let Some((_, nn)) = new_variants.iter().find(|(n, _)| n == name) else {
                self.push(
                    Category::Breaking,
                    "union_variant_removed",
                    loc,
                    format!("variant `{name}` removed"),
                );
                continue;
            };
            self.schema(
                on.clone(),
                nn.clone(),
                &format!("{loc}.oneOf[{name}]"),
                sides,
                Position::Other,
                depth + 1,
            );
        }
        for (name, _) in &new_variants {
            if old_variants.iter().any(|(n, _)| n == name) {
                continue;
            }
            if sides.response && !open {
                let detail =
                    format!("variant `{name}` added to a union old clients decode as closed");
                self.push(
                    Category::Breaking,
                    "closed_union_variant_added",
                    loc,
                    detail,
                );
            } else {
                self.push(
                    Category::Additive,
                    "union_variant_added",
                    loc,
                    format!("variant `{name}` added"),
                );
            }
        }
    }
}
