//! Binary downloads: streamed, with an atomic [`save_to`](Download::save_to).

use crate::error::{Error, Result};
use crate::sys::{ByteStream, ResponseValue};
use bytes::Bytes;
use futures::{Stream, StreamExt};
use std::path::Path;
use std::pin::Pin;
use std::time::Duration;
use tokio::io::AsyncWriteExt;

/// A binary response body, read as a stream: never buffered whole.
pub struct Download {
    stream: Pin<Box<dyn Stream<Item = Result<Bytes>> + Send>>,
    /// `Content-Length`, when the server sent it.
    pub content_length: Option<u64>,
    /// `Content-Type`, when the server sent it.
    pub content_type: Option<String>,
}

impl std::fmt::Debug for Download {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Download")
            .field("content_length", &self.content_length)
            .field("content_type", &self.content_type)
            .finish_non_exhaustive()
    }
}

impl Download {
    pub(crate) fn new(response: ResponseValue<ByteStream>) -> Self {
        let content_length = response.content_length();
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        // The transport bounds the wait for each chunk (the read timeout);
        // there is no total timeout, so a large download on a slow link
        // still completes.
        let stream = response
            .into_inner()
            .into_inner()
            .map(|chunk| chunk.map_err(Error::from_reqwest));
        Self {
            stream: Box::pin(stream),
            content_length,
            content_type,
        }
    }
}

impl Download {
    /// The body as a stream of chunks.
    pub fn into_stream(self) -> impl Stream<Item = Result<Bytes>> + Send {
        self.stream
    }

    /// Reads the whole body into memory. Prefer [`save_to`](Self::save_to)
    /// or [`into_stream`](Self::into_stream) for large bodies.
    pub async fn bytes(mut self) -> Result<Bytes> {
        let mut out = Vec::with_capacity(self.content_length.unwrap_or(0).min(64 << 20) as usize);
        while let Some(chunk) = self.stream.next().await {
            out.extend_from_slice(&chunk?);
        }
        Ok(out.into())
    }

    /// Streams the body to `path` through a temporary file in the same
    /// directory, renamed into place only when the whole body arrived (and
    /// matched `Content-Length`), so a failed download leaves no partial
    /// file. Returns the number of bytes written.
    pub async fn save_to(mut self, path: impl AsRef<Path>) -> Result<u64> {
        let path = path.as_ref();
        let dir = path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let name = path.file_name().ok_or_else(|| {
            Error::InvalidRequest(format!("{} is not a file path", path.display()))
        })?;
        // Unique per process and call: two saves to one path never share a
        // temporary file.
        static SAVES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = SAVES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let tmp = dir.join(format!(
            ".{}.{}.{n}.part",
            name.to_string_lossy(),
            std::process::id()
        ));
        // Removes the temporary file unless the rename happened: on error
        // and also when this future is dropped half-way (a timeout, a
        // `select!`).
        struct Cleanup<'a>(Option<&'a Path>);
        impl Drop for Cleanup<'_> {
            fn drop(&mut self) {
                if let Some(tmp) = self.0 {
                    let _ = std::fs::remove_file(tmp);
                }
            }
        }
        let mut cleanup = Cleanup(Some(&tmp));
        let result = async {
            let mut file = tokio::fs::File::create(&tmp).await?;
            let mut written = 0u64;
            while let Some(chunk) = self.stream.next().await {
                let chunk = chunk?;
                file.write_all(&chunk).await?;
                written += chunk.len() as u64;
            }
            if let Some(expected) = self.content_length {
                if expected != written {
                    return Err(Error::Protocol(format!(
                        "download ended after {written} of {expected} bytes"
                    )));
                }
            }
            file.sync_all().await?;
            drop(file);
            tokio::fs::rename(&tmp, path).await?;
            Ok(written)
        }
        .await;
        if result.is_ok() {
            cleanup.0 = None;
        }
        result
    }
}

/// A resource that may not be ready yet (`202 Accepted` + `Retry-After`).
#[derive(Debug)]
pub enum Readiness<T> {
    /// The resource.
    Ready(T),
    /// Not ready yet; ask again after `retry_after` (if the server said).
    NotReady {
        /// The server's `Retry-After`.
        retry_after: Option<Duration>,
    },
}
