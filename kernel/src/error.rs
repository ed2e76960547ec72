//! One error type for every call: [`Error`].

use crate::sys::secret::redact_jwts;
use crate::sys::types;
use crate::transport::{Idle, TooLarge};
use reqwest::header::HeaderMap;
use reqwest::StatusCode;
use std::fmt;

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong talking to Kernel.
///
/// `Display` and `Debug` never show a browser's token: a URL's `jwt=` value
/// (and anything shaped like a JWT) quoted by a response body, a serde
/// message or a connection error is shown as `[redacted]`.
///
/// ```
/// # async fn demo(kernel: kernel::Kernel) {
/// match kernel.browsers().get("missing").send().await.map_err(kernel::Error::from) {
///     Ok(browser) => println!("{}", browser.session_id),
///     Err(e) if e.is_not_found() => println!("no such browser"),
///     Err(kernel::Error::Api(api)) => println!("{} {:?}: {}", api.status, api.code, api.message),
///     Err(other) => println!("{other}"),
/// }
/// # }
/// ```
#[non_exhaustive]
pub enum Error {
    /// The server answered with a non-success status.
    Api(Box<ApiError>),
    /// A request or stream timed out (total or idle).
    Timeout(String),
    /// Connecting, sending or receiving failed.
    Connection(reqwest::Error),
    /// The response body does not match the expected type.
    Decode(Box<DecodeError>),
    /// The request could not be built (a missing or invalid parameter).
    InvalidRequest(String),
    /// The client is misconfigured (e.g. no API key).
    Config(String),
    /// The server broke the API's protocol (e.g. `X-Has-More: true` without
    /// `X-Next-Offset`, or a malformed event stream).
    Protocol(String),
    /// A local I/O error (e.g. while saving a download).
    Io(std::io::Error),
    /// An `error` event on an event stream.
    Event(Box<types::ErrorEvent>),
    /// A response body over the cap (`KernelBuilder::max_response_bytes`);
    /// downloads and event streams have none.
    TooLarge {
        /// The cap, in bytes.
        limit: u64,
    },
    /// A redirect that was not followed: to another origin (a body or
    /// credentials never go there), or past the redirect limit.
    Redirect {
        /// The redirect status (301, 302, 303, 307, 308).
        status: StatusCode,
        /// The `Location` it pointed to, with the value of a `jwt` in it
        /// redacted.
        location: String,
    },
}

impl Error {
    /// The HTTP status, for [`Error::Api`].
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Error::Api(api) => Some(api.status),
            _ => None,
        }
    }

    /// The API error, if this is one.
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            Error::Api(api) => Some(api),
            _ => None,
        }
    }

    /// 404 Not Found.
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(StatusCode::NOT_FOUND)
    }

    /// 429 Too Many Requests.
    pub fn is_rate_limited(&self) -> bool {
        self.status() == Some(StatusCode::TOO_MANY_REQUESTS)
    }

    /// 409 Conflict (Kernel uses it for "already exists").
    pub fn is_conflict(&self) -> bool {
        self.status() == Some(StatusCode::CONFLICT)
    }

    /// 401 Unauthorized or 403 Forbidden.
    pub fn is_auth(&self) -> bool {
        matches!(
            self.status(),
            Some(StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN)
        )
    }

    /// A timeout.
    pub fn is_timeout(&self) -> bool {
        matches!(self, Error::Timeout(_))
    }

    /// Sorts a reqwest error by its cause: our own time bounds and caps
    /// (found in its source chain), a malformed response, a timeout, or a
    /// connection error. A `jwt` in its URL is redacted.
    pub(crate) fn from_reqwest(mut e: reqwest::Error) -> Self {
        if let Some(url) = e.url_mut() {
            redact_url(url);
        }
        if let Some(cap) = find::<TooLarge>(&e) {
            return Error::TooLarge { limit: cap.limit };
        }
        if find::<Idle>(&e).is_some() || e.is_timeout() {
            return Error::Timeout(chain(&e));
        }
        // A head too large or not HTTP at all: the chain's last link says
        // which ("message head is too large").
        if let Some(hyper) = find::<hyper::Error>(&e).filter(|h| h.is_parse()) {
            return Error::Protocol(format!("malformed response: {}", chain(hyper)));
        }
        if e.is_builder() || e.is_request() && e.url().is_none() {
            Error::InvalidRequest(chain(&e))
        } else {
            Error::Connection(e)
        }
    }
}

