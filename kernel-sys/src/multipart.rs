//! Multipart uploads.
