use super::*;

fn run(t: Transform, doc: Value) -> (Value, Report) {
    let mut doc = doc;
    let mut report = Report::default();
    t(&mut doc, &mut report);
    (doc, report)
}

#[test]
fn downgrade_version_only_touches_3_1() {
    assert_eq!(
        run(downgrade_version, json!({"openapi": "3.1.0"})).0["openapi"],
        "3.0.3"
    );
    assert_eq!(
        run(downgrade_version, json!({"openapi": "3.0.1"})).0["openapi"],
        "3.0.1"
    );
}

#[test]
fn const_becomes_single_value_enum() {
    let (doc, _) = run(
        const_to_enum,
        json!({"properties": {"event": {"type": "string", "const": "log"}}}),
    );
    assert_eq!(
        doc["properties"]["event"],
        json!({"type": "string", "enum": ["log"]})
    );
}

#[test]
fn nullable_ref_sibling_is_kept_through_all_of() {
    let (doc, _) = run(
        ref_siblings,
        json!({"a": {"$ref": "#/components/schemas/T", "nullable": true, "description": "d"},
               "b": {"$ref": "#/components/schemas/T", "description": "d"},
               "c": {"$ref": "#/components/schemas/T"}}),
    );
    assert_eq!(
        doc["a"],
        json!({"allOf": [{"$ref": "#/components/schemas/T"}], "nullable": true})
    );
    assert_eq!(doc["b"], json!({"$ref": "#/components/schemas/T"}));
    assert_eq!(doc["c"], json!({"$ref": "#/components/schemas/T"}));
}

#[test]
fn content_encoding_is_dropped() {
    let (doc, _) = run(
        drop_content_encoding,
        json!({"png": {"type": "string", "contentEncoding": "base64"}}),
    );
    assert_eq!(doc["png"], json!({"type": "string"}));
}

#[test]
fn additional_properties_false_is_removed_but_maps_stay() {
    let (doc, _) = run(
        allow_unknown_fields,
        json!({"a": {"type": "object", "additionalProperties": false},
               "m": {"type": "object", "additionalProperties": {"type": "string"}}}),
    );
    assert_eq!(doc["a"], json!({"type": "object"}));
    assert_eq!(doc["m"]["additionalProperties"], json!({"type": "string"}));
}

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

#[test]
fn required_only_one_of_is_dropped() {
    let (doc, _) = run(
        required_only_one_of,
        json!({"p": {"type": "object", "properties": {"id": {"type": "string"}, "name": {"type": "string"}},
                     "oneOf": [{"required": ["id"]}, {"required": ["name"]}]},
               "u": {"type": "object", "properties": {"a": {"type": "string"}},
                     "oneOf": [{"required": ["a"], "properties": {"a": {"type": "string"}}}, {"required": ["b"]}]}}),
    );
    assert!(doc["p"].get("oneOf").is_none());
    assert!(doc["p"]["properties"]["name"].is_object());
    // A oneOf whose members carry schemas is a real union: kept.
    assert!(doc["u"]["oneOf"].is_array());
}

#[test]
fn optional_defaults_are_dropped() {
    let (doc, _) = run(
        drop_property_defaults,
        json!({"type": "object", "required": ["size"], "properties": {
            "size": {"type": "integer", "default": 1},
            "fill_rate": {"type": "integer", "default": 10}}}),
    );
    assert_eq!(
        doc["properties"]["size"]["default"], 1,
        "a required default stays"
    );
    assert!(doc["properties"]["fill_rate"].get("default").is_none());
}

#[test]
fn untagged_object_unions_are_merged() {
    let (doc, _) = run(
        merge_untagged_object_unions,
        json!({"components": {"schemas": {
            "P": {"type": "object", "properties": {"config": {"oneOf": [
                {"$ref": "#/components/schemas/A"}, {"$ref": "#/components/schemas/B"}]}}},
            "A": {"type": "object", "properties": {"country": {"type": "string"}}},
            "B": {"type": "object", "required": ["host"], "properties": {"host": {"type": "string"}, "country": {"type": "string"}}},
            "T": {"type": "object", "properties": {"ev": {"oneOf": [
                {"$ref": "#/components/schemas/X"}, {"$ref": "#/components/schemas/Y"}]}}},
            "X": {"type": "object", "required": ["k"], "properties": {"k": {"type": "string", "enum": ["x"]}}},
            "Y": {"type": "object", "required": ["k"], "properties": {"k": {"type": "string", "enum": ["y"]}}}
        }}}),
    );
    let config = &doc["components"]["schemas"]["P"]["properties"]["config"];
    assert!(config.get("oneOf").is_none());
    assert_eq!(
        config["properties"]
            .as_object()
            .unwrap()
            .keys()
            .collect::<Vec<_>>(),
        ["country", "host"]
    );
    assert!(
        config.get("required").is_none(),
        "every merged property is optional"
    );
    // A tagged union is left alone.
    assert!(doc["components"]["schemas"]["T"]["properties"]["ev"]["oneOf"].is_array());
}

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

