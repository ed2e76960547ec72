//! Which calls go to the VM: by subresource, on segment boundaries, by the
//! builder setting, and what the environment variable's values mean.

use super::{assert_credentials, call, client, setup, Server, JWT, VM_PATH};
use kernel::routing::{BrowserRouting, DEFAULT_SUBRESOURCES};
use reqwest::Method;

#[tokio::test]
async fn default_rules_route_vm_subresources_and_keep_the_control_plane_on_the_api() {
    let (kernel, api, vm) = setup(DEFAULT_SUBRESOURCES).await;
    let browser = kernel.browsers().create().send().await.unwrap();
    let id = &browser.session_id;

    // Generated calls.
    kernel
        .browsers()
        .process(id)
        .exec()
        .command("ls")
        .send()
        .await
        .unwrap();
    kernel
        .browsers()
        .fs(id)
        .list_files()
        .path("/tmp")
        .send()
        .await
        .unwrap();
    // Everything else by path, routed or not.
    let direct = [
        "curl",
        "computer/click_mouse",
        "playwright/execute",
        "telemetry/stream",
        "logs/stream",
        "fs",
    ];
    let kept = [
        "replays",
        "extensions",
        "telemetry",
        "telemetry/events",
        "telemetry/streamfoo",
        "fsx/read_file",
        "logs",
        "logstream",
        "processes",
    ];
    for path in direct.iter().chain(&kept) {
        call(&kernel, Method::POST, &format!("/browsers/{id}/{path}"))
            .await
            .unwrap();
    }
    call(&kernel, Method::GET, &format!("/browsers/{id}"))
        .await
        .unwrap();

    let mut expected = vec![
        format!("POST {VM_PATH}/process/exec"),
        format!("GET {VM_PATH}/fs/list_files"),
    ];
    expected.extend(direct.iter().map(|p| format!("POST {VM_PATH}/{p}")));
    assert_eq!(vm.lines(), expected);
    let mut expected = vec!["POST /browsers".to_string()];
    expected.extend(kept.iter().map(|p| format!("POST /browsers/b1/{p}")));
    expected.push("GET /browsers/b1".into());
    assert_eq!(api.lines(), expected);
    assert_eq!(vm.seen()[1].query, format!("path=%2Ftmp&jwt={JWT}"));
    assert_credentials(&api, &vm);
}

#[tokio::test]
async fn a_query_is_kept_and_a_callers_jwt_replaced() {
    let (kernel, api, vm) = setup(&["fs"]).await;
    kernel.browsers().get("b1").send().await.unwrap();
    kernel
        .request(Method::GET, "/browsers/b1/fs/read?a=1&jwt=mine&b=%2F")
        .send::<serde_json::Value>()
        .await
        .unwrap();
    assert_eq!(vm.seen()[0].query, format!("a=1&b=%2F&jwt={JWT}"));
    assert_credentials(&api, &vm);
}

#[tokio::test]
async fn the_builder_setting_chooses_what_is_routed_and_off_routes_nothing() {
    let (kernel, api, vm) = setup(&["fs"]).await;
    let id = kernel.browsers().create().send().await.unwrap().session_id;
    kernel
        .browsers()
        .process(&id)
        .exec()
        .command("ls")
        .send()
        .await
        .unwrap();
    kernel
        .browsers()
        .fs(&id)
        .list_files()
        .path("/")
        .send()
        .await
        .unwrap();
    assert_eq!(vm.lines(), [format!("GET {VM_PATH}/fs/list_files")]);
    assert_eq!(
        api.lines(),
        ["POST /browsers", "POST /browsers/b1/process/exec"]
    );

    for off in [
        BrowserRouting::Off,
        BrowserRouting::subresources([" ", "/"]),
    ] {
        let kernel = client(&api.url, off);
        let id = kernel.browsers().create().send().await.unwrap().session_id;
        assert!(kernel.browser_routes().is_empty(), "nothing is cached");
        kernel
            .browsers()
            .fs(&id)
            .list_files()
            .path("/")
            .send()
            .await
            .unwrap();
        assert_eq!(vm.seen().len(), 1, "nothing goes direct");
    }
}

#[tokio::test]
async fn other_browsers_and_the_browser_itself_stay_on_the_api() {
    let (kernel, api, vm) = setup(&["fs"]).await;
    kernel.browsers().get("b1").send().await.unwrap();
    // Another browser, and the browser itself (no subresource).
    call(&kernel, Method::GET, "/browsers/b2/fs/read")
        .await
        .unwrap();
    call(&kernel, Method::GET, "/browsers/b1/").await.unwrap();
    assert!(vm.seen().is_empty());
    assert_eq!(api.seen().len(), 3);
}

#[test]
fn env_values_mean_what_they_mean_in_the_official_sdks() {
    let list = |items: &[&str]| BrowserRouting::subresources(items);
    assert_eq!(
        BrowserRouting::from_env_value(None),
        list(DEFAULT_SUBRESOURCES)
    );
    assert_eq!(
        DEFAULT_SUBRESOURCES,
        [
            "curl",
            "telemetry/stream",
            "computer",
            "playwright",
            "process",
            "fs",
            "logs/stream"
        ]
    );
    for blank in ["", " ", " \t\n"] {
        assert_eq!(
            BrowserRouting::from_env_value(Some(blank)),
            BrowserRouting::Off
        );
    }
    assert_eq!(
        BrowserRouting::from_env_value(Some(" fs ,/logs/stream/,, curl,")),
        list(&["fs", "logs/stream", "curl"])
    );
    // Only separators: a list that routes nothing.
    assert_eq!(BrowserRouting::from_env_value(Some(",,")), list(&[]));
    assert_eq!(BrowserRouting::default(), BrowserRouting::FromEnv);
}

#[tokio::test]
async fn an_api_under_a_path_prefix_is_matched_below_it() {
    // An API under a path prefix: only what is under it is the API's.
    let vm = Server::start(super::answer).await;
    let api = Server::start(super::api(vm.vm_base())).await;
    let kernel = client(
        &format!("{}/v1", api.url),
        BrowserRouting::subresources(["fs"]),
    );
    kernel
        .browser_routes()
        .insert(kernel::routing::BrowserRoute::new("b1", vm.vm_base(), JWT));
    call(&kernel, Method::GET, "/browsers/b1/fs/read")
        .await
        .unwrap();
    assert_eq!(vm.lines(), [format!("GET {VM_PATH}/fs/read")]);
    assert!(api.seen().is_empty());
}
