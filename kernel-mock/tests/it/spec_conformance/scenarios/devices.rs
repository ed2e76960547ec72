//! The per-browser device operations: computer controls, screenshots,
//! replays, the log stream, curl and Playwright, with their documented
//! errors.

use std::time::Duration;

use reqwest::Method;
use serde_json::json;

use crate::spec_conformance::recorder::Recorder;

pub async fn scenario(r: &Recorder) {
    use Method as M;

    let browser = r
        .expect(
            M::POST,
            "/browsers",
            Some(json!({ "viewport": { "width": 800, "height": 600 }, "start_url": "https://shop.example/" })),
            200,
        )
        .await;
    let id = browser["session_id"]
        .as_str()
        .expect("session_id")
        .to_owned();
    let at = |tail: &str| format!("/browsers/{id}/{tail}");
    let gone = |tail: &str| format!("/browsers/x_mock_gone/{tail}");

    // Unauthenticated requests (most of these operations list no 401).
    for (method, tail) in [
        (M::POST, "computer/click_mouse"),
        (M::GET, "replays"),
        (M::POST, "curl"),
        (
            M::GET,
            "logs/stream?source=supervisor&supervisor_process=chromium",
        ),
    ] {
        let reply = r.call_with(method, &at(tail), Some(json!({})), false).await;
        assert_eq!(reply.status, 401, "{tail}");
    }

    // Computer controls: success, invalid body, unknown browser.
    let actions = [
        (
            "computer/click_mouse",
            json!({ "x": 10, "y": 20, "button": "left", "click_type": "click", "hold_keys": ["Shift"] }),
            json!({ "x": 10 }),
        ),
        (
            "computer/move_mouse",
            json!({ "x": 100, "y": 200, "smooth": false, "duration_ms": 50 }),
            json!({ "x": 1, "y": 1, "duration_ms": 10 }),
        ),
        (
            "computer/type",
            json!({ "text": "hello", "delay": 0 }),
            json!({ "text": 5 }),
        ),
        (
            "computer/press_key",
            json!({ "keys": ["Ctrl+a", "Return"], "duration": 10 }),
            json!({ "keys": "Return" }),
        ),
        (
            "computer/scroll",
            json!({ "x": 5, "y": 5, "delta_y": 3 }),
            json!({ "x": -5, "y": 5 }),
        ),
        (
            "computer/drag_mouse",
            json!({ "path": [[0, 0], [50, 60]], "button": "left" }),
            json!({ "path": [[0, 0]] }),
        ),
        (
            "computer/clipboard/write",
            json!({ "text": "copied" }),
            json!({}),
        ),
        (
            "computer/batch",
            json!({ "actions": [
            { "type": "move_mouse", "move_mouse": { "x": 30, "y": 40 } },
            { "type": "sleep", "sleep": { "duration_ms": 10 } },
            { "type": "set_cursor", "set_cursor": { "hidden": false } },
        ] }),
            json!({ "actions": [
            { "type": "move_mouse", "move_mouse": { "x": 30, "y": 40 } },
            { "type": "scroll", "scroll": { "x": -1, "y": 0 } },
        ] }),
        ),
        (
            "computer/cursor",
            json!({ "hidden": true }),
            json!({ "hidden": "yes" }),
        ),
    ];
    for (tail, good, bad) in actions {
        r.expect(M::POST, &at(tail), Some(good.clone()), 200).await;
        r.expect(M::POST, &at(tail), Some(bad), 400).await;
        r.expect(M::POST, &gone(tail), Some(good), 404).await;
    }
    let position = r
        .expect(M::POST, &at("computer/get_mouse_position"), None, 200)
        .await;
    assert_eq!(position, json!({ "x": 30, "y": 40 }));
    r.expect(M::POST, &gone("computer/get_mouse_position"), None, 404)
        .await;
    let clipboard = r
        .expect(M::POST, &at("computer/clipboard/read"), None, 200)
        .await;
    assert_eq!(clipboard, json!({ "text": "copied" }));
    r.expect(M::POST, &gone("computer/clipboard/read"), None, 404)
        .await;

    // Screenshots: PNG bodies (whole viewport, region), then errors.
    let shot = r
        .send_raw(M::POST, &at("computer/screenshot"), |req| req)
        .await;
    assert_eq!(
        (shot.status, shot.content_type.as_str()),
        (200, "image/png")
    );
    let region = json!({ "region": { "x": 0, "y": 0, "width": 64, "height": 32 } });
    let part = r
        .send_raw(M::POST, &at("computer/screenshot"), |req| req.json(&region))
        .await;
    assert_eq!(part.status, 200);
    let outside = json!({ "region": { "x": 900, "y": 0, "width": 10, "height": 10 } });
    r.expect(M::POST, &at("computer/screenshot"), Some(outside), 400)
        .await;
    r.expect(M::POST, &gone("computer/screenshot"), Some(json!({})), 404)
        .await;

    // Replays: start, one at a time, download while recording and encoding,
    // stop, list.
    let replay = r
        .expect(
            M::POST,
            &at("replays"),
            Some(json!({ "framerate": 15, "max_duration_in_seconds": 60 })),
            201,
        )
        .await;
    let replay_id = replay["replay_id"].as_str().expect("replay_id").to_owned();
    r.expect(M::POST, &at("replays"), None, 409).await;
    r.expect(
        M::POST,
        &at("replays"),
        Some(json!({ "framerate": 0 })),
        400,
    )
    .await;
    r.expect(M::POST, &gone("replays"), None, 404).await;
    let download = at(&format!("replays/{replay_id}"));
    let recording = r.send_raw(M::GET, &download, |req| req).await;
    assert_eq!(recording.status, 202);
    assert!(recording.headers.contains_key("retry-after"));
    r.expect(M::GET, &at("replays/x_mock_none"), None, 404)
        .await;
    r.expect(M::GET, &gone(&format!("replays/{replay_id}")), None, 404)
        .await;
    r.expect(M::GET, &at("replays"), None, 200).await;
    r.expect(M::GET, &gone("replays"), None, 404).await;
    let stop = format!("{download}/stop");
    r.expect(M::POST, &stop, None, 200).await;
    r.expect(M::POST, &stop, None, 400).await;
    r.expect(M::POST, &at("replays/x_mock_none/stop"), None, 404)
        .await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let reply = r.send_raw(M::GET, &download, |req| req).await;
        if reply.status == 200 {
            assert_eq!(&reply.bytes[4..8], b"ftyp");
            break;
        }
        assert_eq!(reply.status, 202);
        assert!(
            tokio::time::Instant::now() < deadline,
            "replay never encoded"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let list = r.expect(M::GET, &at("replays"), None, 200).await;
    assert!(list[0]["finished_at"].is_string(), "{list}");

    // Playwright: a result, a failure, bad input.
    let done = r
        .expect(
            M::POST,
            &at("playwright/execute"),
            Some(json!({ "code": "console.log('x'); return [1 + 1, 'a']", "timeout_sec": 5 })),
            200,
        )
        .await;
    assert_eq!(done["result"], json!([2, "a"]));
    r.expect(
        M::POST,
        &at("playwright/execute"),
        Some(json!({ "code": "throw new Error('boom')" })),
        200,
    )
    .await;
    r.expect(
        M::POST,
        &at("playwright/execute"),
        Some(json!({ "code": 5 })),
        400,
    )
    .await;
    r.expect(
        M::POST,
        &gone("playwright/execute"),
        Some(json!({ "code": "return 1" })),
        400,
    )
    .await;

    // Curl: a site page, an echo, base64, an unresolvable host, errors.
    r.expect(
        M::POST,
        &at("curl"),
        Some(json!({ "url": "https://password.example/" })),
        200,
    )
    .await;
    r.expect(
        M::POST,
        &at("curl"),
        Some(json!({ "url": "https://echo.kernel-mock.invalid/a", "method": "PUT", "headers": { "x-a": "1" }, "body": "b", "timeout_ms": 1000, "response_encoding": "base64" })),
        200,
    )
    .await;
    r.expect(
        M::POST,
        &at("curl"),
        Some(json!({ "url": "https://example.com/" })),
        502,
    )
    .await;
    r.expect(
        M::POST,
        &at("curl"),
        Some(json!({ "url": "file:///etc/passwd" })),
        400,
    )
    .await;
    r.expect(
        M::POST,
        &gone("curl"),
        Some(json!({ "url": "https://password.example/" })),
        404,
    )
    .await;

    // Logs: both processes by name and by path (without following), errors.
    for query in [
        "source=supervisor&supervisor_process=kernel-images-api&follow=false",
        "source=path&path=/var/log/supervisord/chromium&follow=false",
    ] {
        let lines = r
            .stream(
                &at(&format!("logs/stream?{query}")),
                1000,
                Duration::from_secs(2),
            )
            .await;
        assert!(lines.len() >= 3, "{query}: {lines:?}");
    }
    r.expect(M::GET, &at("logs/stream?source=path"), None, 400)
        .await;
    r.expect(
        M::GET,
        &at("logs/stream?source=supervisor&supervisor_process=nginx"),
        None,
        404,
    )
    .await;
    r.expect(
        M::GET,
        &gone("logs/stream?source=supervisor&supervisor_process=chromium"),
        None,
        404,
    )
    .await;
    r.expect(M::DELETE, &format!("/browsers/{id}"), None, 204)
        .await;
}
