//! The `POST /deployments` form (the spec's `DeploymentRequest`), checked,
//! and the app it declares (see `routes::deployments` for the rules).

use std::collections::HashMap;

use kernel_sys::{open, types};

use crate::http::error::{ApiError, ApiResult};
use crate::routes::archive;
use crate::routes::form::{Form, Part};
use crate::store::deployments::REGION;

/// What a valid form asks to deploy.
pub(super) struct Deployment {
    pub app_name: String,
    pub actions: Vec<String>,
    pub version: String,
    pub force: bool,
    pub env_vars: HashMap<String, String>,
    pub entrypoint: String,
    /// Why the build will fail, when it will.
    pub build_error: Option<String>,
}

/// Env var that names a deployment's app.
const APP_NAME_VAR: &str = "KERNEL_MOCK_APP_NAME";
/// Env var that lists a deployment's actions, comma-separated.
const ACTIONS_VAR: &str = "KERNEL_MOCK_ACTIONS";
/// The action of an app that declares none.
const DEFAULT_ACTION: &str = "run";

/// `true` for `[A-Za-z0-9._-]{1,255}`: app, action and repository names.
fn valid_name(name: &str) -> bool {
    (1..=255).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
}

/// `path` as a clean relative path, or a `400` naming field `what`.
fn relative_path(what: &str, path: &str) -> ApiResult<String> {
    let clean = path.trim().trim_start_matches("./").trim_end_matches('/');
    if clean.is_empty()
        || clean.starts_with('/')
        || clean.contains('\\')
        || clean.split('/').any(|s| s == ".." || s.is_empty())
    {
        return Err(ApiError::bad_request(format!(
            "{what} {path:?} must be a relative path inside the app"
        )));
    }
    Ok(clean.to_owned())
}

/// The code of a deployment, checked.
struct Code {
    entrypoint: String,
    /// The app name the code suggests (repository or zip file name).
    suggested_name: Option<String>,
    build_error: Option<String>,
}

fn zip_code(file: Part, entrypoint: &str) -> ApiResult<Code> {
    let entrypoint = relative_path("entrypoint_rel_path", entrypoint)?;
    let names = archive::entry_names(&file.bytes)
        .map_err(|e| ApiError::bad_request(format!("file: {e}")))?;
    let build_error = (!archive::has_file(&names, &entrypoint))
        .then(|| format!("entrypoint {entrypoint} is not in the uploaded archive"));
    let suggested_name = file
        .file_name
        .as_deref()
        .map(|n| n.rsplit(['/', '\\']).next().unwrap_or(n))
        .map(|n| n.strip_suffix(".zip").unwrap_or(n).to_owned())
        .filter(|n| n != "file" && valid_name(n));
    Ok(Code {
        entrypoint,
        suggested_name,
        build_error,
    })
}

/// The repository name of `https://github.com/<owner>/<repo>[.git]`.
fn github_repo(url: &str) -> Option<String> {
    let rest = url
        .strip_prefix("https://github.com/")?
        .trim_end_matches('/');
    let (owner, repo) = rest.split_once('/')?;
    let repo = repo.strip_suffix(".git").unwrap_or(repo);
    (valid_name(owner) && valid_name(repo)).then(|| repo.to_owned())
}

fn source_code(part: Part) -> ApiResult<Code> {
    let source: types::DeploymentSource = serde_json::from_slice(&part.bytes)
        .map_err(|e| ApiError::bad_request(format!("source: {e}")))?;
    if source.type_.is_unknown() {
        return Err(ApiError::bad_request(format!(
            "source.type must be one of {}",
            open::DeploymentSourceType::VALUES.join(", ")
        )));
    }
    if source.auth.as_ref().is_some_and(|a| a.method.is_unknown()) {
        return Err(ApiError::bad_request(format!(
            "source.auth.method must be one of {}",
            open::DeploymentSourceAuthMethod::VALUES.join(", ")
        )));
    }
    let repo = github_repo(&source.url).ok_or_else(|| {
        ApiError::bad_request(format!(
            "source.url {:?} must be https://github.com/<owner>/<repo>",
            source.url
        ))
    })?;
    if source.ref_.trim().is_empty() {
        return Err(ApiError::bad_request("source.ref must not be empty"));
    }
    let entrypoint = relative_path("source.entrypoint", &source.entrypoint)?;
    let entrypoint = match &source.path {
        Some(path) => format!("{}/{entrypoint}", relative_path("source.path", path)?),
        None => entrypoint,
    };
    Ok(Code {
        entrypoint,
        suggested_name: Some(repo),
        build_error: None,
    })
}

/// The app name and actions of a deployment (see the module docs).
fn app_identity(env: &HashMap<String, String>, code: &Code) -> ApiResult<(String, Vec<String>)> {
    let name = match env.get(APP_NAME_VAR) {
        Some(name) if valid_name(name) => name.clone(),
        Some(name) => {
            return Err(ApiError::bad_request(format!(
                "env_vars.{APP_NAME_VAR} {name:?} must be 1-255 letters, digits, '.', '_' or '-'"
            )))
        }
        None => code.suggested_name.clone().unwrap_or_else(|| {
            let file = code.entrypoint.rsplit('/').next().unwrap_or_default();
            let stem = file.rsplit_once('.').map_or(file, |(stem, _)| stem);
            if valid_name(stem) { stem } else { "app" }.to_owned()
        }),
    };
    let actions = match env.get(ACTIONS_VAR) {
        None => vec![DEFAULT_ACTION.to_owned()],
        Some(list) => {
            let mut actions: Vec<String> = Vec::new();
            for action in list.split(',').map(str::trim).filter(|a| !a.is_empty()) {
                if !valid_name(action) {
                    return Err(ApiError::bad_request(format!(
                        "env_vars.{ACTIONS_VAR}: action {action:?} must be letters, digits, '.', '_' or '-'"
                    )));
                }
                if !actions.iter().any(|a| a == action) {
                    actions.push(action.to_owned());
                }
            }
            if actions.is_empty() {
                return Err(ApiError::bad_request(format!(
                    "env_vars.{ACTIONS_VAR} names no action"
                )));
            }
            actions
        }
    };
    Ok((name, actions))
}

