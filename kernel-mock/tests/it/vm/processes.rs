//! `exec`, spawned processes, their output stream, stdin, kill and terminals.

use std::time::{Duration, Instant};

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde_json::json;

use crate::common::{fast_mock, Api, StreamEnd};
use crate::vm::{browser, decoded, drain, exec, sh, WAIT};

#[tokio::test]
async fn exec_reports_output_exit_codes_cwd_and_env() {
    let mock = fast_mock().await;
    let api = Api::new(&mock);
    let id = browser(&api).await;

    let (out, err, code) = sh(&api, &id, "echo hello; echo oops >&2; exit 7").await;
    assert_eq!((out.as_str(), err.as_str(), code), ("hello\n", "oops\n", 7));

    // A program with arguments, not a shell line.
    let result = exec(
        &api,
        &id,
        json!({ "command": "echo", "args": ["a  b", "$HOME"] }),
    )
    .await;
    assert_eq!(decoded(&result["stdout_b64"]), "a  b $HOME\n");
    assert_eq!(result["exit_code"], 0);

    let result = exec(&api, &id, json!({ "command": "no-such-tool" })).await;
    assert_eq!(result["exit_code"], 127);
    assert!(decoded(&result["stderr_b64"]).contains("not found"));
    let (_, _, code) = sh(&api, &id, "no-such-tool --flag").await;
    assert_eq!(code, 127);

    let result = exec(&api, &id, json!({ "command": "pwd", "cwd": "/tmp" })).await;
    assert_eq!(decoded(&result["stdout_b64"]), "/tmp\n");
    let result = exec(&api, &id, json!({ "command": "pwd" })).await;
    assert_eq!(decoded(&result["stdout_b64"]), "/home/kernel\n");
    let reply = api
        .post(
            &format!("/browsers/{id}/process/exec"),
            json!({ "command": "pwd", "cwd": "/nowhere" }),
        )
        .await;
    assert_eq!(reply.status, 400);
    let reply = api
        .post(
            &format!("/browsers/{id}/process/exec"),
            json!({ "command": "pwd", "cwd": "tmp" }),
        )
        .await;
    assert_eq!(reply.status, 400);

    let result = exec(
        &api,
        &id,
        json!({ "command": "sh", "args": ["-c", "echo $GREETING $HOME"], "env": { "GREETING": "hi" } }),
    )
    .await;
    assert_eq!(decoded(&result["stdout_b64"]), "hi /home/kernel\n");
    let result = exec(&api, &id, json!({ "command": "whoami", "as_root": true })).await;
    assert_eq!(decoded(&result["stdout_b64"]), "root\n");
    let result = exec(&api, &id, json!({ "command": "whoami" })).await;
    assert_eq!(decoded(&result["stdout_b64"]), "kernel\n");
    let reply = api
        .post(
            &format!("/browsers/{id}/process/exec"),
            json!({ "command": "whoami", "as_user": "mallory" }),
        )
        .await;
    assert_eq!(reply.status, 400);

    // Commands share the VM's filesystem with the fs operations.
    let (_, _, code) = sh(&api, &id, "mkdir -p /tmp/w && echo data > /tmp/w/f").await;
    assert_eq!(code, 0);
    let read = api
        .http
        .get(api.url(&format!("/browsers/{id}/fs/read_file")))
        .query(&[("path", "/tmp/w/f")])
        .bearer_auth(&api.key)
        .send()
        .await
        .unwrap();
    assert_eq!(read.bytes().await.unwrap(), "data\n");

    // Another browser has its own VM; an unknown one is a 404.
    let other = browser(&api).await;
    let (out, _, _) = sh(&api, &other, "cat /tmp/w/f").await;
    assert_eq!(out, "");
    let reply = api
        .post("/browsers/nope/process/exec", json!({ "command": "true" }))
        .await;
    assert_eq!(reply.status, 404);
    assert_eq!(reply.body["code"], "not_found");
}

