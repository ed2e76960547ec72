//! The binary's exit codes (0 / 1 / 2), run on specs in a temporary
//! directory.

use crate::vendored;
use serde_json::{json, Value};
use std::path::PathBuf;
use std::process::Command;

struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("xtask-drift-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn xtask(args: &[&std::ffi::OsStr]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(args)
        .output()
        .unwrap();
    let text = |b: Vec<u8>| String::from_utf8(b).unwrap();
    (
        out.status.code().expect("exit code"),
        text(out.stdout),
        text(out.stderr),
    )
}

#[test]
fn exit_codes() {
    let dir = TempDir::new("exit");
    let spec = vendored();
    let old = dir.write("old.json", &serde_json::to_string(&spec).unwrap());
    let mut changed = spec.clone();
    changed["paths"]["/browsers"]
        .as_object_mut()
        .unwrap()
        .remove("get");
    let breaking = dir.write("breaking.json", &serde_json::to_string(&changed).unwrap());
    let mut additive = spec.clone();
    additive["components"]["schemas"]["Browser"]["properties"]["region"] =
        json!({"type": "string"});
    let additive = dir.write("additive.json", &serde_json::to_string(&additive).unwrap());
    let malformed = dir.write("malformed.yaml", "openapi: 3.1.0\npaths: [\n");
    let invalid = dir.write(
        "invalid.yaml",
        "openapi: 3.1.0\ninfo: {title: t, version: '1'}\npaths: {/a: {get: {operationId: a}}}\n",
    );
    let missing = dir.0.join("missing.yaml");
    let vendored_path = xtask::workspace_root().join(xtask::SPEC_PATH);
    let os = |p: &PathBuf| p.as_os_str().to_owned();

    let (code, stdout, _) = xtask(&[
        "drift".as_ref(),
        vendored_path.as_os_str(),
        vendored_path.as_os_str(),
    ]);
    assert_eq!(code, 0, "{stdout}");
    assert!(stdout.contains("## Breaking (0)"), "{stdout}");

    let (code, stdout, _) = xtask(&["drift".as_ref(), &os(&old), &os(&additive)]);
    assert_eq!(code, 0, "additive only: {stdout}");

    let (code, stdout, _) = xtask(&[
        "drift".as_ref(),
        &os(&old),
        &os(&breaking),
        "--json".as_ref(),
    ]);
    assert_eq!(code, 1, "{stdout}");
    let json: Value = serde_json::from_str(&stdout).expect("--json prints JSON");
    assert_eq!(json["breaking"][0]["kind"], "operation_removed");

    let (code, _, stderr) = xtask(&["drift".as_ref(), &os(&old), &os(&malformed)]);
    assert_eq!(code, 2);
    assert!(stderr.contains("malformed.yaml: not YAML/JSON"), "{stderr}");

    let (code, _, stderr) = xtask(&["drift".as_ref(), &os(&old), &os(&invalid)]);
    assert_eq!(code, 2);
    assert!(stderr.contains("GET /a (a): no responses"), "{stderr}");

    let (code, _, stderr) = xtask(&["drift".as_ref(), &os(&missing), &os(&old)]);
    assert_eq!(code, 2);
    assert!(stderr.contains("cannot read"), "{stderr}");

    let (code, _, _) = xtask(&["drift".as_ref(), &os(&old)]);
    assert_eq!(code, 2, "missing argument");
}
