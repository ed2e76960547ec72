//! Path normalisation and matching for the in-memory filesystem.

use super::FsError;

/// Normalises an absolute path (`.`, `..`, repeated slashes); rejects relative or escaping paths.
pub(crate) fn normalize(path: &str) -> Result<String, FsError> {
    if !path.starts_with('/') {
        return Err(FsError::InvalidPath(format!("{path:?} is not absolute")));
    }
    if path.contains('\0') {
        return Err(FsError::InvalidPath(format!("{path:?} contains NUL")));
    }
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    return Err(FsError::InvalidPath(format!("{path:?} escapes /")));
                }
            }
            p => parts.push(p),
        }
    }
    Ok(format!("/{}", parts.join("/")))
}

/// Resolves `path` against `cwd` when relative, then normalises.
#[cfg(test)]
pub(crate) fn resolve(cwd: &str, path: &str) -> Result<String, FsError> {
    if path.starts_with('/') {
        normalize(path)
    } else {
        normalize(&format!("{cwd}/{path}"))
    }
}

/// Parent of a normalised path; `None` for the root.
pub(crate) fn parent_of(path: &str) -> Option<&str> {
    if path == "/" {
        return None;
    }
    match path.rfind('/') {
        Some(0) => Some("/"),
        Some(i) => Some(&path[..i]),
        None => None,
    }
}

/// Last component of a normalised path (`/` for the root).
pub(crate) fn base_name(path: &str) -> &str {
    match path.rfind('/') {
        Some(i) if path.len() > 1 => &path[i + 1..],
        _ => path,
    }
}

/// Whether an event at `event_path` concerns a watch on `watch_dir`: direct children only unless
/// `recursive`.
pub(crate) fn watch_matches(watch_dir: &str, recursive: bool, event_path: &str) -> bool {
    let (Ok(dir), Ok(path)) = (normalize(watch_dir), normalize(event_path)) else {
        return false;
    };
    match path.strip_prefix(&child_prefix(&dir)) {
        Some(rest) if !rest.is_empty() => recursive || !rest.contains('/'),
        _ => false,
    }
}

/// Key prefix shared by everything below `dir`.
pub(crate) fn child_prefix(dir: &str) -> String {
    if dir == "/" {
        "/".to_string()
    } else {
        format!("{dir}/")
    }
}
