//! Which operations may be sent twice with the effect of once.
//!
//! The transport resends a request that may have reached the server (a
//! timeout, a connection lost after sending, a 5xx) only when the operation
//! is idempotent. The HTTP method is the default answer (GET, HEAD, PUT,
//! DELETE and OPTIONS are; POST and PATCH are not), and [`OVERRIDES`] corrects
//! it where Kernel's operations do not follow their method. Each row says
//! why, so the table can be reviewed against the API docs.

/// `(operationId, idempotent, why)`: operations whose effect differs from
/// what their HTTP method promises.
pub const OVERRIDES: &[(&str, bool, &str)] = &[
    (
        "movePath",
        false,
        "a PUT that moves: once the source has moved, a resend fails or moves whatever took its place",
    ),
    (
        "takeScreenshot",
        true,
        "a POST that only reads the screen",
    ),
    (
        "getMousePosition",
        true,
        "a POST that only reads the cursor position",
    ),
    (
        "readClipboard",
        true,
        "a POST that only reads the clipboard",
    ),
    (
        "moveMouse",
        true,
        "a POST to absolute coordinates: moving there twice ends in the same place",
    ),
    (
        "setCursor",
        true,
        "a POST that sets the cursor's visibility to a given value",
    ),
    (
        "writeClipboard",
        true,
        "a POST that sets the clipboard to a given text",
    ),
    (
        "postProxiesByIdCheck",
        true,
        "a POST that runs a health check and changes nothing",
    ),
    (
        "testCredentialProviderById",
        true,
        "a POST that tests a connection and changes nothing",
    ),
];

/// The HTTP methods that promise idempotency (RFC 9110 §9.2.2), upper
/// case. `kernel-sys` re-exports them for requests built by hand, which have
/// no operation to look up.
pub const IDEMPOTENT_METHODS: &[&str] = &["GET", "HEAD", "PUT", "DELETE", "OPTIONS"];

/// Whether `method` (any case) promises idempotency.
pub fn method_is_idempotent(method: &str) -> bool {
    IDEMPOTENT_METHODS
        .iter()
        .any(|m| m.eq_ignore_ascii_case(method))
}

/// Whether `method` (any case) on operation `id` may be resent.
pub fn idempotent(id: &str, method: &str) -> bool {
    match OVERRIDES.iter().find(|(op, _, _)| *op == id) {
        Some((_, idempotent, _)) => *idempotent,
        None => method_is_idempotent(method),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_method_decides_unless_overridden() {
        assert!(idempotent("getBrowsers", "get"));
        assert!(idempotent("deleteBrowsersById", "DELETE"));
        assert!(!idempotent("postBrowsers", "post"));
        assert!(!idempotent("patchBrowsersById", "patch"));
        assert!(!idempotent("movePath", "put"));
        assert!(idempotent("takeScreenshot", "post"));
    }

    /// Every row names an operation of the vendored spec with the method its
    /// row corrects: a renamed operation or a changed method is noticed.
    #[test]
    fn every_override_names_an_operation_and_corrects_its_method() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .join(crate::SPEC_PATH);
        let spec = crate::load(&path).expect("the vendored spec");
        let ops = crate::operations(&spec);
        for (id, idempotent, why) in OVERRIDES {
            let op = ops
                .iter()
                .find(|op| op.id == *id)
                .unwrap_or_else(|| panic!("{id} is not in the spec"));
            let by_method = method_is_idempotent(&op.method);
            assert_ne!(
                by_method, *idempotent,
                "{id}: the row changes nothing ({why})"
            );
        }
    }
}
