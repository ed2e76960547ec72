//! The per-browser device operations through plain HTTP: computer controls,
//! screenshots, replays, the log stream, curl and Playwright.

use std::time::Duration;

use crate::common::{fast_mock, Api, StreamEnd};
use kernel_mock::KernelMock;
use reqwest::StatusCode;
use serde_json::{json, Value};

/// Creates a browser with `body`, returning its session id.
async fn browser(api: &Api, body: Value) -> String {
    let reply = api.post("/browsers", body).await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    reply.body["session_id"]
        .as_str()
        .expect("session_id")
        .to_owned()
}

/// A response read as bytes.
struct Raw {
    status: StatusCode,
    headers: reqwest::header::HeaderMap,
    bytes: Vec<u8>,
}

impl Raw {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// Sends `method path` with an optional JSON body and reads the raw answer.
async fn raw(api: &Api, method: reqwest::Method, path: &str, body: Option<Value>) -> Raw {
    let mut request = api
        .http
        .request(method, api.url(path))
        .bearer_auth(&api.key);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("request");
    Raw {
        status: response.status(),
        headers: response.headers().clone(),
        bytes: response.bytes().await.expect("body").to_vec(),
    }
}

/// Width and height from a PNG's IHDR chunk (after checking the signature).
fn png_size(png: &[u8]) -> (u32, u32) {
    assert!(png.len() > 24, "too short for a PNG: {} bytes", png.len());
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "PNG signature");
    assert_eq!(&png[12..16], b"IHDR", "first chunk is IHDR");
    let be = |at: usize| u32::from_be_bytes([png[at], png[at + 1], png[at + 2], png[at + 3]]);
    (be(16), be(20))
}

#[tokio::test]
async fn screenshots_are_pngs_of_the_viewport_or_region() {
    let mock = fast_mock().await;
    let api = Api::new(&mock);
    let small = browser(
        &api,
        json!({ "viewport": { "width": 1024, "height": 768 } }),
    )
    .await;
    let shot = raw(
        &api,
        reqwest::Method::POST,
        &format!("/browsers/{small}/computer/screenshot"),
        None,
    )
    .await;
    assert_eq!(shot.status, 200);
    assert_eq!(shot.header("content-type"), Some("image/png"));
    assert_eq!(png_size(&shot.bytes), (1024, 768));

    let region = json!({ "region": { "x": 1000, "y": 10, "width": 100, "height": 50 } });
    let path = format!("/browsers/{small}/computer/screenshot");
    let part = raw(&api, reqwest::Method::POST, &path, Some(region)).await;
    assert_eq!(part.status, 200);
    assert_eq!(png_size(&part.bytes), (24, 50), "clamped to the viewport");
    let outside = json!({ "region": { "x": 2000, "y": 0, "width": 10, "height": 10 } });
    let reply = api.post(&path, outside).await;
    assert_eq!(reply.status, 400);
    assert!(reply.body["message"].as_str().unwrap().contains("outside"));

    let default = browser(&api, json!({})).await;
    let path = format!("/browsers/{default}/computer/screenshot");
    let shot = raw(&api, reqwest::Method::POST, &path, Some(json!({}))).await;
    assert_eq!(png_size(&shot.bytes), (1920, 1080));

    let reply = api
        .post("/browsers/nope/computer/screenshot", json!({}))
        .await;
    assert_eq!(reply.status, 404);
    assert_eq!(reply.body["code"], "not_found");
    api.delete(&format!("/browsers/{default}")).await;
    assert_eq!(api.post(&path, json!({})).await.status, 404);
}

