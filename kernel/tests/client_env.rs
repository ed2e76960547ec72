//! `Kernel::from_env` and the routing variable. Alone in its test binary, each
//! test holding a static mutex, so no other test reads the environment while it
//! changes.

mod common;

use common::{browser_json, API_KEY};
use kernel::{Error, Kernel};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

static ENV: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn set(name: &str, value: Option<&str>) {
    match value {
        Some(v) => std::env::set_var(name, v),
        None => std::env::remove_var(name),
    }
}

#[tokio::test]
async fn from_env_reads_the_api_key_and_base_url() {
    let _guard = ENV.lock().await;
    let saved_key = std::env::var("KERNEL_API_KEY").ok();
    let saved_url = std::env::var("KERNEL_BASE_URL").ok();

    // No key: a configuration error that says what to do.
    set("KERNEL_API_KEY", None);
    set("KERNEL_BASE_URL", None);
    match Kernel::from_env() {
        Err(Error::Config(message)) => {
            assert!(
                message.contains("KERNEL_API_KEY"),
                "the message must name the variable: {message}"
            );
        }
        other => panic!("expected Error::Config, got {other:?}"),
    }
    // A blank key is no key.
    set("KERNEL_API_KEY", Some("   "));
    assert!(matches!(Kernel::from_env(), Err(Error::Config(_))));
    // Through the builder as well.
    assert!(matches!(
        Kernel::builder().from_env(),
        Err(Error::Config(_))
    ));

    // A key and no base URL: the production API.
    set("KERNEL_API_KEY", Some(API_KEY));
    let kernel = Kernel::from_env().unwrap();
    assert_eq!(kernel.base_url(), kernel::config::DEFAULT_BASE_URL);
    // A blank base URL is ignored.
    set("KERNEL_BASE_URL", Some(""));
    assert_eq!(
        Kernel::from_env().unwrap().base_url(),
        kernel::config::DEFAULT_BASE_URL
    );

    // KERNEL_BASE_URL is honoured, and the key is sent.
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/browsers/env"))
        .and(header(
            "authorization",
            format!("Bearer {API_KEY}").as_str(),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(browser_json("env")))
        .expect(2)
        .mount(&server)
        .await;
    set("KERNEL_BASE_URL", Some(&server.uri()));
    let kernel = Kernel::from_env().unwrap();
    assert_eq!(kernel.base_url(), server.uri());
    assert_eq!(
        kernel
            .browsers()
            .get("env")
            .send()
            .await
            .unwrap()
            .session_id,
        "env"
    );
    // The builder's other settings combine with the environment.
    let kernel = Kernel::builder()
        .user_agent("env-test")
        .from_env()
        .unwrap()
        .build()
        .unwrap();
    kernel.browsers().get("env").send().await.unwrap();
    let received = server.received_requests().await.unwrap();
    assert_eq!(received[1].headers.get("user-agent").unwrap(), "env-test");

    set("KERNEL_API_KEY", saved_key.as_deref());
    set("KERNEL_BASE_URL", saved_url.as_deref());
}

/// `KERNEL_BROWSER_ROUTING_SUBRESOURCES`, read when the client is built:
/// unset is the default list, a list replaces it, blank turns routing off,
/// and the builder's setting wins over it.
#[tokio::test]
async fn the_routing_variable_is_read_at_build_and_the_builder_wins() {
    use kernel::routing::{BrowserRouting, ENV_VAR};
    let _guard = ENV.lock().await;
    let saved = std::env::var(ENV_VAR).ok();
    let api = MockServer::start().await;
    let vm = MockServer::start().await;
    let mut browser = browser_json("b1");
    browser["base_url"] = serde_json::json!(vm.uri());
    browser["cdp_ws_url"] = serde_json::json!("wss://cdp.example/b1?jwt=tok");
    Mock::given(method("GET"))
        .and(path("/browsers/b1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(browser))
        .mount(&api)
        .await;
    for server in [&api, &vm] {
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({})))
            .mount(server)
            .await;
    }
    // Where `process/exec` and `computer/batch` go, for a client built now.
    let sent = |builder: kernel::KernelBuilder| {
        let (api, vm) = (&api, &vm);
        async move {
            let kernel = builder
                .api_key(API_KEY)
                .base_url(api.uri())
                .build()
                .unwrap();
            kernel.browsers().get("b1").send().await.unwrap();
            let on_vm = || async move { vm.received_requests().await.unwrap().len() };
            let start = on_vm().await;
            let browser = kernel.browser_session("b1");
            browser.process().exec().command("ls").send().await.unwrap();
            let after_process = on_vm().await;
            kernel
                .request(reqwest::Method::POST, "/browsers/b1/computer/batch")
                .send::<serde_json::Value>()
                .await
                .unwrap();
            (after_process > start, on_vm().await > after_process)
        }
    };
    set(ENV_VAR, None);
    assert_eq!(sent(Kernel::builder()).await, (true, true), "the defaults");
    set(ENV_VAR, Some("computer"));
    assert_eq!(
        sent(Kernel::builder()).await,
        (false, true),
        "the variable's list"
    );
    set(ENV_VAR, Some("  "));
    assert_eq!(sent(Kernel::builder()).await, (false, false), "blank: off");
    let builder = Kernel::builder().browser_routing(BrowserRouting::subresources(["process"]));
    assert_eq!(sent(builder).await, (true, false), "the builder wins");
    let off = Kernel::builder().browser_routing(BrowserRouting::Off);
    set(ENV_VAR, Some("process,computer"));
    assert_eq!(sent(off).await, (false, false), "off wins too");
    // Read at build, not per call.
    let kernel = Kernel::builder()
        .api_key(API_KEY)
        .base_url(api.uri())
        .build()
        .unwrap();
    set(ENV_VAR, Some(""));
    kernel.browsers().get("b1").send().await.unwrap();
    let before = vm.received_requests().await.unwrap().len();
    kernel
        .browser_session("b1")
        .process()
        .exec()
        .command("ls")
        .send()
        .await
        .unwrap();
    assert_eq!(vm.received_requests().await.unwrap().len(), before + 1);
    set(ENV_VAR, saved.as_deref());
}
