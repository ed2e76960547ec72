//! Deployed applications (`Apps` tag).

use crate::error::Result;
use crate::sys::{builder, types, Client};

/// Deployed applications (`Apps` tag).
#[derive(Clone, Copy, Debug)]
pub struct Apps<'a> {
    pub(crate) sys: &'a Client,
}

impl<'a> Apps<'a> {
    /// List apps: `GET /apps` (`getApps`).
    pub fn list(&self) -> builder::GetApps<'a> {
        self.sys.get_apps()
    }
}

/// App deployments (`Deployments` tag).
#[derive(Clone, Copy, Debug)]
pub struct Deployments<'a> {
    pub(crate) sys: &'a Client,
}

impl<'a> Deployments<'a> {
    /// List deployments: `GET /deployments` (`getDeployments`).
    pub fn list(&self) -> builder::GetDeployments<'a> {
        self.sys.get_deployments()
    }

    /// Get deployment details: `GET /deployments/{id}` (`getDeploymentsById`).
    pub fn get(&self, id: &str) -> builder::GetDeploymentsById<'a> {
        self.sys.get_deployments_by_id().id(id)
    }

    /// Delete a deployment: `DELETE /deployments/{id}` (`deleteDeploymentsById`).
    pub fn delete(&self, id: &str) -> builder::DeleteDeploymentsById<'a> {
        self.sys.delete_deployments_by_id().id(id)
    }
}

impl Deployments<'_> {
    /// Deploys an app from a zip or a source (`postDeployments`).
    pub async fn create(&self, form: crate::sys::multipart::DeploymentForm) -> Result<types::Deployment> {
        Ok(self.sys.post_deployments(form).await?.into_inner())
    }
}
