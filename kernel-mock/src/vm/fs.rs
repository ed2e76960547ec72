//! In-memory POSIX-like filesystem for one fake browser VM.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};

mod path;
mod types;

use self::path::child_prefix;
#[cfg(test)]
pub(crate) use self::path::resolve;
pub(crate) use self::path::{base_name, normalize, parent_of, watch_matches};
#[cfg(test)]
pub(crate) use self::types::mode_string;
pub(crate) use self::types::{parse_mode, Entry, FsError, FsEvent, FsEventKind};

/// Default owner and group of every node.
const DEFAULT_USER: &str = "kernel";
/// Default mode of a new file.
const FILE_MODE: u32 = 0o644;
/// Default mode of a new directory.
const DIR_MODE: u32 = 0o755;
/// Permission, setuid, setgid and sticky bits.
const MODE_MASK: u32 = 0o7777;

/// Contents of a node.
#[derive(Debug, Clone)]
enum Content {
    /// A regular file; `Arc` so reads and tree snapshots share bytes instead of copying them.
    File(Arc<[u8]>),
    /// A directory; children are found by key prefix.
    Dir,
}

/// One file or directory.
#[derive(Debug, Clone)]
struct Node {
    /// Bytes or directory marker.
    content: Content,
    /// Permission bits.
    mode: u32,
    /// Owning user.
    owner: String,
    /// Owning group.
    group: String,
    /// Last modification time.
    mod_time: DateTime<Utc>,
}

impl Node {
    /// A fresh node owned by the default user.
    fn new(content: Content, mode: u32) -> Self {
        Node {
            content,
            mode: mode & MODE_MASK,
            owner: DEFAULT_USER.to_string(),
            group: DEFAULT_USER.to_string(),
            mod_time: Utc::now(),
        }
    }

    /// Whether this node is a directory.
    fn is_dir(&self) -> bool {
        matches!(self.content, Content::Dir)
    }

    /// File length, 0 for directories.
    fn size(&self) -> u64 {
        match &self.content {
            Content::File(b) => b.len() as u64,
            Content::Dir => 0,
        }
    }
}

/// The filesystem of one VM, keyed by normalised absolute path.
///
/// A flat sorted map makes listing a range scan and keeps subtree moves simple.
#[derive(Debug, Clone)]
pub(crate) struct FsTree {
    /// Every node, including `/`.
    nodes: BTreeMap<String, Node>,
    /// Sum of all file lengths, kept up to date for cheap memory checks.
    bytes: u64,
    /// Most file bytes the tree holds; a write beyond fails with `NoSpace`.
    max_bytes: u64,
    /// Most nodes the tree holds, so empty files and directories cannot exhaust memory either.
    max_nodes: usize,
}

impl Default for FsTree {
    fn default() -> Self {
        Self::new()
    }
}

impl FsTree {
    /// A tree with `/`, `/tmp`, `/home/kernel` and `/home/kernel/Downloads`.
    pub(crate) fn new() -> Self {
        let mut nodes = BTreeMap::new();
        for dir in [
            "/",
            "/home",
            "/home/kernel",
            "/home/kernel/Downloads",
            "/tmp",
        ] {
            nodes.insert(dir.to_string(), Node::new(Content::Dir, DIR_MODE));
        }
        if let Some(tmp) = nodes.get_mut("/tmp") {
            tmp.mode = 0o1777;
        }
        FsTree {
            nodes,
            bytes: 0,
            max_bytes: u64::MAX,
            max_nodes: usize::MAX,
        }
    }

    /// A fresh tree holding at most `max_bytes` of file contents and `max_nodes` nodes, like a
    /// disk of that size: writes beyond fail with [`FsError::NoSpace`].
    pub(crate) fn with_limits(max_bytes: u64, max_nodes: usize) -> Self {
        FsTree {
            max_bytes,
            max_nodes,
            ..FsTree::new()
        }
    }

    /// Fails with `NoSpace` when `extra_nodes` more nodes would exceed the node limit.
    fn check_nodes(&self, p: &str, extra_nodes: usize) -> Result<(), FsError> {
        if self.nodes.len().saturating_add(extra_nodes) > self.max_nodes {
            return Err(FsError::NoSpace(p.to_string()));
        }
        Ok(())
    }

