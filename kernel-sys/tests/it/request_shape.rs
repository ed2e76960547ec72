//! What goes over the wire: each operation's method, path, query, headers and body, as the server receives them.
//!
//! Each case calls one operation through the generated client against a
//! local server (wiremock) and checks the request against the *raw* spec:
//! method, path, query (exact pairs, each declared, each valid for its
//! schema), headers (`Authorization: Bearer`, `content-type` when there is a
//! body, declared header parameters) and the JSON body (the exact expected
//! value, and valid against the spec's request schema). The server answers
//! with an example synthesized from the spec, which must deserialize.
//!
//! Also here: multipart uploads with their parts checked, a binary download
//! consumed as a stream, and an event stream held open past 15 s.

use bytes::Bytes;
use futures::StreamExt;
use kernel_sys::types;
use kernel_sys::{open, ByteStream, Client, Error, ResponseValue};
use kernel_testkit::schema::validate;
use kernel_testkit::spec::{component, operation, operations, resolve, spec, SpecOp};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::time::{Duration, Instant};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

const KEY: &str = "sk_test_request_shape";

/// One operation call under test.
struct Case {
    op: SpecOp,
    path: String,
    query: Vec<(String, String)>,
    headers: Vec<(String, String)>,
    /// `Some`: the exact JSON body expected.
    body: Option<Value>,
    /// Replaces the spec's request schema for the body check (see
    /// `proxies_create`).
    body_schema: Option<Value>,
    /// Replaces the spec's response schema for the response check.
    response_schema: Option<Value>,
    status: u16,
    /// The JSON the server answers with (a spec example), if any.
    response: Option<Value>,
    server: MockServer,
}

impl Case {
    /// Starts a server that answers every request with the operation's
    /// primary success response and a spec-derived example body.
    async fn start(op_id: &str, path_params: &[(&str, &str)]) -> Self {
        let op = operation(op_id);
        let path = op.fill_path(path_params);
        let (status, response) = op.primary_response();
        let server = MockServer::start().await;
        let mut template = ResponseTemplate::new(status);
        if let Some(body) = &response {
            template = template.set_body_json(body);
        }
        Mock::given(any())
            .respond_with(template)
            .mount(&server)
            .await;
        Self {
            op,
            path,
            query: Vec::new(),
            headers: Vec::new(),
            body: None,
            status,
            response,
            body_schema: None,
            response_schema: None,
            server,
        }
    }

    /// Like [`Case::start`], answering with `body` as `content_type`.
    async fn start_raw(
        op_id: &str,
        path_params: &[(&str, &str)],
        content_type: &str,
        body: Vec<u8>,
    ) -> Self {
        let op = operation(op_id);
        let path = op.fill_path(path_params);
        let (status, _) = op.primary_response();
        let documented = op.op["responses"][status.to_string()]["content"]
            .as_object()
            .expect("content");
        assert!(
            documented.contains_key(content_type),
            "{op_id} does not answer {content_type}"
        );
        let server = MockServer::start().await;
        let template = ResponseTemplate::new(status).set_body_raw(body, content_type);
        Mock::given(any())
            .respond_with(template)
            .mount(&server)
            .await;
        Self {
            op,
            path,
            query: Vec::new(),
            headers: Vec::new(),
            body: None,
            status,
            response: None,
            body_schema: None,
            response_schema: None,
            server,
        }
    }

    fn client(&self) -> Client {
        Client::with_api_key(&self.server.uri(), KEY).expect("client")
    }

    fn query(mut self, pairs: &[(&str, &str)]) -> Self {
        self.query = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        self
    }

    fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    fn body(mut self, body: Value) -> Self {
        self.body = Some(body);
        self
    }

    fn body_schema(mut self, schema: Value) -> Self {
        self.body_schema = Some(schema);
        self
    }

    fn response_schema(mut self, schema: Value) -> Self {
        self.response_schema = Some(schema);
        self
    }

    /// Checks the one request the server received against the spec and the
    /// expectations. Returns the operation id.
    async fn check_request(&self) -> String {
        let id = &self.op.id;
        let requests = self.server.received_requests().await.expect("recording");
        assert_eq!(requests.len(), 1, "{id}: exactly one request");
        let request = &requests[0];

        assert_eq!(
            request.method.as_str(),
            self.op.method.to_uppercase(),
            "{id}: method"
        );
        assert_eq!(request.url.path(), self.path, "{id}: path");

        // Query: exactly the expected pairs; each declared and valid.
        let mut got: Vec<(String, String)> = request
            .url
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        let mut want = self.query.clone();
        got.sort();
        want.sort();
        assert_eq!(got, want, "{id}: query of {}", request.url);
        for (name, value) in &got {
            let param = self
                .op
                .param("query", name)
                .unwrap_or_else(|| panic!("{id}: `{name}` is not a query parameter of the spec"));
            let typed = typed_param(&param["schema"], value);
            validate(&param["schema"], &typed)
                .unwrap_or_else(|e| panic!("{id}: query {name}={value}: {e:?}"));
        }
        for param in self
            .op
            .params
            .iter()
            .filter(|p| p["required"] == json!(true) && p["in"] == "query")
        {
            let name = param["name"].as_str().unwrap();
            assert!(
                got.iter().any(|(k, _)| k == name),
                "{id}: required query parameter {name} missing"
            );
        }

        // Headers.
        let header = |name: &str| {
            request
                .headers
                .get(name)
                .map(|v| v.to_str().expect("ascii header").to_string())
        };
        assert_eq!(
            header("authorization").as_deref(),
            Some(format!("Bearer {KEY}").as_str()),
            "{id}: bearer auth"
        );
        for (name, value) in &self.headers {
            assert!(
                self.op.param("header", name).is_some(),
                "{id}: {name} is not a header parameter of the spec"
            );
            assert_eq!(
                header(name).as_deref(),
                Some(value.as_str()),
                "{id}: header {name}"
            );
        }

        // Body.
        match &self.body {
            Some(expected) => {
                assert_eq!(
                    header("content-type").as_deref(),
                    Some("application/json"),
                    "{id}: content-type"
                );
                let got: Value = serde_json::from_slice(&request.body)
                    .unwrap_or_else(|e| panic!("{id}: body is not JSON: {e}"));
                assert_eq!(&got, expected, "{id}: body");
                let spec_schema = self
                    .op
                    .json_body_schema()
                    .unwrap_or_else(|| panic!("{id} takes no JSON body"));
                let schema = self.body_schema.as_ref().unwrap_or(spec_schema);
                validate(schema, &got)
                    .unwrap_or_else(|e| panic!("{id}: body {got} invalid against the spec: {e:?}"));
            }
            None if self
                .op
                .body_content_types()
                .iter()
                .any(|c| c != "application/json") => {}
            None => {
                assert!(
                    request.body.is_empty(),
                    "{id}: unexpected body {:?}",
                    String::from_utf8_lossy(&request.body)
                );
                assert_eq!(
                    header("content-type"),
                    None,
                    "{id}: content-type without a body"
                );
                let required = self.op.op.pointer("/requestBody/required") == Some(&json!(true));
                assert!(!required, "{id}: the spec requires a body");
            }
        }
        id.clone()
    }

