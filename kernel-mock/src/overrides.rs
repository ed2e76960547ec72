//! Per-operation overrides: replace the mock's answer to one operation with
//! your own, for a test of how your code handles it.
//!
//! An override is keyed by the spec's `operationId` and is either a
//! sequence of responses used once each (e.g. `503` twice, then the mock's
//! own handler) or a closure that sees each request and answers or passes it
//! on. Overrides run after authentication and faults; the request is
//! recorded either way. Several overrides of one operation are tried in the
//! order they were added.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::requests::RecordedRequest;
use crate::sync::lock;

/// A response an override answers with.
///
/// ```
/// use kernel_mock::{types, MockResponse};
///
/// let unavailable = MockResponse::error(503, "unavailable", "try again").header("retry-after", "1");
/// let profile: types::Profile = serde_json::from_value(serde_json::json!({
///     "id": "prof_1", "created_at": "2026-01-01T00:00:00Z",
/// })).unwrap();
/// let typed = MockResponse::json(200, &profile);
/// assert_eq!(typed.status(), 200);
/// assert_eq!(unavailable.status(), 503);
/// ```
#[derive(Clone, Debug)]
pub struct MockResponse {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl MockResponse {
    /// A response with `status` and no body.
    pub fn new(status: u16) -> Self {
        MockResponse {
            status,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// A JSON response; use the `kernel_sys` type the spec gives the body
    /// (re-exported as [`crate::types`]) so it is what a client decodes.
    pub fn json<T: Serialize + ?Sized>(status: u16, body: &T) -> Self {
        match serde_json::to_vec(body) {
            Ok(body) => MockResponse::bytes(status, "application/json", body),
            Err(e) => MockResponse::error(
                500,
                "internal_error",
                &format!("kernel-mock: the override's body is not JSON: {e}"),
            ),
        }
    }

    /// An error with the spec's `Error` body (`{"code", "message"}`).
    pub fn error(status: u16, code: &str, message: &str) -> Self {
        MockResponse::json(
            status,
            &serde_json::json!({ "code": code, "message": message }),
        )
    }

    /// A body of any media type, e.g. `text/event-stream` or
    /// `application/octet-stream`.
    pub fn bytes(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Self {
        MockResponse {
            status,
            headers: vec![("content-type".to_owned(), content_type.to_owned())],
            body: body.into(),
        }
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// The status code.
    pub fn status(&self) -> u16 {
        self.status
    }
}

impl IntoResponse for MockResponse {
    fn into_response(self) -> Response {
        let mut response = Response::new(Body::from(self.body));
        *response.status_mut() =
            StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        for (name, value) in &self.headers {
            if let (Ok(name), Ok(value)) = (
                HeaderName::try_from(name.as_str()),
                HeaderValue::try_from(value.as_str()),
            ) {
                response.headers_mut().append(name, value);
            }
        }
        response
    }
}

/// The closure form of an override: `Some` answers, `None` passes the request
/// on.
pub(crate) type Handler = Arc<dyn Fn(&RecordedRequest) -> Option<MockResponse> + Send + Sync>;

/// One override of one operation.
#[derive(Clone)]
pub(crate) enum Rule {
    /// Each response once, in order.
    Sequence(VecDeque<MockResponse>),
    /// Asked for every request.
    Handler(Handler),
}

impl fmt::Debug for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rule::Sequence(responses) => f.debug_tuple("Sequence").field(responses).finish(),
            Rule::Handler(_) => f.write_str("Handler(..)"),
        }
    }
}

/// An override named an `operationId` the spec does not have.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownOperation(pub String);

impl fmt::Display for UnknownOperation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "kernel-mock: no operation {:?} in the spec (overrides are keyed by operationId)",
            self.0
        )
    }
}

impl std::error::Error for UnknownOperation {}

/// The spec's `operationId` for `id`, as the `'static` key the router uses.
pub(crate) fn operation_id(id: &str) -> Result<&'static str, UnknownOperation> {
    kernel_sys::OPERATIONS
        .iter()
        .find(|op| op.id == id)
        .map(|op| op.id)
        .ok_or_else(|| UnknownOperation(id.to_owned()))
}

/// Every override of a running mock.
#[derive(Debug, Default)]
pub(crate) struct Overrides {
    rules: Mutex<HashMap<&'static str, Vec<Rule>>>,
}

impl Overrides {
    /// Adds `rule` after the operation's earlier overrides.
    pub fn add(&self, id: &'static str, rule: Rule) {
        lock(&self.rules).entry(id).or_default().push(rule);
    }

    /// Forgets every override.
    pub fn clear(&self) {
        lock(&self.rules).clear();
    }

    /// `true` when operation `id` has an override.
    pub fn has(&self, id: &str) -> bool {
        lock(&self.rules).contains_key(id)
    }

    /// The override's answer to `request`, or `None` for the mock's own.
    pub fn respond(&self, id: &str, request: &RecordedRequest) -> Option<MockResponse> {
        // Handlers run outside the lock: a handler may itself add or clear
        // overrides.
        let mut index = 0;
        loop {
            let handler = {
                let mut rules = lock(&self.rules);
                match rules.get_mut(id)?.get_mut(index)? {
                    Rule::Sequence(responses) => {
                        if let Some(response) = responses.pop_front() {
                            return Some(response);
                        }
                        None
                    }
                    Rule::Handler(handler) => Some(handler.clone()),
                }
            };
            if let Some(response) = handler.and_then(|handler| handler(request)) {
                return Some(response);
            }
            index += 1;
        }
    }
}
