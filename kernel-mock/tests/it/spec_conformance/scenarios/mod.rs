//! One scenario per API area; each drives its operations through the
//! recorder, successes and documented errors.

mod catalog;
mod core;
mod devices;
mod org;
mod pools;
mod vm;

use crate::spec_conformance::recorder::Recorder;

/// Every area's scenario, in turn.
pub async fn all(r: &Recorder) {
    core::scenario(r).await;
    org::scenario(r).await;
    catalog::scenario(r).await;
    pools::scenario(r).await;
    devices::scenario(r).await;
    vm::scenario(r).await;
}
