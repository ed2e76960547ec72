//! Fake Kernel API.
