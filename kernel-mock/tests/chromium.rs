//! The Chromium backing against a real headless Chromium: CDP through the
//! proxied `cdp_ws_url`, computer controls and screenshots on the page,
//! profiles that keep cookies and local storage, refused tokens, and no
//! Chromium left behind (browsers deleted, a pool deleted, a test that
//! panics, a test process killed). Chromium comes from
//! `KERNEL_MOCK_CHROMIUM`, else `/usr/bin/chromium`; without either these
//! tests fail.

mod common;

#[path = "chromium/cdp.rs"]
mod cdp;
#[path = "chromium/procs.rs"]
mod procs;
#[path = "chromium/site.rs"]
mod site;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use kernel_mock::KernelMock;
use reqwest::StatusCode;
use serde_json::{json, Value};

use cdp::Cdp;
use common::Api;

/// The Chromium the tests run.
fn chromium_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("KERNEL_MOCK_CHROMIUM") {
        return path.into();
    }
    let default = Path::new("/usr/bin/chromium");
    assert!(
        default.exists(),
        "Chromium is not installed: apt-get install chromium (or set KERNEL_MOCK_CHROMIUM)"
    );
    default.to_owned()
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
    // Without a Chromium the URLs and routes are the simulation's.
    let mock = KernelMock::start().await.unwrap();
    let api = Api::new(&mock);
    let browser = create(&api, json!({})).await;
    assert!(browser["cdp_ws_url"]
        .as_str()
        .unwrap()
        .starts_with("wss://"));
    let reply = api.get("/browser/cdp?jwt=x").await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
}

/// A multi-threaded runtime for the scenarios child processes run.
fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime")
}

