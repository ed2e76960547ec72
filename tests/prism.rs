//! Every operation of the spec is callable from Rust, and conforms to it.
//!
//! - [`calls::calls`] maps every `operationId` to a call through
//!   `kernel_sys::Client` (the generated builders, or the hand-written
//!   multipart methods), with parameters and bodies valid for the spec, built
//!   with the generated types. Each entry is compiled code, so the table
//!   proves every operation is reachable from Rust;
//!   `every_operation_has_a_call` checks it against the vendored spec in both
//!   directions.
//! - `every_operation_passes_against_prism` runs Prism's mock of the spec and
//!   makes every call. Prism validates each request against the spec (a bad
//!   request gets a 4xx) and answers from the spec's examples; each call must
//!   get a 2xx that deserializes into the generated type (streams and binary
//!   bodies are read to the end). What cannot pass is listed, with Prism's
//!   own log line as evidence, in [`KNOWN_PRISM_LIMITATIONS`], and the test
//!   fails if that list is not exactly what fails.

use crate::calls::{spec_ops, Call, Ids, Outcome, SpecOp, Via};
use crate::common::prism::{path_matches, requests, Prism};
use kernel_sys::Client;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

/// The API key sent to Prism (which checks none).
const API_KEY: &str = "sk_test_prism";

const ID: &str = "htzv5orfit78e1m2biiifpbv";
const OTHER: &str = "rr33xuugxj9h0bkf1rdt2bet";
/// `process_id` is `format: uuid`.
const PROCESS: &str = "9f0d1c1e-5b3a-4c8e-9a61-0d2f5b7e4c11";

/// The ids the calls send to Prism: well-formed, naming nothing.
fn prism_ids() -> Ids {
    let (id, other) = (ID.to_string(), OTHER.to_string());
    Ids {
        browser: id.clone(),
        replay: other.clone(),
        recording_replay: other.clone(),
        watch: other.clone(),
        process: PROCESS.to_string(),
        invocation: other.clone(),
        proxy: id.clone(),
        deployment: id.clone(),
        pool: "my-pool".to_string(),
        pool_session: id.clone(),
        profile: "work".to_string(),
        connection: id.clone(),
        handoff_code: "abc123xyz".to_string(),
        idle_connection: id.clone(),
        agent: id.clone(),
        agent_invocation: other.clone(),
        agent_handoff_code: "abc123xyz".to_string(),
        credential: "netflix".to_string(),
        provider: id.clone(),
        extension: "my-ext".to_string(),
        project: id.clone(),
        org_project: id.clone(),
        api_key: id,
    }
}

/// Operations that cannot pass against Prism, each with the reason and, in
/// backticks (used for nothing else), the text of the line Prism logs for it:
/// the test checks that line is in Prism's log for that operation.
const KNOWN_PRISM_LIMITATIONS: &[(&str, &str)] = &[
    // The seven event streams.
    ("getInvocationsEventsById", SSE),
    ("streamBrowserTelemetry", SSE),
    ("getDeploymentsEventsById", SSE),
    ("streamFsEvents", SSE),
    ("processStdoutStream", SSE),
    ("logsStream", SSE),
    ("getAuthConnectionsEventsById", SSE),
    // Multipart arrays of objects with a file member. The API takes them as
    // `extensions[0][zip_file]` / `files[0][file]` parts (see
    // `kernel_sys::multipart`); Prism's multipart reader
    // (`parseMultipartFormDataParams` in prism-http) maps each part name
    // literally to a property and has no notion of such arrays, so the
    // required array is never found. (OpenAPI defines no other encoding for
    // a file inside an array of objects.)
    (
        "uploadExtensionsToBrowser",
        "Prism reads the part 'extensions[0][zip_file]' as a property of that literal name: \
         `Request body must have required property 'extensions'`",
    ),
    (
        "uploadFiles",
        "Prism reads the part 'files[0][file]' as a property of that literal name: \
         `Request body must have required property 'files'`",
    ),
    // A spec defect Prism enforces: `AgentAuthSubmitRequest` has
    // `additionalProperties: false` next to a `oneOf` whose alternatives
    // declare the properties, so under JSON Schema every property is
    // "additional" and no body is valid (also listed in kernel-sys's
    // forward_compat test, `UNSATISFIABLE_IN_SPEC`). The request is the
    // documented one (`{"sso_button": ..}`).
    (
        "postAgentsAuthInvocationsSubmit",
        "the spec's AgentAuthSubmitRequest rejects every property and Prism enforces it: \
         `Request body must NOT have additional properties; found 'sso_button'`",
    ),
];

