//! A Prism mock server of the vendored spec, for conformance tests.
//!
//! The binary comes from `PRISM_BIN` (set by `cargo xtask test` after
//! `npm install --prefix target/tools @stainless-api/prism-cli@5.16.1`) or,
//! without it, `target/tools/node_modules/.bin/prism` under the workspace
//! root. Without either the caller fails: a conformance test that cannot run
//! must not pass.

use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The workspace root (this package lives in `<root>/tests`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_path_buf()
}

/// Where the Prism CLI is, or why it is not there.
pub fn prism_bin() -> Result<PathBuf, String> {
    if let Some(bin) = std::env::var_os("PRISM_BIN") {
        let bin = PathBuf::from(bin);
        return if bin.exists() {
            Ok(bin)
        } else {
            Err(format!(
                "PRISM_BIN={} does not exist; run `cargo xtask test`",
                bin.display()
            ))
        };
    }
    let fallback = workspace_root().join("target/tools/node_modules/.bin/prism");
    if fallback.exists() {
        Ok(fallback)
    } else {
        Err(format!(
            "Prism is not installed: PRISM_BIN is unset and {} does not exist. Run `cargo xtask test` \
             (it runs `npm install --prefix target/tools @stainless-api/prism-cli@5.16.1` and sets PRISM_BIN)",
            fallback.display()
        ))
    }
}

/// A running `prism mock`; killed on drop. Its output is kept line by line.
pub struct Prism {
    child: Child,
    /// `http://127.0.0.1:<port>`.
    pub base_url: String,
    lines: Arc<Mutex<Vec<String>>>,
}

impl Prism {
    /// Starts `prism mock <spec> -h 127.0.0.1 -p <free port> <args>` and
    /// waits (up to `timeout`) until it accepts TCP connections.
    pub fn start(spec: &Path, args: &[&str], timeout: Duration) -> Result<Self, String> {
        let bin = prism_bin()?;
        let port = {
            let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
            listener.local_addr().map_err(|e| e.to_string())?.port()
        };
        let mut child = Command::new(&bin)
            .arg("mock")
            .arg(spec)
            .args(["-h", "127.0.0.1", "-p", &port.to_string()])
            .args(args)
            .current_dir(workspace_root())
            .env("NO_COLOR", "1")
            .env("FORCE_COLOR", "0")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", bin.display()))?;
        let lines = Arc::new(Mutex::new(Vec::new()));
        for pipe in [
            child
                .stdout
                .take()
                .map(|p| Box::new(p) as Box<dyn std::io::Read + Send>),
            child.stderr.take().map(|p| Box::new(p) as _),
        ]
        .into_iter()
        .flatten()
        {
            let lines = lines.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(pipe).lines() {
                    let Ok(line) = line else { break };
                    lines.lock().unwrap().push(strip_ansi(&line));
                }
            });
        }
        let mut prism = Self {
            child,
            base_url: format!("http://127.0.0.1:{port}"),
            lines,
        };
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        let start = Instant::now();
        loop {
            if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                return Ok(prism);
            }
            if let Ok(Some(status)) = prism.child.try_wait() {
                return Err(format!(
                    "prism exited with {status} before listening:\n{}",
                    prism.log().join("\n")
                ));
            }
            if start.elapsed() > timeout {
                return Err(format!(
                    "prism did not listen on {port} within {timeout:?}:\n{}",
                    prism.log().join("\n")
                ));
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// `Some(status)` once the Prism process has exited.
    pub fn exited(&mut self) -> Option<std::process::ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// Everything Prism printed so far.
    pub fn log(&self) -> Vec<String> {
        self.lines.lock().unwrap().clone()
    }
}

impl Drop for Prism {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn strip_ansi(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' && chars.peek() == Some(&'[') {
            chars.next();
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// One request as Prism logged it: `[HTTP SERVER] <method> <path> ... Request
/// received` and every line up to the next request.
#[derive(Clone, Debug)]
pub struct LoggedRequest {
    pub method: String,
    pub path: String,
    pub lines: Vec<String>,
}

/// Splits Prism's log into requests.
pub fn requests(log: &[String]) -> Vec<LoggedRequest> {
    let mut out: Vec<LoggedRequest> = Vec::new();
    for line in log {
        if let Some(rest) = line.split("[HTTP SERVER] ").nth(1) {
            let mut words = rest.split_whitespace();
            let (Some(method), Some(path)) = (words.next(), words.next()) else {
                continue;
            };
            if line.contains("Request received") {
                let path = path.split('?').next().unwrap_or(path).to_string();
                out.push(LoggedRequest {
                    method: method.to_uppercase(),
                    path,
                    lines: vec![line.clone()],
                });
                continue;
            }
        }
        if let Some(last) = out.last_mut() {
            last.lines.push(line.clone());
        }
    }
    out
}

/// `true` if `path` (no query) matches the template `/a/{id}/b`.
pub fn path_matches(template: &str, path: &str) -> bool {
    let t: Vec<&str> = template.trim_matches('/').split('/').collect();
    let p: Vec<&str> = path.trim_matches('/').split('/').collect();
    t.len() == p.len()
        && t.iter()
            .zip(&p)
            .all(|(t, p)| (t.starts_with('{') && t.ends_with('}') && !p.is_empty()) || t == p)
}
