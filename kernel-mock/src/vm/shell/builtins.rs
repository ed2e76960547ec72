//! The commands the fake shell knows, with coreutils/dash-style messages and statuses.

use std::time::Duration;

use super::parse::is_name;
use super::printf::{expand_escapes, printf};
use super::{errno_text, Input, Interp, Io};

mod files;

/// Every builtin name, for resolving `/bin/<name>`.
const NAMES: &[&str] = &[
    "echo", "printf", "cat", "ls", "pwd", "cd", "env", "export", "unset", "sleep", "true", ":",
    "false", "exit", "mkdir", "rm", "touch", "wc", "head", "whoami", "sh", "bash", "dash", "exec",
];

/// Whether `name` is a builtin.
pub(crate) fn exists(name: &str) -> bool {
    NAMES.contains(&name)
}

/// Splits `-abc` style flags (anywhere before `--`) from operands; `Err` holds the first unknown
/// flag.
fn split_flags<'a>(args: &'a [String], allowed: &str) -> Result<(String, Vec<&'a String>), char> {
    let mut flags = String::new();
    let mut ops = Vec::new();
    let mut only_ops = false;
    for a in args {
        if only_ops || a == "-" || !a.starts_with('-') {
            ops.push(a);
        } else if a == "--" {
            only_ops = true;
        } else {
            for c in a.chars().skip(1) {
                if !allowed.contains(c) {
                    return Err(c);
                }
                flags.push(c);
            }
        }
    }
    Ok((flags, ops))
}

impl Interp<'_> {
    /// Runs builtin `name`; `None` if there is no such builtin.
    pub(crate) fn builtin(
        &mut self,
        name: &str,
        args: &[String],
        input: &mut Input,
        io: &mut Io,
    ) -> Option<i32> {
        let code = match name {
            "echo" => echo(args, io),
            "printf" => printf(args, io),
            "cat" => self.cat(args, input, io),
            "ls" => self.ls(args, io),
            "pwd" => {
                io.out(format!("{}\n", self.st.cwd));
                0
            }
            "cd" => self.cd(args, io),
            "env" => self.env(args, input, io),
            "export" => self.export(args, io),
            "unset" => {
                for a in args {
                    self.st.vars.remove(a);
                }
                0
            }
            "sleep" => self.sleep_cmd(args, io),
            "true" | ":" => 0,
            "false" => 1,
            "exit" => self.exit(args, io),
            "mkdir" => self.mkdir(args, io),
            "rm" => self.rm(args, io),
            "touch" => self.touch(args, io),
            "wc" => self.wc(args, input, io),
            "head" => self.head(args, input, io),
            "whoami" => {
                io.out(format!("{}\n", self.var("USER")));
                0
            }
            "sh" | "bash" | "dash" => self.sh(name, args, input, io),
            "exec" => {
                let code = self.exec_argv(args, input, io);
                if !args.is_empty() {
                    self.st.exit = Some(code);
                }
                code
            }
            _ => return None,
        };
        Some(code)
    }

    /// Takes the command's stdin.
    fn take_input(&mut self, input: &mut Input) -> Vec<u8> {
        match input {
            Input::Shared => std::mem::take(&mut self.stdin),
            Input::Bytes(b) => std::mem::take(b),
        }
    }

    /// `cd [DIR|-]`
    fn cd(&mut self, args: &[String], io: &mut Io) -> i32 {
        let target = match args.first().map(String::as_str) {
            None => self.var("HOME"),
            Some("-") => {
                let old = self.var("OLDPWD");
                if old.is_empty() {
                    io.err("sh: 1: cd: OLDPWD not set\n");
                    return 2;
                }
                io.out(format!("{old}\n"));
                old
            }
            Some(t) => t.to_string(),
        };
        let p = self.abs(&target);
        if !self.fs.is_dir(&p) {
            io.err(format!("sh: 1: cd: can't cd to {target}\n"));
            return 2;
        }
        let old = std::mem::replace(&mut self.st.cwd, p);
        self.st.vars.insert("OLDPWD".to_string(), old);
        0
    }

    /// `env [NAME=VALUE]... [COMMAND [ARG]...]`
    fn env(&mut self, args: &[String], input: &mut Input, io: &mut Io) -> i32 {
        let mut extra = Vec::new();
        let mut rest = args;
        while let Some((first, tail)) = rest.split_first() {
            match first.split_once('=') {
                Some((k, v)) if is_name(k) => extra.push((k.to_string(), v.to_string())),
                _ => break,
            }
            rest = tail;
        }
        if let Some(flag) = rest.first().filter(|a| a.starts_with('-')) {
            io.err(format!("env: invalid option '{flag}'\n"));
            return 125;
        }
        let saved = self.st.vars.clone();
        self.st.vars.extend(extra);
        let code = if rest.is_empty() {
            for (k, v) in self.environment() {
                io.out(format!("{k}={v}\n"));
            }
            0
        } else {
            self.exec_argv(rest, input, io)
        };
        self.st.vars = saved;
        code
    }

    /// `export [NAME[=VALUE]]...` (every variable is already exported).
    fn export(&mut self, args: &[String], io: &mut Io) -> i32 {
        if args.is_empty() {
            for (k, v) in self.environment() {
                io.out(format!("export {k}='{}'\n", v.replace('\'', "'\\''")));
            }
            return 0;
        }
        let mut code = 0;
        for a in args {
            match a.split_once('=') {
                Some((k, v)) if is_name(k) => {
                    self.st.vars.insert(k.to_string(), v.to_string());
                }
                None if is_name(a) => {}
                _ => {
                    io.err(format!("sh: 1: export: {a}: bad variable name\n"));
                    code = 2;
                }
            }
        }
        code
    }

    /// `sleep N[smhd]...`: adds simulated time, never blocks.
    fn sleep_cmd(&mut self, args: &[String], io: &mut Io) -> i32 {
        if args.is_empty() {
            io.err("sleep: missing operand\n");
            return 1;
        }
        let mut total = Duration::ZERO;
        for a in args {
            match parse_interval(a) {
                Some(d) => total = total.saturating_add(d),
                None => {
                    io.err(format!("sleep: invalid time interval '{a}'\n"));
                    return 1;
                }
            }
        }
        self.sleep = self.sleep.saturating_add(total);
        0
    }

    /// `exit [N]`: stops the current script.
    fn exit(&mut self, args: &[String], io: &mut Io) -> i32 {
        let code = match args.first() {
            None => self.st.status,
            Some(a) => match a.parse::<i64>() {
                Ok(n) => (n & 0xff) as i32,
                Err(_) => {
                    io.err(format!("sh: 1: exit: Illegal number: {a}\n"));
                    2
                }
            },
        };
        self.st.exit = Some(code);
        code
    }

    /// `sh`/`bash`: `-c SCRIPT [ARG0 [ARG]...]`, a script file, or a script on stdin.
    fn sh(&mut self, name: &str, args: &[String], input: &mut Input, io: &mut Io) -> i32 {
        let mut command_mode = false;
        let mut i = 0;
        while let Some(a) = args.get(i) {
            if a == "--" {
                i += 1;
                break;
            }
            if a.starts_with("--") {
                i += 1;
                continue;
            }
            if a.len() > 1 && (a.starts_with('-') || a.starts_with('+')) {
                command_mode |= a.contains('c');
                // `-o pipefail` style options take the next word.
                i += if a.contains('o') { 2 } else { 1 };
                continue;
            }
            break;
        }
        let rest = args.get(i..).unwrap_or_default();
        if command_mode {
            let Some((script, tail)) = rest.split_first() else {
                io.err(format!("{name}: -c: option requires an argument\n"));
                return 2;
            };
            let mut positional = vec![tail.first().cloned().unwrap_or_else(|| name.to_string())];
            positional.extend(tail.iter().skip(1).cloned());
            return self.run_child(script, positional, input, io);
        }
        if let Some(file) = rest.first() {
            let src = match self.fs.read_file(&self.abs(file)) {
                Ok(b) => String::from_utf8_lossy(&b).into_owned(),
                Err(e) => {
                    io.err(format!("{name}: {file}: {}\n", errno_text(&e)));
                    return 127;
                }
            };
            return self.run_child(&src, rest.to_vec(), input, io);
        }
        let src = self.take_input(input);
        let src = String::from_utf8_lossy(&src).into_owned();
        self.run_child(
            &src,
            vec![name.to_string()],
            &mut Input::Bytes(Vec::new()),
            io,
        )
    }
}

