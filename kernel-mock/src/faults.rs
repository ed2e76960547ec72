//! Fault injection: error statuses, delays, cut event streams and
//! forward-compatibility drills (unknown fields, enum values and events).
//!
//! Get the knobs with [`KernelMock::faults`](crate::KernelMock::faults):
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! use std::time::Duration;
//! use kernel_mock::{FaultRule, KernelMock};
//!
//! let mock = KernelMock::start().await.unwrap();
//! mock.faults()
//!     .rate_limit_nth(2, 3) // the 2nd request from now: 429, Retry-After: 3
//!     .inject(FaultRule::status(503).operation("postBrowsers")) // next POST /browsers: 503
//!     .drop_sse_after(2) // the next event stream is cut after 2 events
//!     .unknown_fields(true); // every JSON object gains "x_mock_new_field": 1
//! mock.faults().delay(Duration::from_millis(50));
//! mock.faults().clear();
//! # }
//! ```

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::{header, HeaderValue, StatusCode};
use serde_json::Value;

use crate::http::error::ApiError;
use crate::sync::lock;

/// An injected error status.
///
/// By default the rule fires once, on the next request of any operation.
#[derive(Clone, Debug)]
pub struct FaultRule {
    status: u16,
    retry_after: Option<u64>,
    operation: Option<String>,
    skip: u64,
    times: u32,
}

impl FaultRule {
    /// Answer with `status` (a `429` also gets `Retry-After: 1` unless
    /// [`FaultRule::retry_after`] says otherwise) and an `Error` body.
    pub fn status(status: u16) -> Self {
        FaultRule {
            status,
            retry_after: (status == 429).then_some(1),
            operation: None,
            skip: 0,
            times: 1,
        }
    }

    /// Sets the `Retry-After` header (seconds).
    pub fn retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds);
        self
    }

    /// Only requests for this spec `operationId` count and fail.
    pub fn operation(mut self, operation_id: impl Into<String>) -> Self {
        self.operation = Some(operation_id.into());
        self
    }

    /// Fire on the `n`-th matching request from now (1 = the next one).
    pub fn on_nth(mut self, n: u64) -> Self {
        self.skip = n.saturating_sub(1);
        self
    }

    /// Fire on `times` consecutive matching requests (default 1).
    pub fn times(mut self, times: u32) -> Self {
        self.times = times;
        self
    }
}

#[derive(Clone, Debug)]
struct SseCut {
    after: usize,
    operation: Option<String>,
    times: u32,
}

#[derive(Default)]
struct FaultConfig {
    rules: Vec<FaultRule>,
    sse_cuts: Vec<SseCut>,
    delay: Duration,
    unknown_fields: bool,
    unknown_enum_values: bool,
    unknown_events: bool,
}

/// The fault settings shared by the server and [`Faults`] handles.
#[derive(Default)]
pub(crate) struct FaultState {
    config: Mutex<FaultConfig>,
}

/// What the fault layer decided for one request.
pub(crate) struct RequestFaults {
    pub delay: Duration,
    pub error: Option<ApiError>,
}

/// Which forward-compatibility drills are on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Drills {
    pub unknown_fields: bool,
    pub unknown_enum_values: bool,
    pub unknown_events: bool,
}

impl Drills {
    pub fn mutates_json(&self) -> bool {
        self.unknown_fields || self.unknown_enum_values
    }
}

impl FaultState {
    /// Consumes the rules that apply to a request for `operation`.
    pub fn on_request(&self, operation: Option<&str>) -> RequestFaults {
        let mut config = lock(&self.config);
        let delay = config.delay;
        let mut error = None;
        let mut i = 0;
        while i < config.rules.len() {
            let rule = &mut config.rules[i];
            let matches = match &rule.operation {
                Some(op) => Some(op.as_str()) == operation,
                None => true,
            };
            if matches {
                if rule.skip > 0 {
                    rule.skip -= 1;
                } else if error.is_none() {
                    error = Some(injected(rule));
                    rule.times = rule.times.saturating_sub(1);
                }
            }
            if config.rules[i].times == 0 {
                config.rules.remove(i);
            } else {
                i += 1;
            }
        }
        RequestFaults { delay, error }
    }

