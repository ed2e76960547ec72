//! Zip download and upload of directories in the fake filesystem.

use std::io::{Cursor, Read, Write};

use ::zip::write::SimpleFileOptions;
use ::zip::{CompressionMethod, ZipArchive, ZipWriter};
use chrono::{Datelike, Timelike};

use super::fs::{normalize, FsError, FsEvent, FsTree};

/// Most uncompressed bytes one upload may expand to.
pub(crate) const MAX_UNZIPPED_BYTES: u64 = 256 * 1024 * 1024;
/// Most entries one upload may hold, so tiny entries cannot flood the tree.
pub(crate) const MAX_ENTRIES: usize = 100_000;

/// Zips everything below `dir` (names relative to it, directories as `name/`), deflated.
pub(crate) fn zip_dir(fs: &FsTree, dir: &str) -> Result<Vec<u8>, FsError> {
    let root = normalize(dir)?;
    let entries = fs.walk(&root)?;
    let strip = if root == "/" { 1 } else { root.len() + 1 };
    let mut writer = ZipWriter::new(Cursor::new(Vec::new()));
    for entry in entries {
        let rel = entry.path.get(strip..).unwrap_or_default();
        let mut options = SimpleFileOptions::default()
            .compression_method(CompressionMethod::Deflated)
            .unix_permissions(entry.mode);
        if let Some(t) = zip_time(&entry.mod_time) {
            options = options.last_modified_time(t);
        }
        if entry.is_dir {
            writer
                .add_directory(format!("{rel}/"), options)
                .map_err(archive_err)?;
        } else {
            let data = fs.read_file(&entry.path)?;
            let options = options.large_file(data.len() as u64 >= u64::from(u32::MAX));
            writer.start_file(rel, options).map_err(archive_err)?;
            writer.write_all(&data).map_err(archive_err)?;
        }
    }
    Ok(writer.finish().map_err(archive_err)?.into_inner())
}

/// Extracts a zip into `dest_dir` (created if missing); all-or-nothing, so a bad archive leaves
/// `fs` untouched.
pub(crate) fn unzip_into(
    fs: &mut FsTree,
    dest_dir: &str,
    bytes: &[u8],
) -> Result<Vec<FsEvent>, FsError> {
    unzip_limited(fs, dest_dir, bytes, MAX_UNZIPPED_BYTES)
}

/// `unzip_into` with an explicit cap on total uncompressed bytes.
fn unzip_limited(
    fs: &mut FsTree,
    dest_dir: &str,
    bytes: &[u8],
    limit: u64,
) -> Result<Vec<FsEvent>, FsError> {
    let dest = normalize(dest_dir)?;
    let mut archive = ZipArchive::new(Cursor::new(bytes)).map_err(archive_err)?;
    if archive.len() > MAX_ENTRIES {
        return Err(FsError::BadArchive(format!(
            "more than {MAX_ENTRIES} entries"
        )));
    }
    // Work on a copy (file bytes are shared, so this is cheap) and commit only on success.
    let mut work = fs.clone();
    let mut events = work.create_dir(&dest, None)?;
    let mut budget = limit;
    for i in 0..archive.len() {
        let mut file = archive.by_index(i).map_err(archive_err)?;
        let raw = file.name().map_err(archive_err)?.into_owned();
        let rel = safe_relative_name(&raw)?;
        if file.enclosed_name().is_none() {
            return Err(FsError::BadArchive(format!("unsafe entry name {raw:?}")));
        }
        let target = if rel.is_empty() {
            dest.clone()
        } else if dest == "/" {
            format!("/{rel}")
        } else {
            format!("{dest}/{rel}")
        };
        let mode = file.unix_mode().map(|m| m & 0o7777).filter(|&m| m != 0);
        if file.is_dir() {
            events.extend(work.create_dir(&target, mode)?);
            continue;
        }
        if file.size() > budget {
            return Err(too_big(limit));
        }
        // The header size can lie, so cap the bytes actually read as well.
        let mut data = Vec::new();
        (&mut file)
            .take(budget + 1)
            .read_to_end(&mut data)
            .map_err(archive_err)?;
        if data.len() as u64 > budget {
            return Err(too_big(limit));
        }
        budget -= data.len() as u64;
        if let Some(parent) = super::fs::parent_of(&target) {
            events.extend(work.create_dir(parent, None)?);
        }
        events.extend(work.write_file(&target, &data, mode)?);
    }
    *fs = work;
    Ok(events)
}

