//! Deployments: the lifecycle and its event stream, apps, invoking deployed
//! actions, pagination and malformed forms.

use std::time::Duration;

use reqwest::multipart::{Form, Part};
use reqwest::StatusCode;
use serde_json::{json, Value};

use super::{assert_error, part, send_form, zip};
use crate::common::{fast_mock, Api, StreamEnd};

/// A deployment form of app `app` with `actions`.
fn deployment(app: &str, version: &str, actions: &str) -> Form {
    Form::new()
        .part(
            "file",
            part(zip(&[("src/app.py", b"print('app')")]), "bundle.zip"),
        )
        .text("entrypoint_rel_path", "src/app.py")
        .text("version", version.to_owned())
        .text("env_vars[KERNEL_MOCK_APP_NAME]", app.to_owned())
        .text("env_vars[KERNEL_MOCK_ACTIONS]", actions.to_owned())
}

/// Follows a deployment's events until the stream ends; every event.
async fn follow(api: &Api, id: &str) -> Vec<Value> {
    let mut reader = api.sse(&format!("/deployments/{id}/events"), None).await;
    let mut events = Vec::new();
    while let Some(frame) = reader.next_event(Duration::from_secs(5)).await {
        events.push(frame.json());
    }
    assert_eq!(reader.ended, Some(StreamEnd::Clean));
    events
}

