//! `Paginate` against a fake server that pages like Kernel: `offset`/`limit`
//! in the query, `X-Has-More`/`X-Next-Offset` (and `X-Limit`/`X-Offset`) in
//! the response headers.

use crate::common::{browser_json, client, serve};
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::IntoResponse;
use futures::{StreamExt, TryStreamExt};
use kernel::{Error, Paginate};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Kernel's default page size.
const DEFAULT_LIMIT: usize = 20;

#[derive(Clone)]
struct Fake {
    total: usize,
    /// Every `(offset, limit)` requested, in order.
    requests: Arc<Mutex<Vec<(usize, usize)>>>,
    /// Misbehave: `X-Has-More: true` without `X-Next-Offset`.
    omit_next_offset: bool,
}

async fn list(
    State(fake): State<Fake>,
    Query(query): Query<HashMap<String, String>>,
) -> impl IntoResponse {
    let limit = query
        .get("limit")
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_LIMIT)
        .clamp(1, 100);
    let offset: usize = query
        .get("offset")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    fake.requests.lock().unwrap().push((offset, limit));
    let end = (offset + limit).min(fake.total);
    let items: Vec<serde_json::Value> = (offset.min(end)..end)
        .map(|i| browser_json(&format!("b{i}")))
        .collect();
    let has_more = end < fake.total;
    let mut headers = HeaderMap::new();
    headers.insert("x-limit", limit.into());
    headers.insert("x-offset", offset.into());
    headers.insert(
        "x-has-more",
        if has_more { "true" } else { "false" }.parse().unwrap(),
    );
    if has_more && !fake.omit_next_offset {
        headers.insert("x-next-offset", end.into());
    }
    (headers, axum::Json(items))
}

async fn fake(total: usize, omit_next_offset: bool) -> (String, Arc<Mutex<Vec<(usize, usize)>>>) {
    let fake = Fake {
        total,
        requests: Arc::default(),
        omit_next_offset,
    };
    let requests = fake.requests.clone();
    let router = axum::Router::new()
        .route("/browsers", axum::routing::get(list))
        .route("/profiles", axum::routing::get(list_profiles))
        .with_state(fake);
    (serve(router).await, requests)
}

/// Profiles, paged the same way.
async fn list_profiles(
    State(fake): State<Fake>,
    Query(query): Query<HashMap<String, String>>,
) -> impl IntoResponse {
    let limit = query
        .get("limit")
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_LIMIT)
        .clamp(1, 100);
    let offset: usize = query
        .get("offset")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    fake.requests.lock().unwrap().push((offset, limit));
    let end = (offset + limit).min(fake.total);
    let items: Vec<serde_json::Value> = (offset.min(end)..end)
        .map(|i| serde_json::json!({"id": format!("p{i}"), "created_at": "2025-01-01T00:00:00Z"}))
        .collect();
    let has_more = end < fake.total;
    let mut headers = HeaderMap::new();
    headers.insert(
        "x-has-more",
        if has_more { "true" } else { "false" }.parse().unwrap(),
    );
    if has_more {
        headers.insert("x-next-offset", end.into());
    }
    (headers, axum::Json(items))
}

async fn ids(base: &str, limit: Option<u64>) -> Vec<String> {
    let kernel = client(base);
    let mut list = kernel.browsers().list();
    if let Some(limit) = limit {
        list = list.limit(limit);
    }
    list.items()
        .map_ok(|b| b.session_id)
        .try_collect()
        .await
        .unwrap()
}

fn expected(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("b{i}")).collect()
}

#[tokio::test]
async fn empty_list() {
    let (base, requests) = fake(0, false).await;
    assert_eq!(ids(&base, Some(10)).await, Vec::<String>::new());
    assert_eq!(*requests.lock().unwrap(), vec![(0, 10)]);
}

#[tokio::test]
async fn one_item() {
    let (base, requests) = fake(1, false).await;
    assert_eq!(ids(&base, Some(10)).await, expected(1));
    assert_eq!(*requests.lock().unwrap(), vec![(0, 10)]);
}

#[tokio::test]
async fn exactly_one_page() {
    let (base, requests) = fake(10, false).await;
    assert_eq!(ids(&base, Some(10)).await, expected(10));
    assert_eq!(
        *requests.lock().unwrap(),
        vec![(0, 10)],
        "a full last page must not cost an extra request"
    );
}

#[tokio::test]
async fn five_and_a_half_pages() {
    let (base, requests) = fake(55, false).await;
    let got = ids(&base, Some(10)).await;
    assert_eq!(got.len(), 55);
    // Every item exactly once, in order: no page skipped or repeated.
    assert_eq!(got, expected(55));
    let offsets: Vec<usize> = requests.lock().unwrap().iter().map(|r| r.0).collect();
    assert_eq!(offsets, vec![0, 10, 20, 30, 40, 50]);
    assert!(
        requests.lock().unwrap().iter().all(|r| r.1 == 10),
        "the limit is kept on every page"
    );
}

