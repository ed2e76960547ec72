//! What changed between two spec documents, classified for client users.
//!
//! # Which document each rule reads
//!
//! `codegen::normalize` is built for progenitor, not for comparison: it drops
//! error responses, alternate 2xx responses and multipart operations, hoists
//! inline enums into invented component names and renames tagged unions. So
//! the rules read three views of each document:
//!
//! - **Operations, parameters, request bodies, responses, media types, SSE
//!   events** come from the *raw* document: everything a client can call or
//!   receive, including what the generator leaves to hand-written code.
//! - **Schemas** are compared on the raw document after codegen's
//!   *representation* transforms only (`downgrade_version`, `const_to_enum`,
//!   `ref_siblings`, `drop_content_encoding`, `allow_unknown_fields`, taken by
//!   name from `codegen::TRANSFORMS`): a `const` tag is read as the
//!   one-value enum the generator sees and a `$ref`'s `nullable` sibling is
//!   kept exactly as the generator keeps it, so a 3.1 construct is never
//!   misread, while component names stay the spec's own.
//! - **Which enums and unions are open** (unknown values kept rather than
//!   rejected) comes from the *normalized* view: every transform up to
//!   `open_enums` (the last two only remove things). That decides whether a
//!   value added to a response enum is safe for old clients.
//!
//! Cosmetic changes (descriptions, summaries, titles, examples, `x-*`) are
//! read from the raw document, before `ref_siblings` drops the descriptions
//! next to `$ref`s.
//!
//! # Rules
//!
//! A schema is checked under the request rules, the response rules or both,
//! depending on whether operations reach it from a parameter / request body
//! or from a response body / header (walking `$ref`s from the operations of
//! both documents; an unreachable component gets both rule sets).
//!
//! Breaking:
//! - `operation_removed`, `operation_moved` (same operationId, another path or
//!   method);
//! - `parameter_removed`; `parameter_required` (newly required, or a new
//!   required parameter);
//! - `request_body_removed`; `request_body_required`;
//! - `request_field_required` (newly required, or a new required field, in a
//!   request schema);
//! - `response_field_removed` (old clients read it), `request_field_removed`
//!   (callers that set it would lose it silently);
//! - `response_field_optional` (a response field that was always present,
//!   i.e. required and not nullable, becomes optional or nullable);
//!   `response_nullable` (a response body or item becomes nullable);
//! - `type_changed` (type, format, array/object/enum shape, or a `$ref` to a
//!   different component);
//! - `enum_value_removed` (requests: the value is rejected; responses: code
//!   matching on it, or waiting for it, never sees it again);
//! - `closed_enum_value_added`, `closed_union_variant_added` (on the response
//!   side, to an enum or union the SDK generates closed: old clients fail to
//!   decode the new value);
//! - `union_variant_removed`; `sse_event_removed` (a tag no longer in a
//!   `text/event-stream` response's event union);
//! - `media_type_changed` (a request or response media type no longer
//!   offered); `response_removed` (a 2xx / default response);
//!   `response_header_removed` (from a 2xx response);
//! - `schema_removed` (the generated type disappears).
//!
//! Additive: `operation_added`, `parameter_added`, `field_added`,
//! `enum_value_added` (enums are open in this SDK, but it is still listed),
//! `union_variant_added`, `sse_event_added`, `schema_added`,
//! `request_body_added`, `media_type_added`, `response_added`,
//! `response_header_added`, relaxations (`parameter_now_optional`,
//! `request_body_now_optional`, `field_now_optional`, `field_now_required`,
//! `nullability_changed`), `response_removed` / `response_header_removed` for
//! error responses, `deprecated`, `constraint_changed`, `default_changed`,
//! `security_changed`, `servers_changed`, and `other_change` (the documents
//! still differ but no rule above explains it; the snapshot diff will).
//!
//! Cosmetic: `description_changed`, `summary_changed`, `title_changed`,
//! `example_changed`, `extension_changed` (`x-*`), `tags_changed`,
//! `info_changed`.
//!
//! # Output
//!
//! [`Report::to_json`] (`cargo xtask drift OLD NEW --json`) is stable for
//! tools:
//!
//! ```json
//! {"breaking": [{"kind": "operation_removed", "location": "operation getBrowsers", "detail": "GET /browsers removed"}],
//!  "additive": [], "cosmetic": []}
//! ```
//!
//! Each list is sorted by location, then kind, then detail. Locations are
//! `operation <operationId>` optionally followed by `param <name>`,
//! `request <media type>`, `response <status> [<media type>|header <name>]`,
//! or `event <tag>`; `schema <Name>` for component schemas; nested fields
//! append `.field`, array items `[]`, map values `{}`, inline union variants
//! `.oneOf[i]`; `document servers|security`, `info`.

