//! `/proxies`: proxy configurations (create, list, get, soft delete) and
//! their health check.
//!
//! The check is deterministic: a custom proxy whose host is under `.invalid`
//! or whose port is 0 is `unavailable`, every other proxy `available`. A
//! check without `url` stores the status, `last_checked` and the exit IP; a
//! check with `url` also needs the target to be reachable (a host under
//! `.invalid` is not) and, as the spec says, answers its result without
//! changing the stored health. A new proxy has no status until checked.
//! The list is not paginated (the spec documents no `limit`/`offset`). Like
//! a `ProxyRef`, `{id}` also accepts a proxy's name.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::Utc;
use kernel_sys::{open, types};
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::http::error::{build_error, ApiError, ApiResult};
use crate::http::extract::{JsonBody, OptionalJsonBody};
use crate::state::AppState;
use crate::store::new_id;
use crate::store::proxies::{find_index, find_proxy, is_invalid_host, ProxyRecord};

serves! {
    "postProxies" => create,
    "getProxies" => list,
    "getProxiesById" => get,
    "deleteProxiesById" => delete,
    "postProxiesByIdCheck" => check,
}

/// The spec's `ProxyCreateRequest`; `config` is checked against `type`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ProxyRequest {
    name: Option<String>,
    #[serde(rename = "type")]
    kind: open::ProxyCreateRequestType,
    protocol: Option<open::ProxyCreateRequestProtocol>,
    #[serde(default)]
    bypass_hosts: Vec<String>,
    config: Option<Map<String, Value>>,
}

/// The configuration fields each proxy type takes.
fn config_fields(kind: &open::ProxyType) -> &'static [&'static str] {
    match kind {
        open::ProxyType::Residential => &["country", "city", "state", "zip", "asn", "os"],
        open::ProxyType::Mobile => &["country", "city", "state", "zip", "asn", "carrier"],
        open::ProxyType::Custom => &["host", "port", "username", "password"],
        _ => &["country"],
    }
}

/// Checks `config` against proxy type `kind` and converts it.
fn parse_config(
    kind: &open::ProxyType,
    config: Option<Map<String, Value>>,
) -> ApiResult<types::ProxyCreateRequestConfig> {
    let custom = *kind == open::ProxyType::Custom;
    let Some(config) = config else {
        if custom {
            return Err(ApiError::bad_request(
                "config with host and port is required for a custom proxy",
            ));
        }
        return Ok(Default::default());
    };
    let allowed = config_fields(kind);
    if let Some(field) = config.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(ApiError::bad_request(format!(
            "config.{field} does not apply to a {kind} proxy (allowed: {})",
            allowed.join(", ")
        )));
    }
    let parsed: types::ProxyCreateRequestConfig = serde_json::from_value(Value::Object(config))
        .map_err(|e| ApiError::bad_request(format!("config: {e}")))?;
    if parsed.os.as_ref().is_some_and(|os| os.is_unknown()) {
        return Err(ApiError::bad_request(format!(
            "config.os must be one of {}",
            open::ProxyCreateRequestConfigOs::VALUES.join(", ")
        )));
    }
    if parsed.carrier.as_ref().is_some_and(|c| c.is_unknown()) {
        return Err(ApiError::bad_request(
            "config.carrier is not a known carrier",
        ));
    }
    if parsed.city.is_some() && parsed.country.is_none() {
        return Err(ApiError::bad_request("config.city requires config.country"));
    }
    if custom {
        if parsed.host.as_deref().is_none_or(|h| h.trim().is_empty()) {
            return Err(ApiError::bad_request(
                "config.host is required for a custom proxy",
            ));
        }
        match parsed.port {
            Some(port) if (0..=65_535).contains(&port) => {}
            Some(port) => {
                return Err(ApiError::bad_request(format!(
                    "config.port {port} is not a port number"
                )))
            }
            None => {
                return Err(ApiError::bad_request(
                    "config.port is required for a custom proxy",
                ))
            }
        }
    }
    Ok(parsed)
}

