//! The HTTP plumbing every area's handlers share: the spec's `Error` body,
//! request extractors, pagination and the API-key check.

pub(crate) mod auth;
pub(crate) mod error;
pub(crate) mod extract;
pub(crate) mod paging;
