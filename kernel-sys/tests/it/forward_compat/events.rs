//! Event unions: every documented event is known, an unknown tag is kept as
//! raw JSON, and a known tag with a broken body is an error.

use crate::components::RoundTrip;
use kernel_sys::open;
use kernel_testkit::examples::example;
use kernel_testkit::schema::validate;
use kernel_testkit::spec::{component, resolve};
use serde_json::{json, Value};

/// The four open unions and the raw-spec component each one wraps.
pub(super) const UNIONS: &[(&str, RoundTrip, &str)] = &[
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
