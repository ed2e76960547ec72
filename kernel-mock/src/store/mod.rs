//! The in-memory records of every API area, and ids.
//! Records live here and nowhere else; handlers (`crate::routes`) and engines
//! (`crate::flows`) read and change them through `Shared::store`, the one
//! lock.

pub(crate) mod api_keys;
pub(crate) mod browsers;
pub(crate) mod connections;
pub(crate) mod credential_providers;
pub(crate) mod credentials;
pub(crate) mod deployments;
pub(crate) mod devices;
pub(crate) mod direct;
pub(crate) mod extensions;
pub(crate) mod flows;
pub(crate) mod invocations;
pub(crate) mod pools;
pub(crate) mod processes;
pub(crate) mod profiles;
pub(crate) mod projects;
pub(crate) mod proxies;
pub(crate) mod telemetry;
pub(crate) mod vms;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use chrono::{DateTime, Utc};

use crate::providers::ProviderSeeds;
use api_keys::ApiKeyRecord;
use browsers::BrowserRecord;
use connections::Connection;
use credential_providers::ProviderRecord;
use credentials::CredentialRecord;
use deployments::DeploymentRecord;
use devices::Devices;
use direct::Direct;
use extensions::ExtensionRecord;
use flows::Flow;
use invocations::InvocationRecord;
use pools::PoolRecord;
use profiles::ProfileRecord;
use projects::ProjectRecord;
use proxies::ProxyRecord;
use vms::Vm;

/// The in-memory database.
#[derive(Default)]
pub(crate) struct Store {
    /// How browsers are reached directly (set once at start).
    pub direct: Direct,
    pub connections: Vec<Connection>,
    pub flows: HashMap<String, Flow>,
    pub credentials: Vec<CredentialRecord>,
    pub profiles: Vec<ProfileRecord>,
    pub browsers: Vec<BrowserRecord>,
    pub invocations: Vec<InvocationRecord>,
    /// Projects, soft-deleted ones included (`deleted_at`).
    pub projects: Vec<ProjectRecord>,
    pub api_keys: Vec<ApiKeyRecord>,
    pub credential_providers: Vec<ProviderRecord>,
    /// The items new credential providers get (set once at start).
    pub provider_seeds: ProviderSeeds,
    pub proxies: Vec<ProxyRecord>,
    pub extensions: Vec<ExtensionRecord>,
    /// The extensions each browser session loaded ad hoc, by session id.
    pub browser_extensions: HashMap<String, Vec<String>>,
    pub deployments: Vec<DeploymentRecord>,
    pub pools: Vec<PoolRecord>,
    /// When a `save_changes` session last saved each profile's state, by
    /// profile id (a profile with none has nothing to download).
    pub profile_states: HashMap<String, DateTime<Utc>>,
    /// Device state of browsers by session id (see [`devices::devices`]).
    pub devices: HashMap<String, Devices>,
    /// The simulated VM of each browser session, by session id.
    pub vms: HashMap<String, Vm>,
}

/// A new random-looking id such as `ma_k3j4...` (20 base-36 characters after
/// the prefix).
pub(crate) fn new_id(prefix: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    let mut x = nanos ^ n.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let mut out = String::with_capacity(prefix.len() + 21);
    out.push_str(prefix);
    if !prefix.is_empty() {
        out.push('_');
    }
    const ALPHABET: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    for _ in 0..20 {
        x = splitmix64(x);
        out.push(ALPHABET[(x % 36) as usize] as char);
    }
    out
}

fn splitmix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = x;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::new_id;

    #[test]
    fn ids_are_unique_and_prefixed() {
        let a = new_id("ma");
        let b = new_id("ma");
        assert_ne!(a, b);
        assert!(a.starts_with("ma_"));
        assert_eq!(a.len(), 23);
    }
}
