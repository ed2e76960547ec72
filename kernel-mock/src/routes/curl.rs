//! `POST /browsers/{id}/curl`: HTTP requests "through the browser", which
//! never leave the mock.
//!
//! - A host of a registered [site](crate::sites) (e.g. `password.example`)
//!   answers `text/html`: its login page (the first step's form fields,
//!   choices or message) at `/` and `/login`, a signed-in page at the path of
//!   its post-login URL (`/home`), and a `404` page elsewhere. Every method
//!   gets the page; `HEAD` without the body.
//! - A host under `kernel-mock.invalid` (e.g. `echo.kernel-mock.invalid`, or
//!   the browser's own `base_url` host) echoes the request as JSON:
//!   `{"method", "url", "headers", "body"}`, the headers being the browser's
//!   defaults (`user-agent`, `accept`) merged with the request's, lower-cased.
//!   The path `/status/<code>` answers with that status (100..=599).
//! - Any other host fails like an unresolvable name: `502` with a
//!   `BrowserCurlTransportError` (`net_error` -105, `ERR_NAME_NOT_RESOLVED`).
//!
//! Script anything else with an override:
//! `KernelMock::builder().on("browserCurl", ...)`. Each request is logged to
//! the browser's `chromium` log.

use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use kernel_sys::{open, types};
use serde::Deserialize;
use serde_json::json;

use crate::http::error::{build_error, ApiError, ApiResult};
use crate::http::extract::JsonBody;
use crate::sites::{Site, StepKind};
use crate::state::AppState;
use crate::store::devices::{devices, Process};

serves! {
    "browserCurl" => curl,
}

/// The `user-agent` the fake browser sends.
const USER_AGENT: &str =
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 kernel-mock";

/// The hosts that echo requests: this domain and its subdomains.
const ECHO_DOMAIN: &str = "kernel-mock.invalid";

/// Chromium's `ERR_NAME_NOT_RESOLVED`.
const NAME_NOT_RESOLVED: i64 = -105;

/// The spec's `BrowserCurlRequest` (`additionalProperties: false`).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CurlRequest {
    url: String,
    method: Option<String>,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    body: Option<String>,
    #[serde(default, deserialize_with = "crate::http::extract::opt_int")]
    timeout_ms: Option<i64>,
    response_encoding: Option<String>,
}

/// A URL split into what the fake network needs.
struct Target {
    /// Lower-case host without port or trailing dot.
    host: String,
    /// The path, `/` when empty.
    path: String,
}

/// What a fake server answered.
struct Answer {
    status: u16,
    content_type: &'static str,
    body: Vec<u8>,
}

