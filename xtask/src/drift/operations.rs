//! Operations, parameters, request bodies, responses, media types and SSE
//! events, read from each document after the representation transforms.

use super::schemas::Position;
use super::{Category, Differ};
use crate::schema::{self, child_ptr, deref, event_tags, Node, Sides};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet};

/// An operation of a document.
pub(super) struct Op<'a> {
    /// The method, upper case.
    method: String,
    /// The path template.
    path: String,
    /// The operation object.
    pub(super) node: &'a Value,
    /// The path item holding it (shared parameters live there).
    item: &'a Value,
    /// The operation's pointer.
    ptr: String,
}

/// The operations of a document by operationId (`METHOD /path` without one).
pub(super) fn operations(doc: &Value) -> BTreeMap<String, Op<'_>> {
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
pub(super) fn parameters<'a>(
    doc: &'a Value,
    op: &Op<'a>,
) -> BTreeMap<(String, String), (&'a Value, String)> {
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

/// `v.key` is `true`.
fn is_true(v: &Value, key: &str) -> bool {
    v.get(key) == Some(&Value::Bool(true))
}

/// A success (or catch-all) status: the generated client expects it.
fn is_success(status: &str) -> bool {
    status.starts_with('2') || status == "default"
}

impl<'a> Differ<'a> {
    /// Operations removed, moved, added or changed.
    pub(super) fn operations(&mut self) {
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

    /// The parameters of an operation in both documents.
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

    /// The request body of an operation in both documents.
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

    /// The SSE event types of a `text/event-stream` body.
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

    /// The responses of an operation in both documents, by status.
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

    /// The headers of a response in both documents, by lower-case name.
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
}
