//! Secret values: what `Debug` (and so logs and error messages) never show.
//!
//! The codegen points every secret property of the spec (credential values,
//! TOTP secrets, submitted field values, tokens, passwords, handoff codes) at
//! these types instead of `String` / `HashMap<String, String>`, and every URL
//! the spec shows carrying a `jwt=` token (CDP, WebDriver, live view, replay
//! URLs) at [`JwtUrl`].

use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;

/// A secret string. `Debug` and `Display` show `[redacted]`; read it with
/// [`expose`](Self::expose) where it must be used.
///
/// ```
/// let password = kernel_sys::secret::SecretString::from("hunter2");
/// assert_eq!(format!("{password:?}"), "[redacted]");
/// assert_eq!(password.expose(), "hunter2");
/// ```
#[derive(Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SecretString(String);

impl SecretString {
    /// Wraps a secret.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret value.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The secret value, owned.
    pub fn into_inner(self) -> String {
        self.0
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl fmt::Display for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl From<String> for SecretString {
    fn from(value: String) -> Self {
        Self(value)
    }
}

impl From<&str> for SecretString {
    fn from(value: &str) -> Self {
        Self(value.to_string())
    }
}

impl From<&String> for SecretString {
    fn from(value: &String) -> Self {
        Self(value.clone())
    }
}

impl std::str::FromStr for SecretString {
    type Err = std::convert::Infallible;
    fn from_str(value: &str) -> Result<Self, Self::Err> {
        Ok(Self::from(value))
    }
}

/// Secret values by name (credential values, submitted fields). `Debug`
/// shows only the names.
///
/// ```
/// let values: kernel_sys::secret::SecretMap = [("password", "hunter2")].into_iter().collect();
/// assert!(!format!("{values:?}").contains("hunter2"));
/// assert_eq!(values.expose()["password"], "hunter2");
/// ```
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SecretMap(HashMap<String, String>);

impl SecretMap {
    /// The values.
    pub fn expose(&self) -> &HashMap<String, String> {
        &self.0
    }

    /// The values, owned.
    pub fn into_inner(self) -> HashMap<String, String> {
        self.0
    }

    /// The names.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.0.keys().map(String::as_str)
    }

    /// Whether there are no values.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for SecretMap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut names: Vec<&str> = self.names().collect();
        names.sort_unstable();
        f.debug_map()
            .entries(names.into_iter().map(|n| (n, REDACTED)))
            .finish()
    }
}

impl From<HashMap<String, String>> for SecretMap {
    fn from(values: HashMap<String, String>) -> Self {
        Self(values)
    }
}

impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for SecretMap {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        Self(
            iter.into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        )
    }
}

/// What every secret shows instead of its value.
pub const REDACTED: &str = "[redacted]";

/// A URL carrying a bearer token, such as a browser's `cdp_ws_url`
/// (`wss://…/browser/cdp?jwt=eyJ…`): whoever holds it controls the browser.
///
/// `Debug` and `Display` show the URL with the token replaced by
/// `[redacted]` and everything else (scheme, host, path, other parameters)
/// kept, so logs stay useful. Hand the full URL to a CDP or WebDriver client
/// with [`expose`](Self::expose).
///
/// ```
/// use kernel_sys::secret::JwtUrl;
/// let url = JwtUrl::from("wss://proxy.example.com:8443/browser/cdp?jwt=eyJhbGciOi.eyJzdWIi.c2ln&tab=1");
/// assert_eq!(url.to_string(), "wss://proxy.example.com:8443/browser/cdp?jwt=[redacted]&tab=1");
/// assert_eq!(format!("{url:?}"), r#""wss://proxy.example.com:8443/browser/cdp?jwt=[redacted]&tab=1""#);
/// // For the CDP client, deliberately:
/// assert!(url.expose().ends_with("?jwt=eyJhbGciOi.eyJzdWIi.c2ln&tab=1"));
/// ```
///
/// What counts as the token, without parsing the URL (a value that is not a
/// valid URL is kept as is and redacted the same way):
/// - the value of every `jwt=` parameter (in the query or the fragment,
///   any case, also percent-encoded as `jwt%3D`), up to the next `&` or `#`;
/// - anything shaped like a compact JWT (`eyJ…` with two or more `.`s),
///   wherever it is: a path segment, another parameter, the fragment.
///
/// There is deliberately no `AsRef<str>`, `Deref<Target = str>` or
/// `Into<String>`: they would let the token flow into any string API
/// unnoticed. Reading it is always a visible `expose()` (or
/// [`into_inner`](Self::into_inner)). Like every generated type it is
/// (de)serialized as the plain string, so JSON output still carries the
/// token.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct JwtUrl(String);

impl JwtUrl {
    /// Wraps a URL.
    pub fn new(url: impl Into<String>) -> Self {
        Self(url.into())
    }

    /// The full URL, token included: what a CDP or WebDriver client needs.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The full URL, owned.
    pub fn into_inner(self) -> String {
        self.0
    }

