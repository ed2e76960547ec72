//! Forward compatibility of the generated types: unknown fields, enum values and event tags from a newer API are kept, never a decode error.
//!
//! Every JSON value here starts as an example synthesized from the vendored
//! spec's property-level `example:`s (see `kernel_testkit::examples`) and is
//! then mutated the way a newer server would: an added field, an added enum
//! value, an added event type. A client built from today's spec must keep
//! working.
//!
//! Here: `round_trip` by component name and the `FUTURE` value the
//! submodules share.

mod enums;
mod events;
mod examples;
mod nullable;
mod unknown_fields;

use crate::components::COMPONENTS;
use serde_json::Value;

fn round_trip(name: &str, value: Value) -> Result<Value, String> {
    let (_, f) = COMPONENTS
        .iter()
        .find(|(n, _)| *n == name)
        .unwrap_or_else(|| panic!("{name} is not in COMPONENTS"));
    f(value)
}

/// A value no version of the spec lists.
const FUTURE: &str = "ZZ_FUTURE_VALUE";
