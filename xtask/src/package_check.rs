//! `cargo xtask package-check`: the published crates packaged, then a crate
//! outside the workspace built against the packages and run, as a user's
//! first build would be.

use std::path::{Path, PathBuf};
use std::process::Command;

use xtask::workspace_root;

use crate::{cargo, run, Failure, OK};

/// The packages `cargo package --workspace` must skip: they are not
/// published, and cargo packages `publish = false` members too.
const UNPUBLISHED: [&str; 2] = ["xtask", "kernel-workspace-tests"];

/// The published crates by package name, in dependency order.
const PUBLISHED_PACKAGES: [&str; 4] = ["kernel-codegen", "kernel-sys", "kernel-mock", "kernel"];

fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => workspace_root().join(dir),
        None => workspace_root().join("target"),
    }
}

fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), target)?;
        }
    }
    Ok(())
}

pub(crate) fn package_check() -> Result<u8, Failure> {
    let started = std::time::Instant::now();
    // Cargo treats a package of a given name and version as unchanged, so
    // a second run must not find the first run's files.
    let _ = std::fs::remove_dir_all(target_dir().join("package"));
    let mut package = Command::new(cargo());
    // `--allow-dirty`: what is checked is the tree as it is, committed or not.
    // `--no-verify`: the consumer below builds every published crate from
    // its unpacked `.crate` alone, which is what verifying does; verifying
    // as well would compile them all twice.
    package.args(["package", "--workspace", "--allow-dirty", "--no-verify"]);
    for name in UNPUBLISHED {
        package.args(["--exclude", name]);
    }
    run("package the published crates", &mut package)?;
    let packaged = started.elapsed();

    let version = env!("CARGO_PKG_VERSION");
    let packages = target_dir().join("package");
    let unpacked = packages.join("unpacked");
    std::fs::create_dir_all(&unpacked)
        .map_err(|e| Failure::step(format!("cannot create {}: {e}", unpacked.display())))?;
    let mut patch = Vec::new();
    for name in PUBLISHED_PACKAGES {
        // A `.crate` is a gzipped tar of `<name>-<version>/`.
        let file = packages.join(format!("{name}-{version}.crate"));
        run(
            &format!("unpack {name}"),
            // `-m`: the files get the time of unpacking, not the `.crate`'s
            // fixed one, so a rebuild sees that they changed.
            Command::new("tar")
                .arg("-xzmf")
                .arg(&file)
                .arg("-C")
                .arg(&unpacked),
        )?;
        let dir = unpacked.join(format!("{name}-{version}"));
        if !dir.join("Cargo.toml").is_file() {
            return Err(Failure::step(format!(
                "{} holds no {name}-{version}/Cargo.toml",
                file.display()
            )));
        }
        // A TOML string: JSON's escaping is valid TOML for a path.
        let path = serde_json::to_string(&dir.display().to_string())
            .map_err(|e| Failure::step(format!("cannot quote {}: {e}", dir.display())))?;
        patch.push(format!("patch.crates-io.{name}.path={path}"));
    }

    // Built outside the source tree, with a lockfile resolved afresh each
    // run, as a new user's first build is.
    let work = target_dir().join("package-check");
    let consumer = work.join("consumer");
    let _ = std::fs::remove_dir_all(&consumer);
    copy_dir(&workspace_root().join("tests/consumer"), &consumer)
        .map_err(|e| Failure::step(format!("cannot copy tests/consumer: {e}")))?;
    let mut build = Command::new(cargo());
    build
        .arg("run")
        .arg("--manifest-path")
        .arg(consumer.join("Cargo.toml"))
        // Its own target dir: nothing reused from the workspace's builds.
        .env("CARGO_TARGET_DIR", work.join("target"))
        // What is checked is that it builds and runs; debug info would only
        // make the cold build slower.
        .env("CARGO_PROFILE_DEV_DEBUG", "0");
    for entry in &patch {
        build.args(["--config", entry]);
    }
    run(
        "build and run a consumer of the packaged crates",
        &mut build,
    )?;
    println!(
        "package-check passed: packaging {:.0?}, consumer {:.0?}",
        packaged,
        started.elapsed() - packaged
    );
    Ok(OK)
}
