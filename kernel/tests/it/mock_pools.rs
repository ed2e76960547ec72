//! A browser pool in kernel-mock, end to end through the `kernel` client:
//! three tasks share a pool of two, the third long-polls until one of the
//! others releases its browser.

use std::time::{Duration, Instant};

use kernel_mock::KernelMock;

/// How long each task holds its browser.
const HOLD: Duration = Duration::from_millis(300);

#[tokio::test]
async fn three_tasks_share_a_pool_of_two() {
    let mock = KernelMock::builder()
        .step_delay(Duration::from_millis(20))
        .start()
        .await
        .unwrap();
    let kernel = kernel_testkit::client::on_fake(&mock);
    let pool = kernel
        .browser_pools()
        .create()
        .name("trio")
        .size(2)
        .send()
        .await
        .unwrap();
    assert_eq!(pool.available_count, 0);
    let deadline = Instant::now() + Duration::from_secs(5);
    while kernel
        .browser_pools()
        .get("trio")
        .send()
        .await
        .unwrap()
        .available_count
        < 2
    {
        assert!(Instant::now() < deadline, "the pool did not warm");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }

    let started = Instant::now();
    let tasks: Vec<_> = (0..3)
        .map(|_| {
            let kernel = kernel.clone();
            let pool_id = pool.id.clone();
            tokio::spawn(async move {
                let pools = kernel.browser_pools();
                // 100 API seconds are 2 s on the mock's clock: one long
                // poll outlasts a hold; a 204 would just be retried.
                let browser = loop {
                    let acquired = pools
                        .acquire(&pool_id)
                        .acquire_timeout_seconds(100)
                        .send()
                        .await
                        .unwrap();
                    if let Some(browser) = acquired {
                        break browser;
                    }
                };
                let got_at = started.elapsed();
                assert_eq!(
                    browser.pool.as_ref().map(|p| p.id.as_str()),
                    Some(pool_id.as_str())
                );
                tokio::time::sleep(HOLD).await;
                pools
                    .release(&pool_id)
                    .session_id(&browser.session_id)
                    .send()
                    .await
                    .unwrap();
                (got_at, browser.session_id)
            })
        })
        .collect();
    let mut results = Vec::new();
    for task in tasks {
        results.push(task.await.unwrap());
    }
    results.sort();
    let [(first_at, first), (second_at, second), (third_at, third)] = &results[..] else {
        panic!("three results: {results:?}");
    };
    assert!(
        *second_at < HOLD / 2,
        "two got browsers at once: {results:?}"
    );
    assert!(*first_at < HOLD / 2);
    assert_ne!(first, second);
    assert!(
        *third_at >= HOLD,
        "the third waited for a release: {results:?}"
    );
    assert!(
        third == first || third == second,
        "and got a released browser: {results:?}"
    );
    assert_eq!(
        mock.request_count("acquireFromBrowserPoolByIdOrName"),
        3,
        "the third waited in one long poll"
    );
    let pool = kernel.browser_pools().get(&pool.id).send().await.unwrap();
    assert_eq!((pool.available_count, pool.acquired_count), (2, 0));
    kernel.browser_pools().delete("trio").send().await.unwrap();
}
