//! Retries and the transport every request goes through.
//!
//! One policy for every call, generated or hand-written: retry connection
//! errors, timeouts, 408, 429 and 5xx with exponential backoff and jitter,
//! honouring `Retry-After` / `retry-after-ms`. Two rules go further than the
//! official SDKs:
//! - 409 is never retried (Kernel uses it for "already exists");
//! - a non-idempotent request (POST, PATCH) is resent only when it cannot
//!   have reached the server (connect error), or the server says so (429,
//!   503, `x-should-retry: true`). A POST that timed out is not resent, so it
//!   cannot create two browsers.
//!
//! While a retry remains, an idempotent JSON call (GET, PUT, DELETE) reads
//! its body inside the retry loop, so a connection lost halfway through the
//! body is retried like one lost before the headers.

use crate::error::{ApiError, CapturedError};
use progenitor_client::OperationInfo;
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, Instant, SystemTime};
use tracing::Instrument;

/// When and how long to wait before retrying.
#[derive(Clone, Debug, PartialEq)]
pub struct RetryPolicy {
    /// Retries after the first attempt (default 2).
    pub max_retries: u32,
    /// First backoff (default 0.5 s); doubles each retry.
    pub initial_backoff: Duration,
    /// Largest computed backoff (default 8 s).
    pub max_backoff: Duration,
    /// Largest server-requested wait (`Retry-After`), default 60 s. Longer
    /// requests are not waited for: the error is returned instead.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 2,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(8),
            max_retry_after: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// No retries.
    pub fn none() -> Self {
        Self {
            max_retries: 0,
            ..Self::default()
        }
    }

    /// Backoff before retry `n` (0-based): `min(initial·2^n, max)` minus up to
    /// 25 % jitter, so clients that failed together do not retry together.
    pub fn backoff(&self, n: u32) -> Duration {
        let base = self
            .initial_backoff
            .saturating_mul(2u32.saturating_pow(n))
            .min(self.max_backoff);
        let jitter = 1.0 - 0.25 * random_unit();
        base.mul_f64(jitter)
    }

    /// The wait the server asked for: `retry-after-ms`, then `Retry-After` in
    /// seconds or as an HTTP date. `None` if absent, unparsable or above
    /// [`max_retry_after`](Self::max_retry_after).
    pub fn retry_after(&self, headers: &HeaderMap) -> Option<Duration> {
        requested_wait(headers).filter(|wait| *wait <= self.max_retry_after)
    }

    /// The wait before retrying a retryable response: what the server asked
    /// for, or the backoff when it did not say; `None` when it asked for
    /// longer than [`max_retry_after`](Self::max_retry_after), so the error
    /// is returned rather than waited for.
    fn wait_for(&self, headers: &HeaderMap, retry: u32) -> Option<Duration> {
        match requested_wait(headers) {
            Some(wait) if wait > self.max_retry_after => None,
            Some(wait) => Some(wait),
            None => Some(self.backoff(retry)),
        }
    }
}

/// The wait a response asks for, uncapped: `retry-after-ms`, then
/// `Retry-After` in seconds or as an HTTP date.
fn requested_wait(headers: &HeaderMap) -> Option<Duration> {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    if let Some(ms) = header("retry-after-ms").and_then(|v| v.parse::<f64>().ok()) {
        return Duration::try_from_secs_f64(ms / 1000.0).ok();
    }
    let value = header("retry-after")?;
    match value.parse::<f64>() {
        Ok(secs) => Duration::try_from_secs_f64(secs).ok(),
        Err(_) => Some(
            httpdate_to_system_time(value)?
                .duration_since(SystemTime::now())
                .unwrap_or(Duration::ZERO),
        ),
    }
}

/// Why a failed attempt is (or is not) retried.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    Retry,
    Stop,
}

/// Whether a response status may be retried for this method.
pub(crate) fn status_verdict(method: &Method, status: StatusCode, headers: &HeaderMap) -> Verdict {
    // 409 means "already exists": never retried, whatever the server says.
    if status == StatusCode::CONFLICT {
        return Verdict::Stop;
    }
    match headers.get("x-should-retry").and_then(|v| v.to_str().ok()) {
        Some("true") => return Verdict::Retry,
        Some("false") => return Verdict::Stop,
        _ => {}
    }
    let retryable = matches!(status.as_u16(), 408 | 429) || status.is_server_error();
    if !retryable || status == StatusCode::CONFLICT {
        return Verdict::Stop;
    }
    // The server did not act on a 429 or 503; anything else may have.
    let server_rejected = matches!(
        status,
        StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE
    );
    if is_idempotent(method) || server_rejected {
        Verdict::Retry
    } else {
        Verdict::Stop
    }
}

