//! The fake and the resources the calls name, created through the API.

use std::future::Future;
use std::time::{Duration, Instant};

use crate::calls::{zip_part, Ids};
use kernel_mock::{Field, Form, KernelMock, Site};
use kernel_sys::multipart::{DeploymentCode, DeploymentForm};
use kernel_sys::{open, Client, Error, ResponseValue};

/// The address the calls' auth submit sends, valid for [`fake`]'s
/// `netflix.com`.
const EMAIL: &str = "user@example.com";

/// A fake with short delays, and a `netflix.com` (the calls' domain) whose
/// login asks for an email only, so the calls' submit completes it.
pub async fn fake() -> KernelMock {
    let netflix = Site::builder("netflix.com")
        .form(Form::new().field(Field::email("email", "Email").expect(EMAIL)))
        .build();
    KernelMock::builder()
        .api_key("sk_test_fake")
        .step_delay(Duration::from_millis(10))
        .heartbeat_interval(Duration::from_millis(200))
        .telemetry_interval(Duration::from_millis(20))
        .site(netflix)
        .start()
        .await
        .expect("the fake starts")
}

/// The body of a successful setup call.
fn ok<T>(what: &str, result: Result<ResponseValue<T>, Error<()>>) -> T {
    match result {
        Ok(value) => value.into_inner(),
        Err(e) => panic!("setup: {what}: {e}"),
    }
}

/// Polls `probe` until it gives a value (at most 10 s).
async fn until<T, F, Fut>(what: &str, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(value) = probe().await {
            return value;
        }
        assert!(Instant::now() < deadline, "setup: {what} never happened");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Creates, through `c`, every resource the calls name.
pub async fn setup(c: &Client) -> Ids {
    // Long-lived, so it outlives the run; with a GPU, which the fake wants
    // for the calls' 25 fps replay.
    let browser = ok(
        "browser",
        c.post_browsers()
            .body_map(|b| b.timeout_seconds(Some(3600)).gpu(Some(true)))
            .send()
            .await,
    )
    .session_id;
    ok(
        "file",
        c.write_file()
            .id(&browser)
            .path("/tmp/a.txt")
            .body(b"hello".to_vec())
            .send()
            .await,
    );
    let watch = ok(
        "watch",
        c.start_fs_watch()
            .id(&browser)
            .body_map(|b| b.path("/tmp").recursive(true))
            .send()
            .await,
    )
    .watch_id
    .expect("watch_id");
    let process = ok(
        "process",
        c.process_spawn()
            .id(&browser)
            .body_map(|b| b.command("bash").allocate_tty(true))
            .send()
            .await,
    )
    .process_id
    .expect("process_id")
    .to_string();
    let (replay, recording_replay) = replays(c, &browser).await;
    let proxy = ok(
        "proxy",
        c.post_proxies()
            .body_map(|b| b.type_(open::ProxyCreateRequestType::Datacenter))
            .send()
            .await,
    )
    .id
    .expect("proxy id");
    let deployment = deployment(c).await;
    let invocation = ok(
        "invocation",
        c.post_invocations()
            .body_map(|b| b.app_name("my-app").version("1.0.0").action_name("analyze"))
            .send()
            .await,
    )
    .id;
    let (pool, pool_session) = pool(c).await;
    let profile = profile(c).await;
    let (connection, handoff_code, idle_connection) = connections(c).await;
    let (agent, agent_invocation, agent_handoff_code) = agents(c).await;
    let credential = ok(
        "credential",
        c.post_credentials()
            .body_map(|b| {
                b.name("agreement-credential")
                    .domain("netflix.com")
                    .values(std::collections::HashMap::from([(
                        "email".to_string(),
                        EMAIL.to_string(),
                    )]))
                    .totp_secret(Some(kernel_mock::sites::TOTP_SECRET.to_string().into()))
            })
            .send()
            .await,
    )
    .name;
    let provider = ok(
        "credential provider",
        c.post_credential_providers()
            .body_map(|b| {
                b.provider_type(open::CreateCredentialProviderRequestProviderType::Onepassword)
                    .name("agreement-1p")
                    .token("ops_agreement")
            })
            .send()
            .await,
    )
    .id;
    let extension = ok(
        "extension",
        c.post_extensions(zip_part(), Some("agreement-extension"))
            .await,
    )
    .id;
    let project = |name: &'static str| async move {
        ok(
            name,
            c.post_org_projects()
                .body_map(|b| b.name(name))
                .send()
                .await,
        )
        .id
    };
    let api_key = ok(
        "API key",
        c.post_api_keys()
            .body_map(|b| b.name("agreement"))
            .send()
            .await,
    )
    .id;
    Ids {
        browser,
        replay,
        recording_replay,
        watch,
        process,
        invocation,
        proxy,
        deployment,
        pool,
        pool_session,
        profile,
        connection,
        handoff_code,
        idle_connection,
        agent,
        agent_invocation,
        agent_handoff_code,
        credential,
        provider,
        extension,
        project: project("agreement-project").await,
        org_project: project("agreement-org-project").await,
        api_key,
    }
}

