//! Offset pagination: `limit`/`offset` query parameters and the
//! `X-Limit`, `X-Offset`, `X-Has-More`, `X-Next-Offset` response headers.

use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::QueryMap;

/// Default page size of every list endpoint.
pub(crate) const DEFAULT_LIMIT: usize = 20;
/// Largest accepted page size.
pub(crate) const MAX_LIMIT: usize = 100;

/// A requested page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Page {
    pub limit: usize,
    pub offset: usize,
}

impl Page {
    /// Reads `limit` (1..=100, default 20) and `offset` (>= 0, default 0).
    ///
    /// With `strict` (operations whose spec documents a `400`), a malformed
    /// or out-of-range value is a `400`; otherwise it is clamped or ignored,
    /// so the operation only answers the statuses its spec lists.
    pub fn parse(query: &QueryMap, strict: bool) -> ApiResult<Page> {
        let limit = match query.get("limit") {
            None => DEFAULT_LIMIT,
            Some(raw) => match raw.parse::<i64>() {
                Ok(n) if (1..=MAX_LIMIT as i64).contains(&n) => n as usize,
                Ok(n) if !strict => n.clamp(1, MAX_LIMIT as i64) as usize,
                _ if !strict => DEFAULT_LIMIT,
                _ => {
                    return Err(ApiError::bad_request(format!(
                        "limit: {raw:?} is not an integer between 1 and {MAX_LIMIT}"
                    )))
                }
            },
        };
        let offset = match query.get("offset") {
            None => 0,
            Some(raw) => match raw.parse::<i64>() {
                Ok(n) if n >= 0 => n as usize,
                _ if !strict => 0,
                _ => {
                    return Err(ApiError::bad_request(format!(
                        "offset: {raw:?} is not a non-negative integer"
                    )))
                }
            },
        };
        Ok(Page { limit, offset })
    }

    /// The items of this page and whether more follow.
    pub fn slice<T>(&self, items: Vec<T>) -> (Vec<T>, bool) {
        let total = items.len();
        let page: Vec<T> = items
            .into_iter()
            .skip(self.offset)
            .take(self.limit)
            .collect();
        let has_more = self.offset.saturating_add(page.len()) < total;
        (page, has_more)
    }

    /// The pagination headers for a page with `has_more`.
    pub fn headers(&self, has_more: bool) -> HeaderMap {
        let mut headers = HeaderMap::new();
        let mut set = |name: &'static str, value: String| {
            if let Ok(value) = HeaderValue::from_str(&value) {
                headers.insert(HeaderName::from_static(name), value);
            }
        };
        set("x-limit", self.limit.to_string());
        set("x-offset", self.offset.to_string());
        set("x-has-more", has_more.to_string());
        if has_more {
            set("x-next-offset", (self.offset + self.limit).to_string());
        }
        headers
    }
}

/// A `200` with a bare JSON array and the pagination headers.
pub(crate) fn paged_response(page: Page, items: Vec<Value>) -> Response {
    let (items, has_more) = page.slice(items);
    (
        StatusCode::OK,
        page.headers(has_more),
        axum::Json(Value::Array(items)),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn q(pairs: &[(&str, &str)]) -> QueryMap {
        QueryMap(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<HashMap<_, _>>(),
        )
    }

    #[test]
    fn parses_and_validates() {
        assert_eq!(
            Page::parse(&q(&[]), true).unwrap(),
            Page {
                limit: 20,
                offset: 0
            }
        );
        assert_eq!(
            Page::parse(&q(&[("limit", "5"), ("offset", "10")]), true).unwrap(),
            Page {
                limit: 5,
                offset: 10
            }
        );
        assert!(Page::parse(&q(&[("limit", "0")]), true).is_err());
        assert!(Page::parse(&q(&[("limit", "101")]), true).is_err());
        assert!(Page::parse(&q(&[("offset", "-1")]), true).is_err());
        assert!(Page::parse(&q(&[("limit", "x")]), true).is_err());
        assert_eq!(
            Page::parse(&q(&[("limit", "500"), ("offset", "-3")]), false).unwrap(),
            Page {
                limit: 100,
                offset: 0
            }
        );
    }

    #[test]
    fn slices_and_sets_headers() {
        let page = Page {
            limit: 2,
            offset: 1,
        };
        let (items, more) = page.slice(vec![1, 2, 3, 4]);
        assert_eq!(items, vec![2, 3]);
        assert!(more);
        let headers = page.headers(more);
        assert_eq!(headers["x-next-offset"], "3");
        assert_eq!(headers["x-has-more"], "true");
        let (items, more) = Page {
            limit: 2,
            offset: 2,
        }
        .slice(vec![1, 2, 3, 4]);
        assert_eq!(items, vec![3, 4]);
        assert!(!more);
        assert!(!Page {
            limit: 2,
            offset: 2
        }
        .headers(false)
        .contains_key("x-next-offset"));
    }
}
