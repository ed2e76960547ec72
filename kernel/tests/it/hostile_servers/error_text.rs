//! "connection error: error sending request for url (…)" hid the cause,
//! and a response head too large was reported as a sending error.

use crate::common;
use kernel::Error;
use tokio::io::AsyncWriteExt;

#[tokio::test]
async fn a_refused_connection_says_so() {
    let err = common::client(&common::refused_url())
        .browsers()
        .get("b")
        .send()
        .await
        .unwrap_err();
    let text = err.to_string().to_lowercase();
    assert!(matches!(err, Error::Connection(_)), "{err:?}");
    assert!(text.contains("connection refused"), "{text}");
    assert!(
        std::error::Error::source(&err).is_some(),
        "the chain stays reachable"
    );
}

#[tokio::test]
async fn an_unresolvable_host_says_dns() {
    let kernel = kernel::Kernel::builder()
        .api_key(common::API_KEY)
        .base_url("http://no-such-host.invalid")
        .max_retries(0)
        .build()
        .unwrap();
    let err = kernel.browsers().get("b").send().await.unwrap_err();
    let text = err.to_string().to_lowercase();
    assert!(text.contains("dns error"), "{text}");
}

#[tokio::test]
async fn a_response_head_too_large_is_a_protocol_error() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            common::read_request_head(&mut socket).await;
            let mut head = String::from("HTTP/1.1 200 OK\r\n");
            for i in 0..500 {
                head.push_str(&format!("x-filler-{i}: {}\r\n", "v".repeat(50)));
            }
            head.push_str("content-length: 2\r\n\r\n[]");
            let _ = socket.write_all(head.as_bytes()).await;
        }
    });
    let err = common::client(&base)
        .browsers()
        .list()
        .send()
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, Error::Protocol(_)), "{err:?}");
    assert!(text.contains("too large"), "{text}");
    assert!(!text.contains("error sending request"), "{text}");
}
