//! The spec's response schemas as JSON Schema validators, per operation and
//! status.

use std::collections::HashMap;

use kernel_mock::spec::SpecOperation;
use kernel_testkit::schema::{validator, Validator};
use kernel_testkit::spec::{component, resolve, spec};
use serde_json::Value;

/// Validators built so far, by operation, status and whether the body is an
/// event stream.
pub struct Schemas {
    cache: HashMap<(String, String, bool), Option<Validator>>,
}

impl Schemas {
    pub fn new() -> Self {
        Schemas {
            cache: HashMap::new(),
        }
    }

    /// The documented response of `op` for `status` (or `default`).
    pub fn response(&self, op: &SpecOperation, status: u16) -> Option<&'static Value> {
        let responses = &spec()["paths"][op.path][op.method.to_ascii_lowercase()]["responses"];
        let response = responses
            .get(status.to_string())
            .or_else(|| responses.get("default"))?;
        Some(resolve(response))
    }

    /// The media types the spec documents for `op`/`status`.
    pub fn media_types(&self, op: &SpecOperation, status: u16) -> Vec<String> {
        self.response(op, status)
            .and_then(|r| r.get("content"))
            .and_then(Value::as_object)
            .map(|content| content.keys().cloned().collect())
            .unwrap_or_default()
    }

    /// A validator for the body of `op`/`status`: its JSON body, or each
    /// event's `data` when `stream` (`None`: the response documents no
    /// body).
    pub fn validator(
        &mut self,
        op: &SpecOperation,
        status: u16,
        stream: bool,
    ) -> Option<&Validator> {
        let key = (op.id.to_owned(), status.to_string(), stream);
        if !self.cache.contains_key(&key) {
            let media = if stream {
                "text/event-stream"
            } else {
                "application/json"
            };
            let built = self
                .response(op, status)
                .and_then(|r| r["content"][media].get("schema"))
                .map(validator);
            self.cache.insert(key.clone(), built);
        }
        self.cache.get(&key).and_then(Option::as_ref)
    }

    /// The validator of the spec's `Error` body.
    pub fn error_validator() -> Validator {
        validator(component("Error"))
    }
}
