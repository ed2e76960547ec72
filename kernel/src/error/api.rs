//! A non-success response, with everything the server sent.

use super::text::write_redacted;
use crate::sys::secret::redact_jwts;
use crate::sys::types;
use reqwest::header::HeaderMap;
use reqwest::StatusCode;
use std::fmt;

/// A non-success response, with everything the server sent.
///
/// The texts meant to be shown (`code`, `message`, `details`,
/// `inner_error`) have any jwt token redacted, as [`JwtUrl`](crate::JwtUrl)
/// shows it, since they are printed and logged; `body` and
/// [`json`](Self::json) are the server's bytes, unredacted.
#[derive(Clone)]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// The machine-readable `code`, when the body has one.
    pub code: Option<String>,
    /// The `message`, or the raw body (trimmed) when it is not the `Error`
    /// shape, or the status text when it is empty.
    pub message: String,
    /// `details` as the `Error` schema has them.
    pub details: Vec<types::ErrorDetail>,
    /// `inner_error`.
    pub inner_error: Option<types::ErrorDetail>,
    /// The response headers.
    pub headers: HeaderMap,
    /// The raw body, as text (lossy for non-UTF-8 bytes). Not redacted.
    pub body: String,
    json: Option<serde_json::Value>,
}

impl ApiError {
    /// Builds the error from a status, headers and raw body. Any body is
    /// accepted: JSON in the `Error` shape is decoded, anything else is kept
    /// as text.
    pub fn new(status: StatusCode, headers: HeaderMap, body: &[u8]) -> Self {
        let text = String::from_utf8_lossy(body).into_owned();
        let json: Option<serde_json::Value> = serde_json::from_slice(body).ok();
        let field = |name: &str| json.as_ref().and_then(|j| j.get(name));
        let code = field("code").and_then(|c| c.as_str()).map(str::to_string);
        let message = field("message")
            .and_then(|m| m.as_str())
            .map(str::to_string)
            .or_else(|| (!text.trim().is_empty()).then(|| truncate(text.trim(), 500)))
            .unwrap_or_else(|| status.canonical_reason().unwrap_or("error").to_string());
        let details = field("details")
            .and_then(|d| serde_json::from_value::<Vec<types::ErrorDetail>>(d.clone()).ok())
            .unwrap_or_default();
        let inner_error: Option<types::ErrorDetail> =
            field("inner_error").and_then(|d| serde_json::from_value(d.clone()).ok());
        let shown = |text: String| redact_jwts(&text).into_owned();
        let detail = |d: types::ErrorDetail| types::ErrorDetail {
            code: d.code.map(shown),
            message: d.message.map(shown),
        };
        Self {
            status,
            code: code.map(shown),
            message: shown(message),
            details: details.into_iter().map(detail).collect(),
            inner_error: inner_error.map(detail),
            headers,
            body: text,
            json,
        }
    }

    /// The body as JSON, if it was JSON.
    pub fn json(&self) -> Option<&serde_json::Value> {
        self.json.as_ref()
    }

    /// The body as the spec's `ManagedAuthError` (with its code enum and
    /// `recoverable`), if it has that shape.
    pub fn managed_auth(&self) -> Option<types::ManagedAuthError> {
        serde_json::from_value(self.json.clone()?).ok()
    }

    /// For a 409 `already_exists` answer: the id of the existing resource.
    pub fn existing_id(&self) -> Option<&str> {
        self.json.as_ref()?.get("existing_id")?.as_str()
    }

    /// The 409 body of `POST /auth/connections`, typed.
    pub fn already_exists(&self) -> Option<types::PostAuthConnectionsStatus409> {
        if self.status != StatusCode::CONFLICT {
            return None;
        }
        serde_json::from_value(self.json.clone()?).ok()
    }

    /// The `x-request-id` header, for support requests.
    pub fn request_id(&self) -> Option<&str> {
        self.headers.get("x-request-id")?.to_str().ok()
    }
}

fn truncate(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The fields are public: redact again what may have been set since.
        write_redacted(f, |f| {
            write!(f, "{}", self.status)?;
            if let Some(code) = &self.code {
                write!(f, " {code}")?;
            }
            write!(f, ": {}", self.message)
        })
    }
}

impl fmt::Debug for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The request id is the server's text too.
        write_redacted(f, |f| {
            f.debug_struct("ApiError")
                .field("status", &self.status)
                .field("code", &self.code)
                .field("message", &self.message)
                .field("details", &self.details)
                .field("inner_error", &self.inner_error)
                .field("request_id", &self.request_id())
                .finish_non_exhaustive()
        })
    }
}
