//! The five multipart uploads, which progenitor cannot generate: written by
//! hand in the same shape as every generated call (an accessor, setters
//! named after the spec's form fields, `send().await` returning
//! [`Result`]), over `kernel_sys::multipart`.
//!
//! Every part is an [`Upload`]: a file path, bytes or a stream, never
//! buffered whole.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> kernel::Result<()> {
//! # let fake = kernel_mock::KernelMock::start().await.unwrap();
//! # let kernel = kernel::Kernel::builder().api_key(fake.api_key()).base_url(fake.base_url()).build()?;
//! # let browser = kernel.browsers().create().send().await?;
//! # let id = browser.session_id;
//! use kernel::Upload;
//! let fs = kernel.browsers().fs(&id);
//! # let result =
//! fs.upload()
//!     .file("/tmp/notes.txt", Upload::bytes("hello"))
//!     .file("/tmp/data.csv", Upload::bytes("a,b\n1,2\n"))
//!     .send()
//!     .await
//! # ;
//! # Ok(()) }
//! ```

use crate::call::{self, Check, Response};
use crate::error::Result;
use crate::sys::multipart::{DeploymentCode, DeploymentForm};
use crate::types;
use crate::upload::Upload;
use crate::Kernel;

/// Upload one or more unpacked extensions to a running browser and
/// activate them (`POST /browsers/{id}/extensions`,
/// `uploadExtensionsToBrowser`). From `kernel.browsers().upload_extensions(id)`.
#[must_use = "a request does nothing until `.send().await`"]
#[derive(Debug)]
pub struct UploadExtensionsToBrowser<'a> {
    kernel: &'a Kernel,
    id: String,
    extensions: Vec<(String, Upload)>,
}

impl<'a> UploadExtensionsToBrowser<'a> {
    pub(crate) fn new(kernel: &'a Kernel, id: String) -> Self {
        Self {
            kernel,
            id,
            extensions: Vec::new(),
        }
    }

    /// Adds an extension: its folder `name` under
    /// `/home/kernel/extensions/` and a zip of it. At least one is required.
    pub fn extension(mut self, name: impl Into<String>, zip_file: Upload) -> Self {
        self.extensions.push((name.into(), zip_file));
        self
    }

    /// Sends the form.
    pub async fn send(self) -> Result<()> {
        self.send_with_response().await.map(Response::into_inner)
    }

    /// Like [`send`](Self::send), with the status and headers.
    pub async fn send_with_response(self) -> Result<Response<()>> {
        let mut check = Check::new(&["extensions"]);
        if !self.extensions.is_empty() {
            check.set(0);
        }
        check.result()?;
        let parts = self
            .extensions
            .into_iter()
            .map(|(name, zip)| (name, zip.into_part()))
            .collect();
        call::sys(
            self.kernel
                .sys()
                .upload_extensions_to_browser(&self.id, parts)
                .await,
        )
    }
}

/// Upload one or more files (`POST /browsers/{id}/fs/upload`,
/// `uploadFiles`). From `kernel.browsers().fs(id).upload()`.
#[must_use = "a request does nothing until `.send().await`"]
#[derive(Debug)]
pub struct UploadFiles<'a> {
    kernel: &'a Kernel,
    id: String,
    files: Vec<(String, Upload)>,
}

impl<'a> UploadFiles<'a> {
    pub(crate) fn new(kernel: &'a Kernel, id: String) -> Self {
        Self {
            kernel,
            id,
            files: Vec::new(),
        }
    }

    /// Adds a file: its absolute destination path and its content. At least
    /// one is required.
    pub fn file(mut self, dest_path: impl Into<String>, file: Upload) -> Self {
        self.files.push((dest_path.into(), file));
        self
    }

    /// Sends the form.
    pub async fn send(self) -> Result<()> {
        self.send_with_response().await.map(Response::into_inner)
    }

    /// Like [`send`](Self::send), with the status and headers.
    pub async fn send_with_response(self) -> Result<Response<()>> {
        let mut check = Check::new(&["files"]);
        if !self.files.is_empty() {
            check.set(0);
        }
        check.result()?;
        let parts = self
            .files
            .into_iter()
            .map(|(dest, file)| (dest, file.into_part()))
            .collect();
        call::sys(self.kernel.sys().upload_files(&self.id, parts).await)
    }
}

/// Upload a zip and extract it into a directory
/// (`POST /browsers/{id}/fs/upload_zip`, `uploadZip`). From
/// `kernel.browsers().fs(id).upload_zip()`.
#[must_use = "a request does nothing until `.send().await`"]
#[derive(Debug)]
pub struct UploadZip<'a> {
    kernel: &'a Kernel,
    id: String,
    zip_file: Option<Upload>,
    dest_path: Option<String>,
}

impl<'a> UploadZip<'a> {
    pub(crate) fn new(kernel: &'a Kernel, id: String) -> Self {
        Self {
            kernel,
            id,
            zip_file: None,
            dest_path: None,
        }
    }

    /// The zip archive. Required.
    pub fn zip_file(mut self, zip_file: Upload) -> Self {
        self.zip_file = Some(zip_file);
        self
    }

    /// The absolute directory to extract into. Required.
    pub fn dest_path(mut self, dest_path: impl Into<String>) -> Self {
        self.dest_path = Some(dest_path.into());
        self
    }

    /// Sends the form.
    pub async fn send(self) -> Result<()> {
        self.send_with_response().await.map(Response::into_inner)
    }

