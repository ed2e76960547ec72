//! The browser VM's behaviour over HTTP: `exec` (output, exit codes, cwd,
//! env, timeouts), spawned processes with their output stream, stdin and
//! kill, the filesystem round trip, zip upload and download, and watches.

mod fs;
mod processes;

use std::time::Duration;

use crate::common::{Api, SseReader, StreamEnd};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

/// How long a test waits for an event.
pub const WAIT: Duration = Duration::from_secs(5);

/// A new browser's session id.
pub async fn browser(api: &Api) -> String {
    let reply = api.post("/browsers", json!({ "headless": true })).await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    reply.body["session_id"].as_str().unwrap().to_owned()
}

/// Base64-decoded text of a field.
pub fn decoded(value: &Value) -> String {
    let bytes = STANDARD
        .decode(value.as_str().expect("base64 string"))
        .unwrap();
    String::from_utf8(bytes).unwrap()
}

/// `exec` with `body`; the result body after checking the 200.
pub async fn exec(api: &Api, id: &str, body: Value) -> Value {
    let reply = api
        .post(&format!("/browsers/{id}/process/exec"), body)
        .await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    reply.body
}

/// `(stdout, stderr, exit_code)` of a shell line.
pub async fn sh(api: &Api, id: &str, line: &str) -> (String, String, i64) {
    let result = exec(api, id, json!({ "command": "sh", "args": ["-c", line] })).await;
    (
        decoded(&result["stdout_b64"]),
        decoded(&result["stderr_b64"]),
        result["exit_code"].as_i64().unwrap(),
    )
}

/// A PUT with a JSON body; the status.
pub async fn put(api: &Api, path: &str, body: Value) -> StatusCode {
    api.send(Method::PUT, path, Some(body)).await.status
}

/// Reads a process's output stream to its end: (stdout, stderr, exit code).
pub async fn drain(mut stream: SseReader) -> (String, String, Option<i64>) {
    let (mut out, mut err, mut code) = (String::new(), String::new(), None);
    while let Some(frame) = stream.next_data(WAIT).await {
        let event = frame.json();
        if event["event"] == "exit" {
            code = event["exit_code"].as_i64();
            continue;
        }
        match event["stream"].as_str() {
            Some("stdout") => out.push_str(&decoded(&event["data_b64"])),
            Some("stderr") => err.push_str(&decoded(&event["data_b64"])),
            other => panic!("unexpected stream {other:?}: {event}"),
        }
    }
    assert_eq!(stream.ended, Some(StreamEnd::Clean));
    (out, err, code)
}
