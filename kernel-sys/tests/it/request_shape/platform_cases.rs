//! Request-shape cases for the other tags: managed auth, credentials and their
//! providers, apps, deployments, invocations, projects and API keys. Each
//! returns the operation id it checked.

use super::Case;
use kernel_sys::open;
use kernel_sys::types;
use serde_json::json;

pub(super) async fn managed_auth_create() -> String {
    let case = Case::start("postAuthConnections", &[]).await;
    let result = case
        .client()
        .post_auth_connections()
        .body_map(|b| {
            b.domain("netflix.com")
                .profile_name("user-123")
                .login_url(Some("https://netflix.com/login".to_string()))
                .proxy(Some(types::ProxyRef {
                    id: None,
                    name: Some("office".into()),
                }))
                .credential(Some(types::CredentialReference {
                    auto: None,
                    name: Some("netflix-creds".into()),
                    path: None,
                    provider: None,
                }))
                .allowed_domains(vec!["auth.netflix.com".to_string()])
                .health_check_interval(Some(3600))
        })
        .send()
        .await;
    // auto_reauth / health_checks / save_credentials / record_session have
    // spec defaults, which the server applies: unset fields are not sent.
    case.body(json!({
        "domain": "netflix.com",
        "profile_name": "user-123",
        "login_url": "https://netflix.com/login",
        "proxy": { "name": "office" },
        "credential": { "name": "netflix-creds" },
        "allowed_domains": ["auth.netflix.com"],
        "health_check_interval": 3600,
    }))
    .json(result)
    .await
}

pub(super) async fn managed_auth_list() -> String {
    let case = Case::start("getAuthConnections", &[]).await;
    let result = case
        .client()
        .get_auth_connections()
        .profile_name("user-123")
        .domain("netflix.com")
        .limit(2)
        .send()
        .await;
    case.query(&[
        ("profile_name", "user-123"),
        ("domain", "netflix.com"),
        ("limit", "2"),
    ])
    .json(result)
    .await
}

pub(super) async fn credentials_create() -> String {
    let case = Case::start("postCredentials", &[]).await;
    let result = case
        .client()
        .post_credentials()
        .body_map(|b| {
            b.name("my-netflix-login")
                .domain("netflix.com")
                .values(
                    [
                        ("email".to_string(), "user@example.com".to_string()),
                        ("password".to_string(), "hunter2".to_string()),
                    ]
                    .into_iter()
                    .collect::<std::collections::HashMap<_, _>>(),
                )
                .totp_secret(Some("JBSWY3DPEHPK3PXP".into()))
        })
        .send()
        .await;
    case.body(json!({
        "name": "my-netflix-login",
        "domain": "netflix.com",
        "values": { "email": "user@example.com", "password": "hunter2" },
        "totp_secret": "JBSWY3DPEHPK3PXP",
    }))
    .json(result)
    .await
}

pub(super) async fn credential_providers_create() -> String {
    let case = Case::start("postCredentialProviders", &[]).await;
    let result = case
        .client()
        .post_credential_providers()
        .body_map(|b| {
            b.provider_type(open::CreateCredentialProviderRequestProviderType::Onepassword)
                .name("my-1password")
                .token("ops_token")
                .cache_ttl_seconds(600)
        })
        .send()
        .await;
    case.body(json!({ "provider_type": "onepassword", "name": "my-1password", "token": "ops_token", "cache_ttl_seconds": 600 }))
        .json(result)
        .await
}

pub(super) async fn apps_list() -> String {
    let case = Case::start("getApps", &[]).await;
    let result = case
        .client()
        .get_apps()
        .app_name("my-app")
        .version("1.0.0")
        .limit(3)
        .offset(6)
        .send()
        .await;
    case.query(&[
        ("app_name", "my-app"),
        ("version", "1.0.0"),
        ("limit", "3"),
        ("offset", "6"),
    ])
    .json(result)
    .await
}

