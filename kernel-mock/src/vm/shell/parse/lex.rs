//! Character-level lexer for the shell language.

use super::{is_name, Part, RedirOp, Tok, Word, WordPart};

/// Whether `c` ends an unquoted word.
fn is_meta(c: char) -> bool {
    matches!(
        c,
        ' ' | '\t' | '\n' | '\r' | ';' | '&' | '|' | '<' | '>' | '(' | ')'
    )
}

/// Character-level scanner; works on chars so slicing can never split UTF-8.
pub(crate) struct Lexer {
    /// The input.
    chars: Vec<char>,
    /// Next unread index.
    pos: usize,
}

impl Lexer {
    /// A lexer over `src`.
    pub(crate) fn new(src: &str) -> Self {
        Lexer {
            chars: src.chars().collect(),
            pos: 0,
        }
    }

    /// Char at `pos + ahead`.
    fn peek_at(&self, ahead: usize) -> Option<char> {
        self.chars.get(self.pos + ahead).copied()
    }

    /// Char at `pos`.
    fn peek(&self) -> Option<char> {
        self.peek_at(0)
    }

    /// Consumes and returns the char at `pos`.
    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += 1;
        Some(c)
    }

    /// Tokenises the whole input.
    pub(crate) fn run(mut self) -> Result<Vec<Tok>, String> {
        let mut toks = Vec::new();
        loop {
            match self.peek() {
                None => return Ok(toks),
                Some(' ' | '\t' | '\r') => self.pos += 1,
                Some('\\') if self.peek_at(1) == Some('\n') => self.pos += 2,
                Some('\n') => {
                    self.pos += 1;
                    toks.push(Tok::Newline);
                }
                Some('#') => {
                    while self.peek().is_some_and(|c| c != '\n') {
                        self.pos += 1;
                    }
                }
                Some(';') => {
                    self.pos += 1;
                    if self.peek() == Some(';') {
                        return Err("Syntax error: \";;\" unexpected".to_string());
                    }
                    toks.push(Tok::Semi);
                }
                Some('&') => {
                    self.pos += 1;
                    match self.peek() {
                        Some('&') => {
                            self.pos += 1;
                            toks.push(Tok::AndIf);
                        }
                        Some('>') => {
                            self.pos += 1;
                            toks.push(Tok::Redir(1, RedirOp::Both));
                        }
                        _ => toks.push(Tok::Amp),
                    }
                }
                Some('|') => {
                    self.pos += 1;
                    if self.peek() == Some('|') {
                        self.pos += 1;
                        toks.push(Tok::OrIf);
                    } else {
                        toks.push(Tok::Pipe);
                    }
                }
                Some('>') => toks.push(self.redir(1)?),
                Some('<') => toks.push(self.redir(0)?),
                Some(c @ ('(' | ')')) => {
                    return Err(format!("Syntax error: \"{c}\" is not supported"));
                }
                Some(c) if c.is_ascii_digit() => {
                    let mut n = 0;
                    while self.peek_at(n).is_some_and(|d| d.is_ascii_digit()) {
                        n += 1;
                    }
                    if matches!(self.peek_at(n), Some('>' | '<')) {
                        let digits: String = self.chars[self.pos..self.pos + n].iter().collect();
                        self.pos += n;
                        // Out-of-range fds are ignored at run time rather than rejected here.
                        let fd = digits.parse().unwrap_or(u32::MAX);
                        toks.push(self.redir(fd)?);
                    } else {
                        toks.push(Tok::Word(self.word()?));
                    }
                }
                Some(_) => toks.push(Tok::Word(self.word()?)),
            }
        }
    }

    /// Lexes `>`, `>>`, `>&`, `>|` or `<` after an optional fd.
    fn redir(&mut self, fd: u32) -> Result<Tok, String> {
        let op = match self.bump() {
            Some('>') => match self.peek() {
                Some('>') => {
                    self.pos += 1;
                    RedirOp::Append
                }
                Some('&') => {
                    self.pos += 1;
                    RedirOp::Dup
                }
                Some('|') => {
                    self.pos += 1;
                    RedirOp::Out
                }
                _ => RedirOp::Out,
            },
            _ => match self.peek() {
                Some('<') => return Err("here-documents are not supported".to_string()),
                Some('&' | '>') => {
                    return Err("Syntax error: redirection not supported".to_string())
                }
                _ => RedirOp::In,
            },
        };
        Ok(Tok::Redir(fd, op))
    }

    /// Lexes one word up to an unquoted blank or operator.
    fn word(&mut self) -> Result<Word, String> {
        let start = self.pos;
        let mut parts = Vec::new();
        let mut lit = String::new();
        while let Some(c) = self.peek() {
            if is_meta(c) {
                break;
            }
            match c {
                '\\' => {
                    self.pos += 1;
                    match self.bump() {
                        None => lit.push('\\'),
                        Some('\n') => {}
                        Some(ch) => {
                            flush(&mut parts, &mut lit);
                            parts.push(quoted(Part::Lit(ch.to_string())));
                        }
                    }
                }
                '\'' => {
                    flush(&mut parts, &mut lit);
                    self.pos += 1;
                    let mut s = String::new();
                    loop {
                        match self.bump() {
                            None => return Err("Syntax error: Unterminated quoted string".into()),
                            Some('\'') => break,
                            Some(ch) => s.push(ch),
                        }
                    }
                    parts.push(quoted(Part::Lit(s)));
                }
                '"' => {
                    flush(&mut parts, &mut lit);
                    self.pos += 1;
                    self.double_quoted(&mut parts)?;
                }
                '$' => {
                    flush(&mut parts, &mut lit);
                    self.dollar(&mut parts, false)?;
                }
                '`' => {
                    flush(&mut parts, &mut lit);
                    let s = self.backquoted()?;
                    parts.push(WordPart {
                        part: Part::Subst(s),
                        quoted: false,
                    });
                }
                '~' if self.pos == start
                    && self.peek_at(1).is_none_or(|n| n == '/' || is_meta(n)) =>
                {
                    self.pos += 1;
                    parts.push(WordPart {
                        part: Part::Tilde,
                        quoted: false,
                    });
                }
                ch => {
                    self.pos += 1;
                    lit.push(ch);
                }
            }
        }
        flush(&mut parts, &mut lit);
        Ok(Word(parts))
    }

    /// Lexes the inside of `"..."` (opening quote already consumed).
    fn double_quoted(&mut self, parts: &mut Vec<WordPart>) -> Result<(), String> {
        let mut buf = String::new();
        loop {
            match self.peek() {
                None => return Err("Syntax error: Unterminated quoted string".into()),
                Some('"') => {
                    self.pos += 1;
                    break;
                }
                Some('\\') => {
                    self.pos += 1;
                    match self.peek() {
                        Some(c @ ('$' | '`' | '"' | '\\')) => {
                            self.pos += 1;
                            buf.push(c);
                        }
                        Some('\n') => self.pos += 1,
                        _ => buf.push('\\'),
                    }
                }
                Some('$') => {
                    parts.push(quoted(Part::Lit(std::mem::take(&mut buf))));
                    self.dollar(parts, true)?;
                }
                Some('`') => {
                    parts.push(quoted(Part::Lit(std::mem::take(&mut buf))));
                    let s = self.backquoted()?;
                    parts.push(quoted(Part::Subst(s)));
                }
                Some(c) => {
                    self.pos += 1;
                    buf.push(c);
                }
            }
        }
        // Always push, so `""` still yields an (empty) argument.
        parts.push(quoted(Part::Lit(buf)));
        Ok(())
    }

    /// Lexes a `$` expansion at `pos`.
    fn dollar(&mut self, parts: &mut Vec<WordPart>, is_quoted: bool) -> Result<(), String> {
        self.pos += 1;
        let part = match self.peek() {
            Some('{') => {
                self.pos += 1;
                let mut name = String::new();
                loop {
                    match self.bump() {
                        None => return Err("Syntax error: Missing '}'".into()),
                        Some('}') => break,
                        Some(c) => name.push(c),
                    }
                }
                let special = name.len() == 1 && "?#@*$!-0123456789".contains(name.as_str());
                let positional = !name.is_empty() && name.chars().all(|c| c.is_ascii_digit());
                if !(is_name(&name) || special || positional) {
                    return Err(format!("${{{name}}}: Bad substitution"));
                }
                Part::Var(name)
            }
            Some('(') => {
                if self.peek_at(1) == Some('(') {
                    return Err("arithmetic expansion $((...)) is not supported".into());
                }
                self.pos += 1;
                Part::Subst(self.until_close_paren()?)
            }
            Some(c) if c.is_ascii_alphabetic() || c == '_' => {
                let mut name = String::new();
                while let Some(c) = self
                    .peek()
                    .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
                {
                    self.pos += 1;
                    name.push(c);
                }
                Part::Var(name)
            }
            Some(c) if c.is_ascii_digit() || "?#@*$!-".contains(c) => {
                self.pos += 1;
                Part::Var(c.to_string())
            }
            _ => Part::Lit("$".to_string()),
        };
        parts.push(WordPart {
            part,
            quoted: is_quoted,
        });
        Ok(())
    }

    /// Raw text up to the `)` matching an already consumed `$(`, skipping quoted parens.
    fn until_close_paren(&mut self) -> Result<String, String> {
        let mut depth = 1usize;
        let mut out = String::new();
        let unterminated = || "Syntax error: Unterminated $(".to_string();
        loop {
            let c = self.bump().ok_or_else(unterminated)?;
            match c {
                '(' => depth += 1,
                ')' => {
                    depth -= 1;
                    if depth == 0 {
                        return Ok(out);
                    }
                }
                '\\' => {
                    out.push(c);
                    let next = self.bump().ok_or_else(unterminated)?;
                    out.push(next);
                    continue;
                }
                '\'' | '"' => {
                    out.push(c);
                    loop {
                        let q = self.bump().ok_or_else(unterminated)?;
                        out.push(q);
                        if q == c {
                            break;
                        }
                        if q == '\\' && c == '"' {
                            out.push(self.bump().ok_or_else(unterminated)?);
                        }
                    }
                    continue;
                }
                _ => {}
            }
            out.push(c);
        }
    }

    /// Raw text of a backquoted substitution at `pos`, with `\``, `\\` and `\$` unescaped.
    fn backquoted(&mut self) -> Result<String, String> {
        self.pos += 1;
        let mut out = String::new();
        loop {
            match self.bump() {
                None => return Err("Syntax error: Unterminated backquote".into()),
                Some('`') => return Ok(out),
                Some('\\') => match self.bump() {
                    Some(c @ ('`' | '\\' | '$')) => out.push(c),
                    Some(c) => {
                        out.push('\\');
                        out.push(c);
                    }
                    None => return Err("Syntax error: Unterminated backquote".into()),
                },
                Some(c) => out.push(c),
            }
        }
    }
}

/// A quoted part.
fn quoted(part: Part) -> WordPart {
    WordPart { part, quoted: true }
}

/// Moves pending unquoted literal text into `parts`.
fn flush(parts: &mut Vec<WordPart>, lit: &mut String) {
    if !lit.is_empty() {
        parts.push(WordPart {
            part: Part::Lit(std::mem::take(lit)),
            quoted: false,
        });
    }
}
