//! External credential providers (1Password): their settings, vaults and
//! login items (seeded, see [`crate::providers`]).

use chrono::{DateTime, Utc};
use kernel_sys::{open, types};
use serde_json::Value;

use super::{new_id, Store};
use crate::http::error::{build_error, ApiResult};
use crate::providers::ProviderItem;

/// A vault of a provider.
#[derive(Clone, Debug)]
pub(crate) struct VaultRecord {
    pub id: String,
    pub name: String,
}

/// A login item of a provider.
#[derive(Clone, Debug)]
pub(crate) struct ItemRecord {
    pub id: String,
    pub vault_id: String,
    pub item: ProviderItem,
}

impl ItemRecord {
    /// `true` when one of the item's URLs is for `domain` or a parent of it.
    pub fn matches_domain(&self, domain: &str) -> bool {
        let domain = domain.trim_end_matches('.').to_ascii_lowercase();
        self.item.urls.iter().any(|url| {
            let host = host_of(url);
            !host.is_empty() && (domain == host || domain.ends_with(&format!(".{host}")))
        })
    }

    /// The spec's `CredentialProviderItem`.
    pub fn to_spec(&self) -> ApiResult<types::CredentialProviderItem> {
        types::CredentialProviderItem::builder()
            .id(self.id.clone())
            .title(self.item.title.clone())
            .vault_id(self.vault_id.clone())
            .vault_name(self.item.vault.clone())
            .path(self.item.path())
            .urls(self.item.urls.clone())
            .try_into()
            .map_err(|e| build_error("CredentialProviderItem", e))
    }
}

/// The lower-case host of a URL or bare domain, without `www.` or a port.
fn host_of(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = authority.rsplit('@').next().unwrap_or("");
    let host = host.split(':').next().unwrap_or("");
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    host.strip_prefix("www.").map(str::to_owned).unwrap_or(host)
}

/// A configured provider.
#[derive(Clone, Debug)]
pub(crate) struct ProviderRecord {
    pub id: String,
    pub name: String,
    pub provider_type: open::CredentialProviderProviderType,
    pub token: String,
    pub enabled: bool,
    pub priority: i64,
    pub cache_ttl_seconds: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub vaults: Vec<VaultRecord>,
    pub items: Vec<ItemRecord>,
}

impl ProviderRecord {
    /// A new provider holding `items`, grouped into vaults by vault name.
    pub fn new(
        name: String,
        provider_type: open::CredentialProviderProviderType,
        token: String,
        cache_ttl_seconds: i64,
        items: Vec<ProviderItem>,
    ) -> Self {
        let now = Utc::now();
        let mut vaults: Vec<VaultRecord> = Vec::new();
        let mut records = Vec::new();
        for item in items {
            let vault_id = match vaults.iter().find(|v| v.name == item.vault) {
                Some(vault) => vault.id.clone(),
                None => {
                    let id = new_id("vault");
                    vaults.push(VaultRecord {
                        id: id.clone(),
                        name: item.vault.clone(),
                    });
                    id
                }
            };
            records.push(ItemRecord {
                id: new_id("item"),
                vault_id,
                item,
            });
        }
        ProviderRecord {
            id: new_id("credprov"),
            name,
            provider_type,
            token,
            enabled: true,
            priority: 0,
            cache_ttl_seconds,
            created_at: now,
            updated_at: now,
            vaults,
            items: records,
        }
    }

    /// The item at `path` (`Vault/Title`, case-insensitive).
    pub fn item_at(&self, path: &str) -> Option<&ItemRecord> {
        let path = path.trim().trim_matches('/');
        self.items
            .iter()
            .find(|i| i.item.path() == path)
            .or_else(|| {
                self.items
                    .iter()
                    .find(|i| i.item.path().eq_ignore_ascii_case(path))
            })
    }

    /// The first item for `domain`.
    pub fn item_for_domain(&self, domain: &str) -> Option<&ItemRecord> {
        self.items.iter().find(|i| i.matches_domain(domain))
    }

    /// Whether the token looks like a 1Password service-account token
    /// (`ops_...`), which is what the connection test checks.
    pub fn token_is_valid(&self) -> bool {
        self.token
            .strip_prefix("ops_")
            .is_some_and(|rest| !rest.trim().is_empty())
    }

    /// The spec's `CredentialProvider` (never the token).
    pub fn to_json(&self) -> ApiResult<Value> {
        let provider: types::CredentialProvider = types::CredentialProvider::builder()
            .id(self.id.clone())
            .name(self.name.clone())
            .provider_type(self.provider_type.clone())
            .enabled(self.enabled)
            .priority(self.priority)
            .created_at(self.created_at)
            .updated_at(self.updated_at)
            .try_into()
            .map_err(|e| build_error("CredentialProvider", e))?;
        serde_json::to_value(provider).map_err(|e| build_error("CredentialProvider", e))
    }
}

/// The index of the provider with id or name `id_or_name`.
pub(crate) fn find_index(store: &Store, id_or_name: &str) -> Option<usize> {
    let providers = &store.credential_providers;
    providers
        .iter()
        .position(|p| p.id == id_or_name)
        .or_else(|| providers.iter().position(|p| p.name == id_or_name))
}

/// The provider with id or name `id_or_name`.
pub(crate) fn find<'a>(store: &'a Store, id_or_name: &str) -> Option<&'a ProviderRecord> {
    find_index(store, id_or_name).map(|i| &store.credential_providers[i])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_and_domain_matching() {
        assert_eq!(host_of("https://www.Netflix.com/login?x=1"), "netflix.com");
        assert_eq!(host_of("netflix.com"), "netflix.com");
        assert_eq!(host_of("http://user@host.example:8080/"), "host.example");
        let record = ItemRecord {
            id: "i".into(),
            vault_id: "v".into(),
            item: ProviderItem::new("V", "T").url("https://example.com"),
        };
        assert!(record.matches_domain("example.com"));
        assert!(record.matches_domain("login.example.com"));
        assert!(!record.matches_domain("notexample.com"));
        assert!(!record.matches_domain("example.org"));
    }

    #[test]
    fn items_are_grouped_into_vaults_and_found_by_path() {
        let provider = ProviderRecord::new(
            "p".into(),
            open::CredentialProviderProviderType::Onepassword,
            "ops_x".into(),
            300,
            vec![
                ProviderItem::new("A", "one"),
                ProviderItem::new("B", "two"),
                ProviderItem::new("A", "three"),
            ],
        );
        assert_eq!(provider.vaults.len(), 2);
        assert_eq!(provider.items[0].vault_id, provider.items[2].vault_id);
        assert_eq!(
            provider.item_at("a/THREE").map(|i| i.item.title.as_str()),
            Some("three")
        );
        assert!(provider.item_at("A/four").is_none());
        assert!(provider.token_is_valid());
    }
}
