//! The named transforms, in the order [`normalize`] applies them, grouped
//! by what they fix: 3.1 constructs and typify's blind spots (`compat`),
//! secrets (`secrets`), tagged unions (`unions`), string enums (`enums`) and
//! response bodies (`responses`).

mod compat;
mod enums;
mod responses;
mod secrets;
mod unions;

pub use compat::*;
pub use enums::*;
pub use responses::*;
pub use secrets::*;
pub use unions::*;

use crate::Report;
use serde_json::Value;
use TransformKind::{Generation, Removal, Representation};

/// A named transform over the whole document.
pub type Transform = fn(&mut Value, &mut Report);

/// What a transform does to the document, for readers other than the
/// generator: `xtask`'s drift report picks its views of a document by kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TransformKind {
    /// Re-spells a construct progenitor or typify misread; the contract
    /// reads the same (`const` as a one-value `enum`, ...).
    Representation,
    /// Shapes schemas into the types the SDK generates: secret and URL
    /// types, hoisted bodies, merged or dropped unions, open enums and unions.
    Generation,
    /// Only removes what progenitor must not see (hand-written operations,
    /// extra responses).
    Removal,
}

/// The transforms [`normalize`] applies, in order, with their names and
/// [`TransformKind`]s.
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
pub const TRANSFORMS: [(&str, TransformKind, Transform); 15] = [
    ("downgrade_version", Representation, downgrade_version),
    ("const_to_enum", Representation, const_to_enum),
    ("ref_siblings", Representation, ref_siblings),
    (
        "drop_content_encoding",
        Representation,
        drop_content_encoding,
    ),
    ("allow_unknown_fields", Representation, allow_unknown_fields),
    ("secret_fields", Generation, secret_fields),
    ("jwt_urls", Generation, jwt_urls),
    ("required_only_one_of", Generation, required_only_one_of),
    ("drop_property_defaults", Generation, drop_property_defaults),
    (
        "merge_untagged_object_unions",
        Generation,
        merge_untagged_object_unions,
    ),
    (
        "hoist_inline_error_bodies",
        Generation,
        hoist_inline_error_bodies,
    ),
    ("open_unions", Generation, open_unions),
    ("open_enums", Generation, open_enums),
    ("hand_written_operations", Removal, hand_written_operations),
    ("single_response_body", Removal, single_response_body),
];

/// Applies every transform in [`TRANSFORMS`] to a copy of `spec`.
pub fn normalize(spec: &Value) -> (Value, Report) {
    let mut doc = spec.clone();
    let mut report = Report::default();
    for (_, _, transform) in TRANSFORMS {
        transform(&mut doc, &mut report);
    }
    (doc, report)
}

/// Helpers for the transforms' unit tests.
#[cfg(test)]
pub(crate) mod testing {
    use crate::{Report, Transform};
    use serde_json::{json, Value};

    pub(crate) fn run(t: Transform, doc: Value) -> (Value, Report) {
        let mut doc = doc;
        let mut report = Report::default();
        t(&mut doc, &mut report);
        (doc, report)
    }

    pub(crate) fn union_doc() -> Value {
        json!({"components": {"schemas": {
            "Ev": {"oneOf": [{"$ref": "#/components/schemas/A"}, {"$ref": "#/components/schemas/B"}],
                   "discriminator": {"propertyName": "event"}},
            "A": {"type": "object", "required": ["event"], "properties": {"event": {"type": "string", "enum": ["a"]}}},
            "B": {"type": "object", "required": ["event", "x"], "properties": {"event": {"type": "string", "enum": ["b"]}, "x": {"type": "integer"}}},
            "Loose": {"oneOf": [{"$ref": "#/components/schemas/A"}, {"type": "string"}]}
        }}})
    }
}

#[cfg(test)]
mod tests {

    use crate::*;

    use std::collections::BTreeSet;
    use std::path::Path;

    #[test]
    fn vendored_spec_normalizes() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .join(SPEC_PATH);
        let spec = load(&path).unwrap();
        let ops = operations(&spec);
        let ids: BTreeSet<&str> = ops.iter().map(|o| o.id.as_str()).collect();
        assert_eq!(ids.len(), ops.len(), "operationIds are unique");
        let (doc, report) = normalize(&spec);
        assert_eq!(doc["openapi"], "3.0.3");
        let text = doc.to_string();
        assert!(!text.contains("\"const\""));
        assert!(!text.contains("\"additionalProperties\":false"));
        assert_eq!(report.hand_written.len(), 5);
        // Every operation is either still in progenitor's input or hand-written.
        assert_eq!(
            operations(&doc).len() + report.hand_written.len(),
            ops.len()
        );
        assert!(report
            .open_enums
            .iter()
            .any(|e| e.name == "ManagedAuthFlowStep"));
        assert!(report
            .open_unions
            .iter()
            .any(|u| u.name == "ManagedAuthEvent" && u.tag == "event"));
        assert!(report
            .open_unions
            .iter()
            .any(|u| u.name == "BrowserTelemetryEvent" && u.tag == "type"));
        // The URLs whose examples carry a `jwt=` token (found, not listed).
        let browser = &doc["components"]["schemas"]["Browser"]["properties"];
        for url in ["cdp_ws_url", "webdriver_ws_url", "browser_live_view_url"] {
            assert_eq!(
                browser[url]["allOf"][0]["$ref"], "#/components/schemas/JwtUrl",
                "{url}"
            );
        }
        assert_eq!(browser["base_url"]["type"], "string");
        // The inline 409 body of POST /auth/connections got a name.
        assert!(doc["components"]["schemas"]["PostAuthConnectionsStatus409"].is_object());
    }
}
