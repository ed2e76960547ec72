//! `multipart/form-data` request bodies, read whole into named parts. A body
//! that is not valid multipart is a `400` with the spec's `Error` body; the
//! upload areas then take the parts they know and reject the rest.
//!
//! Array items and map entries use the bracket form the Kernel SDKs send:
//! `extensions[0][zip_file]`, `env_vars[FOO]`.

use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Request};

use crate::http::error::{ApiError, ApiResult};

/// One part of a form.
pub(crate) struct Part {
    /// The part's field name.
    pub name: String,
    /// The file name the client gave, if any.
    pub file_name: Option<String>,
    /// The part's bytes.
    pub bytes: Bytes,
}

impl Part {
    /// The part as UTF-8 text.
    pub fn text(&self) -> ApiResult<String> {
        String::from_utf8(self.bytes.to_vec())
            .map_err(|_| ApiError::bad_request(format!("{}: must be UTF-8 text", self.name)))
    }
}

/// A parsed multipart form; parts keep their order.
pub(crate) struct Form(Vec<Part>);

impl<S: Send + Sync> FromRequest<S> for Form {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let mut multipart = Multipart::from_request(req, state).await.map_err(|e| {
            ApiError::bad_request(format!(
                "expected a multipart/form-data body: {}",
                e.body_text()
            ))
        })?;
        let mut parts = Vec::new();
        loop {
            let field = multipart.next_field().await.map_err(|e| {
                ApiError::bad_request(format!("malformed multipart body: {}", e.body_text()))
            })?;
            let Some(field) = field else { break };
            let name = field.name().unwrap_or_default().to_owned();
            if name.is_empty() {
                return Err(ApiError::bad_request("a form part has no field name"));
            }
            let file_name = field.file_name().map(str::to_owned);
            let bytes = field.bytes().await.map_err(|e| {
                ApiError::bad_request(format!("malformed multipart part {name:?}: {e}"))
            })?;
            parts.push(Part {
                name,
                file_name,
                bytes,
            });
        }
        Ok(Form(parts))
    }
}

impl Form {
    /// Removes the part named `name`; the field given twice is a `400`.
    pub fn take(&mut self, name: &str) -> ApiResult<Option<Part>> {
        let mut found = self.take_where(|n| n == name);
        if found.len() > 1 {
            return Err(ApiError::bad_request(format!(
                "{name}: given {} times",
                found.len()
            )));
        }
        Ok(found.pop())
    }

    /// [`take`](Self::take) as text.
    pub fn take_text(&mut self, name: &str) -> ApiResult<Option<String>> {
        self.take(name)?.map(|part| part.text()).transpose()
    }

    /// Removes every part of the bracketed field `field` (`field[...]...`),
    /// with the bracket keys of each (`extensions[0][name]` → `["0", "name"]`).
    pub fn take_bracketed(&mut self, field: &str) -> ApiResult<Vec<(Vec<String>, Part)>> {
        let prefix = format!("{field}[");
        self.take_where(|n| n.starts_with(&prefix))
            .into_iter()
            .map(|part| match bracket_keys(&part.name[field.len()..]) {
                Some(keys) => Ok((keys, part)),
                None => Err(ApiError::bad_request(format!(
                    "{:?}: malformed field name (expected {field}[key]...)",
                    part.name
                ))),
            })
            .collect()
    }

    /// `Ok` when every part was taken; otherwise a `400` naming the first
    /// unknown field.
    pub fn finish(self) -> ApiResult<()> {
        match self.0.first() {
            None => Ok(()),
            Some(part) => Err(ApiError::bad_request(format!(
                "unknown form field {:?}",
                part.name
            ))),
        }
    }

    fn take_where(&mut self, matches: impl Fn(&str) -> bool) -> Vec<Part> {
        let (taken, kept) = std::mem::take(&mut self.0)
            .into_iter()
            .partition(|part| matches(&part.name));
        self.0 = kept;
        taken
    }
}

/// The keys of `[a][b]...`; `None` unless the text is only non-empty
/// bracketed keys.
fn bracket_keys(mut rest: &str) -> Option<Vec<String>> {
    let mut keys = Vec::new();
    while !rest.is_empty() {
        let inner = rest.strip_prefix('[')?;
        let end = inner.find(']')?;
        if end == 0 {
            return None;
        }
        keys.push(inner[..end].to_owned());
        rest = &inner[end + 1..];
    }
    Some(keys)
}

#[cfg(test)]
mod tests {
    use super::bracket_keys;

    #[test]
    fn reads_bracket_keys() {
        assert_eq!(bracket_keys("[0][name]").unwrap(), ["0", "name"]);
        assert_eq!(bracket_keys("[FOO]").unwrap(), ["FOO"]);
        assert!(bracket_keys("[]").is_none());
        assert!(bracket_keys("[a]x").is_none());
        assert!(bracket_keys("[a").is_none());
    }
}
