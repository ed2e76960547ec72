//! Browser sessions and everything on one browser: replays, computer controls,
//! filesystem, processes, Playwright.

use crate::download::{readiness, Download, Readiness};
use crate::error::Result;
use crate::sse::{self, connector, EventStream, ProcessOutput, Telemetry};
use crate::sys::{builder, types};
use crate::upload::Upload;
use crate::Kernel;

/// Browser sessions (`Browsers` tag).
#[derive(Clone, Copy, Debug)]
pub struct Browsers<'a> {
    pub(crate) kernel: &'a Kernel,
}

impl<'a> Browsers<'a> {
    /// List browser sessions: `GET /browsers` (`getBrowsers`).
    pub fn list(&self) -> builder::GetBrowsers<'a> {
        self.kernel.sys().get_browsers()
    }

    /// Create a browser session: `POST /browsers` (`postBrowsers`).
    pub fn create(&self) -> builder::PostBrowsers<'a> {
        self.kernel.sys().post_browsers()
    }

    /// Get browser session details: `GET /browsers/{id}` (`getBrowsersById`).
    pub fn get(&self, id: &str) -> builder::GetBrowsersById<'a> {
        self.kernel.sys().get_browsers_by_id().id(id)
    }

    /// Delete a browser session by ID: `DELETE /browsers/{id}` (`deleteBrowsersById`).
    pub fn delete(&self, id: &str) -> builder::DeleteBrowsersById<'a> {
        self.kernel.sys().delete_browsers_by_id().id(id)
    }

    /// Update browser session: `PATCH /browsers/{id}` (`patchBrowsersById`).
    pub fn update(&self, id: &str) -> builder::PatchBrowsersById<'a> {
        self.kernel.sys().patch_browsers_by_id().id(id)
    }

    /// Make an HTTP request through the browser's network stack: `POST /browsers/{id}/curl` (`browserCurl`).
    pub fn curl(&self, id: &str) -> builder::BrowserCurl<'a> {
        self.kernel.sys().browser_curl().id(id)
    }
}

/// Video replays of one browser (`Browser Replays` tag).
#[derive(Clone, Debug)]
pub struct BrowserReplays<'a> {
    pub(crate) kernel: &'a Kernel,
    id: String,
}

impl<'a> BrowserReplays<'a> {
    /// List browser session replays: `GET /browsers/{id}/replays` (`listBrowsersReplays`).
    pub fn list(&self) -> builder::ListBrowsersReplays<'a> {
        self.kernel
            .sys()
            .list_browsers_replays()
            .id(self.id.clone())
    }

    /// Start a browser session replay recording: `POST /browsers/{id}/replays` (`startBrowserReplayRecording`).
    pub fn start(&self) -> builder::StartBrowserReplayRecording<'a> {
        self.kernel
            .sys()
            .start_browser_replay_recording()
            .id(self.id.clone())
    }

    /// Stop a browser session replay recording: `POST /browsers/{id}/replays/{replay_id}/stop` (`stopBrowserReplayRecording`).
    pub fn stop(&self, replay_id: &str) -> builder::StopBrowserReplayRecording<'a> {
        self.kernel
            .sys()
            .stop_browser_replay_recording()
            .id(self.id.clone())
            .replay_id(replay_id)
    }
}

/// Mouse, keyboard, screen and clipboard of one browser (`Browser Computer Controls` tag).
#[derive(Clone, Debug)]
pub struct Computer<'a> {
    pub(crate) kernel: &'a Kernel,
    id: String,
}