/// `POST /browsers/{id}/curl`
async fn curl(
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonBody(req): JsonBody<CurlRequest>,
) -> ApiResult<Response> {
    let started = Instant::now();
    let method = open::BrowserCurlRequestMethod::from(req.method.as_deref().unwrap_or("GET"));
    if method.is_unknown() {
        return Err(ApiError::bad_request(format!(
            "method must be one of {}",
            open::BrowserCurlRequestMethod::VALUES.join(", ")
        )));
    }
    let encoding = open::BrowserCurlRequestResponseEncoding::from(
        req.response_encoding.as_deref().unwrap_or("utf8"),
    );
    if encoding.is_unknown() {
        return Err(ApiError::bad_request(format!(
            "response_encoding must be one of {}",
            open::BrowserCurlRequestResponseEncoding::VALUES.join(", ")
        )));
    }
    if let Some(ms) = req.timeout_ms.filter(|ms| !(1000..=60_000).contains(ms)) {
        return Err(ApiError::bad_request(format!(
            "timeout_ms must be between 1000 and 60000 (got {ms})"
        )));
    }
    let target = parse_url(&req.url)?;
    let mut store = state.store();
    let devices = devices(&mut store, &id)?;
    let answer = if let Some(site) = state.site(&target.host) {
        site_page(&site, &target)
    } else if target.host == ECHO_DOMAIN || target.host.ends_with(&format!(".{ECHO_DOMAIN}")) {
        echo(method.as_str(), &req, &target)
    } else {
        let message = format!(
            "net::ERR_NAME_NOT_RESOLVED: {} could not be resolved (kernel-mock reaches no network)",
            target.host
        );
        devices.log.push(
            Process::Chromium,
            format!(
                "{} {} failed: net::ERR_NAME_NOT_RESOLVED",
                method.as_str(),
                req.url
            ),
        );
        let error: types::BrowserCurlTransportError = types::BrowserCurlTransportError::builder()
            .message(message)
            .net_error(Some(NAME_NOT_RESOLVED))
            .net_error_name(Some("ERR_NAME_NOT_RESOLVED".to_owned()))
            .try_into()
            .map_err(|e| build_error("BrowserCurlTransportError", e))?;
        return Ok((StatusCode::BAD_GATEWAY, Json(error)).into_response());
    };
    devices.log.push(
        Process::Chromium,
        format!("{} {} {}", method.as_str(), req.url, answer.status),
    );
    drop(store);
    let length = answer.body.len();
    let body = if matches!(method, open::BrowserCurlRequestMethod::Head) {
        String::new()
    } else if matches!(encoding, open::BrowserCurlRequestResponseEncoding::Base64) {
        base64(&answer.body)
    } else {
        String::from_utf8_lossy(&answer.body).into_owned()
    };
    let headers = HashMap::from([
        (
            "content-type".to_owned(),
            vec![answer.content_type.to_owned()],
        ),
        ("content-length".to_owned(), vec![length.to_string()]),
        ("server".to_owned(), vec!["kernel-mock".to_owned()]),
    ]);
    let result: types::BrowserCurlResult = types::BrowserCurlResult::builder()
        .status(i64::from(answer.status))
        .headers(headers)
        .body(body)
        .duration_ms(i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX))
        .try_into()
        .map_err(|e| build_error("BrowserCurlResult", e))?;
    Ok(Json(result).into_response())
}

/// Splits an `http`/`https` URL; anything else is a `400`.
fn parse_url(url: &str) -> ApiResult<Target> {
    let bad = || ApiError::bad_request(format!("url must be an http or https URL (got {url:?})"));
    let (scheme, rest) = url.split_once("://").ok_or_else(bad)?;
    if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
        return Err(bad());
    }
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = if let Some(v6) = host_port.strip_prefix('[') {
        v6.split(']').next().unwrap_or_default()
    } else {
        host_port.split(':').next().unwrap_or_default()
    };
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    if host.is_empty() {
        return Err(bad());
    }
    let path = tail.split(['?', '#']).next().unwrap_or_default();
    Ok(Target {
        host,
        path: if path.is_empty() { "/" } else { path }.to_owned(),
    })
}

/// The echo server's answer.
fn echo(method: &str, req: &CurlRequest, target: &Target) -> Answer {
    let mut headers = BTreeMap::from([
        ("user-agent".to_owned(), USER_AGENT.to_owned()),
        ("accept".to_owned(), "*/*".to_owned()),
    ]);
    for (name, value) in &req.headers {
        headers.insert(name.to_ascii_lowercase(), value.clone());
    }
    let status = target
        .path
        .strip_prefix("/status/")
        .and_then(|code| code.parse::<u16>().ok())
        .filter(|code| (100..=599).contains(code))
        .unwrap_or(200);
    let body = json!({
        "method": method,
        "url": req.url,
        "headers": headers,
        "body": req.body,
    });
    Answer {
        status,
        content_type: "application/json",
        body: body.to_string().into_bytes(),
    }
}

/// A page of a scripted site.
fn site_page(site: &Site, target: &Target) -> Answer {
    let home = site
        .post_login_url
        .split_once("://")
        .and_then(|(_, rest)| rest.find('/').map(|i| rest[i..].to_owned()))
        .unwrap_or_else(|| "/home".to_owned());
    let domain = escape(&site.domain);
    let (status, title, content) = match target.path.as_str() {
        "/" | "/login" => (200, "Sign in", login_content(site)),
        path if path == home => (
            200,
            "Home",
            "<p>You are signed in.</p>\n<a href=\"/logout\">Sign out</a>".to_owned(),
        ),
        _ => (
            404,
            "Not found",
            "<p>This page does not exist.</p>".to_owned(),
        ),
    };
    let html = format!(
        "<!doctype html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\"><title>{title} - {domain}</title></head>\n<body>\n<h1>{domain}</h1>\n<h2>{title}</h2>\n{content}\n</body>\n</html>\n"
    );
    Answer {
        status,
        content_type: "text/html; charset=utf-8",
        body: html.into_bytes(),
    }
}

