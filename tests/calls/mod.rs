//! One call per operation of the spec, through `kernel_sys::Client`, shared by
//! the Prism conformance test (`prism.rs`) and the fake agreement test
//! (`fake_agreement.rs`).
//!
//! Each call takes the [`Ids`] of the resources it names: Prism accepts any
//! well-formed id, the fake only the ones it holds. Parameters and bodies
//! are valid for the spec and built with the generated types; each entry is
//! compiled code, so the table proves every operation is reachable from Rust.

use futures::future::BoxFuture;
use futures::StreamExt;
use kernel_sys::{ByteStream, Client, Error, ResponseValue};
use reqwest::multipart::Part;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};

/// What one call produced.
#[derive(Debug)]
pub enum Outcome {
    /// The documented primary response, deserialized (or read to the end).
    Ok(u16),
    /// A 2xx the generated code does not decode: the codegen keeps one
    /// success response per operation and removes alternates (202 not-ready,
    /// 204 timed-out) from progenitor's view, so they arrive as
    /// `Error::UnexpectedResponse`. Judged against the spec by the tests.
    Alternate(u16, Vec<u8>),
    Failed(String),
}

async fn fail(e: Error<()>) -> Outcome {
    match e {
        Error::UnexpectedResponse(response) => {
            let status = response.status().as_u16();
            let body = response
                .bytes()
                .await
                .map(|b| b.to_vec())
                .unwrap_or_default();
            if (200..300).contains(&status) {
                Outcome::Alternate(status, body)
            } else {
                Outcome::Failed(format!("HTTP {status}: {}", String::from_utf8_lossy(&body)))
            }
        }
        Error::InvalidResponsePayload(body, e) => Outcome::Failed(format!(
            "response does not deserialize: {e}: {}",
            String::from_utf8_lossy(&body)
        )),
        other => Outcome::Failed(other.to_string()),
    }
}

/// A JSON response, already deserialized into `T` by the generated code.
pub async fn json<T: std::fmt::Debug>(result: Result<ResponseValue<T>, Error<()>>) -> Outcome {
    match result {
        Ok(value) => Outcome::Ok(value.status().as_u16()),
        Err(e) => fail(e).await,
    }
}

/// A response without a body.
pub async fn empty(result: Result<ResponseValue<()>, Error<()>>) -> Outcome {
    json(result).await
}

/// A binary or event-stream response, read to the end.
pub async fn stream(result: Result<ResponseValue<ByteStream>, Error<()>>) -> Outcome {
    match result {
        Ok(value) => {
            let status = value.status().as_u16();
            let mut body = value.into_inner();
            while let Some(chunk) = body.next().await {
                if let Err(e) = chunk {
                    return Outcome::Failed(format!("stream: {e}"));
                }
            }
            Outcome::Ok(status)
        }
        Err(e) => fail(e).await,
    }
}

/// One operation's call.
pub type Call = for<'a> fn(&'a Client, &'a Ids) -> BoxFuture<'a, Outcome>;

/// The resources the calls name. Against Prism any well-formed value does;
/// against the fake each names a resource its setup created.
#[derive(Clone, Debug)]
pub struct Ids {
    /// The browser session of the browser calls.
    pub browser: String,
    /// A replay of `browser` that has stopped and can be downloaded.
    pub replay: String,
    /// A replay of `browser` that is still recording.
    pub recording_replay: String,
    /// A filesystem watch on `browser`.
    pub watch: String,
    /// A running process on `browser`, with a terminal (`format: uuid`).
    pub process: String,
    pub invocation: String,
    pub proxy: String,
    pub deployment: String,
    /// A browser pool's id or name.
    pub pool: String,
    /// A session leased from `pool`.
    pub pool_session: String,
    /// A profile's id or name, with saved state to download.
    pub profile: String,
    /// An auth connection with a login in progress that awaits an `email`.
    pub connection: String,
    /// The handoff code of `connection`'s login.
    pub handoff_code: String,
    /// An auth connection without a login in progress.
    pub idle_connection: String,
    /// An auth agent (deprecated API).
    pub agent: String,
    /// An auth agent invocation that offers SSO buttons.
    pub agent_invocation: String,
    /// The handoff code of `agent_invocation`.
    pub agent_handoff_code: String,
    /// A credential's id or name, with a TOTP secret.
    pub credential: String,
    pub provider: String,
    /// An uploaded extension's id or name.
    pub extension: String,
    /// A project for the deprecated `/projects` calls.
    pub project: String,
    /// A project for the `/org/projects` calls.
    pub org_project: String,
    pub api_key: String,
}

