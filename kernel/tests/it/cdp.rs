//! `kernel::cdp` end to end: browsers on kernel-mock backed by a real
//! headless Chromium, driven over CDP through the fake's `cdp_ws_url`.
//!
//! Chromium comes from `kernel_mock::find_chromium()` (`KERNEL_MOCK_CHROMIUM`
//! or `PATH`). Without it these tests fail, saying how to install it.

use kernel_testkit::client::on_fake;
use std::time::{Duration, Instant};

use kernel::cdp::chromiumoxide::Page;
use kernel::types::{Browser, BrowserViewport};
use kernel::{Error, JwtUrl, Kernel};
use kernel_mock::KernelMock;
use tokio::net::TcpListener;

const PAGE: &str = r#"<!doctype html><html><head><title>CDP test</title></head>
<body style="margin:0;background:#1b4965">
<button id="b" style="position:absolute;left:40px;top:40px;width:200px;height:80px"
  onclick="document.getElementById('out').textContent = 'clicked'">Click</button>
<div id="out" style="position:absolute;top:200px;color:#fff">waiting</div>
<input id="name" style="position:absolute;left:40px;top:300px;width:200px">
</body></html>"#;

fn chromium() -> std::path::PathBuf {
    kernel_mock::find_chromium()
        .expect("Chromium is not installed: apt-get install chromium (or set KERNEL_MOCK_CHROMIUM)")
}

async fn setup() -> (KernelMock, Kernel) {
    let mock = KernelMock::builder()
        .chromium(chromium())
        .step_delay(Duration::from_millis(10))
        .start()
        .await
        .unwrap();
    let kernel = on_fake(&mock);
    (mock, kernel)
}

/// Serves [`PAGE`] on 127.0.0.1 for the test's lifetime.
async fn serve_page() -> (String, tokio::task::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    let app = axum::Router::new().route(
        "/",
        axum::routing::get(|| async { axum::response::Html(PAGE) }),
    );
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (url, server)
}

async fn text_of(page: &Page, id: &str) -> String {
    page.evaluate(format!("document.getElementById('{id}').textContent"))
        .await
        .unwrap()
        .into_value()
        .unwrap()
}

/// The decoded PNG's size and whether it has more than one colour.
fn png_facts(png: &[u8]) -> (u32, u32, bool) {
    let decoder = png::Decoder::new(std::io::Cursor::new(png));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let pixels = &buf[..info.buffer_size()];
    let step = info.color_type.samples();
    let first = &pixels[..step];
    let varied = pixels.chunks(step).any(|p| p != first);
    (info.width, info.height, varied)
}

async fn screenshot(kernel: &Kernel, id: &str) -> Vec<u8> {
    let shot = kernel.browsers().computer(id).screenshot().send().await;
    shot.unwrap().bytes().await.unwrap().to_vec()
}

#[tokio::test]
async fn a_page_is_driven_over_cdp_and_seen_through_the_computer_api() {
    let (_mock, kernel) = setup().await;
    let (url, _site) = serve_page().await;
    let started = Instant::now();
    let session = kernel
        .browsers()
        .create()
        .viewport(BrowserViewport::builder().width(800).height(600))
        .connect()
        .await
        .unwrap();
    let page = session.page().await.unwrap();
    eprintln!("create() to a usable page: {:?}", started.elapsed());

    let blank = screenshot(&kernel, session.id()).await;
    page.goto(url.as_str()).await.unwrap();
    assert_eq!(page.get_title().await.unwrap().as_deref(), Some("CDP test"));
    let sum: i64 = page.evaluate("6 * 7").await.unwrap().into_value().unwrap();
    assert_eq!(sum, 42);

    // A click over CDP changes the DOM.
    assert_eq!(text_of(&page, "out").await, "waiting");
    page.find_element("#b")
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    assert_eq!(text_of(&page, "out").await, "clicked");

    // The computer API's screenshot is the same page, at the viewport's size.
    let (width, height, varied) = png_facts(&screenshot(&kernel, session.id()).await);
    assert_eq!((width, height), (800, 600));
    assert!(varied, "the screenshot after navigating is one flat colour");
    let (_, _, blank_varied) = png_facts(&blank);
    assert!(!blank_varied, "about:blank should be one flat colour");

    let id = session.id().to_owned();
    session.close().await.unwrap();
    assert!(is_gone(&kernel, &id).await, "close() left browser {id}");
}

