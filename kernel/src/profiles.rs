//! Browser profiles (`Profiles` tag).

use crate::download::{readiness, Download, Readiness};
use crate::error::Result;
use crate::sys::builder;
use crate::Kernel;

/// Browser profiles (`Profiles` tag).
#[derive(Clone, Copy, Debug)]
pub struct Profiles<'a> {
    pub(crate) kernel: &'a Kernel,
}

impl<'a> Profiles<'a> {
    /// List profiles: `GET /profiles` (`getProfiles`).
    pub fn list(&self) -> builder::GetProfiles<'a> {
        self.kernel.sys().get_profiles()
    }

    /// Create a new profile: `POST /profiles` (`postProfiles`).
    pub fn create(&self) -> builder::PostProfiles<'a> {
        self.kernel.sys().post_profiles()
    }

    /// Get profile by ID or name: `GET /profiles/{id_or_name}` (`getProfileByIdOrName`).
    pub fn get(&self, id_or_name: &str) -> builder::GetProfileByIdOrName<'a> {
        self.kernel
            .sys()
            .get_profile_by_id_or_name()
            .id_or_name(id_or_name)
    }

    /// Delete profile by ID or name: `DELETE /profiles/{id_or_name}` (`deleteProfileByIdOrName`).
    pub fn delete(&self, id_or_name: &str) -> builder::DeleteProfileByIdOrName<'a> {
        self.kernel
            .sys()
            .delete_profile_by_id_or_name()
            .id_or_name(id_or_name)
    }
}

impl Profiles<'_> {
    /// Downloads profile `id_or_name` as a zstd-compressed archive
    /// (`downloadProfileByIdOrName`), or [`Readiness::NotReady`] (202).
    pub async fn download(&self, id_or_name: &str) -> Result<Readiness<Download>> {
        let result = self
            .kernel
            .sys()
            .download_profile_by_id_or_name()
            .id_or_name(id_or_name)
            .send()
            .await;
        readiness(result, self.kernel.retry_policy())
    }
}
