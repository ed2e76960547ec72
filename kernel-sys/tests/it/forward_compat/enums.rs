//! Open enums: every enum property, array items and query parameters keep
//! unknown values; union variant tags stay closed.

use super::events::UNIONS;
use super::{round_trip, FUTURE};
use crate::components::COMPONENTS;
use kernel_sys::open;
use kernel_testkit::examples::example_of;
use kernel_testkit::spec::{component, operations, resolve};
use serde_json::{json, Value};

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
