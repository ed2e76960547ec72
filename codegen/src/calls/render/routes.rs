//! Where a decoded answer holds browsers, so `send()` can cache their
//! routes from the value it decoded (direct-to-VM routing) instead of the
//! transport reading the body a second time.
//!
//! A browser is a struct with the fields a route is made of: `session_id`,
//! `base_url` and `cdp_ws_url`. An answer holds browsers when its type is
//! one, or a `Vec`, `Option` or struct field of one, to a few levels.

use super::super::model::{generics, type_name, Sys, TypeInfo};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::Type;

/// The fields that make a struct a browser with a route.
const ROUTE_FIELDS: [&str; 3] = ["session_id", "base_url", "cdp_ws_url"];

/// How deep the search goes: answers hold browsers at most two levels in
/// (`{"browsers": [..]}`).
const MAX_DEPTH: usize = 4;

/// Statements that hand every browser in `value` (an expression of type
/// `&ty`) to the client's route cache; `None` when `ty` holds none.
pub(super) fn learn(ty: &Type, value: TokenStream, sys: &Sys) -> Option<TokenStream> {
    walk(ty, Value::Ref(value), sys, 0)
}

/// An expression the walk reads.
enum Value {
    /// Of type `&T`.
    Ref(TokenStream),
    /// A place of type `T` (a field).
    Place(TokenStream),
}

impl Value {
    fn place(&self) -> TokenStream {
        match self {
            Value::Ref(r) => quote!((#r)),
            Value::Place(p) => p.clone(),
        }
    }

    fn by_ref(&self) -> TokenStream {
        match self {
            Value::Ref(r) => r.clone(),
            Value::Place(p) => quote!(&#p),
        }
    }
}

fn walk(ty: &Type, value: Value, sys: &Sys, depth: usize) -> Option<TokenStream> {
    if depth > MAX_DEPTH {
        return None;
    }
    let name = type_name(ty);
    let item = format_ident!("item{depth}");
    match name.as_str() {
        "Vec" | "Option" => {
            let inner = generics(ty).into_iter().next()?;
            let body = walk(&inner, Value::Ref(quote!(#item)), sys, depth + 1)?;
            let place = value.place();
            Some(if name == "Vec" {
                quote!(for #item in #place.iter() { #body })
            } else {
                quote!(if let Some(#item) = #place.as_ref() { #body })
            })
        }
        _ => {
            let TypeInfo::Struct { fields } = sys.types.get(&name)? else {
                return None;
            };
            let has = |f: &str| fields.iter().any(|field| field.ident == f);
            if ROUTE_FIELDS.iter().all(|f| has(f)) {
                let browser = value.by_ref();
                return Some(quote!(self.kernel.learn_route(#browser);));
            }
            let parts: Vec<TokenStream> = fields
                .iter()
                .filter_map(|field| {
                    let ident = format_ident!("{}", field.ident);
                    let place = value.place();
                    walk(
                        &field.ty,
                        Value::Place(quote!(#place.#ident)),
                        sys,
                        depth + 1,
                    )
                })
                .collect();
            (!parts.is_empty()).then(|| quote!(#(#parts)*))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sys(source: &str) -> Sys {
        let mut sys = Sys::default();
        let file: syn::File = syn::parse_str(source).unwrap();
        sys.read_types(&file.items);
        sys
    }

    fn rendered(ty: &str, sys: &Sys) -> Option<String> {
        let ty: Type = syn::parse_str(ty).unwrap();
        learn(&ty, quote!(value), sys).map(|t| t.to_string())
    }

    #[test]
    fn browsers_are_found_alone_in_lists_options_and_fields() {
        let sys = sys("
            pub struct Browser { pub session_id: String, pub base_url: Option<String>, pub cdp_ws_url: String }
            pub struct Listing { pub browsers: Vec<Browser>, pub total: i64 }
            pub struct Profile { pub name: String }
        ");
        let one = rendered("types::Browser", &sys).unwrap();
        assert_eq!(one, "self . kernel . learn_route (value) ;");
        let list = rendered("::std::vec::Vec<types::Browser>", &sys).unwrap();
        assert!(list.starts_with("for item0 in (value) . iter ()"), "{list}");
        let nested = rendered("Option<types::Listing>", &sys).unwrap();
        assert!(nested.contains("(item0) . browsers . iter ()"), "{nested}");
        assert!(nested.contains("learn_route (item2)"), "{nested}");
        assert_eq!(rendered("types::Profile", &sys), None);
        assert_eq!(rendered("::std::vec::Vec<types::Profile>", &sys), None);
        assert_eq!(rendered("()", &sys), None);
    }

    #[test]
    fn a_struct_with_part_of_a_route_is_no_browser() {
        let sys = sys("pub struct Half { pub session_id: String, pub base_url: String }");
        assert_eq!(rendered("types::Half", &sys), None);
    }
}
