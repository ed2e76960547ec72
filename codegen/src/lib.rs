//! The normalized view of the Kernel OpenAPI document.
//!
//! Kernel publishes an OpenAPI **3.1** document; progenitor 0.15 / typify 0.8
//! (through `openapiv3`) only read **3.0.x** and get several constructs wrong.
//! Rather than editing the vendored spec or the generated code, every fix is a
//! named transform here, applied in [`TRANSFORMS`] order by [`normalize`].
//! `kernel-sys/build.rs` generates code from the result and `xtask` computes
//! drift on the same view, so the two can never disagree.
//!
//! Each transform is a plain function over a [`serde_json::Value`] with its own
//! unit test on a small snippet (see the `tests` module).

#![warn(missing_docs)]

use serde_json::{json, Map, Value};
use std::collections::BTreeSet;
use std::fmt;
use std::path::Path;

/// The HTTP methods an OpenAPI path item may carry, in spec order.
pub const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Why a document could not be loaded.
#[derive(Debug)]
pub struct LoadError(pub String);

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for LoadError {}

/// Reads a YAML or JSON OpenAPI document (JSON is a subset of YAML).
pub fn load(path: &Path) -> Result<Value, LoadError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| LoadError(format!("cannot read {}: {e}", path.display())))?;
    parse(&text).map_err(|e| LoadError(format!("{}: {}", path.display(), e.0)))
}

/// Parses a YAML or JSON OpenAPI document from text.
pub fn parse(text: &str) -> Result<Value, LoadError> {
    let value: Value =
        serde_yaml::from_str(text).map_err(|e| LoadError(format!("not YAML/JSON: {e}")))?;
    if !value.is_object() {
        return Err(LoadError("the document is not a mapping".into()));
    }
    Ok(value)
}

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

/// A string enum that the generated code represents as an *open* enum: known
/// values are variants, anything else is kept as `Unknown(String)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpenEnum {
    /// The component schema name (and Rust type name).
    pub name: String,
    /// The documented values, in spec order.
    pub values: Vec<String>,
    /// The schema's description, if any.
    pub description: Option<String>,
}

/// A tagged `oneOf` that the generated code represents as an *open* union:
/// `Known(<name>Known)` for documented tags, `Unknown(serde_json::Value)` for
/// anything else.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpenUnion {
    /// The component schema name users see.
    pub name: String,
    /// The component that holds the closed, generated union.
    pub known: String,
    /// The property that carries the tag.
    pub tag: String,
    /// The documented tag values.
    pub tags: Vec<String>,
    /// The component schema of each variant, in the order of `tags`.
    pub variants: Vec<String>,
}

/// An operation progenitor cannot take, left out of its input and written by
/// hand in `kernel-sys` with the generated types.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HandWritten {
    /// The `operationId`.
    pub id: String,
    /// Why the generator cannot take it.
    pub reason: &'static str,
}

/// A response removed from progenitor's view, with the reason.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DroppedResponse {
    /// The `operationId`.
    pub id: String,
    /// The status code.
    pub status: String,
    /// The body schema name after normalization, if it had one.
    pub schema: Option<String>,
}

/// What [`normalize`] produced besides the document itself.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// Enums to generate as open enums (typify replacements).
    pub open_enums: Vec<OpenEnum>,
    /// Tagged unions to generate as open unions (typify replacements).
    pub open_unions: Vec<OpenUnion>,
    /// Operations removed from progenitor's input and written by hand.
    pub hand_written: Vec<HandWritten>,
    /// Non-primary responses removed from progenitor's input: error bodies
    /// (decoded by the hooks instead) and alternate 2xx outcomes.
    pub dropped_responses: Vec<DroppedResponse>,
}

/// A named transform over the whole document.
pub type Transform = fn(&mut Value, &mut Report);

