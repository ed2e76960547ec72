//! Captured output of the fake shell, stamped with the simulated time it appeared at.

use std::time::Duration;

/// Largest stdout or stderr kept per run; more is dropped so output cannot exhaust memory.
const MAX_OUTPUT: usize = 16 * 1024 * 1024;

/// A piece of output and when it appeared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Chunk {
    /// Simulated time since the start of the run.
    pub(crate) at: Duration,
    /// `true` for stderr, `false` for stdout.
    pub(crate) stderr: bool,
    /// The bytes.
    pub(crate) data: Vec<u8>,
}

/// Captured output of a command, capped at `MAX_OUTPUT` per stream.
#[derive(Default)]
pub(crate) struct Io {
    /// Standard output.
    pub(crate) out: Vec<u8>,
    /// Standard error.
    pub(crate) err: Vec<u8>,
    /// When output appeared, in order; bytes after a stream's last mark are not stamped yet.
    marks: Vec<Mark>,
}

/// A stream's bytes up to `end` had appeared by simulated time `at`.
#[derive(Clone, Copy)]
struct Mark {
    /// Simulated time.
    at: Duration,
    /// Which stream.
    stderr: bool,
    /// Offset in that stream.
    end: usize,
}

impl Io {
    /// Appends to stdout.
    pub(crate) fn out(&mut self, data: impl AsRef<[u8]>) {
        push_capped(&mut self.out, data.as_ref());
    }

    /// Appends to stderr.
    pub(crate) fn err(&mut self, data: impl AsRef<[u8]>) {
        push_capped(&mut self.err, data.as_ref());
    }

    /// One stream's bytes.
    pub(super) fn stream(&self, stderr: bool) -> &[u8] {
        if stderr {
            &self.err
        } else {
            &self.out
        }
    }

    /// End of a stream's stamped bytes.
    fn stamped(&self, stderr: bool) -> usize {
        self.marks
            .iter()
            .rev()
            .find(|m| m.stderr == stderr)
            .map_or(0, |m| m.end)
    }

    /// Stamps every unstamped byte with time `at`.
    pub(super) fn stamp(&mut self, at: Duration) {
        for stderr in [false, true] {
            let end = self.stream(stderr).len();
            if end > self.stamped(stderr) {
                self.marks.push(Mark { at, stderr, end });
            }
        }
    }

    /// Appends one stream of `from` to one of ours, keeping its stamps; the rest is stamped `now`.
    pub(super) fn append_from(
        &mut self,
        from: &Io,
        from_stderr: bool,
        to_stderr: bool,
        now: Duration,
    ) {
        let base = self.stream(to_stderr).len();
        let data = from.stream(from_stderr);
        if to_stderr {
            push_capped(&mut self.err, data);
        } else {
            push_capped(&mut self.out, data);
        }
        let len = self.stream(to_stderr).len();
        for m in from.marks.iter().filter(|m| m.stderr == from_stderr) {
            let end = (base + m.end).min(len);
            if end > self.stamped(to_stderr) {
                self.marks.push(Mark {
                    at: m.at,
                    stderr: to_stderr,
                    end,
                });
            }
        }
        if len > self.stamped(to_stderr) {
            self.marks.push(Mark {
                at: now,
                stderr: to_stderr,
                end: len,
            });
        }
    }

    /// The stamped output as chunks in time order (stdout before stderr at equal times only
    /// when it was stamped first).
    pub(super) fn timeline(&self) -> Vec<Chunk> {
        let mut marks = self.marks.clone();
        marks.sort_by_key(|m| m.at);
        let mut starts = [0usize; 2];
        let mut chunks: Vec<Chunk> = Vec::new();
        for m in marks {
            let start = &mut starts[usize::from(m.stderr)];
            if m.end <= *start {
                continue;
            }
            let data = self.stream(m.stderr)[*start..m.end].to_vec();
            *start = m.end;
            match chunks.last_mut() {
                Some(last) if last.at == m.at && last.stderr == m.stderr => {
                    last.data.extend_from_slice(&data)
                }
                _ => chunks.push(Chunk {
                    at: m.at,
                    stderr: m.stderr,
                    data,
                }),
            }
        }
        chunks
    }
}

/// Appends up to the output cap.
fn push_capped(buf: &mut Vec<u8>, data: &[u8]) {
    let room = MAX_OUTPUT.saturating_sub(buf.len());
    buf.extend_from_slice(&data[..data.len().min(room)]);
}
