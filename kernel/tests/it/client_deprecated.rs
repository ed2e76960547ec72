//! Deprecated operations stay reachable (behind `#[deprecated]`).

use crate::common::client;
use futures::TryStreamExt;
use kernel::Paginate;
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

#[tokio::test]
#[allow(deprecated)]
async fn legacy_auth_agents_and_projects_are_reachable() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/agents/auth"))
        .and(query_param("limit", "5"))
        .respond_with(
            ResponseTemplate::new(200).insert_header("x-has-more", "false").set_body_json(serde_json::json!([{
                "id": "agent_1", "domain": "example.com", "profile_name": "work", "status": "AUTHENTICATED",
            }])),
        )
        .expect(2)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/projects"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(serde_json::json!([{
                "id": "proj_1", "name": "Default", "status": "active",
                "created_at": "2025-01-01T00:00:00Z", "updated_at": "2025-01-01T00:00:00Z",
            }])),
        )
        .expect(1)
        .mount(&server)
        .await;
    let kernel = client(&server.uri());

    let agents = kernel.auth().agents().list().limit(5).send().await.unwrap();
    assert_eq!(agents.len(), 1);
    assert_eq!(agents[0].id, "agent_1");
    assert_eq!(agents[0].status.as_str(), "AUTHENTICATED");
    // The deprecated list pages like the others.
    let paged: Vec<_> = kernel
        .auth()
        .agents()
        .list()
        .limit(5)
        .items()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(paged.len(), 1);

    let projects = kernel.legacy_projects().list().send().await.unwrap();
    assert_eq!(projects.len(), 1);
    assert_eq!(projects[0].name, "Default");
}
