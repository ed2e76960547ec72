//! Open enums and unions: what the server sends is never lost.
//!
//! typify generates closed enums, which reject any value the spec does not
//! list. A live API adds values (a new `flow_step`, a new telemetry event)
//! before clients update, so `build.rs` replaces every multi-value string enum
//! with an `open_enum!` and every tagged `oneOf` with an `open_union!`.

/// A string enum that keeps unknown values as `Unknown(String)` and serializes
/// them back unchanged.
macro_rules! open_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $value:literal,)* }) => {
        $(#[$meta])*
        ///
        /// `#[non_exhaustive]`: a spec bump that adds a value is a minor
        /// release, so a `match` needs a wildcard arm.
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum $name {
            $($(#[$vmeta])* $variant,)*
            /// A value this version of the spec does not list, kept verbatim.
            Unknown(::std::string::String),
        }

        impl $name {
            /// The values the spec documents, in spec order.
            pub const VALUES: &'static [&'static str] = &[$($value),*];

            /// The wire value.
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $value,)*
                    Self::Unknown(value) => value,
                }
            }

            /// `true` for a value the spec does not list.
            pub fn is_unknown(&self) -> bool {
                matches!(self, Self::Unknown(_))
            }
        }

        impl ::std::convert::From<&str> for $name {
            fn from(value: &str) -> Self {
                match value {
                    $($value => Self::$variant,)*
                    other => Self::Unknown(other.to_owned()),
                }
            }
        }

        impl ::std::convert::From<::std::string::String> for $name {
            fn from(value: ::std::string::String) -> Self {
                match value.as_str() {
                    $($value => Self::$variant,)*
                    _ => Self::Unknown(value),
                }
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = ::std::convert::Infallible;
            fn from_str(value: &str) -> ::std::result::Result<Self, Self::Err> {
                Ok(Self::from(value))
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> ::std::result::Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> ::std::result::Result<Self, D::Error> {
                struct Visit;
                impl ::serde::de::Visitor<'_> for Visit {
                    type Value = $name;
                    fn expecting(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                        f.write_str("a string")
                    }
                    fn visit_str<E: ::serde::de::Error>(self, v: &str) -> ::std::result::Result<$name, E> {
                        Ok($name::from(v))
                    }
                    fn visit_string<E: ::serde::de::Error>(self, v: ::std::string::String) -> ::std::result::Result<$name, E> {
                        Ok($name::from(v))
                    }
                }
                d.deserialize_str(Visit)
            }
        }
    };
}

/// A tagged union that keeps events with an unknown tag as raw JSON.
///
/// A documented tag whose body does not match its schema is still an error:
/// only tags this version does not know fall through to `Unknown`.
macro_rules! open_union {
    ($(#[$meta:meta])* $name:ident($known:ident), tag = $tag:literal, variants = [$($variant:ident => $tags:literal),*]) => {
        $(#[$meta])*
        // Not boxed: events are decoded and moved once, and `Known(event)`
        // must stay directly matchable.
        //
        // `#[non_exhaustive]`, like the open enums.
        #[allow(clippy::large_enum_variant)]
        #[derive(Clone, Debug, PartialEq)]
        #[non_exhaustive]
        pub enum $name {
            /// A documented variant.
            Known($crate::types::$known),
            /// A variant with a tag this version of the spec does not know.
            Unknown(::serde_json::Value),
        }

        impl $name {
            /// The property that carries the tag.
            pub const TAG: &'static str = $tag;
            /// The tags the spec documents.
            pub const TAGS: &'static [&'static str] = &[$($tags),*];

            /// The tag value, if the payload has one. For a documented
            /// event it is known from the variant: nothing is serialized.
            pub fn tag(&self) -> ::std::option::Option<&str> {
                match self {
                    $(Self::Known($crate::types::$known::$variant(_)) => Some($tags),)*
                    Self::Unknown(raw) => raw.get($tag).and_then(|t| t.as_str()),
                }
            }
        }

        impl ::std::convert::From<$crate::types::$known> for $name {
            fn from(known: $crate::types::$known) -> Self {
                Self::Known(known)
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> ::std::result::Result<S::Ok, S::Error> {
                match self {
                    Self::Known(known) => known.serialize(s),
                    Self::Unknown(raw) => raw.serialize(s),
                }
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> ::std::result::Result<Self, D::Error> {
                let raw = ::serde_json::Value::deserialize(d)?;
                let known_tag = raw.get($tag).and_then(|t| t.as_str()).is_some_and(|t| Self::TAGS.contains(&t));
                if known_tag {
                    ::serde_json::from_value(raw).map(Self::Known).map_err(::serde::de::Error::custom)
                } else {
                    Ok(Self::Unknown(raw))
                }
            }
        }
    };
}

include!(concat!(env!("OUT_DIR"), "/open.rs"));
