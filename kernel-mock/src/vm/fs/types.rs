//! Error, event and metadata types of the in-memory filesystem.

use std::fmt;

use chrono::{DateTime, Utc};

use super::base_name;

/// Why a filesystem operation failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum FsError {
    /// The path (or mode string) is malformed: relative, escapes `/`, etc.
    InvalidPath(String),
    /// Nothing exists at the path.
    NotFound(String),
    /// Something already exists where a new node was wanted.
    AlreadyExists(String),
    /// A file was found where a directory was needed.
    NotADirectory(String),
    /// A directory was found where a file was needed.
    IsADirectory(String),
    /// An uploaded archive is unreadable or unsafe.
    BadArchive(String),
    /// The tree's byte or node limit would be exceeded (`ENOSPC`).
    NoSpace(String),
}

impl FsError {
    /// HTTP status the handlers should answer with: 404 for NotFound, 400 otherwise (the spec
    /// documents no 409, 413 or 507 for filesystem operations).
    pub(crate) fn status_hint(&self) -> u16 {
        match self {
            FsError::NotFound(_) => 404,
            FsError::InvalidPath(_)
            | FsError::AlreadyExists(_)
            | FsError::NotADirectory(_)
            | FsError::IsADirectory(_)
            | FsError::BadArchive(_)
            | FsError::NoSpace(_) => 400,
        }
    }
}

impl fmt::Display for FsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FsError::InvalidPath(d) => write!(f, "invalid argument: {d}"),
            FsError::NotFound(p) => write!(f, "{p}: no such file or directory"),
            FsError::AlreadyExists(p) => write!(f, "{p}: file exists"),
            FsError::NotADirectory(p) => write!(f, "{p}: not a directory"),
            FsError::IsADirectory(p) => write!(f, "{p}: is a directory"),
            FsError::BadArchive(d) => write!(f, "bad archive: {d}"),
            FsError::NoSpace(p) => write!(f, "{p}: no space left on device"),
        }
    }
}

impl std::error::Error for FsError {}

/// Kind of a filesystem change, as in the spec's FileSystemEvent `type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FsEventKind {
    /// A node appeared.
    Create,
    /// A file's contents changed.
    Write,
    /// A node disappeared.
    Delete,
    /// A node was moved away from `path`.
    Rename,
}

impl FsEventKind {
    /// The spec's upper-case name.
    #[cfg(test)]
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            FsEventKind::Create => "CREATE",
            FsEventKind::Write => "WRITE",
            FsEventKind::Delete => "DELETE",
            FsEventKind::Rename => "RENAME",
        }
    }
}

/// One change caused by a mutation, for watchers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FsEvent {
    /// What happened.
    pub(crate) kind: FsEventKind,
    /// Absolute path affected.
    pub(crate) path: String,
    /// Base name of `path`.
    pub(crate) name: String,
    /// Whether the node is a directory.
    pub(crate) is_dir: bool,
}

impl FsEvent {
    /// Builds an event, deriving `name` from `path`.
    pub(crate) fn new(kind: FsEventKind, path: &str, is_dir: bool) -> Self {
        FsEvent {
            kind,
            path: path.to_string(),
            name: base_name(path).to_string(),
            is_dir,
        }
    }
}

/// Metadata of one node, shaped like the spec's FileInfo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Entry {
    /// Base name (`/` for the root).
    pub(crate) name: String,
    /// Absolute normalised path.
    pub(crate) path: String,
    /// File length; 0 for directories.
    pub(crate) size_bytes: u64,
    /// Whether this is a directory.
    pub(crate) is_dir: bool,
    /// Last modification time.
    pub(crate) mod_time: DateTime<Utc>,
    /// Permission bits (0o7777 range).
    pub(crate) mode: u32,
    /// Owning user.
    pub(crate) owner: String,
    /// Owning group.
    pub(crate) group: String,
}

impl Entry {
    /// `ls -l` style mode, e.g. `drwxr-xr-x` or `-rw-r--r--`.
    pub(crate) fn mode_string(&self) -> String {
        mode_string(self.is_dir, self.mode)
    }
}

/// Renders type and permission bits like `ls -l`, including setuid/setgid/sticky.
pub(crate) fn mode_string(is_dir: bool, mode: u32) -> String {
    let mut s = String::with_capacity(10);
    s.push(if is_dir { 'd' } else { '-' });
    // (read bit, write bit, exec bit, special bit, special char when exec set)
    let triads = [
        (0o400, 0o200, 0o100, 0o4000, 's'),
        (0o040, 0o020, 0o010, 0o2000, 's'),
        (0o004, 0o002, 0o001, 0o1000, 't'),
    ];
    for (r, w, x, special, c) in triads {
        s.push(if mode & r != 0 { 'r' } else { '-' });
        s.push(if mode & w != 0 { 'w' } else { '-' });
        s.push(match (mode & x != 0, mode & special != 0) {
            (true, true) => c,
            (false, true) => c.to_ascii_uppercase(),
            (true, false) => 'x',
            (false, false) => '-',
        });
    }
    s
}

/// Parses an octal mode string matching `^[0-7]{3,4}$`.
pub(crate) fn parse_mode(s: &str) -> Result<u32, FsError> {
    let ok = (3..=4).contains(&s.len()) && s.bytes().all(|b| (b'0'..=b'7').contains(&b));
    if !ok {
        return Err(FsError::InvalidPath(format!(
            "mode {s:?} must be 3 or 4 octal digits"
        )));
    }
    u32::from_str_radix(s, 8).map_err(|_| FsError::InvalidPath(format!("mode {s:?}")))
}
