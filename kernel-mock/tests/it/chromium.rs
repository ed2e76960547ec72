//! The Chromium backing against a real headless Chromium: CDP through the
//! proxied `cdp_ws_url`, computer controls and screenshots on the page,
//! profiles that keep cookies and local storage, refused tokens, and no
//! Chromium left behind (browsers deleted, a pool deleted, a test that
//! panics, a test process killed). Chromium comes from
//! `kernel_mock::find_chromium()` (`KERNEL_MOCK_CHROMIUM`, else `PATH`); without it these
//! tests fail.

mod cdp;
mod leaks;
mod procs;
mod site;

use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime};

use kernel_mock::KernelMock;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::common::Api;
use cdp::Cdp;

/// The Chromium the tests run ([`kernel_mock::find_chromium`]).
fn chromium_binary() -> PathBuf {
    kernel_mock::find_chromium()
        .expect("Chromium is not installed: apt-get install chromium (or set KERNEL_MOCK_CHROMIUM)")
}

/// A Chromium-backed mock.
async fn chromium_mock() -> KernelMock {
    KernelMock::builder()
        .chromium(chromium_binary())
        .step_delay(Duration::from_millis(20))
        .start()
        .await
        .expect("start the mock")
}

/// Creates a browser with `body`; its JSON.
async fn create(api: &Api, body: Value) -> Value {
    let reply = api.post("/browsers", body).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    reply.body
}

/// A decoded PNG: width, height and RGB(A) rows.
struct Image {
    width: u32,
    height: u32,
    channels: usize,
    pixels: Vec<u8>,
}

impl Image {
    /// The RGB of pixel `(x, y)`.
    fn rgb(&self, x: u32, y: u32) -> [u8; 3] {
        let at = (y as usize * self.width as usize + x as usize) * self.channels;
        [self.pixels[at], self.pixels[at + 1], self.pixels[at + 2]]
    }

    /// How many distinct colours a coarse grid of samples shows.
    fn colours(&self) -> usize {
        let mut seen = std::collections::BTreeSet::new();
        for y in (0..self.height).step_by(8) {
            for x in (0..self.width).step_by(8) {
                seen.insert(self.rgb(x, y));
            }
        }
        seen.len()
    }
}

/// Decodes a PNG.
fn decode(png: &[u8]) -> Image {
    let decoder = png::Decoder::new(std::io::Cursor::new(png));
    let mut reader = decoder.read_info().expect("a PNG");
    let mut pixels = vec![0; reader.output_buffer_size().expect("PNG size")];
    let info = reader.next_frame(&mut pixels).expect("PNG frame");
    pixels.truncate(info.buffer_size());
    Image {
        width: info.width,
        height: info.height,
        channels: info.color_type.samples(),
        pixels,
    }
}

/// `POST {url}` with `body` (API key or `?jwt=` already in `url`); the PNG.
async fn screenshot_at(api: &Api, url: &str, body: Value) -> Image {
    let response = api
        .http
        .post(url)
        .bearer_auth(&api.key)
        .json(&body)
        .send()
        .await
        .expect("screenshot request");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "image/png");
    decode(&response.bytes().await.expect("PNG bytes"))
}

/// A computer-control call that must succeed.
async fn computer(api: &Api, id: &str, action: &str, body: Value) {
    let reply = api
        .post(&format!("/browsers/{id}/computer/{action}"), body)
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{action}: {}", reply.body);
}

