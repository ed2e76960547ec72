//! Unit tests for the in-memory filesystem.

use super::*;

/// Kinds and paths of events, for compact assertions.
fn kinds(events: &[FsEvent]) -> Vec<(&'static str, String)> {
    events
        .iter()
        .map(|e| (e.kind.as_str(), e.path.clone()))
        .collect()
}

#[test]
fn new_tree_has_default_dirs() {
    let fs = FsTree::new();
    for d in ["/", "/tmp", "/home/kernel", "/home/kernel/Downloads"] {
        assert!(fs.is_dir(d), "{d} missing");
    }
    assert_eq!(fs.total_bytes(), 0);
    assert_eq!(fs.info("/home/kernel").unwrap().owner, "kernel");
}

#[test]
fn write_read_round_trip_and_events() {
    let mut fs = FsTree::new();
    let ev = fs.write_file("/tmp/a.txt", b"hello", None).unwrap();
    assert_eq!(
        kinds(&ev),
        vec![
            ("CREATE", "/tmp/a.txt".into()),
            ("WRITE", "/tmp/a.txt".into())
        ]
    );
    assert_eq!(&fs.read_file("/tmp/a.txt").unwrap()[..], b"hello");
    let ev = fs.write_file("/tmp//./a.txt", b"hi", Some(0o600)).unwrap();
    assert_eq!(kinds(&ev), vec![("WRITE", "/tmp/a.txt".into())]);
    let info = fs.info("/tmp/a.txt").unwrap();
    assert_eq!(
        (info.size_bytes, info.mode, info.name.as_str()),
        (2, 0o600, "a.txt")
    );
    assert_eq!(fs.total_bytes(), 2);
    // Overwrite without a mode keeps the old one.
    fs.write_file("/tmp/a.txt", b"xyz", None).unwrap();
    assert_eq!(fs.info("/tmp/a.txt").unwrap().mode, 0o600);
}

#[test]
fn write_errors() {
    let mut fs = FsTree::new();
    assert!(matches!(
        fs.write_file("/nope/a", b"", None),
        Err(FsError::NotFound(_))
    ));
    assert!(matches!(
        fs.write_file("/tmp", b"", None),
        Err(FsError::IsADirectory(_))
    ));
    assert!(matches!(
        fs.write_file("rel", b"", None),
        Err(FsError::InvalidPath(_))
    ));
    fs.write_file("/tmp/f", b"", None).unwrap();
    assert!(matches!(
        fs.write_file("/tmp/f/g", b"", None),
        Err(FsError::NotADirectory(_))
    ));
    assert!(matches!(
        fs.read_file("/tmp"),
        Err(FsError::IsADirectory(_))
    ));
    assert!(matches!(fs.read_file("/tmp/zz"), Err(FsError::NotFound(_))));
}

#[test]
fn normalize_paths() {
    assert_eq!(normalize("/a//b/./c/../d/").unwrap(), "/a/b/d");
    assert_eq!(normalize("/").unwrap(), "/");
    assert_eq!(normalize("/a/..").unwrap(), "/");
    assert!(matches!(normalize("/.."), Err(FsError::InvalidPath(_))));
    assert!(matches!(
        normalize("/a/../../b"),
        Err(FsError::InvalidPath(_))
    ));
    assert!(matches!(normalize("a/b"), Err(FsError::InvalidPath(_))));
    assert!(matches!(normalize(""), Err(FsError::InvalidPath(_))));
    assert_eq!(resolve("/home/kernel", "../x").unwrap(), "/home/x");
    assert_eq!(resolve("/home/kernel", "/etc").unwrap(), "/etc");
    assert_eq!(base_name("/a/b"), "b");
    assert_eq!(base_name("/"), "/");
    assert_eq!(parent_of("/a"), Some("/"));
    assert_eq!(parent_of("/a/b"), Some("/a"));
    assert_eq!(parent_of("/"), None);
}

#[test]
fn modes() {
    assert_eq!(mode_string(true, 0o755), "drwxr-xr-x");
    assert_eq!(mode_string(false, 0o644), "-rw-r--r--");
    assert_eq!(mode_string(true, 0o1777), "drwxrwxrwt");
    assert_eq!(mode_string(false, 0o4754), "-rwsr-xr--");
    assert_eq!(mode_string(false, 0o2640), "-rw-r-S---");
    assert_eq!(parse_mode("644").unwrap(), 0o644);
    assert_eq!(parse_mode("0755").unwrap(), 0o755);
    assert_eq!(parse_mode("4755").unwrap(), 0o4755);
    for bad in ["", "64", "12345", "8aa", "-644", "+755", "78 "] {
        assert!(
            matches!(parse_mode(bad), Err(FsError::InvalidPath(_))),
            "{bad}"
        );
    }
    let fs = FsTree::new();
    assert_eq!(fs.info("/tmp").unwrap().mode_string(), "drwxrwxrwt");
    assert_eq!(fs.info("/home").unwrap().mode_string(), "drwxr-xr-x");
}

