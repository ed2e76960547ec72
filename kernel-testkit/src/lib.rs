//! What the workspace's test suites and the fuzz target share, so each fact
//! they check against is written once:
//!
//! - [`spec`]: the vendored spec, its components and operations;
//! - [`examples`]: a JSON example for any schema of the spec;
//! - [`schema`]: JSON Schema validation of values against the spec, with the
//!   `jsonschema` crate;
//! - [`sse`]: the reference model of the WHATWG event-stream rules that the
//!   decoder is checked against;
//! - [`http_date`]: IMF-fixdate formatting for `Retry-After` and friends;
//! - [`client`]: `kernel` clients on `kernel-mock`, and a test deadline;
//! - [`h2_events`]: an HTTP/2 event-stream server.
//!
//! The default build has no dependencies (the fuzz target compiles it with
//! sanitizers); `spec`, `client` and `h2` are features.

pub mod http_date;
pub mod sse;

#[cfg(feature = "spec")]
pub mod examples;
#[cfg(feature = "spec")]
pub mod schema;
#[cfg(feature = "spec")]
pub mod spec;

#[cfg(feature = "client")]
pub mod client;
#[cfg(feature = "h2")]
pub mod h2_events;
