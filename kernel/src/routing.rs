//! Direct-to-VM routing: calls on one browser (its processes, files,
//! computer controls, ...) sent straight to the browser's VM instead of
//! through the API, as Kernel's official SDKs do.
//!
//! Every browser the API returns carries a `base_url` (its VM) and a token
//! (the `jwt` of its `cdp_ws_url`). The client remembers them in a route
//! cache ([`BrowserRoutes`], shared by clones of the client) and sends a
//! request to `/browsers/{id}/<sub>/<rest>?<query>` whose `<sub>/<rest>`
//! starts with one of the routed subresources to
//! `{base_url}/<sub>/<rest>?<query>&jwt=<token>`, without the API key.
//!
//! - **Which subresources:** [`BrowserRouting`], set with
//!   [`KernelBuilder::browser_routing`](crate::KernelBuilder::browser_routing);
//!   by default the [`ENV_VAR`] environment variable, read when the client is
//!   built, and [`DEFAULT_SUBRESOURCES`] when it is unset. A prefix matches
//!   whole path segments: `fs` routes `fs/read_file`, not `fsx/…`.
//! - **Where routes come from:** every call of the call layer
//!   (`kernel.browsers()…`) whose decoded answer holds
//!   [`types::Browser`](crate::types::Browser)s (create, get, list, update,
//!   pool acquire, an invocation's browsers) fills the cache, from the value
//!   it decoded, without reading the body twice; a successful delete or pool
//!   release empties the browser's entry;
//!   [`Kernel::browser`](crate::Kernel::browser) adds one from a browser you
//!   already have. Calls through [`Kernel::sys`](crate::Kernel::sys) and
//!   [`Kernel::request`](crate::Kernel::request) are routed but fill nothing.
//!   With routing off nothing is cached.
//! - **Fallback:** a direct call the VM refuses (401, 403) or that cannot
//!   connect (refused, DNS) drops the route and is sent once more, through
//!   the API; a 404 from the VM is asked of the API too, and the route is
//!   dropped unless the API answers 404 as well. See the README's
//!   "Direct-to-VM routing" for how this meets retries.
//!
//! ```
//! # fn main() -> kernel::Result<()> {
//! use kernel::routing::BrowserRouting;
//! let kernel = kernel::Kernel::builder()
//!     .api_key("sk_test")
//!     .browser_routing(BrowserRouting::subresources(["process", "fs"]))
//!     .build()?;
//! kernel.browser_routes().insert(kernel::routing::BrowserRoute::new(
//!     "sess-1",
//!     "https://vm-1.example/browser/kernel",
//!     "eyJ0.eyJ1.sig",
//! ));
//! // Shown without its token.
//! let route = kernel.browser_routes().get("sess-1").unwrap();
//! assert!(!format!("{route:?}").contains("eyJ0"));
//! # Ok(()) }
//! ```

mod token;

use crate::Secret;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use token::jwt_of;

/// The environment variable the default setting reads: a comma-separated
/// list of subresources (`process,fs,logs/stream`); set but blank turns
/// routing off; unset means [`DEFAULT_SUBRESOURCES`].
pub const ENV_VAR: &str = "KERNEL_BROWSER_ROUTING_SUBRESOURCES";

/// The subresources routed when [`ENV_VAR`] is unset, as in Kernel's
/// official SDKs. `replays`, `extensions` and `telemetry` stay on the API
/// (the vendored spec's telemetry stream is `telemetry`, not
/// `telemetry/stream`: list `telemetry` to route it).
pub const DEFAULT_SUBRESOURCES: &[&str] = &[
    "curl",
    "telemetry/stream",
    "computer",
    "playwright",
    "process",
    "fs",
    "logs/stream",
];

/// Which calls on a browser go straight to its VM; see the [module
/// docs](self).
///
/// ```
/// use kernel::routing::BrowserRouting;
/// // What the environment variable's value means:
/// assert_eq!(
///     BrowserRouting::from_env_value(Some(" fs, /logs/stream/ ,,")),
///     BrowserRouting::subresources(["fs", "logs/stream"]),
/// );
/// assert_eq!(BrowserRouting::from_env_value(Some("  ")), BrowserRouting::Off);
/// assert_eq!(
///     BrowserRouting::from_env_value(None),
///     BrowserRouting::subresources(kernel::routing::DEFAULT_SUBRESOURCES.iter().copied()),
/// );
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum BrowserRouting {
    /// As [`ENV_VAR`] says when the client is built (the default).
    #[default]
    FromEnv,
    /// These subresources, relative to `/browsers/{id}/` (build it with
    /// [`subresources`](Self::subresources), which normalizes them).
    Subresources(Vec<String>),
    /// Every call through the API; no route is cached.
    Off,
}

