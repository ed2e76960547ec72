//! How a setter takes its value: the argument type for each Rust type the
//! generated client uses, and the conversion into the field's type.

use super::super::model::{generics, segments, type_name, Sys, TypeInfo};
use proc_macro2::TokenStream;
use quote::{format_ident, quote, ToTokens};
use syn::Type;

/// How a setter takes its value and turns it into the field's type.
pub(super) enum Kind {
    Str,
    /// A newtype over `String` with constraints: `TryFrom<String>`.
    Constrained(TokenStream),
    Prim(TokenStream),
    /// `NonZeroU64` and friends: taken as the plain integer, checked.
    NonZero(TokenStream, TokenStream),
    Uuid,
    /// A request type, union or anything with a builder: `TryInto<T>`.
    Named(TokenStream),
    /// Open enums, secrets, JSON values, dates: `Into<T>`.
    Into(TokenStream),
    List(Box<Kind>),
    Map(Box<Kind>, TokenStream),
}

const PRIMITIVES: &[&str] = &[
    "bool", "i8", "i16", "i32", "i64", "u8", "u16", "u32", "u64", "f32", "f64", "usize", "isize",
];

/// `ty` as a path that resolves inside `kernel`.
pub(super) fn kernel_ty(ty: &Type) -> TokenStream {
    let segs = segments(ty);
    let args: Vec<TokenStream> = generics(ty).iter().map(kernel_ty).collect();
    let args = if args.is_empty() {
        quote!()
    } else {
        quote!(<#(#args),*>)
    };
    let Type::Path(p) = ty else {
        return ty.to_token_stream();
    };
    let last = format_ident!("{}", segs.last().cloned().unwrap_or_default());
    let absolute = p.path.leading_colon.is_some();
    match segs
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        _ if absolute => {
            let idents = segs.iter().map(|s| format_ident!("{s}"));
            quote!(#(::#idents)* #args)
        }
        ["crate", "secret", _] => quote!(crate::sys::secret::#last #args),
        ["reqwest", "Body"] => quote!(::reqwest::Body),
        [one] if PRIMITIVES.contains(one) => quote!(#last),
        ["Option" | "Vec"] => quote!(#last #args),
        _ => quote!(crate::types::#last #args),
    }
}

pub(super) fn kind(ty: &Type, sys: &Sys) -> Kind {
    let name = type_name(ty);
    let segs = segments(ty);
    let k = kernel_ty(ty);
    match name.as_str() {
        "String" => Kind::Str,
        "Uuid" => Kind::Uuid,
        "Vec" => Kind::List(Box::new(kind(&generics(ty)[0], sys))),
        "HashMap" | "Map" => Kind::Map(Box::new(kind(&generics(ty)[1], sys)), k),
        "SecretMap" => Kind::Map(Box::new(Kind::Str), k),
        n if PRIMITIVES.contains(&n) => Kind::Prim(k),
        n if n.starts_with("NonZero") => {
            let prim = format_ident!("{}", n.trim_start_matches("NonZero").to_lowercase());
            Kind::NonZero(quote!(#prim), k)
        }
        _ if segs.first().is_some_and(|s| s == "crate") || ty_is_absolute(ty) => Kind::Into(k),
        n => match sys.types.get(n) {
            Some(TypeInfo::StringNewtype) => Kind::Constrained(k),
            Some(_) => Kind::Named(k),
            None => Kind::Into(k),
        },
    }
}

fn ty_is_absolute(ty: &Type) -> bool {
    matches!(ty, Type::Path(p) if p.path.leading_colon.is_some())
}

/// How a setter is written: its generics and where-clause, its argument
/// type, and the conversion of `value` into the field's type: `Ok(expr)`
/// when it cannot fail, `Err(expr)` for an expression yielding
/// `Result<_, impl Display>`.
pub(super) struct Conv {
    pub generics: TokenStream,
    pub bounds: TokenStream,
    pub arg: TokenStream,
    pub conv: Result<TokenStream, TokenStream>,
}

pub(super) fn plain(arg: TokenStream, conv: Result<TokenStream, TokenStream>) -> Conv {
    Conv {
        generics: quote!(),
        bounds: quote!(),
        arg,
        conv,
    }
}

pub(super) fn convert(kind: &Kind) -> Conv {
    match kind {
        Kind::Str => plain(quote!(impl Into<String>), Ok(quote!(value.into()))),
        Kind::Constrained(t) => plain(
            quote!(impl Into<String>),
            Err(quote!(#t::try_from(value.into()))),
        ),
        Kind::Prim(t) => plain(quote!(#t), Ok(quote!(value))),
        Kind::NonZero(p, t) => plain(quote!(#p), Err(quote!(#t::try_from(value)))),
        Kind::Uuid => plain(
            quote!(impl crate::call::IntoId),
            Err(quote!(::uuid::Uuid::try_from(value.into_id()))),
        ),
        Kind::Named(t) => Conv {
            generics: quote!(<V>),
            bounds: quote!(where V: TryInto<#t>, V::Error: ::std::fmt::Display),
            arg: quote!(V),
            conv: Err(quote!(::std::convert::TryInto::<#t>::try_into(value))),
        },
        Kind::Into(t) => plain(quote!(impl Into<#t>), Ok(quote!(value.into()))),
        Kind::List(item) => {
            let (bound, item_conv) = item_bound(item);
            let conv = match item_conv {
                Ok(c) => Ok(quote!(value.into_iter().map(|value: V| #c).collect::<Vec<_>>())),
                Err(c) => Err(quote!(value
                    .into_iter()
                    .map(|value: V| #c.map_err(|e| e.to_string()))
                    .collect::<Result<Vec<_>, String>>())),
            };
            Conv {
                generics: quote!(<I, V>),
                bounds: quote!(where I: IntoIterator<Item = V>, #bound),
                arg: quote!(I),
                conv,
            }
        }
        Kind::Map(v, map) => {
            let (bound, item_conv) = item_bound(v);
            let conv = match item_conv {
                Ok(c) => Ok(
                    quote!(value.into_iter().map(|(key, value): (K, V)| (key.into(), #c)).collect::<#map>()),
                ),
                Err(c) => Err(quote!(value
                    .into_iter()
                    .map(|(key, value): (K, V)| Ok::<_, String>((key.into(), #c.map_err(|e| e.to_string())?)))
                    .collect::<Result<#map, String>>())),
            };
            Conv {
                generics: quote!(<I, K, V>),
                bounds: quote!(where I: IntoIterator<Item = (K, V)>, K: Into<String>, #bound),
                arg: quote!(I),
                conv,
            }
        }
    }
}

/// The bound on `V` for one item of a list or map, and its conversion.
fn item_bound(kind: &Kind) -> (TokenStream, Result<TokenStream, TokenStream>) {
    match kind {
        Kind::Str => (quote!(V: Into<String>), Ok(quote!(value.into()))),
        Kind::Constrained(t) => (
            quote!(V: Into<String>),
            Err(quote!(#t::try_from(value.into()))),
        ),
        Kind::Prim(t) => (quote!(V: Into<#t>), Ok(quote!(value.into()))),
        Kind::NonZero(p, t) => (quote!(V: Into<#p>), Err(quote!(#t::try_from(value.into())))),
        Kind::Uuid => (
            quote!(V: crate::call::IntoId),
            Err(quote!(::uuid::Uuid::try_from(value.into_id()))),
        ),
        Kind::Named(t) => (
            quote!(V: TryInto<#t>, V::Error: ::std::fmt::Display),
            Err(quote!(::std::convert::TryInto::<#t>::try_into(value))),
        ),
        Kind::Into(t) => (quote!(V: Into<#t>), Ok(quote!(value.into()))),
        // Nested collections are taken whole.
        Kind::List(_) | Kind::Map(..) => (quote!(V: Into<V>), Ok(quote!(value))),
    }
}
