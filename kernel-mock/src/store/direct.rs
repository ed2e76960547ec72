//! How a browser is reached directly: its VM endpoints, which this server
//! also serves under `/vm/{id}/…`, and the token they accept.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};

/// The mock's own origin and the secret its browser tokens derive from.
#[derive(Default)]
pub(crate) struct Direct {
    /// The mock's base URL, e.g. `http://127.0.0.1:41234`.
    pub origin: String,
    /// Per server, so a token from another mock is refused.
    secret: String,
}

impl Direct {
    /// Reached at `origin`, with tokens derived from `secret`.
    pub fn new(origin: String, secret: String) -> Self {
        Direct { origin, secret }
    }

    /// The `cdp_ws_url` of browser `session_id`: this server's CDP
    /// endpoint (proxied to the browser's Chromium, or a `501` saying the
    /// mock has none).
    pub fn cdp_ws_url(&self, session_id: &str) -> String {
        let jwt = self.jwt(session_id);
        let host = self.origin.strip_prefix("http://").unwrap_or(&self.origin);
        format!("ws://{host}{}?jwt={jwt}", crate::chromium::PROXY_PATH)
    }

    /// The `base_url` of browser `session_id`: direct requests go to
    /// `{base_url}/<subresource>/…`.
    pub fn base_url(&self, session_id: &str) -> String {
        format!("{}/vm/{session_id}", self.origin)
    }

    /// The token in browser `session_id`'s URLs (`?jwt=`), which its VM
    /// endpoints require instead of the API key.
    pub fn jwt(&self, session_id: &str) -> String {
        let mut hasher = DefaultHasher::new();
        self.secret.hash(&mut hasher);
        session_id.hash(&mut hasher);
        format!("mockjwt.{session_id}.{:016x}", hasher.finish())
    }

    /// `true` when `token` is browser `session_id`'s.
    pub fn accepts(&self, session_id: &str, token: &str) -> bool {
        crate::http::auth::same_key(token, &self.jwt(session_id))
    }
}

#[cfg(test)]
mod tests {
    use super::Direct;

    #[test]
    fn tokens_are_per_browser_and_per_server() {
        let a = Direct::new("http://a".into(), "s1".into());
        let b = Direct::new("http://a".into(), "s2".into());
        assert!(a.accepts("b1", &a.jwt("b1")));
        assert!(!a.accepts("b2", &a.jwt("b1")));
        assert!(!b.accepts("b1", &a.jwt("b1")));
        assert_eq!(a.base_url("b1"), "http://a/vm/b1");
        let jwt = a.jwt("b1");
        assert_eq!(a.cdp_ws_url("b1"), format!("ws://a/browser/cdp?jwt={jwt}"));
    }
}
