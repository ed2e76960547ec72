//! [`DecodeStream`]: the [`Decoder`] over a stream of byte chunks.

use super::{DecodeError, Decoder, Event};
use bytes::Bytes;
use futures::{Stream, StreamExt};
use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

/// The events of a stream of byte chunks (an HTTP body, say), decoded by a
/// [`Decoder`]: a [`Stream`] of [`Event`]s.
///
/// Each event's `data` and `id` are slices of the chunk they arrived in (see
/// [`Decoder::next_event_from_bytes`]). No reconnection, no timeouts: for
/// the Kernel API's own streams use their typed streams instead.
///
/// ```
/// use futures::{stream, StreamExt};
/// use kernel::sse::DecodeStream;
///
/// # futures::executor::block_on(async {
/// let body = stream::iter([Ok::<_, std::io::Error>("id: 1\ndata: a"), Ok("\n\n")]);
/// let mut events = DecodeStream::new(body);
/// let event = events.next().await.unwrap().unwrap();
/// assert_eq!((event.data.as_str(), event.id.as_deref()), ("a", Some("1")));
/// assert!(events.next().await.is_none());
/// # });
/// ```
#[derive(Debug)]
pub struct DecodeStream<S> {
    body: S,
    decoder: Decoder,
    /// The rest of the current chunk, not decoded yet.
    chunk: Bytes,
    ended: bool,
}

/// A [`DecodeStream`] item that is not an event.
#[derive(Debug)]
pub enum DecodeStreamError<E> {
    /// Bytes that did not decode; the stream carries on with the next
    /// block.
    Decode(DecodeError),
    /// The underlying stream failed; what follows is up to it.
    Body(E),
}

impl<E: fmt::Display> fmt::Display for DecodeStreamError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Decode(e) => e.fmt(f),
            Self::Body(e) => write!(f, "reading the event stream failed: {e}"),
        }
    }
}

impl<E: std::error::Error + 'static> std::error::Error for DecodeStreamError<E> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Decode(e) => Some(e),
            Self::Body(e) => Some(e),
        }
    }
}

impl<S> DecodeStream<S> {
    /// Decodes `body` with a default [`Decoder`].
    pub fn new(body: S) -> Self {
        Self::with_decoder(body, Decoder::new())
    }

    /// Decodes `body` with `decoder` (a size limit, or the state of an
    /// earlier connection: the last event ID and `retry` carry over).
    pub fn with_decoder(body: S, decoder: Decoder) -> Self {
        Self {
            body,
            decoder,
            chunk: Bytes::new(),
            ended: false,
        }
    }

    /// The decoder, for [`last_event_id`](Decoder::last_event_id) and
    /// [`retry`](Decoder::retry).
    pub fn decoder(&self) -> &Decoder {
        &self.decoder
    }

    /// The underlying stream and the decoder, which holds any undecoded
    /// input except the rest of the current chunk.
    pub fn into_parts(self) -> (S, Decoder) {
        (self.body, self.decoder)
    }
}

impl<S, B, E> Stream for DecodeStream<S>
where
    S: Stream<Item = Result<B, E>> + Unpin,
    B: Into<Bytes>,
{
    type Item = Result<Event, DecodeStreamError<E>>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            if let Some(result) = this.decoder.next_event_from_bytes(&mut this.chunk) {
                return Poll::Ready(Some(result.map_err(DecodeStreamError::Decode)));
            }
            // Used up: let go of it rather than hold an empty slice of it.
            this.chunk = Bytes::new();
            if this.ended {
                return Poll::Ready(None);
            }
            match this.body.poll_next_unpin(cx) {
                Poll::Pending => {
                    // The chunk is used up: let its buffer go while waiting.
                    this.decoder.release_input();
                    return Poll::Pending;
                }
                Poll::Ready(Some(Ok(chunk))) => this.chunk = chunk.into(),
                Poll::Ready(Some(Err(e))) => {
                    return Poll::Ready(Some(Err(DecodeStreamError::Body(e))))
                }
                Poll::Ready(None) => {
                    this.decoder.finish();
                    this.ended = true;
                }
            }
        }
    }
}
