//! Extensions: uploads, downloads, Chrome Web Store archives and uploads
//! into a browser.

use reqwest::multipart::Form;
use serde_json::json;

use super::{assert_error, extension_zip, part, send_form, zip, STORE_ID};
use crate::common::{self, fast_mock, Api};

#[tokio::test]
async fn extensions_upload_download_and_load_into_a_browser() {
    let mock = fast_mock().await;
    let api = Api::new(&mock);
    let bytes = extension_zip();
    let form = Form::new()
        .part("file", part(bytes.clone(), "ext.zip"))
        .text("name", "my-ext");
    let created = send_form(&api, "/extensions", form).await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    assert_eq!(created.body["name"], "my-ext");
    assert_eq!(created.body["size_bytes"], bytes.len());
    let id = created.body["id"].as_str().unwrap().to_owned();
    let unnamed = send_form(
        &api,
        "/extensions",
        Form::new().part("file", part(bytes.clone(), "x.zip")),
    )
    .await;
    assert_eq!(unnamed.status, 201);

    let duplicate = Form::new()
        .part("file", part(bytes.clone(), "ext.zip"))
        .text("name", "my-ext");
    assert_error(&send_form(&api, "/extensions", duplicate).await, 409);
    for (form, why) in [
        (Form::new().text("name", "x"), "no file"),
        (
            Form::new().part("file", part(zip(&[("a.txt", b"a")]), "x.zip")),
            "no manifest",
        ),
        (
            Form::new()
                .part("file", part(bytes.clone(), "x.zip"))
                .text("name", "bad name"),
            "name pattern",
        ),
        (
            Form::new()
                .part("file", part(bytes.clone(), "x.zip"))
                .text("colour", "red"),
            "unknown field",
        ),
    ] {
        let reply = send_form(&api, "/extensions", form).await;
        assert_eq!(reply.status, 400, "{why}: {:?}", reply.body);
    }
    let not_multipart = api.post("/extensions", json!({ "file": "x" })).await;
    assert_error(&not_multipart, 400);

    let listed = api.get("/extensions").await;
    assert_eq!(listed.body.as_array().unwrap().len(), 2);
    for key in ["my-ext", id.as_str()] {
        let response = api
            .http
            .get(api.url(&format!("/extensions/{key}")))
            .bearer_auth(&api.key)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(
            response.headers()["content-type"],
            "application/octet-stream"
        );
        assert_eq!(response.bytes().await.unwrap().to_vec(), bytes);
    }

    let browser = api.post("/browsers", json!({})).await;
    let session = browser.body["session_id"].as_str().unwrap().to_owned();
    let path = format!("/browsers/{session}/extensions");
    let two = Form::new()
        .part("extensions[0][zip_file]", part(bytes.clone(), "a.zip"))
        .text("extensions[0][name]", "first")
        .part("extensions[1][zip_file]", part(bytes.clone(), "b.zip"))
        .text("extensions[1][name]", "second");
    let loaded = send_form(&api, &path, two).await;
    assert_eq!(loaded.status, 201, "{:?}", loaded.body);
    for (form, why) in [
        (Form::new(), "no extensions"),
        (
            Form::new().part("extensions[0][zip_file]", part(bytes.clone(), "a.zip")),
            "no name",
        ),
        (
            Form::new()
                .part("extensions[0][zip_file]", part(b"nope".to_vec(), "a.zip"))
                .text("extensions[0][name]", "x"),
            "not a zip",
        ),
        (
            Form::new()
                .part("extensions[x][zip_file]", part(bytes.clone(), "a.zip"))
                .text("extensions[x][name]", "x"),
            "bad index",
        ),
        (
            Form::new()
                .part("extensions[0][zip_file]", part(bytes.clone(), "a.zip"))
                .text("extensions[0][name]", "same")
                .part("extensions[1][zip_file]", part(bytes.clone(), "a.zip"))
                .text("extensions[1][name]", "same"),
            "same name twice",
        ),
    ] {
        let reply = send_form(&api, &path, form).await;
        assert_eq!(reply.status, 400, "{why}: {:?}", reply.body);
    }
    assert_eq!(
        api.delete(&format!("/browsers/{session}")).await.status,
        204
    );
    let gone = Form::new()
        .part("extensions[0][zip_file]", part(bytes.clone(), "a.zip"))
        .text("extensions[0][name]", "late");
    assert_error(&send_form(&api, &path, gone).await, 404);

    assert_eq!(api.delete("/extensions/my-ext").await.status, 204);
    assert_error(&api.delete("/extensions/my-ext").await, 404);
    assert_error(&api.get(&format!("/extensions/{id}")).await, 404);
    assert_eq!(
        api.get("/extensions").await.body.as_array().unwrap().len(),
        1
    );
}

#[tokio::test]
async fn chrome_store_downloads_are_generated_archives() {
    let mock = fast_mock().await;
    let api = Api::new(&mock);
    let download = |url: String| {
        let api = api.clone();
        async move {
            api.http
                .get(api.url("/extensions/from_chrome_store"))
                .query(&[("url", url)])
                .bearer_auth(&api.key)
                .send()
                .await
                .unwrap()
        }
    };
    let url = format!("https://chromewebstore.google.com/detail/ublock-origin/{STORE_ID}");
    let first = download(url.clone()).await;
    assert_eq!(first.status(), 200);
    assert_eq!(first.headers()["content-type"], "application/octet-stream");
    let first = first.bytes().await.unwrap();
    let second = download(url).await.bytes().await.unwrap();
    assert_eq!(first, second, "the archive is deterministic");
    assert!(first.starts_with(b"PK\x03\x04"));
    let text = String::from_utf8_lossy(&first);
    assert!(text.contains("manifest.json") && text.contains(STORE_ID));
    // The archive is an extension the mock accepts as an upload.
    let form = Form::new().part("file", part(first.to_vec(), "store.zip"));
    assert_eq!(send_form(&api, "/extensions", form).await.status, 201);

    for url in [
        "https://chromewebstore.google.com/detail/x/tooshort".to_owned(),
        format!("https://example.com/detail/x/{STORE_ID}"),
        String::new(),
    ] {
        let reply = common::read(download(url).await).await;
        assert_error(&reply, 400);
    }
}
