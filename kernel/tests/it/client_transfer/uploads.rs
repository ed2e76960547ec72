//! Uploads: multipart parts and their spec field names, multi-MiB and
//! streamed bodies, no resend on 503, errors, and no JSON timeout.

use crate::common::{client, pattern, serve, API_KEY};
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode};
use futures::StreamExt;
use kernel::{Kernel, Upload};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

/// One multipart part as the server received it.
#[derive(Clone, Debug)]
struct Part {
    name: String,
    file_name: Option<String>,
    data: Vec<u8>,
}

#[derive(Clone, Default)]
struct Received {
    parts: Arc<Mutex<Vec<Part>>>,
    paths: Arc<Mutex<Vec<String>>>,
    requests: Arc<AtomicUsize>,
}

/// Parses the multipart body with `multer`, recording every part.
async fn record_multipart(
    received: &Received,
    uri: &axum::http::Uri,
    headers: &HeaderMap,
    body: Body,
) -> Result<(), String> {
    received.requests.fetch_add(1, Ordering::SeqCst);
    received.paths.lock().unwrap().push(uri.path().to_string());
    let content_type = headers
        .get("content-type")
        .ok_or("no content type")?
        .to_str()
        .map_err(|e| e.to_string())?;
    let boundary = multer::parse_boundary(content_type).map_err(|e| e.to_string())?;
    let mut multipart = multer::Multipart::new(body.into_data_stream(), boundary);
    while let Some(mut field) = multipart.next_field().await.map_err(|e| e.to_string())? {
        let name = field.name().unwrap_or_default().to_string();
        let file_name = field.file_name().map(str::to_string);
        let mut data = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(|e| e.to_string())? {
            data.extend_from_slice(&chunk);
        }
        received.parts.lock().unwrap().push(Part {
            name,
            file_name,
            data,
        });
    }
    Ok(())
}

async fn upload_server() -> (String, Received) {
    let received = Received::default();
    async fn empty(
        State(r): State<Received>,
        uri: axum::http::Uri,
        headers: HeaderMap,
        body: Body,
    ) -> StatusCode {
        match record_multipart(&r, &uri, &headers, body).await {
            Ok(()) => StatusCode::OK,
            Err(e) => {
                eprintln!("bad multipart: {e}");
                StatusCode::BAD_REQUEST
            }
        }
    }
    async fn extension(
        State(r): State<Received>,
        uri: axum::http::Uri,
        headers: HeaderMap,
        body: Body,
    ) -> axum::response::Response {
        use axum::response::IntoResponse;
        match record_multipart(&r, &uri, &headers, body).await {
            Ok(()) => {
                let size = r
                    .parts
                    .lock()
                    .unwrap()
                    .iter()
                    .find(|p| p.name == "file")
                    .map(|p| p.data.len())
                    .unwrap_or(0);
                axum::Json(serde_json::json!({
                    "id": "ext_1", "name": "my-ext", "created_at": "2025-01-01T00:00:00Z", "size_bytes": size,
                }))
                .into_response()
            }
            Err(e) => (StatusCode::BAD_REQUEST, e).into_response(),
        }
    }
    let router = axum::Router::new()
        .route("/browsers/{id}/fs/upload", axum::routing::post(empty))
        .route("/browsers/{id}/fs/upload_zip", axum::routing::post(empty))
        .route("/browsers/{id}/extensions", axum::routing::post(empty))
        .route("/extensions", axum::routing::post(extension))
        .layer(DefaultBodyLimit::disable())
        .with_state(received.clone());
    (serve(router).await, received)
}

fn parts(received: &Received) -> Vec<Part> {
    received.parts.lock().unwrap().clone()
}

