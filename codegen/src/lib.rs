//! The normalized view of the Kernel OpenAPI document.
//!
//! Kernel publishes an OpenAPI **3.1** document; progenitor 0.15 / typify 0.8
//! (through `openapiv3`) only read **3.0.x** and get several constructs wrong.
//! Rather than editing the vendored spec or the generated code, every fix is a
//! named transform here, applied in [`TRANSFORMS`] order by [`normalize`].
//! `kernel-sys/build.rs` generates code from the result and `xtask` computes
//! drift on the same view, so the two can never disagree.
//!
//! Each transform is a plain function over a [`serde_json::Value`] with its own
//! unit test on a small snippet beside it (see [`transforms`]).

#![warn(missing_docs)]

mod load;
mod operations;
mod report;
pub mod transforms;
mod walk;

pub use load::{load, parse, LoadError, METHODS, SPEC_PATH};
pub use operations::{const_name, operations, Operation};
pub use report::*;
pub use transforms::*;

pub mod calls;
pub mod idempotency;
pub mod sys;

/// The README's examples, compiled as doctests.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
