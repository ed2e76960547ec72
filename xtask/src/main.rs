//! `cargo xtask <command>`: the maintainer commands (see `docs/MAINTAINING.md`).
//!
//! Arguments are parsed by hand: five commands with at most two positional
//! arguments and one flag do not justify `clap`'s build time in a crate every
//! CI run compiles.

use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
mod package_check;
mod tools;

use package_check::package_check;
use xtask::{drift, mirror};
use xtask::{
    imports, load_spec, parse_spec, surface, validate, workspace_root, SpecError, SPEC_PATH,
};

const USAGE: &str = "\
usage: cargo xtask <command>

commands:
  update-spec <PATH>           validate PATH, vendor it as openapi/kernel-openapi.yaml,
                               regenerate, run the API-surface snapshot test, print the drift report
  drift <OLD> <NEW> [--json]   classify what changed between two specs
                               exit 0: nothing breaking, 1: breaking changes, 2: an input is unreadable or invalid
  surface [PATH]               print the API surface (default: the vendored spec)
  sync                         copy the vendored spec and the license files into the crates that publish them
  check                        CI gate: the vendored spec is valid, its copies are current, snapshots are
                               current, kernel-sys builds
  package-check                package the published crates (each verified from its own files), then build
                               and run tests/consumer against the packages, as a user depending on
                               `kernel = \"0.1\"` would
  release-check [REF]          the drift of the vendored spec since REF (default: the last git tag) and the
                               version the release needs; exit 0, or 2 when REF or its spec is unreadable
  test                         set up Prism and schemathesis, run check, then every test and package-check";

/// Exit code for success / nothing breaking.
const OK: u8 = 0;
/// `drift`: something breaking changed. Other commands: a step failed.
const FAILED: u8 = 1;
/// An input could not be read or is not a valid spec; also bad usage.
const BAD_INPUT: u8 = 2;

/// A failed command: what to print and the exit code.
struct Failure {
    code: u8,
    message: String,
}

impl Failure {
    fn step(message: impl Into<String>) -> Self {
        Failure {
            code: FAILED,
            message: message.into(),
        }
    }

    fn input(message: impl fmt::Display) -> Self {
        Failure {
            code: BAD_INPUT,
            message: message.to_string(),
        }
    }
}

impl From<SpecError> for Failure {
    fn from(e: SpecError) -> Self {
        Failure::input(e)
    }
}

fn main() -> ExitCode {
    let args: Result<Vec<String>, OsString> = std::env::args_os()
        .skip(1)
        .map(OsString::into_string)
        .collect();
    let args = match args {
        Ok(args) => args,
        Err(arg) => {
            eprintln!("error: argument {arg:?} is not valid UTF-8");
            return ExitCode::from(BAD_INPUT);
        }
    };
    let result = match args.first().map(String::as_str) {
        Some("update-spec") => match &args[1..] {
            [path] => update_spec(Path::new(path)),
            _ => Err(usage("update-spec takes one path")),
        },
        Some("drift") => drift_command(&args[1..]),
        Some("surface") => match &args[1..] {
            [] => print_surface(&workspace_root().join(SPEC_PATH)),
            [path] => print_surface(Path::new(path)),
            _ => Err(usage("surface takes at most one path")),
        },
        Some("sync") if args.len() == 1 => sync(),
        Some("check") if args.len() == 1 => check(),
        Some("package-check") if args.len() == 1 => package_check(),
        Some("release-check") => match &args[1..] {
            [] => release_check(None),
            [reference] => release_check(Some(reference)),
            _ => Err(usage("release-check takes at most one git ref")),
        },
        Some("test") if args.len() == 1 => test(),
        Some("-h" | "--help" | "help") => {
            println!("{USAGE}");
            Ok(OK)
        }
        Some(other) => Err(usage(&format!("unknown command or arguments: {other}"))),
        None => Err(usage("no command given")),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(failure) => {
            eprintln!("error: {}", failure.message);
            ExitCode::from(failure.code)
        }
    }
}

fn usage(problem: &str) -> Failure {
    Failure::input(format!("{problem}\n\n{USAGE}"))
}

// ----- drift / surface -----

