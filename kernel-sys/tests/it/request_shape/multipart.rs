//! Multipart uploads: `uploadFiles` and `postDeployments` send the parts
//! the spec documents.

use super::KEY;
use bytes::Bytes;
use kernel_sys::types;
use kernel_sys::Client;
use kernel_testkit::schema::validate;
use kernel_testkit::spec::{component, operation, resolve, SpecOp};
use serde_json::{json, Value};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

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
