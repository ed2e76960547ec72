//! What every generated call builder shares: argument conversions, the
//! checks `send()` runs, the [`Response`] it returns, and the raw
//! [`Request`] for endpoints newer than the vendored spec.

use crate::download::{Download, Readiness};
use crate::error::{Error, Result};
use crate::sys::ResponseValue;
use crate::transport::Whole;
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use std::fmt;

/// A value accepted where the spec expects an id: a path parameter or a
/// uuid field. Implemented for `&str`, `String`, `&String` and
/// [`Uuid`](uuid::Uuid) (owned or borrowed), so `browser.session_id`,
/// `&browser.session_id` and a spawned process's `process_id` all work.
pub trait IntoId {
    /// The id as it goes into the request.
    fn into_id(self) -> String;
}

impl IntoId for &str {
    fn into_id(self) -> String {
        self.to_string()
    }
}

impl IntoId for String {
    fn into_id(self) -> String {
        self
    }
}

impl IntoId for &String {
    fn into_id(self) -> String {
        self.clone()
    }
}

impl IntoId for uuid::Uuid {
    fn into_id(self) -> String {
        self.to_string()
    }
}

impl IntoId for &uuid::Uuid {
    fn into_id(self) -> String {
        self.to_string()
    }
}

/// What a builder checks before it sends: required values set, every value
/// valid. Problems are reported by `send()` as [`Error::InvalidRequest`],
/// naming the field, never as a panic.
#[derive(Clone, Debug)]
#[doc(hidden)]
pub struct Check {
    required: &'static [&'static str],
    /// Bit `i` set: `required[i]` has been given.
    given: u64,
    invalid: Option<String>,
}

impl Check {
    pub(crate) fn new(required: &'static [&'static str]) -> Self {
        Self {
            required,
            given: 0,
            invalid: None,
        }
    }

    pub(crate) fn set(&mut self, bit: usize) {
        self.given |= 1 << bit;
    }

    pub(crate) fn set_range(&mut self, bits: std::ops::Range<usize>) {
        for bit in bits {
            self.set(bit);
        }
    }

    /// Records the first invalid value.
    pub(crate) fn invalid(&mut self, field: &str, error: impl fmt::Display) {
        if self.invalid.is_none() {
            self.invalid = Some(format!("{field}: {error}"));
        }
    }

    pub(crate) fn result(&self) -> Result<()> {
        if let Some(invalid) = &self.invalid {
            return Err(Error::InvalidRequest(invalid.clone()));
        }
        match (0..self.required.len()).find(|bit| self.given & (1 << bit) == 0) {
            Some(bit) => Err(Error::InvalidRequest(format!(
                "{} is required",
                self.required[bit]
            ))),
            None => Ok(()),
        }
    }
}

/// A decoded response with its status and headers, from
/// `send_with_response()`. `send()` returns the value alone.
///
/// ```no_run
/// # async fn demo(kernel: kernel::Kernel) -> kernel::Result<()> {
/// let response = kernel.browsers().list().limit(10).send_with_response().await?;
/// println!("{} {:?}", response.status(), response.headers().get("x-has-more"));
/// let browsers = response.into_inner();
/// # Ok(()) }
/// ```
pub struct Response<T> {
    // The generated client's value, kept whole: its headers are not copied.
    inner: ResponseValue<T>,
}

impl<T: fmt::Debug> fmt::Debug for Response<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Response")
            .field("status", &self.status())
            .field("headers", self.headers())
            .field("value", self.value())
            .finish()
    }
}

impl<T> Response<T> {
    pub(crate) fn new(status: StatusCode, headers: HeaderMap, value: T) -> Self {
        Self {
            inner: ResponseValue::new(value, status, headers),
        }
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.inner.status()
    }

    /// The response headers.
    pub fn headers(&self) -> &HeaderMap {
        self.inner.headers()
    }

    /// The decoded body.
    pub fn value(&self) -> &T {
        &self.inner
    }

    /// The decoded body, owned.
    pub fn into_inner(self) -> T {
        self.inner.into_inner()
    }

    /// Status, headers and body.
    pub fn into_parts(self) -> (StatusCode, HeaderMap, T) {
        // The generated client's value gives its headers only by reference.
        let (status, headers) = (self.status(), self.headers().clone());
        (status, headers, self.into_inner())
    }
}

/// A body read whole, from the transport.
type Read = Result<Whole>;

/// A JSON body. Any 2xx whose body decodes as `T` is a success (`201`
/// where the spec says `200`); one that does not is [`Error::Decode`] with
/// the body kept, so whatever the server created can still be found.
/// Whitespace alone reads as `null`, so an `Option<T>` is `None` on
/// `204 No Content` (or another 2xx with an empty body).
pub(crate) fn json<T: DeserializeOwned>(read: Read) -> Result<Response<T>> {
    let (status, headers, body) = read?.into_parts();
    Ok(Response::new(status, headers, decode(body)?))
}

/// [`json`]'s value alone, for `send()`.
pub(crate) fn json_value<T: DeserializeOwned>(read: Read) -> Result<T> {
    decode(read?.into_body())
}

