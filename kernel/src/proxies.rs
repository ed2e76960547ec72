//! Proxy configurations (`Proxies` tag).

use crate::sys::builder;
use crate::Kernel;

/// Proxy configurations (`Proxies` tag).
#[derive(Clone, Copy, Debug)]
pub struct Proxies<'a> {
    pub(crate) kernel: &'a Kernel,
}

impl<'a> Proxies<'a> {
    /// List proxies: `GET /proxies` (`getProxies`).
    pub fn list(&self) -> builder::GetProxies<'a> {
        self.kernel.sys().get_proxies()
    }

    /// Create a proxy: `POST /proxies` (`postProxies`).
    pub fn create(&self) -> builder::PostProxies<'a> {
        self.kernel.sys().post_proxies()
    }

    /// Get proxy by ID: `GET /proxies/{id}` (`getProxiesById`).
    pub fn get(&self, id: &str) -> builder::GetProxiesById<'a> {
        self.kernel.sys().get_proxies_by_id().id(id)
    }

    /// Delete proxy by ID: `DELETE /proxies/{id}` (`deleteProxiesById`).
    pub fn delete(&self, id: &str) -> builder::DeleteProxiesById<'a> {
        self.kernel.sys().delete_proxies_by_id().id(id)
    }

    /// Check proxy health: `POST /proxies/{id}/check` (`postProxiesByIdCheck`).
    pub fn check(&self, id: &str) -> builder::PostProxiesByIdCheck<'a> {
        self.kernel.sys().post_proxies_by_id_check().id(id)
    }
}
