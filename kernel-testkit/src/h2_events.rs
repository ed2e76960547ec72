//! An HTTP/2 event-stream server for one connection, on the `h2` crate:
//! what the stream-limit test and the `many_streams` bench serve.

use bytes::Bytes;
use tokio::net::TcpStream;

/// Answers every GET on `socket` with `events` as a `text/event-stream`
/// body and holds each stream open until the client goes; any other
/// method gets a `204` at once (a delete, for a JSON call beside the
/// streams). `max_streams` is the connection's
/// `SETTINGS_MAX_CONCURRENT_STREAMS` (`None`: h2's default, no limit).
pub async fn serve_connection(socket: TcpStream, events: Bytes, max_streams: Option<u32>) {
    let mut builder = h2::server::Builder::new();
    if let Some(max) = max_streams {
        builder.max_concurrent_streams(max);
    }
    let Ok(mut connection) = builder.handshake::<_, Bytes>(socket).await else {
        return;
    };
    let mut open = Vec::new();
    while let Some(Ok((request, mut respond))) = connection.accept().await {
        if request.method() != http::Method::GET {
            let head = http::Response::builder()
                .status(204)
                .body(())
                .expect("a static head");
            let _ = respond.send_response(head, true);
            continue;
        }
        let head = http::Response::builder()
            .header("content-type", "text/event-stream")
            .header("cache-control", "no-store")
            .body(())
            .expect("a static head");
        let Ok(mut body) = respond.send_response(head, false) else {
            continue;
        };
        if body.send_data(events.clone(), false).is_ok() {
            open.push(body);
        }
    }
}