/// Checks an entry name stays inside the destination; returns it with `/` separators and no
/// trailing slash.
fn safe_relative_name(raw: &str) -> Result<String, FsError> {
    let unsafe_name = || FsError::BadArchive(format!("unsafe entry name {raw:?}"));
    let name = raw.replace('\\', "/");
    let b = name.as_bytes();
    let drive = b.len() >= 2
        && b[0].is_ascii_alphabetic()
        && b[1] == b':'
        && b.get(2).is_none_or(|&c| c == b'/');
    if name.starts_with('/') || drive || name.contains('\0') {
        return Err(unsafe_name());
    }
    let mut parts = Vec::new();
    for part in name.split('/') {
        match part {
            "" | "." => {}
            ".." => return Err(unsafe_name()),
            p => parts.push(p),
        }
    }
    Ok(parts.join("/"))
}

/// Converts to the DOS timestamp zip stores; `None` outside its 1980–2107 range.
fn zip_time(t: &chrono::DateTime<chrono::Utc>) -> Option<::zip::DateTime> {
    let year = u16::try_from(t.year()).ok()?;
    let narrow = |v: u32| u8::try_from(v).ok();
    ::zip::DateTime::from_date_and_time(
        year,
        narrow(t.month())?,
        narrow(t.day())?,
        narrow(t.hour())?,
        narrow(t.minute())?,
        narrow(t.second())?,
    )
    .ok()
}

/// The size-cap error.
fn too_big(limit: u64) -> FsError {
    FsError::BadArchive(format!("archive expands beyond {limit} bytes"))
}