impl<'a> Computer<'a> {
    /// Simulate a mouse click action on the browser instance: `POST /browsers/{id}/computer/click_mouse` (`clickMouse`).
    pub fn click_mouse(&self) -> builder::ClickMouse<'a> {
        self.kernel.sys().click_mouse().id(self.id.clone())
    }

    /// Move the mouse cursor to the specified coordinates on the browser instance: `POST /browsers/{id}/computer/move_mouse` (`moveMouse`).
    pub fn move_mouse(&self) -> builder::MoveMouse<'a> {
        self.kernel.sys().move_mouse().id(self.id.clone())
    }

    /// Capture a screenshot of the browser instance: `POST /browsers/{id}/computer/screenshot` (`takeScreenshot`).
    pub fn screenshot(&self) -> builder::TakeScreenshot<'a> {
        self.kernel.sys().take_screenshot().id(self.id.clone())
    }

    /// Type text on the browser instance: `POST /browsers/{id}/computer/type` (`typeText`).
    pub fn type_text(&self) -> builder::TypeText<'a> {
        self.kernel.sys().type_text().id(self.id.clone())
    }

    /// Press one or more keys on the host computer: `POST /browsers/{id}/computer/press_key` (`pressKey`).
    pub fn press_key(&self) -> builder::PressKey<'a> {
        self.kernel.sys().press_key().id(self.id.clone())
    }

    /// Scroll the mouse wheel at a position on the host computer: `POST /browsers/{id}/computer/scroll` (`scroll`).
    pub fn scroll(&self) -> builder::Scroll<'a> {
        self.kernel.sys().scroll().id(self.id.clone())
    }

    /// Drag the mouse along a path: `POST /browsers/{id}/computer/drag_mouse` (`dragMouse`).
    pub fn drag_mouse(&self) -> builder::DragMouse<'a> {
        self.kernel.sys().drag_mouse().id(self.id.clone())
    }

    /// Set cursor visibility: `POST /browsers/{id}/computer/cursor` (`setCursor`).
    pub fn set_cursor(&self) -> builder::SetCursor<'a> {
        self.kernel.sys().set_cursor().id(self.id.clone())
    }

    /// Execute a batch of computer actions sequentially: `POST /browsers/{id}/computer/batch` (`batchComputerAction`).
    pub fn batch(&self) -> builder::BatchComputerAction<'a> {
        self.kernel
            .sys()
            .batch_computer_action()
            .id(self.id.clone())
    }

    /// Get the current mouse cursor position on the browser instance: `POST /browsers/{id}/computer/get_mouse_position` (`getMousePosition`).
    pub fn mouse_position(&self) -> builder::GetMousePosition<'a> {
        self.kernel.sys().get_mouse_position().id(self.id.clone())
    }

    /// Read text from the clipboard on the browser instance: `POST /browsers/{id}/computer/clipboard/read` (`readClipboard`).
    pub fn read_clipboard(&self) -> builder::ReadClipboard<'a> {
        self.kernel.sys().read_clipboard().id(self.id.clone())
    }

    /// Write text to the clipboard on the browser instance: `POST /browsers/{id}/computer/clipboard/write` (`writeClipboard`).
    pub fn write_clipboard(&self) -> builder::WriteClipboard<'a> {
        self.kernel.sys().write_clipboard().id(self.id.clone())
    }
}

/// The filesystem of one browser (`Browser Filesystem` tag).
#[derive(Clone, Debug)]
pub struct Filesystem<'a> {
    pub(crate) kernel: &'a Kernel,
    id: String,
}

impl<'a> Filesystem<'a> {
    /// Read file contents: `GET /browsers/{id}/fs/read_file` (`readFile`).
    pub fn read_file(&self) -> builder::ReadFile<'a> {
        self.kernel.sys().read_file().id(self.id.clone())
    }

    /// Write or create a file: `PUT /browsers/{id}/fs/write_file` (`writeFile`).
    pub fn write_file(&self) -> builder::WriteFile<'a> {
        self.kernel.sys().write_file().id(self.id.clone())
    }

    /// List files in a directory: `GET /browsers/{id}/fs/list_files` (`listFiles`).
    pub fn list_files(&self) -> builder::ListFiles<'a> {
        self.kernel.sys().list_files().id(self.id.clone())
    }

    /// Create a new directory: `PUT /browsers/{id}/fs/create_directory` (`createDirectory`).
    pub fn create_directory(&self) -> builder::CreateDirectory<'a> {
        self.kernel.sys().create_directory().id(self.id.clone())
    }

    /// Delete a file: `PUT /browsers/{id}/fs/delete_file` (`deleteFile`).
    pub fn delete_file(&self) -> builder::DeleteFile<'a> {
        self.kernel.sys().delete_file().id(self.id.clone())
    }

    /// Delete a directory: `PUT /browsers/{id}/fs/delete_directory` (`deleteDirectory`).
    pub fn delete_directory(&self) -> builder::DeleteDirectory<'a> {
        self.kernel.sys().delete_directory().id(self.id.clone())
    }

    /// Set file or directory permissions/ownership: `PUT /browsers/{id}/fs/set_file_permissions` (`setFilePermissions`).
    pub fn set_permissions(&self) -> builder::SetFilePermissions<'a> {
        self.kernel.sys().set_file_permissions().id(self.id.clone())
    }

    /// Get information about a file or directory: `GET /browsers/{id}/fs/file_info` (`fileInfo`).
    pub fn file_info(&self) -> builder::FileInfo<'a> {
        self.kernel.sys().file_info().id(self.id.clone())
    }

    /// Move or rename a file or directory: `PUT /browsers/{id}/fs/move` (`movePath`).
    pub fn move_path(&self) -> builder::MovePath<'a> {
        self.kernel.sys().move_path().id(self.id.clone())
    }

    /// Watch a directory for changes: `POST /browsers/{id}/fs/watch` (`startFsWatch`).
    pub fn watch(&self) -> builder::StartFsWatch<'a> {
        self.kernel.sys().start_fs_watch().id(self.id.clone())
    }

    /// Stop watching a directory: `DELETE /browsers/{id}/fs/watch/{watch_id}` (`stopFsWatch`).
    pub fn stop_watch(&self, watch_id: &str) -> builder::StopFsWatch<'a> {
        self.kernel
            .sys()
            .stop_fs_watch()
            .id(self.id.clone())
            .watch_id(watch_id)
    }

    /// Download a directory as a ZIP archive: `GET /browsers/{id}/fs/download_dir_zip` (`downloadDirZip`).
    pub fn download_dir_zip(&self) -> builder::DownloadDirZip<'a> {
        self.kernel.sys().download_dir_zip().id(self.id.clone())
    }
}

