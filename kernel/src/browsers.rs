//! Browser sessions and everything on one browser: replays, computer controls,
//! filesystem, processes, Playwright.

use crate::download::{readiness, Download, Readiness};
use crate::error::Result;
use crate::sys::{builder, Client};
use crate::upload::Upload;

/// Browser sessions (`Browsers` tag).
#[derive(Clone, Copy, Debug)]
pub struct Browsers<'a> {
    pub(crate) sys: &'a Client,
}

impl<'a> Browsers<'a> {
    /// List browser sessions: `GET /browsers` (`getBrowsers`).
    pub fn list(&self) -> builder::GetBrowsers<'a> {
        self.sys.get_browsers()
    }

    /// Create a browser session: `POST /browsers` (`postBrowsers`).
    pub fn create(&self) -> builder::PostBrowsers<'a> {
        self.sys.post_browsers()
    }

    /// Get browser session details: `GET /browsers/{id}` (`getBrowsersById`).
    pub fn get(&self, id: &str) -> builder::GetBrowsersById<'a> {
        self.sys.get_browsers_by_id().id(id)
    }

    /// Delete a browser session by ID: `DELETE /browsers/{id}` (`deleteBrowsersById`).
    pub fn delete(&self, id: &str) -> builder::DeleteBrowsersById<'a> {
        self.sys.delete_browsers_by_id().id(id)
    }

    /// Update browser session: `PATCH /browsers/{id}` (`patchBrowsersById`).
    pub fn update(&self, id: &str) -> builder::PatchBrowsersById<'a> {
        self.sys.patch_browsers_by_id().id(id)
    }

    /// Make an HTTP request through the browser's network stack: `POST /browsers/{id}/curl` (`browserCurl`).
    pub fn curl(&self, id: &str) -> builder::BrowserCurl<'a> {
        self.sys.browser_curl().id(id)
    }
}

/// Video replays of one browser (`Browser Replays` tag).
#[derive(Clone, Debug)]
pub struct BrowserReplays<'a> {
    pub(crate) sys: &'a Client,
    id: String,
}

impl<'a> BrowserReplays<'a> {
    /// List browser session replays: `GET /browsers/{id}/replays` (`listBrowsersReplays`).
    pub fn list(&self) -> builder::ListBrowsersReplays<'a> {
        self.sys.list_browsers_replays().id(self.id.clone())
    }

    /// Start a browser session replay recording: `POST /browsers/{id}/replays` (`startBrowserReplayRecording`).
    pub fn start(&self) -> builder::StartBrowserReplayRecording<'a> {
        self.sys.start_browser_replay_recording().id(self.id.clone())
    }

    /// Stop a browser session replay recording: `POST /browsers/{id}/replays/{replay_id}/stop` (`stopBrowserReplayRecording`).
    pub fn stop(&self, replay_id: &str) -> builder::StopBrowserReplayRecording<'a> {
        self.sys.stop_browser_replay_recording().id(self.id.clone()).replay_id(replay_id)
    }
}

/// Mouse, keyboard, screen and clipboard of one browser (`Browser Computer Controls` tag).
#[derive(Clone, Debug)]
pub struct Computer<'a> {
    pub(crate) sys: &'a Client,
    id: String,
}

impl<'a> Computer<'a> {
    /// Simulate a mouse click action on the browser instance: `POST /browsers/{id}/computer/click_mouse` (`clickMouse`).
    pub fn click_mouse(&self) -> builder::ClickMouse<'a> {
        self.sys.click_mouse().id(self.id.clone())
    }

    /// Move the mouse cursor to the specified coordinates on the browser instance: `POST /browsers/{id}/computer/move_mouse` (`moveMouse`).
    pub fn move_mouse(&self) -> builder::MoveMouse<'a> {
        self.sys.move_mouse().id(self.id.clone())
    }

    /// Capture a screenshot of the browser instance: `POST /browsers/{id}/computer/screenshot` (`takeScreenshot`).
    pub fn screenshot(&self) -> builder::TakeScreenshot<'a> {
        self.sys.take_screenshot().id(self.id.clone())
    }

    /// Type text on the browser instance: `POST /browsers/{id}/computer/type` (`typeText`).
    pub fn type_text(&self) -> builder::TypeText<'a> {
        self.sys.type_text().id(self.id.clone())
    }

    /// Press one or more keys on the host computer: `POST /browsers/{id}/computer/press_key` (`pressKey`).
    pub fn press_key(&self) -> builder::PressKey<'a> {
        self.sys.press_key().id(self.id.clone())
    }

    /// Scroll the mouse wheel at a position on the host computer: `POST /browsers/{id}/computer/scroll` (`scroll`).
    pub fn scroll(&self) -> builder::Scroll<'a> {
        self.sys.scroll().id(self.id.clone())
    }

    /// Drag the mouse along a path: `POST /browsers/{id}/computer/drag_mouse` (`dragMouse`).
    pub fn drag_mouse(&self) -> builder::DragMouse<'a> {
        self.sys.drag_mouse().id(self.id.clone())
    }

    /// Set cursor visibility: `POST /browsers/{id}/computer/cursor` (`setCursor`).
    pub fn set_cursor(&self) -> builder::SetCursor<'a> {
        self.sys.set_cursor().id(self.id.clone())
    }

    /// Execute a batch of computer actions sequentially: `POST /browsers/{id}/computer/batch` (`batchComputerAction`).
    pub fn batch(&self) -> builder::BatchComputerAction<'a> {
        self.sys.batch_computer_action().id(self.id.clone())
    }

    /// Get the current mouse cursor position on the browser instance: `POST /browsers/{id}/computer/get_mouse_position` (`getMousePosition`).
    pub fn mouse_position(&self) -> builder::GetMousePosition<'a> {
        self.sys.get_mouse_position().id(self.id.clone())
    }

    /// Read text from the clipboard on the browser instance: `POST /browsers/{id}/computer/clipboard/read` (`readClipboard`).
    pub fn read_clipboard(&self) -> builder::ReadClipboard<'a> {
        self.sys.read_clipboard().id(self.id.clone())
    }

    /// Write text to the clipboard on the browser instance: `POST /browsers/{id}/computer/clipboard/write` (`writeClipboard`).
    pub fn write_clipboard(&self) -> builder::WriteClipboard<'a> {
        self.sys.write_clipboard().id(self.id.clone())
    }
}

