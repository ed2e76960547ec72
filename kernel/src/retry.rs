//! When a failed call is retried, and how long it waits first.
//!
//! One policy for every call, generated or hand-written:
//! - **What is retried:** connection errors, timeouts, 408, 429 and 5xx,
//!   except 501 and 505 (the server will not change its mind) and 409
//!   (Kernel's "already exists").
//! - **What is never resent:** a request that may have reached the server
//!   (a timeout, a connection lost after sending, a 5xx) of an operation
//!   that is not idempotent: POST and PATCH, and the operations
//!   [`kernel_sys::Operation::idempotent`] marks (`PUT …/fs/move`). Those are
//!   resent only when they cannot have arrived (a connect error) or the
//!   server says it did not act on them (429, 503, `x-should-retry: true`).
//!   A POST that timed out is not resent, so it cannot create two browsers.
//! - **How long:** full jitter on the exponential backoff, `Retry-After` /
//!   `retry-after-ms` plus up to 25 %, and never less than
//!   [`RetryPolicy::min_backoff`], so clients that failed together do not
//!   come back together.
//! - **How much:** a client-wide retry quota ([`RetryPolicy::retry_quota`],
//!   a token bucket as in aws-sdk-rust's standard mode): retries spend
//!   tokens, successes refill them, so a failing server sees fewer retries
//!   rather than more.

use reqwest::header::HeaderMap;
use reqwest::StatusCode;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant, SystemTime};

/// When and how long to wait before retrying.
#[derive(Clone, Debug, PartialEq)]
pub struct RetryPolicy {
    /// Retries after the first attempt (default 2).
    pub max_retries: u32,
    /// First backoff (default 0.5 s); doubles each retry. The wait is drawn
    /// uniformly below it ("full jitter").
    pub initial_backoff: Duration,
    /// Largest computed backoff (default 8 s).
    pub max_backoff: Duration,
    /// Shortest wait before any retry (default 100 ms), also when the server
    /// says `Retry-After: 0` or a date in the past.
    pub min_backoff: Duration,
    /// Largest server-requested wait (`Retry-After`), default 60 s. Longer
    /// requests are not waited for: the error is returned instead.
    pub max_retry_after: Duration,
    /// Size of the client-wide retry token bucket (default 500; `None`: no
    /// quota). A retry costs 5 tokens (10 after a timeout), a call that
    /// succeeds at once refills 1 and one that succeeds after retries gives
    /// back what it spent. With the bucket empty, failures are returned at
    /// once.
    pub retry_quota: Option<u32>,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 2,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(8),
            min_backoff: Duration::from_millis(100),
            max_retry_after: Duration::from_secs(60),
            retry_quota: Some(500),
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

    /// Backoff before retry `n` (0-based): uniform in
    /// `[min_backoff, min(initial·2^n, max_backoff)]`.
    pub fn backoff(&self, n: u32) -> Duration {
        let ceiling = self
            .initial_backoff
            .saturating_mul(2u32.saturating_pow(n))
            .min(self.max_backoff);
        ceiling.mul_f64(random_unit()).max(self.min_backoff)
    }

    /// The wait the server asked for (see [`wait_for`](Self::wait_for) for
    /// the forms), without jitter. `None` if absent, malformed or above
    /// [`max_retry_after`](Self::max_retry_after).
    pub fn retry_after(&self, headers: &HeaderMap) -> Option<Duration> {
        match requested_wait(headers) {
            Requested::After(wait) if wait <= self.max_retry_after => Some(wait),
            _ => None,
        }
    }

    /// The wait before retrying a retryable response, or `None` when the
    /// server asked for longer than [`max_retry_after`](Self::max_retry_after)
    /// (the error is returned rather than waited for).
    ///
    /// The server's request is `retry-after-ms`, else `Retry-After`, in
    /// seconds (`digits[.digits]`) or as an HTTP date. One rule for anything
    /// else (`inf`, `NaN`, `1e400`, `-1`, `soon`): it is ignored, as if
    /// absent, and the backoff applies. A valid request is waited for plus
    /// up to 25 % jitter, and never less than
    /// [`min_backoff`](Self::min_backoff).
    pub fn wait_for(&self, headers: &HeaderMap, retry: u32) -> Option<Duration> {
        match requested_wait(headers) {
            Requested::After(wait) if wait > self.max_retry_after => None,
            Requested::After(wait) => Some(
                wait.mul_f64(1.0 + 0.25 * random_unit())
                    .max(self.min_backoff),
            ),
            Requested::TooLong => None,
            Requested::Absent => Some(self.backoff(retry)),
        }
    }
}