/// The transforms [`normalize`] applies, in order, with their names.
///
/// 1. `downgrade_version`: `openapi: 3.1.x` → `3.0.3`; progenitor only reads 3.0.
/// 2. `const_to_enum`: `const: v` → `enum: [v]`; openapiv3 silently drops
///    `const`, which would erase every SSE event tag.
/// 3. `ref_siblings`: `$ref` with `nullable` → `allOf: [$ref]` + `nullable`;
///    openapiv3 drops every sibling of a `$ref`. Description-only siblings are
///    dropped (documentation only).
/// 4. `drop_content_encoding`: `contentEncoding` is 3.1-only and meaningless
///    to the generator (the field stays a base64 `String`).
/// 5. `allow_unknown_fields`: remove `additionalProperties: false`, which
///    typify turns into `deny_unknown_fields`: a new server field must not
///    break old clients.
/// 6. `secret_fields`: credential values, TOTP secrets, submitted field
///    values, provider tokens, proxy passwords and handoff codes become the
///    `SecretString` / `SecretMap` components, which `kernel-sys` replaces
///    with types whose `Debug` never shows the value ([`SECRET_FIELDS`], plus
///    every `format: password` string).
/// 7. `jwt_urls`: every string schema whose `example`, `examples` or
///    `description` shows a `jwt=` parameter (a browser's `cdp_ws_url`,
///    `webdriver_ws_url`, `browser_live_view_url`, a replay's
///    `replay_view_url`) becomes the [`JWT_URL`] component, which `kernel-sys`
///    replaces with a URL type whose `Debug` and `Display` hide the token:
///    these URLs are bearer credentials for the browser. Found from the spec,
///    so a URL the spec adds later is covered too. The reference is wrapped
///    in `allOf` to keep the description (the field's docs) and `nullable`.
///    Parameters are left alone.
/// 8. `required_only_one_of`: a `oneOf` whose members only list `required`
///    properties ("give either `id` or `name`") is dropped. typify would make
///    it an untagged enum of anonymous variants that silently loses the
///    other field when a response has both; a struct with optional fields
///    keeps everything and reads naturally (`BrowserProfile { name, .. }`).
/// 9. `drop_property_defaults`: an optional property's `default` is dropped.
///    typify turns a default into a non-optional field that is always
///    serialized, so a PATCH would reset every defaulted field the caller did
///    not touch; the server applies its defaults itself.
/// 10. `merge_untagged_object_unions`: a `oneOf` of object `$ref`s with no
///     tag to tell them apart (Proxy `config`) becomes one object with all
///     their properties, optional. typify's untagged enum would pick the
///     first variant that fits, silently dropping the other variants' fields.
/// 11. `hoist_inline_error_bodies`: inline response bodies (the 409 of
///     `POST /auth/connections`, ...) become named components so they get types.
/// 12. `open_unions`: tagged `oneOf`s become `<Name>Known` plus an open wrapper
///     that keeps unknown tags as raw JSON.
/// 13. `open_enums`: every string enum but union tags becomes a named component
///     replaced by an open enum that keeps unknown values.
/// 14. `hand_written_operations`: multipart uploads are removed from
///     progenitor's input (it cannot generate them); `kernel-sys` writes them.
/// 15. `single_response_body`: keep one success response per operation and no
///     error responses. Progenitor panics on operations whose responses carry
///     several body types; errors are decoded from the raw response by the
///     hooks instead, and alternate 2xx outcomes (202 not-ready, 204
///     timed-out) arrive as `Error::UnexpectedResponse` for the caller to map.
pub const TRANSFORMS: [(&str, Transform); 15] = [
    ("downgrade_version", downgrade_version),
    ("const_to_enum", const_to_enum),
    ("ref_siblings", ref_siblings),
    ("drop_content_encoding", drop_content_encoding),
    ("allow_unknown_fields", allow_unknown_fields),
    ("secret_fields", secret_fields),
    ("jwt_urls", jwt_urls),
    ("required_only_one_of", required_only_one_of),
    ("drop_property_defaults", drop_property_defaults),
    ("merge_untagged_object_unions", merge_untagged_object_unions),
    ("hoist_inline_error_bodies", hoist_inline_error_bodies),
    ("open_unions", open_unions),
    ("open_enums", open_enums),
    ("hand_written_operations", hand_written_operations),
    ("single_response_body", single_response_body),
];

/// Applies every transform in [`TRANSFORMS`] to a copy of `spec`.
pub fn normalize(spec: &Value) -> (Value, Report) {
    let mut doc = spec.clone();
    let mut report = Report::default();
    for (_, transform) in TRANSFORMS {
        transform(&mut doc, &mut report);
    }
    (doc, report)
}

