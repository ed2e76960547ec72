//! The examples' command-line contracts, driven end to end against the
//! embedded fake.
//!
//! `cargo test --all-targets` compiles examples in test mode (a libtest
//! harness named `login-<hash>`), so `target/debug/examples/login` is either
//! missing or left over from an older `cargo run`. The tests therefore build
//! the examples themselves, once, and run the executables cargo reports.

use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

fn example(name: &str) -> PathBuf {
    static BUILT: OnceLock<HashMap<String, PathBuf>> = OnceLock::new();
    let built = BUILT.get_or_init(|| {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let mut command = Command::new(cargo);
        command
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            // `--workspace`: the feature set of `cargo test --workspace`, so
            // nothing is compiled a second time with other features.
            .args(["build", "--workspace", "--examples"])
            .args(["--message-format", "json-render-diagnostics"]);
        if !cfg!(debug_assertions) {
            command.arg("--release");
        }
        let out = command.stderr(Stdio::inherit()).output().unwrap();
        assert!(out.status.success(), "building the examples failed");
        let mut built = HashMap::new();
        for line in String::from_utf8(out.stdout).unwrap().lines() {
            let message: serde_json::Value = serde_json::from_str(line).unwrap();
            let is_example = message["target"]["kind"] == serde_json::json!(["example"]);
            if let (true, Some(exe)) = (is_example, message["executable"].as_str()) {
                let name = message["target"]["name"].as_str().unwrap().to_owned();
                built.insert(name, PathBuf::from(exe));
            }
        }
        built
    });
    built
        .get(name)
        .unwrap_or_else(|| panic!("cargo built no example named {name}: {built:?}"))
        .clone()
}

