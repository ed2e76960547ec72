//! Action invocations (`Invocations` tag).

use crate::sys::builder;
use crate::Kernel;

/// Action invocations (`Invocations` tag).
#[derive(Clone, Copy, Debug)]
pub struct Invocations<'a> {
    pub(crate) kernel: &'a Kernel,
}

impl<'a> Invocations<'a> {
    /// List invocations: `GET /invocations` (`getInvocations`).
    pub fn list(&self) -> builder::GetInvocations<'a> {
        self.kernel.sys().get_invocations()
    }

    /// Invoke an action: `POST /invocations` (`postInvocations`).
    pub fn create(&self) -> builder::PostInvocations<'a> {
        self.kernel.sys().post_invocations()
    }

    /// Get invocation details: `GET /invocations/{id}` (`getInvocationsById`).
    pub fn get(&self, id: &str) -> builder::GetInvocationsById<'a> {
        self.kernel.sys().get_invocations_by_id().id(id)
    }

    /// Update invocation: `PATCH /invocations/{id}` (`patchInvocationsById`).
    pub fn update(&self, id: &str) -> builder::PatchInvocationsById<'a> {
        self.kernel.sys().patch_invocations_by_id().id(id)
    }

    /// List browsers for an invocation: `GET /invocations/{id}/browsers` (`getInvocationsBrowsersById`).
    pub fn browsers(&self, id: &str) -> builder::GetInvocationsBrowsersById<'a> {
        self.kernel.sys().get_invocations_browsers_by_id().id(id)
    }

    /// Delete browser sessions for an invocation: `DELETE /invocations/{id}/browsers` (`deleteInvocationsBrowsersById`).
    pub fn delete_browsers(&self, id: &str) -> builder::DeleteInvocationsBrowsersById<'a> {
        self.kernel.sys().delete_invocations_browsers_by_id().id(id)
    }
}

impl Invocations<'_> {
    /// Streams the events of `id` (`get_invocations_events_by_id`): ends after the invocation succeeds or fails.
    /// Heartbeats are hidden unless [`StreamOptions::heartbeats`](crate::sse::StreamOptions::heartbeats)
    /// is set; an `error` event is an [`Error::Event`](crate::Error::Event) item.
    pub fn events(&self, id: &str) -> crate::sse::EventStream<crate::open::InvocationEvent> {
        crate::sse::state_events(self.kernel, id, true, |sys, id| async move {
            sys.get_invocations_events_by_id().id(id).send().await
        })
    }
}