    /// Total bytes held in files.
    #[cfg(test)]
    pub(crate) fn total_bytes(&self) -> u64 {
        self.bytes
    }

    /// Number of nodes, directories included.
    #[cfg(test)]
    pub(crate) fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// Whether anything exists at `path`.
    pub(crate) fn exists(&self, path: &str) -> bool {
        normalize(path).is_ok_and(|p| self.nodes.contains_key(&p))
    }

    /// Whether `path` is an existing directory.
    pub(crate) fn is_dir(&self, path: &str) -> bool {
        normalize(path).is_ok_and(|p| self.nodes.get(&p).is_some_and(Node::is_dir))
    }

    /// Metadata of one node.
    pub(crate) fn info(&self, path: &str) -> Result<Entry, FsError> {
        let p = normalize(path)?;
        let node = self
            .nodes
            .get(&p)
            .ok_or_else(|| FsError::NotFound(p.clone()))?;
        Ok(entry_of(&p, node))
    }

    /// Contents of a file.
    pub(crate) fn read_file(&self, path: &str) -> Result<Arc<[u8]>, FsError> {
        let p = normalize(path)?;
        match self.nodes.get(&p).map(|n| &n.content) {
            None => Err(FsError::NotFound(p)),
            Some(Content::Dir) => Err(FsError::IsADirectory(p)),
            Some(Content::File(b)) => Ok(Arc::clone(b)),
        }
    }

    /// Direct children of a directory, sorted by name.
    pub(crate) fn list(&self, dir: &str) -> Result<Vec<Entry>, FsError> {
        let d = self.require_dir(dir)?;
        let prefix = child_prefix(&d);
        Ok(self
            .subtree(&d)
            .filter(|(k, _)| !k[prefix.len()..].contains('/'))
            .map(|(k, n)| entry_of(k, n))
            .collect())
    }

    /// Every node strictly below `dir`, sorted by path (parents before children).
    pub(crate) fn walk(&self, dir: &str) -> Result<Vec<Entry>, FsError> {
        let d = self.require_dir(dir)?;
        Ok(self.subtree(&d).map(|(k, n)| entry_of(k, n)).collect())
    }

    /// Creates or overwrites a file; `mode` defaults to 0o644 for new files and is kept otherwise.
    pub(crate) fn write_file(
        &mut self,
        path: &str,
        data: &[u8],
        mode: Option<u32>,
    ) -> Result<Vec<FsEvent>, FsError> {
        let p = normalize(path)?;
        self.put_file(p, Arc::from(data), mode)
    }

    /// Appends to a file, creating it when missing.
    pub(crate) fn append_file(&mut self, path: &str, data: &[u8]) -> Result<Vec<FsEvent>, FsError> {
        let p = normalize(path)?;
        let joined: Arc<[u8]> = match self.nodes.get(&p).map(|n| &n.content) {
            Some(Content::Dir) => return Err(FsError::IsADirectory(p)),
            Some(Content::File(old)) => [&old[..], data].concat().into(),
            None => Arc::from(data),
        };
        self.put_file(p, joined, None)
    }

    /// Creates an empty file or refreshes an existing node's mod_time, like `touch`.
    pub(crate) fn touch(&mut self, path: &str) -> Result<Vec<FsEvent>, FsError> {
        let p = normalize(path)?;
        match self.nodes.get_mut(&p) {
            Some(node) => {
                // A timestamp change has no FileSystemEvent type.
                node.mod_time = Utc::now();
                Ok(Vec::new())
            }
            None => self.put_file(p, Arc::from(&[][..]), None),
        }
    }

