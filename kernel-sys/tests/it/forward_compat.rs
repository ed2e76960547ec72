//! Forward compatibility of the generated types: unknown fields, enum values and event tags from a newer API are kept, never a decode error.
//!
//! Every JSON value here starts as an example synthesized from the vendored
//! spec's property-level `example:`s (see `kernel_testkit::examples`) and is
//! then mutated the way a newer server would: an added field, an added enum
//! value, an added event type. A client built from today's spec must keep
//! working.

use crate::components::{RoundTrip, COMPONENTS};
use kernel_sys::open;
use kernel_sys::types;
use kernel_testkit::examples::{example, example_of, invalid_spec_examples};
use kernel_testkit::schema::validate;
use kernel_testkit::spec::{component, component_names, operations, resolve};
use serde_json::{json, Value};

fn round_trip(name: &str, value: Value) -> Result<Value, String> {
    let (_, f) = COMPONENTS
        .iter()
        .find(|(n, _)| *n == name)
        .unwrap_or_else(|| panic!("{name} is not in COMPONENTS"));
    f(value)
}

/// A value no version of the spec lists.
const FUTURE: &str = "ZZ_FUTURE_VALUE";

#[test]
fn the_component_table_lists_every_schema_of_the_spec() {
    let table: Vec<&str> = COMPONENTS.iter().map(|(n, _)| *n).collect();
    let spec = component_names();
    let missing: Vec<&String> = spec
        .iter()
        .filter(|n| !table.contains(&n.as_str()))
        .collect();
    let extra: Vec<&&str> = table
        .iter()
        .filter(|n| !spec.iter().any(|s| s == *n))
        .collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "COMPONENTS is out of date: missing {missing:?}, not in the spec {extra:?}"
    );
}

/// Component schemas the spec itself makes unsatisfiable under JSON Schema
/// rules, so no example of them validates. Listed so the list stays honest:
/// a schema that starts validating fails the test. Prism rejects request
/// bodies of the last three (`config must match exactly one schema in oneOf`,
/// `must NOT have additional properties`); it merges `allOf` before
/// validating, so it accepts ProcessSpawnRequest.
const UNSATISFIABLE_IN_SPEC: &[(&str, &str)] = &[
    (
        "ProcessSpawnRequest",
        "allOf of ProcessExecRequest (additionalProperties: false) and an object adding \
         allocate_tty/rows/cols: those three are rejected by the first half",
    ),
    (
        "AgentAuthSubmitRequest",
        "additionalProperties: false next to a oneOf whose alternatives declare the properties: \
         every property (field_values, sso_button, selected_mfa_type) is rejected",
    ),
    ("Proxy", "config: oneOf of five overlapping configs ({country} matches four of them), so exactly-one never holds"),
    ("ProxyCreateRequest", "config: the same overlapping oneOf as Proxy.config"),
];