fn states(events: &[Value]) -> Vec<&str> {
    events
        .iter()
        .filter(|e| e["event"] == "deployment_state")
        .map(|e| e["deployment"]["status"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn a_deployment_runs_and_its_actions_can_be_invoked() {
    let mock = fast_mock().await;
    let api = Api::new(&mock);
    let created = send_form(
        &api,
        "/deployments",
        deployment("shop", "1.0.0", "buy,sell"),
    )
    .await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    assert_eq!(created.body["status"], "queued");
    assert_eq!(created.body["entrypoint_rel_path"], "src/app.py");
    assert_eq!(created.body["env_vars"]["KERNEL_MOCK_APP_NAME"], "shop");
    let id = created.body["id"].as_str().unwrap().to_owned();

    let events = follow(&api, &id).await;
    assert_eq!(states(&events), ["queued", "in_progress", "running"]);
    let summary = events
        .iter()
        .find(|e| e["event"] == "app_version_summary")
        .expect("app_version_summary");
    assert_eq!(summary["app_name"], "shop");
    assert_eq!(summary["version"], "1.0.0");
    assert!(events.iter().any(|e| e["event"] == "log"));
    assert_eq!(
        api.get(&format!("/deployments/{id}")).await.body["status"],
        "running"
    );

    let apps = api.get("/apps?app_name=shop").await;
    assert_eq!(apps.status, 200);
    assert_eq!(apps.header("x-has-more"), Some("false"));
    let app = &apps.body[0];
    assert_eq!(app["deployment"], id.as_str());
    assert_eq!(app["region"], "aws.us-east-1a");
    let actions: Vec<&str> = app["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["buy", "sell"]);
    assert_eq!(
        api.get("/apps?query=SHO")
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        api.get("/apps?version=2")
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        0
    );

    let invoke = |app: &str, version: &str, action: &str| json!({ "app_name": app, "version": version, "action_name": action });
    let done = api
        .post("/invocations", invoke("shop", "1.0.0", "buy"))
        .await;
    assert_eq!(done.status, 200, "{:?}", done.body);
    assert_eq!(done.body["status"], "succeeded");
    let latest = api
        .post("/invocations", invoke("shop", "latest", "sell"))
        .await;
    assert_eq!(latest.status, 200, "{:?}", latest.body);
    let unknown = api
        .post("/invocations", invoke("shop", "1.0.0", "steal"))
        .await;
    assert_error(&unknown, 404);
    assert!(unknown.body["message"]
        .as_str()
        .unwrap()
        .contains("buy, sell"));
    assert_error(
        &api.post("/invocations", invoke("shop", "0.1", "buy")).await,
        404,
    );
    // An app that was never deployed is accepted as before.
    let free = api
        .post("/invocations", invoke("adhoc", "1", "anything"))
        .await;
    assert_eq!(free.status, 200, "{:?}", free.body);

    // Redeploying the same version needs force, which stops the old one.
    let again = send_form(&api, "/deployments", deployment("shop", "1.0.0", "buy")).await;
    assert_error(&again, 400);
    let forced = send_form(
        &api,
        "/deployments",
        deployment("shop", "1.0.0", "buy").text("force", "true"),
    )
    .await;
    assert_eq!(forced.status, 201, "{:?}", forced.body);
    let old = api.get(&format!("/deployments/{id}")).await;
    assert_eq!(old.body["status"], "stopped");
    let new_id = forced.body["id"].as_str().unwrap().to_owned();
    assert_eq!(
        states(&follow(&api, &new_id).await).last(),
        Some(&"running")
    );
    assert_error(
        &api.post("/invocations", invoke("shop", "1.0.0", "sell"))
            .await,
        404,
    );

    // Deleting stops the deployment: no app left, the app is not invocable.
    assert_eq!(
        api.delete(&format!("/deployments/{new_id}")).await.status,
        204
    );
    assert_eq!(
        api.delete(&format!("/deployments/{new_id}")).await.status,
        204
    );
    let stopped = follow(&api, &new_id).await;
    assert_eq!(states(&stopped).last(), Some(&"stopped"));
    assert_eq!(api.get("/apps").await.body.as_array().unwrap().len(), 0);
    assert_error(
        &api.post("/invocations", invoke("shop", "1.0.0", "buy"))
            .await,
        404,
    );
    assert_error(&api.delete("/deployments/nope").await, 404);
}

#[tokio::test]
async fn a_zip_without_its_entrypoint_fails_to_build() {
    let mock = fast_mock().await;
    let api = Api::new(&mock);
    let form = Form::new()
        .part("file", part(zip(&[("main.py", b"")]), "svc.zip"))
        .text("entrypoint_rel_path", "src/app.py");
    let created = send_form(&api, "/deployments", form).await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    let id = created.body["id"].as_str().unwrap().to_owned();
    let events = follow(&api, &id).await;
    assert_eq!(states(&events), ["queued", "in_progress", "failed"]);
    let error = events
        .iter()
        .find(|e| e["event"] == "error")
        .expect("error event");
    assert!(error["error"]["message"]
        .as_str()
        .unwrap()
        .contains("src/app.py"));
    let failed = api.get(&format!("/deployments/{id}")).await;
    assert_eq!(failed.body["status"], "failed");
    assert!(failed.body["status_reason"]
        .as_str()
        .unwrap()
        .contains("src/app.py"));
    // The app named after the zip file is known now, and not running.
    let reply = api
        .post(
            "/invocations",
            json!({ "app_name": "svc", "version": "latest", "action_name": "run" }),
        )
        .await;
    assert_error(&reply, 404);
}

#[tokio::test]
async fn deployments_list_with_pagination_and_filters() {
    let mock = fast_mock().await;
    let api = Api::new(&mock);
    for version in ["1", "2", "3"] {
        let reply = send_form(&api, "/deployments", deployment("paged", version, "run")).await;
        assert_eq!(reply.status, 201, "{:?}", reply.body);
    }
    let source = json!({ "type": "github", "url": "https://github.com/acme/crawler.git", "ref": "main",
                         "path": "apps/crawler", "entrypoint": "index.ts" });
    let form = Form::new()
        .part(
            "source",
            Part::text(source.to_string())
                .mime_str("application/json")
                .unwrap(),
        )
        .text("env_vars", json!({ "TOKEN": "t" }).to_string());
    let from_source = send_form(&api, "/deployments", form).await;
    assert_eq!(from_source.status, 201, "{:?}", from_source.body);
    assert_eq!(
        from_source.body["entrypoint_rel_path"],
        "apps/crawler/index.ts"
    );
    assert_eq!(from_source.body["env_vars"]["TOKEN"], "t");

    let page = api.get("/deployments?limit=2").await;
    assert_eq!(page.status, 200);
    assert_eq!(page.body.as_array().unwrap().len(), 2);
    assert_eq!(page.header("x-limit"), Some("2"));
    assert_eq!(page.header("x-has-more"), Some("true"));
    assert_eq!(page.header("x-next-offset"), Some("2"));
    let rest = api.get("/deployments?limit=2&offset=2").await;
    assert_eq!(rest.body.as_array().unwrap().len(), 2);
    assert_eq!(rest.header("x-has-more"), Some("false"));
    let filtered = api.get("/deployments?app_name=paged&app_version=2").await;
    assert_eq!(filtered.body.as_array().unwrap().len(), 1);
    assert_eq!(
        api.get("/deployments?app_name=crawler")
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_error(&api.get("/deployments?app_version=2").await, 400);
    assert_error(&api.get("/deployments?offset=-1").await, 400);

    let id = from_source.body["id"].as_str().unwrap().to_owned();
    assert_eq!(states(&follow(&api, &id).await).last(), Some(&"running"));
    let apps = api.get("/apps?limit=1").await;
    assert_eq!(apps.header("x-has-more"), Some("true"));
    assert_eq!(apps.body.as_array().unwrap().len(), 1);
    assert_error(
        &api.get(&format!("/deployments/{id}/events?since=soon"))
            .await,
        400,
    );
    assert_error(&api.get("/deployments/nope/events").await, 404);
}

#[tokio::test]
async fn malformed_deployment_forms_are_rejected() {
    let mock = fast_mock().await;
    let api = Api::new(&mock);
    let app_zip = || part(zip(&[("app.py", b"")]), "a.zip");
    let source = || {
        Part::text(json!({ "type": "github", "url": "https://github.com/o/r", "ref": "main", "entrypoint": "a.ts" }).to_string())
    };
    let cases = [
        (Form::new(), "nothing"),
        (Form::new().part("file", app_zip()), "no entrypoint"),
        (Form::new().text("entrypoint_rel_path", "app.py"), "no file"),
        (
            Form::new()
                .part("file", app_zip())
                .text("entrypoint_rel_path", "app.py")
                .part("source", source()),
            "both",
        ),
        (
            Form::new()
                .part("file", part(b"plain text".to_vec(), "a.zip"))
                .text("entrypoint_rel_path", "app.py"),
            "not a zip",
        ),
        (
            Form::new()
                .part("file", app_zip())
                .text("entrypoint_rel_path", "../app.py"),
            "entrypoint outside",
        ),
        (
            Form::new()
                .part("file", app_zip())
                .text("entrypoint_rel_path", "app.py")
                .text("region", "eu-west-1"),
            "region",
        ),
        (
            Form::new()
                .part("file", app_zip())
                .text("entrypoint_rel_path", "app.py")
                .text("env_vars", "[1]"),
            "env_vars not an object",
        ),
        (
            Form::new()
                .part("file", app_zip())
                .text("entrypoint_rel_path", "app.py")
                .text("name", "x"),
            "unknown field",
        ),
        (
            Form::new().part("source", Part::text(r#"{"type":"gitlab","url":"https://github.com/o/r","ref":"m","entrypoint":"a"}"#)),
            "source type",
        ),
        (Form::new().part("source", Part::text("{")), "source JSON"),
    ];
    for (form, why) in cases {
        let reply = send_form(&api, "/deployments", form).await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{why}: {:?}",
            reply.body
        );
        assert_error(&reply, 400);
    }
    let not_multipart = api.post("/deployments", json!({ "version": "1" })).await;
    assert_error(&not_multipart, 400);
    assert_eq!(
        api.get("/deployments").await.body.as_array().unwrap().len(),
        0
    );
}
