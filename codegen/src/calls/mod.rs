//! The `kernel` call layer: one builder per operation, generated from the
//! spec and the client progenitor generated from it.
//!
//! [`generate`] reads the operations of the raw spec (paths, parameters,
//! media types, docs) and the generated client's syntax tree (builder
//! fields, request types and their fields, decoded response types) and
//! renders, for each API area of [`AREAS`], a module with the area's
//! accessor and one builder per operation: a flat setter per body property
//! and query or header parameter, path parameters as accessor arguments,
//! and `send()` returning `kernel::Result<T>`. The only hand-kept facts are
//! in [`areas`]: where an operation goes and the names that differ from
//! [`method_name`]'s rule.
//!
//! [`Layer::surface`] is the same layer as sorted lines for the API-surface
//! snapshot.

pub mod areas;
mod model;
mod render;

pub use areas::{Area, AREAS, NAMES, STREAM_ITEMS};
use model::Sys;

use crate::Operation;
use heck::ToSnakeCase;
use serde_json::Value;
use std::collections::BTreeMap;

/// The rendered call layer.
#[derive(Debug, Default)]
pub struct Layer {
    /// Top-level area module name (`browsers`) → its generated source,
    /// sub-areas as nested modules.
    pub areas: BTreeMap<String, String>,
    /// The `impl Kernel` block with one accessor per top-level area.
    pub kernel: String,
    /// operationId → the source of its builder (for the generator's own
    /// tests: a change to one operation changes exactly one entry).
    pub builders: BTreeMap<String, String>,
    /// One line per accessor, builder, setter and `send` type, sorted.
    pub surface: Vec<String>,
}

/// A path parameter.
#[derive(Clone, Debug)]
pub(crate) struct PathParam {
    /// The builder field (snake case).
    pub field: String,
}

/// A query or header parameter, or a body property: one setter.
#[derive(Clone, Debug)]
pub(crate) struct Setter {
    pub name: String,
    pub ty: syn::Type,
    pub required: bool,
    /// An `Option` field of the body: the setter wraps the value in `Some`.
    pub optional: bool,
    pub docs: String,
}

#[derive(Clone, Debug)]
pub(crate) enum Body {
    None,
    /// A typify struct: one setter per field, plus `.body(..)`.
    Struct {
        ty: String,
        fields: Vec<Setter>,
    },
    /// Anything else: only `.body(..)`.
    Whole {
        ty: syn::Type,
    },
}

#[derive(Clone, Debug)]
pub(crate) enum Response {
    Json(syn::Type),
    /// A JSON body, or nothing on `204` (a pool acquire that timed out).
    Optional(syn::Type),
    Empty,
    Download,
    /// A download, or `202` while it is being prepared.
    Readiness,
    Stream {
        event: String,
        item: String,
        resumable: bool,
    },
}

/// One operation, ready to render.
#[derive(Clone, Debug)]
pub(crate) struct Op {
    pub id: String,
    pub method: String,
    pub path: String,
    pub area: &'static Area,
    pub name: String,
    pub deprecated: bool,
    pub summary: String,
    pub description: String,
    /// Path parameters the area accessor already holds.
    pub area_args: Vec<PathParam>,
    /// Path parameters taken by the accessor method.
    pub args: Vec<PathParam>,
    pub params: Vec<Setter>,
    pub body: Body,
    pub response: Response,
    /// The progenitor builder; `None` for an operation `kernel` writes by
    /// hand (multipart uploads).
    pub sys_builder: Option<String>,
    pub sys_method: String,
    /// The item type of a paginated list.
    pub page_item: Option<syn::Type>,
}

/// Renders the call layer for `spec` (the raw document) and `sys` (the
/// client progenitor generated from its normalized view).
pub fn generate(spec: &Value, sys: &syn::File) -> Result<Layer, String> {
    let sys = Sys::read(sys)?;
    let mut ops = Vec::new();
    for op in crate::operations(spec) {
        ops.push(operation(spec, &sys, &op)?);
    }
    render::layer(&ops, &sys)
}