/// Every component's spec example deserializes into its generated type, and
/// what the type serializes back is still valid against the spec schema (no
/// `null` where the spec does not allow one, no renamed field, ...).
#[test]
fn every_component_example_deserializes_and_serializes_back_valid() {
    let mut failures = Vec::new();
    let mut unsatisfiable = Vec::new();
    for (name, f) in COMPONENTS {
        let input = example_of(name);
        let valid_input = validate(component(name), &input).is_ok();
        if !valid_input {
            unsatisfiable.push(*name);
        }
        match f(input.clone()) {
            Err(e) => failures.push(format!("{name}: does not deserialize: {e}\n  {input}")),
            Ok(output) if valid_input => {
                if let Err(e) = validate(component(name), &output) {
                    failures.push(format!(
                        "{name}: serializes to a value the spec rejects: {e:?}\n  {output}"
                    ));
                }
            }
            Ok(_) => {}
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    let listed: Vec<&str> = UNSATISFIABLE_IN_SPEC.iter().map(|(n, _)| *n).collect();
    assert_eq!(
        unsatisfiable, listed,
        "components whose synthesized example the spec rejects"
    );
}

/// The spec's own `example:` values that violate their schema. The example
/// synthesizer skips them; the list documents them (and Prism serves them).
#[test]
fn spec_examples_that_violate_their_schema_are_known() {
    let found: Vec<String> = invalid_spec_examples()
        .into_iter()
        .map(|(at, e)| format!("{at} = {e}"))
        .collect();
    let known = [
        "/components/schemas/Invocation/properties/started_at/example = \"2024-05-19T15:30:00.000000000Z07:00\"",
        "/components/schemas/Invocation/properties/finished_at/example = \"2024-05-19T15:30:05.000000000Z07:00\"",
    ];
    assert_eq!(
        found, known,
        "spec examples invalid against their own schema"
    );
}

/// The object schemas of the spec (with their own `properties`).
fn object_components() -> Vec<&'static str> {
    COMPONENTS
        .iter()
        .map(|(n, _)| *n)
        .filter(|n| component(n).get("properties").is_some())
        .collect()
}

#[test]
fn a_field_the_spec_does_not_know_is_ignored_everywhere() {
    let mut failures = Vec::new();
    let names = object_components();
    assert!(
        names.len() > 100,
        "expected the spec's object schemas, got {}",
        names.len()
    );
    for name in &names {
        let mut input = example_of(name);
        input["added_in_a_later_version"] = json!({ "nested": [1, "two", null] });
        if let Err(e) = round_trip(name, input) {
            failures.push(format!("{name}: {e}"));
        }
    }
    assert!(
        failures.is_empty(),
        "unknown fields rejected:\n{}",
        failures.join("\n")
    );
}

#[test]
fn managed_auth_browser_and_credential_keep_their_data_next_to_unknown_fields() {
    let mut auth = example_of("ManagedAuth");
    auth["risk_score"] = json!(0.3);
    auth["new_section"] = json!({ "a": 1 });
    let auth: types::ManagedAuth =
        serde_json::from_value(auth.clone()).expect("ManagedAuth with unknown fields");
    assert_eq!(auth.id, example_of("ManagedAuth")["id"].as_str().unwrap());
    assert_eq!(
        auth.domain,
        example_of("ManagedAuth")["domain"].as_str().unwrap()
    );

    let mut browser = example_of("Browser");
    browser["region"] = json!("eu-west-9");
    let browser: types::Browser =
        serde_json::from_value(browser).expect("Browser with an unknown field");
    assert_eq!(
        browser.session_id,
        example_of("Browser")["session_id"].as_str().unwrap()
    );
    assert_eq!(
        browser.cdp_ws_url.expose(),
        example_of("Browser")["cdp_ws_url"].as_str().unwrap()
    );

    let mut credential = example_of("Credential");
    credential["rotation_policy"] = json!({ "days": 30 });
    let credential: types::Credential =
        serde_json::from_value(credential).expect("Credential with an unknown field");
    assert_eq!(
        credential.name,
        example_of("Credential")["name"].as_str().unwrap()
    );
}

#[test]
fn an_unknown_flow_step_is_kept_verbatim_and_a_known_one_stays_typed() {
    let mut input = example_of("ManagedAuth");
    input["flow_step"] = json!("AWAITING_HUMAN_INTERVENTION");
    let auth: types::ManagedAuth = serde_json::from_value(input).expect("unknown flow_step");
    assert_eq!(
        auth.flow_step,
        Some(open::ManagedAuthFlowStep::Unknown(
            "AWAITING_HUMAN_INTERVENTION".into()
        ))
    );
    assert_eq!(
        serde_json::to_value(&auth).unwrap()["flow_step"],
        json!("AWAITING_HUMAN_INTERVENTION")
    );

    let mut input = example_of("ManagedAuth");
    input["flow_step"] = json!("AWAITING_INPUT");
    let auth: types::ManagedAuth = serde_json::from_value(input).expect("known flow_step");
    assert_eq!(
        auth.flow_step,
        Some(open::ManagedAuthFlowStep::AwaitingInput)
    );
    assert!(!auth.flow_step.as_ref().unwrap().is_unknown());
    assert_eq!(
        serde_json::to_value(&auth).unwrap()["flow_step"],
        json!("AWAITING_INPUT")
    );

    // The same field on the event stream.
    let mut event = example_of("ManagedAuthStateEvent");
    event["flow_step"] = json!("AWAITING_HUMAN_INTERVENTION");
    let event: open::ManagedAuthEvent = serde_json::from_value(event).expect("state event");
    let open::ManagedAuthEvent::Known(types::ManagedAuthEventKnown::ManagedAuthStateEvent(state)) =
        &event
    else {
        panic!("a managed_auth_state event is Known: {event:?}")
    };
    assert_eq!(
        state.flow_step,
        open::ManagedAuthStateEventFlowStep::Unknown("AWAITING_HUMAN_INTERVENTION".into())
    );
    assert_eq!(
        serde_json::to_value(&event).unwrap()["flow_step"],
        json!("AWAITING_HUMAN_INTERVENTION")
    );
}

/// Where a property's schema is a string enum (inline, `$ref`,
/// `allOf: [$ref]`), returns `(is_array, values)`.
fn enum_property(schema: &Value) -> Option<(bool, Vec<String>)> {
    fn values(schema: &Value) -> Option<Vec<String>> {
        let schema = match schema.get("allOf").and_then(Value::as_array) {
            Some(all) if all.len() == 1 => resolve(&all[0]),
            _ => resolve(schema),
        };
        let e = schema
            .get("enum")
            .or(schema.get("const").map(|_| &Value::Null))?;
        let e: Vec<Value> = match (e, schema.get("const")) {
            (Value::Null, Some(c)) => vec![c.clone()],
            (Value::Array(e), _) => e.clone(),
            _ => return None,
        };
        (schema["type"] == "string" && !e.is_empty()).then(|| {
            e.iter()
                .filter_map(|v| v.as_str().map(String::from))
                .collect()
        })
    }
    if let Some(v) = values(schema) {
        return Some((false, v));
    }
    let items = resolve(schema).get("items")?;
    values(items).map(|v| (true, v))
}

/// The `(component, property)` pairs that tag the variants of an open
/// union: those stay closed on purpose (they pick the variant).
fn union_tags() -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (union, _, tag) in UNIONS {
        for variant in component(union)["oneOf"].as_array().unwrap() {
            let name = variant["$ref"]
                .as_str()
                .unwrap()
                .rsplit('/')
                .next()
                .unwrap();
            out.push((name.to_string(), tag.to_string()));
        }
    }
    out
}

