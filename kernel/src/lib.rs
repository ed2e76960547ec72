//! Idiomatic Rust SDK for the Kernel API.
#![warn(missing_docs)]

pub use kernel_sys as sys;