/// Whether a transport error may be retried for this method.
pub(crate) fn error_verdict(method: &Method, error: &reqwest::Error) -> Verdict {
    // A connect error means the request never left: safe for any method.
    // `is_decode`: reqwest's name for a body cut while `buffer` reads it.
    if error.is_connect()
        || is_idempotent(method)
            && (error.is_timeout() || error.is_request() || error.is_body() || error.is_decode())
    {
        Verdict::Retry
    } else {
        Verdict::Stop
    }
}

fn is_idempotent(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS
    )
}

/// Largest error body kept in an [`ApiError`].
const MAX_ERROR_BODY: usize = 1 << 20;

/// The transport plugged into `kernel_sys`'s hooks: timeouts, retries,
/// error-body capture and a tracing span per request.
pub(crate) struct Transport {
    pub(crate) policy: RetryPolicy,
    pub(crate) timeout: std::time::Duration,
    pub(crate) headers: HeaderMap,
}

impl kernel_sys::Exec for Transport {
    fn exec<'a>(
        &'a self,
        client: &'a reqwest::Client,
        request: reqwest::Request,
        info: &'a OperationInfo,
    ) -> Pin<Box<dyn Future<Output = reqwest::Result<reqwest::Response>> + Send + 'a>> {
        let op = kernel_sys::operation(info.operation_id);
        let span = tracing::info_span!(
            "kernel.request",
            otel.name = info.operation_id,
            operation = info.operation_id,
            method = %request.method(),
            path = op.map(|o| o.path).unwrap_or("?"),
            status = tracing::field::Empty,
            attempts = tracing::field::Empty,
            duration_ms = tracing::field::Empty,
        );
        // Streams, downloads and (hand-written) multipart uploads may take
        // longer than any JSON timeout.
        let open_ended = op.is_some_and(|o| o.streaming || o.binary || !o.generated);
        Box::pin(self.run(client, request, open_ended).instrument(span))
    }
}

impl Transport {
    async fn run(
        &self,
        client: &reqwest::Client,
        mut request: reqwest::Request,
        open_ended: bool,
    ) -> reqwest::Result<reqwest::Response> {
        for name in self.headers.keys() {
            if !request.headers().contains_key(name) {
                for value in self.headers.get_all(name) {
                    request.headers_mut().append(name, value.clone());
                }
            }
        }
        // Streams and downloads have no total timeout: the SSE and download
        // layers enforce a read-idle timeout instead.
        if !open_ended {
            *request.timeout_mut() = Some(self.timeout);
        }
        let method = request.method().clone();
        let started = Instant::now();
        let span = tracing::Span::current();
        let mut attempt = 0u32;
        let mut pending = Some(request);
        loop {
            let current = pending.take().expect("a request for every attempt");
            // Keep a copy for the next attempt while retries remain; a
            // streaming body cannot be copied, so it gets one attempt.
            pending = if attempt < self.policy.max_retries {
                current.try_clone()
            } else {
                None
            };
            let result = match client.execute(current).await {
                // JSON bodies of calls that may be resent are read here,
                // inside the retry loop, so a connection lost after the
                // headers is retried like one lost before them.
                Ok(response)
                    if !open_ended
                        && pending.is_some()
                        && is_idempotent(&method)
                        && response.status().is_success() =>
                {
                    buffer(response).await
                }
                other => other,
            };
            attempt += 1;
            let wait = match &result {
                Ok(response)
                    if response.status().is_success() || response.status().is_informational() =>
                {
                    None
                }
                Ok(response) => {
                    match status_verdict(&method, response.status(), response.headers()) {
                        Verdict::Retry => self.policy.wait_for(response.headers(), attempt - 1),
                        Verdict::Stop => None,
                    }
                }
                Err(error) => match error_verdict(&method, error) {
                    Verdict::Retry => Some(self.policy.backoff(attempt - 1)),
                    Verdict::Stop => None,
                },
            };
            match (wait, pending.is_some()) {
                (Some(wait), true) => {
                    tracing::warn!(
                        attempt,
                        wait_ms = wait.as_millis() as u64,
                        status = result.as_ref().ok().map(|r| r.status().as_u16()),
                        error = result.as_ref().err().map(shown_error),
                        "retrying kernel request",
                    );
                    tokio::time::sleep(wait).await;
                }
                _ => {
                    span.record("attempts", attempt);
                    span.record("duration_ms", started.elapsed().as_millis() as u64);
                    return match result {
                        Ok(response) => {
                            span.record("status", response.status().as_u16());
                            if response.status().is_success() {
                                Ok(response)
                            } else {
                                capture_error(response).await
                            }
                        }
                        Err(error) => {
                            tracing::debug!(error = shown_error(&error), "kernel request failed");
                            Err(error)
                        }
                    };
                }
            }
        }
    }
}

