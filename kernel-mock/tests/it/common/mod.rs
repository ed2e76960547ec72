//! Helpers shared by the integration tests: a plain reqwest client with the
//! bearer token, an SSE frame reader, and polling helpers.

#![allow(dead_code)]

use std::time::Duration;

use futures::StreamExt;
use kernel_mock::KernelMock;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

/// A mock tuned for tests: fast steps, short heartbeats.
pub async fn fast_mock() -> KernelMock {
    KernelMock::builder()
        .step_delay(Duration::from_millis(15))
        .heartbeat_interval(Duration::from_millis(400))
        .telemetry_interval(Duration::from_millis(20))
        .start()
        .await
        .expect("start mock")
}

/// A response: status, headers and parsed JSON body (`Null` when empty).
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// A client for one mock.
#[derive(Clone)]
pub struct Api {
    pub base: String,
    pub key: String,
    pub http: reqwest::Client,
}

impl Api {
    pub fn new(mock: &KernelMock) -> Self {
        Api {
            base: mock.base_url(),
            key: mock.api_key(),
            http: reqwest::Client::new(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub async fn send(&self, method: Method, path: &str, body: Option<Value>) -> Reply {
        let mut request = self
            .http
            .request(method, self.url(path))
            .bearer_auth(&self.key);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("request");
        read(response).await
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.send(Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Reply {
        self.send(Method::POST, path, Some(body)).await
    }

    pub async fn patch(&self, path: &str, body: Value) -> Reply {
        self.send(Method::PATCH, path, Some(body)).await
    }

    pub async fn delete(&self, path: &str) -> Reply {
        self.send(Method::DELETE, path, None).await
    }

    /// Opens an event stream.
    pub async fn sse(&self, path: &str, last_event_id: Option<&str>) -> SseReader {
        let mut request = self.http.get(self.url(path)).bearer_auth(&self.key);
        if let Some(id) = last_event_id {
            request = request.header("Last-Event-ID", id);
        }
        let response = request.send().await.expect("sse request");
        assert_eq!(response.status(), 200, "{path}");
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        assert!(
            content_type.starts_with("text/event-stream"),
            "{content_type}"
        );
        SseReader::new(response)
    }

    /// Creates a connection for `domain`, returning its id.
    pub async fn connection(&self, domain: &str, profile: &str, extra: Value) -> String {
        let mut body = json!({ "domain": domain, "profile_name": profile });
        if let (Some(map), Value::Object(extra)) = (body.as_object_mut(), extra) {
            map.extend(extra);
        }
        let reply = self.post("/auth/connections", body).await;
        assert_eq!(reply.status, 201, "{:?}", reply.body);
        reply.body["id"].as_str().expect("id").to_owned()
    }

    /// Polls connection `id` until `done` holds (10 s at most).
    pub async fn wait_connection(&self, id: &str, done: impl Fn(&Value) -> bool) -> Value {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let reply = self.get(&format!("/auth/connections/{id}")).await;
            assert_eq!(reply.status, 200);
            if done(&reply.body) {
                return reply.body;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "timed out; last state: {:#}",
                reply.body
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    pub async fn submit(&self, id: &str, body: Value) -> Reply {
        self.post(&format!("/auth/connections/{id}/submit"), body)
            .await
    }
}

pub async fn read(response: reqwest::Response) -> Reply {
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.bytes().await.expect("body");
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
    };
    Reply {
        status,
        headers,
        body,
    }
}

/// One parsed SSE frame.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SseFrame {
    pub id: Option<String>,
    pub event: Option<String>,
    pub data: Option<String>,
    pub retry: Option<u64>,
    pub comment: Option<String>,
}

impl SseFrame {
    pub fn json(&self) -> Value {
        serde_json::from_str(self.data.as_deref().unwrap_or("null")).expect("frame data is JSON")
    }
}

/// The end of an event stream.
#[derive(Debug, PartialEq)]
pub enum StreamEnd {
    /// The server ended the body cleanly.
    Clean,
    /// The body failed (connection aborted, truncated chunk).
    Error(String),
    /// Nothing arrived in time.
    Timeout,
}

/// Reads SSE frames from a response body.
pub struct SseReader {
    stream: futures::stream::BoxStream<'static, reqwest::Result<bytes::Bytes>>,
    buffer: String,
    pub ended: Option<StreamEnd>,
    /// Bytes received after the last complete frame when the stream ended.
    pub leftover: String,
}

impl SseReader {
    pub fn new(response: reqwest::Response) -> Self {
        SseReader {
            stream: response.bytes_stream().boxed(),
            buffer: String::new(),
            ended: None,
            leftover: String::new(),
        }
    }

    /// The next frame, or `None` when the stream ended (see `ended`).
    pub async fn next(&mut self, timeout: Duration) -> Option<SseFrame> {
        loop {
            if let Some(pos) = self.buffer.find("\n\n") {
                let raw: String = self.buffer.drain(..pos + 2).collect();
                return Some(parse_frame(&raw));
            }
            if self.ended.is_some() {
                return None;
            }
            match tokio::time::timeout(timeout, self.stream.next()).await {
                Err(_) => {
                    self.ended = Some(StreamEnd::Timeout);
                    return None;
                }
                Ok(None) => {
                    self.leftover = std::mem::take(&mut self.buffer);
                    self.ended = Some(StreamEnd::Clean);
                    return None;
                }
                Ok(Some(Err(e))) => {
                    self.leftover = std::mem::take(&mut self.buffer);
                    self.ended = Some(StreamEnd::Error(e.to_string()));
                    return None;
                }
                Ok(Some(Ok(bytes))) => self.buffer.push_str(&String::from_utf8_lossy(&bytes)),
            }
        }
    }

    /// The next frame that carries data, skipping comments and retry fields.
    pub async fn next_data(&mut self, timeout: Duration) -> Option<SseFrame> {
        loop {
            let frame = self.next(timeout).await?;
            if frame.data.is_some() {
                return Some(frame);
            }
        }
    }

    /// The next data frame that is not a heartbeat.
    pub async fn next_event(&mut self, timeout: Duration) -> Option<SseFrame> {
        loop {
            let frame = self.next_data(timeout).await?;
            if frame.event.as_deref() != Some("sse_heartbeat") {
                return Some(frame);
            }
        }
    }
}

fn parse_frame(raw: &str) -> SseFrame {
    let mut frame = SseFrame::default();
    for line in raw.lines() {
        if let Some(rest) = line.strip_prefix(':') {
            frame.comment = Some(rest.trim().to_owned());
            continue;
        }
        let (field, value) = line
            .split_once(':')
            .map(|(f, v)| (f, v.strip_prefix(' ').unwrap_or(v)))
            .unwrap_or((line, ""));
        match field {
            "id" => frame.id = Some(value.to_owned()),
            "event" => frame.event = Some(value.to_owned()),
            "data" => {
                let data = frame.data.get_or_insert_with(String::new);
                if !data.is_empty() {
                    data.push('\n');
                }
                data.push_str(value);
            }
            "retry" => frame.retry = value.parse().ok(),
            _ => {}
        }
    }
    frame
}

/// Follows a connection's event stream until a terminal state, submitting
/// with `respond` whenever the flow is `AWAITING_INPUT`; returns every state
/// event seen.
pub async fn drive(
    api: &Api,
    id: &str,
    mut respond: impl FnMut(&Value) -> Option<Value>,
) -> Vec<Value> {
    let mut events = api
        .sse(&format!("/auth/connections/{id}/events"), None)
        .await;
    let mut seen = Vec::new();
    while let Some(frame) = events.next_event(Duration::from_secs(10)).await {
        assert_eq!(
            frame.event.as_deref(),
            Some("managed_auth_state"),
            "{frame:?}"
        );
        let state = frame.json();
        seen.push(state.clone());
        if state["flow_status"] != "IN_PROGRESS" {
            break;
        }
        if state["flow_step"] == "AWAITING_INPUT" {
            if let Some(body) = respond(&state) {
                let reply = api.submit(id, body).await;
                assert_eq!(reply.status, 202, "{:?}", reply.body);
            }
        }
    }
    assert!(
        seen.last()
            .is_some_and(|s| s["flow_status"] != "IN_PROGRESS"),
        "stream ended without a terminal state: {:?} / {seen:#?}",
        events.ended
    );
    // After the terminal event the server ends the stream.
    assert!(events.next_event(Duration::from_secs(5)).await.is_none());
    assert_eq!(events.ended, Some(StreamEnd::Clean));
    seen
}

/// The valid login for the default sites.
pub fn login_fields() -> Value {
    json!({ "fields": { "username": kernel_mock::sites::USERNAME, "password": kernel_mock::sites::PASSWORD } })
}

/// The names of the discovered fields of a state.
pub fn field_names(state: &Value) -> Vec<String> {
    state["discovered_fields"]
        .as_array()
        .map(|fields| {
            fields
                .iter()
                .filter_map(|f| f["name"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// A zip of `files`, stored (no compression), written with the `zip` crate
/// the fake reads archives with.
pub fn zip(files: &[(&str, &[u8])]) -> Vec<u8> {
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
