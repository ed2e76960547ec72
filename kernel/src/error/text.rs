//! How errors are shown: the source chain said once, and jwt tokens
//! redacted wherever an error's text may quote one.

use crate::sys::secret::{redact_jwts, REDACTED};
use std::fmt;

/// An error and its sources, `: `-separated, each said once (reqwest and
/// hyper often repeat their source's text), with jwt tokens redacted: it is
/// what logs and `Display` show. The cause is what a reader needs:
/// "connection refused", "dns error", "TooLarge".
pub(crate) fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut current = e.source();
    while let Some(error) = current {
        let text = error.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        current = error.source();
    }
    redact_jwts(&out).into_owned()
}

/// Replaces the value of a `jwt` query parameter, which is a bearer token
/// for a browser.
pub(crate) fn redact_url(url: &mut reqwest::Url) {
    if !url.query_pairs().any(|(name, _)| name == "jwt") {
        return;
    }
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .map(|(name, value)| {
            let value = if name == "jwt" {
                REDACTED.into()
            } else {
                value.into_owned()
            };
            (name.into_owned(), value)
        })
        .collect();
    url.query_pairs_mut().clear().extend_pairs(pairs);
}

/// Formats with a closure, so [`write_redacted`] can format to a string.
struct With<F>(F);

impl<F: Fn(&mut fmt::Formatter<'_>) -> fmt::Result> fmt::Display for With<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        (self.0)(f)
    }
}

/// Writes what `inner` formats with every jwt token redacted: an error's
/// text may quote a URL from a response body, a serde message or a request.
pub(super) fn write_redacted(
    f: &mut fmt::Formatter<'_>,
    inner: impl Fn(&mut fmt::Formatter<'_>) -> fmt::Result,
) -> fmt::Result {
    let text = if f.alternate() {
        format!("{:#}", With(inner))
    } else {
        With(inner).to_string()
    };
    f.write_str(&redact_jwts(&text))
}
