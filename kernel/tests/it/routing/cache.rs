//! The route cache: filled from every answer of the call layer that
//! carries browsers, emptied by a successful delete or release (kept when
//! they fail), and shared by clones; the browser-scoped handle.

use super::{
    answer, api, assert_credentials, browser, client, json_response, setup, Server, JWT, VM_PATH,
};
use futures::TryStreamExt;
use kernel::routing::{BrowserRoute, BrowserRouting};
use kernel::Paginate;
use serde_json::json;

fn cached(kernel: &kernel::Kernel, id: &str) -> Option<(String, String)> {
    kernel
        .browser_routes()
        .get(id)
        .map(|r| (r.base_url, r.jwt.expose().to_string()))
}

#[tokio::test]
async fn the_cache_fills_from_create_get_list_update_acquire_and_invocations() {
    let vm = Server::start(answer).await;
    let vm_base = vm.vm_base();
    let base = vm_base.clone();
    let inner = api(vm_base.clone());
    let api = Server::start(move |seen| match seen.path.as_str() {
        "/invocations/inv/browsers" => json_response(
            200,
            json!({"browsers": [browser("b7", Some(&base), JWT)]}).to_string(),
        ),
        _ => inner(seen),
    })
    .await;
    let fresh = || client(&api.url, BrowserRouting::subresources(["fs"]));
    let route = Some((vm_base.clone(), JWT.to_string()));

    let kernel = fresh();
    kernel.browsers().create().send().await.unwrap();
    assert_eq!(cached(&kernel, "b1"), route, "create");

    let kernel = fresh();
    kernel.browsers().get("b3").send().await.unwrap();
    assert_eq!(cached(&kernel, "b3"), route, "get");

    let kernel = fresh();
    let all: Vec<_> = kernel
        .browsers()
        .list()
        .items()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(kernel.browser_routes().len(), 2, "every browser of a page");
    assert_eq!(cached(&kernel, "b2"), route, "list");

    let kernel = fresh();
    kernel.browsers().update("b4").send().await.unwrap();
    assert_eq!(cached(&kernel, "b4"), route, "update");

    let kernel = fresh();
    let acquired = kernel.browser_pools().acquire("p").send().await.unwrap();
    assert!(acquired.is_some());
    assert_eq!(cached(&kernel, "b1"), route, "acquire");

    let kernel = fresh();
    kernel.invocations().browsers("inv").send().await.unwrap();
    assert_eq!(cached(&kernel, "b7"), route, "an invocation's browsers");

    // Clones share the cache.
    assert_eq!(cached(&kernel.clone(), "b7"), route);
    assert!(vm.seen().is_empty());
}

#[tokio::test]
async fn raw_and_hand_built_calls_learn_no_routes() {
    let vm = Server::start(answer).await;
    let api = Server::start(api(vm.vm_base())).await;
    let kernel = client(&api.url, BrowserRouting::subresources(["fs"]));
    let raw = kernel
        .sys()
        .get_browsers_by_id()
        .id("b3")
        .send()
        .await
        .unwrap();
    assert_eq!(raw.session_id, "b3");
    let hand: serde_json::Value = kernel
        .request(reqwest::Method::GET, "/browsers/b3")
        .send()
        .await
        .unwrap();
    assert_eq!(hand["session_id"], "b3");
    assert!(kernel.browser_routes().is_empty());
    // The same answer through the call layer is learned.
    kernel.browsers().get("b3").send().await.unwrap();
    assert_eq!(kernel.browser_routes().len(), 1);
}

