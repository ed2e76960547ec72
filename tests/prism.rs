//! Every operation of the spec is callable from Rust, and conforms to it.
//!
//! - [`CALLS`] maps every `operationId` to a call through `kernel_sys::Client`
//!   (the generated builders, or the hand-written multipart methods), with
//!   parameters and bodies valid for the spec, built with the generated types.
//!   Each entry is compiled code, so the table proves every operation is
//!   reachable from Rust; `every_operation_has_a_call` checks it against the
//!   vendored spec in both directions.
//! - `every_operation_passes_against_prism` runs Prism's mock of the spec and
//!   makes every call. Prism validates each request against the spec (a bad
//!   request gets a 4xx) and answers from the spec's examples; each call must
//!   get a 2xx that deserializes into the generated type (streams and binary
//!   bodies are read to the end). What cannot pass is listed, with Prism's
//!   own log line as evidence, in [`KNOWN_PRISM_LIMITATIONS`], and the test
//!   fails if that list is not exactly what fails.

mod common;

use common::prism::{path_matches, requests, workspace_root, Prism};
use futures::future::BoxFuture;
use futures::StreamExt;
use kernel_sys::multipart::{DeploymentCode, DeploymentForm};
use kernel_sys::{open, types, ByteStream, Client, Error, ResponseValue};
use reqwest::multipart::Part;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::{Duration, Instant};

/// What one call produced.
#[derive(Debug)]
enum Outcome {
    /// The documented primary response, deserialized (or read to the end).
    Ok(u16),
    /// A 2xx the generated code does not decode: the codegen keeps one
    /// success response per operation and removes alternates (202 not-ready,
    /// 204 timed-out) from progenitor's view, so they arrive as
    /// `Error::UnexpectedResponse`. Judged against the spec by the test.
    Alternate(u16, Vec<u8>),
    Failed(String),
}

async fn fail(e: Error<()>) -> Outcome {
    match e {
        Error::UnexpectedResponse(response) => {
            let status = response.status().as_u16();
            let body = response
                .bytes()
                .await
                .map(|b| b.to_vec())
                .unwrap_or_default();
            if (200..300).contains(&status) {
                Outcome::Alternate(status, body)
            } else {
                Outcome::Failed(format!("HTTP {status}: {}", String::from_utf8_lossy(&body)))
            }
        }
        Error::InvalidResponsePayload(body, e) => Outcome::Failed(format!(
            "response does not deserialize: {e}: {}",
            String::from_utf8_lossy(&body)
        )),
        other => Outcome::Failed(other.to_string()),
    }
}

/// A JSON response, already deserialized into `T` by the generated code.
async fn json<T: std::fmt::Debug>(result: Result<ResponseValue<T>, Error<()>>) -> Outcome {
    match result {
        Ok(value) => Outcome::Ok(value.status().as_u16()),
        Err(e) => fail(e).await,
    }
}

/// A response without a body.
async fn empty(result: Result<ResponseValue<()>, Error<()>>) -> Outcome {
    json(result).await
}

/// A binary or event-stream response, read to the end.
async fn stream(result: Result<ResponseValue<ByteStream>, Error<()>>) -> Outcome {
    match result {
        Ok(value) => {
            let status = value.status().as_u16();
            let mut body = value.into_inner();
            while let Some(chunk) = body.next().await {
                if let Err(e) = chunk {
                    return Outcome::Failed(format!("stream: {e}"));
                }
            }
            Outcome::Ok(status)
        }
        Err(e) => fail(e).await,
    }
}

type Call = for<'a> fn(&'a Client) -> BoxFuture<'a, Outcome>;

/// `call!("operationId", kind, |c| <builder expression>)`.
macro_rules! call {
    ($id:literal, $kind:ident, |$c:ident| $e:expr) => {{
        fn run($c: &Client) -> BoxFuture<'_, Outcome> {
            Box::pin(async move { $kind($e.await).await })
        }
        ($id, run as Call)
    }};
}

const ID: &str = "htzv5orfit78e1m2biiifpbv";
const OTHER: &str = "rr33xuugxj9h0bkf1rdt2bet";
/// `process_id` is `format: uuid`.
const PROCESS: &str = "9f0d1c1e-5b3a-4c8e-9a61-0d2f5b7e4c11";

fn zip_part() -> Part {
    Part::bytes(b"PK\x05\x06\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0".to_vec())
        .file_name("archive.zip")
        .mime_str("application/zip")
        .unwrap()
}