/// Wraps a zip or I/O error as `BadArchive`.
fn archive_err(e: impl std::fmt::Display) -> FsError {
    FsError::BadArchive(e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A zip holding the given (name, bytes) entries, stored uncompressed.
    fn raw_zip(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut w = ZipWriter::new(Cursor::new(Vec::new()));
        for (name, data) in entries {
            w.start_file(*name, SimpleFileOptions::default()).unwrap();
            w.write_all(data).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    /// A small tree under `/src` with nested dirs, an empty dir and custom modes.
    fn sample() -> FsTree {
        let mut fs = FsTree::new();
        fs.create_dir("/src/sub/deeper", None).unwrap();
        fs.create_dir("/src/empty", Some(0o700)).unwrap();
        fs.write_file("/src/a.txt", b"alpha alpha alpha", None)
            .unwrap();
        fs.write_file("/src/sub/b.bin", &[0u8, 1, 2, 255], Some(0o600))
            .unwrap();
        fs.write_file("/src/sub/deeper/c", b"", Some(0o755))
            .unwrap();
        fs
    }

    /// (relative path, is_dir, mode, bytes) of everything under `dir`.
    fn snapshot(fs: &FsTree, dir: &str) -> Vec<(String, bool, u32, Vec<u8>)> {
        fs.walk(dir)
            .unwrap()
            .into_iter()
            .map(|e| {
                let data = if e.is_dir {
                    Vec::new()
                } else {
                    fs.read_file(&e.path).unwrap().to_vec()
                };
                (e.path[dir.len()..].to_string(), e.is_dir, e.mode, data)
            })
            .collect()
    }

    #[test]
    fn round_trip_preserves_tree() {
        let mut fs = sample();
        let bytes = zip_dir(&fs, "/src").unwrap();
        let events = unzip_into(&mut fs, "/tmp/out", &bytes).unwrap();
        assert_eq!(snapshot(&fs, "/src"), snapshot(&fs, "/tmp/out"));
        assert!(events.iter().any(|e| e.path == "/tmp/out/sub/b.bin"));
        assert!(events.iter().any(|e| e.path == "/tmp/out" && e.is_dir));
    }

    #[test]
    fn zip_names_are_relative_with_dir_entries() {
        let fs = sample();
        let bytes = zip_dir(&fs, "/src/").unwrap();
        let mut archive = ZipArchive::new(Cursor::new(bytes)).unwrap();
        let mut names = Vec::new();
        for i in 0..archive.len() {
            let f = archive.by_index(i).unwrap();
            assert_eq!(f.compression() == CompressionMethod::Deflated, !f.is_dir());
            names.push(f.name().unwrap().into_owned());
        }
        assert_eq!(
            names,
            [
                "a.txt",
                "empty/",
                "sub/",
                "sub/b.bin",
                "sub/deeper/",
                "sub/deeper/c"
            ]
        );
        let mut f = archive.by_name("a.txt").unwrap();
        let mut s = String::new();
        f.read_to_string(&mut s).unwrap();
        assert_eq!(s, "alpha alpha alpha");
    }

    #[test]
    fn zip_of_root_has_relative_names() {
        let bytes = zip_dir(&FsTree::new(), "/").unwrap();
        let archive = ZipArchive::new(Cursor::new(bytes)).unwrap();
        let mut names: Vec<String> = archive
            .file_names()
            .map(|n| n.unwrap().into_owned())
            .collect();
        names.sort();
        assert_eq!(
            names,
            ["home/", "home/kernel/", "home/kernel/Downloads/", "tmp/"]
        );
    }

    #[test]
    fn zip_dir_errors() {
        let fs = sample();
        assert!(matches!(zip_dir(&fs, "/nope"), Err(FsError::NotFound(_))));
        assert!(matches!(
            zip_dir(&fs, "/src/a.txt"),
            Err(FsError::NotADirectory(_))
        ));
        assert!(matches!(zip_dir(&fs, "src"), Err(FsError::InvalidPath(_))));
    }

    #[test]
    fn implicit_parents_are_created() {
        let mut fs = FsTree::new();
        let bytes = raw_zip(&[("x/y/z.txt", b"zz"), ("./w.txt", b"w")]);
        unzip_into(&mut fs, "/home/kernel", &bytes).unwrap();
        assert_eq!(&fs.read_file("/home/kernel/x/y/z.txt").unwrap()[..], b"zz");
        assert_eq!(&fs.read_file("/home/kernel/w.txt").unwrap()[..], b"w");
    }

    #[test]
    fn zip_slip_is_rejected_and_tree_untouched() {
        for evil in ["../x", "a/../../x", "/etc/passwd", "..\\x", "C:/x"] {
            let mut fs = FsTree::new();
            let before = fs.node_count();
            let bytes = raw_zip(&[("ok.txt", b"fine"), (evil, b"evil")]);
            let err = unzip_into(&mut fs, "/tmp/dest", &bytes).unwrap_err();
            assert!(matches!(err, FsError::BadArchive(_)), "{evil}: {err}");
            assert_eq!(fs.node_count(), before, "{evil} left partial output");
            assert!(!fs.exists("/tmp/x") && !fs.exists("/x"));
        }
    }

    #[test]
    fn garbage_is_rejected() {
        let mut fs = FsTree::new();
        for junk in [&b""[..], b"not a zip at all", &[0x50, 0x4b, 3, 4, 0, 0, 0]] {
            assert!(matches!(
                unzip_into(&mut fs, "/tmp/g", junk),
                Err(FsError::BadArchive(_))
            ));
        }
        assert!(!fs.exists("/tmp/g"));
    }

    #[test]
    fn size_cap_is_enforced() {
        assert_eq!(MAX_UNZIPPED_BYTES, 256 * 1024 * 1024);
        // A small cap keeps the test fast; the real one only differs in the constant.
        let zeros = vec![0u8; 64 * 1024];
        let one = raw_zip(&[("big", &zeros)]);
        let two = raw_zip(&[("a", &zeros[..40_000]), ("b", &zeros[..40_000])]);
        for bytes in [one, two] {
            let mut fs = FsTree::new();
            let err = unzip_limited(&mut fs, "/tmp/big", &bytes, 50_000).unwrap_err();
            assert!(matches!(err, FsError::BadArchive(_)), "{err}");
            assert_eq!(fs.total_bytes(), 0);
        }
        let mut fs = FsTree::new();
        let ok = raw_zip(&[("a", &zeros[..20_000]), ("b", &zeros[..20_000])]);
        unzip_limited(&mut fs, "/tmp/ok", &ok, 50_000).unwrap();
        assert_eq!(fs.total_bytes(), 40_000);
    }

    #[test]
    fn unzip_into_file_fails() {
        let mut fs = FsTree::new();
        fs.write_file("/tmp/f", b"", None).unwrap();
        let bytes = raw_zip(&[("a", b"a")]);
        assert!(unzip_into(&mut fs, "/tmp/f", &bytes).is_err());
        assert!(matches!(
            unzip_into(&mut fs, "rel", &bytes),
            Err(FsError::InvalidPath(_))
        ));
    }
}
