//! Odd but valid documents: cyclic and unusual specs neither hang nor
//! panic.

use serde_json::json;
use xtask::drift::diff;

#[test]
fn cyclic_and_odd_documents_neither_hang_nor_panic() {
    let doc = json!({
        "openapi": "3.1.0",
        "info": {"title": "t", "version": "1"},
        "paths": {"/a": {"get": {
            "operationId": "getA",
            "parameters": [{"name": "q", "in": "query", "schema": {"type": ["string", "null"]}}],
            "responses": {"200": {"description": "ok", "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/A"}},
                "text/event-stream": {"schema": {"$ref": "#/components/schemas/B"}}
            }}}
        }}},
        "components": {"schemas": {
            // Unions whose variants lead back to themselves.
            "A": {"oneOf": [{"$ref": "#/components/schemas/B"}, {"$ref": "#/components/schemas/C"}]},
            "B": {"type": "object", "required": ["t"], "properties": {"t": {"$ref": "#/components/schemas/A"}}},
            "C": {"oneOf": [{"$ref": "#/components/schemas/A"}, {"$ref": "#/components/schemas/C"}]},
            // A reference into the middle of a schema, to itself.
            "D": {"type": "object", "properties": {"x": {"type": "array", "items": {"$ref": "#/components/schemas/D/properties/x"}}}},
            // An alias loop and odd shapes.
            "E": {"$ref": "#/components/schemas/F"},
            "F": {"$ref": "#/components/schemas/E"},
            "G": true,
            "H": {"type": "object", "properties": [], "required": "x", "items": false, "allOf": "no"}
        }}
    });
    assert_eq!(xtask::validate::validate(&doc), Ok(()));
    let surface = xtask::surface::render(&doc);
    assert!(surface.contains("operation getA: GET /a"), "{surface}");
    let mut changed = doc.clone();
    changed["components"]["schemas"]["D"]["properties"]["x"]["type"] = json!("object");
    changed["components"]["schemas"]["C"]["oneOf"] = json!([{"$ref": "#/components/schemas/B"}]);
    let report = diff(&doc, &changed).unwrap();
    assert!(!report.breaking.is_empty(), "{}", report.to_text());
    assert!(diff(&doc, &doc).unwrap().is_empty());
}
