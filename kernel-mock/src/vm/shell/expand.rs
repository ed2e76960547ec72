//! Word expansion: variables, `$(...)`, `~` and field splitting.

use std::collections::BTreeMap;

use super::parse::{self, Part, Word};
use super::{Input, Interp, Io, DEFAULT_PATH, HOME};

impl Interp<'_> {
    /// Expands a word into fields: variables, substitutions, `~`, and field splitting of unquoted
    /// results.
    pub(crate) fn expand(&mut self, word: &Word, io: &mut Io) -> Vec<String> {
        let mut fields = Vec::new();
        let mut cur = String::new();
        let mut have = false;
        for wp in &word.0 {
            match &wp.part {
                Part::Lit(s) => {
                    cur.push_str(s);
                    have |= wp.quoted || !s.is_empty();
                }
                Part::Tilde => {
                    cur.push_str(&self.var("HOME"));
                    have = true;
                }
                Part::Var(name) if name == "@" && wp.quoted => {
                    for (i, a) in self.st.args.iter().skip(1).enumerate() {
                        if i > 0 {
                            fields.push(std::mem::take(&mut cur));
                        }
                        cur.push_str(a);
                        have = true;
                    }
                }
                Part::Var(name) => {
                    let v = self.var(name);
                    split_into(&v, wp.quoted, &mut cur, &mut have, &mut fields);
                }
                Part::Subst(src) => {
                    let v = self.substitute(src, io);
                    split_into(&v, wp.quoted, &mut cur, &mut have, &mut fields);
                }
            }
        }
        if have {
            fields.push(cur);
        }
        fields
    }

    /// Runs `$(src)` in a subshell and returns its stdout minus trailing newlines.
    fn substitute(&mut self, src: &str, io: &mut Io) -> String {
        let mut sub = Io::default();
        let mut input = Input::Bytes(Vec::new());
        let args = self.st.args.clone();
        let code = self.run_child(src, args, &mut input, &mut sub);
        self.st.status = code;
        io.err(&sub.err);
        let mut s = String::from_utf8_lossy(&sub.out).into_owned();
        while s.ends_with('\n') {
            s.pop();
        }
        s
    }

    /// Value of a variable or special parameter; unset is empty.
    pub(crate) fn var(&self, name: &str) -> String {
        match name {
            "?" => self.st.status.to_string(),
            "#" => self.st.args.len().saturating_sub(1).to_string(),
            "$" => "1".to_string(),
            "!" | "-" => String::new(),
            "@" | "*" => self.st.args.get(1..).unwrap_or_default().join(" "),
            "PWD" => self.st.cwd.clone(),
            n if n.bytes().all(|b| b.is_ascii_digit()) => n
                .parse::<usize>()
                .ok()
                .and_then(|i| self.st.args.get(i))
                .cloned()
                .unwrap_or_default(),
            n => self
                .st
                .vars
                .get(n)
                .cloned()
                .or_else(|| default_var(n).map(str::to_string))
                .unwrap_or_default(),
        }
    }

    /// The full environment as `env` shows it: defaults, then variables, with PWD the real cwd.
    pub(crate) fn environment(&self) -> BTreeMap<String, String> {
        let mut env: BTreeMap<String, String> = ["HOME", "PATH", "USER"]
            .iter()
            .filter_map(|k| default_var(k).map(|v| (k.to_string(), v.to_string())))
            .collect();
        env.extend(self.st.vars.iter().map(|(k, v)| (k.clone(), v.clone())));
        env.insert("PWD".to_string(), self.st.cwd.clone());
        env
    }

    /// Resolves a shell path against the cwd; `..` at `/` stays at `/`, as in a real shell.
    pub(crate) fn abs(&self, path: &str) -> String {
        let joined = if path.starts_with('/') {
            path.to_string()
        } else {
            format!("{}/{path}", self.st.cwd)
        };
        let mut parts: Vec<&str> = Vec::new();
        for part in joined.split('/') {
            match part {
                "" | "." => {}
                ".." => {
                    parts.pop();
                }
                p => parts.push(p),
            }
        }
        format!("/{}", parts.join("/"))
    }
}

/// Built-in default for a few variables.
fn default_var(name: &str) -> Option<&'static str> {
    match name {
        "HOME" => Some(HOME),
        "USER" => Some("kernel"),
        "PATH" => Some(DEFAULT_PATH),
        _ => None,
    }
}

/// Appends an expansion result, splitting on blanks when unquoted.
fn split_into(
    value: &str,
    quoted: bool,
    cur: &mut String,
    have: &mut bool,
    fields: &mut Vec<String>,
) {
    if quoted {
        cur.push_str(value);
        *have = true;
        return;
    }
    for ch in value.chars() {
        if matches!(ch, ' ' | '\t' | '\n') {
            if *have {
                fields.push(std::mem::take(cur));
                *have = false;
            }
        } else {
            cur.push(ch);
            *have = true;
        }
    }
}

/// Splits `NAME=value` (name unquoted) into the name and the value word.
pub(crate) fn split_assignment(word: &Word) -> Option<(String, Word)> {
    let first = word.0.first()?;
    let Part::Lit(text) = &first.part else {
        return None;
    };
    if first.quoted {
        return None;
    }
    let (name, rest) = text.split_once('=')?;
    if !parse::is_name(name) {
        return None;
    }
    let mut value = Word::default();
    value.0.push(parse::WordPart {
        part: Part::Lit(rest.to_string()),
        quoted: true,
    });
    value.0.extend(word.0.iter().skip(1).cloned());
    Some((name.to_string(), value))
}
