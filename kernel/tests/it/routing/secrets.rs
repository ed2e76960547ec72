//! The token goes only to the VM and the API key only to the API; neither
//! shows up in traces, errors or `Debug`.

use super::{answer, api, assert_credentials, json_response, Server, JWT, VM_PATH};
use crate::common::{capture_tracing, refused_url, API_KEY};
use kernel::routing::{BrowserRoute, BrowserRouting};
use kernel::{Error, Kernel, Upload};

#[tokio::test]
async fn direct_calls_leak_neither_the_token_nor_the_api_key() {
    let (capture, _guard) = capture_tracing();
    let vm = Server::start(|seen| {
        if seen.path.ends_with("/fs/file_info") {
            json_response(418, "{}")
        } else if seen.path.ends_with("/fs/list_files") {
            json_response(401, format!(r#"{{"message":"bad token jwt={JWT}"}}"#))
        } else {
            answer(seen)
        }
    })
    .await;
    let api = Server::start(api(vm.vm_base())).await;
    let kernel = Kernel::builder()
        .api_key(API_KEY)
        .base_url(&api.url)
        .browser_routing(BrowserRouting::subresources(["process", "fs"]))
        .build()
        .unwrap();
    let browser = kernel.browsers().create().send().await.unwrap();
    let session = kernel.browser(&browser);
    session.process().exec().command("ls").send().await.unwrap();
    // The raw client's error holds the VM's response, URL included.
    let raw = kernel
        .sys()
        .file_info()
        .id("b1")
        .path("/x")
        .send()
        .await
        .unwrap_err();
    let raw = format!("{raw:?}");
    assert!(raw.contains(VM_PATH), "{raw}");
    // Refused by the VM, answered by the API.
    session.fs().list_files().path("/").send().await.unwrap();
    assert_eq!(vm.seen().len(), 3);
    assert_credentials(&api, &vm);

    // An error naming the VM's URL: a streamed upload is not resent.
    kernel.browser_routes().insert(BrowserRoute::new(
        "b1",
        format!("{}{VM_PATH}", refused_url()),
        JWT,
    ));
    let err = session
        .fs()
        .upload()
        .file("/tmp/a", Upload::bytes("x"))
        .send()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Connection(_)), "{err:?}");
    let shown = [
        format!("{err} {err:?} {err:#?}"),
        raw,
        format!("{kernel:?} {:?}", kernel.browser_routes()),
        format!("{:?} {session:?} {browser:?}", session.route()),
        format!("{:?}", BrowserRoute::new("b1", "https://vm", JWT)),
    ];
    for text in &shown {
        assert!(!text.contains(JWT) && !text.contains(API_KEY), "{text}");
    }
    assert!(shown[0].contains("jwt=[redacted]"), "{}", shown[0]);

    let traces = capture.text();
    assert!(!traces.contains(JWT), "the token in traces:\n{traces}");
    assert!(
        !traces.contains(API_KEY),
        "the API key in traces:\n{traces}"
    );
    assert!(traces.contains("route=\"direct\""), "{traces}");
    assert!(traces.contains("route=\"fallback\""), "{traces}");
}
