//! Renders the call layer's source from the operation models.

use super::model::{generics, segments, type_name, Sys, TypeInfo};
use super::{parent, Area, Body, Layer, Op, Response, AREAS};
use heck::ToUpperCamelCase;
use proc_macro2::TokenStream;
use quote::{format_ident, quote, ToTokens};
use std::collections::BTreeMap;
use syn::Type;

/// How a setter takes its value and turns it into the field's type.
enum Kind {
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
fn kernel_ty(ty: &Type) -> TokenStream {
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

fn kind(ty: &Type, sys: &Sys) -> Kind {
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
struct Conv {
    generics: TokenStream,
    bounds: TokenStream,
    arg: TokenStream,
    conv: Result<TokenStream, TokenStream>,
}

fn plain(arg: TokenStream, conv: Result<TokenStream, TokenStream>) -> Conv {
    Conv {
        generics: quote!(),
        bounds: quote!(),
        arg,
        conv,
    }
}

fn convert(kind: &Kind) -> Conv {
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

/// Doc lines from spec text: code-looking indentation is dropped so prose
/// never becomes a doctest.
fn doc_lines(text: &str) -> Vec<String> {
    text.lines().map(|l| format!(" {}", l.trim())).collect()
}

fn doc(text: &str) -> TokenStream {
    let lines = doc_lines(text);
    quote!(#(#[doc = #lines])*)
}

fn pascal(name: &str) -> proc_macro2::Ident {
    format_ident!("{}", name.to_upper_camel_case())
}

fn ident(name: &str) -> proc_macro2::Ident {
    if syn::parse_str::<syn::Ident>(name).is_ok() {
        format_ident!("{name}")
    } else {
        format_ident!("r#{name}")
    }
}

/// The module path of an area inside `kernel`: `browsers::fs`.
fn module_path(area: &Area) -> String {
    area.path.replace('.', "::")
}

fn accessor_struct(area: &Area) -> proc_macro2::Ident {
    pascal(area.path.rsplit('.').next().unwrap_or(area.path))
}

fn area_params(area: &Area) -> Vec<String> {
    super::path_params(area.prefix)
}

struct Rendered {
    builder: TokenStream,
    /// The accessor method on the area struct.
    accessor: TokenStream,
    surface: Vec<String>,
}

fn what(response: &Response) -> TokenStream {
    match response {
        Response::Json(t) => kernel_ty(t),
        Response::Optional(t) => {
            let t = kernel_ty(t);
            quote!(Option<#t>)
        }
        Response::Empty => quote!(()),
        Response::Download => quote!(crate::Download),
        Response::Readiness => quote!(crate::Readiness<crate::Download>),
        Response::Stream { item, .. } => {
            let item: TokenStream = item.parse().unwrap_or_default();
            quote!(crate::sse::EventStream<#item>)
        }
    }
}

fn op(op: &Op, sys: &Sys) -> Result<Rendered, String> {
    let module = module_path(op.area);
    let area_struct = accessor_struct(op.area);
    let method = ident(&op.name);
    let held: Vec<_> = op.area_args.iter().map(|p| ident(&p.field)).collect();
    let args: Vec<_> = op.args.iter().map(|p| ident(&p.field)).collect();
    let mut op_doc = String::new();
    if !op.summary.is_empty() {
        op_doc.push_str(&op.summary);
        op_doc.push_str("\n\n");
    }
    if !op.description.is_empty() && op.description != op.summary {
        op_doc.push_str(&op.description);
        op_doc.push_str("\n\n");
    }
    op_doc.push_str(&format!("`{} {}` (`{}`).", op.method, op.path, op.id));
    let deprecated = if op.deprecated {
        quote!(#[deprecated(note = "deprecated in the Kernel API")])
    } else {
        quote!()
    };
    let arg_list = args
        .iter()
        .map(|a| a.to_string())
        .collect::<Vec<_>>()
        .join(", ");
    let mut surface = Vec::new();

    // Hand-written operations: the accessor only.
    let Some(sys_builder) = &op.sys_builder else {
        let hand = pascal(&op.id);
        let builder_doc =
            format!("{op_doc}\n\nReturns [`{hand}`]; set its parts, then `.send().await`.");
        let builder_doc = doc(&builder_doc);
        let accessor = quote! {
            #builder_doc
            #deprecated
            pub fn #method(&self, #(#args: impl crate::call::IntoId),*) -> crate::multipart::#hand<'a> {
                crate::multipart::#hand::new(self.kernel, #(self.#held.clone(),)* #(#args.into_id()),*)
            }
        };
        surface.push(format!(
            "{}.{}({arg_list}) -> multipart::{hand}: {} {} {}",
            op.area.path, op.name, op.method, op.path, op.id
        ));
        return Ok(Rendered {
            builder: quote!(pub use crate::multipart::#hand;),
            accessor,
            surface,
        });
    };

    let builder = pascal(&op.name);
    let sys_builder_ty = format_ident!("{sys_builder}");
    let sys_method = format_ident!("{}", op.sys_method);
    let all_path: Vec<_> = held.iter().chain(args.iter()).cloned().collect();
    let streaming = matches!(op.response, Response::Stream { .. });

    // Setters: query and header parameters, then body properties.
    let mut required: Vec<String> = Vec::new();
    let mut setters = Vec::new();
    let mut names: Vec<String> = vec!["send".into(), "send_with_response".into(), "new".into()];
    for p in &op.params {
        let name = ident(&p.name);
        if names.contains(&p.name) {
            return Err(format!("{}: two setters named `{}`", op.id, p.name));
        }
        names.push(p.name.clone());
        let k = kind(&p.ty, sys);
        // The generated builder converts (and reports) by itself: pass the
        // plain value through.
        let Conv {
            generics,
            bounds,
            arg,
            conv,
        } = match k {
            Kind::Constrained(_) => plain(quote!(impl Into<String>), Ok(quote!(value.into()))),
            Kind::NonZero(p, _) => plain(quote!(#p), Ok(quote!(value))),
            Kind::Uuid => plain(
                quote!(impl crate::call::IntoId),
                Ok(quote!(value.into_id())),
            ),
            Kind::Named(t) => plain(quote!(impl Into<#t>), Ok(quote!(value.into()))),
            other => convert(&other),
        };
        let Ok(conv) = conv else {
            return Err(format!(
                "{}: parameter `{}` has no simple setter",
                op.id, p.name
            ));
        };
        let mark = if p.required {
            required.push(p.name.clone());
            let bit = required.len() - 1;
            quote!(self.check.set(#bit);)
        } else {
            quote!()
        };
        let docs = doc(&setter_doc(&p.name, &p.docs, p.required));
        surface.push(format!(
            "{module}::{builder}.{}({}){}{}",
            p.name,
            norm(&arg),
            spaced(&bounds),
            if p.required { " required" } else { "" }
        ));
        let store = if streaming {
            let value = if conv.to_string() == "value" {
                quote!()
            } else {
                quote!(let value = #conv;)
            };
            quote! {
                #value
                let previous = self.configure;
                self.configure = Self::wrap(move |b| previous(b).#name(::std::clone::Clone::clone(&value)));
            }
        } else {
            quote!(self.inner = self.inner.#name(#conv);)
        };
        setters.push(quote! {
            #docs
            pub fn #name #generics (mut self, value: #arg) -> Self #bounds {
                #store
                #mark
                self
            }
        });
    }
    let body_bits_start = required.len();
    match &op.body {
        Body::None => {}
        Body::Struct { ty, fields } => {
            let body_ty = format_ident!("{ty}");
            for f in fields {
                if names.contains(&f.name) {
                    return Err(format!("{}: two setters named `{}`", op.id, f.name));
                }
                names.push(f.name.clone());
                let name = ident(&f.name);
                let k = kind(&f.ty, sys);
                let Conv {
                    generics,
                    bounds,
                    arg,
                    conv,
                } = convert(&k);
                let field_name = &f.name;
                let value = match conv {
                    Ok(c) if c.to_string() == "value" => quote!(),
                    Ok(c) => quote!(let value = #c;),
                    Err(c) => quote! {
                        let value = match #c {
                            Ok(value) => value,
                            Err(e) => {
                                self.check.invalid(#field_name, e);
                                return self;
                            }
                        };
                    },
                };
                let wrapped = if f.optional {
                    quote!(Some(value))
                } else {
                    quote!(value)
                };
                let mark = if f.required {
                    required.push(f.name.clone());
                    let bit = required.len() - 1;
                    quote!(self.check.set(#bit);)
                } else {
                    quote!()
                };
                let docs = doc(&setter_doc(&f.name, &f.docs, f.required));
                surface.push(format!(
                    "{module}::{builder}.{}({}){}{}",
                    f.name,
                    norm(&arg),
                    spaced(&bounds),
                    if f.required { " required" } else { "" }
                ));
                setters.push(quote! {
                    #docs
                    pub fn #name #generics (mut self, value: #arg) -> Self #bounds {
                        #value
                        self.inner = self.inner.body_map(move |b| b.#name(#wrapped));
                        #mark
                        self
                    }
                });
            }
            // A body property named `body` (curl's) keeps its name; the
            // whole-body setter steps aside.
            let whole = if names.iter().any(|n| n == "body") {
                "request_body"
            } else {
                "body"
            };
            let whole_ident = format_ident!("{whole}");
            let body_doc = doc(&format!(
                "The whole body at once, instead of one setter per property: a [`{ty}`](crate::types::{ty}) or its builder."
            ));
            let end = required.len();
            surface.push(format!("{module}::{builder}.{whole}(crate::types::{ty})"));
            setters.push(quote! {
                #body_doc
                pub fn #whole_ident<V>(mut self, value: V) -> Self
                where
                    V: TryInto<crate::types::#body_ty>,
                    V::Error: ::std::fmt::Display,
                {
                    self.inner = self.inner.body(value);
                    self.check.set_range(#body_bits_start..#end);
                    self
                }
            });
        }
        Body::Whole { ty } => {
            let t = kernel_ty(ty);
            required.push("body".into());
            let bit = required.len() - 1;
            surface.push(format!("{module}::{builder}.body({}) required", norm(&t)));
            let body_doc = doc("The request body. Required.");
            setters.push(quote! {
                #body_doc
                pub fn body<V>(mut self, value: V) -> Self
                where
                    V: TryInto<#t>,
                    V::Error: ::std::fmt::Display,
                {
                    self.inner = self.inner.body(value);
                    self.check.set(#bit);
                    self
                }
            });
        }
    }

    let output = what(&op.response);
    surface.push(format!(
        "{}.{}({arg_list}) -> {module}::{builder}: {} {} {}{}",
        op.area.path,
        op.name,
        op.method,
        op.path,
        op.id,
        if op.deprecated { " deprecated" } else { "" }
    ));
    surface.push(format!("{module}::{builder}.send() -> {}", norm(&output)));
    let path_setters = all_path.iter().map(|p| quote!(.#p(#p)));
    let accessor_doc = doc(&format!(
        "{op_doc}\n\nSet what you need on the returned [`{builder}`], then `.send().await`."
    ));
    let builder_doc = doc(&format!(
        "{op_doc}\n\nFrom [`{area_struct}::{}`]; every setter is optional unless it says it is required, and `send()` checks them.",
        op.name
    ));
    let accessor = quote! {
        #accessor_doc
        #deprecated
        pub fn #method(&self, #(#args: impl crate::call::IntoId),*) -> #builder<'a> {
            #builder::new(self.kernel, #(self.#held.clone(),)* #(#args.into_id()),*)
        }
    };

    let path_params = all_path.iter().map(|p| quote!(#p: String));
    let check = quote!(crate::call::Check::new(&[#(#required),*]));
    let code = if let Response::Stream {
        event, resumable, ..
    } = &op.response
    {
        let event = format_ident!("{event}");
        let resume = if *resumable {
            quote!(let request = match last { Some(last) => request.last_event_id(last), None => request };)
        } else {
            quote!(let _ = last;)
        };
        quote! {
            #builder_doc
            #[must_use = "a request does nothing until `.send().await`"]
            #[derive(Clone)]
            pub struct #builder<'a> {
                kernel: &'a crate::Kernel,
                configure: ::std::sync::Arc<dyn for<'b> Fn(crate::sys::builder::#sys_builder_ty<'b>) -> crate::sys::builder::#sys_builder_ty<'b> + Send + Sync>,
                check: crate::call::Check,
                reconnect: bool,
            }

            impl ::std::fmt::Debug for #builder<'_> {
                fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                    f.debug_struct(stringify!(#builder)).field("check", &self.check).finish_non_exhaustive()
                }
            }

            impl<'a> #builder<'a> {
                fn new(kernel: &'a crate::Kernel, #(#path_params),*) -> Self {
                    Self {
                        kernel,
                        configure: Self::wrap(move |b| b #(.#all_path(::std::clone::Clone::clone(&#all_path)))*),
                        check: #check,
                        reconnect: true,
                    }
                }

                fn wrap(
                    f: impl for<'b> Fn(crate::sys::builder::#sys_builder_ty<'b>) -> crate::sys::builder::#sys_builder_ty<'b> + Send + Sync + 'static,
                ) -> ::std::sync::Arc<dyn for<'b> Fn(crate::sys::builder::#sys_builder_ty<'b>) -> crate::sys::builder::#sys_builder_ty<'b> + Send + Sync> {
                    ::std::sync::Arc::new(f)
                }

                /// Opens the stream without reconnecting after a drop (the
                /// caller recovers by itself).
                #[allow(dead_code)]
                pub(crate) fn without_reconnect(mut self) -> Self {
                    self.reconnect = false;
                    self
                }

                #(#setters)*

                /// Opens the event stream. It connects on first poll,
                /// reconnects after drops where the endpoint allows it, and
                /// ends after the stream's terminal event.
                pub async fn send(self) -> crate::Result<#output> {
                    self.open()
                }

                /// [`send`](Self::send), for callers that are not async.
                #[allow(dead_code)]
                pub(crate) fn open(self) -> crate::Result<#output> {
                    self.check.result()?;
                    let sys = self.kernel.sys().clone();
                    let configure = self.configure;
                    let connect = crate::sse::connector(move |last: Option<String>| {
                        let (sys, configure) = (sys.clone(), configure.clone());
                        async move {
                            let request = configure(sys.#sys_method());
                            #resume
                            request.send().await
                        }
                    });
                    Ok(<crate::types::#event as crate::sse::Streamed>::open(self.kernel, connect, self.reconnect))
                }
            }
        }
    } else {
        let finish = match &op.response {
            Response::Json(_) => quote!(crate::call::json(result)),
            Response::Optional(_) => quote!(crate::call::optional(result)),
            Response::Empty => quote!(crate::call::empty(result)),
            Response::Download => quote!(crate::call::download(result)),
            Response::Readiness => quote!(crate::call::readiness(result, self.kernel)),
            Response::Stream { .. } => unreachable!(),
        };
        let paginate = op.page_item.as_ref().map(|item| {
            let item = kernel_ty(item);
            quote! {
                impl<'a> crate::Paginate<'a> for #builder<'a> {
                    type Item = #item;
                    fn page_at(self, offset: u64) -> crate::pagination::PageFuture<'a, Self::Item> {
                        Box::pin(async move {
                            let response = self.offset(offset as _).send_with_response().await?;
                            Ok(crate::Page::from_response(offset, response))
                        })
                    }
                }
            }
        });
        // Only a readiness answer needs the client (its retry policy).
        let (kernel_field, kernel_init) = if matches!(op.response, Response::Readiness) {
            (quote!(kernel: &'a crate::Kernel,), quote!(kernel,))
        } else {
            (quote!(), quote!())
        };
        // A streamed body (`reqwest::Body`) cannot be cloned.
        let streamed_body = matches!(&op.body, Body::Whole { ty } if type_name(ty) == "Body");
        let derive = if streamed_body {
            quote!(#[derive(Debug)])
        } else {
            quote!(#[derive(Clone, Debug)])
        };
        quote! {
            #builder_doc
            #[must_use = "a request does nothing until `.send().await`"]
            #derive
            pub struct #builder<'a> {
                #kernel_field
                inner: crate::sys::builder::#sys_builder_ty<'a>,
                check: crate::call::Check,
            }

            impl<'a> #builder<'a> {
                fn new(kernel: &'a crate::Kernel, #(#path_params),*) -> Self {
                    #[allow(deprecated)]
                    let inner = kernel.sys().#sys_method() #(#path_setters)*;
                    Self { #kernel_init inner, check: #check }
                }

                #(#setters)*

                /// Sends the request: retried where that is safe, bounded in
                /// time, the decoded body or a [`crate::Error`].
                pub async fn send(self) -> crate::Result<#output> {
                    self.send_with_response().await.map(crate::Response::into_inner)
                }

                /// Like [`send`](Self::send), with the status and headers.
                pub async fn send_with_response(self) -> crate::Result<crate::Response<#output>> {
                    self.check.result()?;
                    let result = self.inner.send().await;
                    #finish
                }
            }

            #paginate
        }
    };
    Ok(Rendered {
        builder: code,
        accessor,
        surface,
    })
}

fn setter_doc(name: &str, docs: &str, required: bool) -> String {
    let mut out = if docs.is_empty() {
        format!("Sets `{name}`.")
    } else {
        docs.to_string()
    };
    if required {
        if !out.is_empty() {
            out.push_str("\n\n");
        }
        out.push_str("Required.");
    }
    out
}

/// A where-clause for the surface, with a leading space; nothing if empty.
fn spaced(bounds: &TokenStream) -> String {
    if bounds.is_empty() {
        String::new()
    } else {
        format!(" {}", norm(bounds))
    }
}

/// Tokens as one spaced-out line, for the surface.
fn norm(t: &TokenStream) -> String {
    t.to_string()
        .replace(" : ", ": ")
        .replace(" :: ", "::")
        .replace(":: ", "::")
        .replace(" < ", "<")
        .replace(" >", ">")
        .replace("< ", "<")
        .replace(" ,", ",")
}

pub(super) fn layer(ops: &[Op], sys: &Sys) -> Result<Layer, String> {
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
