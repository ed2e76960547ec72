//! Starting one browser's Chromium (user-data dir, process, DevTools
//! endpoint, first page) and the running browser the fake drives.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::cdp::{CdpError, Client};
use super::launch::{self, Process, Spawn};
use super::{Chromium, LaunchSpec};
use crate::sync::lock;

/// Longest Chromium may take to open its DevTools endpoint.
const START_DEADLINE: Duration = Duration::from_secs(20);

/// How much of Chromium's output a launch failure quotes.
const LOG_TAIL: usize = 600;

/// The page targets, newest last, and the fake's sessions on them.
#[derive(Default)]
struct Targets {
    /// Page target ids in the order they appeared.
    pages: Vec<String>,
    /// The fake's session id on a page, by target id.
    sessions: HashMap<String, String>,
}

/// A running Chromium: its process, user-data dir and DevTools endpoint,
/// and the fake's own connection to it.
pub(crate) struct Running {
    /// The Chromium process group.
    pub(super) process: Arc<Process>,
    /// Its `--user-data-dir`.
    pub(super) data_dir: std::path::PathBuf,
    /// The browser endpoint, `ws://127.0.0.1:<port>/devtools/browser/<id>`.
    pub(crate) ws_url: String,
    /// The viewport, in pixels.
    pub(crate) viewport: (u32, u32),
    /// The fake's own connection to the browser endpoint.
    client: Client,
    /// The pages, as the connection's target events report them.
    targets: Arc<Mutex<Targets>>,
}

/// Launches `spec`'s Chromium and readies its page, or says what failed.
pub(super) async fn start(chromium: &Chromium, spec: LaunchSpec) -> Result<Running, String> {
    let dir = chromium.root.join("browsers").join(&spec.session_id);
    // Removes the directory if the launch stops before a process owns it.
    let cleanup = Cleanup(Some(dir.clone()));
    let data_dir = dir.join("data");
    let log = dir.join("chromium.log");
    if chromium.closed.load(std::sync::atomic::Ordering::SeqCst) {
        return Err("the mock is shutting down".into());
    }
    // Not `create_dir_all`: a removed temp root stays removed.
    std::fs::create_dir(&dir)
        .and_then(|()| std::fs::create_dir(&data_dir))
        .map_err(|e| format!("cannot create {}: {e}", data_dir.display()))?;
    if let Some(profile_id) = &spec.profile_id {
        chromium
            .profiles
            .load(profile_id, &data_dir)
            .await
            .map_err(|e| format!("cannot load profile {profile_id:?}: {e}"))?;
    }
    let (width, height) = spec.viewport;
    let mut args: Vec<String> = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        // Shared memory in /tmp, not /dev/shm: containers give /dev/shm
        // 64 MB, and renderers crash when it fills.
        "--disable-dev-shm-usage",
        // No crash uploads. (Crashpad's handlers, outside the browser's
        // process group, exit with the browser.)
        "--disable-breakpad",
        // Cookies encrypted with a key that does not depend on a desktop
        // keyring, so a profile's copy opens in the next browser.
        "--password-store=basic",
        "--remote-debugging-port=0",
    ]
    .map(str::to_owned)
    .into();
    args.push(format!("--user-data-dir={}", data_dir.display()));
    args.push(format!("--window-size={width},{height}"));
    args.push("about:blank".into());
    let binary = &chromium.binary;
    let child = launch::spawn(Spawn {
        binary,
        args,
        log: &log,
    })
    .await
    .map_err(|e| format!("cannot start Chromium at {}: {e}", binary.display()))?;
    let process = Arc::new(Process::new(child, cleanup.disarm()));
    if !chromium.register(&process) {
        return Err("the mock is shutting down".into());
    }
    let ws_url = devtools_url(&process, &data_dir, &log, binary).await?;
    let targets = Arc::new(Mutex::new(Targets::default()));
    let events = targets.clone();
    let client = Client::connect(
        &ws_url,
        Box::new(move |method, params, _| track(&events, method, params)),
    )
    .await?;
    let running = Running {
        process,
        data_dir,
        ws_url,
        viewport: spec.viewport,
        client,
        targets,
    };
    // On failure `running` drops, which kills the process.
    running
        .prepare(spec.start_url.as_deref())
        .await
        .map_err(|e| format!("cannot prepare Chromium's page: {e}"))?;
    Ok(running)
}

/// Removes a directory on drop unless disarmed.
struct Cleanup(Option<std::path::PathBuf>);

impl Cleanup {
    /// Hands the directory over (to the process that now owns it).
    fn disarm(mut self) -> Vec<std::path::PathBuf> {
        self.0.take().into_iter().collect()
    }
}

impl Drop for Cleanup {
    /// Removes the directory of a launch that stopped early.
    fn drop(&mut self) {
        if let Some(dir) = self.0.take() {
            launch::remove(&[dir]);
        }
    }
}

