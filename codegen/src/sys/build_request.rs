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

use quote::quote;
use syn::{ImplItem, Item, Stmt};

/// Splits the `send()` of every builder in `file`; returns how many.
/// Fails, naming the builder, on a `send()` whose shape it does not know,
/// so a progenitor upgrade that changes it stops the build.
pub fn split(file: &mut syn::File) -> Result<usize, String> {
    let mut count = 0;
    for item in &mut file.items {
        count += split_item(item)?;
    }
    Ok(count)
}

fn split_item(item: &mut Item) -> Result<usize, String> {
    match item {
        Item::Mod(m) => {
            let mut count = 0;
            for item in m.content.iter_mut().flat_map(|(_, items)| items) {
                count += split_item(item)?;
            }
            Ok(count)
        }
        Item::Impl(imp) if imp.trait_.is_none() => {
            let Some(index) = imp.items.iter().position(is_send) else {
                return Ok(0);
            };
            let name = quote!(#imp).to_string();
            let name = name
                .split('{')
                .next()
                .unwrap_or_default()
                .trim()
                .to_string();
            let ImplItem::Fn(send) = &mut imp.items[index] else {
                unreachable!("is_send matched a method");
            };
            let build = split_send(send).map_err(|e| format!("{name}: {e}"))?;
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
fn split_send(send: &mut syn::ImplItemFn) -> Result<ImplItem, String> {
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
            assert!(error.starts_with("impl < 'a > GetThing < 'a >"), "{error}");
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
        assert!(split(&mut file).is_err());
    }
}
