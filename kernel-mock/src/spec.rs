//! The spec's operations (`kernel_sys::OPERATIONS`, read from the vendored
//! spec at build time) and which of them the mock serves.

pub use kernel_sys::Operation as SpecOperation;
pub use kernel_sys::OPERATIONS;

/// The spec operation with this `operationId`.
pub fn operation(id: &str) -> Option<&'static SpecOperation> {
    OPERATIONS.iter().find(|op| op.id == id)
}

/// `true` when the mock serves the operation `id`; every other spec
/// operation answers `501 Not Implemented`.
pub fn is_implemented(id: &str) -> bool {
    crate::routes::served().any(|served| served == id)
}

/// The `operationId`s the mock serves.
pub fn implemented() -> Vec<&'static str> {
    crate::routes::served().collect()
}
/// The spec operation a request (`method`, `path`) is for, preferring the
/// template with the most literal segments (`/agents/auth/invocations` over
/// `/agents/auth/{id}`).
pub fn match_operation(method: &str, path: &str) -> Option<&'static SpecOperation> {
    best_match(
        OPERATIONS
            .iter()
            .filter(|op| op.method.eq_ignore_ascii_case(method)),
        path,
    )
}

/// The spec operations (any method) of the path template that best matches
/// `path` (most literal segments), e.g. for an `Allow` header.
pub fn operations_for_path(path: &str) -> Vec<&'static SpecOperation> {
    let scored: Vec<(usize, &'static SpecOperation)> = OPERATIONS
        .iter()
        .filter_map(|op| template_score(op.path, path).map(|s| (s, op)))
        .collect();
    let best = scored.iter().map(|(s, _)| *s).max();
    scored
        .into_iter()
        .filter(|(s, _)| Some(*s) == best)
        .map(|(_, op)| op)
        .collect()
}

fn best_match<'a>(
    ops: impl Iterator<Item = &'a SpecOperation>,
    path: &str,
) -> Option<&'a SpecOperation> {
    ops.filter_map(|op| template_score(op.path, path).map(|score| (score, op)))
        .max_by_key(|(score, _)| *score)
        .map(|(_, op)| op)
}

/// Number of literal segments of `template` when it matches `path`.
fn template_score(template: &str, path: &str) -> Option<usize> {
    let path = path
        .strip_suffix('/')
        .filter(|p| !p.is_empty())
        .unwrap_or(path);
    let t: Vec<&str> = template.split('/').collect();
    let p: Vec<&str> = path.split('/').collect();
    if t.len() != p.len() {
        return None;
    }
    let mut literal = 0;
    for (ts, ps) in t.iter().zip(&p) {
        if ts.starts_with('{') && ts.ends_with('}') {
            if ps.is_empty() {
                return None;
            }
        } else if ts == ps {
            literal += 1;
        } else {
            return None;
        }
    }
    Some(literal)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matching_prefers_literal_segments() {
        let op = match_operation("POST", "/agents/auth/invocations").expect("match");
        assert_eq!(op.id, "postAgentsAuthInvocations");
        let op = match_operation("GET", "/agents/auth/ma_1").expect("match");
        assert_eq!(op.id, "getAgentsAuthById");
        let op = match_operation("GET", "/proxies").expect("match");
        assert_eq!(op.id, "getProxies");
        assert!(match_operation("GET", "/nope").is_none());
        assert!(match_operation("GET", "/browsers//telemetry").is_none());
        let methods: Vec<&str> = operations_for_path("/agents/auth/invocations")
            .iter()
            .map(|op| op.method)
            .collect();
        assert_eq!(methods, ["POST"]);
    }
}
