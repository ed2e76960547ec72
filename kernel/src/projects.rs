//! Projects of the organization (`Projects` tag).

use crate::sys::builder;
use crate::Kernel;

/// Projects of the organization (`Projects` tag).
#[derive(Clone, Copy, Debug)]
pub struct Projects<'a> {
    pub(crate) kernel: &'a Kernel,
}

impl<'a> Projects<'a> {
    /// List projects: `GET /org/projects` (`getOrgProjects`).
    pub fn list(&self) -> builder::GetOrgProjects<'a> {
        self.kernel.sys().get_org_projects()
    }

    /// Create a project: `POST /org/projects` (`postOrgProjects`).
    pub fn create(&self) -> builder::PostOrgProjects<'a> {
        self.kernel.sys().post_org_projects()
    }

    /// Get a project: `GET /org/projects/{id}` (`getOrgProjectsId`).
    pub fn get(&self, id: &str) -> builder::GetOrgProjectsId<'a> {
        self.kernel.sys().get_org_projects_id().id(id)
    }

    /// Update a project: `PATCH /org/projects/{id}` (`patchOrgProjectsId`).
    pub fn update(&self, id: &str) -> builder::PatchOrgProjectsId<'a> {
        self.kernel.sys().patch_org_projects_id().id(id)
    }

    /// Delete a project: `DELETE /org/projects/{id}` (`deleteOrgProjectsId`).
    pub fn delete(&self, id: &str) -> builder::DeleteOrgProjectsId<'a> {
        self.kernel.sys().delete_org_projects_id().id(id)
    }

    /// Get project limits: `GET /org/projects/{id}/limits` (`getOrgProjectLimits`).
    pub fn limits(&self, id: &str) -> builder::GetOrgProjectLimits<'a> {
        self.kernel.sys().get_org_project_limits().id(id)
    }

    /// Update project limits: `PATCH /org/projects/{id}/limits` (`patchOrgProjectLimits`).
    pub fn update_limits(&self, id: &str) -> builder::PatchOrgProjectLimits<'a> {
        self.kernel.sys().patch_org_project_limits().id(id)
    }
}

/// The deprecated `/projects` paths; use [`Projects`].
#[derive(Clone, Copy, Debug)]
pub struct LegacyProjects<'a> {
    pub(crate) kernel: &'a Kernel,
}

impl<'a> LegacyProjects<'a> {
    /// List projects: `GET /projects` (`getProjects`).
    #[deprecated(note = "deprecated in the Kernel API")]
    pub fn list(&self) -> builder::GetProjects<'a> {
        self.kernel.sys().get_projects()
    }

    /// Create a project: `POST /projects` (`postProjects`).
    #[deprecated(note = "deprecated in the Kernel API")]
    pub fn create(&self) -> builder::PostProjects<'a> {
        self.kernel.sys().post_projects()
    }

    /// Get a project: `GET /projects/{id}` (`getProjectsId`).
    #[deprecated(note = "deprecated in the Kernel API")]
    pub fn get(&self, id: &str) -> builder::GetProjectsId<'a> {
        self.kernel.sys().get_projects_id().id(id)
    }

    /// Update a project: `PATCH /projects/{id}` (`patchProjectsId`).
    #[deprecated(note = "deprecated in the Kernel API")]
    pub fn update(&self, id: &str) -> builder::PatchProjectsId<'a> {
        self.kernel.sys().patch_projects_id().id(id)
    }

    /// Delete a project: `DELETE /projects/{id}` (`deleteProjectsId`).
    #[deprecated(note = "deprecated in the Kernel API")]
    pub fn delete(&self, id: &str) -> builder::DeleteProjectsId<'a> {
        self.kernel.sys().delete_projects_id().id(id)
    }

    /// Get project limits: `GET /projects/{id}/limits` (`getProjectLimits`).
    #[deprecated(note = "deprecated in the Kernel API")]
    pub fn limits(&self, id: &str) -> builder::GetProjectLimits<'a> {
        self.kernel.sys().get_project_limits().id(id)
    }

    /// Update project limits: `PATCH /projects/{id}/limits` (`patchProjectLimits`).
    #[deprecated(note = "deprecated in the Kernel API")]
    pub fn update_limits(&self, id: &str) -> builder::PatchProjectLimits<'a> {
        self.kernel.sys().patch_project_limits().id(id)
    }
}