#[tokio::test]
async fn the_mouse_moves_and_reports_its_position() {
    let mock = fast_mock().await;
    let api = Api::new(&mock);
    let id = browser(&api, json!({ "viewport": { "width": 800, "height": 600 } })).await;
    let position = |api: &Api| {
        let path = format!("/browsers/{id}/computer/get_mouse_position");
        let api = api.clone();
        async move {
            let reply = api.send(reqwest::Method::POST, &path, None).await;
            assert_eq!(reply.status, 200);
            reply.body
        }
    };
    assert_eq!(position(&api).await, json!({ "x": 400, "y": 300 }));
    let reply = api
        .post(
            &format!("/browsers/{id}/computer/move_mouse"),
            json!({ "x": 100, "y": 200 }),
        )
        .await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body, Value::Null, "no body");
    assert_eq!(position(&api).await, json!({ "x": 100, "y": 200 }));

    let click = json!({ "x": 5000, "y": 10, "button": "right", "num_clicks": 2 });
    let path = format!("/browsers/{id}/computer/click_mouse");
    assert_eq!(api.post(&path, click).await.status, 200);
    assert_eq!(
        position(&api).await,
        json!({ "x": 799, "y": 10 }),
        "kept on the screen"
    );
    let drag = json!({ "path": [[10, 10], [20, 30], [40, 50]] });
    let path = format!("/browsers/{id}/computer/drag_mouse");
    assert_eq!(api.post(&path, drag).await.status, 200);
    assert_eq!(position(&api).await, json!({ "x": 40, "y": 50 }));
    let reply = api
        .post(
            &format!("/browsers/{id}/computer/cursor"),
            json!({ "hidden": true }),
        )
        .await;
    assert_eq!(
        (reply.status, reply.body),
        (StatusCode::OK, json!({ "ok": true }))
    );

    let path = format!("/browsers/{id}/computer/move_mouse");
    for bad in [
        json!({ "x": -1, "y": 0 }),
        json!({ "x": 1 }),
        json!({ "x": 1, "y": 1, "speed": 2 }),
    ] {
        let reply = api.post(&path, bad.clone()).await;
        assert_eq!(reply.status, 400, "{bad}");
        assert_eq!(reply.body["code"], "bad_request");
    }
    assert_eq!(
        position(&api).await,
        json!({ "x": 40, "y": 50 }),
        "unchanged"
    );
}

#[tokio::test]
async fn a_batch_runs_in_order_and_stops_at_a_bad_action() {
    let mock = fast_mock().await;
    let api = Api::new(&mock);
    let id = browser(&api, json!({})).await;
    let batch = format!("/browsers/{id}/computer/batch");
    let position = format!("/browsers/{id}/computer/get_mouse_position");
    let ok = json!({ "actions": [
        { "type": "move_mouse", "move_mouse": { "x": 10, "y": 10 } },
        { "type": "type_text", "type_text": { "text": "hello" } },
        { "type": "sleep", "sleep": { "duration_ms": 100 } },
        { "type": "click_mouse", "click_mouse": { "x": 30, "y": 40 } },
    ]});
    assert_eq!(api.post(&batch, ok).await.status, 200);
    let reply = api.send(reqwest::Method::POST, &position, None).await;
    assert_eq!(reply.body, json!({ "x": 30, "y": 40 }));

    let stops = json!({ "actions": [
        { "type": "move_mouse", "move_mouse": { "x": 50, "y": 60 } },
        { "type": "press_key", "press_key": { "keys": ["Return"] } },
        { "type": "scroll", "scroll": { "x": -5, "y": 0 } },
        { "type": "move_mouse", "move_mouse": { "x": 99, "y": 99 } },
    ]});
    let reply = api.post(&batch, stops).await;
    assert_eq!(reply.status, 400);
    let message = reply.body["message"].as_str().unwrap();
    assert!(message.starts_with("actions[2] (scroll)"), "{message}");
    let reply = api.send(reqwest::Method::POST, &position, None).await;
    assert_eq!(
        reply.body,
        json!({ "x": 50, "y": 60 }),
        "the first action ran, the last did not"
    );

    for bad in [
        json!({ "actions": [] }),
        json!({ "actions": [{ "type": "jump" }] }),
        json!({}),
    ] {
        assert_eq!(api.post(&batch, bad.clone()).await.status, 400, "{bad}");
    }
}

#[tokio::test]
async fn the_clipboard_keeps_what_was_written() {
    let mock = fast_mock().await;
    let api = Api::new(&mock);
    let id = browser(&api, json!({})).await;
    let read = format!("/browsers/{id}/computer/clipboard/read");
    let reply = api.send(reqwest::Method::POST, &read, None).await;
    assert_eq!(
        (reply.status, reply.body),
        (StatusCode::OK, json!({ "text": "" }))
    );
    let write = format!("/browsers/{id}/computer/clipboard/write");
    assert_eq!(
        api.post(&write, json!({ "text": "héllo\nworld" }))
            .await
            .status,
        200
    );
    let reply = api.send(reqwest::Method::POST, &read, None).await;
    assert_eq!(reply.body, json!({ "text": "héllo\nworld" }));
    assert_eq!(api.post(&write, json!({ "text": 5 })).await.status, 400);
    // Another browser has its own clipboard.
    let other = browser(&api, json!({})).await;
    let path = format!("/browsers/{other}/computer/clipboard/read");
    let reply = api.send(reqwest::Method::POST, &path, None).await;
    assert_eq!(reply.body, json!({ "text": "" }));
}

