//! The drift classifier on hand-made mutations of the vendored spec, and the
//! `cargo xtask drift` exit-code contract (0 / 1 / 2). Here: the helpers
//! that mutate the spec and check a report; the cases, by what changed, in
//! the modules.

mod cosmetic_and_combined;
mod exit_codes;
mod invalid_input;
mod media_types;
mod odd_documents;
mod operations;
mod parameters;
mod request_schemas;
mod response_schemas;
mod sse_events;
mod unchanged;

use serde_json::Value;
use std::sync::OnceLock;
use xtask::drift::{diff, Category, Report};

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