    /// The URL as `Debug` and `Display` show it: tokens replaced by
    /// `[redacted]`.
    pub fn redacted(&self) -> Cow<'_, str> {
        redact(&self.0, |b| matches!(b, b'&' | b'#'))
    }
}

impl fmt::Debug for JwtUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.redacted(), f)
    }
}

impl fmt::Display for JwtUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.redacted())
    }
}

impl From<String> for JwtUrl {
    fn from(url: String) -> Self {
        Self(url)
    }
}

impl From<&str> for JwtUrl {
    fn from(url: &str) -> Self {
        Self(url.to_string())
    }
}

impl From<&String> for JwtUrl {
    fn from(url: &String) -> Self {
        Self(url.clone())
    }
}

impl std::str::FromStr for JwtUrl {
    type Err = std::convert::Infallible;
    fn from_str(url: &str) -> Result<Self, Self::Err> {
        Ok(Self::from(url))
    }
}

/// `text` with every token [`JwtUrl`] would hide replaced by `[redacted]`,
/// for free text that may quote such a URL: error messages, response
/// bodies. Besides `&` and `#`, a `jwt=` value also ends at whitespace,
/// quotes, `\`, `<`, `>` and `` ` ``, which a URL never contains unescaped,
/// so the words around a quoted URL stay readable.
///
/// ```
/// let message = r#"no browser at "wss://h/cdp?jwt=eyJ0.eyJ1.sig": gone"#;
/// assert_eq!(
///     kernel_sys::secret::redact_jwts(message),
///     r#"no browser at "wss://h/cdp?jwt=[redacted]": gone"#,
/// );
/// ```
pub fn redact_jwts(text: &str) -> Cow<'_, str> {
    redact(text, |b| {
        matches!(b, b'&' | b'#' | b'"' | b'\'' | b'\\' | b'<' | b'>' | b'`')
            || b.is_ascii_whitespace()
    })
}

/// Replaces `jwt=` values (ending where `ends` says) and JWT-shaped runs.
fn redact(text: &str, ends: fn(u8) -> bool) -> Cow<'_, str> {
    let bytes = text.as_bytes();
    let mut out = String::new();
    // `text[..copied]` is in `out` (redacted) once anything was replaced.
    let mut copied = 0;
    let mut changed = false;
    let replace = |out: &mut String, from: usize, to: usize, copied: &mut usize| {
        out.push_str(&text[*copied..from]);
        out.push_str(REDACTED);
        *copied = to;
    };
    let mut i = 0;
    while i < bytes.len() {
        if let Some(marker) = jwt_key_at(bytes, i) {
            let start = i + marker;
            let mut stop = start;
            while stop < bytes.len() && !ends(bytes[stop]) {
                stop += 1;
            }
            // An empty value hides nothing; one that is already redacted
            // stays as it is.
            if stop > start && &text[start..stop] != REDACTED {
                replace(&mut out, start, stop, &mut copied);
                changed = true;
            }
            i = stop;
        } else if bytes[i..].starts_with(b"eyJ") && (i == 0 || !is_jwt_byte(bytes[i - 1])) {
            // `eyJ` is base64url for `{"`: the start of a JWT header.
            let mut stop = i;
            let mut dots = 0;
            while stop < bytes.len() && is_jwt_byte(bytes[stop]) {
                dots += usize::from(bytes[stop] == b'.');
                stop += 1;
            }
            if dots >= 2 {
                replace(&mut out, i, stop, &mut copied);
                changed = true;
            }
            i = stop;
        } else {
            i += 1;
        }
    }
    if !changed {
        return Cow::Borrowed(text);
    }
    out.push_str(&text[copied..]);
    Cow::Owned(out)
}

/// The length of a `jwt=` / `jwt%3D` key (any case) at `i`, if there is one.
fn jwt_key_at(bytes: &[u8], i: usize) -> Option<usize> {
    let rest = &bytes[i..];
    let starts =
        |key: &[u8]| rest.len() >= key.len() && rest[..key.len()].eq_ignore_ascii_case(key);
    if starts(b"jwt=") {
        Some(4)
    } else if starts(b"jwt%3d") {
        Some(6)
    } else {
        None
    }
}

/// The characters of a compact JWT: base64url and `.`.
fn is_jwt_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.')
}

#[cfg(test)]
mod tests {
    use super::{redact_jwts, JwtUrl};

    fn shown(url: &str) -> String {
        JwtUrl::from(url).to_string()
    }

    #[test]
    fn the_spec_examples_keep_everything_but_the_token() {
        assert_eq!(
            shown("wss://proxy.yul-upbeat-herschel.onkernel.com:8443/browser/cdp?jwt=eyJ0eXAi..."),
            "wss://proxy.yul-upbeat-herschel.onkernel.com:8443/browser/cdp?jwt=[redacted]"
        );
        assert_eq!(
            shown(
                "https://api.onkernel.com/browser/replays?jwt=eyJ0eXAi...&replay_id=7e2c1a9f-1234"
            ),
            "https://api.onkernel.com/browser/replays?jwt=[redacted]&replay_id=7e2c1a9f-1234"
        );
    }