/// A replay of `browser` stopped and encoded, and one still recording.
async fn replays(c: &Client, browser: &str) -> (String, String) {
    let start = || async {
        ok(
            "replay",
            c.start_browser_replay_recording()
                .id(browser)
                .body_map(|b| b)
                .send()
                .await,
        )
        .replay_id
    };
    let replay = start().await;
    ok(
        "replay stop",
        c.stop_browser_replay_recording()
            .id(browser)
            .replay_id(&replay)
            .send()
            .await,
    );
    until("the replay encodes", || async {
        c.get_browsers_replays_by_id()
            .id(browser)
            .replay_id(&replay)
            .send()
            .await
            .ok()
    })
    .await;
    (replay, start().await)
}

/// A running deployment (its event stream then ends at once).
async fn deployment(c: &Client) -> String {
    let form = DeploymentForm {
        code: DeploymentCode::Zip {
            file: zip_part(),
            entrypoint_rel_path: "src/app.py".into(),
        },
        version: Some("0.1.0".into()),
        region: None,
        force: None,
        env_vars: Default::default(),
    };
    let id = ok("deployment", c.post_deployments(form).await).id;
    until("the deployment runs", || async {
        let deployment = ok("deployment", c.get_deployments_by_id().id(&id).send().await);
        (deployment.status == open::DeploymentStatus::Running).then_some(())
    })
    .await;
    id
}

/// A pool and a session leased from it.
async fn pool(c: &Client) -> (String, String) {
    let name = "agreement-pool";
    ok(
        "pool",
        c.post_browser_pools()
            .body_map(|b| {
                b.name(Some(name.parse().unwrap()))
                    .size(std::num::NonZeroU64::new(2).unwrap())
            })
            .send()
            .await,
    );
    let lease = ok(
        "pool lease",
        c.acquire_from_browser_pool_by_id_or_name()
            .id_or_name(name)
            .body_map(|b| b.acquire_timeout_seconds(Some(10)))
            .send()
            .await,
    );
    (name.to_string(), lease.session_id)
}

/// A profile with state saved by a session, so it can be downloaded.
async fn profile(c: &Client) -> String {
    let name = "agreement-profile";
    ok(
        "profile",
        c.post_profiles()
            .body_map(|b| b.name(Some(name.to_string())))
            .send()
            .await,
    );
    let session = ok(
        "profile session",
        c.post_browsers()
            .body_map(|b| {
                b.profile(Some(
                    kernel_sys::types::BrowserProfile::builder()
                        .name(Some(name.parse().unwrap()))
                        .save_changes(Some(true))
                        .try_into()
                        .unwrap(),
                ))
            })
            .send()
            .await,
    )
    .session_id;
    ok(
        "profile session end",
        c.delete_browsers_by_id().id(&session).send().await,
    );
    name.to_string()
}

/// An auth connection whose login awaits the email, its handoff code, and
/// a connection without a login.
async fn connections(c: &Client) -> (String, String, String) {
    let create = |profile: &'static str| async move {
        ok(
            profile,
            c.post_auth_connections()
                .body_map(|b| b.domain("netflix.com").profile_name(profile))
                .send()
                .await,
        )
        .id
    };
    let connection = create("agreement").await;
    let login = ok(
        "login",
        c.post_auth_connections_login()
            .id(&connection)
            .body_map(|b| b)
            .send()
            .await,
    );
    let handoff_code = login.handoff_code.expect("handoff_code").into_inner();
    until("the login awaits input", || async {
        let state = ok(
            "connection",
            c.get_auth_connections_by_id().id(&connection).send().await,
        );
        (state.flow_step == Some(open::ManagedAuthFlowStep::AwaitingInput)).then_some(())
    })
    .await;
    (connection, handoff_code, create("agreement-idle").await)
}

/// An auth agent, and an auth agent invocation (of another agent, on
/// `sso.example`) that offers its SSO buttons, with its handoff code.
async fn agents(c: &Client) -> (String, String, String) {
    let create = |domain: &'static str| async move {
        ok(
            domain,
            c.post_agents_auth()
                .body_map(|b| b.domain(domain).profile_name("agreement-agent"))
                .send()
                .await,
        )
        .id
    };
    let agent = create("netflix.com").await;
    let sso_agent = create("sso.example").await;
    let invocation = ok(
        "agent invocation",
        c.post_agents_auth_invocations()
            .body_map(|b| b.auth_agent_id(&sso_agent))
            .send()
            .await,
    );
    let id = invocation.invocation_id;
    until("the SSO buttons show", || async {
        let state = ok(
            "agent invocation",
            c.get_agents_auth_invocations_invocation_id()
                .invocation_id(&id)
                .send()
                .await,
        );
        state
            .pending_sso_buttons
            .is_some_and(|b| !b.is_empty())
            .then_some(())
    })
    .await;
    (agent, id, invocation.handoff_code.into_inner())
}
