//! The calls of a browser's VM: filesystem, processes, Playwright, logs
//! and curl.

use super::{empty, json, stream, zip_part, Call, Ids, Outcome};
use futures::future::BoxFuture;
use kernel_sys::{open, Client};
use reqwest::multipart::Part;

/// The calls of this area, one per operation.
pub fn calls() -> Vec<(&'static str, Call)> {
    vec![
        // Browser Filesystem
        call!("readFile", stream, |c, ids| c
            .read_file()
            .id(&ids.browser)
            .path("/tmp/a.txt")
            .send()),
        call!("writeFile", empty, |c, ids| c
            .write_file()
            .id(&ids.browser)
            .path("/tmp/a.txt")
            .mode("0644")
            .body(b"hello".to_vec())
            .send()),
        call!("listFiles", json, |c, ids| c
            .list_files()
            .id(&ids.browser)
            .path("/tmp")
            .send()),
        call!("createDirectory", empty, |c, ids| c
            .create_directory()
            .id(&ids.browser)
            .body_map(|b| b.path("/tmp/new"))
            .send()),
        // Where `movePath` moves the file the others use.
        call!("deleteFile", empty, |c, ids| c
            .delete_file()
            .id(&ids.browser)
            .body_map(|b| b.path("/tmp/b.txt"))
            .send()),
        call!("deleteDirectory", empty, |c, ids| c
            .delete_directory()
            .id(&ids.browser)
            .body_map(|b| b.path("/tmp/new"))
            .send()),
        call!("setFilePermissions", empty, |c, ids| c
            .set_file_permissions()
            .id(&ids.browser)
            .body_map(|b| b.path("/tmp/a.txt").mode("0600"))
            .send()),
        call!("fileInfo", json, |c, ids| c
            .file_info()
            .id(&ids.browser)
            .path("/tmp/a.txt")
            .send()),
        call!("movePath", empty, |c, ids| c
            .move_path()
            .id(&ids.browser)
            .body_map(|b| b.src_path("/tmp/a.txt").dest_path("/tmp/b.txt"))
            .send()),
        call!("startFsWatch", json, |c, ids| c
            .start_fs_watch()
            .id(&ids.browser)
            .body_map(|b| b.path("/tmp").recursive(true))
            .send()),
        call!("streamFsEvents", stream, |c, ids| c
            .stream_fs_events()
            .id(&ids.browser)
            .watch_id(&ids.watch)
            .send()),
        call!("stopFsWatch", empty, |c, ids| c
            .stop_fs_watch()
            .id(&ids.browser)
            .watch_id(&ids.watch)
            .send()),
        // Browser Processes
        call!("processExec", json, |c, ids| c
            .process_exec()
            .id(&ids.browser)
            .body_map(|b| b.command("ls").args(vec!["-la".to_string()]))
            .send()),
        call!("processSpawn", json, |c, ids| c
            .process_spawn()
            .id(&ids.browser)
            .body_map(|b| b.command("bash"))
            .send()),
        call!("processStatus", json, |c, ids| c
            .process_status()
            .id(&ids.browser)
            .process_id(ids.process.as_str())
            .send()),
        call!("processStdoutStream", stream, |c, ids| c
            .process_stdout_stream()
            .id(&ids.browser)
            .process_id(ids.process.as_str())
            .send()),
        call!("processStdin", json, |c, ids| c
            .process_stdin()
            .id(&ids.browser)
            .process_id(ids.process.as_str())
            .body_map(|b| b.data_b64("aGVsbG8K"))
            .send()),
        call!("processKill", json, |c, ids| c
            .process_kill()
            .id(&ids.browser)
            .process_id(ids.process.as_str())
            .body_map(|b| b.signal(open::ProcessKillRequestSignal::Term))
            .send()),
        call!("processResize", json, |c, ids| c
            .process_resize()
            .id(&ids.browser)
            .process_id(ids.process.as_str())
            .body_map(|b| b
                .rows(std::num::NonZeroU64::new(24).unwrap())
                .cols(std::num::NonZeroU64::new(80).unwrap()))
            .send()),
        // Browser Playwright
        call!("executePlaywrightCode", json, |c, ids| c
            .execute_playwright_code()
            .id(&ids.browser)
            .body_map(|b| b.code("return await page.title();"))
            .send()),
        // Browser Logs
        call!("logsStream", stream, |c, ids| c
            .logs_stream()
            .id(&ids.browser)
            .source(open::LogsStreamSource::Supervisor)
            .supervisor_process("chromium")
            .send()),
        // Browser Filesystem (continued)
        call!("downloadDirZip", stream, |c, ids| c
            .download_dir_zip()
            .id(&ids.browser)
            .path("/tmp")
            .send()),
        ("uploadFiles", {
            fn run<'a>(c: &'a Client, ids: &'a Ids) -> BoxFuture<'a, Outcome> {
                Box::pin(async move {
                    // A file part with an explicit content type: Prism's multipart
                    // parser crashes (and Prism with it) on a file part without one.
                    let file = Part::bytes(b"hello".to_vec())
                        .file_name("a.txt")
                        .mime_str("text/plain")
                        .unwrap();
                    empty(
                        c.upload_files(&ids.browser, vec![("/tmp/a.txt".to_string(), file)])
                            .await,
                    )
                    .await
                })
            }
            run as Call
        }),
        ("uploadZip", {
            fn run<'a>(c: &'a Client, ids: &'a Ids) -> BoxFuture<'a, Outcome> {
                Box::pin(async move {
                    empty(
                        c.upload_zip(&ids.browser, "/tmp/extracted", zip_part())
                            .await,
                    )
                    .await
                })
            }
            run as Call
        }),
        // Browsers (continued)
        call!("browserCurl", json, |c, ids| c
            .browser_curl()
            .id(&ids.browser)
            // A site the fake agreement test registers: the fake reaches no
            // other host.
            .body_map(|b| b.url("https://netflix.com/login"))
            .send()),
    ]
}