/// The filesystem of one browser (`Browser Filesystem` tag).
#[derive(Clone, Debug)]
pub struct Filesystem<'a> {
    pub(crate) sys: &'a Client,
    id: String,
}

impl<'a> Filesystem<'a> {
    /// Read file contents: `GET /browsers/{id}/fs/read_file` (`readFile`).
    pub fn read_file(&self) -> builder::ReadFile<'a> {
        self.sys.read_file().id(self.id.clone())
    }

    /// Write or create a file: `PUT /browsers/{id}/fs/write_file` (`writeFile`).
    pub fn write_file(&self) -> builder::WriteFile<'a> {
        self.sys.write_file().id(self.id.clone())
    }

    /// List files in a directory: `GET /browsers/{id}/fs/list_files` (`listFiles`).
    pub fn list_files(&self) -> builder::ListFiles<'a> {
        self.sys.list_files().id(self.id.clone())
    }

    /// Create a new directory: `PUT /browsers/{id}/fs/create_directory` (`createDirectory`).
    pub fn create_directory(&self) -> builder::CreateDirectory<'a> {
        self.sys.create_directory().id(self.id.clone())
    }

    /// Delete a file: `PUT /browsers/{id}/fs/delete_file` (`deleteFile`).
    pub fn delete_file(&self) -> builder::DeleteFile<'a> {
        self.sys.delete_file().id(self.id.clone())
    }

    /// Delete a directory: `PUT /browsers/{id}/fs/delete_directory` (`deleteDirectory`).
    pub fn delete_directory(&self) -> builder::DeleteDirectory<'a> {
        self.sys.delete_directory().id(self.id.clone())
    }

    /// Set file or directory permissions/ownership: `PUT /browsers/{id}/fs/set_file_permissions` (`setFilePermissions`).
    pub fn set_permissions(&self) -> builder::SetFilePermissions<'a> {
        self.sys.set_file_permissions().id(self.id.clone())
    }

    /// Get information about a file or directory: `GET /browsers/{id}/fs/file_info` (`fileInfo`).
    pub fn file_info(&self) -> builder::FileInfo<'a> {
        self.sys.file_info().id(self.id.clone())
    }

    /// Move or rename a file or directory: `PUT /browsers/{id}/fs/move` (`movePath`).
    pub fn move_path(&self) -> builder::MovePath<'a> {
        self.sys.move_path().id(self.id.clone())
    }

    /// Watch a directory for changes: `POST /browsers/{id}/fs/watch` (`startFsWatch`).
    pub fn watch(&self) -> builder::StartFsWatch<'a> {
        self.sys.start_fs_watch().id(self.id.clone())
    }

    /// Stop watching a directory: `DELETE /browsers/{id}/fs/watch/{watch_id}` (`stopFsWatch`).
    pub fn stop_watch(&self, watch_id: &str) -> builder::StopFsWatch<'a> {
        self.sys.stop_fs_watch().id(self.id.clone()).watch_id(watch_id)
    }

    /// Download a directory as a ZIP archive: `GET /browsers/{id}/fs/download_dir_zip` (`downloadDirZip`).
    pub fn download_dir_zip(&self) -> builder::DownloadDirZip<'a> {
        self.sys.download_dir_zip().id(self.id.clone())
    }
}

/// Processes on one browser (`Browser Processes` tag).
#[derive(Clone, Debug)]
pub struct Processes<'a> {
    pub(crate) sys: &'a Client,
    id: String,
}

