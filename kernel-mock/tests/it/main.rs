//! kernel-mock's integration tests, in one binary so the fake and its
//! dependencies are linked once. Each module is one area's suite.

mod common;

mod catalog;
mod chromium;
mod devices;
mod direct;
mod faults;
mod legacy;
mod lifecycle;
mod org;
mod overrides;
mod pools;
mod resources;
mod routing;
mod schemathesis;
mod sites;
mod spec_conformance;
mod telemetry;
mod vm;
