//! Items of external credential providers (the 1Password integration).
//!
//! A credential provider (`POST /org/credential_providers`) holds vaults and
//! login items. A real 1Password account cannot be reached, so the mock's
//! providers hold the items given to
//! [`KernelMockBuilder::credential_provider_items`](crate::KernelMockBuilder::credential_provider_items)
//! for the provider's name (or, failing that, its `provider_type`), and
//! otherwise the [default items](default_items): one vault, `Kernel Mock`,
//! with a login for each default [site](crate::sites).
//!
//! An auth connection uses an item through its credential reference:
//! `{"provider": "my-1p", "path": "Vault/Title"}` names the item,
//! `{"provider": "my-1p", "auto": true}` picks the first item whose URLs
//! match the connection's domain (the same host or a parent domain). The
//! login flow fills the fields the item has and pauses for the rest, exactly
//! as with a Kernel credential; a field named `email` is filled from the
//! item's `username` (and the other way round), as a 1Password login has one
//! username field.
//!
//! ```
//! use kernel_mock::{KernelMock, ProviderItem};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> std::io::Result<()> {
//! let mock = KernelMock::builder()
//!     .credential_provider_items(
//!         "my-1p",
//!         [ProviderItem::new("Engineering", "Intranet")
//!             .url("https://intranet.test")
//!             .username("me@corp.test")
//!             .totp_secret("JBSWY3DPEHPK3PXP")],
//!     )
//!     .start()
//!     .await?;
//! # Ok(()) }
//! ```

use std::collections::BTreeMap;

use crate::sites::{PASSWORD, TOTP_SECRET, USERNAME};
use crate::totp;

/// A login item of a credential provider: a vault, a title, the URLs it is
/// for, field values and an optional TOTP secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProviderItem {
    pub(crate) vault: String,
    pub(crate) title: String,
    pub(crate) urls: Vec<String>,
    pub(crate) fields: BTreeMap<String, String>,
    pub(crate) totp_secret: Option<String>,
}

impl ProviderItem {
    /// An item titled `title` in vault `vault` (its path is `vault/title`).
    pub fn new(vault: impl Into<String>, title: impl Into<String>) -> Self {
        ProviderItem {
            vault: vault.into(),
            title: title.into(),
            urls: Vec::new(),
            fields: BTreeMap::new(),
            totp_secret: None,
        }
    }

    /// Adds a URL (`https://example.com/login`) or bare domain the item is
    /// for; `{"auto": true}` references match on its host.
    pub fn url(mut self, url: impl Into<String>) -> Self {
        self.urls.push(url.into());
        self
    }

    /// Sets the value of the login field `name` (e.g. `password`, or a
    /// site-specific field such as `sms_code`).
    pub fn field(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.fields.insert(name.into(), value.into());
        self
    }

    /// Sets the `username` field (which also fills `email` fields).
    pub fn username(self, username: impl Into<String>) -> Self {
        self.field("username", username)
    }

    /// Sets the `password` field.
    pub fn password(self, password: impl Into<String>) -> Self {
        self.field("password", password)
    }

    /// Sets the base32 TOTP secret (1Password's one-time password): TOTP
    /// fields are filled with its current code.
    pub fn totp_secret(mut self, secret: impl Into<String>) -> Self {
        self.totp_secret = Some(secret.into());
        self
    }

    /// The path references use: `vault/title`.
    pub fn path(&self) -> String {
        format!("{}/{}", self.vault, self.title)
    }

    /// Rejects an item no provider could hold.
    fn check(&self) -> Result<(), String> {
        if self.vault.trim().is_empty() || self.title.trim().is_empty() {
            return Err(format!(
                "provider item {:?}: vault and title must not be empty",
                self.path()
            ));
        }
        if let Some(secret) = &self.totp_secret {
            totp::decode_base32(secret)
                .map_err(|e| format!("provider item {:?}: totp_secret: {e}", self.path()))?;
        }
        Ok(())
    }
}

/// The default items every provider without seeded items holds: vault
/// `Kernel Mock`, one item per default site that has a login form, titled
/// with the site's domain, with [`USERNAME`] and [`PASSWORD`]; the items of
/// `totp.example` and `mfa-choice.example` also have [`TOTP_SECRET`].
pub fn default_items() -> Vec<ProviderItem> {
    [
        ("password.example", false),
        ("email-first.example", false),
        ("totp.example", true),
        ("mfa-choice.example", true),
        ("push.example", false),
        ("wrong-password.example", false),
        ("account-picker.example", false),
        ("captcha.example", false),
    ]
    .into_iter()
    .map(|(domain, totp)| {
        let item = ProviderItem::new("Kernel Mock", domain)
            .url(format!("https://{domain}"))
            .username(USERNAME)
            .password(PASSWORD);
        if totp {
            item.totp_secret(TOTP_SECRET)
        } else {
            item
        }
    })
    .collect()
}

/// Items seeded per provider name or type, applied when a provider is
/// created.
#[derive(Clone, Debug, Default)]
pub(crate) struct ProviderSeeds {
    seeds: Vec<(String, Vec<ProviderItem>)>,
}

impl ProviderSeeds {
    /// Adds `items` for providers named (or of type) `key`.
    pub fn add(&mut self, key: String, items: Vec<ProviderItem>) {
        match self.seeds.iter_mut().find(|(k, _)| *k == key) {
            Some((_, existing)) => existing.extend(items),
            None => self.seeds.push((key, items)),
        }
    }

    /// Rejects seeds with an empty vault or title or an invalid TOTP secret.
    pub fn check(&self) -> Result<(), String> {
        self.seeds
            .iter()
            .flat_map(|(_, items)| items)
            .try_for_each(ProviderItem::check)
    }

    /// The items of a new provider: those seeded for its name, else for its
    /// type, else the defaults.
    pub fn items_for(&self, name: &str, provider_type: &str) -> Vec<ProviderItem> {
        let seeded = |key: &str| {
            self.seeds
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, items)| items.clone())
        };
        seeded(name)
            .or_else(|| seeded(provider_type))
            .unwrap_or_else(default_items)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_by_name_then_type_then_defaults() {
        let mut seeds = ProviderSeeds::default();
        seeds.add(
            "onepassword".into(),
            vec![ProviderItem::new("V", "by-type")],
        );
        seeds.add("mine".into(), vec![ProviderItem::new("V", "a")]);
        seeds.add("mine".into(), vec![ProviderItem::new("V", "b")]);
        let titles = |items: Vec<ProviderItem>| -> Vec<String> {
            items.into_iter().map(|i| i.title).collect()
        };
        assert_eq!(titles(seeds.items_for("mine", "onepassword")), ["a", "b"]);
        assert_eq!(titles(seeds.items_for("other", "onepassword")), ["by-type"]);
        assert_eq!(seeds.items_for("other", "x").len(), default_items().len());
        assert!(seeds.check().is_ok());
        seeds.add(
            "bad".into(),
            vec![ProviderItem::new("V", "t").totp_secret("1")],
        );
        assert!(seeds.check().is_err());
    }
}
