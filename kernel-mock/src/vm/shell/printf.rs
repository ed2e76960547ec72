//! `echo -e` escapes and `printf` formatting, following coreutils.

use super::Io;

/// Largest width or precision honoured, so `%999999999s` cannot allocate gigabytes.
const MAX_WIDTH: usize = 10_000;

/// Whether formatting should go on after an escape or directive.
#[derive(PartialEq, Eq)]
enum Flow {
    /// Keep going.
    Go,
    /// `\c` seen: stop all output.
    Stop,
    /// Invalid directive: stop with status 1.
    Fail,
}

/// Interprets a backslash escape starting after the `\` at `chars[*i]`, advancing `*i`.
/// `bare_octal` selects printf's `\NNN` (vs echo/`%b`'s `\0NNN`).
fn escape(chars: &[char], i: &mut usize, bare_octal: bool, out: &mut Vec<u8>) -> Flow {
    let Some(&c) = chars.get(*i) else {
        out.push(b'\\');
        return Flow::Go;
    };
    *i += 1;
    let simple = match c {
        '\\' => Some(b'\\'),
        'a' => Some(7),
        'b' => Some(8),
        'e' => Some(27),
        'f' => Some(12),
        'n' => Some(b'\n'),
        'r' => Some(b'\r'),
        't' => Some(b'\t'),
        'v' => Some(11),
        '"' => Some(b'"'),
        '\'' => Some(b'\''),
        _ => None,
    };
    if let Some(b) = simple {
        out.push(b);
        return Flow::Go;
    }
    match c {
        'c' => return Flow::Stop,
        'x' => {
            let v = take_digits(chars, i, 16, 2);
            match v {
                Some(v) => out.push(v as u8),
                None => out.extend_from_slice(b"\\x"),
            }
        }
        '0'..='7' if bare_octal || c == '0' => {
            // printf takes \NNN; echo and %b take \0NNN.
            let (mut v, more) = if bare_octal {
                (c as u32 - '0' as u32, 2)
            } else {
                (0, 3)
            };
            for _ in 0..more {
                let Some(d) = chars.get(*i).and_then(|d| d.to_digit(8)) else {
                    break;
                };
                v = v * 8 + d;
                *i += 1;
            }
            out.push((v & 0xff) as u8);
        }
        other => {
            out.push(b'\\');
            push_char(out, other);
        }
    }
    Flow::Go
}

/// Reads up to `max` digits of `radix` at `*i`.
fn take_digits(chars: &[char], i: &mut usize, radix: u32, max: usize) -> Option<u32> {
    let mut v = None;
    let mut n = 0;
    while n < max {
        let Some(d) = chars.get(*i).and_then(|c| c.to_digit(radix)) else {
            break;
        };
        v = Some(v.unwrap_or(0) * radix + d);
        *i += 1;
        n += 1;
    }
    v
}

/// Appends a char as UTF-8.
fn push_char(out: &mut Vec<u8>, c: char) {
    let mut buf = [0u8; 4];
    out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
}

/// Expands echo/`%b` escapes; returns the bytes and whether `\c` stopped output.
pub(crate) fn expand_escapes(s: &str) -> (Vec<u8>, bool) {
    let chars: Vec<char> = s.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        i += 1;
        if c == '\\' {
            if escape(&chars, &mut i, false, &mut out) == Flow::Stop {
                return (out, true);
            }
        } else {
            push_char(&mut out, c);
        }
    }
    (out, false)
}

/// The `printf` builtin: the format is reused while arguments remain.
pub(crate) fn printf(args: &[String], io: &mut Io) -> i32 {
    let Some((fmt, rest)) = args.split_first() else {
        io.err("printf: usage: printf format [arguments]\n");
        return 2;
    };
    let fmt: Vec<char> = fmt.chars().collect();
    let mut out = Vec::new();
    let mut next = 0;
    let mut code = 0;
    loop {
        let before = next;
        match render(&fmt, rest, &mut next, &mut out, io, &mut code) {
            Flow::Go => {}
            Flow::Stop => break,
            Flow::Fail => {
                code = 1;
                break;
            }
        }
        if next >= rest.len() || next == before {
            break;
        }
    }
    io.out(out);
    code
}

