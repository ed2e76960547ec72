//! Calls with no timeout hung forever: binary and multipart operations had
//! none against a server that accepts and never answers, and an error body
//! trickling a byte a second was read without a deadline.

use crate::common;
use kernel::{Error, Kernel, Upload};
use std::future::Future;
use std::time::{Duration, Instant};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;

fn bounded_client(base: &str) -> Kernel {
    Kernel::builder()
        .api_key(common::API_KEY)
        .base_url(base)
        .max_retries(0)
        .timeout(Duration::from_millis(400))
        .read_timeout(Duration::from_millis(400))
        .build()
        .unwrap()
}

/// `call` ends with a timeout well before 5 s (it would hang without one).
async fn times_out<T: std::fmt::Debug>(name: &str, call: impl Future<Output = kernel::Result<T>>) {
    let started = Instant::now();
    let result = tokio::time::timeout(Duration::from_secs(5), call)
        .await
        .unwrap_or_else(|_| panic!("{name} hung against a silent server"));
    match result {
        Err(e) => assert!(e.is_timeout(), "{name}: expected a timeout, got {e:?}"),
        Ok(value) => panic!("{name}: expected a timeout, got {value:?}"),
    }
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{name}: {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn binary_calls_time_out_against_a_silent_server() {
    let base = common::silent_server().await;
    let kernel = bounded_client(&base);
    let browser = kernel.browsers();
    times_out("screenshot", browser.computer("b").screenshot().send()).await;
    times_out("read_file", browser.fs("b").read_file().path("/x").send()).await;
    times_out(
        "download_dir_zip",
        browser.fs("b").download_dir_zip().path("/x").send(),
    )
    .await;
    times_out("replay download", browser.replays("b").download("r").send()).await;
    times_out("profile download", kernel.profiles().download("p").send()).await;
    times_out(
        "extension download",
        kernel.extensions().download("e").send(),
    )
    .await;
}

#[tokio::test]
async fn multipart_uploads_time_out_against_a_silent_server() {
    let base = common::silent_server().await;
    let kernel = bounded_client(&base);
    let fs = kernel.browsers().fs("b");
    times_out(
        "upload_files",
        fs.upload().file("/tmp/a", Upload::bytes("a")).send(),
    )
    .await;
    times_out(
        "upload_zip",
        fs.upload_zip()
            .zip_file(Upload::bytes("zip"))
            .dest_path("/tmp")
            .send(),
    )
    .await;
    times_out(
        "upload_extensions",
        kernel
            .browsers()
            .upload_extensions("b")
            .extension("ext", Upload::bytes("zip"))
            .send(),
    )
    .await;
    times_out(
        "post_deployments",
        kernel
            .deployments()
            .create()
            .file(Upload::bytes("zip"))
            .entrypoint_rel_path("app.py")
            .send(),
    )
    .await;
    times_out(
        "post_extensions",
        kernel
            .extensions()
            .upload()
            .file(Upload::bytes("zip"))
            .name("ext")
            .send(),
    )
    .await;
}

/// The bound of an upload counts from the last byte sent: a body that
/// keeps flowing for longer than the read timeout is not cut off.
#[tokio::test]
async fn a_slow_steady_upload_outlasts_the_read_timeout() {
    let router = axum::Router::new().route(
        "/browsers/{id}/fs/upload",
        axum::routing::post(|body: axum::body::Bytes| async move {
            assert!(body.len() > 5 * 1024);
            axum::http::StatusCode::OK
        }),
    );
    let base = common::serve(router).await;
    let kernel = bounded_client(&base);
    let chunks = futures::stream::unfold(0, |n| async move {
        if n == 6 {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(150)).await;
        Some((
            Ok::<_, std::io::Error>(bytes::Bytes::from(vec![b'x'; 1024])),
            n + 1,
        ))
    });
    let started = Instant::now();
    kernel
        .browsers()
        .fs("b")
        .upload()
        .file("/tmp/slow", Upload::stream(chunks, None))
        .send()
        .await
        .expect("an upload that keeps moving finishes");
    assert!(
        started.elapsed() > Duration::from_millis(800),
        "it took the whole body"
    );
}

/// A 500 whose body arrives one byte a second: the error is returned with
/// what arrived, after the error-body deadline, and retries stay bounded.
#[tokio::test]
async fn a_trickling_error_body_is_read_with_a_deadline() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                common::read_request_head(&mut socket).await;
                let head = "HTTP/1.1 500 Internal Server Error\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n";
                if socket.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                for byte in br#"{"code":"internal","message":"slow"#.iter().cycle() {
                    if socket.write_all(&[*byte]).await.is_err() {
                        return;
                    }
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            });
        }
    });
    let kernel = Kernel::builder()
        .api_key(common::API_KEY)
        .base_url(&base)
        .retry_policy(common::fast_policy())
        .timeout(Duration::from_millis(500))
        .read_timeout(Duration::from_millis(500))
        .build()
        .unwrap();
    let started = Instant::now();
    let result = tokio::time::timeout(
        Duration::from_secs(10),
        kernel.browsers().replays("b").download("r").send(),
    )
    .await
    .expect("the error body is not read forever");
    match result {
        Err(Error::Api(api)) => {
            assert_eq!(api.status, 500);
            assert!(
                api.body.starts_with('{'),
                "what arrived is kept: {:?}",
                api.body
            );
        }
        other => panic!("expected the 500, got {other:?}"),
    }
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

/// A download whose head arrives but whose body then stalls fails after
/// the read timeout.
#[tokio::test]
async fn a_stalled_download_fails_after_the_read_timeout() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                common::read_request_head(&mut socket).await;
                let head = "HTTP/1.1 200 OK\r\ncontent-type: application/octet-stream\r\ncontent-length: 100\r\n\r\nabc";
                let _ = socket.write_all(head.as_bytes()).await;
                tokio::time::sleep(Duration::from_secs(30)).await;
            });
        }
    });
    let kernel = bounded_client(&base);
    let download = kernel
        .browsers()
        .fs("b")
        .read_file()
        .path("/x")
        .send()
        .await
        .unwrap();
    times_out("the body", download.bytes()).await;
}

/// A JSON answer whose head arrives but whose body then stalls: the JSON
/// timeout covers the body too, for a call that may be resent (a get, tried
/// again) and for one that is not (a create, sent once).
#[tokio::test]
async fn a_stalled_json_body_fails_within_the_json_timeout() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let heads = Arc::new(AtomicUsize::new(0));
    let counted = heads.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let counted = counted.clone();
            tokio::spawn(async move {
                common::read_request_head(&mut socket).await;
                counted.fetch_add(1, Ordering::SeqCst);
                let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{\"session_id\":";
                let _ = socket.write_all(head.as_bytes()).await;
                tokio::time::sleep(Duration::from_secs(30)).await;
            });
        }
    });
    let kernel = Kernel::builder()
        .api_key(common::API_KEY)
        .base_url(&base)
        .retry_policy(common::fast_policy())
        .max_retries(1)
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    times_out("get", kernel.browsers().get("b").send()).await;
    assert_eq!(heads.swap(0, Ordering::SeqCst), 2, "a get is tried again");
    times_out("create", kernel.browsers().create().send()).await;
    assert_eq!(heads.load(Ordering::SeqCst), 1, "a create is sent once");
}