/// The first error of type `T` in `e`'s source chain.
fn find<T: std::error::Error + 'static>(e: &reqwest::Error) -> Option<&T> {
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(error) = current {
        if let Some(found) = error.downcast_ref::<T>() {
            return Some(found);
        }
        current = error.source();
    }
    None
}

/// Whether retrying would meet the same answer: a body over the cap, a
/// malformed response, too many redirects.
pub(crate) fn is_final(e: &reqwest::Error) -> bool {
    find::<TooLarge>(e).is_some()
        || find::<hyper::Error>(e).is_some_and(|h| h.is_parse())
        || e.is_redirect()
}

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

const REDACTED: &str = "[redacted]";

/// Formats with a closure, so [`write_redacted`] can format to a string.
struct With<F>(F);

impl<F: Fn(&mut fmt::Formatter<'_>) -> fmt::Result> fmt::Display for With<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        (self.0)(f)
    }
}

/// Writes what `inner` formats with every jwt token redacted: an error's
/// text may quote a URL from a response body, a serde message or a request.
fn write_redacted(
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

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_redacted(f, |f| match self {
            Error::Api(e) => f.debug_tuple("Api").field(e).finish(),
            Error::Timeout(e) => f.debug_tuple("Timeout").field(e).finish(),
            Error::Connection(e) => f.debug_tuple("Connection").field(e).finish(),
            Error::Decode(e) => f.debug_tuple("Decode").field(e).finish(),
            Error::InvalidRequest(e) => f.debug_tuple("InvalidRequest").field(e).finish(),
            Error::Config(e) => f.debug_tuple("Config").field(e).finish(),
            Error::Protocol(e) => f.debug_tuple("Protocol").field(e).finish(),
            Error::Io(e) => f.debug_tuple("Io").field(e).finish(),
            Error::Event(e) => f.debug_tuple("Event").field(e).finish(),
            Error::TooLarge { limit } => f.debug_struct("TooLarge").field("limit", limit).finish(),
            Error::Redirect { status, location } => f
                .debug_struct("Redirect")
                .field("status", status)
                .field("location", location)
                .finish(),
        })
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_redacted(f, |f| self.fmt_plain(f))
    }
}

impl Error {
    fn fmt_plain(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Api(api) => fmt::Display::fmt(api, f),
            Error::Timeout(what) => write!(f, "timed out: {what}"),
            Error::Connection(e) => write!(f, "connection error: {}", chain(e)),
            Error::Decode(d) => fmt::Display::fmt(d, f),
            Error::InvalidRequest(what) => write!(f, "invalid request: {what}"),
            Error::Config(what) => write!(f, "configuration error: {what}"),
            Error::Protocol(what) => write!(f, "protocol error: {what}"),
            Error::Io(e) => write!(f, "I/O error: {e}"),
            Error::Event(event) => write!(
                f,
                "error event: {}: {}",
                event.error.code, event.error.message
            ),
            Error::TooLarge { limit } => write!(
                f,
                "response too large: over the {limit}-byte cap (KernelBuilder::max_response_bytes)"
            ),
            Error::Redirect { status, location } => write!(
                f,
                "redirect not followed: {status} to {location} (another origin, or too many redirects)"
            ),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Connection(e) => Some(e),
            Error::Decode(d) => Some(&d.source),
            Error::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::Io(e)
    }
}

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