/// The area of `path`: the one with the longest matching prefix.
pub fn area_of(path: &str) -> Option<&'static Area> {
    AREAS
        .iter()
        .filter(|a| !a.prefix.is_empty() && under(path, a.prefix))
        .max_by_key(|a| a.prefix.len())
}

fn under(path: &str, prefix: &str) -> bool {
    path == prefix
        || path
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.starts_with('/'))
}

/// The area that holds `area` (`browsers` for `browsers.fs`).
pub fn parent(area: &Area) -> Option<&'static Area> {
    let (parent, _) = area.path.rsplit_once('.')?;
    AREAS.iter().find(|a| a.path == parent)
}

/// The method name of an operation in its area: [`NAMES`] if listed, else
/// the rule. Relative to the area's prefix, a bare collection is `list` /
/// `create`, a bare `{param}` is `get` / `update` / `delete`, and anything
/// else is its last literal segment in snake case, with `update_` or
/// `delete_` before it for a PATCH/PUT or DELETE (`update_limits`).
pub fn method_name(op: &Operation, area: &Area) -> String {
    if let Some((_, name)) = NAMES.iter().find(|(id, _)| *id == op.id) {
        return name.to_string();
    }
    let rest: Vec<&str> = op.path[area.prefix.len()..]
        .split('/')
        .filter(|s| !s.is_empty())
        .collect();
    let param = |s: &&str| s.starts_with('{');
    match (rest.as_slice(), op.method.as_str()) {
        ([], "get") => "list".into(),
        ([], "post") => "create".into(),
        ([p], "get") if param(p) => "get".into(),
        ([p], "delete") if param(p) => "delete".into(),
        ([p], "patch" | "put") if param(p) => "update".into(),
        _ => {
            let last = rest
                .iter()
                .rev()
                .find(|s| !param(s))
                .copied()
                .unwrap_or("call");
            let last = last.replace('-', "_").to_snake_case();
            match op.method.as_str() {
                "delete" => format!("delete_{last}"),
                "patch" | "put" if rest.len() > 1 => format!("update_{last}"),
                _ => last,
            }
        }
    }
}

fn path_params(path: &str) -> Vec<String> {
    path.split('/')
        .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .map(|s| s.to_snake_case())
        .collect()
}

fn deref<'a>(spec: &'a Value, v: &'a Value) -> &'a Value {
    match v.get("$ref").and_then(Value::as_str) {
        Some(r) => r
            .strip_prefix("#/")
            .map(|p| p.split('/').fold(spec, |node, key| &node[key]))
            .unwrap_or(v),
        None => v,
    }
}

