//! Browser sessions.

use chrono::{DateTime, Utc};
use kernel_sys::types;
use serde_json::{Map, Value};
use tokio::task::AbortHandle;

use super::telemetry::TelemetryLog;
use super::{profiles, Store};
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
    pub viewport: Option<types::BrowserViewport>,
    pub kiosk_mode: bool,
    pub start_url: Option<String>,
    pub chrome_policy: Map<String, Value>,
    pub telemetry_config: Option<types::BrowserTelemetryConfig>,
    pub telemetry: TelemetryLog,
    pub generator: Option<AbortHandle>,
}

impl BrowserRecord {
    pub(crate) fn to_json(&self, store: &Store) -> ApiResult<Value> {
        let profile = self
            .profile_id
            .as_deref()
            .and_then(|id| profiles::find(store, id))
            .map(|p| p.to_spec())
            .transpose()?;
        let end = self.deleted_at.unwrap_or_else(Utc::now);
        let uptime_ms = (end - self.created_at).num_milliseconds().max(0);
        let id = &self.session_id;
        // Like Kernel's, the URLs carry the browser's token as `?jwt=`, so
        // code tested against the fake meets the redacting `JwtUrl`.
        let jwt = format!("mockjwt_{id}");
        let browser: types::Browser = types::Browser::builder()
            .session_id(id.clone())
            .created_at(self.created_at)
            .cdp_ws_url(format!("wss://{id}.kernel-mock.invalid/cdp?jwt={jwt}"))
            .webdriver_ws_url(format!(
                "wss://{id}.kernel-mock.invalid/webdriver?jwt={jwt}"
            ))
            .browser_live_view_url((!self.headless).then(|| {
                kernel_sys::secret::JwtUrl::from(format!(
                    "https://live.kernel-mock.invalid/browser/{id}?jwt={jwt}"
                ))
            }))
            .base_url(Some(format!("https://{id}.kernel-mock.invalid")))
            .headless(self.headless)
            .stealth(self.stealth)
            .gpu(Some(self.gpu))
            .timeout_seconds(self.timeout_seconds)
            .profile(profile)
            .viewport(self.viewport.clone())
            .kiosk_mode(Some(self.kiosk_mode))
            .start_url(self.start_url.clone())
            .chrome_policy(self.chrome_policy.clone())
            .deleted_at(self.deleted_at)
            .usage(Some(types::BrowserUsage { uptime_ms }))
            .telemetry(self.telemetry_config.clone())
            .try_into()
            .map_err(|e| build_error("Browser", e))?;
        serde_json::to_value(browser).map_err(|e| build_error("Browser", e))
    }
}
