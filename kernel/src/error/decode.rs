//! A body that does not match the expected type, and where in it.

use super::text::write_redacted;
use std::fmt;

/// A body that does not match the expected type. `Debug` shows the body's
/// length, not its content (it may hold secrets); `Display` and `Debug`
/// redact any jwt token the serde message quotes from it.
pub struct DecodeError {
    /// The raw body.
    pub body: bytes::Bytes,
    /// Where in the body decoding failed, e.g. `$.items[3].flow_step`.
    pub path: String,
    /// The serde error.
    pub source: serde_json::Error,
}

impl fmt::Debug for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_redacted(f, |f| {
            f.debug_struct("DecodeError")
                .field("body", &format_args!("<{} bytes>", self.body.len()))
                .field("path", &self.path)
                .field("source", &self.source)
                .finish()
        })
    }
}

impl DecodeError {
    /// Builds the error, locating the failing JSON path from the serde
    /// error's line and column.
    pub fn new(body: bytes::Bytes, source: serde_json::Error) -> Self {
        let path = json_path_at(&body, source.line(), source.column());
        Self { body, path, source }
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // serde quotes the offending value: `invalid type: string "…"`.
        write_redacted(f, |f| {
            write!(
                f,
                "cannot decode response at {}: {}",
                self.path, self.source
            )
        })
    }
}

/// The JSON path (`$.a[2].b`) of the value at `line`:`column` (1-based, as
/// serde_json reports) in `body`; `$` when it cannot be told.
pub(crate) fn json_path_at(body: &[u8], line: usize, column: usize) -> String {
    // Byte offset of line:column.
    let mut offset = 0;
    let mut current = 1;
    while current < line && offset < body.len() {
        if body[offset] == b'\n' {
            current += 1;
        }
        offset += 1;
    }
    let end = (offset + column).min(body.len());
    // Scan up to `end`, keeping a stack of containers with the current key or
    // index.
    enum Frame {
        Object(Option<String>),
        Array(usize),
    }
    let mut stack: Vec<Frame> = Vec::new();
    let mut i = 0;
    let mut expecting_key = false;
    while i < end {
        match body[i] {
            b'{' => {
                stack.push(Frame::Object(None));
                expecting_key = true;
            }
            b'[' => {
                stack.push(Frame::Array(0));
                expecting_key = false;
            }
            b'}' | b']' => {
                stack.pop();
            }
            b',' => match stack.last_mut() {
                Some(Frame::Array(n)) => *n += 1,
                Some(Frame::Object(key)) => {
                    *key = None;
                    expecting_key = true;
                }
                None => {}
            },
            b'"' => {
                let start = i + 1;
                i += 1;
                while i < body.len() && body[i] != b'"' {
                    if body[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
                if expecting_key {
                    if let Some(Frame::Object(key)) = stack.last_mut() {
                        *key = Some(
                            String::from_utf8_lossy(&body[start..i.min(body.len())]).into_owned(),
                        );
                    }
                    expecting_key = false;
                }
            }
            _ => {}
        }
        i += 1;
    }
    let mut path = String::from("$");
    for frame in &stack {
        match frame {
            Frame::Object(Some(key)) => {
                path.push('.');
                path.push_str(key);
            }
            Frame::Object(None) => {}
            Frame::Array(n) => path.push_str(&format!("[{n}]")),
        }
    }
    path
}
