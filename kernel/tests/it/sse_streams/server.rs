//! A scriptable SSE server that logs every connection, so "does not
//! reconnect" is checked on the server side.

use super::*;

/// One request the server received.
#[derive(Clone, Debug)]
pub(super) struct Conn {
    pub(super) path: String,
    pub(super) query: String,
    pub(super) last_event_id: Option<String>,
    /// 0-based number of this request among the requests for `path`.
    pub(super) index: usize,
    pub(super) at: Instant,
}

/// What the body of a response does, in order.
#[derive(Clone, Debug)]
pub(super) enum Step {
    Send(Bytes),
    Sleep(Duration),
    /// Aborts the connection: no clean end of the chunked body.
    Abort,
    /// Keeps the connection open, sending nothing, until the client leaves.
    Hold,
}

#[derive(Clone, Debug)]
pub(super) enum Reply {
    Sse(Vec<Step>),
    /// A JSON error response with this status.
    Status(u16),
}

pub(super) type Script = dyn Fn(&Conn) -> Reply + Send + Sync;

pub(super) struct ServerState {
    pub(super) script: Box<Script>,
    pub(super) log: Mutex<Vec<Conn>>,
}

pub(super) struct Server {
    pub(super) url: String,
    pub(super) state: Arc<ServerState>,
}

impl Server {
    /// Serves every request with `script`.
    pub(super) async fn start(script: impl Fn(&Conn) -> Reply + Send + Sync + 'static) -> Server {
        let state = Arc::new(ServerState {
            script: Box::new(script),
            log: Mutex::new(Vec::new()),
        });
        let app = axum::Router::new()
            .fallback(handle)
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Server { url, state }
    }

    /// Serves request `i` of each path with the `i`-th reply of its list;
    /// requests beyond the list (and unknown paths) get a 404.
    pub(super) async fn table(routes: Vec<(String, Vec<Reply>)>) -> Server {
        Server::start(move |conn| {
            routes
                .iter()
                .find(|(path, _)| *path == conn.path)
                .and_then(|(_, replies)| replies.get(conn.index).cloned())
                .unwrap_or(Reply::Status(404))
        })
        .await
    }

    pub(super) fn conns(&self, path: &str) -> Vec<Conn> {
        self.state
            .log
            .lock()
            .unwrap()
            .iter()
            .filter(|c| c.path == path)
            .cloned()
            .collect()
    }

    pub(super) fn count(&self, path: &str) -> usize {
        self.conns(path).len()
    }
}

async fn handle(State(state): State<Arc<ServerState>>, request: Request) -> Response {
    let path = request.uri().path().to_owned();
    let query = request.uri().query().unwrap_or_default().to_owned();
    let last_event_id = request
        .headers()
        .get("last-event-id")
        .map(|v| v.to_str().expect("ASCII Last-Event-ID").to_owned());
    let conn = {
        let mut log = state.log.lock().unwrap();
        let index = log.iter().filter(|c| c.path == path).count();
        let conn = Conn {
            path,
            query,
            last_event_id,
            index,
            at: Instant::now(),
        };
        log.push(conn.clone());
        conn
    };
    match (state.script)(&conn) {
        Reply::Status(status) => Response::builder()
            .status(status)
            .header("content-type", "application/json")
            .body(Body::from(
                json!({"code": "not_found", "message": "gone"}).to_string(),
            ))
            .unwrap(),
        Reply::Sse(steps) => {
            let body = futures::stream::unfold(steps.into_iter(), |mut steps| async move {
                loop {
                    match steps.next()? {
                        Step::Send(bytes) => return Some((Ok(bytes), steps)),
                        Step::Sleep(pause) => tokio::time::sleep(pause).await,
                        Step::Abort => {
                            let cut = std::io::Error::new(
                                std::io::ErrorKind::ConnectionAborted,
                                "test: cut",
                            );
                            return Some((Err(cut), steps));
                        }
                        Step::Hold => std::future::pending::<()>().await,
                    }
                }
            });
            Response::builder()
                .header("content-type", "text/event-stream")
                .header("cache-control", "no-cache")
                .body(Body::from_stream(body))
                .unwrap()
        }
    }
}

/// Builds the body of an SSE response.
#[derive(Clone, Debug, Default)]
pub(super) struct Sse(Vec<Step>);

impl Sse {
    pub(super) fn new() -> Sse {
        Sse::default()
    }

    pub(super) fn raw(mut self, bytes: impl Into<Bytes>) -> Sse {
        self.0.push(Step::Send(bytes.into()));
        self
    }

    /// One event frame of endpoint `ep` carrying `value` (see [`Ep::frame`]).
    pub(super) fn ev(self, ep: Ep, value: &Value) -> Sse {
        self.raw(ep.frame(value))
    }

    pub(super) fn evs<'a>(mut self, ep: Ep, values: impl IntoIterator<Item = &'a Value>) -> Sse {
        for value in values {
            self = self.ev(ep, value);
        }
        self
    }

    pub(super) fn keepalive(self) -> Sse {
        self.raw(": keepalive\n\n")
    }

    pub(super) fn retry(self, ms: u64) -> Sse {
        self.raw(format!("retry: {ms}\n\n"))
    }

    pub(super) fn sleep(mut self, ms: u64) -> Sse {
        self.0.push(Step::Sleep(Duration::from_millis(ms)));
        self
    }

    /// Cuts the connection; the pause lets the server flush what it sent.
    pub(super) fn abort(mut self) -> Sse {
        self.0.push(Step::Sleep(Duration::from_millis(10)));
        self.0.push(Step::Abort);
        self
    }

    pub(super) fn hold(mut self) -> Sse {
        self.0.push(Step::Hold);
        self
    }

    /// The whole body as one write (one chunk on the wire).
    pub(super) fn one_chunk(self) -> Sse {
        let mut all = Vec::new();
        let mut rest = Vec::new();
        for step in self.0 {
            match step {
                Step::Send(bytes) if rest.is_empty() => all.extend_from_slice(&bytes),
                other => rest.push(other),
            }
        }
        let mut steps = vec![Step::Send(all.into())];
        steps.extend(rest);
        Sse(steps)
    }

    pub(super) fn reply(self) -> Reply {
        Reply::Sse(self.0)
    }
}