    /// Checks the request and a JSON response that must equal the spec
    /// example and serialize back to something the spec accepts.
    async fn json<T>(self, result: Result<ResponseValue<T>, Error<()>>) -> String
    where
        T: serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
    {
        let id = self.check_request().await;
        let response = result.unwrap_or_else(|e| panic!("{id}: {e}"));
        assert_eq!(response.status().as_u16(), self.status, "{id}: status");
        let example = self
            .response
            .clone()
            .unwrap_or_else(|| panic!("{id}: no JSON response in the spec"));
        let typed = response.into_inner();
        let expected: T = serde_json::from_value(example.clone())
            .unwrap_or_else(|e| panic!("{id}: example: {e}"));
        assert_eq!(typed, expected, "{id}: response");
        let spec_schema = self
            .op
            .op
            .pointer(&format!(
                "/responses/{}/content/application~1json/schema",
                self.status
            ))
            .unwrap();
        let schema = self.response_schema.as_ref().unwrap_or(spec_schema);
        let back = serde_json::to_value(&typed).unwrap();
        validate(schema, &back)
            .unwrap_or_else(|e| panic!("{id}: response re-serialized as {back} is invalid: {e:?}"));
        id
    }

    /// Checks the request and an empty response.
    async fn empty(self, result: Result<ResponseValue<()>, Error<()>>) -> String {
        let id = self.check_request().await;
        let response = result.unwrap_or_else(|e| panic!("{id}: {e}"));
        assert_eq!(response.status().as_u16(), self.status, "{id}: status");
        assert!(self.response.is_none(), "{id}: the spec documents a body");
        id
    }

    /// Checks the request and a byte-stream response equal to `expected`.
    async fn bytes(
        self,
        result: Result<ResponseValue<ByteStream>, Error<()>>,
        expected: &[u8],
    ) -> String {
        let id = self.check_request().await;
        let response = result.unwrap_or_else(|e| panic!("{id}: {e}"));
        assert_eq!(response.status().as_u16(), self.status, "{id}: status");
        let mut stream = response.into_inner();
        let mut got = Vec::new();
        while let Some(chunk) = stream.next().await {
            got.extend_from_slice(&chunk.unwrap_or_else(|e| panic!("{id}: stream: {e}")));
        }
        assert_eq!(got, expected, "{id}: body bytes");
        id
    }
}

/// A query value as the JSON its schema describes (`"10"` → `10`).
fn typed_param(schema: &Value, value: &str) -> Value {
    match resolve(schema)["type"].as_str() {
        Some("integer") => value
            .parse::<i64>()
            .map(Value::from)
            .unwrap_or_else(|_| json!(value)),
        Some("number") => value
            .parse::<f64>()
            .map(Value::from)
            .unwrap_or_else(|_| json!(value)),
        Some("boolean") => value
            .parse::<bool>()
            .map(Value::from)
            .unwrap_or_else(|_| json!(value)),
        _ => json!(value),
    }
}

// ---------------------------------------------------------------------------
// One or more cases per tag. Each returns the operation id it checked.

async fn browsers_post() -> String {
    let case = Case::start("postBrowsers", &[]).await;
    let result = case
        .client()
        .post_browsers()
        .body_map(|b| {
            b.headless(Some(true))
                .stealth(Some(true))
                .timeout_seconds(Some(300))
                .viewport(Some(types::BrowserViewport {
                    width: 1920,
                    height: 1080,
                    refresh_rate: Some(60),
                }))
                .profile(Some(types::BrowserProfile {
                    id: None,
                    name: Some("my-profile".parse().unwrap()),
                    save_changes: Some(true),
                }))
                .extensions(vec![types::BrowserExtension {
                    id: Some("ext_123".into()),
                    name: None,
                }])
                .start_url(Some("https://example.com".to_string()))
        })
        .send()
        .await;
    case.body(json!({
        "headless": true,
        "stealth": true,
        "timeout_seconds": 300,
        "viewport": { "width": 1920, "height": 1080, "refresh_rate": 60 },
        "profile": { "name": "my-profile", "save_changes": true },
        "extensions": [{ "id": "ext_123" }],
        "start_url": "https://example.com",
    }))
    .json(result)
    .await
}

async fn browsers_list() -> String {
    let case = Case::start("getBrowsers", &[]).await;
    let result = case
        .client()
        .get_browsers()
        .status(open::GetBrowsersStatus::Deleted)
        .include_deleted(true)
        .limit(10)
        .offset(20)
        .query("name with spaces&symbols")
        .send()
        .await;
    case.query(&[
        ("status", "deleted"),
        ("include_deleted", "true"),
        ("limit", "10"),
        ("offset", "20"),
        ("query", "name with spaces&symbols"),
    ])
    .json(result)
    .await
}

async fn browsers_patch() -> String {
    let case = Case::start("patchBrowsersById", &[("id", "htzv5orfit78e1m2biiifpbv")]).await;
    let result = case
        .client()
        .patch_browsers_by_id()
        .id("htzv5orfit78e1m2biiifpbv")
        .body_map(|b| {
            b.proxy_id(Some(String::new()))
                .disable_default_proxy(Some(true))
        })
        .send()
        .await;
    case.body(json!({ "proxy_id": "", "disable_default_proxy": true }))
        .json(result)
        .await
}

