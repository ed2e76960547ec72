//! The filesystem round trip, zip upload and download, and watches.

use std::io::{Cursor, Read, Write};

use reqwest::multipart::{Form, Part};
use reqwest::Method;
use serde_json::json;

use crate::common::{fast_mock, Api, StreamEnd};
use crate::vm::{browser, put, sh, WAIT};

#[tokio::test]
async fn filesystem_round_trip() {
    let mock = fast_mock().await;
    let api = Api::new(&mock);
    let id = browser(&api).await;
    let fs = |op: &str| format!("/browsers/{id}/fs/{op}");

    let write = api
        .http
        .put(api.url(&fs("write_file")))
        .query(&[("path", "/home/kernel/docs/note.txt"), ("mode", "640")])
        .bearer_auth(&api.key)
        .body(vec![0u8, 1, 2, 255])
        .send()
        .await
        .unwrap();
    assert_eq!(write.status(), 201);
    let read = api
        .http
        .get(api.url(&fs("read_file")))
        .query(&[("path", "/home/kernel/docs/note.txt")])
        .bearer_auth(&api.key)
        .send()
        .await
        .unwrap();
    assert_eq!(read.headers()["content-type"], "application/octet-stream");
    assert_eq!(read.bytes().await.unwrap().as_ref(), [0u8, 1, 2, 255]);

    let info = api
        .get(&fs("file_info?path=/home/kernel/docs/note.txt"))
        .await
        .body;
    assert_eq!(info["size_bytes"], 4);
    assert_eq!(info["mode"], "-rw-r-----");
    assert_eq!(info["is_dir"], false);
    assert_eq!(info["name"], "note.txt");
    let listing = api.get(&fs("list_files?path=/home/kernel")).await.body;
    let names: Vec<&str> = listing
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Downloads", "docs"]);
    assert_eq!(listing[1]["mode"], "drwxr-xr-x");

    assert_eq!(
        put(
            &api,
            &fs("create_directory"),
            json!({ "path": "/srv/a/b", "mode": "750" })
        )
        .await,
        201
    );
    let info = api.get(&fs("file_info?path=/srv/a/b")).await.body;
    assert_eq!(info["mode"], "drwxr-x---");
    assert_eq!(
        put(
            &api,
            &fs("set_file_permissions"),
            json!({ "path": "/srv/a/b", "mode": "1777" })
        )
        .await,
        200
    );
    assert_eq!(
        api.get(&fs("file_info?path=/srv/a/b")).await.body["mode"],
        "drwxrwxrwt"
    );
    assert_eq!(
        put(
            &api,
            &fs("move"),
            json!({ "src_path": "/home/kernel/docs", "dest_path": "/srv/a/b/docs" })
        )
        .await,
        200
    );
    assert_eq!(
        api.get(&fs("file_info?path=/home/kernel/docs"))
            .await
            .status,
        404
    );
    assert_eq!(
        api.get(&fs("file_info?path=/srv/a/b/docs/note.txt"))
            .await
            .status,
        200
    );

    assert_eq!(
        put(&api, &fs("delete_file"), json!({ "path": "/srv/a/b/docs" })).await,
        400
    );
    assert_eq!(
        put(
            &api,
            &fs("delete_file"),
            json!({ "path": "/srv/a/b/docs/note.txt" })
        )
        .await,
        200
    );
    assert_eq!(
        put(
            &api,
            &fs("delete_file"),
            json!({ "path": "/srv/a/b/docs/note.txt" })
        )
        .await,
        404
    );
    assert_eq!(
        put(&api, &fs("delete_directory"), json!({ "path": "/srv" })).await,
        200
    );
    assert_eq!(api.get(&fs("list_files?path=/srv")).await.status, 404);

    // Relative paths are 400s, missing ones 404s, unknown fields 400s.
    assert_eq!(api.get(&fs("file_info?path=srv")).await.status, 400);
    assert_eq!(api.get(&fs("list_files")).await.status, 400);
    assert_eq!(api.get(&fs("read_file?path=/missing")).await.status, 404);
    assert_eq!(
        put(&api, &fs("delete_directory"), json!({ "path": "/missing" })).await,
        404
    );
    assert_eq!(
        put(
            &api,
            &fs("move"),
            json!({ "src_path": "a", "dest_path": "/b" })
        )
        .await,
        400
    );
    assert_eq!(
        put(
            &api,
            &fs("delete_file"),
            json!({ "path": "/x", "force": true })
        )
        .await,
        400
    );
    let reply = api.get("/browsers/nope/fs/list_files?path=/").await;
    assert_eq!(reply.status, 404);
}

