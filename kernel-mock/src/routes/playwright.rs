//! `POST /browsers/{id}/playwright/execute`: Playwright code against the
//! browser, answered without running it (see [`script`] for exactly what
//! is understood): `return 1 + 1` answers `{"success": true, "result": 2}`,
//! `throw new Error('boom')` answers `{"success": false, "error": "Error:
//! boom"}`, `console.log` lines appear in `stdout`, and code that needs a
//! page (`return await page.title()`) succeeds without a `result`. Script
//! other answers with an override: `KernelMock::builder().on(
//! "executePlaywrightCode", ...)`.
//!
//! The spec documents no `404` here, so an unknown or deleted browser is a
//! `400`. Each execution is logged to the browser's `kernel-images-api` log.
//!
//! A Chromium-backed mock answers every execution as the spec's failed one
//! (`200` with `success: false` and an `error`), saying that no Playwright
//! executor is bundled with the fake: evaluating constants against a real
//! page would mislead, running Playwright would need Node and a Playwright
//! install, and a failed execution is what a client already handles (a `500`
//! would read as a fault to retry). Drive the page with Playwright's
//! `connectOverCDP` on the browser's `cdp_ws_url` instead.

mod eval;
mod lex;
mod script;

use axum::extract::{Path, State};
use axum::Json;
use kernel_sys::types;
use serde::Deserialize;

use crate::http::error::{build_error, ApiError, ApiResult};
use crate::http::extract::JsonBody;
use crate::state::AppState;
use crate::store::devices::{devices, Process};

serves! {
    "executePlaywrightCode" => execute,
}

/// The spec's `ExecutePlaywrightRequest` (`additionalProperties: false`).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExecuteRequest {
    code: String,
    #[serde(default, deserialize_with = "crate::http::extract::opt_int")]
    timeout_sec: Option<i64>,
}

/// The `error` of every execution on a Chromium-backed mock.
const NO_EXECUTOR: &str = "kernel-mock bundles no Playwright executor, so code is not run against \
     its Chromium; connect Playwright to the browser's cdp_ws_url (connectOverCDP) instead";

/// `POST /browsers/{id}/playwright/execute`
async fn execute(
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonBody(req): JsonBody<ExecuteRequest>,
) -> ApiResult<Json<types::ExecutePlaywrightResult>> {
    if let Some(secs) = req.timeout_sec.filter(|s| !(1..=300).contains(s)) {
        return Err(ApiError::bad_request(format!(
            "timeout_sec must be between 1 and 300 (got {secs})"
        )));
    }
    let outcome = match state.chromium {
        Some(_) => script::Outcome {
            result: None,
            error: Some(NO_EXECUTOR.to_owned()),
            stdout: String::new(),
            stderr: String::new(),
        },
        None => script::run(&req.code),
    };
    {
        let mut store = state.store();
        let devices = devices(&mut store, &id).map_err(|e| ApiError::bad_request(e.message))?;
        let how = match &outcome.error {
            None => "succeeded".to_owned(),
            Some(error) => format!("failed: {error}"),
        };
        devices.log.push(
            Process::Api,
            format!(
                "executePlaywrightCode: {} chars of code {how}",
                req.code.chars().count()
            ),
        );
    }
    let nonempty = |s: String| (!s.is_empty()).then_some(s);
    let result = types::ExecutePlaywrightResult::builder()
        .success(outcome.error.is_none())
        .result(outcome.result)
        .error(outcome.error)
        .stdout(nonempty(outcome.stdout))
        .stderr(nonempty(outcome.stderr))
        .try_into()
        .map_err(|e| build_error("ExecutePlaywrightResult", e))?;
    Ok(Json(result))
}
