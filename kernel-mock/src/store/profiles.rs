//! Browser profiles. A successful login marks its profile as holding auth
//! state.

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::{new_id, Store};
use crate::http::error::{build_error, ApiResult};

/// A stored profile.
#[derive(Clone, Debug)]
pub(crate) struct ProfileRecord {
    pub id: String,
    pub name: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub has_auth_state: bool,
}

impl ProfileRecord {
    pub fn to_spec(&self) -> ApiResult<kernel_sys::types::Profile> {
        kernel_sys::types::Profile::builder()
            .id(self.id.clone())
            .name(self.name.clone())
            .created_at(self.created_at)
            .updated_at(Some(self.updated_at))
            .last_used_at(self.last_used_at)
            .try_into()
            .map_err(|e| build_error("Profile", e))
    }

    pub fn to_json(&self) -> ApiResult<Value> {
        serde_json::to_value(self.to_spec()?).map_err(|e| build_error("Profile", e))
    }
}

/// The profile with id or name `id_or_name`.
pub(crate) fn find<'a>(store: &'a Store, id_or_name: &str) -> Option<&'a ProfileRecord> {
    find_index(store, id_or_name).map(|i| &store.profiles[i])
}

pub(crate) fn find_index(store: &Store, id_or_name: &str) -> Option<usize> {
    store
        .profiles
        .iter()
        .position(|p| p.id == id_or_name)
        .or_else(|| {
            store
                .profiles
                .iter()
                .position(|p| p.name.as_deref() == Some(id_or_name))
        })
}

/// The profile named `name`, created if missing (as `postAuthConnections`
/// does).
pub(crate) fn ensure(store: &mut Store, name: &str) -> usize {
    if let Some(i) = store
        .profiles
        .iter()
        .position(|p| p.name.as_deref() == Some(name))
    {
        return i;
    }
    let now = Utc::now();
    store.profiles.push(ProfileRecord {
        id: new_id("prof"),
        name: Some(name.to_owned()),
        created_at: now,
        updated_at: now,
        last_used_at: None,
        has_auth_state: false,
    });
    store.profiles.len() - 1
}

/// Records a successful login into profile `name`.
pub(crate) fn mark_authenticated(store: &mut Store, name: &str) {
    let i = ensure(store, name);
    let profile = &mut store.profiles[i];
    let now = Utc::now();
    profile.has_auth_state = true;
    profile.updated_at = now;
    profile.last_used_at = Some(now);
}
