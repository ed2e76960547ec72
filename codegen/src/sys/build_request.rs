//! `build_request`: every generated builder can build its request without
//! sending it.
//!
//! Progenitor's `send()` builds the `reqwest::Request`, sends it through the
//! hooks and decodes the answer, all in one future. The `kernel` call layer
//! sends through its transport directly and decodes from the bytes the
//! transport already read, so it needs the first part alone. This pass
//! moves that part (every statement before the `OperationInfo`) into
//! `build_request(self)`, and `send()` starts by calling it: the request is
//! built in one place either way.
//!
//! The pass also skips absent query parameters: progenitor passes every
//! optional one to `RequestBuilder::query`, which re-serializes the URL
//! even for `None`. An optional parameter's `.query(..)` now runs only when
//! it is set (`if x.is_some()`), in the same order. And it sets static
//! headers on the builder directly ([`static_headers`]).

mod static_headers;

use quote::quote;
use std::collections::{BTreeMap, BTreeSet};
use syn::{Expr, ImplItem, Item, Stmt};

/// Builder name → its fields of type `Result<Option<_>, String>`.
type Optional = BTreeMap<String, BTreeSet<String>>;

/// Splits the `send()` of every builder in `file`; returns how many.
/// Fails, naming the builder, on a `send()` whose shape it does not know,
/// so a progenitor upgrade that changes it stops the build.
pub fn split(file: &mut syn::File) -> Result<usize, String> {
    let mut optional = Optional::new();
    for item in &file.items {
        optional_fields(item, &mut optional);
    }
    let mut count = 0;
    for item in &mut file.items {
        count += split_item(item, &optional)?;
    }
    Ok(count)
}

