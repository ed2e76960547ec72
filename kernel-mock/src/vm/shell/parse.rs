//! Lexer and parser for the small shell language: words, quotes, `$` expansions,
//! `;` `&&` `||` `|` and redirections. Expansion happens later, at run time.

mod lex;

use self::lex::Lexer;

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

/// Whether `s` is a valid variable name.
pub(crate) fn is_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
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
        assert!(w[1]
            .0
            .iter()
            .any(|p| p.part == Part::Var("C".into()) && p.quoted));
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
            "echo 'open",
            "echo \"open",
            "&& a",
            "a ||",
            "a | | b",
            "a >",
            ";",
            "a ;; b",
            "${",
            "${a b}",
            "$(x",
            "`x",
            "(a)",
            "cat <<EOF",
        ] {
            assert!(parse(bad).is_err(), "{bad:?} parsed");
        }
        assert!(parse("").unwrap().is_empty());
        assert!(parse("  # only a comment\n\n").unwrap().is_empty());
        assert_eq!(parse("a;").unwrap().len(), 1);
        assert_eq!(parse("a &&\n b").unwrap().len(), 2);
    }
}