async fn replays_start() -> String {
    let case = Case::start("startBrowserReplayRecording", &[("id", "sess_1")]).await;
    let result = case
        .client()
        .start_browser_replay_recording()
        .id("sess_1")
        .body_map(|b| {
            b.framerate(std::num::NonZeroU64::new(30))
                .max_duration_in_seconds(std::num::NonZeroU64::new(600))
        })
        .send()
        .await;
    case.body(json!({ "framerate": 30, "max_duration_in_seconds": 600 }))
        .json(result)
        .await
}

async fn profiles_list() -> String {
    let case = Case::start("getProfiles", &[]).await;
    let result = case
        .client()
        .get_profiles()
        .limit(5)
        .offset(0)
        .query("work")
        .send()
        .await;
    case.query(&[("limit", "5"), ("offset", "0"), ("query", "work")])
        .json(result)
        .await
}

async fn filesystem_write_file() -> String {
    let content = b"hello, \x00binary\xff world".to_vec();
    let case = Case::start("writeFile", &[("id", "sess_1")]).await;
    let result = case
        .client()
        .write_file()
        .id("sess_1")
        .path("/tmp/dir with space/a.txt")
        .mode("0644")
        .body(content.clone())
        .send()
        .await;
    let case = case.query(&[("path", "/tmp/dir with space/a.txt"), ("mode", "0644")]);
    let requests = case.server.received_requests().await.unwrap();
    let request = &requests[0];
    assert_eq!(
        request.headers.get("content-type").unwrap(),
        "application/octet-stream"
    );
    assert_eq!(request.body, content, "writeFile: raw bytes, not JSON");
    case.empty(result).await
}

async fn filesystem_list_files() -> String {
    let case = Case::start("listFiles", &[("id", "sess_1")]).await;
    let result = case
        .client()
        .list_files()
        .id("sess_1")
        .path("/home/kernel")
        .send()
        .await;
    case.query(&[("path", "/home/kernel")]).json(result).await
}

async fn computer_click() -> String {
    let case = Case::start("clickMouse", &[("id", "sess_1")]).await;
    let result = case
        .client()
        .click_mouse()
        .id("sess_1")
        .body_map(|b| {
            b.x(100)
                .y(200)
                .button(Some(open::ClickMouseRequestButton::Right))
                .num_clicks(2)
                .hold_keys(vec!["Shift".to_string()])
        })
        .send()
        .await;
    case.body(
        json!({ "x": 100, "y": 200, "button": "right", "num_clicks": 2, "hold_keys": ["Shift"] }),
    )
    .empty(result)
    .await
}

async fn computer_screenshot() -> String {
    let png = b"\x89PNG\r\n\x1a\nnot really a png".to_vec();
    let case = Case::start_raw(
        "takeScreenshot",
        &[("id", "sess_1")],
        "image/png",
        png.clone(),
    )
    .await;
    let result = case
        .client()
        .take_screenshot()
        .id("sess_1")
        .body_map(|b| {
            b.region(Some(types::ScreenshotRegion {
                x: 0,
                y: 0,
                width: 640,
                height: 480,
            }))
        })
        .send()
        .await;
    case.body(json!({ "region": { "x": 0, "y": 0, "width": 640, "height": 480 } }))
        .bytes(result, &png)
        .await
}

async fn playwright_execute() -> String {
    let case = Case::start("executePlaywrightCode", &[("id", "sess_1")]).await;
    let code = "await page.goto('https://example.com'); return await page.title();";
    let result = case
        .client()
        .execute_playwright_code()
        .id("sess_1")
        .body_map(|b| {
            b.code(code)
                .timeout_sec(std::num::NonZeroU64::new(30).unwrap())
        })
        .send()
        .await;
    case.body(json!({ "code": code, "timeout_sec": 30 }))
        .json(result)
        .await
}

async fn processes_exec() -> String {
    let case = Case::start("processExec", &[("id", "sess_1")]).await;
    let result = case
        .client()
        .process_exec()
        .id("sess_1")
        .body_map(|b| {
            b.command("ls")
                .args(vec!["-la".to_string(), "/tmp".to_string()])
                .cwd(Some("/home/kernel".parse().unwrap()))
                .env(
                    [("LANG".to_string(), "C".to_string())]
                        .into_iter()
                        .collect::<std::collections::HashMap<_, _>>(),
                )
                .timeout_sec(Some(30))
        })
        .send()
        .await;
    // `as_root` has a spec default, but a field the caller did not set is
    // not sent (codegen's `drop_property_defaults`): the server applies it.
    case.body(json!({
        "command": "ls",
        "args": ["-la", "/tmp"],
        "cwd": "/home/kernel",
        "env": { "LANG": "C" },
        "timeout_sec": 30,
    }))
    .json(result)
    .await
}

async fn logs_stream() -> String {
    let sse = b"data: {\"message\":\"hello\"}\n\n".to_vec();
    let case = Case::start_raw(
        "logsStream",
        &[("id", "sess_1")],
        "text/event-stream",
        sse.clone(),
    )
    .await;
    let result = case
        .client()
        .logs_stream()
        .id("sess_1")
        .source(open::LogsStreamSource::Path)
        .follow(true)
        .path("/var/log/app.log")
        .send()
        .await;
    case.query(&[
        ("source", "path"),
        ("follow", "true"),
        ("path", "/var/log/app.log"),
    ])
    .bytes(result, &sse)
    .await
}

async fn telemetry_stream() -> String {
    let sse = b"id: 43\ndata: {\"type\":\"network_idle\"}\n\n".to_vec();
    let case = Case::start_raw(
        "streamBrowserTelemetry",
        &[("id", "sess_1")],
        "text/event-stream",
        sse.clone(),
    )
    .await;
    let result = case
        .client()
        .stream_browser_telemetry()
        .id("sess_1")
        .last_event_id("42")
        .send()
        .await;
    case.header("Last-Event-ID", "42").bytes(result, &sse).await
}