/// Every enum-valued property reachable from `schema` through inline
/// objects (`properties`, inline `allOf` parts), as a path of property names.
fn enum_paths(
    schema: &Value,
    path: &mut Vec<String>,
    out: &mut Vec<(Vec<String>, bool, Vec<String>)>,
) {
    let mut maps = Vec::new();
    if let Some(p) = schema.get("properties").and_then(Value::as_object) {
        maps.push(p);
    }
    for part in schema
        .get("allOf")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if part.get("$ref").is_none() {
            if let Some(p) = part.get("properties").and_then(Value::as_object) {
                maps.push(p);
            }
        }
    }
    for props in maps {
        for (name, sub) in props {
            path.push(name.clone());
            if let Some((is_array, values)) = enum_property(sub) {
                out.push((path.clone(), is_array, values));
            } else if sub.get("$ref").is_none() {
                enum_paths(sub, path, out);
            }
            path.pop();
        }
    }
}

fn pointer(path: &[String]) -> String {
    path.iter().map(|p| format!("/{p}")).collect()
}

/// Every enum-valued property of every component, at any inline depth (and
/// every array of enum values), keeps a value the spec does not list and
/// writes it back unchanged; every documented value still round-trips. The
/// only closed ones are the tags of the open unions.
#[test]
fn every_enum_property_keeps_unknown_values() {
    let tags = union_tags();
    let (mut checked, mut arrays, mut nested, mut skipped_tags) = (0, 0, 0, 0);
    let mut failures = Vec::new();
    for (name, _) in COMPONENTS {
        let mut found = Vec::new();
        enum_paths(component(name), &mut Vec::new(), &mut found);
        for (path, is_array, values) in found {
            if path.len() == 1 && tags.contains(&(name.to_string(), path[0].clone())) {
                skipped_tags += 1;
                continue;
            }
            checked += 1;
            arrays += usize::from(is_array);
            nested += usize::from(path.len() > 1);
            let at = pointer(&path);
            for value in values.iter().map(String::as_str).chain([FUTURE]) {
                let wire = if is_array {
                    json!([values[0], value])
                } else {
                    json!(value)
                };
                let mut input = example_of(name);
                let Some(slot) = input.pointer_mut(&at) else {
                    failures.push(format!("{name}{at}: not in the synthesized example"));
                    break;
                };
                *slot = wire.clone();
                match round_trip(name, input) {
                    Ok(output) if output.pointer(&at) == Some(&wire) => {}
                    Ok(output) => failures.push(format!(
                        "{name}{at} = {wire} came back as {:?}",
                        output.pointer(&at)
                    )),
                    Err(e) => failures.push(format!("{name}{at} = {wire}: {e}")),
                }
            }
        }
    }
    assert!(
        checked >= 50,
        "expected the spec's enum properties, found {checked}"
    );
    assert!(
        nested >= 2,
        "expected nested enums (telemetry data reasons, ...), found {nested}"
    );
    assert!(skipped_tags >= 25, "union tags: {skipped_tags}");
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    eprintln!("{checked} enum properties checked ({arrays} arrays of enums, {nested} nested); {skipped_tags} union tags");
}

