//! Lexer and parser for the small shell language: words, quotes, `$` expansions,
//! `;` `&&` `||` `|` and redirections. Expansion happens later, at run time.

/// One piece of a word before expansion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Part {
    /// Literal text.
    Lit(String),
    /// `$NAME`, `${NAME}` or a special parameter such as `?`, `#`, `@`, `1`.
    Var(String),
    /// `$(...)` or backquoted command text, run when expanded.
    Subst(String),
    /// A leading unquoted `~`, meaning `$HOME`.
    Tilde,
}

/// A part plus whether it was quoted (quoted expansions are not field-split).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct WordPart {
    /// The piece itself.
    pub(crate) part: Part,
    /// Whether it came from quotes or a backslash escape.
    pub(crate) quoted: bool,
}

/// A shell word: adjacent parts with no unquoted blank between them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Word(pub(crate) Vec<WordPart>);

/// What a redirection does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RedirOp {
    /// `>`: truncate or create.
    Out,
    /// `>>`: append or create.
    Append,
    /// `<`: read stdin from a file.
    In,
    /// `>&N`: make the fd a copy of fd N.
    Dup,
    /// `&>`: stdout and stderr to a file (truncating).
    Both,
}

/// A redirection of one file descriptor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Redir {
    /// The descriptor redirected (0, 1 or 2 in practice).
    pub(crate) fd: u32,
    /// The kind of redirection.
    pub(crate) op: RedirOp,
    /// File name, or fd number for `Dup`.
    pub(crate) target: Word,
}

/// A simple command: words plus redirections.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Command {
    /// Assignments, command name and arguments, unexpanded.
    pub(crate) words: Vec<Word>,
    /// Redirections in source order.
    pub(crate) redirs: Vec<Redir>,
}

/// How a pipeline is joined to the one before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Connector {
    /// `;`, newline, `&` or start of input: always run.
    Seq,
    /// `&&`: run if the previous status was 0.
    And,
    /// `||`: run if the previous status was non-zero.
    Or,
}

/// A whole command line: pipelines with their connectors.
pub(crate) type List = Vec<(Connector, Vec<Command>)>;

/// A lexical token.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    /// A word.
    Word(Word),
    /// `;`
    Semi,
    /// A line break.
    Newline,
    /// `&` (run in the foreground: there are no background jobs).
    Amp,
    /// `&&`
    AndIf,
    /// `||`
    OrIf,
    /// `|`
    Pipe,
    /// A redirection operator with its fd.
    Redir(u32, RedirOp),
}

impl Tok {
    /// How the token is named in syntax errors.
    fn describe(&self) -> String {
        match self {
            Tok::Word(_) => "word".to_string(),
            Tok::Semi => ";".to_string(),
            Tok::Newline => "newline".to_string(),
            Tok::Amp => "&".to_string(),
            Tok::AndIf => "&&".to_string(),
            Tok::OrIf => "||".to_string(),
            Tok::Pipe => "|".to_string(),
            Tok::Redir(..) => "redirection".to_string(),
        }
    }
}

/// Parses a command line; the error text is meant for stderr (exit status 2).
pub(crate) fn parse(src: &str) -> Result<List, String> {
    let toks = Lexer::new(src).run()?;
    parse_tokens(toks)
}

/// Builds the pipeline list from tokens.
fn parse_tokens(toks: Vec<Tok>) -> Result<List, String> {
    let mut list = List::new();
    let mut it = toks.into_iter().peekable();
    let mut conn = Connector::Seq;
    loop {
        while it.peek() == Some(&Tok::Newline) {
            it.next();
        }
        if it.peek().is_none() {
            if conn != Connector::Seq {
                return Err("Syntax error: end of file unexpected".to_string());
            }
            return Ok(list);
        }
        let mut pipeline = vec![parse_command(&mut it)?];
        while it.peek() == Some(&Tok::Pipe) {
            it.next();
            while it.peek() == Some(&Tok::Newline) {
                it.next();
            }
            pipeline.push(parse_command(&mut it)?);
        }
        list.push((conn, pipeline));
        conn = match it.next() {
            None => return Ok(list),
            Some(Tok::Semi | Tok::Newline | Tok::Amp) => Connector::Seq,
            Some(Tok::AndIf) => Connector::And,
            Some(Tok::OrIf) => Connector::Or,
            Some(t) => return Err(unexpected(&t)),
        };
    }
}

