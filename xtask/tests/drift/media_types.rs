//! Media types and responses: request and response media types, and the
//! success status.

use crate::{assert_drift, drift, op};

#[test]
fn response_media_type_changed() {
    let report = drift(|d| {
        let content = op(d, "takeScreenshot")["responses"]["200"]["content"]
            .as_object_mut()
            .unwrap();
        let png = content.remove("image/png").unwrap();
        content.insert("image/webp".into(), png);
    });
    assert_drift(
        &report,
        &[(
            "media_type_changed",
            "operation takeScreenshot response 200",
        )],
        &[],
    );
    assert_eq!(report.breaking[0].detail, "image/png -> image/webp");
}

#[test]
fn request_media_type_changed() {
    let report = drift(|d| {
        let content = op(d, "writeFile")["requestBody"]["content"]
            .as_object_mut()
            .unwrap();
        let body = content.remove("application/octet-stream").unwrap();
        content.insert("text/plain".into(), body);
    });
    assert_drift(
        &report,
        &[("media_type_changed", "operation writeFile request")],
        &[],
    );
}

#[test]
fn success_status_changed() {
    let report = drift(|d| {
        let responses = op(d, "getBrowsersReplaysById")["responses"]
            .as_object_mut()
            .unwrap();
        let ok = responses.remove("200").unwrap();
        responses.insert("201".into(), ok);
    });
    assert_drift(
        &report,
        &[(
            "response_removed",
            "operation getBrowsersReplaysById response 200",
        )],
        &[(
            "response_added",
            "operation getBrowsersReplaysById response 201",
        )],
    );
}
