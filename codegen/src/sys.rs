//! The raw client: progenitor run over the normalized spec with the
//! project's settings. `kernel-sys/build.rs` writes its output; the call
//! layer ([`crate::calls`]) reads it.

mod build_request;

use crate::{Report, JWT_URL, SECRET_MAP, SECRET_STRING};
use heck::ToUpperCamelCase;
use progenitor::{GenerationSettings, Generator, InterfaceStyle, TagStyle, TypeImpl, TypePatch};
use quote::quote;
use serde_json::Value;

/// The client progenitor generates from `doc` (the normalized view) and
/// its `report`, as a syntax tree.
pub fn generate(doc: Value, report: &Report) -> Result<syn::File, String> {
    let api: openapiv3::OpenAPI = serde_json::from_value(doc)
        .map_err(|e| format!("normalized spec is not OpenAPI 3.0: {e}"))?;
    let mut settings = GenerationSettings::default();
    settings
        .with_interface(InterfaceStyle::Builder)
        .with_tag(TagStyle::Merged)
        .with_inner_type(quote!(crate::Hooks))
        .with_derive("PartialEq");
    // typify looks replacements up by the Pascal-cased schema name
    // (`MFAType` → `MfaType`); the open types are named the same way.
    for e in &report.open_enums {
        let name = e.name.to_upper_camel_case();
        let impls = [TypeImpl::Display, TypeImpl::FromStr];
        settings.with_replacement(&name, format!("crate::open::{name}"), impls.into_iter());
    }
    // The closed `<Name>Known` enum behind each open union is what users
    // match on: `#[non_exhaustive]`, so a variant the spec adds (additive in
    // `cargo xtask drift`) breaks no `match`.
    let mut non_exhaustive = TypePatch::default();
    non_exhaustive.with_attr("#[non_exhaustive]");
    for u in &report.open_unions {
        let name = u.name.to_upper_camel_case();
        settings.with_replacement(&name, format!("crate::open::{name}"), std::iter::empty());
        settings.with_patch(u.known.to_upper_camel_case(), &non_exhaustive);
    }
    // No `TypeImpl::Display` for these even where they have one: it is the
    // redacted form, never what goes over the wire.
    for name in [SECRET_STRING, SECRET_MAP, JWT_URL] {
        settings.with_replacement(name, format!("crate::secret::{name}"), std::iter::empty());
    }
    let mut generator = Generator::new(&settings);
    let tokens = generator
        .generate_tokens(&api)
        .map_err(|e| format!("progenitor: {e}"))?;
    let mut file: syn::File =
        syn::parse2(tokens).map_err(|e| format!("progenitor output does not parse: {e}"))?;
    build_request::split(&mut file)?;
    Ok(file)
}

#[cfg(test)]
mod tests {
    use heck::ToUpperCamelCase;

    /// On the vendored spec: the `Known` enum of every open union is
    /// `#[non_exhaustive]`, and no other enum is made so.
    #[test]
    fn the_known_enums_of_open_unions_are_non_exhaustive() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .join(crate::SPEC_PATH);
        let (doc, report) = crate::normalize(&crate::load(&path).unwrap());
        let file = super::generate(doc, &report).unwrap();
        let known: Vec<String> = report
            .open_unions
            .iter()
            .map(|u| u.known.to_upper_camel_case())
            .collect();
        assert!(known.len() >= 4, "the spec's open unions: {known:?}");
        let types = file
            .items
            .iter()
            .find_map(|item| match item {
                syn::Item::Mod(m) if m.ident == "types" => m.content.as_ref(),
                _ => None,
            })
            .expect("mod types");
        let mut marked = Vec::new();
        for item in &types.1 {
            if let syn::Item::Enum(e) = item {
                if e.attrs.iter().any(|a| a.path().is_ident("non_exhaustive")) {
                    marked.push(e.ident.to_string());
                }
            }
        }
        marked.sort();
        let mut expected = known.clone();
        expected.sort();
        assert_eq!(marked, expected);
    }
}