    /// Like [`send`](Self::send), with the status and headers.
    pub async fn send_with_response(self) -> Result<Response<()>> {
        let mut check = Check::new(&["zip_file", "dest_path"]);
        if self.zip_file.is_some() {
            check.set(0);
        }
        if self.dest_path.is_some() {
            check.set(1);
        }
        check.result()?;
        let (Some(zip), Some(dest)) = (self.zip_file, self.dest_path) else {
            unreachable!("checked above")
        };
        call::sys(
            self.kernel
                .sys()
                .upload_zip(&self.id, &dest, zip.into_part())
                .await,
        )
    }
}

/// Upload a zipped browser extension (`POST /extensions`,
/// `postExtensions`). From `kernel.extensions().upload()`.
#[must_use = "a request does nothing until `.send().await`"]
#[derive(Debug)]
pub struct PostExtensions<'a> {
    kernel: &'a Kernel,
    file: Option<Upload>,
    name: Option<String>,
}

impl<'a> PostExtensions<'a> {
    pub(crate) fn new(kernel: &'a Kernel) -> Self {
        Self {
            kernel,
            file: None,
            name: None,
        }
    }

    /// The zip of the extension. Required.
    pub fn file(mut self, file: Upload) -> Self {
        self.file = Some(file);
        self
    }

    /// A unique name for the extension.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Sends the form.
    pub async fn send(self) -> Result<types::Extension> {
        self.send_with_response().await.map(Response::into_inner)
    }

    /// Like [`send`](Self::send), with the status and headers.
    pub async fn send_with_response(self) -> Result<Response<types::Extension>> {
        let mut check = Check::new(&["file"]);
        if self.file.is_some() {
            check.set(0);
        }
        check.result()?;
        let Some(file) = self.file else {
            unreachable!("checked above")
        };
        call::sys(
            self.kernel
                .sys()
                .post_extensions(file.into_part(), self.name.as_deref())
                .await,
        )
    }
}

/// Deploy an app from a zip or a source (`POST /deployments`,
/// `postDeployments`). From `kernel.deployments().create()`.
#[must_use = "a request does nothing until `.send().await`"]
#[derive(Debug)]
pub struct PostDeployments<'a> {
    kernel: &'a Kernel,
    file: Option<Upload>,
    entrypoint_rel_path: Option<String>,
    source: Option<types::DeploymentSource>,
    version: Option<String>,
    region: Option<String>,
    force: Option<bool>,
    env_vars: crate::sys::secret::SecretMap,
}

impl<'a> PostDeployments<'a> {
    pub(crate) fn new(kernel: &'a Kernel) -> Self {
        Self {
            kernel,
            file: None,
            entrypoint_rel_path: None,
            source: None,
            version: None,
            region: None,
            force: None,
            env_vars: Default::default(),
        }
    }

    /// The zip of the app; needs [`entrypoint_rel_path`](Self::entrypoint_rel_path).
    /// Either this or [`source`](Self::source) is required.
    pub fn file(mut self, file: Upload) -> Self {
        self.file = Some(file);
        self
    }

    /// The entrypoint inside the zip, e.g. `src/app.py`.
    pub fn entrypoint_rel_path(mut self, path: impl Into<String>) -> Self {
        self.entrypoint_rel_path = Some(path.into());
        self
    }

    /// A source to fetch (e.g. a GitHub repository) instead of a zip.
    pub fn source(mut self, source: types::DeploymentSource) -> Self {
        self.source = Some(source);
        self
    }

    /// The app version; the server defaults to `latest`.
    pub fn version(mut self, version: impl Into<String>) -> Self {
        self.version = Some(version.into());
        self
    }

    /// The region; the server defaults to `aws.us-east-1a`.
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// Allow overwriting an existing app version.
    pub fn force(mut self, force: bool) -> Self {
        self.force = Some(force);
        self
    }

    /// Environment variables of the deployed app (secret: never shown in
    /// `Debug`).
    pub fn env_vars<K: Into<String>, V: Into<String>>(
        mut self,
        vars: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        let old = std::mem::take(&mut self.env_vars).expose().clone();
        self.env_vars = old
            .into_iter()
            .chain(vars.into_iter().map(|(k, v)| (k.into(), v.into())))
            .collect();
        self
    }

    /// Sends the form.
    pub async fn send(self) -> Result<types::Deployment> {
        self.send_with_response().await.map(Response::into_inner)
    }

    /// Like [`send`](Self::send), with the status and headers.
    pub async fn send_with_response(self) -> Result<Response<types::Deployment>> {
        let code = match (self.file, self.entrypoint_rel_path, self.source) {
            (Some(file), Some(entrypoint_rel_path), None) => DeploymentCode::Zip {
                file: file.into_part(),
                entrypoint_rel_path,
            },
            (None, None, Some(source)) => DeploymentCode::Source(source),
            (Some(_), None, None) => {
                return Err(crate::Error::InvalidRequest(
                    "entrypoint_rel_path is required with file".into(),
                ))
            }
            (None, _, None) => {
                return Err(crate::Error::InvalidRequest(
                    "file or source is required".into(),
                ))
            }
            _ => {
                return Err(crate::Error::InvalidRequest(
                    "file and source cannot both be set".into(),
                ))
            }
        };
        let form = DeploymentForm {
            code,
            version: self.version,
            region: self.region,
            force: self.force,
            env_vars: self.env_vars,
        };
        call::sys(self.kernel.sys().post_deployments(form).await)
    }
}
