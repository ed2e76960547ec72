//! A stale route: one more attempt through the API, the route dropped
//! (unless it was refreshed meanwhile, or the API confirms a 404), and
//! nothing resent that the VM may have acted on.

use super::{answer, api, client, json_response, Server, JWT, VM_PATH};
use crate::common::{raw_server, refused_url, API_KEY};
use kernel::routing::{BrowserRoute, BrowserRouting};
use kernel::{Error, Kernel, RetryPolicy, Upload};
use reqwest::Method;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

/// A VM answering every request with `status`.
async fn vm_answering(status: u16) -> Server {
    Server::start(move |_| json_response(status, r#"{"message":"no"}"#)).await
}

async fn exec(kernel: &Kernel) -> kernel::Result<kernel::types::ProcessExecResult> {
    kernel
        .browsers()
        .process("b1")
        .exec()
        .command("true")
        .send()
        .await
}

#[tokio::test]
async fn a_refused_token_falls_back_once_through_the_api_and_drops_the_route() {
    for status in [401, 403] {
        let vm = vm_answering(status).await;
        let api = Server::start(api(vm.vm_base())).await;
        // No retries at all: the fallback is not one.
        let kernel = Kernel::builder()
            .api_key(API_KEY)
            .base_url(&api.url)
            .retry_policy(RetryPolicy::none())
            .browser_routing(BrowserRouting::subresources(["process"]))
            .build()
            .unwrap();
        kernel.browsers().get("b1").send().await.unwrap();
        // A POST: the VM refused it, so it did nothing; resending is safe.
        exec(&kernel).await.unwrap();
        assert!(kernel.browser_routes().get("b1").is_none(), "{status}");
        exec(&kernel).await.unwrap();
        assert_eq!(
            vm.lines(),
            [format!("POST {VM_PATH}/process/exec")],
            "{status}"
        );
        assert_eq!(
            api.lines(),
            [
                "GET /browsers/b1",
                "POST /browsers/b1/process/exec",
                "POST /browsers/b1/process/exec"
            ],
            "{status}"
        );
        assert_eq!(vm.seen()[0].auth, None);
        let resent = &api.seen()[1];
        assert_eq!(resent.auth, Some(format!("Bearer {API_KEY}")));
        assert_eq!(resent.jwt(), None, "the token is not sent to the API");
    }
}

#[tokio::test]
async fn an_unreachable_vm_falls_back_for_any_call() {
    let api = Server::start(answer).await;
    let kernel = client(&api.url, BrowserRouting::subresources(["process"]));
    // Refused, and a name that does not resolve.
    for base in [refused_url(), "http://vm.invalid".to_string()] {
        kernel
            .browser_routes()
            .insert(BrowserRoute::new("b1", format!("{base}{VM_PATH}"), JWT));
        exec(&kernel).await.unwrap();
        assert!(kernel.browser_routes().get("b1").is_none(), "{base}");
    }
    assert_eq!(
        api.lines(),
        [
            "POST /browsers/b1/process/exec",
            "POST /browsers/b1/process/exec"
        ]
    );
}

#[tokio::test]
async fn a_404_from_the_vm_keeps_the_route_only_when_the_api_agrees() {
    let vm = vm_answering(404).await;
    let inner = api(vm.vm_base());
    let api = Server::start(move |seen| match seen.query.as_str() {
        "path=%2Fmissing" => json_response(404, r#"{"message":"no such file"}"#),
        _ => inner(seen),
    })
    .await;
    let kernel = client(&api.url, BrowserRouting::subresources(["fs"]));
    kernel.browsers().get("b1").send().await.unwrap();
    let info = |path: &'static str| {
        let kernel = kernel.clone();
        async move {
            kernel
                .browsers()
                .fs("b1")
                .list_files()
                .path(path)
                .send()
                .await
        }
    };
    // Missing on the VM and on the API: a real 404, the route was fine.
    let missing = info("/missing").await.unwrap_err();
    assert!(missing.is_not_found(), "{missing}");
    assert!(kernel.browser_routes().get("b1").is_some());
    // Missing on the VM only: the VM no longer holds the browser.
    info("/").await.unwrap();
    assert!(kernel.browser_routes().get("b1").is_none());
    assert_eq!(vm.seen().len(), 2);
    assert_eq!(
        api.lines(),
        [
            "GET /browsers/b1",
            "GET /browsers/b1/fs/list_files",
            "GET /browsers/b1/fs/list_files"
        ]
    );
}

#[tokio::test]
async fn a_route_refreshed_while_a_call_fails_is_not_evicted() {
    let slot: Arc<OnceLock<Kernel>> = Arc::default();
    let refresher = slot.clone();
    let vm = Server::start(move |seen| {
        if seen.jwt().as_deref() == Some(JWT) {
            // Meanwhile, another task fetched the browser with a new token.
            let kernel = refresher.get().expect("the client");
            let route = kernel.browser_routes().get("b1").unwrap();
            kernel.browser_routes().insert(BrowserRoute::new(
                "b1",
                route.base_url,
                "vmtok-SECRET-2",
            ));
            json_response(401, r#"{"message":"token expired"}"#)
        } else {
            answer(seen)
        }
    })
    .await;
    let api = Server::start(api(vm.vm_base())).await;
    let kernel = client(&api.url, BrowserRouting::subresources(["process"]));
    slot.set(kernel.clone()).ok();
    kernel.browsers().get("b1").send().await.unwrap();
    exec(&kernel).await.unwrap();
    let route = kernel
        .browser_routes()
        .get("b1")
        .expect("the refreshed route");
    assert_eq!(route.jwt.expose(), "vmtok-SECRET-2");
    // And the next call takes it.
    exec(&kernel).await.unwrap();
    let tokens: Vec<_> = vm.seen().iter().map(|s| s.jwt()).collect();
    assert_eq!(tokens, [Some(JWT.into()), Some("vmtok-SECRET-2".into())]);
    assert_eq!(
        api.lines(),
        ["GET /browsers/b1", "POST /browsers/b1/process/exec"]
    );
}

#[tokio::test]
async fn the_fallback_does_not_spend_the_retry_budget() {
    let vm = vm_answering(401).await;
    let inner = api(vm.vm_base());
    let unavailable = AtomicUsize::new(0);
    let api = Server::start(move |seen| {
        if seen.path == "/browsers/b1/fs/file_info"
            && unavailable.fetch_add(1, Ordering::SeqCst) < 2
        {
            json_response(503, r#"{"message":"busy"}"#)
        } else {
            inner(seen)
        }
    })
    .await;
    let kernel = client(&api.url, BrowserRouting::subresources(["fs"]));
    kernel.browsers().get("b1").send().await.unwrap();
    // One direct attempt, then the API's first attempt and both retries.
    kernel
        .request(Method::GET, "/browsers/b1/fs/file_info")
        .send::<serde_json::Value>()
        .await
        .unwrap();
    assert_eq!(vm.seen().len(), 1);
    assert_eq!(api.seen().len(), 1 + 3);
}

#[tokio::test]
async fn ambiguous_failures_are_not_resent_for_calls_that_are_not_idempotent() {
    // A 500 from the VM: it may have run the command.
    let vm = vm_answering(500).await;
    let api = Server::start(api(vm.vm_base())).await;
    let kernel = client(&api.url, BrowserRouting::subresources(["process", "fs"]));
    kernel.browsers().get("b1").send().await.unwrap();
    let err = exec(&kernel).await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(500));
    assert_eq!(vm.seen().len(), 1, "not resent");
    assert!(
        kernel.browser_routes().get("b1").is_some(),
        "not a stale route"
    );
    // An idempotent call is retried, on the VM.
    let err = kernel
        .browsers()
        .fs("b1")
        .list_files()
        .path("/")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(500));
    assert_eq!(vm.seen().len(), 1 + 3);
    assert_eq!(api.lines(), ["GET /browsers/b1"]);

    // A VM that hangs up after reading the request.
    let (hangup, connections) = raw_server(Vec::new()).await;
    kernel
        .browser_routes()
        .insert(BrowserRoute::new("b1", format!("{hangup}{VM_PATH}"), JWT));
    let err = exec(&kernel).await.unwrap_err();
    assert!(matches!(err, Error::Connection(_)), "{err:?}");
    assert_eq!(connections.load(Ordering::SeqCst), 1, "not resent");
    assert_eq!(api.lines(), ["GET /browsers/b1"], "no fallback either");
}

#[tokio::test]
async fn a_streamed_upload_is_sent_once_and_still_drops_a_refused_route() {
    let vm = vm_answering(401).await;
    let api = Server::start(api(vm.vm_base())).await;
    let kernel = client(&api.url, BrowserRouting::subresources(["fs"]));
    kernel.browsers().get("b1").send().await.unwrap();
    let err = kernel
        .browsers()
        .fs("b1")
        .upload()
        .file("/tmp/a.txt", Upload::bytes("hello"))
        .send()
        .await
        .unwrap_err();
    assert!(err.is_auth(), "{err}");
    assert_eq!(vm.lines(), [format!("POST {VM_PATH}/fs/upload")]);
    assert_eq!(api.lines(), ["GET /browsers/b1"]);
    assert!(kernel.browser_routes().get("b1").is_none());
}