/// What a response asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Requested {
    /// Nothing valid.
    Absent,
    /// This long (zero for a date in the past).
    After(Duration),
    /// A valid number too large for a `Duration`.
    TooLong,
}

fn requested_wait(headers: &HeaderMap) -> Requested {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    if let Some(ms) = header("retry-after-ms").and_then(decimal_seconds) {
        return ms.map_or(Requested::TooLong, |ms| Requested::After(ms / 1000));
    }
    let Some(value) = header("retry-after") else {
        return Requested::Absent;
    };
    if let Some(secs) = decimal_seconds(value) {
        return secs.map_or(Requested::TooLong, Requested::After);
    }
    match httpdate_to_system_time(value) {
        Some(at) => Requested::After(
            at.duration_since(SystemTime::now())
                .unwrap_or(Duration::ZERO),
        ),
        None => Requested::Absent,
    }
}

/// `digits[.digits]` as a duration in that many units (seconds, or
/// milliseconds once divided): `None` when the text is not of that form,
/// `Some(None)` when it is but overflows a `Duration`.
fn decimal_seconds(text: &str) -> Option<Option<Duration>> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !digits(whole) || !digits(fraction) || text.ends_with('.') {
        return None;
    }
    Some(
        text.parse::<f64>()
            .ok()
            .and_then(|secs| Duration::try_from_secs_f64(secs).ok()),
    )
}

/// Whether a failed attempt is retried.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    Retry,
    Stop,
}

/// Whether a response status may be retried, for an operation that is (or
/// is not) idempotent.
pub(crate) fn status_verdict(idempotent: bool, status: StatusCode, headers: &HeaderMap) -> Verdict {
    // 409 means "already exists"; 501 and 505 will not change: never
    // retried, whatever the server says.
    if matches!(status.as_u16(), 409 | 501 | 505) {
        return Verdict::Stop;
    }
    match headers.get("x-should-retry").and_then(|v| v.to_str().ok()) {
        Some("true") => return Verdict::Retry,
        Some("false") => return Verdict::Stop,
        _ => {}
    }
    let retryable = matches!(status.as_u16(), 408 | 429) || status.is_server_error();
    if !retryable {
        return Verdict::Stop;
    }
    // The server did not act on a 429 or 503; anything else may have.
    let server_rejected = matches!(
        status,
        StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE
    );
    if idempotent || server_rejected {
        Verdict::Retry
    } else {
        Verdict::Stop
    }
}

/// Whether a request built by hand (`Kernel::request`), which has no
/// operation to ask, may be resent: by its method
/// ([`kernel_sys::IDEMPOTENT_METHODS`]).
pub(crate) fn method_is_idempotent(method: &reqwest::Method) -> bool {
    kernel_sys::IDEMPOTENT_METHODS.contains(&method.as_str())
}

/// How an attempt failed without a response.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Failure {
    /// Connecting failed: the request never left.
    Connect,
    /// No answer in time: the request may have been acted on.
    Timeout,
    /// Lost after sending (a reset, a cut body): it may have been acted on.
    Sent,
    /// The server's answer is unusable and would be again (a head too
    /// large, a body over the cap, a redirect elsewhere).
    Final,
}

/// Whether a failure without a response may be retried.
pub(crate) fn failure_verdict(idempotent: bool, failure: Failure) -> Verdict {
    match failure {
        Failure::Connect => Verdict::Retry,
        Failure::Timeout | Failure::Sent if idempotent => Verdict::Retry,
        _ => Verdict::Stop,
    }
}

/// Tokens a retry costs.
const RETRY_COST: u32 = 5;
/// Tokens a retry after a timeout costs: timeouts are the costliest failures
/// for a struggling server.
const TIMEOUT_RETRY_COST: u32 = 10;

/// The client-wide retry token bucket; see [`RetryPolicy::retry_quota`].
#[derive(Debug)]
pub(crate) struct Quota {
    capacity: u32,
    tokens: AtomicU32,
}