/// The tags of the open unions stay closed: a tag value the variant does not
/// list is not that variant (the union falls back to `Unknown`).
#[test]
fn union_variant_tags_stay_closed() {
    for (variant, tag) in union_tags() {
        let mut input = example_of(&variant);
        input[&tag] = json!(FUTURE);
        assert!(
            round_trip(&variant, input).is_err(),
            "{variant}.{tag} accepts {FUTURE}"
        );
    }
}

#[test]
fn an_array_of_open_enum_values_keeps_unknown_items() {
    // The spec has no array-of-enum property today (the test above would
    // cover one); the open enums must still work as sequence items.
    let values: Vec<open::MfaType> =
        serde_json::from_value(json!(["sms", "carrier_pigeon", "totp"])).unwrap();
    assert_eq!(
        values,
        [
            open::MfaType::Sms,
            open::MfaType::Unknown("carrier_pigeon".into()),
            open::MfaType::Totp
        ]
    );
    assert_eq!(
        serde_json::to_value(&values).unwrap(),
        json!(["sms", "carrier_pigeon", "totp"])
    );
}

/// The query-parameter enum types, with the spec location they come from.
#[test]
fn query_parameter_enums_are_open() {
    fn check<T>(known: &str, typed: T)
    where
        T: std::str::FromStr<Err = std::convert::Infallible>
            + std::fmt::Display
            + std::fmt::Debug
            + PartialEq
            + serde::Serialize
            + serde::de::DeserializeOwned,
    {
        let parsed: T = known.parse().unwrap();
        assert_eq!(parsed, typed, "{known} is a typed variant");
        assert_eq!(parsed.to_string(), known);
        let future: T = FUTURE.parse().unwrap();
        assert_ne!(future, typed);
        assert_eq!(
            future.to_string(),
            FUTURE,
            "an unknown value is sent as given"
        );
        assert_eq!(serde_json::to_value(&future).unwrap(), json!(FUTURE));
        let back: T = serde_json::from_value(json!(FUTURE)).unwrap();
        assert_eq!(back, future);
    }
    check("deleted", open::GetBrowsersStatus::Deleted);
    check("running", open::GetInvocationsStatus::Running);
    check("supervisor", open::LogsStreamSource::Supervisor);
    check("mac", open::GetExtensionsFromChromeStoreOs::Mac);
    assert_eq!(
        open::GetBrowsersStatus::from(FUTURE),
        open::GetBrowsersStatus::Unknown(FUTURE.into())
    );

    // Those four are every enum-valued query parameter of the spec.
    let mut in_spec: Vec<String> = operations()
        .iter()
        .flat_map(|op| {
            op.params
                .iter()
                .filter(|p| p["in"] == "query" && enum_property(&p["schema"]).is_some())
                .map(|p| format!("{}.{}", op.id, p["name"].as_str().unwrap()))
                .collect::<Vec<_>>()
        })
        .collect();
    in_spec.sort();
    assert_eq!(
        in_spec,
        [
            "getBrowsers.status",
            "getExtensionsFromChromeStore.os",
            "getInvocations.status",
            "logsStream.source"
        ]
    );
}