/// A transport error as traced: its text names the request URL, which may
/// carry a token (a `jwt=` URL reached through `Kernel::request`).
fn shown_error(error: &reqwest::Error) -> String {
    kernel_sys::secret::redact_jwts(&error.to_string()).into_owned()
}

/// A response's head, taken out of it so its body can be read and the
/// response rebuilt around the bytes. Moving the headers and extensions
/// (rather than cloning them) and keeping the URL (rather than letting
/// reqwest parse a placeholder) keeps this cheap: it runs on most JSON calls.
struct Head {
    status: StatusCode,
    version: http::Version,
    url: reqwest::Url,
    headers: HeaderMap,
    extensions: http::Extensions,
}

impl Head {
    fn take(response: &mut reqwest::Response) -> Self {
        Head {
            status: response.status(),
            version: response.version(),
            url: response.url().clone(),
            headers: std::mem::take(response.headers_mut()),
            extensions: std::mem::take(response.extensions_mut()),
        }
    }

    fn with_body(self, body: impl Into<reqwest::Body>) -> reqwest::Response {
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

/// Reads a whole success body and returns an equal response holding it.
async fn buffer(mut response: reqwest::Response) -> reqwest::Result<reqwest::Response> {
    let head = Head::take(&mut response);
    let body = response.bytes().await?;
    Ok(head.with_body(body))
}

/// Reads the body of an error response (up to 1 MiB) and returns a response
/// carrying it both as body and, decoded, in its extensions, so the error can
/// be converted without another read.
async fn capture_error(mut response: reqwest::Response) -> reqwest::Result<reqwest::Response> {
    let mut head = Head::take(&mut response);
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        let room = MAX_ERROR_BODY.saturating_sub(body.len());
        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if room <= chunk.len() {
            break;
        }
    }
    let api = ApiError::new(head.status, head.headers.clone(), &body);
    tracing::debug!(
        status = head.status.as_u16(),
        code = api.code.as_deref(),
        "kernel error response"
    );
    head.extensions.insert(CapturedError(Box::new(api)));
    Ok(head.with_body(body))
}

/// A uniform random number in `[0, 1)`, for jitter: no `rand` dependency
/// needed for this.
fn random_unit() -> f64 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(Instant::now().elapsed().as_nanos());
    (hasher.finish() >> 11) as f64 / (1u64 << 53) as f64
}

