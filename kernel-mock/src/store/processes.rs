//! Processes of a browser VM: their output log (replayed to late subscribers),
//! exit code, stdin and terminal.

use std::collections::hash_map::RandomState;
use std::collections::VecDeque;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use kernel_sys::{open, types};
use tokio::sync::{mpsc, watch};
use tokio::task::AbortHandle;

use crate::http::error::{build_error, ApiResult};

/// Output bytes kept per process for late subscribers; older output is
/// dropped first.
pub(crate) const MAX_KEPT_OUTPUT: usize = 16 * 1024 * 1024;
/// Stdin bytes a process may have unread (a pipe's buffer); a write beyond
/// is refused.
pub(crate) const MAX_STDIN_QUEUED: usize = 8 * 1024 * 1024;
/// How long an exited process stays visible to status and stream requests
/// (Kernel's VMs forget it 10 s after the exit, then answer 404).
pub(crate) const EXITED_RETENTION: Duration = Duration::from_secs(10);

/// What a process wrote, or its end.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Output {
    /// Bytes on stdout (`stderr: false`) or stderr.
    Data { stderr: bool, data: Vec<u8> },
    /// The process exited with this code; nothing follows.
    Exit(i32),
}

/// A terminal's size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct TtySize {
    /// Rows.
    pub rows: u16,
    /// Columns.
    pub cols: u16,
}

/// A spawned process.
pub(crate) struct ProcessRecord {
    /// The `process_id` (a lower-case UUID).
    pub id: String,
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// The terminal, for a process spawned with `allocate_tty`.
    pub tty: Option<TtySize>,
    /// The exit code once it exited.
    pub exit_code: Option<i32>,
    /// When it exited, for [`EXITED_RETENTION`].
    pub exited_at: Option<Instant>,
    /// Where stdin goes, for a program that reads it (`sh`, `cat`).
    pub stdin: Option<StdinWriter>,
    /// The background task running it.
    pub task: Option<AbortHandle>,
    /// Output in order, numbered from 0.
    log: VecDeque<(u64, Output)>,
    /// The number of the next output item.
    next_seq: u64,
    /// Data bytes in `log`.
    kept_bytes: usize,
    /// Carries the number of items written so far, to wake stream readers.
    notify: watch::Sender<u64>,
}

impl ProcessRecord {
    /// A running process with no output yet.
    pub(crate) fn new(id: String, tty: Option<TtySize>) -> Self {
        ProcessRecord {
            id,
            started_at: Utc::now(),
            tty,
            exit_code: None,
            exited_at: None,
            stdin: None,
            task: None,
            log: VecDeque::new(),
            next_seq: 0,
            kept_bytes: 0,
            notify: watch::Sender::new(0),
        }
    }

    /// Whether it still runs.
    pub(crate) fn is_running(&self) -> bool {
        self.exit_code.is_none()
    }

    /// Writes output; on a terminal stderr joins stdout and `\n` becomes
    /// `\r\n`, as a PTY does. Ignored once the process exited.
    pub(crate) fn write(&mut self, stderr: bool, data: &[u8]) {
        if data.is_empty() || !self.is_running() {
            return;
        }
        let (stderr, data) = if self.tty.is_some() {
            (false, onlcr(data))
        } else {
            (stderr, data.to_vec())
        };
        self.kept_bytes += data.len();
        self.push(Output::Data { stderr, data });
        while self.kept_bytes > MAX_KEPT_OUTPUT {
            match self.log.pop_front() {
                Some((_, Output::Data { data, .. })) => self.kept_bytes -= data.len(),
                Some(_) | None => break,
            }
        }
    }

    /// Ends the process with `code`: closes stdin and writes the exit item.
    /// `false` when it had already exited.
    pub(crate) fn finish(&mut self, code: i32) -> bool {
        if !self.is_running() {
            return false;
        }
        self.exit_code = Some(code);
        self.exited_at = Some(Instant::now());
        self.stdin = None;
        self.task = None;
        self.push(Output::Exit(code));
        true
    }

    /// Appends an item and wakes the readers.
    fn push(&mut self, output: Output) {
        self.log.push_back((self.next_seq, output));
        self.next_seq += 1;
        self.notify.send_replace(self.next_seq);
    }

    /// The kept items numbered `seq` or later (from the oldest kept one when
    /// older ones were dropped).
    pub(crate) fn since(&self, seq: u64) -> Vec<(u64, Output)> {
        self.log
            .iter()
            .filter(|(n, _)| *n >= seq)
            .cloned()
            .collect()
    }

    /// A receiver that wakes on every new item.
    pub(crate) fn subscribe(&self) -> watch::Receiver<u64> {
        self.notify.subscribe()
    }

    /// The spec's `ProcessStatus`: running, or exited with its code; CPU and
    /// memory are plausible estimates of a small idle process.
    pub(crate) fn to_status(&self) -> ApiResult<types::ProcessStatus> {
        let (state, cpu, mem) = match self.exit_code {
            None => (
                open::ProcessStatusState::Running,
                0.1,
                2 * 1024 * 1024 + self.kept_bytes as i64,
            ),
            Some(_) => (open::ProcessStatusState::Exited, 0.0, 0),
        };
        types::ProcessStatus::builder()
            .state(Some(state))
            .exit_code(self.exit_code.map(i64::from))
            .cpu_pct(Some(cpu))
            .mem_bytes(Some(mem))
            .try_into()
            .map_err(|e| build_error("ProcessStatus", e))
    }
}