/// The browser is deleted, or comes back with `deleted_at`.
async fn is_gone(kernel: &Kernel, id: &str) -> bool {
    match kernel.browsers().get(id).send().await {
        Ok(browser) => browser.deleted_at.is_some(),
        Err(e) => e.is_not_found(),
    }
}

#[tokio::test]
async fn a_session_dropped_without_close_deletes_its_browser_in_the_background() {
    let (_mock, kernel) = setup().await;
    let session = kernel.browsers().create().connect().await.unwrap();
    let id = session.id().to_owned();
    drop(session);
    let until = Instant::now() + Duration::from_secs(10);
    while !is_gone(&kernel, &id).await {
        assert!(
            Instant::now() < until,
            "browser {id} still there 10 s after the drop"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_kept_browser_outlives_its_session() {
    let (_mock, kernel) = setup().await;
    let browser = kernel.browsers().create().send().await.unwrap();
    let session = kernel.cdp(&browser).keep_browser().send().await.unwrap();
    assert!(session.page().await.unwrap().evaluate("1").await.is_ok());
    session.close().await.unwrap();
    assert!(!is_gone(&kernel, &browser.session_id).await);
    // A second connection to the same browser works.
    let again = kernel.cdp(&browser).send().await.unwrap();
    again.close().await.unwrap();
    assert!(is_gone(&kernel, &browser.session_id).await);
}

/// `browser` with its `cdp_ws_url` rewritten by `f`.
fn with_url(browser: &Browser, f: impl FnOnce(&str) -> String) -> Browser {
    let mut copy = browser.clone();
    copy.cdp_ws_url = JwtUrl::new(f(browser.cdp_ws_url.expose()));
    copy
}

#[tokio::test]
async fn a_wrong_token_is_refused_at_once_and_never_shown() {
    let (_mock, kernel) = setup().await;
    let browser = kernel.browsers().create().send().await.unwrap();
    let url = browser.cdp_ws_url.expose().to_owned();
    let (base, jwt) = url.split_once("jwt=").expect("cdp_ws_url has a jwt");
    let forged = format!("{jwt}x");
    let wrong = with_url(&browser, |_| format!("{base}jwt={forged}"));
    let started = Instant::now();
    let err = kernel
        .cdp(&wrong)
        .deadline(Duration::from_secs(30))
        .send()
        .await
        .unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "a refusal was retried"
    );
    assert!(err.is_auth(), "{err:?}");
    for shown in [err.to_string(), format!("{err:?}")] {
        assert!(!shown.contains(jwt) && !shown.contains(&forged), "{shown}");
    }
    // The right token still works, and the session's Debug hides it.
    let session = kernel.cdp(&browser).send().await.unwrap();
    assert!(!format!("{session:?}").contains(jwt));
    session.close().await.unwrap();
}

/// A port nothing listens on (the OS just handed it out and took it back).
fn free_port() -> u16 {
    let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    probe.local_addr().unwrap().port()
}

/// `browser` with its `cdp_ws_url` on 127.0.0.1:`port`, path and token kept.
fn on_port(browser: &Browser, port: u16) -> Browser {
    with_url(browser, |url| {
        let authority = url.split('/').nth(2).unwrap();
        url.replacen(authority, &format!("127.0.0.1:{port}"), 1)
    })
}

#[tokio::test]
async fn connecting_retries_until_the_endpoint_answers() {
    let (_mock, kernel) = setup().await;
    let browser = kernel.browsers().create().send().await.unwrap();
    let target = browser.cdp_ws_url.expose().to_owned();
    let authority = target.split('/').nth(2).unwrap().to_owned();
    // A port that refuses connections for its first half second, then
    // forwards to the fake: a browser still warming up.
    let port = free_port();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let listener = TcpListener::bind(("127.0.0.1", port)).await.unwrap();
        loop {
            let (mut inbound, _) = listener.accept().await.unwrap();
            let authority = authority.clone();
            tokio::spawn(async move {
                let mut outbound = tokio::net::TcpStream::connect(authority).await.unwrap();
                let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
            });
        }
    });
    let late = on_port(&browser, port);
    let started = Instant::now();
    let session = kernel
        .cdp(&late)
        .deadline(Duration::from_secs(20))
        .send()
        .await
        .unwrap();
    assert!(started.elapsed() >= Duration::from_millis(500));
    assert!(session.page().await.unwrap().evaluate("1").await.is_ok());
    session.close().await.unwrap();
}

