//! Bulk transfer to and from the browser VM's filesystem: a directory as a
//! real zip archive, multipart uploads of files and of a zip to extract.
//! Uploads are all-or-nothing: a bad part or archive changes nothing.

use std::collections::BTreeMap;

use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::handler::Handler;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;

use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::QueryMap;
use crate::routes::fs::{absolute, apply, query_path};
use crate::state::AppState;
use crate::store::vms::vm_mut;
use crate::vm::{base_name, normalize, parent_of, unzip_into, zip_dir};

serves! {
    "downloadDirZip" => download_dir_zip,
    // The front middleware already caps request bodies; axum's 2 MB default
    // for multipart would refuse ordinary uploads.
    "uploadFiles" => upload_files.layer(DefaultBodyLimit::disable()),
    "uploadZip" => upload_zip.layer(DefaultBodyLimit::disable()),
}

/// `GET /browsers/{id}/fs/download_dir_zip?path=`: everything below the
/// directory, names relative to it, as `application/zip`.
pub(crate) async fn download_dir_zip(
    State(state): State<AppState>,
    Path(id): Path<String>,
    query: QueryMap,
) -> ApiResult<Response> {
    let path = normalize(&query_path(&query)?)?;
    // A snapshot shares the file bytes; compressing it needs no lock.
    let snapshot = {
        let mut store = state.store();
        let vm = vm_mut(&mut store, &id)?;
        if !vm.fs.is_dir(&path) {
            vm.fs.list(&path)?;
        }
        vm.fs.clone()
    };
    let zip_path = path.clone();
    let archive = tokio::task::spawn_blocking(move || zip_dir(&snapshot, &zip_path))
        .await
        .map_err(|e| ApiError::internal(format!("zip task failed: {e}")))??;
    let name = match base_name(&path) {
        "/" => "root".to_owned(),
        other => other.replace('"', "_"),
    };
    let mut response = (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/zip"),
        )],
        archive,
    )
        .into_response();
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{name}.zip\"")) {
        response
            .headers_mut()
            .insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(response)
}

/// The multipart body, or a 400 with the spec's Error body.
fn form(multipart: Result<Multipart, MultipartRejection>) -> ApiResult<Multipart> {
    multipart
        .map_err(|e| ApiError::bad_request(format!("expected a multipart/form-data body: {e}")))
}

/// A multipart read error as a 400.
fn part_error(e: impl std::fmt::Display) -> ApiError {
    ApiError::bad_request(format!("cannot read the multipart body: {e}"))
}

/// A `dest_path` part: trimmed, absolute.
fn dest_path(text: &str) -> ApiResult<String> {
    let text = text.trim();
    if text.is_empty() {
        return Err(ApiError::bad_request("dest_path must not be empty"));
    }
    absolute("dest_path", text)
}

/// Which item and property a form field of `uploadFiles` names:
/// `files[0][file]` (what the SDKs send), `files[0].file`, `files.0.file`,
/// and for a single file `files.file` or plain `file` / `dest_path`.
fn upload_field(name: &str) -> Option<(u64, &str)> {
    let (index, field) = if let Some(rest) = name.strip_prefix("files[") {
        let (index, rest) = rest.split_once(']')?;
        let field = rest.strip_prefix('.').unwrap_or(rest);
        let field = match field.strip_prefix('[') {
            Some(inner) => inner.strip_suffix(']')?,
            None => field,
        };
        (index.parse().ok()?, field)
    } else if let Some(rest) = name.strip_prefix("files.") {
        match rest.split_once('.') {
            Some((index, field)) => (index.parse().ok()?, field),
            None => (0, rest),
        }
    } else {
        (0, name)
    };
    matches!(field, "file" | "dest_path").then_some((index, field))
}

