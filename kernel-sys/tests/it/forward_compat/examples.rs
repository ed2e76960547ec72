//! The component table and the spec's examples: every component's example
//! round-trips valid, with the known invalid and unsatisfiable ones listed.

use crate::components::COMPONENTS;
use kernel_testkit::examples::{example_of, invalid_spec_examples};
use kernel_testkit::schema::validate;
use kernel_testkit::spec::{component, component_names};

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