impl<'a> Processes<'a> {
    /// Execute a command synchronously: `POST /browsers/{id}/process/exec` (`processExec`).
    pub fn exec(&self) -> builder::ProcessExec<'a> {
        self.sys.process_exec().id(self.id.clone())
    }

    /// Execute a command asynchronously: `POST /browsers/{id}/process/spawn` (`processSpawn`).
    pub fn spawn(&self) -> builder::ProcessSpawn<'a> {
        self.sys.process_spawn().id(self.id.clone())
    }

    /// Get process status: `GET /browsers/{id}/process/{process_id}/status` (`processStatus`).
    pub fn status(&self, process_id: &str) -> builder::ProcessStatus<'a> {
        self.sys.process_status().id(self.id.clone()).process_id(process_id)
    }

    /// Write to process stdin: `POST /browsers/{id}/process/{process_id}/stdin` (`processStdin`).
    pub fn stdin(&self, process_id: &str) -> builder::ProcessStdin<'a> {
        self.sys.process_stdin().id(self.id.clone()).process_id(process_id)
    }

    /// Send signal to process: `POST /browsers/{id}/process/{process_id}/kill` (`processKill`).
    pub fn kill(&self, process_id: &str) -> builder::ProcessKill<'a> {
        self.sys.process_kill().id(self.id.clone()).process_id(process_id)
    }

    /// Resize a PTY-backed process terminal: `POST /browsers/{id}/process/{process_id}/resize` (`processResize`).
    pub fn resize(&self, process_id: &str) -> builder::ProcessResize<'a> {
        self.sys.process_resize().id(self.id.clone()).process_id(process_id)
    }
}

/// Playwright code execution on one browser (`Browser Playwright` tag).
#[derive(Clone, Debug)]
pub struct Playwright<'a> {
    pub(crate) sys: &'a Client,
    id: String,
}

impl<'a> Playwright<'a> {
    /// Execute Playwright/TypeScript code against the browser: `POST /browsers/{id}/playwright/execute` (`executePlaywrightCode`).
    pub fn execute(&self) -> builder::ExecutePlaywrightCode<'a> {
        self.sys.execute_playwright_code().id(self.id.clone())
    }
}

impl<'a> Browsers<'a> {
    /// Video replays of browser `id`.
    pub fn replays(&self, id: &str) -> BrowserReplays<'a> {
        BrowserReplays { sys: self.sys, id: id.to_string() }
    }

    /// Mouse, keyboard, screen and clipboard of browser `id`.
    pub fn computer(&self, id: &str) -> Computer<'a> {
        Computer { sys: self.sys, id: id.to_string() }
    }

    /// The filesystem of browser `id`.
    pub fn fs(&self, id: &str) -> Filesystem<'a> {
        Filesystem { sys: self.sys, id: id.to_string() }
    }

    /// Processes on browser `id`.
    pub fn process(&self, id: &str) -> Processes<'a> {
        Processes { sys: self.sys, id: id.to_string() }
    }

    /// Playwright execution on browser `id`.
    pub fn playwright(&self, id: &str) -> Playwright<'a> {
        Playwright { sys: self.sys, id: id.to_string() }
    }

    /// Uploads and activates unpacked extensions (`uploadExtensionsToBrowser`):
    /// each item is the folder name and a zip of the extension.
    pub async fn upload_extensions(&self, id: &str, extensions: Vec<(String, Upload)>) -> Result<()> {
        let parts = extensions.into_iter().map(|(name, zip)| (name, zip.into_part())).collect();
        self.sys.upload_extensions_to_browser(id, parts).await?;
        Ok(())
    }
}

impl BrowserReplays<'_> {
    /// Downloads replay `replay_id` as MP4 (`getBrowsersReplaysById`), or
    /// [`Readiness::NotReady`] while it is still being processed (202).
    pub async fn download(&self, replay_id: &str) -> Result<Readiness<Download>> {
        let result = self.sys.get_browsers_replays_by_id().id(self.id.clone()).replay_id(replay_id).send().await;
        readiness(result, &crate::retry::RetryPolicy::default())
    }
}

impl Filesystem<'_> {
    /// Uploads files (`uploadFiles`): each item is an absolute destination
    /// path and the content.
    pub async fn upload(&self, files: Vec<(String, Upload)>) -> Result<()> {
        let parts = files.into_iter().map(|(dest, file)| (dest, file.into_part())).collect();
        self.sys.upload_files(&self.id, parts).await?;
        Ok(())
    }

    /// Uploads a zip and extracts it into the absolute directory `dest_path`
    /// (`uploadZip`).
    pub async fn upload_zip(&self, dest_path: &str, zip: Upload) -> Result<()> {
        self.sys.upload_zip(&self.id, dest_path, zip.into_part()).await?;
        Ok(())
    }
}
