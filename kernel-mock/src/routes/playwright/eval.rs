//! Constant expressions: their values and a recursive-descent evaluator.

use serde_json::{Map, Number, Value};

use super::lex::Tok;

/// A JavaScript value a constant expression evaluates to.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Val {
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
    pub(super) fn to_js_string(&self) -> String {
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
    pub(super) fn display(&self) -> String {
        match self {
            Val::Arr(_) | Val::Obj(_) => self.to_json().unwrap_or(Value::Null).to_string(),
            other => other.to_js_string(),
        }
    }

    /// `JSON.stringify` semantics: `undefined` is absent (`null` in arrays),
    /// non-finite numbers are `null`.
    pub(super) fn to_json(&self) -> Option<Value> {
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
pub(super) fn constant(tokens: &[Tok]) -> Option<Val> {
    let tokens: Vec<&Tok> = tokens.iter().filter(|t| **t != Tok::Newline).collect();
    let mut parser = Parser { tokens, at: 0 };
    let value = parser.additive()?;
    (parser.at == parser.tokens.len()).then_some(value)
}

/// Comma-separated constants (call arguments), or `None`.
pub(super) fn list(tokens: &[Tok]) -> Option<Vec<Val>> {
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
