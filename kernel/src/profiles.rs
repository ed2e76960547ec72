//! Browser profiles: cookies and storage kept across sessions.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> kernel::Result<()> {
//! # let fake = kernel_mock::KernelMock::start().await.unwrap();
//! # let kernel = kernel::Kernel::builder().api_key(fake.api_key()).base_url(fake.base_url()).build()?;
//! let profile = kernel.profiles().create().name("shopping").send().await?;
//! let again = kernel.profiles().get("shopping").send().await?;
//! assert_eq!(again.id, profile.id);
//! kernel.profiles().delete("shopping").send().await?;
//! # Ok(()) }
//! ```
// Spec descriptions are prose: bare URLs and brackets are not links.
#![allow(
    rustdoc::bare_urls,
    rustdoc::broken_intra_doc_links,
    rustdoc::invalid_html_tags
)]

include!(concat!(env!("OUT_DIR"), "/calls/profiles.rs"));