impl Drop for ProcessRecord {
    /// A forgotten process (its browser was deleted) stops running.
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// The writing end of a process's stdin.
pub(crate) struct StdinWriter {
    /// The bytes, in order.
    tx: mpsc::UnboundedSender<Vec<u8>>,
    /// Bytes sent and not read yet.
    queued: Arc<AtomicUsize>,
}

/// The reading end of a process's stdin.
pub(crate) struct StdinReader {
    /// The bytes, in order.
    rx: mpsc::UnboundedReceiver<Vec<u8>>,
    /// Bytes sent and not read yet.
    queued: Arc<AtomicUsize>,
}

/// A new stdin pipe holding at most [`MAX_STDIN_QUEUED`] unread bytes.
pub(crate) fn stdin_pipe() -> (StdinWriter, StdinReader) {
    let (tx, rx) = mpsc::unbounded_channel();
    let queued = Arc::new(AtomicUsize::new(0));
    (
        StdinWriter {
            tx,
            queued: queued.clone(),
        },
        StdinReader { rx, queued },
    )
}

impl StdinWriter {
    /// Queues `data`; `false` when the pipe is full or its reader is gone.
    pub(crate) fn write(&self, data: Vec<u8>) -> bool {
        let len = data.len();
        let before = self.queued.fetch_add(len, Ordering::SeqCst);
        if before + len > MAX_STDIN_QUEUED || self.tx.send(data).is_err() {
            self.queued.fetch_sub(len, Ordering::SeqCst);
            return false;
        }
        true
    }
}

impl StdinReader {
    /// The next bytes written; `None` once the writer is gone.
    pub(crate) async fn read(&mut self) -> Option<Vec<u8>> {
        let data = self.rx.recv().await?;
        self.queued.fetch_sub(data.len(), Ordering::SeqCst);
        Some(data)
    }
}

/// `\n` → `\r\n` (a terminal's `onlcr`), leaving existing `\r\n` alone.
pub(crate) fn onlcr(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + data.len() / 8);
    let mut prev = 0u8;
    for &b in data {
        if b == b'\n' && prev != b'\r' {
            out.push(b'\r');
        }
        out.push(b);
        prev = b;
    }
    out
}

/// A random version-4 UUID in lower-case hex, from the standard library's
/// randomly seeded hasher (no extra dependency).
pub(crate) fn new_uuid() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut bytes = [0u8; 16];
    for half in bytes.chunks_mut(8) {
        let mut hasher = RandomState::new().build_hasher();
        hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
        hasher.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0),
        );
        half.copy_from_slice(&hasher.finish().to_be_bytes());
    }
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

/// `raw` as a lower-case UUID, or `None` when it is not one.
pub(crate) fn parse_uuid(raw: &str) -> Option<String> {
    let ok = raw.len() == 36
        && raw.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit(),
        });
    ok.then(|| raw.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_are_v4_shaped_and_unique() {
        let a = new_uuid();
        let b = new_uuid();
        assert_ne!(a, b);
        assert_eq!(parse_uuid(&a).as_deref(), Some(a.as_str()));
        assert_eq!(&a[14..15], "4");
        assert!("89ab".contains(&a[19..20]));
        assert_eq!(
            parse_uuid("182BD5E5-6E1A-4FE4-A799-AA6D9A6AB26E").as_deref(),
            Some("182bd5e5-6e1a-4fe4-a799-aa6d9a6ab26e")
        );
        assert!(parse_uuid("nope").is_none());
        assert!(parse_uuid("182bd5e5x6e1a-4fe4-a799-aa6d9a6ab26e").is_none());
    }

    #[test]
    fn output_is_logged_until_the_exit() {
        let mut p = ProcessRecord::new(new_uuid(), None);
        let rx = p.subscribe();
        p.write(false, b"a\n");
        p.write(true, b"oops");
        assert!(rx.has_changed().unwrap());
        assert!(p.finish(3));
        assert!(!p.finish(4));
        p.write(false, b"late");
        assert_eq!(
            p.since(1),
            [
                (
                    1,
                    Output::Data {
                        stderr: true,
                        data: b"oops".to_vec()
                    }
                ),
                (2, Output::Exit(3))
            ]
        );
        assert_eq!(p.to_status().unwrap().exit_code, Some(3));
    }

    #[test]
    fn a_terminal_merges_stderr_and_translates_newlines() {
        let mut p = ProcessRecord::new(new_uuid(), Some(TtySize { rows: 24, cols: 80 }));
        p.write(true, b"a\nb\r\n");
        assert_eq!(
            p.since(0),
            [(
                0,
                Output::Data {
                    stderr: false,
                    data: b"a\r\nb\r\n".to_vec()
                }
            )]
        );
    }

    #[tokio::test]
    async fn stdin_holds_a_bounded_number_of_unread_bytes() {
        let (writer, mut reader) = stdin_pipe();
        assert!(writer.write(vec![1; MAX_STDIN_QUEUED - 1]));
        assert!(!writer.write(vec![2; 2]));
        assert!(writer.write(vec![3]));
        assert_eq!(
            reader.read().await.map(|d| d.len()),
            Some(MAX_STDIN_QUEUED - 1)
        );
        assert!(writer.write(vec![4; 2]));
        assert_eq!(reader.read().await, Some(vec![3]));
        drop(reader);
        assert!(!writer.write(vec![5]));
    }

    #[test]
    fn old_output_is_dropped_beyond_the_cap() {
        let mut p = ProcessRecord::new(new_uuid(), None);
        let chunk = vec![b'x'; MAX_KEPT_OUTPUT / 2 + 1];
        p.write(false, &chunk);
        p.write(false, &chunk);
        p.finish(0);
        let kept = p.since(0);
        assert_eq!(kept.len(), 2);
        assert_eq!(kept[0].0, 1);
        assert_eq!(kept[1].1, Output::Exit(0));
    }
}