const SSE: &str = "Prism cannot serve text/event-stream: the event schema is an object and Prism only writes strings as text, so it answers 500: `NO_COMPLEX_OBJECT_TEXT: Cannot serialise complex objects as text`";

/// Operations whose static Prism response is an `example:` of the spec that
/// violates the spec's own schema (Prism flags it in its log). Each is
/// called twice: with the static example, which must fail with the quoted
/// Prism log line, and with `Prefer: dynamic=true` (a response generated from
/// the schema), which must pass and is what counts.
const INVALID_SPEC_EXAMPLES: &[(&str, &str)] = &[
    (
        "getInvocations",
        "Invocation.started_at's example '2024-05-19T15:30:00.000000000Z07:00' is not RFC 3339: \
         `Response body property 0.started_at must match format \"date-time\"`",
    ),
    (
        "getInvocationsById",
        "Invocation.started_at's example '2024-05-19T15:30:00.000000000Z07:00' is not RFC 3339: \
         `Response body property started_at must match format \"date-time\"`",
    ),
    (
        "patchInvocationsById",
        "Invocation.started_at's example '2024-05-19T15:30:00.000000000Z07:00' is not RFC 3339: \
         `Response body property started_at must match format \"date-time\"`",
    ),
];

#[test]
fn every_operation_has_a_call() {
    let spec = kernel_testkit::spec::spec();
    let in_spec: BTreeSet<String> = kernel_codegen::operations(spec)
        .into_iter()
        .map(|o| o.id)
        .collect();
    let table = crate::calls::calls();
    let in_table: BTreeSet<String> = table.iter().map(|(id, _)| id.to_string()).collect();
    assert_eq!(in_table.len(), table.len(), "an operation is listed twice");
    let missing: Vec<&String> = in_spec.difference(&in_table).collect();
    let extra: Vec<&String> = in_table.difference(&in_spec).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "operations without a call: {missing:?}; calls not in the spec: {extra:?}"
    );
    assert_eq!(
        in_spec.len(),
        kernel_sys::OPERATIONS.len(),
        "the spec and kernel_sys::OPERATIONS agree"
    );
    // The exception lists name real operations, once.
    let listed: Vec<&str> = KNOWN_PRISM_LIMITATIONS
        .iter()
        .chain(INVALID_SPEC_EXAMPLES)
        .map(|(id, _)| *id)
        .collect();
    let unique: BTreeSet<&str> = listed.iter().copied().collect();
    assert_eq!(
        unique.len(),
        listed.len(),
        "an operation is listed twice: {listed:?}"
    );
    for id in listed {
        assert!(in_spec.contains(id), "{id} is listed but not in the spec");
    }
}

/// The logged requests that belong to `op`: same method, and `op`'s template
/// is the most literal one matching the path.
fn logged_for<'a>(
    op: &SpecOp,
    all: &BTreeMap<String, SpecOp>,
    log: &'a [crate::common::prism::LoggedRequest],
) -> Vec<&'a crate::common::prism::LoggedRequest> {
    log.iter()
        .filter(|r| r.method == op.method && path_matches(&op.path, &r.path))
        .filter(|r| {
            let literal = |t: &str| t.split('/').filter(|s| !s.starts_with('{')).count();
            all.values()
                .filter(|o| o.method == r.method && path_matches(&o.path, &r.path))
                .all(|o| literal(&o.path) <= literal(&op.path))
        })
        .collect()
}