#[tokio::test]
async fn exec_waits_for_sleep_and_times_out_with_124() {
    let mock = fast_mock().await;
    let api = Api::new(&mock);
    let id = browser(&api).await;

    let started = Instant::now();
    let result = exec(
        &api,
        &id,
        json!({ "command": "sh", "args": ["-c", "sleep 0.3; echo done"] }),
    )
    .await;
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert!(result["duration_ms"].as_i64().unwrap() >= 300);
    assert_eq!(decoded(&result["stdout_b64"]), "done\n");

    let started = Instant::now();
    let result = exec(
        &api,
        &id,
        json!({ "command": "sh", "args": ["-c", "echo early; sleep 30; echo late"], "timeout_sec": 1 }),
    )
    .await;
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_secs(1) && elapsed < Duration::from_secs(5),
        "{elapsed:?}"
    );
    assert_eq!(result["exit_code"], 124);
    assert_eq!(decoded(&result["stdout_b64"]), "early\n");

    // A delete of the browser deletes its VM.
    assert_eq!(api.delete(&format!("/browsers/{id}")).await.status, 204);
    let reply = api
        .post(
            &format!("/browsers/{id}/process/exec"),
            json!({ "command": "true" }),
        )
        .await;
    assert_eq!(reply.status, 404);
}

#[tokio::test]
async fn spawned_output_streams_in_time_and_replays_for_late_subscribers() {
    let mock = fast_mock().await;
    let api = Api::new(&mock);
    let id = browser(&api).await;
    let reply = api
        .post(
            &format!("/browsers/{id}/process/spawn"),
            json!({ "command": "sh", "args": ["-c", "echo first; sleep 0.4; echo second >&2; exit 5"] }),
        )
        .await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    let pid = reply.body["process_id"].as_str().unwrap().to_owned();
    assert_eq!(pid.len(), 36);
    assert!(reply.body["pid"].as_i64().unwrap() > 0);
    let process = |op: &str| format!("/browsers/{id}/process/{pid}/{op}");

    let mut stream = api.sse(&process("stdout/stream"), None).await;
    let started = Instant::now();
    let first = stream.next_data(WAIT).await.unwrap().json();
    assert_eq!(first["stream"], "stdout");
    assert_eq!(decoded(&first["data_b64"]), "first\n");
    assert!(started.elapsed() < Duration::from_millis(300));
    assert_eq!(api.get(&process("status")).await.body["state"], "running");
    let second = stream.next_data(WAIT).await.unwrap().json();
    assert_eq!(second["stream"], "stderr");
    assert!(started.elapsed() >= Duration::from_millis(300));
    let exit = stream.next_data(WAIT).await.unwrap().json();
    assert_eq!(exit, json!({ "event": "exit", "exit_code": 5 }));
    assert!(stream.next_data(WAIT).await.is_none());
    assert_eq!(stream.ended, Some(StreamEnd::Clean));

    let status = api.get(&process("status")).await.body;
    assert_eq!(
        (status["state"].as_str(), status["exit_code"].as_i64()),
        (Some("exited"), Some(5))
    );
    // A late subscriber gets everything again.
    let (out, err, code) = drain(api.sse(&process("stdout/stream"), None).await).await;
    assert_eq!(
        (out.as_str(), err.as_str(), code),
        ("first\n", "second\n", Some(5))
    );

    // Unknown and malformed process ids.
    let unknown = "182bd5e5-6e1a-4fe4-a799-aa6d9a6ab26e";
    let reply = api
        .get(&format!("/browsers/{id}/process/{unknown}/status"))
        .await;
    assert_eq!(reply.status, 404);
    let reply = api.get(&format!("/browsers/{id}/process/42/status")).await;
    assert_eq!(reply.status, 400);
}

