//! `/extensions`: uploaded browser extensions (multipart upload, list,
//! download, delete), Chrome Web Store downloads, and ad-hoc uploads into a
//! running browser (`POST /browsers/{id}/extensions`).
//!
//! An upload must be a zip with a `manifest.json` at its root or inside one
//! top-level folder; its bytes are kept and a download returns them. The
//! Chrome Web Store is never contacted: a store URL
//! (`https://chromewebstore.google.com/detail/<slug>/<id>` or the older
//! `https://chrome.google.com/webstore/detail/<slug>/<id>`, where `<id>` is
//! 32 letters `a`-`p`) answers a small generated archive with a Manifest V3
//! `manifest.json`; anything else is a `400`. The list is not paginated (the
//! spec documents no `limit`/`offset`).

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::handler::Handler;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::Utc;
use serde_json::{json, Value};

use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::QueryMap;
use crate::routes::archive;
use crate::routes::form::{Form, Part};
use crate::state::AppState;
use crate::store::extensions::{find, find_index, load_into_browser, ExtensionRecord};
use crate::store::new_id;

// Uploads may exceed axum's 2 MB default; the front middleware already caps
// every body at 64 MiB.
serves! {
    "postExtensions" => upload.layer(DefaultBodyLimit::disable()),
    "getExtensions" => list,
    "getExtensionByIdOrName" => download,
    "deleteExtensionByIdOrName" => delete,
    "getExtensionsFromChromeStore" => from_chrome_store,
    "uploadExtensionsToBrowser" => upload_to_browser.layer(DefaultBodyLimit::disable()),
}

/// `true` for a name matching the spec's `^[A-Za-z0-9._-]{1,255}$`.
fn valid_name(name: &str) -> bool {
    (1..=255).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
}

/// Checks that `bytes` (the form field `what`) is a zip holding an unpacked
/// extension.
fn check_extension_zip(what: &str, bytes: &[u8]) -> ApiResult<()> {
    let names =
        archive::entry_names(bytes).map_err(|e| ApiError::bad_request(format!("{what}: {e}")))?;
    if !archive::has_file(&names, "manifest.json") {
        return Err(ApiError::bad_request(format!(
            "{what}: the archive has no manifest.json"
        )));
    }
    Ok(())
}

/// A `200` with a zip archive, as the spec's `application/octet-stream`.
fn zip_response(bytes: Bytes, file_name: &str) -> Response {
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "application/octet-stream".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file_name}.zip\""),
            ),
        ],
        bytes,
    )
        .into_response()
}

