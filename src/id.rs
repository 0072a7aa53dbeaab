//! Validated identifiers: an account, zone or certificate ID is always exactly one URL path segment.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};

use crate::error::{BuildError, IdError};

/// Checks that `value` can stand alone as one path segment without any escaping.
///
/// Cloudflare's certificate IDs are UUIDs in practice, its schema's examples 32 lowercase hex
/// characters, its account and zone IDs 32 hex (the schema's `maxLength: 32`, enforced for
/// neither); all are treated as opaque tokens of any length, so
/// the check is an allow-list of RFC 3986 unreserved characters rather
/// than a format. `..` is refused anywhere, so no ID can walk up the path.
fn check(value: &str) -> Result<(), IdError> {
    if value.is_empty() {
        return Err(IdError::Empty);
    }
    if let Some(c) = value.chars().find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '~'))) {
        return Err(IdError::Character(c));
    }
    if value == "." || value.contains("..") {
        return Err(IdError::Dots);
    }
    Ok(())
}

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $what:literal) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Validates `value` as an identifier; the error says what was wrong and keeps the input.
            pub fn new(value: impl Into<String>) -> Result<Self, BuildError> {
                let value = value.into();
                match check(&value) {
                    Ok(()) => Ok(Self(value)),
                    Err(reason) => Err(BuildError::InvalidId { what: $what, value, reason }),
                }
            }

            /// The identifier as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// The identifier as an owned string.
            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({:?})", stringify!($name), self.0)
            }
        }

        impl std::str::FromStr for $name {
            type Err = BuildError;
            fn from_str(s: &str) -> Result<Self, BuildError> {
                Self::new(s)
            }
        }

        impl TryFrom<String> for $name {
            type Error = BuildError;
            fn try_from(s: String) -> Result<Self, BuildError> {
                Self::new(s)
            }
        }

        impl TryFrom<&str> for $name {
            type Error = BuildError;
            fn try_from(s: &str) -> Result<Self, BuildError> {
                Self::new(s)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                Self::new(s).map_err(serde::de::Error::custom)
            }
        }
    };
}

id_type!(
    /// A Cloudflare account ID (`023e105f4ecef8ad9ca31a8372d0c353`), validated as one path segment.
    AccountId,
    "account ID"
);

id_type!(
    /// An mTLS certificate ID, validated as one path segment.
    CertificateId,
    "certificate ID"
);

id_type!(
    /// A Cloudflare zone ID (`023e105f4ecef8ad9ca31a8372d0c353`, on the zone's Overview page
    /// in the dashboard), validated as one path segment, as an [`AccountId`] is.
    ZoneId,
    "zone ID"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_hex_and_uuids() {
        for ok in ["023e105f4ecef8ad9ca31a8372d0c353", "8f45e1ac-7bcf-4ea4-9a9e-2b8c3a1f9c11", "a.b", "x~y_z"] {
            assert_eq!(AccountId::new(ok).unwrap().as_str(), ok);
            assert_eq!(CertificateId::new(ok).unwrap().to_string(), ok);
            assert_eq!(ZoneId::new(ok).unwrap().as_str(), ok);
        }
    }

    #[test]
    fn refuses_everything_that_could_leave_the_segment() {
        let cases: &[(&str, IdError)] = &[
            ("", IdError::Empty),
            ("a/b", IdError::Character('/')),
            ("..", IdError::Dots),
            (".", IdError::Dots),
            ("a..b", IdError::Dots),
            ("a?b", IdError::Character('?')),
            ("a#b", IdError::Character('#')),
            ("a%2fb", IdError::Character('%')),
            ("a b", IdError::Character(' ')),
            ("a\tb", IdError::Character('\t')),
            ("a\nb", IdError::Character('\n')),
            ("a\u{0}b", IdError::Character('\u{0}')),
            ("é", IdError::Character('é')),
            ("a\\b", IdError::Character('\\')),
        ];
        for (input, reason) in cases {
            match CertificateId::new(*input) {
                Err(BuildError::InvalidId { what, value, reason: r }) => {
                    assert_eq!(what, "certificate ID");
                    assert_eq!(&value, input, "the rejected input is kept");
                    assert_eq!(&r, reason, "{input:?}");
                }
                other => panic!("{input:?} gave {other:?}"),
            }
        }
    }

    #[test]
    fn a_zone_id_is_checked_as_an_account_id_is() {
        match ZoneId::new("zone/../x") {
            Err(BuildError::InvalidId { what, value, reason }) => {
                assert_eq!((what, value.as_str(), reason), ("zone ID", "zone/../x", IdError::Character('/')));
            }
            other => panic!("{other:?}"),
        }
        assert!(ZoneId::new("").is_err());
    }

    #[test]
    fn error_message_names_the_problem() {
        let err = AccountId::new("abc/def").unwrap_err().to_string();
        assert!(err.contains("account ID"), "{err}");
        assert!(err.contains("'/'"), "{err}");
        assert!(err.contains("abc/def"), "{err}");
    }

    #[test]
    fn deserialising_validates() {
        let ok: CertificateId = serde_json::from_str("\"abc\"").unwrap();
        assert_eq!(ok.as_str(), "abc");
        assert!(serde_json::from_str::<CertificateId>("\"a/b\"").is_err());
    }
}