/// Calls `f` on every mapping in the tree, parents before children.
fn walk_mut(v: &mut Value, f: &mut dyn FnMut(&mut Map<String, Value>)) {
    match v {
        Value::Object(map) => {
            f(map);
            for child in map.values_mut() {
                walk_mut(child, f);
            }
        }
        Value::Array(items) => {
            for child in items {
                walk_mut(child, f);
            }
        }
        _ => {}
    }
}

fn schemas_mut(doc: &mut Value) -> &mut Map<String, Value> {
    if doc["components"]["schemas"].is_null() {
        doc["components"]["schemas"] = json!({});
    }
    doc["components"]["schemas"]
        .as_object_mut()
        .expect("components.schemas is a mapping")
}

/// `openapi: 3.1.x` → `3.0.3`.
pub fn downgrade_version(doc: &mut Value, _: &mut Report) {
    if doc["openapi"]
        .as_str()
        .is_some_and(|v| v.starts_with("3.1"))
    {
        doc["openapi"] = json!("3.0.3");
    }
}

/// `const: v` → `enum: [v]`.
pub fn const_to_enum(doc: &mut Value, _: &mut Report) {
    walk_mut(doc, &mut |map| {
        if let Some(c) = map.remove("const") {
            map.insert("enum".into(), json!([c]));
        }
    });
}

/// `$ref` + `nullable` → `allOf: [{$ref}]` + `nullable`; other siblings of
/// `$ref` are dropped as openapiv3 would, but on purpose.
pub fn ref_siblings(doc: &mut Value, _: &mut Report) {
    walk_mut(doc, &mut |map| {
        if !map.contains_key("$ref") || map.len() == 1 {
            return;
        }
        let reference = map.remove("$ref").expect("checked");
        let nullable = map
            .get("nullable")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        map.clear();
        if nullable {
            map.insert("allOf".into(), json!([{ "$ref": reference }]));
            map.insert("nullable".into(), json!(true));
        } else {
            map.insert("$ref".into(), reference);
        }
    });
}

/// Removes `contentEncoding` (3.1 only).
pub fn drop_content_encoding(doc: &mut Value, _: &mut Report) {
    walk_mut(doc, &mut |map| {
        if map.get("type").is_some() || map.get("format").is_some() {
            map.remove("contentEncoding");
        }
    });
}

/// Removes `additionalProperties: false` so typify does not emit
/// `deny_unknown_fields`.
pub fn allow_unknown_fields(doc: &mut Value, _: &mut Report) {
    walk_mut(doc, &mut |map| {
        if map.get("additionalProperties") == Some(&Value::Bool(false)) {
            map.remove("additionalProperties");
        }
    });
}

/// `(schema, property)` pairs holding secrets, besides `format: password`.
pub const SECRET_FIELDS: &[(&str, &str)] = &[
    ("CreateCredentialRequest", "values"),
    ("CreateCredentialRequest", "totp_secret"),
    ("UpdateCredentialRequest", "values"),
    ("UpdateCredentialRequest", "totp_secret"),
    ("Credential", "totp_code"),
    ("SubmitFieldsRequest", "fields"),
    ("AgentAuthSubmitRequest", "field_values"),
    ("CreateCredentialProviderRequest", "token"),
    ("UpdateCredentialProviderRequest", "token"),
    ("CreateCustomProxyConfig", "password"),
    ("ManagedAuthExchangeRequest", "code"),
    ("ManagedAuthExchangeResponse", "jwt"),
    ("CreatedApiKey", "key"),
    ("AppVersionSummary", "env_vars"),
    ("AppVersionSummaryEvent", "env_vars"),
    ("Deployment", "env_vars"),
    ("DeploymentRequest", "env_vars"),
    ("LoginResponse", "handoff_code"),
    ("AuthAgentInvocationCreateResponse", "handoff_code"),
];

/// `(operationId, property)` pairs of inline response bodies holding
/// secrets.
pub const SECRET_RESPONSE_FIELDS: &[(&str, &str)] = &[("getCredentialTotpCodeByIdOrName", "code")];

/// The components secret properties are pointed at.
pub const SECRET_STRING: &str = "SecretString";
/// See [`SECRET_STRING`].
pub const SECRET_MAP: &str = "SecretMap";

