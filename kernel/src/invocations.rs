//! Action invocations (`Invocations` tag).

use crate::sys::{builder, Client};

/// Action invocations (`Invocations` tag).
#[derive(Clone, Copy, Debug)]
pub struct Invocations<'a> {
    pub(crate) sys: &'a Client,
}

impl<'a> Invocations<'a> {
    /// List invocations: `GET /invocations` (`getInvocations`).
    pub fn list(&self) -> builder::GetInvocations<'a> {
        self.sys.get_invocations()
    }

    /// Invoke an action: `POST /invocations` (`postInvocations`).
    pub fn create(&self) -> builder::PostInvocations<'a> {
        self.sys.post_invocations()
    }

    /// Get invocation details: `GET /invocations/{id}` (`getInvocationsById`).
    pub fn get(&self, id: &str) -> builder::GetInvocationsById<'a> {
        self.sys.get_invocations_by_id().id(id)
    }

    /// Update invocation: `PATCH /invocations/{id}` (`patchInvocationsById`).
    pub fn update(&self, id: &str) -> builder::PatchInvocationsById<'a> {
        self.sys.patch_invocations_by_id().id(id)
    }

    /// List browsers for an invocation: `GET /invocations/{id}/browsers` (`getInvocationsBrowsersById`).
    pub fn browsers(&self, id: &str) -> builder::GetInvocationsBrowsersById<'a> {
        self.sys.get_invocations_browsers_by_id().id(id)
    }

    /// Delete browser sessions for an invocation: `DELETE /invocations/{id}/browsers` (`deleteInvocationsBrowsersById`).
    pub fn delete_browsers(&self, id: &str) -> builder::DeleteInvocationsBrowsersById<'a> {
        self.sys.delete_invocations_browsers_by_id().id(id)
    }
}
