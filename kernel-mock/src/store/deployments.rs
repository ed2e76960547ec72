//! Deployments, their event history, and the app versions running
//! deployments serve (what `getApps` lists and `postInvocations` checks).

use std::collections::HashMap;

use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use kernel_sys::secret::SecretMap;
use kernel_sys::{open, types};
use serde_json::Value;
use tokio::sync::broadcast;
use tokio::task::AbortHandle;

use super::Store;
use crate::http::error::{build_error, ApiError, ApiResult};

/// The only region the spec allows.
pub(crate) const REGION: &str = "aws.us-east-1a";

/// A deployment and the app version it serves once running.
pub(crate) struct DeploymentRecord {
    pub id: String,
    pub app_name: String,
    pub version: String,
    pub actions: Vec<String>,
    /// The id of the app version this deployment serves.
    pub app_version_id: String,
    pub entrypoint_rel_path: String,
    pub env_vars: HashMap<String, String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub status: open::DeploymentStatus,
    pub status_reason: Option<String>,
    /// Why the build will fail (decided when the code was uploaded).
    pub build_error: Option<String>,
    pub(crate) events: Vec<(DateTime<Utc>, Value)>,
    pub(crate) sender: Option<broadcast::Sender<(DateTime<Utc>, Value)>>,
    pub(crate) task: Option<AbortHandle>,
}

/// `true` for a status a deployment never leaves (`failed`, `stopped`).
pub(crate) fn is_terminal(status: &open::DeploymentStatus) -> bool {
    matches!(
        status,
        open::DeploymentStatus::Failed | open::DeploymentStatus::Stopped
    )
}

/// `true` for a status an event stream ends at: terminal, or `running`
/// (the deployment is up and stays so until deleted).
pub(crate) fn is_settled(status: &open::DeploymentStatus) -> bool {
    is_terminal(status) || *status == open::DeploymentStatus::Running
}

impl DeploymentRecord {
    /// The spec's `Deployment`.
    pub fn to_spec(&self) -> ApiResult<types::Deployment> {
        types::Deployment::builder()
            .id(self.id.clone())
            .status(self.status.clone())
            .status_reason(self.status_reason.clone())
            .region(open::DeploymentRegion::from(REGION))
            .entrypoint_rel_path(Some(self.entrypoint_rel_path.clone()))
            .env_vars(Some(SecretMap::from(self.env_vars.clone())))
            .created_at(self.created_at)
            .updated_at(Some(self.updated_at))
            .try_into()
            .map_err(|e| build_error("Deployment", e))
    }

    /// [`to_spec`](Self::to_spec) as JSON.
    pub fn to_json(&self) -> ApiResult<Value> {
        serde_json::to_value(self.to_spec()?).map_err(|e| build_error("Deployment", e))
    }

    fn actions(&self) -> Vec<types::AppAction> {
        self.actions
            .iter()
            .map(|name| types::AppAction {
                name: name.clone(),
                input_schema: None,
                output_schema: None,
            })
            .collect()
    }

    /// The spec's `AppVersionSummary` of the app version this deployment
    /// serves.
    pub fn app_summary(&self) -> ApiResult<Value> {
        let summary: types::AppVersionSummary = types::AppVersionSummary::builder()
            .id(self.app_version_id.clone())
            .app_name(self.app_name.clone())
            .version(self.version.clone())
            .region(open::AppVersionSummaryRegion::from(REGION))
            .deployment(self.id.clone())
            .actions(self.actions())
            .env_vars(SecretMap::from(self.env_vars.clone()))
            .try_into()
            .map_err(|e| build_error("AppVersionSummary", e))?;
        serde_json::to_value(summary).map_err(|e| build_error("AppVersionSummary", e))
    }

    /// Appends `event` to the history and sends it to live streams; a
    /// terminal deployment sends nothing more.
    pub(crate) fn emit(&mut self, event: Value) {
        let at = Utc::now();
        self.events.push((at, event.clone()));
        if let Some(sender) = &self.sender {
            let _ = sender.send((at, event));
        }
        if is_terminal(&self.status) {
            self.sender = None;
        }
    }