use crate::schema::{
    self, child_ptr, component, component_name, deref, event_tags, is_cosmetic_key, view, Node,
    Sides, Ty, View,
};
use crate::SpecError;
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::fmt::Write as _;
use std::path::Path;

/// How a change affects client users.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Category {
    /// Existing clients may stop working: a major version bump.
    Breaking,
    /// New capability, nothing existing breaks: a minor version bump.
    Additive,
    /// Documentation only: a patch version bump.
    Cosmetic,
}

/// One classified change.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Change {
    /// The rule, e.g. `operation_removed` (see the module docs for the list).
    pub kind: &'static str,
    /// What changed, e.g. `operation getBrowsers param status` or
    /// `schema ManagedAuth.flow_step`.
    pub location: String,
    /// A human-readable explanation.
    pub detail: String,
}

/// The semantic-versioning bump a report calls for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bump {
    /// Something breaking changed.
    Major,
    /// Only additive (and maybe cosmetic) changes.
    Minor,
    /// Only cosmetic changes.
    Patch,
    /// Nothing changed.
    None,
}

/// The classified changes between two documents, each list sorted.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// Changes that may break existing clients.
    pub breaking: Vec<Change>,
    /// Non-breaking contract changes.
    pub additive: Vec<Change>,
    /// Documentation-only changes.
    pub cosmetic: Vec<Change>,
}

impl Report {
    /// Nothing changed at all.
    pub fn is_empty(&self) -> bool {
        self.breaking.is_empty() && self.additive.is_empty() && self.cosmetic.is_empty()
    }

    /// The version bump this report calls for.
    pub fn bump(&self) -> Bump {
        if !self.breaking.is_empty() {
            Bump::Major
        } else if !self.additive.is_empty() {
            Bump::Minor
        } else if !self.cosmetic.is_empty() {
            Bump::Patch
        } else {
            Bump::None
        }
    }

    /// The changes of one category.
    pub fn of(&self, category: Category) -> &[Change] {
        match category {
            Category::Breaking => &self.breaking,
            Category::Additive => &self.additive,
            Category::Cosmetic => &self.cosmetic,
        }
    }

    /// The stable JSON form: `{"breaking": [...], "additive": [...],
    /// "cosmetic": [...]}`, each entry `{"kind", "location", "detail"}`.
    pub fn to_json(&self) -> Value {
        let list = |changes: &[Change]| -> Value {
            changes
                .iter()
                .map(|c| json!({"kind": c.kind, "location": c.location, "detail": c.detail}))
                .collect()
        };
        json!({
            "breaking": list(&self.breaking),
            "additive": list(&self.additive),
            "cosmetic": list(&self.cosmetic),
        })
    }

    /// A changelog-style Markdown report: one section per category, one
    /// bullet per change, and the suggested version bump.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let sections = [
            ("Breaking", &self.breaking),
            ("Additive", &self.additive),
            ("Cosmetic", &self.cosmetic),
        ];
        for (title, changes) in sections {
            let _ = writeln!(out, "## {title} ({})\n", changes.len());
            if changes.is_empty() {
                out.push_str("- none\n");
            }
            for c in changes {
                let _ = writeln!(out, "- {}: {} [{}]", c.location, c.detail, c.kind);
            }
            out.push('\n');
        }
        let bump = match self.bump() {
            Bump::Major => "major (breaking changes)",
            Bump::Minor => "minor (additive changes only)",
            Bump::Patch => "patch (cosmetic changes only)",
            Bump::None => "none (no changes)",
        };
        let _ = writeln!(out, "Suggested version bump: {bump}");
        out
    }
}

/// Compares two spec files. Both are read and validated first; either one
/// failing is an error (exit code 2 in the CLI).
pub fn diff_files(old: &Path, new: &Path) -> Result<Report, SpecError> {
    let old = crate::load_spec(old)?;
    let new = crate::load_spec(new)?;
    diff(&old, &new)
}

/// Compares two documents. They should have passed
/// [`crate::validate::validate`]; a document codegen's transforms cannot
/// process is an error rather than a panic.
pub fn diff(old: &Value, new: &Value) -> Result<Report, SpecError> {
    let old = Prepared::new(old, "OLD")?;
    let new = Prepared::new(new, "NEW")?;
    let mut d = Differ::new(&old, &new);
    d.operations();
    d.components();
    d.document();
    d.cosmetic(&old.raw, &new.raw);
    d.safety_net();
    Ok(d.finish())
}

