//! Action invocations and their event history.

use chrono::{DateTime, Utc};
use kernel_sys::open;
use kernel_sys::types;
use serde_json::Value;
use tokio::sync::broadcast;
use tokio::task::AbortHandle;

use crate::http::error::{build_error, ApiResult};

/// An invocation and its event history.
pub(crate) struct InvocationRecord {
    pub id: String,
    pub app_name: String,
    pub version: String,
    pub action_name: String,
    pub payload: Option<String>,
    pub output: Option<String>,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub status: &'static str,
    pub status_reason: Option<String>,
    pub(crate) events: Vec<(DateTime<Utc>, Value)>,
    pub(crate) sender: Option<broadcast::Sender<(DateTime<Utc>, Value)>>,
    pub(crate) task: Option<AbortHandle>,
}

impl InvocationRecord {
    pub(crate) fn is_terminal(&self) -> bool {
        matches!(self.status, "succeeded" | "failed")
    }

    pub(crate) fn to_spec(&self) -> ApiResult<types::Invocation> {
        types::Invocation::builder()
            .id(self.id.clone())
            .app_name(self.app_name.clone())
            .version(self.version.clone())
            .action_name(self.action_name.clone())
            .payload(self.payload.clone())
            .output(self.output.clone())
            .started_at(self.started_at)
            .finished_at(self.finished_at)
            .status(open::InvocationStatus::from(self.status))
            .status_reason(self.status_reason.clone())
            .try_into()
            .map_err(|e| build_error("Invocation", e))
    }

    pub(crate) fn to_json(&self) -> ApiResult<Value> {
        serde_json::to_value(self.to_spec()?).map_err(|e| build_error("Invocation", e))
    }

    pub(crate) fn invoke_response(&self) -> ApiResult<Value> {
        let response: types::InvokeResponse = types::InvokeResponse::builder()
            .id(self.id.clone())
            .action_name(self.action_name.clone())
            .status(open::InvokeResponseStatus::from(self.status))
            .status_reason(self.status_reason.clone())
            .output(self.output.clone())
            .try_into()
            .map_err(|e| build_error("InvokeResponse", e))?;
        serde_json::to_value(response).map_err(|e| build_error("InvokeResponse", e))
    }

    pub(crate) fn emit(&mut self, event: Value) {
        let at = Utc::now();
        self.events.push((at, event.clone()));
        if let Some(sender) = &self.sender {
            let _ = sender.send((at, event));
        }
        if self.is_terminal() {
            self.sender = None;
        }
    }

    pub(crate) fn emit_state(&mut self) {
        match self.to_spec() {
            Ok(invocation) => {
                let event = types::InvocationStateEvent {
                    event: types::InvocationStateEventEvent::InvocationState,
                    invocation,
                    timestamp: Utc::now(),
                };
                if let Ok(value) = serde_json::to_value(event) {
                    self.emit(value);
                }
            }
            Err(error) => self.emit(serde_json::json!({"event": "error", "timestamp": Utc::now(), "error": error.body()})),
        }
    }

    pub(crate) fn log(&mut self, message: impl Into<String>) {
        let event = types::LogEvent {
            event: types::LogEventEvent::Log,
            message: message.into(),
            timestamp: Utc::now(),
        };
        if let Ok(value) = serde_json::to_value(event) {
            self.emit(value);
        }
    }
}
