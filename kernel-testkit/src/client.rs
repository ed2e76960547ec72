//! `kernel` clients on `kernel-mock`, and a deadline for tests.

use kernel::{Kernel, KernelBuilder};
use kernel_mock::KernelMock;
use std::future::Future;
use std::time::Duration;

/// A client builder pointed at `mock`, with its API key, for a test to
/// configure further.
pub fn builder(mock: &KernelMock) -> KernelBuilder {
    Kernel::builder()
        .api_key(mock.api_key())
        .base_url(mock.base_url())
}

/// A client of `mock` with the default configuration.
pub fn on_fake(mock: &KernelMock) -> Kernel {
    builder(mock).build().expect("a client of the fake")
}

/// Awaits `future`, failing the test instead of hanging it after `limit`.
pub async fn within<T>(limit: Duration, future: impl Future<Output = T>) -> T {
    tokio::time::timeout(limit, future)
        .await
        .unwrap_or_else(|_| panic!("did not finish within {limit:?}"))
}
