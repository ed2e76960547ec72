//! Secret values: what `Debug` (and so logs and error messages) never show.
//!
//! The codegen points every secret property of the spec (credential values,
//! TOTP secrets, submitted field values, tokens, passwords, handoff codes) at
//! these types instead of `String` / `HashMap<String, String>`.

use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::fmt;

/// A secret string. `Debug` and `Display` show `[redacted]`; read it with
/// [`expose`](Self::expose) where it must be used.
///
/// ```
/// let password = kernel_sys::secret::SecretString::from("hunter2");
/// assert_eq!(format!("{password:?}"), "[redacted]");
/// assert_eq!(password.expose(), "hunter2");
/// ```
#[derive(Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SecretString(String);

impl SecretString {
    /// Wraps a secret.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret value.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The secret value, owned.
    pub fn into_inner(self) -> String {
        self.0
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl fmt::Display for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl From<String> for SecretString {
    fn from(value: String) -> Self {
        Self(value)
    }
}

impl From<&str> for SecretString {
    fn from(value: &str) -> Self {
        Self(value.to_string())
    }
}

impl From<&String> for SecretString {
    fn from(value: &String) -> Self {
        Self(value.clone())
    }
}

impl std::str::FromStr for SecretString {
    type Err = std::convert::Infallible;
    fn from_str(value: &str) -> Result<Self, Self::Err> {
        Ok(Self::from(value))
    }
}

/// Secret values by name (credential values, submitted fields). `Debug`
/// shows only the names.
///
/// ```
/// let values: kernel_sys::secret::SecretMap = [("password", "hunter2")].into_iter().collect();
/// assert!(!format!("{values:?}").contains("hunter2"));
/// assert_eq!(values.expose()["password"], "hunter2");
/// ```
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SecretMap(HashMap<String, String>);

impl SecretMap {
    /// The values.
    pub fn expose(&self) -> &HashMap<String, String> {
        &self.0
    }

    /// The values, owned.
    pub fn into_inner(self) -> HashMap<String, String> {
        self.0
    }

    /// The names.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.0.keys().map(String::as_str)
    }

    /// Whether there are no values.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for SecretMap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut names: Vec<&str> = self.names().collect();
        names.sort_unstable();
        f.debug_map()
            .entries(names.into_iter().map(|n| (n, "[redacted]")))
            .finish()
    }
}

impl From<HashMap<String, String>> for SecretMap {
    fn from(values: HashMap<String, String>) -> Self {
        Self(values)
    }
}

impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for SecretMap {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        Self(
            iter.into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        )
    }
}
