//! What a login flow fills fields from: the connection's Kernel credential
//! or the item of its external provider.

use std::collections::BTreeMap;

use crate::sites::{Expect, Field};
use crate::store::connections::Connection;
use crate::store::{credential_providers, credentials, Store};
use crate::totp;

/// What the connection's credential provides.
#[derive(Clone, Debug, Default)]
pub(super) struct CredentialSnapshot {
    pub values: BTreeMap<String, String>,
    pub totp_secret: Option<String>,
    pub sso_provider: Option<String>,
}

impl CredentialSnapshot {
    /// The value for `field`, if the credential has one (a TOTP field gets
    /// the current code of the secret).
    pub fn fill(&self, field: &Field) -> Option<String> {
        if matches!(field.expect, Expect::Totp) || field.kind == "totp" {
            return self
                .totp_secret
                .as_deref()
                .and_then(|s| totp::code_now(s).ok());
        }
        self.values
            .get(&field.name)
            .filter(|v| !v.is_empty())
            .cloned()
    }

    /// The credential `connection` refers to: a Kernel credential, or the
    /// item of an enabled provider (by `path`, or by the connection's domain
    /// with `auto`).
    pub fn of(store: &Store, connection: &Connection) -> Option<CredentialSnapshot> {
        let reference = connection.credential.as_ref()?;
        let Some(provider) = reference.provider.as_deref() else {
            let credential = credentials::find(store, reference.name.as_deref()?)?;
            return Some(CredentialSnapshot {
                values: credential.values.clone(),
                totp_secret: credential.totp_secret.clone(),
                sso_provider: credential.sso_provider.clone(),
            });
        };
        let provider = credential_providers::find(store, provider).filter(|p| p.enabled)?;
        let record = match (&reference.path, reference.auto) {
            (Some(path), _) => provider.item_at(path)?,
            (None, Some(true)) => provider.item_for_domain(&connection.domain)?,
            (None, _) => return None,
        };
        let item = &record.item;
        let mut values = item.fields.clone();
        // A 1Password login has one username field; sites may call it
        // `email`.
        for (from, to) in [("username", "email"), ("email", "username")] {
            if let Some(value) = item.fields.get(from) {
                values.entry(to.to_owned()).or_insert_with(|| value.clone());
            }
        }
        Some(CredentialSnapshot {
            values,
            totp_secret: item.totp_secret.clone(),
            sso_provider: None,
        })
    }
}
