//! Stored login credentials (`Credentials` tag).

use crate::sys::builder;
use crate::Kernel;

/// Stored login credentials (`Credentials` tag).
#[derive(Clone, Copy, Debug)]
pub struct Credentials<'a> {
    pub(crate) kernel: &'a Kernel,
}

impl<'a> Credentials<'a> {
    /// List credentials: `GET /credentials` (`getCredentials`).
    pub fn list(&self) -> builder::GetCredentials<'a> {
        self.kernel.sys().get_credentials()
    }

    /// Create a credential: `POST /credentials` (`postCredentials`).
    pub fn create(&self) -> builder::PostCredentials<'a> {
        self.kernel.sys().post_credentials()
    }

    /// Get credential by ID or name: `GET /credentials/{id_or_name}` (`getCredentialByIdOrName`).
    pub fn get(&self, id_or_name: &str) -> builder::GetCredentialByIdOrName<'a> {
        self.kernel
            .sys()
            .get_credential_by_id_or_name()
            .id_or_name(id_or_name)
    }

    /// Update credential: `PATCH /credentials/{id_or_name}` (`patchCredentialByIdOrName`).
    pub fn update(&self, id_or_name: &str) -> builder::PatchCredentialByIdOrName<'a> {
        self.kernel
            .sys()
            .patch_credential_by_id_or_name()
            .id_or_name(id_or_name)
    }

    /// Delete credential: `DELETE /credentials/{id_or_name}` (`deleteCredentialByIdOrName`).
    pub fn delete(&self, id_or_name: &str) -> builder::DeleteCredentialByIdOrName<'a> {
        self.kernel
            .sys()
            .delete_credential_by_id_or_name()
            .id_or_name(id_or_name)
    }

    /// Generate TOTP code: `GET /credentials/{id_or_name}/totp-code` (`getCredentialTotpCodeByIdOrName`).
    pub fn totp_code(&self, id_or_name: &str) -> builder::GetCredentialTotpCodeByIdOrName<'a> {
        self.kernel
            .sys()
            .get_credential_totp_code_by_id_or_name()
            .id_or_name(id_or_name)
    }
}

/// External credential providers such as 1Password (`Credential Providers` tag).
#[derive(Clone, Copy, Debug)]
pub struct CredentialProviders<'a> {
    pub(crate) kernel: &'a Kernel,
}

impl<'a> CredentialProviders<'a> {
    /// List credential providers: `GET /org/credential_providers` (`getCredentialProviders`).
    pub fn list(&self) -> builder::GetCredentialProviders<'a> {
        self.kernel.sys().get_credential_providers()
    }

    /// Create a credential provider: `POST /org/credential_providers` (`postCredentialProviders`).
    pub fn create(&self) -> builder::PostCredentialProviders<'a> {
        self.kernel.sys().post_credential_providers()
    }

    /// Get credential provider by ID: `GET /org/credential_providers/{id}` (`getCredentialProvidersById`).
    pub fn get(&self, id: &str) -> builder::GetCredentialProvidersById<'a> {
        self.kernel.sys().get_credential_providers_by_id().id(id)
    }

    /// Update credential provider: `PATCH /org/credential_providers/{id}` (`patchCredentialProvidersById`).
    pub fn update(&self, id: &str) -> builder::PatchCredentialProvidersById<'a> {
        self.kernel.sys().patch_credential_providers_by_id().id(id)
    }

    /// Delete credential provider: `DELETE /org/credential_providers/{id}` (`deleteCredentialProvidersById`).
    pub fn delete(&self, id: &str) -> builder::DeleteCredentialProvidersById<'a> {
        self.kernel.sys().delete_credential_providers_by_id().id(id)
    }

    /// Test credential provider connection: `POST /org/credential_providers/{id}/test` (`testCredentialProviderById`).
    pub fn test(&self, id: &str) -> builder::TestCredentialProviderById<'a> {
        self.kernel.sys().test_credential_provider_by_id().id(id)
    }

    /// List items from a credential provider: `GET /org/credential_providers/{id}/items` (`getCredentialProviderItems`).
    pub fn items(&self, id: &str) -> builder::GetCredentialProviderItems<'a> {
        self.kernel.sys().get_credential_provider_items().id(id)
    }
}
