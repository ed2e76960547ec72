//! Shared by the examples: connect to the real API when `KERNEL_API_KEY` is
//! set, otherwise to an embedded fake Kernel started in-process.

use kernel::Kernel;

/// A client, and the fake server when one was started (keep it alive).
pub struct Connected {
    pub kernel: Kernel,
    pub fake: Option<kernel_mock::KernelMock>,
}

/// Connects as the examples' contract says.
pub async fn connect() -> Result<Connected, Box<dyn std::error::Error>> {
    if std::env::var("KERNEL_API_KEY").is_ok_and(|k| !k.trim().is_empty()) {
        return Ok(Connected {
            kernel: Kernel::from_env()?,
            fake: None,
        });
    }
    let fake = kernel_mock::KernelMock::start().await?;
    let kernel = Kernel::builder()
        .api_key(fake.api_key())
        .base_url(fake.base_url())
        .build()?;
    Ok(Connected {
        kernel,
        fake: Some(fake),
    })
}
