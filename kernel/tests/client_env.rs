//! `Kernel::from_env`. Alone in its test binary and in one test (guarded by a
//! static mutex too), so no other test reads the environment while it changes.

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
