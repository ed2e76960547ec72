//! The transport every request goes through, generated or hand-written:
//! default headers, time bounds, size caps, redirects, retries ([`retry`]),
//! error-body capture and a tracing span per request.
//!
//! Every call is bounded in time, by what kind of call it is ([`Kind`]):
//! - JSON calls: a total timeout per attempt (`KernelBuilder::timeout`).
//! - Event streams and downloads: the response head must arrive within the
//!   read timeout (`KernelBuilder::read_timeout`); then a download fails if
//!   no chunk arrives for that long, and a stream follows its own
//!   `StreamOptions::idle_timeout`.
//! - Uploads (a streamed request body): the head must arrive within the read
//!   timeout of the last chunk sent, so a large file on a slow link finishes
//!   but a server that stops reading does not hold the call forever.
//! - Error bodies: read for at most [`ERROR_BODY_DEADLINE`] and
//!   [`MAX_ERROR_BODY`] bytes; what arrived is kept.
//!
//! JSON answers are capped (`KernelBuilder::max_response_bytes`); downloads
//! and streams are not. Redirects are followed only within the origin of
//! the request (see [`redirect_policy`]); any other is returned as
//! [`Error::Redirect`], so a body or credentials never go to another host.
//!
//! Calls on a browser's routed subresources go to its VM ([`route`],
//! [`crate::routing`]): the request is rewritten before its first attempt,
//! and a stale route (401, 403 or 404 from the VM, or no connection) costs
//! one extra attempt through the API, outside the retry budget.

mod answer;
mod body;
mod failed;
pub(crate) mod route;

use crate::error::{ApiError, Error};
use crate::retry::{self, Quota, RetryPolicy, Verdict};
use answer::Head;
pub(crate) use answer::Whole;
use answer::{hook_answer, read_success, Answer};
use body::{guard, upload};
use failed::{Failed, Rejected};
use futures::future::Either;
use futures::{FutureExt, TryFutureExt};
use progenitor_client::OperationInfo;
use reqwest::header::{HeaderMap, HeaderName};
use reqwest::StatusCode;
use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, Instant};
use tracing::Instrument;

/// Largest error body kept in an [`ApiError`].
pub(crate) const MAX_ERROR_BODY: usize = 1 << 20;

/// Longest time spent reading an error body (at most the JSON timeout).
pub(crate) const ERROR_BODY_DEADLINE: Duration = Duration::from_secs(10);

/// Most redirects followed within one origin.
const MAX_REDIRECTS: usize = 5;

/// The time bounds and caps of every call.
#[derive(Clone, Debug)]
pub(crate) struct Limits {
    /// Total time of one attempt of a JSON call.
    pub(crate) timeout: Duration,
    /// Longest wait for a response head (streams, downloads, uploads) and
    /// between chunks of a transfer.
    pub(crate) read_timeout: Duration,
    /// Largest JSON (or error-free non-binary) response body.
    pub(crate) max_response_bytes: u64,
}

/// The transport every call goes through: the call layer's directly
/// ([`send_read`](Self::send_read), [`send_open`](Self::send_open)), the
/// generated client's through its hooks.
pub(crate) struct Transport {
    pub(crate) policy: RetryPolicy,
    pub(crate) limits: Limits,
    pub(crate) headers: HeaderMap,
    pub(crate) quota: Option<Quota>,
    pub(crate) router: route::Router,
}

/// How a call is bounded, from what `kernel_sys` knows of its operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// A JSON or empty answer: a total timeout per attempt, a size cap.
    Json,
    /// An event stream: a head timeout; the stream layer times out idle reads.
    Stream,
    /// A binary answer: a head timeout and an idle timeout between chunks.
    Download,
    /// A streamed request body: the head timeout counts from the last chunk
    /// sent; the answer is capped and has an idle timeout.
    Upload,
}