/// The four open unions and the raw-spec component each one wraps.
const UNIONS: &[(&str, RoundTrip, &str)] = &[
    (
        "ManagedAuthEvent",
        |v| {
            serde_json::from_value::<open::ManagedAuthEvent>(v)
                .map(tag_and_value)
                .map_err(|e| e.to_string())
        },
        "event",
    ),
    (
        "BrowserTelemetryEvent",
        |v| {
            serde_json::from_value::<open::BrowserTelemetryEvent>(v)
                .map(tag_and_value)
                .map_err(|e| e.to_string())
        },
        "type",
    ),
    (
        "InvocationEvent",
        |v| {
            serde_json::from_value::<open::InvocationEvent>(v)
                .map(tag_and_value)
                .map_err(|e| e.to_string())
        },
        "event",
    ),
    (
        "DeploymentEvent",
        |v| {
            serde_json::from_value::<open::DeploymentEvent>(v)
                .map(tag_and_value)
                .map_err(|e| e.to_string())
        },
        "event",
    ),
];

/// `{ "known": bool, "tag": .., "value": <serialized> }` for an open union.
fn tag_and_value<T: OpenUnion>(u: T) -> Value {
    json!({ "known": u.is_known(), "tag": u.tag_value(), "value": serde_json::to_value(&u).unwrap() })
}

trait OpenUnion: serde::Serialize {
    fn is_known(&self) -> bool;
    fn tag_value(&self) -> Option<String>;
}

macro_rules! open_union_impl {
    ($($t:ident),*) => {$(
        impl OpenUnion for open::$t {
            fn is_known(&self) -> bool {
                matches!(self, open::$t::Known(_))
            }
            fn tag_value(&self) -> Option<String> {
                self.tag().map(str::to_owned)
            }
        }
    )*};
}
open_union_impl!(
    ManagedAuthEvent,
    BrowserTelemetryEvent,
    InvocationEvent,
    DeploymentEvent
);

/// The variant schemas of a union in the raw spec.
fn variants(union: &str) -> Vec<&'static Value> {
    component(union)["oneOf"]
        .as_array()
        .expect("oneOf")
        .iter()
        .map(resolve)
        .collect()
}

#[test]
fn every_documented_event_of_every_union_is_known() {
    for (union, f, tag) in UNIONS {
        let variants = variants(union);
        assert!(
            variants.len() >= 3,
            "{union} has {} variants",
            variants.len()
        );
        for variant in variants {
            let input = example(variant);
            let out = f(input.clone())
                .unwrap_or_else(|e| panic!("{union}: {input} does not deserialize: {e}"));
            assert_eq!(
                out["known"],
                json!(true),
                "{union}: {input} is a documented event"
            );
            assert_eq!(out["tag"], input[tag], "{union}: tag of {input}");
            assert_eq!(out["value"][tag], input[tag], "{union}: serialized tag");
        }
    }
}

#[test]
fn an_event_with_an_unknown_tag_is_kept_as_raw_json() {
    for (union, f, tag) in UNIONS {
        let mut input = example(variants(union)[0]);
        input[tag] = json!("event_type_from_the_future");
        input["payload"] = json!({ "anything": [1, 2, 3] });
        let out = f(input.clone()).unwrap_or_else(|e| panic!("{union}: unknown tag rejected: {e}"));
        assert_eq!(out["known"], json!(false), "{union}: {input}");
        assert_eq!(out["tag"], json!("event_type_from_the_future"));
        assert_eq!(
            out["value"], input,
            "{union}: the raw JSON is kept and written back as is"
        );

        // Without any tag, too.
        let out =
            f(json!({ "something": "else" })).unwrap_or_else(|e| panic!("{union}: untagged: {e}"));
        assert_eq!(out["known"], json!(false));
        assert_eq!(out["value"], json!({ "something": "else" }));
    }
    // The concrete shape: `Unknown(raw)`.
    let raw = json!({ "event": "managed_auth_progress", "percent": 40 });
    let event: open::ManagedAuthEvent = serde_json::from_value(raw.clone()).unwrap();
    assert_eq!(event, open::ManagedAuthEvent::Unknown(raw));
}