    /// Stores file bytes at a normalised path after checking the parent.
    fn put_file(
        &mut self,
        p: String,
        data: Arc<[u8]>,
        mode: Option<u32>,
    ) -> Result<Vec<FsEvent>, FsError> {
        if p == "/" {
            return Err(FsError::IsADirectory(p));
        }
        self.require_parent(&p)?;
        let mut events = Vec::new();
        let new_len = data.len() as u64;
        let old_len = match self.nodes.get(&p).map(|n| &n.content) {
            Some(Content::Dir) => return Err(FsError::IsADirectory(p)),
            Some(Content::File(old)) => old.len() as u64,
            None => {
                self.check_nodes(&p, 1)?;
                0
            }
        };
        if (self.bytes - old_len).saturating_add(new_len) > self.max_bytes {
            return Err(FsError::NoSpace(p));
        }
        match self.nodes.get_mut(&p) {
            Some(node) => {
                self.bytes = self.bytes - old_len + new_len;
                node.content = Content::File(data);
                node.mod_time = Utc::now();
                if let Some(m) = mode {
                    node.mode = m & MODE_MASK;
                }
            }
            None => {
                let node = Node::new(Content::File(data), mode.unwrap_or(FILE_MODE));
                self.nodes.insert(p.clone(), node);
                self.bytes += new_len;
                self.touch_parent(&p);
                events.push(FsEvent::new(FsEventKind::Create, &p, false));
            }
        }
        events.push(FsEvent::new(FsEventKind::Write, &p, false));
        Ok(events)
    }

    /// `mkdir -p`: creates `path` and missing ancestors; `mode` (default 0o755) applies to `path`
    /// itself.
    pub(crate) fn create_dir(
        &mut self,
        path: &str,
        mode: Option<u32>,
    ) -> Result<Vec<FsEvent>, FsError> {
        let p = normalize(path)?;
        let mut events = Vec::new();
        let mut cur = String::new();
        let parts: Vec<&str> = p.split('/').filter(|s| !s.is_empty()).collect();
        for (i, part) in parts.iter().enumerate() {
            cur.push('/');
            cur.push_str(part);
            let last = i + 1 == parts.len();
            match self.nodes.get(&cur) {
                Some(n) if n.is_dir() => {}
                Some(_) if last => return Err(FsError::AlreadyExists(cur)),
                Some(_) => return Err(FsError::NotADirectory(cur)),
                None => {
                    self.check_nodes(&cur, 1)?;
                    let m = if last {
                        mode.unwrap_or(DIR_MODE)
                    } else {
                        DIR_MODE
                    };
                    self.nodes.insert(cur.clone(), Node::new(Content::Dir, m));
                    self.touch_parent(&cur);
                    events.push(FsEvent::new(FsEventKind::Create, &cur, true));
                }
            }
        }
        Ok(events)
    }

    /// Removes a file (not a directory).
    pub(crate) fn delete_file(&mut self, path: &str) -> Result<Vec<FsEvent>, FsError> {
        let p = normalize(path)?;
        match self.nodes.get(&p) {
            None => return Err(FsError::NotFound(p)),
            Some(n) if n.is_dir() => return Err(FsError::IsADirectory(p)),
            Some(_) => {}
        }
        if let Some(n) = self.nodes.remove(&p) {
            self.bytes -= n.size();
        }
        self.touch_parent(&p);
        Ok(vec![FsEvent::new(FsEventKind::Delete, &p, false)])
    }

    /// Removes a directory and everything below it; children's events come before their parents'.
    pub(crate) fn delete_dir(&mut self, path: &str) -> Result<Vec<FsEvent>, FsError> {
        let p = self.require_dir(path)?;
        if p == "/" {
            return Err(FsError::InvalidPath("refusing to delete /".to_string()));
        }
        let mut keys = vec![p.clone()];
        keys.extend(self.subtree(&p).map(|(k, _)| k.clone()));
        let mut events = Vec::with_capacity(keys.len());
        // A path sorts before its descendants, so reversing yields children first.
        for key in keys.iter().rev() {
            if let Some(n) = self.nodes.remove(key) {
                self.bytes -= n.size();
                events.push(FsEvent::new(FsEventKind::Delete, key, n.is_dir()));
            }
        }
        self.touch_parent(&p);
        Ok(events)
    }

    /// Sets mode and optionally owner/group; emits no event since the spec has no attribute-change
    /// type.
    pub(crate) fn set_permissions(
        &mut self,
        path: &str,
        mode: u32,
        owner: Option<&str>,
        group: Option<&str>,
    ) -> Result<Vec<FsEvent>, FsError> {
        let p = normalize(path)?;
        let node = self.nodes.get_mut(&p).ok_or(FsError::NotFound(p))?;
        node.mode = mode & MODE_MASK;
        if let Some(o) = owner {
            node.owner = o.to_string();
        }
        if let Some(g) = group {
            node.group = g.to_string();
        }
        Ok(Vec::new())
    }

