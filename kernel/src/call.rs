//! What every generated call builder shares: argument conversions, the
//! checks `send()` runs, the [`Response`] it returns, and the raw
//! [`Request`] for endpoints newer than the vendored spec.

use crate::download::{Download, Readiness};
use crate::error::{Error, Result};
use crate::sys::{ByteStream, ResponseValue};
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

    fn from_value(inner: ResponseValue<T>) -> Self {
        Self { inner }
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

type SysResult<T> = std::result::Result<ResponseValue<T>, progenitor_client::Error<()>>;

/// A success status the spec does not list for the operation (`201` where
/// it says `200`): the answer still counts. Anything else is an error.
fn unlisted_success(error: progenitor_client::Error<()>) -> Result<reqwest::Response> {
    match error {
        progenitor_client::Error::UnexpectedResponse(r) if r.status().is_success() => Ok(r),
        e => Err(e.into()),
    }
}

/// A JSON body. An unlisted 2xx whose body decodes as `T` is the same
/// success; one that does not is [`Error::Decode`] with the body kept, so
/// whatever the server created can still be found.
pub(crate) async fn json<T: DeserializeOwned>(result: SysResult<T>) -> Result<Response<T>> {
    match result {
        Ok(response) => Ok(Response::from_value(response)),
        Err(e) => {
            let response = unlisted_success(e)?;
            decode(response).await
        }
    }
}

/// Reads and decodes a body as `T`; whitespace alone reads as `null`.
async fn decode<T: DeserializeOwned>(response: reqwest::Response) -> Result<Response<T>> {
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.bytes().await.map_err(Error::from_reqwest)?;
    let body: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) {
        b"null"
    } else {
        &bytes
    };
    let value = serde_json::from_slice(body)
        .map_err(|e| Error::Decode(Box::new(crate::error::DecodeError::new(bytes.clone(), e))))?;
    Ok(Response::new(status, headers, value))
}

/// No body (any 2xx).
pub(crate) async fn empty(result: SysResult<()>) -> Result<Response<()>> {
    match result {
        Ok(response) => Ok(Response::from_value(response)),
        Err(e) => {
            let response = unlisted_success(e)?;
            Ok(Response::new(
                response.status(),
                response.headers().clone(),
                (),
            ))
        }
    }
}

/// A JSON body, or `None` on `204 No Content` (or another 2xx with an
/// empty body).
pub(crate) async fn optional<T: DeserializeOwned>(
    result: SysResult<T>,
) -> Result<Response<Option<T>>> {
    match result {
        Ok(response) => {
            let (status, headers, value) = Response::from_value(response).into_parts();
            Ok(Response::new(status, headers, Some(value)))
        }
        Err(e) => {
            let response = unlisted_success(e)?;
            let decoded: Response<Option<T>> = decode(response).await?;
            Ok(decoded)
        }
    }
}

/// A binary body (any 2xx), streamed.
pub(crate) async fn download(result: SysResult<ByteStream>) -> Result<Response<Download>> {
    streamed(result, |download| download)
}

/// A binary body (any 2xx) as `wrap` makes it, its headers copied once.
fn streamed<T>(
    result: SysResult<ByteStream>,
    wrap: impl FnOnce(Download) -> T,
) -> Result<Response<T>> {
    let response = match result {
        Ok(response) => response,
        Err(e) => ResponseValue::stream(unlisted_success(e)?),
    };
    let (status, headers) = (response.status(), response.headers().clone());
    Ok(Response::new(
        status,
        headers,
        wrap(Download::new(response)),
    ))
}

/// A binary body, or [`Readiness::NotReady`] on `202 Accepted`.
pub(crate) async fn readiness(
    result: SysResult<ByteStream>,
    kernel: &crate::Kernel,
) -> Result<Response<Readiness<Download>>> {
    match result {
        Err(progenitor_client::Error::UnexpectedResponse(r))
            if r.status() == StatusCode::ACCEPTED =>
        {
            let retry_after = kernel.retry_policy().retry_after(r.headers());
            Ok(Response::new(
                r.status(),
                r.headers().clone(),
                Readiness::NotReady { retry_after },
            ))
        }
        other => streamed(other, Readiness::Ready),
    }
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
        let response = self.kernel.execute(request).await?;
        if !response.status().is_success() {
            return Err(progenitor_client::Error::<()>::UnexpectedResponse(response).into());
        }
        decode(response).await
    }
}