async fn extensions_from_chrome_store() -> String {
    let crx = b"Cr24 extension bytes".to_vec();
    let case = Case::start_raw(
        "getExtensionsFromChromeStore",
        &[],
        "application/octet-stream",
        crx.clone(),
    )
    .await;
    let url = "https://chromewebstore.google.com/detail/abc?hl=en&x=1";
    let result = case
        .client()
        .get_extensions_from_chrome_store()
        .url(url)
        .os(open::GetExtensionsFromChromeStoreOs::Linux)
        .send()
        .await;
    case.query(&[("url", url), ("os", "linux")])
        .bytes(result, &crx)
        .await
}

async fn proxies_create() -> String {
    let case = Case::start("postProxies", &[]).await;
    let result = case
        .client()
        .post_proxies()
        .body_map(|b| {
            b.name(Some("office".to_string()))
                .type_(open::ProxyCreateRequestType::Custom)
                .protocol(Some(open::ProxyCreateRequestProtocol::Https))
                .bypass_hosts(vec!["localhost".to_string()])
                .config(Some(
                    types::ProxyCreateRequestConfig::try_from(
                        types::ProxyCreateRequestConfig::builder()
                            .host(Some("10.0.0.1".to_string()))
                            .port(Some(3128))
                            .username(Some("user".to_string()))
                            .password(Some("secret".into())),
                    )
                    .unwrap(),
                ))
        })
        .send()
        .await;
    // The spec's `config` is a oneOf of overlapping schemas that no value
    // satisfies (see the forward_compat test `UNSATISFIABLE_IN_SPEC`): the
    // body is checked against ProxyCreateRequest with `config` narrowed to
    // the custom schema the request uses, the response (the spec example, a
    // datacenter proxy) against Proxy with `config` narrowed likewise.
    let mut schema = component("ProxyCreateRequest").clone();
    schema["properties"]["config"] =
        json!({ "$ref": "#/components/schemas/CreateCustomProxyConfig" });
    let mut response_schema = component("Proxy").clone();
    assert_eq!(case.response.as_ref().unwrap()["type"], "datacenter");
    response_schema["properties"]["config"] =
        json!({ "$ref": "#/components/schemas/DatacenterProxyConfig" });
    case.body(json!({
        "name": "office",
        "type": "custom",
        "protocol": "https",
        "bypass_hosts": ["localhost"],
        "config": { "host": "10.0.0.1", "port": 3128, "username": "user", "password": "secret" },
    }))
    .body_schema(schema)
    .response_schema(response_schema)
    .json(result)
    .await
}

async fn pools_delete_with_body() -> String {
    let case = Case::start("deleteBrowserPoolsByIdOrName", &[("id_or_name", "my-pool")]).await;
    let result = case
        .client()
        .delete_browser_pools_by_id_or_name()
        .id_or_name("my-pool")
        .body_map(|b| b.force(true))
        .send()
        .await;
    case.body(json!({ "force": true })).empty(result).await
}

async fn pools_acquire() -> String {
    let case = Case::start(
        "acquireFromBrowserPoolByIdOrName",
        &[("id_or_name", "pool_1")],
    )
    .await;
    let result = case
        .client()
        .acquire_from_browser_pool_by_id_or_name()
        .id_or_name("pool_1")
        .body_map(|b| b.acquire_timeout_seconds(Some(30)))
        .send()
        .await;
    case.body(json!({ "acquire_timeout_seconds": 30 }))
        .json(result)
        .await
}

async fn managed_auth_create() -> String {
    let case = Case::start("postAuthConnections", &[]).await;
    let result = case
        .client()
        .post_auth_connections()
        .body_map(|b| {
            b.domain("netflix.com")
                .profile_name("user-123")
                .login_url(Some("https://netflix.com/login".to_string()))
                .proxy(Some(types::ProxyRef {
                    id: None,
                    name: Some("office".into()),
                }))
                .credential(Some(types::CredentialReference {
                    auto: None,
                    name: Some("netflix-creds".into()),
                    path: None,
                    provider: None,
                }))
                .allowed_domains(vec!["auth.netflix.com".to_string()])
                .health_check_interval(Some(3600))
        })
        .send()
        .await;
    // auto_reauth / health_checks / save_credentials / record_session have
    // spec defaults, which the server applies: unset fields are not sent.
    case.body(json!({
        "domain": "netflix.com",
        "profile_name": "user-123",
        "login_url": "https://netflix.com/login",
        "proxy": { "name": "office" },
        "credential": { "name": "netflix-creds" },
        "allowed_domains": ["auth.netflix.com"],
        "health_check_interval": 3600,
    }))
    .json(result)
    .await
}

async fn managed_auth_list() -> String {
    let case = Case::start("getAuthConnections", &[]).await;
    let result = case
        .client()
        .get_auth_connections()
        .profile_name("user-123")
        .domain("netflix.com")
        .limit(2)
        .send()
        .await;
    case.query(&[
        ("profile_name", "user-123"),
        ("domain", "netflix.com"),
        ("limit", "2"),
    ])
    .json(result)
    .await
}

async fn credentials_create() -> String {
    let case = Case::start("postCredentials", &[]).await;
    let result = case
        .client()
        .post_credentials()
        .body_map(|b| {
            b.name("my-netflix-login")
                .domain("netflix.com")
                .values(
                    [
                        ("email".to_string(), "user@example.com".to_string()),
                        ("password".to_string(), "hunter2".to_string()),
                    ]
                    .into_iter()
                    .collect::<std::collections::HashMap<_, _>>(),
                )
                .totp_secret(Some("JBSWY3DPEHPK3PXP".into()))
        })
        .send()
        .await;
    case.body(json!({
        "name": "my-netflix-login",
        "domain": "netflix.com",
        "values": { "email": "user@example.com", "password": "hunter2" },
        "totp_secret": "JBSWY3DPEHPK3PXP",
    }))
    .json(result)
    .await
}

async fn credential_providers_create() -> String {
    let case = Case::start("postCredentialProviders", &[]).await;
    let result = case
        .client()
        .post_credential_providers()
        .body_map(|b| {
            b.provider_type(open::CreateCredentialProviderRequestProviderType::Onepassword)
                .name("my-1password")
                .token("ops_token")
                .cache_ttl_seconds(600)
        })
        .send()
        .await;
    case.body(json!({ "provider_type": "onepassword", "name": "my-1password", "token": "ops_token", "cache_ttl_seconds": 600 }))
        .json(result)
        .await
}

