//! Runs every request-shape case and checks that together they cover every
//! tag of the spec.

use super::browser_cases::{
    browsers_list, browsers_patch, browsers_post, computer_click, computer_screenshot,
    extensions_from_chrome_store, filesystem_list_files, filesystem_write_file, logs_stream,
    playwright_execute, pools_acquire, pools_delete_with_body, processes_exec, profiles_list,
    proxies_create, replays_start, telemetry_stream,
};
use super::platform_cases::{
    api_keys_create, api_keys_delete, apps_list, auth_connections_deprecated_create,
    credential_providers_create, credentials_create, deployments_list, invocations_create,
    invocations_list, managed_auth_create, managed_auth_list, projects_patch_limits,
};
use kernel_testkit::spec::{operations, spec};
use std::collections::BTreeSet;

/// Every tag the spec uses (operation tags and the declared tag list).
fn spec_tags() -> BTreeSet<String> {
    let mut tags: BTreeSet<String> = operations().into_iter().map(|o| o.tag).collect();
    for tag in spec()["tags"].as_array().into_iter().flatten() {
        tags.insert(tag["name"].as_str().unwrap().to_string());
    }
    tags
}

#[tokio::test]
async fn every_tag_has_a_request_shape_case_that_matches_the_spec() {
    type Case = (&'static str, futures::future::BoxFuture<'static, String>);
    let cases: Vec<Case> = vec![
        ("browsers_post", Box::pin(browsers_post())),
        ("browsers_list", Box::pin(browsers_list())),
        ("browsers_patch", Box::pin(browsers_patch())),
        ("replays_start", Box::pin(replays_start())),
        ("profiles_list", Box::pin(profiles_list())),
        ("filesystem_write_file", Box::pin(filesystem_write_file())),
        ("filesystem_list_files", Box::pin(filesystem_list_files())),
        ("computer_click", Box::pin(computer_click())),
        ("computer_screenshot", Box::pin(computer_screenshot())),
        ("playwright_execute", Box::pin(playwright_execute())),
        ("processes_exec", Box::pin(processes_exec())),
        ("logs_stream", Box::pin(logs_stream())),
        ("telemetry_stream", Box::pin(telemetry_stream())),
        (
            "extensions_from_chrome_store",
            Box::pin(extensions_from_chrome_store()),
        ),
        ("proxies_create", Box::pin(proxies_create())),
        ("pools_delete_with_body", Box::pin(pools_delete_with_body())),
        ("pools_acquire", Box::pin(pools_acquire())),
        ("managed_auth_create", Box::pin(managed_auth_create())),
        ("managed_auth_list", Box::pin(managed_auth_list())),
        ("credentials_create", Box::pin(credentials_create())),
        (
            "credential_providers_create",
            Box::pin(credential_providers_create()),
        ),
        ("apps_list", Box::pin(apps_list())),
        ("deployments_list", Box::pin(deployments_list())),
        ("invocations_create", Box::pin(invocations_create())),
        ("invocations_list", Box::pin(invocations_list())),
        (
            "auth_connections_deprecated_create",
            Box::pin(auth_connections_deprecated_create()),
        ),
        ("projects_patch_limits", Box::pin(projects_patch_limits())),
        ("api_keys_create", Box::pin(api_keys_create())),
        ("api_keys_delete", Box::pin(api_keys_delete())),
    ];
    let handles: Vec<_> = cases
        .into_iter()
        .map(|(name, case)| (name, tokio::spawn(case)))
        .collect();
    let mut checked = Vec::new();
    let mut failures = Vec::new();
    for (name, handle) in handles {
        match handle.await {
            Ok(op_id) => checked.push(op_id),
            Err(e) => {
                let message = e.try_into_panic().ok().and_then(|p| {
                    p.downcast_ref::<String>()
                        .cloned()
                        .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                });
                failures.push(format!("{name}: {}", message.unwrap_or_default()));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} case(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );

    // Coverage: at least one checked operation for every tag of the spec.
    let ops = operations();
    let covered: BTreeSet<String> = checked
        .iter()
        .map(|id| {
            ops.iter()
                .find(|o| &o.id == id)
                .expect("spec op")
                .tag
                .clone()
        })
        .collect();
    let tags = spec_tags();
    let missing: Vec<&String> = tags.iter().filter(|t| !covered.contains(*t)).collect();
    assert!(
        missing.is_empty(),
        "tags without a request-shape case: {missing:?}"
    );
    // Guards against an empty tag list making the check above vacuous.
    assert!(tags.len() >= 21, "the spec's tags: {tags:?}");
    println!(
        "{} operations checked, covering all {} tags",
        checked.len(),
        tags.len()
    );
}