#[test]
fn a_known_tag_with_a_broken_body_is_an_error() {
    for (union, f, tag) in UNIONS {
        for variant in variants(union) {
            let valid = example(variant);
            let tag_value = valid[tag].clone();
            // Every required field but the tag removed.
            let mut stripped = json!({ *tag: tag_value.clone() });
            let required: Vec<&str> = variant["required"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(Value::as_str)
                .filter(|r| r != tag)
                .collect();
            if !required.is_empty() {
                stripped["unrelated"] = json!(1);
                assert!(
                    f(stripped.clone()).is_err(),
                    "{union}: {stripped} lacks {required:?} but was accepted"
                );
            }
            // A required field of the wrong type.
            for r in &required {
                let mut broken = valid.clone();
                broken[*r] = json!({ "not": ["the", "right", "type"] });
                if validate(variant, &broken).is_err() {
                    assert!(
                        f(broken.clone()).is_err(),
                        "{union}: {broken} has a broken `{r}` but was accepted"
                    );
                }
            }
        }
    }
    // A state event whose `flow_status` is not a string at all.
    let broken = json!({ "event": "managed_auth_state", "timestamp": "2025-01-02T03:04:05Z", "flow_status": 7 });
    assert!(serde_json::from_value::<open::ManagedAuthEvent>(broken).is_err());
}

#[test]
fn required_nullable_fields_accept_null() {
    let mut key = example_of("ApiKey");
    assert!(component("ApiKey")["required"]
        .as_array()
        .unwrap()
        .contains(&json!("expires_at")));
    key["expires_at"] = Value::Null;
    let key: types::ApiKey = serde_json::from_value(key).expect("ApiKey.expires_at: null");
    assert_eq!(key.expires_at, None);
    // Required: written back as an explicit null, not left out.
    let back = serde_json::to_value(&key).unwrap();
    assert_eq!(back.get("expires_at"), Some(&Value::Null));

    // A required field may be null but not missing.
    let mut missing = example_of("ApiKey");
    missing.as_object_mut().unwrap().remove("expires_at");
    assert!(
        serde_json::from_value::<types::ApiKey>(missing).is_err(),
        "expires_at is required"
    );
}

#[test]
fn nullable_refs_accept_null() {
    // `$ref` + `nullable: true` in the 3.1 spec (openapiv3 would drop the
    // `nullable`; the `ref_siblings` transform keeps it).
    assert_eq!(
        component("Browser")["properties"]["telemetry"]["nullable"],
        json!(true)
    );
    let mut browser = example_of("Browser");
    assert!(browser["telemetry"].is_object());
    browser["telemetry"] = Value::Null;
    let browser: types::Browser = serde_json::from_value(browser).expect("Browser.telemetry: null");
    assert_eq!(browser.telemetry, None);

    assert_eq!(
        component("DiscoveredField")["properties"]["linked_mfa_type"]["nullable"],
        json!(true)
    );
    let mut field = example_of("DiscoveredField");
    field["linked_mfa_type"] = Value::Null;
    let field: types::DiscoveredField =
        serde_json::from_value(field).expect("DiscoveredField.linked_mfa_type: null");
    assert_eq!(field.linked_mfa_type, None);
    let mut field = example_of("DiscoveredField");
    field["linked_mfa_type"] = json!("push");
    let field: types::DiscoveredField = serde_json::from_value(field).unwrap();
    assert_eq!(field.linked_mfa_type, Some(open::MfaType::Push));
}

/// Every property the spec marks nullable (`nullable: true`, a 3.1 type list
/// with `null`, or `$ref` + `nullable`) accepts `null` in every component.
#[test]
fn every_nullable_property_accepts_null() {
    let mut checked = 0;
    let mut failures = Vec::new();
    for name in object_components() {
        for (prop, schema) in component(name)["properties"].as_object().unwrap() {
            let nullable = schema.get("nullable") == Some(&json!(true))
                || schema["type"]
                    .as_array()
                    .is_some_and(|t| t.contains(&json!("null")));
            if !nullable {
                continue;
            }
            checked += 1;
            let mut input = example_of(name);
            input[prop.as_str()] = Value::Null;
            if let Err(e) = round_trip(name, input) {
                failures.push(format!("{name}.{prop}: {e}"));
            }
        }
    }
    assert!(
        checked >= 10,
        "expected the spec's nullable properties, found {checked}"
    );
    assert!(
        failures.is_empty(),
        "null rejected:\n{}",
        failures.join("\n")
    );
}