async fn apps_list() -> String {
    let case = Case::start("getApps", &[]).await;
    let result = case
        .client()
        .get_apps()
        .app_name("my-app")
        .version("1.0.0")
        .limit(3)
        .offset(6)
        .send()
        .await;
    case.query(&[
        ("app_name", "my-app"),
        ("version", "1.0.0"),
        ("limit", "3"),
        ("offset", "6"),
    ])
    .json(result)
    .await
}

async fn deployments_list() -> String {
    let case = Case::start("getDeployments", &[]).await;
    let result = case
        .client()
        .get_deployments()
        .app_name("my-app")
        .app_version("1.0.0")
        .limit(1)
        .send()
        .await;
    case.query(&[
        ("app_name", "my-app"),
        ("app_version", "1.0.0"),
        ("limit", "1"),
    ])
    .json(result)
    .await
}

async fn invocations_create() -> String {
    let case = Case::start("postInvocations", &[]).await;
    let result = case
        .client()
        .post_invocations()
        .body_map(|b| {
            b.app_name("my-app")
                .version("1.0.0")
                .action_name("analyze")
                .payload(Some(r#"{"data":"example input"}"#.to_string()))
                .async_(true)
                .async_timeout_seconds(120)
        })
        .send()
        .await;
    case.body(json!({
        "app_name": "my-app",
        "version": "1.0.0",
        "action_name": "analyze",
        "payload": "{\"data\":\"example input\"}",
        "async": true,
        "async_timeout_seconds": 120,
    }))
    .json(result)
    .await
}

async fn invocations_list() -> String {
    let case = Case::start("getInvocations", &[]).await;
    let result = case
        .client()
        .get_invocations()
        .status(open::GetInvocationsStatus::Running)
        .since("5m")
        .deployment_id("dep_1")
        .send()
        .await;
    case.query(&[
        ("status", "running"),
        ("since", "5m"),
        ("deployment_id", "dep_1"),
    ])
    .json(result)
    .await
}

async fn auth_connections_deprecated_create() -> String {
    let case = Case::start("postAgentsAuth", &[]).await;
    assert_eq!(
        (case.op.tag.as_str(), &case.op.op["deprecated"]),
        ("Auth Connections", &json!(true))
    );
    let result = case
        .client()
        .post_agents_auth()
        .body_map(|b| {
            b.domain("netflix.com")
                .profile_name("user-123")
                .credential_name(Some("netflix-creds".to_string()))
                .proxy(Some(types::AuthAgentCreateRequestProxy {
                    proxy_id: Some("proxy_1".into()),
                }))
        })
        .send()
        .await;
    case.body(json!({
        "domain": "netflix.com",
        "profile_name": "user-123",
        "credential_name": "netflix-creds",
        "proxy": { "proxy_id": "proxy_1" },
    }))
    .json(result)
    .await
}

async fn projects_patch_limits() -> String {
    let case = Case::start("patchProjectLimits", &[("id", "proj_abc123")]).await;
    let result = case
        .client()
        .patch_project_limits()
        .id("proj_abc123")
        .body_map(|b| {
            b.max_concurrent_sessions(Some(0))
                .max_pooled_sessions(Some(25))
        })
        .send()
        .await;
    case.body(json!({ "max_concurrent_sessions": 0, "max_pooled_sessions": 25 }))
        .json(result)
        .await
}

async fn api_keys_create() -> String {
    let case = Case::start("postApiKeys", &[]).await;
    let result = case
        .client()
        .post_api_keys()
        .body_map(|b| {
            b.name("ci-key".parse::<types::CreateApiKeyRequestName>().unwrap())
                .days_to_expire(std::num::NonZeroU64::new(90))
                .project_id(Some("proj_abc123".to_string()))
        })
        .send()
        .await;
    case.body(json!({ "name": "ci-key", "days_to_expire": 90, "project_id": "proj_abc123" }))
        .json(result)
        .await
}

async fn api_keys_delete() -> String {
    let case = Case::start("deleteApiKeysById", &[("id", "key/with slash")]).await;
    // Path parameters are percent-encoded.
    let case = Case {
        path: "/org/api_keys/key%2Fwith%20slash".into(),
        ..case
    };
    let result = case
        .client()
        .delete_api_keys_by_id()
        .id("key/with slash")
        .send()
        .await;
    case.empty(result).await
}

/// Every tag the spec uses (operation tags and the declared tag list).
fn spec_tags() -> BTreeSet<String> {
    let mut tags: BTreeSet<String> = operations().into_iter().map(|o| o.tag).collect();
    for tag in spec()["tags"].as_array().into_iter().flatten() {
        tags.insert(tag["name"].as_str().unwrap().to_string());
    }
    tags
}

#[tokio::test]
async fn every_tag_has_a_request_shape_case_that_matches_the_spec() {
    type Case = (&'static str, futures::future::BoxFuture<'static, String>);
    let cases: Vec<Case> = vec![
        ("browsers_post", Box::pin(browsers_post())),
        ("browsers_list", Box::pin(browsers_list())),
        ("browsers_patch", Box::pin(browsers_patch())),
        ("replays_start", Box::pin(replays_start())),
        ("profiles_list", Box::pin(profiles_list())),
        ("filesystem_write_file", Box::pin(filesystem_write_file())),
        ("filesystem_list_files", Box::pin(filesystem_list_files())),
        ("computer_click", Box::pin(computer_click())),
        ("computer_screenshot", Box::pin(computer_screenshot())),
        ("playwright_execute", Box::pin(playwright_execute())),
        ("processes_exec", Box::pin(processes_exec())),
        ("logs_stream", Box::pin(logs_stream())),
        ("telemetry_stream", Box::pin(telemetry_stream())),
        (
            "extensions_from_chrome_store",
            Box::pin(extensions_from_chrome_store()),
        ),
        ("proxies_create", Box::pin(proxies_create())),
        ("pools_delete_with_body", Box::pin(pools_delete_with_body())),
        ("pools_acquire", Box::pin(pools_acquire())),
        ("managed_auth_create", Box::pin(managed_auth_create())),
        ("managed_auth_list", Box::pin(managed_auth_list())),
        ("credentials_create", Box::pin(credentials_create())),
        (
            "credential_providers_create",
            Box::pin(credential_providers_create()),
        ),
        ("apps_list", Box::pin(apps_list())),
        ("deployments_list", Box::pin(deployments_list())),
        ("invocations_create", Box::pin(invocations_create())),
        ("invocations_list", Box::pin(invocations_list())),
        (
            "auth_connections_deprecated_create",
            Box::pin(auth_connections_deprecated_create()),
        ),
        ("projects_patch_limits", Box::pin(projects_patch_limits())),
        ("api_keys_create", Box::pin(api_keys_create())),
        ("api_keys_delete", Box::pin(api_keys_delete())),
    ];
    let handles: Vec<_> = cases
        .into_iter()
        .map(|(name, case)| (name, tokio::spawn(case)))
        .collect();
    let mut checked = Vec::new();
    let mut failures = Vec::new();
    for (name, handle) in handles {
        match handle.await {
            Ok(op_id) => checked.push(op_id),
            Err(e) => {
                let message = e.try_into_panic().ok().and_then(|p| {
                    p.downcast_ref::<String>()
                        .cloned()
                        .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                });
                failures.push(format!("{name}: {}", message.unwrap_or_default()));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} case(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );

    // Coverage: at least one checked operation for every tag of the spec.
    let ops = operations();
    let covered: BTreeSet<String> = checked
        .iter()
        .map(|id| {
            ops.iter()
                .find(|o| &o.id == id)
                .expect("spec op")
                .tag
                .clone()
        })
        .collect();
    let tags = spec_tags();
    let missing: Vec<&String> = tags.iter().filter(|t| !covered.contains(*t)).collect();
    assert!(
        missing.is_empty(),
        "tags without a request-shape case: {missing:?}"
    );
    // Guards against an empty tag list making the check above vacuous.
    assert!(tags.len() >= 21, "the spec's tags: {tags:?}");
    println!(
        "{} operations checked, covering all {} tags",
        checked.len(),
        tags.len()
    );
}

// ---------------------------------------------------------------------------
// Multipart uploads.

/// The parts of a `multipart/form-data` body: (name, filename, content-type, bytes).
async fn parse_multipart(
    request: &wiremock::Request,
) -> Vec<(String, Option<String>, Option<String>, Vec<u8>)> {
    let content_type = request
        .headers
        .get("content-type")
        .expect("content-type")
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        content_type.starts_with("multipart/form-data; boundary="),
        "content-type {content_type}"
    );
    let boundary = multer::parse_boundary(&content_type).expect("boundary");
    assert!(!boundary.is_empty());
    let body = String::from_utf8_lossy(&request.body);
    assert!(
        body.starts_with(&format!("--{boundary}\r\n")),
        "body opens with the boundary"
    );
    assert!(
        body.trim_end().ends_with(&format!("--{boundary}--")),
        "body closes with the boundary"
    );
    let stream = futures::stream::once(futures::future::ready(Ok::<Bytes, std::io::Error>(
        Bytes::from(request.body.clone()),
    )));
    let mut multipart = multer::Multipart::new(stream, boundary);
    let mut parts = Vec::new();
    while let Some(field) = multipart.next_field().await.expect("well-formed multipart") {
        let name = field.name().expect("named part").to_string();
        let file_name = field.file_name().map(str::to_string);
        let content_type = field.content_type().map(|m| m.to_string());
        let data = field.bytes().await.expect("part body").to_vec();
        parts.push((name, file_name, content_type, data));
    }
    parts
}

/// A bracketed multipart field name (`files[0][dest_path]`) resolved against
/// the operation's multipart schema: the schema of the leaf property.
fn multipart_field_schema(op: &SpecOp, name: &str) -> Value {
    let mut schema = resolve(
        op.op
            .pointer("/requestBody/content/multipart~1form-data/schema")
            .expect("multipart"),
    )
    .clone();
    let mut segments = name.split('[').map(|s| s.trim_end_matches(']'));
    let first = segments.next().unwrap();
    let lookup = |schema: &Value, key: &str| -> Option<Value> {
        let schema = resolve(schema);
        schema["properties"].get(key).cloned().or_else(|| {
            schema["oneOf"]
                .as_array()?
                .iter()
                .find_map(|v| resolve(v)["properties"].get(key).cloned())
        })
    };
    schema =
        lookup(&schema, first).unwrap_or_else(|| panic!("{}: no multipart field {first}", op.id));
    for segment in segments {
        let resolved = resolve(&schema).clone();
        schema = if segment.parse::<usize>().is_ok() {
            resolved["items"].clone()
        } else if let Some(p) = lookup(&resolved, segment) {
            p
        } else if let Some(extra) = resolved
            .get("additionalProperties")
            .filter(|a| a.is_object())
        {
            extra.clone()
        } else {
            panic!("{}: {name}: no field {segment}", op.id)
        };
    }
    schema
}

#[tokio::test]
async fn upload_files_sends_the_documented_multipart_parts() {
    let op = operation("uploadFiles");
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(201))
        .mount(&server)
        .await;
    let client = Client::with_api_key(&server.uri(), KEY).unwrap();
    let first = b"first file \x00\x01\x02".to_vec();
    let second = vec![0xabu8; 70_000];
    let files = vec![
        (
            "/tmp/a.bin".to_string(),
            reqwest::multipart::Part::bytes(first.clone()).file_name("a.bin"),
        ),
        (
            "/tmp/b.bin".to_string(),
            reqwest::multipart::Part::bytes(second.clone()),
        ),
    ];
    let response = client
        .upload_files("sess 1", files)
        .await
        .expect("uploadFiles");
    assert_eq!(response.status().as_u16(), 201);

    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.method.as_str(), "POST");
    assert_eq!(request.url.path(), op.fill_path(&[("id", "sess%201")]));
    assert_eq!(
        request.headers.get("authorization").unwrap(),
        &format!("Bearer {KEY}")
    );
    let parts = parse_multipart(request).await;
    let names: Vec<&str> = parts.iter().map(|p| p.0.as_str()).collect();
    assert_eq!(
        names,
        [
            "files[0][file]",
            "files[0][dest_path]",
            "files[1][file]",
            "files[1][dest_path]"
        ]
    );
    assert_eq!(parts[0].1.as_deref(), Some("a.bin"));
    assert_eq!(parts[0].3, first);
    assert_eq!(parts[1].3, b"/tmp/a.bin");
    assert_eq!(parts[2].3, second);
    assert_eq!(parts[3].3, b"/tmp/b.bin");
    // Each part is a field of the spec's schema.
    for (name, _, _, data) in &parts {
        let schema = multipart_field_schema(&op, name);
        if schema["format"] != "binary" {
            validate(&schema, &json!(String::from_utf8(data.clone()).unwrap()))
                .unwrap_or_else(|e| panic!("{name}: {e:?}"));
        }
    }
}

#[tokio::test]
async fn post_deployments_sends_the_documented_multipart_parts() {
    let op = operation("postDeployments");
    let server = MockServer::start().await;
    let (status, response) = op.primary_response();
    assert_eq!(status, 201);
    let response = response.expect("Deployment example");
    Mock::given(any())
        .respond_with(ResponseTemplate::new(201).set_body_json(&response))
        .mount(&server)
        .await;
    let client = Client::with_api_key(&server.uri(), KEY).unwrap();

    let zip = b"PK\x03\x04 a zip".to_vec();
    let form = kernel_sys::multipart::DeploymentForm {
        code: kernel_sys::multipart::DeploymentCode::Zip {
            file: reqwest::multipart::Part::bytes(zip.clone())
                .file_name("app.zip")
                .mime_str("application/zip")
                .unwrap(),
            entrypoint_rel_path: "src/app.py".into(),
        },
        version: Some("1.2.3".into()),
        region: Some("aws.us-east-1a".into()),
        force: Some(true),
        env_vars: [("API_URL".to_string(), "https://example.com".to_string())]
            .into_iter()
            .collect(),
    };
    let deployment = client
        .post_deployments(form)
        .await
        .expect("postDeployments")
        .into_inner();
    assert_eq!(
        deployment,
        serde_json::from_value::<types::Deployment>(response).unwrap()
    );

    let form = kernel_sys::multipart::DeploymentForm {
        code: kernel_sys::multipart::DeploymentCode::Source(
            serde_json::from_value(json!({
                "type": "github", "url": "https://github.com/org/repo", "ref": "main", "entrypoint": "app.py"
            }))
            .unwrap(),
        ),
        version: None,
        region: None,
        force: None,
        env_vars: Default::default(),
    };
    client
        .post_deployments(form)
        .await
        .expect("postDeployments from source");

    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 2);
    for request in &requests {
        assert_eq!(request.method.as_str(), "POST");
        assert_eq!(request.url.path(), "/deployments");
        assert_eq!(
            request.headers.get("authorization").unwrap(),
            &format!("Bearer {KEY}")
        );
    }
    let parts = parse_multipart(&requests[0]).await;
    let summary: Vec<(&str, Vec<u8>)> = parts.iter().map(|p| (p.0.as_str(), p.3.clone())).collect();
    assert_eq!(
        summary,
        [
            ("file", zip.clone()),
            ("entrypoint_rel_path", b"src/app.py".to_vec()),
            ("version", b"1.2.3".to_vec()),
            ("region", b"aws.us-east-1a".to_vec()),
            ("force", b"true".to_vec()),
            ("env_vars[API_URL]", b"https://example.com".to_vec()),
        ]
    );
    assert_eq!(parts[0].1.as_deref(), Some("app.zip"));
    assert_eq!(parts[0].2.as_deref(), Some("application/zip"));
    for (name, _, _, _) in &parts {
        multipart_field_schema(&op, name);
    }

    let parts = parse_multipart(&requests[1]).await;
    assert_eq!(parts.len(), 1);
    assert_eq!(parts[0].0, "source");
    // The spec's `encoding.source.contentType`.
    let encoding = op
        .op
        .pointer("/requestBody/content/multipart~1form-data/encoding/source/contentType");
    assert_eq!(encoding, Some(&json!("application/json")));
    assert_eq!(parts[0].2.as_deref(), Some("application/json"));
    let source: Value = serde_json::from_slice(&parts[0].3).unwrap();
    assert_eq!(
        source,
        json!({ "type": "github", "url": "https://github.com/org/repo", "ref": "main", "entrypoint": "app.py" })
    );
    validate(component("DeploymentSource"), &source).unwrap();
}

