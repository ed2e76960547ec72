//! Behaviour tests for the fake shell.

use std::collections::BTreeMap;
use std::time::Duration;

use super::super::fs::{FsEventKind, FsTree};
use super::{run, Outcome, ShellContext};

/// Runs a shell line in `/home/kernel` with an empty env and no stdin.
fn sh_in(fs: &mut FsTree, line: &str) -> Outcome {
    let mut ctx = ShellContext {
        fs,
        cwd: String::new(),
        env: BTreeMap::new(),
        stdin: Vec::new(),
    };
    run(line, &[], &mut ctx)
}

/// Runs a shell line on a fresh tree.
fn sh(line: &str) -> Outcome {
    sh_in(&mut FsTree::new(), line)
}

/// Stdout as text.
fn out(o: &Outcome) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Stderr as text.
fn err(o: &Outcome) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn and_or_chains() {
    let o = sh("echo hi && false || echo no");
    assert_eq!((out(&o).as_str(), o.exit_code), ("hi\nno\n", 0));
    let o = sh("false && echo skipped; echo $?");
    assert_eq!(out(&o), "1\n");
    let o = sh("true || echo skipped && echo yes");
    assert_eq!(out(&o), "yes\n");
    assert_eq!(sh("true; false").exit_code, 1);
}

#[test]
fn variables_and_quotes() {
    assert_eq!(out(&sh("echo $HOME")), "/home/kernel\n");
    assert_eq!(out(&sh("echo ${USER}@$PWD")), "kernel@/home/kernel\n");
    assert_eq!(out(&sh("X='a  b'; echo $X; echo \"$X\"")), "a b\na  b\n");
    assert_eq!(
        out(&sh("echo '$HOME' \"q\\\"x\" a\\ b")),
        "$HOME q\"x a b\n"
    );
    assert_eq!(out(&sh("echo -n x; echo y")), "xy\n");
    assert_eq!(out(&sh("echo -e 'a\\tb'")), "a\tb\n");
    assert_eq!(out(&sh("echo ~ ~/x")), "/home/kernel /home/kernel/x\n");
    assert_eq!(out(&sh("echo $(echo inner) `echo bq`")), "inner bq\n");
    assert_eq!(
        out(&sh("FOO=1 env | head -n 1; echo [$FOO]")),
        "FOO=1\n[]\n"
    );
}

#[test]
fn caller_env_and_cwd_apply_and_persist() {
    let mut fs = FsTree::new();
    let mut ctx = ShellContext {
        fs: &mut fs,
        cwd: "/tmp".into(),
        env: BTreeMap::from([("GREETING".to_string(), "hey".to_string())]),
        stdin: Vec::new(),
    };
    let o = run("echo $GREETING $PWD; cd /home; export NEW=1", &[], &mut ctx);
    assert_eq!(out(&o), "hey /tmp\n");
    assert_eq!(ctx.cwd, "/home");
    assert_eq!(ctx.env.get("NEW").map(String::as_str), Some("1"));
    let o = run("env", &[], &mut ctx);
    let env = out(&o);
    assert!(
        env.contains("GREETING=hey\n") && env.contains("PWD=/home\n"),
        "{env}"
    );
    assert!(env.contains("HOME=/home/kernel\n") && env.contains("USER=kernel\n"));
    let lines: Vec<&str> = env.lines().collect();
    let mut sorted = lines.clone();
    sorted.sort();
    assert_eq!(lines, sorted);
}

#[test]
fn direct_exec_does_not_interpret_args() {
    let mut fs = FsTree::new();
    let mut ctx = ShellContext {
        fs: &mut fs,
        cwd: String::new(),
        env: BTreeMap::new(),
        stdin: Vec::new(),
    };
    let args = vec!["$HOME".to_string(), "a && b".to_string()];
    let o = run("echo", &args, &mut ctx);
    assert_eq!(out(&o), "$HOME a && b\n");
    let o = run("/bin/echo", &["x".to_string()], &mut ctx);
    assert_eq!(out(&o), "x\n");
    let o = run(
        "bash",
        &[
            "-c".into(),
            "echo $0 $1; exit 4".into(),
            "me".into(),
            "one".into(),
        ],
        &mut ctx,
    );
    assert_eq!((out(&o).as_str(), o.exit_code), ("me one\n", 4));
}

#[test]
fn pipes() {
    assert_eq!(out(&sh("echo hello | cat")), "hello\n");
    assert_eq!(out(&sh("printf 'a\\nb\\nc\\n' | head -n 2 | wc -l")), "2\n");
    assert_eq!(out(&sh("echo abc | wc -c")), "4\n");
    let o = sh("echo x | false");
    assert_eq!(o.exit_code, 1);
    // Pipeline stages are subshells.
    assert_eq!(out(&sh("cd /tmp | true; pwd")), "/home/kernel\n");
}

