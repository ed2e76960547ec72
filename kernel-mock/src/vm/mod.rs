//! Simulated browser VM internals: filesystem, zip transfer and a tiny shell.
//!
//! Pure and synchronous; the HTTP handlers own locking, timing and streaming.

mod fs;
mod shell;
mod zip;

pub(crate) use self::fs::{
    base_name, normalize, parent_of, parse_mode, watch_matches, Entry, FsError, FsEvent,
    FsEventKind, FsTree,
};
pub(crate) use self::shell::{run, Chunk, Outcome, ShellContext};
pub(crate) use self::zip::{unzip_into, zip_dir};