/// Renders the format once, consuming arguments from `*next`.
fn render<'a>(
    fmt: &[char],
    args: &'a [String],
    next: &mut usize,
    out: &mut Vec<u8>,
    io: &mut Io,
    code: &mut i32,
) -> Flow {
    let mut take = || {
        let a = args.get(*next).map(String::as_str);
        *next += 1;
        a
    };
    let mut i = 0;
    while let Some(&c) = fmt.get(i) {
        i += 1;
        if c == '\\' {
            if escape(fmt, &mut i, true, out) == Flow::Stop {
                return Flow::Stop;
            }
            continue;
        }
        if c != '%' {
            push_char(out, c);
            continue;
        }
        if fmt.get(i) == Some(&'%') {
            i += 1;
            out.push(b'%');
            continue;
        }
        let mut flags = String::new();
        while let Some(&f) = fmt.get(i).filter(|f| "-+ 0#".contains(**f)) {
            flags.push(f);
            i += 1;
        }
        let mut number = |i: &mut usize, take: &mut dyn FnMut() -> Option<&'a str>| -> usize {
            if fmt.get(*i) == Some(&'*') {
                *i += 1;
                let v = parse_int(take().unwrap_or("")).unwrap_or(0);
                if v < 0 {
                    flags.push('-');
                }
                return (v.unsigned_abs() as usize).min(MAX_WIDTH);
            }
            let mut v = 0usize;
            while let Some(d) = fmt.get(*i).and_then(|c| c.to_digit(10)) {
                v = (v * 10 + d as usize).min(MAX_WIDTH);
                *i += 1;
            }
            v
        };
        let width = number(&mut i, &mut take);
        let precision = if fmt.get(i) == Some(&'.') {
            i += 1;
            Some(number(&mut i, &mut take))
        } else {
            None
        };
        let Some(&conv) = fmt.get(i) else {
            io.err("printf: %: invalid directive\n");
            return Flow::Fail;
        };
        i += 1;
        let left = flags.contains('-');
        let body: Vec<u8> = match conv {
            's' => {
                let s = take().unwrap_or("");
                let s: String = match precision {
                    Some(p) => s.chars().take(p).collect(),
                    None => s.to_string(),
                };
                s.into_bytes()
            }
            'b' => {
                let (bytes, stop) = expand_escapes(take().unwrap_or(""));
                if stop {
                    out.extend(pad(bytes, width, left));
                    return Flow::Stop;
                }
                bytes
            }
            'c' => take()
                .and_then(|s| s.chars().next())
                .map(|c| c.to_string().into_bytes())
                .unwrap_or_default(),
            'd' | 'i' | 'u' | 'o' | 'x' | 'X' => {
                let a = take().unwrap_or("");
                let v = parse_int(a).unwrap_or_else(|| {
                    io.err(format!("printf: '{a}': expected a numeric value\n"));
                    *code = 1;
                    0
                });
                let digits = match conv {
                    'o' => format!("{:o}", v as u64),
                    'x' => format!("{:x}", v as u64),
                    'X' => format!("{:X}", v as u64),
                    'u' => format!("{}", v as u64),
                    _ => v.unsigned_abs().to_string(),
                };
                let digits = match precision {
                    Some(p) if digits.len() < p => {
                        format!("{}{digits}", "0".repeat(p - digits.len()))
                    }
                    _ => digits,
                };
                let sign = match conv {
                    'd' | 'i' if v < 0 => "-",
                    'd' | 'i' if flags.contains('+') => "+",
                    'd' | 'i' if flags.contains(' ') => " ",
                    'o' if flags.contains('#') && v != 0 => "0",
                    'x' if flags.contains('#') && v != 0 => "0x",
                    'X' if flags.contains('#') && v != 0 => "0X",
                    _ => "",
                };
                let zero = flags.contains('0') && !left && precision.is_none();
                push_number(out, sign, &digits, width, left, zero);
                continue;
            }
            'f' | 'F' | 'e' | 'E' | 'g' | 'G' => {
                let a = take().unwrap_or("");
                let v = a.trim().parse::<f64>().unwrap_or_else(|_| {
                    if !a.is_empty() {
                        io.err(format!("printf: '{a}': expected a numeric value\n"));
                        *code = 1;
                    }
                    0.0
                });
                let p = precision.unwrap_or(6).min(MAX_WIDTH);
                let s = match conv {
                    'f' | 'F' => format!("{:.*}", p, v.abs()),
                    'e' | 'E' => fmt_e(v.abs(), p),
                    _ => fmt_g(v.abs(), p, flags.contains('#')),
                };
                let s = if conv.is_ascii_uppercase() {
                    s.to_uppercase()
                } else {
                    s
                };
                let sign = if v.is_sign_negative() && v != 0.0 {
                    "-"
                } else if flags.contains('+') {
                    "+"
                } else if flags.contains(' ') {
                    " "
                } else {
                    ""
                };
                let zero = flags.contains('0') && !left && v.is_finite();
                push_number(out, sign, &s, width, left, zero);
                continue;
            }
            other => {
                io.err(format!("printf: %{other}: invalid directive\n"));
                return Flow::Fail;
            }
        };
        out.extend(pad(body, width, left));
    }
    Flow::Go
}

