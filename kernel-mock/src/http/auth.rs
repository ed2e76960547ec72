//! The bearer-token check every route runs first.

use axum::http::{header, HeaderMap};

use crate::http::error::ApiError;

/// Accepts `Authorization: Bearer <token>` (scheme case-insensitive) when
/// `accepts(token)`; anything else is a `401` with the spec's `Error` body.
pub(crate) fn check(headers: &HeaderMap, accepts: impl Fn(&str) -> bool) -> Result<(), ApiError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Err(ApiError::unauthorized(
            "missing Authorization header (expected `Bearer <api key>`)",
        ));
    };
    let value = value.to_str().unwrap_or("").trim();
    let token = match value.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => token.trim(),
        _ => {
            return Err(ApiError::unauthorized(
                "the Authorization header must use the Bearer scheme",
            ))
        }
    };
    if accepts(token) {
        Ok(())
    } else {
        Err(ApiError::unauthorized("invalid API key"))
    }
}

/// `true` when `token` is `key`, comparing in time independent of where they
/// differ.
pub(crate) fn same_key(token: &str, key: &str) -> bool {
    token.len() == key.len()
        && token
            .bytes()
            .zip(key.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(value: Option<&str>) -> HeaderMap {
        let mut h = HeaderMap::new();
        if let Some(v) = value {
            h.insert(header::AUTHORIZATION, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn bearer_check() {
        let k1 = |token: &str| same_key(token, "k1");
        assert!(check(&headers(Some("Bearer k1")), k1).is_ok());
        assert!(check(&headers(Some("bearer k1")), k1).is_ok());
        assert!(check(&headers(Some("Bearer k2")), k1).is_err());
        assert!(check(&headers(Some("Bearer k10")), k1).is_err());
        assert!(check(&headers(Some("Basic k1")), k1).is_err());
        assert!(check(&headers(Some("k1")), k1).is_err());
        assert!(check(&headers(None), k1).is_err());
        assert_eq!(check(&headers(None), k1).unwrap_err().code, "unauthorized");
    }
}