#[test]
fn stdin_is_read_once() {
    let mut fs = FsTree::new();
    let mut ctx = ShellContext {
        fs: &mut fs,
        cwd: String::new(),
        env: BTreeMap::new(),
        stdin: b"one\ntwo\n".to_vec(),
    };
    let o = run("cat; cat", &[], &mut ctx);
    assert_eq!(out(&o), "one\ntwo\n");
    ctx.stdin = b"echo from-stdin".to_vec();
    assert_eq!(out(&run("sh", &[], &mut ctx)), "from-stdin\n");
}

#[test]
fn redirections_write_fake_fs() {
    let mut fs = FsTree::new();
    let o = sh_in(
        &mut fs,
        "echo one > /tmp/f; echo two >> /tmp/f; cat < /tmp/f",
    );
    assert_eq!(out(&o), "one\ntwo\n");
    assert_eq!(&fs.read_file("/tmp/f").unwrap()[..], b"one\ntwo\n");
    assert!(o
        .events
        .iter()
        .any(|e| e.kind == FsEventKind::Create && e.path == "/tmp/f"));
    let o = sh_in(&mut fs, "cat /nope 2>&1 >/dev/null; cat /nope >/tmp/g 2>&1");
    assert_eq!(out(&o), "cat: /nope: No such file or directory\n");
    assert_eq!(
        &fs.read_file("/tmp/g").unwrap()[..],
        b"cat: /nope: No such file or directory\n"
    );
    let o = sh_in(&mut fs, "echo x > /no/dir/f");
    assert_eq!(o.exit_code, 1);
    assert!(err(&o).contains("cannot create"));
    assert_eq!(out(&sh_in(&mut fs, "echo e >&2 2>/dev/null")), "");
}

#[test]
fn cat_missing_file() {
    let o = sh("cat /missing.txt");
    assert_eq!(o.exit_code, 1);
    assert_eq!(err(&o), "cat: /missing.txt: No such file or directory\n");
    assert!(o.stdout.is_empty());
}

#[test]
fn cwd_relative_paths() {
    let mut fs = FsTree::new();
    fs.write_file("/home/kernel/notes.txt", b"hello notes", None)
        .unwrap();
    assert_eq!(out(&sh_in(&mut fs, "cat notes.txt")), "hello notes");
    assert_eq!(
        out(&sh_in(&mut fs, "cd /home && cat kernel/notes.txt")),
        "hello notes"
    );
    assert_eq!(out(&sh_in(&mut fs, "cd ../../../..; pwd")), "/\n");
    let o = sh_in(&mut fs, "cd /nope");
    assert!(o.exit_code != 0 && err(&o).contains("can't cd"));
}

#[test]
fn unknown_command_is_127() {
    let o = sh("definitely-not-a-command --flag");
    assert_eq!(o.exit_code, 127);
    assert_eq!(err(&o), "definitely-not-a-command: command not found\n");
    let mut fs = FsTree::new();
    let mut ctx = ShellContext {
        fs: &mut fs,
        cwd: String::new(),
        env: BTreeMap::new(),
        stdin: Vec::new(),
    };
    let o = run("python3", &["-V".to_string()], &mut ctx);
    assert_eq!(
        (o.exit_code, err(&o).as_str()),
        (127, "python3: command not found\n")
    );
}

#[test]
fn exit_codes() {
    let o = sh("exit 3; echo unreachable");
    assert_eq!((o.exit_code, out(&o).as_str()), (3, ""));
    assert_eq!(sh("exit 256").exit_code, 0);
    assert_eq!(sh("exit -1").exit_code, 255);
    assert_eq!(sh("exit nope").exit_code, 2);
    let o = sh("sh -c 'exit 5'; echo after $?");
    assert_eq!((o.exit_code, out(&o).as_str()), (0, "after 5\n"));
}

#[test]
fn parse_errors_exit_2() {
    for line in ["echo 'unterminated", "echo \"open", "| cat", "a &&"] {
        let o = sh(line);
        assert_eq!(o.exit_code, 2, "{line}");
        assert!(!o.stderr.is_empty(), "{line}");
    }
}

#[test]
fn sleep_accumulates() {
    assert_eq!(sh("sleep 0.5").sleep, Duration::from_millis(500));
    assert_eq!(
        sh("sleep 0.5; sleep 1 && sleep 0.25").sleep,
        Duration::from_millis(1750)
    );
    assert_eq!(sh("sleep 1m").sleep, Duration::from_secs(60));
    // Pipeline stages run concurrently: the slowest one counts.
    assert_eq!(sh("sleep 2 | sleep 1").sleep, Duration::from_secs(2));
    assert_eq!(sh("sleep infinity").sleep, Duration::MAX);
    let o = sh("sleep -1");
    assert_eq!((o.exit_code, o.sleep), (1, Duration::ZERO));
    assert_eq!(sh("sleep abc").exit_code, 1);
}