/// Waits for `DevToolsActivePort` (port, then browser path) in `data_dir`;
/// fails when Chromium exits first or takes longer than [`START_DEADLINE`].
async fn devtools_url(
    process: &Process,
    data_dir: &Path,
    log: &Path,
    binary: &Path,
) -> Result<String, String> {
    let file = data_dir.join("DevToolsActivePort");
    let deadline = Instant::now() + START_DEADLINE;
    loop {
        if let Ok(text) = tokio::fs::read_to_string(&file).await {
            let mut lines = text.lines();
            if let (Some(port), Some(path)) = (lines.next(), lines.next()) {
                if port.parse::<u16>().is_ok() && path.starts_with('/') {
                    return Ok(format!("ws://127.0.0.1:{port}{path}"));
                }
            }
        }
        if let Some(status) = process.exited() {
            process.kill();
            return Err(format!(
                "Chromium at {} exited ({status}) before opening DevTools: {}",
                binary.display(),
                tail(log)
            ));
        }
        if Instant::now() >= deadline {
            let message = format!(
                "Chromium at {} did not open DevTools within {} s: {}",
                binary.display(),
                START_DEADLINE.as_secs(),
                tail(log)
            );
            process.kill();
            return Err(message);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The end of Chromium's output, on one line.
fn tail(log: &Path) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let text = text.trim();
    let start = text
        .char_indices()
        .map(|(i, _)| i)
        .find(|&i| text.len() - i <= LOG_TAIL)
        .unwrap_or(text.len());
    match text[start..]
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
    {
        quoted if quoted.is_empty() => "no output".to_owned(),
        quoted => quoted,
    }
}

/// Follows page targets as Chromium reports them.
fn track(targets: &Mutex<Targets>, method: &str, params: &Value) {
    let target_id = params
        .pointer("/targetInfo/targetId")
        .or_else(|| params.get("targetId"))
        .and_then(Value::as_str);
    let Some(target_id) = target_id else {
        return;
    };
    let mut targets = lock(targets);
    let is_page = params.pointer("/targetInfo/type").and_then(Value::as_str) == Some("page");
    match method {
        "Target.targetCreated" if is_page && !targets.pages.iter().any(|p| p == target_id) => {
            targets.pages.push(target_id.to_owned());
        }
        "Target.targetDestroyed" => {
            targets.pages.retain(|p| p != target_id);
            targets.sessions.remove(target_id);
        }
        "Target.detachedFromTarget" => {
            targets.sessions.remove(target_id);
        }
        _ => {}
    }
}

impl Running {
    /// Sends `method` to the page a screen would show (see
    /// [`Running::page_session`]).
    pub(crate) async fn page_call(&self, method: &str, params: Value) -> Result<Value, CdpError> {
        let session = self.page_session().await?;
        self.client.call(method, params, Some(&session)).await
    }

    /// Discovers targets, sizes the first page to the viewport and opens
    /// `start_url` in it.
    async fn prepare(&self, start_url: Option<&str>) -> Result<(), CdpError> {
        self.client
            .call(
                "Target.setDiscoverTargets",
                json!({ "discover": true }),
                None,
            )
            .await?;
        let session = self.page_session().await?;
        if let Some(url) = start_url {
            // Not awaited: the browser is usable while the page loads (or
            // fails to, onto an error page, as a real one would).
            self.client
                .send("Page.navigate", json!({ "url": url }), &session)
                .await?;
        }
        Ok(())
    }

    /// The fake's session on the newest page (the tab a screen shows),
    /// attached on first use, when the page is also given the viewport's size
    /// (`Emulation.setDeviceMetricsOverride`: a headless window keeps room
    /// for a toolbar it does not draw, and screenshots are of the viewport).
    /// A page is opened when there is none.
    async fn page_session(&self) -> Result<String, CdpError> {
        let newest = lock(&self.targets).pages.last().cloned();
        let target_id = match newest {
            Some(id) => id,
            None => self.first_page().await?,
        };
        if let Some(session) = lock(&self.targets).sessions.get(&target_id) {
            return Ok(session.clone());
        }
        let attached = self
            .client
            .call(
                "Target.attachToTarget",
                json!({ "targetId": target_id, "flatten": true }),
                None,
            )
            .await?;
        let session = attached
            .get("sessionId")
            .and_then(Value::as_str)
            .ok_or_else(|| CdpError::Protocol("Target.attachToTarget gave no sessionId".into()))?
            .to_owned();
        let (width, height) = self.viewport;
        self.client
            .call(
                "Emulation.setDeviceMetricsOverride",
                json!({ "width": width, "height": height, "deviceScaleFactor": 1, "mobile": false }),
                Some(&session),
            )
            .await?;
        lock(&self.targets)
            .sessions
            .insert(target_id, session.clone());
        Ok(session)
    }

    /// A page target found with `Target.getTargets`, or a new blank one.
    async fn first_page(&self) -> Result<String, CdpError> {
        let found = self
            .client
            .call("Target.getTargets", json!({}), None)
            .await?;
        let existing = found
            .get("targetInfos")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .find(|t| t.get("type").and_then(Value::as_str) == Some("page"))
            .and_then(|t| t.get("targetId").and_then(Value::as_str))
            .map(str::to_owned);
        let target_id = match existing {
            Some(id) => id,
            None => self
                .client
                .call("Target.createTarget", json!({ "url": "about:blank" }), None)
                .await?
                .get("targetId")
                .and_then(Value::as_str)
                .ok_or_else(|| CdpError::Protocol("Target.createTarget gave no targetId".into()))?
                .to_owned(),
        };
        let mut targets = lock(&self.targets);
        if !targets.pages.contains(&target_id) {
            targets.pages.push(target_id.clone());
        }
        Ok(target_id)
    }

    /// Asks Chromium to close (flushing cookies and storage to disk).
    pub(super) async fn close(&self) -> Result<Value, CdpError> {
        self.client.call("Browser.close", json!({}), None).await
    }
}
