//! Proxy configurations (`Proxies` tag).

use crate::sys::{builder, Client};

/// Proxy configurations (`Proxies` tag).
#[derive(Clone, Copy, Debug)]
pub struct Proxies<'a> {
    pub(crate) sys: &'a Client,
}

impl<'a> Proxies<'a> {
    /// List proxies: `GET /proxies` (`getProxies`).
    pub fn list(&self) -> builder::GetProxies<'a> {
        self.sys.get_proxies()
    }

    /// Create a proxy: `POST /proxies` (`postProxies`).
    pub fn create(&self) -> builder::PostProxies<'a> {
        self.sys.post_proxies()
    }

    /// Get proxy by ID: `GET /proxies/{id}` (`getProxiesById`).
    pub fn get(&self, id: &str) -> builder::GetProxiesById<'a> {
        self.sys.get_proxies_by_id().id(id)
    }

    /// Delete proxy by ID: `DELETE /proxies/{id}` (`deleteProxiesById`).
    pub fn delete(&self, id: &str) -> builder::DeleteProxiesById<'a> {
        self.sys.delete_proxies_by_id().id(id)
    }

    /// Check proxy health: `POST /proxies/{id}/check` (`postProxiesByIdCheck`).
    pub fn check(&self, id: &str) -> builder::PostProxiesByIdCheck<'a> {
        self.sys.post_proxies_by_id_check().id(id)
    }
}
