//! The bearer-token check every route runs first.

use axum::http::{header, HeaderMap};

use crate::http::error::ApiError;

/// Accepts `Authorization: Bearer <api_key>` (scheme case-insensitive);
/// anything else is a `401` with the spec's `Error` body.
pub(crate) fn check(headers: &HeaderMap, api_key: &str) -> Result<(), ApiError> {
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
    if token.len() == api_key.len() && constant_time_eq(token.as_bytes(), api_key.as_bytes()) {
        Ok(())
    } else {
        Err(ApiError::unauthorized("invalid API key"))
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
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
        assert!(check(&headers(Some("Bearer k1")), "k1").is_ok());
        assert!(check(&headers(Some("bearer k1")), "k1").is_ok());
        assert!(check(&headers(Some("Bearer k2")), "k1").is_err());
        assert!(check(&headers(Some("Basic k1")), "k1").is_err());
        assert!(check(&headers(Some("k1")), "k1").is_err());
        assert!(check(&headers(None), "k1").is_err());
        assert_eq!(
            check(&headers(None), "k1").unwrap_err().code,
            "unauthorized"
        );
    }
}
