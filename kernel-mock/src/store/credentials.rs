//! Stored credentials: login values (never returned) and TOTP secrets.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeZone, Utc};
use serde_json::Value;

use super::{new_id, Store};
use crate::http::error::{build_error, ApiError, ApiResult};
use crate::totp;

/// A stored credential.
#[derive(Clone, Debug)]
pub(crate) struct CredentialRecord {
    pub id: String,
    pub name: String,
    pub domain: String,
    pub values: BTreeMap<String, String>,
    pub totp_secret: Option<String>,
    pub sso_provider: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl CredentialRecord {
    /// The spec's `Credential` (never the values); with `with_code`, the
    /// current `totp_code` and its expiry.
    pub fn to_json(&self, with_code: bool) -> ApiResult<Value> {
        let mut builder = kernel_sys::types::Credential::builder()
            .id(self.id.clone())
            .name(self.name.clone())
            .domain(self.domain.clone())
            .created_at(self.created_at)
            .updated_at(self.updated_at)
            .has_values(Some(!self.values.is_empty()))
            .has_totp_secret(Some(self.totp_secret.is_some()))
            .sso_provider(self.sso_provider.clone());
        if with_code {
            if let Some(secret) = &self.totp_secret {
                let now = totp::now_unix();
                if let Ok(code) = totp::code_at(secret, now) {
                    builder = builder
                        .totp_code(Some(code.into()))
                        .totp_code_expires_at(Some(unix_to_datetime(totp::current_expiry(now))));
                }
            }
        }
        let credential: kernel_sys::types::Credential = builder
            .try_into()
            .map_err(|e| build_error("Credential", e))?;
        serde_json::to_value(credential).map_err(|e| build_error("Credential", e))
    }
}

pub(crate) fn unix_to_datetime(secs: u64) -> DateTime<Utc> {
    Utc.timestamp_opt(secs as i64, 0)
        .single()
        .unwrap_or_else(Utc::now)
}

/// The credential with id or name `id_or_name`.
pub(crate) fn find<'a>(store: &'a Store, id_or_name: &str) -> Option<&'a CredentialRecord> {
    store
        .credentials
        .iter()
        .find(|c| c.id == id_or_name)
        .or_else(|| store.credentials.iter().find(|c| c.name == id_or_name))
}

pub(crate) fn find_index(store: &Store, id_or_name: &str) -> Option<usize> {
    store
        .credentials
        .iter()
        .position(|c| c.id == id_or_name)
        .or_else(|| store.credentials.iter().position(|c| c.name == id_or_name))
}

/// Merges `values` into the credential `name` (created for `domain` if
/// missing), as a successful login with saving enabled does.
pub(crate) fn save_values(
    store: &mut Store,
    name: &str,
    domain: &str,
    values: &BTreeMap<String, String>,
    sso_provider: Option<&str>,
) {
    let now = Utc::now();
    match find_index(store, name) {
        Some(i) => {
            let credential = &mut store.credentials[i];
            credential
                .values
                .extend(values.iter().map(|(k, v)| (k.clone(), v.clone())));
            if let Some(provider) = sso_provider {
                credential.sso_provider = Some(provider.to_owned());
            }
            credential.updated_at = now;
        }
        None => store.credentials.push(CredentialRecord {
            id: new_id("cred"),
            name: name.to_owned(),
            domain: domain.to_owned(),
            values: values.clone(),
            totp_secret: None,
            sso_provider: sso_provider.map(str::to_owned),
            created_at: now,
            updated_at: now,
        }),
    }
}

/// Normalizes a base32 secret (spaces removed, upper case, no padding),
/// rejecting invalid ones with a 400.
pub(crate) fn normalize_secret(secret: &str) -> ApiResult<String> {
    totp::decode_base32(secret).map_err(|e| ApiError::bad_request(format!("totp_secret: {e}")))?;
    Ok(secret
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-' && *c != '=')
        .collect::<String>()
        .to_ascii_uppercase())
}
