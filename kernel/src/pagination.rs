//! Offset pagination for the list operations (those whose responses carry
//! `X-Has-More`; the call layer implements [`Paginate`] for each).
//!
//! Kernel's lists return a bare JSON array; paging state is in the
//! `X-Has-More` and `X-Next-Offset` headers. [`Paginate`] turns any of those
//! list builders into a [`Stream`] of items ([`Paginate::items`]) or of
//! [`Page`]s with their headers ([`Paginate::pages`]).
//!
//! ```no_run
//! # async fn demo(kernel: kernel::Kernel) -> kernel::Result<()> {
//! use futures::TryStreamExt;
//! use kernel::Paginate;
//! let browsers: Vec<_> = kernel.browsers().list().limit(50).items().try_collect().await?;
//! # Ok(()) }
//! ```

use crate::call::Response;
use crate::error::{Error, Result};
use futures::stream::{self, Stream, TryStreamExt};
use std::future::Future;
use std::pin::Pin;

/// One page of a list, with the paging headers.
#[derive(Clone, Debug)]
pub struct Page<T> {
    /// The items of this page.
    pub items: Vec<T>,
    /// The offset this page was requested at.
    pub offset: u64,
    /// `X-Has-More`.
    pub has_more: bool,
    /// `X-Next-Offset`, when present.
    pub next_offset: Option<u64>,
    /// `X-Limit`, when present.
    pub limit: Option<u64>,
    /// The response headers.
    pub headers: reqwest::header::HeaderMap,
}

impl<T> Page<T> {
    pub(crate) fn from_response(offset: u64, response: Response<Vec<T>>) -> Self {
        let (_, headers, items) = response.into_parts();
        let number = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
        };
        let has_more = headers
            .get("x-has-more")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
        let next_offset = number("x-next-offset");
        let limit = number("x-limit");
        Self {
            items,
            offset,
            has_more,
            next_offset,
            limit,
            headers,
        }
    }

    /// The offset of the following page, `Ok(None)` at the end.
    ///
    /// The list ends on `X-Has-More: false`, on an empty page, or on a missing
    /// or zero next offset without `X-Has-More: true`. `X-Has-More: true`
    /// without a next offset beyond this one is a protocol error: following
    /// it could repeat or skip pages.
    pub fn next(&self) -> Result<Option<u64>> {
        if !self.has_more || self.items.is_empty() {
            return Ok(None);
        }
        match self.next_offset {
            Some(next) if next > self.offset => Ok(Some(next)),
            other => Err(Error::Protocol(format!(
                "X-Has-More: true at offset {} with X-Next-Offset {:?}",
                self.offset, other
            ))),
        }
    }
}

/// The future of one page.
pub type PageFuture<'a, T> = Pin<Box<dyn Future<Output = Result<Page<T>>> + Send + 'a>>;

/// A stream of pages.
pub type Pages<'a, T> = Pin<Box<dyn Stream<Item = Result<Page<T>>> + Send + 'a>>;

/// A stream of items.
pub type Items<'a, T> = Pin<Box<dyn Stream<Item = Result<T>> + Send + 'a>>;

/// Most pages [`Paginate::pages`] and [`Paginate::items`] follow.
pub const MAX_PAGES: u64 = 10_000;

/// A list operation that pages with `offset`.
pub trait Paginate<'a>: Clone + Send + Sized + 'a {
    /// The item type.
    type Item: Send + 'a;

    /// Fetches the page at `offset`.
    fn page_at(self, offset: u64) -> PageFuture<'a, Self::Item>;

    /// Every page, following the paging headers, starting at offset 0 (an
    /// `.offset()` set on the builder is replaced). A page whose headers are
    /// broken is still yielded, then the error. After [`MAX_PAGES`] pages
    /// the stream ends with [`Error::Protocol`]: a server that says
    /// `X-Has-More: true` forever cannot hold a loop forever.
    fn pages(self) -> Pages<'a, Self::Item> {
        enum Next<B> {
            At(B, u64, u64),
            Fail(Error),
            Done,
        }
        Box::pin(stream::unfold(Next::At(self, 0, 1), |state| async move {
            match state {
                Next::Done => None,
                Next::Fail(e) => Some((Err(e), Next::Done)),
                Next::At(builder, offset, number) => match builder.clone().page_at(offset).await {
                    Err(e) => Some((Err(e), Next::Done)),
                    Ok(page) => {
                        let next = match page.next() {
                            Ok(Some(_)) if number >= MAX_PAGES => Next::Fail(Error::Protocol(
                                format!("more than {MAX_PAGES} pages: the server keeps answering X-Has-More: true"),
                            )),
                            Ok(Some(next)) => Next::At(builder, next, number + 1),
                            Ok(None) => Next::Done,
                            Err(e) => Next::Fail(e),
                        };
                        Some((Ok(page), next))
                    }
                },
            }
        }))
    }

    /// Every item of every page, in order.
    fn items(self) -> Items<'a, Self::Item> {
        Box::pin(
            self.pages()
                .map_ok(|page| stream::iter(page.items.into_iter().map(Ok)))
                .try_flatten(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(offset: u64, n: usize, has_more: Option<&str>, next: Option<&str>) -> Page<u32> {
        let mut headers = reqwest::header::HeaderMap::new();
        if let Some(v) = has_more {
            headers.insert("x-has-more", v.parse().unwrap());
        }
        if let Some(v) = next {
            headers.insert("x-next-offset", v.parse().unwrap());
        }
        Page::from_response(
            offset,
            Response::new(reqwest::StatusCode::OK, headers, vec![0; n]),
        )
    }

    #[test]
    fn stop_rules() {
        assert_eq!(page(0, 2, Some("true"), Some("2")).next().unwrap(), Some(2));
        assert_eq!(page(0, 2, Some("false"), Some("2")).next().unwrap(), None);
        assert_eq!(page(0, 2, None, Some("2")).next().unwrap(), None);
        assert_eq!(
            page(0, 0, Some("true"), Some("2")).next().unwrap(),
            None,
            "empty page ends the list"
        );
        assert!(
            page(0, 2, Some("true"), None).next().is_err(),
            "has more but no offset"
        );
        assert!(
            page(4, 2, Some("true"), Some("0")).next().is_err(),
            "zero offset with has more"
        );
        assert!(
            page(4, 2, Some("true"), Some("4")).next().is_err(),
            "offset that does not advance"
        );
        assert!(page(4, 2, Some("true"), Some("abc")).next().is_err());
    }
}
