//! Auth connections (also the legacy "auth agents") and their credential
//! references.

use chrono::{DateTime, Utc};
use kernel_sys::types;
use serde::Deserialize;
use tokio::sync::broadcast;

use super::flows::FlowView;
use super::{credential_providers, credentials, new_id, Store};
use crate::http::error::{ApiError, ApiResult};

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
    /// A reference to the Kernel credential `name`.
    pub fn named(name: String) -> Self {
        CredentialRef {
            name: Some(name),
            ..CredentialRef::default()
        }
    }

    /// Checks the reference against the store; it is one of the spec's three forms: `{name}`
    /// (the Kernel credential must exist), `{provider, path}` (the provider must
    /// exist and hold an item at `path`) or `{provider, auto: true}` (the
    /// provider must exist). Anything else is a 400, as is a missing credential
    /// or provider (creating a connection documents no 404).
    pub fn validate(&self, store: &Store) -> ApiResult<()> {
        let CredentialRef {
            name,
            provider,
            path,
            auto,
        } = self;
        match (name, provider) {
            (Some(name), None) => {
                if path.is_some() || auto.is_some() {
                    return Err(ApiError::bad_request(
                        "credential: path and auto go with provider, not name",
                    ));
                }
                if credentials::find(store, name).is_none() {
                    return Err(ApiError::bad_request(format!(
                        "credential {name:?} not found"
                    )));
                }
                Ok(())
            }
            (None, Some(provider)) => {
                let record = credential_providers::find(store, provider).ok_or_else(|| {
                    ApiError::bad_request(format!("credential provider {provider:?} not found"))
                })?;
                match (path, auto) {
                    (Some(_), Some(true)) => Err(ApiError::bad_request(
                        "credential: give either path or auto: true, not both",
                    )),
                    (Some(path), _) => match record.item_at(path) {
                        Some(_) => Ok(()),
                        None => Err(ApiError::bad_request(format!(
                            "credential provider {provider:?} has no item at path {path:?}"
                        ))),
                    },
                    (None, Some(true)) => Ok(()),
                    (None, _) => Err(ApiError::bad_request(
                        "credential: a provider reference needs path or auto: true",
                    )),
                }
            }
            (Some(_), Some(_)) => Err(ApiError::bad_request(
                "credential: give either name or provider, not both",
            )),
            (None, None) => Err(ApiError::bad_request(
                "credential: name or provider is required",
            )),
        }
    }

    /// The spec's `CredentialReference`.
    pub fn to_spec(&self) -> types::CredentialReference {
        types::CredentialReference {
            name: self.name.clone(),
            provider: self.provider.clone(),
            path: self.path.clone(),
            auto: self.auto,
        }
    }
}

/// The connections a list keeps: those of `profile_name` and of `domain`
/// (compared in lower case), where given.
pub(crate) fn matching<'a>(
    store: &'a Store,
    profile_name: Option<&'a str>,
    domain: Option<&str>,
) -> impl Iterator<Item = &'a Connection> {
    let domain = domain.map(str::to_ascii_lowercase);
    store.connections.iter().filter(move |c| {
        profile_name.is_none_or(|p| c.profile_name == p)
            && domain.as_deref().is_none_or(|d| c.domain == d)
    })
}
