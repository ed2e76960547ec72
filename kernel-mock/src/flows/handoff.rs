//! Handoff codes: the hosted login page trades a flow's code for a JWT
//! (`postAuthConnectionsExchange`, legacy `postAgentsAuthInvocationsExchange`).
//!
//! A code works once, while its flow is the connection's current flow and in
//! progress: a wrong code is a `400`, a used one or one of an ended, expired
//! or superseded flow a `410`.

use axum::http::StatusCode;
use chrono::Utc;
use kernel_sys::types;

use crate::http::error::{build_error, ApiError, ApiResult};
use crate::store::{new_id, Store};

/// JWT lifetime (the spec's "30 minute TTL").
const JWT_TTL_SECS: i64 = 30 * 60;

/// Whose handoff code is exchanged.
pub(crate) enum Exchange<'a> {
    /// Any flow of auth connection `id` (`/auth/connections/{id}/exchange`).
    Connection(&'a str),
    /// Flow (legacy invocation) `id`.
    Invocation(&'a str),
}

/// Exchanges `code` for the flow's id and a JWT carrying it.
pub(crate) fn exchange(
    store: &mut Store,
    target: Exchange<'_>,
    code: &str,
) -> ApiResult<types::ManagedAuthExchangeResponse> {
    let invalid = || {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_handoff_code",
            "the handoff code is not valid for this login flow",
        )
    };
    let flow_id = match target {
        Exchange::Connection(id) => {
            if !store.connections.iter().any(|c| c.id == id) {
                return Err(ApiError::not_found("auth connection", id));
            }
            store
                .flows
                .values()
                .find(|f| f.view.connection_id == id && f.view.handoff_code == code)
                .map(|f| f.view.id.clone())
                .ok_or_else(invalid)?
        }
        Exchange::Invocation(id) => {
            let flow = store
                .flows
                .get(id)
                .ok_or_else(|| ApiError::not_found("invocation", id))?;
            if flow.view.handoff_code != code {
                return Err(invalid());
            }
            id.to_owned()
        }
    };
    let current = store
        .flows
        .get(&flow_id)
        .and_then(|f| {
            store
                .connections
                .iter()
                .find(|c| c.id == f.view.connection_id)
        })
        .and_then(|c| c.current_flow.as_deref())
        == Some(flow_id.as_str());
    let flow = store
        .flows
        .get_mut(&flow_id)
        .ok_or_else(|| ApiError::internal("flow vanished"))?;
    let live = current && !flow.view.is_terminal() && flow.view.expires_at > Utc::now();
    if flow.handoff_used || !live {
        let why = if flow.handoff_used {
            "was already exchanged"
        } else {
            "belongs to a login flow that has ended"
        };
        return Err(ApiError::new(
            StatusCode::GONE,
            "handoff_code_expired",
            format!("the handoff code {why}"),
        ));
    }
    flow.handoff_used = true;
    let jwt = jwt(&flow.view.id, &flow.view.connection_id);
    types::ManagedAuthExchangeResponse::builder()
        .invocation_id(flow.view.id.clone())
        .jwt(jwt)
        .try_into()
        .map_err(|e| build_error("ManagedAuthExchangeResponse", e))
}

/// A JWT-shaped token with `invocation_id` and `connection_id` claims and a
/// 30-minute `exp`; its signature is random (the mock checks no JWT).
fn jwt(invocation_id: &str, connection_id: &str) -> String {
    let now = Utc::now().timestamp();
    let header = serde_json::json!({ "alg": "HS256", "typ": "JWT" });
    let claims = serde_json::json!({
        "invocation_id": invocation_id,
        "connection_id": connection_id,
        "iat": now,
        "exp": now + JWT_TTL_SECS,
    });
    format!(
        "{}.{}.{}",
        base64url(header.to_string().as_bytes()),
        base64url(claims.to_string().as_bytes()),
        new_id("")
    )
}

/// Unpadded base64url (RFC 4648 §5), as JWTs use.
fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        for i in 0..=chunk.len() {
            out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64url_matches_rfc4648() {
        assert_eq!(base64url(b""), "");
        assert_eq!(base64url(b"f"), "Zg");
        assert_eq!(base64url(b"fo"), "Zm8");
        assert_eq!(base64url(b"foo"), "Zm9v");
        assert_eq!(base64url(b"foob"), "Zm9vYg");
        assert_eq!(base64url(&[0xfb, 0xff]), "-_8");
    }

    #[test]
    fn jwt_has_three_parts_and_the_claims() {
        let token = jwt("flow_1", "ma_1");
        let parts: Vec<&str> = token.split('.').collect();
        assert_eq!(parts.len(), 3);
        assert_eq!(parts[0], base64url(br#"{"alg":"HS256","typ":"JWT"}"#));
        assert!(parts[1].starts_with("eyJ"));
    }
}