    /// The number of events after which a new stream for `operation` is cut
    /// (consumes one use of the matching cut).
    pub fn take_sse_cut(&self, operation: &str) -> Option<usize> {
        let mut config = lock(&self.config);
        let index = config
            .sse_cuts
            .iter()
            .position(|cut| cut.operation.as_deref().is_none_or(|op| op == operation))?;
        let cut = &mut config.sse_cuts[index];
        let after = cut.after;
        cut.times = cut.times.saturating_sub(1);
        if cut.times == 0 {
            config.sse_cuts.remove(index);
        }
        Some(after)
    }

    pub fn drills(&self) -> Drills {
        let config = lock(&self.config);
        Drills {
            unknown_fields: config.unknown_fields,
            unknown_enum_values: config.unknown_enum_values,
            unknown_events: config.unknown_events,
        }
    }
}

fn injected(rule: &FaultRule) -> ApiError {
    let status = StatusCode::from_u16(rule.status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
    let code = match status.as_u16() {
        429 => "rate_limited".to_owned(),
        503 => "service_unavailable".to_owned(),
        500 => "internal_error".to_owned(),
        _ => status
            .canonical_reason()
            .unwrap_or("error")
            .to_ascii_lowercase()
            .replace(' ', "_"),
    };
    let mut error = ApiError::new(
        status,
        code,
        format!("kernel-mock: injected {} fault", status.as_u16()),
    );
    if let Some(seconds) = rule.retry_after {
        if let Ok(value) = HeaderValue::from_str(&seconds.to_string()) {
            error = error.with_header(header::RETRY_AFTER, value);
        }
    }
    error
}

/// Fault-injection knobs of a running mock. Cheap to clone; every clone
/// controls the same server.
#[derive(Clone)]
pub struct Faults {
    pub(crate) state: Arc<FaultState>,
}

impl Faults {
    /// Adds an error-status rule.
    pub fn inject(&self, rule: FaultRule) -> &Self {
        lock(&self.state.config).rules.push(rule);
        self
    }

    /// The `n`-th request from now (1 = the next one, any operation) answers
    /// `429 Too Many Requests` with `Retry-After: <retry_after_secs>`, once.
    pub fn rate_limit_nth(&self, n: u64, retry_after_secs: u64) -> &Self {
        self.inject(
            FaultRule::status(429)
                .retry_after(retry_after_secs)
                .on_nth(n),
        )
    }

    /// The next request answers `503 Service Unavailable`, once.
    pub fn service_unavailable_once(&self) -> &Self {
        self.inject(FaultRule::status(503))
    }

    /// The next event stream (any SSE operation) is cut abruptly after
    /// `events` events: a partial frame, then the connection is aborted, with
    /// no terminal event.
    pub fn drop_sse_after(&self, events: usize) -> &Self {
        self.drop_sse_streams(events, 1, None)
    }

    /// The next `times` event streams (of `operation_id` only, if given) are
    /// cut after `events` events each.
    pub fn drop_sse_streams(&self, events: usize, times: u32, operation_id: Option<&str>) -> &Self {
        lock(&self.state.config).sse_cuts.push(SseCut {
            after: events,
            operation: operation_id.map(str::to_owned),
            times: times.max(1),
        });
        self
    }

    /// Delays every response by `delay` (`Duration::ZERO` turns it off).
    pub fn delay(&self, delay: Duration) -> &Self {
        lock(&self.state.config).delay = delay;
        self
    }

    /// Adds `"x_mock_new_field": 1` to every JSON object of every response
    /// body and event (except string maps such as `headers` or `metadata`).
    pub fn unknown_fields(&self, on: bool) -> &Self {
        lock(&self.state.config).unknown_fields = on;
        self
    }

    /// Replaces enum values with unknown ones where a client can safely
    /// carry on: a transitional `flow_step` (`DISCOVERING`, `SUBMITTING`)
    /// becomes `X_MOCK_UNKNOWN_STEP`, a legacy invocation `step`
    /// (`initialized`, `discovering`, `submitting`) becomes
    /// `x_mock_unknown_step`, and `can_reauth_reason` becomes
    /// `x_mock_unknown_reason`.
    pub fn unknown_enum_values(&self, on: bool) -> &Self {
        lock(&self.state.config).unknown_enum_values = on;
        self
    }

    /// Event streams carry extra events of an unknown type: an
    /// `{"event":"x_mock_unknown_event", ...}` first event on auth-connection
    /// and invocation streams, and telemetry events of type
    /// `x_mock_unknown_event` (with their own `seq`) on telemetry streams.
    pub fn unknown_events(&self, on: bool) -> &Self {
        lock(&self.state.config).unknown_events = on;
        self
    }

    /// Removes every fault.
    pub fn clear(&self) -> &Self {
        *lock(&self.state.config) = FaultConfig::default();
        self
    }
}

/// Keys whose object values are string maps (`additionalProperties: string`
/// or free-form): no unknown field is added to them.
const MAP_KEYS: &[&str] = &[
    "headers",
    "metadata",
    "chrome_policy",
    "values",
    "fields",
    "field_values",
];

/// Applies the JSON drills to a response body or event.
pub(crate) fn mutate(value: &mut Value, drills: Drills) {
    mutate_inner(value, drills, false);
}

fn mutate_inner(value: &mut Value, drills: Drills, is_map: bool) {
    match value {
        Value::Array(items) => {
            for item in items {
                mutate_inner(item, drills, false);
            }
        }
        Value::Object(map) => {
            if drills.unknown_enum_values && !is_map {
                if let Some(step) = map.get_mut("flow_step") {
                    if matches!(step.as_str(), Some("DISCOVERING") | Some("SUBMITTING")) {
                        *step = Value::from("X_MOCK_UNKNOWN_STEP");
                    }
                }
                if map.contains_key("app_name") {
                    if let Some(step) = map.get_mut("step") {
                        if matches!(
                            step.as_str(),
                            Some("initialized") | Some("discovering") | Some("submitting")
                        ) {
                            *step = Value::from("x_mock_unknown_step");
                        }
                    }
                }
                if let Some(reason) = map.get_mut("can_reauth_reason") {
                    if reason.is_string() {
                        *reason = Value::from("x_mock_unknown_reason");
                    }
                }
            }
            for (key, child) in map.iter_mut() {
                mutate_inner(child, drills, MAP_KEYS.contains(&key.as_str()));
            }
            if drills.unknown_fields && !is_map {
                map.insert("x_mock_new_field".to_owned(), Value::from(1));
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nth_request_rule_fires_once() {
        let state = Arc::new(FaultState::default());
        let faults = Faults {
            state: state.clone(),
        };
        faults.rate_limit_nth(2, 7);
        assert!(state.on_request(Some("a")).error.is_none());
        let error = state.on_request(Some("b")).error.expect("429");
        assert_eq!(error.status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(error.headers[0].1, "7");
        assert!(state.on_request(Some("c")).error.is_none());
    }

    #[test]
    fn operation_filter() {
        let state = Arc::new(FaultState::default());
        let faults = Faults {
            state: state.clone(),
        };
        faults.inject(FaultRule::status(503).operation("postBrowsers").times(2));
        assert!(state.on_request(Some("getBrowsers")).error.is_none());
        assert!(state.on_request(Some("postBrowsers")).error.is_some());
        assert!(state.on_request(Some("postBrowsers")).error.is_some());
        assert!(state.on_request(Some("postBrowsers")).error.is_none());
    }

    #[test]
    fn sse_cuts_are_consumed() {
        let state = Arc::new(FaultState::default());
        let faults = Faults {
            state: state.clone(),
        };
        faults.drop_sse_after(3);
        assert_eq!(state.take_sse_cut("x"), Some(3));
        assert_eq!(state.take_sse_cut("x"), None);
    }

    #[test]
    fn drills_mutate_json() {
        let mut value = json!({
            "flow_step": "SUBMITTING",
            "can_reauth_reason": "no_credential",
            "credential": {"name": "c"},
            "items": [{"a": 1}],
            "headers": {"h": "v"}
        });
        mutate(
            &mut value,
            Drills {
                unknown_fields: true,
                unknown_enum_values: true,
                unknown_events: false,
            },
        );
        assert_eq!(value["flow_step"], "X_MOCK_UNKNOWN_STEP");
        assert_eq!(value["can_reauth_reason"], "x_mock_unknown_reason");
        assert_eq!(value["x_mock_new_field"], 1);
        assert_eq!(value["credential"]["x_mock_new_field"], 1);
        assert_eq!(value["items"][0]["x_mock_new_field"], 1);
        assert!(value["headers"].get("x_mock_new_field").is_none());
        let mut waiting = json!({"flow_step": "AWAITING_INPUT"});
        mutate(
            &mut waiting,
            Drills {
                unknown_fields: false,
                unknown_enum_values: true,
                unknown_events: false,
            },
        );
        assert_eq!(waiting["flow_step"], "AWAITING_INPUT");
    }
}