#[tokio::test]
async fn zip_upload_then_download_gives_back_the_same_tree() {
    let mock = fast_mock().await;
    let api = Api::new(&mock);
    let id = browser(&api).await;
    let entries: [(&str, &[u8]); 3] = [
        ("readme.md", b"# hi\n"),
        ("src/main.rs", b"fn main() {}\n"),
        ("src/data/blob.bin", &[0, 159, 146, 150]),
    ];
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, data) in entries {
        writer
            .start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        writer.write_all(data).unwrap();
    }
    let archive = writer.finish().unwrap().into_inner();

    let upload = api
        .http
        .post(api.url(&format!("/browsers/{id}/fs/upload_zip")))
        .bearer_auth(&api.key)
        .multipart(
            Form::new()
                .text("dest_path", "/home/kernel/project")
                .part("zip_file", Part::bytes(archive).file_name("p.zip")),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(upload.status(), 201);
    let (out, _, _) = sh(&api, &id, "cat /home/kernel/project/src/main.rs").await;
    assert_eq!(out, "fn main() {}\n");

    let download = api
        .http
        .get(api.url(&format!("/browsers/{id}/fs/download_dir_zip")))
        .query(&[("path", "/home/kernel/project")])
        .bearer_auth(&api.key)
        .send()
        .await
        .unwrap();
    assert_eq!(download.status(), 200);
    assert_eq!(download.headers()["content-type"], "application/zip");
    let bytes = download.bytes().await.unwrap();
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes.to_vec())).unwrap();
    let mut files = Vec::new();
    for i in 0..zip.len() {
        let mut file = zip.by_index(i).unwrap();
        if file.is_dir() {
            continue;
        }
        let name = file.name().unwrap().into_owned();
        let mut data = Vec::new();
        file.read_to_end(&mut data).unwrap();
        files.push((name, data));
    }
    files.sort();
    let mut expected: Vec<(String, Vec<u8>)> = entries
        .iter()
        .map(|(n, d)| (n.to_string(), d.to_vec()))
        .collect();
    expected.sort();
    assert_eq!(files, expected);

    // Multipart files upload, creating parents; a bad archive changes nothing.
    let upload = api
        .http
        .post(api.url(&format!("/browsers/{id}/fs/upload")))
        .bearer_auth(&api.key)
        .multipart(
            Form::new()
                .part("files[0][file]", Part::bytes(b"x".to_vec()).file_name("x"))
                .text("files[0][dest_path]", "/opt/new/x.txt"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(upload.status(), 201);
    let (out, _, _) = sh(&api, &id, "cat /opt/new/x.txt").await;
    assert_eq!(out, "x");
    let bad = api
        .http
        .post(api.url(&format!("/browsers/{id}/fs/upload_zip")))
        .bearer_auth(&api.key)
        .multipart(Form::new().text("dest_path", "/home/kernel/bad").part(
            "zip_file",
            Part::bytes(b"PK junk".to_vec()).file_name("b.zip"),
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    assert_eq!(
        api.get(&format!(
            "/browsers/{id}/fs/file_info?path=/home/kernel/bad"
        ))
        .await
        .status,
        404
    );
}

#[tokio::test]
async fn watches_see_api_writes_and_shell_changes() {
    let mock = fast_mock().await;
    let api = Api::new(&mock);
    let id = browser(&api).await;
    let reply = api
        .post(
            &format!("/browsers/{id}/fs/watch"),
            json!({ "path": "/tmp" }),
        )
        .await;
    assert_eq!(reply.status, 201, "{:?}", reply.body);
    let watch_id = reply.body["watch_id"].as_str().unwrap().to_owned();
    let events_path = format!("/browsers/{id}/fs/watch/{watch_id}/events");

    // Buffered from the start of the watch.
    let write = api
        .http
        .put(api.url(&format!("/browsers/{id}/fs/write_file")))
        .query(&[("path", "/tmp/api.txt")])
        .bearer_auth(&api.key)
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(write.status(), 201);
    let mut stream = api.sse(&events_path, None).await;
    let mut seen = Vec::new();
    for _ in 0..2 {
        let event = stream.next_data(WAIT).await.unwrap().json();
        seen.push((event["type"].clone(), event["path"].clone()));
    }
    assert_eq!(
        seen,
        [
            (json!("CREATE"), json!("/tmp/api.txt")),
            (json!("WRITE"), json!("/tmp/api.txt"))
        ]
    );

    // Live: a shell `touch`; a change in a subdirectory is not a direct
    // child, so a non-recursive watch skips it.
    let (_, _, code) = sh(
        &api,
        &id,
        "mkdir /tmp/sub; touch /tmp/sub/deep /tmp/touched",
    )
    .await;
    assert_eq!(code, 0);
    let event = stream.next_data(WAIT).await.unwrap().json();
    assert_eq!(
        event,
        json!({ "type": "CREATE", "path": "/tmp/sub", "name": "sub", "is_dir": true })
    );
    let event = stream.next_data(WAIT).await.unwrap().json();
    assert_eq!(
        (&event["type"], &event["path"]),
        (&json!("CREATE"), &json!("/tmp/touched"))
    );

    // Stopping ends the stream; the watch is gone.
    let reply = api
        .send(
            Method::DELETE,
            &format!("/browsers/{id}/fs/watch/{watch_id}"),
            None,
        )
        .await;
    assert_eq!(reply.status, 204);
    let rest = stream.next_data(WAIT).await;
    assert!(
        rest.as_ref().is_none_or(|f| f.json()["type"] == "WRITE"),
        "{rest:?}"
    );
    while stream.next_data(WAIT).await.is_some() {}
    assert_eq!(stream.ended, Some(StreamEnd::Clean));
    let reply = api.get(&events_path).await;
    assert_eq!(reply.status, 404);
    let reply = api
        .post(
            &format!("/browsers/{id}/fs/watch"),
            json!({ "path": "/missing" }),
        )
        .await;
    assert_eq!(reply.status, 404);
}