/// What a site's login page shows: its first step.
fn login_content(site: &Site) -> String {
    let Some(step) = site.steps.first() else {
        return "<p>Nothing to sign in to.</p>".to_owned();
    };
    let buttons = |labels: Vec<&str>| {
        labels
            .into_iter()
            .map(|label| format!("<button type=\"button\">{}</button>", escape(label)))
            .collect::<Vec<_>>()
            .join("\n")
    };
    match &step.kind {
        StepKind::Form(form) => {
            let mut out = String::from("<form method=\"post\" action=\"/login\">\n");
            for field in &form.fields {
                let kind = match field.kind.as_str() {
                    "email" | "password" | "tel" | "number" | "url" => field.kind.as_str(),
                    _ => "text",
                };
                let name = escape(&field.name);
                let placeholder = field
                    .placeholder
                    .as_deref()
                    .map(|p| format!(" placeholder=\"{}\"", escape(p)))
                    .unwrap_or_default();
                out.push_str(&format!(
                    "<label for=\"{name}\">{}</label>\n<input id=\"{name}\" name=\"{name}\" type=\"{kind}\"{placeholder}>\n",
                    escape(&field.label)
                ));
            }
            out.push_str("<button type=\"submit\">Sign in</button>\n</form>");
            out
        }
        StepKind::ChooseMfa(options) => buttons(options.iter().map(|o| o.label.as_str()).collect()),
        StepKind::ChooseSso(buttons_) => {
            buttons(buttons_.iter().map(|b| b.label.as_str()).collect())
        }
        StepKind::ChooseSignIn(options) => {
            buttons(options.iter().map(|o| o.label.as_str()).collect())
        }
        StepKind::ExternalAction { message, .. } | StepKind::Fail { message, .. } => {
            format!("<p>{}</p>", escape(message))
        }
        StepKind::Hang => "<p>Loading&hellip;</p>".to_owned(),
    }
}

/// Escapes text for HTML content and attribute values.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Standard base64 with padding (RFC 4648).
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc_4648_vectors() {
        let cases = [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ];
        for (plain, encoded) in cases {
            assert_eq!(base64(plain.as_bytes()), encoded, "{plain}");
        }
        assert_eq!(base64(&[0xff, 0xfe, 0x00]), "//4A");
    }

    #[test]
    fn urls_split_into_host_and_path() {
        let t = parse_url("HTTPS://User:pw@Password.Example.:8443/login?next=/#top").unwrap();
        assert_eq!(
            (t.host.as_str(), t.path.as_str()),
            ("password.example", "/login")
        );
        let t = parse_url("http://[::1]:80").unwrap();
        assert_eq!((t.host.as_str(), t.path.as_str()), ("::1", "/"));
        let t = parse_url("http://a.example?x=1").unwrap();
        assert_eq!(t.path, "/");
        for bad in [
            "ftp://a.example/",
            "a.example",
            "https://",
            "https:///path",
            "https://:80/",
        ] {
            assert!(parse_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn site_pages_show_the_first_step() {
        let sites = Site::defaults();
        let password = sites
            .iter()
            .find(|s| s.domain == "password.example")
            .unwrap();
        let at = |path: &str| Target {
            host: "password.example".into(),
            path: path.into(),
        };
        let login = site_page(password, &at("/"));
        let html = String::from_utf8(login.body).unwrap();
        assert_eq!(login.status, 200);
        assert!(
            html.contains("<input id=\"username\" name=\"username\" type=\"text\">"),
            "{html}"
        );
        assert!(html.contains("type=\"password\""), "{html}");
        assert_eq!(site_page(password, &at("/home")).status, 200);
        assert_eq!(site_page(password, &at("/nope")).status, 404);
        let sso = sites.iter().find(|s| s.domain == "sso.example").unwrap();
        let html = String::from_utf8(site_page(sso, &at("/login")).body).unwrap();
        assert!(html.contains("<button type=\"button\">"), "{html}");
        assert_eq!(
            escape("<a href='x'>&\""),
            "&lt;a href=&#39;x&#39;&gt;&amp;&quot;"
        );
    }
}