/// Processes on one browser (`Browser Processes` tag).
#[derive(Clone, Debug)]
pub struct Processes<'a> {
    pub(crate) kernel: &'a Kernel,
    id: String,
}

impl<'a> Processes<'a> {
    /// Execute a command synchronously: `POST /browsers/{id}/process/exec` (`processExec`).
    pub fn exec(&self) -> builder::ProcessExec<'a> {
        self.kernel.sys().process_exec().id(self.id.clone())
    }

    /// Execute a command asynchronously: `POST /browsers/{id}/process/spawn` (`processSpawn`).
    pub fn spawn(&self) -> builder::ProcessSpawn<'a> {
        self.kernel.sys().process_spawn().id(self.id.clone())
    }

    /// Get process status: `GET /browsers/{id}/process/{process_id}/status` (`processStatus`).
    pub fn status(&self, process_id: &str) -> builder::ProcessStatus<'a> {
        self.kernel
            .sys()
            .process_status()
            .id(self.id.clone())
            .process_id(process_id)
    }

    /// Write to process stdin: `POST /browsers/{id}/process/{process_id}/stdin` (`processStdin`).
    pub fn stdin(&self, process_id: &str) -> builder::ProcessStdin<'a> {
        self.kernel
            .sys()
            .process_stdin()
            .id(self.id.clone())
            .process_id(process_id)
    }

    /// Send signal to process: `POST /browsers/{id}/process/{process_id}/kill` (`processKill`).
    pub fn kill(&self, process_id: &str) -> builder::ProcessKill<'a> {
        self.kernel
            .sys()
            .process_kill()
            .id(self.id.clone())
            .process_id(process_id)
    }

    /// Resize a PTY-backed process terminal: `POST /browsers/{id}/process/{process_id}/resize` (`processResize`).
    pub fn resize(&self, process_id: &str) -> builder::ProcessResize<'a> {
        self.kernel
            .sys()
            .process_resize()
            .id(self.id.clone())
            .process_id(process_id)
    }
}

/// Playwright code execution on one browser (`Browser Playwright` tag).
#[derive(Clone, Debug)]
pub struct Playwright<'a> {
    pub(crate) kernel: &'a Kernel,
    id: String,
}

impl<'a> Playwright<'a> {
    /// Execute Playwright/TypeScript code against the browser: `POST /browsers/{id}/playwright/execute` (`executePlaywrightCode`).
    pub fn execute(&self) -> builder::ExecutePlaywrightCode<'a> {
        self.kernel
            .sys()
            .execute_playwright_code()
            .id(self.id.clone())
    }
}

impl<'a> Browsers<'a> {
    /// Video replays of browser `id`.
    pub fn replays(&self, id: &str) -> BrowserReplays<'a> {
        BrowserReplays {
            kernel: self.kernel,
            id: id.to_string(),
        }
    }

    /// Mouse, keyboard, screen and clipboard of browser `id`.
    pub fn computer(&self, id: &str) -> Computer<'a> {
        Computer {
            kernel: self.kernel,
            id: id.to_string(),
        }
    }

    /// The filesystem of browser `id`.
    pub fn fs(&self, id: &str) -> Filesystem<'a> {
        Filesystem {
            kernel: self.kernel,
            id: id.to_string(),
        }
    }

    /// Processes on browser `id`.
    pub fn process(&self, id: &str) -> Processes<'a> {
        Processes {
            kernel: self.kernel,
            id: id.to_string(),
        }
    }

    /// Playwright execution on browser `id`.
    pub fn playwright(&self, id: &str) -> Playwright<'a> {
        Playwright {
            kernel: self.kernel,
            id: id.to_string(),
        }
    }

    /// Uploads and activates unpacked extensions (`uploadExtensionsToBrowser`):
    /// each item is the folder name and a zip of the extension.
    pub async fn upload_extensions(
        &self,
        id: &str,
        extensions: Vec<(String, Upload)>,
    ) -> Result<()> {
        let parts = extensions
            .into_iter()
            .map(|(name, zip)| (name, zip.into_part()))
            .collect();
        self.kernel
            .sys()
            .upload_extensions_to_browser(id, parts)
            .await?;
        Ok(())
    }
}