/// Codegen transforms that only re-spell the document (see the module docs).
const REPRESENTATION: [&str; 5] = [
    "downgrade_version",
    "const_to_enum",
    "ref_siblings",
    "drop_content_encoding",
    "allow_unknown_fields",
];

/// Codegen transforms that only remove things; the openness view skips them
/// so every operation and response keeps its place.
const REMOVALS: [&str; 2] = ["hand_written_operations", "single_response_body"];

/// One document, read three ways.
struct Prepared {
    /// The raw document.
    raw: Value,
    /// After the representation transforms.
    doc: Value,
    /// Pointers (into `doc`) of the enums the SDK generates open.
    open_enums: HashSet<String>,
    /// Pointers of the component unions the SDK generates open.
    open_unions: HashSet<String>,
}

impl Prepared {
    fn new(raw: &Value, label: &str) -> Result<Prepared, SpecError> {
        let run = |keep: &dyn Fn(&str) -> bool| {
            // A transform that panics on an odd document is reported, not propagated.
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                let mut doc = raw.clone();
                let mut report = codegen::Report::default();
                for (name, transform) in codegen::TRANSFORMS {
                    if keep(name) {
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
        let (doc, _) = run(&|name| REPRESENTATION.contains(&name))?;
        let (normalized, report) = run(&|name| !REMOVALS.contains(&name))?;
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

/// An operation of a document.
struct Op<'a> {
    method: String,
    path: String,
    node: &'a Value,
    item: &'a Value,
    ptr: String,
}

fn operations(doc: &Value) -> BTreeMap<String, Op<'_>> {
    let mut out = BTreeMap::new();
    let Some(paths) = doc.get("paths").and_then(Value::as_object) else {
        return out;
    };
    for (path, item) in paths {
        for method in codegen::METHODS {
            let Some(node) = item.get(method) else {
                continue;
            };
            let id = node
                .get("operationId")
                .and_then(Value::as_str)
                .map(str::to_string);
            let id = id.unwrap_or_else(|| format!("{} {path}", method.to_uppercase()));
            let ptr = child_ptr(&child_ptr("/paths", path), method);
            out.insert(
                id,
                Op {
                    method: method.to_uppercase(),
                    path: path.clone(),
                    node,
                    item,
                    ptr,
                },
            );
        }
    }
    out
}

/// Parameters by (location, name), operation-level overriding path-level,
/// each with its pointer.
fn parameters<'a>(doc: &'a Value, op: &Op<'a>) -> BTreeMap<(String, String), (&'a Value, String)> {
    let mut out = BTreeMap::new();
    let path_ptr = op.ptr.rsplit_once('/').map_or("", |(p, _)| p).to_string();
    for (owner, ptr) in [(op.item, path_ptr), (op.node, op.ptr.clone())] {
        let list = owner.get("parameters").and_then(Value::as_array);
        for (i, param) in list.into_iter().flatten().enumerate() {
            let mut param_ptr = format!("{ptr}/parameters/{i}");
            if let Some(p) = param
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(schema::ref_pointer)
            {
                param_ptr = p;
            }
            let param = deref(doc, param);
            let name = param
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let location = param.get("in").and_then(Value::as_str).unwrap_or_default();
            out.insert((location.to_string(), name.to_string()), (param, param_ptr));
        }
    }
    out
}

/// A schema node, or the schema `true` (anything) when absent.
fn node_at<'a>(v: Option<&'a Value>, ptr: &str) -> Node<'a> {
    static ANY: Value = Value::Bool(true);
    Node {
        v: v.unwrap_or(&ANY),
        ptr: ptr.to_string(),
    }
}

fn is_true(v: &Value, key: &str) -> bool {
    v.get(key) == Some(&Value::Bool(true))
}

/// A success (or catch-all) status: the generated client expects it.
fn is_success(status: &str) -> bool {
    status.starts_with('2') || status == "default"
}

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

