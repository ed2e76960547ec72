//! What a user's first program does: a client, a browser, a list, a delete,
//! against the fake Kernel `kernel-mock` serves; and `kernel::cdp`, whose
//! connection a fake without Chromium refuses at once (501).

use kernel::prelude::*;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let fake = kernel_mock::KernelMock::start().await?;
    let kernel = Kernel::builder()
        .api_key(fake.api_key())
        .base_url(fake.base_url())
        .build()?;

    let browser = kernel
        .browsers()
        .create()
        .stealth(true)
        .timeout_seconds(120)
        .send()
        .await?;
    let listed: Vec<_> = kernel.browsers().list().items().try_collect().await?;
    assert!(
        listed.iter().any(|b| b.session_id == browser.session_id),
        "the new browser is listed"
    );
    kernel.browsers().delete(&browser.session_id).send().await?;
    match kernel.browsers().get(&browser.session_id).send().await {
        Err(e) if e.is_not_found() => {}
        other => return Err(format!("a deleted browser is still found: {other:?}").into()),
    }
    match kernel.browsers().create().connect().await {
        Err(e) if e.status().map(|s| s.as_u16()) == Some(501) => {}
        other => return Err(format!("CDP on a fake without Chromium: {other:?}").into()),
    }
    println!(
        "consumer: created, listed ({} browser) and deleted {}",
        listed.len(),
        browser.session_id
    );
    Ok(())
}
