//! Request-shape cases for the browser tags: browsers, replays, profiles, the
//! filesystem, computer, playwright, processes, logs, telemetry, extensions,
//! proxies and pools. Each returns the operation id it checked.

use super::Case;
use kernel_sys::open;
use kernel_sys::types;
use kernel_testkit::spec::component;
use serde_json::json;

pub(super) async fn browsers_post() -> String {
    let case = Case::start("postBrowsers", &[]).await;
    let result = case
        .client()
        .post_browsers()
        .body_map(|b| {
            b.headless(Some(true))
                .stealth(Some(true))
                .timeout_seconds(Some(300))
                .viewport(Some(types::BrowserViewport {
                    width: 1920,
                    height: 1080,
                    refresh_rate: Some(60),
                }))
                .profile(Some(types::BrowserProfile {
                    id: None,
                    name: Some("my-profile".parse().unwrap()),
                    save_changes: Some(true),
                }))
                .extensions(vec![types::BrowserExtension {
                    id: Some("ext_123".into()),
                    name: None,
                }])
                .start_url(Some("https://example.com".to_string()))
        })
        .send()
        .await;
    case.body(json!({
        "headless": true,
        "stealth": true,
        "timeout_seconds": 300,
        "viewport": { "width": 1920, "height": 1080, "refresh_rate": 60 },
        "profile": { "name": "my-profile", "save_changes": true },
        "extensions": [{ "id": "ext_123" }],
        "start_url": "https://example.com",
    }))
    .json(result)
    .await
}

pub(super) async fn browsers_list() -> String {
    let case = Case::start("getBrowsers", &[]).await;
    let result = case
        .client()
        .get_browsers()
        .status(open::GetBrowsersStatus::Deleted)
        .include_deleted(true)
        .limit(10)
        .offset(20)
        .query("name with spaces&symbols")
        .send()
        .await;
    case.query(&[
        ("status", "deleted"),
        ("include_deleted", "true"),
        ("limit", "10"),
        ("offset", "20"),
        ("query", "name with spaces&symbols"),
    ])
    .json(result)
    .await
}

pub(super) async fn browsers_patch() -> String {
    let case = Case::start("patchBrowsersById", &[("id", "htzv5orfit78e1m2biiifpbv")]).await;
    let result = case
        .client()
        .patch_browsers_by_id()
        .id("htzv5orfit78e1m2biiifpbv")
        .body_map(|b| {
            b.proxy_id(Some(String::new()))
                .disable_default_proxy(Some(true))
        })
        .send()
        .await;
    case.body(json!({ "proxy_id": "", "disable_default_proxy": true }))
        .json(result)
        .await
}

pub(super) async fn replays_start() -> String {
    let case = Case::start("startBrowserReplayRecording", &[("id", "sess_1")]).await;
    let result = case
        .client()
        .start_browser_replay_recording()
        .id("sess_1")
        .body_map(|b| {
            b.framerate(std::num::NonZeroU64::new(30))
                .max_duration_in_seconds(std::num::NonZeroU64::new(600))
        })
        .send()
        .await;
    case.body(json!({ "framerate": 30, "max_duration_in_seconds": 600 }))
        .json(result)
        .await
}

pub(super) async fn profiles_list() -> String {
    let case = Case::start("getProfiles", &[]).await;
    let result = case
        .client()
        .get_profiles()
        .limit(5)
        .offset(0)
        .query("work")
        .send()
        .await;
    case.query(&[("limit", "5"), ("offset", "0"), ("query", "work")])
        .json(result)
        .await
}

pub(super) async fn filesystem_write_file() -> String {
    let content = b"hello, \x00binary\xff world".to_vec();
    let case = Case::start("writeFile", &[("id", "sess_1")]).await;
    let result = case
        .client()
        .write_file()
        .id("sess_1")
        .path("/tmp/dir with space/a.txt")
        .mode("0644")
        .body(content.clone())
        .send()
        .await;
    let case = case.query(&[("path", "/tmp/dir with space/a.txt"), ("mode", "0644")]);
    let requests = case.server.received_requests().await.unwrap();
    let request = &requests[0];
    assert_eq!(
        request.headers.get("content-type").unwrap(),
        "application/octet-stream"
    );
    assert_eq!(request.body, content, "writeFile: raw bytes, not JSON");
    case.empty(result).await
}

