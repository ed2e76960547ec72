//! Where a decoded answer holds browsers, so `send()` can cache their
//! routes from the value it decoded (direct-to-VM routing) instead of the
//! transport reading the body a second time.
//!
//! A browser is a struct with the fields a route is made of: `session_id`,
//! `base_url` and `cdp_ws_url`. An answer holds browsers when its type is
//! one, or a `Vec`, `Option` or struct field of one, to a few levels. A
//! browser anywhere else (deeper, in a map, behind a `Box`) is a generation
//! error rather than a route silently never learned.

use super::super::model::{generics, type_name, FieldInfo, Sys, TypeInfo};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use std::collections::HashSet;
use syn::Type;

/// The fields that make a struct a browser with a route.
const ROUTE_FIELDS: [&str; 3] = ["session_id", "base_url", "cdp_ws_url"];

/// How deep the search goes: answers hold browsers at most two levels in
/// (`{"browsers": [..]}`).
const MAX_DEPTH: usize = 4;

/// Statements that hand every browser in `value` (an expression of type
/// `&ty`) to the client's route cache; `None` when `ty` holds none. An
/// error when `ty` holds a browser the walk does not reach.
pub(super) fn learn(
    ty: &Type,
    value: TokenStream,
    sys: &Sys,
) -> Result<Option<TokenStream>, String> {
    walk(ty, Value::Ref(value), sys, 0).map_err(|at| {
        let ty = quote!(#ty).to_string();
        format!("`{ty}` holds a browser where route learning does not look (at `{at}`); extend `routes::walk`")
    })
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

fn walk(ty: &Type, value: Value, sys: &Sys, depth: usize) -> Result<Option<TokenStream>, String> {
    // The error names the type the walk stopped at.
    let unreachable = || quote!(#ty).to_string();
    if depth > MAX_DEPTH {
        return if holds_browser(ty, sys, &mut HashSet::new()) {
            Err(unreachable())
        } else {
            Ok(None)
        };
    }
    let name = type_name(ty);
    let item = format_ident!("item{depth}");
    match (name.as_str(), sys.types.get(&name)) {
        ("Vec" | "Option", _) => {
            let Some(inner) = generics(ty).into_iter().next() else {
                return Ok(None);
            };
            let Some(body) = walk(&inner, Value::Ref(quote!(#item)), sys, depth + 1)? else {
                return Ok(None);
            };
            let place = value.place();
            Ok(Some(if name == "Vec" {
                quote!(for #item in #place.iter() { #body })
            } else {
                quote!(if let Some(#item) = #place.as_ref() { #body })
            }))
        }
        (_, Some(TypeInfo::Struct { fields })) => {
            if is_browser(fields) {
                let browser = value.by_ref();
                return Ok(Some(quote!(self.kernel.learn_route(#browser);)));
            }
            let mut parts = Vec::new();
            for field in fields {
                let ident = format_ident!("{}", field.ident);
                let place = value.place();
                let place = Value::Place(quote!(#place.#ident));
                parts.extend(walk(&field.ty, place, sys, depth + 1)?);
            }
            Ok((!parts.is_empty()).then(|| quote!(#(#parts)*)))
        }
        // Anything else (a map, a `Box`, an enum, a scalar) is not walked:
        // it must hold no browser.
        _ if holds_browser(ty, sys, &mut HashSet::new()) => Err(unreachable()),
        _ => Ok(None),
    }
}

/// Whether a struct with `fields` is a browser with a route.
fn is_browser(fields: &[FieldInfo]) -> bool {
    ROUTE_FIELDS
        .iter()
        .all(|name| fields.iter().any(|field| field.ident == *name))
}

/// Whether a browser is anywhere inside `ty`, at any depth, through any
/// type argument or field. `seen` stops recursive types.
fn holds_browser(ty: &Type, sys: &Sys, seen: &mut HashSet<String>) -> bool {
    let name = type_name(ty);
    if generics(ty).iter().any(|t| holds_browser(t, sys, seen)) {
        return true;
    }
    let Some(info) = sys.types.get(&name) else {
        return false;
    };
    if !seen.insert(name) {
        return false;
    }
    match info {
        TypeInfo::Struct { fields } => {
            is_browser(fields) || fields.iter().any(|f| holds_browser(&f.ty, sys, seen))
        }
        TypeInfo::Other { parts } => parts.iter().any(|part| holds_browser(part, sys, seen)),
        TypeInfo::StringNewtype => false,
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
        learn(&ty, quote!(value), sys)
            .unwrap()
            .map(|t| t.to_string())
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

    #[test]
    fn a_browser_the_walk_cannot_reach_fails_generation() {
        let sys = sys("
            pub struct Browser { pub session_id: String, pub base_url: Option<String>, pub cdp_ws_url: String }
            pub struct ByName { pub browsers: ::std::collections::HashMap<String, Browser> }
            pub struct L1 { pub a: L2 } pub struct L2 { pub b: L3 } pub struct L3 { pub c: L4 }
            pub struct L4 { pub d: L5 } pub struct L5 { pub e: Browser }
            pub struct Tree { pub name: String, pub children: Vec<Tree> }
            pub enum Either { One(Browser), Other { name: String } }
            pub struct Wrapped(pub Vec<Browser>);
            pub enum Plain { A, B(String) }
        ");
        let fails = |ty: &str| {
            let ty: Type = syn::parse_str(ty).unwrap();
            learn(&ty, quote!(value), &sys).unwrap_err()
        };
        assert!(
            fails("types::ByName").contains("HashMap"),
            "{}",
            fails("types::ByName")
        );
        assert!(fails("Box<types::Browser>").contains("Box"));
        let deep = fails("types::L1");
        assert!(deep.starts_with("`types :: L1` holds a browser"), "{deep}");
        assert!(fails("types::Either").contains("Either"));
        assert!(fails("Vec<types::Wrapped>").contains("Wrapped"));
        assert_eq!(rendered("Option<types::Plain>", &sys), None);
        // A recursive type without browsers ends, and learns nothing.
        assert_eq!(rendered("types::Tree", &sys), None);
    }
}
