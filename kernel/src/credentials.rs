//! Stored credentials: values Managed Auth fills into login forms.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> kernel::Result<()> {
//! # let fake = kernel_mock::KernelMock::start().await.unwrap();
//! # let kernel = kernel::Kernel::builder().api_key(fake.api_key()).base_url(fake.base_url()).build()?;
//! let credential = kernel
//!     .credentials()
//!     .create()
//!     .name("shop-login")
//!     .domain("shop.example")
//!     .values([("username", "me@example.com"), ("password", "correct-horse")])
//!     .send()
//!     .await?;
//! assert_eq!(credential.name, "shop-login");
//! # Ok(()) }
//! ```
// Spec descriptions are prose: bare URLs and brackets are not links.
#![allow(
    rustdoc::bare_urls,
    rustdoc::broken_intra_doc_links,
    rustdoc::invalid_html_tags
)]

include!(concat!(env!("OUT_DIR"), "/calls/credentials.rs"));
