//! Prism and the fake agree: the call table Prism checks against the spec
//! (`calls::calls`) runs against an in-process `kernel_mock::KernelMock`, and
//! every call must get the documented primary response, decoded into the
//! generated type (streams and binary bodies read to the end).
//!
//! The fake only answers for resources it holds, so [`setup`] creates each
//! resource the calls name and the calls get their [`Ids`]. The calls run in
//! spec order, except those in [`LAST`]: they end or change something the
//! others need, and run afterwards in that order. What cannot agree is
//! listed in [`KNOWN_FAKE_DIFFERENCES`], and the test fails if that list is
//! not exactly what fails.

mod setup;

use crate::calls::{spec_ops, Call, Ids, Outcome, SpecOp, Via};
use futures::future::join_all;
use kernel_mock::KernelMock;
use kernel_sys::Client;
use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

/// The calls that run after all others, in this order, each with the event
/// streams it ends: those are opened first and read until the call ends them.
const LAST: &[(&str, &[&str])] = &[
    // A browser records one replay at a time: the stop call ends the setup's
    // recording, then a new one can start.
    ("startBrowserReplayRecording", &[]),
    // The other file calls use `/tmp/a.txt`; this moves it to `/tmp/b.txt`,
    // which `deleteFile` deletes.
    ("movePath", &[]),
    ("deleteFile", &[]),
    ("deleteDirectory", &[]),
    ("stopFsWatch", &["streamFsEvents"]),
    ("processKill", &["processStdoutStream"]),
    // The exchange needs the login in progress; the submit completes it.
    (
        "postAuthConnectionsSubmit",
        &["getAuthConnectionsEventsById"],
    ),
    ("deleteAuthConnectionsById", &[]),
    ("deleteAgentsAuthById", &[]),
    ("flushBrowserPoolByIdOrName", &[]),
    ("deleteBrowserPoolsByIdOrName", &[]),
    ("deleteProfileByIdOrName", &[]),
    ("deleteExtensionByIdOrName", &[]),
    ("deleteCredentialByIdOrName", &[]),
    ("deleteCredentialProvidersById", &[]),
    ("deleteProjectsId", &[]),
    ("deleteOrgProjectsId", &[]),
    ("deleteApiKeysById", &[]),
    ("deleteDeploymentsById", &[]),
    ("deleteProxiesById", &[]),
    (
        "deleteBrowsersById",
        &["streamBrowserTelemetry", "logsStream"],
    ),
];

/// Operations whose call cannot agree with the fake, each with the reason
/// and, in backticks, text of the fake's answer (the test checks it is there).
const KNOWN_FAKE_DIFFERENCES: &[(&str, &str)] = &[];

/// How long one call may take; event streams end when their resource does.
const CALL_TIMEOUT: Duration = Duration::from_secs(20);

/// Calls `call` and judges the outcome: only the spec's primary status
/// agrees (the setup waits for the states that answer it, e.g. an encoded
/// replay).
async fn judge(call: Call, client: &Client, ids: &Ids, op: &SpecOp) -> Result<String, String> {
    let outcome = match tokio::time::timeout(CALL_TIMEOUT, call(client, ids)).await {
        Ok(outcome) => outcome,
        Err(_) => Outcome::Failed(format!("no answer within {CALL_TIMEOUT:?}")),
    };
    match outcome {
        Outcome::Ok(status) if status == op.primary => Ok(format!("{status}")),
        Outcome::Ok(status) => Err(format!("{status}, not the primary {}", op.primary)),
        Outcome::Alternate(status, body) => Err(format!(
            "{status} ({}) instead of the primary {}: {}",
            if op.success.contains_key(&status) {
                "a documented alternate"
            } else {
                "undocumented"
            },
            op.primary,
            String::from_utf8_lossy(&body)
        )),
        Outcome::Failed(why) => Err(why),
    }
}

