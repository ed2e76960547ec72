//! Per-browser device state: the computer controls, replay recordings and
//! the log lines of the browser's processes. Created on a browser's first
//! device request, with the browser's viewport, and keyed by session id.

use std::collections::VecDeque;

use chrono::{DateTime, Utc};
use kernel_sys::types;
use tokio::sync::broadcast;

use super::browsers::BrowserRecord;
use super::Store;
use crate::http::error::{build_error, ApiError, ApiResult};
use crate::media::computer::{Action, ActionError, ActionOutput, ComputerState};

/// The viewport a browser created without one has (the spec's default).
const DEFAULT_VIEWPORT: (u32, u32) = (1920, 1080);

/// Log lines kept per browser; older ones are dropped.
const RETAINED_LINES: usize = 10_000;

/// The device state of one browser session.
pub(crate) struct Devices {
    pub computer: ComputerState,
    pub replays: Vec<Replay>,
    pub log: DeviceLog,
}

impl Devices {
    /// Fresh state for `browser`; its processes log their start.
    fn new(browser: &BrowserRecord) -> Self {
        let viewport = viewport(browser);
        let mut log = DeviceLog::new();
        let at = browser.created_at;
        log.push_at(
            Process::Chromium,
            at,
            format!(
                "chromium started: viewport {}x{}, headless={}, stealth={}",
                viewport.0, viewport.1, browser.headless, browser.stealth
            ),
        );
        if let Some(url) = &browser.start_url {
            log.push_at(Process::Chromium, at, format!("navigated to {url}"));
        }
        log.push_at(
            Process::Api,
            at,
            format!("kernel-images-api ready for session {}", browser.session_id),
        );
        Devices {
            computer: ComputerState::new(viewport, seed(&browser.session_id)),
            replays: Vec::new(),
            log,
        }
    }

    /// Applies a computer action and logs what it did (a batch logs each item
    /// it ran, up to the one that failed); also says how many actions ran.
    pub fn apply(&mut self, action: Action) -> (usize, Result<ActionOutput, ActionError>) {
        let result = self.computer.apply(action);
        let done = std::mem::take(&mut self.computer.actions);
        let count = done.len();
        for done in done {
            self.log.push(
                Process::Api,
                format!("{}: {}", done.operation, done.summary),
            );
        }
        (count, result)
    }

    /// The viewport in pixels.
    pub fn viewport(&self) -> (u32, u32) {
        self.computer.viewport
    }
}

/// The viewport of `browser` in pixels: its own, or the spec's default.
pub(crate) fn viewport(browser: &BrowserRecord) -> (u32, u32) {
    browser
        .viewport
        .as_ref()
        .map(|v| (side(v.width), side(v.height)))
        .unwrap_or(DEFAULT_VIEWPORT)
}

/// A viewport side as pixels (the browser area validates 240..=7680).
fn side(value: i64) -> u32 {
    u32::try_from(value).unwrap_or(1).max(1)
}

/// FNV-1a of the session id: each browser's screenshots get their own colours.
fn seed(session_id: &str) -> u64 {
    session_id.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The device state of live browser `id`, created on first use; `404` for an
/// unknown or deleted browser.
pub(crate) fn devices<'a>(store: &'a mut Store, id: &str) -> ApiResult<&'a mut Devices> {
    let browser = store
        .browsers
        .iter()
        .find(|b| b.session_id == id && b.deleted_at.is_none())
        .ok_or_else(|| ApiError::not_found("browser session", id))?;
    Ok(store
        .devices
        .entry(id.to_owned())
        .or_insert_with(|| Devices::new(browser)))
}

/// `true` while browser `id` exists and is not deleted.
pub(crate) fn is_live(store: &Store, id: &str) -> bool {
    store
        .browsers
        .iter()
        .any(|b| b.session_id == id && b.deleted_at.is_none())
}

/// A replay recording.
pub(crate) struct Replay {
    pub id: String,
    pub started_at: DateTime<Utc>,
    pub stopped_at: Option<DateTime<Utc>>,
    pub max_duration: Option<chrono::Duration>,
    pub framerate: i64,
}

impl Replay {
    /// When the recording ended (stopped, or reached its maximum duration),
    /// or `None` while it records.
    pub fn finished_at(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let limit = self.max_duration.map(|max| self.started_at + max);
        match (self.stopped_at, limit) {
            (Some(stopped), Some(limit)) => Some(stopped.min(limit)),
            (Some(stopped), None) => Some(stopped),
            (None, Some(limit)) if limit <= now => Some(limit),
            _ => None,
        }
    }

    /// The spec's `BrowserReplay` of this recording; `jwt` is the browser's
    /// token, which the view URL carries like Kernel's.
    pub fn to_spec(&self, jwt: &str) -> ApiResult<types::BrowserReplay> {
        let url = format!(
            "https://live.kernel-mock.invalid/browser/replays?jwt={jwt}&replay_id={}",
            self.id
        );
        types::BrowserReplay::builder()
            .replay_id(self.id.clone())
            .started_at(Some(self.started_at))
            .finished_at(self.finished_at(Utc::now()))
            .replay_view_url(Some(kernel_sys::secret::JwtUrl::from(url)))
            .try_into()
            .map_err(|e| build_error("BrowserReplay", e))
    }
}