/// Appends a signed number padded to `width`, zero padding going after the sign.
fn push_number(out: &mut Vec<u8>, sign: &str, digits: &str, width: usize, left: bool, zero: bool) {
    let len = sign.len() + digits.len();
    let fill = width.saturating_sub(len);
    if zero {
        out.extend_from_slice(sign.as_bytes());
        out.extend(std::iter::repeat_n(b'0', fill));
        out.extend_from_slice(digits.as_bytes());
    } else {
        let body = format!("{sign}{digits}").into_bytes();
        out.extend(pad(body, width, left));
    }
}

/// Pads `body` with spaces to `width` (counted in chars), on the right when `left`.
fn pad(body: Vec<u8>, width: usize, left: bool) -> Vec<u8> {
    let len = String::from_utf8_lossy(&body).chars().count();
    if len >= width {
        return body;
    }
    let fill = std::iter::repeat_n(b' ', width - len);
    if left {
        body.into_iter().chain(fill).collect()
    } else {
        fill.chain(body).collect()
    }
}

/// Parses a C-style integer argument (`12`, `-3`, `0x1f`, `017`, `'A`); `None` if invalid.
fn parse_int(a: &str) -> Option<i64> {
    let t = a.trim();
    if t.is_empty() {
        return Some(0);
    }
    if let Some(rest) = t.strip_prefix('\'').or_else(|| t.strip_prefix('"')) {
        return Some(rest.chars().next().map_or(0, |c| i64::from(u32::from(c))));
    }
    let (neg, body) = match t.as_bytes()[0] {
        b'-' => (true, &t[1..]),
        b'+' => (false, &t[1..]),
        _ => (false, t),
    };
    let v = if let Some(hex) = body.strip_prefix("0x").or_else(|| body.strip_prefix("0X")) {
        u64::from_str_radix(hex, 16).ok()?
    } else if body.len() > 1 && body.starts_with('0') {
        u64::from_str_radix(&body[1..], 8).ok()?
    } else {
        body.parse::<u64>().ok()?
    };
    let v = v as i64;
    Some(if neg { v.wrapping_neg() } else { v })
}

