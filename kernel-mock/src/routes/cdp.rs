//! `GET /browser/cdp?jwt=…`: a browser's `cdp_ws_url`. The token names the
//! browser; the websocket is proxied frame for frame to its Chromium's
//! browser-level DevTools endpoint, so CDP clients create pages and attach
//! flatten sessions over this one socket. A missing or wrong token, or one
//! of an ended browser, is a `401` before any upgrade; a browser of a mock
//! without Chromium is a `501`. Not an operation of the spec: the real API
//! serves it on its own proxy host.

use axum::extract::ws::{self, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use futures::{SinkExt, StreamExt};
use serde::Deserialize;
use tokio_tungstenite::tungstenite::{self as ts, Message};

use crate::chromium::cdp::{self, MAX_MESSAGE};
use crate::http::error::ApiError;
use crate::state::AppState;

/// The query of a `cdp_ws_url`.
#[derive(Deserialize)]
pub(crate) struct CdpQuery {
    /// The browser's token.
    jwt: Option<String>,
}

/// Checks the token, connects to the browser's Chromium and upgrades.
pub(crate) async fn connect(
    State(state): State<AppState>,
    Query(query): Query<CdpQuery>,
    upgrade: Result<WebSocketUpgrade, ws::rejection::WebSocketUpgradeRejection>,
) -> Response {
    match open(state, query, upgrade).await {
        Ok(response) => response,
        Err(error) => error.into_response(),
    }
}

/// [`connect`], with errors as the spec's `Error` body.
async fn open(
    state: AppState,
    query: CdpQuery,
    upgrade: Result<WebSocketUpgrade, ws::rejection::WebSocketUpgradeRejection>,
) -> Result<Response, ApiError> {
    let Some(token) = query.jwt.filter(|t| !t.is_empty()) else {
        return Err(ApiError::unauthorized(
            "a browser's cdp_ws_url needs its token as `?jwt=`",
        ));
    };
    let found = {
        let store = state.store();
        store
            .browsers
            .iter()
            .find(|b| b.is_live() && store.direct.accepts(&b.session_id, &token))
            .map(|b| b.chromium.clone())
    };
    let Some(found) = found else {
        return Err(ApiError::unauthorized(
            "invalid browser token (`jwt`), or the browser session has ended",
        ));
    };
    // A simulated browser has no DevTools to reach; say how to get one
    // rather than leave a CDP client retrying.
    let Some(instance) = found else {
        return Err(ApiError::new(
            StatusCode::NOT_IMPLEMENTED,
            "not_implemented",
            "this kernel-mock has no Chromium behind its browsers: start it with \
             KernelMock::builder().chromium(path) or `kernel-mock --chromium PATH`",
        ));
    };
    let upgrade = upgrade.map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_request",
            format!("expected a websocket upgrade: {e}"),
        )
    })?;
    let connection = instance.connection();
    let running = instance
        .ready()
        .await
        .map_err(|e| ApiError::internal(format!("the browser's Chromium is not running: {e}")))?;
    let connect =
        tokio_tungstenite::connect_async_with_config(&running.ws_url, Some(cdp::ws_config()), true);
    let bad_gateway = |why: String| {
        ApiError::new(
            StatusCode::BAD_GATEWAY,
            "bad_gateway",
            format!("cannot reach the browser's Chromium: {why}"),
        )
    };
    let (upstream, _) = tokio::time::timeout(cdp::CALL_DEADLINE, connect)
        .await
        .map_err(|_| bad_gateway(format!("no answer within {:?}", cdp::CALL_DEADLINE)))?
        .map_err(|e| bad_gateway(e.to_string()))?;
    Ok(upgrade
        .max_message_size(MAX_MESSAGE)
        .max_frame_size(MAX_MESSAGE)
        .on_upgrade(move |socket| async move {
            // Held so the browser's Chromium is not dropped mid-connection.
            let _running = running;
            // An open connection keeps the browser from its idle timeout.
            let _active = connection;
            pipe(socket, upstream).await;
        }))
}

/// Copies frames both ways until either side closes.
async fn pipe<S>(client: WebSocket, upstream: tokio_tungstenite::WebSocketStream<S>)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let (mut client_tx, mut client_rx) = client.split();
    let (mut upstream_tx, mut upstream_rx) = upstream.split();
    let to_chromium = async {
        while let Some(Ok(message)) = client_rx.next().await {
            let message = match message {
                ws::Message::Close(_) => break,
                other => match to_tungstenite(other) {
                    Some(message) => message,
                    None => continue,
                },
            };
            if upstream_tx.send(message).await.is_err() {
                break;
            }
        }
        let _ = upstream_tx.close().await;
    };
    let to_client = async {
        while let Some(Ok(message)) = upstream_rx.next().await {
            let Some(message) = to_axum(message) else {
                continue;
            };
            if client_tx.send(message).await.is_err() {
                break;
            }
        }
        let _ = client_tx.close().await;
    };
    tokio::select! {
        () = to_chromium => {}
        () = to_client => {}
    }
}

/// A client's data frame as Chromium gets it; `None` for control frames,
/// which each side of the proxy answers itself.
fn to_tungstenite(message: ws::Message) -> Option<Message> {
    match message {
        ws::Message::Text(text) => ts::Utf8Bytes::try_from(Bytes::from(text))
            .ok()
            .map(Message::Text),
        ws::Message::Binary(data) => Some(Message::Binary(data)),
        ws::Message::Ping(_) | ws::Message::Pong(_) | ws::Message::Close(_) => None,
    }
}

/// A Chromium data frame as the client gets it; `None` for control frames.
fn to_axum(message: Message) -> Option<ws::Message> {
    match message {
        Message::Text(text) => ws::Utf8Bytes::try_from(Bytes::from(text))
            .ok()
            .map(ws::Message::Text),
        Message::Binary(data) => Some(ws::Message::Binary(data)),
        Message::Ping(_) | Message::Pong(_) | Message::Close(_) | Message::Frame(_) => None,
    }
}
