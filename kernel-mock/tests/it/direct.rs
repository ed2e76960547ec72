//! A browser's VM endpoints: its `base_url` serves the browser's
//! subresources with the token from its URLs instead of the API key, and
//! skips the gateway's `control_plane_delay`.

use std::time::{Duration, Instant};

use crate::common::{read, Api};
use kernel_mock::KernelMock;
use serde_json::{json, Value};

/// The browser's `base_url` and the `jwt` of its `cdp_ws_url`.
fn route(browser: &Value) -> (String, String) {
    let base = browser["base_url"].as_str().expect("base_url").to_owned();
    let cdp = browser["cdp_ws_url"].as_str().expect("cdp_ws_url");
    let jwt = cdp.split("jwt=").nth(1).expect("jwt").to_owned();
    (base, jwt)
}

#[tokio::test]
async fn a_browsers_base_url_serves_its_subresources_with_its_token() {
    let mock = KernelMock::start().await.unwrap();
    let api = Api::new(&mock);
    let browser = api.post("/browsers", json!({})).await.body;
    let (base, jwt) = route(&browser);
    assert!(base.starts_with(&mock.base_url()), "{base}");
    let http = reqwest::Client::new();

    let moved = http
        .post(format!("{base}/computer/move_mouse?jwt={jwt}"))
        .json(&json!({ "x": 12, "y": 34 }))
        .send()
        .await
        .unwrap();
    assert_eq!(moved.status(), 200);
    // The gateway sees the same browser.
    let position = api
        .post(
            &format!(
                "/browsers/{}/computer/get_mouse_position",
                browser["session_id"].as_str().unwrap()
            ),
            json!({}),
        )
        .await;
    assert_eq!(position.body, json!({ "x": 12, "y": 34 }));
    let recorded = mock.requests();
    assert_eq!(recorded[1].operation_id.as_deref(), Some("moveMouse"));
    assert!(recorded[1].header("authorization").is_none());

    // No token, a wrong one, another browser's, or the API key: refused.
    let other = route(&api.post("/browsers", json!({})).await.body).1;
    for query in ["", "?jwt=nope", &format!("?jwt={other}")] {
        let reply = read(
            http.post(format!("{base}/computer/get_mouse_position{query}"))
                .bearer_auth(mock.api_key())
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(reply.status, 401, "{query}");
        assert_eq!(reply.body["code"], "unauthorized");
    }
    // Only subresources are VM endpoints.
    let reply = http
        .get(format!("{base}?jwt={jwt}"))
        .bearer_auth(mock.api_key())
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 404);
}

#[tokio::test]
async fn the_control_plane_delay_applies_to_the_gateway_only() {
    let delay = Duration::from_millis(150);
    let mock = KernelMock::builder()
        .control_plane_delay(delay)
        .start()
        .await
        .unwrap();
    let api = Api::new(&mock);
    let browser = api.post("/browsers", json!({})).await.body;
    let (base, jwt) = route(&browser);
    let id = browser["session_id"].as_str().unwrap();

    let started = Instant::now();
    let reply = api
        .post(
            &format!("/browsers/{id}/computer/get_mouse_position"),
            json!({}),
        )
        .await;
    assert_eq!(reply.status, 200);
    let gateway = started.elapsed();

    let started = Instant::now();
    let reply = reqwest::Client::new()
        .post(format!("{base}/computer/get_mouse_position?jwt={jwt}"))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 200);
    let direct = started.elapsed();
    assert!(gateway >= delay, "{gateway:?}");
    assert!(direct < delay, "{direct:?}");
}