/// A value for a detail line, shortened.
fn brief(v: Option<&Value>) -> String {
    let Some(v) = v else { return "none".into() };
    let text = match v {
        Value::String(s) => format!("{s:?}"),
        other => other.to_string(),
    };
    if text.chars().count() > 60 {
        format!("{}…", text.chars().take(59).collect::<String>())
    } else {
        text
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
enum Position {
    Field,
    Other,
}

struct Differ<'a> {
    old: &'a Prepared,
    new: &'a Prepared,
    /// `old.doc` and `new.doc`, copied out so borrows of them outlive `&mut self`.
    od: &'a Value,
    nd: &'a Value,
    /// Component name → the sides it is used on, in either document.
    usage: BTreeMap<String, Sides>,
    changes: BTreeSet<(Category, Change)>,
}

impl<'a> Differ<'a> {
    fn new(old: &'a Prepared, new: &'a Prepared) -> Self {
        let mut usage = schema::usage(&old.doc);
        for (name, sides) in schema::usage(&new.doc) {
            let entry = usage.entry(name).or_default();
            *entry = entry.union(sides);
        }
        Differ {
            old,
            new,
            od: &old.doc,
            nd: &new.doc,
            usage,
            changes: BTreeSet::new(),
        }
    }

    fn push(
        &mut self,
        category: Category,
        kind: &'static str,
        location: &str,
        detail: impl Into<String>,
    ) {
        let change = Change {
            kind,
            location: location.to_string(),
            detail: detail.into(),
        };
        self.changes.insert((category, change));
    }

    fn finish(self) -> Report {
        let mut report = Report::default();
        for (category, change) in self.changes {
            match category {
                Category::Breaking => report.breaking.push(change),
                Category::Additive => report.additive.push(change),
                Category::Cosmetic => report.cosmetic.push(change),
            }
        }
        for list in [
            &mut report.breaking,
            &mut report.additive,
            &mut report.cosmetic,
        ] {
            list.sort_by(|a, b| {
                (&a.location, a.kind, &a.detail).cmp(&(&b.location, b.kind, &b.detail))
            });
        }
        report
    }

    // ----- operations (raw document, representation transforms applied) -----

    fn operations(&mut self) {
        let (old_doc, new_doc) = (self.od, self.nd);
        let old_ops = operations(old_doc);
        let new_ops = operations(new_doc);
        for (id, o) in &old_ops {
            let loc = format!("operation {id}");
            let Some(n) = new_ops.get(id) else {
                self.push(
                    Category::Breaking,
                    "operation_removed",
                    &loc,
                    format!("{} {} removed", o.method, o.path),
                );
                continue;
            };
            if (&o.method, &o.path) != (&n.method, &n.path) {
                let detail = format!("{} {} -> {} {}", o.method, o.path, n.method, n.path);
                self.push(Category::Breaking, "operation_moved", &loc, detail);
            }
            if !is_true(o.node, "deprecated") && is_true(n.node, "deprecated") {
                self.push(
                    Category::Additive,
                    "deprecated",
                    &loc,
                    "operation deprecated",
                );
            }
            // Only the operation's own requirements: a change of the
            // document's default is reported once, as `document security`.
            if o.node.get("security") != n.node.get("security") {
                self.push(
                    Category::Additive,
                    "security_changed",
                    &loc,
                    "security requirements changed",
                );
            }
            self.parameters(o, n, &loc);
            self.request_body(o, n, &loc);
            self.responses(o, n, &loc);
        }
        for (id, n) in &new_ops {
            if !old_ops.contains_key(id) {
                let loc = format!("operation {id}");
                self.push(
                    Category::Additive,
                    "operation_added",
                    &loc,
                    format!("{} {}", n.method, n.path),
                );
            }
        }
    }

    fn parameters(&mut self, o: &Op<'a>, n: &Op<'a>, loc: &str) {
        let old_params = parameters(self.od, o);
        let new_params = parameters(self.nd, n);
        for ((location, name), (op, optr)) in &old_params {
            let ploc = format!("{loc} param {name}");
            let Some((np, nptr)) = new_params.get(&(location.clone(), name.clone())) else {
                self.push(
                    Category::Breaking,
                    "parameter_removed",
                    &ploc,
                    format!("{location} parameter removed"),
                );
                continue;
            };
            match (is_true(op, "required"), is_true(np, "required")) {
                (false, true) => self.push(
                    Category::Breaking,
                    "parameter_required",
                    &ploc,
                    format!("{location} parameter now required"),
                ),
                (true, false) => self.push(
                    Category::Additive,
                    "parameter_now_optional",
                    &ploc,
                    format!("{location} parameter now optional"),
                ),
                _ => {}
            }
            if !is_true(op, "deprecated") && is_true(np, "deprecated") {
                self.push(
                    Category::Additive,
                    "deprecated",
                    &ploc,
                    "parameter deprecated",
                );
            }
            let old_schema = node_at(op.get("schema"), &format!("{optr}/schema"));
            let new_schema = node_at(np.get("schema"), &format!("{nptr}/schema"));
            self.schema(
                old_schema,
                new_schema,
                &ploc,
                Sides::REQUEST,
                Position::Other,
                0,
            );
        }
        for ((location, name), (np, _)) in &new_params {
            if old_params.contains_key(&(location.clone(), name.clone())) {
                continue;
            }
            let ploc = format!("{loc} param {name}");
            if is_true(np, "required") {
                self.push(
                    Category::Breaking,
                    "parameter_required",
                    &ploc,
                    format!("new required {location} parameter"),
                );
            } else {
                self.push(
                    Category::Additive,
                    "parameter_added",
                    &ploc,
                    format!("new optional {location} parameter"),
                );
            }
        }
    }

    fn request_body(&mut self, o: &Op<'a>, n: &Op<'a>, loc: &str) {
        let bloc = format!("{loc} request");
        let old_body = o.node.get("requestBody").map(|b| deref(self.od, b));
        let new_body = n.node.get("requestBody").map(|b| deref(self.nd, b));
        match (old_body, new_body) {
            (None, None) => {}
            (Some(_), None) => self.push(
                Category::Breaking,
                "request_body_removed",
                &bloc,
                "request body removed",
            ),
            (None, Some(nb)) if is_true(nb, "required") => self.push(
                Category::Breaking,
                "request_body_required",
                &bloc,
                "new required request body",
            ),
            (None, Some(_)) => self.push(
                Category::Additive,
                "request_body_added",
                &bloc,
                "new optional request body",
            ),
            (Some(ob), Some(nb)) => {
                match (is_true(ob, "required"), is_true(nb, "required")) {
                    (false, true) => self.push(
                        Category::Breaking,
                        "request_body_required",
                        &bloc,
                        "request body now required",
                    ),
                    (true, false) => self.push(
                        Category::Additive,
                        "request_body_now_optional",
                        &bloc,
                        "request body now optional",
                    ),
                    _ => {}
                }
                let (optr, nptr) = (
                    format!("{}/requestBody", o.ptr),
                    format!("{}/requestBody", n.ptr),
                );
                self.content(ob, nb, &optr, &nptr, &bloc, Sides::REQUEST, true);
            }
        }
    }

    /// Compares the `content` of two request bodies or responses: media
    /// types offered, then the schema of each media type both offer.
    #[allow(clippy::too_many_arguments)]
    fn content(
        &mut self,
        o: &'a Value,
        n: &'a Value,
        optr: &str,
        nptr: &str,
        loc: &str,
        sides: Sides,
        success: bool,
    ) {
        let om = o.get("content").and_then(Value::as_object);
        let nm = n.get("content").and_then(Value::as_object);
        let old_types: BTreeSet<&String> = om.into_iter().flat_map(Map::keys).collect();
        let new_types: BTreeSet<&String> = nm.into_iter().flat_map(Map::keys).collect();
        let list = |set: &BTreeSet<&String>| {
            if set.is_empty() {
                "no body".to_string()
            } else {
                set.iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        };
        if old_types != new_types {
            let detail = format!("{} -> {}", list(&old_types), list(&new_types));
            if old_types.is_subset(&new_types) {
                self.push(Category::Additive, "media_type_added", loc, detail);
            } else {
                // A request no longer accepted, or a response no longer produced
                // as the client expects it. Error bodies are decoded as best
                // effort, so only success responses break.
                let category = if sides.request || success {
                    Category::Breaking
                } else {
                    Category::Additive
                };
                self.push(category, "media_type_changed", loc, detail);
            }
        }
        for media in old_types.intersection(&new_types) {
            let mloc = format!("{loc} {media}");
            let content_ptr =
                |ptr: &str| child_ptr(&child_ptr(&child_ptr(ptr, "content"), media), "schema");
            let on = node_at(
                om.and_then(|m| m.get(*media)?.get("schema")),
                &content_ptr(optr),
            );
            let nn = node_at(
                nm.and_then(|m| m.get(*media)?.get("schema")),
                &content_ptr(nptr),
            );
            if media.as_str() == "text/event-stream" {
                self.events(on.clone(), nn.clone(), loc);
            }
            self.schema(on, nn, &mloc, sides, Position::Other, 0);
        }
    }

    fn events(&mut self, o: Node<'a>, n: Node<'a>, loc: &str) {
        let op_loc = loc.split(" response ").next().unwrap_or(loc).to_string();
        let old_tags = event_tags(self.od, o);
        let new_tags = event_tags(self.nd, n);
        for tag in old_tags.difference(&new_tags) {
            self.push(
                Category::Breaking,
                "sse_event_removed",
                &format!("{op_loc} event {tag}"),
                "SSE event type removed",
            );
        }
        for tag in new_tags.difference(&old_tags) {
            self.push(
                Category::Additive,
                "sse_event_added",
                &format!("{op_loc} event {tag}"),
                "new SSE event type",
            );
        }
    }

    fn responses(&mut self, o: &Op<'a>, n: &Op<'a>, loc: &str) {
        let om = o.node.get("responses").and_then(Value::as_object);
        let nm = n.node.get("responses").and_then(Value::as_object);
        for (status, or) in om.into_iter().flatten() {
            let rloc = format!("{loc} response {status}");
            let Some(nr) = nm.and_then(|m| m.get(status)) else {
                let category = if is_success(status) {
                    Category::Breaking
                } else {
                    Category::Additive
                };
                self.push(
                    category,
                    "response_removed",
                    &rloc,
                    format!("response {status} removed"),
                );
                continue;
            };
            let response_ptr = |op: &Op, r: &Value| match r.get("$ref").and_then(Value::as_str) {
                Some(reference) => schema::ref_pointer(reference).unwrap_or_default(),
                None => child_ptr(&child_ptr(&op.ptr, "responses"), status),
            };
            let (optr, nptr) = (response_ptr(o, or), response_ptr(n, nr));
            let (or, nr) = (deref(self.od, or), deref(self.nd, nr));
            self.content(
                or,
                nr,
                &optr,
                &nptr,
                &rloc,
                Sides::RESPONSE,
                is_success(status),
            );
            self.headers(or, nr, &rloc, is_success(status));
        }
        for status in nm.into_iter().flat_map(Map::keys) {
            if !om.is_some_and(|m| m.contains_key(status)) {
                let rloc = format!("{loc} response {status}");
                self.push(
                    Category::Additive,
                    "response_added",
                    &rloc,
                    format!("new response {status}"),
                );
            }
        }
    }

    fn headers(&mut self, or: &'a Value, nr: &'a Value, loc: &str, success: bool) {
        let by_name = |doc: &'a Value, r: &'a Value| -> BTreeMap<String, &'a Value> {
            let headers = r.get("headers").and_then(Value::as_object);
            headers
                .into_iter()
                .flatten()
                .map(|(k, h)| (k.to_ascii_lowercase(), deref(doc, h)))
                .collect()
        };
        let old_headers = by_name(self.od, or);
        let new_headers = by_name(self.nd, nr);
        for (name, oh) in &old_headers {
            let hloc = format!("{loc} header {name}");
            let Some(nh) = new_headers.get(name) else {
                let category = if success {
                    Category::Breaking
                } else {
                    Category::Additive
                };
                self.push(
                    category,
                    "response_header_removed",
                    &hloc,
                    "response header removed",
                );
                continue;
            };
            let on = node_at(oh.get("schema"), "");
            let nn = node_at(nh.get("schema"), "");
            self.schema(on, nn, &hloc, Sides::RESPONSE, Position::Other, 0);
        }
        for name in new_headers.keys() {
            if !old_headers.contains_key(name) {
                self.push(
                    Category::Additive,
                    "response_header_added",
                    &format!("{loc} header {name}"),
                    "new response header",
                );
            }
        }
    }

    // ----- component schemas -----

    fn components(&mut self) {
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

    fn schema(
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

    // ----- document-level -----

    fn document(&mut self) {
        let servers = |doc: &Value| -> Vec<Value> {
            let list = doc.get("servers").and_then(Value::as_array);
            list.into_iter()
                .flatten()
                .filter_map(|s| s.get("url").cloned())
                .collect()
        };
        if servers(&self.old.raw) != servers(&self.new.raw) {
            self.push(
                Category::Additive,
                "servers_changed",
                "document servers",
                "server URLs changed",
            );
        }
        if self.old.raw.get("security") != self.new.raw.get("security") {
            self.push(
                Category::Additive,
                "security_changed",
                "document security",
                "default security changed",
            );
        }
        let schemes = |doc: &Value| {
            doc.pointer("/components/securitySchemes")
                .map(strip_cosmetic)
        };
        if schemes(&self.old.raw) != schemes(&self.new.raw) {
            self.push(
                Category::Additive,
                "security_changed",
                "document security",
                "security schemes changed",
            );
        }
    }

    // ----- cosmetic (raw documents) -----

    fn cosmetic(&mut self, old: &Value, new: &Value) {
        let Cosmetics {
            docs: old_docs,
            locs: old_locs,
        } = cosmetics(old);
        let Cosmetics {
            docs: new_docs,
            locs: new_locs,
        } = cosmetics(new);
        let keys: BTreeSet<&(String, String)> = old_docs.keys().chain(new_docs.keys()).collect();
        for key @ (loc, name) in keys {
            // A new or removed element's documentation is part of that change.
            if !old_locs.contains(loc) || !new_locs.contains(loc) {
                continue;
            }
            let (a, b) = (old_docs.get(key), new_docs.get(key));
            if a == b {
                continue;
            }
            let kind = match name.as_str() {
                _ if loc == "info" => "info_changed",
                "description" | "$comment" => "description_changed",
                "summary" => "summary_changed",
                "title" => "title_changed",
                "example" | "examples" => "example_changed",
                "tags" => "tags_changed",
                _ => "extension_changed",
            };
            let one = |v: Option<&Vec<Value>>| match v.map(Vec::as_slice) {
                Some([single]) => brief(Some(single)),
                Some(many) => brief(Some(&Value::Array(many.to_vec()))),
                None => "none".into(),
            };
            self.push(
                Category::Cosmetic,
                kind,
                loc,
                format!("{name}: {} -> {}", one(a), one(b)),
            );
        }
    }

    // ----- safety net -----

    /// If no rule fired but the documents still differ beyond documentation,
    /// list where, so a change is never silently reported as "nothing".
    fn safety_net(&mut self) {
        let contract = self.changes.iter().any(|(c, _)| *c != Category::Cosmetic);
        if contract {
            return;
        }
        let a = canonical(&strip_cosmetic(self.od));
        let b = canonical(&strip_cosmetic(self.nd));
        let mut places = Vec::new();
        differences(&a, &b, "", &mut places);
        for place in places.into_iter().take(20) {
            self.push(
                Category::Additive,
                "other_change",
                &format!("#{place}"),
                "changed; no rule classifies it, review the snapshot diff",
            );
        }
    }
}

/// Collects the documentation of a raw document.
fn cosmetics(doc: &Value) -> Cosmetics {
    let mut c = Cosmetics::default();
    if let Some(info) = doc.get("info").and_then(Value::as_object) {
        c.locs.insert("info".into());
        for (k, v) in info {
            c.add("info", k, v);
        }
    }
    c.locs.insert("document".into());
    if let Some(root) = doc.as_object() {
        for (k, v) in root {
            if k == "tags" || k == "externalDocs" || k.starts_with("x-") {
                c.add("document", k, v);
            }
        }
    }
    for (id, op) in operations(doc) {
        let loc = format!("operation {id}");
        c.keys(&loc, op.node, &["tags"]);
        for ((_, name), (param, _)) in parameters(doc, &op) {
            let ploc = format!("{loc} param {name}");
            c.keys(&ploc, param, &[]);
            c.schema(&ploc, param.get("schema"), 0);
        }
        if let Some(body) = op.node.get("requestBody") {
            c.body(&format!("{loc} request"), deref(doc, body));
        }
        for (status, response) in op
            .node
            .get("responses")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            let rloc = format!("{loc} response {status}");
            let response = deref(doc, response);
            c.body(&rloc, response);
            for (name, header) in response
                .get("headers")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
            {
                let hloc = format!("{rloc} header {}", name.to_ascii_lowercase());
                let header = deref(doc, header);
                c.keys(&hloc, header, &[]);
                c.schema(&hloc, header.get("schema"), 0);
            }
        }
    }
    for (name, s) in doc
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        c.schema(&format!("schema {name}"), Some(s), 0);
    }
    for (name, s) in doc
        .pointer("/components/securitySchemes")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        c.keys(&format!("security scheme {name}"), s, &[]);
    }
    c
}

