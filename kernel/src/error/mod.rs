//! One error type for every call: [`Error`].

mod api;
mod body;
mod decode;
mod text;

pub use api::ApiError;
pub(crate) use body::{Idle, TooLarge};
pub use decode::DecodeError;
pub(crate) use text::{chain, redact_url};

use crate::sys::types;
use reqwest::StatusCode;
use std::fmt;
use text::write_redacted;

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
    /// The browser's DevTools connection failed, or a CDP command did
    /// ([`crate::cdp`]).
    #[cfg(feature = "cdp")]
    Cdp(Box<chromiumoxide::error::CdpError>),
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
            #[cfg(feature = "cdp")]
            Error::Cdp(e) => f.debug_tuple("Cdp").field(e).finish(),
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
            #[cfg(feature = "cdp")]
            Error::Cdp(e) => write!(f, "CDP error: {}", chain(e)),
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
            #[cfg(feature = "cdp")]
            Error::Cdp(e) => Some(e),
            _ => None,
        }
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::Io(e)
    }
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
    use reqwest::header::HeaderMap;

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
