//! The drift classifier on hand-made mutations of the vendored spec, and the
//! `cargo xtask drift` exit-code contract (0 / 1 / 2).

use serde_json::{json, Value};
use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;
use xtask::drift::{diff, Bump, Category, Report};

fn vendored() -> Value {
    static SPEC: OnceLock<Value> = OnceLock::new();
    SPEC.get_or_init(|| {
        xtask::load_spec(&xtask::workspace_root().join(xtask::SPEC_PATH)).expect("vendored spec")
    })
    .clone()
}

/// The operation with `id`, to mutate.
fn op<'a>(doc: &'a mut Value, id: &str) -> &'a mut Value {
    let paths = doc["paths"].as_object_mut().unwrap();
    let found = paths
        .values_mut()
        .flat_map(|item| item.as_object_mut().unwrap().values_mut())
        .find(|o| o["operationId"] == id);
    found.unwrap_or_else(|| panic!("no operation {id}"))
}

fn schema<'a>(doc: &'a mut Value, name: &str) -> &'a mut Value {
    &mut doc["components"]["schemas"][name]
}

fn param<'a>(doc: &'a mut Value, id: &str, name: &str) -> &'a mut Value {
    let params = op(doc, id)["parameters"].as_array_mut().unwrap();
    params.iter_mut().find(|p| p["name"] == name).unwrap()
}

/// Compares the vendored spec with `mutate` applied to a copy.
fn drift(mutate: impl FnOnce(&mut Value)) -> Report {
    drift_from(|_| {}, mutate)
}

/// Compares the vendored spec with `base` applied against the same with
/// `base` then `mutate` applied.
fn drift_from(base: impl FnOnce(&mut Value), mutate: impl FnOnce(&mut Value)) -> Report {
    let mut old = vendored();
    base(&mut old);
    let mut new = old.clone();
    mutate(&mut new);
    let validated = xtask::validate::validate(&new);
    assert_eq!(validated, Ok(()), "the mutation must keep the spec valid");
    diff(&old, &new).expect("diff")
}

/// (kind, location) of every change in a category.
fn entries(report: &Report, category: Category) -> Vec<(&'static str, String)> {
    report
        .of(category)
        .iter()
        .map(|c| (c.kind, c.location.clone()))
        .collect()
}

fn e(kind: &'static str, location: &str) -> (&'static str, String) {
    (kind, location.to_string())
}