fn drift_command(args: &[String]) -> Result<u8, Failure> {
    let json = args.iter().any(|a| a == "--json");
    let paths: Vec<&String> = args.iter().filter(|a| *a != "--json").collect();
    if let Some(flag) = paths.iter().find(|a| a.starts_with("--")) {
        return Err(usage(&format!("unknown flag {flag}")));
    }
    let [old, new] = paths.as_slice() else {
        return Err(usage("drift takes two paths: OLD NEW"));
    };
    let report = drift::diff_files(Path::new(old), Path::new(new))?;
    if json {
        // Not exit code 1: that means "breaking" to tools.
        let text = serde_json::to_string_pretty(&report.to_json())
            .map_err(|e| Failure::input(format!("cannot print the report: {e}")))?;
        println!("{text}");
    } else {
        println!("# API drift: {old} -> {new}\n");
        print!("{}", report.to_text());
    }
    Ok(if report.breaking.is_empty() {
        OK
    } else {
        FAILED
    })
}

fn print_surface(path: &Path) -> Result<u8, Failure> {
    let spec = load_spec(path)?;
    print!("{}", surface::render(&spec));
    Ok(OK)
}

// ----- running tools -----

fn cargo() -> OsString {
    // Set by `cargo run`: the same toolchain that built this binary.
    std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into())
}

fn describe(cmd: &Command) -> String {
    let mut text = cmd.get_program().to_string_lossy().into_owned();
    for arg in cmd.get_args() {
        text.push(' ');
        text.push_str(&arg.to_string_lossy());
    }
    text
}

/// Runs a step with inherited output; a non-zero exit is a failure.
fn run(step: &str, cmd: &mut Command) -> Result<(), Failure> {
    println!("==> {step}: {}", describe(cmd));
    let status = cmd
        .current_dir(workspace_root())
        .status()
        .map_err(|e| Failure::step(format!("{step}: cannot run `{}`: {e}", describe(cmd))))?;
    if status.success() {
        Ok(())
    } else {
        Err(Failure::step(format!(
            "{step} failed ({status}): {}",
            describe(cmd)
        )))
    }
}

fn build_kernel_sys() -> Result<(), Failure> {
    run(
        "regenerate and build kernel-sys",
        Command::new(cargo()).args(["build", "-p", "kernel-sys"]),
    )
}

fn snapshot_test(insta_update: &str) -> Command {
    let mut cmd = Command::new(cargo());
    cmd.args([
        "test",
        "-p",
        "kernel-workspace-tests",
        "--test",
        "it",
        "api_surface::",
    ])
    .env("INSTA_UPDATE", insta_update)
    .env_remove("INSTA_FORCE_PASS");
    cmd
}

fn pending_snapshots() -> Vec<PathBuf> {
    let dir = workspace_root().join("tests/snapshots");
    let entries = std::fs::read_dir(dir).into_iter().flatten().flatten();
    entries
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "new"))
        .collect()
}

// ----- update-spec -----

fn update_spec(path: &Path) -> Result<u8, Failure> {
    let root = workspace_root();
    let target = root.join(SPEC_PATH);
    println!("==> validate {}", path.display());
    let bytes = std::fs::read(path)
        .map_err(|e| Failure::input(format!("cannot read {}: {e}", path.display())))?;
    let text = String::from_utf8(bytes.clone())
        .map_err(|_| Failure::input(format!("{} is not UTF-8 text", path.display())))?;
    let new = parse_spec(&text, &path.display().to_string())
        .map_err(|e| Failure::input(format!("{e}\n{SPEC_PATH} was left untouched")))?;
    validate::check_generator(&new).map_err(|e| {
        Failure::input(format!(
            "{}: {e}\n{SPEC_PATH} was left untouched",
            path.display()
        ))
    })?;

    let old_bytes = std::fs::read(&target).ok();
    if old_bytes.as_deref() == Some(bytes.as_slice()) {
        println!(
            "{} is already identical to {}: nothing to do",
            target.display(),
            path.display()
        );
        return Ok(OK);
    }
    // The old spec is about to be overwritten: compute the drift first.
    let report = match load_spec(&target) {
        Ok(old) => drift::diff(&old, &new)
            .map_err(|e| eprintln!("warning: no drift report: {e}"))
            .ok(),
        Err(e) => {
            eprintln!(
                "warning: the previous spec cannot be read, so there is no drift report: {e}"
            );
            None
        }
    };

    println!("==> vendor {} as {}", path.display(), target.display());
    let staging = target.with_extension("yaml.tmp");
    std::fs::write(&staging, &bytes)
        .and_then(|()| std::fs::rename(&staging, &target))
        .map_err(|e| Failure::step(format!("cannot write {}: {e}", target.display())))?;
    sync()?;

    let print_report = || {
        if let Some(report) = &report {
            println!(
                "\n# API drift: previous {SPEC_PATH} -> {}\n",
                path.display()
            );
            print!("{}", report.to_text());
        }
    };
    if let Err(e) = build_kernel_sys() {
        print_report();
        return Err(Failure::step(format!(
            "{}\nThe new spec is vendored but kernel-sys does not build from it: fix the codegen transforms, \
             or restore the previous spec with `git checkout -- {SPEC_PATH} {}/{SPEC_PATH}`.",
            e.message,
            mirror::SYS_DIR
        )));
    }
    for stale in pending_snapshots() {
        // Leftovers from an earlier run would be mistaken for this run's.
        let _ = std::fs::remove_file(stale);
    }
    // `new`: write `.snap.new` files for review even when `CI` is set.
    let snapshots = run("API-surface snapshot test", &mut snapshot_test("new"));
    let pending = pending_snapshots();
    match (snapshots, pending.is_empty()) {
        (Ok(()), _) => println!("The API surface snapshot is unchanged."),
        (Err(_), false) => {
            println!(
                "\nThe API surface changed. Review the snapshot diff and accept or reject it with:"
            );
            println!("    cargo insta review        (install once: cargo install cargo-insta)");
            println!("or, without the tool, read the diff above and accept it by moving the new snapshot in place:");
            for new in &pending {
                let old = new.with_extension("");
                println!("    mv {} {}", new.display(), old.display());
            }
        }
        (Err(e), true) => {
            print_report();
            return Err(e);
        }
    }
    print_report();
    Ok(OK)
}