/// Parses words and redirections up to the next operator.
fn parse_command(it: &mut std::iter::Peekable<std::vec::IntoIter<Tok>>) -> Result<Command, String> {
    let mut cmd = Command::default();
    loop {
        match it.peek() {
            Some(Tok::Word(_)) => {
                if let Some(Tok::Word(w)) = it.next() {
                    cmd.words.push(w);
                }
            }
            Some(Tok::Redir(..)) => {
                let Some(Tok::Redir(fd, op)) = it.next() else {
                    break;
                };
                match it.next() {
                    Some(Tok::Word(target)) => cmd.redirs.push(Redir { fd, op, target }),
                    Some(t) => return Err(unexpected(&t)),
                    None => return Err(unexpected(&Tok::Newline)),
                }
            }
            _ => break,
        }
    }
    if cmd.words.is_empty() && cmd.redirs.is_empty() {
        return Err(unexpected(it.peek().unwrap_or(&Tok::Newline)));
    }
    Ok(cmd)
}

/// The usual syntax error message.
fn unexpected(t: &Tok) -> String {
    format!("Syntax error: \"{}\" unexpected", t.describe())
}

/// Whether `c` ends an unquoted word.
fn is_meta(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r' | ';' | '&' | '|' | '<' | '>' | '(' | ')')
}

/// Whether `s` is a valid variable name.
pub(crate) fn is_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Character-level scanner; works on chars so slicing can never split UTF-8.
struct Lexer {
    /// The input.
    chars: Vec<char>,
    /// Next unread index.
    pos: usize,
}

impl Lexer {
    /// A lexer over `src`.
    fn new(src: &str) -> Self {
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
    fn run(mut self) -> Result<Vec<Tok>, String> {
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
                Some('&' | '>') => return Err("Syntax error: redirection not supported".to_string()),
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
                while let Some(c) = self.peek().filter(|c| c.is_ascii_alphanumeric() || *c == '_') {
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Literal text of a word, panicking on expansions.
    fn text(w: &Word) -> String {
        w.0.iter()
            .map(|p| match &p.part {
                Part::Lit(s) => s.clone(),
                other => panic!("unexpected part {other:?}"),
            })
            .collect()
    }

    #[test]
    fn quotes_and_escapes() {
        let list = parse(r#"echo 'a b' "c\"d" e\ f "" x'y'z"#).unwrap();
        let words: Vec<String> = list[0].1[0].words.iter().map(text).collect();
        assert_eq!(words, ["echo", "a b", "c\"d", "e f", "", "xyz"]);
    }

    #[test]
    fn connectors_and_pipes() {
        let list = parse("a; b && c || d | e\nf &").unwrap();
        let conns: Vec<Connector> = list.iter().map(|(c, _)| *c).collect();
        use Connector::*;
        assert_eq!(conns, [Seq, Seq, And, Or, Seq]);
        assert_eq!(list[3].1.len(), 2);
    }

    #[test]
    fn redirections() {
        let list = parse("cmd >out 2>&1 >>log <in &>both").unwrap();
        let r: Vec<(u32, RedirOp, String)> = list[0].1[0]
            .redirs
            .iter()
            .map(|r| (r.fd, r.op, text(&r.target)))
            .collect();
        use RedirOp::*;
        assert_eq!(
            r,
            [
                (1, Out, "out".into()),
                (2, Dup, "1".into()),
                (1, Append, "log".into()),
                (0, In, "in".into()),
                (1, Both, "both".into())
            ]
        );
    }

    #[test]
    fn expansions() {
        let list = parse(r#"echo $A${B}"$C" '$D' $(x "(" y) `z` ~/p $? $"#).unwrap();
        let w = &list[0].1[0].words;
        assert_eq!(w[1].0[0].part, Part::Var("A".into()));
        assert_eq!(w[1].0[1].part, Part::Var("B".into()));
        assert!(w[1].0.iter().any(|p| p.part == Part::Var("C".into()) && p.quoted));
        assert_eq!(text(&w[2]), "$D");
        assert_eq!(w[3].0[0].part, Part::Subst("x \"(\" y".into()));
        assert_eq!(w[4].0[0].part, Part::Subst("z".into()));
        assert_eq!(w[5].0[0].part, Part::Tilde);
        assert_eq!(w[6].0[0].part, Part::Var("?".into()));
        assert_eq!(text(&w[7]), "$");
    }

    #[test]
    fn syntax_errors() {
        for bad in [
            "echo 'open", "echo \"open", "&& a", "a ||", "a | | b", "a >", ";", "a ;; b",
            "${", "${a b}", "$(x", "`x", "(a)", "cat <<EOF",
        ] {
            assert!(parse(bad).is_err(), "{bad:?} parsed");
        }
        assert!(parse("").unwrap().is_empty());
        assert!(parse("  # only a comment\n\n").unwrap().is_empty());
        assert_eq!(parse("a;").unwrap().len(), 1);
        assert_eq!(parse("a &&\n b").unwrap().len(), 2);
    }
}
