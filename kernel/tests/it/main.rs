//! `kernel`'s integration tests, in one binary so the SDK is linked once.
//! Three suites keep binaries of their own, for isolation the process
//! gives: `client_env` (it changes the environment), `client_upload_memory`
//! (it measures the process's peak memory) and `auth_secrets` (it installs
//! its own global trace subscriber).

#[path = "../common/mod.rs"]
mod common;

mod auth_flows;
mod auth_scripted;
#[cfg(feature = "cdp")]
mod cdp;
mod client_config;
mod client_deprecated;
mod client_errors;
mod client_pagination;
mod client_redaction;
mod client_retry;
mod client_transfer;
mod examples;
mod hostile_servers;
mod mock_agent;
mod mock_faults;
mod mock_pools;
mod mock_vm;
mod routing;
mod sse_bytes;
mod sse_conformance;
mod sse_streams;