impl Transport {
    /// Sends `request` for `op` (`None`: a hand-built request, which goes
    /// by its method) and reads the answer whole: JSON and empty answers.
    /// Boxed, so a call's own future stays small.
    pub(crate) fn send_read<'a>(
        &'a self,
        client: &'a reqwest::Client,
        request: reqwest::Request,
        op: Option<&'static kernel_sys::Operation>,
    ) -> Pin<Box<dyn Future<Output = Result<Whole, Error>> + Send + 'a>> {
        let (run, span) = self.prepare(client, request, op, name_of(op));
        Box::pin(
            run.and_then(Answer::read)
                .map_err(Failed::into_error)
                .instrument(span),
        )
    }

    /// Sends `request` for `op`, the answer's body left to read: downloads.
    /// (Event streams connect through the hooks.)
    pub(crate) fn send_open<'a>(
        &'a self,
        client: &'a reqwest::Client,
        request: reqwest::Request,
        op: Option<&'static kernel_sys::Operation>,
    ) -> Pin<Box<dyn Future<Output = Result<reqwest::Response, Error>> + Send + 'a>> {
        let (run, span) = self.prepare(client, request, op, name_of(op));
        Box::pin(
            run.map_ok(Answer::into_response)
                .map_err(Failed::into_error)
                .instrument(span),
        )
    }

    /// [`run`](Self::run) with its kind and idempotency, and the span it
    /// runs in, named `name` (the operation's method name, or what the
    /// hooks were given).
    fn prepare<'a>(
        &'a self,
        client: &'a reqwest::Client,
        request: reqwest::Request,
        op: Option<&'static kernel_sys::Operation>,
        name: &str,
    ) -> (
        impl Future<Output = Result<Answer, Failed>> + Send + 'a,
        tracing::Span,
    ) {
        let span = tracing::info_span!(
            "kernel.request",
            otel.name = name,
            operation = name,
            method = %request.method(),
            path = op.map(|o| o.path).unwrap_or("?"),
            status = tracing::field::Empty,
            attempts = tracing::field::Empty,
            route = tracing::field::Empty,
            duration_ms = tracing::field::Empty,
        );
        let kind = match op {
            Some(o) if o.streaming => Kind::Stream,
            Some(o) if o.binary => Kind::Download,
            _ if request.body().is_some_and(|b| b.as_bytes().is_none()) => Kind::Upload,
            _ => Kind::Json,
        };
        // Hand-built requests (`Kernel::request`) go by their method.
        let idempotent = op.map_or_else(
            || retry::method_is_idempotent(request.method()),
            |o| o.idempotent,
        );
        (
            self.run(client, request, kind, idempotent, span.clone()),
            span,
        )
    }
}

/// A call's span name: its operation's method name.
fn name_of(op: Option<&'static kernel_sys::Operation>) -> &'static str {
    op.map_or("request", |o| o.method_name)
}

/// The hooks of the generated client (`Kernel::sys()`, event streams and
/// multipart uploads): the same transport, its answers turned back into
/// `reqwest` responses. An error of ours travels in a response's
/// extensions, which `Error::from` finds.
impl kernel_sys::Exec for Transport {
    fn exec<'a>(
        &'a self,
        client: &'a reqwest::Client,
        request: reqwest::Request,
        info: &'a OperationInfo,
    ) -> Pin<Box<dyn Future<Output = reqwest::Result<reqwest::Response>> + Send + 'a>> {
        let op = kernel_sys::operation(info.operation_id);
        let (run, span) = self.prepare(client, request, op, info.operation_id);
        Box::pin(run.map(hook_answer).instrument(span))
    }
}

