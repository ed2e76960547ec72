//! The request log: every request the mock received, and a counter per
//! operation.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::SystemTime;

use serde_json::Value;

use crate::sync::lock;

/// One request the mock received (recorded before authentication and fault
/// injection, so rejected requests are logged too).
#[derive(Clone, Debug)]
pub struct RecordedRequest {
    /// Upper-case HTTP method.
    pub method: String,
    /// The request path, without the query string.
    pub path: String,
    /// The raw query string, if any.
    pub query: Option<String>,
    /// The spec `operationId` the request matched, if any.
    pub operation_id: Option<String>,
    /// Request headers in order (names lower-case).
    pub headers: Vec<(String, String)>,
    /// The raw request body.
    pub body: Vec<u8>,
    /// When the request arrived.
    pub received_at: SystemTime,
}

impl RecordedRequest {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body parsed as JSON, if it is JSON.
    pub fn body_json(&self) -> Option<Value> {
        serde_json::from_slice(&self.body).ok()
    }

    /// The body decoded as `T`, the `kernel_sys` type the spec gives the
    /// operation's request (e.g. `kernel_mock::types::ProfileRequest`).
    pub fn body_as<T: serde::de::DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_slice(&self.body)
    }

    /// The route key used by [`KernelMock::request_count`](crate::KernelMock::request_count):
    /// the `operationId`, or `METHOD path` for requests matching no operation.
    pub fn route(&self) -> String {
        self.operation_id
            .clone()
            .unwrap_or_else(|| format!("{} {}", self.method, self.path))
    }
}

/// Recorded requests and per-route counters.
#[derive(Default)]
pub(crate) struct RequestLog {
    inner: Mutex<LogInner>,
}

#[derive(Default)]
struct LogInner {
    requests: Vec<RecordedRequest>,
    counts: BTreeMap<String, u64>,
}

/// Requests kept in the log; older ones are dropped (counters keep counting).
const MAX_RECORDED: usize = 10_000;

impl RequestLog {
    pub fn record(&self, request: RecordedRequest) {
        let mut inner = lock(&self.inner);
        *inner.counts.entry(request.route()).or_default() += 1;
        if inner.requests.len() >= MAX_RECORDED {
            inner.requests.remove(0);
        }
        inner.requests.push(request);
    }

    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.inner).requests.clone()
    }

    pub fn counts(&self) -> BTreeMap<String, u64> {
        lock(&self.inner).counts.clone()
    }

    pub fn count(&self, route: &str) -> u64 {
        lock(&self.inner).counts.get(route).copied().unwrap_or(0)
    }

    pub fn clear(&self) {
        let mut inner = lock(&self.inner);
        inner.requests.clear();
        inner.counts.clear();
    }
}