impl Quota {
    pub(crate) fn new(capacity: Option<u32>) -> Option<Self> {
        capacity.map(|capacity| Self {
            capacity,
            tokens: AtomicU32::new(capacity),
        })
    }

    /// Takes the tokens for one retry; `None` when the bucket cannot pay.
    pub(crate) fn spend(&self, failure: Option<Failure>) -> Option<u32> {
        let cost = if failure == Some(Failure::Timeout) {
            TIMEOUT_RETRY_COST
        } else {
            RETRY_COST
        };
        self.tokens
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |t| t.checked_sub(cost))
            .ok()
            .map(|_| cost)
    }

    /// After a success: gives back what the call spent, or 1 if it spent
    /// nothing.
    pub(crate) fn refill(&self, spent: u32) {
        let amount = spent.max(1);
        // A full bucket is left unwritten: concurrent successes then share
        // its cache line instead of taking it from each other.
        let _ = self
            .tokens
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |t| {
                (t < self.capacity).then(|| t.saturating_add(amount).min(self.capacity))
            });
    }

    #[cfg(test)]
    fn tokens(&self) -> u32 {
        self.tokens.load(Ordering::Acquire)
    }
}

/// A uniform random number in `[0, 1)`, for jitter: no `rand` dependency
/// needed for this.
pub(crate) fn random_unit() -> f64 {
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
    fn backoff_is_full_jitter_under_a_doubling_ceiling_above_the_floor() {
        let p = RetryPolicy::default();
        for n in 0..8 {
            let ceiling = Duration::from_millis(500)
                .saturating_mul(1 << n)
                .min(Duration::from_secs(8));
            let waits: Vec<Duration> = (0..200).map(|_| p.backoff(n)).collect();
            for got in &waits {
                assert!(
                    *got <= ceiling && *got >= p.min_backoff,
                    "n={n}: {got:?} vs {ceiling:?}"
                );
            }
            let low = waits.iter().filter(|w| **w < ceiling / 2).count();
            assert!(
                (40..=160).contains(&low),
                "n={n}: drawn across the range, {low}/200 in the lower half"
            );
        }
    }

    #[test]
    fn retry_after_forms() {
        let p = RetryPolicy::default();
        let after = |pairs: &[(&'static str, &str)]| p.retry_after(&headers(pairs));
        assert_eq!(after(&[("retry-after", "3")]), Some(Duration::from_secs(3)));
        assert_eq!(
            after(&[("retry-after", "1.5")]),
            Some(Duration::from_millis(1500))
        );
        assert_eq!(
            after(&[("retry-after-ms", "250")]),
            Some(Duration::from_millis(250))
        );
        // retry-after-ms wins over Retry-After.
        assert_eq!(
            after(&[("retry-after", "3"), ("retry-after-ms", "10")]),
            Some(Duration::from_millis(10))
        );
        assert_eq!(after(&[("retry-after", "61")]), None, "capped at 60 s");
        // Hostile dates do not overflow.
        assert_eq!(
            after(&[("retry-after", "Sun, 06 Nov 300000000000 08:49:37 GMT")]),
            None
        );
        assert_eq!(
            after(&[("retry-after", "Sun, 06 Nov 1994 08:49:37 GMT")]),
            Some(Duration::ZERO)
        );
        let future = SystemTime::now() + Duration::from_secs(30);
        let date = kernel_testkit::http_date::format(future);
        let wait = after(&[("retry-after", &date)]).unwrap();
        assert!(
            wait > Duration::from_secs(27) && wait <= Duration::from_secs(30),
            "{wait:?} from {date}"
        );
    }

    /// One rule for values that are not a delay or a date: ignored, so the
    /// backoff applies; a valid delay too long to wait for is not retried.
    #[test]
    fn garbage_retry_after_is_ignored_and_huge_delays_are_not_waited_for() {
        let p = RetryPolicy {
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_millis(200),
            ..RetryPolicy::default()
        };
        for garbage in [
            "inf", "NaN", "1e400", "-1", "soon", "", "1.", ".5", "0x10", "+3",
        ] {
            for name in ["retry-after", "retry-after-ms"] {
                let h = headers(&[(name, garbage)]);
                assert_eq!(p.retry_after(&h), None, "{name}: {garbage:?}");
                let wait = p.wait_for(&h, 0).expect("the backoff applies");
                assert!(
                    wait >= p.min_backoff && wait <= Duration::from_millis(200),
                    "{name}: {garbage:?} → {wait:?}"
                );
            }
        }
        for huge in ["99999999999999999999999", "61", "3600"] {
            assert_eq!(
                p.wait_for(&headers(&[("retry-after", huge)]), 0),
                None,
                "{huge}"
            );
        }
    }

    /// `Retry-After` gets up to 25 % jitter, so clients told the same delay
    /// spread out, and `0` or a past date still waits the floor.
    #[test]
    fn retry_after_is_jittered_and_floored() {
        let p = RetryPolicy::default();
        let one = headers(&[("retry-after", "1")]);
        let waits: Vec<Duration> = (0..200).map(|_| p.wait_for(&one, 0).unwrap()).collect();
        assert!(waits
            .iter()
            .all(|w| *w >= Duration::from_secs(1) && *w <= Duration::from_millis(1250)));
        let distinct: std::collections::BTreeSet<_> = waits.iter().collect();
        assert!(distinct.len() > 100, "{} distinct waits", distinct.len());
        for now in ["0", "0.000", "Sun, 06 Nov 1994 08:49:37 GMT"] {
            let wait = p.wait_for(&headers(&[("retry-after", now)]), 0).unwrap();
            assert!(wait >= p.min_backoff, "{now}: {wait:?}");
        }
    }

    #[test]
    fn status_rules() {
        let none = HeaderMap::new();
        use Verdict::*;
        for (idempotent, status, verdict) in [
            (true, 500, Retry),
            (true, 408, Retry),
            (true, 429, Retry),
            (true, 502, Retry),
            (true, 409, Stop),
            (true, 400, Stop),
            (true, 404, Stop),
            (true, 501, Stop),
            (true, 505, Stop),
            (false, 500, Stop),
            (false, 502, Stop),
            (false, 429, Retry),
            (false, 503, Retry),
        ] {
            let status = StatusCode::from_u16(status).unwrap();
            assert_eq!(
                status_verdict(idempotent, status, &none),
                verdict,
                "{status} idempotent={idempotent}"
            );
        }
        let yes = headers(&[("x-should-retry", "true")]);
        let no = headers(&[("x-should-retry", "false")]);
        assert_eq!(
            status_verdict(false, StatusCode::INTERNAL_SERVER_ERROR, &yes),
            Retry
        );
        assert_eq!(
            status_verdict(true, StatusCode::INTERNAL_SERVER_ERROR, &no),
            Stop
        );
        assert_eq!(status_verdict(true, StatusCode::CONFLICT, &yes), Stop);
        assert_eq!(
            status_verdict(true, StatusCode::NOT_IMPLEMENTED, &yes),
            Stop
        );
    }

    #[test]
    fn failure_rules() {
        use Failure::*;
        use Verdict::*;
        for (idempotent, failure, verdict) in [
            (false, Connect, Retry),
            (true, Connect, Retry),
            (true, Timeout, Retry),
            (false, Timeout, Stop),
            (true, Sent, Retry),
            (false, Sent, Stop),
            (true, Final, Stop),
        ] {
            assert_eq!(failure_verdict(idempotent, failure), verdict, "{failure:?}");
        }
    }

    #[test]
    fn the_quota_is_spent_by_retries_and_refilled_by_successes() {
        let quota = Quota::new(Some(22)).unwrap();
        assert_eq!(quota.spend(None), Some(5));
        assert_eq!(quota.spend(Some(Failure::Timeout)), Some(10));
        assert_eq!(quota.spend(None), Some(5));
        assert_eq!(quota.tokens(), 2);
        assert_eq!(quota.spend(None), None, "the bucket cannot pay");
        quota.refill(0);
        assert_eq!(quota.tokens(), 3, "a first-try success refills 1");
        quota.refill(15);
        assert_eq!(
            quota.tokens(),
            18,
            "a success after retries gives back its cost"
        );
        quota.refill(100);
        assert_eq!(quota.tokens(), 22, "never above the capacity");
        assert!(Quota::new(None).is_none());
    }
}
