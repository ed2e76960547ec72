//! Proxies, extensions, deployments, apps and invoking deployed actions:
//! round trips, documented errors and the deployment lifecycle. The
//! helpers here build zips and send forms; the tests are by area.

mod deployments;
mod extensions;
mod proxies;

use crate::common::{zip, Api, Reply};
use reqwest::multipart::{Form, Part};

pub const STORE_ID: &str = "cjpalhdlnbpafiamejdnhcphjbkeiagm";

pub fn extension_zip() -> Vec<u8> {
    zip(&[
        (
            "ext/manifest.json",
            br#"{"manifest_version":3,"name":"t","version":"1"}"#,
        ),
        ("ext/bg.js", b"console.log(1)"),
    ])
}

pub fn part(bytes: Vec<u8>, name: &str) -> Part {
    Part::bytes(bytes).file_name(name.to_owned())
}

/// Sends a multipart form.
pub async fn send_form(api: &Api, path: &str, form: Form) -> Reply {
    let response = api
        .http
        .post(api.url(path))
        .bearer_auth(&api.key)
        .multipart(form)
        .send()
        .await
        .expect("request");
    crate::common::read(response).await
}

/// Asserts `reply` is an error with `status` and the spec's Error body.
#[track_caller]
pub fn assert_error(reply: &Reply, status: u16) {
    assert_eq!(reply.status.as_u16(), status, "{:?}", reply.body);
    assert!(reply.body["code"].is_string(), "{:?}", reply.body);
    assert!(reply.body["message"].is_string(), "{:?}", reply.body);
}
