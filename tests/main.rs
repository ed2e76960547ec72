//! The workspace's tests across crates, in one binary: the API-surface
//! snapshots, the Prism conformance run and the fake's agreement with the
//! spec.

mod api_surface;
mod calls;
mod common;
mod fake_agreement;
mod prism;
