//! `kernel-sys`'s integration tests, in one binary so the generated client
//! is linked once.

mod components;
mod forward_compat;
mod jwt_urls;
mod request_shape;