/// Collects from the top-level `mod builder` only (progenitor's):
/// `types::builder` has typify's builders, of the same names, whose fields
/// are not parameters.
fn optional_fields(item: &Item, out: &mut Optional) {
    let Item::Mod(m) = item else {
        return;
    };
    if m.ident != "builder" {
        return;
    }
    for item in m.content.iter().flat_map(|(_, items)| items) {
        let Item::Struct(st) = item else {
            continue;
        };
        let fields = st
            .fields
            .iter()
            .filter(|f| {
                let ty = &f.ty;
                quote!(#ty).to_string().starts_with("Result < Option <")
            })
            .filter_map(|f| f.ident.as_ref().map(|i| i.to_string()))
            .collect();
        out.insert(st.ident.to_string(), fields);
    }
}

fn split_item(item: &mut Item, optional: &Optional) -> Result<usize, String> {
    match item {
        Item::Mod(m) => {
            let mut count = 0;
            for item in m.content.iter_mut().flat_map(|(_, items)| items) {
                count += split_item(item, optional)?;
            }
            Ok(count)
        }
        Item::Impl(imp) if imp.trait_.is_none() => {
            let Some(index) = imp.items.iter().position(is_send) else {
                return Ok(0);
            };
            let self_ty = &imp.self_ty;
            let name = quote!(#self_ty).to_string();
            let self_name = name.split(' ').next().unwrap_or_default();
            let none = BTreeSet::new();
            let optional = optional.get(self_name).unwrap_or(&none);
            let ImplItem::Fn(send) = &mut imp.items[index] else {
                unreachable!("is_send matched a method");
            };
            let build = split_send(send, optional).map_err(|e| format!("{name}: {e}"))?;
            imp.items.insert(index, build);
            Ok(1)
        }
        _ => Ok(0),
    }
}

fn is_send(item: &ImplItem) -> bool {
    matches!(item, ImplItem::Fn(f) if f.sig.ident == "send" && f.sig.asyncness.is_some())
}

/// Turns `send` into `build_request` plus a `send` that calls it.
fn split_send(send: &mut syn::ImplItemFn, optional: &BTreeSet<String>) -> Result<ImplItem, String> {
    let stmts = &send.block.stmts;
    let info = stmts
        .iter()
        .position(|s| {
            quote!(#s)
                .to_string()
                .starts_with("let info = OperationInfo")
        })
        .ok_or("send() has no `let info = OperationInfo`")?;
    let built = info.checked_sub(1).map(|i| &stmts[i]);
    if !matches!(built, Some(Stmt::Local(l)) if binds(&l.pat, "request")) {
        return Err("send() does not bind `request` just before its `OperationInfo`".into());
    }
    let first = stmts.first().map(|s| quote!(#s).to_string());
    if !first.is_some_and(|s| s.starts_with("let Self {") && s.contains("client")) {
        return Err("send() does not start by taking `client` out of `self`".into());
    }
    let (build, rest) = stmts.split_at(info);
    let mut build = build.to_vec();
    if let Some(Stmt::Local(local)) = build.last_mut() {
        if let Some(init) = &mut local.init {
            if let Some(sequenced) = skip_absent(&init.expr, optional)? {
                build.pop();
                build.extend(sequenced);
            }
        }
    }
    static_headers::inline(&mut build)?;
    let build_fn: syn::ImplItemFn = syn::parse_quote! {
        /// The request [`send`](Self::send) sends, built but not sent: for
        /// a caller with a transport of its own.
        pub fn build_request(self) -> Result<::reqwest::Request, Error<()>> {
            #(#build)*
            Ok(request)
        }
    };
    send.block = syn::parse_quote! {{
        let client = self.client;
        #[allow(unused_mut)]
        let mut request = self.build_request()?;
        #(#rest)*
    }};
    Ok(ImplItem::Fn(build_fn))
}

/// `request`'s builder chain as statements, each `.query(..)` of an
/// optional parameter under `if <it>.is_some()`; `None` when the chain has
/// no such call.
fn skip_absent(expr: &Expr, optional: &BTreeSet<String>) -> Result<Option<Vec<Stmt>>, String> {
    let Expr::Try(tried) = expr else {
        return Ok(None);
    };
    let mut calls = Vec::new();
    let mut base = &*tried.expr;
    while let Expr::MethodCall(call) = base {
        calls.push(call);
        base = &call.receiver;
    }
    calls.reverse();
    // `<client>.get(url)`, then the builder's calls, then `.build()`.
    let (Some(open), Some(build)) = (calls.first(), calls.last()) else {
        return Ok(None);
    };
    if build.method != "build" || calls.len() < 2 {
        return Err("the request is not made by a builder chain ending in `.build()?`".into());
    }
    let guarded = |call: &syn::ExprMethodCall| -> Option<syn::Ident> {
        if call.method != "query" {
            return None;
        }
        let arg = call.args.first()?;
        let text = quote!(#arg).to_string();
        if !text.contains("QueryParam :: new") {
            return None;
        }
        optional
            .iter()
            .find(|name| text.ends_with(&format!("& {name})")))
            .map(|name| quote::format_ident!("{name}"))
    };
    if !calls.iter().any(|c| guarded(c).is_some()) {
        return Ok(None);
    }
    let (receiver, method, args) = (&open.receiver, &open.method, &open.args);
    let mut out: Vec<Stmt> = vec![syn::parse_quote!(let mut builder = #receiver.#method(#args);)];
    for call in &calls[1..calls.len() - 1] {
        let (method, args) = (&call.method, &call.args);
        let step: Stmt = syn::parse_quote!(builder = builder.#method(#args););
        out.push(match guarded(call) {
            Some(param) => syn::parse_quote!(if #param.is_some() { #step }),
            None => step,
        });
    }
    out.push(syn::parse_quote! {
        #[allow(unused_mut)]
        let mut request = builder.build()?;
    });
    Ok(Some(out))
}

fn binds(pat: &syn::Pat, name: &str) -> bool {
    match pat {
        syn::Pat::Ident(p) => p.ident == name,
        syn::Pat::Type(t) => binds(&t.pat, name),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::split;

    fn builder(send_body: proc_macro2::TokenStream) -> syn::File {
        syn::parse_quote! {
            pub mod builder {
                impl<'a> GetThing<'a> {
                    pub fn id(mut self, value: String) -> Self { self.id = Ok(value); self }
                    pub async fn send(self) -> Result<ResponseValue<types::Thing>, Error<()>> {
                        #send_body
                    }
                }
                impl Clone for GetThing<'_> { fn clone(&self) -> Self { todo() } }
            }
        }
    }

    #[test]
    fn send_is_split_where_the_request_is_built() {
        let mut file = builder(quote::quote! {
            let Self { client, id } = self;
            let id = id.map_err(Error::InvalidRequest)?;
            let url = format!("{}/things/{}", client.baseurl, id);
            #[allow(unused_mut)]
            let mut request = client.client.get(url).build()?;
            let info = OperationInfo { operation_id: "get_thing" };
            client.pre(&mut request, &info).await?;
            let result = client.exec(request, &info).await;
            result
        });
        assert_eq!(split(&mut file).unwrap(), 1);
        let expected: syn::File = syn::parse_quote! {
            pub mod builder {
                impl<'a> GetThing<'a> {
                    pub fn id(mut self, value: String) -> Self { self.id = Ok(value); self }
                    /// The request [`send`](Self::send) sends, built but not sent: for
                    /// a caller with a transport of its own.
                    pub fn build_request(self) -> Result<::reqwest::Request, Error<()>> {
                        let Self { client, id } = self;
                        let id = id.map_err(Error::InvalidRequest)?;
                        let url = format!("{}/things/{}", client.baseurl, id);
                        #[allow(unused_mut)]
                        let mut request = client.client.get(url).build()?;
                        Ok(request)
                    }
                    pub async fn send(self) -> Result<ResponseValue<types::Thing>, Error<()>> {
                        let client = self.client;
                        #[allow(unused_mut)]
                        let mut request = self.build_request()?;
                        let info = OperationInfo { operation_id: "get_thing" };
                        client.pre(&mut request, &info).await?;
                        let result = client.exec(request, &info).await;
                        result
                    }
                }
                impl Clone for GetThing<'_> { fn clone(&self) -> Self { todo() } }
            }
        };
        assert_eq!(
            prettyplease::unparse(&file),
            prettyplease::unparse(&expected)
        );
    }

    #[test]
    fn an_optional_query_parameter_is_passed_only_when_set() {
        let mut file: syn::File = syn::parse_quote! {
            pub mod builder {
                pub struct ListThings<'a> {
                    client: &'a super::Client,
                    kind: Result<::std::string::String, String>,
                    limit: Result<Option<u64>, String>,
                }
                impl<'a> ListThings<'a> {
                    pub async fn send(self) -> Result<ResponseValue<()>, Error<()>> {
                        let Self { client, kind, limit } = self;
                        let url = format!("{}/things", client.baseurl);
                        #[allow(unused_mut)]
                        let mut request = client
                            .client
                            .get(url)
                            .header(ACCEPT, "application/json")
                            .query(&progenitor_client::QueryParam::new("limit", &limit))
                            .query(&progenitor_client::QueryParam::new("kind", &kind))
                            .build()?;
                        let info = OperationInfo { operation_id: "list_things" };
                        client.exec(request, &info).await
                    }
                }
            }
        };
        assert_eq!(split(&mut file).unwrap(), 1);
        let build: syn::ImplItemFn = syn::parse_quote! {
            /// The request [`send`](Self::send) sends, built but not sent: for
            /// a caller with a transport of its own.
            pub fn build_request(self) -> Result<::reqwest::Request, Error<()>> {
                let Self { client, kind, limit } = self;
                let url = format!("{}/things", client.baseurl);
                let mut builder = client.client.get(url);
                builder = builder.header(ACCEPT, "application/json");
                if limit.is_some() {
                    builder = builder.query(&progenitor_client::QueryParam::new("limit", &limit));
                }
                builder = builder.query(&progenitor_client::QueryParam::new("kind", &kind));
                #[allow(unused_mut)]
                let mut request = builder.build()?;
                Ok(request)
            }
        };
        let syn::Item::Mod(m) = &file.items[0] else {
            panic!("a module")
        };
        let syn::Item::Impl(imp) = &m.content.as_ref().unwrap().1[1] else {
            panic!("an impl")
        };
        let syn::ImplItem::Fn(found) = &imp.items[0] else {
            panic!("a method")
        };
        assert_eq!(
            quote::quote!(#found).to_string(),
            quote::quote!(#build).to_string()
        );
    }

    #[test]
    fn a_send_of_another_shape_fails_naming_its_builder() {
        for body in [
            // No OperationInfo.
            quote::quote! { let Self { client } = self; let mut request = client.build()?; request },
            // Something between the request and the OperationInfo.
            quote::quote! {
                let Self { client } = self;
                let mut request = client.build()?;
                let other = 1;
                let info = OperationInfo { operation_id: "x" };
                other
            },
            // `client` not taken first.
            quote::quote! {
                let url = String::new();
                let mut request = url.build()?;
                let info = OperationInfo { operation_id: "x" };
                request
            },
        ] {
            let mut file = builder(body);
            let error = split(&mut file).unwrap_err();
            assert!(error.starts_with("GetThing < 'a >:"), "{error}");
        }
    }

    #[test]
    fn every_builder_of_the_vendored_spec_is_split() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .join(crate::SPEC_PATH);
        let (doc, report) = crate::normalize(&crate::load(&path).unwrap());
        // `generate` splits; a second pass fails, since a split `send` no
        // longer takes `self` apart.
        let mut file = crate::sys::generate(doc, &report).unwrap();
        let text = prettyplease::unparse(&file);
        let generated =
            crate::operations(&crate::load(&path).unwrap()).len() - report.hand_written.len();
        assert_eq!(
            text.matches("pub fn build_request(self)").count(),
            generated
        );
        assert_eq!(text.matches("self.build_request()?").count(), generated);
        // `GET /browsers` has five optional query parameters, each guarded.
        let list = text
            .split("impl<'a> GetBrowsers<'a>")
            .nth(1)
            .and_then(|rest| rest.split("pub async fn send").next())
            .unwrap();
        for name in ["include_deleted", "limit", "offset", "query", "status"] {
            assert!(list.contains(&format!("if {name}.is_some()")), "{name}");
        }
        // `api-version` is set on the builder everywhere; only the
        // telemetry stream's `Last-Event-ID` still goes through a map.
        assert_eq!(text.matches(".headers(header_map)").count(), 1);
        let telemetry = text
            .split("impl<'a> StreamBrowserTelemetry<'a>")
            .nth(1)
            .and_then(|rest| rest.split("pub async fn send").next())
            .unwrap();
        assert!(telemetry.contains(".headers(header_map)"));
        assert_eq!(
            text.matches("HeaderName::from_static(\"api-version\")")
                .count(),
            generated
        );
        assert!(split(&mut file).is_err());
    }
}
