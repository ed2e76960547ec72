//! Maintainer tooling for the Kernel SDK's vendored OpenAPI spec.
//!
//! - [`validate`]: is a document an OpenAPI 3.1 spec the SDK can be generated
//!   from?
//! - [`drift`]: what changed between two specs, classified as breaking,
//!   additive or cosmetic for client users.
//! - [`surface`]: the API surface as sorted lines, snapshotted by
//!   `tests/api_surface.rs` so every spec change is a reviewable diff.
//! - [`imports`]: each crate's module import graph, which must have no
//!   cycle.
//! - [`mirror`]: the copies of the spec and license files the published
//!   crates carry, kept identical to the workspace's.
//!
//! The `xtask` binary (`cargo xtask ...`) wires these into the `update-spec`,
//! `drift`, `surface`, `check` and `test` commands; see `docs/MAINTAINING.md`.

#![warn(missing_docs)]

pub mod drift;
pub mod imports;
pub mod mirror;
mod schema;
pub mod surface;
pub mod validate;

/// The JSON crate whose `Value` this API takes and returns.
pub use serde_json;

use serde_json::Value;
use std::fmt;
use std::path::{Path, PathBuf};

/// The vendored spec, relative to the workspace root.
pub use codegen::SPEC_PATH;

/// The workspace root: the parent of the running package's directory as
/// cargo reports it at run time (`cargo run`, `cargo test`), else of this
/// crate's directory at build time.
///
/// Run time comes first because build artifacts are reused when a workspace
/// is copied or moved (cargo hashes members by relative path), and a
/// compile-time path would then point at the original tree.
pub fn workspace_root() -> PathBuf {
    let runtime = std::env::var_os("CARGO_MANIFEST_DIR").map(PathBuf::from);
    let candidates = runtime
        .into_iter()
        .chain([PathBuf::from(env!("CARGO_MANIFEST_DIR"))]);
    let mut roots = candidates.filter_map(|manifest| manifest.parent().map(Path::to_path_buf));
    let first = roots.next().unwrap_or_default();
    std::iter::once(first.clone())
        .chain(roots)
        .find(|root| root.join(SPEC_PATH).is_file())
        .unwrap_or(first)
}

/// Why a spec document was rejected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SpecError {
    /// The file could not be read, or is not YAML/JSON.
    Unreadable(String),
    /// The document parsed but is not a valid OpenAPI 3.1 spec.
    Invalid {
        /// Where the document came from (a path, or a label).
        source: String,
        /// One message per problem.
        problems: Vec<String>,
    },
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SpecError::Unreadable(message) => f.write_str(message),
            SpecError::Invalid { source, problems } => {
                write!(f, "{source} is not a valid OpenAPI 3.1 document:")?;
                for problem in problems {
                    write!(f, "\n  - {problem}")?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for SpecError {}

/// Parses YAML/JSON `text` and validates it; `source` names it in errors.
pub fn parse_spec(text: &str, source: &str) -> Result<Value, SpecError> {
    let doc = codegen::parse(text).map_err(|e| SpecError::Unreadable(format!("{source}: {e}")))?;
    validate::validate(&doc).map_err(|problems| SpecError::Invalid {
        source: source.to_string(),
        problems,
    })?;
    Ok(doc)
}

/// Reads, parses and validates the spec at `path`.
pub fn load_spec(path: &Path) -> Result<Value, SpecError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| SpecError::Unreadable(format!("cannot read {}: {e}", path.display())))?;
    parse_spec(&text, &path.display().to_string())
}

/// The version a release needs after `current` (`MAJOR.MINOR.PATCH`) for a
/// `bump`, the way Cargo reads semver: while the major number is 0, the
/// minor number is the breaking one, so `Major` on `0.1.0` is `0.2.0` and
/// `Minor` is `0.1.1`. `None` when `current` is not three numbers.
pub fn next_version(current: &str, bump: drift::Bump) -> Option<String> {
    let parts: Vec<u64> = current
        .split('.')
        .map(str::parse)
        .collect::<Result<_, _>>()
        .ok()?;
    let [major, minor, patch] = parts[..] else {
        return None;
    };
    use drift::Bump;
    let (major, minor, patch) = match (major, bump) {
        (_, Bump::None) => (major, minor, patch),
        (0, Bump::Major) => (0, minor + 1, 0),
        (0, Bump::Minor | Bump::Patch) => (0, minor, patch + 1),
        (_, Bump::Major) => (major + 1, 0, 0),
        (_, Bump::Minor) => (major, minor + 1, 0),
        (_, Bump::Patch) => (major, minor, patch + 1),
    };
    Some(format!("{major}.{minor}.{patch}"))
}

#[cfg(test)]
mod version_tests {
    use super::next_version;
    use crate::drift::Bump;

    #[test]
    fn zero_major_versions_bump_minor_for_breaking_changes() {
        assert_eq!(next_version("0.1.0", Bump::Major).unwrap(), "0.2.0");
        assert_eq!(next_version("0.1.3", Bump::Major).unwrap(), "0.2.0");
        assert_eq!(next_version("0.1.0", Bump::Minor).unwrap(), "0.1.1");
        assert_eq!(next_version("0.1.0", Bump::Patch).unwrap(), "0.1.1");
        assert_eq!(next_version("0.1.0", Bump::None).unwrap(), "0.1.0");
    }

    #[test]
    fn stable_versions_follow_semver() {
        assert_eq!(next_version("1.2.3", Bump::Major).unwrap(), "2.0.0");
        assert_eq!(next_version("1.2.3", Bump::Minor).unwrap(), "1.3.0");
        assert_eq!(next_version("1.2.3", Bump::Patch).unwrap(), "1.2.4");
    }

    #[test]
    fn a_version_that_is_not_three_numbers_has_no_successor() {
        assert_eq!(next_version("1.2", Bump::Patch), None);
        assert_eq!(next_version("1.2.3-rc.1", Bump::Patch), None);
    }
}
