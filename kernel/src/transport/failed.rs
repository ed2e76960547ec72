//! Why an attempt ended without a usable response, and what that means
//! for a retry and for the caller's error.

use super::answer::Head;
use crate::error::{ApiError, Error};
use crate::retry::Failure;
use reqwest::StatusCode;

/// Why an attempt ended without a usable response.
#[derive(Debug)]
pub(crate) enum Failed {
    Reqwest(reqwest::Error),
    /// A time bound of ours, not reqwest's.
    Timeout(String),
    /// A redirect that was not followed.
    Redirect {
        status: StatusCode,
        location: String,
    },
    /// A declared length over the cap.
    TooLarge(u64),
    /// A status that is not a success, its body read.
    Status(Box<Rejected>),
}

/// An answer with a status that is not a success: the error, and the head
/// and body for the hooks, which return the response itself.
#[derive(Debug)]
pub(crate) struct Rejected {
    pub(super) head: Head,
    pub(super) body: Vec<u8>,
    pub(super) api: ApiError,
}

impl Failed {
    /// A reqwest error, with a `jwt` in its URL redacted before anything
    /// can log it.
    pub(super) fn reqwest(mut e: reqwest::Error) -> Self {
        if let Some(url) = e.url_mut() {
            crate::error::redact_url(url);
        }
        Failed::Reqwest(e)
    }

    pub(super) fn failure(&self) -> Failure {
        match self {
            Failed::Reqwest(e) => classify(e),
            Failed::Timeout(_) => Failure::Timeout,
            Failed::Redirect { .. } | Failed::TooLarge(_) | Failed::Status(_) => Failure::Final,
        }
    }

    pub(super) fn into_error(self) -> Error {
        match self {
            Failed::Reqwest(e) => Error::from_reqwest(e),
            Failed::Timeout(what) => Error::Timeout(what),
            Failed::Redirect { status, location } => Error::Redirect { status, location },
            Failed::TooLarge(limit) => Error::TooLarge { limit },
            Failed::Status(rejected) => Error::Api(Box::new(rejected.api)),
        }
    }

    /// For logs: the error without a URL.
    pub(super) fn failure_text(&self) -> String {
        match self {
            Failed::Reqwest(e) => crate::error::chain(e),
            Failed::Status(rejected) => format!("status {}", rejected.head.status),
            other => format!("{other:?}"),
        }
    }
}

/// What a reqwest error means for a retry.
fn classify(e: &reqwest::Error) -> Failure {
    if crate::error::is_final(e) {
        Failure::Final
    } else if e.is_connect() {
        Failure::Connect
    } else if e.is_timeout() {
        Failure::Timeout
    } else {
        Failure::Sent
    }
}