impl Transport {
    /// One call: its attempts, retries, the route fallback and the answer.
    ///
    /// Not an `async fn`, whose future would hold its arguments twice: the
    /// request is prepared (headers, time bound, route) before the future
    /// is made.
    fn run<'a>(
        &'a self,
        client: &'a reqwest::Client,
        mut request: reqwest::Request,
        kind: Kind,
        idempotent: bool,
        span: tracing::Span,
    ) -> impl Future<Output = Result<Answer, Failed>> + Send + 'a {
        // A default header goes in only where the request has none of that
        // name. `HeaderMap` stores a name's values together, so `iter`
        // yields them one after another (its layout, not a documented
        // promise: the `x-multi` test in client_config guards it) and each
        // name is looked up once.
        let mut adding: Option<(&HeaderName, bool)> = None;
        for (name, value) in &self.headers {
            let add = match adding {
                Some((last, add)) if last == name => add,
                _ => !request.headers().contains_key(name),
            };
            adding = Some((name, add));
            if add {
                request.headers_mut().append(name, value.clone());
            }
        }
        let started = Instant::now();
        let forgets = self.router.forgets(&request);
        // Boxed: most calls are not direct, and the future holds two.
        let mut direct = self.router.divert(&mut request).map(Box::new);
        if direct.is_some() {
            span.record("route", "direct");
        }
        // Boxed: the future holds the copy across every attempt, and 256
        // bytes less keep it within the allocator's per-thread cache.
        let mut pending = Some(Box::new(request));
        async move {
            // A 404 from the VM drops its route only if the API does not answer
            // 404 as well (a missing file is no stale route).
            let mut unconfirmed: Option<Box<route::Direct>> = None;
            let mut fell_back = false;
            let mut attempt = 0u32;
            let mut spent = 0u32;
            loop {
                // In a block of its own, so the request is not kept in the
                // future across the attempt's await.
                let sent = {
                    let current = *pending.take().expect("a request for every attempt");
                    // Keep a copy for the next attempt while retries remain; a
                    // streamed body cannot be copied, so it gets one attempt.
                    pending = if attempt < self.policy.max_retries {
                        copy(&current).map(Box::new)
                    } else {
                        None
                    };
                    self.attempt(client, current, kind)
                };
                let mut result = sent.await;
                if direct.is_some() {
                    result = result.map(Answer::hide_token);
                    if let Some(stale) = route::Stale::of(&result) {
                        let mut used = direct.take().expect("a direct call");
                        let gateway = used.take_gateway();
                        if stale == route::Stale::NotFound && gateway.is_some() {
                            unconfirmed = Some(used);
                        } else {
                            self.router.drop_route(&used);
                        }
                        // The VM did not act (it refused, or nothing reached
                        // it): one more attempt, through the API, that is not a
                        // retry. A streamed body was spent: its error stands.
                        if let Some(gateway) = gateway {
                            tracing::info!(reason = %stale, "direct browser call failed; sending it through the API");
                            span.record("route", "fallback");
                            fell_back = true;
                            pending = Some(Box::new(gateway));
                            continue;
                        }
                    }
                }
                attempt += 1;
                let (wait, failure) = match &result {
                    Ok(response)
                        if response.status().is_success()
                            || response.status().is_informational() =>
                    {
                        (None, None)
                    }
                    Ok(response) => {
                        match retry::status_verdict(
                            idempotent,
                            response.status(),
                            response.headers(),
                        ) {
                            Verdict::Retry => {
                                (self.policy.wait_for(response.headers(), attempt - 1), None)
                            }
                            Verdict::Stop => (None, None),
                        }
                    }
                    Err(failed) => {
                        let failure = failed.failure();
                        match retry::failure_verdict(idempotent, failure) {
                            Verdict::Retry => {
                                (Some(self.policy.backoff(attempt - 1)), Some(failure))
                            }
                            Verdict::Stop => (None, Some(failure)),
                        }
                    }
                };
                let paid = match (wait, pending.is_some(), &self.quota) {
                    (Some(_), true, Some(quota)) => match quota.spend(failure) {
                        Some(cost) => Some(cost),
                        None => {
                            tracing::warn!(attempt, "retry quota exhausted: not retrying");
                            None
                        }
                    },
                    (Some(_), true, None) => Some(0),
                    _ => None,
                };
                if let (Some(wait), Some(cost)) = (wait, paid) {
                    spent += cost;
                    tracing::warn!(
                        attempt,
                        wait_ms = wait.as_millis() as u64,
                        status = result.as_ref().ok().map(|r| r.status().as_u16()),
                        error = result.as_ref().err().map(|e| e.failure_text()),
                        "retrying kernel request",
                    );
                    tokio::time::sleep(wait).await;
                    continue;
                }
                span.record("attempts", attempt + u32::from(fell_back));
                span.record("duration_ms", started.elapsed().as_millis() as u64);
                if let Some(used) = unconfirmed.take() {
                    if !matches!(&result, Ok(r) if r.status() == StatusCode::NOT_FOUND) {
                        self.router.drop_route(&used);
                    }
                }
                if let Ok(answer) = &result {
                    span.record("status", answer.status().as_u16());
                }
                let answer = match result {
                    Ok(answer) if answer.status().is_success() => {
                        if let Some(quota) = &self.quota {
                            quota.refill(spent);
                        }
                        if let Some(id) = &forgets {
                            self.router.routes().remove(id);
                        }
                        Ok(answer)
                    }
                    // Boxed: a rare path, kept out of every call's future.
                    Ok(answer) => Err(Box::pin(self.capture_error(answer)).await),
                    Err(failed) => Err(failed),
                };
                if let Err(failed) = &answer {
                    if !matches!(failed, Failed::Status(_)) {
                        tracing::debug!(error = %failed.failure_text(), "kernel request failed");
                    }
                }
                return answer;
            }
        }
    }

    /// One attempt: the response within its time bound, its body guarded.
    ///
    /// A JSON call's success is read whole here, inside the retry loop and
    /// within the attempt's total timeout, so a connection lost after the
    /// head is retried like one lost before it. The timeout is ours, not
    /// reqwest's per-request one, which puts a map in the request's
    /// extensions that every copy for a retry then copies.
    ///
    /// The request is handed to the client before the future is made, so
    /// the future holds reqwest's small one instead of the request; an
    /// upload's (rare, and larger) is boxed.
    fn attempt<'a>(
        &'a self,
        client: &'a reqwest::Client,
        request: reqwest::Request,
        kind: Kind,
    ) -> impl Future<Output = Result<Answer, Failed>> + Send + 'a {
        let read_timeout = self.limits.read_timeout;
        // For the timeout's error, which names what timed out.
        let url = (kind == Kind::Json).then(|| request.url().clone());
        let sent = match kind {
            Kind::Upload => Either::Right(Box::pin(upload(client, request, read_timeout))),
            _ => Either::Left(client.execute(request)),
        };
        async move {
            let response = match sent {
                Either::Left(sent) if kind == Kind::Json => {
                    let timeout = self.limits.timeout;
                    let whole = async {
                        let response = sent.await.map_err(Failed::reqwest)?;
                        read_success(self.check(response, kind)).await
                    };
                    return match tokio::time::timeout(timeout, whole).await {
                        Ok(answer) => answer,
                        Err(_) => {
                            let url = url.expect("a JSON attempt keeps its URL");
                            // A token may be in the query or in an id in the path.
                            let text = format!("no complete answer from {url} within {timeout:?}");
                            Err(Failed::Timeout(
                                kernel_sys::secret::redact_jwts(&text).into_owned(),
                            ))
                        }
                    };
                }
                Either::Left(sent) => match tokio::time::timeout(read_timeout, sent).await {
                    Ok(response) => response.map_err(Failed::reqwest)?,
                    Err(_) => {
                        return Err(Failed::Timeout(format!(
                            "no response within {read_timeout:?}"
                        )))
                    }
                },
                Either::Right(upload) => upload.await?,
            };
            self.check(response, kind)
        }
    }

    /// What an attempt's response is: a redirect not followed, an error
    /// status, or a success with its body guarded.
    fn check(&self, response: reqwest::Response, kind: Kind) -> Result<Answer, Failed> {
        let read_timeout = self.limits.read_timeout;
        let status = response.status();
        if status.is_redirection() {
            if let Some(location) = response.headers().get(reqwest::header::LOCATION) {
                let location = String::from_utf8_lossy(location.as_bytes());
                return Err(Failed::Redirect {
                    status,
                    location: kernel_sys::secret::redact_jwts(&location).into_owned(),
                });
            }
        }
        if !status.is_success() {
            return Ok(Answer::Open(response));
        }
        let cap = self.limits.max_response_bytes;
        let response = match kind {
            Kind::Stream => response,
            Kind::Download => guard(response, None, Some(read_timeout)),
            Kind::Upload => guard(response, Some(cap), Some(read_timeout)),
            Kind::Json => {
                // A declared length is checked before reading; hyper stops
                // at it, so only a chunked body needs counting.
                match response.content_length() {
                    Some(len) if len > cap => return Err(Failed::TooLarge(cap)),
                    Some(_) => response,
                    None => guard(response, Some(cap), None),
                }
            }
        };
        Ok(Answer::Open(response))
    }

    /// Reads the body of an error response (up to [`MAX_ERROR_BODY`], for
    /// at most [`ERROR_BODY_DEADLINE`]) into the [`ApiError`] it stands
    /// for. A body cut short by the deadline or the connection is kept as
    /// far as it arrived.
    async fn capture_error(&self, answer: Answer) -> Failed {
        // Only successes are read whole, so this is an open answer.
        let mut response = answer.into_response();
        let head = Head::take(&mut response);
        let body = self.error_body(response).await;
        let api = ApiError::new(head.status, head.headers.clone(), &body);
        tracing::debug!(
            status = head.status.as_u16(),
            code = api.code.as_deref(),
            "kernel error response"
        );
        Failed::Status(Box::new(Rejected { head, body, api }))
    }

    async fn error_body(&self, mut response: reqwest::Response) -> Vec<u8> {
        let deadline = tokio::time::Instant::now() + ERROR_BODY_DEADLINE.min(self.limits.timeout);
        let mut body = Vec::new();
        loop {
            match tokio::time::timeout_at(deadline, response.chunk()).await {
                Ok(Ok(Some(chunk))) => {
                    let room = MAX_ERROR_BODY.saturating_sub(body.len());
                    body.extend_from_slice(&chunk[..chunk.len().min(room)]);
                    if room <= chunk.len() {
                        break;
                    }
                }
                Ok(Ok(None)) => break,
                Ok(Err(error)) => {
                    tracing::debug!(error = %crate::error::chain(&error), "error body cut short");
                    break;
                }
                Err(_) => {
                    tracing::debug!("error body not complete within the deadline");
                    break;
                }
            }
        }
        body
    }
}

