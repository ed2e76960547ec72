//! The handlers, one module per API area. Each area declares the operations
//! it serves with [`serves!`]; the router (`crate::server`) asks [`route`]
//! for the handler of every spec operation. Beside them: the event-stream
//! responses they share ([`sse`]) and the CDP websocket proxy ([`cdp`]),
//! which is not an operation of the spec.

/// Declares an area's operations, `"operationId" => handler`, as the area's
/// `SERVED` list and `route` function.
macro_rules! serves {
    ($($id:literal => $handler:expr),* $(,)?) => {
        /// The `operationId`s this area serves.
        #[allow(dead_code)]
        pub(crate) const SERVED: &[&str] = &[$($id),*];

        /// The handler of operation `id`, for requests of `filter`'s method.
        pub(crate) fn route(
            id: &str,
            filter: axum::routing::MethodFilter,
        ) -> Option<axum::routing::MethodRouter<crate::state::AppState>> {
            match id {
                $($id => Some(axum::routing::on(filter, $handler)),)*
                _ => None,
            }
        }
    };
}

pub(crate) mod agents;
pub(crate) mod api_keys;
pub(crate) mod apps;
mod archive;
pub(crate) mod browsers;
pub(crate) mod cdp;
pub(crate) mod computer;
pub(crate) mod connections;
pub(crate) mod credential_providers;
pub(crate) mod credentials;
pub(crate) mod curl;
pub(crate) mod deployments;
pub(crate) mod extensions;
mod form;
pub(crate) mod fs;
pub(crate) mod fs_transfer;
pub(crate) mod fs_watch;
pub(crate) mod invocations;
pub(crate) mod logs;
pub(crate) mod playwright;
pub(crate) mod pools;
pub(crate) mod processes;
pub(crate) mod profiles;
pub(crate) mod projects;
pub(crate) mod proxies;
pub(crate) mod replays;
pub(crate) mod sse;
pub(crate) mod telemetry;

use axum::routing::{MethodFilter, MethodRouter};

use crate::state::AppState;

/// The `Area` of each module named.
macro_rules! areas {
    ($($area:ident),* $(,)?) => {
        &[$(Area { served: $area::SERVED, route: $area::route }),*]
    };
}

/// One area's table.
struct Area {
    served: &'static [&'static str],
    route: fn(&str, MethodFilter) -> Option<MethodRouter<AppState>>,
}

/// Every area.
const AREAS: &[Area] = areas![
    agents,
    api_keys,
    apps,
    browsers,
    computer,
    connections,
    credential_providers,
    credentials,
    curl,
    deployments,
    extensions,
    fs,
    fs_transfer,
    fs_watch,
    invocations,
    logs,
    playwright,
    pools,
    processes,
    profiles,
    projects,
    proxies,
    replays,
    telemetry,
];

/// The handler of operation `id`, or `None` when no area serves it.
pub(crate) fn route(id: &str, filter: MethodFilter) -> Option<MethodRouter<AppState>> {
    AREAS.iter().find_map(|area| (area.route)(id, filter))
}

/// Every `operationId` some area serves.
pub(crate) fn served() -> impl Iterator<Item = &'static str> {
    AREAS.iter().flat_map(|area| area.served.iter().copied())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    #[test]
    fn every_served_operation_is_a_spec_operation_served_once() {
        let mut seen = BTreeSet::new();
        for id in super::served() {
            assert!(
                kernel_sys::OPERATIONS.iter().any(|op| op.id == id),
                "{id} is served but is not a spec operation"
            );
            assert!(seen.insert(id), "{id} is served by two areas");
        }
    }
}
