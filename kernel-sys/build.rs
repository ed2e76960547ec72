//! Generates the Kernel client from the vendored spec.
//!
//! The spec goes through `kernel-codegen`'s transforms (see its docs for the
//! list and the reasons), then progenitor + typify generate the client. Types
//! typify would close (string enums, tagged unions) are replaced by open types
//! declared with the `open_enum!` / `open_union!` macros of `src/open.rs`.
//! Outputs, all in `OUT_DIR`:
//! - `progenitor.rs`: the generated client, builders and types (settings in
//!   `kernel-codegen`'s `sys` module);
//! - `open.rs`: one macro call per open enum and open union;
//! - `operations.rs`: the table of every operation in the spec, and
//!   `operation_consts.rs`: one `ops::` constant per operation.

use heck::{ToSnakeCase, ToUpperCamelCase};
use quote::{format_ident, quote};
use std::path::PathBuf;

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    // The crate's own copy, so the published package builds on its own;
    // `cargo xtask check` keeps it identical to the workspace's
    // vendored spec at the same path.
    let spec_path = manifest.join(codegen::SPEC_PATH);
    // The transforms live in the `kernel-codegen` build-dependency: cargo
    // reruns this script when it changes, so only the spec is listed here.
    println!("cargo:rerun-if-changed={}", spec_path.display());
    println!("cargo:rerun-if-changed=build.rs");

    let raw = codegen::load(&spec_path).unwrap_or_else(|e| panic!("{e}"));
    let (doc, report) = codegen::normalize(&raw);
    let file = codegen::sys::generate(doc, &report).unwrap_or_else(|e| panic!("{e}"));
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap());
    std::fs::write(out.join("progenitor.rs"), prettyplease::unparse(&file)).unwrap();
    // `kernel`'s build script renders its call layer from this output and
    // the spec (`DEP_KERNEL_SYS_OUT_DIR`, `DEP_KERNEL_SYS_SPEC`).
    println!("cargo::metadata=out_dir={}", out.display());
    println!("cargo::metadata=spec={}", spec_path.display());

    // Open enums and unions.
    let mut open = Vec::new();
    for e in &report.open_enums {
        let name = format_ident!("{}", e.name.to_upper_camel_case());
        let doc = e
            .description
            .clone()
            .unwrap_or_else(|| format!("`{}` values.", e.name));
        let mut used = Vec::<String>::new();
        let variants = e.values.iter().map(|v| {
            let mut ident = variant_name(v);
            while used.contains(&ident) || ident == "Unknown" {
                ident.push('_');
            }
            used.push(ident.clone());
            let ident = format_ident!("{ident}");
            let vdoc = format!("`{v}`");
            quote!(#[doc = #vdoc] #ident = #v)
        });
        open.push(quote!(
            open_enum! { #[doc = #doc] #name { #(#variants,)* } }
        ));
    }
    for u in &report.open_unions {
        let name = format_ident!("{}", u.name.to_upper_camel_case());
        let known = format_ident!("{}", u.known.to_upper_camel_case());
        let tag = &u.tag;
        let tags = &u.tags;
        let variants = variant_idents(&u.variants);
        let doc = format!(
            "`{}`: a documented event (`Known`) or, for a `{tag}` this version does not know, the raw JSON (`Unknown`).",
            u.name
        );
        open.push(quote!(
            open_union! { #[doc = #doc] #name(#known), tag = #tag, variants = [#(#variants => #tags),*] }
        ));
    }
    let file: syn::File = syn::parse2(quote!(#(#open)*)).expect("open types parse");
    std::fs::write(out.join("open.rs"), prettyplease::unparse(&file)).unwrap();

    // The operation table, from the raw (3.1) spec: hand-written operations
    // are in it too.
    let hand: Vec<&str> = report.hand_written.iter().map(|h| h.id.as_str()).collect();
    let mut names: Vec<(String, usize)> = Vec::new();
    let mut consts = Vec::new();
    let rows: Vec<_> = codegen::operations(&raw).into_iter().enumerate().map(|(index, op)| {
        let codegen::Operation { id, method, path, tag, deprecated } = op;
        let method = method.to_uppercase();
        let generated = !hand.contains(&id.as_str());
        let item = &raw["paths"][&path][method.to_lowercase()];
        // The media types of the 2xx responses decide how the body is read.
        let media: Vec<&String> = item["responses"]
            .as_object()
            .into_iter()
            .flatten()
            .filter(|(status, _)| status.starts_with('2'))
            .filter_map(|(_, r)| r.get("content").and_then(|c| c.as_object()))
            .flat_map(|c| c.keys())
            .collect();
        let streaming = media.iter().any(|m| *m == "text/event-stream");
        // Progenitor names methods (and `OperationInfo::operation_id`) in
        // snake case.
        let method_name = id.to_snake_case();
        let name = format_ident!("{}", codegen::const_name(&id));
        let doc = format!("`{method} {path}` (`{id}`).");
        consts.push(quote!(#[doc = #doc] pub const #name: &Operation = &OPERATIONS[#index];));
        names.push((id.clone(), index));
        names.push((method_name.clone(), index));
        let binary = media.iter().any(|m| *m != "text/event-stream" && *m != "application/json");
        let idempotent = codegen::idempotency::idempotent(&id, &method);
        quote! {
            Operation {
                id: #id, method_name: #method_name, method: #method, path: #path, tag: #tag,
                deprecated: #deprecated, generated: #generated, streaming: #streaming, binary: #binary,
                idempotent: #idempotent,
            }
        }
    }).collect();
    let table = quote!(&[#(#rows),*]);
    std::fs::write(out.join("operations.rs"), table.to_string()).unwrap();
    std::fs::write(
        out.join("operation_consts.rs"),
        quote!(#(#consts)*).to_string(),
    )
    .unwrap();
    let methods = codegen::idempotency::IDEMPOTENT_METHODS;
    std::fs::write(
        out.join("idempotent_methods.rs"),
        quote!(&[#(#methods),*]).to_string(),
    )
    .unwrap();
    // Every name an operation is looked up by, sorted: the hooks look one
    // up per request, so a binary search rather than a scan of the table.
    names.sort();
    names.dedup();
    for pair in names.windows(2) {
        assert!(
            pair[0].0 != pair[1].0,
            "two operations are both named `{}`: lookups by name would be ambiguous",
            pair[0].0
        );
    }
    let names = names.iter().map(|(name, index)| quote!((#name, #index)));
    let index = quote!(&[#(#names),*]);
    std::fs::write(out.join("operation_names.rs"), index.to_string()).unwrap();
}

/// The variant names typify gives an untagged union of components: each
/// component's Pascal-case name without the leading words all of them share
/// (`BrowserConsoleLogEvent`, `BrowserPageLoadEvent` → `ConsoleLogEvent`,
/// `PageLoadEvent`). A wrong guess does not compile.
fn variant_idents(components: &[String]) -> Vec<proc_macro2::Ident> {
    let words: Vec<Vec<String>> = components
        .iter()
        .map(|c| {
            let pascal = c.to_upper_camel_case();
            let mut words: Vec<String> = Vec::new();
            for ch in pascal.chars() {
                match words.last_mut() {
                    Some(word) if !ch.is_ascii_uppercase() => word.push(ch),
                    _ => words.push(ch.to_string()),
                }
            }
            words
        })
        .collect();
    let shortest = words.iter().map(Vec::len).min().unwrap_or(0);
    let common = (0..shortest.saturating_sub(1))
        .take_while(|&i| words.iter().all(|w| w[i] == words[0][i]))
        .count();
    let common = if components.len() > 1 { common } else { 0 };
    words
        .iter()
        .map(|w| format_ident!("{}", w[common..].concat()))
        .collect()
}

/// `AWAITING_INPUT` → `AwaitingInput`, `aws.us-east-1a` → `AwsUsEast1a`,
/// `3g` → `V3g`.
fn variant_name(value: &str) -> String {
    let mut out: String = value
        .to_upper_camel_case()
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, 'V');
    }
    out
}
