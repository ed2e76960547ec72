//! Browser pools (warm, acquire, release, flush, update, delete), browser
//! updates, an invocation's browsers and profile downloads: successes and
//! their documented errors.

use reqwest::Method;
use serde_json::json;

use crate::spec_conformance::recorder::Recorder;

pub async fn scenario(r: &Recorder) {
    use Method as M;

    // Pools: create, its errors, read.
    r.expect(
        M::POST,
        "/profiles",
        Some(json!({ "name": "pools-prof" })),
        201,
    )
    .await;
    let pool = r
        .expect(
            M::POST,
            "/browser_pools",
            Some(json!({
                "name": "pools-a", "size": 2, "fill_rate_per_minute": 25, "timeout_seconds": 120,
                "headless": true, "stealth": true, "kiosk_mode": false, "start_url": "https://example.com",
                "viewport": { "width": 1280, "height": 800 }, "chrome_policy": { "HomepageLocation": "https://a.example" },
                "profile": { "name": "pools-prof" },
            })),
            201,
        )
        .await;
    let pool_id = pool["id"].as_str().unwrap().to_owned();
    r.expect(M::POST, "/browser_pools", Some(json!({ "size": 1 })), 201)
        .await;
    for (body, status) in [
        (json!({ "name": "pools-a", "size": 1 }), 409),
        (json!({ "size": 0 }), 400),
        (json!({ "name": "no spaces", "size": 1 }), 400),
        (json!({ "size": 1, "fill_rate_per_minute": 26 }), 400),
        (json!({ "size": 1, "timeout_seconds": 59 }), 400),
        (
            json!({ "size": 1, "profile": { "name": "pools-missing" } }),
            400,
        ),
        (json!({ "size": 1000 }), 400),
    ] {
        r.expect(M::POST, "/browser_pools", Some(body), status)
            .await;
    }
    r.expect(M::GET, "/browser_pools", None, 200).await;
    r.expect(M::GET, &format!("/browser_pools/{pool_id}"), None, 200)
        .await;
    r.expect(M::GET, "/browser_pools/pools-nope", None, 404)
        .await;
    r.poll("/browser_pools/pools-a", |p| p["available_count"] == 2)
        .await;

    // Acquire both, a third times out, errors.
    let acquire = |t: i64| Some(json!({ "acquire_timeout_seconds": t }));
    let first = r
        .expect(M::POST, "/browser_pools/pools-a/acquire", acquire(5), 200)
        .await;
    let first = first["session_id"].as_str().unwrap().to_owned();
    let second = r
        .expect(
            M::POST,
            "/browser_pools/pools-a/acquire",
            Some(json!({})),
            200,
        )
        .await;
    let second = second["session_id"].as_str().unwrap().to_owned();
    r.expect(M::POST, "/browser_pools/pools-a/acquire", acquire(1), 204)
        .await;
    r.expect(M::POST, "/browser_pools/pools-a/acquire", acquire(-1), 400)
        .await;
    r.expect(
        M::POST,
        "/browser_pools/pools-nope/acquire",
        acquire(0),
        404,
    )
    .await;
    r.expect(M::GET, &format!("/browsers/{first}"), None, 200)
        .await;

    // Release: reuse, replace, errors.
    let release = |id: &str, reuse: bool| Some(json!({ "session_id": id, "reuse": reuse }));
    r.expect(
        M::POST,
        "/browser_pools/pools-a/release",
        release(&first, true),
        204,
    )
    .await;
    r.expect(
        M::POST,
        "/browser_pools/pools-a/release",
        release(&first, true),
        400,
    )
    .await;
    r.expect(
        M::POST,
        "/browser_pools/pools-a/release",
        release("pools-nope", true),
        404,
    )
    .await;
    r.expect(
        M::POST,
        "/browser_pools/pools-a/release",
        Some(json!({})),
        400,
    )
    .await;
    r.expect(
        M::POST,
        "/browser_pools/pools-nope/release",
        release(&first, true),
        404,
    )
    .await;
    r.expect(
        M::POST,
        "/browser_pools/pools-a/release",
        release(&second, false),
        204,
    )
    .await;

    // Update, flush.
    r.expect(
        M::PATCH,
        "/browser_pools/pools-a",
        Some(json!({ "size": 3, "headless": false, "discard_all_idle": true })),
        200,
    )
    .await;
    let other = r
        .expect(
            M::POST,
            "/browser_pools",
            Some(json!({ "name": "pools-b", "size": 1 })),
            201,
        )
        .await;
    r.expect(
        M::PATCH,
        "/browser_pools/pools-a",
        Some(json!({ "size": 3, "name": "pools-b" })),
        409,
    )
    .await;
    r.expect(
        M::PATCH,
        "/browser_pools/pools-a",
        Some(json!({ "headless": true })),
        400,
    )
    .await;
    r.expect(
        M::PATCH,
        "/browser_pools/pools-nope",
        Some(json!({ "size": 1 })),
        404,
    )
    .await;
    r.expect(M::POST, "/browser_pools/pools-a/flush", None, 204)
        .await;
    r.expect(M::POST, "/browser_pools/pools-nope/flush", None, 404)
        .await;

    // Delete: blocked while leased, forced, plain, unknown.
    r.poll("/browser_pools/pools-a", |p| p["available_count"] == 3)
        .await;
    r.expect(M::POST, "/browser_pools/pools-a/acquire", acquire(0), 200)
        .await;
    r.expect(M::DELETE, "/browser_pools/pools-a", None, 400)
        .await;
    r.expect(
        M::DELETE,
        "/browser_pools/pools-a",
        Some(json!({ "force": true })),
        204,
    )
    .await;
    let other = other["id"].as_str().unwrap().to_owned();
    r.expect(M::DELETE, &format!("/browser_pools/{other}"), None, 204)
        .await;
    r.expect(M::DELETE, "/browser_pools/pools-a", None, 404)
        .await;

    // Browser updates.
    let browser = r.expect(M::POST, "/browsers", None, 200).await;
    let bid = browser["session_id"].as_str().unwrap().to_owned();
    r.expect(
        M::PATCH,
        &format!("/browsers/{bid}"),
        Some(json!({
            "viewport": { "width": 1024, "height": 768, "refresh_rate": 60, "force": true },
            "profile": { "name": "pools-prof", "save_changes": true },
            "telemetry": { "browser": { "network": { "enabled": false } } },
            "proxy_id": "", "disable_default_proxy": true,
        })),
        200,
    )
    .await;
    for body in [
        json!({ "profile": { "name": "pools-prof" } }),
        json!({ "viewport": { "width": 10, "height": 10 } }),
        json!({ "proxy_id": "pools-proxy" }),
        json!({ "viewport": "wide" }),
    ] {
        r.expect(M::PATCH, &format!("/browsers/{bid}"), Some(body), 400)
            .await;
    }
    r.expect(M::PATCH, "/browsers/pools-nope", Some(json!({})), 404)
        .await;

    // Profile downloads: nothing saved yet, then the session saves it.
    let download = |r: &'static str| format!("/profiles/{r}/download");
    let pending = r.send_raw(M::GET, &download("pools-prof"), |q| q).await;
    assert_eq!(pending.status, 202);
    assert!(pending.bytes.is_empty());
    let missing = r.send_raw(M::GET, &download("pools-nope"), |q| q).await;
    assert_eq!(missing.status, 404);
    r.expect(M::DELETE, &format!("/browsers/{bid}"), None, 204)
        .await;
    r.expect(M::PATCH, &format!("/browsers/{bid}"), Some(json!({})), 404)
        .await;
    let archive = r.send_raw(M::GET, &download("pools-prof"), |q| q).await;
    assert_eq!(archive.status, 200);
    assert_eq!(archive.content_type, "application/octet-stream");
    assert!(archive.headers.contains_key("content-disposition"));
    assert_eq!(&archive.bytes[..4], &[0x28, 0xB5, 0x2F, 0xFD]);

    // An invocation's browsers.
    let inv = r
        .expect(
            M::POST,
            "/invocations",
            Some(
                json!({ "app_name": "app", "version": "1", "action_name": "pools", "async": true }),
            ),
            202,
        )
        .await;
    let inv = inv["id"].as_str().unwrap().to_owned();
    for _ in 0..2 {
        r.expect(
            M::POST,
            "/browsers",
            Some(json!({ "invocation_id": inv })),
            200,
        )
        .await;
    }
    r.expect(
        M::POST,
        "/browsers",
        Some(json!({ "invocation_id": "pools-nope" })),
        400,
    )
    .await;
    let listed = r
        .expect(M::GET, &format!("/invocations/{inv}/browsers"), None, 200)
        .await;
    assert_eq!(listed["browsers"].as_array().unwrap().len(), 2);
    r.expect(M::GET, "/invocations/pools-nope/browsers", None, 404)
        .await;
    r.expect(
        M::DELETE,
        &format!("/invocations/{inv}/browsers"),
        None,
        204,
    )
    .await;
    r.expect(M::DELETE, "/invocations/pools-nope/browsers", None, 404)
        .await;
    let listed = r
        .expect(M::GET, &format!("/invocations/{inv}/browsers"), None, 200)
        .await;
    assert_eq!(listed["browsers"], json!([]));
}
