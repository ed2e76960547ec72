//! Proxies, extensions (uploads, Chrome Web Store downloads, uploads into a
//! browser), deployments with their event stream, apps, and invoking a
//! deployed app's actions: successes and their documented errors.

use std::time::Duration;

use reqwest::multipart::{Form, Part};
use reqwest::Method;
use serde_json::{json, Value};

use crate::common::zip;
use crate::spec_conformance::recorder::Recorder;

const STORE_ID: &str = "cjpalhdlnbpafiamejdnhcphjbkeiagm";

fn file(bytes: Vec<u8>, name: &str) -> Part {
    Part::bytes(bytes).file_name(name.to_owned())
}

pub async fn scenario(r: &Recorder) {
    for (method, path) in [
        (Method::GET, "/proxies"),
        (Method::POST, "/proxies"),
        (Method::GET, "/extensions"),
        (Method::GET, "/deployments"),
        (Method::GET, "/apps"),
    ] {
        let reply = r.call_with(method, path, Some(json!({})), false).await;
        assert_eq!(reply.status, 401);
    }
    proxies(r).await;
    extensions(r).await;
    deployments(r).await;
}

async fn proxies(r: &Recorder) {
    use Method as M;
    let dc = r
        .expect(
            M::POST,
            "/proxies",
            Some(json!({ "type": "datacenter", "name": "dc-1", "config": { "country": "US" } })),
            201,
        )
        .await;
    let dc = dc["id"].as_str().unwrap().to_owned();
    let dead = r
        .expect(
            M::POST,
            "/proxies",
            Some(json!({ "type": "custom", "name": "dead", "protocol": "http", "bypass_hosts": ["intranet.example"],
                         "config": { "host": "proxy.invalid", "port": 8080, "username": "u", "password": "p" } })),
            201,
        )
        .await;
    let dead = dead["id"].as_str().unwrap().to_owned();
    for bad in [
        json!({ "type": "satellite" }),
        json!({ "type": "custom" }),
        json!({ "type": "datacenter", "config": { "host": "x" } }),
        json!({ "type": "datacenter", "name": "dc-1" }),
        json!({ "name": "no-type" }),
    ] {
        r.expect(M::POST, "/proxies", Some(bad), 400).await;
    }
    r.expect(M::GET, "/proxies", None, 200).await;
    r.expect(M::GET, &format!("/proxies/{dc}"), None, 200).await;
    r.expect(M::GET, "/proxies/nope", None, 404).await;
    let checked = r
        .expect(M::POST, &format!("/proxies/{dc}/check"), None, 200)
        .await;
    assert_eq!(checked["status"], "available");
    let checked = r
        .expect(
            M::POST,
            &format!("/proxies/{dead}/check"),
            Some(json!({})),
            200,
        )
        .await;
    assert_eq!(checked["status"], "unavailable");
    r.expect(
        M::POST,
        &format!("/proxies/{dc}/check"),
        Some(json!({ "url": "https://example.com/" })),
        200,
    )
    .await;
    r.expect(
        M::POST,
        &format!("/proxies/{dc}/check"),
        Some(json!({ "url": "ftp://example.com/" })),
        400,
    )
    .await;
    r.expect(M::POST, "/proxies/nope/check", None, 404).await;
    r.expect(M::DELETE, &format!("/proxies/{dead}"), None, 204)
        .await;
    r.expect(M::DELETE, &format!("/proxies/{dead}"), None, 404)
        .await;
}

