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

use serde_json::Value;

use super::eval::{constant, list, Val};
use super::lex::{balanced, lex, Tok};

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
