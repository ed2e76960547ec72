//! The transport's half of direct-to-VM routing ([`crate::routing`]): which
//! requests go to a browser's VM and how their URL is rewritten, which
//! answers fill or empty the route cache, and when a direct call falls back
//! to the API.

use super::{Answer, Failed};
use crate::retry::Failure;
use crate::routing::{BrowserRoute, BrowserRoutes};
use crate::Secret;
use reqwest::{Method, StatusCode, Url};
use serde_json::Value;

/// The routing rules of one client and its route cache.
pub(crate) struct Router {
    /// Routed prefixes, normalized; empty: routing is off.
    prefixes: Vec<String>,
    routes: BrowserRoutes,
    gateway: Url,
}

/// A request on its way to a VM.
pub(super) struct Direct {
    session_id: String,
    /// The token it carries: only that route is dropped when it fails.
    jwt: Secret,
    /// The request as the API would get it, for the fallback; `None` for a
    /// streamed body, which cannot be sent twice.
    gateway: Option<reqwest::Request>,
}

/// Why a direct call is taken for a stale route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Stale {
    /// 401 or 403: the token is no longer good.
    Refused(StatusCode),
    /// 404: the VM does not know the browser, or the resource is missing.
    NotFound,
    /// Connecting failed (refused, DNS, TLS): nothing was sent.
    Unreachable,
}

impl std::fmt::Display for Stale {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Stale::Refused(status) => write!(f, "the VM answered {}", status.as_u16()),
            Stale::NotFound => f.write_str("the VM answered 404"),
            Stale::Unreachable => f.write_str("the VM could not be reached"),
        }
    }
}

impl Stale {
    /// The stale-route signal in an attempt's outcome, if any.
    pub(super) fn of(result: &Result<Answer, Failed>) -> Option<Self> {
        match result {
            Ok(r) if matches!(r.status().as_u16(), 401 | 403) => Some(Stale::Refused(r.status())),
            Ok(r) if r.status() == StatusCode::NOT_FOUND => Some(Stale::NotFound),
            Err(failed) if failed.failure() == Failure::Connect => Some(Stale::Unreachable),
            _ => None,
        }
    }
}

impl Router {
    pub(crate) fn new(prefixes: Vec<String>, gateway: Url) -> Self {
        Self {
            prefixes,
            routes: BrowserRoutes::default(),
            gateway,
        }
    }

    pub(crate) fn enabled(&self) -> bool {
        !self.prefixes.is_empty()
    }

    pub(crate) fn routes(&self) -> &BrowserRoutes {
        &self.routes
    }