#[tokio::test]
async fn a_replay_records_encodes_and_downloads_as_mp4() {
    // Encoding takes three step delays: long enough to see the 202 after stop.
    let mock = KernelMock::builder()
        .step_delay(Duration::from_millis(300))
        .start()
        .await
        .unwrap();
    let api = Api::new(&mock);
    let id = browser(&api, json!({ "viewport": { "width": 640, "height": 480 } })).await;
    let replays = format!("/browsers/{id}/replays");
    let started = api.post(&replays, json!({ "framerate": 10 })).await;
    assert_eq!(started.status, 201, "{:?}", started.body);
    let replay_id = started.body["replay_id"].as_str().unwrap().to_owned();
    assert!(started.body["started_at"].is_string());
    assert!(started.body.get("finished_at").is_none_or(Value::is_null));
    let again = api.post(&replays, json!({})).await;
    assert_eq!(again.status, 409, "one recording at a time");

    let download = format!("/browsers/{id}/replays/{replay_id}");
    let recording = raw(&api, reqwest::Method::GET, &download, None).await;
    assert_eq!(recording.status, 202);
    assert!(
        recording
            .header("retry-after")
            .unwrap()
            .parse::<u64>()
            .unwrap()
            >= 1
    );

    tokio::time::sleep(Duration::from_millis(50)).await;
    let stop = format!("{download}/stop");
    assert_eq!(api.post(&stop, json!({})).await.status, 200);
    assert_eq!(
        api.post(&stop, json!({})).await.status,
        400,
        "no longer recording"
    );
    let encoding = raw(&api, reqwest::Method::GET, &download, None).await;
    assert_eq!(encoding.status, 202);
    assert_eq!(encoding.header("retry-after"), Some("1"));

    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    let video = loop {
        let reply = raw(&api, reqwest::Method::GET, &download, None).await;
        if reply.status == 200 {
            break reply;
        }
        assert_eq!(reply.status, 202);
        assert!(tokio::time::Instant::now() < deadline, "still encoding");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(video.header("content-type"), Some("video/mp4"));
    assert_eq!(
        &video.bytes[4..8],
        b"ftyp",
        "an MP4 starts with its ftyp box"
    );
    assert!(video.bytes.windows(4).any(|w| w == b"moov"));

    let list = api.get(&replays).await;
    assert_eq!(list.status, 200);
    let items = list.body.as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["replay_id"], replay_id.as_str());
    assert!(items[0]["finished_at"].is_string());
    // A new recording may start once the first stopped.
    assert_eq!(api.post(&replays, json!({})).await.status, 201);

    assert_eq!(api.get(&format!("{replays}/nope")).await.status, 404);
    assert_eq!(
        api.post(&format!("{replays}/nope/stop"), json!({}))
            .await
            .status,
        404
    );
    let fast = api.post(&replays, json!({ "framerate": 30 })).await;
    assert_eq!(fast.status, 400, "above 20 fps needs a GPU");
    assert_eq!(api.get("/browsers/nope/replays").await.status, 404);
}

#[tokio::test]
async fn a_replay_ends_by_itself_at_its_maximum_duration() {
    let mock = fast_mock().await;
    let api = Api::new(&mock);
    let id = browser(&api, json!({})).await;
    let replays = format!("/browsers/{id}/replays");
    let started = api
        .post(&replays, json!({ "max_duration_in_seconds": 1 }))
        .await;
    assert_eq!(started.status, 201);
    let replay_id = started.body["replay_id"].as_str().unwrap();
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let stop = api
        .post(&format!("{replays}/{replay_id}/stop"), json!({}))
        .await;
    assert_eq!(stop.status, 400, "already finished: {:?}", stop.body);
    assert_eq!(api.post(&replays, json!({})).await.status, 201);
    let bad = api
        .post(&replays, json!({ "max_duration_in_seconds": 0 }))
        .await;
    assert_eq!(bad.status, 400);
}

