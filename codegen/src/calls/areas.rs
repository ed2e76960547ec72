//! Where each operation goes in the `kernel` call layer, and what it is
//! called there: the only facts about the call layer that the spec does not
//! hold. Everything else (parameters, fields, types, docs) is read from the
//! spec and the generated client.

/// An API area: `kernel.<path>()`, one module of `kernel`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Area {
    /// Dotted accessor path: `browsers`, `browsers.computer`,
    /// `auth.connections`.
    pub path: &'static str,
    /// The path prefix its operations share (`""` for an area that only
    /// groups sub-areas).
    pub prefix: &'static str,
    /// One line for the accessor's docs.
    pub doc: &'static str,
}

/// Every area, parents before children. An operation belongs to the area
/// with the longest matching prefix.
pub const AREAS: &[Area] = &[
    Area { path: "browsers", prefix: "/browsers", doc: "Browser sessions, and per-browser replays, computer controls, filesystem, processes and Playwright." },
    Area { path: "browsers.replays", prefix: "/browsers/{id}/replays", doc: "Video replays of one browser." },
    Area { path: "browsers.computer", prefix: "/browsers/{id}/computer", doc: "Mouse, keyboard, screen and clipboard of one browser." },
    Area { path: "browsers.fs", prefix: "/browsers/{id}/fs", doc: "The filesystem of one browser." },
    Area { path: "browsers.process", prefix: "/browsers/{id}/process", doc: "Processes on one browser." },
    Area { path: "browsers.playwright", prefix: "/browsers/{id}/playwright", doc: "Playwright code execution on one browser." },
    Area { path: "browser_pools", prefix: "/browser_pools", doc: "Pools of pre-warmed browsers." },
    Area { path: "profiles", prefix: "/profiles", doc: "Browser profiles: cookies and storage kept across sessions." },
    Area { path: "auth", prefix: "", doc: "Managed Auth: connections, logins, and the legacy auth agents." },
    Area { path: "auth.connections", prefix: "/auth/connections", doc: "Managed Auth connections: a profile kept logged in to a domain." },
    Area { path: "auth.agents", prefix: "/agents/auth", doc: "The legacy auth agents and their invocations." },
    Area { path: "credentials", prefix: "/credentials", doc: "Stored credentials." },
    Area { path: "credential_providers", prefix: "/org/credential_providers", doc: "External credential providers (1Password, ...)." },
    Area { path: "extensions", prefix: "/extensions", doc: "Browser extensions." },
    Area { path: "proxies", prefix: "/proxies", doc: "Proxy configurations." },
    Area { path: "apps", prefix: "/apps", doc: "Deployed apps." },
    Area { path: "deployments", prefix: "/deployments", doc: "App deployments." },
    Area { path: "invocations", prefix: "/invocations", doc: "Action invocations." },
    Area { path: "projects", prefix: "/org/projects", doc: "Projects (`/org/projects`)." },
    Area { path: "legacy_projects", prefix: "/projects", doc: "The deprecated `/projects` paths." },
    Area { path: "api_keys", prefix: "/org/api_keys", doc: "API keys." },
];

/// Method names that differ from the naming rule (see
/// [`method_name`](super::method_name)): a Rust keyword, a clearer verb, or
/// the name the SDK has always used.
pub const NAMES: &[(&str, &str)] = &[
    ("getAgentsAuthInvocationsInvocationId", "get_invocation"),
    ("getBrowsersReplaysById", "download"),
    ("getExtensionByIdOrName", "download"),
    ("getMousePosition", "mouse_position"),
    ("logsStream", "logs"),
    ("movePath", "move_path"),
    ("postAgentsAuthInvocations", "create_invocation"),
    ("postAgentsAuthInvocationsExchange", "exchange_invocation"),
    ("postAgentsAuthInvocationsSubmit", "submit_invocation"),
    ("postExtensions", "upload"),
    ("processStdoutStream", "output"),
    ("readClipboard", "read_clipboard"),
    ("setCursor", "set_cursor"),
    ("setFilePermissions", "set_permissions"),
    ("startBrowserReplayRecording", "start"),
    ("stopFsWatch", "stop_watch"),
    ("streamFsEvents", "watch_events"),
    ("typeText", "type_text"),
    ("uploadExtensionsToBrowser", "upload_extensions"),
    ("writeClipboard", "write_clipboard"),
];

/// Event schemas whose stream `kernel` delivers as its own item type
/// rather than the event itself: telemetry adds gap reports, process output
/// decodes `data_b64`.
pub const STREAM_ITEMS: &[(&str, &str)] = &[
    ("BrowserTelemetryEventEnvelope", "crate::sse::Telemetry"),
    ("ProcessStreamEvent", "crate::sse::ProcessOutput"),
];
