//! A tiny, safe shell interpreter over the fake filesystem.
//!
//! It never touches the host: every command is a builtin working on `FsTree`.
//! Time is simulated: `sleep` only adds to `Outcome::sleep`, and the async caller waits.

mod builtins;
mod expand;
mod io;
mod parse;
mod printf;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::time::Duration;

pub(crate) use self::io::Chunk;
use self::io::Io;

use self::expand::split_assignment;
use self::parse::{parse, Command, Connector, List, Redir, RedirOp};
use super::fs::{FsError, FsEvent, FsTree};

/// Home directory of the VM user.
const HOME: &str = "/home/kernel";
/// Default `PATH`, as on a Debian image.
const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
/// Deepest nesting of `sh -c`, scripts and `$(...)`, so self-invoking input cannot overflow the
/// stack.
const MAX_DEPTH: usize = 16;

/// Everything a command may read or change.
pub(crate) struct ShellContext<'a> {
    /// The VM's filesystem.
    pub(crate) fs: &'a mut FsTree,
    /// Working directory (absolute); empty means `/home/kernel`. Updated by `cd`.
    pub(crate) cwd: String,
    /// Caller-supplied environment; updated by assignments, `export` and `unset`.
    pub(crate) env: BTreeMap<String, String>,
    /// Bytes on standard input, consumed by the first command that reads it.
    pub(crate) stdin: Vec<u8>,
}

/// Result of one run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Outcome {
    /// Captured standard output.
    pub(crate) stdout: Vec<u8>,
    /// Captured standard error.
    pub(crate) stderr: Vec<u8>,
    /// Exit status (0–255, 127 for an unknown command, 2 for a syntax error).
    pub(crate) exit_code: i32,
    /// Simulated time the command takes; the caller waits it out and applies `timeout_sec`.
    pub(crate) sleep: Duration,
    /// Filesystem changes made, for watchers.
    pub(crate) events: Vec<FsEvent>,
    /// `stdout` and `stderr` cut where they appeared in simulated time, in order: `echo a;
    /// sleep 1; echo b` gives `a` at 0 s and `b` at 1 s.
    pub(crate) timeline: Vec<Chunk>,
    /// Whether the run ended with `exit` (an interactive shell then ends too).
    pub(crate) exited: bool,
}

/// Runs `command` with `args`, like ProcessExecRequest: with no args and shell syntax
/// in `command` it is a shell line; otherwise `command` is the program name.
pub(crate) fn run(command: &str, args: &[String], ctx: &mut ShellContext<'_>) -> Outcome {
    let cwd = if ctx.cwd.is_empty() { HOME } else { &ctx.cwd };
    let cwd = match super::fs::normalize(cwd) {
        Ok(c) if ctx.fs.is_dir(&c) => c,
        _ => {
            return Outcome {
                stderr: format!(
                    "sh: cannot change directory to {cwd}: No such file or directory\n"
                )
                .into_bytes(),
                exit_code: 1,
                ..Outcome::default()
            }
        }
    };
    let state = State {
        cwd,
        vars: std::mem::take(&mut ctx.env),
        args: vec!["sh".to_string()],
        status: 0,
        exit: None,
    };
    let mut it = Interp {
        fs: ctx.fs,
        st: state,
        stdin: ctx.stdin.clone(),
        sleep: Duration::ZERO,
        events: Vec::new(),
        depth: 0,
    };
    let mut io = Io::default();
    let code = if args.is_empty() && needs_shell(command) {
        it.run_script(command, &mut io)
    } else {
        let mut argv = vec![command.to_string()];
        argv.extend(args.iter().cloned());
        it.exec_argv(&argv, &mut Input::Shared, &mut io)
    };
    io.stamp(it.sleep);
    let timeline = io.timeline();
    let exited = it.st.exit.is_some();
    ctx.cwd = it.st.cwd;
    ctx.env = it.st.vars;
    Outcome {
        stdout: io.out,
        stderr: io.err,
        exit_code: code,
        sleep: it.sleep,
        events: it.events,
        timeline,
        exited,
    }
}

