//! Upload bodies for the multipart operations: a file path, bytes or a
//! stream, always streamed, never buffered whole.

use crate::error::{Error, Result};
use bytes::Bytes;
use futures::Stream;
use reqwest::multipart::Part;
use std::path::Path;
use tokio::io::AsyncReadExt;

/// Chunk size when streaming a file.
const CHUNK: usize = 64 * 1024;

/// One file to upload.
#[derive(Debug)]
pub struct Upload {
    part: Part,
}

impl Upload {
    /// Streams the file at `path` (its name becomes the part's file name).
    pub async fn path(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let file = tokio::fs::File::open(path).await?;
        let len = file.metadata().await?.len();
        let stream = futures::stream::unfold(file, |mut file| async move {
            let mut buf = vec![0u8; CHUNK];
            match file.read(&mut buf).await {
                Ok(0) => None,
                Ok(n) => {
                    buf.truncate(n);
                    Some((Ok::<_, std::io::Error>(Bytes::from(buf)), file))
                }
                Err(e) => Some((Err(e), file)),
            }
        });
        let part = Part::stream_with_length(reqwest::Body::wrap_stream(stream), len);
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "file".into());
        Ok(Self {
            part: part.file_name(name),
        })
    }

    /// Uploads bytes already in memory.
    pub fn bytes(bytes: impl Into<Bytes>) -> Self {
        let bytes: Bytes = bytes.into();
        Self {
            part: Part::stream_with_length(reqwest::Body::from(bytes.clone()), bytes.len() as u64)
                .file_name("file"),
        }
    }

    /// Streams chunks from `stream`; `len` is sent as the part's length when
    /// known. A streamed body is sent once: it is not retried.
    pub fn stream<S, E>(stream: S, len: Option<u64>) -> Self
    where
        S: Stream<Item = std::result::Result<Bytes, E>> + Send + Sync + 'static,
        E: Into<Box<dyn std::error::Error + Send + Sync>> + 'static,
    {
        let body = reqwest::Body::wrap_stream(stream);
        let part = match len {
            Some(len) => Part::stream_with_length(body, len),
            None => Part::stream(body),
        };
        Self {
            part: part.file_name("file"),
        }
    }

    /// Sets the file name sent with the part.
    pub fn file_name(self, name: impl Into<String>) -> Self {
        Self {
            part: self.part.file_name(name.into()),
        }
    }

    /// Sets the part's content type, e.g. `application/zip`.
    pub fn mime(self, mime: &str) -> Result<Self> {
        let part = self
            .part
            .mime_str(mime)
            .map_err(|e| Error::InvalidRequest(e.to_string()))?;
        Ok(Self { part })
    }

    /// The multipart part, for the raw `kernel_sys` upload functions.
    pub fn into_part(self) -> Part {
        self.part
    }
}
