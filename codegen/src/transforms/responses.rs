//! Response bodies: error bodies named, multipart set aside, one success
//! body per operation.

use crate::operations::for_each_operation;
use crate::walk::*;
use crate::{DroppedResponse, HandWritten, Report, METHODS};
use serde_json::{json, Value};

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

#[cfg(test)]
mod tests {
    use crate::transforms::testing::*;
    use crate::*;
    use serde_json::json;

    #[test]
    fn inline_error_body_is_hoisted() {
        let (doc, _) = run(
            hoist_inline_error_bodies,
            json!({"paths": {"/x": {"post": {"operationId": "postX", "responses": {
                "201": {"content": {"application/json": {"schema": {"type": "object"}}}},
                "409": {"content": {"application/json": {"schema": {"type": "object", "properties": {"existing_id": {"type": "string"}}}}}}
            }}}}}),
        );
        let r = &doc["paths"]["/x"]["post"]["responses"];
        assert_eq!(
            r["409"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/PostXStatus409"
        );
        assert_eq!(
            r["201"]["content"]["application/json"]["schema"],
            json!({"type": "object"})
        );
        assert!(
            doc["components"]["schemas"]["PostXStatus409"]["properties"]["existing_id"].is_object()
        );
    }

    #[test]
    fn multipart_operations_are_set_aside() {
        let (doc, report) = run(
            hand_written_operations,
            json!({"paths": {
                "/up": {"post": {"operationId": "up", "requestBody": {"content": {"multipart/form-data": {}}}}},
                "/mixed": {"get": {"operationId": "g"}, "post": {"operationId": "p", "requestBody": {"content": {"multipart/form-data": {}}}}}
            }}),
        );
        assert!(doc["paths"].get("/up").is_none());
        assert!(doc["paths"]["/mixed"].get("post").is_none());
        assert!(doc["paths"]["/mixed"]["get"].is_object());
        let ids: Vec<&str> = report.hand_written.iter().map(|h| h.id.as_str()).collect();
        assert_eq!(ids, ["up", "p"]);
    }

    #[test]
    fn one_response_body_is_kept() {
        let (doc, report) = run(
            single_response_body,
            json!({"paths": {
                "/acquire": {"post": {"operationId": "acq", "responses": {
                    "200": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/B"}}}},
                    "204": {"description": "timeout"},
                    "404": {"$ref": "#/components/responses/NotFound"}}}},
                "/replay": {"get": {"operationId": "rep", "responses": {
                    "202": {"description": "not ready"},
                    "200": {"content": {"video/mp4": {"schema": {"type": "string", "format": "binary"}}}}}}},
                "/del": {"delete": {"operationId": "del", "responses": {"204": {"description": "gone"}, "409": {"description": "x"}}}}
            }}),
        );
        let keys = |p: &str, m: &str| -> Vec<String> {
            doc["paths"][p][m]["responses"]
                .as_object()
                .unwrap()
                .keys()
                .cloned()
                .collect()
        };
        assert_eq!(keys("/acquire", "post"), ["200"]);
        assert_eq!(keys("/replay", "get"), ["200"]);
        assert_eq!(keys("/del", "delete"), ["204"]);
        assert!(report.dropped_responses.contains(&DroppedResponse {
            id: "acq".into(),
            status: "204".into(),
            schema: None
        }));
        assert!(report.dropped_responses.contains(&DroppedResponse {
            id: "rep".into(),
            status: "202".into(),
            schema: None
        }));
    }
}
