//! Simulated browser VM internals: filesystem, zip transfer and a tiny shell.
//!
//! Pure and synchronous; the HTTP handlers own locking, timing and streaming.

mod fs;
mod shell;
mod zip;

// A facade: each handler imports only the items it needs.
#[allow(unused_imports)]
pub(crate) use self::fs::{
    base_name, mode_string, normalize, parent_of, parse_mode, resolve, watch_matches, Entry,
    FsError, FsEvent, FsEventKind, FsTree,
};
#[allow(unused_imports)]
pub(crate) use self::shell::{run, Outcome, ShellContext};
#[allow(unused_imports)]
pub(crate) use self::zip::{unzip_into, zip_dir, MAX_UNZIPPED_BYTES};