#[test]
fn sh_c_recurses() {
    assert_eq!(
        out(&sh("sh -c \"echo nested && echo two\"")),
        "nested\ntwo\n"
    );
    assert_eq!(
        out(&sh("bash -lc 'cd /tmp; pwd'; pwd")),
        "/tmp\n/home/kernel\n"
    );
    assert_eq!(out(&sh("sh -c 'echo $1-$2' zero a b")), "a-b\n");
    assert_eq!(out(&sh("bash -euo pipefail -c 'echo ok'")), "ok\n");
    // Self-invoking input stops at the nesting limit instead of overflowing the stack.
    let mut fs = FsTree::new();
    fs.write_file("/tmp/loop.sh", b"sh /tmp/loop.sh", None)
        .unwrap();
    let o = sh_in(&mut fs, "sh /tmp/loop.sh");
    assert!(err(&o).contains("nesting"), "{}", err(&o));
}

#[test]
fn printf_reuses_format() {
    assert_eq!(out(&sh("printf '%s=%d\\n' a 1 b 2")), "a=1\nb=2\n");
    assert_eq!(out(&sh("printf '%%|%5s|\\t%s' x")), "%|    x|\t");
}

#[test]
fn file_commands() {
    let mut fs = FsTree::new();
    let o = sh_in(
        &mut fs,
        "mkdir -p /tmp/a/b && touch /tmp/a/b/f /tmp/a/.hidden && ls /tmp/a",
    );
    assert_eq!((out(&o).as_str(), o.exit_code), ("b\n", 0));
    assert!(o
        .events
        .iter()
        .any(|e| e.path == "/tmp/a/b/f" && e.kind == FsEventKind::Create));
    assert_eq!(out(&sh_in(&mut fs, "ls -a /tmp/a")), ".\n..\n.hidden\nb\n");
    let o = sh_in(&mut fs, "mkdir /tmp/a");
    assert_eq!(o.exit_code, 1);
    assert!(err(&o).contains("File exists"));
    assert_eq!(sh_in(&mut fs, "mkdir /tmp/x/y").exit_code, 1);
    let o = sh_in(&mut fs, "rm /tmp/a");
    assert!(o.exit_code == 1 && err(&o).contains("Is a directory"));
    assert_eq!(sh_in(&mut fs, "rm /tmp/nope").exit_code, 1);
    assert_eq!(sh_in(&mut fs, "rm -f /tmp/nope").exit_code, 0);
    assert_eq!(sh_in(&mut fs, "rm -rf /").exit_code, 1);
    let o = sh_in(&mut fs, "rm -r /tmp/a");
    assert_eq!(o.exit_code, 0);
    assert!(!fs.exists("/tmp/a/b/f") && !fs.exists("/tmp/a"));
    assert!(o
        .events
        .iter()
        .any(|e| e.kind == FsEventKind::Delete && e.path == "/tmp/a"));
}

#[test]
fn ls_long_and_missing() {
    let mut fs = FsTree::new();
    fs.write_file("/tmp/file.txt", b"12345", Some(0o600))
        .unwrap();
    let o = sh_in(&mut fs, "ls -l /tmp");
    let text = out(&o);
    let line = text
        .lines()
        .find(|l| l.ends_with(" file.txt"))
        .unwrap_or_default();
    assert!(line.starts_with("-rw------- 1 kernel kernel 5 "), "{text}");
    assert!(text.starts_with("total "));
    let o = sh_in(&mut fs, "ls /tmp/file.txt /zz");
    assert_eq!(out(&o), "/tmp/file.txt\n");
    assert_eq!(o.exit_code, 2);
    assert!(err(&o).contains("cannot access '/zz'"));
}

#[test]
fn wc_head_whoami_pwd() {
    let mut fs = FsTree::new();
    fs.write_file("/tmp/t", b"l1\nl2 w\nl3\n", None).unwrap();
    assert_eq!(out(&sh_in(&mut fs, "wc -l /tmp/t")), "3 /tmp/t\n");
    assert_eq!(out(&sh_in(&mut fs, "wc -c < /tmp/t")), "11\n");
    assert_eq!(out(&sh_in(&mut fs, "head -n 1 /tmp/t")), "l1\n");
    assert_eq!(out(&sh_in(&mut fs, "head -2 /tmp/t")), "l1\nl2 w\n");
    assert_eq!(out(&sh_in(&mut fs, "head -c 4 /tmp/t")), "l1\nl");
    assert_eq!(sh_in(&mut fs, "head -n x /tmp/t").exit_code, 1);
    assert_eq!(out(&sh("whoami; pwd")), "kernel\n/home/kernel\n");
}

