//! `/browsers/{id}/fs/*`: files and directories of the browser's simulated
//! VM (an in-memory tree per browser, shared with its processes). Paths must
//! be absolute; a missing path is a 404, a file where a directory is needed
//! (or the reverse) a 400. Every change reaches the VM's watches.

use axum::body::{to_bytes, Body};
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use kernel_sys::types;
use serde::Deserialize;

use crate::http::error::{build_error, ApiError, ApiResult};
use crate::http::extract::{JsonBody, QueryMap};
use crate::state::AppState;
use crate::store::vms::{vm_mut, Vm};
use crate::vm::{parent_of, parse_mode, Entry};

serves! {
    "readFile" => read_file,
    "writeFile" => write_file,
    "listFiles" => list_files,
    "createDirectory" => create_directory,
    "deleteFile" => delete_file,
    "deleteDirectory" => delete_directory,
    "setFilePermissions" => set_permissions,
    "fileInfo" => file_info,
    "movePath" => move_path,
}

/// `value` if it is an absolute path (the spec's `^/.*`), else 400 naming
/// `field`.
pub(crate) fn absolute(field: &str, value: &str) -> ApiResult<String> {
    if value.starts_with('/') {
        Ok(value.to_owned())
    } else {
        Err(ApiError::bad_request(format!(
            "{field} must be an absolute path, got {value:?}"
        )))
    }
}

/// The required absolute `path` query parameter.
pub(crate) fn query_path(query: &QueryMap) -> ApiResult<String> {
    match query.get("path") {
        None | Some("") => Err(ApiError::bad_request(
            "the path query parameter is required",
        )),
        Some(path) => absolute("path", path),
    }
}

/// The spec's `FileInfo` of an entry (`mode` as `ls -l` shows it).
pub(crate) fn file_info_of(entry: &Entry) -> ApiResult<types::FileInfo> {
    types::FileInfo::builder()
        .name(entry.name.clone())
        .path(entry.path.clone())
        .size_bytes(i64::try_from(entry.size_bytes).unwrap_or(i64::MAX))
        .is_dir(entry.is_dir)
        .mod_time(entry.mod_time)
        .mode(entry.mode_string())
        .try_into()
        .map_err(|e| build_error("FileInfo", e))
}

/// Runs `change` on the VM of browser `id` and hands its events to the
/// watches.
pub(crate) fn apply(
    state: &AppState,
    id: &str,
    change: impl FnOnce(&mut Vm) -> ApiResult<Vec<crate::vm::FsEvent>>,
) -> ApiResult<()> {
    let mut store = state.store();
    let vm = vm_mut(&mut store, id)?;
    let events = change(vm)?;
    vm.notify(&events);
    Ok(())
}

/// `GET /browsers/{id}/fs/read_file?path=`: the bytes, as
/// `application/octet-stream`.
pub(crate) async fn read_file(
    State(state): State<AppState>,
    Path(id): Path<String>,
    query: QueryMap,
) -> ApiResult<Response> {
    let path = query_path(&query)?;
    let data = {
        let mut store = state.store();
        vm_mut(&mut store, &id)?.fs.read_file(&path)?
    };
    Ok((
        [(header::CONTENT_TYPE, "application/octet-stream")],
        data.to_vec(),
    )
        .into_response())
}

/// `PUT /browsers/{id}/fs/write_file?path=&mode=`: the body becomes the
/// file; missing parent directories are created (mode 755), as on Kernel's
/// VMs. `mode` (octal, default 644) applies to the file.
pub(crate) async fn write_file(
    State(state): State<AppState>,
    Path(id): Path<String>,
    query: QueryMap,
    body: Body,
) -> ApiResult<StatusCode> {
    let path = query_path(&query)?;
    let mode = query.get("mode").map(parse_mode).transpose()?;
    let data = to_bytes(body, usize::MAX)
        .await
        .map_err(|e| ApiError::bad_request(format!("cannot read the request body: {e}")))?;
    apply(&state, &id, |vm| {
        let mut events = match parent_of(&crate::vm::normalize(&path)?) {
            Some(parent) => vm.fs.create_dir(parent, None)?,
            None => Vec::new(),
        };
        events.extend(vm.fs.write_file(&path, &data, mode)?);
        Ok(events)
    })?;
    Ok(StatusCode::CREATED)
}