/// Whether `command` must be parsed as a shell line rather than taken as a program name.
fn needs_shell(command: &str) -> bool {
    command
        .chars()
        .any(|c| c.is_whitespace() || ";&|<>()$`'\"\\#*?~".contains(c))
}

/// Where a command reads stdin from.
pub(crate) enum Input {
    /// The run's shared stdin (first reader takes it).
    Shared,
    /// Given bytes (a pipe or `<` redirection).
    Bytes(Vec<u8>),
}

/// Shell state that subshells copy and then discard.
#[derive(Clone)]
struct State {
    /// Working directory.
    cwd: String,
    /// Variables (all exported).
    vars: BTreeMap<String, String>,
    /// `$0`, `$1`, ...
    args: Vec<String>,
    /// `$?`.
    status: i32,
    /// Set by `exit`: stop the current script with this status.
    exit: Option<i32>,
}

/// Where a command's stdout or stderr goes.
#[derive(Clone, PartialEq, Eq)]
enum Sink {
    /// The enclosing stdout.
    Stdout,
    /// The enclosing stderr.
    Stderr,
    /// Appended to this normalised file path.
    File(String),
    /// `/dev/null`.
    Null,
}

/// The interpreter.
pub(crate) struct Interp<'a> {
    /// The VM filesystem.
    fs: &'a mut FsTree,
    /// Current shell state.
    st: State,
    /// Unread shared stdin.
    stdin: Vec<u8>,
    /// Simulated time so far.
    sleep: Duration,
    /// Filesystem events so far.
    events: Vec<FsEvent>,
    /// Current nesting of scripts and substitutions.
    depth: usize,
}