    /// The path segments of `url` under the API's base URL, or `None` for a
    /// URL elsewhere.
    fn segments<'u>(&self, url: &'u Url) -> Option<Vec<&'u str>> {
        Some(self.under_base(url)?.split('/').collect())
    }

    /// The path of `url` after the API's base URL and its `/`, or `None`
    /// for a URL elsewhere.
    fn under_base<'u>(&self, url: &'u Url) -> Option<&'u str> {
        // The origin compared part by part: `Url::origin` copies both hosts.
        let gateway = &self.gateway;
        if url.scheme() != gateway.scheme()
            || url.host() != gateway.host()
            || url.port_or_known_default() != gateway.port_or_known_default()
        {
            return None;
        }
        let base = self.gateway.path().trim_end_matches('/');
        url.path().strip_prefix(base)?.strip_prefix('/')
    }

    /// Whether `tail` (the path after `/browsers/{id}/`) is routed: it is a
    /// prefix or starts with one followed by `/`.
    fn routed(&self, tail: &str) -> bool {
        let tail = tail.trim_matches('/');
        self.prefixes.iter().any(|prefix| {
            tail.strip_prefix(prefix.as_str())
                .is_some_and(|after| after.is_empty() || after.starts_with('/'))
        })
    }

    /// The browser a successful answer to `request` ends (a delete, a
    /// release to its pool), whose route is then forgotten. Answers that
    /// carry browsers fill the cache in the call layer, from the value it
    /// decoded (`BrowserRoutes::learn`).
    pub(super) fn forgets(&self, request: &reqwest::Request) -> Option<String> {
        if !self.enabled() {
            return None;
        }
        let method = request.method();
        if !matches!(*method, Method::DELETE | Method::POST) {
            return None;
        }
        match self.segments(request.url())?.as_slice() {
            ["browsers", id] if !id.is_empty() && method == Method::DELETE => {
                Some(percent_decode(id))
            }
            ["browser_pools", _, "release"] if method == Method::POST => request
                .body()
                .and_then(|b| b.as_bytes())
                .and_then(|body| serde_json::from_slice::<Value>(body).ok())
                .and_then(|body| Some(body.get("session_id")?.as_str()?.to_string())),
            _ => None,
        }
    }

    /// Turns `request` into its direct form when it is routed and its
    /// browser's route is cached: the VM's URL with `jwt` (a `jwt` the
    /// caller set is replaced) and no `Authorization`.
    pub(super) fn divert(&self, request: &mut reqwest::Request) -> Option<Direct> {
        if !self.enabled() {
            return None;
        }
        // Most calls are not on a browser's subresource: tell them apart
        // before splitting the path.
        let rest = self.under_base(request.url())?.strip_prefix("browsers/")?;
        if !rest.contains('/') {
            return None;
        }
        let (id, tail) = match self.segments(request.url())?.as_slice() {
            ["browsers", id, tail @ ..] if !id.is_empty() && !tail.is_empty() => {
                (percent_decode(id), tail.join("/"))
            }
            _ => return None,
        };
        if tail.is_empty() || !self.routed(&tail) {
            return None;
        }
        let route = self.routes.get(&id)?;
        let url = direct_url(&route, &tail, request.url().query())?;
        let gateway = super::copy(request);
        *request.url_mut() = url;
        request.headers_mut().remove(reqwest::header::AUTHORIZATION);
        Some(Direct {
            session_id: id,
            jwt: route.jwt,
            gateway,
        })
    }

    /// Drops the route `direct` used, unless it was refreshed meanwhile.
    pub(super) fn drop_route(&self, direct: &Direct) {
        if self.routes.remove_stale(&direct.session_id, &direct.jwt) {
            tracing::debug!(session_id = %direct.session_id, "browser route dropped");
        }
    }
}

impl Direct {
    /// Takes the request for the API, if it can be sent again.
    pub(super) fn take_gateway(&mut self) -> Option<reqwest::Request> {
        self.gateway.take()
    }
}

/// The VM's URL for `tail` with the original `query`: `{base_url}/{tail}`,
/// the query kept but for any `jwt`, then `jwt=<token>`.
fn direct_url(route: &BrowserRoute, tail: &str, query: Option<&str>) -> Option<Url> {
    let base = route.base_url.trim_end_matches('/');
    let mut url = Url::parse(&format!("{base}/{tail}")).ok()?;
    let kept: Vec<&str> = query
        .unwrap_or_default()
        .split('&')
        .filter(|pair| {
            let name = pair.split('=').next().unwrap_or_default();
            !pair.is_empty() && percent_decode(name) != "jwt"
        })
        .collect();
    url.set_query((!kept.is_empty()).then(|| kept.join("&")).as_deref());
    url.query_pairs_mut().append_pair("jwt", route.jwt.expose());
    Some(url)
}