// ---------------------------------------------------------------------------
// Streaming.

/// An axum server on 127.0.0.1 with one route; returns its base URL.
async fn serve(router: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    format!("http://{addr}")
}

/// `read_file` of 8 MiB is consumed chunk by chunk. The server sends the
/// first MiB and then waits until the client has *received* it before
/// sending the rest, so a client that buffered the whole body would never
/// see a chunk and the test would time out.
#[tokio::test]
async fn read_file_is_a_stream_not_a_buffer() {
    const MIB: usize = 1 << 20;
    const TOTAL: usize = 8 * MIB;
    let first_seen = std::sync::Arc::new(tokio::sync::Notify::new());
    let seen = first_seen.clone();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(String, Option<String>)>();
    let router = axum::Router::new().route(
        "/browsers/{id}/fs/read_file",
        axum::routing::get(
            move |uri: axum::http::Uri, headers: axum::http::HeaderMap| {
                let seen = seen.clone();
                let auth = headers
                    .get("authorization")
                    .map(|v| v.to_str().unwrap().to_string());
                tx.send((uri.to_string(), auth)).unwrap();
                async move {
                    let chunks = futures::stream::unfold(0usize, move |sent| {
                        let seen = seen.clone();
                        async move {
                            if sent == TOTAL {
                                return None;
                            }
                            if sent == MIB {
                                seen.notified().await;
                            }
                            let byte = (sent / MIB) as u8;
                            Some((
                                Ok::<_, std::io::Error>(Bytes::from(vec![byte; MIB])),
                                sent + MIB,
                            ))
                        }
                    });
                    (
                        [("content-type", "application/octet-stream")],
                        axum::body::Body::from_stream(chunks),
                    )
                }
            },
        ),
    );
    let base = serve(router).await;
    let client = Client::with_api_key(&base, KEY).unwrap();
    let run = async {
        let response = client
            .read_file()
            .id("sess_1")
            .path("/tmp/big.bin")
            .send()
            .await
            .expect("readFile");
        assert_eq!(response.status().as_u16(), 200);
        let mut stream = response.into_inner();
        let (mut chunks, mut total, mut notified) = (0usize, 0usize, false);
        let expected_byte_at = |offset: usize| (offset / MIB) as u8;
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.expect("chunk");
            assert!(
                chunk
                    .iter()
                    .enumerate()
                    .all(|(i, b)| *b == expected_byte_at(total + i)),
                "content at {total}"
            );
            chunks += 1;
            total += chunk.len();
            if !notified {
                // The server holds the rest until this point.
                first_seen.notify_one();
                notified = true;
            }
        }
        (chunks, total)
    };
    let (chunks, total) = tokio::time::timeout(Duration::from_secs(30), run)
        .await
        .expect("the body arrived as a stream");
    assert_eq!(total, TOTAL, "total bytes");
    assert!(chunks > 1, "more than one chunk, got {chunks}");
    let (uri, auth) = rx.recv().await.unwrap();
    assert_eq!(uri, "/browsers/sess_1/fs/read_file?path=%2Ftmp%2Fbig.bin");
    assert_eq!(auth, Some(format!("Bearer {KEY}")));
}