#[tokio::test]
async fn stdin_feeds_a_spawned_shell_and_kill_ends_it() {
    let mock = fast_mock().await;
    let api = Api::new(&mock);
    let id = browser(&api).await;
    let reply = api
        .post(
            &format!("/browsers/{id}/process/spawn"),
            json!({ "command": "sh" }),
        )
        .await;
    let pid = reply.body["process_id"].as_str().unwrap().to_owned();
    let process = |op: &str| format!("/browsers/{id}/process/{pid}/{op}");
    let mut stream = api.sse(&process("stdout/stream"), None).await;

    let send = |text: &'static str| {
        let api = api.clone();
        let path = process("stdin");
        async move {
            let reply = api
                .post(&path, json!({ "data_b64": STANDARD.encode(text) }))
                .await;
            assert_eq!(reply.status, 200, "{:?}", reply.body);
            assert_eq!(reply.body["written_bytes"], text.len());
        }
    };
    // A line split over two writes runs once complete; state carries over.
    send("cd /tmp; X=4").await;
    send("2\necho $X $PWD\n").await;
    let frame = stream.next_data(WAIT).await.unwrap().json();
    assert_eq!(decoded(&frame["data_b64"]), "42 /tmp\n");
    send("touch made-by-stdin; echo touched\n").await;
    let frame = stream.next_data(WAIT).await.unwrap().json();
    assert_eq!(decoded(&frame["data_b64"]), "touched\n");
    let reply = api
        .get(&format!(
            "/browsers/{id}/fs/file_info?path=/tmp/made-by-stdin"
        ))
        .await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);

    let reply = api
        .post(&process("kill"), json!({ "signal": "TERM" }))
        .await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body, json!({ "ok": true }));
    let exit = stream.next_data(WAIT).await.unwrap().json();
    assert_eq!(exit, json!({ "event": "exit", "exit_code": 143 }));
    let status = api.get(&process("status")).await.body;
    assert_eq!(status["exit_code"], 143);
    let reply = api.post(&process("stdin"), json!({ "data_b64": "" })).await;
    assert_eq!(reply.status, 400);

    // `exit` in the shell ends it with that code.
    let reply = api
        .post(
            &format!("/browsers/{id}/process/spawn"),
            json!({ "command": "bash" }),
        )
        .await;
    let pid = reply.body["process_id"].as_str().unwrap().to_owned();
    let path = format!("/browsers/{id}/process/{pid}");
    api.post(
        &format!("{path}/stdin"),
        json!({ "data_b64": STANDARD.encode("echo bye; exit 9\n") }),
    )
    .await;
    let (out, _, code) = drain(api.sse(&format!("{path}/stdout/stream"), None).await).await;
    assert_eq!((out.as_str(), code), ("bye\n", Some(9)));

    // cat echoes; KILL is 137; a non-terminal process cannot be resized.
    let reply = api
        .post(
            &format!("/browsers/{id}/process/spawn"),
            json!({ "command": "cat" }),
        )
        .await;
    let pid = reply.body["process_id"].as_str().unwrap().to_owned();
    let path = format!("/browsers/{id}/process/{pid}");
    api.post(
        &format!("{path}/stdin"),
        json!({ "data_b64": STANDARD.encode("ping") }),
    )
    .await;
    let reply = api
        .post(&format!("{path}/resize"), json!({ "rows": 10, "cols": 10 }))
        .await;
    assert_eq!(reply.status, 400);
    let mut stream = api.sse(&format!("{path}/stdout/stream"), None).await;
    let frame = stream.next_data(WAIT).await.unwrap().json();
    assert_eq!(decoded(&frame["data_b64"]), "ping");
    api.post(&format!("{path}/kill"), json!({ "signal": "KILL" }))
        .await;
    let (_, _, code) = drain(stream).await;
    assert_eq!(code, Some(137));
}

#[tokio::test]
async fn a_terminal_echoes_prompts_and_resizes() {
    let mock = fast_mock().await;
    let api = Api::new(&mock);
    let id = browser(&api).await;
    let reply = api
        .post(
            &format!("/browsers/{id}/process/spawn"),
            json!({ "command": "bash", "allocate_tty": true, "cols": 100, "rows": 30, "env": { "A": "b" } }),
        )
        .await;
    let pid = reply.body["process_id"].as_str().unwrap().to_owned();
    let path = format!("/browsers/{id}/process/{pid}");
    api.post(
        &format!("{path}/stdin"),
        json!({ "data_b64": STANDARD.encode("echo $A $TERM >&2\nexit\n") }),
    )
    .await;
    let reply = api
        .post(
            &format!("{path}/resize"),
            json!({ "rows": 50, "cols": 200 }),
        )
        .await;
    assert!(
        reply.status == 200 || reply.status == 400,
        "{:?}",
        reply.body
    );
    let (out, err, code) = drain(api.sse(&format!("{path}/stdout/stream"), None).await).await;
    assert_eq!(err, "", "a terminal has one stream");
    assert_eq!(out, "$ echo $A $TERM >&2\r\nexit\r\nb xterm-256color\r\n$ ");
    assert_eq!(code, Some(0));
}
