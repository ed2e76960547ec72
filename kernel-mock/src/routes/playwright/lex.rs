//! The tokens of the JavaScript the stand-in reads.

/// A token.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Tok {
    Num(f64),
    Str(String),
    /// A template literal with `${}`: not a constant.
    Template,
    Ident(String),
    Punct(char),
    Newline,
}

/// Splits `code` into tokens, dropping comments.
pub(super) fn lex(code: &str) -> Result<Vec<Tok>, String> {
    let chars: Vec<char> = code.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '\n' {
            tokens.push(Tok::Newline);
            i += 1;
        } else if c.is_whitespace() {
            i += 1;
        } else if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let end = (i + 2..chars.len().saturating_sub(1))
                .find(|&j| chars[j] == '*' && chars[j + 1] == '/')
                .ok_or("unterminated comment")?;
            i = end + 2;
        } else if matches!(c, '\'' | '"' | '`') {
            let (token, end) = string(&chars, i)?;
            tokens.push(token);
            i = end;
        } else if c.is_ascii_digit() || (c == '.' && next.is_some_and(|n| n.is_ascii_digit())) {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '.') {
                let exponent_sign =
                    matches!(chars[i], 'e' | 'E') && matches!(chars.get(i + 1), Some('+' | '-'));
                i += if exponent_sign { 2 } else { 1 };
            }
            let text: String = chars[start..i].iter().collect();
            let value = match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
                Some(hex) => u64::from_str_radix(hex, 16).ok().map(|n| n as f64),
                None => text.parse::<f64>().ok(),
            };
            tokens.push(Tok::Num(
                value.ok_or_else(|| format!("invalid number {text}"))?,
            ));
        } else if c.is_alphabetic() || c == '_' || c == '$' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || matches!(chars[i], '_' | '$')) {
                i += 1;
            }
            tokens.push(Tok::Ident(chars[start..i].iter().collect()));
        } else {
            tokens.push(Tok::Punct(c));
            i += 1;
        }
    }
    Ok(tokens)
}

/// The string literal starting at `chars[start]` and where it ends.
fn string(chars: &[char], start: usize) -> Result<(Tok, usize), String> {
    let quote = chars[start];
    let mut out = String::new();
    let mut interpolated = false;
    let mut i = start + 1;
    while let Some(&c) = chars.get(i) {
        match c {
            c if c == quote => {
                let token = if interpolated {
                    Tok::Template
                } else {
                    Tok::Str(out)
                };
                return Ok((token, i + 1));
            }
            '\n' if quote != '`' => break,
            '$' if quote == '`' && chars.get(i + 1) == Some(&'{') => {
                interpolated = true;
                i += 1;
            }
            '\\' => {
                i += 1;
                let escaped = chars.get(i).copied().ok_or("unterminated string")?;
                match escaped {
                    'n' => out.push('\n'),
                    't' => out.push('\t'),
                    'r' => out.push('\r'),
                    '0' => out.push('\0'),
                    'u' => {
                        let hex: String = chars.iter().skip(i + 1).take(4).collect();
                        let code = u32::from_str_radix(&hex, 16)
                            .ok()
                            .and_then(char::from_u32)
                            .ok_or("invalid unicode escape")?;
                        out.push(code);
                        i += 4;
                    }
                    '\n' => {}
                    other => out.push(other),
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    Err("unterminated string literal".to_owned())
}

/// Checks that brackets pair up.
pub(super) fn balanced(tokens: &[Tok]) -> Result<(), String> {
    let mut open = Vec::new();
    for token in tokens {
        match token {
            Tok::Punct(c @ ('(' | '[' | '{')) => open.push(*c),
            Tok::Punct(c @ (')' | ']' | '}')) => {
                let expected = match open.pop() {
                    Some('(') => ')',
                    Some('[') => ']',
                    Some(_) => '}',
                    None => return Err(format!("Unexpected token '{c}'")),
                };
                if *c != expected {
                    return Err(format!("Unexpected token '{c}'"));
                }
            }
            _ => {}
        }
    }
    match open.is_empty() {
        true => Ok(()),
        false => Err("Unexpected end of input".to_owned()),
    }
}
