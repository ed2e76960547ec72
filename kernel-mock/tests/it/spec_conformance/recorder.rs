//! The recorder: sends requests to the mock and keeps every response and
//! stream event for validation.

use std::sync::Mutex;
use std::time::Duration;

use kernel_mock::spec::{self, SpecOperation};
use kernel_mock::KernelMock;
use reqwest::Method;
use serde_json::Value;

use crate::common::{read, Reply, SseReader};

#[derive(Debug)]
pub struct Record {
    pub op: &'static SpecOperation,
    pub status: u16,
    pub content_type: String,
    pub body: Option<Value>,
    pub event: bool,
}

/// A response read as bytes.
pub struct RawReply {
    pub status: u16,
    pub content_type: String,
    pub headers: reqwest::header::HeaderMap,
    pub bytes: Vec<u8>,
}

pub struct Recorder {
    base: String,
    key: String,
    http: reqwest::Client,
    pub records: Mutex<Vec<Record>>,
}

impl Recorder {
    pub fn new(mock: &KernelMock) -> Self {
        Recorder {
            base: mock.base_url(),
            key: mock.api_key(),
            http: reqwest::Client::new(),
            records: Mutex::new(Vec::new()),
        }
    }

    pub fn op(method: &Method, path: &str) -> &'static SpecOperation {
        let path = path.split('?').next().unwrap_or(path);
        spec::match_operation(method.as_str(), path)
            .unwrap_or_else(|| panic!("{method} {path} is not a spec operation"))
    }

    pub async fn call_with(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
        auth: bool,
    ) -> Reply {
        let mut request = self
            .http
            .request(method.clone(), format!("{}{}", self.base, path));
        if auth {
            request = request.bearer_auth(&self.key);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let reply = read(request.send().await.expect("request")).await;
        let content_type = reply.header("content-type").unwrap_or("").to_owned();
        self.records.lock().unwrap().push(Record {
            op: Self::op(&method, path),
            status: reply.status.as_u16(),
            content_type,
            body: if reply.body.is_null() {
                None
            } else {
                Some(reply.body.clone())
            },
            event: false,
        });
        reply
    }

    /// Sends a request `build` finishes (a binary or multipart body, query
    /// parameters) and records the response; a JSON body is kept for
    /// validation, any other body only by its content type.
    pub async fn send_raw(
        &self,
        method: Method,
        path: &str,
        build: impl FnOnce(reqwest::RequestBuilder) -> reqwest::RequestBuilder,
    ) -> RawReply {
        let request = self
            .http
            .request(method.clone(), format!("{}{}", self.base, path))
            .bearer_auth(&self.key);
        let response = build(request).send().await.expect("request");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let content_type = headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let bytes = response.bytes().await.expect("body").to_vec();
        let body = if content_type.starts_with("application/json") {
            serde_json::from_slice(&bytes).ok()
        } else {
            None
        };
        self.records.lock().unwrap().push(Record {
            op: Self::op(&method, path),
            status,
            content_type: content_type.clone(),
            body,
            event: false,
        });
        RawReply {
            status,
            content_type,
            headers,
            bytes,
        }
    }

    pub async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Reply {
        self.call_with(method, path, body, true).await
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.call(Method::GET, path, None).await
    }

    pub async fn expect(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
        status: u16,
    ) -> Value {
        let reply = self.call(method.clone(), path, body).await;
        assert_eq!(
            reply.status.as_u16(),
            status,
            "{method} {path}: {:?}",
            reply.body
        );
        reply.body
    }

    /// Reads up to `max` data events of a stream (or until it ends or stays
    /// quiet for `quiet`), recording each; `on_event` may act (e.g. submit).
    pub async fn stream(&self, path: &str, max: usize, quiet: Duration) -> Vec<Value> {
        let response = self
            .http
            .get(format!("{}{}", self.base, path))
            .bearer_auth(&self.key)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{path}");
        let op = Self::op(&Method::GET, path);
        let mut reader = SseReader::new(response);
        let mut events = Vec::new();
        while events.len() < max {
            let Some(frame) = reader.next_data(quiet).await else {
                break;
            };
            let value = frame.json();
            self.records.lock().unwrap().push(Record {
                op,
                status: 200,
                content_type: "text/event-stream".into(),
                body: Some(value.clone()),
                event: true,
            });
            events.push(value);
        }
        events
    }

    /// Polls `path` until `done`, recording every response.
    pub async fn poll(&self, path: &str, done: impl Fn(&Value) -> bool) -> Value {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let reply = self.get(path).await;
            if done(&reply.body) {
                return reply.body;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "timeout polling {path}: {:#}",
                reply.body
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
}
