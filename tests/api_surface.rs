//! The API surface of the vendored spec, snapshotted.
//!
//! One sorted line per operation, parameter, request and response body,
//! schema, field, union variant and SSE event type (see `xtask::surface`), so
//! any spec change shows up here as a reviewable diff. After a spec bump,
//! review it with `cargo insta review`; `cargo xtask check` fails while the
//! snapshot is stale.

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

fn spec() -> xtask::serde_json::Value {
    let path = xtask::workspace_root().join(xtask::SPEC_PATH);
    xtask::load_spec(&path).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn api_surface() {
    insta::assert_snapshot!("api_surface", xtask::surface::render(&spec()));
}

#[test]
fn every_operation_has_a_header_line() {
    let spec = spec();
    let paths = spec["paths"].as_object().expect("paths");
    let operations: usize = paths
        .values()
        .map(|item| METHODS.iter().filter(|m| item.get(**m).is_some()).count())
        .sum();
    let headers = xtask::surface::lines(&spec)
        .iter()
        .filter(|line| {
            let location = line.split(": ").next().unwrap_or_default();
            location.starts_with("operation ") && location.split(' ').count() == 2
        })
        .count();
    assert_eq!(headers, operations);
}

/// The `kernel` call layer the spec renders to: one line per area accessor,
/// operation accessor, setter (with its argument type) and `send()` type,
/// so a spec bump shows the Rust API change in review too.
#[test]
fn call_surface() {
    let spec = spec();
    let (doc, report) = kernel_codegen::normalize(&spec);
    let sys = kernel_codegen::sys::generate(doc, &report).unwrap_or_else(|e| panic!("{e}"));
    let layer = kernel_codegen::calls::generate(&spec, &sys).unwrap_or_else(|e| panic!("{e}"));
    insta::assert_snapshot!("call_surface", layer.surface.join("\n"));
}