impl BrowserRouting {
    /// These subresources: each trimmed of whitespace and of leading and
    /// trailing `/`, empty ones dropped. An empty list routes nothing.
    pub fn subresources<I, S>(items: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        Self::Subresources(
            items
                .into_iter()
                .map(|item| item.as_ref().trim().trim_matches('/').to_string())
                .filter(|item| !item.is_empty())
                .collect(),
        )
    }

    /// What a value of [`ENV_VAR`] means: `None` (unset) is
    /// [`DEFAULT_SUBRESOURCES`], a blank value is [`Off`](Self::Off), anything
    /// else a comma-separated list.
    pub fn from_env_value(value: Option<&str>) -> Self {
        match value {
            None => Self::subresources(DEFAULT_SUBRESOURCES.iter().copied()),
            Some(value) if value.trim().is_empty() => Self::Off,
            Some(value) => Self::subresources(value.split(',')),
        }
    }

    /// The routed prefixes, the environment read for
    /// [`FromEnv`](Self::FromEnv); empty when off.
    pub(crate) fn resolve(&self) -> Vec<String> {
        let resolved = match self {
            Self::FromEnv => Self::from_env_value(std::env::var(ENV_VAR).ok().as_deref()),
            other => other.clone(),
        };
        match resolved {
            // Normalized again: the variant can be built by hand.
            Self::Subresources(items) => match Self::subresources(items) {
                Self::Subresources(items) => items,
                _ => Vec::new(),
            },
            _ => Vec::new(),
        }
    }
}

/// Where one browser's direct calls go: its VM's `base_url` and the token
/// they carry. `Debug` shows the token as `[redacted]`.
///
/// ```
/// let route = kernel::routing::BrowserRoute::new("sess-1", "https://vm.example/browser/kernel", "tok");
/// assert_eq!(route.jwt.expose(), "tok");
/// assert!(!format!("{route:?}").contains("tok"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BrowserRoute {
    /// The browser's `session_id`.
    pub session_id: String,
    /// The VM's base URL (its path kept: `https://host/browser/kernel`).
    pub base_url: String,
    /// The token sent as `?jwt=`.
    pub jwt: Secret,
}

impl BrowserRoute {
    /// A route from its parts.
    pub fn new(
        session_id: impl Into<String>,
        base_url: impl Into<String>,
        jwt: impl Into<Secret>,
    ) -> Self {
        Self {
            session_id: session_id.into(),
            base_url: base_url.into(),
            jwt: jwt.into(),
        }
    }

    /// The route of a browser the API returned: `None` when it has no
    /// usable `base_url` (an `http` or `https` URL) or its `cdp_ws_url` no
    /// `jwt`.
    ///
    /// ```
    /// # fn demo(browser: &kernel::types::Browser) {
    /// if let Some(route) = kernel::routing::BrowserRoute::from_browser(browser) {
    ///     println!("{} is at {}", route.session_id, route.base_url);
    /// }
    /// # }
    /// ```
    pub fn from_browser(browser: &crate::types::Browser) -> Option<Self> {
        let base_url = browser.base_url.as_deref()?;
        let jwt = jwt_of(browser.cdp_ws_url.expose())?;
        Self::checked(&browser.session_id, base_url, jwt.into_owned())
    }

    /// Whether this route is the one `browser` carries (same VM, same
    /// token), read without parsing or allocating: the cache is refreshed
    /// only when this is false.
    pub(crate) fn is_for(&self, base_url: &str, jwt: &str) -> bool {
        self.base_url == base_url && self.jwt.expose() == jwt
    }

    /// A route whose parts are usable: an id, an `http(s)` base URL, a token.
    pub(crate) fn checked(session_id: &str, base_url: &str, jwt: String) -> Option<Self> {
        let usable = reqwest::Url::parse(base_url)
            .is_ok_and(|url| matches!(url.scheme(), "http" | "https") && url.has_host());
        (usable && !session_id.is_empty() && !jwt.is_empty())
            .then(|| Self::new(session_id, base_url, jwt))
    }
}

