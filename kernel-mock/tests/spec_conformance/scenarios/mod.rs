//! One scenario per API area; each drives its operations through the
//! recorder, successes and documented errors.

mod core;
mod devices;

use crate::recorder::Recorder;

/// Every area's scenario, in turn.
pub async fn all(r: &Recorder) {
    core::scenario(r).await;
    devices::scenario(r).await;
}
