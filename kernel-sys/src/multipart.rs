//! The five `multipart/form-data` uploads, which progenitor cannot generate.
//!
//! They use the generated [`Client`], its hooks (so the `kernel` crate's
//! retries and tracing apply) and the generated response types. Field names
//! follow the spec; array items use the `name[index][field]` form the API
//! accepts. Parts are [`reqwest::multipart::Part`]s, so a body can be bytes,
//! a file or a stream and is never buffered here.

use crate::{types, Client};
use progenitor_client::{
    encode_path, ClientHooks, ClientInfo, Error, OperationInfo, ResponseValue,
};
use reqwest::multipart::{Form, Part};

/// The code to deploy: a zip with its entrypoint, or a source reference.
#[derive(Debug)]
pub enum DeploymentCode {
    /// A zip of the application directory and the entrypoint inside it.
    Zip {
        /// The zip archive.
        file: Part,
        /// Relative path of the entrypoint, e.g. `src/app.py`.
        entrypoint_rel_path: String,
    },
    /// A source to fetch (e.g. a GitHub repository), sent as a JSON part.
    Source(types::DeploymentSource),
}

/// The `POST /deployments` form (the spec's `DeploymentRequest`).
#[derive(Debug)]
pub struct DeploymentForm {
    /// The code to deploy.
    pub code: DeploymentCode,
    /// Application version; the server defaults to `latest`.
    pub version: Option<String>,
    /// Region; the server defaults to `aws.us-east-1a`.
    pub region: Option<String>,
    /// Allow overwriting an existing app version.
    pub force: Option<bool>,
    /// Environment variables of the deployed application (secret: `Debug`
    /// shows only their names).
    pub env_vars: crate::secret::SecretMap,
}

impl DeploymentForm {
    /// The form, or why the `source` part could not be written.
    fn into_form(self) -> Result<Form, String> {
        let mut form = Form::new();
        match self.code {
            DeploymentCode::Zip {
                file,
                entrypoint_rel_path,
            } => {
                form = form
                    .part("file", file)
                    .text("entrypoint_rel_path", entrypoint_rel_path);
            }
            DeploymentCode::Source(source) => {
                // The spec's `encoding.source.contentType: application/json`.
                let json = serde_json::to_vec(&source).map_err(|e| e.to_string())?;
                let part = Part::bytes(json)
                    .mime_str("application/json")
                    .map_err(|e| e.to_string())?;
                form = form.part("source", part);
            }
        }
        if let Some(version) = self.version {
            form = form.text("version", version);
        }
        if let Some(region) = self.region {
            form = form.text("region", region);
        }
        if let Some(force) = self.force {
            form = form.text("force", force.to_string());
        }
        let mut env: Vec<(String, String)> = self.env_vars.into_inner().into_iter().collect();
        env.sort();
        for (key, value) in env {
            form = form.text(format!("env_vars[{key}]"), value);
        }
        Ok(form)
    }
}

impl Client {
    /// Sends a multipart request through the client's hooks, as generated
    /// operations do.
    async fn send_multipart(
        &self,
        operation_id: &'static str,
        path: String,
        form: Form,
    ) -> Result<reqwest::Response, Error<()>> {
        let url = format!("{}{}", self.baseurl(), path);
        let mut request = self
            .client()
            .post(url)
            .header(reqwest::header::ACCEPT, "application/json")
            .multipart(form)
            .build()?;
        let info = OperationInfo { operation_id };
        self.pre(&mut request, &info).await?;
        let result = self.exec(request, &info).await;
        self.post(&result, &info).await?;
        let response = result?;
        if response.status().is_success() {
            Ok(response)
        } else {
            Err(Error::UnexpectedResponse(response))
        }
    }

    /// `uploadExtensionsToBrowser`: `POST /browsers/{id}/extensions`.
    ///
    /// Each item is `(name, zip)`: the folder name under
    /// `/home/kernel/extensions/<name>` and a zip of an unpacked extension.
    pub async fn upload_extensions_to_browser(
        &self,
        id: &str,
        extensions: Vec<(String, Part)>,
    ) -> Result<ResponseValue<()>, Error<()>> {
        let mut form = Form::new();
        for (index, (name, zip)) in extensions.into_iter().enumerate() {
            form = form
                .part(format!("extensions[{index}][zip_file]"), zip)
                .text(format!("extensions[{index}][name]"), name);
        }
        let path = format!("/browsers/{}/extensions", encode_path(id));
        let response = self
            .send_multipart("upload_extensions_to_browser", path, form)
            .await?;
        Ok(ResponseValue::empty(response))
    }

    /// `uploadFiles`: `POST /browsers/{id}/fs/upload`.
    ///
    /// Each item is `(dest_path, file)`: an absolute destination path and the
    /// file's content.
    pub async fn upload_files(
        &self,
        id: &str,
        files: Vec<(String, Part)>,
    ) -> Result<ResponseValue<()>, Error<()>> {
        let mut form = Form::new();
        for (index, (dest_path, file)) in files.into_iter().enumerate() {
            form = form
                .part(format!("files[{index}][file]"), file)
                .text(format!("files[{index}][dest_path]"), dest_path);
        }
        let path = format!("/browsers/{}/fs/upload", encode_path(id));
        let response = self.send_multipart("upload_files", path, form).await?;
        Ok(ResponseValue::empty(response))
    }

    /// `uploadZip`: `POST /browsers/{id}/fs/upload_zip`: extracts `zip_file`
    /// into the absolute directory `dest_path`.
    pub async fn upload_zip(
        &self,
        id: &str,
        dest_path: &str,
        zip_file: Part,
    ) -> Result<ResponseValue<()>, Error<()>> {
        let form = Form::new()
            .part("zip_file", zip_file)
            .text("dest_path", dest_path.to_string());
        let path = format!("/browsers/{}/fs/upload_zip", encode_path(id));
        let response = self.send_multipart("upload_zip", path, form).await?;
        Ok(ResponseValue::empty(response))
    }

    /// `postExtensions`: `POST /extensions`: uploads a zipped extension,
    /// optionally under a unique `name`.
    pub async fn post_extensions(
        &self,
        file: Part,
        name: Option<&str>,
    ) -> Result<ResponseValue<types::Extension>, Error<()>> {
        let mut form = Form::new().part("file", file);
        if let Some(name) = name {
            form = form.text("name", name.to_string());
        }
        let response = self
            .send_multipart("post_extensions", "/extensions".into(), form)
            .await?;
        ResponseValue::from_response(response).await
    }

    /// `postDeployments`: `POST /deployments`.
    pub async fn post_deployments(
        &self,
        body: DeploymentForm,
    ) -> Result<ResponseValue<types::Deployment>, Error<()>> {
        let form = body.into_form().map_err(Error::InvalidRequest)?;
        let response = self
            .send_multipart("post_deployments", "/deployments".into(), form)
            .await?;
        ResponseValue::from_response(response).await
    }
}
