//! Secrets and bearer URLs, pointed at types whose `Debug` hides them.

use crate::operations::for_each_operation;
use crate::walk::*;
use crate::Report;
use serde_json::{json, Map, Value};

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

#[cfg(test)]
mod tests {
    use crate::transforms::testing::*;
    use crate::*;
    use serde_json::{json, Value};

    #[test]
    fn secrets_point_at_secret_types() {
        let (doc, _) = run(
            secret_fields,
            json!({"components": {"schemas": {
                "CreateCredentialRequest": {"type": "object", "properties": {
                    "name": {"type": "string"},
                    "values": {"type": "object", "additionalProperties": {"type": "string"}},
                    "totp_secret": {"type": "string"}}},
                "AgentAuthSubmitRequest": {"type": "object", "oneOf": [
                    {"properties": {"field_values": {"type": "object", "additionalProperties": {"type": "string"}}}},
                    {"properties": {"sso_button": {"type": "string"}}}]},
                "DeploymentSource": {"type": "object", "properties": {"auth": {"type": "object", "properties": {
                    "token": {"type": "string", "format": "password"}}}}}
            }}}),
        );
        let s = &doc["components"]["schemas"];
        assert_eq!(
            s["CreateCredentialRequest"]["properties"]["values"]["$ref"],
            "#/components/schemas/SecretMap"
        );
        assert_eq!(
            s["CreateCredentialRequest"]["properties"]["totp_secret"]["$ref"],
            "#/components/schemas/SecretString"
        );
        assert_eq!(
            s["CreateCredentialRequest"]["properties"]["name"]["type"],
            "string"
        );
        assert_eq!(
            s["AgentAuthSubmitRequest"]["oneOf"][0]["properties"]["field_values"]["$ref"],
            "#/components/schemas/SecretMap"
        );
        assert_eq!(
            s["AgentAuthSubmitRequest"]["oneOf"][1]["properties"]["sso_button"]["type"],
            "string"
        );
        assert_eq!(
            s["DeploymentSource"]["properties"]["auth"]["properties"]["token"]["$ref"],
            "#/components/schemas/SecretString"
        );
        assert!(s["SecretString"].is_object() && s["SecretMap"].is_object());
    }

    #[test]
    fn urls_showing_a_jwt_parameter_point_at_the_jwt_url_type() {
        // The property keeps its description (the field's docs) and nullability
        // around the reference.
        let is_jwt_url = |prop: &Value| {
            prop["allOf"] == json!([{"$ref": "#/components/schemas/JwtUrl"}])
                && prop.get("type").is_none()
        };
        let (doc, _) = run(
            jwt_urls,
            json!({"components": {"schemas": {
                "Browser": {"type": "object", "properties": {
                    "cdp_ws_url": {"type": "string", "example": "wss://h/browser/cdp?jwt=eyJ0eXAi..."},
                    "live": {"type": "string", "nullable": true, "examples": ["https://h/live?a=1&JWT=x"]},
                    "documented": {"type": "string", "description": "Append `?jwt=<token>` to connect."},
                    "base_url": {"type": "string", "example": "https://h/browser/kernel"},
                    "jwt": {"type": "string", "description": "A JWT token."},
                    "example": {"type": "string", "example": "wss://h?jwt=x"},
                    "urls": {"type": "array", "items": {"type": "string", "example": "wss://h?jwt=x"}},
                    "nested": {"type": "object", "properties": {
                        "replay_view_url": {"type": "string", "example": "https://h/replays?jwt=x&replay_id=1"}}},
                    "count": {"type": "integer", "description": "jwt= is not a string here"}}},
                "Replay": {"allOf": [{"properties": {
                    "url": {"type": "string", "example": "https://h/r?jwt=x"}}}]}
            }},
            "paths": {"/browsers/{url}": {"get": {
                "parameters": [{"name": "url", "in": "path",
                                "schema": {"type": "string", "example": "wss://h?jwt=x"}}],
                "responses": {"200": {"content": {"application/json": {
                    "schema": {"type": "object", "properties": {
                        "cdp": {"type": "string", "example": "wss://h?jwt=x"}}},
                    "example": {"type": "string", "description": "jwt= in an example value"}}}}}}}}}),
        );
        let s = &doc["components"]["schemas"];
        let b = &s["Browser"]["properties"];
        assert!(is_jwt_url(&b["cdp_ws_url"]) && b["cdp_ws_url"].get("nullable").is_none());
        assert!(is_jwt_url(&b["live"]) && b["live"]["nullable"] == json!(true));
        assert!(is_jwt_url(&b["documented"]));
        assert_eq!(
            b["documented"]["description"],
            "Append `?jwt=<token>` to connect."
        );
        assert!(is_jwt_url(&b["example"]), "a property named like a keyword");
        assert!(is_jwt_url(&b["urls"]["items"]));
        assert!(is_jwt_url(&b["nested"]["properties"]["replay_view_url"]));
        assert!(is_jwt_url(&s["Replay"]["allOf"][0]["properties"]["url"]));
        // No `jwt=` shown, or not a string: untouched.
        assert_eq!(b["base_url"]["type"], "string");
        assert_eq!(b["jwt"]["type"], "string");
        assert_eq!(b["count"]["type"], "integer");
        let get = &doc["paths"]["/browsers/{url}"]["get"];
        let media = &get["responses"]["200"]["content"]["application/json"];
        assert!(is_jwt_url(&media["schema"]["properties"]["cdp"]));
        // Parameters and example values are not touched.
        assert_eq!(get["parameters"][0]["schema"]["type"], "string");
        assert_eq!(media["example"]["type"], "string");
        assert_eq!(s["JwtUrl"]["type"], "string");
        // Running it again changes nothing: the component does not match itself.
        let (again, _) = run(jwt_urls, doc.clone());
        assert_eq!(again, doc);
    }
}
