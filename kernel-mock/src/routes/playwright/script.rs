//! A deterministic stand-in for running Playwright code: the code is never
//! executed; its top-level statements are read one by one:
//!
//! - `return <constant>` ends with that value as `result`, where a constant
//!   is built from number, string (quotes or backticks without `${}`),
//!   `true`/`false`/`null`/`undefined`, array and object literals, with
//!   `+ - * / %`, unary `- + !`, parentheses and `await` (so `return 1 + 1`
//!   gives `2`, `return 'a' + 1` gives `"a1"`, `return {ok: true}` gives
//!   `{"ok":true}`). `return` of anything else (`await page.title()`) or no
//!   `return` at all gives no `result` (JavaScript's `undefined`).
//! - `throw <value>` fails: `success: false` with `error` `"Error: boom"`
//!   for `throw new Error('boom')`, or the thrown constant as text.
//! - `console.log/info/debug(<constants>)` append a line to `stdout`,
//!   `console.warn/error(...)` to `stderr` (arguments joined by spaces).
//! - Every other statement (`await page.goto(...)`, declarations) is skipped.
//!
//! Unterminated strings or comments and unbalanced brackets fail with a
//! `SyntaxError`, as running the code would.

use serde_json::{Map, Number, Value};

/// What running the code produced.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Outcome {
    /// The returned value, `None` for `undefined`.
    pub result: Option<Value>,
    /// Why it failed, if it did.
    pub error: Option<String>,
    /// `console.log` lines.
    pub stdout: String,
    /// `console.error` lines.
    pub stderr: String,
}

/// Runs `code` as described in the module documentation.
pub(crate) fn run(code: &str) -> Outcome {
    let mut outcome = Outcome::default();
    let tokens = match lex(code).and_then(|t| balanced(&t).map(|()| t)) {
        Ok(tokens) => tokens,
        Err(message) => {
            outcome.error = Some(format!("SyntaxError: {message}"));
            return outcome;
        }
    };
    for statement in statements(&tokens) {
        match statement {
            [Tok::Ident(kw), rest @ ..] if kw == "return" => {
                outcome.result = constant(rest).and_then(|v| v.to_json());
                return outcome;
            }
            [Tok::Ident(kw), rest @ ..] if kw == "throw" => {
                outcome.error = Some(thrown(rest));
                return outcome;
            }
            [Tok::Ident(console), Tok::Punct('.'), Tok::Ident(level), Tok::Punct('('), args @ .., Tok::Punct(')')]
                if console == "console" =>
            {
                let out = match level.as_str() {
                    "log" | "info" | "debug" => &mut outcome.stdout,
                    "warn" | "error" => &mut outcome.stderr,
                    _ => continue,
                };
                if let Some(values) = list(args) {
                    let line: Vec<String> = values.iter().map(Val::display).collect();
                    out.push_str(&line.join(" "));
                    out.push('\n');
                }
            }
            _ => {}
        }
    }
    outcome
}

/// The error text of `throw <rest>`.
fn thrown(rest: &[Tok]) -> String {
    if let [Tok::Ident(new), Tok::Ident(class), Tok::Punct('('), args @ .., Tok::Punct(')')] = rest
    {
        if new == "new" {
            return match list(args).as_deref() {
                Some([message, ..]) => format!("{class}: {}", message.to_js_string()),
                _ => class.clone(),
            };
        }
    }
    match constant(rest) {
        Some(value) => value.to_js_string(),
        None => "Uncaught exception".to_owned(),
    }
}

/// A token.
#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Num(f64),
    Str(String),
    /// A template literal with `${}`: not a constant.
    Template,
    Ident(String),
    Punct(char),
    Newline,
}

