//! kernel-mock's browser VM end to end through the `kernel` client: a
//! spawned process's streamed output and exit code, stdin to a shell and a
//! kill, and a filesystem round trip through a zip, watched.

use std::time::Duration;

use base64::Engine as _;
use futures::StreamExt;
use kernel::sse::ProcessOutput;
use kernel::types::{FileSystemEventType, ProcessStatusState, ProcessStreamEventStream};
use kernel::{Kernel, Upload};
use kernel_mock::KernelMock;

/// A mock with short keepalives, a client for it, and a browser's id.
async fn setup() -> (KernelMock, Kernel, String) {
    let mock = KernelMock::builder()
        .heartbeat_interval(Duration::from_millis(200))
        .start()
        .await
        .unwrap();
    let kernel = kernel_testkit::client::on_fake(&mock);
    let browser = kernel
        .browsers()
        .create()
        .headless(true)
        .send()
        .await
        .unwrap();
    (mock, kernel, browser.session_id)
}

/// stdout, stderr and the exit code of a process's output stream, read to
/// its end (within 10 s).
async fn collect(
    mut output: kernel::sse::EventStream<ProcessOutput>,
) -> (String, String, Option<i64>) {
    let (mut out, mut err, mut code) = (String::new(), String::new(), None);
    let read = async {
        while let Some(item) = output.next().await {
            match item.unwrap() {
                ProcessOutput::Output { stream, data } => {
                    let text = String::from_utf8_lossy(&data);
                    match stream {
                        ProcessStreamEventStream::Stdout => out.push_str(&text),
                        ProcessStreamEventStream::Stderr => err.push_str(&text),
                        other => panic!("unexpected stream {other}"),
                    }
                }
                ProcessOutput::Exit { code: exit } => code = exit,
                other => panic!("unexpected item {other:?}"),
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(10), read)
        .await
        .expect("the stream ends after the exit event");
    (out, err, code)
}

#[tokio::test]
async fn a_spawned_process_streams_its_output_and_exit_code() {
    let (_mock, kernel, id) = setup().await;
    let process = kernel.browsers().process(&id);

    let result = process
        .exec()
        .command("sh")
        .args(["-c", "echo hi; exit 2"])
        .send()
        .await
        .unwrap();
    let stdout = base64::engine::general_purpose::STANDARD
        .decode(result.stdout_b64.unwrap())
        .unwrap();
    assert_eq!(
        (stdout.as_slice(), result.exit_code),
        (&b"hi\n"[..], Some(2))
    );

    let spawned = process
        .spawn()
        .command("sh")
        .args(["-c", "echo one; sleep 0.2; echo two >&2; exit 3"])
        .send()
        .await
        .unwrap();
    let pid = spawned.process_id.expect("process_id");
    assert!(spawned.pid.is_some_and(|p| p > 0));
    let output = process.output(pid).send().await.unwrap();
    let (out, err, code) = collect(output).await;
    assert_eq!(
        (out.as_str(), err.as_str(), code),
        ("one\n", "two\n", Some(3))
    );
    let status = process.status(pid).send().await.unwrap();
    assert_eq!(status.state, Some(ProcessStatusState::Exited));
    assert_eq!(status.exit_code, Some(3));

    // A shell fed through stdin, then killed: 128 + SIGTERM.
    let shell = process.spawn().command("sh").send().await.unwrap();
    let pid = shell.process_id.unwrap();
    let written = process
        .stdin(pid)
        .data_b64(base64::engine::general_purpose::STANDARD.encode("echo from-stdin\n"))
        .send()
        .await
        .unwrap();
    assert_eq!(written.written_bytes, Some(16));
    let mut output = process.output(pid).send().await.unwrap();
    let first = tokio::time::timeout(Duration::from_secs(5), output.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert!(
        matches!(&first, ProcessOutput::Output { data, .. } if data.as_ref() == b"from-stdin\n"),
        "{first:?}"
    );
    let killed = process.kill(pid).signal("TERM").send().await.unwrap();
    assert!(killed.ok);
    let (_, _, code) = collect(output).await;
    assert_eq!(code, Some(143));

    let unknown = kernel::Uuid::nil();
    let err = process.status(unknown).send().await.unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
}

#[tokio::test]
async fn a_directory_round_trips_through_a_zip() {
    let (_mock, kernel, id) = setup().await;
    let fs = kernel.browsers().fs(&id);

    let watch = fs
        .watch()
        .path("/tmp")
        .recursive(true)
        .send()
        .await
        .unwrap();
    let watch_id = watch.watch_id.expect("watch_id");
    let mut events = fs.watch_events(&watch_id).send().await.unwrap();

    fs.write_file()
        .path("/home/kernel/site/index.html")
        .body("<h1>hi</h1>")
        .send()
        .await
        .unwrap();
    fs.create_directory()
        .path("/home/kernel/site/assets")
        .mode("750")
        .send()
        .await
        .unwrap();
    fs.upload()
        .file(
            "/home/kernel/site/assets/logo.bin",
            Upload::bytes(vec![0u8, 159, 146, 150]),
        )
        .send()
        .await
        .unwrap();
    let listing = fs
        .list_files()
        .path("/home/kernel/site")
        .send()
        .await
        .unwrap();
    let names: Vec<&str> = listing.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["assets", "index.html"]);
    assert_eq!(listing[0].mode, "drwxr-x---");

    let archive = fs
        .download_dir_zip()
        .path("/home/kernel/site")
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert!(archive.starts_with(b"PK"));
    fs.upload_zip()
        .zip_file(Upload::bytes(archive))
        .dest_path("/tmp/copy")
        .send()
        .await
        .unwrap();
    let page = fs
        .read_file()
        .path("/tmp/copy/index.html")
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(page.as_ref(), b"<h1>hi</h1>");
    let logo = fs
        .file_info()
        .path("/tmp/copy/assets/logo.bin")
        .send()
        .await
        .unwrap();
    assert_eq!((logo.size_bytes, logo.is_dir), (4, false));
    let assets = fs
        .file_info()
        .path("/tmp/copy/assets")
        .send()
        .await
        .unwrap();
    assert_eq!(assets.mode, "drwxr-x---");

    // The watch saw the extraction.
    let mut created: Vec<String> = Vec::new();
    let wanted = ["/tmp/copy/index.html", "/tmp/copy/assets/logo.bin"];
    while !wanted.iter().all(|w| created.iter().any(|p| p == w)) {
        let event = tokio::time::timeout(Duration::from_secs(5), events.next())
            .await
            .expect("an event")
            .expect("the stream is open")
            .unwrap();
        if event.type_ == FileSystemEventType::Create {
            created.push(event.path);
        }
    }
    assert_eq!(created.first().map(String::as_str), Some("/tmp/copy"));
    drop(events);
    fs.stop_watch(&watch_id).send().await.unwrap();

    fs.move_path()
        .src_path("/tmp/copy")
        .dest_path("/tmp/moved")
        .send()
        .await
        .unwrap();
    fs.delete_file()
        .path("/tmp/moved/index.html")
        .send()
        .await
        .unwrap();
    let err = fs
        .read_file()
        .path("/tmp/moved/index.html")
        .send()
        .await
        .unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
    fs.delete_directory()
        .path("/tmp/moved")
        .send()
        .await
        .unwrap();
    let err = fs.list_files().path("/tmp/moved").send().await.unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
}
