//! Bodies the transport wraps: a request body that records its progress
//! (so an upload's head timeout counts from its last byte), and a response
//! body with a size cap and an idle timeout.

use super::{Failed, Head};
use crate::error::{Idle, TooLarge};
use bytes::Bytes;
use http_body::{Body as HttpBody, Frame};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

/// Sends a request with a streamed body, waiting for the head until the
/// read timeout has passed since the last chunk of the body was taken.
pub(super) async fn upload(
    client: &reqwest::Client,
    mut request: reqwest::Request,
    read_timeout: Duration,
) -> Result<reqwest::Response, Failed> {
    let started = Instant::now();
    let progress = Arc::new(AtomicU64::new(0));
    if let Some(body) = request.body_mut().take() {
        *request.body_mut() = Some(reqwest::Body::wrap(Watched {
            inner: body,
            started,
            progress: progress.clone(),
        }));
    }
    let send = client.execute(request);
    tokio::pin!(send);
    loop {
        let last = started + Duration::from_micros(progress.load(Ordering::Relaxed));
        let deadline = tokio::time::Instant::from_std(last + read_timeout);
        tokio::select! {
            response = &mut send => return response.map_err(Failed::reqwest),
            _ = tokio::time::sleep_until(deadline) => {
                let moved = started + Duration::from_micros(progress.load(Ordering::Relaxed));
                if moved == last {
                    return Err(Failed::Timeout(format!(
                        "no response within {read_timeout:?} of the last byte sent"
                    )));
                }
            }
        }
    }
}

/// A request body that records when its last chunk was taken.
struct Watched {
    inner: reqwest::Body,
    started: Instant,
    /// Microseconds from `started` to the last chunk.
    progress: Arc<AtomicU64>,
}

impl HttpBody for Watched {
    type Data = Bytes;
    type Error = reqwest::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        if let Poll::Ready(Some(Ok(_))) = &polled {
            let micros = self.started.elapsed().as_micros() as u64;
            self.progress.store(micros, Ordering::Relaxed);
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

/// The response with its body guarded by a size cap and an idle timeout.
pub(super) fn guard(
    mut response: reqwest::Response,
    cap: Option<u64>,
    idle: Option<Duration>,
) -> reqwest::Response {
    let head = Head::take(&mut response);
    let inner = http::Response::<reqwest::Body>::from(response).into_body();
    head.with_body(reqwest::Body::wrap(Guarded {
        inner,
        cap,
        read: 0,
        idle,
        timer: None,
    }))
}

/// Most a body read whole reserves up front for what its head says is
/// still to come; past it, the buffer grows as chunks arrive.
const MAX_RESERVE: usize = 1 << 20;

/// Reads a response's body whole, leaving the response (its head) as it
/// is. One chunk (most JSON answers) is kept as it came; more are joined.
/// `Response::bytes` does the same but takes the response, through a
/// future several times the size of this one, which every call holds.
pub(super) async fn read_whole(response: &mut reqwest::Response) -> reqwest::Result<Bytes> {
    let mut first: Option<Bytes> = None;
    let mut joined: Vec<u8> = Vec::new();
    while let Some(data) = response.chunk().await? {
        match first.take() {
            None if joined.is_empty() => first = Some(data),
            None => joined.extend_from_slice(&data),
            Some(before) => {
                // What is still to come, as far as the head said.
                let rest = response.content_length().unwrap_or(0) as usize;
                let capacity = before.len() + data.len() + rest.min(MAX_RESERVE);
                joined.reserve(capacity);
                joined.extend_from_slice(&before);
                joined.extend_from_slice(&data);
            }
        }
    }
    Ok(first.unwrap_or_else(|| Bytes::from(joined)))
}

/// A response body that fails past `cap` bytes or after `idle` without a
/// chunk.
struct Guarded {
    inner: reqwest::Body,
    cap: Option<u64>,
    read: u64,
    idle: Option<Duration>,
    timer: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl HttpBody for Guarded {
    type Data = Bytes;
    type Error = Box<dyn std::error::Error + Send + Sync>;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = &mut *self;
        if let Some(cap) = this.cap {
            // A declared length over the cap fails before any byte is read.
            if this.read == 0 && this.inner.size_hint().lower() > cap {
                return Poll::Ready(Some(Err(Box::new(TooLarge { limit: cap }))));
            }
        }
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                this.timer = None;
                if let Some(data) = frame.data_ref() {
                    this.read += data.len() as u64;
                    if let Some(cap) = this.cap.filter(|cap| this.read > *cap) {
                        return Poll::Ready(Some(Err(Box::new(TooLarge { limit: cap }))));
                    }
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(Some(Err(e))) => Poll::Ready(Some(Err(Box::new(e)))),
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => {
                let Some(idle) = this.idle else {
                    return Poll::Pending;
                };
                let timer = this
                    .timer
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep(idle)));
                match timer.as_mut().poll(cx) {
                    Poll::Ready(()) => Poll::Ready(Some(Err(Box::new(Idle(idle))))),
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::read_whole;
    use bytes::Bytes;

    fn response(chunks: &[&'static str]) -> reqwest::Response {
        let chunks: Vec<Result<Bytes, std::io::Error>> = chunks
            .iter()
            .map(|c| Ok(Bytes::from_static(c.as_bytes())))
            .collect();
        let body = reqwest::Body::wrap_stream(futures::stream::iter(chunks));
        reqwest::Response::from(http::Response::new(body))
    }

    #[tokio::test]
    async fn chunks_are_joined_in_order() {
        for chunks in [
            &["{\"a\":", "1,", "\"b\":2}"][..],
            &["", "x", "", "yz"],
            &["only"],
            &[],
            &["", ""],
        ] {
            let body = read_whole(&mut response(chunks)).await.unwrap();
            assert_eq!(body, chunks.concat().as_bytes(), "{chunks:?}");
        }
    }

    #[tokio::test]
    async fn one_chunk_is_kept_as_it_came() {
        static TEXT: &str = "{\"session_id\":\"s\"}";
        let body = read_whole(&mut response(&[TEXT])).await.unwrap();
        assert_eq!(body.as_ptr(), TEXT.as_ptr(), "copied");
    }

    #[tokio::test]
    async fn the_head_stays_on_the_response() {
        let mut answer = http::Response::new(reqwest::Body::from("body"));
        answer
            .headers_mut()
            .insert("x-kept", "yes".parse().unwrap());
        *answer.status_mut() = reqwest::StatusCode::CREATED;
        let mut answer = reqwest::Response::from(answer);
        assert_eq!(read_whole(&mut answer).await.unwrap(), "body");
        assert_eq!(answer.status(), reqwest::StatusCode::CREATED);
        assert_eq!(answer.headers()["x-kept"], "yes");
    }
}