/// A process of the browser's VM whose log `logsStream` reads, by
/// supervisor program name or by log file path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Process {
    /// The browser: its start, navigations, requests.
    Chromium,
    /// The VM's API server: every computer action, replay, curl and
    /// Playwright request.
    Api,
}

impl Process {
    /// Every process.
    pub const ALL: [Process; 2] = [Process::Chromium, Process::Api];

    /// The supervisor program name.
    pub fn name(self) -> &'static str {
        match self {
            Process::Chromium => "chromium",
            Process::Api => "kernel-images-api",
        }
    }

    /// The log file supervisor writes for it.
    pub fn log_path(self) -> String {
        format!("/var/log/supervisord/{}", self.name())
    }
}

/// One log line.
#[derive(Clone, Debug)]
pub(crate) struct LogLine {
    /// Position in the browser's log, from 1.
    pub seq: u64,
    pub process: Process,
    pub timestamp: DateTime<Utc>,
    pub message: String,
}

/// The log lines of one browser and the channel live streams follow.
pub(crate) struct DeviceLog {
    lines: VecDeque<LogLine>,
    next_seq: u64,
    sender: broadcast::Sender<LogLine>,
}

impl DeviceLog {
    /// An empty log.
    fn new() -> Self {
        DeviceLog {
            lines: VecDeque::new(),
            next_seq: 1,
            sender: broadcast::channel(256).0,
        }
    }

    /// Appends a line written now.
    pub fn push(&mut self, process: Process, message: String) {
        self.push_at(process, Utc::now(), message);
    }

    /// Appends a line written at `timestamp`.
    fn push_at(&mut self, process: Process, timestamp: DateTime<Utc>, message: String) {
        let line = LogLine {
            seq: self.next_seq,
            process,
            timestamp,
            message,
        };
        self.next_seq += 1;
        if self.lines.len() >= RETAINED_LINES {
            self.lines.pop_front();
        }
        // No receiver is not an error: nobody follows the log right now.
        let _ = self.sender.send(line.clone());
        self.lines.push_back(line);
    }

    /// The retained lines of `process` after `seq`.
    pub fn after(&self, process: Process, seq: u64) -> Vec<LogLine> {
        self.lines
            .iter()
            .filter(|l| l.process == process && l.seq > seq)
            .cloned()
            .collect()
    }

    /// Live lines from now on (every process).
    pub fn subscribe(&self) -> broadcast::Receiver<LogLine> {
        self.sender.subscribe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn replay(started: DateTime<Utc>, max_s: Option<i64>) -> Replay {
        Replay {
            id: "r".into(),
            started_at: started,
            stopped_at: None,
            max_duration: max_s.map(chrono::Duration::seconds),
            framerate: 10,
        }
    }

    #[test]
    fn a_replay_finishes_when_stopped_or_at_its_maximum_duration() {
        let t0 = Utc::now();
        let secs = chrono::Duration::seconds;
        let mut r = replay(t0, None);
        assert_eq!(r.finished_at(t0 + secs(3600)), None);
        r.stopped_at = Some(t0 + secs(5));
        assert_eq!(r.finished_at(t0 + secs(9)), Some(t0 + secs(5)));
        let mut r = replay(t0, Some(10));
        assert_eq!(r.finished_at(t0 + secs(9)), None);
        assert_eq!(r.finished_at(t0 + secs(11)), Some(t0 + secs(10)));
        r.stopped_at = Some(t0 + secs(20));
        assert_eq!(r.finished_at(t0 + secs(30)), Some(t0 + secs(10)));
    }

    #[test]
    fn the_log_numbers_lines_filters_by_process_and_drops_old_lines() {
        let mut log = DeviceLog::new();
        let mut rx = log.subscribe();
        log.push(Process::Api, "a".into());
        log.push(Process::Chromium, "b".into());
        log.push(Process::Api, "c".into());
        let api: Vec<_> = log
            .after(Process::Api, 0)
            .into_iter()
            .map(|l| l.message)
            .collect();
        assert_eq!(api, ["a", "c"]);
        assert_eq!(log.after(Process::Api, 1).len(), 1);
        assert_eq!(rx.try_recv().map(|l| l.seq).ok(), Some(1));
        for i in 0..RETAINED_LINES {
            log.push(Process::Chromium, i.to_string());
        }
        assert_eq!(log.lines.len(), RETAINED_LINES);
        assert!(log.after(Process::Api, 0).is_empty());
    }

    #[test]
    fn seeds_differ_between_sessions() {
        assert_ne!(seed("a"), seed("b"));
        assert_eq!(seed("abc"), seed("abc"));
    }
}
