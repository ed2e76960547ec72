//! API keys of the organization (`API Keys` tag).

use crate::sys::builder;
use crate::Kernel;

/// API keys of the organization (`API Keys` tag).
#[derive(Clone, Copy, Debug)]
pub struct ApiKeys<'a> {
    pub(crate) kernel: &'a Kernel,
}

impl<'a> ApiKeys<'a> {
    /// List API keys: `GET /org/api_keys` (`listApiKeys`).
    pub fn list(&self) -> builder::ListApiKeys<'a> {
        self.kernel.sys().list_api_keys()
    }

    /// Create an API key: `POST /org/api_keys` (`postApiKeys`).
    pub fn create(&self) -> builder::PostApiKeys<'a> {
        self.kernel.sys().post_api_keys()
    }

    /// Get an API key: `GET /org/api_keys/{id}` (`getApiKeysById`).
    pub fn get(&self, id: &str) -> builder::GetApiKeysById<'a> {
        self.kernel.sys().get_api_keys_by_id().id(id)
    }

    /// Delete an API key: `DELETE /org/api_keys/{id}` (`deleteApiKeysById`).
    pub fn delete(&self, id: &str) -> builder::DeleteApiKeysById<'a> {
        self.kernel.sys().delete_api_keys_by_id().id(id)
    }

    /// Update an API key: `PATCH /org/api_keys/{id}` (`patchApiKeysById`).
    pub fn update(&self, id: &str) -> builder::PatchApiKeysById<'a> {
        self.kernel.sys().patch_api_keys_by_id().id(id)
    }
}