/// Splits `code` into tokens, dropping comments.
fn lex(code: &str) -> Result<Vec<Tok>, String> {
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
fn balanced(tokens: &[Tok]) -> Result<(), String> {
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

/// The top-level statements: split at `;` and at line ends that do not
/// continue an expression (the line does not end, nor the next begin, with
/// an operator or `.`), outside brackets.
fn statements(tokens: &[Tok]) -> Vec<&[Tok]> {
    let continues = |t: Option<&Tok>| {
        matches!(
            t,
            Some(Tok::Punct(
                '+' | '-' | '*' | '/' | '%' | '.' | ',' | '=' | '?' | ':' | '&' | '|'
            ))
        )
    };
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    for (i, token) in tokens.iter().enumerate() {
        let split = match token {
            Tok::Punct('(' | '[' | '{') => {
                depth += 1;
                false
            }
            Tok::Punct(')' | ']' | '}') => {
                depth = depth.saturating_sub(1);
                false
            }
            Tok::Punct(';') => depth == 0,
            Tok::Newline => {
                let before = tokens[..i].iter().rev().find(|t| **t != Tok::Newline);
                let after = tokens[i + 1..].iter().find(|t| **t != Tok::Newline);
                depth == 0 && !continues(before) && !continues(after)
            }
            _ => false,
        };
        if split {
            out.push(&tokens[start..i]);
            start = i + 1;
        }
    }
    out.push(&tokens[start..]);
    out.into_iter()
        .map(|s| {
            let first = s.iter().position(|t| *t != Tok::Newline).unwrap_or(s.len());
            &s[first..]
        })
        .filter(|s| !s.is_empty())
        .collect()
}

/// A JavaScript value a constant expression evaluates to.
#[derive(Debug, Clone, PartialEq)]
enum Val {
    Undefined,
    Null,
    Bool(bool),
    Num(f64),
    Str(String),
    Arr(Vec<Val>),
    Obj(Vec<(String, Val)>),
}

impl Val {
    /// `String(value)`.
    fn to_js_string(&self) -> String {
        match self {
            Val::Undefined => "undefined".to_owned(),
            Val::Null => "null".to_owned(),
            Val::Bool(b) => b.to_string(),
            Val::Num(n) => number_text(*n),
            Val::Str(s) => s.clone(),
            Val::Arr(items) => items
                .iter()
                .map(|v| match v {
                    Val::Undefined | Val::Null => String::new(),
                    v => v.to_js_string(),
                })
                .collect::<Vec<_>>()
                .join(","),
            Val::Obj(_) => "[object Object]".to_owned(),
        }
    }

    /// How `console.log` shows it: strings bare, structures as JSON.
    fn display(&self) -> String {
        match self {
            Val::Arr(_) | Val::Obj(_) => self.to_json().unwrap_or(Value::Null).to_string(),
            other => other.to_js_string(),
        }
    }

    /// `JSON.stringify` semantics: `undefined` is absent (`null` in arrays),
    /// non-finite numbers are `null`.
    fn to_json(&self) -> Option<Value> {
        Some(match self {
            Val::Undefined => return None,
            Val::Null => Value::Null,
            Val::Bool(b) => Value::Bool(*b),
            Val::Num(n) if n.fract() == 0.0 && n.abs() <= 9_007_199_254_740_992.0 => {
                Value::from(*n as i64)
            }
            Val::Num(n) => Number::from_f64(*n).map_or(Value::Null, Value::Number),
            Val::Str(s) => Value::String(s.clone()),
            Val::Arr(items) => Value::Array(
                items
                    .iter()
                    .map(|v| v.to_json().unwrap_or(Value::Null))
                    .collect(),
            ),
            Val::Obj(fields) => Value::Object(
                fields
                    .iter()
                    .filter_map(|(k, v)| Some((k.clone(), v.to_json()?)))
                    .collect::<Map<_, _>>(),
            ),
        })
    }

    /// `Number(value)`, for primitives only.
    fn to_number(&self) -> Option<f64> {
        Some(match self {
            Val::Undefined => f64::NAN,
            Val::Null => 0.0,
            Val::Bool(b) => f64::from(u8::from(*b)),
            Val::Num(n) => *n,
            Val::Str(s) if s.trim().is_empty() => 0.0,
            Val::Str(s) => s.trim().parse().unwrap_or(f64::NAN),
            Val::Arr(_) | Val::Obj(_) => return None,
        })
    }

    /// JavaScript truthiness.
    fn truthy(&self) -> bool {
        match self {
            Val::Undefined | Val::Null => false,
            Val::Bool(b) => *b,
            Val::Num(n) => *n != 0.0 && !n.is_nan(),
            Val::Str(s) => !s.is_empty(),
            Val::Arr(_) | Val::Obj(_) => true,
        }
    }
}

/// A number as JavaScript prints it (close enough: whole numbers without a
/// fraction).
fn number_text(n: f64) -> String {
    if n.is_nan() {
        "NaN".to_owned()
    } else if n.is_infinite() {
        if n > 0.0 { "Infinity" } else { "-Infinity" }.to_owned()
    } else if n.fract() == 0.0 && n.abs() < 1e21 {
        format!("{}", n as i64)
    } else {
        n.to_string()
    }
}

/// The value of `tokens` as one constant expression, or `None`.
fn constant(tokens: &[Tok]) -> Option<Val> {
    let tokens: Vec<&Tok> = tokens.iter().filter(|t| **t != Tok::Newline).collect();
    let mut parser = Parser { tokens, at: 0 };
    let value = parser.additive()?;
    (parser.at == parser.tokens.len()).then_some(value)
}

/// Comma-separated constants (call arguments), or `None`.
fn list(tokens: &[Tok]) -> Option<Vec<Val>> {
    let tokens: Vec<&Tok> = tokens.iter().filter(|t| **t != Tok::Newline).collect();
    let mut parser = Parser { tokens, at: 0 };
    let values = parser.items(None)?;
    (parser.at == parser.tokens.len()).then_some(values)
}

/// A recursive-descent parser and evaluator of constant expressions.
struct Parser<'a> {
    tokens: Vec<&'a Tok>,
    at: usize,
}

impl Parser<'_> {
    /// The next token, if any.
    fn peek(&self) -> Option<&Tok> {
        self.tokens.get(self.at).copied()
    }

    /// Consumes punctuation `c` if it comes next.
    fn eat(&mut self, c: char) -> bool {
        let found = self.peek() == Some(&Tok::Punct(c));
        self.at += usize::from(found);
        found
    }

    /// `a + b`, `a - b`.
    fn additive(&mut self) -> Option<Val> {
        let mut left = self.multiplicative()?;
        loop {
            if self.eat('+') {
                let right = self.multiplicative()?;
                left = match (&left, &right) {
                    (Val::Str(_), _) | (_, Val::Str(_)) => {
                        Val::Str(left.to_js_string() + &right.to_js_string())
                    }
                    _ => Val::Num(left.to_number()? + right.to_number()?),
                };
            } else if self.eat('-') {
                let right = self.multiplicative()?;
                left = Val::Num(left.to_number()? - right.to_number()?);
            } else {
                return Some(left);
            }
        }
    }

    /// `a * b`, `a / b`, `a % b`.
    fn multiplicative(&mut self) -> Option<Val> {
        let mut left = self.unary()?;
        loop {
            let op = match self.peek() {
                Some(Tok::Punct(c @ ('*' | '/' | '%'))) => *c,
                _ => return Some(left),
            };
            self.at += 1;
            let (a, b) = (left.to_number()?, self.unary()?.to_number()?);
            left = Val::Num(match op {
                '*' => a * b,
                '/' => a / b,
                _ => a % b,
            });
        }
    }

    /// `-a`, `+a`, `!a`, `await a`.
    fn unary(&mut self) -> Option<Val> {
        if self.eat('-') {
            return Some(Val::Num(-self.unary()?.to_number()?));
        }
        if self.eat('+') {
            return Some(Val::Num(self.unary()?.to_number()?));
        }
        if self.eat('!') {
            return Some(Val::Bool(!self.unary()?.truthy()));
        }
        if matches!(self.peek(), Some(Tok::Ident(kw)) if kw == "await") {
            self.at += 1;
        }
        self.primary()
    }

    /// Literals and parentheses.
    fn primary(&mut self) -> Option<Val> {
        let token = self.peek()?.clone();
        self.at += 1;
        match token {
            Tok::Num(n) => Some(Val::Num(n)),
            Tok::Str(s) => Some(Val::Str(s)),
            Tok::Ident(word) => match word.as_str() {
                "true" => Some(Val::Bool(true)),
                "false" => Some(Val::Bool(false)),
                "null" => Some(Val::Null),
                "undefined" => Some(Val::Undefined),
                "NaN" => Some(Val::Num(f64::NAN)),
                "Infinity" => Some(Val::Num(f64::INFINITY)),
                _ => None,
            },
            Tok::Punct('(') => {
                let value = self.additive()?;
                self.eat(')').then_some(value)
            }
            Tok::Punct('[') => Some(Val::Arr(self.items(Some(']'))?)),
            Tok::Punct('{') => self.object(),
            _ => None,
        }
    }

    /// Comma-separated values up to `close` (or the end), trailing comma allowed.
    fn items(&mut self, close: Option<char>) -> Option<Vec<Val>> {
        let mut values = Vec::new();
        loop {
            let done = match close {
                Some(c) => self.eat(c),
                None => self.peek().is_none(),
            };
            if done {
                return Some(values);
            }
            values.push(self.additive()?);
            if !self.eat(',') {
                return match close {
                    Some(c) => self.eat(c).then_some(values),
                    None => self.peek().is_none().then_some(values),
                };
            }
        }
    }

    /// `{key: value, "key": value}` after the `{`.
    fn object(&mut self) -> Option<Val> {
        let mut fields: Vec<(String, Val)> = Vec::new();
        loop {
            if self.eat('}') {
                return Some(Val::Obj(fields));
            }
            let key = match self.peek()? {
                Tok::Ident(k) | Tok::Str(k) => k.clone(),
                Tok::Num(n) => number_text(*n),
                _ => return None,
            };
            self.at += 1;
            if !self.eat(':') {
                return None;
            }
            let value = self.additive()?;
            // A repeated key keeps its first place and its last value, as in JavaScript.
            match fields.iter_mut().find(|(k, _)| *k == key) {
                Some(field) => field.1 = value,
                None => fields.push((key, value)),
            }
            if !self.eat(',') {
                return self.eat('}').then_some(Val::Obj(fields));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn result(code: &str) -> Option<Value> {
        let outcome = run(code);
        assert_eq!(outcome.error, None, "{code}");
        outcome.result
    }

    #[test]
    fn constant_returns_are_evaluated() {
        let cases = [
            ("return 1+1", json!(2)),
            ("return 1 + 2 * 3 - (4 / 2)", json!(5)),
            ("return 7 % 4;", json!(3)),
            ("return 1 / 2", json!(0.5)),
            ("return -(3)", json!(-3)),
            ("return 'a' + 1 + 2", json!("a12")),
            ("return \"x\\ny\\u0041\"", json!("x\nyA")),
            ("return `plain`", json!("plain")),
            ("return true", json!(true)),
            ("return !0", json!(true)),
            ("return null", json!(null)),
            ("return 1 / 0", json!(null)),
            (
                "return [1, 'two', undefined, [3],]",
                json!([1, "two", null, [3]]),
            ),
            (
                "return {ok: true, 'n': 0x10, skip: undefined, ok: false}",
                json!({"ok": false, "n": 16}),
            ),
            ("return await (2 +\n 3)", json!(5)),
            ("return 1.5e3", json!(1500)),
        ];
        for (code, expected) in cases {
            assert_eq!(result(code), Some(expected), "{code}");
        }
    }

    #[test]
    fn other_code_returns_undefined() {
        assert_eq!(
            result("await page.goto('https://example.com');\nreturn await page.title();"),
            None
        );
        assert_eq!(result("const x = 1; return x"), None);
        assert_eq!(result("return `a ${b}`"), None);
        assert_eq!(result("await page.click('#go')"), None);
        assert_eq!(result(""), None);
        // A line break right after `return` returns undefined, as in JavaScript.
        assert_eq!(result("return\n42"), None);
        // Statements after the first return do not run.
        assert_eq!(result("return 1; return 2"), Some(json!(1)));
    }

    #[test]
    fn console_output_and_throws() {
        let outcome = run(
            "// setup\nconsole.log('hello', 42, [1, 2], {a: 1})\n/* block */ console.error('bad');\nconsole.log(page.url())\nreturn 'done'",
        );
        assert_eq!(outcome.stdout, "hello 42 [1,2] {\"a\":1}\n");
        assert_eq!(outcome.stderr, "bad\n");
        assert_eq!(outcome.result, Some(json!("done")));

        let outcome = run("console.log('before'); throw new Error('boom'); console.log('after')");
        assert_eq!(outcome.error.as_deref(), Some("Error: boom"));
        assert_eq!(outcome.stdout, "before\n");
        assert_eq!(
            run("throw new TypeError()").error.as_deref(),
            Some("TypeError")
        );
        assert_eq!(run("throw 'plain ' + 1").error.as_deref(), Some("plain 1"));
        assert_eq!(
            run("throw err").error.as_deref(),
            Some("Uncaught exception")
        );
    }

    #[test]
    fn syntax_errors_fail() {
        for (code, message) in [
            ("return 'open", "SyntaxError: unterminated string literal"),
            ("return (1", "SyntaxError: Unexpected end of input"),
            ("return 1)", "SyntaxError: Unexpected token ')'"),
            ("foo([)]", "SyntaxError: Unexpected token ')'"),
            ("/* never closed", "SyntaxError: unterminated comment"),
            ("return 1.2.3", "SyntaxError: invalid number 1.2.3"),
        ] {
            let outcome = run(code);
            assert_eq!(outcome.error.as_deref(), Some(message), "{code}");
            assert_eq!(outcome.result, None);
        }
    }
}
