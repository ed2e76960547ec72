//! One scenario per API area; each drives its operations through the
//! recorder, successes and documented errors.

mod catalog;
mod core;
mod org;

use crate::recorder::Recorder;

/// Every area's scenario, in turn.
pub async fn all(r: &Recorder) {
    core::scenario(r).await;
    org::scenario(r).await;
    catalog::scenario(r).await;
}