async fn extensions(r: &Recorder) {
    use Method as M;
    let url = format!("https://chromewebstore.google.com/detail/ublock-origin/{STORE_ID}");
    let download = r
        .send_raw(M::GET, "/extensions/from_chrome_store", |req| {
            req.query(&[("url", url.as_str()), ("os", "mac")])
        })
        .await;
    assert_eq!(download.status, 200);
    assert_eq!(download.content_type, "application/octet-stream");
    let disposition = download.headers["content-disposition"].to_str().unwrap();
    assert!(disposition.contains(STORE_ID), "{disposition}");
    let archive = download.bytes;
    for query in [
        vec![("url", "https://example.com/x")],
        vec![("url", url.as_str()), ("os", "beos")],
        vec![],
    ] {
        let reply = r
            .send_raw(M::GET, "/extensions/from_chrome_store", |req| {
                req.query(&query)
            })
            .await;
        assert_eq!(reply.status, 400);
    }

    let form = Form::new()
        .part("file", file(archive.clone(), "ublock.zip"))
        .text("name", "ublock");
    let created = r
        .send_raw(M::POST, "/extensions", |req| req.multipart(form))
        .await;
    assert_eq!(created.status, 201);
    let again = Form::new()
        .part("file", file(archive.clone(), "ublock.zip"))
        .text("name", "ublock");
    let reply = r
        .send_raw(M::POST, "/extensions", |req| req.multipart(again))
        .await;
    assert_eq!(reply.status, 409);
    for form in [
        Form::new().text("name", "nofile"),
        Form::new().part("file", file(b"not a zip".to_vec(), "x.zip")),
        Form::new().part("file", file(zip(&[("readme.txt", b"hi")]), "x.zip")),
    ] {
        let reply = r
            .send_raw(M::POST, "/extensions", |req| req.multipart(form))
            .await;
        assert_eq!(reply.status, 400);
    }
    r.expect(M::POST, "/extensions", Some(json!({})), 400).await;
    r.expect(M::GET, "/extensions", None, 200).await;
    let got = r.send_raw(M::GET, "/extensions/ublock", |req| req).await;
    assert_eq!(got.status, 200);
    assert_eq!(got.bytes, archive);
    r.expect(M::GET, "/extensions/nope", None, 404).await;

    let browser = r.expect(M::POST, "/browsers", None, 200).await;
    let bid = browser["session_id"].as_str().unwrap().to_owned();
    let upload = |name: Option<&str>| {
        let form = Form::new().part("extensions[0][zip_file]", file(archive.clone(), "e.zip"));
        match name {
            Some(name) => form.text("extensions[0][name]", name.to_owned()),
            None => form,
        }
    };
    let path = format!("/browsers/{bid}/extensions");
    let form = upload(Some("ublock"));
    let reply = r.send_raw(M::POST, &path, |req| req.multipart(form)).await;
    assert_eq!(reply.status, 201);
    let form = upload(None);
    let reply = r.send_raw(M::POST, &path, |req| req.multipart(form)).await;
    assert_eq!(reply.status, 400);
    let form = upload(Some("ublock"));
    let reply = r
        .send_raw(M::POST, "/browsers/nope/extensions", |req| {
            req.multipart(form)
        })
        .await;
    assert_eq!(reply.status, 404);

    r.expect(M::DELETE, "/extensions/ublock", None, 204).await;
    r.expect(M::DELETE, "/extensions/ublock", None, 404).await;
}

async fn deploy(r: &Recorder, form: Form, status: u16) -> Value {
    let reply = r
        .send_raw(Method::POST, "/deployments", |req| req.multipart(form))
        .await;
    assert_eq!(
        reply.status,
        status,
        "{}",
        String::from_utf8_lossy(&reply.bytes)
    );
    serde_json::from_slice(&reply.bytes).unwrap()
}

fn app_form(version: &str, files: &[(&str, &[u8])]) -> Form {
    Form::new()
        .part("file", file(zip(files), "app.zip"))
        .text("entrypoint_rel_path", "src/app.py")
        .text("version", version.to_owned())
        .text("region", "aws.us-east-1a")
        .text("env_vars[KERNEL_MOCK_APP_NAME]", "conf-app")
        .text("env_vars[KERNEL_MOCK_ACTIONS]", "analyze,summarize")
        .text("env_vars[FOO]", "bar")
}