/// Asserts the exact breaking and additive entries and that nothing cosmetic
/// changed.
#[track_caller]
fn assert_drift(
    report: &Report,
    breaking: &[(&'static str, &str)],
    additive: &[(&'static str, &str)],
) {
    let expect =
        |list: &[(&'static str, &str)]| list.iter().map(|(k, l)| e(k, l)).collect::<Vec<_>>();
    assert_eq!(
        entries(report, Category::Breaking),
        expect(breaking),
        "breaking\n{}",
        report.to_text()
    );
    assert_eq!(
        entries(report, Category::Additive),
        expect(additive),
        "additive\n{}",
        report.to_text()
    );
    assert_eq!(
        entries(report, Category::Cosmetic),
        vec![],
        "cosmetic\n{}",
        report.to_text()
    );
}

// ----- no change -----

#[test]
fn identical_specs_give_an_empty_report() {
    let spec = vendored();
    let report = diff(&spec, &spec).unwrap();
    assert!(report.is_empty(), "{}", report.to_text());
    assert_eq!(report.bump(), Bump::None);
}

/// Every mapping with its keys in reverse order.
fn reversed(v: &Value) -> Value {
    match v {
        Value::Object(map) => Value::Object(
            map.iter()
                .rev()
                .map(|(k, c)| (k.clone(), reversed(c)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(reversed).collect()),
        other => other.clone(),
    }
}

#[test]
fn reserialized_specs_give_an_empty_report() {
    let spec = vendored();
    let as_json = serde_json::to_string_pretty(&reversed(&spec)).unwrap();
    let from_json = xtask::parse_spec(&as_json, "json").unwrap();
    assert_ne!(
        serde_json::to_string(&from_json).unwrap(),
        serde_json::to_string(&spec).unwrap(),
        "keys reordered"
    );
    let report = diff(&spec, &from_json).unwrap();
    assert!(report.is_empty(), "{}", report.to_text());

    let as_yaml = serde_yaml::to_string(&reversed(&spec)).unwrap();
    let from_yaml = xtask::parse_spec(&as_yaml, "yaml").unwrap();
    let report = diff(&from_json, &from_yaml).unwrap();
    assert!(report.is_empty(), "{}", report.to_text());
}

// ----- operations -----

#[test]
fn operation_removed() {
    let report = drift(|d| {
        d["paths"]["/browsers"]
            .as_object_mut()
            .unwrap()
            .remove("get");
    });
    assert_drift(
        &report,
        &[("operation_removed", "operation getBrowsers")],
        &[],
    );
    assert_eq!(report.breaking[0].detail, "GET /browsers removed");
    assert_eq!(report.bump(), Bump::Major);
}

#[test]
fn operation_path_changed() {
    let report = drift(|d| {
        let get = d["paths"]["/browsers/{id}"]
            .as_object_mut()
            .unwrap()
            .remove("get")
            .unwrap();
        d["paths"]["/sessions/{id}"] = json!({ "get": get });
    });
    assert_drift(
        &report,
        &[("operation_moved", "operation getBrowsersById")],
        &[],
    );
    assert_eq!(
        report.breaking[0].detail,
        "GET /browsers/{id} -> GET /sessions/{id}"
    );
}

#[test]
fn operation_method_changed() {
    let report = drift(|d| {
        let item = d["paths"]["/browsers/{id}"].as_object_mut().unwrap();
        let patch = item.remove("patch").unwrap();
        item.insert("put".into(), patch);
    });
    assert_drift(
        &report,
        &[("operation_moved", "operation patchBrowsersById")],
        &[],
    );
    assert_eq!(
        report.breaking[0].detail,
        "PATCH /browsers/{id} -> PUT /browsers/{id}"
    );
}

#[test]
fn operation_added_is_additive() {
    let report = drift(|d| {
        d["paths"]["/browsers/{id}/ping"] = json!({"post": {
            "operationId": "pingBrowser",
            "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
            "responses": {"204": {"description": "pong"}}
        }});
    });
    assert_drift(
        &report,
        &[],
        &[("operation_added", "operation pingBrowser")],
    );
    assert_eq!(report.bump(), Bump::Minor);
}

// ----- parameters -----

#[test]
fn parameter_removed() {
    let report = drift(|d| {
        op(d, "getBrowsers")["parameters"]
            .as_array_mut()
            .unwrap()
            .retain(|p| p["name"] != "status");
    });
    assert_drift(
        &report,
        &[("parameter_removed", "operation getBrowsers param status")],
        &[],
    );
}

#[test]
fn parameter_newly_required() {
    let report = drift(|d| param(d, "getBrowsers", "status")["required"] = json!(true));
    assert_drift(
        &report,
        &[("parameter_required", "operation getBrowsers param status")],
        &[],
    );
}

#[test]
fn new_required_parameter_is_breaking_new_optional_one_is_not() {
    let report = drift(|d| {
        let params = op(d, "getBrowsers")["parameters"].as_array_mut().unwrap();
        params.push(json!({"name": "region", "in": "query", "required": true, "schema": {"type": "string"}}));
        params.push(json!({"name": "label", "in": "query", "schema": {"type": "string"}}));
    });
    assert_drift(
        &report,
        &[("parameter_required", "operation getBrowsers param region")],
        &[("parameter_added", "operation getBrowsers param label")],
    );
}

#[test]
fn enum_value_removed_from_a_request_parameter() {
    let report = drift(|d| {
        param(d, "getBrowsers", "status")["schema"]["enum"]
            .as_array_mut()
            .unwrap()
            .retain(|v| v != "all");
    });
    assert_drift(
        &report,
        &[("enum_value_removed", "operation getBrowsers param status")],
        &[],
    );
    assert_eq!(report.breaking[0].detail, "value `all` removed");
}

// ----- request schemas -----

#[test]
fn request_field_newly_required() {
    let report = drift(|d| schema(d, "BrowserRequest")["required"] = json!(["headless"]));
    assert_drift(
        &report,
        &[("request_field_required", "schema BrowserRequest.headless")],
        &[],
    );
}

#[test]
fn new_required_request_field_is_breaking_new_optional_one_is_not() {
    let report = drift(|d| {
        let s = schema(d, "BrowserRequest");
        s["properties"]["locale"] = json!({"type": "string"});
        s["properties"]["note"] = json!({"type": "string"});
        s["required"] = json!(["locale"]);
    });
    assert_drift(
        &report,
        &[("request_field_required", "schema BrowserRequest.locale")],
        &[("field_added", "schema BrowserRequest.note")],
    );
}

#[test]
fn enum_value_removed_from_a_request_schema() {
    let report = drift(|d| {
        let values = schema(d, "ComputerAction")["properties"]["type"]["enum"]
            .as_array_mut()
            .unwrap();
        values.retain(|v| v != "sleep");
    });
    assert_drift(
        &report,
        &[("enum_value_removed", "schema ComputerAction.type")],
        &[],
    );
}

#[test]
fn schema_used_on_both_sides_gets_both_rule_sets() {
    // BrowserViewport is sent (BrowserRequest.viewport) and read
    // (Browser.viewport); BrowserViewportUpdate merges it through allOf.
    let report = drift(|d| {
        schema(d, "BrowserViewport")["required"] = json!(["width", "height", "refresh_rate"])
    });
    assert_drift(
        &report,
        &[
            (
                "request_field_required",
                "schema BrowserViewport.refresh_rate",
            ),
            (
                "request_field_required",
                "schema BrowserViewportUpdate.refresh_rate",
            ),
        ],
        &[],
    );
    let report = drift(|d| {
        schema(d, "BrowserViewport")["properties"]
            .as_object_mut()
            .unwrap()
            .remove("refresh_rate");
    });
    assert_drift(
        &report,
        &[
            (
                "response_field_removed",
                "schema BrowserViewport.refresh_rate",
            ),
            (
                "request_field_removed",
                "schema BrowserViewportUpdate.refresh_rate",
            ),
        ],
        &[],
    );
}

// ----- response schemas -----

#[test]
fn response_field_removed() {
    let report = drift(|d| {
        schema(d, "Browser")["properties"]
            .as_object_mut()
            .unwrap()
            .remove("cdp_ws_url");
    });
    assert_drift(
        &report,
        &[("response_field_removed", "schema Browser.cdp_ws_url")],
        &[],
    );
}

#[test]
fn optional_response_field_added_is_additive() {
    let report =
        drift(|d| schema(d, "Browser")["properties"]["region"] = json!({"type": "string"}));
    assert_drift(&report, &[], &[("field_added", "schema Browser.region")]);
}

#[test]
fn type_changed() {
    let report =
        drift(|d| schema(d, "Browser")["properties"]["timeout_seconds"]["type"] = json!("string"));
    assert_drift(
        &report,
        &[("type_changed", "schema Browser.timeout_seconds")],
        &[],
    );
    assert_eq!(report.breaking[0].detail, "integer -> string");
}

#[test]
fn format_changed_is_a_type_change() {
    let report =
        drift(|d| schema(d, "Browser")["properties"]["created_at"]["format"] = json!("date"));
    assert_drift(
        &report,
        &[("type_changed", "schema Browser.created_at")],
        &[],
    );
    assert_eq!(
        report.breaking[0].detail,
        "string(date-time) -> string(date)"
    );
}

#[test]
fn always_present_response_field_becoming_optional() {
    let report = drift(|d| {
        schema(d, "Browser")["required"]
            .as_array_mut()
            .unwrap()
            .retain(|r| r != "cdp_ws_url")
    });
    assert_drift(
        &report,
        &[("response_field_optional", "schema Browser.cdp_ws_url")],
        &[],
    );
    assert_eq!(
        report.breaking[0].detail,
        "was always present, now optional"
    );
}

#[test]
fn always_present_response_field_becoming_nullable() {
    let report =
        drift(|d| schema(d, "Browser")["properties"]["cdp_ws_url"]["nullable"] = json!(true));
    assert_drift(
        &report,
        &[("response_field_optional", "schema Browser.cdp_ws_url")],
        &[],
    );
    assert_eq!(
        report.breaking[0].detail,
        "was always present, now nullable"
    );
}

#[test]
fn nullable_sibling_of_a_ref_is_read_as_the_generator_reads_it() {
    // 3.1 spelling: `$ref` with a `nullable` sibling (codegen's
    // `ref_siblings` keeps it; a plain 3.0 reader would drop it).
    let report = drift(|d| {
        schema(d, "BrowserTelemetryEventEnvelope")["properties"]["event"]["nullable"] = json!(true);
    });
    assert_drift(
        &report,
        &[(
            "response_field_optional",
            "schema BrowserTelemetryEventEnvelope.event",
        )],
        &[],
    );
}

#[test]
fn enum_value_added_to_an_open_enum_is_additive() {
    let report = drift(|d| {
        schema(d, "MFAType")["enum"]
            .as_array_mut()
            .unwrap()
            .push(json!("webauthn"))
    });
    assert_drift(&report, &[], &[("enum_value_added", "schema MFAType")]);
    assert_eq!(report.additive[0].detail, "value `webauthn` added");
}

#[test]
fn enum_value_added_to_a_closed_response_enum_is_breaking() {
    // codegen opens component and parameter enums, not enums inside an
    // inline 2xx body: the normalized view says this one is closed.
    fn mode(d: &mut Value) -> &mut Value {
        &mut op(d, "startFsWatch")["responses"]["201"]["content"]["application/json"]["schema"]
            ["properties"]["mode"]
    }
    let report = drift_from(
        |d| *mode(d) = json!({"type": "string", "enum": ["poll", "inotify"]}),
        |d| {
            mode(d)["enum"]
                .as_array_mut()
                .unwrap()
                .push(json!("fanotify"))
        },
    );
    assert_drift(
        &report,
        &[(
            "closed_enum_value_added",
            "operation startFsWatch response 201 application/json.mode",
        )],
        &[],
    );
}

#[test]
fn variant_added_to_a_closed_response_union_is_breaking() {
    let report = drift(|d| {
        let variants = schema(d, "Proxy")["properties"]["config"]["oneOf"]
            .as_array_mut()
            .unwrap();
        variants.push(json!({"$ref": "#/components/schemas/ProxyRef"}));
    });
    assert_drift(
        &report,
        &[("closed_union_variant_added", "schema Proxy.config")],
        &[],
    );
}

// ----- media types and responses -----

#[test]
fn response_media_type_changed() {
    let report = drift(|d| {
        let content = op(d, "takeScreenshot")["responses"]["200"]["content"]
            .as_object_mut()
            .unwrap();
        let png = content.remove("image/png").unwrap();
        content.insert("image/webp".into(), png);
    });
    assert_drift(
        &report,
        &[(
            "media_type_changed",
            "operation takeScreenshot response 200",
        )],
        &[],
    );
    assert_eq!(report.breaking[0].detail, "image/png -> image/webp");
}

#[test]
fn request_media_type_changed() {
    let report = drift(|d| {
        let content = op(d, "writeFile")["requestBody"]["content"]
            .as_object_mut()
            .unwrap();
        let body = content.remove("application/octet-stream").unwrap();
        content.insert("text/plain".into(), body);
    });
    assert_drift(
        &report,
        &[("media_type_changed", "operation writeFile request")],
        &[],
    );
}

#[test]
fn success_status_changed() {
    let report = drift(|d| {
        let responses = op(d, "getBrowsersReplaysById")["responses"]
            .as_object_mut()
            .unwrap();
        let ok = responses.remove("200").unwrap();
        responses.insert("201".into(), ok);
    });
    assert_drift(
        &report,
        &[(
            "response_removed",
            "operation getBrowsersReplaysById response 200",
        )],
        &[(
            "response_added",
            "operation getBrowsersReplaysById response 201",
        )],
    );
}

// ----- SSE events -----

#[test]
fn sse_event_type_removed_from_a_managed_auth_stream() {
    let report = drift(|d| {
        let union = schema(d, "ManagedAuthEvent");
        union["oneOf"]
            .as_array_mut()
            .unwrap()
            .retain(|v| v["$ref"] != "#/components/schemas/ManagedAuthStateEvent");
        union["discriminator"]["mapping"]
            .as_object_mut()
            .unwrap()
            .remove("managed_auth_state");
    });
    assert_drift(
        &report,
        &[
            (
                "sse_event_removed",
                "operation getAuthConnectionsEventsById event managed_auth_state",
            ),
            ("union_variant_removed", "schema ManagedAuthEvent"),
        ],
        &[],
    );
}

#[test]
fn sse_event_type_removed_from_telemetry() {
    let report = drift(|d| {
        let union = schema(d, "BrowserTelemetryEvent");
        union["oneOf"]
            .as_array_mut()
            .unwrap()
            .retain(|v| v["$ref"] != "#/components/schemas/BrowserPageLcpEvent");
    });
    assert_drift(
        &report,
        &[
            (
                "sse_event_removed",
                "operation streamBrowserTelemetry event page_lcp",
            ),
            ("union_variant_removed", "schema BrowserTelemetryEvent"),
        ],
        &[],
    );
}

#[test]
fn sse_event_tag_renamed_through_const() {
    // `const` is read as the one-value enum the generator sees, so the tag
    // change is seen on the stream, the union and the event schema.
    let report = drift(|d| {
        schema(d, "ManagedAuthStateEvent")["properties"]["event"]["const"] = json!("auth_state")
    });
    assert_drift(
        &report,
        &[
            (
                "sse_event_removed",
                "operation getAuthConnectionsEventsById event managed_auth_state",
            ),
            ("union_variant_removed", "schema ManagedAuthEvent"),
            // A union tag stays closed in the SDK (typify tells variants apart by it).
            (
                "closed_enum_value_added",
                "schema ManagedAuthStateEvent.event",
            ),
            ("enum_value_removed", "schema ManagedAuthStateEvent.event"),
        ],
        &[
            (
                "sse_event_added",
                "operation getAuthConnectionsEventsById event auth_state",
            ),
            ("union_variant_added", "schema ManagedAuthEvent"),
        ],
    );
}

#[test]
fn sse_event_type_added_is_additive() {
    let report = drift(|d| {
        let mut ping = d["components"]["schemas"]["SSEHeartbeatEvent"].clone();
        ping["properties"]["event"]["const"] = json!("ping");
        d["components"]["schemas"]["PingEvent"] = ping;
        let union = schema(d, "ManagedAuthEvent");
        union["oneOf"]
            .as_array_mut()
            .unwrap()
            .push(json!({"$ref": "#/components/schemas/PingEvent"}));
    });
    assert_drift(
        &report,
        &[],
        &[
            (
                "sse_event_added",
                "operation getAuthConnectionsEventsById event ping",
            ),
            ("union_variant_added", "schema ManagedAuthEvent"),
            ("schema_added", "schema PingEvent"),
        ],
    );
}

// ----- cosmetic and combined -----

#[test]
fn documentation_only_changes_are_cosmetic() {
    let report = drift(|d| {
        let get = op(d, "getBrowsers");
        get["summary"] = json!("List browsers");
        get["x-codeSamples"][0]["source"] = json!("// new sample");
        let browser = schema(d, "Browser");
        browser["properties"]["cdp_ws_url"]["description"] = json!("The CDP websocket URL.");
        browser["properties"]["cdp_ws_url"]["example"] = json!("wss://example");
        // A description next to a `$ref`: read from the raw document.
        schema(d, "Error")["properties"]["inner_error"]["description"] = json!("The cause.");
    });
    assert!(
        report.breaking.is_empty() && report.additive.is_empty(),
        "{}",
        report.to_text()
    );
    assert_eq!(
        entries(&report, Category::Cosmetic),
        vec![
            e("extension_changed", "operation getBrowsers"),
            e("summary_changed", "operation getBrowsers"),
            e("description_changed", "schema Browser.cdp_ws_url"),
            e("example_changed", "schema Browser.cdp_ws_url"),
            e("description_changed", "schema Error.inner_error"),
        ]
    );
    assert_eq!(report.bump(), Bump::Patch);
}

#[test]
fn combined_changes_land_in_each_category() {
    let report = drift(|d| {
        d["paths"]["/browsers"]
            .as_object_mut()
            .unwrap()
            .remove("get");
        schema(d, "Browser")["properties"]["region"] = json!({"type": "string"});
        schema(d, "MFAType")["enum"]
            .as_array_mut()
            .unwrap()
            .push(json!("webauthn"));
        schema(d, "MFAType")["description"] = json!("How the second factor is delivered.");
    });
    assert_eq!(
        entries(&report, Category::Breaking),
        vec![e("operation_removed", "operation getBrowsers")]
    );
    assert_eq!(
        entries(&report, Category::Additive),
        vec![
            e("field_added", "schema Browser.region"),
            e("enum_value_added", "schema MFAType")
        ]
    );
    assert_eq!(
        entries(&report, Category::Cosmetic),
        vec![e("description_changed", "schema MFAType")]
    );
    assert_eq!(report.bump(), Bump::Major);
    let text = report.to_text();
    for heading in [
        "## Breaking (1)",
        "## Additive (2)",
        "## Cosmetic (1)",
        "Suggested version bump: major",
    ] {
        assert!(text.contains(heading), "{text}");
    }
    assert!(
        text.contains("- operation getBrowsers: GET /browsers removed [operation_removed]"),
        "{text}"
    );
}

#[test]
fn combined_request_and_response_changes() {
    let report = drift(|d| {
        param(d, "getInvocations", "status")["schema"]["enum"]
            .as_array_mut()
            .unwrap()
            .retain(|v| v != "queued");
        schema(d, "Browser")["required"]
            .as_array_mut()
            .unwrap()
            .retain(|r| r != "created_at");
        schema(d, "BrowserRequest")["properties"]["headless"]["deprecated"] = json!(true);
        schema(d, "BrowserRequest")["properties"]["timeout_seconds"]["maximum"] = json!(3600);
    });
    assert_drift(
        &report,
        &[
            (
                "enum_value_removed",
                "operation getInvocations param status",
            ),
            ("response_field_optional", "schema Browser.created_at"),
        ],
        &[
            ("deprecated", "schema BrowserRequest.headless"),
            (
                "constraint_changed",
                "schema BrowserRequest.timeout_seconds",
            ),
        ],
    );
}

#[test]
fn json_report_shape_is_stable() {
    let report = drift(|d| {
        d["paths"]["/browsers"]
            .as_object_mut()
            .unwrap()
            .remove("get");
    });
    assert_eq!(
        report.to_json(),
        json!({
            "breaking": [{"kind": "operation_removed", "location": "operation getBrowsers", "detail": "GET /browsers removed"}],
            "additive": [],
            "cosmetic": []
        })
    );
}

// ----- invalid input -----

#[test]
fn malformed_new_spec_is_a_clear_error() {
    let not_yaml = xtask::parse_spec("openapi: [3.1.0\n", "new.yaml").unwrap_err();
    assert!(matches!(not_yaml, xtask::SpecError::Unreadable(_)));
    assert!(
        not_yaml.to_string().starts_with("new.yaml: not YAML/JSON"),
        "{not_yaml}"
    );

    let mut doc = vendored();
    op(&mut doc, "getBrowsers")
        .as_object_mut()
        .unwrap()
        .remove("responses");
    op(&mut doc, "getProxies")["operationId"] = json!("getBrowsersById");
    schema(&mut doc, "Browser")["properties"]["pool"]["$ref"] =
        json!("#/components/schemas/NoSuchPool");
    doc["openapi"] = json!("3.0.3");
    let text = serde_json::to_string(&doc).unwrap();
    let error = xtask::parse_spec(&text, "new.json")
        .unwrap_err()
        .to_string();
    for expected in [
        "new.json is not a valid OpenAPI 3.1 document:",
        "openapi: expected a 3.1.x version, found `3.0.3`",
        "GET /browsers (getBrowsers): no responses",
        "operationId `getBrowsersById` is used by 2 operations",
        "#/components/schemas/Browser/properties/pool: $ref `#/components/schemas/NoSuchPool` does not resolve",
    ] {
        assert!(error.contains(expected), "missing {expected:?} in:\n{error}");
    }
}

// ----- the binary's exit codes -----

struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("xtask-drift-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn xtask(args: &[&std::ffi::OsStr]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(args)
        .output()
        .unwrap();
    let text = |b: Vec<u8>| String::from_utf8(b).unwrap();
    (
        out.status.code().expect("exit code"),
        text(out.stdout),
        text(out.stderr),
    )
}

#[test]
fn exit_codes() {
    let dir = TempDir::new("exit");
    let spec = vendored();
    let old = dir.write("old.json", &serde_json::to_string(&spec).unwrap());
    let mut changed = spec.clone();
    changed["paths"]["/browsers"]
        .as_object_mut()
        .unwrap()
        .remove("get");
    let breaking = dir.write("breaking.json", &serde_json::to_string(&changed).unwrap());
    let mut additive = spec.clone();
    additive["components"]["schemas"]["Browser"]["properties"]["region"] =
        json!({"type": "string"});
    let additive = dir.write("additive.json", &serde_json::to_string(&additive).unwrap());
    let malformed = dir.write("malformed.yaml", "openapi: 3.1.0\npaths: [\n");
    let invalid = dir.write(
        "invalid.yaml",
        "openapi: 3.1.0\ninfo: {title: t, version: '1'}\npaths: {/a: {get: {operationId: a}}}\n",
    );
    let missing = dir.0.join("missing.yaml");
    let vendored_path = xtask::workspace_root().join(xtask::SPEC_PATH);
    let os = |p: &PathBuf| p.as_os_str().to_owned();

    let (code, stdout, _) = xtask(&[
        "drift".as_ref(),
        vendored_path.as_os_str(),
        vendored_path.as_os_str(),
    ]);
    assert_eq!(code, 0, "{stdout}");
    assert!(stdout.contains("## Breaking (0)"), "{stdout}");

    let (code, stdout, _) = xtask(&["drift".as_ref(), &os(&old), &os(&additive)]);
    assert_eq!(code, 0, "additive only: {stdout}");

    let (code, stdout, _) = xtask(&[
        "drift".as_ref(),
        &os(&old),
        &os(&breaking),
        "--json".as_ref(),
    ]);
    assert_eq!(code, 1, "{stdout}");
    let json: Value = serde_json::from_str(&stdout).expect("--json prints JSON");
    assert_eq!(json["breaking"][0]["kind"], "operation_removed");

    let (code, _, stderr) = xtask(&["drift".as_ref(), &os(&old), &os(&malformed)]);
    assert_eq!(code, 2);
    assert!(stderr.contains("malformed.yaml: not YAML/JSON"), "{stderr}");

    let (code, _, stderr) = xtask(&["drift".as_ref(), &os(&old), &os(&invalid)]);
    assert_eq!(code, 2);
    assert!(stderr.contains("GET /a (a): no responses"), "{stderr}");

    let (code, _, stderr) = xtask(&["drift".as_ref(), &os(&missing), &os(&old)]);
    assert_eq!(code, 2);
    assert!(stderr.contains("cannot read"), "{stderr}");

    let (code, _, _) = xtask(&["drift".as_ref(), &os(&old)]);
    assert_eq!(code, 2, "missing argument");
}

// ----- odd but valid documents -----

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