/// A flatten session on the browser's only page (the one it started with).
async fn first_page(cdp: &mut Cdp) -> String {
    let targets = cdp.call("Target.getTargets", json!({}), None).await;
    let page = targets["targetInfos"]
        .as_array()
        .expect("targetInfos")
        .iter()
        .find(|t| t["type"] == "page")
        .expect("a page target")["targetId"]
        .clone();
    let attached = cdp
        .call(
            "Target.attachToTarget",
            json!({ "targetId": page, "flatten": true }),
            None,
        )
        .await;
    attached["sessionId"]
        .as_str()
        .expect("sessionId")
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cdp_round_trip_through_the_proxy() {
    let site = site::serve().await;
    let mock = chromium_mock().await;
    let api = Api::new(&mock);
    let browser = create(&api, json!({ "viewport": { "width": 800, "height": 600 } })).await;
    let id = browser["session_id"].as_str().unwrap();
    let url = browser["cdp_ws_url"].as_str().unwrap();
    let origin = mock.base_url().replace("http://", "ws://");
    assert!(
        url.starts_with(&format!("{origin}/browser/cdp?jwt=")),
        "{url}"
    );

    let mut cdp = Cdp::connect(url).await;
    let version = cdp.call("Browser.getVersion", json!({}), None).await;
    assert!(version["product"].as_str().unwrap().contains("Chrom"));
    // As chromiumoxide and Playwright do: auto-attach, then a new page.
    cdp.call(
        "Target.setAutoAttach",
        json!({ "autoAttach": true, "waitForDebuggerOnStart": false, "flatten": true }),
        None,
    )
    .await;
    let (target, session) = cdp.new_page().await;
    assert!(cdp
        .events
        .iter()
        .any(|e| e["method"] == "Target.attachedToTarget"
            && e["params"]["targetInfo"]["targetId"] == json!(target)));
    cdp.goto(&session, &format!("{site}/form")).await;
    assert_eq!(cdp.eval(&session, "document.title").await, "Form page");
    assert_eq!(cdp.eval(&session, "6 * 7").await, 42);

    // The computer controls act on the newest page, sized to the viewport.
    let (x, y) = site::BUTTON;
    computer(&api, id, "click_mouse", json!({ "x": x, "y": y })).await;
    assert_eq!(
        cdp.eval(&session, "innerWidth + 'x' + innerHeight").await,
        "800x600"
    );
    cdp.wait_for(
        &session,
        "document.getElementById('out').textContent === 'clicked'",
    )
    .await;
    let (x, y) = site::INPUT;
    computer(&api, id, "click_mouse", json!({ "x": x, "y": y })).await;
    computer(&api, id, "type", json!({ "text": "hello kernel" })).await;
    computer(&api, id, "press_key", json!({ "keys": ["BackSpace"] })).await;
    let value = "document.getElementById('name').value";
    assert_eq!(cdp.eval(&session, value).await, "hello kerne");

    // A batch acts up to its failing action, as it is recorded.
    let batch = json!({ "actions": [
        { "type": "type_text", "type_text": { "text": "l!" } },
        { "type": "click_mouse", "click_mouse": { "x": -1, "y": 0 } },
        { "type": "type_text", "type_text": { "text": "never" } },
    ] });
    let reply = api
        .post(&format!("/browsers/{id}/computer/batch"), batch)
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.body);
    assert_eq!(cdp.eval(&session, value).await, "hello kernel!");

    // No Playwright executor ships with the fake: a failed execution.
    let reply = api
        .post(
            &format!("/browsers/{id}/playwright/execute"),
            json!({ "code": "return 1 + 1" }),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body["success"], false);
    assert!(reply.body["error"]
        .as_str()
        .unwrap()
        .contains("no Playwright executor"));
    mock.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn screenshots_are_the_pages() {
    let site = site::serve().await;
    let mock = chromium_mock().await;
    let api = Api::new(&mock);
    let browser = create(&api, json!({ "viewport": { "width": 640, "height": 480 } })).await;
    let id = browser["session_id"].as_str().unwrap();
    let at = api.url(&format!("/browsers/{id}/computer/screenshot"));
    let shot = |body: Value| screenshot_at(&api, &at, body);

    let blank = shot(json!({})).await;
    assert_eq!((blank.width, blank.height), (640, 480));
    assert_eq!(blank.colours(), 1, "about:blank is one colour");

    let mut cdp = Cdp::connect(browser["cdp_ws_url"].as_str().unwrap()).await;
    let session = first_page(&mut cdp).await;
    cdp.goto(&session, &format!("{site}/colours")).await;
    let page = shot(json!({})).await;
    assert_eq!((page.width, page.height), (640, 480));
    assert!(page.colours() >= 4, "{} colours", page.colours());
    let [r, g, b] = page.rgb(10, 10);
    assert!(
        r > 200 && g < 80 && b < 120,
        "the first stripe is red: {r},{g},{b}"
    );
    let [r, g, b] = page.rgb(400, 240);
    assert!(b > 180 && r < 120, "the third stripe is blue: {r},{g},{b}");

    // A region crops, clamped to the viewport like the simulation's.
    let region = shot(json!({ "region": { "x": 0, "y": 0, "width": 100, "height": 50 } })).await;
    assert_eq!((region.width, region.height), (100, 50));
    assert_eq!(region.colours(), 1);
    let edge = shot(json!({ "region": { "x": 600, "y": 400, "width": 100, "height": 100 } })).await;
    assert_eq!((edge.width, edge.height), (40, 80));
    let [r, g, _] = edge.rgb(5, 5);
    assert!(r > 200 && g > 200, "the last stripe is yellow");

    // The VM endpoint's twin, with the browser's token.
    let base = browser["base_url"].as_str().unwrap();
    let jwt = base_jwt(&browser);
    let direct = screenshot_at(
        &api,
        &format!("{base}/computer/screenshot?jwt={jwt}"),
        json!({}),
    )
    .await;
    assert_eq!((direct.width, direct.height), (640, 480));
    assert!(direct.colours() >= 4);
    mock.shutdown().await;
}

/// The browser's token, from its `cdp_ws_url`.
fn base_jwt(browser: &Value) -> String {
    let url = browser["cdp_ws_url"].as_str().unwrap();
    url.split_once("jwt=").unwrap().1.to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn profiles_keep_cookies_and_local_storage() {
    let site = site::serve().await;
    let mock = chromium_mock().await;
    let api = Api::new(&mock);
    let reply = api.post("/profiles", json!({ "name": "shopper" })).await;
    assert!(reply.status.is_success(), "{}", reply.body);
    let read = "document.cookie + '|' + localStorage.getItem('user')";

    let first = create(
        &api,
        json!({ "profile": { "name": "shopper", "save_changes": true } }),
    )
    .await;
    let mut cdp = Cdp::connect(first["cdp_ws_url"].as_str().unwrap()).await;
    let session = first_page(&mut cdp).await;
    cdp.goto(&session, &format!("{site}/login")).await;
    assert_eq!(cdp.eval(&session, read).await, "session=alice-token|alice");
    let id = first["session_id"].as_str().unwrap();
    assert_eq!(
        api.delete(&format!("/browsers/{id}")).await.status,
        StatusCode::NO_CONTENT
    );

    // The next browser on the profile is logged in; it does not save.
    let second = create(&api, json!({ "profile": { "name": "shopper" } })).await;
    let mut cdp = Cdp::connect(second["cdp_ws_url"].as_str().unwrap()).await;
    let session = first_page(&mut cdp).await;
    cdp.goto(&session, &format!("{site}/home")).await;
    assert_eq!(cdp.eval(&session, read).await, "session=alice-token|alice");
    cdp.eval(&session, "localStorage.setItem('user', 'mallory')")
        .await;
    let id = second["session_id"].as_str().unwrap();
    assert_eq!(
        api.delete(&format!("/browsers/{id}")).await.status,
        StatusCode::NO_CONTENT
    );

    let third = create(&api, json!({ "profile": { "name": "shopper" } })).await;
    let mut cdp = Cdp::connect(third["cdp_ws_url"].as_str().unwrap()).await;
    let session = first_page(&mut cdp).await;
    cdp.goto(&session, &format!("{site}/home")).await;
    assert_eq!(cdp.eval(&session, read).await, "session=alice-token|alice");

    // A browser without the profile has neither.
    let plain = create(&api, json!({})).await;
    let mut cdp = Cdp::connect(plain["cdp_ws_url"].as_str().unwrap()).await;
    let session = first_page(&mut cdp).await;
    cdp.goto(&session, &format!("{site}/home")).await;
    assert_eq!(cdp.eval(&session, read).await, "|null");
    mock.shutdown().await;
}

/// The status and `Error.code` of a websocket upgrade at `url` that must
/// be refused.
async fn refused(url: &str) -> (u16, Value) {
    match tokio_tungstenite::connect_async(url).await {
        Ok(_) => panic!("{url} was accepted"),
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            let body = response.body().clone().unwrap_or_default();
            let body: Value = serde_json::from_slice(&body).expect("an Error body");
            (response.status().as_u16(), body)
        }
        Err(e) => panic!("{url}: {e}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cdp_proxy_refuses_bad_tokens() {
    let mock = chromium_mock().await;
    let api = Api::new(&mock);
    let browser = create(&api, json!({})).await;
    let id = browser["session_id"].as_str().unwrap();
    let url = browser["cdp_ws_url"].as_str().unwrap().to_owned();
    let (base, jwt) = url.split_once("?jwt=").unwrap();

    let (status, body) = refused(base).await;
    assert_eq!((status, body["code"].as_str()), (401, Some("unauthorized")));
    let (status, body) = refused(&format!("{base}?jwt=")).await;
    assert_eq!((status, body["code"].as_str()), (401, Some("unauthorized")));
    let wrong = format!("{}0", &jwt[..jwt.len() - 1]);
    let wrong = if wrong == jwt {
        format!("{}1", &jwt[..jwt.len() - 1])
    } else {
        wrong
    };
    let (status, body) = refused(&format!("{base}?jwt={wrong}")).await;
    assert_eq!((status, body["code"].as_str()), (401, Some("unauthorized")));

    // The right token without an upgrade is a 400, with it a session.
    let plain = api
        .http
        .get(url.replace("ws://", "http://"))
        .send()
        .await
        .unwrap();
    assert_eq!(plain.status(), StatusCode::BAD_REQUEST);
    let mut cdp = Cdp::connect(&url).await;
    cdp.call("Browser.getVersion", json!({}), None).await;

    // A deleted browser's token opens nothing.
    assert_eq!(
        api.delete(&format!("/browsers/{id}")).await.status,
        StatusCode::NO_CONTENT
    );
    let (status, body) = refused(&url).await;
    assert_eq!((status, body["code"].as_str()), (401, Some("unauthorized")));
    mock.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chromium_that_cannot_start_is_a_500() {
    for (binary, says) in [
        (
            "/nonexistent/chromium",
            "cannot start Chromium at /nonexistent/chromium",
        ),
        ("/bin/false", "exited"),
    ] {
        let mock = KernelMock::builder()
            .chromium(binary)
            .start()
            .await
            .unwrap();
        let api = Api::new(&mock);
        let started = Instant::now();
        let reply = api.post("/browsers", json!({})).await;
        assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(reply.body["code"], "internal_error");
        let message = reply.body["message"].as_str().unwrap();
        assert!(message.contains(says), "{message}");
        assert!(started.elapsed() < Duration::from_secs(10));
        // No browser was created.
        assert_eq!(api.get("/browsers").await.body, json!([]));
        mock.shutdown().await;
    }
    // Without a Chromium, `cdp_ws_url` is the same endpoint, and a browser's
    // own token there is told that this mock has no Chromium (a CDP client
    // stops at once instead of retrying); a wrong token is still a 401.
    let mock = KernelMock::start().await.unwrap();
    let api = Api::new(&mock);
    let browser = create(&api, json!({})).await;
    let url = browser["cdp_ws_url"].as_str().unwrap();
    let (_, jwt) = url.split_once("?jwt=").unwrap();
    assert_eq!(url, format!("ws://{}/browser/cdp?jwt={jwt}", mock.addr()));
    let reply = api.get(&format!("/browser/cdp?jwt={jwt}")).await;
    assert_eq!(reply.status, StatusCode::NOT_IMPLEMENTED);
    assert!(
        reply.body["message"]
            .as_str()
            .unwrap()
            .contains(".chromium(path)"),
        "{}",
        reply.body
    );
    let reply = api.get("/browser/cdp?jwt=x").await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
}

/// Whether browser `id` has ended (deleted or gone).
async fn ended(api: &Api, id: &str) -> bool {
    let reply = api.get(&format!("/browsers/{id}")).await;
    reply.status == StatusCode::NOT_FOUND || !reply.body["deleted_at"].is_null()
}

/// When browser `id` is seen ended, as the time since `since`; fails 20 s
/// after the call.
async fn time_to_end(api: &Api, id: &str, since: SystemTime) -> Duration {
    let started = Instant::now();
    while !ended(api, id).await {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "browser {id} still live after 20 s"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    since.elapsed().unwrap_or_default()
}

#[tokio::test]
async fn an_idle_browser_ends_at_its_timeout_and_a_connected_one_lives_on() {
    let mock = chromium_mock().await;
    let api = Api::new(&mock);
    let idle = create(&api, json!({ "timeout_seconds": 10 })).await;
    // Timed from the browser's own `created_at` (the fake runs on this
    // clock): starting Chromium is part of the create call, and slow on a
    // loaded machine.
    let idle_created: SystemTime = idle["created_at"]
        .as_str()
        .unwrap()
        .parse::<chrono::DateTime<chrono::Utc>>()
        .unwrap()
        .into();
    let used = create(&api, json!({ "timeout_seconds": 10 })).await;
    let idle_id = idle["session_id"].as_str().unwrap().to_owned();
    let used_id = used["session_id"].as_str().unwrap().to_owned();
    // Its user-data dir is named after the session: that names its process.
    let idle_dir = format!("/browsers/{idle_id}/data");
    assert!(!procs::naming(&idle_dir).is_empty(), "its Chromium runs");
    let cdp = Cdp::connect(used["cdp_ws_url"].as_str().unwrap()).await;

    // Ten seconds from its creation.
    let waited = time_to_end(&api, &idle_id, idle_created).await;
    assert!(waited >= Duration::from_secs(10), "{waited:?}");
    let until = Instant::now() + Duration::from_secs(10);
    while !procs::naming(&idle_dir).is_empty() {
        assert!(Instant::now() < until, "its Chromium outlived the timeout");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        !ended(&api, &used_id).await,
        "an open CDP connection is activity"
    );

    // Once its connection closes, the other one's time runs too.
    drop(cdp);
    let waited = time_to_end(&api, &used_id, SystemTime::now()).await;
    assert!(waited >= Duration::from_secs(10), "{waited:?}");
    mock.shutdown().await;
}
