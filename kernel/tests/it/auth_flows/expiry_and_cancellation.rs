//! Expiry, cancellation (of `run` and of the stream API) and a dropped run
//! future leaving nothing running.

use super::{connection, count, mock, start, submits, NeverAnswers, NeverAsked, EVENTS_OP, STEP};
use kernel::auth::{FlowState, Outcome};
use kernel_mock::{FaultRule, KernelMock};
use kernel_testkit::client::{on_fake, within};
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

#[tokio::test]
async fn expiry() {
    let mock = KernelMock::builder()
        .step_delay(STEP)
        .flow_ttl(Duration::from_secs(1))
        .start()
        .await
        .unwrap();
    let kernel = on_fake(&mock);
    let id = connection(&kernel, "slow.example", "slow").await;
    let started = Instant::now();
    let outcome = within(
        Duration::from_secs(10),
        start(&kernel, &id).await.run(&mut NeverAsked),
    )
    .await
    .unwrap();
    assert_eq!(outcome, Outcome::Expired);
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn cancel_while_waiting_for_input() {
    let mock = mock().await;
    let kernel = on_fake(&mock);
    let id = connection(&kernel, "password.example", "cancel").await;
    let flow = start(&kernel, &id).await;
    let cancel = flow.cancel_handle();
    let (asked, asked_rx) = oneshot::channel();
    tokio::spawn(async move {
        asked_rx.await.unwrap();
        tokio::time::sleep(Duration::from_millis(50)).await;
        cancel.cancel();
    });
    let outcome = within(
        Duration::from_secs(10),
        flow.run(&mut NeverAnswers(Some(asked))),
    )
    .await
    .unwrap();
    assert_eq!(outcome, Outcome::Canceled);
    assert!(submits(&mock, &id).is_empty());
}

#[tokio::test]
async fn cancel_the_stream_api() {
    let mock = mock().await;
    let kernel = on_fake(&mock);
    let id = connection(&kernel, "slow.example", "cancel-stream").await;
    let mut flow = start(&kernel, &id).await;
    let cancel = flow.cancel_handle();
    let first = within(Duration::from_secs(10), flow.next_state())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(first, FlowState::Discovering);
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(50)).await;
        cancel.cancel();
    });
    let next = within(Duration::from_secs(5), flow.next_state())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(next, FlowState::Canceled);
    assert!(
        flow.next_state().await.is_none(),
        "the stream ends after CANCELED"
    );
}

/// Dropping `run` (here through a timeout) stops everything: no task left
/// on the client's runtime, no more requests, no panic. The mock runs on its
/// own runtime so the client runtime's tasks can be counted.
#[test]
fn dropping_the_run_future_leaves_nothing_running() {
    let server = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let mock = server
        .block_on(KernelMock::builder().step_delay(STEP).start())
        .unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let http = reqwest::Client::builder().pool_max_idle_per_host(0).build().unwrap();
        let kernel = kernel_testkit::client::builder(&mock).http_client(http).build().unwrap();
        // While following the event stream and waiting in the handler.
        let id = connection(&kernel, "password.example", "dropped-sse").await;
        let flow = start(&kernel, &id).await;
        let (asked, asked_rx) = oneshot::channel();
        let mut handler = NeverAnswers(Some(asked));
        let run = flow.run(&mut handler);
        let timed = tokio::time::timeout(Duration::from_secs(5), async {
            tokio::select! {
                result = run => panic!("run ended: {result:?}"),
                _ = async { asked_rx.await.unwrap(); tokio::time::sleep(Duration::from_millis(50)).await } => {}
            }
        });
        timed.await.expect("asked for input");
        // While polling (the event stream is unavailable).
        let id = connection(&kernel, "slow.example", "dropped-poll").await;
        mock.faults().inject(FaultRule::status(404).operation(EVENTS_OP));
        let flow = start(&kernel, &id).await;
        assert!(tokio::time::timeout(Duration::from_millis(400), flow.run(&mut NeverAsked)).await.is_err());
        let polls = count(&mock, "GET", &format!("/auth/connections/{id}"));
        assert!(polls >= 2, "it was polling: {polls}");
        tokio::time::sleep(Duration::from_millis(300)).await;
        let before = mock.requests().len();
        tokio::time::sleep(Duration::from_millis(400)).await;
        assert_eq!(mock.requests().len(), before, "no request after the flow was dropped");
        assert_eq!(tokio::runtime::Handle::current().metrics().num_alive_tasks(), 0, "no task left running");
    });
    drop(runtime);
    drop(mock);
    drop(server);
}
