//! The calls of browser pools, profiles, managed auth, extensions,
//! credentials, credential providers, projects and API keys.

use super::{empty, json, map, stream, zip_part, Call, Ids, Outcome};
use futures::future::BoxFuture;
use kernel_sys::{open, types, Client};

/// A Chrome Web Store URL: a slug and a 32-letter extension id.
const STORE_URL: &str =
    "https://chromewebstore.google.com/detail/ublock-origin/cjpalhdlnbpafiamejdnhcphjbkeiagm";

/// The calls of this area, one per operation.
pub fn calls() -> Vec<(&'static str, Call)> {
    vec![
        // Browser Pools
        call!("getBrowserPools", json, |c| c.get_browser_pools().send()),
        call!("postBrowserPools", json, |c| c
            .post_browser_pools()
            .body_map(|b| b
                .name(Some("my-pool".parse().unwrap()))
                .size(std::num::NonZeroU64::new(2).unwrap()))
            .send()),
        call!("getBrowserPoolsByIdOrName", json, |c, ids| c
            .get_browser_pools_by_id_or_name()
            .id_or_name(&ids.pool)
            .send()),
        call!("deleteBrowserPoolsByIdOrName", empty, |c, ids| c
            .delete_browser_pools_by_id_or_name()
            .id_or_name(&ids.pool)
            .body_map(|b| b.force(true))
            .send()),
        call!("updateBrowserPoolsByIdOrName", json, |c, ids| c
            .update_browser_pools_by_id_or_name()
            .id_or_name(&ids.pool)
            .body_map(|b| b
                .size(std::num::NonZeroU64::new(4).unwrap())
                .discard_all_idle(true))
            .send()),
        call!("acquireFromBrowserPoolByIdOrName", json, |c, ids| c
            .acquire_from_browser_pool_by_id_or_name()
            .id_or_name(&ids.pool)
            .body_map(|b| b.acquire_timeout_seconds(Some(10)))
            .send()),
        call!("releaseToBrowserPoolByIdOrName", empty, |c, ids| c
            .release_to_browser_pool_by_id_or_name()
            .id_or_name(&ids.pool)
            .body_map(|b| b.session_id(&ids.pool_session).reuse(true))
            .send()),
        call!("flushBrowserPoolByIdOrName", empty, |c, ids| c
            .flush_browser_pool_by_id_or_name()
            .id_or_name(&ids.pool)
            .send()),
        // Profiles
        call!("getProfiles", json, |c| c.get_profiles().limit(10).send()),
        call!("postProfiles", json, |c| c
            .post_profiles()
            .body_map(|b| b.name(Some("work".to_string())))
            .send()),
        call!("getProfileByIdOrName", json, |c, ids| c
            .get_profile_by_id_or_name()
            .id_or_name(&ids.profile)
            .send()),
        call!("deleteProfileByIdOrName", empty, |c, ids| c
            .delete_profile_by_id_or_name()
            .id_or_name(&ids.profile)
            .send()),
        call!("downloadProfileByIdOrName", stream, |c, ids| c
            .download_profile_by_id_or_name()
            .id_or_name(&ids.profile)
            .send()),
        // Managed Auth
        call!("getAuthConnections", json, |c| c
            .get_auth_connections()
            .domain("netflix.com")
            .limit(10)
            .send()),
        call!("postAuthConnections", json, |c| c
            .post_auth_connections()
            .body_map(|b| b.domain("netflix.com").profile_name("user-123"))
            .send()),
        call!("getAuthConnectionsById", json, |c, ids| c
            .get_auth_connections_by_id()
            .id(&ids.connection)
            .send()),
        call!("deleteAuthConnectionsById", empty, |c, ids| c
            .delete_auth_connections_by_id()
            .id(&ids.connection)
            .send()),
        call!("patchAuthConnectionsById", json, |c, ids| c
            .patch_auth_connections_by_id()
            .id(&ids.connection)
            .body_map(|b| b.login_url(Some("https://netflix.com/login".to_string())))
            .send()),
        call!("postAuthConnectionsLogin", json, |c, ids| c
            .post_auth_connections_login()
            .id(&ids.idle_connection)
            .body_map(|b| b.record_session(Some(false)))
            .send()),
        call!("postAuthConnectionsSubmit", json, |c, ids| c
            .post_auth_connections_submit()
            .id(&ids.connection)
            .body_map(|b| b.fields(Some(map(&[("email", "user@example.com")]).into())))
            .send()),
        call!("getAuthConnectionsEventsById", stream, |c, ids| c
            .get_auth_connections_events_by_id()
            .id(&ids.connection)
            .send()),
        call!("postAuthConnectionsExchange", json, |c, ids| c
            .post_auth_connections_exchange()
            .id(&ids.connection)
            .body_map(|b| b.code(ids.handoff_code.clone()))
            .send()),
        // Extensions
        call!("getExtensions", json, |c| c.get_extensions().send()),
        ("postExtensions", {
            fn run<'a>(c: &'a Client, _: &'a Ids) -> BoxFuture<'a, Outcome> {
                Box::pin(
                    async move { json(c.post_extensions(zip_part(), Some("my-ext")).await).await },
                )
            }
            run as Call
        }),
        call!("getExtensionByIdOrName", stream, |c, ids| c
            .get_extension_by_id_or_name()
            .id_or_name(&ids.extension)
            .send()),
        call!("deleteExtensionByIdOrName", empty, |c, ids| c
            .delete_extension_by_id_or_name()
            .id_or_name(&ids.extension)
            .send()),
        call!("getExtensionsFromChromeStore", stream, |c| c
            .get_extensions_from_chrome_store()
            .url(STORE_URL)
            .os(open::GetExtensionsFromChromeStoreOs::Linux)
            .send()),
        // Auth Connections (deprecated /agents/auth)
        call!("getAgentsAuth", json, |c| c
            .get_agents_auth()
            .profile_name("user-123")
            .limit(10)
            .send()),
        call!("postAgentsAuth", json, |c| c
            .post_agents_auth()
            .body_map(|b| b.domain("netflix.com").profile_name("user-123"))
            .send()),
        call!("postAgentsAuthInvocations", json, |c, ids| c
            .post_agents_auth_invocations()
            .body_map(|b| b.auth_agent_id(&ids.agent))
            .send()),
        call!("getAgentsAuthById", json, |c, ids| c
            .get_agents_auth_by_id()
            .id(&ids.agent)
            .send()),
        call!("deleteAgentsAuthById", empty, |c, ids| c
            .delete_agents_auth_by_id()
            .id(&ids.agent)
            .send()),
        call!("getAgentsAuthInvocationsInvocationId", json, |c, ids| c
            .get_agents_auth_invocations_invocation_id()
            .invocation_id(&ids.agent_invocation)
            .send()),
        call!("postAgentsAuthInvocationsExchange", json, |c, ids| c
            .post_agents_auth_invocations_exchange()
            .invocation_id(&ids.agent_invocation)
            .body_map(|b| b.code(ids.agent_handoff_code.clone()))
            .send()),
        call!("postAgentsAuthInvocationsSubmit", json, |c, ids| c
            .post_agents_auth_invocations_submit()
            .invocation_id(&ids.agent_invocation)
            // The selector of a button of the fake's `sso.example`.
            .body(types::AgentAuthSubmitRequest::SsoButton(
                "xpath=//button[contains(text(), 'Continue with Google')]".to_string()
            ))
            .send()),
        // Credentials
        call!("getCredentials", json, |c| c
            .get_credentials()
            .domain("netflix.com")
            .limit(10)
            .send()),
        call!("postCredentials", json, |c| c
            .post_credentials()
            .body_map(|b| b
                .name("netflix")
                .domain("netflix.com")
                .values(map(&[("password", "hunter2")])))
            .send()),
        call!("getCredentialByIdOrName", json, |c, ids| c
            .get_credential_by_id_or_name()
            .id_or_name(&ids.credential)
            .send()),
        call!("deleteCredentialByIdOrName", empty, |c, ids| c
            .delete_credential_by_id_or_name()
            .id_or_name(&ids.credential)
            .send()),
        call!("patchCredentialByIdOrName", json, |c, ids| c
            .patch_credential_by_id_or_name()
            .id_or_name(&ids.credential)
            .body_map(|b| b.sso_provider(Some(String::new())))
            .send()),
        call!("getCredentialTotpCodeByIdOrName", json, |c, ids| c
            .get_credential_totp_code_by_id_or_name()
            .id_or_name(&ids.credential)
            .send()),
        // Credential Providers
        call!("getCredentialProviders", json, |c| c
            .get_credential_providers()
            .send()),
        call!("postCredentialProviders", json, |c| c
            .post_credential_providers()
            .body_map(|b| b
                .provider_type(open::CreateCredentialProviderRequestProviderType::Onepassword)
                .name("1p")
                .token("ops_x"))
            .send()),
        call!("getCredentialProvidersById", json, |c, ids| c
            .get_credential_providers_by_id()
            .id(&ids.provider)
            .send()),
        call!("deleteCredentialProvidersById", empty, |c, ids| c
            .delete_credential_providers_by_id()
            .id(&ids.provider)
            .send()),
        call!("patchCredentialProvidersById", json, |c, ids| c
            .patch_credential_providers_by_id()
            .id(&ids.provider)
            .body_map(|b| b.enabled(Some(false)))
            .send()),
        call!("testCredentialProviderById", json, |c, ids| c
            .test_credential_provider_by_id()
            .id(&ids.provider)
            .send()),
        call!("getCredentialProviderItems", json, |c, ids| c
            .get_credential_provider_items()
            .id(&ids.provider)
            .send()),
        // Projects
        call!("getProjects", json, |c| c.get_projects().limit(10).send()),
        call!("postProjects", json, |c| c
            .post_projects()
            .body_map(|b| b.name("staging"))
            .send()),
        call!("getProjectsId", json, |c, ids| c
            .get_projects_id()
            .id(&ids.project)
            .send()),
        call!("deleteProjectsId", empty, |c, ids| c
            .delete_projects_id()
            .id(&ids.project)
            .send()),
        call!("patchProjectsId", json, |c, ids| c
            .patch_projects_id()
            .id(&ids.project)
            .body_map(|b| b.status(Some(open::UpdateProjectRequestStatus::Archived)))
            .send()),
        call!("getProjectLimits", json, |c, ids| c
            .get_project_limits()
            .id(&ids.project)
            .send()),
        call!("patchProjectLimits", json, |c, ids| c
            .patch_project_limits()
            .id(&ids.project)
            .body_map(|b| b.max_concurrent_sessions(Some(5)))
            .send()),
        call!("getOrgProjects", json, |c| c
            .get_org_projects()
            .limit(10)
            .send()),
        call!("postOrgProjects", json, |c| c
            .post_org_projects()
            .body_map(|b| b.name("production"))
            .send()),
        call!("getOrgProjectsId", json, |c, ids| c
            .get_org_projects_id()
            .id(&ids.org_project)
            .send()),
        call!("deleteOrgProjectsId", empty, |c, ids| c
            .delete_org_projects_id()
            .id(&ids.org_project)
            .send()),
        call!("patchOrgProjectsId", json, |c, ids| c
            .patch_org_projects_id()
            .id(&ids.org_project)
            .body_map(|b| b.name(Some("renamed".to_string())))
            .send()),
        call!("getOrgProjectLimits", json, |c, ids| c
            .get_org_project_limits()
            .id(&ids.org_project)
            .send()),
        call!("patchOrgProjectLimits", json, |c, ids| c
            .patch_org_project_limits()
            .id(&ids.org_project)
            .body_map(|b| b.max_pooled_sessions(Some(0)))
            .send()),
        // API Keys
        call!("listApiKeys", json, |c| c.list_api_keys().limit(10).send()),
        call!("postApiKeys", json, |c| c
            .post_api_keys()
            .body_map(|b| b.name("ci"))
            .send()),
        call!("getApiKeysById", json, |c, ids| c
            .get_api_keys_by_id()
            .id(&ids.api_key)
            .send()),
        call!("deleteApiKeysById", empty, |c, ids| c
            .delete_api_keys_by_id()
            .id(&ids.api_key)
            .send()),
        call!("patchApiKeysById", json, |c, ids| c
            .patch_api_keys_by_id()
            .id(&ids.api_key)
            .body_map(|b| b.name("ci-renamed"))
            .send()),
    ]
}
