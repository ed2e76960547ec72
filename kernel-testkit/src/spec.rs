//! The vendored spec as written (OpenAPI 3.1, not normalized), read once per
//! process.

use serde_json::Value;
use std::path::PathBuf;
use std::sync::OnceLock;

/// The vendored spec's file: the workspace's copy, which `cargo xtask check`
/// keeps identical to the one kernel-sys generates from.
pub fn path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(codegen::SPEC_PATH)
}

/// The vendored spec.
pub fn spec() -> &'static Value {
    static SPEC: OnceLock<Value> = OnceLock::new();
    SPEC.get_or_init(|| codegen::load(&path()).unwrap_or_else(|e| panic!("{e}")))
}

/// `components.schemas.<name>`.
pub fn component(name: &str) -> &'static Value {
    let schema = &spec()["components"]["schemas"][name];
    assert!(schema.is_object(), "no component schema {name}");
    schema
}

/// The names of every component schema, in spec order.
pub fn component_names() -> Vec<String> {
    spec()["components"]["schemas"]
        .as_object()
        .expect("schemas")
        .keys()
        .cloned()
        .collect()
}

/// Follows local `$ref`s (`#/components/...`) to the schema they name.
pub fn resolve(schema: &Value) -> &Value {
    let mut current = schema;
    for _ in 0..16 {
        let Some(reference) = current.get("$ref").and_then(Value::as_str) else {
            return current;
        };
        let pointer = reference
            .strip_prefix('#')
            .unwrap_or_else(|| panic!("non-local $ref {reference}"));
        current = spec()
            .pointer(pointer)
            .unwrap_or_else(|| panic!("dangling $ref {reference}"));
    }
    panic!("$ref cycle at {schema}")
}

/// The members of the union component `name` as `(tag, component name)`,
/// from its `oneOf` and each member's `const` value of `tag`.
pub fn union_members(name: &str, tag: &str) -> Vec<(String, String)> {
    component(name)["oneOf"]
        .as_array()
        .unwrap_or_else(|| panic!("{name} is not a oneOf"))
        .iter()
        .map(|member| {
            let reference = member["$ref"]
                .as_str()
                .unwrap_or_else(|| panic!("a member of {name} is not a $ref"));
            let schema = reference.rsplit('/').next().unwrap_or(reference).to_owned();
            let value = component(&schema)["properties"][tag]["const"]
                .as_str()
                .unwrap_or_else(|| panic!("{schema}.{tag} has no const"))
                .to_owned();
            (value, schema)
        })
        .collect()
}

/// One operation of the spec.
pub struct SpecOp {
    /// The `operationId`.
    pub id: String,
    /// Lower case, as in the spec.
    pub method: String,
    /// The path template.
    pub path: String,
    /// The first tag.
    pub tag: String,
    /// The operation object.
    pub op: &'static Value,
    /// Path-level and operation-level parameters, `$ref`s resolved.
    pub params: Vec<&'static Value>,
}

/// Every operation of the spec, in the generator's order.
pub fn operations() -> Vec<SpecOp> {
    codegen::operations(spec())
        .into_iter()
        .map(|o| {
            let item = &spec()["paths"][&o.path];
            let op = &item[&o.method];
            let params = item["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .chain(op["parameters"].as_array().into_iter().flatten())
                .map(resolve)
                .collect();
            SpecOp {
                id: o.id,
                method: o.method,
                path: o.path,
                tag: o.tag,
                op,
                params,
            }
        })
        .collect()
}

/// The operation with this `operationId`.
pub fn operation(id: &str) -> SpecOp {
    operations()
        .into_iter()
        .find(|o| o.id == id)
        .unwrap_or_else(|| panic!("no operation {id} in the spec"))
}

impl SpecOp {
    /// The JSON request body schema, if the operation takes one.
    pub fn json_body_schema(&self) -> Option<&'static Value> {
        self.op
            .pointer("/requestBody/content/application~1json/schema")
    }

    /// The request body content types the spec allows.
    pub fn body_content_types(&self) -> Vec<String> {
        self.op
            .pointer("/requestBody/content")
            .and_then(Value::as_object)
            .map(|c| c.keys().cloned().collect())
            .unwrap_or_default()
    }

    /// The schema of the parameter `name` in `location`.
    pub fn param(&self, location: &str, name: &str) -> Option<&'static Value> {
        self.params.iter().copied().find(|p| {
            p["in"] == location
                && p["name"]
                    .as_str()
                    .is_some_and(|n| n.eq_ignore_ascii_case(name))
        })
    }

    /// The path with `{name}` placeholders filled from `values`.
    pub fn fill_path(&self, values: &[(&str, &str)]) -> String {
        let mut path = self.path.clone();
        for (name, value) in values {
            let placeholder = format!("{{{name}}}");
            assert!(
                path.contains(&placeholder),
                "{} has no path parameter {name}",
                self.path
            );
            path = path.replace(&placeholder, value);
        }
        assert!(!path.contains('{'), "unfilled path parameter in {path}");
        path
    }
}