pub(super) async fn filesystem_list_files() -> String {
    let case = Case::start("listFiles", &[("id", "sess_1")]).await;
    let result = case
        .client()
        .list_files()
        .id("sess_1")
        .path("/home/kernel")
        .send()
        .await;
    case.query(&[("path", "/home/kernel")]).json(result).await
}

pub(super) async fn computer_click() -> String {
    let case = Case::start("clickMouse", &[("id", "sess_1")]).await;
    let result = case
        .client()
        .click_mouse()
        .id("sess_1")
        .body_map(|b| {
            b.x(100)
                .y(200)
                .button(Some(open::ClickMouseRequestButton::Right))
                .num_clicks(2)
                .hold_keys(vec!["Shift".to_string()])
        })
        .send()
        .await;
    case.body(
        json!({ "x": 100, "y": 200, "button": "right", "num_clicks": 2, "hold_keys": ["Shift"] }),
    )
    .empty(result)
    .await
}

pub(super) async fn computer_screenshot() -> String {
    let png = b"\x89PNG\r\n\x1a\nnot really a png".to_vec();
    let case = Case::start_raw(
        "takeScreenshot",
        &[("id", "sess_1")],
        "image/png",
        png.clone(),
    )
    .await;
    let result = case
        .client()
        .take_screenshot()
        .id("sess_1")
        .body_map(|b| {
            b.region(Some(types::ScreenshotRegion {
                x: 0,
                y: 0,
                width: 640,
                height: 480,
            }))
        })
        .send()
        .await;
    case.body(json!({ "region": { "x": 0, "y": 0, "width": 640, "height": 480 } }))
        .bytes(result, &png)
        .await
}

pub(super) async fn playwright_execute() -> String {
    let case = Case::start("executePlaywrightCode", &[("id", "sess_1")]).await;
    let code = "await page.goto('https://example.com'); return await page.title();";
    let result = case
        .client()
        .execute_playwright_code()
        .id("sess_1")
        .body_map(|b| {
            b.code(code)
                .timeout_sec(std::num::NonZeroU64::new(30).unwrap())
        })
        .send()
        .await;
    case.body(json!({ "code": code, "timeout_sec": 30 }))
        .json(result)
        .await
}

pub(super) async fn processes_exec() -> String {
    let case = Case::start("processExec", &[("id", "sess_1")]).await;
    let result = case
        .client()
        .process_exec()
        .id("sess_1")
        .body_map(|b| {
            b.command("ls")
                .args(vec!["-la".to_string(), "/tmp".to_string()])
                .cwd(Some("/home/kernel".parse().unwrap()))
                .env(
                    [("LANG".to_string(), "C".to_string())]
                        .into_iter()
                        .collect::<std::collections::HashMap<_, _>>(),
                )
                .timeout_sec(Some(30))
        })
        .send()
        .await;
    // `as_root` has a spec default, but a field the caller did not set is
    // not sent (codegen's `drop_property_defaults`): the server applies it.
    case.body(json!({
        "command": "ls",
        "args": ["-la", "/tmp"],
        "cwd": "/home/kernel",
        "env": { "LANG": "C" },
        "timeout_sec": 30,
    }))
    .json(result)
    .await
}

pub(super) async fn logs_stream() -> String {
    let sse = b"data: {\"message\":\"hello\"}\n\n".to_vec();
    let case = Case::start_raw(
        "logsStream",
        &[("id", "sess_1")],
        "text/event-stream",
        sse.clone(),
    )
    .await;
    let result = case
        .client()
        .logs_stream()
        .id("sess_1")
        .source(open::LogsStreamSource::Path)
        .follow(true)
        .path("/var/log/app.log")
        .send()
        .await;
    case.query(&[
        ("source", "path"),
        ("follow", "true"),
        ("path", "/var/log/app.log"),
    ])
    .bytes(result, &sse)
    .await
}