async fn deployments(r: &Recorder) {
    use Method as M;
    let code: &[(&str, &[u8])] = &[("src/app.py", b"print('hi')")];
    let deployment = deploy(r, app_form("1.0.0", code), 201).await;
    assert_eq!(deployment["status"], "queued");
    let id = deployment["id"].as_str().unwrap().to_owned();
    let events = r
        .stream(
            &format!("/deployments/{id}/events"),
            50,
            Duration::from_secs(3),
        )
        .await;
    let last = events.last().expect("events");
    assert_eq!(last["deployment"]["status"], "running", "{events:#?}");
    assert!(events.iter().any(|e| e["event"] == "app_version_summary"));
    assert!(events.iter().any(|e| e["event"] == "log"));
    // A settled deployment's stream replays and ends.
    r.stream(
        &format!("/deployments/{id}/events?since=1h"),
        50,
        Duration::from_secs(3),
    )
    .await;

    deploy(r, app_form("1.0.0", code), 400).await;
    deploy(r, app_form("1.0.0", code).text("force", "maybe"), 400).await;
    deploy(r, Form::new().text("entrypoint_rel_path", "a.py"), 400).await;
    let source = json!({ "type": "github", "url": "https://github.com/org/repo", "ref": "main", "entrypoint": "src/index.ts",
                         "auth": { "method": "github_token", "token": "ghs_x" } });
    let part = Part::text(source.to_string())
        .mime_str("application/json")
        .unwrap();
    deploy(
        r,
        Form::new().part("source", part).text("version", "2"),
        201,
    )
    .await;
    let bad_source = Part::text(json!({ "type": "github", "url": "https://example.com/x", "ref": "main", "entrypoint": "a" }).to_string());
    deploy(r, Form::new().part("source", bad_source), 400).await;
    let broken = deploy(r, app_form("9.9.9", &[("other.py", b"")]), 201).await;
    let broken = broken["id"].as_str().unwrap().to_owned();
    let events = r
        .stream(
            &format!("/deployments/{broken}/events"),
            50,
            Duration::from_secs(3),
        )
        .await;
    assert!(events.iter().any(|e| e["event"] == "error"));
    assert_eq!(events.last().unwrap()["deployment"]["status"], "failed");

    r.expect(M::GET, "/deployments", None, 200).await;
    r.expect(
        M::GET,
        "/deployments?app_name=conf-app&app_version=1.0.0&limit=1",
        None,
        200,
    )
    .await;
    r.expect(M::GET, "/deployments?app_version=1.0.0", None, 400)
        .await;
    r.expect(M::GET, "/deployments?limit=0", None, 400).await;
    r.expect(M::GET, &format!("/deployments/{id}"), None, 200)
        .await;
    r.expect(M::GET, "/deployments/nope", None, 404).await;
    r.expect(M::GET, "/deployments/nope/events", None, 404)
        .await;
    r.expect(
        M::GET,
        &format!("/deployments/{id}/events?since=yesterday"),
        None,
        400,
    )
    .await;
    let apps = r
        .expect(M::GET, "/apps?app_name=conf-app&version=1.0.0", None, 200)
        .await;
    assert_eq!(apps[0]["actions"][1]["name"], "summarize");
    r.expect(M::GET, "/apps?query=CONF&limit=5", None, 200)
        .await;

    let invoke = |action: &str| json!({ "app_name": "conf-app", "version": "1.0.0", "action_name": action, "async": true });
    r.expect(M::POST, "/invocations", Some(invoke("analyze")), 202)
        .await;
    r.expect(M::POST, "/invocations", Some(invoke("nope")), 404)
        .await;

    r.expect(M::DELETE, &format!("/deployments/{id}"), None, 204)
        .await;
    r.expect(M::DELETE, &format!("/deployments/{id}"), None, 204)
        .await;
    r.expect(M::DELETE, "/deployments/nope", None, 404).await;
}