/// The route cache: session id → [`BrowserRoute`]. Shared by every clone
/// of the client it came from ([`Kernel::browser_routes`](crate::Kernel::browser_routes));
/// no size limit and no expiry, as in the official SDKs: a route that went
/// stale is dropped by the first call that meets it.
///
/// ```
/// # fn main() -> kernel::Result<()> {
/// use kernel::routing::BrowserRoute;
/// let kernel = kernel::Kernel::builder().api_key("sk_test").build()?;
/// let routes = kernel.browser_routes();
/// routes.insert(BrowserRoute::new("sess-1", "https://vm-1.example", "tok"));
/// assert_eq!(kernel.clone().browser_routes().get("sess-1").unwrap().base_url, "https://vm-1.example");
/// assert!(routes.remove("sess-1").is_some());
/// assert!(routes.is_empty());
/// # Ok(()) }
/// ```
#[derive(Clone, Default)]
pub struct BrowserRoutes(Arc<RwLock<HashMap<String, Cached>>>);

/// A cached route and, when it was learned from a browser, that browser's
/// `cdp_ws_url`: the same URL again means the same token, so it is not
/// parsed again (most answers carry a browser whose route is cached).
struct Cached {
    route: BrowserRoute,
    learned_from: Option<Secret>,
}

impl Cached {
    fn new(route: BrowserRoute, learned_from: Option<Secret>) -> Self {
        Self {
            route,
            learned_from,
        }
    }

    /// Whether this route was learned from a browser on `base_url` with
    /// this `cdp_ws_url`.
    fn learned(&self, base_url: &str, cdp_ws_url: &str) -> bool {
        self.route.base_url == base_url
            && self
                .learned_from
                .as_ref()
                .is_some_and(|from| from.expose() == cdp_ws_url)
    }
}

impl BrowserRoutes {
    /// The route of a browser, if cached.
    pub fn get(&self, session_id: &str) -> Option<BrowserRoute> {
        self.read().get(session_id).map(|c| c.route.clone())
    }

    /// Caches the route `browser` carries, unless it is deleted, has none,
    /// or is cached already: a read lock and two comparisons when nothing
    /// changed, which is most answers.
    pub(crate) fn learn(&self, browser: &crate::types::Browser) {
        let Some(base_url) = browser.base_url.as_deref() else {
            return;
        };
        if browser.deleted_at.is_some() {
            return;
        }
        let url = browser.cdp_ws_url.expose();
        let jwt = {
            let routes = self.read();
            let cached = routes.get(&browser.session_id);
            if cached.is_some_and(|c| c.learned(base_url, url)) {
                return;
            }
            let Some(jwt) = jwt_of(url) else {
                return;
            };
            if cached.is_some_and(|c| c.route.is_for(base_url, &jwt)) {
                return;
            }
            jwt.into_owned()
        };
        if let Some(route) = BrowserRoute::checked(&browser.session_id, base_url, jwt) {
            let id = route.session_id.clone();
            let learned = Cached::new(route, Some(Secret::new(url)));
            self.write().insert(id, learned);
        }
    }

    /// Caches a route, replacing (and returning) the browser's previous one.
    pub fn insert(&self, route: BrowserRoute) -> Option<BrowserRoute> {
        let id = route.session_id.clone();
        let previous = self.write().insert(id, Cached::new(route, None));
        previous.map(|c| c.route)
    }

    /// Forgets a browser's route: its calls go through the API until the
    /// API returns the browser again.
    pub fn remove(&self, session_id: &str) -> Option<BrowserRoute> {
        self.write().remove(session_id).map(|c| c.route)
    }

    /// How many routes are cached.
    pub fn len(&self) -> usize {
        self.read().len()
    }

    /// Whether no route is cached.
    pub fn is_empty(&self) -> bool {
        self.read().is_empty()
    }

