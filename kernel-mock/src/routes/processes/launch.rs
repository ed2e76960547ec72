//! The request body of `processExec` and `processSpawn`, checked: the
//! program, its environment and identity, its timeout and terminal.

use std::collections::BTreeMap;
use std::collections::HashMap;
use std::time::Duration;

use serde::Deserialize;

use crate::http::error::{ApiError, ApiResult};
use crate::routes::fs::absolute;
use crate::store::processes::TtySize;
use crate::vm::{run, FsTree, Outcome, ShellContext};

/// Where a process starts when the request names no `cwd`.
const DEFAULT_CWD: &str = "/home/kernel";

/// `ProcessExecRequest`, plus the terminal fields `ProcessSpawnRequest`
/// adds (refused by `processExec`).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RunRequest {
    command: String,
    #[serde(default)]
    args: Vec<String>,
    cwd: Option<String>,
    #[serde(default)]
    env: HashMap<String, String>,
    as_user: Option<String>,
    as_root: Option<bool>,
    #[serde(default, deserialize_with = "crate::http::extract::opt_int")]
    timeout_sec: Option<i64>,
    allocate_tty: Option<bool>,
    #[serde(default, deserialize_with = "crate::http::extract::opt_int")]
    rows: Option<i64>,
    #[serde(default, deserialize_with = "crate::http::extract::opt_int")]
    cols: Option<i64>,
}

/// Which program reads a spawned process's stdin.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Interactive {
    /// A shell with no script: runs each stdin line.
    Shell,
    /// `cat` with no file: echoes stdin.
    Cat,
}

/// A checked request.
pub(crate) struct Launch {
    /// The program, or a shell line when `args` is empty.
    pub command: String,
    /// Its arguments.
    pub args: Vec<String>,
    /// The absolute working directory.
    pub cwd: String,
    /// The environment on top of the VM's defaults.
    pub env: BTreeMap<String, String>,
    /// `timeout_sec`, when positive (Kernel ignores zero and negative ones).
    pub timeout: Option<Duration>,
    /// The terminal, for `allocate_tty`.
    pub tty: Option<TtySize>,
}

/// A terminal dimension: 1 to 65535.
fn dimension(name: &str, value: Option<i64>, default: u16) -> ApiResult<u16> {
    match value {
        None => Ok(default),
        Some(v) => u16::try_from(v)
            .ok()
            .filter(|v| *v >= 1)
            .ok_or_else(|| ApiError::bad_request(format!("{name} must be between 1 and 65535"))),
    }
}

/// The user `as_user` names, as the VM knows them: `root`/`0` or
/// `kernel`/`1000`, optionally with a numeric `:gid`.
fn user_name(spec: &str) -> ApiResult<&'static str> {
    let (user, gid) = match spec.split_once(':') {
        Some((user, gid)) => (user, Some(gid)),
        None => (spec, None),
    };
    if gid.is_some_and(|g| g.parse::<u32>().is_err()) {
        return Err(ApiError::bad_request(format!(
            "as_user: gid override must be numeric, got {spec:?}"
        )));
    }
    match user {
        "root" | "0" => Ok("root"),
        "kernel" | "1000" => Ok("kernel"),
        _ => Err(ApiError::bad_request(format!(
            "as_user: failed to lookup user {spec:?}"
        ))),
    }
}

impl Launch {
    /// Checks a `processExec` body.
    pub(crate) fn exec(req: RunRequest) -> ApiResult<Launch> {
        if req.allocate_tty.is_some() || req.rows.is_some() || req.cols.is_some() {
            return Err(ApiError::bad_request(
                "allocate_tty, rows and cols are processSpawn properties",
            ));
        }
        Launch::new(req)
    }

    /// Checks a `processSpawn` body.
    pub(crate) fn spawn(req: RunRequest) -> ApiResult<Launch> {
        Launch::new(req)
    }

    fn new(req: RunRequest) -> ApiResult<Launch> {
        if req.command.trim().is_empty() {
            return Err(ApiError::bad_request("command must not be empty"));
        }
        let cwd = match req.cwd.as_deref() {
            None | Some("") => DEFAULT_CWD.to_owned(),
            Some(cwd) => absolute("cwd", cwd)?,
        };
        let as_root = req.as_root.unwrap_or(false);
        let user = match (as_root, req.as_user.as_deref().filter(|u| !u.is_empty())) {
            (true, Some(_)) => {
                return Err(ApiError::bad_request(
                    "cannot specify both as_root and as_user",
                ))
            }
            (true, None) => Some("root"),
            (false, Some(spec)) => Some(user_name(spec)?),
            (false, None) => None,
        };
        let mut env: BTreeMap<String, String> = req.env.into_iter().collect();
        if let Some(user) = user {
            // The identity decides `whoami`, whatever the env says.
            env.insert("USER".to_owned(), user.to_owned());
        }
        let tty = if req.allocate_tty.unwrap_or(false) {
            env.entry("TERM".to_owned())
                .or_insert_with(|| "xterm-256color".to_owned());
            Some(TtySize {
                rows: dimension("rows", req.rows, 24)?,
                cols: dimension("cols", req.cols, 80)?,
            })
        } else {
            None
        };
        let timeout = req
            .timeout_sec
            .filter(|t| *t > 0)
            .map(|t| Duration::from_secs(t.unsigned_abs()));
        Ok(Launch {
            command: req.command,
            args: req.args,
            cwd,
            env,
            timeout,
            tty,
        })
    }

    /// 400 unless the working directory exists in `fs`.
    pub(crate) fn check_cwd(&self, fs: &FsTree) -> ApiResult<()> {
        if fs.is_dir(&self.cwd) {
            Ok(())
        } else {
            Err(ApiError::bad_request(format!(
                "cwd {:?} is not an existing directory",
                self.cwd
            )))
        }
    }

    /// Runs the command on `fs` with `stdin`.
    pub(crate) fn run(&self, fs: &mut FsTree, stdin: Vec<u8>) -> Outcome {
        let mut ctx = ShellContext {
            fs,
            cwd: self.cwd.clone(),
            env: self.env.clone(),
            stdin,
        };
        run(&self.command, &self.args, &mut ctx)
    }

    /// The program that reads stdin interactively, if the command is one: a
    /// shell without a script or `-c`, or `cat` without files.
    pub(crate) fn interactive(&self) -> Option<Interactive> {
        let words: Vec<&str> = if self.args.is_empty() {
            self.command.split_whitespace().collect()
        } else {
            std::iter::once(self.command.as_str())
                .chain(self.args.iter().map(String::as_str))
                .collect()
        };
        let (program, rest) = words.split_first()?;
        let program = program.rsplit('/').next().unwrap_or(program);
        match program {
            "sh" | "bash" | "dash"
                if rest.iter().all(|a| {
                    a.starts_with("--") || (a.len() > 1 && a.starts_with('-') && !a.contains('c'))
                }) =>
            {
                Some(Interactive::Shell)
            }
            "cat" if rest.iter().all(|a| *a == "-") => Some(Interactive::Cat),
            _ => None,
        }
    }
}