/// Documentation per (location, key), and the locations that exist.
#[derive(Default)]
struct Cosmetics {
    docs: BTreeMap<(String, String), Vec<Value>>,
    locs: BTreeSet<String>,
}

impl Cosmetics {
    fn add(&mut self, loc: &str, key: &str, v: &Value) {
        self.docs
            .entry((loc.to_string(), key.to_string()))
            .or_default()
            .push(v.clone());
    }

    /// Records the documentation keys of one object (plus `extra` keys).
    fn keys(&mut self, loc: &str, v: &Value, extra: &[&str]) {
        self.locs.insert(loc.to_string());
        for (k, value) in v.as_object().into_iter().flatten() {
            if is_cosmetic_key(k) || extra.contains(&k.as_str()) {
                self.add(loc, k, value);
            }
        }
    }

    fn body(&mut self, loc: &str, body: &Value) {
        self.keys(loc, body, &[]);
        for (media, entry) in body
            .get("content")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            let mloc = format!("{loc} {media}");
            self.keys(&mloc, entry, &[]);
            self.schema(&mloc, entry.get("schema"), 0);
        }
    }

    /// A schema's documentation, recursing into inline structure (not into
    /// `$ref`s: components are walked under their own name). `allOf` members
    /// share their parent's location, as the merged object does in drift.
    fn schema(&mut self, loc: &str, s: Option<&Value>, depth: usize) {
        let Some(s) = s.filter(|s| s.is_object() && depth <= schema::MAX_DEPTH) else {
            return;
        };
        self.keys(loc, s, &[]);
        for (name, p) in s
            .get("properties")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            self.schema(&format!("{loc}.{name}"), Some(p), depth + 1);
        }
        self.schema(&format!("{loc}[]"), s.get("items"), depth + 1);
        self.schema(
            &format!("{loc}{{}}"),
            s.get("additionalProperties"),
            depth + 1,
        );
        for member in s
            .get("allOf")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            self.schema(loc, Some(member), depth + 1);
        }
        for key in ["oneOf", "anyOf"] {
            for (i, variant) in s
                .get(key)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .enumerate()
            {
                self.schema(&format!("{loc}.oneOf[#{i}]"), Some(variant), depth + 1);
            }
        }
    }
}