/// A copy of `request` for another attempt; `None` for a streamed body,
/// which cannot be sent twice. A request without a body or a timeout is
/// copied field by field: reqwest's `try_clone` gives every copy an
/// extension map (for a timeout) and then replaces it. Its extensions are
/// private, and a request built by a `RequestBuilder` or `Request::new`
/// (every request the transport gets) has none but the timeout.
pub(super) fn copy(request: &reqwest::Request) -> Option<reqwest::Request> {
    if request.body().is_some() || request.timeout().is_some() {
        return request.try_clone();
    }
    let mut copy = reqwest::Request::new(request.method().clone(), request.url().clone());
    *copy.headers_mut() = request.headers().clone();
    *copy.version_mut() = request.version();
    Some(copy)
}

/// The redirect rule of the client `kernel` builds: follow a redirect only
/// within the origin (scheme, host and port) of the request, at most
/// [`MAX_REDIRECTS`] times. Anything else stops, and the transport returns
/// it as [`Error::Redirect`]: a body (say, a credential's password) or the
/// API key never goes to another host.
pub(crate) fn redirect_policy() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        let same_origin = attempt
            .previous()
            .last()
            .is_some_and(|from| from.origin() == attempt.url().origin());
        if same_origin && attempt.previous().len() <= MAX_REDIRECTS {
            attempt.follow()
        } else {
            attempt.stop()
        }
    })
}