fn run(name: &str, args: &[&str], stdin: &str, env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(example(name));
    command
        .args(args)
        .env_remove("KERNEL_API_KEY")
        .env_remove("KERNEL_BASE_URL")
        .env_remove("KERNEL_MOCK_CHROMIUM");
    for (k, v) in env {
        command.env(k, v);
    }
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn quickstart_runs_offline_and_exits_zero() {
    let out = run("quickstart", &[], "", &[]);
    let stdout = text(&out.stdout);
    assert!(
        out.status.success(),
        "stdout:\n{stdout}\nstderr:\n{}",
        text(&out.stderr)
    );
    assert!(
        stdout
            .lines()
            .next()
            .unwrap()
            .contains("embedded fake Kernel"),
        "{stdout}"
    );
    assert!(
        stdout.contains("SUCCESS") && stdout.contains("Logged in"),
        "{stdout}"
    );
    assert!(stdout.contains("seq 1 "), "telemetry followed: {stdout}");
}

#[test]
fn login_password_then_totp_from_a_secret() {
    let out = run(
        "login",
        &[
            "--domain",
            "totp.example",
            "--profile",
            "cli-totp",
            "--value",
            "username=user@example.com",
            "--value",
            "password=correct-horse",
            "--totp-secret",
            "JBSWY3DPEHPK3PXP",
        ],
        "",
        &[],
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let connection: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("the connection as JSON on stdout");
    assert_eq!(connection["status"], "AUTHENTICATED");
    assert_eq!(connection["domain"], "totp.example");
    // One line per transition, and no prompt: everything came from the flags.
    assert!(
        stderr.contains("state: AWAITING_INPUT") && stderr.contains("state: SUCCESS"),
        "{stderr}"
    );
    assert!(!stderr.contains("): "), "nothing was prompted: {stderr}");
}

#[test]
fn login_prompts_for_a_missing_field_after_a_website_error() {
    let out = run(
        "login",
        &[
            "--domain",
            "wrong-password.example",
            "--profile",
            "cli-wrong",
            "--value",
            "username=user@example.com",
            "--value",
            "password=nope",
        ],
        "correct-horse\n",
        &[],
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("Incorrect password"), "{stderr}");
    assert!(
        stderr.contains("password (password): "),
        "prompted on stderr: {stderr}"
    );
    // The prompt came once: the username was not asked again.
    assert!(!stderr.contains("username ("), "{stderr}");
}

#[test]
fn login_failure_and_usage_exit_codes() {
    let out = run(
        "login",
        &["--domain", "bot.example", "--profile", "cli-bot"],
        "",
        &[],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("error: bot_detected: "),
        "{}",
        text(&out.stderr)
    );
    assert!(out.stdout.is_empty());

    let out = run("login", &["--profile", "x"], "", &[]);
    assert_eq!(out.status.code(), Some(2));
    let out = run(
        "login",
        &["--domain", "a", "--profile", "x", "--bogus"],
        "",
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn login_mfa_choice_prompted_then_code() {
    let out = run(
        "login",
        &[
            "--domain",
            "mfa-choice.example",
            "--profile",
            "cli-mfa",
            "--value",
            "username=user@example.com",
            "--value",
            "password=correct-horse",
        ],
        "sms\n123456\n",
        &[],
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("mfa (sms, totp, push): "), "{stderr}");
    assert!(stderr.contains("sms_code ("), "{stderr}");
}

#[tokio::test(flavor = "multi_thread")]
async fn telemetry_prints_seq_and_type() {
    let fake = kernel_mock::KernelMock::builder()
        .telemetry_interval(std::time::Duration::from_millis(20))
        .start()
        .await
        .unwrap();
    let kernel = kernel::Kernel::builder()
        .api_key(fake.api_key())
        .base_url(fake.base_url())
        .build()
        .unwrap();
    let config = kernel::types::BrowserTelemetryConfig::try_from(
        kernel::types::BrowserTelemetryConfig::builder(),
    )
    .unwrap();
    let browser = kernel
        .browsers()
        .create()
        .telemetry(config)
        .send()
        .await
        .unwrap();
    let (url, key, id) = (fake.base_url(), fake.api_key(), browser.session_id.clone());
    let out = tokio::task::spawn_blocking(move || {
        run(
            "telemetry",
            &[&id, "--count", "5"],
            "",
            &[("KERNEL_API_KEY", &key), ("KERNEL_BASE_URL", &url)],
        )
    })
    .await
    .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let lines: Vec<String> = text(&out.stdout).lines().map(str::to_string).collect();
    assert_eq!(lines.len(), 5, "{lines:?}");
    let mut previous = 0;
    for line in &lines {
        let (seq, kind) = line.split_once(' ').expect("`seq type`");
        let seq: u64 = seq.parse().unwrap();
        assert!(seq > previous, "increasing seq: {lines:?}");
        assert!(!kind.is_empty() && !kind.contains(' '), "{line}");
        previous = seq;
    }
    let usage = tokio::task::spawn_blocking(|| run("telemetry", &[], "", &[]))
        .await
        .unwrap();
    assert_eq!(usage.status.code(), Some(2));
}

#[test]
fn browse_drives_a_real_chromium_offline_and_saves_the_screenshot() {
    let chromium = kernel_mock::find_chromium().expect(
        "Chromium is not installed: apt-get install chromium (or set KERNEL_MOCK_CHROMIUM)",
    );
    let dir = tempfile::tempdir().unwrap();
    let shot = dir.path().join("shot.png");
    let out = run(
        "browse",
        &[],
        "",
        &[
            ("KERNEL_MOCK_CHROMIUM", chromium.to_str().unwrap()),
            ("BROWSE_SCREENSHOT", shot.to_str().unwrap()),
        ],
    );
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", text(&out.stderr));
    assert!(stdout.contains("embedded fake Kernel"), "{stdout}");
    assert!(
        stdout.contains(r#"the page says "Hello, Ada!""#),
        "{stdout}"
    );
    assert!(stdout.contains("is deleted"), "{stdout}");
    let png = std::fs::read(&shot).unwrap();
    let reader = png::Decoder::new(std::io::Cursor::new(png))
        .read_info()
        .unwrap();
    assert_eq!((reader.info().width, reader.info().height), (1024, 768));
}

#[test]
fn browse_without_chromium_says_how_to_install_it_and_fails() {
    let empty = tempfile::tempdir().unwrap();
    let out = run(
        "browse",
        &[],
        "",
        &[("PATH", empty.path().to_str().unwrap())],
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("apt-get install chromium"), "{stderr}");
}
