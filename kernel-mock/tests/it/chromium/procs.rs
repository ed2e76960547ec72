//! Finding a test's Chromium processes through /proc, and running a scenario
//! in a child process (this test binary re-executed) whose Chromium
//! processes carry a tag in their environment.

use std::collections::HashMap;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The variable naming the scenario a child process runs.
pub const ROLE: &str = "KERNEL_MOCK_CHROMIUM_ROLE";

/// The variable every process of a child carries (Chromium inherits it).
pub const TAG: &str = "KERNEL_MOCK_CHROMIUM_TAG";

/// The scenario this process runs as a child, if it is one.
pub fn role() -> Option<String> {
    std::env::var(ROLE).ok()
}

/// A tag no other test run uses.
pub fn unique_tag(name: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!("{name}-{}-{nanos}", std::process::id())
}

/// This test binary running test `test` alone as scenario `role`, its
/// processes tagged `tag`.
pub fn child(test: &str, role: &str, tag: &str) -> Command {
    let exe = std::env::current_exe().expect("the test binary");
    let mut command = Command::new(exe);
    command
        .args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env(ROLE, role)
        .env(TAG, tag)
        .stdin(Stdio::null());
    command
}

/// Live Chromium processes whose environment has `TAG=tag`.
pub fn tagged(tag: &str) -> Vec<u32> {
    let needle = format!("{TAG}={tag}");
    pids()
        .into_iter()
        .filter(|&pid| is_chromium(pid))
        .filter(|pid| {
            let environ = std::fs::read(format!("/proc/{pid}/environ")).unwrap_or_default();
            environ
                .split(|b| *b == 0)
                .any(|entry| entry == needle.as_bytes())
        })
        .collect()
}

/// Whether `pid` runs a Chromium executable (the browser or a helper such
/// as its crash handler), not this test binary, whose name starts alike.
fn is_chromium(pid: u32) -> bool {
    let Ok(exe) = std::fs::read_link(format!("/proc/{pid}/exe")) else {
        return false;
    };
    let ours = std::env::current_exe().ok();
    ours.as_deref() != Some(exe.as_path())
        && exe
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with("chrom"))
}

/// Waits up to `limit` for the processes tagged `tag` to end; those left.
pub fn wait_gone(tag: &str, limit: Duration) -> Vec<u32> {
    let deadline = Instant::now() + limit;
    loop {
        let left = tagged(tag);
        if left.is_empty() || Instant::now() >= deadline {
            return left;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Live processes whose command line names `needle`.
pub fn naming(needle: &str) -> Vec<u32> {
    pids()
        .into_iter()
        .filter(|pid| {
            let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            String::from_utf8_lossy(&cmdline).contains(needle)
        })
        .collect()
}

/// Every pid in /proc.
fn pids() -> Vec<u32> {
    std::fs::read_dir("/proc")
        .expect("/proc")
        .flatten()
        .filter_map(|e| e.file_name().to_str().and_then(|n| n.parse().ok()))
        .collect()
}

/// The parent of `pid`, from /proc/<pid>/stat.
fn parent(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name is in parentheses and may hold spaces.
    let rest = &stat[stat.rfind(')')? + 2..];
    rest.split(' ').nth(1)?.parse().ok()
}

/// The Chromium processes descending from this process.
pub fn chromium_tree() -> Vec<u32> {
    let parents: HashMap<u32, u32> = pids()
        .into_iter()
        .filter_map(|pid| parent(pid).map(|p| (pid, p)))
        .collect();
    let me = std::process::id();
    let descends = |mut pid: u32| {
        while let Some(&up) = parents.get(&pid) {
            if up == me {
                return true;
            }
            pid = up;
        }
        false
    };
    parents
        .keys()
        .copied()
        .filter(|&pid| descends(pid) && is_chromium(pid))
        .collect()
}

/// Proportional set size and resident set size of `pids`, summed, in KiB.
pub fn memory_kib(pids: &[u32]) -> (u64, u64) {
    let field = |text: &str, name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    pids.iter()
        .map(|pid| {
            let text =
                std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).unwrap_or_default();
            (field(&text, "Pss:"), field(&text, "Rss:"))
        })
        .fold((0, 0), |(p, r), (pss, rss)| (p + pss, r + rss))
}

/// The temp roots a mock in process `pid` made and has not removed.
pub fn temp_roots(pid: u32) -> Vec<String> {
    let prefix = format!("kernel-mock-chromium-{pid}-");
    std::fs::read_dir(std::env::temp_dir())
        .map(|entries| {
            entries
                .flatten()
                .filter_map(|e| e.file_name().to_str().map(str::to_owned))
                .filter(|name| name.starts_with(&prefix))
                .collect()
        })
        .unwrap_or_default()
}
