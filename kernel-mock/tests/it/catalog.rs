//! Proxies, extensions, deployments, apps and invoking deployed actions:
//! round trips, documented errors and the deployment lifecycle. The
//! helpers here build zips and send forms; the tests are by area.

mod deployments;
mod extensions;
mod proxies;

use crate::common::{Api, Reply};
use reqwest::multipart::{Form, Part};

pub const STORE_ID: &str = "cjpalhdlnbpafiamejdnhcphjbkeiagm";

/// CRC-32 (IEEE) for the zip entries.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = u32::MAX;
    for &byte in data {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// An uncompressed zip of `files`.
pub fn zip(files: &[(&str, &[u8])]) -> Vec<u8> {
    let (mut out, mut dir) = (Vec::new(), Vec::new());
    for (name, data) in files {
        let offset = out.len() as u32;
        let mut common = Vec::new();
        for half in [20u16, 0, 0, 0, 0] {
            common.extend(half.to_le_bytes());
        }
        for word in [crc32(data), data.len() as u32, data.len() as u32] {
            common.extend(word.to_le_bytes());
        }
        common.extend((name.len() as u16).to_le_bytes());
        common.extend(0u16.to_le_bytes());
        out.extend(0x0403_4b50u32.to_le_bytes());
        out.extend(&common);
        out.extend(name.as_bytes());
        out.extend(*data);
        dir.extend(0x0201_4b50u32.to_le_bytes());
        dir.extend(20u16.to_le_bytes());
        dir.extend(&common);
        dir.extend([0; 10]);
        dir.extend(offset.to_le_bytes());
        dir.extend(name.as_bytes());
    }
    let dir_offset = out.len() as u32;
    out.extend(&dir);
    out.extend(0x0605_4b50u32.to_le_bytes());
    out.extend([0; 4]);
    out.extend((files.len() as u16).to_le_bytes());
    out.extend((files.len() as u16).to_le_bytes());
    out.extend((dir.len() as u32).to_le_bytes());
    out.extend(dir_offset.to_le_bytes());
    out.extend(0u16.to_le_bytes());
    out
}

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