/// `POST /browsers/{id}/fs/upload`: writes every `files[i]` (`file` bytes to
/// `dest_path`), creating missing parent directories.
pub(crate) async fn upload_files(
    State(state): State<AppState>,
    Path(id): Path<String>,
    multipart: Result<Multipart, MultipartRejection>,
) -> ApiResult<StatusCode> {
    let mut multipart = form(multipart)?;
    let mut items: BTreeMap<u64, (Option<Bytes>, Option<String>)> = BTreeMap::new();
    while let Some(field) = multipart.next_field().await.map_err(part_error)? {
        let name = field.name().unwrap_or_default().to_owned();
        let Some((index, property)) = upload_field(&name) else {
            return Err(ApiError::bad_request(format!(
                "invalid form field: {name:?}"
            )));
        };
        let item = items.entry(index).or_default();
        if property == "file" {
            item.0 = Some(field.bytes().await.map_err(part_error)?);
        } else {
            item.1 = Some(dest_path(&field.text().await.map_err(part_error)?)?);
        }
    }
    if items.is_empty() {
        return Err(ApiError::bad_request(
            "files: at least one file is required",
        ));
    }
    let mut files = Vec::with_capacity(items.len());
    for (index, item) in items {
        let (Some(data), Some(dest)) = item else {
            return Err(ApiError::bad_request(format!(
                "files[{index}] needs both file and dest_path"
            )));
        };
        files.push((normalize(&dest)?, data));
    }
    apply(&state, &id, |vm| {
        // On a copy (file bytes are shared): a failing item leaves no trace.
        let mut work = vm.fs.clone();
        let mut events = Vec::new();
        for (dest, data) in &files {
            if let Some(parent) = parent_of(dest) {
                events.extend(work.create_dir(parent, None)?);
            }
            events.extend(work.write_file(dest, data, None)?);
        }
        vm.fs = work;
        Ok(events)
    })?;
    Ok(StatusCode::CREATED)
}

/// `POST /browsers/{id}/fs/upload_zip`: extracts `zip_file` into `dest_path`
/// (created if missing); an unreadable or unsafe archive is a 400.
pub(crate) async fn upload_zip(
    State(state): State<AppState>,
    Path(id): Path<String>,
    multipart: Result<Multipart, MultipartRejection>,
) -> ApiResult<StatusCode> {
    let mut multipart = form(multipart)?;
    let (mut archive, mut dest) = (None, None);
    while let Some(field) = multipart.next_field().await.map_err(part_error)? {
        match field.name().unwrap_or_default() {
            "zip_file" => archive = Some(field.bytes().await.map_err(part_error)?),
            "dest_path" => dest = Some(dest_path(&field.text().await.map_err(part_error)?)?),
            other => {
                return Err(ApiError::bad_request(format!(
                    "invalid form field: {other:?}"
                )))
            }
        }
    }
    let (Some(archive), Some(dest)) = (archive, dest) else {
        return Err(ApiError::bad_request("zip_file and dest_path are required"));
    };
    apply(&state, &id, |vm| {
        Ok(unzip_into(&mut vm.fs, &dest, &archive)?)
    })?;
    Ok(StatusCode::CREATED)
}

#[cfg(test)]
mod tests {
    use super::upload_field;

    #[test]
    fn upload_field_names() {
        assert_eq!(upload_field("files[0][file]"), Some((0, "file")));
        assert_eq!(
            upload_field("files[12][dest_path]"),
            Some((12, "dest_path"))
        );
        assert_eq!(upload_field("files[3].file"), Some((3, "file")));
        assert_eq!(upload_field("files.2.dest_path"), Some((2, "dest_path")));
        assert_eq!(upload_field("files.file"), Some((0, "file")));
        assert_eq!(upload_field("dest_path"), Some((0, "dest_path")));
        for bad in [
            "files[x][file]",
            "files[0][other]",
            "other",
            "files[0",
            "files[0][file",
        ] {
            assert_eq!(upload_field(bad), None, "{bad}");
        }
    }
}