fn map(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// One call per operation of the spec.
fn calls() -> Vec<(&'static str, Call)> {
    vec![
        // Invocations
        call!("getInvocations", json, |c| c
            .get_invocations()
            .app_name("my-app")
            .status(open::GetInvocationsStatus::Running)
            .since("5m")
            .limit(10)
            .offset(0)
            .send()),
        call!("postInvocations", json, |c| c
            .post_invocations()
            .body_map(|b| b
                .app_name("my-app")
                .version("1.0.0")
                .action_name("analyze")
                .payload(Some("{}".to_string())))
            .send()),
        call!("getInvocationsById", json, |c| c
            .get_invocations_by_id()
            .id(OTHER)
            .send()),
        call!("patchInvocationsById", json, |c| c
            .patch_invocations_by_id()
            .id(OTHER)
            .body_map(|b| b
                .status(open::InvocationUpdateRequestStatus::Succeeded)
                .output(Some("{\"ok\":true}".to_string())))
            .send()),
        call!("getInvocationsBrowsersById", json, |c| c
            .get_invocations_browsers_by_id()
            .id(OTHER)
            .send()),
        call!("deleteInvocationsBrowsersById", empty, |c| c
            .delete_invocations_browsers_by_id()
            .id(OTHER)
            .send()),
        call!("getInvocationsEventsById", stream, |c| c
            .get_invocations_events_by_id()
            .id(OTHER)
            .since("1m")
            .send()),
        // Proxies
        call!("getProxies", json, |c| c.get_proxies().send()),
        // Without `config`: the spec's `config` is a oneOf of overlapping
        // schemas, so Prism rejects every config ("Request body property
        // config must match exactly one schema in oneOf").
        call!("postProxies", json, |c| c
            .post_proxies()
            .body_map(|b| b
                .name(Some("dc-us".to_string()))
                .type_(open::ProxyCreateRequestType::Datacenter))
            .send()),
        call!("getProxiesById", json, |c| c
            .get_proxies_by_id()
            .id(ID)
            .send()),
        call!("deleteProxiesById", empty, |c| c
            .delete_proxies_by_id()
            .id(ID)
            .send()),
        call!("postProxiesByIdCheck", json, |c| c
            .post_proxies_by_id_check()
            .id(ID)
            .body_map(|b| b.url(Some("https://example.com".to_string())))
            .send()),
        // Browsers
        call!("getBrowsers", json, |c| c
            .get_browsers()
            .status(open::GetBrowsersStatus::Active)
            .limit(20)
            .offset(0)
            .send()),
        call!("postBrowsers", json, |c| c
            .post_browsers()
            .body_map(|b| {
                b.headless(Some(false))
                    .stealth(Some(true))
                    .timeout_seconds(Some(600))
                    .viewport(Some(types::BrowserViewport {
                        width: 1280,
                        height: 800,
                        refresh_rate: Some(60),
                    }))
            })
            .send()),
        call!("getBrowsersById", json, |c| c
            .get_browsers_by_id()
            .id(ID)
            .include_deleted(false)
            .send()),
        call!("deleteBrowsersById", empty, |c| c
            .delete_browsers_by_id()
            .id(ID)
            .send()),
        call!("patchBrowsersById", json, |c| c
            .patch_browsers_by_id()
            .id(ID)
            .body_map(|b| b.proxy_id(Some("proxy_1".to_string())))
            .send()),
        // Browser Replays
        call!("listBrowsersReplays", json, |c| c
            .list_browsers_replays()
            .id(ID)
            .send()),
        call!("startBrowserReplayRecording", json, |c| c
            .start_browser_replay_recording()
            .id(ID)
            .body_map(|b| b.framerate(std::num::NonZeroU64::new(25)))
            .send()),
        call!("getBrowsersReplaysById", stream, |c| c
            .get_browsers_replays_by_id()
            .id(ID)
            .replay_id(OTHER)
            .send()),
        call!("stopBrowserReplayRecording", empty, |c| c
            .stop_browser_replay_recording()
            .id(ID)
            .replay_id(OTHER)
            .send()),
        // Browser Telemetry
        call!("streamBrowserTelemetry", stream, |c| c
            .stream_browser_telemetry()
            .id(ID)
            .send()),
        // Browser extensions upload (multipart)
        ("uploadExtensionsToBrowser", {
            fn run(c: &Client) -> BoxFuture<'_, Outcome> {
                Box::pin(async move {
                    empty(
                        c.upload_extensions_to_browser(
                            ID,
                            vec![("my-ext".to_string(), zip_part())],
                        )
                        .await,
                    )
                    .await
                })
            }
            run as Call
        }),
        // Browser Computer Controls
        call!("clickMouse", empty, |c| c
            .click_mouse()
            .id(ID)
            .body_map(|b| b.x(10).y(20))
            .send()),
        call!("moveMouse", empty, |c| c
            .move_mouse()
            .id(ID)
            .body_map(|b| b.x(30).y(40))
            .send()),
        call!("takeScreenshot", stream, |c| c
            .take_screenshot()
            .id(ID)
            .body_map(|b| b)
            .send()),
        call!("typeText", empty, |c| c
            .type_text()
            .id(ID)
            .body_map(|b| b.text("hello"))
            .send()),
        call!("pressKey", empty, |c| c
            .press_key()
            .id(ID)
            .body_map(|b| b.keys(vec!["Return".to_string()]))
            .send()),
        call!("scroll", empty, |c| c
            .scroll()
            .id(ID)
            .body_map(|b| b.x(100).y(100).delta_y(120))
            .send()),
        call!("dragMouse", empty, |c| c
            .drag_mouse()
            .id(ID)
            .body_map(|b| b.path(vec![[0, 0], [100, 100]]))
            .send()),
        call!("setCursor", json, |c| c
            .set_cursor()
            .id(ID)
            .body_map(|b| b.hidden(true))
            .send()),
        call!("batchComputerAction", empty, |c| c
            .batch_computer_action()
            .id(ID)
            .body_map(|b| {
                b.actions(vec![types::ComputerAction::builder()
                    .type_(open::ComputerActionType::TypeText)
                    .type_text(Some(
                        types::TypeTextRequest::builder()
                            .text("hi")
                            .try_into()
                            .unwrap(),
                    ))
                    .try_into()
                    .unwrap()])
            })
            .send()),
        call!("getMousePosition", json, |c| c
            .get_mouse_position()
            .id(ID)
            .send()),
        call!("readClipboard", json, |c| c.read_clipboard().id(ID).send()),
        call!("writeClipboard", empty, |c| c
            .write_clipboard()
            .id(ID)
            .body_map(|b| b.text("copied"))
            .send()),
        // Apps
        call!("getApps", json, |c| c
            .get_apps()
            .app_name("my-app")
            .limit(10)
            .send()),
        // Deployments
        call!("getDeployments", json, |c| c
            .get_deployments()
            .app_name("my-app")
            .limit(10)
            .send()),
        ("postDeployments", {
            fn run(c: &Client) -> BoxFuture<'_, Outcome> {
                Box::pin(async move {
                    let form = DeploymentForm {
                        code: DeploymentCode::Zip {
                            file: zip_part(),
                            entrypoint_rel_path: "src/app.py".into(),
                        },
                        version: Some("1.0.0".into()),
                        region: None,
                        force: Some(false),
                        env_vars: Default::default(),
                    };
                    json(c.post_deployments(form).await).await
                })
            }
            run as Call
        }),
        call!("getDeploymentsById", json, |c| c
            .get_deployments_by_id()
            .id(ID)
            .send()),
        call!("deleteDeploymentsById", empty, |c| c
            .delete_deployments_by_id()
            .id(ID)
            .send()),
        call!("getDeploymentsEventsById", stream, |c| c
            .get_deployments_events_by_id()
            .id(ID)
            .send()),
        // Browser Filesystem
        call!("readFile", stream, |c| c
            .read_file()
            .id(ID)
            .path("/tmp/a.txt")
            .send()),
        call!("writeFile", empty, |c| c
            .write_file()
            .id(ID)
            .path("/tmp/a.txt")
            .mode("0644")
            .body(b"hello".to_vec())
            .send()),
        call!("listFiles", json, |c| c
            .list_files()
            .id(ID)
            .path("/tmp")
            .send()),
        call!("createDirectory", empty, |c| c
            .create_directory()
            .id(ID)
            .body_map(|b| b.path("/tmp/new"))
            .send()),
        call!("deleteFile", empty, |c| c
            .delete_file()
            .id(ID)
            .body_map(|b| b.path("/tmp/a.txt"))
            .send()),
        call!("deleteDirectory", empty, |c| c
            .delete_directory()
            .id(ID)
            .body_map(|b| b.path("/tmp/new"))
            .send()),
        call!("setFilePermissions", empty, |c| c
            .set_file_permissions()
            .id(ID)
            .body_map(|b| b.path("/tmp/a.txt").mode("0600"))
            .send()),
        call!("fileInfo", json, |c| c
            .file_info()
            .id(ID)
            .path("/tmp/a.txt")
            .send()),
        call!("movePath", empty, |c| c
            .move_path()
            .id(ID)
            .body_map(|b| b.src_path("/tmp/a.txt").dest_path("/tmp/b.txt"))
            .send()),
        call!("startFsWatch", json, |c| c
            .start_fs_watch()
            .id(ID)
            .body_map(|b| b.path("/tmp").recursive(true))
            .send()),
        call!("streamFsEvents", stream, |c| c
            .stream_fs_events()
            .id(ID)
            .watch_id(OTHER)
            .send()),
        call!("stopFsWatch", empty, |c| c
            .stop_fs_watch()
            .id(ID)
            .watch_id(OTHER)
            .send()),
        // Browser Processes
        call!("processExec", json, |c| c
            .process_exec()
            .id(ID)
            .body_map(|b| b.command("ls").args(vec!["-la".to_string()]))
            .send()),
        call!("processSpawn", json, |c| c
            .process_spawn()
            .id(ID)
            .body_map(|b| b.command("bash"))
            .send()),
        call!("processStatus", json, |c| c
            .process_status()
            .id(ID)
            .process_id(PROCESS)
            .send()),
        call!("processStdoutStream", stream, |c| c
            .process_stdout_stream()
            .id(ID)
            .process_id(PROCESS)
            .send()),
        call!("processStdin", json, |c| c
            .process_stdin()
            .id(ID)
            .process_id(PROCESS)
            .body_map(|b| b.data_b64("aGVsbG8K"))
            .send()),
        call!("processKill", json, |c| c
            .process_kill()
            .id(ID)
            .process_id(PROCESS)
            .body_map(|b| b.signal(open::ProcessKillRequestSignal::Term))
            .send()),
        call!("processResize", json, |c| c
            .process_resize()
            .id(ID)
            .process_id(PROCESS)
            .body_map(|b| b
                .rows(std::num::NonZeroU64::new(24).unwrap())
                .cols(std::num::NonZeroU64::new(80).unwrap()))
            .send()),
        // Browser Playwright
        call!("executePlaywrightCode", json, |c| c
            .execute_playwright_code()
            .id(ID)
            .body_map(|b| b.code("return await page.title();"))
            .send()),
        // Browser Logs
        call!("logsStream", stream, |c| c
            .logs_stream()
            .id(ID)
            .source(open::LogsStreamSource::Supervisor)
            .supervisor_process("chromium")
            .send()),
        // Browser Filesystem (continued)
        call!("downloadDirZip", stream, |c| c
            .download_dir_zip()
            .id(ID)
            .path("/tmp")
            .send()),
        ("uploadFiles", {
            fn run(c: &Client) -> BoxFuture<'_, Outcome> {
                Box::pin(async move {
                    // A file part with an explicit content type: Prism's multipart
                    // parser crashes (and Prism with it) on a file part without one.
                    let file = Part::bytes(b"hello".to_vec())
                        .file_name("a.txt")
                        .mime_str("text/plain")
                        .unwrap();
                    empty(
                        c.upload_files(ID, vec![("/tmp/a.txt".to_string(), file)])
                            .await,
                    )
                    .await
                })
            }
            run as Call
        }),
        ("uploadZip", {
            fn run(c: &Client) -> BoxFuture<'_, Outcome> {
                Box::pin(async move {
                    empty(c.upload_zip(ID, "/tmp/extracted", zip_part()).await).await
                })
            }
            run as Call
        }),
        // Browsers (continued)
        call!("browserCurl", json, |c| c
            .browser_curl()
            .id(ID)
            .body_map(|b| b.url("https://example.com"))
            .send()),
        // Browser Pools
        call!("getBrowserPools", json, |c| c.get_browser_pools().send()),
        call!("postBrowserPools", json, |c| c
            .post_browser_pools()
            .body_map(|b| b
                .name(Some("my-pool".parse().unwrap()))
                .size(std::num::NonZeroU64::new(2).unwrap()))
            .send()),
        call!("getBrowserPoolsByIdOrName", json, |c| c
            .get_browser_pools_by_id_or_name()
            .id_or_name("my-pool")
            .send()),
        call!("deleteBrowserPoolsByIdOrName", empty, |c| c
            .delete_browser_pools_by_id_or_name()
            .id_or_name("my-pool")
            .body_map(|b| b.force(true))
            .send()),
        call!("updateBrowserPoolsByIdOrName", json, |c| c
            .update_browser_pools_by_id_or_name()
            .id_or_name("my-pool")
            .body_map(|b| b
                .size(std::num::NonZeroU64::new(4).unwrap())
                .discard_all_idle(true))
            .send()),
        call!("acquireFromBrowserPoolByIdOrName", json, |c| c
            .acquire_from_browser_pool_by_id_or_name()
            .id_or_name("my-pool")
            .body_map(|b| b.acquire_timeout_seconds(Some(10)))
            .send()),
        call!("releaseToBrowserPoolByIdOrName", empty, |c| c
            .release_to_browser_pool_by_id_or_name()
            .id_or_name("my-pool")
            .body_map(|b| b.session_id(ID).reuse(true))
            .send()),
        call!("flushBrowserPoolByIdOrName", empty, |c| c
            .flush_browser_pool_by_id_or_name()
            .id_or_name("my-pool")
            .send()),
        // Profiles
        call!("getProfiles", json, |c| c.get_profiles().limit(10).send()),
        call!("postProfiles", json, |c| c
            .post_profiles()
            .body_map(|b| b.name(Some("work".to_string())))
            .send()),
        call!("getProfileByIdOrName", json, |c| c
            .get_profile_by_id_or_name()
            .id_or_name("work")
            .send()),
        call!("deleteProfileByIdOrName", empty, |c| c
            .delete_profile_by_id_or_name()
            .id_or_name("work")
            .send()),
        call!("downloadProfileByIdOrName", stream, |c| c
            .download_profile_by_id_or_name()
            .id_or_name("work")
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
        call!("getAuthConnectionsById", json, |c| c
            .get_auth_connections_by_id()
            .id(ID)
            .send()),
        call!("deleteAuthConnectionsById", empty, |c| c
            .delete_auth_connections_by_id()
            .id(ID)
            .send()),
        call!("patchAuthConnectionsById", json, |c| c
            .patch_auth_connections_by_id()
            .id(ID)
            .body_map(|b| b.login_url(Some("https://netflix.com/login".to_string())))
            .send()),
        call!("postAuthConnectionsLogin", json, |c| c
            .post_auth_connections_login()
            .id(ID)
            .body_map(|b| b.record_session(Some(false)))
            .send()),
        call!("postAuthConnectionsSubmit", json, |c| c
            .post_auth_connections_submit()
            .id(ID)
            .body_map(|b| b.fields(Some(map(&[("email", "user@example.com")]).into())))
            .send()),
        call!("getAuthConnectionsEventsById", stream, |c| c
            .get_auth_connections_events_by_id()
            .id(ID)
            .send()),
        call!("postAuthConnectionsExchange", json, |c| c
            .post_auth_connections_exchange()
            .id(ID)
            .body_map(|b| b.code("abc123xyz"))
            .send()),
        // Extensions
        call!("getExtensions", json, |c| c.get_extensions().send()),
        ("postExtensions", {
            fn run(c: &Client) -> BoxFuture<'_, Outcome> {
                Box::pin(
                    async move { json(c.post_extensions(zip_part(), Some("my-ext")).await).await },
                )
            }
            run as Call
        }),
        call!("getExtensionByIdOrName", stream, |c| c
            .get_extension_by_id_or_name()
            .id_or_name("my-ext")
            .send()),
        call!("deleteExtensionByIdOrName", empty, |c| c
            .delete_extension_by_id_or_name()
            .id_or_name("my-ext")
            .send()),
        call!("getExtensionsFromChromeStore", stream, |c| c
            .get_extensions_from_chrome_store()
            .url("https://chromewebstore.google.com/detail/abc")
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
        call!("postAgentsAuthInvocations", json, |c| c
            .post_agents_auth_invocations()
            .body_map(|b| b.auth_agent_id(ID))
            .send()),
        call!("getAgentsAuthById", json, |c| c
            .get_agents_auth_by_id()
            .id(ID)
            .send()),
        call!("deleteAgentsAuthById", empty, |c| c
            .delete_agents_auth_by_id()
            .id(ID)
            .send()),
        call!("getAgentsAuthInvocationsInvocationId", json, |c| c
            .get_agents_auth_invocations_invocation_id()
            .invocation_id(OTHER)
            .send()),
        call!("postAgentsAuthInvocationsExchange", json, |c| c
            .post_agents_auth_invocations_exchange()
            .invocation_id(OTHER)
            .body_map(|b| b.code("abc123xyz"))
            .send()),
        call!("postAgentsAuthInvocationsSubmit", json, |c| c
            .post_agents_auth_invocations_submit()
            .invocation_id(OTHER)
            .body(types::AgentAuthSubmitRequest::SsoButton(
                "xpath=//button".to_string()
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
        call!("getCredentialByIdOrName", json, |c| c
            .get_credential_by_id_or_name()
            .id_or_name("netflix")
            .send()),
        call!("deleteCredentialByIdOrName", empty, |c| c
            .delete_credential_by_id_or_name()
            .id_or_name("netflix")
            .send()),
        call!("patchCredentialByIdOrName", json, |c| c
            .patch_credential_by_id_or_name()
            .id_or_name("netflix")
            .body_map(|b| b.sso_provider(Some(String::new())))
            .send()),
        call!("getCredentialTotpCodeByIdOrName", json, |c| c
            .get_credential_totp_code_by_id_or_name()
            .id_or_name("netflix")
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
        call!("getCredentialProvidersById", json, |c| c
            .get_credential_providers_by_id()
            .id(ID)
            .send()),
        call!("deleteCredentialProvidersById", empty, |c| c
            .delete_credential_providers_by_id()
            .id(ID)
            .send()),
        call!("patchCredentialProvidersById", json, |c| c
            .patch_credential_providers_by_id()
            .id(ID)
            .body_map(|b| b.enabled(Some(false)))
            .send()),
        call!("testCredentialProviderById", json, |c| c
            .test_credential_provider_by_id()
            .id(ID)
            .send()),
        call!("getCredentialProviderItems", json, |c| c
            .get_credential_provider_items()
            .id(ID)
            .send()),
        // Projects
        call!("getProjects", json, |c| c.get_projects().limit(10).send()),
        call!("postProjects", json, |c| c
            .post_projects()
            .body_map(|b| b.name("staging"))
            .send()),
        call!("getProjectsId", json, |c| c.get_projects_id().id(ID).send()),
        call!("deleteProjectsId", empty, |c| c
            .delete_projects_id()
            .id(ID)
            .send()),
        call!("patchProjectsId", json, |c| c
            .patch_projects_id()
            .id(ID)
            .body_map(|b| b.status(Some(open::UpdateProjectRequestStatus::Archived)))
            .send()),
        call!("getProjectLimits", json, |c| c
            .get_project_limits()
            .id(ID)
            .send()),
        call!("patchProjectLimits", json, |c| c
            .patch_project_limits()
            .id(ID)
            .body_map(|b| b.max_concurrent_sessions(Some(5)))
            .send()),
        call!("getOrgProjects", json, |c| c
            .get_org_projects()
            .limit(10)
            .send()),
        call!("postOrgProjects", json, |c| c
            .post_org_projects()
            .body_map(|b| b.name("staging"))
            .send()),
        call!("getOrgProjectsId", json, |c| c
            .get_org_projects_id()
            .id(ID)
            .send()),
        call!("deleteOrgProjectsId", empty, |c| c
            .delete_org_projects_id()
            .id(ID)
            .send()),
        call!("patchOrgProjectsId", json, |c| c
            .patch_org_projects_id()
            .id(ID)
            .body_map(|b| b.name(Some("renamed".to_string())))
            .send()),
        call!("getOrgProjectLimits", json, |c| c
            .get_org_project_limits()
            .id(ID)
            .send()),
        call!("patchOrgProjectLimits", json, |c| c
            .patch_org_project_limits()
            .id(ID)
            .body_map(|b| b.max_pooled_sessions(Some(0)))
            .send()),
        // API Keys
        call!("listApiKeys", json, |c| c.list_api_keys().limit(10).send()),
        call!("postApiKeys", json, |c| c
            .post_api_keys()
            .body_map(|b| b.name("ci"))
            .send()),
        call!("getApiKeysById", json, |c| c
            .get_api_keys_by_id()
            .id(ID)
            .send()),
        call!("deleteApiKeysById", empty, |c| c
            .delete_api_keys_by_id()
            .id(ID)
            .send()),
        call!("patchApiKeysById", json, |c| c
            .patch_api_keys_by_id()
            .id(ID)
            .body_map(|b| b.name("ci-renamed"))
            .send()),
    ]
}

/// Operations that cannot pass against Prism, each with the reason and, in
/// backticks (used for nothing else), the text of the line Prism logs for it:
/// the test checks that line is in Prism's log for that operation.
const KNOWN_PRISM_LIMITATIONS: &[(&str, &str)] = &[
    // The seven event streams.
    ("getInvocationsEventsById", SSE),
    ("streamBrowserTelemetry", SSE),
    ("getDeploymentsEventsById", SSE),
    ("streamFsEvents", SSE),
    ("processStdoutStream", SSE),
    ("logsStream", SSE),
    ("getAuthConnectionsEventsById", SSE),
    // Multipart arrays of objects with a file member. The API takes them as
    // `extensions[0][zip_file]` / `files[0][file]` parts (see
    // `kernel_sys::multipart`); Prism's multipart reader
    // (`parseMultipartFormDataParams` in prism-http) maps each part name
    // literally to a property and has no notion of such arrays, so the
    // required array is never found. (OpenAPI defines no other encoding for
    // a file inside an array of objects.)
    (
        "uploadExtensionsToBrowser",
        "Prism reads the part 'extensions[0][zip_file]' as a property of that literal name: \
         `Request body must have required property 'extensions'`",
    ),
    (
        "uploadFiles",
        "Prism reads the part 'files[0][file]' as a property of that literal name: \
         `Request body must have required property 'files'`",
    ),
    // A spec defect Prism enforces: `AgentAuthSubmitRequest` has
    // `additionalProperties: false` next to a `oneOf` whose alternatives
    // declare the properties, so under JSON Schema every property is
    // "additional" and no body is valid (also listed in kernel-sys's
    // forward_compat test, `UNSATISFIABLE_IN_SPEC`). The request is the
    // documented one (`{"sso_button": ..}`).
    (
        "postAgentsAuthInvocationsSubmit",
        "the spec's AgentAuthSubmitRequest rejects every property and Prism enforces it: \
         `Request body must NOT have additional properties; found 'sso_button'`",
    ),
];

const SSE: &str = "Prism cannot serve text/event-stream: the event schema is an object and Prism only writes strings as text, so it answers 500: `NO_COMPLEX_OBJECT_TEXT: Cannot serialise complex objects as text`";

/// Operations whose static Prism response is an `example:` of the spec that
/// violates the spec's own schema (Prism flags it in its log). Each is
/// called twice: with the static example, which must fail with the quoted
/// Prism log line, and with `Prefer: dynamic=true` (a response generated from
/// the schema), which must pass and is what counts.
const INVALID_SPEC_EXAMPLES: &[(&str, &str)] = &[
    (
        "getInvocations",
        "Invocation.started_at's example '2024-05-19T15:30:00.000000000Z07:00' is not RFC 3339: \
         `Response body property 0.started_at must match format \"date-time\"`",
    ),
    (
        "getInvocationsById",
        "Invocation.started_at's example '2024-05-19T15:30:00.000000000Z07:00' is not RFC 3339: \
         `Response body property started_at must match format \"date-time\"`",
    ),
    (
        "patchInvocationsById",
        "Invocation.started_at's example '2024-05-19T15:30:00.000000000Z07:00' is not RFC 3339: \
         `Response body property started_at must match format \"date-time\"`",
    ),
];

fn spec() -> Value {
    kernel_codegen::load(&workspace_root().join("openapi/kernel-openapi.yaml"))
        .unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn every_operation_has_a_call() {
    let spec = spec();
    let in_spec: BTreeSet<String> = kernel_codegen::operations(&spec)
        .into_iter()
        .map(|o| o.id)
        .collect();
    let table = calls();
    let in_table: BTreeSet<String> = table.iter().map(|(id, _)| id.to_string()).collect();
    assert_eq!(in_table.len(), table.len(), "an operation is listed twice");
    let missing: Vec<&String> = in_spec.difference(&in_table).collect();
    let extra: Vec<&String> = in_table.difference(&in_spec).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "operations without a call: {missing:?}; calls not in the spec: {extra:?}"
    );
    assert_eq!(
        in_spec.len(),
        kernel_sys::OPERATIONS.len(),
        "the spec and kernel_sys::OPERATIONS agree"
    );
    // The exception lists name real operations, once.
    let listed: Vec<&str> = KNOWN_PRISM_LIMITATIONS
        .iter()
        .chain(INVALID_SPEC_EXAMPLES)
        .map(|(id, _)| *id)
        .collect();
    let unique: BTreeSet<&str> = listed.iter().copied().collect();
    assert_eq!(
        unique.len(),
        listed.len(),
        "an operation is listed twice: {listed:?}"
    );
    for id in listed {
        assert!(in_spec.contains(id), "{id} is listed but not in the spec");
    }
}

/// The `(method, template)` of each operation, and the 2xx statuses the spec
/// documents for it.
struct SpecOp {
    method: String,
    path: String,
    success: BTreeMap<u16, Option<String>>,
    /// The 2xx progenitor decodes (the codegen keeps the first 2xx with a
    /// body, else the first 2xx); the others are alternates.
    primary: u16,
}

fn spec_ops(spec: &Value) -> BTreeMap<String, SpecOp> {
    kernel_codegen::operations(spec)
        .into_iter()
        .map(|o| {
            let responses = spec["paths"][&o.path][&o.method]["responses"]
                .as_object()
                .expect("responses");
            let twos: Vec<(u16, bool)> = responses
                .iter()
                .filter_map(|(status, r)| {
                    Some((
                        status.parse().ok().filter(|s| (200..300).contains(s))?,
                        r.get("content").is_some(),
                    ))
                })
                .collect();
            let primary = twos
                .iter()
                .find(|(_, body)| *body)
                .or(twos.first())
                .expect("a 2xx")
                .0;
            let success = responses
                .iter()
                .filter_map(|(status, r)| {
                    let status: u16 = status.parse().ok().filter(|s| (200..300).contains(s))?;
                    let content = r["content"]
                        .as_object()
                        .and_then(|c| c.keys().next().cloned());
                    Some((status, content))
                })
                .collect();
            (
                o.id,
                SpecOp {
                    method: o.method.to_uppercase(),
                    path: o.path,
                    success,
                    primary,
                },
            )
        })
        .collect()
}

/// The logged requests that belong to `op`: same method, and `op`'s template
/// is the most literal one matching the path.
fn logged_for<'a>(
    op: &SpecOp,
    all: &BTreeMap<String, SpecOp>,
    log: &'a [common::prism::LoggedRequest],
) -> Vec<&'a common::prism::LoggedRequest> {
    log.iter()
        .filter(|r| r.method == op.method && path_matches(&op.path, &r.path))
        .filter(|r| {
            let literal = |t: &str| t.split('/').filter(|s| !s.starts_with('{')).count();
            all.values()
                .filter(|o| o.method == r.method && path_matches(&o.path, &r.path))
                .all(|o| literal(&o.path) <= literal(&op.path))
        })
        .collect()
}

/// A client for Prism that sends `extra` headers (e.g. `Prefer`) with every
/// request.
fn client_with(base_url: &str, extra: &[(&'static str, &str)]) -> Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("authorization", "Bearer sk_test_prism".parse().unwrap());
    for (name, value) in extra {
        headers.insert(*name, value.parse().unwrap());
    }
    let http = reqwest::Client::builder()
        .default_headers(headers)
        .build()
        .unwrap();
    Client::new_with_client(base_url, http, kernel_sys::Hooks::default())
}

/// Calls `call` and judges the outcome against the 2xx statuses the spec
/// documents for the operation.
async fn judge(
    id: &str,
    call: Call,
    client: &Client,
    documented: &BTreeMap<u16, Option<String>>,
) -> Result<String, String> {
    let outcome = match tokio::time::timeout(Duration::from_secs(20), call(client)).await {
        Ok(outcome) => outcome,
        Err(_) => Outcome::Failed("no answer within 20 s".into()),
    };
    match outcome {
        Outcome::Ok(status) if documented.contains_key(&status) => Ok(format!("{status}")),
        Outcome::Ok(status) => Err(format!("{status} is not a documented 2xx ({documented:?})")),
        // An alternate 2xx (removed from progenitor's view by the codegen,
        // so it arrives as `Error::UnexpectedResponse`) passes only if the
        // spec documents that status for this operation; a JSON one must
        // carry JSON.
        Outcome::Alternate(status, body) => match documented.get(&status) {
            Some(Some(ct)) if ct == "application/json" => {
                match serde_json::from_slice::<Value>(&body) {
                    Ok(_) => Ok(format!("{status} (alternate 2xx)")),
                    Err(e) => Err(format!("{status}: documented JSON, got {e}")),
                }
            }
            Some(_) => Ok(format!("{status} (alternate 2xx)")),
            None => Err(format!("{status} is not documented for {id}")),
        },
        Outcome::Failed(why) => Err(why),
    }
}

/// How the conformance run builds its clients.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Via {
    /// `kernel_sys::Client` alone.
    Sys,
    /// The client `kernel::Kernel` builds: every call goes through the
    /// `kernel` transport (default headers, timeouts, retries, error capture).
    Kernel,
}

impl Via {
    fn client(self, base_url: &str, extra: &[(&'static str, &str)]) -> Client {
        match self {
            Via::Sys if extra.is_empty() => {
                Client::with_api_key(base_url, "sk_test_prism").unwrap()
            }
            Via::Sys => client_with(base_url, extra),
            Via::Kernel => {
                let mut builder = kernel::Kernel::builder()
                    .api_key("sk_test_prism")
                    .base_url(base_url)
                    .max_retries(0);
                for (name, value) in extra {
                    builder = builder.default_header(name, value);
                }
                builder.build().unwrap().sys().clone()
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operation_passes_against_prism() {
    conformance(Via::Sys).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operation_passes_against_prism_through_kernel() {
    conformance(Via::Kernel).await;
}

async fn conformance(via: Via) {
    let started = Instant::now();
    let spec = spec();
    let ops = spec_ops(&spec);
    let mut prism = Prism::start(
        &workspace_root().join("openapi/kernel-openapi.yaml"),
        &["--seed", "kernel-rs"],
        Duration::from_secs(60),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let ready = started.elapsed();
    let client = via.client(&prism.base_url, &[]);
    // The same, asking Prism to generate the response from the schema
    // instead of serving the spec's examples (seeded: deterministic).
    let dynamic = via.client(&prism.base_url, &[("prefer", "dynamic=true")]);
    let mut alternates: Vec<(String, u16, Result<String, String>)> = Vec::new();

    let table: BTreeMap<&str, Call> = calls().into_iter().collect();
    let invalid_examples: BTreeMap<&str, &str> = INVALID_SPEC_EXAMPLES.iter().copied().collect();
    let mut results: BTreeMap<String, Result<String, String>> = BTreeMap::new();
    let mut static_results: BTreeMap<String, Result<String, String>> = BTreeMap::new();
    // In spec order, one at a time, so Prism's log reads in order.
    for op in kernel_codegen::operations(&spec) {
        let call = *table
            .get(op.id.as_str())
            .unwrap_or_else(|| panic!("no call for {}", op.id));
        let documented = &ops[&op.id].success;
        let mut result = judge(&op.id, call, &client, documented).await;
        if invalid_examples.contains_key(op.id.as_str()) {
            static_results.insert(op.id.clone(), result);
            result = judge(&op.id, call, &dynamic, documented)
                .await
                .map(|s| format!("{s} (dynamic response)"));
        }
        // Every other documented 2xx, asked for with `Prefer: code=<status>`:
        // it must come back as the documented alternate.
        for (&status, _) in documented
            .iter()
            .filter(|(s, _)| **s != ops[&op.id].primary)
        {
            let prefer = via.client(&prism.base_url, &[("prefer", &format!("code={status}"))]);
            let result = judge(&op.id, call, &prefer, documented).await;
            alternates.push((op.id.clone(), status, result));
        }
        if let Some(status) = prism.exited() {
            let log = prism.log();
            let tail = &log[log.len().saturating_sub(40)..];
            panic!(
                "Prism exited ({status}) while serving {}:\n{}",
                op.id,
                tail.join("\n")
            );
        }
        results.insert(op.id.clone(), result);
    }
    // Let the last log lines arrive.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let log = prism.log();
    let logged = requests(&log);
    if std::env::var_os("PRISM_LOG").is_some() {
        println!(
            "---- Prism log ----\n{}\n---- end of Prism log ----",
            log.join("\n")
        );
    }

    let passed: Vec<&String> = results
        .iter()
        .filter(|(_, r)| r.is_ok())
        .map(|(id, _)| id)
        .collect();
    let failed: BTreeMap<&String, &String> = results
        .iter()
        .filter_map(|(id, r)| r.as_ref().err().map(|e| (id, e)))
        .collect();
    println!(
        "Prism conformance via {via:?}: {}/{} operations pass ({} known Prism limitations, {} passed with a dynamic response \
         because the spec's example is invalid); Prism ready in {:.1}s, total {:.1}s",
        passed.len(),
        results.len(),
        KNOWN_PRISM_LIMITATIONS.len(),
        INVALID_SPEC_EXAMPLES.len(),
        ready.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
    for (id, r) in &results {
        println!(
            "  {id}: {}",
            match r {
                Ok(s) => format!("ok {s}"),
                Err(e) if KNOWN_PRISM_LIMITATIONS.iter().any(|(k, _)| k == id) => {
                    format!("known Prism limitation: {e}")
                }
                Err(e) => format!("FAILED {e}"),
            }
        );
    }

    let lines_for = |id: &str| -> Vec<String> {
        logged_for(&ops[id], &ops, &logged)
            .into_iter()
            .flat_map(|r| r.lines.iter().cloned())
            .collect()
    };
    // Every listed reason quotes (in backticks) a line Prism logged for it.
    let check_evidence = |id: &str, reason: &str, problems: &mut Vec<String>| {
        let lines = lines_for(id);
        if !reason.contains('`') {
            problems.push(format!("{id}: the reason quotes no Prism log line"));
        }
        for quoted in reason.split('`').skip(1).step_by(2) {
            if !lines.iter().any(|l| l.contains(quoted)) {
                problems.push(format!(
                    "{id}: the evidence `{quoted}` is not in Prism's log for it:\n      {}",
                    lines.join("\n      ")
                ));
            }
        }
    };
    let known: BTreeMap<&str, &str> = KNOWN_PRISM_LIMITATIONS.iter().copied().collect();
    let mut problems = Vec::new();
    for (id, why) in &failed {
        if !known.contains_key(id.as_str()) {
            let evidence: Vec<String> = lines_for(id)
                .into_iter()
                .filter(|l| l.contains('✖') || l.contains('⚠'))
                .collect();
            problems.push(format!(
                "{id} failed: {why}\n    Prism log:\n      {}",
                evidence.join("\n      ")
            ));
        }
    }
    for (id, reason) in &known {
        if !failed.contains_key(&id.to_string()) {
            problems.push(format!(
                "{id} is listed in KNOWN_PRISM_LIMITATIONS but passes: remove it"
            ));
        }
        check_evidence(id, reason, &mut problems);
    }
    for (id, reason) in &invalid_examples {
        match &static_results[*id] {
            Ok(s) => problems.push(format!("{id} passes with the spec's static example ({s}): remove it from INVALID_SPEC_EXAMPLES")),
            Err(_) => check_evidence(id, reason, &mut problems),
        }
    }
    for (id, status, result) in &alternates {
        match result {
            Ok(s) if s.contains("alternate") => {
                println!("  {id} with Prefer: code={status}: ok {s}")
            }
            other => problems.push(format!(
                "{id} with Prefer: code={status}: expected the documented alternate, got {other:?}"
            )),
        }
    }
    assert!(
        alternates.len() >= 4,
        "the spec's alternate 2xx responses: {alternates:?}"
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert_eq!(
        passed.len() + KNOWN_PRISM_LIMITATIONS.len(),
        kernel_codegen::operations(&spec).len()
    );
}
