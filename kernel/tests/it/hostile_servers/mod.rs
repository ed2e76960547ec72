//! Servers that misbehave on purpose, on 127.0.0.1: every call stays
//! bounded in time, nothing the server sent is lost, nothing unsafe is
//! resent and no secret leaks. One module per kind of misbehaviour.

mod earlier;
mod error_text;
mod herd;
mod idempotency;
mod leaks;
mod redirects;
mod sizes;
mod statuses;
mod stream_limit;
mod streams;
mod timeouts;
