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
