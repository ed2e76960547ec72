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
//! Here: the `Case` harness. The cases, by tag, are in `browser_cases` and
//! `platform_cases`, run together by `tag_coverage`. Also in this module:
//! multipart uploads with their parts checked (`multipart`), a binary
//! download consumed as a stream and an event stream held open past 15 s
//! (`streaming`).

mod browser_cases;
mod multipart;
mod platform_cases;
mod streaming;
mod tag_coverage;

use futures::StreamExt;
use kernel_sys::{ByteStream, Client, Error, ResponseValue};
use kernel_testkit::schema::validate;
use kernel_testkit::spec::{operation, resolve, SpecOp};
use serde_json::{json, Value};
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
