//! The browser VM: filesystem operations (binary, multipart and JSON), watch
//! streams, and processes with their output stream; successes and the
//! documented 400s and 404s.

use std::io::Write;
use std::time::Duration;

use base64::Engine as _;
use reqwest::multipart::{Form, Part};
use reqwest::Method;
use serde_json::{json, Value};

use crate::spec_conformance::recorder::Recorder;

/// A small zip archive: `a.txt` and `sub/b.txt`.
fn sample_zip() -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default();
    writer.start_file("a.txt", options).unwrap();
    writer.write_all(b"alpha").unwrap();
    writer.add_directory("sub/", options).unwrap();
    writer.start_file("sub/b.txt", options).unwrap();
    writer.write_all(b"beta").unwrap();
    writer.finish().unwrap().into_inner()
}

/// Sends a raw request and checks its status.
async fn raw(
    r: &Recorder,
    method: Method,
    path: &str,
    status: u16,
    build: impl FnOnce(reqwest::RequestBuilder) -> reqwest::RequestBuilder,
) -> crate::spec_conformance::recorder::RawReply {
    let reply = r.send_raw(method.clone(), path, build).await;
    assert_eq!(
        reply.status,
        status,
        "{method} {path}: {}",
        String::from_utf8_lossy(&reply.bytes)
    );
    reply
}

