//! Deployed applications (`Apps` tag).

use crate::error::Result;
use crate::sys::{builder, types};
use crate::Kernel;

/// Deployed applications (`Apps` tag).
#[derive(Clone, Copy, Debug)]
pub struct Apps<'a> {
    pub(crate) kernel: &'a Kernel,
}

impl<'a> Apps<'a> {
    /// List apps: `GET /apps` (`getApps`).
    pub fn list(&self) -> builder::GetApps<'a> {
        self.kernel.sys().get_apps()
    }
}

/// App deployments (`Deployments` tag).
#[derive(Clone, Copy, Debug)]
pub struct Deployments<'a> {
    pub(crate) kernel: &'a Kernel,
}

impl<'a> Deployments<'a> {
    /// List deployments: `GET /deployments` (`getDeployments`).
    pub fn list(&self) -> builder::GetDeployments<'a> {
        self.kernel.sys().get_deployments()
    }

    /// Get deployment details: `GET /deployments/{id}` (`getDeploymentsById`).
    pub fn get(&self, id: &str) -> builder::GetDeploymentsById<'a> {
        self.kernel.sys().get_deployments_by_id().id(id)
    }

    /// Delete a deployment: `DELETE /deployments/{id}` (`deleteDeploymentsById`).
    pub fn delete(&self, id: &str) -> builder::DeleteDeploymentsById<'a> {
        self.kernel.sys().delete_deployments_by_id().id(id)
    }
}

impl Deployments<'_> {
    /// Deploys an app from a zip or a source (`postDeployments`).
    pub async fn create(
        &self,
        form: crate::sys::multipart::DeploymentForm,
    ) -> Result<types::Deployment> {
        Ok(self.kernel.sys().post_deployments(form).await?.into_inner())
    }
}

impl Deployments<'_> {
    /// Streams the events of `id` (`get_deployments_events_by_id`): ends when the deployment is running, failed or stopped.
    /// Heartbeats are hidden unless [`StreamOptions::heartbeats`](crate::sse::StreamOptions::heartbeats)
    /// is set; an `error` event is an [`Error::Event`](crate::Error::Event) item.
    pub fn events(&self, id: &str) -> crate::sse::EventStream<crate::open::DeploymentEvent> {
        crate::sse::state_events(self.kernel, id, true, |sys, id| async move {
            sys.get_deployments_events_by_id().id(id).send().await
        })
    }
}