/// Calls `call` and judges the outcome against the 2xx statuses the spec
/// documents for the operation.
async fn judge(
    id: &str,
    call: Call,
    client: &Client,
    ids: &Ids,
    documented: &BTreeMap<u16, Option<String>>,
) -> Result<String, String> {
    let outcome = match tokio::time::timeout(Duration::from_secs(20), call(client, ids)).await {
        Ok(outcome) => outcome,
        Err(_) => Outcome::Failed("no answer within 20 s".into()),
    };
    match outcome {
        Outcome::Ok(status) if documented.contains_key(&status) => Ok(format!("{status}")),
        Outcome::Ok(status) => Err(format!("{status} is not a documented 2xx ({documented:?})")),
        // An alternate 2xx (removed from progenitor's view by the codegen,
        // so it arrives as `Error::UnexpectedResponse`) passes only if the
        // spec documents that status for this operation; a JSON one must
        // carry JSON.
        Outcome::Alternate(status, body) => match documented.get(&status) {
            Some(Some(ct)) if ct == "application/json" => {
                match serde_json::from_slice::<Value>(&body) {
                    Ok(_) => Ok(format!("{status} (alternate 2xx)")),
                    Err(e) => Err(format!("{status}: documented JSON, got {e}")),
                }
            }
            Some(_) => Ok(format!("{status} (alternate 2xx)")),
            None => Err(format!("{status} is not documented for {id}")),
        },
        Outcome::Failed(why) => Err(why),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operation_passes_against_prism() {
    conformance(Via::Sys).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operation_passes_against_prism_through_kernel() {
    conformance(Via::Kernel).await;
}

async fn conformance(via: Via) {
    let started = Instant::now();
    let spec = kernel_testkit::spec::spec();
    let ops = spec_ops(spec);
    let mut prism = Prism::start(
        &kernel_testkit::spec::path(),
        &["--seed", "kernel-rs"],
        Duration::from_secs(60),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let ready = started.elapsed();
    let client = via.client(&prism.base_url, API_KEY, &[]);
    // The same, asking Prism to generate the response from the schema
    // instead of serving the spec's examples (seeded: deterministic).
    let dynamic = via.client(&prism.base_url, API_KEY, &[("prefer", "dynamic=true")]);
    let mut alternates: Vec<(String, u16, Result<String, String>)> = Vec::new();

    let table: BTreeMap<&str, Call> = crate::calls::calls().into_iter().collect();
    let ids = prism_ids();
    let invalid_examples: BTreeMap<&str, &str> = INVALID_SPEC_EXAMPLES.iter().copied().collect();
    let mut results: BTreeMap<String, Result<String, String>> = BTreeMap::new();
    let mut static_results: BTreeMap<String, Result<String, String>> = BTreeMap::new();
    // In spec order, one at a time, so Prism's log reads in order.
    for op in kernel_codegen::operations(spec) {
        let call = *table
            .get(op.id.as_str())
            .unwrap_or_else(|| panic!("no call for {}", op.id));
        let documented = &ops[&op.id].success;
        let mut result = judge(&op.id, call, &client, &ids, documented).await;
        if invalid_examples.contains_key(op.id.as_str()) {
            static_results.insert(op.id.clone(), result);
            result = judge(&op.id, call, &dynamic, &ids, documented)
                .await
                .map(|s| format!("{s} (dynamic response)"));
        }
        // Every other documented 2xx, asked for with `Prefer: code=<status>`:
        // it must come back as the documented alternate.
        for (&status, _) in documented
            .iter()
            .filter(|(s, _)| **s != ops[&op.id].primary)
        {
            let prefer = via.client(
                &prism.base_url,
                API_KEY,
                &[("prefer", &format!("code={status}"))],
            );
            let result = judge(&op.id, call, &prefer, &ids, documented).await;
            alternates.push((op.id.clone(), status, result));
        }
        if let Some(status) = prism.exited() {
            let log = prism.log();
            let tail = &log[log.len().saturating_sub(40)..];
            panic!(
                "Prism exited ({status}) while serving {}:\n{}",
                op.id,
                tail.join("\n")
            );
        }
        results.insert(op.id.clone(), result);
    }
    // Let the last log lines arrive.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let log = prism.log();
    let logged = requests(&log);
    if std::env::var_os("PRISM_LOG").is_some() {
        println!(
            "---- Prism log ----\n{}\n---- end of Prism log ----",
            log.join("\n")
        );
    }

    let passed: Vec<&String> = results
        .iter()
        .filter(|(_, r)| r.is_ok())
        .map(|(id, _)| id)
        .collect();
    let failed: BTreeMap<&String, &String> = results
        .iter()
        .filter_map(|(id, r)| r.as_ref().err().map(|e| (id, e)))
        .collect();
    println!(
        "Prism conformance via {via:?}: {}/{} operations pass ({} known Prism limitations, {} passed with a dynamic response \
         because the spec's example is invalid); Prism ready in {:.1}s, total {:.1}s",
        passed.len(),
        results.len(),
        KNOWN_PRISM_LIMITATIONS.len(),
        INVALID_SPEC_EXAMPLES.len(),
        ready.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
    for (id, r) in &results {
        println!(
            "  {id}: {}",
            match r {
                Ok(s) => format!("ok {s}"),
                Err(e) if KNOWN_PRISM_LIMITATIONS.iter().any(|(k, _)| k == id) => {
                    format!("known Prism limitation: {e}")
                }
                Err(e) => format!("FAILED {e}"),
            }
        );
    }

    let lines_for = |id: &str| -> Vec<String> {
        logged_for(&ops[id], &ops, &logged)
            .into_iter()
            .flat_map(|r| r.lines.iter().cloned())
            .collect()
    };
    // Every listed reason quotes (in backticks) a line Prism logged for it.
    let check_evidence = |id: &str, reason: &str, problems: &mut Vec<String>| {
        let lines = lines_for(id);
        if !reason.contains('`') {
            problems.push(format!("{id}: the reason quotes no Prism log line"));
        }
        for quoted in reason.split('`').skip(1).step_by(2) {
            if !lines.iter().any(|l| l.contains(quoted)) {
                problems.push(format!(
                    "{id}: the evidence `{quoted}` is not in Prism's log for it:\n      {}",
                    lines.join("\n      ")
                ));
            }
        }
    };
    let known: BTreeMap<&str, &str> = KNOWN_PRISM_LIMITATIONS.iter().copied().collect();
    let mut problems = Vec::new();
    for (id, why) in &failed {
        if !known.contains_key(id.as_str()) {
            let evidence: Vec<String> = lines_for(id)
                .into_iter()
                .filter(|l| l.contains('✖') || l.contains('⚠'))
                .collect();
            problems.push(format!(
                "{id} failed: {why}\n    Prism log:\n      {}",
                evidence.join("\n      ")
            ));
        }
    }
    for (id, reason) in &known {
        if !failed.contains_key(&id.to_string()) {
            problems.push(format!(
                "{id} is listed in KNOWN_PRISM_LIMITATIONS but passes: remove it"
            ));
        }
        check_evidence(id, reason, &mut problems);
    }
    for (id, reason) in &invalid_examples {
        match &static_results[*id] {
            Ok(s) => problems.push(format!("{id} passes with the spec's static example ({s}): remove it from INVALID_SPEC_EXAMPLES")),
            Err(_) => check_evidence(id, reason, &mut problems),
        }
    }
    for (id, status, result) in &alternates {
        match result {
            Ok(s) if s.contains("alternate") => {
                println!("  {id} with Prefer: code={status}: ok {s}")
            }
            other => problems.push(format!(
                "{id} with Prefer: code={status}: expected the documented alternate, got {other:?}"
            )),
        }
    }
    assert!(
        alternates.len() >= 4,
        "the spec's alternate 2xx responses: {alternates:?}"
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert_eq!(
        passed.len() + KNOWN_PRISM_LIMITATIONS.len(),
        kernel_codegen::operations(spec).len()
    );
}
