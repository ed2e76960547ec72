//! Per-operation overrides: a sequence answers once per response and then
//! hands the operation back, a closure answers or passes on, overrides run
//! after authentication and are recorded, and unknown operation ids are
//! refused.

use crate::common::{read, Api};
use kernel_mock::{types, KernelMock, MockResponse};
use serde_json::json;

#[tokio::test]
async fn a_sequence_answers_in_order_then_the_mock_answers() {
    let mock = KernelMock::builder()
        .on_sequence(
            "getProfiles",
            vec![
                MockResponse::error(503, "unavailable", "busy").header("retry-after", "1"),
                MockResponse::new(502),
            ],
        )
        .start()
        .await
        .unwrap();
    let api = Api::new(&mock);
    let first = api.get("/profiles").await;
    assert_eq!(first.status, 503);
    assert_eq!(first.header("retry-after"), Some("1"));
    assert_eq!(first.body["code"], "unavailable");
    assert_eq!(api.get("/profiles").await.status, 502);
    let third = api.get("/profiles").await;
    assert_eq!(third.status, 200);
    assert!(third.body.is_array());
    // Other operations never saw the override.
    assert_eq!(api.get("/credentials").await.status, 200);
    assert_eq!(mock.request_count("getProfiles"), 3);
}

#[tokio::test]
async fn a_closure_answers_some_requests_and_passes_the_rest_on() {
    let mock = KernelMock::start().await.unwrap();
    mock.on("postProfiles", |request| {
        let body: types::ProfileRequest = request.body_as().ok()?;
        (body.name.as_deref() == Some("taken"))
            .then(|| MockResponse::error(409, "conflict", "name taken"))
    })
    .unwrap();
    let api = Api::new(&mock);
    let taken = api.post("/profiles", json!({ "name": "taken" })).await;
    assert_eq!(taken.status, 409);
    assert_eq!(taken.body["message"], "name taken");
    let created = api.post("/profiles", json!({ "name": "free" })).await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    assert_eq!(created.body["name"], "free");
    mock.clear_overrides();
    let again = api.post("/profiles", json!({ "name": "taken" })).await;
    assert_eq!(again.status, 201, "{:?}", again.body);
}

#[tokio::test]
async fn a_typed_body_is_what_the_client_decodes() {
    let profile: types::Profile = serde_json::from_value(json!({
        "id": "prof_fixed",
        "name": "scripted",
        "created_at": "2026-01-01T00:00:00Z",
    }))
    .unwrap();
    let mock = KernelMock::builder()
        .on("getProfileByIdOrName", move |_| {
            Some(MockResponse::json(200, &profile))
        })
        .start()
        .await
        .unwrap();
    let api = Api::new(&mock);
    let reply = api.get("/profiles/anything").await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-type"), Some("application/json"));
    let decoded: types::Profile = serde_json::from_value(reply.body).unwrap();
    assert_eq!(decoded.id, "prof_fixed");
    assert_eq!(decoded.name.as_deref(), Some("scripted"));
}

#[tokio::test]
async fn overrides_run_after_authentication_and_are_recorded() {
    let mock = KernelMock::builder()
        .on_sequence("getProfiles", vec![MockResponse::new(500)])
        .start()
        .await
        .unwrap();
    let api = Api::new(&mock);
    let anonymous = read(api.http.get(api.url("/profiles")).send().await.unwrap()).await;
    assert_eq!(anonymous.status, 401);
    // The unauthenticated request did not use up the sequence.
    assert_eq!(api.get("/profiles").await.status, 500);
    let recorded = mock.requests();
    assert_eq!(recorded.len(), 2);
    assert!(recorded
        .iter()
        .all(|r| r.operation_id.as_deref() == Some("getProfiles")));
}

#[tokio::test]
async fn unknown_operation_ids_are_refused() {
    let error = KernelMock::builder()
        .on("getProfilez", |_| None)
        .start()
        .await
        .unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput);
    assert!(error.to_string().contains("getProfilez"), "{error}");
    let mock = KernelMock::start().await.unwrap();
    let error = mock.on_sequence("nope", vec![]).unwrap_err();
    assert_eq!(error.0, "nope");
}

#[tokio::test]
async fn faults_still_apply_to_overridden_operations() {
    let mock = KernelMock::builder()
        .on("getProfiles", |_| Some(MockResponse::new(204)))
        .start()
        .await
        .unwrap();
    mock.faults().inject(
        kernel_mock::FaultRule::status(429)
            .operation("getProfiles")
            .times(1),
    );
    let api = Api::new(&mock);
    assert_eq!(api.get("/profiles").await.status, 429);
    assert_eq!(api.get("/profiles").await.status, 204);
}