#[test]
fn list_sorted_direct_children_only() {
    let mut fs = FsTree::new();
    fs.create_dir("/d/sub", None).unwrap();
    fs.write_file("/d/b", b"1", None).unwrap();
    fs.write_file("/d/a", b"22", None).unwrap();
    fs.write_file("/d/sub/deep", b"333", None).unwrap();
    fs.write_file("/d-sibling", b"", None).unwrap();
    let names: Vec<String> = fs.list("/d").unwrap().into_iter().map(|e| e.name).collect();
    assert_eq!(names, ["a", "b", "sub"]);
    let root: Vec<String> = fs.list("/").unwrap().into_iter().map(|e| e.path).collect();
    assert_eq!(root, ["/d", "/d-sibling", "/home", "/tmp"]);
    assert!(matches!(fs.list("/d/a"), Err(FsError::NotADirectory(_))));
    assert!(matches!(fs.list("/zz"), Err(FsError::NotFound(_))));
    let sub = fs.info("/d/sub").unwrap();
    assert!(sub.is_dir);
    assert_eq!(sub.size_bytes, 0);
}

#[test]
fn create_dir_is_mkdir_p() {
    let mut fs = FsTree::new();
    let ev = fs.create_dir("/x/y/z", Some(0o700)).unwrap();
    assert_eq!(
        kinds(&ev),
        vec![
            ("CREATE", "/x".into()),
            ("CREATE", "/x/y".into()),
            ("CREATE", "/x/y/z".into())
        ]
    );
    assert!(ev.iter().all(|e| e.is_dir));
    assert_eq!(fs.info("/x/y/z").unwrap().mode, 0o700);
    assert_eq!(fs.info("/x/y").unwrap().mode, 0o755);
    assert!(fs.create_dir("/x/y/z", None).unwrap().is_empty());
    fs.write_file("/x/f", b"", None).unwrap();
    assert!(matches!(
        fs.create_dir("/x/f", None),
        Err(FsError::AlreadyExists(_))
    ));
    assert!(matches!(
        fs.create_dir("/x/f/g", None),
        Err(FsError::NotADirectory(_))
    ));
}

#[test]
fn delete_file_and_recursive_dir() {
    let mut fs = FsTree::new();
    fs.create_dir("/d/e", None).unwrap();
    fs.write_file("/d/e/f", b"abc", None).unwrap();
    fs.write_file("/d/g", b"de", None).unwrap();
    fs.write_file("/dz", b"keep", None).unwrap();
    assert_eq!(fs.total_bytes(), 9);
    assert!(matches!(
        fs.delete_file("/d"),
        Err(FsError::IsADirectory(_))
    ));
    assert!(matches!(
        fs.delete_dir("/d/g"),
        Err(FsError::NotADirectory(_))
    ));
    assert!(matches!(fs.delete_dir("/"), Err(FsError::InvalidPath(_))));
    let ev = fs.delete_dir("/d").unwrap();
    assert_eq!(
        kinds(&ev),
        vec![
            ("DELETE", "/d/g".into()),
            ("DELETE", "/d/e/f".into()),
            ("DELETE", "/d/e".into()),
            ("DELETE", "/d".into())
        ]
    );
    assert!(!fs.exists("/d/e/f") && !fs.exists("/d"));
    assert!(fs.exists("/dz"));
    assert_eq!(fs.total_bytes(), 4);
    let ev = fs.delete_file("/dz").unwrap();
    assert_eq!(kinds(&ev), vec![("DELETE", "/dz".into())]);
    assert_eq!(fs.total_bytes(), 0);
    assert!(matches!(fs.delete_file("/dz"), Err(FsError::NotFound(_))));
}

#[test]
fn rename_dir_moves_children() {
    let mut fs = FsTree::new();
    fs.create_dir("/a/b", None).unwrap();
    fs.write_file("/a/b/c.txt", b"c", None).unwrap();
    fs.write_file("/a/top", b"t", None).unwrap();
    fs.write_file("/ab", b"not a child", None).unwrap();
    let ev = fs.rename("/a", "/tmp/moved").unwrap();
    assert_eq!(
        kinds(&ev),
        vec![("RENAME", "/a".into()), ("CREATE", "/tmp/moved".into())]
    );
    assert!(!fs.exists("/a") && !fs.exists("/a/b/c.txt"));
    assert_eq!(&fs.read_file("/tmp/moved/b/c.txt").unwrap()[..], b"c");
    assert_eq!(&fs.read_file("/tmp/moved/top").unwrap()[..], b"t");
    assert_eq!(&fs.read_file("/ab").unwrap()[..], b"not a child");
    assert_eq!(fs.total_bytes(), 13);
}