#[tokio::test]
async fn fs_upload_sends_every_file_with_its_destination() {
    let (base, received) = upload_server().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("notes.txt");
    std::fs::write(&file, b"from disk\n").unwrap();
    let kernel = client(&base);
    kernel
        .browsers()
        .fs("b1")
        .upload()
        .file("/home/kernel/a.txt", Upload::bytes(&b"hello bytes"[..]))
        .file("/home/kernel/b.txt", Upload::path(&file).await.unwrap())
        .file(
            "/home/kernel/c.bin",
            Upload::bytes(vec![0u8, 1, 2, 255]).file_name("c.bin"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        *received.paths.lock().unwrap(),
        vec!["/browsers/b1/fs/upload"]
    );
    let parts = parts(&received);
    let summary: Vec<(&str, Option<&str>)> = parts
        .iter()
        .map(|p| (p.name.as_str(), p.file_name.as_deref()))
        .collect();
    assert_eq!(
        summary,
        vec![
            ("files[0][file]", Some("file")),
            ("files[0][dest_path]", None),
            ("files[1][file]", Some("notes.txt")),
            ("files[1][dest_path]", None),
            ("files[2][file]", Some("c.bin")),
            ("files[2][dest_path]", None),
        ]
    );
    assert_eq!(parts[0].data, b"hello bytes");
    assert_eq!(parts[1].data, b"/home/kernel/a.txt");
    assert_eq!(parts[2].data, b"from disk\n");
    assert_eq!(parts[3].data, b"/home/kernel/b.txt");
    assert_eq!(parts[4].data, [0u8, 1, 2, 255]);
    assert_eq!(parts[5].data, b"/home/kernel/c.bin");
}

#[tokio::test]
async fn extension_upload_sends_file_and_name() {
    let (base, received) = upload_server().await;
    let kernel = client(&base);
    let zip = pattern(10_000);
    let extension = kernel
        .extensions()
        .upload()
        .file(Upload::bytes(zip.clone()).file_name("ext.zip"))
        .name("my-ext")
        .send()
        .await
        .unwrap();
    assert_eq!(extension.id, "ext_1");
    assert_eq!(extension.size_bytes, 10_000);
    let parts = parts(&received);
    assert_eq!(parts.len(), 2);
    assert_eq!(
        (parts[0].name.as_str(), parts[0].file_name.as_deref()),
        ("file", Some("ext.zip"))
    );
    assert_eq!(parts[0].data, zip);
    assert_eq!(
        (parts[1].name.as_str(), parts[1].data.as_slice()),
        ("name", &b"my-ext"[..])
    );
    // Without a name, no name part.
    received.parts.lock().unwrap().clear();
    kernel
        .extensions()
        .upload()
        .file(Upload::bytes(&b"zip"[..]))
        .send()
        .await
        .unwrap();
    let names: Vec<String> = parts_names(&received);
    assert_eq!(names, vec!["file"]);
}

fn parts_names(received: &Received) -> Vec<String> {
    received
        .parts
        .lock()
        .unwrap()
        .iter()
        .map(|p| p.name.clone())
        .collect()
}

#[tokio::test]
async fn zip_and_browser_extension_uploads_use_the_spec_field_names() {
    let (base, received) = upload_server().await;
    let kernel = client(&base);
    kernel
        .browsers()
        .fs("b1")
        .upload_zip()
        .zip_file(Upload::bytes(&b"PK.."[..]).file_name("d.zip"))
        .dest_path("/home/kernel/dir")
        .send()
        .await
        .unwrap();
    assert_eq!(parts_names(&received), vec!["zip_file", "dest_path"]);
    assert_eq!(parts(&received)[1].data, b"/home/kernel/dir");
    received.parts.lock().unwrap().clear();
    kernel
        .browsers()
        .upload_extensions("b1")
        .extension("one", Upload::bytes(&b"1"[..]))
        .extension("two", Upload::bytes(&b"2"[..]))
        .send()
        .await
        .unwrap();
    assert_eq!(
        parts_names(&received),
        vec![
            "extensions[0][zip_file]",
            "extensions[0][name]",
            "extensions[1][zip_file]",
            "extensions[1][name]"
        ]
    );
    assert_eq!(parts(&received)[3].data, b"two");
}

#[tokio::test]
async fn a_multi_mib_file_upload_arrives_intact() {
    let (base, received) = upload_server().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("big.bin");
    let content = pattern(12 << 20);
    std::fs::write(&file, &content).unwrap();
    client(&base)
        .browsers()
        .fs("b1")
        .upload()
        .file("/tmp/big.bin", Upload::path(&file).await.unwrap())
        .send()
        .await
        .unwrap();
    let parts = parts(&received);
    assert_eq!(parts[0].file_name.as_deref(), Some("big.bin"));
    assert_eq!(parts[0].data.len(), content.len());
    assert!(parts[0].data == content, "the uploaded bytes differ");
}

#[tokio::test]
async fn a_stream_upload_arrives_intact() {
    let (base, received) = upload_server().await;
    let chunks: Vec<Result<bytes::Bytes, std::io::Error>> = (0..50)
        .map(|i| Ok(bytes::Bytes::from(vec![i as u8; 10_000])))
        .collect();
    let upload = Upload::stream(futures::stream::iter(chunks), None).file_name("s.bin");
    client(&base)
        .browsers()
        .fs("b1")
        .upload()
        .file("/tmp/s.bin", upload)
        .send()
        .await
        .unwrap();
    let parts = parts(&received);
    assert_eq!(parts[0].data.len(), 500_000);
    assert!(parts[0]
        .data
        .chunks(10_000)
        .enumerate()
        .all(|(i, c)| c.iter().all(|&b| b == i as u8)));
}

#[tokio::test]
async fn an_upload_answered_503_is_not_resent() {
    // A streamed body cannot be replayed: one attempt only.
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&server)
        .await;
    let err = client(&server.uri())
        .browsers()
        .fs("b1")
        .upload()
        .file("/a", Upload::bytes(&b"x"[..]))
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(StatusCode::SERVICE_UNAVAILABLE));
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn an_upload_error_is_an_api_error() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(400).set_body_json(
            serde_json::json!({"code":"bad_request","message":"dest_path must be absolute"}),
        ))
        .mount(&server)
        .await;
    let err = client(&server.uri())
        .browsers()
        .fs("b1")
        .upload()
        .file("rel", Upload::bytes(&b"x"[..]))
        .send()
        .await
        .unwrap_err();
    let api = err.api().expect("Error::Api");
    assert_eq!(api.code.as_deref(), Some("bad_request"));
    assert_eq!(api.message, "dest_path must be absolute");
}

#[tokio::test]
async fn a_slow_upload_is_not_cut_off_by_the_json_timeout() {
    // "Per-request timeout for JSON operations only": a multipart upload that
    // takes longer than `timeout` to send, with data flowing, completes.
    let (base, received) = upload_server().await;
    let kernel = Kernel::builder()
        .api_key(API_KEY)
        .base_url(base)
        .timeout(Duration::from_millis(300))
        .max_retries(0)
        .build()
        .unwrap();
    let chunks = futures::stream::iter(0..8u8).then(|i| async move {
        tokio::time::sleep(Duration::from_millis(100)).await;
        Ok::<_, std::io::Error>(bytes::Bytes::from(vec![i; 1000]))
    });
    let upload = Upload::stream(chunks, Some(8000)).file_name("slow.bin");
    kernel
        .browsers()
        .fs("b1")
        .upload()
        .file("/tmp/slow.bin", upload)
        .send()
        .await
        .expect("a slow upload must not hit the JSON request timeout");
    assert_eq!(parts(&received)[0].data.len(), 8000);
}