impl Interp<'_> {
    /// Parses and runs a script in the current state.
    fn run_script(&mut self, src: &str, io: &mut Io) -> i32 {
        match parse(src) {
            Ok(list) => self.exec_list(&list, io),
            Err(msg) => {
                io.err(format!("sh: 1: {msg}\n"));
                self.st.status = 2;
                2
            }
        }
    }

    /// Runs a script as a child shell: own positional args, state discarded afterwards.
    fn run_child(&mut self, src: &str, args: Vec<String>, input: &mut Input, io: &mut Io) -> i32 {
        if self.depth >= MAX_DEPTH {
            io.err("sh: maximum nesting depth exceeded\n");
            return 2;
        }
        let saved = self.st.clone();
        self.st.args = args;
        self.st.exit = None;
        self.st.status = 0;
        let outer_stdin = match input {
            Input::Shared => None,
            Input::Bytes(b) => Some(std::mem::replace(&mut self.stdin, std::mem::take(b))),
        };
        self.depth += 1;
        let code = self.run_script(src, io);
        self.depth -= 1;
        if let Some(s) = outer_stdin {
            self.stdin = s;
        }
        self.st = saved;
        code
    }

    /// Runs pipelines joined by `;`, `&&` and `||` until done or `exit`.
    fn exec_list(&mut self, list: &List, io: &mut Io) -> i32 {
        let mut status = self.st.status;
        for (conn, pipeline) in list {
            if self.st.exit.is_some() {
                break;
            }
            let go = match conn {
                Connector::Seq => true,
                Connector::And => status == 0,
                Connector::Or => status != 0,
            };
            if go {
                status = self.exec_pipeline(pipeline, io);
                self.st.status = status;
            }
        }
        self.st.exit.unwrap_or(status)
    }

    /// Runs a pipeline; stages are subshells, and simulated time is the slowest stage's, as they
    /// run concurrently.
    fn exec_pipeline(&mut self, cmds: &[Command], io: &mut Io) -> i32 {
        if let [single] = cmds {
            return self.exec_command(single, Input::Shared, io);
        }
        let before = self.sleep;
        let mut slowest = Duration::ZERO;
        let mut input = Input::Shared;
        let mut status = 0;
        for (i, cmd) in cmds.iter().enumerate() {
            let saved = self.st.clone();
            self.sleep = Duration::ZERO;
            let mut stage = Io::default();
            status = self.exec_command(cmd, input, &mut stage);
            self.st = saved;
            slowest = slowest.max(self.sleep);
            io.err(&stage.err);
            if i + 1 == cmds.len() {
                io.out(&stage.out);
                input = Input::Shared;
            } else {
                input = Input::Bytes(stage.out);
            }
        }
        self.sleep = before.saturating_add(slowest);
        // The stages ran concurrently: their output appeared by the end.
        io.stamp(self.sleep);
        status
    }

    /// Expands, redirects and runs one simple command.
    fn exec_command(&mut self, cmd: &Command, mut input: Input, io: &mut Io) -> i32 {
        // Whatever was written before this command (error messages) appeared by now.
        io.stamp(self.sleep);
        let mut argv = Vec::new();
        let mut assigns = Vec::new();
        for word in &cmd.words {
            if argv.is_empty() {
                if let Some((name, value)) = split_assignment(word) {
                    let v = self.expand(&value, io).join(" ");
                    assigns.push((name, v));
                    continue;
                }
            }
            argv.extend(self.expand(word, io));
        }
        let (mut out, mut err) = (Sink::Stdout, Sink::Stderr);
        for r in &cmd.redirs {
            if let Err(msg) = self.apply_redir(r, &mut input, &mut out, &mut err, io) {
                io.err(format!("sh: 1: {msg}\n"));
                return 1;
            }
        }
        let mut cmd_io = Io::default();
        let code = if argv.is_empty() {
            self.st.vars.extend(assigns);
            0
        } else {
            let saved: Vec<(String, Option<String>)> = assigns
                .into_iter()
                .map(|(k, v)| {
                    let old = self.st.vars.insert(k.clone(), v);
                    (k, old)
                })
                .collect();
            let code = self.exec_argv(&argv, &mut input, &mut cmd_io);
            for (k, old) in saved {
                match old {
                    Some(v) => self.st.vars.insert(k, v),
                    None => self.st.vars.remove(&k),
                };
            }
            code
        };
        self.route(&out, &cmd_io, false, io);
        self.route(&err, &cmd_io, true, io);
        code
    }

    /// Applies one redirection, opening (and truncating) files now, as sh does.
    fn apply_redir(
        &mut self,
        r: &Redir,
        input: &mut Input,
        out: &mut Sink,
        err: &mut Sink,
        io: &mut Io,
    ) -> Result<(), String> {
        let fields = self.expand(&r.target, io);
        let [target] = fields.as_slice() else {
            return Err("ambiguous redirect".to_string());
        };
        match r.op {
            RedirOp::In => {
                if r.fd == 0 {
                    *input = Input::Bytes(self.read_for_redirect(target)?);
                }
            }
            RedirOp::Dup => {
                let src = match target.as_str() {
                    "1" => out.clone(),
                    "2" => err.clone(),
                    "-" => Sink::Null,
                    other => return Err(format!("{other}: Bad file descriptor")),
                };
                match r.fd {
                    1 => *out = src,
                    2 => *err = src,
                    _ => {}
                }
            }
            RedirOp::Out | RedirOp::Append | RedirOp::Both => {
                let sink = self.open_sink(target, r.op == RedirOp::Append)?;
                match (r.op, r.fd) {
                    (RedirOp::Both, _) => {
                        *out = sink.clone();
                        *err = sink;
                    }
                    (_, 1) => *out = sink,
                    (_, 2) => *err = sink,
                    _ => {}
                }
            }
        }
        Ok(())
    }

    /// Contents for `< target`.
    fn read_for_redirect(&mut self, target: &str) -> Result<Vec<u8>, String> {
        match target {
            "/dev/null" => Ok(Vec::new()),
            "/dev/stdin" => Ok(std::mem::take(&mut self.stdin)),
            _ => {
                let p = self.abs(target);
                self.fs
                    .read_file(&p)
                    .map(|b| b.to_vec())
                    .map_err(|e| format!("cannot open {target}: {}", errno_text(&e)))
            }
        }
    }

    /// Opens a file for `>` / `>>`: creates it, truncating unless appending.
    fn open_sink(&mut self, target: &str, append: bool) -> Result<Sink, String> {
        match target {
            "/dev/null" => return Ok(Sink::Null),
            "/dev/stdout" => return Ok(Sink::Stdout),
            "/dev/stderr" => return Ok(Sink::Stderr),
            _ => {}
        }
        let p = self.abs(target);
        let fail = |e: &FsError| format!("cannot create {target}: {}", errno_text(e));
        if append && self.fs.exists(&p) {
            if self.fs.is_dir(&p) {
                return Err(fail(&FsError::IsADirectory(p)));
            }
        } else {
            let ev = self.fs.write_file(&p, b"", None).map_err(|e| fail(&e))?;
            self.events.extend(ev);
        }
        Ok(Sink::File(p))
    }

    /// Sends one stream of a command's captured output to a sink.
    fn route(&mut self, sink: &Sink, from: &Io, stderr: bool, io: &mut Io) {
        let data = from.stream(stderr);
        match sink {
            Sink::Stdout => io.append_from(from, stderr, false, self.sleep),
            Sink::Stderr => io.append_from(from, stderr, true, self.sleep),
            Sink::Null => {}
            Sink::File(p) => {
                if !data.is_empty() {
                    match self.fs.append_file(p, data) {
                        Ok(ev) => self.events.extend(ev),
                        Err(e) => io.err(format!("sh: 1: {p}: {}\n", errno_text(&e))),
                    }
                }
            }
        }
    }

    /// Runs an expanded command: a builtin, a script file in the fake fs, or "command not found".
    fn exec_argv(&mut self, argv: &[String], input: &mut Input, io: &mut Io) -> i32 {
        let Some(name) = argv.first() else {
            return 0;
        };
        let base = match name.rsplit_once('/') {
            Some((dir, base)) if is_bin_dir(dir) && builtins::exists(base) => base,
            _ => name.as_str(),
        };
        if let Some(code) = self.builtin(base, &argv[1..], input, io) {
            return code;
        }
        if name.contains('/') {
            return self.exec_script_file(argv, input, io);
        }
        io.err(format!("{name}: command not found\n"));
        127
    }

    /// Runs a file from the fake fs as a shell script (shebang lines are comments).
    fn exec_script_file(&mut self, argv: &[String], input: &mut Input, io: &mut Io) -> i32 {
        let name = &argv[0];
        let p = self.abs(name);
        let info = match self.fs.info(&p) {
            Ok(i) => i,
            Err(e) => {
                io.err(format!("sh: 1: {name}: {}\n", errno_text(&e)));
                return 127;
            }
        };
        if info.is_dir || info.mode & 0o111 == 0 {
            io.err(format!("sh: 1: {name}: Permission denied\n"));
            return 126;
        }
        let src = match self.fs.read_file(&p) {
            Ok(b) => String::from_utf8_lossy(&b).into_owned(),
            Err(e) => {
                io.err(format!("sh: 1: {name}: {}\n", errno_text(&e)));
                return 126;
            }
        };
        self.run_child(&src, argv.to_vec(), input, io)
    }
}

/// Whether `dir` is one of the usual binary directories (so `/bin/echo` means `echo`).
fn is_bin_dir(dir: &str) -> bool {
    matches!(
        dir,
        "/bin" | "/usr/bin" | "/usr/local/bin" | "/sbin" | "/usr/sbin" | "/usr/local/sbin"
    )
}

/// The strerror-style text for a filesystem error.
fn errno_text(e: &FsError) -> &'static str {
    match e {
        FsError::NotFound(_) => "No such file or directory",
        FsError::IsADirectory(_) => "Is a directory",
        FsError::NotADirectory(_) => "Not a directory",
        FsError::AlreadyExists(_) => "File exists",
        FsError::NoSpace(_) => "No space left on device",
        FsError::InvalidPath(_) | FsError::BadArchive(_) => "Invalid argument",
    }
}
