//! Where profiles keep their cookies and local storage between browsers: a
//! directory per profile under the mock's temp root. A browser starts from
//! a copy of it in a fresh user-data dir (so two browsers on one profile
//! never meet Chromium's profile lock), and a `save_changes` browser's dir
//! is copied back when it ends. A launch waits for a save of its profile
//! still under way, so the browser after a deleted one sees what it saved.

use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Notify;

use crate::sync::lock;

/// Longest a launch waits for a save of its profile to finish.
const SAVE_WAIT: Duration = Duration::from_secs(30);

/// Entries of a user-data dir never copied: Chromium's locks and sockets,
/// what it rewrites at every start, and caches.
const SKIPPED: [&str; 13] = [
    "SingletonLock",
    "SingletonSocket",
    "SingletonCookie",
    "lockfile",
    "LOCK",
    "DevToolsActivePort",
    "Cache",
    "Code Cache",
    "GPUCache",
    "GrShaderCache",
    "GraphiteDawnCache",
    "ShaderCache",
    "Crashpad",
];

/// The profile directories and the saves under way.
pub(crate) struct Profiles {
    /// One directory per profile id.
    root: PathBuf,
    /// Saves under way, by profile id.
    saving: Mutex<HashMap<String, usize>>,
    /// Woken when a save ends.
    saved: Notify,
    /// One copy into a profile's directory at a time.
    writing: tokio::sync::Mutex<()>,
}

/// A save of one profile under way; it ends when dropped.
pub(crate) struct Saving {
    /// Where the save is counted.
    profiles: Arc<Profiles>,
    /// The profile saved.
    profile_id: String,
}

impl Drop for Saving {
    /// Marks the save done and wakes waiting launches.
    fn drop(&mut self) {
        let mut saving = lock(&self.profiles.saving);
        if let Some(count) = saving.get_mut(&self.profile_id) {
            *count -= 1;
            if *count == 0 {
                saving.remove(&self.profile_id);
            }
        }
        drop(saving);
        self.profiles.saved.notify_waiters();
    }
}

impl Profiles {
    /// Profile directories under `root`.
    pub(crate) fn new(root: PathBuf) -> Self {
        Profiles {
            root,
            saving: Mutex::new(HashMap::new()),
            saved: Notify::new(),
            writing: tokio::sync::Mutex::new(()),
        }
    }

    /// The directory of profile `profile_id`.
    fn dir(&self, profile_id: &str) -> PathBuf {
        self.root.join(profile_id)
    }

    /// Announces a save of `profile_id` (before the browser's end returns,
    /// so a launch right after waits for it).
    pub(crate) fn begin_save(self: &Arc<Self>, profile_id: &str) -> Saving {
        *lock(&self.saving).entry(profile_id.to_owned()).or_default() += 1;
        Saving {
            profiles: self.clone(),
            profile_id: profile_id.to_owned(),
        }
    }

    /// Copies user-data dir `data_dir` into profile `profile_id`'s directory
    /// (replacing it whole once the copy is complete).
    pub(crate) async fn save(&self, profile_id: &str, data_dir: &Path) -> io::Result<()> {
        let _writing = self.writing.lock().await;
        let target = self.dir(profile_id);
        let staging = self.root.join(format!("{profile_id}.saving"));
        let source = data_dir.to_owned();
        tokio::task::spawn_blocking(move || {
            let _ = std::fs::remove_dir_all(&staging);
            copy_tree(&source, &staging)?;
            let _ = std::fs::remove_dir_all(&target);
            std::fs::rename(&staging, &target)
        })
        .await
        .map_err(io::Error::other)?
    }

    /// Fills fresh user-data dir `data_dir` from profile `profile_id`,
    /// after waiting (bounded) for its saves under way.
    pub(crate) async fn load(&self, profile_id: &str, data_dir: &Path) -> io::Result<()> {
        let deadline = tokio::time::Instant::now() + SAVE_WAIT;
        loop {
            let woken = self.saved.notified();
            tokio::pin!(woken);
            woken.as_mut().enable();
            if !lock(&self.saving).contains_key(profile_id) {
                break;
            }
            if tokio::time::timeout_at(deadline, woken).await.is_err() {
                break;
            }
        }
        let _writing = self.writing.lock().await;
        let source = self.dir(profile_id);
        let target = data_dir.to_owned();
        tokio::task::spawn_blocking(move || match source.is_dir() {
            true => copy_tree(&source, &target),
            false => Ok(()),
        })
        .await
        .map_err(io::Error::other)?
    }
}

/// Copies directory `from` into `to` (created unless it exists; its parent
/// must, so nothing is copied into a temp root already removed), leaving
/// out [`SKIPPED`] entries and symbolic links.
fn copy_tree(from: &Path, to: &Path) -> io::Result<()> {
    match std::fs::create_dir(to) {
        Err(e) if e.kind() != io::ErrorKind::AlreadyExists => return Err(e),
        _ => {}
    }
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let name = entry.file_name();
        if name.to_str().is_some_and(|n| SKIPPED.contains(&n)) {
            continue;
        }
        let kind = entry.file_type()?;
        let target = to.join(&name);
        if kind.is_dir() {
            copy_tree(&entry.path(), &target)?;
        } else if kind.is_file() {
            match std::fs::copy(entry.path(), &target) {
                // A file Chromium removed while we copied is no loss.
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                other => {
                    other?;
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::copy_tree;

    #[test]
    fn copies_leave_out_locks_and_caches() {
        let root = std::env::temp_dir().join(format!("kernel-mock-copy-{}", std::process::id()));
        let (from, to) = (root.join("from"), root.join("to"));
        std::fs::create_dir_all(from.join("Default/Cache")).unwrap();
        std::fs::create_dir_all(from.join("Default/Local Storage/leveldb")).unwrap();
        std::fs::write(from.join("Default/Cookies"), b"c").unwrap();
        std::fs::write(from.join("Default/Local Storage/leveldb/LOCK"), b"").unwrap();
        std::fs::write(from.join("Default/Local Storage/leveldb/000003.log"), b"l").unwrap();
        std::fs::write(from.join("Default/Cache/data"), b"x").unwrap();
        std::fs::write(from.join("SingletonLock"), b"").unwrap();
        copy_tree(&from, &to).unwrap();
        assert_eq!(std::fs::read(to.join("Default/Cookies")).unwrap(), b"c");
        assert!(to.join("Default/Local Storage/leveldb/000003.log").exists());
        assert!(!to.join("Default/Local Storage/leveldb/LOCK").exists());
        assert!(!to.join("Default/Cache").exists());
        assert!(!to.join("SingletonLock").exists());
        std::fs::remove_dir_all(&root).unwrap();
    }
}