/// `POST /proxies`: `201` with the new proxy.
pub(crate) async fn create(
    State(state): State<AppState>,
    JsonBody(req): JsonBody<ProxyRequest>,
) -> ApiResult<Response> {
    if req.kind.is_unknown() {
        return Err(ApiError::bad_request(format!(
            "type must be one of {}",
            open::ProxyCreateRequestType::VALUES.join(", ")
        )));
    }
    if req.protocol.as_ref().is_some_and(|p| p.is_unknown()) {
        return Err(ApiError::bad_request(format!(
            "protocol must be one of {}",
            open::ProxyCreateRequestProtocol::VALUES.join(", ")
        )));
    }
    if let Some(name) = &req.name {
        if name.trim().is_empty() || name.chars().count() > 255 {
            return Err(ApiError::bad_request(
                "name must be 1-255 characters and not blank",
            ));
        }
    }
    if req.bypass_hosts.iter().any(|h| h.trim().is_empty()) {
        return Err(ApiError::bad_request(
            "bypass_hosts entries must not be empty",
        ));
    }
    let kind = open::ProxyType::from(req.kind.as_str());
    let config = parse_config(&kind, req.config)?;
    let protocol = req.protocol.map_or(open::ProxyProtocol::Https, |p| {
        open::ProxyProtocol::from(p.as_str())
    });
    let mut store = state.store();
    if let Some(name) = &req.name {
        // Names select proxies (`ProxyRef`), so one may not shadow another
        // proxy's id or name. The spec documents no 409 here.
        if find_proxy(&store, name).is_some() {
            return Err(ApiError::bad_request(format!(
                "a proxy named {name:?} already exists"
            )));
        }
    }
    let record = ProxyRecord {
        id: new_id("proxy"),
        name: req.name,
        kind,
        protocol,
        bypass_hosts: req.bypass_hosts,
        config,
        status: None,
        last_checked: None,
        ip_address: None,
        deleted_at: None,
    };
    let body = record.to_json()?;
    store.proxies.push(record);
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

/// `GET /proxies`: every live proxy, oldest first.
pub(crate) async fn list(State(state): State<AppState>) -> ApiResult<Json<Value>> {
    let store = state.store();
    let items = store
        .proxies
        .iter()
        .filter(|p| p.deleted_at.is_none())
        .map(ProxyRecord::to_json)
        .collect::<ApiResult<Vec<_>>>()?;
    Ok(Json(Value::Array(items)))
}

/// `GET /proxies/{id}`
pub(crate) async fn get(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let store = state.store();
    let proxy = find_proxy(&store, &id).ok_or_else(|| ApiError::not_found("proxy", &id))?;
    Ok(Json(proxy.to_json()?))
}

/// `DELETE /proxies/{id}`: a soft delete; the proxy is gone from every
/// lookup.
pub(crate) async fn delete(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let mut store = state.store();
    let index = find_index(&store, &id).ok_or_else(|| ApiError::not_found("proxy", &id))?;
    store.proxies[index].deleted_at = Some(Utc::now());
    Ok(StatusCode::NO_CONTENT)
}

/// The spec's `ProxyCheckRequest`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CheckRequest {
    url: Option<String>,
}

/// The host of an `http`/`https` URL, or why it cannot be a check target.
fn target_host(url: &str) -> ApiResult<String> {
    let bad = |why: &str| ApiError::bad_request(format!("url {url:?}: {why}"));
    let lower = url.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"))
        .ok_or_else(|| bad("only http and https URLs can be checked"))?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = if let Some(v6) = host_port.strip_prefix('[') {
        v6.split(']').next().unwrap_or_default()
    } else {
        host_port.split(':').next().unwrap_or_default()
    };
    if host.is_empty() {
        return Err(bad("has no host"));
    }
    let private = match host.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V4(ip)) => {
            ip.is_private() || ip.is_loopback() || ip.is_link_local() || ip.is_unspecified()
        }
        Ok(std::net::IpAddr::V6(ip)) => ip.is_loopback() || ip.is_unspecified(),
        Err(_) => host == "localhost" || host.ends_with(".localhost"),
    };
    if private {
        return Err(bad("must resolve to a public IP address"));
    }
    Ok(host.to_owned())
}

/// `POST /proxies/{id}/check`: `200` with the proxy as the check found it.
pub(crate) async fn check(
    State(state): State<AppState>,
    Path(id): Path<String>,
    OptionalJsonBody(req): OptionalJsonBody<CheckRequest>,
) -> ApiResult<Json<Value>> {
    let target = req
        .and_then(|r| r.url)
        .map(|u| target_host(&u))
        .transpose()?;
    let mut store = state.store();
    let index = find_index(&store, &id).ok_or_else(|| ApiError::not_found("proxy", &id))?;
    let record = &mut store.proxies[index];
    let reachable = record.reachable();
    let status = |ok: bool| {
        if ok {
            open::ProxyStatus::Available
        } else {
            open::ProxyStatus::Unavailable
        }
    };
    let now = Utc::now();
    let Some(host) = target else {
        record.status = Some(status(reachable));
        record.last_checked = Some(now);
        if reachable {
            record.ip_address = Some(record.exit_ip());
        }
        return Ok(Json(record.to_json()?));
    };
    let mut result = record.to_spec()?;
    result.status = Some(status(reachable && !is_invalid_host(&host)));
    result.last_checked = Some(now);
    if reachable {
        result.ip_address = Some(record.exit_ip());
    }
    Ok(Json(
        serde_json::to_value(result).map_err(|e| build_error("Proxy", e))?,
    ))
}

#[cfg(test)]
mod tests {
    use super::target_host;

    #[test]
    fn check_targets_must_be_public_http_urls() {
        assert_eq!(target_host("https://example.com/x").unwrap(), "example.com");
        assert_eq!(
            target_host("HTTP://u:p@Site.invalid:81").unwrap(),
            "site.invalid"
        );
        assert!(target_host("ftp://example.com").is_err());
        assert!(target_host("https://").is_err());
        assert!(target_host("http://127.0.0.1/").is_err());
        assert!(target_host("http://192.168.1.1/").is_err());
        assert!(target_host("http://[::1]:80/").is_err());
        assert!(target_host("http://localhost:3000").is_err());
        assert!(target_host("http://8.8.8.8").is_ok());
    }
}
