//! Reads the operation list (method, path, operationId) from the vendored
//! OpenAPI spec, so every spec operation is routed (implemented or 501).
//!
//! The spec is the one kernel-sys generated its types from, handed over as
//! `DEP_KERNEL_SYS_SPEC`: routes and types cannot disagree, and the published
//! package needs no copy of its own.

use std::fmt::Write as _;
use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-env-changed=DEP_KERNEL_SYS_SPEC");
    let spec_path = PathBuf::from(
        std::env::var("DEP_KERNEL_SYS_SPEC")
            .expect("DEP_KERNEL_SYS_SPEC is not set: kernel-sys's build script sets it"),
    );
    println!("cargo:rerun-if-changed={}", spec_path.display());
    println!("cargo:rerun-if-changed=build.rs");
    let text = std::fs::read_to_string(&spec_path)
        .unwrap_or_else(|e| panic!("kernel-mock: cannot read {}: {e}", spec_path.display()));
    let spec: serde_norway::Value = serde_norway::from_str(&text).unwrap_or_else(|e| {
        panic!(
            "kernel-mock: {} is not valid YAML: {e}",
            spec_path.display()
        )
    });
    let paths = spec
        .get("paths")
        .and_then(|p| p.as_mapping())
        .expect("kernel-mock: the spec has no `paths`");
    let mut out = String::from("&[\n");
    for (path, item) in paths {
        let Some(path) = path.as_str() else { continue };
        let Some(item) = item.as_mapping() else {
            continue;
        };
        for (method, op) in item {
            let Some(method) = method.as_str() else {
                continue;
            };
            if !matches!(
                method,
                "get" | "put" | "post" | "delete" | "patch" | "head" | "options" | "trace"
            ) {
                continue;
            }
            let id = op
                .get("operationId")
                .and_then(|v| v.as_str())
                .map(str::to_owned)
                .unwrap_or_else(|| format!("{} {}", method.to_uppercase(), path));
            let deprecated = op
                .get("deprecated")
                .and_then(|v| v.as_bool())
                .unwrap_or(false);
            writeln!(
                out,
                "    SpecOperation {{ id: {id:?}, method: {:?}, path: {path:?}, deprecated: {deprecated} }},",
                method.to_uppercase()
            )
            .expect("write to String");
        }
    }
    out.push_str("]\n");
    let dest = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR")).join("spec_operations.rs");
    std::fs::write(&dest, out).expect("kernel-mock: cannot write spec_operations.rs");
}
