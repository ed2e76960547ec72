//! A browser agent's round trip over CDP: open a page, fill its form, read
//! the result, take a screenshot through the computer API, delete the
//! browser.
//!
//! ```text
//! cargo run --example browse
//! ```
//!
//! Without `KERNEL_API_KEY` it runs offline: the example serves a page on
//! 127.0.0.1 and starts the embedded fake Kernel backed by a real headless
//! Chromium (`KERNEL_MOCK_CHROMIUM`, else `chromium` on `PATH`; without one
//! it says how to install it and exits non-zero). With a key it uses the
//! real API; a cloud browser cannot reach this machine's 127.0.0.1, so it
//! loads the same page as its content instead. The screenshot is saved to
//! `BROWSE_SCREENSHOT` (default `browse.png`).

use std::process::ExitCode;
use std::time::{Duration, Instant};

use kernel::cdp::chromiumoxide::Page;
use kernel::cdp::Session;
use kernel::Kernel;

/// The page the agent works on: a form whose button writes a greeting.
const PAGE: &str = r#"<!doctype html>
<html><head><title>Greeter</title>
<style>body{font:20px sans-serif;background:#f6e7c1;margin:40px}
#result{margin-top:20px;padding:12px;background:#2d6a4f;color:#fff}</style></head>
<body><h1>Greeter</h1>
<form id="form" onsubmit="event.preventDefault();
  document.getElementById('result').textContent = 'Hello, ' + document.getElementById('name').value + '!';">
<input id="name" name="name" placeholder="Your name" autofocus>
<button id="go" type="submit">Greet</button></form>
<div id="result"></div></body></html>"#;

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("browse: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Where the agent runs, and what keeps it up.
enum Backend {
    Real,
    Fake {
        _kernel: kernel_mock::KernelMock,
        _site: tokio::task::JoinHandle<()>,
        page_url: String,
    },
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let (kernel, backend) = if std::env::var("KERNEL_API_KEY").is_ok_and(|k| !k.trim().is_empty()) {
        let kernel = Kernel::from_env()?;
        println!("Using the Kernel API at {}", kernel.base_url());
        (kernel, Backend::Real)
    } else {
        let Some(chromium) = kernel_mock::find_chromium() else {
            return Err("no Chromium found for the offline fake: install it \
                 (`apt-get install chromium`), or set KERNEL_MOCK_CHROMIUM to its path, \
                 or set KERNEL_API_KEY to use the real API"
                .into());
        };
        let (page_url, site) = serve_page().await?;
        let fake = kernel_mock::KernelMock::builder()
            .chromium(&chromium)
            .start()
            .await?;
        println!(
            "No KERNEL_API_KEY: the embedded fake Kernel at {}, backed by {}",
            fake.base_url(),
            chromium.display()
        );
        let kernel = Kernel::builder()
            .api_key(fake.api_key())
            .base_url(fake.base_url())
            .build()?;
        (
            kernel,
            Backend::Fake {
                _kernel: fake,
                _site: site,
                page_url,
            },
        )
    };

    // 1. A browser, connected over CDP as soon as it answers.
    let started = Instant::now();
    let session = kernel
        .browsers()
        .create()
        .headless(true)
        .timeout_seconds(120)
        .viewport(
            kernel::types::BrowserViewport::builder()
                .width(1024)
                .height(768),
        )
        .connect()
        .await?;
    println!(
        "1. Browser {} connected over CDP in {:.0?}",
        session.id(),
        started.elapsed()
    );

    // Closed on every path, so a failed step never leaves a browser
    // running (and billed) until its timeout.
    let worked = agent(&kernel, &session, &backend).await;
    let id = session.id().to_owned();
    let closed = session.close().await;
    worked?;
    closed?;

    // 5. The browser went with the session.
    match kernel.browsers().get(&id).send().await {
        Ok(found) if found.deleted_at.is_none() => {
            return Err(format!("browser {id} still exists after close").into())
        }
        Ok(_) => {}
        Err(e) if e.is_not_found() => {}
        Err(e) => return Err(e.into()),
    }
    println!("5. Closed the session; browser {id} is deleted");
    drop(backend);
    Ok(())
}

/// Steps 2 to 4 on the connected browser.
async fn agent(
    kernel: &Kernel,
    session: &Session,
    backend: &Backend,
) -> Result<(), Box<dyn std::error::Error>> {
    let page = session.page().await?;

    // 2. The page: served locally on the fake, loaded as content on the
    //    real API.
    match backend {
        Backend::Fake { page_url, .. } => {
            page.goto(page_url.as_str()).await?;
            println!("2. Opened {page_url}");
        }
        Backend::Real => {
            page.set_content(PAGE).await?;
            println!("2. Loaded the page as content");
        }
    }
    let title = page.get_title().await?.unwrap_or_default();
    println!("   title: {title:?}");

    // 3. Fill the form and read the result.
    let greeting = fill_form(&page, "Ada").await?;
    println!("3. Filled the form: the page says {greeting:?}");
    if greeting != "Hello, Ada!" {
        return Err(format!("unexpected greeting {greeting:?}").into());
    }

    // 4. A screenshot through Kernel's computer API, not CDP: what a
    //    vision model would see.
    let path = std::env::var("BROWSE_SCREENSHOT").unwrap_or_else(|_| "browse.png".to_owned());
    let bytes = kernel
        .browsers()
        .computer(session.id())
        .screenshot()
        .send()
        .await?
        .save_to(&path)
        .await?;
    println!("4. Saved a {bytes}-byte screenshot to {path}");
    Ok(())
}

/// Types `name` into the form, submits it and waits (bounded) for the
/// greeting.
async fn fill_form(page: &Page, name: &str) -> Result<String, Box<dyn std::error::Error>> {
    page.find_element("#name")
        .await?
        .click()
        .await?
        .type_str(name)
        .await?;
    page.find_element("#go").await?.click().await?;
    let until = Instant::now() + Duration::from_secs(10);
    loop {
        let text: String = page
            .evaluate("document.getElementById('result').textContent")
            .await?
            .into_value()?;
        if !text.is_empty() {
            return Ok(text);
        }
        if Instant::now() >= until {
            return Err("the form showed no result within 10 s".into());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Serves [`PAGE`] on 127.0.0.1 until the example ends.
async fn serve_page() -> std::io::Result<(String, tokio::task::JoinHandle<()>)> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/", listener.local_addr()?);
    let app = axum::Router::new().route(
        "/",
        axum::routing::get(|| async { axum::response::Html(PAGE) }),
    );
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok((url, server))
}