#[test]
fn rename_rules() {
    let mut fs = FsTree::new();
    fs.create_dir("/a/b", None).unwrap();
    fs.write_file("/f", b"1", None).unwrap();
    fs.write_file("/g", b"22", None).unwrap();
    assert!(matches!(
        fs.rename("/a", "/a/b/c"),
        Err(FsError::InvalidPath(_))
    ));
    assert!(matches!(fs.rename("/zz", "/y"), Err(FsError::NotFound(_))));
    assert!(matches!(
        fs.rename("/f", "/no/dir"),
        Err(FsError::NotFound(_))
    ));
    assert!(matches!(
        fs.rename("/f", "/a"),
        Err(FsError::IsADirectory(_))
    ));
    assert!(matches!(
        fs.rename("/a", "/f"),
        Err(FsError::NotADirectory(_))
    ));
    fs.create_dir("/full/x", None).unwrap();
    assert!(matches!(
        fs.rename("/a", "/full"),
        Err(FsError::AlreadyExists(_))
    ));
    // A file replaces a file, as with rename(2).
    fs.rename("/f", "/g").unwrap();
    assert_eq!(&fs.read_file("/g").unwrap()[..], b"1");
    assert_eq!(fs.total_bytes(), 1);
    assert!(fs.rename("/g", "/g").unwrap().is_empty());
    // A directory may move onto an empty directory.
    fs.create_dir("/empty", None).unwrap();
    fs.rename("/a", "/empty").unwrap();
    assert!(fs.is_dir("/empty/b"));
}

#[test]
fn set_permissions_changes_mode_owner_group() {
    let mut fs = FsTree::new();
    fs.write_file("/tmp/x", b"", None).unwrap();
    fs.set_permissions("/tmp/x", 0o755, Some("root"), None)
        .unwrap();
    let e = fs.info("/tmp/x").unwrap();
    assert_eq!(
        (e.mode, e.owner.as_str(), e.group.as_str()),
        (0o755, "root", "kernel")
    );
    assert_eq!(e.mode_string(), "-rwxr-xr-x");
    assert!(matches!(
        fs.set_permissions("/tmp/zz", 0o644, None, None),
        Err(FsError::NotFound(_))
    ));
}

#[test]
fn append_and_touch() {
    let mut fs = FsTree::new();
    let ev = fs.touch("/tmp/t").unwrap();
    assert_eq!(ev[0].kind, FsEventKind::Create);
    assert!(fs.touch("/tmp/t").unwrap().is_empty());
    fs.append_file("/tmp/t", b"ab").unwrap();
    fs.append_file("/tmp/t", b"cd").unwrap();
    assert_eq!(&fs.read_file("/tmp/t").unwrap()[..], b"abcd");
    assert_eq!(fs.total_bytes(), 4);
    assert!(matches!(
        fs.append_file("/tmp", b"x"),
        Err(FsError::IsADirectory(_))
    ));
}

#[test]
fn walk_lists_subtree() {
    let mut fs = FsTree::new();
    fs.create_dir("/w/x", None).unwrap();
    fs.write_file("/w/x/y", b"", None).unwrap();
    let paths: Vec<String> = fs.walk("/w").unwrap().into_iter().map(|e| e.path).collect();
    assert_eq!(paths, ["/w/x", "/w/x/y"]);
    assert_eq!(fs.node_count(), 8);
}

#[test]
fn watch_matching() {
    assert!(watch_matches("/tmp", false, "/tmp/a"));
    assert!(!watch_matches("/tmp", false, "/tmp/a/b"));
    assert!(watch_matches("/tmp", true, "/tmp/a/b"));
    assert!(!watch_matches("/tmp", true, "/tmp"));
    assert!(!watch_matches("/tmp", true, "/tmpx/a"));
    assert!(watch_matches("/", false, "/a"));
    assert!(!watch_matches("/", false, "/a/b"));
    assert!(watch_matches("/tmp/", false, "/tmp//a"));
    assert!(!watch_matches("rel", true, "/x"));
}

#[test]
fn error_display_and_status() {
    assert_eq!(FsError::NotFound("/x".into()).status_hint(), 404);
    assert_eq!(FsError::InvalidPath("x".into()).status_hint(), 400);
    assert_eq!(FsError::IsADirectory("/x".into()).status_hint(), 400);
    assert_eq!(FsError::BadArchive("x".into()).status_hint(), 400);
    assert_eq!(
        FsError::NotFound("/x".into()).to_string(),
        "/x: no such file or directory"
    );
}

#[test]
fn limits_fail_with_no_space_and_change_nothing() {
    let mut fs = FsTree::with_limits(10, 7);
    fs.write_file("/tmp/a", b"12345678", None).unwrap();
    // Overwriting counts the new length only.
    fs.write_file("/tmp/a", b"1234567890", None).unwrap();
    let err = fs.append_file("/tmp/a", b"x").unwrap_err();
    assert_eq!(err, FsError::NoSpace("/tmp/a".into()));
    assert_eq!(err.status_hint(), 400);
    assert_eq!(err.to_string(), "/tmp/a: no space left on device");
    assert_eq!(fs.total_bytes(), 10);
    // Five default directories and /tmp/a: one node left.
    fs.write_file("/tmp/a", b"", None).unwrap();
    fs.create_dir("/tmp/d", None).unwrap();
    assert!(matches!(fs.touch("/tmp/e"), Err(FsError::NoSpace(_))));
    assert!(matches!(
        fs.create_dir("/tmp/x/y", None),
        Err(FsError::NoSpace(_))
    ));
    assert!(!fs.exists("/tmp/e") && !fs.exists("/tmp/x"));
    fs.delete_file("/tmp/a").unwrap();
    fs.touch("/tmp/e").unwrap();
}
