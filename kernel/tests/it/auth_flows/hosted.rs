//! The hosted flow and its URL.

use super::{connection, mock, success};
use kernel::auth::Answer;
use kernel_mock::sites::{PASSWORD, USERNAME};
use kernel_testkit::client::{on_fake, within};
use std::time::Duration;

#[tokio::test]
async fn hosted_flow() {
    let mock = mock().await;
    let kernel = on_fake(&mock);
    let id = connection(&kernel, "password.example", "hosted").await;
    let hosted = kernel
        .auth()
        .connections()
        .start_hosted(&id)
        .send()
        .await
        .unwrap();
    assert!(
        hosted
            .hosted_url
            .starts_with("https://hosted.kernel-mock.invalid/login/"),
        "{}",
        hosted.hosted_url
    );

    let success_url = "https://app.example/done?next=/home&x=1 2";
    let error_url = "https://app.example/error#frag";
    let url = reqwest::Url::parse(&hosted.url(Some(success_url), Some(error_url))).unwrap();
    let base = reqwest::Url::parse(&hosted.hosted_url).unwrap();
    assert_eq!((url.host_str(), url.path()), (base.host_str(), base.path()));
    let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    assert_eq!(
        pairs,
        [
            ("success_url".to_string(), success_url.to_string()),
            ("error_url".to_string(), error_url.to_string())
        ]
    );
    let only_error = reqwest::Url::parse(&hosted.url(None, Some(error_url))).unwrap();
    assert_eq!(
        only_error.query_pairs().into_owned().collect::<Vec<_>>(),
        [("error_url".to_string(), error_url.to_string())]
    );

    // The user logs in on the hosted page while the app waits.
    let waiting = tokio::spawn(hosted.wait());
    let connections = kernel.auth().connections();
    within(Duration::from_secs(10), async {
        loop {
            let connection = connections.get(&id).send().await.unwrap();
            if connection.flow_step.as_ref().map(|s| s.as_str()) == Some("AWAITING_INPUT") {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
    assert!(!waiting.is_finished());
    let body = Answer::fields([("username", USERNAME), ("password", PASSWORD)]).to_submit_request();
    connections.submit(&id).body(body).send().await.unwrap();
    let outcome = within(Duration::from_secs(10), waiting)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(success(outcome).id, id);
}

/// Without redirect URLs the hosted URL is returned as it is (no stray `?`).
#[tokio::test]
async fn hosted_url_without_redirects_is_unchanged() {
    let mock = mock().await;
    let kernel = on_fake(&mock);
    let id = connection(&kernel, "password.example", "hosted-plain").await;
    let hosted = kernel
        .auth()
        .connections()
        .start_hosted(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(hosted.url(None, None), hosted.hosted_url);
}