pub async fn scenario(r: &Recorder) {
    use Method as M;
    let browser = r
        .expect(M::POST, "/browsers", Some(json!({ "headless": true })), 200)
        .await;
    let id = browser["session_id"].as_str().unwrap().to_owned();
    let fs = |op: &str| format!("/browsers/{id}/fs/{op}");
    let gone = "/browsers/no-such-browser/fs";

    // A watch first, so it sees the changes below.
    let watch = r
        .expect(
            M::POST,
            &fs("watch"),
            Some(json!({ "path": "/tmp", "recursive": true })),
            201,
        )
        .await;
    let watch_id = watch["watch_id"].as_str().unwrap().to_owned();
    r.expect(M::POST, &fs("watch"), Some(json!({ "path": "/nope" })), 404)
        .await;
    r.expect(M::POST, &fs("watch"), Some(json!({ "path": "tmp" })), 400)
        .await;

    // Write and read, binary both ways.
    raw(r, M::PUT, &fs("write_file"), 201, |q| {
        q.query(&[("path", "/tmp/dir/a.txt"), ("mode", "600")])
            .body("hello")
    })
    .await;
    raw(r, M::PUT, &fs("write_file"), 400, |q| {
        q.query(&[("path", "tmp/a.txt")]).body("x")
    })
    .await;
    raw(r, M::PUT, &fs("write_file"), 400, |q| {
        q.query(&[("path", "/tmp/a.txt"), ("mode", "999")])
            .body("x")
    })
    .await;
    raw(r, M::PUT, &format!("{gone}/write_file"), 404, |q| {
        q.query(&[("path", "/tmp/a.txt")]).body("x")
    })
    .await;
    let read = raw(r, M::GET, &fs("read_file"), 200, |q| {
        q.query(&[("path", "/tmp/dir/a.txt")])
    })
    .await;
    assert_eq!(read.bytes, b"hello");
    raw(r, M::GET, &fs("read_file"), 404, |q| {
        q.query(&[("path", "/tmp/none")])
    })
    .await;
    raw(r, M::GET, &fs("read_file"), 400, |q| {
        q.query(&[("path", "/tmp")])
    })
    .await;

    // Directories, metadata, permissions, moves.
    r.expect(
        M::PUT,
        &fs("create_directory"),
        Some(json!({ "path": "/tmp/x/y", "mode": "700" })),
        201,
    )
    .await;
    r.expect(
        M::PUT,
        &fs("create_directory"),
        Some(json!({ "path": "/tmp/dir/a.txt" })),
        400,
    )
    .await;
    r.expect(
        M::PUT,
        &fs("create_directory"),
        Some(json!({ "path": "/tmp/z", "extra": 1 })),
        400,
    )
    .await;
    let listing = r
        .expect(M::GET, &fs("list_files?path=/tmp"), None, 200)
        .await;
    assert_eq!(listing.as_array().map(Vec::len), Some(2), "{listing}");
    r.expect(M::GET, &fs("list_files?path=/none"), None, 404)
        .await;
    r.expect(M::GET, &fs("list_files?path=/tmp/dir/a.txt"), None, 400)
        .await;
    let info = r
        .expect(M::GET, &fs("file_info?path=/tmp/dir/a.txt"), None, 200)
        .await;
    assert_eq!(info["mode"], "-rw-------");
    r.expect(M::GET, &fs("file_info?path=/none"), None, 404)
        .await;
    r.expect(M::GET, &fs("file_info?path=rel"), None, 400).await;
    r.expect(
        M::PUT,
        &fs("set_file_permissions"),
        Some(json!({ "path": "/tmp/dir/a.txt", "mode": "0644", "owner": "root" })),
        200,
    )
    .await;
    r.expect(
        M::PUT,
        &fs("set_file_permissions"),
        Some(json!({ "path": "/none", "mode": "644" })),
        404,
    )
    .await;
    r.expect(
        M::PUT,
        &fs("set_file_permissions"),
        Some(json!({ "path": "/tmp", "mode": "rwx" })),
        400,
    )
    .await;
    r.expect(
        M::PUT,
        &fs("move"),
        Some(json!({ "src_path": "/tmp/dir/a.txt", "dest_path": "/tmp/x/a.txt" })),
        200,
    )
    .await;
    r.expect(
        M::PUT,
        &fs("move"),
        Some(json!({ "src_path": "/none", "dest_path": "/tmp/b" })),
        404,
    )
    .await;
    r.expect(
        M::PUT,
        &fs("move"),
        Some(json!({ "src_path": "/tmp/x", "dest_path": "/tmp/x/y/z" })),
        400,
    )
    .await;

    // Uploads (multipart) and the zip download.
    raw(r, M::POST, &fs("upload"), 201, |q| {
        q.multipart(
            Form::new()
                .part(
                    "files[0][file]",
                    Part::bytes(b"one".to_vec()).file_name("1"),
                )
                .text("files[0][dest_path]", "/tmp/up/one.txt")
                .part(
                    "files[1][file]",
                    Part::bytes(b"two".to_vec()).file_name("2"),
                )
                .text("files[1][dest_path]", "/tmp/up/two.txt"),
        )
    })
    .await;
    raw(r, M::POST, &fs("upload"), 400, |q| {
        q.multipart(Form::new().text("files[0][dest_path]", "/tmp/up/three.txt"))
    })
    .await;
    raw(r, M::POST, &fs("upload_zip"), 201, |q| {
        q.multipart(
            Form::new()
                .part("zip_file", Part::bytes(sample_zip()).file_name("a.zip"))
                .text("dest_path", "/tmp/unzipped"),
        )
    })
    .await;
    raw(r, M::POST, &fs("upload_zip"), 400, |q| {
        q.multipart(
            Form::new()
                .part(
                    "zip_file",
                    Part::bytes(b"not a zip".to_vec()).file_name("a.zip"),
                )
                .text("dest_path", "/tmp/bad"),
        )
    })
    .await;
    raw(r, M::POST, &format!("{gone}/upload_zip"), 404, |q| {
        q.multipart(
            Form::new()
                .part("zip_file", Part::bytes(sample_zip()).file_name("a.zip"))
                .text("dest_path", "/tmp/unzipped"),
        )
    })
    .await;
    let archive = raw(r, M::GET, &fs("download_dir_zip"), 200, |q| {
        q.query(&[("path", "/tmp/unzipped")])
    })
    .await;
    assert!(archive.bytes.starts_with(b"PK"), "not a zip");
    assert_eq!(archive.content_type, "application/zip");
    assert_eq!(
        archive.headers["content-disposition"],
        "attachment; filename=\"unzipped.zip\""
    );
    raw(r, M::GET, &fs("download_dir_zip"), 404, |q| {
        q.query(&[("path", "/none")])
    })
    .await;
    raw(r, M::GET, &fs("download_dir_zip"), 400, |q| {
        q.query(&[("path", "/tmp/up/one.txt")])
    })
    .await;

    // Deletes.
    r.expect(
        M::PUT,
        &fs("delete_file"),
        Some(json!({ "path": "/tmp/up/one.txt" })),
        200,
    )
    .await;
    r.expect(
        M::PUT,
        &fs("delete_file"),
        Some(json!({ "path": "/none" })),
        404,
    )
    .await;
    r.expect(
        M::PUT,
        &fs("delete_file"),
        Some(json!({ "path": "/tmp/up" })),
        400,
    )
    .await;
    r.expect(
        M::PUT,
        &fs("delete_directory"),
        Some(json!({ "path": "/tmp/up" })),
        200,
    )
    .await;
    r.expect(
        M::PUT,
        &fs("delete_directory"),
        Some(json!({ "path": "/none" })),
        404,
    )
    .await;
    r.expect(
        M::PUT,
        &fs("delete_directory"),
        Some(json!({ "path": "/tmp/x/a.txt" })),
        400,
    )
    .await;

    // The watch saw those changes; its stream ends when it is stopped
    // (keepalive comments keep an idle stream open until then).
    let stop = async {
        tokio::time::sleep(Duration::from_millis(500)).await;
        r.expect(M::DELETE, &fs(&format!("watch/{watch_id}")), None, 204)
            .await;
    };
    let events_path = fs(&format!("watch/{watch_id}/events"));
    let (events, ()) = tokio::join!(r.stream(&events_path, 1000, Duration::from_secs(5)), stop);
    let kinds: Vec<&str> = events.iter().filter_map(|e| e["type"].as_str()).collect();
    for kind in ["CREATE", "WRITE", "RENAME", "DELETE"] {
        assert!(kinds.contains(&kind), "{kind} missing from {kinds:?}");
    }
    r.expect(M::GET, &fs("watch/nope/events"), None, 404).await;
    r.expect(M::DELETE, &fs(&format!("watch/{watch_id}")), None, 404)
        .await;

    // Processes.
    let process = |op: &str| format!("/browsers/{id}/process/{op}");
    let result = r
        .expect(
            M::POST,
            &process("exec"),
            Some(json!({ "command": "sh", "args": ["-c", "echo hi; echo no >&2; exit 3"], "env": { "A": "1" } })),
            200,
        )
        .await;
    assert_eq!(result["exit_code"], 3);
    let stdout = base64::engine::general_purpose::STANDARD
        .decode(result["stdout_b64"].as_str().unwrap())
        .unwrap();
    assert_eq!(stdout, b"hi\n");
    r.expect(
        M::POST,
        &process("exec"),
        Some(json!({ "command": "pwd", "cwd": "/none" })),
        400,
    )
    .await;
    r.expect(
        M::POST,
        &process("exec"),
        Some(json!({ "command": "true", "as_root": true, "as_user": "kernel" })),
        400,
    )
    .await;
    r.expect(
        M::POST,
        "/browsers/no-such-browser/process/exec",
        Some(json!({ "command": "true" })),
        404,
    )
    .await;

    let spawned = r
        .expect(
            M::POST,
            &process("spawn"),
            Some(json!({ "command": "sh -c 'echo out; echo err >&2; exit 4'" })),
            200,
        )
        .await;
    let pid = spawned["process_id"].as_str().unwrap().to_owned();
    let events = r
        .stream(
            &process(&format!("{pid}/stdout/stream")),
            10,
            Duration::from_secs(2),
        )
        .await;
    assert_eq!(events.len(), 3, "{events:?}");
    assert_eq!(events[2], json!({ "event": "exit", "exit_code": 4 }));
    r.poll(&process(&format!("{pid}/status")), |s| {
        s["state"] == "exited"
    })
    .await;
    r.expect(
        M::POST,
        &process("spawn"),
        Some(json!({ "command": "sh", "allocate_tty": true, "rows": 0 })),
        400,
    )
    .await;
    r.expect(
        M::POST,
        "/browsers/no-such-browser/process/spawn",
        Some(json!({ "command": "sh" })),
        404,
    )
    .await;
    let unknown = "182bd5e5-6e1a-4fe4-a799-aa6d9a6ab26e";
    r.expect(M::GET, &process(&format!("{unknown}/status")), None, 404)
        .await;
    r.expect(M::GET, &process("not-a-uuid/status"), None, 400)
        .await;
    r.expect(
        M::GET,
        &process(&format!("{unknown}/stdout/stream")),
        None,
        404,
    )
    .await;

    // An interactive shell on a terminal: stdin, resize, kill.
    let shell = r
        .expect(
            M::POST,
            &process("spawn"),
            Some(json!({ "command": "bash", "allocate_tty": true, "rows": 30, "cols": 100 })),
            200,
        )
        .await;
    let shell_id = shell["process_id"].as_str().unwrap().to_owned();
    let line = base64::engine::general_purpose::STANDARD.encode("echo typed\n");
    let written = r
        .expect(
            M::POST,
            &process(&format!("{shell_id}/stdin")),
            Some(json!({ "data_b64": line })),
            200,
        )
        .await;
    assert_eq!(written["written_bytes"], 11);
    r.expect(
        M::POST,
        &process(&format!("{shell_id}/stdin")),
        Some(json!({ "data_b64": "%%%" })),
        400,
    )
    .await;
    r.expect(
        M::POST,
        &process(&format!("{unknown}/stdin")),
        Some(json!({ "data_b64": "" })),
        404,
    )
    .await;
    r.expect(
        M::POST,
        &process(&format!("{shell_id}/resize")),
        Some(json!({ "rows": 40, "cols": 120 })),
        200,
    )
    .await;
    r.expect(
        M::POST,
        &process(&format!("{shell_id}/resize")),
        Some(json!({ "rows": 0, "cols": 120 })),
        400,
    )
    .await;
    r.expect(
        M::POST,
        &process(&format!("{pid}/resize")),
        Some(json!({ "rows": 40, "cols": 120 })),
        400,
    )
    .await;
    r.expect(
        M::POST,
        &process(&format!("{unknown}/resize")),
        Some(json!({ "rows": 40, "cols": 120 })),
        404,
    )
    .await;
    let running: Value = r.get(&process(&format!("{shell_id}/status"))).await.body;
    assert_eq!(running["state"], "running");
    r.expect(
        M::POST,
        &process(&format!("{shell_id}/kill")),
        Some(json!({ "signal": "HUP" })),
        200,
    )
    .await;
    r.expect(
        M::POST,
        &process(&format!("{shell_id}/kill")),
        Some(json!({ "signal": "TERM" })),
        400,
    )
    .await;
    r.expect(
        M::POST,
        &process(&format!("{shell_id}/kill")),
        Some(json!({ "signal": "STOP" })),
        400,
    )
    .await;
    r.expect(
        M::POST,
        &process(&format!("{unknown}/kill")),
        Some(json!({ "signal": "KILL" })),
        404,
    )
    .await;
    let events = r
        .stream(
            &process(&format!("{shell_id}/stdout/stream")),
            10,
            Duration::from_secs(2),
        )
        .await;
    assert_eq!(
        events.last(),
        Some(&json!({ "event": "exit", "exit_code": 129 }))
    );

    // createDirectory documents no 404: an unknown browser is a 400 there.
    r.expect(
        M::PUT,
        &format!("{gone}/create_directory"),
        Some(json!({ "path": "/tmp/a" })),
        400,
    )
    .await;
}