#[tokio::test]
async fn connecting_gives_up_at_the_deadline() {
    let (_mock, kernel) = setup().await;
    let browser = kernel.browsers().create().send().await.unwrap();
    let nowhere = on_port(&browser, free_port());
    let started = Instant::now();
    let err = kernel
        .cdp(&nowhere)
        .deadline(Duration::from_millis(800))
        .send()
        .await
        .unwrap_err();
    let took = started.elapsed();
    assert!(matches!(err, Error::Timeout(_)), "{err:?}");
    assert!(
        took >= Duration::from_millis(800) && took < Duration::from_secs(5),
        "{took:?}"
    );
    assert!(err.to_string().contains("attempts"), "{err}");
}

#[tokio::test]
async fn create_then_connect_deletes_the_browser_when_cdp_is_refused() {
    // Without Chromium the fake's CDP endpoint answers 501.
    let mock = KernelMock::builder().start().await.unwrap();
    let kernel = on_fake(&mock);
    let err = kernel.browsers().create().connect().await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(501), "{err:?}");
    let left: Vec<Browser> = kernel.browsers().list().send().await.unwrap();
    assert!(left.iter().all(|b| b.deleted_at.is_some()), "{left:?}");
}

#[tokio::test]
async fn a_profile_keeps_its_cookie_for_the_next_browser() {
    let (_mock, kernel) = setup().await;
    let (url, _site) = serve_page().await;
    kernel
        .profiles()
        .create()
        .name("cdp-cookies")
        .send()
        .await
        .unwrap();
    let with_profile = || {
        kernel.browsers().create().profile(
            kernel::types::BrowserProfile::builder()
                .name(
                    "cdp-cookies"
                        .parse::<kernel::types::BrowserProfileName>()
                        .unwrap(),
                )
                .save_changes(true),
        )
    };
    let first = with_profile().connect().await.unwrap();
    let page = first.page().await.unwrap();
    page.goto(url.as_str()).await.unwrap();
    page.evaluate(
        "document.cookie = 'session=logged-in; max-age=3600'; localStorage.setItem('user', 'ada')",
    )
    .await
    .unwrap();
    first.close().await.unwrap();

    let second = with_profile().connect().await.unwrap();
    let page = second.page().await.unwrap();
    page.goto(url.as_str()).await.unwrap();
    let cookie: String = page
        .evaluate("document.cookie")
        .await
        .unwrap()
        .into_value()
        .unwrap();
    let user: String = page
        .evaluate("localStorage.getItem('user') || ''")
        .await
        .unwrap()
        .into_value()
        .unwrap();
    assert!(cookie.contains("session=logged-in"), "{cookie:?}");
    assert_eq!(user, "ada");
    second.close().await.unwrap();
}

#[tokio::test]
async fn a_wss_url_goes_through_tls_and_a_server_without_it_is_an_error() {
    let (_mock, kernel) = setup().await;
    let browser = kernel.browsers().create().send().await.unwrap();
    // A server that answers the TLS handshake with plain text.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            use tokio::io::AsyncWriteExt;
            let _ = socket.write_all(b"HTTP/1.1 400 Bad Request\r\n\r\n").await;
        }
    });
    let tls = with_url(&on_port(&browser, port), |url| {
        url.replacen("ws://", "wss://", 1)
    });
    let err = kernel
        .cdp(&tls)
        .deadline(Duration::from_millis(600))
        .send()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Timeout(_)), "{err:?}");
    let text = err.to_string();
    assert!(
        text.contains("last attempt"),
        "the TLS failure is kept: {text}"
    );
    kernel
        .browsers()
        .delete(&browser.session_id)
        .send()
        .await
        .unwrap();
}
