//! Pools of pre-warmed browsers (`Browser Pools` tag).

use crate::error::Result;
use crate::sys::{builder, types};
use crate::Kernel;

/// Pools of pre-warmed browsers (`Browser Pools` tag).
#[derive(Clone, Copy, Debug)]
pub struct BrowserPools<'a> {
    pub(crate) kernel: &'a Kernel,
}

impl<'a> BrowserPools<'a> {
    /// List browser pools: `GET /browser_pools` (`getBrowserPools`).
    pub fn list(&self) -> builder::GetBrowserPools<'a> {
        self.kernel.sys().get_browser_pools()
    }

    /// Create a browser pool: `POST /browser_pools` (`postBrowserPools`).
    pub fn create(&self) -> builder::PostBrowserPools<'a> {
        self.kernel.sys().post_browser_pools()
    }

    /// Get browser pool details: `GET /browser_pools/{id_or_name}` (`getBrowserPoolsByIdOrName`).
    pub fn get(&self, id_or_name: &str) -> builder::GetBrowserPoolsByIdOrName<'a> {
        self.kernel
            .sys()
            .get_browser_pools_by_id_or_name()
            .id_or_name(id_or_name)
    }

    /// Update a browser pool: `PATCH /browser_pools/{id_or_name}` (`updateBrowserPoolsByIdOrName`).
    pub fn update(&self, id_or_name: &str) -> builder::UpdateBrowserPoolsByIdOrName<'a> {
        self.kernel
            .sys()
            .update_browser_pools_by_id_or_name()
            .id_or_name(id_or_name)
    }

    /// Delete a browser pool: `DELETE /browser_pools/{id_or_name}` (`deleteBrowserPoolsByIdOrName`).
    pub fn delete(&self, id_or_name: &str) -> builder::DeleteBrowserPoolsByIdOrName<'a> {
        self.kernel
            .sys()
            .delete_browser_pools_by_id_or_name()
            .id_or_name(id_or_name)
    }

    /// Release a browser back to the pool: `POST /browser_pools/{id_or_name}/release` (`releaseToBrowserPoolByIdOrName`).
    pub fn release(&self, id_or_name: &str) -> builder::ReleaseToBrowserPoolByIdOrName<'a> {
        self.kernel
            .sys()
            .release_to_browser_pool_by_id_or_name()
            .id_or_name(id_or_name)
    }

    /// Flush all idle browsers in the pool: `POST /browser_pools/{id_or_name}/flush` (`flushBrowserPoolByIdOrName`).
    pub fn flush(&self, id_or_name: &str) -> builder::FlushBrowserPoolByIdOrName<'a> {
        self.kernel
            .sys()
            .flush_browser_pool_by_id_or_name()
            .id_or_name(id_or_name)
    }
}

impl BrowserPools<'_> {
    /// Acquires a browser from pool `id_or_name`
    /// (`acquireFromBrowserPoolByIdOrName`); `None` when the acquire timed out
    /// with no browser available (204).
    pub async fn acquire(
        &self,
        id_or_name: &str,
        body: types::BrowserPoolAcquireRequest,
    ) -> Result<Option<types::Browser>> {
        match self
            .kernel
            .sys()
            .acquire_from_browser_pool_by_id_or_name()
            .id_or_name(id_or_name)
            .body(body)
            .send()
            .await
        {
            Ok(response) => Ok(Some(response.into_inner())),
            Err(progenitor_client::Error::UnexpectedResponse(r))
                if r.status() == reqwest::StatusCode::NO_CONTENT =>
            {
                Ok(None)
            }
            Err(e) => Err(e.into()),
        }
    }
}
