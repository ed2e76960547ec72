//! API keys of the organization. The plaintext key is kept (the mock has no
//! hashing to do) but only the create response shows it; everything else
//! shows `masked_key`.

use chrono::{DateTime, Utc};
use kernel_sys::types;
use serde_json::Value;

use super::{projects, Store};
use crate::http::error::{build_error, ApiResult};

/// The user every key is `created_by` (the mock has one user).
const CREATOR_ID: &str = "user_kernel_mock";
/// The creator's email.
const CREATOR_EMAIL: &str = "owner@kernel-mock.example";
/// The creator's display name.
const CREATOR_NAME: &str = "Kernel Mock";

/// A stored API key.
#[derive(Clone, Debug)]
pub(crate) struct ApiKeyRecord {
    pub id: String,
    pub name: String,
    pub key: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub project_id: Option<String>,
}

impl ApiKeyRecord {
    /// The key with its middle hidden: `sk_abcd...wxyz`.
    pub fn masked_key(&self) -> String {
        let chars: Vec<char> = self.key.chars().collect();
        let head: String = chars.iter().take(7).collect();
        let tail: String = chars[chars.len().saturating_sub(4)..].iter().collect();
        format!("{head}...{tail}")
    }

    /// The spec's `ApiKey` (masked).
    pub fn to_json(&self, store: &Store) -> ApiResult<Value> {
        let key: types::ApiKey = types::ApiKey::builder()
            .id(self.id.clone())
            .name(self.name.clone())
            .created_at(self.created_at)
            .created_by(creator()?)
            .expires_at(self.expires_at)
            .project_id(self.project_id.clone())
            .project_name(self.project_name(store))
            .masked_key(self.masked_key())
            .try_into()
            .map_err(|e| build_error("ApiKey", e))?;
        serde_json::to_value(key).map_err(|e| build_error("ApiKey", e))
    }

    /// The spec's `CreatedApiKey`: the one response with the plaintext key.
    pub fn to_created_json(&self, store: &Store) -> ApiResult<Value> {
        let key: types::CreatedApiKey = types::CreatedApiKey::builder()
            .id(self.id.clone())
            .name(self.name.clone())
            .created_at(self.created_at)
            .created_by(creator()?)
            .expires_at(self.expires_at)
            .project_id(self.project_id.clone())
            .project_name(self.project_name(store))
            .masked_key(self.masked_key())
            .key(self.key.clone())
            .try_into()
            .map_err(|e| build_error("CreatedApiKey", e))?;
        serde_json::to_value(key).map_err(|e| build_error("CreatedApiKey", e))
    }

    /// The name of the key's project, if it is project-scoped and the
    /// project still exists.
    fn project_name(&self, store: &Store) -> Option<String> {
        let id = self.project_id.as_deref()?;
        projects::find(store, id).map(|p| p.name.clone())
    }
}

/// The spec's `ApiKeyCreator` for the mock's one user.
fn creator() -> ApiResult<types::ApiKeyCreator> {
    types::ApiKeyCreator::builder()
        .id(CREATOR_ID.to_owned())
        .email(CREATOR_EMAIL.to_owned())
        .name(Some(CREATOR_NAME.to_owned()))
        .try_into()
        .map_err(|e| build_error("ApiKeyCreator", e))
}

/// The index of key `id`.
pub(crate) fn find_index(store: &Store, id: &str) -> Option<usize> {
    store.api_keys.iter().position(|k| k.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_all_but_the_ends() {
        let key = ApiKeyRecord {
            id: "k".into(),
            name: "n".into(),
            key: "sk_abcdefghijklmnopqrst".into(),
            created_at: Utc::now(),
            expires_at: None,
            project_id: None,
        };
        assert_eq!(key.masked_key(), "sk_abcd...qrst");
        assert!(!key.masked_key().contains("efghijklmnop"));
    }
}