// ----- sync / check / test -----

fn sync() -> Result<u8, Failure> {
    let written = mirror::sync(&workspace_root(), &mirror::pairs())
        .map_err(|e| Failure::step(format!("cannot write the crates' copies: {e}")))?;
    for copy in &written {
        println!("==> wrote {}", copy.display());
    }
    if written.is_empty() {
        println!("==> the crates' copies of the spec and licenses are current");
    }
    Ok(OK)
}

fn check() -> Result<u8, Failure> {
    check_sources()?;
    // `no`: a stale snapshot fails instead of being rewritten.
    run("API-surface snapshot check", &mut snapshot_test("no")).map_err(|e| {
        Failure::step(format!(
            "{}\nThe API-surface snapshot does not match the vendored spec (or the test failed). To update it, run \
             `cargo test -p kernel-workspace-tests --test it api_surface::` and review with `cargo insta review`.",
            e.message
        ))
    })?;
    build_kernel_sys()?;
    println!("check passed");
    Ok(OK)
}

/// What `check` verifies without compiling: the crates' copies of the
/// spec and licenses, and that the generator accepts the spec.
fn check_sources() -> Result<(), Failure> {
    let spec_path = workspace_root().join(SPEC_PATH);
    println!("==> the crates' copies of the spec and licenses");
    let stale = mirror::stale(&workspace_root(), &mirror::pairs());
    if !stale.is_empty() {
        let lines: Vec<String> = stale.iter().map(|s| format!("  - {s}")).collect();
        return Err(Failure::step(format!(
            "a published crate carries a copy that differs from the workspace's file:\n{}\n\
             Edit the workspace's file (the spec only through `cargo xtask update-spec`), then run `cargo xtask sync`.",
            lines.join("\n")
        )));
    }
    println!("==> validate {SPEC_PATH}");
    let spec = load_spec(&spec_path).map_err(|e| Failure::step(e.to_string()))?;
    validate::check_generator(&spec).map_err(|e| Failure::step(format!("{SPEC_PATH}: {e}")))?;
    println!("==> the module import graphs");
    check_imports()
}

/// Every workspace member with a `src/`, by package name, as cargo lists
/// them.
fn workspace_sources() -> Result<Vec<(String, PathBuf)>, Failure> {
    let output = Command::new(cargo())
        .args(["metadata", "--no-deps", "--format-version", "1"])
        .current_dir(workspace_root())
        .output()
        .map_err(|e| Failure::step(format!("cargo metadata: {e}")))?;
    let metadata: serde_json::Value = serde_json::from_slice(&output.stdout)
        .map_err(|e| Failure::step(format!("cargo metadata: {e}")))?;
    let packages = metadata["packages"].as_array().cloned().unwrap_or_default();
    Ok(packages
        .iter()
        .filter_map(|p| {
            let manifest = Path::new(p["manifest_path"].as_str()?);
            let src = manifest.parent()?.join("src");
            let name = p["name"].as_str()?.to_owned();
            src.is_dir().then_some((name, src))
        })
        .collect())
}