/// Keys whose children are names (of properties, paths, media types...),
/// not keywords: documentation keys are only stripped one level below.
const NAME_MAPS: [&str; 14] = [
    "properties",
    "patternProperties",
    "paths",
    "responses",
    "content",
    "headers",
    "schemas",
    "parameters",
    "securitySchemes",
    "requestBodies",
    "callbacks",
    "links",
    "encoding",
    "mapping",
];

/// Values that are data, not schema: left as they are.
const DATA: [&str; 5] = ["enum", "const", "default", "required", "security"];

/// The document without its documentation (and without `info`, `tags`).
fn strip_cosmetic(v: &Value) -> Value {
    fn keywords(v: &Value) -> Value {
        match v {
            Value::Object(map) => Value::Object(
                map.iter()
                    .filter(|(k, _)| !is_cosmetic_key(k) && !matches!(k.as_str(), "info" | "tags"))
                    .map(|(k, child)| {
                        let child = if NAME_MAPS.contains(&k.as_str()) {
                            names(child)
                        } else if DATA.contains(&k.as_str()) {
                            child.clone()
                        } else {
                            keywords(child)
                        };
                        (k.clone(), child)
                    })
                    .collect(),
            ),
            Value::Array(items) => Value::Array(items.iter().map(keywords).collect()),
            other => other.clone(),
        }
    }
    fn names(v: &Value) -> Value {
        match v {
            Value::Object(map) => {
                Value::Object(map.iter().map(|(k, c)| (k.clone(), keywords(c))).collect())
            }
            Value::Array(items) => Value::Array(items.iter().map(keywords).collect()),
            other => other.clone(),
        }
    }
    keywords(v)
}