/// `%e` for a non-negative value: `d.dddddde+XX`.
fn fmt_e(v: f64, p: usize) -> String {
    if !v.is_finite() {
        return format!("{v}");
    }
    let s = format!("{v:.p$e}");
    let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let sign = if exp < 0 { '-' } else { '+' };
    format!("{mant}e{sign}{:02}", exp.unsigned_abs())
}

/// `%g` for a non-negative value: shortest of `%e`/`%f` with trailing zeros removed.
fn fmt_g(v: f64, p: usize, keep_zeros: bool) -> String {
    if !v.is_finite() {
        return format!("{v}");
    }
    let p = p.max(1);
    let probe = format!("{v:.prec$e}", prec = p - 1);
    let exp: i64 = probe
        .split_once('e')
        .and_then(|(_, e)| e.parse().ok())
        .unwrap_or(0);
    let strip = |s: String| {
        if keep_zeros || !s.contains('.') {
            s
        } else {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        }
    };
    if exp < -4 || exp >= p as i64 {
        let e = fmt_e(v, p - 1);
        let (mant, tail) = e.split_once('e').unwrap_or((&e, ""));
        format!("{}e{tail}", strip(mant.to_string()))
    } else {
        let decimals = (p as i64 - 1 - exp).max(0) as usize;
        strip(format!("{v:.decimals$}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs printf and returns (stdout, status).
    fn pf(args: &[&str]) -> (String, i32) {
        let mut io = Io::default();
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        let code = printf(&args, &mut io);
        (String::from_utf8_lossy(&io.out).into_owned(), code)
    }

    #[test]
    fn basic_directives_and_reuse() {
        assert_eq!(
            pf(&["%s-%d\\n", "a", "1", "b", "2"]),
            ("a-1\nb-2\n".into(), 0)
        );
        assert_eq!(pf(&["100%% %s\\t|", "x"]), ("100% x\t|".into(), 0));
        assert_eq!(
            pf(&["[%5s][%-3s][%.2s]", "ab", "c", "xyz"]),
            ("[   ab][c  ][xy]".into(), 0)
        );
        assert_eq!(
            pf(&["%03d %+d %x %X %o %#x", "7", "5", "255", "255", "8", "16"]).0,
            "007 +5 ff FF 10 0x10"
        );
        assert_eq!(pf(&["%d %d", "-42"]).0, "-42 0");
        assert_eq!(pf(&["%s\\n"]).0, "\n");
        assert_eq!(pf(&["%c%c", "hello", "w"]).0, "hw");
        assert_eq!(pf(&["%b", "a\\tb"]).0, "a\tb");
        assert_eq!(pf(&["\\101\\x42"]).0, "AB");
        assert_eq!(pf(&["%*d|", "4", "1"]).0, "   1|");
    }

    #[test]
    fn floats() {
        assert_eq!(pf(&["%.2f %f", "3.14159", "1"]).0, "3.14 1.000000");
        assert_eq!(pf(&["%e", "1500"]).0, "1.500000e+03");
        assert_eq!(
            pf(&["%g %g %g", "0.0001", "1e10", "2.5"]).0,
            "0.0001 1e+10 2.5"
        );
        assert_eq!(pf(&["%08.3f", "-3.5"]).0, "-003.500");
    }

    #[test]
    fn errors() {
        assert_eq!(pf(&["%d", "abc"]), ("0".into(), 1));
        assert_eq!(pf(&["a%zb"]).1, 1);
        assert_eq!(pf(&[]).1, 2);
        assert_eq!(pf(&["%"]).1, 1);
    }

    #[test]
    fn echo_escapes() {
        assert_eq!(expand_escapes("a\\nb\\\\"), (b"a\nb\\".to_vec(), false));
        assert_eq!(expand_escapes("x\\cy"), (b"x".to_vec(), true));
        assert_eq!(expand_escapes("\\0101"), (b"A".to_vec(), false));
        assert_eq!(expand_escapes("\\q"), (b"\\q".to_vec(), false));
    }
}
