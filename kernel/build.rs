//! Renders the call layer (`kernel.<area>().<op>()` builders) from the spec
//! and the client `kernel-sys` generated from it; see
//! `kernel-codegen`'s `calls` module. Outputs, in `OUT_DIR`:
//! - `calls/<area>.rs`: one per top-level area module;
//! - `calls/kernel.rs`: the `impl Kernel` block of area accessors.

use std::path::PathBuf;

fn main() {
    let var = |name: &str| {
        println!("cargo:rerun-if-env-changed={name}");
        std::env::var(name)
            .unwrap_or_else(|_| panic!("{name} is not set: kernel-sys's build script sets it"))
    };
    let sys_out = PathBuf::from(var("DEP_KERNEL_SYS_OUT_DIR"));
    let spec_path = PathBuf::from(var("DEP_KERNEL_SYS_SPEC"));
    let sys_path = sys_out.join("progenitor.rs");
    println!("cargo:rerun-if-changed={}", sys_path.display());
    println!("cargo:rerun-if-changed={}", spec_path.display());
    println!("cargo:rerun-if-changed=build.rs");

    let spec = codegen::load(&spec_path).unwrap_or_else(|e| panic!("{e}"));
    let text = std::fs::read_to_string(&sys_path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", sys_path.display()));
    let sys: syn::File =
        syn::parse_file(&text).unwrap_or_else(|e| panic!("kernel-sys output: {e}"));
    let layer = codegen::calls::generate(&spec, &sys).unwrap_or_else(|e| panic!("call layer: {e}"));

    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("calls");
    std::fs::create_dir_all(&out).unwrap();
    for (area, source) in &layer.areas {
        std::fs::write(out.join(format!("{area}.rs")), source).unwrap();
    }
    std::fs::write(out.join("kernel.rs"), &layer.kernel).unwrap();
}