    /// Forgets a route only if it still has the token a failed call used,
    /// so a route refreshed meanwhile (by a concurrent `get`) is kept.
    pub(crate) fn remove_stale(&self, session_id: &str, jwt: &Secret) -> bool {
        let mut routes = self.write();
        let stale = routes.get(session_id).is_some_and(|c| c.route.jwt == *jwt);
        if stale {
            routes.remove(session_id);
        }
        stale
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, HashMap<String, Cached>> {
        // A panic elsewhere cannot leave a map half-updated: keep using it.
        self.0.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, HashMap<String, Cached>> {
        self.0.write().unwrap_or_else(|e| e.into_inner())
    }
}

impl std::fmt::Debug for BrowserRoutes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let routes = self.read();
        let mut ids: Vec<_> = routes.iter().collect();
        ids.sort_unstable_by(|a, b| a.0.cmp(b.0));
        f.debug_map()
            .entries(ids.into_iter().map(|(id, c)| (id, &c.route.base_url)))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_are_trimmed_and_blank_items_dropped() {
        assert_eq!(
            BrowserRouting::from_env_value(Some("process, /fs/ ,,logs/stream,")).resolve(),
            ["process", "fs", "logs/stream"]
        );
        assert!(BrowserRouting::from_env_value(Some(" \t"))
            .resolve()
            .is_empty());
        assert!(BrowserRouting::Off.resolve().is_empty());
        assert!(BrowserRouting::Subresources(vec![" / ".into()])
            .resolve()
            .is_empty());
        assert_eq!(
            BrowserRouting::from_env_value(None).resolve(),
            DEFAULT_SUBRESOURCES
        );
    }

    #[test]
    fn a_route_needs_a_usable_base_url_and_token() {
        assert!(BrowserRoute::checked("b", "https://vm.example/k", "t".into()).is_some());
        for base in ["", "not a url", "ftp://vm.example", "data:text/plain,x"] {
            assert!(
                BrowserRoute::checked("b", base, "t".into()).is_none(),
                "{base}"
            );
        }
        assert!(BrowserRoute::checked("", "https://vm", "t".into()).is_none());
        assert!(BrowserRoute::checked("b", "https://vm", String::new()).is_none());
    }

    fn browser(extra: serde_json::Value) -> crate::types::Browser {
        let mut value = serde_json::json!({
            "session_id": "b",
            "cdp_ws_url": "wss://p/cdp?jwt=t1",
            "webdriver_ws_url": "wss://p/webdriver",
            "base_url": "https://vm-b",
            "created_at": "2025-01-01T00:00:00Z",
            "headless": true,
            "stealth": false,
            "timeout_seconds": 60,
        });
        value
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn routes_are_learned_refreshed_and_never_taken_from_deleted_browsers() {
        let routes = BrowserRoutes::default();
        routes.learn(&browser(serde_json::json!({})));
        assert_eq!(routes.get("b").unwrap().jwt.expose(), "t1");
        // A new token or VM replaces the cached route.
        routes.learn(&browser(
            serde_json::json!({"cdp_ws_url": "wss://p/cdp?jwt=t2"}),
        ));
        assert_eq!(routes.get("b").unwrap().jwt.expose(), "t2");
        routes.learn(&browser(
            serde_json::json!({"cdp_ws_url": "wss://p/cdp?jwt=t2", "base_url": "https://vm-c"}),
        ));
        assert_eq!(routes.get("b").unwrap().base_url, "https://vm-c");
        // The same URL as before on another VM is another route.
        routes.learn(&browser(
            serde_json::json!({"cdp_ws_url": "wss://p/cdp?jwt=t2", "base_url": "https://vm-b"}),
        ));
        assert_eq!(routes.get("b").unwrap().base_url, "https://vm-b");
        // A route set by hand is replaced by the one the next answer
        // carries, though that answer's URL was seen before.
        routes.insert(BrowserRoute::new("b", "https://vm-b", "by-hand"));
        routes.learn(&browser(
            serde_json::json!({"cdp_ws_url": "wss://p/cdp?jwt=t2", "base_url": "https://vm-b"}),
        ));
        assert_eq!(routes.get("b").unwrap().jwt.expose(), "t2");
        // Deleted, without a token or a usable VM: nothing is cached.
        let others = [
            serde_json::json!({"session_id": "d", "deleted_at": "2025-01-02T00:00:00Z"}),
            serde_json::json!({"session_id": "e", "cdp_ws_url": "wss://p/cdp"}),
            serde_json::json!({"session_id": "f", "base_url": "ftp://vm-f"}),
            serde_json::json!({"session_id": "g", "base_url": null}),
        ];
        for other in others {
            routes.learn(&browser(other));
        }
        assert_eq!(routes.len(), 1);
    }

    #[test]
    fn a_refreshed_route_is_not_removed_as_stale() {
        let routes = BrowserRoutes::default();
        routes.insert(BrowserRoute::new("b", "https://vm", "old"));
        routes.insert(BrowserRoute::new("b", "https://vm", "new"));
        assert!(!routes.remove_stale("b", &Secret::from("old")));
        assert!(routes.get("b").is_some());
        assert!(routes.remove_stale("b", &Secret::from("new")));
        assert!(routes.is_empty());
    }
}
