//! Auth connections (also the legacy "auth agents") and their credential
//! references.

use chrono::{DateTime, Utc};
use kernel_sys::types;
use serde::Deserialize;
use tokio::sync::broadcast;

use super::flows::FlowView;
use super::new_id;

/// Capacity of a connection's event channel; slower subscribers resync from
/// the store.
const EVENT_CAPACITY: usize = 256;

/// An auth connection (also a legacy "auth agent").
pub(crate) struct Connection {
    pub id: String,
    pub profile_name: String,
    pub domain: String,
    pub authenticated: bool,
    pub login_url: Option<String>,
    pub proxy_id: Option<String>,
    pub credential: Option<CredentialRef>,
    pub allowed_domains: Vec<String>,
    pub health_check_interval: Option<i64>,
    pub health_checks: bool,
    pub auto_reauth: bool,
    pub save_credentials: bool,
    pub record_session: bool,
    pub last_auth_at: Option<DateTime<Utc>>,
    pub last_auth_check_at: Option<DateTime<Utc>>,
    pub post_login_url: Option<String>,
    pub ever_succeeded: bool,
    pub current_flow: Option<String>,
    pub events: broadcast::Sender<FlowView>,
}

impl Connection {
    pub fn new(profile_name: String, domain: String) -> Self {
        let (events, _) = broadcast::channel(EVENT_CAPACITY);
        Connection {
            id: new_id("ma"),
            profile_name,
            domain,
            authenticated: false,
            login_url: None,
            proxy_id: None,
            credential: None,
            allowed_domains: Vec::new(),
            health_check_interval: None,
            health_checks: true,
            auto_reauth: true,
            save_credentials: true,
            record_session: false,
            last_auth_at: None,
            last_auth_check_at: None,
            post_login_url: None,
            ever_succeeded: false,
            current_flow: None,
            events,
        }
    }

    /// `can_reauth` and `can_reauth_reason`.
    pub fn can_reauth(&self) -> (bool, &'static str) {
        match &self.credential {
            Some(c) if c.provider.is_some() => (true, "external_credential"),
            Some(_) => (true, "has_credential"),
            None if self.ever_succeeded => (false, "no_credential"),
            None => (false, "no_prior_successful_login"),
        }
    }
}

/// The spec's `CredentialReference`.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub(crate) struct CredentialRef {
    pub name: Option<String>,
    pub provider: Option<String>,
    pub path: Option<String>,
    pub auto: Option<bool>,
}

impl CredentialRef {
    pub fn named(name: String) -> Self {
        CredentialRef {
            name: Some(name),
            ..CredentialRef::default()
        }
    }

    pub fn to_spec(&self) -> types::CredentialReference {
        types::CredentialReference {
            name: self.name.clone(),
            provider: self.provider.clone(),
            path: self.path.clone(),
            auto: self.auto,
        }
    }
}