#[test]
fn bad_cwd_is_reported() {
    let mut fs = FsTree::new();
    let mut ctx = ShellContext {
        fs: &mut fs,
        cwd: "/does/not/exist".into(),
        env: BTreeMap::new(),
        stdin: Vec::new(),
    };
    let o = run("pwd", &[], &mut ctx);
    assert_eq!(o.exit_code, 1);
    assert!(o.stdout.is_empty());
}

/// Xorshift PRNG, so the odd-input test is deterministic without a dependency.
fn next(seed: &mut u64) -> u64 {
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    *seed
}

#[test]
fn never_panics_on_odd_input() {
    let fragments = [
        "echo",
        "cat",
        "ls -la",
        "'",
        "\"",
        "\\",
        "$",
        "${",
        "}",
        "$(",
        ")",
        "`",
        "|",
        "||",
        "&&",
        ";",
        "&",
        ">",
        ">>",
        "<",
        "2>&1",
        ">&",
        "~",
        "#",
        "\n",
        " ",
        "sh -c",
        "bash -c",
        "exit",
        "sleep 1e308",
        "printf %",
        "%*.*d",
        "%b",
        "\\0777",
        "\\x",
        "head -n",
        "rm -rf",
        "mkdir -p",
        "/",
        "..",
        "/tmp",
        "$?",
        "$@",
        "\"$@\"",
        "$9",
        "${#}",
        "é",
        "\u{0}",
        "日本",
        "x=",
        "=",
        "cd",
        "cd -",
        "wc",
        "env",
        "export",
        "unset",
        "touch",
        "*",
        "-",
        "--",
        "0",
        "999999999999",
    ];
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut fs = FsTree::new();
    for _ in 0..4000 {
        let n = next(&mut seed) % 8 + 1;
        let mut line = String::new();
        for _ in 0..n {
            let i = (next(&mut seed) % fragments.len() as u64) as usize;
            line.push_str(fragments[i]);
            if next(&mut seed) & 1 == 0 {
                line.push(' ');
            }
        }
        let o = sh_in(&mut fs, &line);
        assert!(
            (0..=255).contains(&o.exit_code),
            "{line:?} gave {}",
            o.exit_code
        );
    }
    // Every prefix of a tricky line must also be handled.
    let tricky =
        "echo \"a$(echo 'b)c' `x`)\" ${HOME} 'q\\' \\\n|| printf '%-5.2s\\x41' é && exit 7";
    for (i, _) in tricky.char_indices() {
        let o = sh_in(&mut fs, &tricky[..i]);
        assert!((0..=255).contains(&o.exit_code));
    }
}

#[test]
fn timeline_stamps_output_with_simulated_time() {
    let at = |o: &Outcome| -> Vec<(u64, bool, String)> {
        o.timeline
            .iter()
            .map(|c| {
                let text = String::from_utf8_lossy(&c.data).into_owned();
                (c.at.as_millis() as u64, c.stderr, text)
            })
            .collect()
    };
    let o = sh("echo a; sleep 1; echo b >&2; sleep 0.5; echo c");
    assert_eq!(
        at(&o),
        [
            (0, false, "a\n".into()),
            (1000, true, "b\n".into()),
            (1500, false, "c\n".into())
        ]
    );
    // Nested shells keep their stamps; a pipeline's output appears when it ends.
    let o = sh("sh -c 'echo x; sleep 2; echo y'; echo z | cat; sleep 1 | echo p");
    assert_eq!(
        at(&o),
        [
            (0, false, "x\n".into()),
            (2000, false, "y\nz\n".into()),
            (3000, false, "p\n".into())
        ]
    );
    // Redirected output leaves the timeline; errors appear when written.
    let o = sh("echo hidden > /tmp/f; sleep 1; cat /nope; echo shown");
    assert_eq!(
        at(&o),
        [
            (1000, true, "cat: /nope: No such file or directory\n".into()),
            (1000, false, "shown\n".into())
        ]
    );
    let joined: Vec<u8> = o
        .timeline
        .iter()
        .filter(|c| !c.stderr)
        .flat_map(|c| c.data.clone())
        .collect();
    assert_eq!(joined, o.stdout);
}

#[test]
fn exited_says_whether_the_run_called_exit() {
    assert!(sh("echo a; exit 3").exited);
    assert_eq!(sh("echo a; exit 3").exit_code, 3);
    assert!(!sh("sh -c 'exit 3'").exited);
    assert!(!sh("false").exited);
}
