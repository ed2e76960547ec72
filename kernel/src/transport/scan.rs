//! The browsers in a JSON answer, found in one pass over its bytes: only the
//! fields a route needs are read out, and nothing else of the document is
//! built (the answer is decoded into its generated type afterwards anyway).

use crate::routing::{jwt_of, BrowserRoute};
use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use std::borrow::Cow;
use std::fmt;

/// Every object in `body` with a `session_id`, a `base_url` and a token
/// (its own `jwt`, else the `jwt` of its `cdp_ws_url`), not deleted, each
/// before the ones nested in it. None when `body` is not JSON.
pub(super) fn browsers_in(body: &[u8]) -> Vec<BrowserRoute> {
    let mut found = Vec::new();
    let mut json = serde_json::Deserializer::from_slice(body);
    let scanned = Any(&mut found)
        .deserialize(&mut json)
        .and_then(|()| json.end());
    if scanned.is_err() {
        found.clear();
    }
    found
}

/// Any JSON value, searched for browser objects.
struct Any<'f>(&'f mut Vec<BrowserRoute>);

impl<'de> DeserializeSeed<'de> for Any<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, json: D) -> Result<(), D::Error> {
        json.deserialize_any(self)
    }
}

/// Scalars are skipped; containers are searched.
macro_rules! skip_scalars {
    ($out:expr) => {
        fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
            Ok($out)
        }
        fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
            Ok($out)
        }
        fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
            Ok($out)
        }
        fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
            Ok($out)
        }
    };
}

impl<'de> Visitor<'de> for Any<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("JSON")
    }

    skip_scalars!(());

    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut items: A) -> Result<(), A::Error> {
        while items.next_element_seed(Any(self.0))?.is_some() {}
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut object: A) -> Result<(), A::Error> {
        let first_nested = self.0.len();
        let (mut id, mut base_url, mut jwt, mut cdp_ws_url) = (None, None, None, None);
        let mut deleted = false;
        while let Some(key) = object.next_key_seed(KeySeed)? {
            let text =
                |object: &mut A, found: &mut Vec<BrowserRoute>| object.next_value_seed(Text(found));
            match key {
                Key::SessionId => id = text(&mut object, self.0)?,
                Key::BaseUrl => base_url = text(&mut object, self.0)?,
                Key::Jwt => jwt = text(&mut object, self.0)?,
                Key::CdpWsUrl => cdp_ws_url = text(&mut object, self.0)?,
                Key::DeletedAt => deleted = object.next_value_seed(NotNull(self.0))?,
                Key::Other => object.next_value_seed(Any(self.0))?,
            }
        }
        if let (Some(id), Some(base_url), false) = (id, base_url, deleted) {
            let jwt = jwt
                .filter(|jwt: &Cow<str>| !jwt.is_empty())
                .map(Cow::into_owned)
                .or_else(|| jwt_of(cdp_ws_url.as_deref()?));
            if let Some(route) = jwt.and_then(|jwt| BrowserRoute::checked(&id, &base_url, jwt)) {
                self.0.insert(first_nested, route);
            }
        }
        Ok(())
    }
}

/// The keys a route is read from.
enum Key {
    SessionId,
    BaseUrl,
    Jwt,
    CdpWsUrl,
    DeletedAt,
    Other,
}

struct KeySeed;

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Key;

    fn deserialize<D: Deserializer<'de>>(self, json: D) -> Result<Key, D::Error> {
        json.deserialize_str(self)
    }
}

impl Visitor<'_> for KeySeed {
    type Value = Key;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a key")
    }

    fn visit_str<E>(self, key: &str) -> Result<Key, E> {
        Ok(match key {
            "session_id" => Key::SessionId,
            "base_url" => Key::BaseUrl,
            "jwt" => Key::Jwt,
            "cdp_ws_url" => Key::CdpWsUrl,
            "deleted_at" => Key::DeletedAt,
            _ => Key::Other,
        })
    }
}

/// A string value, borrowed from the body where it has no escapes; `None`
/// for anything else (a container is still searched).
struct Text<'f>(&'f mut Vec<BrowserRoute>);

