//! Files a published crate must carry but the workspace keeps one copy of.
//!
//! A crate's package holds only files under its own directory, so the
//! vendored spec (read by `kernel-sys`'s build script) and the license texts
//! are copied into each crate that publishes them. The workspace-root files
//! stay the ones maintainers edit; `cargo xtask sync` writes the copies and
//! `cargo xtask check` fails while any copy differs by a byte.
//!
//! Copies rather than symlinks: git checks a symlink out as a plain text
//! file holding the target path where symlinks are unsupported (Windows
//! without `core.symlinks`), and `cargo package` would then publish that
//! path as the spec or the license.

use std::fmt;
use std::path::{Path, PathBuf};

/// The crates published to crates.io, by directory.
pub const PUBLISHED: [&str; 4] = ["codegen", "kernel-sys", "kernel", "kernel-mock"];

/// The license texts every published crate carries (the workspace's
/// `license` is `MIT OR Apache-2.0`).
pub const LICENSES: [&str; 2] = ["LICENSE-MIT", "LICENSE-APACHE"];

/// The package kernel-sys is built from, which keeps its own copy of the
/// vendored spec at [`crate::SPEC_PATH`] inside it.
pub const SYS_DIR: &str = "kernel-sys";

/// Every `(source, copy)` pair, relative to the workspace root.
pub fn pairs() -> Vec<(PathBuf, PathBuf)> {
    let mut pairs = vec![(
        PathBuf::from(crate::SPEC_PATH),
        Path::new(SYS_DIR).join(crate::SPEC_PATH),
    )];
    for krate in PUBLISHED {
        for license in LICENSES {
            pairs.push((PathBuf::from(license), Path::new(krate).join(license)));
        }
    }
    pairs
}

/// A copy that does not match its source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stale {
    /// The file maintainers edit.
    pub source: PathBuf,
    /// The copy a crate publishes.
    pub copy: PathBuf,
    /// What is wrong with it.
    pub problem: String,
}

impl fmt::Display for Stale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} is not a copy of {}: {}",
            self.copy.display(),
            self.source.display(),
            self.problem
        )
    }
}

/// The copies under `root` that differ from their sources (missing,
/// unreadable or not byte-for-byte equal), for the given pairs.
pub fn stale(root: &Path, pairs: &[(PathBuf, PathBuf)]) -> Vec<Stale> {
    let mut out = Vec::new();
    for (source, copy) in pairs {
        let problem = match (
            std::fs::read(root.join(source)),
            std::fs::read(root.join(copy)),
        ) {
            (Err(e), _) => Some(format!("the source cannot be read: {e}")),
            (_, Err(e)) => Some(format!("the copy cannot be read: {e}")),
            (Ok(a), Ok(b)) if a != b => Some(first_difference(&a, &b)),
            _ => None,
        };
        if let Some(problem) = problem {
            out.push(Stale {
                source: source.clone(),
                copy: copy.clone(),
                problem,
            });
        }
    }
    out
}

fn first_difference(source: &[u8], copy: &[u8]) -> String {
    let at = source
        .iter()
        .zip(copy)
        .position(|(a, b)| a != b)
        .unwrap_or(source.len().min(copy.len()));
    let line = source[..at].iter().filter(|&&b| b == b'\n').count() + 1;
    format!(
        "they differ from byte {at} (line {line}); {} vs {} bytes",
        source.len(),
        copy.len()
    )
}

/// Rewrites every stale copy under `root` from its source; returns the
/// copies written.
pub fn sync(root: &Path, pairs: &[(PathBuf, PathBuf)]) -> std::io::Result<Vec<PathBuf>> {
    let mut written = Vec::new();
    for Stale { source, copy, .. } in stale(root, pairs) {
        let bytes = std::fs::read(root.join(&source))?;
        let target = root.join(&copy);
        if let Some(dir) = target.parent() {
            std::fs::create_dir_all(dir)?;
        }
        // Written aside and renamed: an interrupted sync never leaves a
        // half-written spec for the build script to read.
        let staging = target.with_extension("tmp");
        std::fs::write(&staging, &bytes)?;
        std::fs::rename(&staging, &target)?;
        written.push(copy);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("xtask-mirror-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn pair() -> Vec<(PathBuf, PathBuf)> {
        vec![("spec.yaml".into(), "crate/openapi/spec.yaml".into())]
    }

    #[test]
    fn identical_copies_pass() {
        let root = scratch("identical");
        std::fs::write(root.join("spec.yaml"), "openapi: 3.1.0\n").unwrap();
        std::fs::create_dir_all(root.join("crate/openapi")).unwrap();
        std::fs::write(root.join("crate/openapi/spec.yaml"), "openapi: 3.1.0\n").unwrap();
        assert_eq!(stale(&root, &pair()), vec![]);
    }

    #[test]
    fn a_copy_one_byte_off_fails_and_sync_repairs_it() {
        let root = scratch("differ");
        std::fs::write(root.join("spec.yaml"), "openapi: 3.1.0\ninfo: {}\n").unwrap();
        std::fs::create_dir_all(root.join("crate/openapi")).unwrap();
        std::fs::write(
            root.join("crate/openapi/spec.yaml"),
            "openapi: 3.1.0\ninfo: []\n",
        )
        .unwrap();
        let found = stale(&root, &pair());
        assert_eq!(found.len(), 1);
        assert_eq!(
            found[0].problem,
            "they differ from byte 21 (line 2); 24 vs 24 bytes"
        );

        assert_eq!(sync(&root, &pair()).unwrap(), vec![pair()[0].1.clone()]);
        assert_eq!(stale(&root, &pair()), vec![]);
        assert_eq!(
            std::fs::read_to_string(root.join("crate/openapi/spec.yaml")).unwrap(),
            "openapi: 3.1.0\ninfo: {}\n"
        );
        // Nothing left to write.
        assert_eq!(sync(&root, &pair()).unwrap(), Vec::<PathBuf>::new());
    }

    #[test]
    fn a_missing_copy_fails_and_sync_creates_it() {
        let root = scratch("missing");
        std::fs::write(root.join("spec.yaml"), "a").unwrap();
        let found = stale(&root, &pair());
        assert_eq!(found.len(), 1);
        assert!(found[0].problem.starts_with("the copy cannot be read"));
        sync(&root, &pair()).unwrap();
        assert_eq!(stale(&root, &pair()), vec![]);
    }

    #[test]
    fn a_truncated_copy_fails() {
        let root = scratch("truncated");
        std::fs::write(root.join("spec.yaml"), "abcdef").unwrap();
        std::fs::create_dir_all(root.join("crate/openapi")).unwrap();
        std::fs::write(root.join("crate/openapi/spec.yaml"), "abc").unwrap();
        assert_eq!(
            stale(&root, &pair())[0].problem,
            "they differ from byte 3 (line 1); 6 vs 3 bytes"
        );
    }

    #[test]
    fn the_workspace_copies_are_current() {
        let root = crate::workspace_root();
        let found: Vec<String> = stale(&root, &pairs())
            .iter()
            .map(ToString::to_string)
            .collect();
        assert!(
            found.is_empty(),
            "run `cargo xtask sync`:\n{}",
            found.join("\n")
        );
    }
}