    /// Moves to `status` and emits the `deployment_state` event.
    pub(crate) fn set_status(&mut self, status: open::DeploymentStatus, reason: &str) {
        self.status = status;
        self.status_reason = Some(reason.to_owned());
        self.updated_at = Utc::now();
        let event = self.to_spec().and_then(|deployment| {
            serde_json::to_value(types::DeploymentStateEvent {
                deployment,
                event: types::DeploymentStateEventEvent::DeploymentState,
                timestamp: Utc::now(),
            })
            .map_err(|e| build_error("DeploymentStateEvent", e))
        });
        match event {
            Ok(event) => self.emit(event),
            Err(error) => self.error(&error),
        }
    }

    /// Emits a `log` event.
    pub(crate) fn log(&mut self, message: impl Into<String>) {
        let event = types::LogEvent {
            event: types::LogEventEvent::Log,
            message: message.into(),
            timestamp: Utc::now(),
        };
        if let Ok(value) = serde_json::to_value(event) {
            self.emit(value);
        }
    }

    /// Emits an `error` event carrying `error`'s code and message.
    pub(crate) fn error(&mut self, error: &ApiError) {
        let event = types::ErrorEvent {
            error: types::Error {
                code: error.code.clone(),
                message: error.message.clone(),
                details: Vec::new(),
                inner_error: None,
            },
            event: types::ErrorEventEvent::Error,
            timestamp: Utc::now(),
        };
        if let Ok(value) = serde_json::to_value(event) {
            self.emit(value);
        }
    }

    /// Emits the `app_version_summary` event of the app version now served.
    pub(crate) fn announce_app(&mut self) {
        let event = types::AppVersionSummaryEvent {
            actions: self.actions(),
            app_name: self.app_name.clone(),
            env_vars: Some(SecretMap::from(self.env_vars.clone())),
            event: types::AppVersionSummaryEventEvent::AppVersionSummary,
            id: self.app_version_id.clone(),
            region: open::AppVersionSummaryEventRegion::from(REGION),
            timestamp: Utc::now(),
            version: self.version.clone(),
        };
        if let Ok(value) = serde_json::to_value(event) {
            self.emit(value);
        }
    }

    /// Stops the deployment (its build task too) with `reason`; a
    /// terminal deployment is left as it is.
    pub(crate) fn stop(&mut self, reason: &str) {
        if is_terminal(&self.status) {
            return;
        }
        if let Some(task) = self.task.take() {
            task.abort();
        }
        self.log(reason);
        self.set_status(open::DeploymentStatus::Stopped, reason);
    }
}

/// The running deployment serving `app`@`version`: that exact version, or
/// for `latest` (the spec's default) the newest running one when no version
/// is literally named `latest`.
fn serving<'a>(store: &'a Store, app: &str, version: &str) -> Option<&'a DeploymentRecord> {
    let running = || {
        store
            .deployments
            .iter()
            .filter(move |d| d.app_name == app && d.status == open::DeploymentStatus::Running)
    };
    running().find(|d| d.version == version).or_else(|| {
        (version == "latest")
            .then(|| running().max_by_key(|d| d.created_at))
            .flatten()
    })
}

/// Whether action `action` of `app`@`version` may be invoked: an app the
/// mock has never seen a deployment of is accepted as is (`Ok`); for a
/// deployed app, the version must be running and have the action (`404`
/// otherwise).
pub(crate) fn check_action(store: &Store, app: &str, version: &str, action: &str) -> ApiResult<()> {
    if !store.deployments.iter().any(|d| d.app_name == app) {
        return Ok(());
    }
    let deployment = serving(store, app, version)
        .ok_or_else(|| ApiError::not_found("running app version", &format!("{app}@{version}")))?;
    if !deployment.actions.iter().any(|a| a == action) {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!(
                "app {app}@{} has no action {action:?} (its actions: {})",
                deployment.version,
                deployment.actions.join(", ")
            ),
        ));
    }
    Ok(())
}
