//! Proxies. Deletion is soft (sessions that reference a proxy keep working,
//! as the spec says), and a proxy's health is whatever its last check found.

use std::net::IpAddr;

use chrono::{DateTime, Utc};
use kernel_sys::{open, types};
use serde_json::Value;

use super::Store;
use crate::http::error::{build_error, ApiResult};

/// A stored proxy.
pub(crate) struct ProxyRecord {
    pub id: String,
    pub name: Option<String>,
    pub kind: open::ProxyType,
    pub protocol: open::ProxyProtocol,
    pub bypass_hosts: Vec<String>,
    /// The configuration as created (a custom proxy's password included).
    pub config: types::ProxyCreateRequestConfig,
    pub status: Option<open::ProxyStatus>,
    pub last_checked: Option<DateTime<Utc>>,
    pub ip_address: Option<String>,
    pub deleted_at: Option<DateTime<Utc>>,
}

/// `true` for a host under the reserved `.invalid` top-level domain, which
/// never resolves: the mock's deterministic "unreachable".
pub(crate) fn is_invalid_host(host: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    host == "invalid" || host.ends_with(".invalid")
}

impl ProxyRecord {
    /// What a health check finds: a custom proxy whose host is under
    /// `.invalid` or whose port is 0 cannot be reached; every other proxy
    /// (Kernel's managed pools included) answers.
    pub fn reachable(&self) -> bool {
        if self.kind != open::ProxyType::Custom {
            return true;
        }
        let host_ok = self
            .config
            .host
            .as_deref()
            .is_some_and(|h| !is_invalid_host(h));
        host_ok && self.config.port.is_some_and(|p| p != 0)
    }

    /// The exit IP a passing check reports: a custom proxy's own address
    /// when its host is an IP literal, otherwise one derived from the id in
    /// the documentation range `203.0.113.0/24`.
    pub fn exit_ip(&self) -> String {
        if let Some(ip) = self
            .config
            .host
            .as_deref()
            .filter(|_| self.kind == open::ProxyType::Custom)
            .and_then(|h| h.trim_matches(['[', ']']).parse::<IpAddr>().ok())
        {
            return ip.to_string();
        }
        let sum: u32 = self.id.bytes().map(u32::from).sum();
        format!("203.0.113.{}", 1 + sum % 254)
    }

    /// The spec's `Proxy`.
    ///
    /// `config` is left out: the spec's `config` is a `oneOf` whose
    /// variants overlap (the datacenter and ISP schemas are identical and
    /// none forbids other fields), so every configuration object matches
    /// several and no response carrying one is valid against the spec.
    pub fn to_spec(&self) -> ApiResult<types::Proxy> {
        types::Proxy::builder()
            .id(Some(self.id.clone()))
            .name(self.name.clone())
            .type_(self.kind.clone())
            .protocol(Some(self.protocol.clone()))
            .bypass_hosts(self.bypass_hosts.clone())
            .status(self.status.clone())
            .last_checked(self.last_checked)
            .ip_address(self.ip_address.clone())
            .try_into()
            .map_err(|e| build_error("Proxy", e))
    }

    /// [`to_spec`](Self::to_spec) as JSON.
    pub fn to_json(&self) -> ApiResult<Value> {
        serde_json::to_value(self.to_spec()?).map_err(|e| build_error("Proxy", e))
    }
}

/// The index of the live (not deleted) proxy with id, or else name,
/// `id_or_name`.
pub(crate) fn find_index(store: &Store, id_or_name: &str) -> Option<usize> {
    let live = || {
        store
            .proxies
            .iter()
            .enumerate()
            .filter(|(_, p)| p.deleted_at.is_none())
    };
    live()
        .find(|(_, p)| p.id == id_or_name)
        .or_else(|| live().find(|(_, p)| p.name.as_deref() == Some(id_or_name)))
        .map(|(i, _)| i)
}

/// The live proxy with id, or else name, `id_or_name`: what a `ProxyRef`
/// (`{"id": …}` or `{"name": …}`) selects.
pub(crate) fn find_proxy<'a>(store: &'a Store, id_or_name: &str) -> Option<&'a ProxyRecord> {
    find_index(store, id_or_name).map(|i| &store.proxies[i])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn custom(host: &str, port: i64) -> ProxyRecord {
        ProxyRecord {
            id: "proxy_1".into(),
            name: Some("mine".into()),
            kind: open::ProxyType::Custom,
            protocol: open::ProxyProtocol::Https,
            bypass_hosts: Vec::new(),
            config: types::ProxyCreateRequestConfig {
                host: Some(host.into()),
                port: Some(port),
                ..Default::default()
            },
            status: None,
            last_checked: None,
            ip_address: None,
            deleted_at: None,
        }
    }

    #[test]
    fn reachability_is_deterministic() {
        assert!(custom("proxy.example.com", 8080).reachable());
        assert!(!custom("proxy.invalid", 8080).reachable());
        assert!(!custom("a.b.INVALID.", 8080).reachable());
        assert!(!custom("proxy.example.com", 0).reachable());
        assert_eq!(custom("10.1.2.3", 1).exit_ip(), "10.1.2.3");
        assert!(custom("proxy.example.com", 1)
            .exit_ip()
            .starts_with("203.0.113."));
    }

    #[test]
    fn finds_live_proxies_by_id_or_name() {
        let mut store = Store::default();
        store.proxies.push(custom("h", 1));
        assert!(find_proxy(&store, "proxy_1").is_some());
        assert!(find_proxy(&store, "mine").is_some());
        assert!(find_proxy(&store, "other").is_none());
        store.proxies[0].deleted_at = Some(Utc::now());
        assert!(find_proxy(&store, "mine").is_none());
    }
}