fn union_doc() -> Value {
    json!({"components": {"schemas": {
        "Ev": {"oneOf": [{"$ref": "#/components/schemas/A"}, {"$ref": "#/components/schemas/B"}],
               "discriminator": {"propertyName": "event"}},
        "A": {"type": "object", "required": ["event"], "properties": {"event": {"type": "string", "enum": ["a"]}}},
        "B": {"type": "object", "required": ["event", "x"], "properties": {"event": {"type": "string", "enum": ["b"]}, "x": {"type": "integer"}}},
        "Loose": {"oneOf": [{"$ref": "#/components/schemas/A"}, {"type": "string"}]}
    }}})
}

#[test]
fn tagged_union_becomes_open() {
    let (doc, report) = run(open_unions, union_doc());
    assert_eq!(
        report.open_unions,
        vec![OpenUnion {
            name: "Ev".into(),
            known: "EvKnown".into(),
            tag: "event".into(),
            tags: vec!["a".into(), "b".into()],
            variants: vec!["A".into(), "B".into()],
        }]
    );
    let s = &doc["components"]["schemas"];
    assert_eq!(s["Ev"]["x-kernel-open-union"], "EvKnown");
    assert!(s["EvKnown"]["oneOf"].is_array());
    assert!(s["EvKnown"].get("discriminator").is_none());
    // A union without a common tag is left alone.
    assert!(s["Loose"]["oneOf"].is_array());
}

#[test]
fn enums_are_hoisted_and_listed() {
    let (doc, report) = run(
        open_enums,
        json!({"components": {"schemas": {
            "Mfa": {"type": "string", "enum": ["sms", "totp"]},
            "Conn": {"type": "object", "properties": {
                "flow_step": {"type": "string", "enum": ["DISCOVERING", "AWAITING_INPUT"], "nullable": true},
                "tag": {"type": "string", "enum": ["only"]},
                "kinds": {"type": "array", "items": {"type": "string", "enum": ["x", "y"]}},
                "data": {"type": "object", "properties": {"reason": {"type": "string", "enum": ["a", "b"]}}}
            }}
        }},
        "paths": {"/b": {"get": {"operationId": "getB", "parameters": [
            {"name": "status", "in": "query", "schema": {"type": "string", "enum": ["active", "all"]}}
        ]}}}}),
    );
    let names: Vec<&str> = report.open_enums.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "Mfa",
            "ConnFlowStep",
            "ConnTag",
            "ConnKindsItem",
            "ConnDataReason",
            "GetBStatus"
        ]
    );
    assert_eq!(
        report.open_enums[1].values,
        ["DISCOVERING", "AWAITING_INPUT"]
    );
    let s = &doc["components"]["schemas"];
    // The nullable inline enum stays nullable at its use site.
    assert_eq!(
        s["Conn"]["properties"]["flow_step"],
        json!({"allOf": [{"$ref": "#/components/schemas/ConnFlowStep"}], "nullable": true})
    );
    assert!(s["ConnFlowStep"].get("nullable").is_none());
    // A single-value enum that tags no union is opened too.
    assert_eq!(
        s["Conn"]["properties"]["tag"]["$ref"],
        "#/components/schemas/ConnTag"
    );
    assert_eq!(
        s["Conn"]["properties"]["kinds"]["items"]["$ref"],
        "#/components/schemas/ConnKindsItem"
    );
    assert_eq!(
        doc["paths"]["/b"]["get"]["parameters"][0]["schema"]["$ref"],
        "#/components/schemas/GetBStatus"
    );
    assert_eq!(
        s["Conn"]["properties"]["data"]["properties"]["reason"]["$ref"],
        "#/components/schemas/ConnDataReason"
    );
}

#[test]
fn union_tags_stay_closed() {
    let mut doc = union_doc();
    let mut report = Report::default();
    open_unions(&mut doc, &mut report);
    open_enums(&mut doc, &mut report);
    let s = &doc["components"]["schemas"];
    // The tag of each variant is still an inline single-value enum.
    assert_eq!(s["A"]["properties"]["event"]["enum"], json!(["a"]));
    assert_eq!(s["B"]["properties"]["event"]["enum"], json!(["b"]));
    assert!(report
        .open_enums
        .iter()
        .all(|e| e.name != "AEvent" && e.name != "BEvent"));
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

#[test]
fn vendored_spec_normalizes() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../openapi/kernel-openapi.yaml");
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
