//! Deprecated operations stay reachable (behind `#[deprecated]`).

mod common;

use common::client;
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

    let agents = kernel
        .auth()
        .agents()
        .list()
        .limit(5)
        .send()
        .await
        .unwrap();
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

    let projects = kernel
        .legacy_projects()
        .list()
        .send()
        .await
        .unwrap();
    assert_eq!(projects.len(), 1);
    assert_eq!(projects[0].name, "Default");
}

#[tokio::test]
#[allow(deprecated)]
async fn deprecated_operations_are_marked_in_the_operation_table() {
    // Every operation the spec marks deprecated is reachable through an
    // accessor that itself carries `#[deprecated]` (checked in the source:
    // the attribute cannot be observed at run time).
    let deprecated: Vec<&str> = kernel::sys::OPERATIONS
        .iter()
        .filter(|o| o.deprecated)
        .map(|o| o.id)
        .collect();
    assert!(
        deprecated.contains(&"getAgentsAuth") && deprecated.contains(&"getProjects"),
        "{deprecated:?}"
    );
    let src = concat!(env!("CARGO_MANIFEST_DIR"), "/src");
    let mut sources = String::new();
    let mut dirs = vec![std::path::PathBuf::from(src)];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let p = entry.unwrap().path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|e| e == "rs") {
                sources.push_str(&std::fs::read_to_string(p).unwrap());
            }
        }
    }
    let lines: Vec<&str> = sources.lines().collect();
    for id in deprecated {
        let marker = format!("(`{id}`)");
        let at = lines
            .iter()
            .position(|l| l.contains(&marker))
            .unwrap_or_else(|| panic!("no accessor for {id}"));
        // The doc line, then attributes, then the `pub fn`.
        let attrs: Vec<&str> = lines[at + 1..]
            .iter()
            .take_while(|l| !l.trim_start().starts_with("pub fn"))
            .copied()
            .collect();
        assert!(
            attrs.iter().any(|l| l.contains("#[deprecated")),
            "{id}: accessor without #[deprecated]"
        );
    }
}