fn operation(spec: &Value, sys: &Sys, op: &Operation) -> Result<Op, String> {
    let area = area_of(&op.path).ok_or_else(|| {
        format!(
            "{} ({}): no area in codegen's AREAS holds this path; add one",
            op.id, op.path
        )
    })?;
    let item = &spec["paths"][&op.path][&op.method];
    let text = |key: &str| item[key].as_str().unwrap_or_default().trim().to_string();
    let sys_method = op.id.to_snake_case();
    let sys_builder = sys.methods.get(&sys_method).cloned();
    let builder = sys_builder.as_ref().and_then(|b| sys.builders.get(b));

    let area_params = path_params(area.prefix);
    let mut area_args = Vec::new();
    let mut args = Vec::new();
    for field in path_params(&op.path) {
        if area_params.contains(&field) {
            area_args.push(PathParam { field });
        } else {
            args.push(PathParam { field });
        }
    }

    // 2xx media types decide how the response is read.
    let mut media = Vec::new();
    let mut bodiless = Vec::new();
    let mut paged = false;
    for (status, response) in item["responses"].as_object().into_iter().flatten() {
        if !status.starts_with('2') {
            continue;
        }
        let response = deref(spec, response);
        paged |= response["headers"]
            .as_object()
            .is_some_and(|h| h.keys().any(|k| k.eq_ignore_ascii_case("x-has-more")));
        match response["content"].as_object().filter(|c| !c.is_empty()) {
            Some(content) => {
                for (m, c) in content {
                    media.push((m.clone(), c["schema"].clone()));
                }
            }
            None => bodiless.push(status.clone()),
        }
    }
    let mut params = Vec::new();
    let mut resumable = false;
    for p in item["parameters"].as_array().into_iter().flatten() {
        let p = deref(spec, p);
        let location = p["in"].as_str().unwrap_or_default();
        if location == "path" {
            continue;
        }
        let name = p["name"].as_str().unwrap_or_default();
        if location == "header" && name.eq_ignore_ascii_case("last-event-id") {
            // The event stream engine sends it when it resumes.
            resumable = true;
            continue;
        }
        let field = name.to_snake_case();
        let ty = builder
            .and_then(|b| b.fields.iter().find(|(f, _)| *f == field))
            .map(|(_, t)| t.clone())
            .unwrap_or_else(|| syn::parse_quote!(::std::string::String));
        let optional = model::type_name(&ty) == "Option";
        params.push(Setter {
            name: field,
            ty: if optional {
                model::generics(&ty).remove(0)
            } else {
                ty
            },
            required: p["required"].as_bool().unwrap_or(false) && !optional,
            optional,
            docs: p["description"]
                .as_str()
                .unwrap_or_default()
                .trim()
                .to_string(),
        });
    }
    let stream = media.iter().find(|(m, _)| m == "text/event-stream");
    let binary = media
        .iter()
        .any(|(m, _)| m != "text/event-stream" && m != "application/json");
    let json = media.iter().any(|(m, _)| m == "application/json");
    let sys_response = builder
        .map(|b| b.response.clone())
        .unwrap_or_else(|| syn::parse_quote!(()));
    let response = if let Some((_, schema)) = stream {
        let event = schema["$ref"]
            .as_str()
            .and_then(|r| r.rsplit('/').next())
            .ok_or_else(|| format!("{}: an event stream without a component schema", op.id))?;
        let event = heck::ToUpperCamelCase::to_upper_camel_case(event);
        let item = STREAM_ITEMS
            .iter()
            .find(|(e, _)| *e == event)
            .map(|(_, item)| item.to_string())
            .unwrap_or_else(|| format!("crate::types::{event}"));
        Response::Stream {
            event,
            item,
            resumable,
        }
    } else if binary && bodiless.iter().any(|s| s == "202") {
        Response::Readiness
    } else if binary {
        Response::Download
    } else if json && bodiless.iter().any(|s| s == "204") {
        Response::Optional(sys_response)
    } else if json {
        Response::Json(sys_response)
    } else {
        Response::Empty
    };
    let page_item = match (&response, paged) {
        (Response::Json(ty), true) if model::type_name(ty) == "Vec" => {
            model::generics(ty).into_iter().next()
        }
        _ => None,
    };

    let body = match builder.and_then(|b| b.fields.iter().find(|(f, _)| f == "body")) {
        None => Body::None,
        Some((_, ty)) => {
            let segs = model::segments(ty);
            match segs.as_slice() {
                [types, b, name] if types == "types" && b == "builder" => {
                    let Some(model::TypeInfo::Struct { fields }) = sys.types.get(name) else {
                        return Err(format!("{}: body type {name} is not a struct", op.id));
                    };
                    let fields = fields
                        .iter()
                        .map(|f| {
                            let optional = model::type_name(&f.ty) == "Option";
                            Setter {
                                name: f.ident.clone(),
                                ty: if optional {
                                    model::generics(&f.ty).remove(0)
                                } else {
                                    f.ty.clone()
                                },
                                required: !optional && !f.default,
                                optional,
                                docs: f.docs.clone(),
                            }
                        })
                        .collect();
                    Body::Struct {
                        ty: name.clone(),
                        fields,
                    }
                }
                _ => Body::Whole { ty: ty.clone() },
            }
        }
    };

    Ok(Op {
        id: op.id.clone(),
        method: op.method.to_uppercase(),
        path: op.path.clone(),
        area,
        name: method_name(op, area),
        deprecated: op.deprecated,
        summary: text("summary"),
        description: text("description"),
        area_args,
        args,
        params,
        body,
        response,
        sys_builder,
        sys_method,
        page_item,
    })
}
