//! SSE events: event types removed, renamed through `const`, and added.

use crate::{assert_drift, drift, schema};
use serde_json::json;

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
