//! File commands: cat, ls, mkdir, rm, touch, wc, head.

use super::super::super::fs::{parent_of, parse_mode, Entry};
use super::super::{errno_text, Input, Interp, Io};
use super::{split_flags, usage};

impl Interp<'_> {
    /// Reads operands (stdin when none, or for `-`) as (label, bytes); unreadable ones are reported
    /// and give `None`.
    fn read_operands(
        &mut self,
        cmd: &str,
        ops: &[&String],
        input: &mut Input,
        io: &mut Io,
    ) -> Vec<Option<(Option<String>, Vec<u8>)>> {
        if ops.is_empty() {
            return vec![Some((None, self.take_input(input)))];
        }
        ops.iter()
            .map(|op| {
                if op.as_str() == "-" {
                    return Some((Some("-".to_string()), self.take_input(input)));
                }
                match self.fs.read_file(&self.abs(op)) {
                    Ok(b) => Some((Some(op.to_string()), b.to_vec())),
                    Err(e) => {
                        io.err(format!("{cmd}: {op}: {}\n", errno_text(&e)));
                        None
                    }
                }
            })
            .collect()
    }

    /// `cat [FILE|-]...`
    pub(crate) fn cat(&mut self, args: &[String], input: &mut Input, io: &mut Io) -> i32 {
        let ops = match split_flags(args, "") {
            Ok((_, ops)) => ops,
            Err(c) => return usage(io, "cat", c),
        };
        let mut code = 0;
        for item in self.read_operands("cat", &ops, input, io) {
            match item {
                Some((_, data)) => io.out(data),
                None => code = 1,
            }
        }
        code
    }

    /// `ls [-l] [-a] [-A] [-1] [PATH]...`, one entry per line.
    pub(crate) fn ls(&mut self, args: &[String], io: &mut Io) -> i32 {
        let (flags, ops) = match split_flags(args, "laA1") {
            Ok(v) => v,
            Err(c) => {
                io.err(format!("ls: invalid option -- '{c}'\n"));
                return 2;
            }
        };
        let (long, all, almost) = (
            flags.contains('l'),
            flags.contains('a'),
            flags.contains('A'),
        );
        let dot = ".".to_string();
        let ops = if ops.is_empty() { vec![&dot] } else { ops };
        let mut code = 0;
        let (mut files, mut dirs) = (Vec::new(), Vec::new());
        for op in &ops {
            match self.fs.info(&self.abs(op)) {
                Ok(e) if e.is_dir => dirs.push((op.to_string(), e)),
                Ok(mut e) => {
                    e.name = op.to_string();
                    files.push(e);
                }
                Err(_) => {
                    io.err(format!(
                        "ls: cannot access '{op}': No such file or directory\n"
                    ));
                    code = 2;
                }
            }
        }
        render_ls(&files, long, false, io);
        let headers = ops.len() > 1;
        for (i, (op, dir)) in dirs.iter().enumerate() {
            if headers {
                if i > 0 || !files.is_empty() {
                    io.out("\n");
                }
                io.out(format!("{op}:\n"));
            }
            let mut entries = self.fs.list(&dir.path).unwrap_or_default();
            if !all && !almost {
                entries.retain(|e| !e.name.starts_with('.'));
            }
            if all {
                let parent = parent_of(&dir.path).unwrap_or("/");
                let mut up = self.fs.info(parent).unwrap_or_else(|_| dir.clone());
                up.name = "..".to_string();
                let mut me = dir.clone();
                me.name = ".".to_string();
                entries = [me, up].into_iter().chain(entries).collect();
            }
            render_ls(&entries, long, true, io);
        }
        code
    }

    /// `mkdir [-p] [-m MODE] DIR...`
    pub(crate) fn mkdir(&mut self, args: &[String], io: &mut Io) -> i32 {
        let mut parents = false;
        let mut mode = None;
        let mut ops = Vec::new();
        let mut it = args.iter();
        while let Some(a) = it.next() {
            match a.as_str() {
                "-p" | "--parents" => parents = true,
                "-m" => match it.next().map(|m| parse_mode(m)) {
                    Some(Ok(m)) => mode = Some(m),
                    _ => {
                        io.err("mkdir: invalid mode\n");
                        return 1;
                    }
                },
                s if s.starts_with('-') && s.len() > 1 => {
                    if s.chars().skip(1).all(|c| c == 'p') {
                        parents = true;
                    } else {
                        return usage(io, "mkdir", s.chars().nth(1).unwrap_or('-'));
                    }
                }
                _ => ops.push(a),
            }
        }
        if ops.is_empty() {
            io.err("mkdir: missing operand\n");
            return 1;
        }
        let mut code = 0;
        for op in ops {
            let p = self.abs(op);
            let problem = if parents {
                None
            } else if self.fs.exists(&p) {
                Some("File exists")
            } else if !parent_of(&p).is_some_and(|d| self.fs.is_dir(d)) {
                Some(if parent_of(&p).is_some_and(|d| self.fs.exists(d)) {
                    "Not a directory"
                } else {
                    "No such file or directory"
                })
            } else {
                None
            };
            let result = match problem {
                Some(why) => Err(why),
                None => self.fs.create_dir(&p, mode).map_err(|e| errno_text(&e)),
            };
            match result {
                Ok(ev) => self.events.extend(ev),
                Err(why) => {
                    io.err(format!("mkdir: cannot create directory '{op}': {why}\n"));
                    code = 1;
                }
            }
        }
        code
    }

    /// `rm [-r] [-f] [-d] PATH...`
    pub(crate) fn rm(&mut self, args: &[String], io: &mut Io) -> i32 {
        let args: Vec<String> = args
            .iter()
            .map(|a| match a.as_str() {
                "--recursive" => "-r".to_string(),
                "--force" => "-f".to_string(),
                _ => a.clone(),
            })
            .collect();
        let (flags, ops) = match split_flags(&args, "rRfdv") {
            Ok(v) => v,
            Err(c) => return usage(io, "rm", c),
        };
        let recursive = flags.contains('r') || flags.contains('R');
        let force = flags.contains('f');
        if ops.is_empty() && !force {
            io.err("rm: missing operand\n");
            return 1;
        }
        let mut code = 0;
        for op in ops {
            let p = self.abs(op);
            let fail = |io: &mut Io, why: &str| {
                io.err(format!("rm: cannot remove '{op}': {why}\n"));
                1
            };
            if matches!(op.rsplit('/').next(), Some("." | "..")) {
                io.err(format!(
                    "rm: refusing to remove '.' or '..' directory: skipping '{op}'\n"
                ));
                code = 1;
                continue;
            }
            if p == "/" && recursive {
                io.err("rm: it is dangerous to operate recursively on '/'\n");
                code = 1;
                continue;
            }
            let result = match self.fs.info(&p) {
                Err(_) if force => continue,
                Err(_) => Err("No such file or directory"),
                Ok(e) if e.is_dir => {
                    let empty = self.fs.list(&p).is_ok_and(|l| l.is_empty());
                    if recursive || (flags.contains('d') && empty) {
                        self.fs.delete_dir(&p).map_err(|e| errno_text(&e))
                    } else {
                        Err("Is a directory")
                    }
                }
                Ok(_) => self.fs.delete_file(&p).map_err(|e| errno_text(&e)),
            };
            match result {
                Ok(ev) => self.events.extend(ev),
                Err(why) => code = fail(io, why),
            }
        }
        code
    }

    /// `touch FILE...`
    pub(crate) fn touch(&mut self, args: &[String], io: &mut Io) -> i32 {
        let ops = match split_flags(args, "") {
            Ok((_, ops)) => ops,
            Err(c) => return usage(io, "touch", c),
        };
        if ops.is_empty() {
            io.err("touch: missing file operand\n");
            return 1;
        }
        let mut code = 0;
        for op in ops {
            match self.fs.touch(&self.abs(op)) {
                Ok(ev) => self.events.extend(ev),
                Err(e) => {
                    io.err(format!("touch: cannot touch '{op}': {}\n", errno_text(&e)));
                    code = 1;
                }
            }
        }
        code
    }

    /// `wc [-l] [-w] [-c] [FILE]...`
    pub(crate) fn wc(&mut self, args: &[String], input: &mut Input, io: &mut Io) -> i32 {
        let (flags, ops) = match split_flags(args, "lwc") {
            Ok(v) => v,
            Err(c) => return usage(io, "wc", c),
        };
        let show: Vec<usize> = if flags.is_empty() {
            vec![0, 1, 2]
        } else {
            (0..3)
                .filter(|&i| flags.contains(['l', 'w', 'c'][i]))
                .collect()
        };
        let mut code = 0;
        let mut rows = Vec::new();
        let mut total = [0u64; 3];
        for item in self.read_operands("wc", &ops, input, io) {
            let Some((label, data)) = item else {
                code = 1;
                continue;
            };
            let counts = [
                data.iter().filter(|&&b| b == b'\n').count() as u64,
                data.split(|b| b.is_ascii_whitespace())
                    .filter(|w| !w.is_empty())
                    .count() as u64,
                data.len() as u64,
            ];
            for (t, c) in total.iter_mut().zip(counts) {
                *t += c;
            }
            rows.push((counts, label));
        }
        if rows.len() > 1 {
            rows.push((total, Some("total".to_string())));
        }
        let width = if show.len() == 1 && rows.len() == 1 {
            1
        } else if ops.is_empty() {
            7
        } else {
            total.iter().map(|n| n.to_string().len()).max().unwrap_or(1)
        };
        for (counts, label) in rows {
            let nums: Vec<String> = show
                .iter()
                .map(|&i| format!("{:>width$}", counts[i]))
                .collect();
            let mut line = nums.join(" ");
            if let Some(l) = label {
                line.push(' ');
                line.push_str(&l);
            }
            io.out(format!("{line}\n"));
        }
        code
    }

    /// `head [-n N | -N | -c N] [FILE]...`
    pub(crate) fn head(&mut self, args: &[String], input: &mut Input, io: &mut Io) -> i32 {
        let (mut count, mut bytes) = (10u64, false);
        let mut ops = Vec::new();
        let mut it = args.iter();
        while let Some(a) = it.next() {
            let (value, is_bytes) = if a == "-n" || a == "-c" {
                (it.next().cloned(), a == "-c")
            } else if let Some(v) = a.strip_prefix("-n").or_else(|| a.strip_prefix("--lines=")) {
                (Some(v.to_string()), false)
            } else if let Some(v) = a.strip_prefix("-c").or_else(|| a.strip_prefix("--bytes=")) {
                (Some(v.to_string()), true)
            } else if a.len() > 1
                && a.starts_with('-')
                && a[1..].bytes().all(|b| b.is_ascii_digit())
            {
                (Some(a[1..].to_string()), false)
            } else if a.len() > 1 && a.starts_with('-') {
                return usage(io, "head", a.chars().nth(1).unwrap_or('-'));
            } else {
                ops.push(a);
                continue;
            };
            match value.as_deref().map(str::parse::<u64>) {
                Some(Ok(n)) => {
                    count = n;
                    bytes = is_bytes;
                }
                _ => {
                    let what = if is_bytes { "bytes" } else { "lines" };
                    let v = value.unwrap_or_default();
                    io.err(format!("head: invalid number of {what}: '{v}'\n"));
                    return 1;
                }
            }
        }
        let mut code = 0;
        let many = ops.len() > 1;
        let mut first = true;
        for item in self.read_operands("head", &ops, input, io) {
            let Some((label, data)) = item else {
                code = 1;
                continue;
            };
            if many {
                let sep = if first { "" } else { "\n" };
                io.out(format!("{sep}==> {} <==\n", label.unwrap_or_default()));
            }
            first = false;
            let end = if bytes {
                usize::try_from(count).unwrap_or(usize::MAX).min(data.len())
            } else {
                let mut seen = 0u64;
                data.iter()
                    .position(|&b| {
                        seen += u64::from(b == b'\n');
                        b == b'\n' && seen >= count
                    })
                    .map_or(data.len(), |i| i + 1)
            };
            let end = if count == 0 { 0 } else { end };
            io.out(&data[..end]);
        }
        code
    }
}

/// Prints `ls` output; `dir_listing` adds the `total` line in long form.
fn render_ls(entries: &[Entry], long: bool, dir_listing: bool, io: &mut Io) {
    if !long {
        for e in entries {
            io.out(format!("{}\n", e.name));
        }
        return;
    }
    let size = |e: &Entry| if e.is_dir { 4096 } else { e.size_bytes };
    if dir_listing {
        let blocks: u64 = entries.iter().map(|e| size(e).div_ceil(4096) * 4).sum();
        io.out(format!("total {blocks}\n"));
    }
    let width = entries
        .iter()
        .map(|e| size(e).to_string().len())
        .max()
        .unwrap_or(1);
    for e in entries {
        io.out(format!(
            "{} 1 {} {} {:>width$} {} {}\n",
            e.mode_string(),
            e.owner,
            e.group,
            size(e),
            e.mod_time.format("%b %e %H:%M"),
            e.name
        ));
    }
}