/// Parses an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), the form
/// `Retry-After` dates take.
fn httpdate_to_system_time(value: &str) -> Option<SystemTime> {
    let parts: Vec<&str> = value.split_whitespace().collect();
    let [_, day, month, year, time, "GMT"] = parts.as_slice() else {
        return None;
    };
    let day: u64 = day.parse().ok()?;
    let month = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ]
    .iter()
    .position(|m| m == month)? as u64
        + 1;
    let year: u64 = year.parse().ok()?;
    let hms: Vec<u64> = time
        .split(':')
        .map(|p| p.parse().ok())
        .collect::<Option<_>>()?;
    let [h, m, s] = hms.as_slice() else {
        return None;
    };
    // Bounded so the arithmetic below cannot overflow on hostile input.
    if !(1970..=9999).contains(&year) || !(1..=31).contains(&day) || *h > 23 || *m > 59 || *s > 60 {
        return None;
    }
    // Days since the epoch (civil-from-days inverse, Howard Hinnant).
    let (y, mo) = if month <= 2 {
        (year - 1, month + 9)
    } else {
        (year, month - 3)
    };
    let era = y / 400;
    let yoe = y - era * 400;
    let doy = (153 * mo + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    SystemTime::UNIX_EPOCH.checked_add(Duration::from_secs(days * 86_400 + h * 3600 + m * 60 + s))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn backoff_doubles_up_to_the_cap_with_jitter() {
        let p = RetryPolicy::default();
        for n in 0..8 {
            let expected = Duration::from_millis(500)
                .saturating_mul(1 << n)
                .min(Duration::from_secs(8));
            let got = p.backoff(n);
            assert!(
                got <= expected && got >= expected.mul_f64(0.75),
                "n={n}: {got:?} vs {expected:?}"
            );
        }
    }

    #[test]
    fn retry_after_forms() {
        let p = RetryPolicy::default();
        assert_eq!(
            p.retry_after(&headers(&[("retry-after", "3")])),
            Some(Duration::from_secs(3))
        );
        assert_eq!(
            p.retry_after(&headers(&[("retry-after-ms", "250")])),
            Some(Duration::from_millis(250))
        );
        // retry-after-ms wins over Retry-After.
        assert_eq!(
            p.retry_after(&headers(&[("retry-after", "3"), ("retry-after-ms", "10")])),
            Some(Duration::from_millis(10))
        );
        assert_eq!(
            p.retry_after(&headers(&[("retry-after", "61")])),
            None,
            "capped at 60 s"
        );
        assert_eq!(p.retry_after(&headers(&[("retry-after", "soon")])), None);
        // Hostile dates do not overflow.
        assert_eq!(
            p.retry_after(&headers(&[(
                "retry-after",
                "Sun, 06 Nov 300000000000 08:49:37 GMT"
            )])),
            None
        );
        assert_eq!(
            p.retry_after(&headers(&[(
                "retry-after",
                "Sun, 06 Nov 1994 08:49:37 GMT"
            )])),
            Some(Duration::ZERO)
        );
        let future = SystemTime::now() + Duration::from_secs(30);
        let date = fmt_httpdate(future);
        let wait = p.retry_after(&headers(&[("retry-after", &date)])).unwrap();
        assert!(
            wait > Duration::from_secs(27) && wait <= Duration::from_secs(30),
            "{wait:?} from {date}"
        );
    }

    /// Test-only formatter, the inverse of the parser.
    fn fmt_httpdate(t: SystemTime) -> String {
        let secs = t.duration_since(SystemTime::UNIX_EPOCH).unwrap().as_secs();
        let days = secs / 86_400;
        let rem = secs % 86_400;
        let z = days + 719_468;
        let era = z / 146_097;
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = doy - (153 * mp + 2) / 5 + 1;
        let m = if mp < 10 { mp + 3 } else { mp - 9 };
        let y = yoe + era * 400 + u64::from(m <= 2);
        let months = [
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
        ];
        format!(
            "Mon, {d:02} {} {y} {:02}:{:02}:{:02} GMT",
            months[(m - 1) as usize],
            rem / 3600,
            rem % 3600 / 60,
            rem % 60
        )
    }

    #[test]
    fn status_rules() {
        let none = HeaderMap::new();
        use Verdict::*;
        assert_eq!(
            status_verdict(&Method::GET, StatusCode::INTERNAL_SERVER_ERROR, &none),
            Retry
        );
        assert_eq!(
            status_verdict(&Method::GET, StatusCode::REQUEST_TIMEOUT, &none),
            Retry
        );
        assert_eq!(
            status_verdict(&Method::GET, StatusCode::CONFLICT, &none),
            Stop
        );
        assert_eq!(
            status_verdict(&Method::GET, StatusCode::NOT_FOUND, &none),
            Stop
        );
        assert_eq!(
            status_verdict(&Method::POST, StatusCode::INTERNAL_SERVER_ERROR, &none),
            Stop
        );
        assert_eq!(
            status_verdict(&Method::POST, StatusCode::BAD_GATEWAY, &none),
            Stop
        );
        assert_eq!(
            status_verdict(&Method::POST, StatusCode::TOO_MANY_REQUESTS, &none),
            Retry
        );
        assert_eq!(
            status_verdict(&Method::PATCH, StatusCode::SERVICE_UNAVAILABLE, &none),
            Retry
        );
        let yes = headers(&[("x-should-retry", "true")]);
        let no = headers(&[("x-should-retry", "false")]);
        assert_eq!(
            status_verdict(&Method::POST, StatusCode::INTERNAL_SERVER_ERROR, &yes),
            Retry
        );
        assert_eq!(
            status_verdict(&Method::GET, StatusCode::INTERNAL_SERVER_ERROR, &no),
            Stop
        );
    }
}