/// `GET /browsers/{id}/fs/list_files?path=`: the directory's entries, sorted
/// by name.
pub(crate) async fn list_files(
    State(state): State<AppState>,
    Path(id): Path<String>,
    query: QueryMap,
) -> ApiResult<Json<Vec<types::FileInfo>>> {
    let path = query_path(&query)?;
    let mut store = state.store();
    let entries = vm_mut(&mut store, &id)?.fs.list(&path)?;
    let infos = entries
        .iter()
        .map(file_info_of)
        .collect::<ApiResult<Vec<_>>>()?;
    Ok(Json(infos))
}

/// The spec's `CreateDirectoryRequest`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateDirectoryRequest {
    path: String,
    mode: Option<String>,
}

/// `PUT /browsers/{id}/fs/create_directory`: `mkdir -p`. The operation
/// documents no 404, so an unknown browser is a 400 here.
pub(crate) async fn create_directory(
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonBody(req): JsonBody<CreateDirectoryRequest>,
) -> ApiResult<StatusCode> {
    let path = absolute("path", &req.path)?;
    let mode = req.mode.as_deref().map(parse_mode).transpose()?;
    apply(&state, &id, |vm| Ok(vm.fs.create_dir(&path, mode)?)).map_err(|e| {
        if e.status == StatusCode::NOT_FOUND {
            ApiError::new(StatusCode::BAD_REQUEST, e.code, e.message)
        } else {
            e
        }
    })?;
    Ok(StatusCode::CREATED)
}

/// The spec's `DeletePathRequest`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DeletePathRequest {
    path: String,
}

/// `PUT /browsers/{id}/fs/delete_file`: removes a file (400 for a
/// directory).
pub(crate) async fn delete_file(
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonBody(req): JsonBody<DeletePathRequest>,
) -> ApiResult<StatusCode> {
    let path = absolute("path", &req.path)?;
    apply(&state, &id, |vm| Ok(vm.fs.delete_file(&path)?))?;
    Ok(StatusCode::OK)
}

/// `PUT /browsers/{id}/fs/delete_directory`: removes a directory and
/// everything below it (400 for a file or `/`).
pub(crate) async fn delete_directory(
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonBody(req): JsonBody<DeletePathRequest>,
) -> ApiResult<StatusCode> {
    let path = absolute("path", &req.path)?;
    apply(&state, &id, |vm| Ok(vm.fs.delete_dir(&path)?))?;
    Ok(StatusCode::OK)
}

/// The spec's `SetFilePermissionsRequest`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SetFilePermissionsRequest {
    path: String,
    mode: String,
    owner: Option<String>,
    group: Option<String>,
}

/// `PUT /browsers/{id}/fs/set_file_permissions`: `chmod`, and `chown` when
/// `owner` or `group` is given.
pub(crate) async fn set_permissions(
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonBody(req): JsonBody<SetFilePermissionsRequest>,
) -> ApiResult<StatusCode> {
    let path = absolute("path", &req.path)?;
    let mode = parse_mode(&req.mode)?;
    apply(&state, &id, |vm| {
        Ok(vm
            .fs
            .set_permissions(&path, mode, req.owner.as_deref(), req.group.as_deref())?)
    })?;
    Ok(StatusCode::OK)
}

/// `GET /browsers/{id}/fs/file_info?path=`
pub(crate) async fn file_info(
    State(state): State<AppState>,
    Path(id): Path<String>,
    query: QueryMap,
) -> ApiResult<Json<types::FileInfo>> {
    let path = query_path(&query)?;
    let mut store = state.store();
    let entry = vm_mut(&mut store, &id)?.fs.info(&path)?;
    Ok(Json(file_info_of(&entry)?))
}

/// The spec's `MovePathRequest`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct MovePathRequest {
    src_path: String,
    dest_path: String,
}

/// `PUT /browsers/{id}/fs/move`: `rename(2)` rules (an existing empty
/// directory or a file of the same kind is replaced).
pub(crate) async fn move_path(
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonBody(req): JsonBody<MovePathRequest>,
) -> ApiResult<StatusCode> {
    let src = absolute("src_path", &req.src_path)?;
    let dest = absolute("dest_path", &req.dest_path)?;
    apply(&state, &id, |vm| Ok(vm.fs.rename(&src, &dest)?))?;
    Ok(StatusCode::OK)
}