pub(super) async fn telemetry_stream() -> String {
    let sse = b"id: 43\ndata: {\"type\":\"network_idle\"}\n\n".to_vec();
    let case = Case::start_raw(
        "streamBrowserTelemetry",
        &[("id", "sess_1")],
        "text/event-stream",
        sse.clone(),
    )
    .await;
    let result = case
        .client()
        .stream_browser_telemetry()
        .id("sess_1")
        .last_event_id("42")
        .send()
        .await;
    case.header("Last-Event-ID", "42").bytes(result, &sse).await
}

pub(super) async fn extensions_from_chrome_store() -> String {
    let crx = b"Cr24 extension bytes".to_vec();
    let case = Case::start_raw(
        "getExtensionsFromChromeStore",
        &[],
        "application/octet-stream",
        crx.clone(),
    )
    .await;
    let url = "https://chromewebstore.google.com/detail/abc?hl=en&x=1";
    let result = case
        .client()
        .get_extensions_from_chrome_store()
        .url(url)
        .os(open::GetExtensionsFromChromeStoreOs::Linux)
        .send()
        .await;
    case.query(&[("url", url), ("os", "linux")])
        .bytes(result, &crx)
        .await
}

pub(super) async fn proxies_create() -> String {
    let case = Case::start("postProxies", &[]).await;
    let result = case
        .client()
        .post_proxies()
        .body_map(|b| {
            b.name(Some("office".to_string()))
                .type_(open::ProxyCreateRequestType::Custom)
                .protocol(Some(open::ProxyCreateRequestProtocol::Https))
                .bypass_hosts(vec!["localhost".to_string()])
                .config(Some(
                    types::ProxyCreateRequestConfig::try_from(
                        types::ProxyCreateRequestConfig::builder()
                            .host(Some("10.0.0.1".to_string()))
                            .port(Some(3128))
                            .username(Some("user".to_string()))
                            .password(Some("secret".into())),
                    )
                    .unwrap(),
                ))
        })
        .send()
        .await;
    // The spec's `config` is a oneOf of overlapping schemas that no value
    // satisfies (see the forward_compat test `UNSATISFIABLE_IN_SPEC`): the
    // body is checked against ProxyCreateRequest with `config` narrowed to
    // the custom schema the request uses, the response (the spec example, a
    // datacenter proxy) against Proxy with `config` narrowed likewise.
    let mut schema = component("ProxyCreateRequest").clone();
    schema["properties"]["config"] =
        json!({ "$ref": "#/components/schemas/CreateCustomProxyConfig" });
    let mut response_schema = component("Proxy").clone();
    assert_eq!(case.response.as_ref().unwrap()["type"], "datacenter");
    response_schema["properties"]["config"] =
        json!({ "$ref": "#/components/schemas/DatacenterProxyConfig" });
    case.body(json!({
        "name": "office",
        "type": "custom",
        "protocol": "https",
        "bypass_hosts": ["localhost"],
        "config": { "host": "10.0.0.1", "port": 3128, "username": "user", "password": "secret" },
    }))
    .body_schema(schema)
    .response_schema(response_schema)
    .json(result)
    .await
}

pub(super) async fn pools_delete_with_body() -> String {
    let case = Case::start("deleteBrowserPoolsByIdOrName", &[("id_or_name", "my-pool")]).await;
    let result = case
        .client()
        .delete_browser_pools_by_id_or_name()
        .id_or_name("my-pool")
        .body_map(|b| b.force(true))
        .send()
        .await;
    case.body(json!({ "force": true })).empty(result).await
}

pub(super) async fn pools_acquire() -> String {
    let case = Case::start(
        "acquireFromBrowserPoolByIdOrName",
        &[("id_or_name", "pool_1")],
    )
    .await;
    let result = case
        .client()
        .acquire_from_browser_pool_by_id_or_name()
        .id_or_name("pool_1")
        .body_map(|b| b.acquire_timeout_seconds(Some(30)))
        .send()
        .await;
    case.body(json!({ "acquire_timeout_seconds": 30 }))
        .json(result)
        .await
}
