//! Request extractors that answer malformed input with a `400` and the spec's
//! `Error` body instead of axum's plain-text rejections.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use serde::Deserialize;

use chrono::{DateTime, Utc};

use crate::http::error::{ApiError, ApiResult};

/// A required JSON body.
pub(crate) struct JsonBody<T>(pub T);

/// An optional JSON body: an empty body is `None`.
pub(crate) struct OptionalJsonBody<T>(pub Option<T>);

fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(bytes)
        .map_err(|e| ApiError::bad_request(format!("invalid JSON body: {e}")))
}

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|e| ApiError::bad_request(format!("cannot read the request body: {e}")))?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Err(ApiError::bad_request("a JSON request body is required"));
        }
        parse(&bytes).map(JsonBody)
    }
}

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for OptionalJsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|e| ApiError::bad_request(format!("cannot read the request body: {e}")))?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(OptionalJsonBody(None));
        }
        parse(&bytes).map(|v| OptionalJsonBody(Some(v)))
    }
}

/// The query string as a map (last value wins). Undecodable query strings
/// are treated as empty.
pub(crate) struct QueryMap(pub HashMap<String, String>);

impl<S: Send + Sync> FromRequestParts<S> for QueryMap {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or("");
        let map = serde_urlencoded_pairs(query);
        Ok(QueryMap(map))
    }
}

fn serde_urlencoded_pairs(query: &str) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        out.insert(percent_decode(k), percent_decode(v));
    }
    out
}

/// Decodes `application/x-www-form-urlencoded` text; invalid escapes are kept
/// verbatim.
pub(crate) fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl QueryMap {
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }

    /// A boolean query parameter; `strict` answers a malformed value with 400,
    /// otherwise it is ignored.
    pub fn bool(&self, key: &str, strict: bool) -> Result<Option<bool>, ApiError> {
        match self.get(key) {
            None => Ok(None),
            Some("true") | Some("1") => Ok(Some(true)),
            Some("false") | Some("0") => Ok(Some(false)),
            Some(other) if strict => Err(ApiError::bad_request(format!(
                "{key}: {other:?} is not a boolean"
            ))),
            Some(_) => Ok(None),
        }
    }
}

/// Deserializes a JSON integer, also accepting a float without fraction
/// (`600.0`), which JSON Schema counts as an integer.
pub(crate) fn int<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<i64, D::Error> {
    use serde::de::Error;
    let number = serde_json::Number::deserialize(deserializer)?;
    if let Some(i) = number.as_i64() {
        return Ok(i);
    }
    match number.as_f64() {
        Some(f) if f.fract() == 0.0 && f >= i64::MIN as f64 && f <= i64::MAX as f64 => Ok(f as i64),
        _ => Err(D::Error::custom(format!(
            "invalid type: {number} is not an integer"
        ))),
    }
}

/// [`int`] for an optional field (`null` or absent is `None`).
pub(crate) fn opt_int<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<i64>, D::Error> {
    #[derive(serde::Deserialize)]
    struct Wrap(#[serde(deserialize_with = "int")] i64);
    Option::<Wrap>::deserialize(deserializer).map(|w| w.map(|Wrap(i)| i))
}

/// Parses `since`: an RFC 3339 timestamp or a duration such as `30s`, `5m`,
/// `2h30m`.
pub(crate) fn parse_since(raw: &str) -> ApiResult<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(raw) {
        return Ok(t.with_timezone(&Utc));
    }
    let bad = || ApiError::bad_request(format!("since: {raw:?} is not a timestamp or duration"));
    if raw.is_empty() {
        return Err(bad());
    }
    let mut total = 0i64;
    let mut rest = raw;
    while !rest.is_empty() {
        let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        let n: i64 = rest[..digits].parse().map_err(|_| bad())?;
        let unit = match rest[digits..].chars().next() {
            Some('s') => 1,
            Some('m') => 60,
            Some('h') => 3600,
            Some('d') => 86_400,
            _ => return Err(bad()),
        };
        total = total.saturating_add(n.saturating_mul(unit));
        rest = &rest[digits + 1..];
    }
    Ok(Utc::now() - chrono::Duration::seconds(total.min(10 * 365 * 86_400)))
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::{parse_since, percent_decode};

    #[test]
    fn integers_may_have_a_zero_fraction() {
        #[derive(serde::Deserialize)]
        struct T {
            #[serde(default, deserialize_with = "super::opt_int")]
            n: Option<i64>,
        }
        let parse = |s: &str| serde_json::from_str::<T>(s).map(|t| t.n);
        assert_eq!(parse("{\"n\": 600}").unwrap(), Some(600));
        assert_eq!(parse("{\"n\": 600.0}").unwrap(), Some(600));
        assert_eq!(parse("{}").unwrap(), None);
        assert_eq!(parse("{\"n\": null}").unwrap(), None);
        assert!(parse("{\"n\": 1.5}").is_err());
        assert!(parse("{\"n\": \"1\"}").is_err());
    }

    #[test]
    fn decodes_form_encoding() {
        assert_eq!(percent_decode("a%20b+c"), "a b c");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz"), "%zz");
        assert_eq!(percent_decode("%C3%A9"), "é");
    }

    #[test]
    fn since_accepts_timestamps_and_durations() {
        assert!(parse_since("2025-01-01T00:00:00Z").is_ok());
        let five = parse_since("5m").unwrap();
        assert!((Utc::now() - five).num_seconds() >= 299);
        assert!(parse_since("2h30m").is_ok());
        for bad in ["", "5", "m", "5x", "yesterday"] {
            assert!(parse_since(bad).is_err(), "{bad}");
        }
    }
}
