//! What an attempt gets back ([`Answer`]), how a body is read whole
//! ([`Whole`]), and how answers go back to the generated client's hooks as
//! `reqwest` responses.

use super::body::read_whole;
use super::{Failed, Rejected};
use crate::error::{Captured, Error};
use bytes::Bytes;
use futures::future::Either;
use futures::TryFutureExt;
use reqwest::header::HeaderMap;
use reqwest::StatusCode;
use std::future::Future;

/// An answer as the hooks return it.
pub(super) fn hook_answer(result: Result<Answer, Failed>) -> reqwest::Result<reqwest::Response> {
    match result {
        Ok(answer) => Ok(answer.into_response()),
        Err(Failed::Reqwest(error)) => Err(error),
        Err(Failed::Status(rejected)) => {
            let Rejected { head, body, api } = *rejected;
            let mut response = head.with_body(body);
            response
                .extensions_mut()
                .insert(Captured::new(Error::Api(Box::new(api))));
            Ok(response)
        }
        Err(failed) => Ok(failure_response(failed.into_error())),
    }
}

/// What an attempt got: its body still open, or read whole within the
/// attempt (a success of a JSON call).
#[derive(Debug)]
pub(super) enum Answer {
    /// A body still to read.
    Open(reqwest::Response),
    /// A body read whole.
    Read(Whole),
}

impl Answer {
    pub(super) fn status(&self) -> StatusCode {
        match self {
            Answer::Open(response) => response.status(),
            Answer::Read(whole) => whole.response.status(),
        }
    }

    pub(super) fn headers(&self) -> &HeaderMap {
        match self {
            Answer::Open(response) => response.headers(),
            Answer::Read(whole) => whole.response.headers(),
        }
    }

    /// The answer read whole.
    pub(super) fn read(self) -> impl Future<Output = Result<Whole, Failed>> + Send {
        match self {
            Answer::Open(response) => Either::Left(read_open(response)),
            Answer::Read(whole) => Either::Right(std::future::ready(Ok(whole))),
        }
    }

    /// The answer as a `reqwest` response.
    pub(super) fn into_response(self) -> reqwest::Response {
        match self {
            Answer::Open(response) => response,
            Answer::Read(Whole { mut response, body }) => Head::take(&mut response).with_body(body),
        }
    }

    /// A VM's answer with the `jwt` of its URL redacted, so nothing that
    /// shows the response's URL shows the token.
    pub(super) fn hide_token(self) -> Self {
        match self {
            Answer::Open(mut response) => {
                let mut head = Head::take(&mut response);
                crate::error::redact_url(&mut head.url);
                let body = http::Response::<reqwest::Body>::from(response).into_body();
                Answer::Open(head.with_body(body))
            }
            Answer::Read(Whole { response, body }) => Answer::Read(Whole {
                response: Answer::Open(response).hide_token().into_response(),
                body,
            }),
        }
    }
}

/// Reads `response`'s body whole. Not an `async fn`, whose future would
/// hold the response twice (as its argument and as its local).
#[allow(clippy::manual_async_fn)]
fn read_open(
    mut response: reqwest::Response,
) -> impl Future<Output = Result<Whole, Failed>> + Send {
    async move {
        let body = read_whole(&mut response).await.map_err(Failed::reqwest)?;
        Ok(Whole { response, body })
    }
}

/// `result` with a success's body read whole.
pub(super) fn read_success(
    result: Result<Answer, Failed>,
) -> impl Future<Output = Result<Answer, Failed>> + Send {
    match result {
        Ok(Answer::Open(response)) if response.status().is_success() => {
            Either::Left(read_open(response).map_ok(Answer::Read))
        }
        other => Either::Right(std::future::ready(other)),
    }
}

/// A success read whole: the response (its body spent) and the body.
/// The response is kept whole, so nothing of its head is copied.
#[derive(Debug)]
pub(crate) struct Whole {
    response: reqwest::Response,
    body: Bytes,
}

impl Whole {
    /// Status, headers (moved out) and body.
    pub(crate) fn into_parts(mut self) -> (StatusCode, HeaderMap, Bytes) {
        let headers = std::mem::take(self.response.headers_mut());
        (self.response.status(), headers, self.body)
    }

    /// The body alone.
    pub(crate) fn into_body(self) -> Bytes {
        self.body
    }
}

/// A response that stands for a failure of ours (a timeout, a redirect not
/// followed, a body over the cap), for the hook interface, which can only
/// return reqwest's errors. Its status is not a success, so every caller
/// converts it with `Error::from`, which finds the error inside.
pub(super) fn failure_response(error: Error) -> reqwest::Response {
    let mut response = http::Response::new(reqwest::Body::from(Bytes::new()));
    *response.status_mut() = FAILURE_STATUS;
    response.extensions_mut().insert(Captured::new(error));
    reqwest::Response::from(response)
}

/// The status of [`failure_response`]: outside what HTTP servers send.
const FAILURE_STATUS: StatusCode = match StatusCode::from_u16(599) {
    Ok(status) => status,
    Err(_) => unreachable!(),
};

/// A response's head, taken out of it so its body can be read or wrapped
/// and the response rebuilt around it. Moving the headers and extensions
/// (rather than cloning them) and keeping the URL (rather than letting
/// reqwest parse a placeholder) keeps this cheap: it runs on every chunked
/// JSON answer (to guard its body), every error, and every answer of the
/// hooks.
#[derive(Debug)]
pub(super) struct Head {
    pub(super) status: StatusCode,
    version: http::Version,
    url: reqwest::Url,
    pub(super) headers: HeaderMap,
    extensions: http::Extensions,
}

impl Head {
    pub(super) fn take(response: &mut reqwest::Response) -> Self {
        Head {
            status: response.status(),
            version: response.version(),
            url: response.url().clone(),
            headers: std::mem::take(response.headers_mut()),
            extensions: std::mem::take(response.extensions_mut()),
        }
    }

    pub(super) fn with_body(self, body: impl Into<reqwest::Body>) -> reqwest::Response {
        use reqwest::ResponseBuilderExt;
        let mut rebuilt = http::Response::builder()
            .status(self.status)
            .version(self.version)
            .url(self.url)
            .body(body.into())
            .expect("a status, version and URL taken from a response are valid");
        *rebuilt.headers_mut() = self.headers;
        rebuilt.extensions_mut().extend(self.extensions);
        reqwest::Response::from(rebuilt)
    }
}
