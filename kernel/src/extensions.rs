//! Browser extensions (`Extensions` tag).

use crate::download::Download;
use crate::error::Result;
use crate::sys::{builder, types};
use crate::upload::Upload;
use crate::Kernel;

/// Browser extensions (`Extensions` tag).
#[derive(Clone, Copy, Debug)]
pub struct Extensions<'a> {
    pub(crate) kernel: &'a Kernel,
}

impl<'a> Extensions<'a> {
    /// List browser extensions: `GET /extensions` (`getExtensions`).
    pub fn list(&self) -> builder::GetExtensions<'a> {
        self.kernel.sys().get_extensions()
    }

    /// Delete extension by ID or name: `DELETE /extensions/{id_or_name}` (`deleteExtensionByIdOrName`).
    pub fn delete(&self, id_or_name: &str) -> builder::DeleteExtensionByIdOrName<'a> {
        self.kernel
            .sys()
            .delete_extension_by_id_or_name()
            .id_or_name(id_or_name)
    }

    /// Download unpacked extension from Chrome Web Store: `GET /extensions/from_chrome_store` (`getExtensionsFromChromeStore`).
    pub fn from_chrome_store(&self) -> builder::GetExtensionsFromChromeStore<'a> {
        self.kernel.sys().get_extensions_from_chrome_store()
    }
}

impl Extensions<'_> {
    /// Downloads extension `id_or_name` as a zip (`getExtensionByIdOrName`).
    pub async fn download(&self, id_or_name: &str) -> Result<Download> {
        Ok(self
            .kernel
            .sys()
            .get_extension_by_id_or_name()
            .id_or_name(id_or_name)
            .send()
            .await?
            .into())
    }

    /// Uploads a zipped extension, optionally under a unique `name`
    /// (`postExtensions`).
    pub async fn upload(&self, zip: Upload, name: Option<&str>) -> Result<types::Extension> {
        Ok(self
            .kernel
            .sys()
            .post_extensions(zip.into_part(), name)
            .await?
            .into_inner())
    }
}