/// Points secret properties at [`SECRET_STRING`] / [`SECRET_MAP`].
pub fn secret_fields(doc: &mut Value, _: &mut Report) {
    fn secret_ref(prop: &Value) -> Option<Value> {
        let name = match prop.get("type").and_then(Value::as_str) {
            Some("string") => SECRET_STRING,
            Some("object")
                if prop
                    .get("additionalProperties")
                    .is_some_and(Value::is_object) =>
            {
                SECRET_MAP
            }
            _ => return None,
        };
        Some(json!({ "$ref": format!("#/components/schemas/{name}") }))
    }
    fn mark(schema: &mut Value, names: &[&str]) {
        if let Some(props) = schema.get_mut("properties").and_then(Value::as_object_mut) {
            for (name, prop) in props.iter_mut() {
                let password = prop.get("format").and_then(Value::as_str) == Some("password");
                if password || names.contains(&name.as_str()) {
                    if let Some(reference) = secret_ref(prop) {
                        *prop = reference;
                    }
                }
            }
        }
        // Properties declared inside union members count too.
        for key in ["oneOf", "anyOf", "allOf"] {
            for member in schema
                .get_mut(key)
                .and_then(Value::as_array_mut)
                .into_iter()
                .flatten()
            {
                mark(member, names);
            }
        }
        // Nested inline objects (e.g. `DeploymentSource.auth.token`).
        if let Some(props) = schema.get_mut("properties").and_then(Value::as_object_mut) {
            for prop in props.values_mut() {
                if prop.get("properties").is_some() {
                    mark(prop, &[]);
                }
            }
        }
    }
    for_each_operation(doc, |_, _, op| {
        let id = op["operationId"].as_str().unwrap_or_default().to_string();
        let names: Vec<&str> = SECRET_RESPONSE_FIELDS
            .iter()
            .filter(|(o, _)| *o == id)
            .map(|(_, p)| *p)
            .collect();
        if names.is_empty() {
            return;
        }
        for response in op
            .get_mut("responses")
            .and_then(Value::as_object_mut)
            .into_iter()
            .flat_map(|r| r.values_mut())
        {
            for media in response
                .get_mut("content")
                .and_then(Value::as_object_mut)
                .into_iter()
                .flat_map(|c| c.values_mut())
            {
                if let Some(schema) = media.get_mut("schema") {
                    mark(schema, &names);
                }
            }
        }
    });
    let schemas = schemas_mut(doc);
    for (name, schema) in schemas.iter_mut() {
        let names: Vec<&str> = SECRET_FIELDS
            .iter()
            .filter(|(s, _)| s == name)
            .map(|(_, p)| *p)
            .collect();
        mark(schema, &names);
    }
    schemas.insert(
        SECRET_STRING.into(),
        json!({ "type": "string", "description": "A secret string: `Debug` shows `[redacted]`." }),
    );
    schemas.insert(
        SECRET_MAP.into(),
        json!({ "type": "object", "additionalProperties": { "type": "string" },
                "description": "Secret values by name: `Debug` shows only the names." }),
    );
}

/// The component URLs carrying a `jwt=` token are pointed at.
pub const JWT_URL: &str = "JwtUrl";

/// Points string schemas that show a `jwt=` parameter at [`JWT_URL`].
pub fn jwt_urls(doc: &mut Value, _: &mut Report) {
    // A path parameter is sent with `Display`, which for this type is the
    // redacted form: parameters keep their plain type. Example values are
    // data, not schemas.
    const NOT_SCHEMAS: [&str; 3] = ["parameters", "example", "examples"];
    fn shows_jwt(v: &Value) -> bool {
        match v {
            Value::String(s) => s.to_ascii_lowercase().contains("jwt="),
            Value::Array(items) => items.iter().any(shows_jwt),
            Value::Object(map) => map.values().any(shows_jwt),
            _ => false,
        }
    }
    fn visit(v: &mut Value) {
        match v {
            Value::Object(map) => {
                let string = map.get("type").and_then(Value::as_str) == Some("string");
                let shown = ["example", "examples", "description"]
                    .iter()
                    .filter_map(|key| map.get(*key))
                    .any(shows_jwt);
                if string && shown {
                    let reference = json!({ "$ref": format!("#/components/schemas/{JWT_URL}") });
                    let mut wrapped = Map::new();
                    wrapped.insert("allOf".into(), json!([reference]));
                    for key in ["nullable", "description"] {
                        if let Some(kept) = map.get(key) {
                            wrapped.insert(key.into(), kept.clone());
                        }
                    }
                    *v = Value::Object(wrapped);
                    return;
                }
                for (key, child) in map.iter_mut() {
                    match (key.as_str(), child) {
                        // Keys of `properties` are names, not keywords: a
                        // property may be called `example`.
                        ("properties", Value::Object(props)) => props.values_mut().for_each(visit),
                        (key, _) if NOT_SCHEMAS.contains(&key) => {}
                        (_, child) => visit(child),
                    }
                }
            }
            Value::Array(items) => items.iter_mut().for_each(visit),
            _ => {}
        }
    }
    visit(doc);
    // Worded without the marker, so running the transform again leaves it be.
    schemas_mut(doc).insert(
        JWT_URL.into(),
        json!({ "type": "string",
                "description": "A URL carrying a JWT: `Debug` and `Display` show it redacted." }),
    );
}