pub(super) async fn deployments_list() -> String {
    let case = Case::start("getDeployments", &[]).await;
    let result = case
        .client()
        .get_deployments()
        .app_name("my-app")
        .app_version("1.0.0")
        .limit(1)
        .send()
        .await;
    case.query(&[
        ("app_name", "my-app"),
        ("app_version", "1.0.0"),
        ("limit", "1"),
    ])
    .json(result)
    .await
}

pub(super) async fn invocations_create() -> String {
    let case = Case::start("postInvocations", &[]).await;
    let result = case
        .client()
        .post_invocations()
        .body_map(|b| {
            b.app_name("my-app")
                .version("1.0.0")
                .action_name("analyze")
                .payload(Some(r#"{"data":"example input"}"#.to_string()))
                .async_(true)
                .async_timeout_seconds(120)
        })
        .send()
        .await;
    case.body(json!({
        "app_name": "my-app",
        "version": "1.0.0",
        "action_name": "analyze",
        "payload": "{\"data\":\"example input\"}",
        "async": true,
        "async_timeout_seconds": 120,
    }))
    .json(result)
    .await
}

pub(super) async fn invocations_list() -> String {
    let case = Case::start("getInvocations", &[]).await;
    let result = case
        .client()
        .get_invocations()
        .status(open::GetInvocationsStatus::Running)
        .since("5m")
        .deployment_id("dep_1")
        .send()
        .await;
    case.query(&[
        ("status", "running"),
        ("since", "5m"),
        ("deployment_id", "dep_1"),
    ])
    .json(result)
    .await
}

pub(super) async fn auth_connections_deprecated_create() -> String {
    let case = Case::start("postAgentsAuth", &[]).await;
    assert_eq!(
        (case.op.tag.as_str(), &case.op.op["deprecated"]),
        ("Auth Connections", &json!(true))
    );
    let result = case
        .client()
        .post_agents_auth()
        .body_map(|b| {
            b.domain("netflix.com")
                .profile_name("user-123")
                .credential_name(Some("netflix-creds".to_string()))
                .proxy(Some(types::AuthAgentCreateRequestProxy {
                    proxy_id: Some("proxy_1".into()),
                }))
        })
        .send()
        .await;
    case.body(json!({
        "domain": "netflix.com",
        "profile_name": "user-123",
        "credential_name": "netflix-creds",
        "proxy": { "proxy_id": "proxy_1" },
    }))
    .json(result)
    .await
}

pub(super) async fn projects_patch_limits() -> String {
    let case = Case::start("patchProjectLimits", &[("id", "proj_abc123")]).await;
    let result = case
        .client()
        .patch_project_limits()
        .id("proj_abc123")
        .body_map(|b| {
            b.max_concurrent_sessions(Some(0))
                .max_pooled_sessions(Some(25))
        })
        .send()
        .await;
    case.body(json!({ "max_concurrent_sessions": 0, "max_pooled_sessions": 25 }))
        .json(result)
        .await
}

pub(super) async fn api_keys_create() -> String {
    let case = Case::start("postApiKeys", &[]).await;
    let result = case
        .client()
        .post_api_keys()
        .body_map(|b| {
            b.name("ci-key".parse::<types::CreateApiKeyRequestName>().unwrap())
                .days_to_expire(std::num::NonZeroU64::new(90))
                .project_id(Some("proj_abc123".to_string()))
        })
        .send()
        .await;
    case.body(json!({ "name": "ci-key", "days_to_expire": 90, "project_id": "proj_abc123" }))
        .json(result)
        .await
}

pub(super) async fn api_keys_delete() -> String {
    let case = Case::start("deleteApiKeysById", &[("id", "key/with slash")]).await;
    // Path parameters are percent-encoded.
    let case = Case {
        path: "/org/api_keys/key%2Fwith%20slash".into(),
        ..case
    };
    let result = case
        .client()
        .delete_api_keys_by_id()
        .id("key/with slash")
        .send()
        .await;
    case.empty(result).await
}