#[tokio::test]
async fn default_limit_pages_through_everything() {
    let (base, requests) = fake(45, false).await;
    assert_eq!(ids(&base, None).await, expected(45));
    let offsets: Vec<usize> = requests.lock().unwrap().iter().map(|r| r.0).collect();
    assert_eq!(offsets, vec![0, 20, 40]);
}

#[tokio::test]
async fn pages_expose_the_headers() {
    let (base, _) = fake(25, false).await;
    let kernel = client(&base);
    let pages: Vec<_> = kernel
        .browsers()
        .list()
        .limit(10u64)
        .pages()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(pages.len(), 3);
    let shape: Vec<_> = pages
        .iter()
        .map(|p| (p.offset, p.items.len(), p.has_more, p.next_offset, p.limit))
        .collect();
    assert_eq!(
        shape,
        vec![
            (0, 10, true, Some(10), Some(10)),
            (10, 10, true, Some(20), Some(10)),
            (20, 5, false, None, Some(10))
        ]
    );
    assert_eq!(pages[1].headers.get("x-offset").unwrap(), "10");
    assert_eq!(pages[0].headers.get("x-has-more").unwrap(), "true");
    assert_eq!(pages[2].items[4].session_id, "b24");
    assert_eq!(pages[2].next().unwrap(), None);
}

#[tokio::test]
async fn has_more_without_next_offset_is_a_protocol_error() {
    let (base, requests) = fake(25, true).await;
    let kernel = client(&base);
    let results: Vec<Result<_, Error>> = kernel
        .browsers()
        .list()
        .limit(10u64)
        .items()
        .collect()
        .await;
    // The stream ends with the error (the current implementation drops the
    // first page's items and yields only the error; either is acceptable).
    assert!(results.len() == 1 || results.len() == 11, "{results:?}");
    assert!(results[..results.len() - 1].iter().all(Result::is_ok));
    match results.last().unwrap() {
        Err(Error::Protocol(message)) => assert!(message.contains("X-Next-Offset"), "{message}"),
        other => panic!("expected Error::Protocol, got {other:?}"),
    }
    assert_eq!(
        requests.lock().unwrap().len(),
        1,
        "no guessing of the next page"
    );
}

#[tokio::test]
async fn an_error_on_a_later_page_is_returned_after_the_earlier_items() {
    let fail_at = 20usize;
    let router = axum::Router::new().route(
        "/browsers",
        axum::routing::get(
            move |Query(query): Query<HashMap<String, String>>| async move {
                let offset: usize = query
                    .get("offset")
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0);
                if offset >= fail_at {
                    return (
                        axum::http::StatusCode::NOT_FOUND,
                        HeaderMap::new(),
                        axum::Json(serde_json::json!({"code":"gone","message":"gone"})),
                    );
                }
                let items: Vec<_> = (offset..offset + 10)
                    .map(|i| browser_json(&format!("b{i}")))
                    .collect();
                let mut headers = HeaderMap::new();
                headers.insert("x-has-more", "true".parse().unwrap());
                headers.insert("x-next-offset", (offset + 10).into());
                (
                    axum::http::StatusCode::OK,
                    headers,
                    axum::Json(serde_json::Value::from(items)),
                )
            },
        ),
    );
    let base = serve(router).await;
    let kernel = client(&base);
    let results: Vec<Result<_, Error>> = kernel
        .browsers()
        .list()
        .limit(10u64)
        .items()
        .collect()
        .await;
    assert_eq!(results.len(), 21);
    let last = results.last().unwrap().as_ref().unwrap_err();
    assert!(last.is_not_found(), "{last:?}");
}

#[tokio::test]
async fn other_lists_page_too() {
    let (base, requests) = fake(7, false).await;
    let kernel = client(&base);
    let profiles: Vec<String> = kernel
        .profiles()
        .list()
        .limit(3u64)
        .items()
        .map_ok(|p| p.id)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(
        profiles,
        (0..7).map(|i| format!("p{i}")).collect::<Vec<_>>()
    );
    let offsets: Vec<usize> = requests.lock().unwrap().iter().map(|r| r.0).collect();
    assert_eq!(offsets, vec![0, 3, 6]);
}

#[tokio::test]
async fn the_stream_is_lazy() {
    let (base, requests) = fake(55, false).await;
    let kernel = client(&base);
    let first: Vec<String> = kernel
        .browsers()
        .list()
        .limit(10u64)
        .items()
        .take(3)
        .map_ok(|b| b.session_id)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(first, expected(3));
    assert_eq!(
        requests.lock().unwrap().len(),
        1,
        "taking 3 items fetches one page"
    );
}