/// Keys sorted and arrays sorted, so order alone is never a difference.
fn canonical(v: &Value) -> Value {
    match v {
        Value::Object(map) => {
            let sorted: BTreeMap<&String, Value> =
                map.iter().map(|(k, c)| (k, canonical(c))).collect();
            Value::Object(sorted.into_iter().map(|(k, c)| (k.clone(), c)).collect())
        }
        Value::Array(items) => {
            let mut items: Vec<Value> = items.iter().map(canonical).collect();
            items.sort_by_cached_key(|i| i.to_string());
            Value::Array(items)
        }
        other => other.clone(),
    }
}

/// The pointers where two canonical documents differ.
fn differences(a: &Value, b: &Value, ptr: &str, out: &mut Vec<String>) {
    if a == b || out.len() >= 20 {
        return;
    }
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let keys: BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            for key in keys {
                match (x.get(key), y.get(key)) {
                    (Some(p), Some(q)) => differences(p, q, &child_ptr(ptr, key), out),
                    _ => out.push(child_ptr(ptr, key)),
                }
            }
        }
        _ => out.push(if ptr.is_empty() {
            "/".into()
        } else {
            ptr.into()
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transform_names_exist_in_codegen() {
        let names: Vec<&str> = codegen::TRANSFORMS.iter().map(|(n, _)| *n).collect();
        for name in REPRESENTATION.iter().chain(&REMOVALS) {
            assert!(
                names.contains(name),
                "codegen has no transform named {name}"
            );
        }
    }

    #[test]
    fn stripping_keeps_properties_named_like_keywords() {
        let v = json!({"properties": {"description": {"type": "string", "description": "d"}}});
        assert_eq!(
            strip_cosmetic(&v),
            json!({"properties": {"description": {"type": "string"}}})
        );
    }
}
