//! Browser sessions.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use kernel_sys::types;
use serde_json::{Map, Value};
use tokio::task::AbortHandle;

use super::telemetry::TelemetryLog;
use super::{pools, profiles, Store};
use crate::chromium::Instance;
use crate::http::error::{build_error, ApiResult};

/// A browser session.
pub(crate) struct BrowserRecord {
    pub session_id: String,
    pub created_at: DateTime<Utc>,
    pub deleted_at: Option<DateTime<Utc>>,
    pub headless: bool,
    pub stealth: bool,
    pub gpu: bool,
    pub timeout_seconds: i64,
    pub profile_id: Option<String>,
    /// Whether ending the session saves its state into its profile
    /// (`profile.save_changes`).
    pub save_profile: bool,
    pub viewport: Option<types::BrowserViewport>,
    pub kiosk_mode: bool,
    pub start_url: Option<String>,
    pub chrome_policy: Map<String, Value>,
    pub telemetry_config: Option<types::BrowserTelemetryConfig>,
    pub telemetry: TelemetryLog,
    pub generator: Option<AbortHandle>,
    /// The invocation the session was created in, if any.
    pub invocation_id: Option<String>,
    /// The pool the session was warmed for, if any.
    pub pool_id: Option<String>,
    /// The proxy the session's traffic goes through, if any.
    pub proxy_id: Option<String>,
    /// The session's Chromium, when the mock is Chromium-backed (taken when
    /// the session ends).
    pub chromium: Option<Arc<Instance>>,
}

impl BrowserRecord {
    /// A session created now with `POST /browsers`' defaults for everything
    /// but the three settings every creator decides.
    pub(crate) fn new(headless: bool, stealth: bool, timeout_seconds: i64) -> Self {
        BrowserRecord {
            session_id: super::new_id(""),
            created_at: Utc::now(),
            deleted_at: None,
            headless,
            stealth,
            gpu: false,
            timeout_seconds,
            profile_id: None,
            save_profile: false,
            viewport: None,
            kiosk_mode: false,
            start_url: None,
            chrome_policy: Map::new(),
            telemetry_config: None,
            telemetry: TelemetryLog::new(None),
            generator: None,
            invocation_id: None,
            pool_id: None,
            proxy_id: None,
            chromium: None,
        }
    }

    /// `true` until the session is deleted.
    pub(crate) fn is_live(&self) -> bool {
        self.deleted_at.is_none()
    }

    /// The spec's `Browser` body.
    pub(crate) fn to_json(&self, store: &Store) -> ApiResult<Value> {
        serde_json::to_value(self.to_spec(store)?).map_err(|e| build_error("Browser", e))
    }

    /// The session as the spec's `Browser` (its profile and pool looked up
    /// in `store`).
    pub(crate) fn to_spec(&self, store: &Store) -> ApiResult<types::Browser> {
        let profile = self
            .profile_id
            .as_deref()
            .and_then(|id| profiles::find(store, id))
            .map(|p| p.to_spec())
            .transpose()?;
        let pool = self.pool_id.as_ref().map(|id| types::BrowserPoolRef {
            id: id.clone(),
            name: store
                .pools
                .iter()
                .find(|p| &p.id == id)
                .and_then(|p| p.name.clone()),
        });
        let end = self.deleted_at.unwrap_or_else(Utc::now);
        let uptime_ms = (end - self.created_at).num_milliseconds().max(0);
        let id = &self.session_id;
        // Like Kernel's, the URLs carry the browser's token as `?jwt=`, so
        // code tested against the fake meets the redacting `JwtUrl`.
        let jwt = store.direct.jwt(id);
        types::Browser::builder()
            .session_id(id.clone())
            .created_at(self.created_at)
            .cdp_ws_url(store.direct.cdp_ws_url(id))
            .webdriver_ws_url(format!(
                "wss://{id}.kernel-mock.invalid/webdriver?jwt={jwt}"
            ))
            .browser_live_view_url((!self.headless).then(|| {
                kernel_sys::secret::JwtUrl::from(format!(
                    "https://live.kernel-mock.invalid/browser/{id}?jwt={jwt}"
                ))
            }))
            .base_url(Some(store.direct.base_url(id)))
            .headless(self.headless)
            .stealth(self.stealth)
            .gpu(Some(self.gpu))
            .timeout_seconds(self.timeout_seconds)
            .profile(profile)
            .pool(pool)
            .proxy_id(self.proxy_id.clone())
            .viewport(self.viewport.clone())
            .kiosk_mode(Some(self.kiosk_mode))
            .start_url(self.start_url.clone())
            .chrome_policy(self.chrome_policy.clone())
            .deleted_at(self.deleted_at)
            .usage(Some(types::BrowserUsage { uptime_ms }))
            .telemetry(self.telemetry_config.clone())
            .try_into()
            .map_err(|e| build_error("Browser", e))
    }
}

/// The live session `session_id`.
pub(crate) fn find_live_mut<'a>(
    store: &'a mut Store,
    session_id: &str,
) -> Option<&'a mut BrowserRecord> {
    store
        .browsers
        .iter_mut()
        .find(|b| b.session_id == session_id && b.is_live())
}

/// Ends live session `session_id` (soft delete): its telemetry stops, a
/// `save_changes` profile records the saved state, its Chromium (if any)
/// ends, saving into that profile, and its pool, if any, lets it go.
/// `false` when there is no such live session.
pub(crate) fn end(store: &mut Store, session_id: &str) -> bool {
    let Some(browser) = find_live_mut(store, session_id) else {
        return false;
    };
    let now = Utc::now();
    browser.deleted_at = Some(now);
    if let Some(generator) = browser.generator.take() {
        generator.abort();
    }
    browser.telemetry.close();
    let saved_profile = browser.profile_id.clone().filter(|_| browser.save_profile);
    if let Some(chromium) = browser.chromium.take() {
        chromium.retire(saved_profile.as_deref());
    }
    let pool_id = browser.pool_id.clone();
    if let Some(profile_id) = saved_profile {
        if let Some(profile) = store.profiles.iter_mut().find(|p| p.id == profile_id) {
            profile.updated_at = now;
            store.profile_states.insert(profile_id, now);
        }
    }
    if let Some(pool_id) = pool_id {
        pools::forget(store, &pool_id, session_id);
    }
    true
}