    /// Moves a file or directory with POSIX `rename` rules; emits RENAME at `src` and CREATE at
    /// `dst`.
    pub(crate) fn rename(&mut self, src: &str, dst: &str) -> Result<Vec<FsEvent>, FsError> {
        let s = normalize(src)?;
        let d = normalize(dst)?;
        let src_is_dir = match self.nodes.get(&s) {
            None => return Err(FsError::NotFound(s)),
            Some(n) => n.is_dir(),
        };
        if s == "/" || d == "/" {
            return Err(FsError::InvalidPath("cannot move /".to_string()));
        }
        if s == d {
            return Ok(Vec::new());
        }
        if src_is_dir && d.starts_with(&child_prefix(&s)) {
            return Err(FsError::InvalidPath(format!("cannot move {s} into itself")));
        }
        self.require_parent(&d)?;
        let mut events = Vec::new();
        if let Some(existing) = self.nodes.get(&d) {
            match (src_is_dir, existing.is_dir()) {
                (false, true) => return Err(FsError::IsADirectory(d)),
                (true, false) => return Err(FsError::NotADirectory(d)),
                (true, true) if self.subtree(&d).next().is_some() => {
                    return Err(FsError::AlreadyExists(d))
                }
                _ => {}
            }
            if let Some(old) = self.nodes.remove(&d) {
                self.bytes -= old.size();
                events.push(FsEvent::new(FsEventKind::Delete, &d, old.is_dir()));
            }
        }
        let mut keys: Vec<String> = self.subtree(&s).map(|(k, _)| k.clone()).collect();
        keys.push(s.clone());
        for key in keys {
            if let Some(node) = self.nodes.remove(&key) {
                let new_key = format!("{d}{}", &key[s.len()..]);
                self.nodes.insert(new_key, node);
            }
        }
        self.touch_parent(&s);
        self.touch_parent(&d);
        events.push(FsEvent::new(FsEventKind::Rename, &s, src_is_dir));
        events.push(FsEvent::new(FsEventKind::Create, &d, src_is_dir));
        Ok(events)
    }

    /// Normalises `path` and checks it is an existing directory.
    fn require_dir(&self, path: &str) -> Result<String, FsError> {
        let p = normalize(path)?;
        match self.nodes.get(&p) {
            None => Err(FsError::NotFound(p)),
            Some(n) if !n.is_dir() => Err(FsError::NotADirectory(p)),
            Some(_) => Ok(p),
        }
    }

    /// Checks the parent of a normalised path is an existing directory.
    fn require_parent(&self, p: &str) -> Result<(), FsError> {
        match parent_of(p) {
            Some(parent) => self.require_dir(parent).map(|_| ()),
            None => Ok(()),
        }
    }

    /// Nodes strictly below a normalised directory path, in key order.
    fn subtree<'a>(&'a self, dir: &str) -> impl Iterator<Item = (&'a String, &'a Node)> + 'a {
        let prefix = child_prefix(dir);
        let is_root = dir == "/";
        self.nodes
            .range(prefix.clone()..)
            .take_while(move |(k, _)| k.starts_with(&prefix))
            .filter(move |(k, _)| !(is_root && k.as_str() == "/"))
    }

    /// A directory's mod_time changes when its entries do, as on a real filesystem.
    fn touch_parent(&mut self, p: &str) {
        if let Some(parent) = parent_of(p) {
            if let Some(n) = self.nodes.get_mut(parent) {
                n.mod_time = Utc::now();
            }
        }
    }
}

/// Builds the public metadata of a node.
fn entry_of(path: &str, node: &Node) -> Entry {
    Entry {
        name: base_name(path).to_string(),
        path: path.to_string(),
        size_bytes: node.size(),
        is_dir: node.is_dir(),
        mod_time: node.mod_time,
        mode: node.mode,
        owner: node.owner.clone(),
        group: node.group.clone(),
    }
}

#[cfg(test)]
mod tests;
