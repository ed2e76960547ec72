//! An agent's infrastructure task on kernel-mock, end to end through the
//! `kernel` client: a pooled browser's screenshot at its viewport's size, a
//! replay that is `NotReady` while it encodes and then an MP4, and a
//! deployment that runs, whose action is invoked and reports its events.

use std::time::Duration;

use futures::StreamExt;
use kernel::types::{
    DeploymentEventKnown, DeploymentStatus, InvocationEventKnown, InvocationStatus,
};
use kernel::{Kernel, Readiness, Upload};
use kernel_mock::KernelMock;

async fn setup() -> (KernelMock, Kernel) {
    let mock = KernelMock::builder()
        .step_delay(Duration::from_millis(10))
        .heartbeat_interval(Duration::from_millis(200))
        .start()
        .await
        .unwrap();
    let kernel = kernel_testkit::client::on_fake(&mock);
    (mock, kernel)
}

/// Width and height from a PNG's IHDR chunk.
fn png_size(png: &[u8]) -> (u32, u32) {
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    assert_eq!(&png[12..16], b"IHDR");
    let word = |at: usize| u32::from_be_bytes(png[at..at + 4].try_into().unwrap());
    (word(16), word(20))
}

#[tokio::test]
async fn a_pooled_browser_is_seen_and_recorded() {
    let (_mock, kernel) = setup().await;
    kernel
        .browser_pools()
        .create()
        .name("agents")
        .size(1)
        .viewport(kernel::types::BrowserViewport {
            width: 1280,
            height: 800,
            refresh_rate: None,
        })
        .send()
        .await
        .unwrap();
    let browser = kernel
        .browser_pools()
        .acquire("agents")
        .acquire_timeout_seconds(10)
        .send()
        .await
        .unwrap()
        .expect("a warm browser");
    let id = browser.session_id.clone();

    let replay = kernel.browsers().replays(&id).start().send().await.unwrap();
    kernel
        .browsers()
        .computer(&id)
        .click_mouse()
        .x(100)
        .y(200)
        .send()
        .await
        .unwrap();
    let png = kernel
        .browsers()
        .computer(&id)
        .screenshot()
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(png_size(&png), (1280, 800));

    kernel
        .browsers()
        .replays(&id)
        .stop(&replay.replay_id)
        .send()
        .await
        .unwrap();
    let mut not_ready = 0;
    let video = loop {
        match kernel
            .browsers()
            .replays(&id)
            .download(&replay.replay_id)
            .send()
            .await
            .unwrap()
        {
            Readiness::Ready(download) => break download.bytes().await.unwrap(),
            Readiness::NotReady { retry_after } => {
                assert!(retry_after.is_some(), "202 without Retry-After");
                not_ready += 1;
                assert!(not_ready < 100, "the replay never became ready");
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    };
    assert!(not_ready > 0, "a replay just stopped is still encoding");
    assert_eq!(&video[4..8], b"ftyp");

    kernel
        .browser_pools()
        .release("agents")
        .session_id(&id)
        .send()
        .await
        .unwrap();
    let pool = kernel.browser_pools().get("agents").send().await.unwrap();
    assert_eq!(pool.acquired_count, 0);
}

#[tokio::test]
async fn a_deployed_action_is_invoked_and_reports_its_events() {
    let (_mock, kernel) = setup().await;
    // The app's code, zipped by a browser's filesystem.
    let browser = kernel.browsers().create().send().await.unwrap();
    let fs = kernel.browsers().fs(&browser.session_id);
    fs.write_file()
        .path("/tmp/app/src/app.py")
        .body("print('hi')")
        .send()
        .await
        .unwrap();
    let code = fs
        .download_dir_zip()
        .path("/tmp/app")
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();

    let deployment = kernel
        .deployments()
        .create()
        .file(Upload::bytes(code.to_vec()))
        .entrypoint_rel_path("src/app.py")
        .version("1.0.0")
        .env_vars([
            ("KERNEL_MOCK_APP_NAME", "shop"),
            ("KERNEL_MOCK_ACTIONS", "buy"),
        ])
        .send()
        .await
        .unwrap();
    let mut events = kernel
        .deployments()
        .events(&deployment.id)
        .send()
        .await
        .unwrap();
    let mut statuses = Vec::new();
    while let Some(event) = tokio::time::timeout(Duration::from_secs(10), events.next())
        .await
        .expect("the deployment stream ends")
    {
        if let kernel::types::DeploymentEvent::Known(DeploymentEventKnown::DeploymentStateEvent(
            state,
        )) = event.unwrap()
        {
            statuses.push(state.deployment.status);
        }
    }
    assert_eq!(
        statuses.last(),
        Some(&DeploymentStatus::Running),
        "{statuses:?}"
    );

    let invocation = kernel
        .invocations()
        .create()
        .app_name("shop")
        .version("1.0.0")
        .action_name("buy")
        .payload("{}")
        .send()
        .await
        .unwrap();
    let mut events = kernel
        .invocations()
        .events(&invocation.id)
        .send()
        .await
        .unwrap();
    let (mut logs, mut last) = (0, None);
    while let Some(event) = tokio::time::timeout(Duration::from_secs(10), events.next())
        .await
        .expect("the invocation stream ends")
    {
        match event.unwrap() {
            kernel::types::InvocationEvent::Known(InvocationEventKnown::LogEvent(_)) => logs += 1,
            kernel::types::InvocationEvent::Known(InvocationEventKnown::InvocationStateEvent(
                state,
            )) => last = Some(state.invocation.status),
            _ => {}
        }
    }
    assert!(logs > 0);
    assert_eq!(last, Some(InvocationStatus::Succeeded));

    let unknown = kernel
        .invocations()
        .create()
        .app_name("shop")
        .version("1.0.0")
        .action_name("sell")
        .send()
        .await
        .unwrap_err();
    assert!(unknown.is_not_found(), "{unknown:?}");
}