impl Browsers<'_> {
    /// Follows the telemetry of browser `id` (`streamBrowserTelemetry`):
    /// every event exactly once and in `seq` order, resuming across drops
    /// with `Last-Event-ID`, and [`Telemetry::Gap`] where the server itself
    /// dropped events. Ends when the browser is gone.
    ///
    /// ```no_run
    /// # async fn demo(kernel: kernel::Kernel) -> kernel::Result<()> {
    /// use futures::StreamExt;
    /// use kernel::sse::Telemetry;
    /// let mut events = kernel.browsers().telemetry("browser-id");
    /// while let Some(item) = events.next().await {
    ///     if let Telemetry::Event(e) = item? {
    ///         println!("{} {:?}", e.seq, e.event.tag());
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    pub fn telemetry(&self, id: &str) -> EventStream<Telemetry> {
        let sys = self.kernel.sys().clone();
        let id = id.to_string();
        let connect = connector(move |last: Option<String>| {
            let (sys, id) = (sys.clone(), id.clone());
            async move {
                let request = sys.stream_browser_telemetry().id(id);
                match last {
                    Some(last) => request.last_event_id(last).send().await,
                    None => request.send().await,
                }
            }
        });
        sse::telemetry(self.kernel.engine(connect, true, true))
    }

    /// Streams the logs of browser `id` (`logsStream`); `configure` sets the
    /// query (source, follow, path, ...). Does not reconnect by default:
    /// a reconnect would replay output.
    pub fn logs(
        &self,
        id: &str,
        configure: impl Fn(builder::LogsStream<'_>) -> builder::LogsStream<'_> + Send + Sync + 'static,
    ) -> EventStream<types::LogEvent> {
        let sys = self.kernel.sys().clone();
        let id = id.to_string();
        let configure = std::sync::Arc::new(configure);
        let connect = connector(move |_| {
            let (sys, id, configure) = (sys.clone(), id.clone(), configure.clone());
            async move { configure(sys.logs_stream().id(id)).send().await }
        });
        sse::typed(self.kernel.engine(connect, false, false), false)
    }
}

impl BrowserReplays<'_> {
    /// Downloads replay `replay_id` as MP4 (`getBrowsersReplaysById`), or
    /// [`Readiness::NotReady`] while it is still being processed (202).
    pub async fn download(&self, replay_id: &str) -> Result<Readiness<Download>> {
        let result = self
            .kernel
            .sys()
            .get_browsers_replays_by_id()
            .id(self.id.clone())
            .replay_id(replay_id)
            .send()
            .await;
        readiness(result, self.kernel.retry_policy())
    }
}

impl Processes<'_> {
    /// Streams the output of process `process_id` (`processStdoutStream`),
    /// with `data_b64` decoded; ends after [`ProcessOutput::Exit`].
    pub fn output(&self, process_id: &str) -> EventStream<ProcessOutput> {
        let sys = self.kernel.sys().clone();
        let (id, process_id) = (self.id.clone(), process_id.to_string());
        let connect = connector(move |_| {
            let (sys, id, process_id) = (sys.clone(), id.clone(), process_id.clone());
            async move {
                sys.process_stdout_stream()
                    .id(id)
                    .process_id(process_id)
                    .send()
                    .await
            }
        });
        sse::process_output(self.kernel.engine(connect, false, false))
    }
}

impl Filesystem<'_> {
    /// Streams the events of watch `watch_id` (`streamFsEvents`).
    pub fn watch_events(&self, watch_id: &str) -> EventStream<types::FileSystemEvent> {
        let sys = self.kernel.sys().clone();
        let (id, watch_id) = (self.id.clone(), watch_id.to_string());
        let connect = connector(move |_| {
            let (sys, id, watch_id) = (sys.clone(), id.clone(), watch_id.clone());
            async move {
                sys.stream_fs_events()
                    .id(id)
                    .watch_id(watch_id)
                    .send()
                    .await
            }
        });
        sse::typed(self.kernel.engine(connect, false, false), false)
    }

    /// Uploads files (`uploadFiles`): each item is an absolute destination
    /// path and the content.
    pub async fn upload(&self, files: Vec<(String, Upload)>) -> Result<()> {
        let parts = files
            .into_iter()
            .map(|(dest, file)| (dest, file.into_part()))
            .collect();
        self.kernel.sys().upload_files(&self.id, parts).await?;
        Ok(())
    }

    /// Uploads a zip and extracts it into the absolute directory `dest_path`
    /// (`uploadZip`).
    pub async fn upload_zip(&self, dest_path: &str, zip: Upload) -> Result<()> {
        self.kernel
            .sys()
            .upload_zip(&self.id, dest_path, zip.into_part())
            .await?;
        Ok(())
    }
}