/// The env vars of the form: a JSON `env_vars` part and/or
/// `env_vars[NAME]` parts.
fn env_vars(form: &mut Form) -> ApiResult<HashMap<String, String>> {
    let mut env = HashMap::new();
    if let Some(part) = form.take("env_vars")? {
        let map: HashMap<String, String> = serde_json::from_slice(&part.bytes).map_err(|_| {
            ApiError::bad_request("env_vars: expected a JSON object of string values")
        })?;
        env.extend(map);
    }
    for (keys, part) in form.take_bracketed("env_vars")? {
        let [name] = keys.as_slice() else {
            return Err(ApiError::bad_request(format!(
                "{:?}: expected env_vars[NAME]",
                part.name
            )));
        };
        env.insert(name.clone(), part.text()?);
    }
    Ok(env)
}

/// Reads and checks the form.
pub(super) fn parse(mut form: Form) -> ApiResult<Deployment> {
    let file = form.take("file")?;
    let entrypoint = form.take_text("entrypoint_rel_path")?;
    let source = form.take("source")?;
    let version = form
        .take_text("version")?
        .unwrap_or_else(|| "latest".into());
    let region = form.take_text("region")?;
    let force = form.take_text("force")?;
    let env = env_vars(&mut form)?;
    form.finish()?;
    let code = match (file, entrypoint, source) {
        (Some(file), Some(entrypoint), None) => zip_code(file, &entrypoint)?,
        (None, None, Some(source)) => source_code(source)?,
        (None, None, None) => {
            return Err(ApiError::bad_request(
                "give file and entrypoint_rel_path, or source",
            ))
        }
        (Some(_), None, None) => {
            return Err(ApiError::bad_request(
                "entrypoint_rel_path is required with file",
            ))
        }
        (None, Some(_), None) => {
            return Err(ApiError::bad_request(
                "file is required with entrypoint_rel_path",
            ))
        }
        _ => {
            return Err(ApiError::bad_request(
                "give either file and entrypoint_rel_path, or source, not both",
            ))
        }
    };
    if version.trim().is_empty() {
        return Err(ApiError::bad_request("version must not be empty"));
    }
    if region.as_deref().is_some_and(|r| r != REGION) {
        return Err(ApiError::bad_request(format!("region must be {REGION}")));
    }
    let force = match force.as_deref() {
        None | Some("false") => false,
        Some("true") => true,
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "force: {other:?} is not a boolean"
            )))
        }
    };
    let (app_name, actions) = app_identity(&env, &code)?;
    Ok(Deployment {
        app_name,
        actions,
        version,
        force,
        env_vars: env,
        entrypoint: code.entrypoint,
        build_error: code.build_error,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_github_repositories() {
        assert_eq!(
            github_repo("https://github.com/org/repo").as_deref(),
            Some("repo")
        );
        assert_eq!(
            github_repo("https://github.com/org/repo.git/").as_deref(),
            Some("repo")
        );
        assert!(github_repo("https://github.com/org/repo/tree/main").is_none());
        assert!(github_repo("https://gitlab.com/org/repo").is_none());
        assert!(github_repo("https://github.com/org").is_none());
    }

    #[test]
    fn entrypoints_stay_inside_the_app() {
        assert_eq!(relative_path("e", "./src/app.py").unwrap(), "src/app.py");
        for bad in ["", "/etc/passwd", "../x.py", "a//b", "a\\b"] {
            assert!(relative_path("e", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn app_identity_comes_from_env_then_code() {
        let code = |suggested: Option<&str>, entrypoint: &str| Code {
            entrypoint: entrypoint.into(),
            suggested_name: suggested.map(str::to_owned),
            build_error: None,
        };
        let none = HashMap::new();
        let (name, actions) = app_identity(&none, &code(None, "src/app.py")).unwrap();
        assert_eq!((name.as_str(), actions), ("app", vec!["run".to_owned()]));
        let (name, _) = app_identity(&none, &code(Some("my-app"), "index.ts")).unwrap();
        assert_eq!(name, "my-app");
        let env = HashMap::from([
            (APP_NAME_VAR.to_owned(), "shop".to_owned()),
            (ACTIONS_VAR.to_owned(), " buy, sell ,buy".to_owned()),
        ]);
        let (name, actions) = app_identity(&env, &code(Some("x"), "a.py")).unwrap();
        assert_eq!(
            (name.as_str(), actions),
            ("shop", vec!["buy".to_owned(), "sell".to_owned()])
        );
        let env = HashMap::from([(ACTIONS_VAR.to_owned(), " , ".to_owned())]);
        assert!(app_identity(&env, &code(None, "a.py")).is_err());
        let env = HashMap::from([(APP_NAME_VAR.to_owned(), "no spaces".to_owned())]);
        assert!(app_identity(&env, &code(None, "a.py")).is_err());
    }
}
