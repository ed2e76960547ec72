//! A local web site for the browsers under test: a form whose button changes
//! the page, a colourful page, and a login that sets a cookie and local
//! storage.

use axum::http::header;
use axum::response::{Html, IntoResponse};
use axum::routing::get;
use axum::Router;

/// Where the button of [`FORM`] is (its centre, in CSS pixels).
pub const BUTTON: (i64, i64) = (150, 80);

/// Where the input of [`FORM`] is (its centre).
pub const INPUT: (i64, i64) = (200, 220);

/// A button at 50..250 x 50..110 that writes "clicked" into `#out`, and an
/// input at 50..350 x 200..240.
const FORM: &str = r#"<!doctype html>
<html><head><title>Form page</title></head>
<body style="margin:0">
<button id="go" style="position:absolute;left:50px;top:50px;width:200px;height:60px"
  onclick="document.getElementById('out').textContent = 'clicked'">Go</button>
<div id="out" style="position:absolute;left:300px;top:50px">waiting</div>
<input id="name" style="position:absolute;left:50px;top:200px;width:300px;height:40px">
</body></html>"#;

/// Stripes of saturated colours over the whole viewport.
const COLOURS: &str = r#"<!doctype html>
<html><head><title>Colours</title></head>
<body style="margin:0;height:100vh;background:linear-gradient(90deg,
  #e6194b 0 25%, #3cb44b 25% 50%, #4363d8 50% 75%, #ffe119 75% 100%)">
</body></html>"#;

/// Logs in: a persistent cookie and a local-storage entry.
const LOGIN: &str = r#"<!doctype html>
<html><head><title>Logged in</title>
<script>localStorage.setItem('user', 'alice');</script></head>
<body>welcome</body></html>"#;

/// Any page of the site's origin, to read its cookies and storage.
const HOME: &str = "<!doctype html><html><head><title>Home</title></head><body>home</body></html>";

/// Serves the site on `127.0.0.1`; its origin, e.g. `http://127.0.0.1:41234`.
pub async fn serve() -> String {
    let app = Router::new()
        .route("/form", get(|| async { Html(FORM) }))
        .route("/colours", get(|| async { Html(COLOURS) }))
        .route("/home", get(|| async { Html(HOME) }))
        .route(
            "/login",
            get(|| async {
                (
                    [(
                        header::SET_COOKIE,
                        "session=alice-token; Max-Age=86400; Path=/",
                    )],
                    Html(LOGIN),
                )
                    .into_response()
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind the site");
    let origin = format!("http://{}", listener.local_addr().expect("site address"));
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    origin
}
