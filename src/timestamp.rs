//! A point in time as the API gives it, printed as people and the API write it: RFC 3339.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// A date and time from the API (`expires_on`, `uploaded_on`, ...). `Display` is RFC 3339 in
/// UTC (`2036-11-29T01:14:46Z`), as the API sends it; [`get`](Self::get) (or `From`) gives the
/// `time::OffsetDateTime` for arithmetic.
///
/// ```
/// use cloudflare_mtls::Timestamp;
/// let t: Timestamp = "2036-11-29T01:14:46Z".parse()?;
/// assert_eq!(t.to_string(), "2036-11-29T01:14:46Z");
/// assert_eq!(t.get().year(), 2036);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(OffsetDateTime);

impl Timestamp {
    /// The instant, for arithmetic and formatting of your own.
    pub fn get(self) -> OffsetDateTime {
        self.0
    }
}

impl From<OffsetDateTime> for Timestamp {
    fn from(instant: OffsetDateTime) -> Self {
        Self(instant)
    }
}

impl From<Timestamp> for OffsetDateTime {
    fn from(timestamp: Timestamp) -> Self {
        timestamp.0
    }
}

impl PartialEq<OffsetDateTime> for Timestamp {
    fn eq(&self, other: &OffsetDateTime) -> bool {
        self.0 == *other
    }
}

impl PartialOrd<OffsetDateTime> for Timestamp {
    fn partial_cmp(&self, other: &OffsetDateTime) -> Option<std::cmp::Ordering> {
        Some(self.0.cmp(other))
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let utc = self.0.to_offset(time::UtcOffset::UTC);
        match utc.format(&Rfc3339) {
            Ok(text) => f.write_str(&text),
            // RFC 3339 has no room for years outside 0-9999: those print as `time` prints them.
            Err(_) => write!(f, "{utc}"),
        }
    }
}

impl std::str::FromStr for Timestamp {
    type Err = time::error::Parse;
    /// Reads RFC 3339 (`2036-11-29T01:14:46Z`, offsets and fractions allowed).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        OffsetDateTime::parse(s, &Rfc3339).map(Self)
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        time::serde::rfc3339::serialize(&self.0, s)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        time::serde::rfc3339::deserialize(d).map(Self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prints_rfc3339_in_utc_and_reads_it_back() {
        let t: Timestamp = "2036-11-29T02:14:46.5+01:00".parse().unwrap();
        assert_eq!(t.to_string(), "2036-11-29T01:14:46.5Z");
        assert_eq!(t.to_string().parse::<Timestamp>().unwrap(), t);
        assert_eq!(serde_json::to_string(&t).unwrap(), "\"2036-11-29T02:14:46.5+01:00\"");
        let far = Timestamp::from(OffsetDateTime::UNIX_EPOCH.replace_year(-5).unwrap());
        assert!(far.to_string().starts_with("-0005-01-01"), "an instant RFC 3339 cannot hold still prints: {far}");
        assert!("2036-11-29 01:14:46".parse::<Timestamp>().is_err());
    }
}