/// Runs `call` while the `streams` run: each stream is opened (the fake has
/// received its request) before `call` starts, and must then end.
async fn judge_with_streams(
    (id, call): (&str, Call),
    streams: Vec<(&str, Call)>,
    fake: &KernelMock,
    client: &Client,
    ids: &Ids,
    ops: &BTreeMap<String, SpecOp>,
) -> Vec<(String, Result<String, String>)> {
    let before: Vec<u64> = streams.iter().map(|(s, _)| fake.request_count(s)).collect();
    let opened = join_all(streams.iter().map(|(s, call)| async move {
        (s.to_string(), judge(*call, client, ids, &ops[*s]).await)
    }));
    let ender = async {
        let deadline = Instant::now() + CALL_TIMEOUT;
        while streams
            .iter()
            .zip(&before)
            .any(|((s, _), n)| fake.request_count(s) == *n)
            && Instant::now() < deadline
        {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        if !streams.is_empty() {
            // Let the handlers subscribe after the requests arrived.
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        (id.to_string(), judge(call, client, ids, &ops[id]).await)
    };
    let (mut results, ended) = futures::join!(opened, ender);
    results.push(ended);
    results
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operation_decodes_against_the_fake() {
    agreement(Via::Sys).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operation_decodes_against_the_fake_through_kernel() {
    agreement(Via::Kernel).await;
}

async fn agreement(via: Via) {
    let started = Instant::now();
    let spec = kernel_testkit::spec::spec();
    let ops = spec_ops(spec);
    let fake = setup::fake().await;
    let client = via.client(&fake.base_url(), &fake.api_key(), &[]);
    let ids = setup::setup(&client).await;
    let ready = started.elapsed();

    let table: BTreeMap<&str, Call> = crate::calls::calls().into_iter().collect();
    let late: BTreeSet<&str> = LAST
        .iter()
        .flat_map(|(id, streams)| std::iter::once(*id).chain(streams.iter().copied()))
        .collect();
    let mut results: BTreeMap<String, Result<String, String>> = BTreeMap::new();
    for op in kernel_codegen::operations(spec) {
        if late.contains(op.id.as_str()) {
            continue;
        }
        let call = table[op.id.as_str()];
        results.insert(
            op.id.clone(),
            judge(call, &client, &ids, &ops[&op.id]).await,
        );
    }
    for (id, streams) in LAST {
        let streams = streams.iter().map(|s| (*s, table[s])).collect();
        for (id, result) in
            judge_with_streams((id, table[id]), streams, &fake, &client, &ids, &ops).await
        {
            results.insert(id, result);
        }
    }

    let known: BTreeMap<&str, &str> = KNOWN_FAKE_DIFFERENCES.iter().copied().collect();
    let passed = results.values().filter(|r| r.is_ok()).count();
    println!(
        "Fake agreement via {via:?}: {passed}/{} operations agree ({} known differences); setup {:.1}s, total {:.1}s",
        results.len(),
        known.len(),
        ready.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
    let mut problems = Vec::new();
    for (id, result) in &results {
        let op = &ops[id];
        match (result, known.get(id.as_str())) {
            (Ok(s), None) => println!("  {id}: ok {s}"),
            (Err(e), Some(reason)) => {
                println!("  {id}: known difference: {e}");
                for quoted in reason.split('`').skip(1).step_by(2) {
                    if !e.contains(quoted) {
                        problems.push(format!("{id}: the fake's answer lacks `{quoted}`: {e}"));
                    }
                }
            }
            (Ok(s), Some(_)) => problems.push(format!(
                "{id} is listed in KNOWN_FAKE_DIFFERENCES but agrees ({s}): remove it"
            )),
            (Err(e), None) => {
                problems.push(format!("{id} ({} {}) failed: {e}", op.method, op.path))
            }
        }
    }
    for id in known.keys() {
        assert!(ops.contains_key(*id), "{id} is listed but not in the spec");
    }
    assert_eq!(results.len(), ops.len(), "every operation was called");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
