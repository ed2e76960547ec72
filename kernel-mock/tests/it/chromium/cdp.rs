//! A raw CDP client for the tests: JSON over tokio-tungstenite, one command
//! at a time, events kept for later.

use std::time::Duration;

use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// Longest a command may take in the tests.
const DEADLINE: Duration = Duration::from_secs(20);

/// One DevTools connection.
pub struct Cdp {
    socket: WebSocketStream<MaybeTlsStream<TcpStream>>,
    next_id: u64,
    /// Events received so far, oldest first.
    pub events: Vec<Value>,
}

impl Cdp {
    /// Connects to `url` (a browser's `cdp_ws_url`).
    pub async fn connect(url: &str) -> Cdp {
        let (socket, _) = tokio_tungstenite::connect_async(url)
            .await
            .unwrap_or_else(|e| panic!("connect to {url}: {e}"));
        Cdp {
            socket,
            next_id: 1,
            events: Vec::new(),
        }
    }

    /// Sends `method` and returns its `result`; panics on an error answer.
    pub async fn call(&mut self, method: &str, params: Value, session: Option<&str>) -> Value {
        match self.try_call(method, params, session).await {
            Ok(result) => result,
            Err(error) => panic!("{method} failed: {error}"),
        }
    }

    /// Sends `method`; its `result`, or its `error`.
    pub async fn try_call(
        &mut self,
        method: &str,
        params: Value,
        session: Option<&str>,
    ) -> Result<Value, Value> {
        let id = self.next_id;
        self.next_id += 1;
        let mut message = json!({ "id": id, "method": method, "params": params });
        if let Some(session) = session {
            message["sessionId"] = json!(session);
        }
        self.socket
            .send(Message::text(message.to_string()))
            .await
            .expect("send a CDP command");
        let answer = tokio::time::timeout(DEADLINE, async {
            loop {
                let frame = self
                    .socket
                    .next()
                    .await
                    .expect("socket open")
                    .expect("frame");
                let Message::Text(text) = frame else { continue };
                let value: Value = serde_json::from_str(text.as_str()).expect("CDP JSON");
                if value["id"] == json!(id) {
                    return value;
                }
                self.events.push(value);
            }
        })
        .await
        .unwrap_or_else(|_| panic!("{method}: no answer"));
        match answer.get("error") {
            Some(error) => Err(error.clone()),
            None => Ok(answer["result"].clone()),
        }
    }

    /// Evaluates `expression` in `session`'s page; its value.
    pub async fn eval(&mut self, session: &str, expression: &str) -> Value {
        let result = self
            .call(
                "Runtime.evaluate",
                json!({ "expression": expression, "returnByValue": true, "awaitPromise": true }),
                Some(session),
            )
            .await;
        assert!(
            result.get("exceptionDetails").is_none(),
            "{expression} threw: {result}"
        );
        result["result"]["value"].clone()
    }

    /// Polls `expression` in `session` until it is `true` (up to 10 s).
    pub async fn wait_for(&mut self, session: &str, expression: &str) {
        for _ in 0..200 {
            if self.eval(session, expression).await == json!(true) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("{expression} never became true");
    }

    /// A new page target attached with a flatten session: its target id and
    /// session id.
    pub async fn new_page(&mut self) -> (String, String) {
        let created = self
            .call("Target.createTarget", json!({ "url": "about:blank" }), None)
            .await;
        let target = created["targetId"].as_str().expect("targetId").to_owned();
        let attached = self
            .call(
                "Target.attachToTarget",
                json!({ "targetId": target, "flatten": true }),
                None,
            )
            .await;
        let session = attached["sessionId"]
            .as_str()
            .expect("sessionId")
            .to_owned();
        (target, session)
    }

    /// Navigates `session`'s page to `url` and waits for it to load.
    pub async fn goto(&mut self, session: &str, url: &str) {
        let navigated = self
            .call("Page.navigate", json!({ "url": url }), Some(session))
            .await;
        assert!(
            navigated.get("errorText").is_none(),
            "navigate: {navigated}"
        );
        self.wait_for(
            session,
            &format!("location.href === {url:?} && document.readyState === 'complete'"),
        )
        .await;
    }
}