/// Drops `oneOf`s whose members are only `required` lists.
pub fn required_only_one_of(doc: &mut Value, _: &mut Report) {
    walk_mut(doc, &mut |map| {
        let only_required = map
            .get("oneOf")
            .and_then(Value::as_array)
            .is_some_and(|members| {
                members.iter().all(|m| {
                    m.as_object()
                        .is_some_and(|m| m.keys().all(|k| k == "required" || k == "description"))
                })
            });
        if only_required && map.contains_key("properties") {
            map.remove("oneOf");
        }
    });
}

/// Removes `default` from properties that are not required.
pub fn drop_property_defaults(doc: &mut Value, _: &mut Report) {
    walk_mut(doc, &mut |map| {
        let required: BTreeSet<String> = map
            .get("required")
            .and_then(Value::as_array)
            .map(|r| {
                r.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        if let Some(props) = map.get_mut("properties").and_then(Value::as_object_mut) {
            for (name, prop) in props.iter_mut() {
                if !required.contains(name) {
                    if let Some(prop) = prop.as_object_mut() {
                        prop.remove("default");
                    }
                }
            }
        }
    });
}

/// Replaces untagged `oneOf`s of object `$ref`s by the merge of their
/// properties, all optional.
pub fn merge_untagged_object_unions(doc: &mut Value, _: &mut Report) {
    let schemas = doc["components"]["schemas"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    let mut merges: Vec<(String, Value)> = Vec::new();
    fn visit(
        v: &Value,
        pointer: String,
        schemas: &Map<String, Value>,
        out: &mut Vec<(String, Value)>,
    ) {
        match v {
            Value::Object(map) => {
                if let Some(members) = map.get("oneOf").and_then(Value::as_array) {
                    let objects: Option<Vec<&Value>> = members
                        .iter()
                        .map(|m| {
                            ref_name(m)
                                .and_then(|n| schemas.get(n))
                                .filter(|s| s.get("properties").is_some())
                        })
                        .collect();
                    if let Some(objects) = objects.filter(|o| o.len() > 1) {
                        if union_tag(schemas, members).is_none() {
                            let mut properties = Map::new();
                            for object in &objects {
                                for (name, prop) in
                                    object["properties"].as_object().into_iter().flatten()
                                {
                                    properties
                                        .entry(name.clone())
                                        .or_insert_with(|| prop.clone());
                                }
                            }
                            let mut merged = json!({ "type": "object", "properties": properties });
                            if let Some(d) = map.get("description") {
                                merged["description"] = d.clone();
                            }
                            out.push((pointer.clone(), merged));
                        }
                    }
                }
                for (k, child) in map {
                    visit(
                        child,
                        format!("{pointer}/{}", k.replace('~', "~0").replace('/', "~1")),
                        schemas,
                        out,
                    );
                }
            }
            Value::Array(items) => {
                for (i, child) in items.iter().enumerate() {
                    visit(child, format!("{pointer}/{i}"), schemas, out);
                }
            }
            _ => {}
        }
    }
    // Component-level unions are left to `open_unions`; properties and
    // request/response bodies are merged.
    for (name, schema) in &schemas {
        let base = format!(
            "/components/schemas/{}",
            name.replace('~', "~0").replace('/', "~1")
        );
        for (key, child) in schema.as_object().into_iter().flatten() {
            if key != "oneOf" {
                visit(child, format!("{base}/{key}"), &schemas, &mut merges);
            }
        }
    }
    for (pointer, merged) in merges {
        if let Some(slot) = doc.pointer_mut(&pointer) {
            *slot = merged;
        }
    }
}

fn pascal(s: &str) -> String {
    let mut out = String::new();
    let mut upper = true;
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            if upper {
                out.push(c.to_ascii_uppercase());
            } else {
                out.push(c);
            }
            upper = false;
        } else {
            upper = true;
        }
    }
    out
}

/// A component name not yet taken, derived from `base`.
fn fresh_name(schemas: &Map<String, Value>, base: &str) -> String {
    if !schemas.contains_key(base) {
        return base.to_string();
    }
    (2..)
        .map(|n| format!("{base}{n}"))
        .find(|n| !schemas.contains_key(n))
        .expect("infinite")
}

fn for_each_operation(doc: &mut Value, mut f: impl FnMut(&str, &str, &mut Map<String, Value>)) {
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

/// Inline (non-`$ref`) JSON bodies of non-2xx responses become components
/// named `<OperationId>Status<code>`, so the hooks can decode them into types.
pub fn hoist_inline_error_bodies(doc: &mut Value, _: &mut Report) {
    let mut hoisted = Vec::new();
    for_each_operation(doc, |_, _, op| {
        let id = pascal(op["operationId"].as_str().unwrap_or_default());
        let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) else {
            return;
        };
        for (status, response) in responses.iter_mut() {
            if status.starts_with('2') {
                continue;
            }
            let Some(schema) = response.pointer_mut("/content/application~1json/schema") else {
                continue;
            };
            if schema.get("$ref").is_none() {
                let name = format!("{id}Status{status}");
                hoisted.push((name.clone(), schema.take()));
                *schema = json!({ "$ref": format!("#/components/schemas/{name}") });
            }
        }
    });
    let schemas = schemas_mut(doc);
    for (name, schema) in hoisted {
        schemas.insert(name, schema);
    }
}

fn ref_name(v: &Value) -> Option<&str> {
    v.get("$ref")?
        .as_str()?
        .strip_prefix("#/components/schemas/")
}

/// The property whose single-value enum tags every variant of a `oneOf` of
/// `$ref`s, with the tag values in variant order.
fn union_tag(schemas: &Map<String, Value>, one_of: &[Value]) -> Option<(String, Vec<String>)> {
    let mut found: Option<(String, Vec<String>)> = None;
    let variants: Vec<&Value> = one_of
        .iter()
        .map(|v| ref_name(v).and_then(|n| schemas.get(n)))
        .collect::<Option<_>>()?;
    let first = variants.first()?.get("properties")?.as_object()?;
    for (prop, _) in first {
        let tags: Option<Vec<String>> = variants
            .iter()
            .map(|v| {
                let e = v.pointer(&format!("/properties/{prop}/enum"))?.as_array()?;
                let required = v["required"].as_array()?.iter().any(|r| r == prop);
                (e.len() == 1 && required).then(|| e[0].as_str().map(str::to_string))?
            })
            .collect();
        if let Some(tags) = tags {
            let unique: BTreeSet<&String> = tags.iter().collect();
            if unique.len() == tags.len() {
                found = Some((prop.clone(), tags));
                break;
            }
        }
    }
    found
}

/// Component `oneOf`s of `$ref`s whose variants are tagged by a single-value
/// enum property are renamed `<Name>Known`; `<Name>` becomes an open union.
pub fn open_unions(doc: &mut Value, report: &mut Report) {
    let schemas = schemas_mut(doc);
    let names: Vec<String> = schemas.keys().cloned().collect();
    for name in names {
        let Some(one_of) = schemas[&name].get("oneOf").and_then(Value::as_array) else {
            continue;
        };
        let Some((tag, tags)) = union_tag(schemas, one_of) else {
            continue;
        };
        let variants: Vec<String> = one_of
            .iter()
            .filter_map(ref_name)
            .map(str::to_string)
            .collect();
        let known = fresh_name(schemas, &format!("{name}Known"));
        let mut closed = schemas[&name].clone();
        // typify infers the tag from the variants; an OpenAPI discriminator
        // adds nothing it uses.
        closed
            .as_object_mut()
            .expect("schema")
            .remove("discriminator");
        schemas.insert(known.clone(), closed);
        let description = schemas[&name].get("description").cloned();
        let mut open = json!({ "type": "object", "x-kernel-open-union": known });
        if let Some(d) = description {
            open["description"] = d;
        }
        schemas.insert(name.clone(), open);
        report.open_unions.push(OpenUnion {
            name,
            known,
            tag,
            tags,
            variants,
        });
    }
}

fn is_open_enum_candidate(map: &Map<String, Value>) -> bool {
    map.get("type").and_then(Value::as_str) == Some("string")
        && map
            .get("enum")
            .and_then(Value::as_array)
            .is_some_and(|e| !e.is_empty() && e.iter().all(Value::is_string))
}

fn is_single_value(map: &Map<String, Value>) -> bool {
    map.get("enum")
        .and_then(Value::as_array)
        .is_some_and(|e| e.len() == 1)
}

fn enum_of(schema: &Value) -> OpenEnum {
    OpenEnum {
        name: String::new(),
        values: schema["enum"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
        description: schema
            .get("description")
            .and_then(Value::as_str)
            .map(str::to_string),
    }
}

/// Every string enum becomes a named component (if it was inline) and is
/// listed for replacement by an open enum. The one exception: single-value
/// enums that tag the variants of an open union stay closed, because typify
/// tells the variants apart by them. A single-value enum elsewhere (a `const`
/// region, a lifecycle `event: exit`) is opened like any other: a new value
/// from the server must not fail the whole response.
pub fn open_enums(doc: &mut Value, report: &mut Report) {
    // (variant schema, tag property) pairs that must stay closed.
    let mut tags: BTreeSet<(String, String)> = BTreeSet::new();
    for union in &report.open_unions {
        let known = &doc["components"]["schemas"][&union.known];
        for variant in known["oneOf"].as_array().into_iter().flatten() {
            if let Some(name) = ref_name(variant) {
                tags.insert((name.to_string(), union.tag.clone()));
            }
        }
    }
    // Components that are themselves enums.
    let schemas = schemas_mut(doc);
    for (name, schema) in schemas.iter() {
        if schema
            .as_object()
            .is_some_and(|m| is_open_enum_candidate(m) && !is_single_value(m))
        {
            report.open_enums.push(OpenEnum {
                name: name.clone(),
                ..enum_of(schema)
            });
        }
    }
    // Inline enums in component properties, one level deep and inside
    // `items`, named `<Schema><Property>` as typify would name them.
    let mut hoisted: Vec<(String, Value)> = Vec::new();
    let names: Vec<String> = schemas.keys().cloned().collect();
    for name in &names {
        let mut found = Vec::new();
        collect_property_enums(&schemas[name], &pascal(name), &mut found);
        found.retain(|(pointer, _)| {
            let prop = pointer.strip_prefix("/properties/").unwrap_or_default();
            !tags.contains(&(name.clone(), prop.to_string()))
        });
        for (pointer, base) in found {
            let candidate = fresh_name(schemas, &base);
            let taken = hoisted.iter().any(|(n, _)| *n == candidate);
            let target = if taken {
                format!("{candidate}{}", hoisted.len())
            } else {
                candidate
            };
            let slot = schemas
                .get_mut(name)
                .expect("name")
                .pointer_mut(&pointer)
                .expect("pointer");
            let nullable = slot["nullable"].as_bool().unwrap_or(false);
            let reference = json!({ "$ref": format!("#/components/schemas/{target}") });
            let replacement = if nullable {
                json!({ "allOf": [reference], "nullable": true })
            } else {
                reference
            };
            let schema = std::mem::replace(slot, replacement);
            hoisted.push((target, schema));
        }
    }
    for (name, schema) in hoisted {
        report.open_enums.push(OpenEnum {
            name: name.clone(),
            ..enum_of(&schema)
        });
        schemas.insert(name, strip_nullable(schema));
    }
    // Inline enums in operation parameters: `<OperationId><Param>`.
    let mut params: Vec<(String, Value)> = Vec::new();
    for_each_operation(doc, |_, _, op| {
        let id = pascal(op["operationId"].as_str().unwrap_or_default());
        let Some(list) = op.get_mut("parameters").and_then(Value::as_array_mut) else {
            return;
        };
        for p in list {
            let pname = pascal(p["name"].as_str().unwrap_or_default());
            let Some(schema) = p.get_mut("schema") else {
                continue;
            };
            if schema.as_object().is_some_and(is_open_enum_candidate) {
                let name = format!("{id}{pname}");
                params.push((name.clone(), schema.take()));
                *schema = json!({ "$ref": format!("#/components/schemas/{name}") });
            }
        }
    });
    let schemas = schemas_mut(doc);
    for (name, schema) in params {
        let name = fresh_name(schemas, &name);
        report.open_enums.push(OpenEnum {
            name: name.clone(),
            ..enum_of(&schema)
        });
        schemas.insert(name, schema);
    }
}

/// A hoisted enum that was `nullable` keeps that at the use site instead.
fn strip_nullable(mut schema: Value) -> Value {
    if let Some(map) = schema.as_object_mut() {
        map.remove("nullable");
    }
    schema
}

/// Inline enums anywhere under a component: in properties (recursively, as
/// typify nests inline structs), in `items`, and in `allOf`/`oneOf`/`anyOf`
/// members. Each is named `<Schema><Property>...` as typify would name it.
fn collect_property_enums(schema: &Value, prefix: &str, out: &mut Vec<(String, String)>) {
    collect_at(schema, "", prefix, out);
}

fn collect_at(schema: &Value, pointer: &str, name: &str, out: &mut Vec<(String, String)>) {
    if let Some(props) = schema.get("properties").and_then(Value::as_object) {
        for (prop, sub) in props {
            let escaped = prop.replace('~', "~0").replace('/', "~1");
            let here = format!("{pointer}/properties/{escaped}");
            let sub_name = format!("{name}{}", pascal(prop));
            if sub.as_object().is_some_and(is_open_enum_candidate) {
                out.push((here, sub_name));
            } else {
                collect_at(sub, &here, &sub_name, out);
            }
        }
    }
    if let Some(items) = schema.get("items") {
        let here = format!("{pointer}/items");
        if items.as_object().is_some_and(is_open_enum_candidate) {
            out.push((here, format!("{name}Item")));
        } else {
            collect_at(items, &here, &format!("{name}Item"), out);
        }
    }
    for key in ["allOf", "oneOf", "anyOf"] {
        for (i, member) in schema
            .get(key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            collect_at(member, &format!("{pointer}/{key}/{i}"), name, out);
        }
    }
}

/// Multipart operations are removed from progenitor's input.
pub fn hand_written_operations(doc: &mut Value, report: &mut Report) {
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for item in paths.values_mut() {
        for method in METHODS {
            let Some(op) = item.get(method) else { continue };
            let multipart = op
                .pointer("/requestBody/content/multipart~1form-data")
                .is_some();
            if multipart {
                let id = op["operationId"].as_str().unwrap_or_default().to_string();
                report.hand_written.push(HandWritten {
                    id,
                    reason: "multipart/form-data request body",
                });
                item.as_object_mut().expect("path item").remove(method);
            }
        }
    }
    paths.retain(|_, item| {
        item.as_object()
            .is_some_and(|m| METHODS.iter().any(|k| m.contains_key(*k)))
    });
}

/// Keeps the first 2xx response with a body (or the first 2xx if none has
/// one) and removes every other response, recording what was removed.
pub fn single_response_body(doc: &mut Value, report: &mut Report) {
    for_each_operation(doc, |_, _, op| {
        let id = op["operationId"].as_str().unwrap_or_default().to_string();
        let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) else {
            return;
        };
        let success: Vec<&String> = responses.keys().filter(|s| s.starts_with('2')).collect();
        let keep = success
            .iter()
            .find(|s| responses[s.as_str()].get("content").is_some())
            .or(success.first())
            .map(|s| s.to_string());
        let dropped: Vec<String> = responses
            .keys()
            .filter(|s| Some(*s) != keep.as_ref())
            .cloned()
            .collect();
        for status in dropped {
            let response = responses.remove(&status).expect("key");
            let schema = response
                .get("content")
                .and_then(Value::as_object)
                .and_then(|c| c.values().next())
                .and_then(|m| ref_name(&m["schema"]))
                .map(str::to_string);
            report.dropped_responses.push(DroppedResponse {
                id: id.clone(),
                status,
                schema,
            });
        }
    });
}

pub mod calls;
pub mod idempotency;
pub mod sys;

#[cfg(test)]
mod tests;

/// The README's examples, compiled as doctests.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