/// `POST /extensions` (multipart: `file`, optional `name`): `201`.
pub(crate) async fn upload(State(state): State<AppState>, mut form: Form) -> ApiResult<Response> {
    let file = form
        .take("file")?
        .ok_or_else(|| ApiError::bad_request("file: a zip of the extension is required"))?;
    let name = form.take_text("name")?;
    form.finish()?;
    if let Some(name) = &name {
        if !valid_name(name) {
            return Err(ApiError::bad_request(format!(
                "name {name:?} must be 1-255 letters, digits, '.', '_' or '-'"
            )));
        }
    }
    check_extension_zip("file", &file.bytes)?;
    let mut store = state.store();
    if let Some(name) = &name {
        if find(&store, name).is_some() {
            return Err(ApiError::conflict(
                "already_exists",
                format!("an extension named {name:?} already exists"),
            ));
        }
    }
    let record = ExtensionRecord {
        id: new_id("ext"),
        name,
        created_at: Utc::now(),
        archive: file.bytes,
    };
    let body = record.to_json()?;
    store.extensions.push(record);
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

/// `GET /extensions`: every extension, oldest first.
pub(crate) async fn list(State(state): State<AppState>) -> ApiResult<Json<Value>> {
    let store = state.store();
    let items = store
        .extensions
        .iter()
        .map(ExtensionRecord::to_json)
        .collect::<ApiResult<Vec<_>>>()?;
    Ok(Json(Value::Array(items)))
}

/// `GET /extensions/{id_or_name}`: the archive as uploaded.
pub(crate) async fn download(
    State(state): State<AppState>,
    Path(id_or_name): Path<String>,
) -> ApiResult<Response> {
    let store = state.store();
    let extension =
        find(&store, &id_or_name).ok_or_else(|| ApiError::not_found("extension", &id_or_name))?;
    let file_name = extension.name.as_deref().unwrap_or(&extension.id);
    Ok(zip_response(extension.archive.clone(), file_name))
}

/// `DELETE /extensions/{id_or_name}`
pub(crate) async fn delete(
    State(state): State<AppState>,
    Path(id_or_name): Path<String>,
) -> ApiResult<StatusCode> {
    let mut store = state.store();
    let index = find_index(&store, &id_or_name)
        .ok_or_else(|| ApiError::not_found("extension", &id_or_name))?;
    store.extensions.remove(index);
    Ok(StatusCode::NO_CONTENT)
}

/// `true` for a Chrome extension id: 32 letters `a`-`p`.
fn is_extension_id(segment: &str) -> bool {
    segment.len() == 32 && segment.bytes().all(|b| (b'a'..=b'p').contains(&b))
}

/// The extension id of a Chrome Web Store detail URL.
fn chrome_store_id(url: &str) -> Option<String> {
    let url = url.trim();
    let scheme_end = url.find("://")?;
    if !matches!(
        url[..scheme_end].to_ascii_lowercase().as_str(),
        "http" | "https"
    ) {
        return None;
    }
    let rest = &url[scheme_end + 3..];
    let (host, path) = rest.split_once('/')?;
    let path = path.split(['?', '#']).next().unwrap_or_default();
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let detail = match host.to_ascii_lowercase().as_str() {
        "chromewebstore.google.com" => segments.first() == Some(&"detail"),
        "chrome.google.com" => segments.starts_with(&["webstore", "detail"]),
        _ => false,
    };
    if !detail {
        return None;
    }
    segments
        .into_iter()
        .find(|s| is_extension_id(s))
        .map(str::to_owned)
}

/// `GET /extensions/from_chrome_store?url=…&os=…`: a generated archive.
pub(crate) async fn from_chrome_store(query: QueryMap) -> ApiResult<Response> {
    let url = query
        .get("url")
        .filter(|u| !u.trim().is_empty())
        .ok_or_else(|| ApiError::bad_request("url: a Chrome Web Store URL is required"))?;
    let os = query.get("os").unwrap_or("linux");
    if !["win", "mac", "linux"].contains(&os) {
        return Err(ApiError::bad_request(format!(
            "os {os:?} must be win, mac or linux"
        )));
    }
    let id = chrome_store_id(url).ok_or_else(|| {
        ApiError::bad_request(format!(
            "url {url:?} is not a Chrome Web Store extension URL \
             (https://chromewebstore.google.com/detail/<name>/<32-letter id>)"
        ))
    })?;
    let manifest = json!({
        "manifest_version": 3,
        "name": format!("Chrome Web Store extension {id}"),
        "version": "1.0.0",
        "description": format!("Generated by kernel-mock for {id} ({os})"),
    });
    let manifest = serde_json::to_vec_pretty(&manifest).unwrap_or_default();
    let zip = archive::stored_zip(&[("manifest.json", &manifest)]);
    Ok(zip_response(Bytes::from(zip), &id))
}

/// `POST /browsers/{id}/extensions` (multipart `extensions[i][zip_file]`,
/// `extensions[i][name]`): `201` once the session has them.
pub(crate) async fn upload_to_browser(
    State(state): State<AppState>,
    Path(id): Path<String>,
    mut form: Form,
) -> ApiResult<StatusCode> {
    let mut items: BTreeMap<usize, (Option<Part>, Option<String>)> = BTreeMap::new();
    for (keys, part) in form.take_bracketed("extensions")? {
        let malformed = || {
            ApiError::bad_request(format!(
                "{:?}: expected extensions[<index>][zip_file] or extensions[<index>][name]",
                part.name
            ))
        };
        let [index, field] = keys.as_slice() else {
            return Err(malformed());
        };
        let index: usize = index.parse().map_err(|_| malformed())?;
        let item = items.entry(index).or_default();
        match field.as_str() {
            "zip_file" if item.0.is_none() => item.0 = Some(part),
            "name" if item.1.is_none() => item.1 = Some(part.text()?),
            "zip_file" | "name" => {
                return Err(ApiError::bad_request(format!(
                    "{:?}: given twice",
                    part.name
                )))
            }
            _ => return Err(malformed()),
        }
    }
    form.finish()?;
    if items.is_empty() {
        return Err(ApiError::bad_request(
            "extensions: at least one extension is required",
        ));
    }
    let mut names = Vec::with_capacity(items.len());
    for (index, (zip, name)) in items {
        let field = |f: &str| format!("extensions[{index}][{f}]");
        let zip =
            zip.ok_or_else(|| ApiError::bad_request(format!("{} is required", field("zip_file"))))?;
        let name =
            name.ok_or_else(|| ApiError::bad_request(format!("{} is required", field("name"))))?;
        if !valid_name(&name) {
            return Err(ApiError::bad_request(format!(
                "{} {name:?} must be 1-255 letters, digits, '.', '_' or '-'",
                field("name")
            )));
        }
        if names.contains(&name) {
            return Err(ApiError::bad_request(format!(
                "{}: {name:?} is given twice",
                field("name")
            )));
        }
        check_extension_zip(&field("zip_file"), &zip.bytes)?;
        names.push(name);
    }
    let mut store = state.store();
    if !store
        .browsers
        .iter()
        .any(|b| b.session_id == id && b.deleted_at.is_none())
    {
        return Err(ApiError::not_found("browser", &id));
    }
    load_into_browser(&mut store, &id, names);
    Ok(StatusCode::CREATED)
}

#[cfg(test)]
mod tests {
    use super::chrome_store_id;

    const ID: &str = "cjpalhdlnbpafiamejdnhcphjbkeiagm";

    #[test]
    fn reads_chrome_store_urls() {
        let new = format!("https://chromewebstore.google.com/detail/ublock-origin/{ID}");
        assert_eq!(chrome_store_id(&new).as_deref(), Some(ID));
        let old = format!("https://chrome.google.com/webstore/detail/ublock/{ID}?hl=en");
        assert_eq!(chrome_store_id(&old).as_deref(), Some(ID));
        assert!(chrome_store_id(&format!("https://example.com/detail/x/{ID}")).is_none());
        assert!(chrome_store_id("https://chromewebstore.google.com/detail/x/short").is_none());
        assert!(
            chrome_store_id(&format!("ftp://chromewebstore.google.com/detail/x/{ID}")).is_none()
        );
        assert!(chrome_store_id(ID).is_none());
    }
}
