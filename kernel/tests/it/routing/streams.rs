//! Event streams on routed subresources: direct while the route holds, and
//! resumed through the API (same `Last-Event-ID`) when it goes stale.

use super::{api, json_response, Server, JWT, VM_PATH};
use crate::common::{read_request_head, refused_url, API_KEY};
use axum::response::Response;
use futures::StreamExt;
use kernel::routing::{BrowserRoute, BrowserRouting};
use kernel::sse::{ProcessOutput, StreamOptions, Telemetry};
use kernel::{Kernel, RetryPolicy};
use serde_json::json;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::io::AsyncWriteExt;

const PID: &str = "00000000-0000-4000-8000-000000000001";

fn sse(body: String) -> Response {
    Response::builder()
        .header("content-type", "text/event-stream")
        .body(body.into())
        .unwrap()
}

fn telemetry_events(seqs: std::ops::RangeInclusive<u64>) -> String {
    seqs.map(|seq| {
        let data = json!({"seq": seq, "event": {"ts": 1_750_000_000_000_000u64 + seq, "type": "page_load", "source": {"kind": "cdp"}}});
        format!("id: {seq}\ndata: {data}\n\n")
    })
    .collect()
}

fn client(api: &str, prefixes: &[&str]) -> Kernel {
    Kernel::builder()
        .api_key(API_KEY)
        .base_url(api)
        .max_retries(0)
        .browser_routing(BrowserRouting::subresources(prefixes))
        .stream_options(StreamOptions {
            idle_timeout: Duration::from_secs(5),
            backoff: RetryPolicy {
                initial_backoff: Duration::from_millis(10),
                max_backoff: Duration::from_millis(50),
                min_backoff: Duration::from_millis(1),
                ..RetryPolicy::default()
            },
            ..StreamOptions::default()
        })
        .build()
        .unwrap()
}

/// A VM that serves one telemetry stream (seq 1 to 3) and is then gone:
/// its port refuses connections.
async fn vm_serving_once() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        // Gone before the stream ends, so the reconnect finds no one.
        drop(listener);
        read_request_head(&mut socket).await;
        let head =
            "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n";
        let _ = socket.write_all(head.as_bytes()).await;
        let _ = socket.write_all(telemetry_events(1..=3).as_bytes()).await;
    });
    url
}

#[tokio::test]
async fn telemetry_resumes_through_the_api_when_the_vm_stream_goes_stale() {
    // The VM refuses the reconnect's token, or is gone altogether.
    let refusing = AtomicUsize::new(0);
    let vm_refusing = Server::start(move |_| match refusing.fetch_add(1, Ordering::SeqCst) {
        0 => sse(telemetry_events(1..=3)),
        _ => json_response(401, r#"{"message":"token expired"}"#),
    })
    .await;
    for vm in [vm_refusing.url.clone(), vm_serving_once().await] {
        let served = AtomicUsize::new(0);
        let inner = api(format!("{vm}{VM_PATH}"));
        let api = Server::start(move |seen| {
            if seen.path != "/browsers/b1/telemetry" {
                return inner(seen);
            }
            match served.fetch_add(1, Ordering::SeqCst) {
                0 => sse(telemetry_events(4..=5)),
                // The browser is gone: the stream ends.
                _ => json_response(404, r#"{"message":"no such browser"}"#),
            }
        })
        .await;
        let kernel = client(&api.url, &["telemetry"]);
        kernel.browsers().get("b1").send().await.unwrap();
        let stream = kernel.browsers().telemetry("b1").send().await.unwrap();
        let items: Vec<_> = tokio::time::timeout(Duration::from_secs(10), stream.collect())
            .await
            .expect("the stream ends");
        let seqs: Vec<u64> = items
            .iter()
            .map(|item| match item {
                Ok(Telemetry::Event(e)) => e.seq.get(),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(seqs, [1, 2, 3, 4, 5], "{vm}");
        let resumed: Vec<_> = api
            .seen()
            .iter()
            .filter(|s| s.path == "/browsers/b1/telemetry")
            .map(|s| (s.last_event_id.clone(), s.auth.is_some()))
            .collect();
        assert_eq!(
            resumed,
            [(Some("3".into()), true), (Some("5".into()), true)],
            "resumed through the API where the VM stream stopped"
        );
        assert!(kernel.browser_routes().get("b1").is_none());
    }
    let tokens: Vec<_> = vm_refusing.seen().iter().map(|s| s.jwt()).collect();
    assert_eq!(tokens, [Some(JWT.into()), Some(JWT.into())]);
    assert!(vm_refusing.seen().iter().all(|s| s.auth.is_none()));
}

fn process_output() -> String {
    let out = json!({"stream": "stdout", "data_b64": "aGk="});
    let exit = json!({"event": "exit", "exit_code": 0});
    format!("data: {out}\n\ndata: {exit}\n\n")
}

#[tokio::test]
async fn process_output_streams_go_direct_and_open_through_the_api_when_the_vm_is_gone() {
    let vm = Server::start(|_| sse(process_output())).await;
    let inner = api(vm.vm_base());
    let api = Server::start(move |seen| {
        if seen.path.ends_with("/stdout/stream") {
            sse(process_output())
        } else {
            inner(seen)
        }
    })
    .await;
    let kernel = client(&api.url, &["process"]);
    kernel.browsers().get("b1").send().await.unwrap();
    let collect = || async {
        let stream = kernel
            .browsers()
            .process("b1")
            .output(PID)
            .send()
            .await
            .unwrap();
        let items: Vec<_> = tokio::time::timeout(Duration::from_secs(10), stream.collect())
            .await
            .expect("the stream ends");
        items.into_iter().map(Result::unwrap).collect::<Vec<_>>()
    };
    let expected = [
        ProcessOutput::Output {
            stream: "stdout".into(),
            data: "hi".into(),
        },
        ProcessOutput::Exit { code: Some(0) },
    ];
    assert_eq!(collect().await, expected);
    let tail = format!("process/{PID}/stdout/stream");
    assert_eq!(vm.lines(), [format!("GET {VM_PATH}/{tail}")]);

    kernel
        .browser_routes()
        .insert(BrowserRoute::new("b1", refused_url(), JWT));
    assert_eq!(collect().await, expected, "through the API");
    assert_eq!(
        api.lines(),
        [
            "GET /browsers/b1".to_string(),
            format!("GET /browsers/b1/{tail}")
        ]
    );
    assert!(kernel.browser_routes().get("b1").is_none());
}
