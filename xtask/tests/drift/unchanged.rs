//! No change: identical and re-serialized specs give an empty report.

use crate::vendored;
use serde_json::Value;
use xtask::drift::{diff, Bump};

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