/// An SSE body with a heartbeat comment every 2 s for 17 s, then the end.
fn slow_sse_router() -> axum::Router {
    axum::Router::new().route(
        "/auth/connections/{id}/events",
        axum::routing::get(|| async {
            let start = tokio::time::Instant::now();
            let events = futures::stream::unfold(0u32, move |tick| async move {
                // Heartbeats at 2, 4, .., 16 s; a last comment at 17 s; then the end.
                let at = match tick {
                    0 => 0,
                    1..=8 => 2 * tick as u64,
                    9 => 17,
                    _ => return None,
                };
                tokio::time::sleep_until(start + Duration::from_secs(at)).await;
                let body = match tick {
                    0 => "retry: 1000\n\n".to_string(),
                    9 => ": done\n\n".to_string(),
                    _ => format!(
                        ": heartbeat {tick}\n\nevent: sse_heartbeat\ndata: {{\"event\":\"sse_heartbeat\",\"timestamp\":\"2025-01-02T03:04:{:02}Z\"}}\n\n",
                        tick * 2
                    ),
                };
                Some((Ok::<_, std::io::Error>(Bytes::from(body)), tick + 1))
            });
            ([("content-type", "text/event-stream"), ("cache-control", "no-cache")], axum::body::Body::from_stream(events))
        }),
    )
}

