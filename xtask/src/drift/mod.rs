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
//!   `ref_siblings`, `drop_content_encoding`, `allow_unknown_fields`: those
//!   [`codegen::TRANSFORMS`] marks [`Representation`]): a `const` tag is
//!   read as the one-value enum the generator sees and a `$ref`'s `nullable`
//!   sibling is kept exactly as the generator keeps it, so a 3.1 construct is
//!   never misread, while component names stay the spec's own.
//! - **Which enums and unions are open** (unknown values kept rather than
//!   rejected) comes from the *normalized* view: every transform but the
//!   [`Removal`]s (they only remove things). That decides whether a value
//!   added to a response enum is safe for old clients.
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
//!   `response_field_required` (a response field the generated type holds
//!   as an `Option` becomes required and not nullable: harmless on the wire,
//!   but the field's Rust type changes from `Option<T>` to `T`; arrays and
//!   maps are generated as `Vec` / `Map` either way and stay additive);
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
//!
//! [`Representation`]: codegen::TransformKind::Representation
//! [`Removal`]: codegen::TransformKind::Removal

mod cosmetic;
mod document;
mod operations;
mod prepare;
mod schemas;

use crate::schema::{self, Sides};
use crate::SpecError;
use prepare::Prepared;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
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

/// Compares two prepared documents, collecting classified changes. Its rules
/// are split by what they compare: [`operations`], [`schemas`], [`document`]
/// and [`cosmetic`].
struct Differ<'a> {
    /// The old document.
    old: &'a Prepared,
    /// The new document.
    new: &'a Prepared,
    /// `old.doc` and `new.doc`, copied out so borrows of them outlive `&mut self`.
    od: &'a Value,
    /// See `od`.
    nd: &'a Value,
    /// Component name → the sides it is used on, in either document.
    usage: BTreeMap<String, Sides>,
    /// Found so far, without duplicates.
    changes: BTreeSet<(Category, Change)>,
}

impl<'a> Differ<'a> {
    /// A differ with no changes yet and both documents' schema usage merged.
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

    /// Records one change.
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

    /// The report: changes by category, each list sorted by location.
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
}
