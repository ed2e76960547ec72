//! A 1 GiB JSON list was accepted (2.81 GiB RSS), and a server answering
//! `X-Has-More: true` forever held a listing loop forever.

use crate::common;
use axum::body::Body;
use axum::response::Response;
use axum::routing::get;
use futures::StreamExt;
use kernel::{Error, Kernel, Paginate};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// An endless chunked JSON array of browsers; counts the bytes it sent.
fn endless_list(sent: Arc<AtomicUsize>) -> Response {
    let item = format!("{},", common::browser_json("b"));
    let chunk = bytes::Bytes::from(item.repeat(1000));
    let first = futures::stream::once(async { Ok::<_, std::io::Error>(bytes::Bytes::from("[")) });
    let rest = futures::stream::repeat(chunk).map(move |c| {
        sent.fetch_add(c.len(), Ordering::Relaxed);
        Ok(c)
    });
    Response::builder()
        .header("content-type", "application/json")
        .body(Body::from_stream(first.chain(rest)))
        .unwrap()
}

fn capped(base: &str, cap: u64) -> Kernel {
    Kernel::builder()
        .api_key(common::API_KEY)
        .base_url(base)
        .retry_policy(common::fast_policy())
        .max_response_bytes(cap)
        .build()
        .unwrap()
}

/// Both a call that may be resent (a listing) and one that is not (a
/// create).
#[tokio::test]
async fn an_endless_json_body_stops_at_the_cap() {
    let sent = Arc::new(AtomicUsize::new(0));
    let (on_get, on_post) = (sent.clone(), sent.clone());
    let router = axum::Router::new().route(
        "/browsers",
        get(move || {
            let counter = on_get.clone();
            async move { endless_list(counter) }
        })
        .post(move || {
            let counter = on_post.clone();
            async move { endless_list(counter) }
        }),
    );
    let base = common::serve(router).await;
    let cap = 4 << 20;
    let kernel = capped(&base, cap);
    for resent in [true, false] {
        sent.store(0, Ordering::Relaxed);
        let call = async {
            if resent {
                kernel.browsers().list().send().await.map(drop)
            } else {
                kernel.browsers().create().send().await.map(drop)
            }
        };
        let err = tokio::time::timeout(Duration::from_secs(20), call)
            .await
            .expect("not read forever")
            .unwrap_err();
        assert!(
            matches!(err, Error::TooLarge { limit } if limit == cap),
            "resent {resent}: {err:?}"
        );
        assert!(err.to_string().contains("max_response_bytes"), "{err}");
        assert!(
            sent.load(Ordering::Relaxed) < 64 << 20,
            "resent {resent}: read far past the cap"
        );
    }
}

#[tokio::test]
async fn a_declared_length_over_the_cap_fails_before_reading() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        use tokio::io::AsyncWriteExt;
        while let Ok((mut socket, _)) = listener.accept().await {
            common::read_request_head(&mut socket).await;
            let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1073741824\r\n\r\n[";
            let _ = socket.write_all(head.as_bytes()).await;
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_secs(30)).await;
                drop(socket);
            });
        }
    });
    let err = tokio::time::timeout(
        Duration::from_secs(5),
        common::client(&base).browsers().list().send(),
    )
    .await
    .expect("no wait for a gigabyte")
    .unwrap_err();
    assert!(matches!(err, Error::TooLarge { .. }), "{err:?}");
}

#[tokio::test]
async fn downloads_have_no_cap() {
    let router = axum::Router::new().route(
        "/browsers/{id}/fs/read_file",
        get(|| async {
            Response::builder()
                .header("content-type", "application/octet-stream")
                .body(Body::from(vec![7u8; 64 * 1024]))
                .unwrap()
        }),
    );
    let base = common::serve(router).await;
    let bytes = capped(&base, 1024)
        .browsers()
        .fs("b")
        .read_file()
        .path("/big")
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(bytes.len(), 64 * 1024);
}

#[tokio::test]
async fn a_list_that_never_ends_stops_at_the_page_cap() {
    let pages = Arc::new(AtomicUsize::new(0));
    let counter = pages.clone();
    let router = axum::Router::new().route(
        "/browsers",
        get(
            move |axum::extract::Query(q): axum::extract::Query<
                std::collections::HashMap<String, String>,
            >| {
                counter.fetch_add(1, Ordering::Relaxed);
                let offset: u64 = q.get("offset").and_then(|o| o.parse().ok()).unwrap_or(0);
                async move {
                    Response::builder()
                        .header("content-type", "application/json")
                        .header("x-has-more", "true")
                        .header("x-next-offset", (offset + 1).to_string())
                        .body(Body::from(format!("[{}]", common::browser_json("b"))))
                        .unwrap()
                }
            },
        ),
    );
    let base = common::serve(router).await;
    let kernel = common::client(&base);
    let items: Vec<_> = tokio::time::timeout(
        Duration::from_secs(60),
        kernel.browsers().list().limit(1).items().collect(),
    )
    .await
    .expect("the listing ends");
    let last = items.last().expect("items");
    assert!(
        matches!(last, Err(Error::Protocol(what)) if what.contains("X-Has-More")),
        "{last:?}"
    );
    assert_eq!(
        pages.load(Ordering::Relaxed) as u64,
        kernel::pagination::MAX_PAGES
    );
}
