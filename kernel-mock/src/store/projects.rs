//! Projects of the organization and their resource-limit overrides.

use chrono::{DateTime, Utc};
use kernel_sys::{open, types};
use serde_json::Value;

use super::Store;
use crate::http::error::{build_error, ApiResult};

/// Project-level caps; `None` is no cap (the org limit applies).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Limits {
    pub max_concurrent_sessions: Option<i64>,
    pub max_concurrent_invocations: Option<i64>,
    pub max_pooled_sessions: Option<i64>,
}

impl Limits {
    /// The spec's `ProjectLimits`.
    pub fn to_json(self) -> ApiResult<Value> {
        let limits: types::ProjectLimits = types::ProjectLimits::builder()
            .max_concurrent_sessions(self.max_concurrent_sessions)
            .max_concurrent_invocations(self.max_concurrent_invocations)
            .max_pooled_sessions(self.max_pooled_sessions)
            .try_into()
            .map_err(|e| build_error("ProjectLimits", e))?;
        serde_json::to_value(limits).map_err(|e| build_error("ProjectLimits", e))
    }
}

/// A project; a deleted one stays with `deleted_at` (soft delete) and is
/// invisible to the API.
#[derive(Clone, Debug)]
pub(crate) struct ProjectRecord {
    pub id: String,
    pub name: String,
    pub status: open::ProjectStatus,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub deleted_at: Option<DateTime<Utc>>,
    pub limits: Limits,
}

impl ProjectRecord {
    /// The spec's `Project`.
    pub fn to_json(&self) -> ApiResult<Value> {
        let project: types::Project = types::Project::builder()
            .id(self.id.clone())
            .name(self.name.clone())
            .status(self.status.clone())
            .created_at(self.created_at)
            .updated_at(self.updated_at)
            .try_into()
            .map_err(|e| build_error("Project", e))?;
        serde_json::to_value(project).map_err(|e| build_error("Project", e))
    }
}

/// The index of live (not deleted) project `id`.
pub(crate) fn find_index(store: &Store, id: &str) -> Option<usize> {
    store
        .projects
        .iter()
        .position(|p| p.id == id && p.deleted_at.is_none())
}

/// Live project `id`.
pub(crate) fn find<'a>(store: &'a Store, id: &str) -> Option<&'a ProjectRecord> {
    find_index(store, id).map(|i| &store.projects[i])
}