/// `call!("operationId", kind, |c| <builder>)`, or `|c, ids|` for a call that
/// names resources.
macro_rules! call {
    ($id:literal, $kind:ident, |$c:ident| $e:expr) => {
        call!($id, $kind, |$c, _ids| $e)
    };
    ($id:literal, $kind:ident, |$c:ident, $ids:ident| $e:expr) => {{
        fn run<'a>($c: &'a Client, $ids: &'a Ids) -> BoxFuture<'a, Outcome> {
            Box::pin(async move { $kind($e.await).await })
        }
        ($id, run as Call)
    }};
}

mod browsers;
mod org;
mod vm;

/// One call per operation of the spec.
pub fn calls() -> Vec<(&'static str, Call)> {
    let mut calls = browsers::calls();
    calls.extend(vm::calls());
    calls.extend(org::calls());
    calls
}

/// A zip that is both an extension (`manifest.json`) and an app
/// (`src/app.py`, the deployments' entrypoint).
pub fn zip_part() -> Part {
    let archive = zip(&[
        (
            "manifest.json",
            br#"{"manifest_version":3,"name":"my-ext","version":"1.0"}"#,
        ),
        ("src/app.py", b"print('hello')\n"),
    ]);
    Part::bytes(archive)
        .file_name("archive.zip")
        .mime_str("application/zip")
        .unwrap()
}

fn map(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// How a run builds its clients.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Via {
    /// `kernel_sys::Client` alone.
    Sys,
    /// The client `kernel::Kernel` builds: every call goes through the
    /// `kernel` transport (default headers, timeouts, retries, error capture).
    Kernel,
}

impl Via {
    /// A client for `base_url` that sends `extra` headers (e.g. `Prefer`)
    /// with every request.
    pub fn client(self, base_url: &str, api_key: &str, extra: &[(&'static str, &str)]) -> Client {
        match self {
            Via::Sys if extra.is_empty() => Client::with_api_key(base_url, api_key).unwrap(),
            Via::Sys => {
                let mut headers = reqwest::header::HeaderMap::new();
                headers.insert(
                    "authorization",
                    format!("Bearer {api_key}").parse().unwrap(),
                );
                for (name, value) in extra {
                    headers.insert(*name, value.parse().unwrap());
                }
                let http = reqwest::Client::builder()
                    .default_headers(headers)
                    .build()
                    .unwrap();
                Client::new_with_client(base_url, http, kernel_sys::Hooks::default())
            }
            Via::Kernel => {
                let mut builder = kernel::Kernel::builder()
                    .api_key(api_key)
                    .base_url(base_url)
                    .max_retries(0);
                for (name, value) in extra {
                    builder = builder.default_header(name, value);
                }
                builder.build().unwrap().sys().clone()
            }
        }
    }
}

/// An operation of the spec: its `(method, template)` and the 2xx statuses
/// it documents.
pub struct SpecOp {
    pub method: String,
    pub path: String,
    pub success: BTreeMap<u16, Option<String>>,
    /// The 2xx progenitor decodes (the codegen keeps the first 2xx with a
    /// body, else the first 2xx); the others are alternates.
    pub primary: u16,
}

/// Every operation of `spec`, by `operationId`.
pub fn spec_ops(spec: &Value) -> BTreeMap<String, SpecOp> {
    kernel_codegen::operations(spec)
        .into_iter()
        .map(|o| {
            let responses = spec["paths"][&o.path][&o.method]["responses"]
                .as_object()
                .expect("responses");
            let twos: Vec<(u16, bool)> = responses
                .iter()
                .filter_map(|(status, r)| {
                    Some((
                        status.parse().ok().filter(|s| (200..300).contains(s))?,
                        r.get("content").is_some(),
                    ))
                })
                .collect();
            let primary = twos
                .iter()
                .find(|(_, body)| *body)
                .or(twos.first())
                .expect("a 2xx")
                .0;
            let success = responses
                .iter()
                .filter_map(|(status, r)| {
                    let status: u16 = status.parse().ok().filter(|s| (200..300).contains(s))?;
                    let content = r["content"]
                        .as_object()
                        .and_then(|c| c.keys().next().cloned());
                    Some((status, content))
                })
                .collect();
            (
                o.id,
                SpecOp {
                    method: o.method.to_uppercase(),
                    path: o.path,
                    success,
                    primary,
                },
            )
        })
        .collect()
}

/// A zip of `files`, stored (no compression).
fn zip(files: &[(&str, &[u8])]) -> Vec<u8> {
    use std::io::Write;
    let mut archive = ::zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let stored = ::zip::write::SimpleFileOptions::default()
        .compression_method(::zip::CompressionMethod::Stored);
    for (name, data) in files {
        archive.start_file(*name, stored).expect("a zip entry");
        archive.write_all(data).expect("a zip entry's bytes");
    }
    archive.finish().expect("a zip").into_inner()
}
