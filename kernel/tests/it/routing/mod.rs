//! Direct-to-VM routing against two local servers, the API and a browser's
//! VM, each recording what it was sent: which calls go where, the route
//! cache, the fallback through the API, streams across it, and that the
//! token and the API key go only where they belong.

mod cache;
mod fallback;
mod rules;
mod secrets;
mod streams;

use crate::common::{self, fast_policy, json_response, serve, API_KEY};
use axum::response::Response;
use kernel::routing::BrowserRouting;
use kernel::Kernel;
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The token the API hands out. Not JWT-shaped, so only the redaction of
/// `jwt=` values can hide it.
const JWT: &str = "vmtok-SECRET-1";

/// Where the VM serves its endpoints under its host: the `base_url` path.
const VM_PATH: &str = "/browser/kernel";

/// One request a server received.
#[derive(Clone, Debug)]
struct Seen {
    method: String,
    path: String,
    query: String,
    auth: Option<String>,
    last_event_id: Option<String>,
}

impl Seen {
    /// `METHOD /path`.
    fn line(&self) -> String {
        format!("{} {}", self.method, self.path)
    }

    /// The `jwt` query parameter.
    fn jwt(&self) -> Option<String> {
        self.query
            .split('&')
            .find_map(|pair| pair.strip_prefix("jwt="))
            .map(str::to_string)
    }
}

/// A local server answering with `respond` and recording every request.
struct Server {
    url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Server {
    async fn start(respond: impl Fn(&Seen) -> Response + Send + Sync + 'static) -> Self {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        let respond = Arc::new(respond);
        let router = axum::Router::new().fallback(move |request: axum::extract::Request| {
            let (log, respond) = (log.clone(), respond.clone());
            async move {
                let (parts, body) = request.into_parts();
                let header = |name: &str| {
                    parts
                        .headers
                        .get(name)
                        .map(|v| v.to_str().unwrap_or("?").to_string())
                };
                let seen = Seen {
                    method: parts.method.to_string(),
                    path: parts.uri.path().to_string(),
                    query: parts.uri.query().unwrap_or_default().to_string(),
                    auth: header("authorization"),
                    last_event_id: header("last-event-id"),
                };
                // Read the body, as a server does before answering.
                let _ = axum::body::to_bytes(body, usize::MAX).await;
                log.lock().unwrap().push(seen.clone());
                respond(&seen)
            }
        });
        Self {
            url: serve(router).await,
            seen,
        }
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    fn lines(&self) -> Vec<String> {
        self.seen().iter().map(Seen::line).collect()
    }

    /// The VM's `base_url`.
    fn vm_base(&self) -> String {
        format!("{}{VM_PATH}", self.url)
    }
}

/// A browser as the API returns it, on the VM at `base_url` (if any), its
/// token in `cdp_ws_url`.
fn browser(id: &str, base_url: Option<&str>, jwt: &str) -> Value {
    let mut browser = common::browser_json(id);
    browser["cdp_ws_url"] = json!(format!("wss://cdp.example/{id}?jwt={jwt}"));
    if let Some(base_url) = base_url {
        browser["base_url"] = json!(base_url);
    }
    browser
}

/// What a server answers to a subresource call: a body every typed call
/// used here decodes.
fn answer(seen: &Seen) -> Response {
    if seen.path.ends_with("/list_files") {
        json_response(200, "[]")
    } else if seen.path.ends_with("/upload") {
        Response::builder()
            .status(204)
            .body(Default::default())
            .unwrap()
    } else {
        json_response(200, "{}")
    }
}

fn empty(status: u16) -> Response {
    Response::builder()
        .status(status)
        .body(Default::default())
        .unwrap()
}

/// The API: browsers (all on the VM at `vm_base`), pools, and every
/// subresource answered as [`answer`] does.
fn api(vm_base: String) -> impl Fn(&Seen) -> Response + Send + Sync + 'static {
    move |seen| {
        let segments: Vec<&str> = seen.path.trim_start_matches('/').split('/').collect();
        let one = |id: &str| json_response(200, browser(id, Some(&vm_base), JWT).to_string());
        match (seen.method.as_str(), segments.as_slice()) {
            ("POST", ["browsers"]) => one("b1"),
            ("GET", ["browsers"]) => json_response(
                200,
                json!([
                    browser("b1", Some(&vm_base), JWT),
                    browser("b2", Some(&vm_base), JWT)
                ])
                .to_string(),
            ),
            ("GET" | "PATCH", ["browsers", id]) => one(id),
            ("DELETE", ["browsers", _]) => empty(204),
            ("POST", ["browser_pools", _, "acquire"]) => one("b1"),
            ("POST", ["browser_pools", _, "release"]) => empty(204),
            _ => answer(seen),
        }
    }
}

/// A client for the API at `url` with fast retries.
fn client(url: &str, routing: BrowserRouting) -> Kernel {
    Kernel::builder()
        .api_key(API_KEY)
        .base_url(url)
        .retry_policy(fast_policy())
        .timeout(Duration::from_secs(5))
        .browser_routing(routing)
        .build()
        .unwrap()
}

/// The API, a VM that answers every call, and a client routing `prefixes`.
async fn setup(prefixes: &[&str]) -> (Kernel, Server, Server) {
    let vm = Server::start(answer).await;
    let api = Server::start(api(vm.vm_base())).await;
    let kernel = client(&api.url, BrowserRouting::subresources(prefixes));
    (kernel, api, vm)
}

/// Every request `vm` got came without the API key and with the token;
/// every one `api` got, with the key and without a token.
fn assert_credentials(api: &Server, vm: &Server) {
    for seen in vm.seen() {
        assert_eq!(seen.auth, None, "the API key went to the VM: {seen:?}");
        assert_eq!(seen.jwt().as_deref(), Some(JWT), "{seen:?}");
    }
    for seen in api.seen() {
        assert_eq!(seen.auth, Some(format!("Bearer {API_KEY}")), "{seen:?}");
        assert_eq!(seen.jwt(), None, "{seen:?}");
    }
}

/// A raw call to `path` through the client, its answer ignored.
async fn call(kernel: &Kernel, method: reqwest::Method, path: &str) -> kernel::Result<Value> {
    kernel.request(method, path).send::<Value>().await
}