/// Prints a line for the parent process to read.
fn tell(line: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

/// Runs this test's scenario `role` in a child process; its output.
fn run_child(test: &str, role: &str, tag: &str) -> std::process::Output {
    let output = procs::child(test, role, tag)
        .output()
        .expect("run the child");
    for line in told(&String::from_utf8_lossy(&output.stdout)) {
        println!("{line}");
    }
    output
}

/// The lines a child [`tell`]s (libtest may start them with its own
/// `test … ` output).
fn told(stdout: &str) -> Vec<&str> {
    stdout
        .lines()
        .filter_map(|l| l.find("CHILD ").map(|at| &l[at..]))
        .collect()
}

/// The number after `key=` in a child's output.
fn reported(output: &std::process::Output, key: &str) -> Option<u64> {
    told(&String::from_utf8_lossy(&output.stdout))
        .into_iter()
        .find_map(|l| {
            let value = l.strip_prefix(&format!("CHILD {key}="))?;
            value.split_whitespace().next()?.parse().ok()
        })
}

/// A child's whole output, for a failure message.
fn transcript(output: &std::process::Output) -> String {
    format!(
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[test]
fn ten_browsers_and_a_pool_leave_no_chromium_behind() {
    let tag = procs::TAG;
    if procs::role().as_deref() == Some("ten") {
        let tag = std::env::var(tag).unwrap();
        runtime().block_on(async {
            let mock = chromium_mock().await;
            let api = Api::new(&mock);
            for _ in 0..10 {
                let browser = create(&api, json!({})).await;
                assert!(
                    !procs::tagged(&tag).is_empty(),
                    "the browser's Chromium runs"
                );
                let id = browser["session_id"].as_str().unwrap();
                assert_eq!(
                    api.delete(&format!("/browsers/{id}")).await.status,
                    StatusCode::NO_CONTENT
                );
            }
            let left = procs::wait_gone(&tag, Duration::from_secs(10));
            assert!(left.is_empty(), "left after deleting: {left:?}");
            // A pool's browsers, acquired (so running) and the pool deleted.
            let pool = api
                .post("/browser_pools", json!({ "name": "warm", "size": 2 }))
                .await;
            assert!(pool.status.is_success(), "{}", pool.body);
            let leased = api.post("/browser_pools/warm/acquire", json!({})).await;
            assert_eq!(leased.status, StatusCode::OK, "{}", leased.body);
            let mut cdp = Cdp::connect(leased.body["cdp_ws_url"].as_str().unwrap()).await;
            cdp.call("Browser.getVersion", json!({}), None).await;
            let reply = api
                .send(
                    reqwest::Method::DELETE,
                    "/browser_pools/warm",
                    Some(json!({ "force": true })),
                )
                .await;
            assert_eq!(reply.status, StatusCode::NO_CONTENT, "{}", reply.body);
            let left = procs::wait_gone(&tag, Duration::from_secs(10));
            assert!(left.is_empty(), "left after deleting the pool: {left:?}");
            mock.shutdown().await;
            let roots = procs::temp_roots(std::process::id());
            assert!(roots.is_empty(), "temp roots left: {roots:?}");
            tell("CHILD ok=1");
        });
        return;
    }
    let tag = procs::unique_tag("ten");
    let output = run_child(
        "ten_browsers_and_a_pool_leave_no_chromium_behind",
        "ten",
        &tag,
    );
    assert!(output.status.success(), "{}", transcript(&output));
    assert_eq!(reported(&output, "ok"), Some(1));
    assert!(procs::wait_gone(&tag, Duration::from_secs(10)).is_empty());
}

#[test]
fn a_panicking_test_leaves_no_chromium_behind() {
    if procs::role().as_deref() == Some("panic") {
        let tag = std::env::var(procs::TAG).unwrap();
        let scenario = std::panic::catch_unwind(|| {
            runtime().block_on(async {
                let mock = chromium_mock().await;
                let api = Api::new(&mock);
                create(&api, json!({})).await;
                create(&api, json!({})).await;
                tell(&format!("CHILD running={}", procs::tagged(&tag).len()));
                panic!("the test fails with its mock alive");
            })
        });
        // Unwinding dropped the mock: its Chromium is gone while this
        // process still runs.
        let left = procs::wait_gone(&tag, Duration::from_secs(10));
        tell(&format!("CHILD left={}", left.len()));
        if let Err(panic) = scenario {
            std::panic::resume_unwind(panic);
        }
        return;
    }
    let tag = procs::unique_tag("panic");
    let output = run_child("a_panicking_test_leaves_no_chromium_behind", "panic", &tag);
    assert!(!output.status.success(), "the child test panics");
    assert!(
        reported(&output, "running").unwrap_or(0) > 0,
        "{}",
        transcript(&output)
    );
    assert_eq!(reported(&output, "left"), Some(0));
    assert!(procs::wait_gone(&tag, Duration::from_secs(10)).is_empty());
}

#[test]
fn a_killed_test_process_leaves_no_chromium_behind() {
    if procs::role().as_deref() == Some("killed") {
        runtime().block_on(async {
            let mock = chromium_mock().await;
            let api = Api::new(&mock);
            create(&api, json!({})).await;
            create(&api, json!({})).await;
            tell("CHILD ready=1");
            tokio::time::sleep(Duration::from_secs(120)).await;
        });
        return;
    }
    let tag = procs::unique_tag("killed");
    let mut child = procs::child(
        "a_killed_test_process_leaves_no_chromium_behind",
        "killed",
        &tag,
    )
    .stdout(std::process::Stdio::piped())
    .spawn()
    .expect("spawn the child");
    let stdout = child.stdout.take().unwrap();
    let ready = std::thread::spawn(move || {
        BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .any(|line| line.ends_with("CHILD ready=1"))
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    while !ready.is_finished() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let running = procs::tagged(&tag);
    child.kill().expect("SIGKILL the child");
    let _ = child.wait();
    assert!(ready.join().unwrap(), "the child started its browsers");
    assert!(!running.is_empty(), "the child's Chromium ran");
    let left = procs::wait_gone(&tag, Duration::from_secs(10));
    assert!(left.is_empty(), "left after SIGKILL: {left:?}");
}

#[test]
fn startup_time_and_memory_per_browser() {
    if procs::role().as_deref() == Some("measure") {
        runtime().block_on(async {
            let mock = chromium_mock().await;
            let api = Api::new(&mock);
            let mut kept = Vec::new();
            for n in 1..=5 {
                let started = Instant::now();
                let browser = create(&api, json!({})).await;
                let created = started.elapsed();
                let mut cdp = Cdp::connect(browser["cdp_ws_url"].as_str().unwrap()).await;
                let session = first_page(&mut cdp).await;
                assert_eq!(cdp.eval(&session, "1 + 1").await, 2);
                let usable = started.elapsed();
                tell(&format!(
                    "CHILD startup_ms_{n}={} (created {} ms)",
                    usable.as_millis(),
                    created.as_millis()
                ));
                kept.push(cdp);
                if n == 1 || n == 5 {
                    tokio::time::sleep(Duration::from_secs(2)).await;
                    let tree = procs::chromium_tree();
                    let (pss, rss) = procs::memory_kib(&tree);
                    tell(&format!(
                        "CHILD memory_{n}: {} processes, PSS {} MiB ({} MiB per browser), RSS {} MiB",
                        tree.len(),
                        pss / 1024,
                        pss / 1024 / n,
                        rss / 1024
                    ));
                }
            }
            mock.shutdown().await;
            tell("CHILD ok=1");
        });
        return;
    }
    let output = run_child(
        "startup_time_and_memory_per_browser",
        "measure",
        &procs::unique_tag("measure"),
    );
    assert!(output.status.success(), "{}", transcript(&output));
    assert_eq!(reported(&output, "ok"), Some(1));
    assert!(reported(&output, "startup_ms_1").is_some());
}