impl<'de> DeserializeSeed<'de> for Text<'_> {
    type Value = Option<Cow<'de, str>>;

    fn deserialize<D: Deserializer<'de>>(self, json: D) -> Result<Self::Value, D::Error> {
        json.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Text<'_> {
    type Value = Option<Cow<'de, str>>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("JSON")
    }

    skip_scalars!(None);

    fn visit_borrowed_str<E>(self, text: &'de str) -> Result<Self::Value, E> {
        Ok(Some(Cow::Borrowed(text)))
    }

    fn visit_str<E>(self, text: &str) -> Result<Self::Value, E> {
        Ok(Some(Cow::Owned(text.to_owned())))
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, items: A) -> Result<Self::Value, A::Error> {
        Any(self.0).visit_seq(items).map(|()| None)
    }

    fn visit_map<A: MapAccess<'de>>(self, object: A) -> Result<Self::Value, A::Error> {
        Any(self.0).visit_map(object).map(|()| None)
    }
}

/// Whether a value is anything but `null` (a container is still searched).
struct NotNull<'f>(&'f mut Vec<BrowserRoute>);

impl<'de> DeserializeSeed<'de> for NotNull<'_> {
    type Value = bool;

    fn deserialize<D: Deserializer<'de>>(self, json: D) -> Result<bool, D::Error> {
        json.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for NotNull<'_> {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("JSON")
    }

    skip_scalars!(true);

    fn visit_str<E>(self, _: &str) -> Result<bool, E> {
        Ok(true)
    }

    fn visit_unit<E>(self) -> Result<bool, E> {
        Ok(false)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, items: A) -> Result<bool, A::Error> {
        Any(self.0).visit_seq(items).map(|()| true)
    }

    fn visit_map<A: MapAccess<'de>>(self, object: A) -> Result<bool, A::Error> {
        Any(self.0).visit_map(object).map(|()| true)
    }
}

#[cfg(test)]
mod tests {
    use super::browsers_in;

    fn found(body: &str) -> Vec<(String, String)> {
        browsers_in(body.as_bytes())
            .into_iter()
            .map(|r| (r.session_id, r.jwt.expose().to_owned()))
            .collect()
    }

    #[test]
    fn browsers_are_found_anywhere_in_an_answer() {
        let answer = serde_json::json!({"items": [
            {"session_id": "a", "base_url": "https://vm-a", "cdp_ws_url": "wss://p/cdp?jwt=ta"},
            {"session_id": "b", "base_url": "https://vm-b", "jwt": "tb", "cdp_ws_url": "wss://p/cdp?jwt=ignored"},
            {"session_id": "c", "cdp_ws_url": "wss://p/cdp?jwt=tc"},
            {"session_id": "d", "base_url": "https://vm-d", "cdp_ws_url": "wss://p/cdp"},
            {"session_id": "e", "base_url": "https://vm-e", "cdp_ws_url": "wss://p/cdp?jwt=te", "deleted_at": "2025-01-01T00:00:00Z"},
            {"nested": {"session_id": "f", "base_url": "https://vm-f", "cdp_ws_url": "wss://p/cdp?jwt=tf"}},
        ]});
        let got = found(&answer.to_string());
        let got: Vec<(&str, &str)> = got.iter().map(|(i, j)| (i.as_str(), j.as_str())).collect();
        assert_eq!(got, [("a", "ta"), ("b", "tb"), ("f", "tf")]);
    }

    #[test]
    fn a_browser_comes_before_the_ones_inside_it_and_escapes_are_read() {
        let answer = r#"{"session_id": "outer", "base_url": "https://vm-o",
            "inner": {"session_id": "in\u006Eer", "base_url": "https://vm-i", "jwt": "t\"i"},
            "jwt": "to", "deleted_at": null, "viewport": {"width": 1, "ok": true, "r": 1.5}}"#;
        assert_eq!(
            found(answer),
            [
                ("outer".into(), "to".into()),
                ("inner".into(), "t\"i".into())
            ]
        );
    }

    #[test]
    fn odd_values_are_no_browser_and_broken_json_is_none() {
        assert_eq!(
            found(r#"{"session_id": 1, "base_url": "https://vm", "jwt": "t"}"#),
            []
        );
        assert_eq!(
            found(r#"{"session_id": "a", "base_url": ["https://vm"], "jwt": "t"}"#),
            []
        );
        assert_eq!(
            found(r#"{"session_id": "a", "base_url": "https://vm", "jwt": "t", "deleted_at": {}}"#),
            []
        );
        assert_eq!(
            found(r#"[{"session_id": "a", "base_url": "https://vm", "jwt": "t"}"#),
            []
        );
        assert_eq!(
            found(r#"{"session_id": "a", "base_url": "https://vm", "jwt": "t"} x"#),
            []
        );
        assert_eq!(found("null"), []);
    }
}
