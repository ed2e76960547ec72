//! A retry herd: 500 concurrent calls against a server answering `429`
//! with `Retry-After: 1` for 2.7 s came back in three lockstep waves exactly
//! 1 s apart (1500 requests), and all failed.

use crate::common;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const CALLS: usize = 500;
const BUCKET: Duration = Duration::from_millis(100);

struct Server {
    started: Instant,
    arrivals: Mutex<Vec<Duration>>,
}

async fn overloaded(State(server): State<Arc<Server>>) -> Response {
    let at = server.started.elapsed();
    server.arrivals.lock().unwrap().push(at);
    if at < Duration::from_millis(2700) {
        (
            StatusCode::TOO_MANY_REQUESTS,
            [("retry-after", "1")],
            "slow down",
        )
            .into_response()
    } else {
        axum::Json(common::browser_json("b")).into_response()
    }
}

/// Arrivals per 100 ms, printed for the record, and the checks: fewer
/// requests than calls × attempts, and no wave of retries arriving together.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_calls_told_to_wait_do_not_return_as_a_herd() {
    let server = Arc::new(Server {
        started: Instant::now(),
        arrivals: Mutex::new(Vec::new()),
    });
    let router = axum::Router::new()
        .route("/browsers/{id}", get(overloaded))
        .with_state(server.clone());
    let base = common::serve(router).await;
    // The default policy: 2 retries, a client-wide quota.
    let kernel = kernel::Kernel::builder()
        .api_key(common::API_KEY)
        .base_url(&base)
        .build()
        .unwrap();
    let calls = (0..CALLS).map(|i| {
        let kernel = kernel.clone();
        tokio::spawn(async move { kernel.browsers().get(format!("b{i}")).send().await })
    });
    let results = tokio::time::timeout(Duration::from_secs(20), futures::future::join_all(calls))
        .await
        .expect("every call ends");
    let failed = results
        .iter()
        .filter(|r| r.as_ref().unwrap().is_err())
        .count();
    let arrivals = server.arrivals.lock().unwrap().clone();
    let mut buckets = std::collections::BTreeMap::<u128, usize>::new();
    for at in &arrivals {
        *buckets
            .entry(at.as_millis() / BUCKET.as_millis())
            .or_default() += 1;
    }
    eprintln!(
        "{} requests for {CALLS} calls, {failed} failed; per 100 ms: {buckets:?}",
        arrivals.len()
    );
    assert!(
        arrivals.len() < CALLS * 2,
        "the quota keeps retries well below 2 per call: {} requests",
        arrivals.len()
    );
    let first_wave_end = arrivals
        .iter()
        .take(CALLS)
        .max()
        .copied()
        .unwrap_or_default();
    let largest_retry_bucket = buckets
        .iter()
        .filter(|(bucket, _)| **bucket * BUCKET.as_millis() > first_wave_end.as_millis())
        .map(|(_, n)| *n)
        .max()
        .unwrap_or(0);
    assert!(
        largest_retry_bucket < CALLS / 4,
        "retries are spread out: {largest_retry_bucket} arrived in one 100 ms"
    );
}

/// `Retry-After: 0` retried after 2 ms: the floor holds it back.
#[tokio::test]
async fn retry_after_zero_waits_the_floor() {
    let server = Arc::new(Server {
        started: Instant::now(),
        arrivals: Mutex::new(Vec::new()),
    });
    let router = axum::Router::new()
        .route(
            "/browsers/{id}",
            get(|State(server): State<Arc<Server>>| async move {
                let mut arrivals = server.arrivals.lock().unwrap();
                arrivals.push(server.started.elapsed());
                if arrivals.len() == 1 {
                    (StatusCode::TOO_MANY_REQUESTS, [("retry-after", "0")], "now").into_response()
                } else {
                    axum::Json(common::browser_json("b")).into_response()
                }
            }),
        )
        .with_state(server.clone());
    let base = common::serve(router).await;
    let kernel = kernel::Kernel::builder()
        .api_key(common::API_KEY)
        .base_url(&base)
        .build()
        .unwrap();
    kernel.browsers().get("b").send().await.unwrap();
    let arrivals = server.arrivals.lock().unwrap().clone();
    assert_eq!(arrivals.len(), 2);
    let gap = arrivals[1] - arrivals[0];
    assert!(
        gap >= kernel.retry_policy().min_backoff,
        "waited {gap:?}, the floor is {:?}",
        kernel.retry_policy().min_backoff
    );
}
