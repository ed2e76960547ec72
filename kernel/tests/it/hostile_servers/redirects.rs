//! A `307` on `POST /credentials` to another host re-sent the body,
//! password included: redirects now stay within the API's origin.

use crate::common;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::routing::{get, post};
use kernel::Error;
use std::sync::{Arc, Mutex};

/// A server on another port (another origin) that records the bodies it
/// receives.
async fn elsewhere() -> (String, Arc<Mutex<Vec<String>>>) {
    let bodies = Arc::new(Mutex::new(Vec::new()));
    let router = axum::Router::new()
        .fallback(
            |State(bodies): State<Arc<Mutex<Vec<String>>>>, body: String| async move {
                bodies.lock().unwrap().push(body);
                StatusCode::OK
            },
        )
        .with_state(bodies.clone());
    (common::serve(router).await, bodies)
}

fn redirect_to(location: String) -> axum::response::Response {
    axum::response::Response::builder()
        .status(307)
        .header(header::LOCATION, location)
        .body(axum::body::Body::empty())
        .unwrap()
}

#[tokio::test]
async fn a_redirect_to_another_origin_is_not_followed_with_the_body() {
    let (other, received) = elsewhere().await;
    let target = format!("{other}/steal?jwt=SECRETJWT");
    let router = axum::Router::new().route(
        "/credentials",
        post(move || {
            let target = target.clone();
            async move { redirect_to(target) }
        }),
    );
    let base = common::serve(router).await;
    let err = common::client(&base)
        .credentials()
        .create()
        .name("c")
        .domain("example.com")
        .values([("password", "hunter2-SECRET")])
        .send()
        .await
        .unwrap_err();
    match &err {
        Error::Redirect { status, location } => {
            assert_eq!(*status, 307);
            assert!(
                location.starts_with(&other),
                "names the location: {location}"
            );
        }
        other => panic!("expected Error::Redirect, got {other:?}"),
    }
    let text = err.to_string();
    assert!(text.contains(&other), "{text}");
    assert!(!text.contains("SECRETJWT"), "the jwt is redacted: {text}");
    assert!(
        received.lock().unwrap().is_empty(),
        "nothing reached the other origin: {:?}",
        received.lock().unwrap()
    );
}

#[tokio::test]
async fn a_same_origin_redirect_is_followed() {
    let router = axum::Router::new()
        .route(
            "/browsers/{id}",
            get(|| async { redirect_to("/moved/b1".into()) }),
        )
        .route(
            "/moved/{id}",
            get(|| async { axum::Json(common::browser_json("b1")) }),
        );
    let base = common::serve(router).await;
    let browser = common::client(&base)
        .browsers()
        .get("b1")
        .send()
        .await
        .expect("followed within the origin");
    assert_eq!(browser.session_id, "b1");
}

#[tokio::test]
async fn a_redirect_loop_within_the_origin_ends() {
    let router = axum::Router::new().route(
        "/browsers/{id}",
        get(|| async { redirect_to("/browsers/again".into()) }),
    );
    let base = common::serve(router).await;
    let err = common::client(&base)
        .browsers()
        .get("b1")
        .send()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Redirect { .. }), "{err:?}");
}