/// `%XX` escapes decoded (a path segment, a query name); invalid ones kept.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (
            bytes[i],
            bytes.get(i + 1).copied().and_then(hex),
            bytes.get(i + 2).copied().and_then(hex),
        ) {
            (b'%', Some(hi), Some(lo)) => {
                out.push((hi * 16 + lo) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn router(prefixes: &[&str], gateway: &str) -> Router {
        let router = Router::new(
            prefixes.iter().map(|p| p.to_string()).collect(),
            Url::parse(gateway).unwrap(),
        );
        router.routes.insert(BrowserRoute::new(
            "sess 1",
            "http://vm.example/browser/kernel/",
            "tok+en",
        ));
        router
    }

    fn divert(router: &Router, method: Method, url: &str) -> Option<String> {
        let mut request = reqwest::Request::new(method, Url::parse(url).unwrap());
        request
            .headers_mut()
            .insert(reqwest::header::AUTHORIZATION, "Bearer k".parse().unwrap());
        let direct = router.divert(&mut request)?;
        assert!(request
            .headers()
            .get(reqwest::header::AUTHORIZATION)
            .is_none());
        assert_eq!(direct.session_id, "sess 1");
        Some(request.url().to_string())
    }

    #[test]
    fn routed_urls_keep_the_vm_path_and_query_and_carry_the_token() {
        let r = router(&["process", "logs/stream"], "http://api.example/v1");
        assert_eq!(
            divert(
                &r,
                Method::POST,
                "http://api.example/v1/browsers/sess%201/process/exec"
            )
            .as_deref(),
            Some("http://vm.example/browser/kernel/process/exec?jwt=tok%2Ben")
        );
        assert_eq!(
            divert(&r, Method::GET, "http://api.example/v1/browsers/sess%201/logs/stream?source=path&jwt=old&path=%2Fa+b").as_deref(),
            Some("http://vm.example/browser/kernel/logs/stream?source=path&path=%2Fa+b&jwt=tok%2Ben")
        );
    }

    #[test]
    fn prefixes_match_whole_segments_on_the_api_origin_only() {
        let r = router(
            &["fs", "telemetry/stream", "logs/stream"],
            "http://api.example",
        );
        let routed = |path: &str| {
            divert(
                &r,
                Method::GET,
                &format!("http://api.example/browsers/sess%201/{path}"),
            )
            .is_some()
        };
        assert!(routed("fs/read_file"));
        assert!(routed("fs"));
        assert!(routed("telemetry/stream"));
        for path in [
            "fsx/read_file",
            "telemetry",
            "telemetry/streamfoo",
            "telemetry/events",
            "logs",
            "logstream",
        ] {
            assert!(!routed(path), "{path}");
        }
        // Another origin, no subresource, another browser.
        assert!(divert(
            &r,
            Method::GET,
            "http://other.example/browsers/sess%201/fs/x"
        )
        .is_none());
        assert!(divert(&r, Method::GET, "http://api.example/browsers/sess%201").is_none());
        assert!(divert(&r, Method::GET, "http://api.example/browsers/other/fs/x").is_none());
        assert!(divert(
            &router(&[], "http://api.example"),
            Method::GET,
            "http://api.example/browsers/sess%201/fs/x"
        )
        .is_none());
    }

    #[test]
    fn answers_that_end_browsers() {
        let r = router(&["fs"], "http://api.example");
        let effect = |method: Method, path: &str, body: Option<&str>| {
            let mut request = reqwest::Request::new(
                method,
                Url::parse(&format!("http://api.example{path}")).unwrap(),
            );
            *request.body_mut() = body.map(|b| b.to_string().into());
            r.forgets(&request)
        };
        for (method, path) in [
            (Method::POST, "/browsers"),
            (Method::GET, "/browsers"),
            (Method::GET, "/browsers/b1"),
            (Method::PATCH, "/browsers/b1"),
            (Method::POST, "/browser_pools/p/acquire"),
        ] {
            assert_eq!(effect(method, path, None), None, "{path}");
        }
        assert_eq!(
            effect(Method::DELETE, "/browsers/b%201", None),
            Some("b 1".into())
        );
        assert_eq!(
            effect(
                Method::POST,
                "/browser_pools/p/release",
                Some(r#"{"session_id":"b2","reuse":true}"#)
            ),
            Some("b2".into())
        );
        assert_eq!(
            effect(Method::POST, "/browser_pools/p/release", Some("{}")),
            None
        );
        assert_eq!(
            effect(Method::GET, "/browsers/b1/fs/list_files", None),
            None
        );
        assert_eq!(effect(Method::GET, "/profiles", None), None);
    }

    #[test]
    fn percent_escapes_decode() {
        assert_eq!(percent_decode("a%20b%2Fc"), "a b/c");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz"), "%zz");
    }
}