#[tokio::test]
async fn the_log_stream_shows_actions_and_ends_when_the_browser_is_deleted() {
    let mock = fast_mock().await;
    let api = Api::new(&mock);
    let id = browser(&api, json!({ "start_url": "https://shop.example/" })).await;
    let path = format!(
        "/browsers/{id}/logs/stream?source=supervisor&supervisor_process=kernel-images-api"
    );
    let mut stream = api.sse(&path, None).await;
    let first = stream
        .next_data(Duration::from_secs(5))
        .await
        .expect("a line");
    let line = first.json();
    assert_eq!(line["event"], "log");
    assert!(line["timestamp"].is_string());
    assert!(
        line["message"].as_str().unwrap().contains("ready"),
        "{line}"
    );

    let click = json!({ "x": 5, "y": 6 });
    assert_eq!(
        api.post(&format!("/browsers/{id}/computer/click_mouse"), click)
            .await
            .status,
        200
    );
    let line = stream
        .next_data(Duration::from_secs(5))
        .await
        .expect("the click")
        .json();
    assert_eq!(line["message"], "clickMouse: left click x1 at (5, 6)");

    // A keepalive comment arrives while nothing happens.
    let quiet = stream
        .next(Duration::from_secs(5))
        .await
        .expect("a keepalive");
    assert_eq!(quiet.comment.as_deref(), Some("keepalive"));

    assert_eq!(api.delete(&format!("/browsers/{id}")).await.status, 204);
    let last = stream
        .next_data(Duration::from_secs(5))
        .await
        .expect("a last line")
        .json();
    assert!(
        last["message"].as_str().unwrap().contains("deleted"),
        "{last}"
    );
    assert!(stream.next_data(Duration::from_secs(5)).await.is_none());
    assert_eq!(stream.ended, Some(StreamEnd::Clean));
    let reply = api.get(&path).await;
    assert_eq!(reply.status, 404, "deleted browser");
}

#[tokio::test]
async fn the_log_stream_reads_a_path_and_checks_its_parameters() {
    let mock = fast_mock().await;
    let api = Api::new(&mock);
    let id = browser(&api, json!({ "start_url": "https://shop.example/" })).await;
    let url = json!({ "url": "https://echo.kernel-mock.invalid/x" });
    assert_eq!(
        api.post(&format!("/browsers/{id}/curl"), url).await.status,
        200
    );
    let path = format!(
        "/browsers/{id}/logs/stream?source=path&path=/var/log/supervisord/chromium&follow=false"
    );
    let mut stream = api.sse(&path, None).await;
    let mut messages = Vec::new();
    while let Some(frame) = stream.next_data(Duration::from_secs(5)).await {
        messages.push(frame.json()["message"].as_str().unwrap().to_owned());
    }
    assert_eq!(
        stream.ended,
        Some(StreamEnd::Clean),
        "follow=false ends after the lines"
    );
    assert!(messages[0].starts_with("chromium started"), "{messages:?}");
    assert_eq!(messages[1], "navigated to https://shop.example/");
    assert_eq!(messages[2], "GET https://echo.kernel-mock.invalid/x 200");

    let base = format!("/browsers/{id}/logs/stream");
    for (query, status) in [
        ("", 400),
        ("?source=disk", 400),
        ("?source=path", 400),
        ("?source=path&path=relative/log", 400),
        ("?source=supervisor", 400),
        (
            "?source=supervisor&supervisor_process=chromium&follow=maybe",
            400,
        ),
        ("?source=path&path=/var/log/other", 404),
        ("?source=supervisor&supervisor_process=nginx", 404),
    ] {
        let reply = api.get(&format!("{base}{query}")).await;
        assert_eq!(reply.status, status, "{query}: {:?}", reply.body);
        assert!(reply.body["message"].is_string());
    }
    let reply = api
        .get("/browsers/nope/logs/stream?source=supervisor&supervisor_process=chromium")
        .await;
    assert_eq!(reply.status, 404);
}

