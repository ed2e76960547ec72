//! The causes a guarded response body fails with, which [`super::Error`]
//! finds in reqwest's error chain.

use std::time::Duration;

/// A body read past the cap of `KernelBuilder::max_response_bytes`.
#[derive(Debug)]
pub(crate) struct TooLarge {
    pub(crate) limit: u64,
}

impl std::fmt::Display for TooLarge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TooLarge: the body is over {} bytes", self.limit)
    }
}

impl std::error::Error for TooLarge {}

/// No chunk of a body within the read timeout.
#[derive(Debug)]
pub(crate) struct Idle(pub(crate) Duration);

impl std::fmt::Display for Idle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "no data for {:?}", self.0)
    }
}

impl std::error::Error for Idle {}
