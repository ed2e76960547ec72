//! One scenario per API area; each drives its operations through the
//! recorder, successes and documented errors.

mod core;
mod vm;

use crate::recorder::Recorder;

/// Every area's scenario, in turn.
pub async fn all(r: &Recorder) {
    core::scenario(r).await;
    vm::scenario(r).await;
}