/// What a client saw of the stream: (seconds since the request, bytes) for
/// each chunk, and how it ended.
async fn read_events(client: Client) -> (Vec<(f64, Vec<u8>)>, Result<(), String>, f64) {
    let start = Instant::now();
    let response = match client
        .get_auth_connections_events_by_id()
        .id("ma_1")
        .send()
        .await
    {
        Ok(r) => r,
        Err(e) => {
            return (
                Vec::new(),
                Err(e.to_string()),
                start.elapsed().as_secs_f64(),
            )
        }
    };
    let mut stream = response.into_inner();
    let mut chunks = Vec::new();
    while let Some(chunk) = stream.next().await {
        match chunk {
            Ok(bytes) => chunks.push((start.elapsed().as_secs_f64(), bytes.to_vec())),
            Err(e) => {
                return (
                    chunks,
                    Err(format!("{e} (timeout: {})", e.is_timeout())),
                    start.elapsed().as_secs_f64(),
                )
            }
        }
    }
    (chunks, Ok(()), start.elapsed().as_secs_f64())
}

/// `Client::with_api_key` keeps an event stream open for 17 s; the generated
/// `Client::new` (progenitor's 15 s total timeout) cuts the same stream, which
/// is why `with_api_key` exists. Both run at once.
#[tokio::test]
async fn an_event_stream_outlives_fifteen_seconds_with_with_api_key_but_not_with_client_new() {
    let base = serve(slow_sse_router()).await;
    let long = tokio::spawn(read_events(Client::with_api_key(&base, KEY).unwrap()));
    let short = tokio::spawn(read_events(Client::new(
        &base,
        kernel_sys::Hooks::default(),
    )));
    let (long, short) = (long.await.unwrap(), short.await.unwrap());

    // with_api_key: everything, including bytes after 15 s, then a clean end.
    let (chunks, end, elapsed) = long;
    assert_eq!(end, Ok(()), "the stream ends cleanly");
    assert!(
        (16.5..19.0).contains(&elapsed),
        "the stream lasted {elapsed:.1}s"
    );
    let late: Vec<f64> = chunks
        .iter()
        .filter(|(t, _)| *t > 15.0)
        .map(|(t, _)| *t)
        .collect();
    assert!(late.len() >= 2, "bytes keep arriving after 15 s: {late:?}");
    let text = String::from_utf8(chunks.iter().flat_map(|(_, b)| b.clone()).collect()).unwrap();
    assert!(
        text.starts_with("retry: 1000\n\n") && text.ends_with(": done\n\n"),
        "{text}"
    );
    assert_eq!(text.matches(": heartbeat").count(), 8);
    // The events are documented ManagedAuthEvents.
    let events: Vec<open::ManagedAuthEvent> = text
        .lines()
        .filter_map(|l| l.strip_prefix("data: "))
        .map(|data| serde_json::from_str(data).expect("event JSON"))
        .collect();
    assert_eq!(events.len(), 8);
    assert!(
        events
            .iter()
            .all(|e| matches!(e, open::ManagedAuthEvent::Known(_))),
        "{events:?}"
    );

    // Client::new: cut at 15 s with a timeout error, before the end.
    let (chunks, end, elapsed) = short;
    let error = end.expect_err("Client::new cuts the stream");
    assert!(error.contains("timeout: true"), "a timeout: {error}");
    assert!((14.5..16.5).contains(&elapsed), "cut at {elapsed:.1}s");
    assert!(chunks.iter().all(|(t, _)| *t < 15.0), "nothing after 15 s");
    assert!(!chunks.is_empty(), "it did stream until then");
}
