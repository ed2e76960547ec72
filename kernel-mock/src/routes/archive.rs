//! Just enough of the zip format for the upload areas: the entry names of an
//! uploaded archive (from its central directory; nothing is decompressed)
//! and small uncompressed archives the mock generates (Chrome Web Store
//! downloads).

/// Signature of the end-of-central-directory record.
const END_OF_DIRECTORY: u32 = 0x0605_4b50;
/// Signature of a central directory entry.
const DIRECTORY_ENTRY: u32 = 0x0201_4b50;
/// Signature of a local file header.
const LOCAL_HEADER: u32 = 0x0403_4b50;
/// Length of the end-of-central-directory record without its comment.
const END_LEN: usize = 22;
/// DOS date of the generated entries (2025-01-01), so archives are
/// byte-for-byte reproducible.
const DOS_DATE: u16 = ((2025 - 1980) << 9) | (1 << 5) | 1;
/// General-purpose flag: names are UTF-8.
const UTF8_NAMES: u16 = 0x0800;

fn u16_at(bytes: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(bytes.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}

/// The entry names of the zip archive `bytes`, or why it is not one.
pub(crate) fn entry_names(bytes: &[u8]) -> Result<Vec<String>, String> {
    const NOT_ZIP: &str = "not a zip archive";
    if bytes.len() < END_LEN {
        return Err(NOT_ZIP.into());
    }
    // The record sits at the end, after a comment of at most 64 KiB.
    let lowest = bytes.len().saturating_sub(END_LEN + usize::from(u16::MAX));
    let end = (lowest..=bytes.len() - END_LEN)
        .rev()
        .find(|&at| u32_at(bytes, at) == Some(END_OF_DIRECTORY))
        .ok_or(NOT_ZIP)?;
    let count = u16_at(bytes, end + 10).ok_or(NOT_ZIP)?;
    let offset = u32_at(bytes, end + 16).ok_or(NOT_ZIP)?;
    if count == u16::MAX || offset == u32::MAX {
        return Err("zip64 archives are not supported".into());
    }
    let mut at = offset as usize;
    let mut names = Vec::with_capacity(usize::from(count));
    for _ in 0..count {
        let truncated = || "truncated zip central directory".to_owned();
        if u32_at(bytes, at) != Some(DIRECTORY_ENTRY) {
            return Err(truncated());
        }
        let name_len = usize::from(u16_at(bytes, at + 28).ok_or_else(truncated)?);
        let extra_len = usize::from(u16_at(bytes, at + 30).ok_or_else(truncated)?);
        let comment_len = usize::from(u16_at(bytes, at + 32).ok_or_else(truncated)?);
        let name = bytes
            .get(at + 46..at + 46 + name_len)
            .ok_or_else(truncated)?;
        names.push(String::from_utf8_lossy(name).replace('\\', "/"));
        at += 46 + name_len + extra_len + comment_len;
    }
    Ok(names)
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

/// The CRC-32 (IEEE) of `data`.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = u32::MAX;
    for &byte in data {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// An uncompressed zip of `files` (`(name, content)`, each well under 4 GiB).
pub(crate) fn stored_zip(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut directory = Vec::new();
    for (name, data) in files {
        let offset = out.len() as u32;
        let crc = crc32(data);
        let size = data.len() as u32;
        let name_len = name.len() as u16;
        // The fields both headers share: version needed, flags, method
        // (stored), time, date, CRC, sizes, name length, extra length.
        let mut common = Vec::new();
        for half in [20, UTF8_NAMES, 0, 0, DOS_DATE] {
            common.extend_from_slice(&half.to_le_bytes());
        }
        for word in [crc, size, size] {
            common.extend_from_slice(&word.to_le_bytes());
        }
        common.extend_from_slice(&name_len.to_le_bytes());
        common.extend_from_slice(&0u16.to_le_bytes());

        out.extend_from_slice(&LOCAL_HEADER.to_le_bytes());
        out.extend_from_slice(&common);
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(data);

        directory.extend_from_slice(&DIRECTORY_ENTRY.to_le_bytes());
        directory.extend_from_slice(&20u16.to_le_bytes());
        directory.extend_from_slice(&common);
        // Comment length, disk, internal and external attributes.
        directory.extend_from_slice(&[0; 10]);
        directory.extend_from_slice(&offset.to_le_bytes());
        directory.extend_from_slice(name.as_bytes());
    }
    let directory_offset = out.len() as u32;
    let count = files.len() as u16;
    out.extend_from_slice(&directory);
    out.extend_from_slice(&END_OF_DIRECTORY.to_le_bytes());
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(&count.to_le_bytes());
    out.extend_from_slice(&count.to_le_bytes());
    out.extend_from_slice(&(directory.len() as u32).to_le_bytes());
    out.extend_from_slice(&directory_offset.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc_matches_the_check_value() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    }

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