#[tokio::test]
async fn a_successful_delete_or_release_drops_the_route_and_a_failed_one_keeps_it() {
    let vm = Server::start(answer).await;
    let inner = api(vm.vm_base());
    let api = Server::start(
        move |seen| match (seen.method.as_str(), seen.path.as_str()) {
            ("DELETE", "/browsers/b2") => {
                json_response(409, r#"{"code":"conflict","message":"busy"}"#)
            }
            ("POST", "/browser_pools/stuck/release") => json_response(400, r#"{"message":"no"}"#),
            _ => inner(seen),
        },
    )
    .await;
    let kernel = client(&api.url, BrowserRouting::subresources(["fs"]));
    let _: Vec<_> = kernel
        .browsers()
        .list()
        .items()
        .try_collect()
        .await
        .unwrap();
    assert!(cached(&kernel, "b1").is_some() && cached(&kernel, "b2").is_some());

    kernel.browsers().delete("b1").send().await.unwrap();
    assert_eq!(cached(&kernel, "b1"), None, "deleted");
    let failed = kernel.browsers().delete("b2").send().await.unwrap_err();
    assert!(failed.is_conflict(), "{failed}");
    assert!(cached(&kernel, "b2").is_some(), "a failed delete keeps it");

    let failed = kernel
        .browser_pools()
        .release("stuck")
        .session_id("b2")
        .send()
        .await
        .unwrap_err();
    assert_eq!(failed.status().map(|s| s.as_u16()), Some(400));
    assert!(cached(&kernel, "b2").is_some(), "a failed release keeps it");
}

#[tokio::test]
async fn released_pool_browsers_lose_their_route() {
    let (kernel, api, vm) = setup(&["process"]).await;
    let browser = kernel
        .browser_pools()
        .acquire("p")
        .send()
        .await
        .unwrap()
        .expect("a browser");
    let exec = || async {
        kernel
            .browsers()
            .process(&browser.session_id)
            .exec()
            .command("true")
            .send()
            .await
            .unwrap()
    };
    exec().await;
    kernel
        .browser_pools()
        .release("p")
        .session_id(&browser.session_id)
        .send()
        .await
        .unwrap();
    assert_eq!(cached(&kernel, "b1"), None);
    exec().await;
    assert_eq!(vm.lines(), [format!("POST {VM_PATH}/process/exec")]);
    assert_eq!(
        api.lines(),
        [
            "POST /browser_pools/p/acquire",
            "POST /browser_pools/p/release",
            "POST /browsers/b1/process/exec",
        ]
    );
    assert_credentials(&api, &vm);
}

#[tokio::test]
async fn browsers_without_a_usable_route_stay_on_the_api() {
    let vm = Server::start(answer).await;
    let base = vm.vm_base();
    let api = Server::start(move |seen| {
        let body = match seen.path.as_str() {
            "/browsers/nobase" => browser("nobase", None, JWT),
            "/browsers/nojwt" => browser("nojwt", Some(&base), ""),
            "/browsers/badbase" => browser("badbase", Some("not a url"), JWT),
            _ => return answer(seen),
        };
        json_response(200, body.to_string())
    })
    .await;
    let kernel = client(&api.url, BrowserRouting::subresources(["fs"]));
    for id in ["nobase", "nojwt", "badbase"] {
        kernel.browsers().get(id).send().await.unwrap();
        kernel
            .browsers()
            .fs(id)
            .list_files()
            .path("/")
            .send()
            .await
            .unwrap();
    }
    assert!(kernel.browser_routes().is_empty());
    assert!(vm.seen().is_empty());
}

#[tokio::test]
async fn the_browser_handle_caches_its_route_and_delegates() {
    let (kernel, api, vm) = setup(&["process", "fs"]).await;
    // A browser this client never fetched (another process handed it over).
    let handed_over: kernel::types::Browser =
        serde_json::from_value(browser("b9", Some(&vm.vm_base()), JWT)).unwrap();
    let session = kernel.browser(&handed_over);
    assert_eq!(session.id(), "b9");
    assert_eq!(session.route().map(|r| r.base_url), Some(vm.vm_base()));
    session.process().exec().command("ls").send().await.unwrap();
    session.fs().list_files().path("/").send().await.unwrap();
    session.get().send().await.unwrap();

    // By id alone: no route until the API returns the browser.
    let other = kernel.browser_session("b8");
    assert!(other.route().is_none());
    other.fs().list_files().path("/").send().await.unwrap();
    other.get().send().await.unwrap();
    other.fs().list_files().path("/").send().await.unwrap();
    other.delete().send().await.unwrap();
    assert!(other.route().is_none());

    assert_eq!(
        vm.lines(),
        [
            format!("POST {VM_PATH}/process/exec"),
            format!("GET {VM_PATH}/fs/list_files"),
            format!("GET {VM_PATH}/fs/list_files"),
        ]
    );
    assert_eq!(
        api.lines(),
        [
            "GET /browsers/b9",
            "GET /browsers/b8/fs/list_files",
            "GET /browsers/b8",
            "DELETE /browsers/b8",
        ]
    );
    assert_credentials(&api, &vm);

    // With routing off the handle caches nothing.
    let off = client(&api.url, BrowserRouting::Off);
    assert!(off.browser(&handed_over).route().is_none());
    // By hand: a route inserted into the cache is used.
    kernel
        .browser_routes()
        .insert(BrowserRoute::new("b8", vm.vm_base(), JWT));
    other.fs().list_files().path("/").send().await.unwrap();
    assert_eq!(vm.seen().len(), 4);
}
