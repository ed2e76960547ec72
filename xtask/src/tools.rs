//! The verifiers `cargo xtask test` installs before it runs the suite: Prism
//! from npm and schemathesis from PyPI, pinned, under `target/tools`.

use std::path::PathBuf;
use std::process::Command;

use xtask::workspace_root;

use crate::{run, Failure};

const PRISM_PACKAGE: &str = "@stainless-api/prism-cli@5.16.1";
const SCHEMATHESIS_VERSION: &str = "4.32.5";

/// Installs Prism into `target/tools` unless it is there; returns its path.
pub(crate) fn prism() -> Result<PathBuf, Failure> {
    let root = workspace_root();
    let prism = root.join("target/tools/node_modules/.bin/prism");
    if prism.exists() {
        println!("==> Prism: already installed at {}", prism.display());
    } else {
        run(
            "install Prism",
            Command::new("npm").args([
                "install",
                "--no-save",
                "--prefix",
                "target/tools",
                PRISM_PACKAGE,
            ]),
        )?;
        if !prism.exists() {
            return Err(Failure::step(format!(
                "npm finished but {} does not exist",
                prism.display()
            )));
        }
    }
    Ok(prism)
}

/// Installs the pinned schemathesis into a venv of `target/tools` unless it
/// is there; returns its path.
///
/// A venv of our own: a pinned version, and no clash with a system Python
/// that refuses `pip install` (PEP 668).
pub(crate) fn schemathesis() -> Result<PathBuf, Failure> {
    let venv = workspace_root().join("target/tools/venv");
    let schemathesis = venv.join("bin/schemathesis");
    let pinned = || {
        Command::new(&schemathesis)
            .arg("--version")
            .output()
            .is_ok_and(|o| {
                o.status.success()
                    && String::from_utf8_lossy(&o.stdout).contains(SCHEMATHESIS_VERSION)
            })
    };
    if pinned() {
        println!(
            "==> schemathesis: already installed at {}",
            schemathesis.display()
        );
    } else {
        run(
            "create a Python venv for schemathesis",
            // `--clear`: a venv left broken (moved, or its Python upgraded
            // or removed) is rebuilt rather than reused.
            Command::new("python3").args(["-m", "venv", "--clear", "target/tools/venv"]),
        )?;
        run(
            "install schemathesis",
            Command::new(venv.join("bin/python")).args([
                "-m",
                "pip",
                "install",
                "--quiet",
                &format!("schemathesis=={SCHEMATHESIS_VERSION}"),
            ]),
        )?;
        if !pinned() {
            return Err(Failure::step(format!(
                "schemathesis {SCHEMATHESIS_VERSION} was installed but `{} --version` does not report it",
                schemathesis.display()
            )));
        }
    }
    Ok(schemathesis)
}
