//! Every scripted site end to end through the Managed Auth API: create the
//! connection (and credential), log in, follow the event stream, submit,
//! reach the terminal state. Here: the login and step-list helpers the
//! tests share; the tests, by what the site asks, in the submodules.

mod connections;
mod custom_sites;
mod failures_and_expiry;
mod second_factor;
mod sign_in;

use crate::common::Api;
use serde_json::{json, Value};

fn steps(states: &[Value]) -> Vec<String> {
    states
        .iter()
        .map(|s| s["flow_step"].as_str().unwrap_or("?").to_owned())
        .collect()
}

async fn login(api: &Api, id: &str) -> Value {
    let reply = api
        .post(&format!("/auth/connections/{id}/login"), json!({}))
        .await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    reply.body
}

fn steps_of(states: &[Value]) -> Vec<String> {
    steps(states)
}
