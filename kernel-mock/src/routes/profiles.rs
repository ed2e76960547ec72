//! `/profiles`: browser profiles. A successful login marks its profile as
//! holding auth state ([`KernelMock::profile_has_auth_state`](crate::KernelMock::profile_has_auth_state)),
//! and so does a `save_changes` session when it ends; only then has the
//! profile an archive to download.

use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::Utc;
use serde::Deserialize;
use serde_json::Value;

use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{OptionalJsonBody, QueryMap};
use crate::http::paging::{paged_response, Page};
use crate::state::AppState;
use crate::store::new_id;
use crate::store::profiles::{find, find_index, ProfileRecord};

serves! {
    "postProfiles" => create,
    "getProfiles" => list,
    "getProfileByIdOrName" => get,
    "deleteProfileByIdOrName" => delete,
    "downloadProfileByIdOrName" => download,
}

#[derive(Deserialize, Default)]
pub(crate) struct ProfileRequest {
    name: Option<String>,
}

fn valid_name(name: &str) -> bool {
    !name.trim().is_empty() && name.chars().count() <= 255
}

/// `POST /profiles`
pub(crate) async fn create(
    State(state): State<AppState>,
    OptionalJsonBody(req): OptionalJsonBody<ProfileRequest>,
) -> ApiResult<Response> {
    let req = req.unwrap_or_default();
    if let Some(name) = &req.name {
        if !valid_name(name) {
            return Err(ApiError::bad_request(
                "name must be 1-255 characters and not blank",
            ));
        }
    }
    let mut store = state.store();
    if let Some(name) = &req.name {
        if store
            .profiles
            .iter()
            .any(|p| p.name.as_deref() == Some(name))
        {
            return Err(ApiError::conflict(
                "already_exists",
                format!("a profile named {name:?} already exists"),
            ));
        }
    }
    let now = Utc::now();
    let record = ProfileRecord {
        id: new_id("prof"),
        name: req.name,
        created_at: now,
        updated_at: now,
        last_used_at: None,
        has_auth_state: false,
    };
    let body = record.to_json()?;
    store.profiles.push(record);
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

/// `GET /profiles`
pub(crate) async fn list(State(state): State<AppState>, query: QueryMap) -> ApiResult<Response> {
    let page = Page::parse(&query, true)?;
    let search = query
        .get("query")
        .map(str::to_ascii_lowercase)
        .filter(|q| !q.is_empty());
    let store = state.store();
    let items = store
        .profiles
        .iter()
        .filter(|p| {
            search.as_deref().is_none_or(|q| {
                p.id.to_ascii_lowercase().contains(q)
                    || p.name
                        .as_deref()
                        .is_some_and(|n| n.to_ascii_lowercase().contains(q))
            })
        })
        .map(ProfileRecord::to_json)
        .collect::<ApiResult<Vec<_>>>()?;
    Ok(paged_response(page, items))
}

/// `GET /profiles/{id_or_name}`
pub(crate) async fn get(
    State(state): State<AppState>,
    Path(id_or_name): Path<String>,
) -> ApiResult<Json<Value>> {
    let store = state.store();
    let profile =
        find(&store, &id_or_name).ok_or_else(|| ApiError::not_found("profile", &id_or_name))?;
    Ok(Json(profile.to_json()?))
}

/// `DELETE /profiles/{id_or_name}`
pub(crate) async fn delete(
    State(state): State<AppState>,
    Path(id_or_name): Path<String>,
) -> ApiResult<StatusCode> {
    let mut store = state.store();
    let index = find_index(&store, &id_or_name)
        .ok_or_else(|| ApiError::not_found("profile", &id_or_name))?;
    let profile = store.profiles.remove(index);
    store.profile_states.remove(&profile.id);
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /profiles/{id_or_name}/download`: `202` while the profile holds no
/// state, then a zstd-compressed tar of its user-data directory (the mock's
/// holds one file, `kernel-mock-profile.json`, describing the profile).
pub(crate) async fn download(
    State(state): State<AppState>,
    Path(id_or_name): Path<String>,
) -> ApiResult<Response> {
    let store = state.store();
    let profile =
        find(&store, &id_or_name).ok_or_else(|| ApiError::not_found("profile", &id_or_name))?;
    let saved_at = store.profile_states.get(&profile.id).copied();
    if !profile.has_auth_state && saved_at.is_none() {
        return Ok(StatusCode::ACCEPTED.into_response());
    }
    let contents = serde_json::json!({
        "profile": profile.to_json()?,
        "has_auth_state": profile.has_auth_state,
        "session_saved_at": saved_at,
    });
    let tar = archive::tar(
        "kernel-mock-profile.json",
        contents.to_string().as_bytes(),
        profile.updated_at.timestamp(),
    );
    let filename = profile.name.as_deref().unwrap_or(&profile.id);
    let disposition = HeaderValue::from_str(&format!(
        "attachment; filename=\"{}.tar.zst\"",
        filename.replace(
            |c: char| !c.is_ascii_alphanumeric() && !"._-".contains(c),
            "_"
        )
    ))
    .map_err(|e| ApiError::internal(format!("content-disposition: {e}")))?;
    Ok((
        StatusCode::OK,
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/octet-stream"),
            ),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        archive::zstd_stored(&tar),
    )
        .into_response())
}

/// The archive formats of a profile download, written by hand: one tar
/// entry and an uncompressed zstd frame are all a download needs.
mod archive {
    /// A ustar archive holding one regular file `name` (under 100 bytes).
    pub(super) fn tar(name: &str, data: &[u8], mtime: i64) -> Vec<u8> {
        let mut header = [0u8; 512];
        let mut put = |at: usize, field: &[u8]| header[at..at + field.len()].copy_from_slice(field);
        put(0, name.as_bytes());
        put(100, b"0000644\0");
        put(108, b"0000000\0");
        put(116, b"0000000\0");
        put(124, format!("{:011o}\0", data.len()).as_bytes());
        put(136, format!("{:011o}\0", mtime.max(0)).as_bytes());
        put(148, b"        ");
        put(156, b"0");
        put(257, b"ustar\0");
        put(263, b"00");
        let checksum: u32 = header.iter().map(|&b| u32::from(b)).sum();
        header[148..156].copy_from_slice(format!("{checksum:06o}\0 ").as_bytes());
        let mut out = header.to_vec();
        out.extend_from_slice(data);
        out.resize(out.len().div_ceil(512) * 512, 0);
        // Two zero blocks end the archive.
        out.resize(out.len() + 1024, 0);
        out
    }

    /// `data` as one zstd frame of raw (stored) blocks: valid zstd that any
    /// decoder reads, without a compressor.
    pub(super) fn zstd_stored(data: &[u8]) -> Vec<u8> {
        const MAX_BLOCK: usize = 128 * 1024;
        let mut out = vec![0x28, 0xB5, 0x2F, 0xFD];
        // Single segment, 8-byte content size, no checksum, no dictionary.
        out.push(0xE0);
        out.extend_from_slice(&(data.len() as u64).to_le_bytes());
        let mut blocks = data.chunks(MAX_BLOCK).peekable();
        if blocks.peek().is_none() {
            out.extend_from_slice(&[1, 0, 0]);
        }
        while let Some(block) = blocks.next() {
            let last = u32::from(blocks.peek().is_none());
            // Block header: last flag, type 0 (raw), 21-bit size.
            let header = last | ((block.len() as u32) << 3);
            out.extend_from_slice(&header.to_le_bytes()[..3]);
            out.extend_from_slice(block);
        }
        out
    }
}
