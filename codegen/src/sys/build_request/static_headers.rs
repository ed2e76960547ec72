//! Static headers go on the request builder directly.
//!
//! Progenitor collects an operation's headers in a `HeaderMap` and merges
//! it into the builder with `.headers(header_map)`. For the header every
//! operation has, `api-version`, with a value known when it is compiled,
//! that is a map allocated, filled, merged and dropped on every request.
//! This pass turns each `header_map.append(HeaderName::from_static(..),
//! HeaderValue::from_static(..))` into a `.header(..)` call where the map
//! was merged, in the same order, and drops the map when nothing else goes
//! into it. Headers from parameters (`Last-Event-ID`) stay in the map.

use super::binds;
use quote::quote;
use syn::visit_mut::VisitMut;
use syn::{Expr, Stmt};

/// Rewrites the statements of one `build_request`. Fails on a map that is
/// filled but never merged, a shape this pass does not know.
pub(super) fn inline(stmts: &mut Vec<Stmt>) -> Result<(), String> {
    if !stmts.iter().any(is_map) {
        return Ok(());
    }
    let mut headers = Vec::new();
    stmts.retain(|stmt| match static_append(stmt) {
        Some(pair) => {
            headers.push(pair);
            false
        }
        None => true,
    });
    if headers.is_empty() {
        return Ok(());
    }
    // The map's `let` and its merge are two mentions; any other is a
    // header that still goes into it.
    let mentions: usize = stmts
        .iter()
        .map(|stmt| quote!(#stmt).to_string().matches("header_map").count())
        .sum();
    let keep = mentions > 2;
    let mut merge = Merge {
        headers,
        keep,
        found: 0,
    };
    for stmt in stmts.iter_mut() {
        merge.visit_stmt_mut(stmt);
    }
    if merge.found != 1 {
        return Err(format!(
            "`header_map` is merged {} times, not once",
            merge.found
        ));
    }
    if !keep {
        stmts.retain(|stmt| !is_map(stmt));
    }
    Ok(())
}

fn is_map(stmt: &Stmt) -> bool {
    matches!(stmt, Stmt::Local(l) if binds(&l.pat, "header_map"))
}

/// The name and value of `header_map.append(X::from_static(..),
/// Y::from_static(..));`.
fn static_append(stmt: &Stmt) -> Option<(Expr, Expr)> {
    let Stmt::Expr(Expr::MethodCall(call), Some(_)) = stmt else {
        return None;
    };
    let receiver = &call.receiver;
    if call.method != "append" || quote!(#receiver).to_string() != "header_map" {
        return None;
    }
    let from_static = |e: &Expr| match e {
        Expr::Call(c) => matches!(&*c.func, Expr::Path(p)
            if p.path.segments.last().is_some_and(|s| s.ident == "from_static")),
        _ => false,
    };
    match call.args.iter().collect::<Vec<_>>()[..] {
        [name, value] if from_static(name) && from_static(value) => {
            Some((name.clone(), value.clone()))
        }
        _ => None,
    }
}

/// Replaces `<builder>.headers(header_map)` with `<builder>.header(..)…`,
/// followed by the merge when the map is kept.
struct Merge {
    headers: Vec<(Expr, Expr)>,
    keep: bool,
    found: usize,
}

impl VisitMut for Merge {
    fn visit_expr_mut(&mut self, expr: &mut Expr) {
        syn::visit_mut::visit_expr_mut(self, expr);
        let Expr::MethodCall(call) = expr else {
            return;
        };
        let args = &call.args;
        if call.method != "headers" || quote!(#args).to_string() != "header_map" {
            return;
        }
        self.found += 1;
        let mut chain = (*call.receiver).clone();
        for (name, value) in &self.headers {
            chain = syn::parse_quote!(#chain.header(#name, #value));
        }
        if self.keep {
            chain = syn::parse_quote!(#chain.headers(header_map));
        }
        *expr = chain;
    }
}

#[cfg(test)]
mod tests {
    use super::inline;
    use syn::Stmt;

    fn body(stmts: proc_macro2::TokenStream) -> Vec<Stmt> {
        let block: syn::Block = syn::parse_quote!({ #stmts });
        block.stmts
    }

    fn text(stmts: &[Stmt]) -> String {
        quote::quote!(#(#stmts)*).to_string()
    }

    #[test]
    fn a_static_header_is_set_on_the_builder_and_the_map_dropped() {
        let mut stmts = body(quote::quote! {
            let url = format!("{}/things", client.baseurl);
            let mut header_map = ::reqwest::header::HeaderMap::with_capacity(1usize);
            header_map.append(
                ::reqwest::header::HeaderName::from_static("api-version"),
                ::reqwest::header::HeaderValue::from_static(super::Client::api_version()),
            );
            let mut request = client.client.get(url).header(ACCEPT, "application/json").headers(header_map).build()?;
        });
        inline(&mut stmts).unwrap();
        let expected = body(quote::quote! {
            let url = format!("{}/things", client.baseurl);
            let mut request = client.client.get(url).header(ACCEPT, "application/json").header(
                ::reqwest::header::HeaderName::from_static("api-version"),
                ::reqwest::header::HeaderValue::from_static(super::Client::api_version())
            ).build()?;
        });
        assert_eq!(text(&stmts), text(&expected));
    }

    #[test]
    fn a_header_from_a_parameter_stays_in_the_map() {
        let mut stmts = body(quote::quote! {
            let mut header_map = ::reqwest::header::HeaderMap::with_capacity(2usize);
            header_map.append(HeaderName::from_static("api-version"), HeaderValue::from_static("1"));
            if let Some(value) = last_event_id {
                header_map.append("Last-Event-ID", value.to_string().try_into()?);
            }
            let mut builder = client.client.get(url);
            builder = builder.headers(header_map);
            let mut request = builder.build()?;
        });
        inline(&mut stmts).unwrap();
        let expected = body(quote::quote! {
            let mut header_map = ::reqwest::header::HeaderMap::with_capacity(2usize);
            if let Some(value) = last_event_id {
                header_map.append("Last-Event-ID", value.to_string().try_into()?);
            }
            let mut builder = client.client.get(url);
            builder = builder
                .header(HeaderName::from_static("api-version"), HeaderValue::from_static("1"))
                .headers(header_map);
            let mut request = builder.build()?;
        });
        assert_eq!(text(&stmts), text(&expected));
    }

    #[test]
    fn a_map_never_merged_fails() {
        let mut stmts = body(quote::quote! {
            let mut header_map = HeaderMap::new();
            header_map.append(HeaderName::from_static("a"), HeaderValue::from_static("1"));
            let mut request = client.client.get(url).build()?;
        });
        assert!(inline(&mut stmts).unwrap_err().contains("0 times"));
    }
}
