//! The zip archives of the upload areas (extensions, deployments): the entry
//! names of an uploaded archive, and small archives the mock generates
//! (Chrome Web Store downloads), both with the `zip` crate.

use std::io::{Cursor, Write as _};

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, ZipArchive, ZipWriter};

/// The entry names of the zip archive `bytes`, or why it is not one.
pub(crate) fn entry_names(bytes: &[u8]) -> Result<Vec<String>, String> {
    let archive =
        ZipArchive::new(Cursor::new(bytes)).map_err(|e| format!("not a zip archive: {e}"))?;
    archive
        .file_names()
        .map(|name| {
            name.map(|name| name.replace('\\', "/"))
                .map_err(|e| format!("bad zip entry name: {e}"))
        })
        .collect()
}

/// `true` when `names` has `file` at the root or inside one top-level
/// folder (archives of a directory often keep its name).
pub(crate) fn has_file(names: &[String], file: &str) -> bool {
    let file = file.trim_start_matches("./");
    names.iter().any(|name| {
        let name = name.trim_start_matches("./");
        name == file
            || name
                .split_once('/')
                .is_some_and(|(top, rest)| !top.is_empty() && rest == file)
    })
}

/// A zip of `files` (`(name, content)`), stored uncompressed with a fixed
/// date so the same files give the same bytes.
pub(crate) fn stored_zip(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut writer = ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Stored)
        .last_modified_time(DateTime::default());
    for (name, data) in files {
        // Writing to memory fails only on a duplicate name, which the mock's
        // own archives never have.
        if writer.start_file(*name, options).is_ok() {
            let _ = writer.write_all(data);
        }
    }
    writer.finish().map(Cursor::into_inner).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_archives_list_their_names() {
        let zip = stored_zip(&[("manifest.json", b"{}"), ("js/bg.js", b"x")]);
        assert!(zip.starts_with(b"PK\x03\x04"));
        let names = entry_names(&zip).unwrap();
        assert_eq!(names, ["manifest.json", "js/bg.js"]);
        assert!(has_file(&names, "manifest.json"));
        assert!(!has_file(&names, "background.js"));
        assert_eq!(entry_names(&stored_zip(&[])).unwrap().len(), 0);
    }

    #[test]
    fn finds_files_in_one_top_level_folder() {
        let names = vec!["ext/".to_owned(), "ext/manifest.json".to_owned()];
        assert!(has_file(&names, "manifest.json"));
        assert!(!has_file(
            &["a/b/manifest.json".to_owned()],
            "manifest.json"
        ));
        assert!(has_file(&["src/app.py".to_owned()], "./src/app.py"));
    }

    #[test]
    fn rejects_what_is_not_a_zip() {
        assert!(entry_names(b"").is_err());
        assert!(entry_names(b"just some text, long enough to look").is_err());
        let mut cut = stored_zip(&[("a", b"1")]);
        // Point the directory past the end.
        let len = cut.len();
        cut[len - 6..len - 2].copy_from_slice(&1000u32.to_le_bytes());
        assert!(entry_names(&cut).is_err());
    }
}
