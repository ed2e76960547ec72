//! Browser extensions: uploaded archives (kept byte for byte, so a download
//! returns what was uploaded) and the extensions loaded ad hoc into each
//! browser session.

use axum::body::Bytes;
use chrono::{DateTime, Utc};
use kernel_sys::types;
use serde_json::Value;

use super::Store;
use crate::http::error::{build_error, ApiResult};

/// An uploaded extension.
pub(crate) struct ExtensionRecord {
    pub id: String,
    pub name: Option<String>,
    pub created_at: DateTime<Utc>,
    /// The zip as uploaded.
    pub archive: Bytes,
}

impl ExtensionRecord {
    /// The spec's `Extension`.
    pub fn to_spec(&self) -> ApiResult<types::Extension> {
        types::Extension::builder()
            .id(self.id.clone())
            .name(self.name.clone())
            .created_at(self.created_at)
            .size_bytes(self.archive.len() as i64)
            .last_used_at(None)
            .try_into()
            .map_err(|e| build_error("Extension", e))
    }

    /// [`to_spec`](Self::to_spec) as JSON.
    pub fn to_json(&self) -> ApiResult<Value> {
        serde_json::to_value(self.to_spec()?).map_err(|e| build_error("Extension", e))
    }
}

/// The index of the extension with id, or else name, `id_or_name`.
pub(crate) fn find_index(store: &Store, id_or_name: &str) -> Option<usize> {
    let extensions = &store.extensions;
    extensions
        .iter()
        .position(|e| e.id == id_or_name)
        .or_else(|| {
            extensions
                .iter()
                .position(|e| e.name.as_deref() == Some(id_or_name))
        })
}

/// The extension with id, or else name, `id_or_name` (what a browser's
/// `BrowserExtension` selects).
pub(crate) fn find<'a>(store: &'a Store, id_or_name: &str) -> Option<&'a ExtensionRecord> {
    find_index(store, id_or_name).map(|i| &store.extensions[i])
}

/// Records that the session `session_id` loaded the extensions `names`
/// (folders under `/home/kernel/extensions/`): an upload under a name the
/// session already has replaces it.
pub(crate) fn load_into_browser(store: &mut Store, session_id: &str, names: Vec<String>) {
    let loaded = store
        .browser_extensions
        .entry(session_id.to_owned())
        .or_default();
    loaded.retain(|existing| !names.contains(existing));
    loaded.extend(names);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn browser_uploads_replace_by_name() {
        let mut store = Store::default();
        load_into_browser(&mut store, "s1", vec!["a".into(), "b".into()]);
        load_into_browser(&mut store, "s1", vec!["a".into(), "c".into()]);
        assert_eq!(store.browser_extensions["s1"], ["b", "a", "c"]);
        assert!(!store.browser_extensions.contains_key("s2"));
    }
}