/// Fails when the top-level modules of a crate import each other in a cycle.
fn check_imports() -> Result<(), Failure> {
    let mut problems = Vec::new();
    for (krate, src) in workspace_sources()? {
        let graph = imports::graph(&src).map_err(Failure::step)?;
        for cycle in graph.cycles() {
            let steps: Vec<String> = cycle
                .windows(2)
                .map(|pair| {
                    let file = graph.witness(&pair[0], &pair[1]).unwrap_or(Path::new("?"));
                    format!("    {} -> {} ({})", pair[0], pair[1], file.display())
                })
                .collect();
            problems.push(format!(
                "  {krate}: {}\n{}",
                cycle.join(" -> "),
                steps.join("\n")
            ));
        }
    }
    if problems.is_empty() {
        return Ok(());
    }
    Err(Failure::step(format!(
        "modules that import each other in a cycle (each should sit in one layer):\n{}",
        problems.join("\n")
    )))
}

fn test() -> Result<u8, Failure> {
    let (prism, schemathesis) = (tools::prism()?, tools::schemathesis()?);
    // The snapshot test and kernel-sys's build run within the suite below,
    // not first on their own: building them apart, with other features,
    // compiled them twice.
    check_sources()?;
    let tests = |args: &[&str]| {
        let mut cmd = Command::new(cargo());
        cmd.args(args)
            .env("PRISM_BIN", &prism)
            .env("SCHEMATHESIS_BIN", &schemathesis)
            // A stale API-surface snapshot fails instead of being rewritten.
            .env("INSTA_UPDATE", "no");
        cmd
    };
    // nextest runs the test binaries side by side, where `cargo test` runs
    // them one after another: the long ones (schemathesis, the real
    // browsers) overlap the rest. Benches and doctests are not its kind of
    // binary, so `cargo test` runs those.
    if nextest_installed() {
        run(
            "all tests (nextest)",
            &mut tests(&[
                "nextest",
                "run",
                "--workspace",
                "--lib",
                "--bins",
                "--tests",
                "--examples",
            ]),
        )?;
        run(
            "benches, once each as tests",
            &mut tests(&["test", "--workspace", "--benches"]),
        )?;
    } else {
        println!("==> cargo-nextest is not installed: running the test binaries one by one");
        run(
            "all tests",
            &mut tests(&["test", "--workspace", "--all-targets"]),
        )?;
    }
    run("doc tests", &mut tests(&["test", "--workspace", "--doc"]))?;
    package_check()?;
    println!("all tests passed");
    Ok(OK)
}

fn nextest_installed() -> bool {
    Command::new(cargo())
        .args(["nextest", "--version"])
        .output()
        .is_ok_and(|o| o.status.success())
}

// ----- release-check -----

fn git(args: &[&str]) -> Result<Vec<u8>, String> {
    let out = Command::new("git")
        .args(args)
        .current_dir(workspace_root())
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    if out.status.success() {
        Ok(out.stdout)
    } else {
        Err(String::from_utf8_lossy(&out.stderr).trim().to_string())
    }
}

/// Not a drift exit code: drift's 1 means "breaking" and this command
/// reports the bump instead, so it exits 0 whatever the drift.
fn release_check(reference: Option<&String>) -> Result<u8, Failure> {
    let reference = match reference {
        Some(reference) => reference.clone(),
        None => {
            let tag = git(&["describe", "--tags", "--abbrev=0"]).map_err(|e| {
                Failure::input(format!(
                    "no git tag to compare against ({e}); pass a ref: cargo xtask release-check <REF>"
                ))
            })?;
            String::from_utf8_lossy(&tag).trim().to_string()
        }
    };
    let old = git(&["show", &format!("{reference}:{SPEC_PATH}")])
        .map_err(|e| Failure::input(format!("cannot read {SPEC_PATH} at {reference}: {e}")))?;
    let old = String::from_utf8(old)
        .map_err(|_| Failure::input(format!("{SPEC_PATH} at {reference} is not UTF-8")))?;
    let old = parse_spec(&old, &format!("{reference}:{SPEC_PATH}"))?;
    let new = load_spec(&workspace_root().join(SPEC_PATH))?;
    let report = drift::diff(&old, &new)?;
    println!("# API drift: {reference} -> working tree\n");
    print!("{}", report.to_text());
    let current = env!("CARGO_PKG_VERSION");
    match xtask::next_version(current, report.bump()) {
        Some(next) if next == current => {
            println!("\nThe spec is unchanged since {reference}: the version can stay {current}.")
        }
        Some(next) => println!("\nRelease as {next} (now {current})."),
        None => println!("\nThe workspace version {current} is not MAJOR.MINOR.PATCH."),
    }
    Ok(OK)
}
