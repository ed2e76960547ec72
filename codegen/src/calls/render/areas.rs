//! The area modules: each area's accessor struct, its builders and its
//! sub-areas nested inside, and the `impl Kernel` accessors.

use super::super::model::Sys;
use super::super::{parent, Area, Layer, Op, AREAS};
use super::{accessor_struct, area_params, doc, ident, op};
use proc_macro2::TokenStream;
use quote::quote;
use std::collections::BTreeMap;

pub(in crate::calls) fn layer(ops: &[Op], sys: &Sys) -> Result<Layer, String> {
    let mut layer = Layer::default();
    // area path → (accessor methods, builder items)
    let mut per_area: BTreeMap<&str, (Vec<TokenStream>, Vec<TokenStream>)> = BTreeMap::new();
    for o in ops {
        let r = op(o, sys)?;
        layer.builders.insert(o.id.clone(), r.builder.to_string());
        layer.surface.extend(r.surface);
        let entry = per_area.entry(o.area.path).or_default();
        entry.0.push(r.accessor);
        entry.1.push(r.builder);
    }
    let deprecated_area = |area: &Area| {
        let ops: Vec<_> = ops
            .iter()
            .filter(|o| {
                o.area.path == area.path || o.area.path.starts_with(&format!("{}.", area.path))
            })
            .collect();
        !ops.is_empty() && ops.iter().all(|o| o.deprecated)
    };
    // Render areas children-first, nesting each child in its parent.
    let mut rendered: BTreeMap<&str, TokenStream> = BTreeMap::new();
    let mut areas: Vec<&Area> = AREAS.iter().collect();
    areas.sort_by_key(|a| std::cmp::Reverse(a.path.matches('.').count()));
    for area in areas {
        let (accessors, builders) = per_area.remove(area.path).unwrap_or_default();
        let name = accessor_struct(area);
        let params: Vec<_> = area_params(area).iter().map(|p| ident(p)).collect();
        let children: Vec<&Area> = AREAS
            .iter()
            .filter(|c| parent(c).is_some_and(|p| p.path == area.path))
            .collect();
        let mut child_items = Vec::new();
        let mut child_accessors = Vec::new();
        for child in children {
            let child_mod = ident(child.path.rsplit('.').next().unwrap_or_default());
            let child_struct = accessor_struct(child);
            let new_params: Vec<_> = area_params(child)
                .into_iter()
                .filter(|p| !area_params(area).contains(p))
                .map(|p| ident(&p))
                .collect();
            let child_doc = doc(child.doc);
            let deprecated = if deprecated_area(child) {
                quote!(#[deprecated(note = "deprecated in the Kernel API")])
            } else {
                quote!()
            };
            child_accessors.push(quote! {
                #child_doc
                #deprecated
                pub fn #child_mod(&self, #(#new_params: impl crate::call::IntoId),*) -> #child_mod::#child_struct<'a> {
                    #child_mod::#child_struct::new(self.kernel, #(self.#params.clone(),)* #(#new_params.into_id()),*)
                }
            });
            let body = rendered.remove(child.path).unwrap_or_default();
            let mod_doc = doc(child.doc);
            child_items.push(quote! {
                #mod_doc
                pub mod #child_mod { #body }
            });
            layer.surface.push(format!(
                "{}.{}({})",
                area.path,
                child.path.rsplit('.').next().unwrap_or_default(),
                new_params
                    .iter()
                    .map(|p| p.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        let struct_doc = doc(&format!(
            "{}\n\nFrom `kernel.{}`.",
            area.doc,
            accessor_chain(area)
        ));
        let fields = params.iter().map(|p| quote!(#p: String));
        let new_params = params.iter().map(|p| quote!(#p: String));
        let body = quote! {
            #struct_doc
            #[derive(Clone, Debug)]
            pub struct #name<'a> {
                kernel: &'a crate::Kernel,
                #(#fields,)*
            }

            impl<'a> #name<'a> {
                pub(crate) fn new(kernel: &'a crate::Kernel, #(#new_params),*) -> Self {
                    Self { kernel, #(#params),* }
                }

                /// The client.
                #[allow(dead_code)]
                pub(crate) fn kernel(&self) -> &'a crate::Kernel {
                    self.kernel
                }
                #(#accessors)*
                #(#child_accessors)*
            }

            #(#builders)*
            #(#child_items)*
        };
        rendered.insert(area.path, body);
    }
    let mut kernel_accessors = Vec::new();
    for area in AREAS.iter().filter(|a| !a.path.contains('.')) {
        let body = rendered.remove(area.path).unwrap_or_default();
        let file: syn::File = syn::parse2(body).map_err(|e| format!("area {}: {e}", area.path))?;
        layer
            .areas
            .insert(area.path.to_string(), prettyplease::unparse(&file));
        let m = ident(area.path);
        let s = accessor_struct(area);
        let d = doc(area.doc);
        let deprecated = if deprecated_area(area) {
            quote!(#[deprecated(note = "deprecated in the Kernel API")])
        } else {
            quote!()
        };
        kernel_accessors.push(quote! {
            #d
            #deprecated
            pub fn #m(&self) -> crate::#m::#s<'_> {
                crate::#m::#s::new(self)
            }
        });
        layer.surface.push(format!("kernel.{}()", area.path));
    }
    let file: syn::File = syn::parse2(quote!(impl crate::Kernel { #(#kernel_accessors)* }))
        .map_err(|e| format!("kernel accessors: {e}"))?;
    layer.kernel = prettyplease::unparse(&file);
    layer.surface.sort();
    Ok(layer)
}

/// `browsers().fs(id)` for the docs.
fn accessor_chain(area: &Area) -> String {
    let mut chain = Vec::new();
    let mut current = Some(area);
    while let Some(a) = current {
        let last = a.path.rsplit('.').next().unwrap_or_default();
        let params = match parent(a) {
            Some(p) => area_params(a)
                .into_iter()
                .filter(|x| !area_params(p).contains(x))
                .collect::<Vec<_>>(),
            None => area_params(a),
        };
        chain.push(format!("{last}({})", params.join(", ")));
        current = parent(a);
    }
    chain.reverse();
    chain.join(".")
}