fn decode<T: DeserializeOwned>(body: bytes::Bytes) -> Result<T> {
    let text: &[u8] = if body.iter().all(u8::is_ascii_whitespace) {
        b"null"
    } else {
        &body
    };
    match serde_json::from_slice(text) {
        Ok(value) => Ok(value),
        Err(e) => Err(Error::Decode(Box::new(crate::error::DecodeError::new(
            body, e,
        )))),
    }
}

/// An answer through the generated client's hooks (the multipart
/// uploads, which `kernel_sys` writes by hand).
pub(crate) fn sys<T>(
    result: std::result::Result<ResponseValue<T>, progenitor_client::Error<()>>,
) -> Result<Response<T>> {
    Ok(Response { inner: result? })
}

/// No body (any 2xx; a body is ignored).
pub(crate) fn empty(read: Read) -> Result<Response<()>> {
    let (status, headers, _) = read?.into_parts();
    Ok(Response::new(status, headers, ()))
}

/// A binary body (any 2xx), streamed.
pub(crate) fn download(open: Result<reqwest::Response>) -> Result<Response<Download>> {
    streamed(open?, |download| download)
}

/// A binary body (any 2xx) as `wrap` makes it, its headers copied once.
fn streamed<T>(
    response: reqwest::Response,
    wrap: impl FnOnce(Download) -> T,
) -> Result<Response<T>> {
    let (status, headers) = (response.status(), response.headers().clone());
    Ok(Response::new(
        status,
        headers,
        wrap(Download::new(ResponseValue::stream(response))),
    ))
}

/// A binary body, or [`Readiness::NotReady`] on `202 Accepted`.
pub(crate) fn readiness(
    open: Result<reqwest::Response>,
    kernel: &crate::Kernel,
) -> Result<Response<Readiness<Download>>> {
    let response = open?;
    if response.status() == StatusCode::ACCEPTED {
        let retry_after = kernel.retry_policy().retry_after(response.headers());
        let (status, headers) = (response.status(), response.headers().clone());
        return Ok(Response::new(
            status,
            headers,
            Readiness::NotReady { retry_after },
        ));
    }
    streamed(response, Readiness::Ready)
}

/// A request to any path, for endpoints newer than the vendored spec, sent
/// through the same transport as every generated call: the API key,
/// retries, timeouts, tracing and [`Error`]s. From [`Kernel::request`](crate::Kernel::request).
///
/// ```no_run
/// # async fn demo(kernel: kernel::Kernel) -> kernel::Result<()> {
/// let limits: serde_json::Value = kernel
///     .request(reqwest::Method::GET, "/org/limits")
///     .send()
///     .await?;
/// # Ok(()) }
/// ```
#[must_use = "a request does nothing until `.send().await`"]
#[derive(Debug)]
pub struct Request<'a> {
    kernel: &'a crate::Kernel,
    method: Method,
    path: String,
    query: Vec<(String, String)>,
    body: Option<std::result::Result<Vec<u8>, String>>,
}

impl<'a> Request<'a> {
    pub(crate) fn new(kernel: &'a crate::Kernel, method: Method, path: impl Into<String>) -> Self {
        Self {
            kernel,
            method,
            path: path.into(),
            query: Vec::new(),
            body: None,
        }
    }

    /// Adds a query parameter.
    pub fn query(mut self, name: impl Into<String>, value: impl ToString) -> Self {
        self.query.push((name.into(), value.to_string()));
        self
    }

    /// Sends `body` as JSON.
    pub fn json(mut self, body: &impl serde::Serialize) -> Self {
        self.body = Some(serde_json::to_vec(body).map_err(|e| e.to_string()));
        self
    }

    /// Sends the request and decodes the body as `T` (`serde_json::Value`
    /// for anything; `()` for an empty body).
    pub async fn send<T: DeserializeOwned>(self) -> Result<T> {
        self.send_with_response().await.map(Response::into_inner)
    }

    /// Like [`send`](Self::send), with the status and headers.
    pub async fn send_with_response<T: DeserializeOwned>(self) -> Result<Response<T>> {
        let path = self.path.trim_start_matches('/');
        let url = format!("{}/{path}", self.kernel.base_url().trim_end_matches('/'));
        let mut url = reqwest::Url::parse(&url)
            .map_err(|e| Error::InvalidRequest(format!("invalid path {path:?}: {e}")))?;
        if !self.query.is_empty() {
            url.query_pairs_mut().extend_pairs(&self.query);
        }
        let mut request = reqwest::Request::new(self.method, url);
        request.headers_mut().insert(
            reqwest::header::ACCEPT,
            reqwest::header::HeaderValue::from_static("application/json"),
        );
        if let Some(body) = self.body {
            let body = body.map_err(Error::InvalidRequest)?;
            request.headers_mut().insert(
                reqwest::header::CONTENT_TYPE,
                reqwest::header::HeaderValue::from_static("application/json"),
            );
            *request.body_mut() = Some(body.into());
        }
        json(self.kernel.send_read(request, None).await)
    }
}