    #[test]
    fn debug_is_the_redacted_string_quoted() {
        let url = JwtUrl::from("wss://h/cdp?jwt=SECRETJWT");
        assert_eq!(format!("{url:?}"), r#""wss://h/cdp?jwt=[redacted]""#);
        assert_eq!(format!("{url:#?}"), r#""wss://h/cdp?jwt=[redacted]""#);
        assert_eq!(url.expose(), "wss://h/cdp?jwt=SECRETJWT");
        assert_eq!(url.clone().into_inner(), "wss://h/cdp?jwt=SECRETJWT");
    }

    #[test]
    fn every_jwt_parameter_is_redacted_wherever_it_is() {
        let cases = [
            (
                "wss://h/p?a=1&jwt=S1&b=2",
                "wss://h/p?a=1&jwt=[redacted]&b=2",
            ),
            ("wss://h/p?JWT=S1", "wss://h/p?JWT=[redacted]"),
            ("wss://h/p#jwt=S1", "wss://h/p#jwt=[redacted]"),
            (
                "wss://h/p?jwt=S1#jwt=S2",
                "wss://h/p?jwt=[redacted]#jwt=[redacted]",
            ),
            (
                "wss://h/p?jwt=S1&jwt=S2",
                "wss://h/p?jwt=[redacted]&jwt=[redacted]",
            ),
            (
                "https://h/?next=wss%3A%2F%2Fx%3Fjwt%3DS1%26a%3D1",
                "https://h/?next=wss%3A%2F%2Fx%3Fjwt%3D[redacted]",
            ),
            ("wss://h/p?jwt=", "wss://h/p?jwt="),
            ("wss://h/p?jwt=&a=1", "wss://h/p?jwt=&a=1"),
        ];
        for (url, expected) in cases {
            assert_eq!(shown(url), expected, "{url}");
        }
    }

    #[test]
    fn jwt_shaped_segments_are_redacted() {
        let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl";
        assert_eq!(
            shown(&format!("wss://h/browser/{jwt}/cdp")),
            "wss://h/browser/[redacted]/cdp"
        );
        assert_eq!(
            shown(&format!("https://h/live?token={jwt}&x=1")),
            "https://h/live?token=[redacted]&x=1"
        );
        assert_eq!(
            shown(&format!("https://h/live#{jwt}")),
            "https://h/live#[redacted]"
        );
        // Not a JWT: no dots, or `eyJ` inside a longer word.
        for kept in [
            "https://h/eyJabc/x",
            "https://h/keyJa.b.c/x",
            "https://h/p?id=eyJ1",
        ] {
            assert_eq!(shown(kept), kept);
        }
    }

    #[test]
    fn a_value_that_is_not_a_url_is_kept_and_redacted_conservatively() {
        let cases = [
            ("not a url jwt=S1 S2", "not a url jwt=[redacted]"),
            ("jwt=S1", "jwt=[redacted]"),
            ("::::?jwt=S1/äöü?x", "::::?jwt=[redacted]"),
            ("", ""),
            ("äöü?jwt=S1&ü", "äöü?jwt=[redacted]&ü"),
            ("jwt=[redacted]", "jwt=[redacted]"),
        ];
        for (url, expected) in cases {
            assert_eq!(shown(url), expected, "{url}");
            // Parsing is infallible and keeps the value verbatim.
            let parsed: JwtUrl = url.parse().unwrap();
            assert_eq!(parsed.expose(), url);
        }
    }

    #[test]
    fn serde_is_the_plain_string() {
        let url: JwtUrl = serde_json::from_str(r#""wss://h/cdp?jwt=S1""#).unwrap();
        assert_eq!(url.expose(), "wss://h/cdp?jwt=S1");
        assert_eq!(
            serde_json::to_string(&url).unwrap(),
            r#""wss://h/cdp?jwt=S1""#
        );
        assert_eq!(url, JwtUrl::new("wss://h/cdp?jwt=S1"));
    }

    #[test]
    fn text_redaction_stops_at_what_a_url_cannot_contain() {
        let cases = [
            (
                r#"{"cdp_ws_url":"wss://h/cdp?jwt=S1","x":1}"#,
                r#"{"cdp_ws_url":"wss://h/cdp?jwt=[redacted]","x":1}"#,
            ),
            (
                r#"invalid type: string \"wss://h?jwt=S1\", expected u64"#,
                r#"invalid type: string \"wss://h?jwt=[redacted]\", expected u64"#,
            ),
            (
                "see <wss://h?jwt=S1> now",
                "see <wss://h?jwt=[redacted]> now",
            ),
            ("no token here", "no token here"),
        ];
        for (text, expected) in cases {
            assert_eq!(redact_jwts(text), expected, "{text}");
        }
    }
}
