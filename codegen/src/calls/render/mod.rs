//! Renders the call layer's source from the operation models: one
//! builder per operation here, the conversions in [`convert`], the area
//! modules in [`areas`].

use super::model::{type_name, Sys};
use super::{Area, Body, Op, Response};
use heck::ToUpperCamelCase;
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

mod areas;
mod convert;
mod routes;

pub(super) use areas::layer;
use convert::{convert, kernel_ty, kind, plain, Conv, Kind};

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
                    let pool = self.kernel.stream_pool();
                    let configure = self.configure;
                    let connect = crate::sse::connector(move |last: Option<String>| {
                        let (sys, configure) = (pool.sys().clone(), configure.clone());
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
        // Browsers in the answer: their routes are cached from the decoded
        // value, given as an expression of type `&T`.
        let learn = |value: TokenStream| {
            match &op.response {
                Response::Json(t) => routes::learn(t, value, sys),
                Response::Optional(t) => {
                    let t: syn::Type = syn::parse_quote!(Option<#t>);
                    routes::learn(&t, value, sys)
                }
                _ => Ok(None),
            }
            .map_err(|e| format!("{}: {e}", op.id))
        };
        // The operation, as `kernel_sys` names its constant.
        let op_const = format_ident!("{}", crate::const_name(&op.id));
        let read = quote!(self.kernel.send_read(request, Some(crate::sys::ops::#op_const)).await);
        let open = quote!(self.kernel.send_open(request, Some(crate::sys::ops::#op_const)).await);
        let finish = match &op.response {
            // `Option<T>` decodes an empty body (a `204`) as `None`.
            Response::Json(_) | Response::Optional(_) => quote!(crate::call::json(#read)),
            Response::Empty => quote!(crate::call::empty(#read)),
            Response::Download => quote!(crate::call::download(#open)),
            Response::Readiness => quote!(crate::call::readiness(#open, self.kernel)),
            Response::Stream { .. } => unreachable!(),
        };
        let finish = match learn(quote!(response.value()))? {
            Some(learn) => quote! {
                let response: crate::Response<#output> = #finish?;
                #learn
                Ok(response)
            },
            None => finish,
        };
        // `send()` of a JSON answer decodes the value alone: no response
        // (its headers, a second move of a large value) is built to be
        // taken apart.
        let send = match &op.response {
            Response::Json(_) | Response::Optional(_) => {
                let learn = learn(quote!(decoded))?.map(|learn| {
                    quote! {
                        let decoded = &value;
                        #learn
                    }
                });
                quote! {
                    self.check.result()?;
                    let request = self.inner.build_request()?;
                    let value: #output = crate::call::json_value(#read)?;
                    #learn
                    Ok(value)
                }
            }
            _ => quote!(self
                .send_with_response()
                .await
                .map(crate::Response::into_inner)),
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
                kernel: &'a crate::Kernel,
                inner: crate::sys::builder::#sys_builder_ty<'a>,
                check: crate::call::Check,
            }

            impl<'a> #builder<'a> {
                fn new(kernel: &'a crate::Kernel, #(#path_params),*) -> Self {
                    #[allow(deprecated)]
                    let inner = kernel.sys().#sys_method() #(#path_setters)*;
                    Self { kernel, inner, check: #check }
                }

                #(#setters)*

                /// Sends the request: retried where that is safe, bounded in
                /// time, the decoded body or a [`crate::Error`].
                pub async fn send(self) -> crate::Result<#output> {
                    #send
                }

                /// Like [`send`](Self::send), with the status and headers.
                pub async fn send_with_response(self) -> crate::Result<crate::Response<#output>> {
                    self.check.result()?;
                    let request = self.inner.build_request()?;
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
