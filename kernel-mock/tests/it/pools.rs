//! Browser pools end to end over HTTP: warming to size, acquire's long poll
//! and its timeout, release (reused or replaced), flush, update, delete
//! with leased browsers; browser updates, an invocation's browsers and
//! profile downloads.

use std::time::{Duration, Instant};

use crate::common::{fast_mock, Api};
use reqwest::Method;
use serde_json::{json, Value};

/// `fast_mock`'s step: one API second on the mock's clock.
const STEP: Duration = Duration::from_millis(15);

/// Polls pool `key` until `done` holds (5 s at most).
async fn wait_pool(api: &Api, key: &str, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let reply = api.get(&format!("/browser_pools/{key}")).await;
        assert_eq!(reply.status, 200, "{:?}", reply.body);
        if done(&reply.body) {
            return reply.body;
        }
        assert!(Instant::now() < deadline, "pool {key}: {:#}", reply.body);
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// A pool named `name` of `size`, waited for until warm.
async fn warm_pool(api: &Api, name: &str, size: u64, extra: Value) -> Value {
    let mut body = json!({ "name": name, "size": size, "fill_rate_per_minute": 25 });
    if let (Some(body), Value::Object(extra)) = (body.as_object_mut(), extra) {
        body.extend(extra);
    }
    let created = api.post("/browser_pools", body).await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    assert_eq!(created.body["available_count"], 0);
    wait_pool(api, name, |p| p["available_count"] == size).await
}

/// Acquires from pool `key`, waiting at most `seconds` API seconds; the
/// session id, or `None` on 204.
async fn acquire(api: &Api, key: &str, seconds: i64) -> Option<String> {
    let reply = api
        .post(
            &format!("/browser_pools/{key}/acquire"),
            json!({ "acquire_timeout_seconds": seconds }),
        )
        .await;
    match reply.status.as_u16() {
        200 => Some(reply.body["session_id"].as_str().unwrap().to_owned()),
        204 => None,
        other => panic!("acquire answered {other}: {:?}", reply.body),
    }
}

async fn release(api: &Api, key: &str, session_id: &str, reuse: bool) {
    let reply = api
        .post(
            &format!("/browser_pools/{key}/release"),
            json!({ "session_id": session_id, "reuse": reuse }),
        )
        .await;
    assert_eq!(reply.status, 204, "{:?}", reply.body);
}

async fn is_live(api: &Api, session_id: &str) -> bool {
    api.get(&format!("/browsers/{session_id}")).await.status == 200
}

#[tokio::test]
async fn a_pool_warms_to_its_size_with_its_configuration() {
    let mock = fast_mock().await;
    let api = Api::new(&mock);
    assert_eq!(
        api.post("/profiles", json!({ "name": "p1" })).await.status,
        201
    );
    let pool = warm_pool(
        &api,
        "warm",
        3,
        json!({ "headless": true, "timeout_seconds": 120, "viewport": { "width": 1024, "height": 768 },
                "profile": { "name": "p1" }, "start_url": "https://example.com" }),
    )
    .await;
    assert_eq!(pool["acquired_count"], 0);
    assert_eq!(pool["browser_pool_config"]["size"], 3);
    assert_eq!(pool["browser_pool_config"]["timeout_seconds"], 120);
    // Full: the filler stops at the size.
    tokio::time::sleep(STEP * 5).await;
    let pool = wait_pool(&api, "warm", |_| true).await;
    assert_eq!(pool["available_count"], 3);

    let id = acquire(&api, "warm", 0).await.expect("a warm browser");
    let browser = api.get(&format!("/browsers/{id}")).await.body;
    assert_eq!(browser["pool"], json!({ "id": pool["id"], "name": "warm" }));
    assert_eq!(browser["headless"], true);
    assert_eq!(browser["timeout_seconds"], 120);
    assert_eq!(browser["viewport"]["width"], 1024);
    assert_eq!(browser["profile"]["name"], "p1");
    assert_eq!(browser["start_url"], "https://example.com");
    let pool = wait_pool(&api, pool["id"].as_str().unwrap(), |_| true).await;
    assert_eq!(
        (
            pool["available_count"].as_i64(),
            pool["acquired_count"].as_i64()
        ),
        (Some(2), Some(1))
    );
}

#[tokio::test]
async fn acquire_answers_204_after_about_the_timeout() {
    let mock = fast_mock().await;
    let api = Api::new(&mock);
    warm_pool(&api, "one", 1, json!({})).await;
    assert!(acquire(&api, "one", 0).await.is_some());
    let started = Instant::now();
    assert_eq!(acquire(&api, "one", 20).await, None);
    let waited = started.elapsed();
    assert!(waited >= STEP * 20, "answered after {waited:?}");
    assert!(
        waited < STEP * 20 + Duration::from_secs(1),
        "answered after {waited:?}"
    );
    // Zero waits not at all.
    let started = Instant::now();
    assert_eq!(acquire(&api, "one", 0).await, None);
    assert!(started.elapsed() < Duration::from_millis(200));
}

#[tokio::test]
async fn a_release_wakes_a_waiter_with_the_released_browser() {
    let mock = fast_mock().await;
    let api = Api::new(&mock);
    warm_pool(&api, "one", 1, json!({})).await;
    let held = acquire(&api, "one", 0).await.unwrap();
    let waiter = {
        let api = api.clone();
        tokio::spawn(async move {
            let started = Instant::now();
            (acquire(&api, "one", 60).await, started.elapsed())
        })
    };
    tokio::time::sleep(STEP * 5).await;
    assert!(!waiter.is_finished(), "the waiter waits");
    release(&api, "one", &held, true).await;
    let (got, waited) = waiter.await.unwrap();
    assert_eq!(got.as_deref(), Some(held.as_str()), "the released browser");
    assert!(waited < STEP * 40, "woken by the release, after {waited:?}");
}

#[tokio::test]
async fn release_without_reuse_replaces_the_browser() {
    let mock = fast_mock().await;
    let api = Api::new(&mock);
    warm_pool(&api, "one", 1, json!({})).await;
    let old = acquire(&api, "one", 0).await.unwrap();
    release(&api, "one", &old, false).await;
    assert!(!is_live(&api, &old).await, "the old browser is gone");
    let pool = wait_pool(&api, "one", |_| true).await;
    assert_eq!(pool["available_count"], 1, "replaced at once");
    let new = acquire(&api, "one", 0).await.unwrap();
    assert_ne!(new, old);
    // Releasing what is not leased from the pool is refused.
    let reply = api
        .post("/browser_pools/one/release", json!({ "session_id": old }))
        .await;
    assert_eq!(reply.status, 404);
    let stray = api.post("/browsers", json!({})).await.body["session_id"].clone();
    let reply = api
        .post("/browser_pools/one/release", json!({ "session_id": stray }))
        .await;
    assert_eq!(reply.status, 400);
}

#[tokio::test]
async fn flush_destroys_idle_browsers_and_the_filler_replaces_them() {
    let mock = fast_mock().await;
    let api = Api::new(&mock);
    warm_pool(&api, "flushy", 3, json!({})).await;
    let leased = acquire(&api, "flushy", 0).await.unwrap();
    let idle = [
        acquire(&api, "flushy", 0).await.unwrap(),
        acquire(&api, "flushy", 0).await.unwrap(),
    ];
    for id in &idle {
        release(&api, "flushy", id, true).await;
    }
    let reply = api.post("/browser_pools/flushy/flush", json!({})).await;
    assert_eq!(reply.status, 204);
    for id in &idle {
        assert!(!is_live(&api, id).await, "{id} was idle: destroyed");
    }
    assert!(is_live(&api, &leased).await, "leased browsers stay");
    wait_pool(&api, "flushy", |p| p["available_count"] == 2).await;
    let fresh = acquire(&api, "flushy", 0).await.unwrap();
    assert!(!idle.contains(&fresh) && fresh != leased);
}

#[tokio::test]
async fn deleting_a_pool_with_leased_browsers_needs_force() {
    let mock = fast_mock().await;
    let api = Api::new(&mock);
    warm_pool(&api, "del", 2, json!({})).await;
    let leased = acquire(&api, "del", 0).await.unwrap();
    let idle = acquire(&api, "del", 0).await.unwrap();
    release(&api, "del", &idle, true).await;
    let reply = api.delete("/browser_pools/del").await;
    assert_eq!(reply.status, 400, "{:?}", reply.body);
    assert!(reply.body["message"].as_str().unwrap().contains("force"));
    assert_eq!(api.get("/browser_pools/del").await.status, 200);
    assert!(is_live(&api, &leased).await && is_live(&api, &idle).await);

    // A waiter learns the pool is gone.
    acquire(&api, "del", 0).await.unwrap();
    let waiter = {
        let api = api.clone();
        tokio::spawn(async move {
            api.post(
                "/browser_pools/del/acquire",
                json!({ "acquire_timeout_seconds": 60 }),
            )
            .await
            .status
        })
    };
    tokio::time::sleep(STEP * 3).await;
    let reply = api
        .send(
            Method::DELETE,
            "/browser_pools/del",
            Some(json!({ "force": true })),
        )
        .await;
    assert_eq!(reply.status, 204);
    assert_eq!(waiter.await.unwrap(), 404);
    assert!(!is_live(&api, &leased).await && !is_live(&api, &idle).await);
    assert_eq!(api.get("/browser_pools/del").await.status, 404);

    // Without leases no force is needed.
    warm_pool(&api, "free", 1, json!({})).await;
    assert_eq!(api.delete("/browser_pools/free").await.status, 204);
    assert_eq!(api.get("/browser_pools").await.body, json!([]));
}

#[tokio::test]
async fn pool_names_are_unique() {
    let mock = fast_mock().await;
    let api = Api::new(&mock);
    let a = api
        .post("/browser_pools", json!({ "name": "a", "size": 1 }))
        .await;
    assert_eq!(a.status, 201);
    let dup = api
        .post("/browser_pools", json!({ "name": "a", "size": 1 }))
        .await;
    assert_eq!(dup.status, 409);
    assert!(dup.body["message"].is_string());
    let b = api
        .post("/browser_pools", json!({ "name": "b", "size": 1 }))
        .await;
    assert_eq!(b.status, 201);
    let rename = api
        .patch("/browser_pools/b", json!({ "size": 1, "name": "a" }))
        .await;
    assert_eq!(rename.status, 409);
    let by_id = api
        .get(&format!(
            "/browser_pools/{}",
            a.body["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(by_id.body["name"], "a");
    // Renaming to a free name works; the old name is free again.
    let renamed = api
        .patch("/browser_pools/b", json!({ "size": 1, "name": "c" }))
        .await;
    assert_eq!(renamed.status, 200);
    assert_eq!(api.get("/browser_pools/b").await.status, 404);
    assert_eq!(api.get("/browser_pools/c").await.body["id"], b.body["id"]);
}

#[tokio::test]
async fn update_resizes_and_discard_rebuilds_with_the_new_configuration() {
    let mock = fast_mock().await;
    let api = Api::new(&mock);
    warm_pool(&api, "upd", 3, json!({})).await;
    let shrunk = api.patch("/browser_pools/upd", json!({ "size": 1 })).await;
    assert_eq!(shrunk.status, 200, "{:?}", shrunk.body);
    assert_eq!(
        shrunk.body["available_count"], 1,
        "idle browsers above the size go"
    );
    assert_eq!(
        shrunk.body["browser_pool_config"]["fill_rate_per_minute"], 25,
        "kept"
    );
    let old = acquire(&api, "upd", 0).await.unwrap();
    release(&api, "upd", &old, true).await;

    let rebuilt = api
        .patch(
            "/browser_pools/upd",
            json!({ "size": 2, "headless": true, "discard_all_idle": true }),
        )
        .await;
    assert_eq!(rebuilt.status, 200, "{:?}", rebuilt.body);
    assert_eq!(rebuilt.body["available_count"], 2, "rebuilt at once");
    assert!(rebuilt.body["browser_pool_config"]
        .get("discard_all_idle")
        .is_none());
    assert!(!is_live(&api, &old).await, "the idle browser was discarded");
    let id = acquire(&api, "upd", 0).await.unwrap();
    assert_eq!(
        api.get(&format!("/browsers/{id}")).await.body["headless"],
        true
    );

    let missing_size = api
        .patch("/browser_pools/upd", json!({ "headless": false }))
        .await;
    assert_eq!(missing_size.status, 400);
    let too_big = api
        .patch("/browser_pools/upd", json!({ "size": 101 }))
        .await;
    assert_eq!(too_big.status, 400);
}

#[tokio::test]
async fn a_pool_at_rate_zero_does_not_fill() {
    let mock = fast_mock().await;
    let api = Api::new(&mock);
    let reply = api
        .post(
            "/browser_pools",
            json!({ "name": "still", "size": 2, "fill_rate_per_minute": 0 }),
        )
        .await;
    assert_eq!(reply.status, 201);
    tokio::time::sleep(STEP * 6).await;
    assert_eq!(
        wait_pool(&api, "still", |_| true).await["available_count"],
        0
    );
    assert_eq!(acquire(&api, "still", 0).await, None);
    // Raising the rate wakes the filler.
    let reply = api
        .patch(
            "/browser_pools/still",
            json!({ "size": 2, "fill_rate_per_minute": 5 }),
        )
        .await;
    assert_eq!(reply.status, 200);
    wait_pool(&api, "still", |p| p["available_count"] == 2).await;
}

#[tokio::test]
async fn deleting_a_pool_browser_elsewhere_frees_its_place() {
    let mock = fast_mock().await;
    let api = Api::new(&mock);
    warm_pool(&api, "gone", 1, json!({})).await;
    let id = acquire(&api, "gone", 0).await.unwrap();
    assert_eq!(api.delete(&format!("/browsers/{id}")).await.status, 204);
    let pool = wait_pool(&api, "gone", |p| p["available_count"] == 1).await;
    assert_eq!(pool["acquired_count"], 0);
}

#[tokio::test]
async fn patching_a_browser_loads_a_profile_once_resizes_and_stops_telemetry() {
    let mock = fast_mock().await;
    let api = Api::new(&mock);
    api.post("/profiles", json!({ "name": "p" })).await;
    let id = api.post("/browsers", json!({ "telemetry": {} })).await.body["session_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/browsers/{id}");
    let patched = api
        .patch(
            &path,
            json!({ "profile": { "name": "p" }, "viewport": { "width": 800, "height": 600 } }),
        )
        .await;
    assert_eq!(patched.status, 200, "{:?}", patched.body);
    assert_eq!(patched.body["profile"]["name"], "p");
    assert_eq!(
        patched.body["viewport"],
        json!({ "width": 800, "height": 600 })
    );
    assert!(patched.body["telemetry"].is_object());
    let again = api
        .patch(&path, json!({ "profile": { "name": "p" } }))
        .await;
    assert_eq!(again.status, 400, "a profile is already loaded");
    let kept = api.patch(&path, json!({ "telemetry": {} })).await;
    assert!(kept.body["telemetry"].is_object(), "{{}} keeps telemetry");
    let off = json!({ "enabled": false });
    let stopped = api
        .patch(
            &path,
            json!({ "telemetry": { "browser": { "console": off, "page": off, "interaction": off, "network": off } } }),
        )
        .await;
    assert_eq!(stopped.status, 200);
    assert!(stopped.body["telemetry"].is_null(), "{:?}", stopped.body);
    api.delete(&path).await;
    assert_eq!(api.patch(&path, json!({})).await.status, 404);
}

#[tokio::test]
async fn an_invocations_browsers_are_listed_and_deleted_by_it() {
    let mock = fast_mock().await;
    let api = Api::new(&mock);
    let invoke = json!({ "app_name": "a", "version": "1", "action_name": "x", "async": true });
    let mine = api.post("/invocations", invoke.clone()).await.body["id"].clone();
    let other = api.post("/invocations", invoke).await.body["id"].clone();
    let ids: Vec<Value> = [&mine, &mine, &other]
        .into_iter()
        .map(|inv| json!({ "invocation_id": inv }))
        .collect();
    let mut created = Vec::new();
    for body in ids {
        created.push(api.post("/browsers", body).await.body["session_id"].clone());
    }
    let plain = api.post("/browsers", json!({})).await.body["session_id"].clone();
    let path = format!("/invocations/{}/browsers", mine.as_str().unwrap());
    let listed = api.get(&path).await.body;
    let listed: Vec<&Value> = listed["browsers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| &b["session_id"])
        .collect();
    assert_eq!(listed, vec![&created[0], &created[1]]);
    assert_eq!(api.delete(&path).await.status, 204);
    assert_eq!(api.get(&path).await.body, json!({ "browsers": [] }));
    assert!(!is_live(&api, created[0].as_str().unwrap()).await);
    assert!(
        is_live(&api, created[2].as_str().unwrap()).await,
        "another invocation's"
    );
    assert!(is_live(&api, plain.as_str().unwrap()).await);
    assert_eq!(api.get("/invocations/nope/browsers").await.status, 404);
}

/// The one file of a profile archive: the zstd frame's raw blocks, then
/// the tar entry.
fn unpack(archive: &[u8]) -> (String, Vec<u8>) {
    assert_eq!(&archive[..4], &[0x28, 0xB5, 0x2F, 0xFD], "zstd magic");
    assert_eq!(archive[4], 0xE0, "single segment, 8-byte content size");
    let size = u64::from_le_bytes(archive[5..13].try_into().unwrap()) as usize;
    let mut tar = Vec::new();
    let mut at = 13;
    loop {
        let header = u32::from_le_bytes([archive[at], archive[at + 1], archive[at + 2], 0]);
        assert_eq!((header >> 1) & 3, 0, "raw block");
        let len = (header >> 3) as usize;
        tar.extend_from_slice(&archive[at + 3..at + 3 + len]);
        at += 3 + len;
        if header & 1 == 1 {
            break;
        }
    }
    assert_eq!(at, archive.len());
    assert_eq!(tar.len(), size);
    assert_eq!(&tar[257..262], b"ustar");
    let field = |range: std::ops::Range<usize>| {
        String::from_utf8_lossy(&tar[range])
            .trim_end_matches(['\0', ' '])
            .to_owned()
    };
    let checksum = u32::from_str_radix(&field(148..155), 8).unwrap();
    let sum: u32 = tar[..512]
        .iter()
        .enumerate()
        .map(|(i, &b)| {
            if (148..156).contains(&i) {
                32
            } else {
                u32::from(b)
            }
        })
        .sum();
    assert_eq!(checksum, sum, "tar header checksum");
    let len = usize::from_str_radix(&field(124..135), 8).unwrap();
    (field(0..100), tar[512..512 + len].to_vec())
}

#[tokio::test]
async fn a_profile_downloads_once_a_session_saved_it() {
    let mock = fast_mock().await;
    let api = Api::new(&mock);
    let profile = api.post("/profiles", json!({ "name": "saved" })).await.body;
    let download = |api: &Api| {
        api.http
            .get(api.url("/profiles/saved/download"))
            .bearer_auth(&api.key)
            .send()
    };
    assert_eq!(download(&api).await.unwrap().status(), 202);
    // A session that does not save changes leaves nothing.
    let body = json!({ "profile": { "name": "saved" } });
    let id = api.post("/browsers", body).await.body["session_id"].clone();
    api.delete(&format!("/browsers/{}", id.as_str().unwrap()))
        .await;
    assert_eq!(download(&api).await.unwrap().status(), 202);

    let body = json!({ "profile": { "name": "saved", "save_changes": true } });
    let id = api.post("/browsers", body).await.body["session_id"].clone();
    assert_eq!(
        download(&api).await.unwrap().status(),
        202,
        "saved when it ends"
    );
    api.delete(&format!("/browsers/{}", id.as_str().unwrap()))
        .await;
    let response = download(&api).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "application/octet-stream"
    );
    assert_eq!(
        response.headers()["content-disposition"],
        "attachment; filename=\"saved.tar.zst\""
    );
    let (name, contents) = unpack(&response.bytes().await.unwrap());
    assert_eq!(name, "kernel-mock-profile.json");
    let contents: Value = serde_json::from_slice(&contents).unwrap();
    assert_eq!(contents["profile"]["id"], profile["id"]);
    assert!(contents["session_saved_at"].is_string());
}
