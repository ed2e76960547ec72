//! External credential providers (1Password, ...).
//!
//! ```no_run
//! # async fn demo(kernel: kernel::Kernel) -> kernel::Result<()> {
//! for provider in kernel.credential_providers().list().send().await? {
//!     println!("{} {:?}", provider.id, provider.provider_type);
//! }
//! # Ok(()) }
//! ```
// Spec descriptions are prose: bare URLs and brackets are not links.
#![allow(
    rustdoc::bare_urls,
    rustdoc::broken_intra_doc_links,
    rustdoc::invalid_html_tags
)]

include!(concat!(env!("OUT_DIR"), "/calls/credential_providers.rs"));