/// A body that does not match the expected type. `Debug` shows the body's
/// length, not its content (it may hold secrets); `Display` and `Debug`
/// redact any jwt token the serde message quotes from it.
pub struct DecodeError {
    /// The raw body.
    pub body: bytes::Bytes,
    /// Where in the body decoding failed, e.g. `$.items[3].flow_step`.
    pub path: String,
    /// The serde error.
    pub source: serde_json::Error,
}

impl fmt::Debug for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_redacted(f, |f| {
            f.debug_struct("DecodeError")
                .field("body", &format_args!("<{} bytes>", self.body.len()))
                .field("path", &self.path)
                .field("source", &self.source)
                .finish()
        })
    }
}

impl DecodeError {
    /// Builds the error, locating the failing JSON path from the serde
    /// error's line and column.
    pub fn new(body: bytes::Bytes, source: serde_json::Error) -> Self {
        let path = json_path_at(&body, source.line(), source.column());
        Self { body, path, source }
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // serde quotes the offending value: `invalid type: string "…"`.
        write_redacted(f, |f| {
            write!(
                f,
                "cannot decode response at {}: {}",
                self.path, self.source
            )
        })
    }
}

/// The JSON path (`$.a[2].b`) of the value at `line`:`column` (1-based, as
/// serde_json reports) in `body`; `$` when it cannot be told.
pub(crate) fn json_path_at(body: &[u8], line: usize, column: usize) -> String {
    // Byte offset of line:column.
    let mut offset = 0;
    let mut current = 1;
    while current < line && offset < body.len() {
        if body[offset] == b'\n' {
            current += 1;
        }
        offset += 1;
    }
    let end = (offset + column).min(body.len());
    // Scan up to `end`, keeping a stack of containers with the current key or
    // index.
    enum Frame {
        Object(Option<String>),
        Array(usize),
    }
    let mut stack: Vec<Frame> = Vec::new();
    let mut i = 0;
    let mut expecting_key = false;
    while i < end {
        match body[i] {
            b'{' => {
                stack.push(Frame::Object(None));
                expecting_key = true;
            }
            b'[' => {
                stack.push(Frame::Array(0));
                expecting_key = false;
            }
            b'}' | b']' => {
                stack.pop();
            }
            b',' => match stack.last_mut() {
                Some(Frame::Array(n)) => *n += 1,
                Some(Frame::Object(key)) => {
                    *key = None;
                    expecting_key = true;
                }
                None => {}
            },
            b'"' => {
                let start = i + 1;
                i += 1;
                while i < body.len() && body[i] != b'"' {
                    if body[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
                if expecting_key {
                    if let Some(Frame::Object(key)) = stack.last_mut() {
                        *key = Some(
                            String::from_utf8_lossy(&body[start..i.min(body.len())]).into_owned(),
                        );
                    }
                    expecting_key = false;
                }
            }
            _ => {}
        }
        i += 1;
    }
    let mut path = String::from("$");
    for frame in &stack {
        match frame {
            Frame::Object(Some(key)) => {
                path.push('.');
                path.push_str(key);
            }
            Frame::Object(None) => {}
            Frame::Array(n) => path.push_str(&format!("[{n}]")),
        }
    }
    path
}

impl From<progenitor_client::Error<()>> for Error {
    fn from(e: progenitor_client::Error<()>) -> Self {
        use progenitor_client::Error as E;
        match e {
            E::InvalidRequest(what) => Error::InvalidRequest(what),
            E::CommunicationError(e) | E::ResponseBodyError(e) => Error::from_reqwest(e),
            E::InvalidUpgrade(e) => Error::from_reqwest(e),
            E::InvalidResponsePayload(body, source) => {
                Error::Decode(Box::new(DecodeError::new(body, source)))
            }
            E::ErrorResponse(rv) => Error::Api(Box::new(ApiError::new(
                rv.status(),
                rv.headers().clone(),
                b"",
            ))),
            E::UnexpectedResponse(response) => {
                // The transport captured the body of every non-2xx response,
                // and put its own failures in responses of their own.
                match response
                    .extensions()
                    .get::<Captured>()
                    .and_then(Captured::take)
                {
                    Some(error) => error,
                    None => Error::Api(Box::new(ApiError::new(
                        response.status(),
                        response.headers().clone(),
                        b"",
                    ))),
                }
            }
            E::Custom(what) => Error::InvalidRequest(what),
        }
    }
}

/// Stored in a response's extensions by the transport: the error the
/// response stands for, taken once by the conversion to [`Error`].
/// (Extensions must be `Clone`; clones share the one error.)
#[derive(Clone)]
pub(crate) struct Captured(std::sync::Arc<std::sync::Mutex<Option<Error>>>);

impl Captured {
    pub(crate) fn new(error: Error) -> Self {
        Self(std::sync::Arc::new(std::sync::Mutex::new(Some(error))))
    }

    fn take(&self) -> Option<Error> {
        self.0.lock().ok()?.take()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_error_accepts_any_body() {
        let json = ApiError::new(
            StatusCode::NOT_FOUND,
            HeaderMap::new(),
            br#"{"code":"not_found","message":"no browser","details":[{"code":"x","message":"y"}],"inner_error":{"code":"z"}}"#,
        );
        assert_eq!(json.code.as_deref(), Some("not_found"));
        assert_eq!(json.message, "no browser");
        assert_eq!(json.details.len(), 1);
        assert_eq!(
            json.inner_error.as_ref().and_then(|d| d.code.as_deref()),
            Some("z")
        );

        let text = ApiError::new(
            StatusCode::BAD_GATEWAY,
            HeaderMap::new(),
            b"<html>bad gateway</html>",
        );
        assert_eq!(text.code, None);
        assert_eq!(text.message, "<html>bad gateway</html>");

        let empty = ApiError::new(StatusCode::SERVICE_UNAVAILABLE, HeaderMap::new(), b"");
        assert_eq!(empty.message, "Service Unavailable");

        let wrong_shape = ApiError::new(
            StatusCode::BAD_REQUEST,
            HeaderMap::new(),
            br#"{"code":5,"details":"text"}"#,
        );
        assert_eq!(wrong_shape.code, None);
        assert!(wrong_shape.details.is_empty());
        assert_eq!(wrong_shape.message, r#"{"code":5,"details":"text"}"#);

        let binary = ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            HeaderMap::new(),
            &[0xff, 0xfe, 0x00],
        );
        assert_eq!(binary.status, StatusCode::INTERNAL_SERVER_ERROR);
    }

    #[test]
    fn conflict_exposes_existing_id() {
        let e = ApiError::new(
            StatusCode::CONFLICT,
            HeaderMap::new(),
            br#"{"code":"already_exists","message":"exists","existing_id":"conn_1"}"#,
        );
        assert_eq!(e.existing_id(), Some("conn_1"));
        assert_eq!(
            e.already_exists().map(|b| b.existing_id),
            Some("conn_1".to_string())
        );
    }

    #[test]
    fn managed_auth_error_is_typed() {
        let e = ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            HeaderMap::new(),
            br#"{"code":"website_error","message":"Incorrect password","recoverable":true}"#,
        );
        let typed = e.managed_auth().unwrap();
        assert_eq!(typed.recoverable, Some(true));
        assert_eq!(typed.code.as_str(), "website_error");
        assert!(!typed.code.is_unknown());
    }

    #[test]
    fn decode_path_points_at_the_failing_value() {
        let body = br#"{"items":[{"a":1},{"a":"x"}]}"#;
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct Item {
            a: u32,
        }
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct Page {
            items: Vec<Item>,
        }
        let err = serde_json::from_slice::<Page>(body).unwrap_err();
        let d = DecodeError::new(bytes::Bytes::from_static(body), err);
        assert_eq!(d.path, "$.items[1].a");
    }
}