/// `echo [-neE] ARG...` (bash style: escapes only with `-e`).
fn echo(args: &[String], io: &mut Io) -> i32 {
    let mut newline = true;
    let mut escapes = false;
    let mut rest = args;
    while let Some((a, tail)) = rest.split_first() {
        let is_flag =
            a.len() > 1 && a.starts_with('-') && a[1..].chars().all(|c| "neE".contains(c));
        if !is_flag {
            break;
        }
        for c in a[1..].chars() {
            match c {
                'n' => newline = false,
                'e' => escapes = true,
                _ => escapes = false,
            }
        }
        rest = tail;
    }
    let text = rest.join(" ");
    if escapes {
        let (bytes, stopped) = expand_escapes(&text);
        io.out(bytes);
        if stopped {
            return 0;
        }
    } else {
        io.out(text);
    }
    if newline {
        io.out("\n");
    }
    0
}

/// Parses a `sleep` operand: a non-negative decimal with optional s/m/h/d suffix, or `infinity`.
fn parse_interval(a: &str) -> Option<Duration> {
    let (num, unit) = match a.chars().last()? {
        's' => (&a[..a.len() - 1], 1.0),
        'm' => (&a[..a.len() - 1], 60.0),
        'h' => (&a[..a.len() - 1], 3600.0),
        'd' => (&a[..a.len() - 1], 86400.0),
        _ => (a, 1.0),
    };
    if num.eq_ignore_ascii_case("inf") || num.eq_ignore_ascii_case("infinity") {
        return Some(Duration::MAX);
    }
    let ok_chars = !num.is_empty() && num.bytes().all(|b| b.is_ascii_digit() || b == b'.');
    let v: f64 = num.parse().ok().filter(|_| ok_chars)?;
    Some(Duration::try_from_secs_f64(v * unit).unwrap_or(Duration::MAX))
}

/// Reports an unknown option the coreutils way; status 1.
fn usage(io: &mut Io, cmd: &str, c: char) -> i32 {
    io.err(format!("{cmd}: invalid option -- '{c}'\n"));
    1
}
