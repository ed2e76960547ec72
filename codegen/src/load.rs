//! Reading the OpenAPI document.

use serde_json::Value;
use std::fmt;
use std::path::Path;

/// Where the vendored spec lives, relative to the workspace root and to
/// kernel-sys's package root (which carries its own copy at the same path).
pub const SPEC_PATH: &str = "openapi/kernel-openapi.yaml";

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
