//! The calls of invocations, proxies, browsers (sessions, replays,
//! telemetry, extensions, computer controls), apps and deployments.

use super::{empty, json, stream, zip_part, Call, Ids, Outcome};
use futures::future::BoxFuture;
use kernel_sys::multipart::{DeploymentCode, DeploymentForm};
use kernel_sys::{open, types, Client};

/// The calls of this area, one per operation.
pub fn calls() -> Vec<(&'static str, Call)> {
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
        call!("getInvocationsById", json, |c, ids| c
            .get_invocations_by_id()
            .id(&ids.invocation)
            .send()),
        call!("patchInvocationsById", json, |c, ids| c
            .patch_invocations_by_id()
            .id(&ids.invocation)
            .body_map(|b| b
                .status(open::InvocationUpdateRequestStatus::Succeeded)
                .output(Some("{\"ok\":true}".to_string())))
            .send()),
        call!("getInvocationsBrowsersById", json, |c, ids| c
            .get_invocations_browsers_by_id()
            .id(&ids.invocation)
            .send()),
        call!("deleteInvocationsBrowsersById", empty, |c, ids| c
            .delete_invocations_browsers_by_id()
            .id(&ids.invocation)
            .send()),
        call!("getInvocationsEventsById", stream, |c, ids| c
            .get_invocations_events_by_id()
            .id(&ids.invocation)
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
        call!("getProxiesById", json, |c, ids| c
            .get_proxies_by_id()
            .id(&ids.proxy)
            .send()),
        call!("deleteProxiesById", empty, |c, ids| c
            .delete_proxies_by_id()
            .id(&ids.proxy)
            .send()),
        call!("postProxiesByIdCheck", json, |c, ids| c
            .post_proxies_by_id_check()
            .id(&ids.proxy)
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
        call!("getBrowsersById", json, |c, ids| c
            .get_browsers_by_id()
            .id(&ids.browser)
            .include_deleted(false)
            .send()),
        call!("deleteBrowsersById", empty, |c, ids| c
            .delete_browsers_by_id()
            .id(&ids.browser)
            .send()),
        call!("patchBrowsersById", json, |c, ids| c
            .patch_browsers_by_id()
            .id(&ids.browser)
            .body_map(|b| b.proxy_id(Some(ids.proxy.clone())))
            .send()),
        // Browser Replays
        call!("listBrowsersReplays", json, |c, ids| c
            .list_browsers_replays()
            .id(&ids.browser)
            .send()),
        call!("startBrowserReplayRecording", json, |c, ids| c
            .start_browser_replay_recording()
            .id(&ids.browser)
            .body_map(|b| b.framerate(std::num::NonZeroU64::new(25)))
            .send()),
        call!("getBrowsersReplaysById", stream, |c, ids| c
            .get_browsers_replays_by_id()
            .id(&ids.browser)
            .replay_id(&ids.replay)
            .send()),
        call!("stopBrowserReplayRecording", empty, |c, ids| c
            .stop_browser_replay_recording()
            .id(&ids.browser)
            .replay_id(&ids.recording_replay)
            .send()),
        // Browser Telemetry
        call!("streamBrowserTelemetry", stream, |c, ids| c
            .stream_browser_telemetry()
            .id(&ids.browser)
            .send()),
        // Browser extensions upload (multipart)
        ("uploadExtensionsToBrowser", {
            fn run<'a>(c: &'a Client, ids: &'a Ids) -> BoxFuture<'a, Outcome> {
                Box::pin(async move {
                    empty(
                        c.upload_extensions_to_browser(
                            &ids.browser,
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
        call!("clickMouse", empty, |c, ids| c
            .click_mouse()
            .id(&ids.browser)
            .body_map(|b| b.x(10).y(20))
            .send()),
        call!("moveMouse", empty, |c, ids| c
            .move_mouse()
            .id(&ids.browser)
            .body_map(|b| b.x(30).y(40))
            .send()),
        call!("takeScreenshot", stream, |c, ids| c
            .take_screenshot()
            .id(&ids.browser)
            .body_map(|b| b)
            .send()),
        call!("typeText", empty, |c, ids| c
            .type_text()
            .id(&ids.browser)
            .body_map(|b| b.text("hello"))
            .send()),
        call!("pressKey", empty, |c, ids| c
            .press_key()
            .id(&ids.browser)
            .body_map(|b| b.keys(vec!["Return".to_string()]))
            .send()),
        call!("scroll", empty, |c, ids| c
            .scroll()
            .id(&ids.browser)
            .body_map(|b| b.x(100).y(100).delta_y(120))
            .send()),
        call!("dragMouse", empty, |c, ids| c
            .drag_mouse()
            .id(&ids.browser)
            .body_map(|b| b.path(vec![[0, 0], [100, 100]]))
            .send()),
        call!("setCursor", json, |c, ids| c
            .set_cursor()
            .id(&ids.browser)
            .body_map(|b| b.hidden(true))
            .send()),
        call!("batchComputerAction", empty, |c, ids| c
            .batch_computer_action()
            .id(&ids.browser)
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
        call!("getMousePosition", json, |c, ids| c
            .get_mouse_position()
            .id(&ids.browser)
            .send()),
        call!("readClipboard", json, |c, ids| c
            .read_clipboard()
            .id(&ids.browser)
            .send()),
        call!("writeClipboard", empty, |c, ids| c
            .write_clipboard()
            .id(&ids.browser)
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
            fn run<'a>(c: &'a Client, _: &'a Ids) -> BoxFuture<'a, Outcome> {
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
        call!("getDeploymentsById", json, |c, ids| c
            .get_deployments_by_id()
            .id(&ids.deployment)
            .send()),
        call!("deleteDeploymentsById", empty, |c, ids| c
            .delete_deployments_by_id()
            .id(&ids.deployment)
            .send()),
        call!("getDeploymentsEventsById", stream, |c, ids| c
            .get_deployments_events_by_id()
            .id(&ids.deployment)
            .send()),
    ]
}