#[tokio::test]
async fn curl_reaches_scripted_sites_and_echo_hosts_but_nothing_else() {
    let mock = fast_mock().await;
    let api = Api::new(&mock);
    let id = browser(&api, json!({})).await;
    let curl = format!("/browsers/{id}/curl");

    let page = api
        .post(&curl, json!({ "url": "https://password.example/login" }))
        .await;
    assert_eq!(page.status, 200, "{:?}", page.body);
    assert_eq!(page.body["status"], 200);
    assert_eq!(
        page.body["headers"]["content-type"][0],
        "text/html; charset=utf-8"
    );
    let html = page.body["body"].as_str().unwrap();
    assert!(
        html.contains("name=\"username\"") && html.contains("type=\"password\""),
        "{html}"
    );
    assert!(page.body["duration_ms"].as_i64().unwrap() >= 0);
    let missing = api
        .post(&curl, json!({ "url": "https://password.example/nope" }))
        .await;
    assert_eq!(missing.body["status"], 404);

    let echo = json!({
        "url": "https://echo.kernel-mock.invalid/status/418?x=1",
        "method": "POST",
        "headers": { "X-Test": "yes" },
        "body": "{\"a\":1}",
    });
    let reply = api.post(&curl, echo).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body["status"], 418);
    let echoed: Value = serde_json::from_str(reply.body["body"].as_str().unwrap()).unwrap();
    assert_eq!(echoed["method"], "POST");
    assert_eq!(
        echoed["url"],
        "https://echo.kernel-mock.invalid/status/418?x=1"
    );
    assert_eq!(echoed["headers"]["x-test"], "yes");
    assert!(echoed["headers"]["user-agent"]
        .as_str()
        .unwrap()
        .contains("Chrome"));
    assert_eq!(echoed["body"], "{\"a\":1}");

    let encoded =
        json!({ "url": "http://echo.kernel-mock.invalid/", "response_encoding": "base64" });
    let reply = api.post(&curl, encoded).await;
    assert!(
        reply.body["body"].as_str().unwrap().starts_with("eyJ"),
        "base64 of `{{\"`"
    );
    let head = json!({ "url": "https://password.example/", "method": "HEAD" });
    assert_eq!(api.post(&curl, head).await.body["body"], "");

    let unknown = api
        .post(&curl, json!({ "url": "https://example.com/" }))
        .await;
    assert_eq!(unknown.status, 502);
    assert_eq!(unknown.body["net_error"], -105);
    assert_eq!(unknown.body["net_error_name"], "ERR_NAME_NOT_RESOLVED");
    assert!(unknown.body["message"]
        .as_str()
        .unwrap()
        .contains("example.com"));

    for bad in [
        json!({ "url": "ftp://password.example/" }),
        json!({ "url": "https://password.example/", "method": "BREW" }),
        json!({ "url": "https://password.example/", "timeout_ms": 10 }),
        json!({ "url": "https://password.example/", "follow": true }),
        json!({}),
    ] {
        assert_eq!(api.post(&curl, bad.clone()).await.status, 400, "{bad}");
    }
    let gone = api
        .post(
            "/browsers/nope/curl",
            json!({ "url": "https://password.example/" }),
        )
        .await;
    assert_eq!(gone.status, 404);
}

#[tokio::test]
async fn playwright_answers_constant_returns_throws_and_undefined() {
    let mock = fast_mock().await;
    let api = Api::new(&mock);
    let id = browser(&api, json!({})).await;
    let path = format!("/browsers/{id}/playwright/execute");
    let reply = api.post(&path, json!({ "code": "return 1+1" })).await;
    assert_eq!(
        (reply.status, reply.body),
        (StatusCode::OK, json!({ "success": true, "result": 2 }))
    );
    let code = "console.log('hi', 3); throw new Error('boom')";
    let reply = api.post(&path, json!({ "code": code })).await;
    assert_eq!(
        reply.body,
        json!({ "success": false, "error": "Error: boom", "stdout": "hi 3\n" })
    );
    let code = "await page.goto('https://example.com'); return await page.title();";
    let reply = api
        .post(&path, json!({ "code": code, "timeout_sec": 30 }))
        .await;
    assert_eq!(reply.body, json!({ "success": true }));

    assert_eq!(
        api.post(&path, json!({ "code": "1", "timeout_sec": 0 }))
            .await
            .status,
        400
    );
    assert_eq!(api.post(&path, json!({})).await.status, 400);
    let gone = api
        .post(
            "/browsers/nope/playwright/execute",
            json!({ "code": "return 1" }),
        )
        .await;
    assert_eq!(gone.status, 400, "the spec documents no 404 here");
    assert!(gone.body["message"].as_str().unwrap().contains("not found"));
}
