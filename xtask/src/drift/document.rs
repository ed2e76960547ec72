//! Document-level settings: servers, default security, security schemes.

use super::cosmetic::strip_cosmetic;
use super::{Category, Differ};
use serde_json::Value;

impl Differ<'_> {
    /// Server URLs, default security and security schemes (raw documents).
    pub(super) fn document(&mut self) {
        let servers = |doc: &Value| -> Vec<Value> {
            let list = doc.get("servers").and_then(Value::as_array);
            list.into_iter()
                .flatten()
                .filter_map(|s| s.get("url").cloned())
                .collect()
        };
        if servers(&self.old.raw) != servers(&self.new.raw) {
            self.push(
                Category::Additive,
                "servers_changed",
                "document servers",
                "server URLs changed",
            );
        }
        if self.old.raw.get("security") != self.new.raw.get("security") {
            self.push(
                Category::Additive,
                "security_changed",
                "document security",
                "default security changed",
            );
        }
        let schemes = |doc: &Value| {
            doc.pointer("/components/securitySchemes")
                .map(strip_cosmetic)
        };
        if schemes(&self.old.raw) != schemes(&self.new.raw) {
            self.push(
                Category::Additive,
                "security_changed",
                "document security",
                "security schemes changed",
            );
        }
    }
}
