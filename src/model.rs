//! The API's objects, typed. Every field is optional, as in the schema and every official
//! SDK; unknown fields are ignored; an unknown `type` is kept as [`CertificateType::Other`].

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::OffsetDateTime;

use crate::id::CertificateId;
use crate::timestamp::Timestamp;

/// An mTLS certificate as the API returns it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Certificate {
    /// The certificate's ID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<CertificateId>,
    /// The unique, human-readable name given at upload.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Whether this is a CA certificate (true) or a leaf (false).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca: Option<bool>,
    /// The PEM text, as the API normalised it (not necessarily byte-identical to the upload).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificates: Option<String>,
    /// When the certificate expires.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_on: Option<Timestamp>,
    /// The issuer's distinguished name, e.g. `O=Example Inc.,L=California,ST=San Francisco,C=US`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    /// The serial number in decimal; far wider than 64 bits, so kept as text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serial_number: Option<String>,
    /// The signature algorithm, e.g. `SHA256WithRSA`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
    /// When the certificate was uploaded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uploaded_on: Option<Timestamp>,
    /// When the certificate was last updated (upload responses only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<Timestamp>,
    /// Who manages the certificate (added to the API in 2026).
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<CertificateType>,
}

impl Certificate {
    /// Its name, or `""` when it has none (the field [`name`](Self::name) tells the two apart).
    pub fn name(&self) -> &str {
        self.name.as_deref().unwrap_or("")
    }

    /// When the certificate expires, or that the API did not say: decide what a certificate
    /// without a date means to you (every certificate the API stores has one in practice).
    ///
    /// ```
    /// use cloudflare_mtls::{Certificate, Expiry};
    /// use cloudflare_mtls::time::{Duration, OffsetDateTime};
    /// let cert: Certificate = serde_json::from_str(r#"{"expires_on":"2122-10-29T16:59:47Z"}"#)?;
    /// let now = OffsetDateTime::now_utc();
    /// match cert.expiry() {
    ///     Expiry::At(when) => println!("expires {when}, in {} days", cert.days_left(now).unwrap_or(0)),
    ///     Expiry::NotGiven => println!("the API did not say when it expires"),
    /// }
    /// assert!(!cert.expires_within(Duration::days(30), now));
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub fn expiry(&self) -> Expiry {
        self.expires_on.map_or(Expiry::NotGiven, Expiry::At)
    }

    /// Does the certificate expire (or has it expired) within `window` from `now`? A
    /// certificate the API gave no expiry for answers `false`: match on
    /// [`expiry`](Self::expiry) to treat it otherwise. The caller supplies `now`: the core has
    /// no clock (`OffsetDateTime::now_utc()` on most hosts).
    ///
    /// ```
    /// use cloudflare_mtls::{Certificate, Timestamp};
    /// use cloudflare_mtls::time::Duration;
    /// let cert: Certificate = serde_json::from_str(r#"{"expires_on":"2030-01-20T00:00:00Z"}"#)?;
    /// let new_year = "2030-01-01T00:00:00Z".parse::<Timestamp>()?.get();
    /// assert!(cert.expires_within(Duration::days(30), new_year));
    /// assert!(!cert.expires_within(Duration::days(10), new_year));
    /// assert!(cert.expires_within(Duration::ZERO, new_year + Duration::days(365)), "expired already");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn expires_within(&self, window: time::Duration, now: OffsetDateTime) -> bool {
        match self.expiry() {
            Expiry::At(when) => when.get() <= now.saturating_add(window),
            Expiry::NotGiven => false,
        }
    }

    /// Whole days from `now` until the certificate expires (negative once it has), or `None`
    /// when the API gave no expiry.
    ///
    /// ```
    /// use cloudflare_mtls::{Certificate, Timestamp};
    /// let cert: Certificate = serde_json::from_str(r#"{"expires_on":"2030-01-20T12:00:00Z"}"#)?;
    /// let day = |text: &str| text.parse::<Timestamp>().map(Timestamp::get);
    /// assert_eq!(cert.days_left(day("2030-01-01T00:00:00Z")?), Some(19));
    /// assert_eq!(cert.days_left(day("2030-01-22T00:00:00Z")?), Some(-1));
    /// assert_eq!(Certificate::default().days_left(day("2030-01-01T00:00:00Z")?), None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn days_left(&self, now: OffsetDateTime) -> Option<i64> {
        self.expires_on.map(|when| (when.get() - now).whole_days())
    }

    /// Does the certificate expire before `instant`? `None` when the API did not say.
    #[deprecated(since = "0.2.0", note = "use `expires_within(window, now)` or match on `expiry()`")]
    pub fn expires_before(&self, instant: OffsetDateTime) -> Option<bool> {
        self.expires_on.map(|e| e.get() < instant)
    }
}

/// When a certificate expires, as the API said it ([`Certificate::expiry`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expiry {
    /// It expires at this instant.
    At(Timestamp),
    /// The API's answer carried no `expires_on`.
    NotGiven,
}

impl std::fmt::Display for Expiry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::At(when) => when.fmt(f),
            Self::NotGiven => f.write_str("(expiry not given)"),
        }
    }
}

/// A certificate the API stored, from a call that checks its ID (`upload`, `get`, a lookup
/// by name): [`id`](Self::id) is always there. It derefs to the [`Certificate`] for the
/// fields the API may leave out.
///
/// ```
/// # use cloudflare_mtls::*;
/// # let page = |_: http::Request<Vec<u8>>| Ok::<_, std::io::Error>(http::Response::new(br#"{"success":true,"result":{"id":"2458ce5a","name":"my-ca","expires_on":"2036-11-29T01:14:46Z"}}"#.to_vec()));
/// # let client = BlockingClient::new(Config::new(Credentials::api_token("t")?), page);
/// # let account = client.account(&AccountId::new("acc")?);
/// let cert = account.get(&"2458ce5a".parse()?)?;
/// println!("{} {} expires {}", cert.id(), cert.name(), cert.expiry());
/// assert_eq!(cert.to_string(), "my-ca (2458ce5a)");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCertificate {
    id: CertificateId,
    certificate: Certificate,
}

impl StoredCertificate {
    /// The certificate, if the API gave it an ID (`None` otherwise: nothing can be done with a
    /// stored certificate that has none).
    pub fn new(certificate: Certificate) -> Option<Self> {
        Some(Self { id: certificate.id.clone()?, certificate })
    }

    /// `certificate` under `id`, which the caller has read from it.
    pub(crate) fn with_id(id: CertificateId, certificate: Certificate) -> Self {
        Self { id, certificate }
    }

    /// Its ID.
    pub fn id(&self) -> &CertificateId {
        &self.id
    }

    /// The certificate as the API returned it.
    pub fn into_inner(self) -> Certificate {
        self.certificate
    }
}

impl std::ops::Deref for StoredCertificate {
    type Target = Certificate;
    fn deref(&self) -> &Certificate {
        &self.certificate
    }
}

impl From<StoredCertificate> for Certificate {
    fn from(stored: StoredCertificate) -> Self {
        stored.certificate
    }
}

impl PartialEq<Certificate> for StoredCertificate {
    fn eq(&self, other: &Certificate) -> bool {
        self.certificate == *other
    }
}

/// `NAME (ID)`, or the ID alone for a certificate without a name.
impl std::fmt::Display for StoredCertificate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.certificate.name.as_deref() {
            Some(name) if !name.is_empty() => write!(f, "{name} ({})", self.id),
            _ => self.id.fmt(f),
        }
    }
}

impl Serialize for StoredCertificate {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.certificate.serialize(s)
    }
}

impl AsRef<Certificate> for Certificate {
    fn as_ref(&self) -> &Certificate {
        self
    }
}

/// Who manages a certificate. New values the API adds are kept in [`Other`](Self::Other).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CertificateType {
    /// Uploaded by the account (`custom`).
    Custom,
    /// Managed by Cloudflare Gateway (`gateway_managed`).
    GatewayManaged,
    /// Managed by Cloudflare Access (`access_managed`).
    AccessManaged,
    /// A value this version of the crate does not know, kept as it came.
    Other(String),
}

impl CertificateType {
    /// The wire value, e.g. `gateway_managed`.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Custom => "custom",
            Self::GatewayManaged => "gateway_managed",
            Self::AccessManaged => "access_managed",
            Self::Other(s) => s,
        }
    }
}

impl From<&str> for CertificateType {
    fn from(s: &str) -> Self {
        match s {
            "custom" => Self::Custom,
            "gateway_managed" => Self::GatewayManaged,
            "access_managed" => Self::AccessManaged,
            other => Self::Other(other.to_owned()),
        }
    }
}

impl std::str::FromStr for CertificateType {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(s.into())
    }
}

impl std::fmt::Display for CertificateType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for CertificateType {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for CertificateType {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = CertificateType;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a certificate type string")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<CertificateType, E> {
                Ok(v.into())
            }
        }
        d.deserialize_str(Visitor)
    }
}

/// A Cloudflare service that uses a certificate.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Association {
    /// The service, e.g. `gateway`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// The deployment status, e.g. `pending_deployment`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
}

impl Association {
    /// An association of `service` in `status`.
    pub fn new(service: impl Into<String>, status: impl Into<String>) -> Self {
        Self { service: Some(service.into()), status: Some(status.into()) }
    }
}

/// The `result_info` of a collection. All numbers, all optional.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ResultInfo {
    /// This page's number, from 1.
    #[serde(default, deserialize_with = "count", skip_serializing_if = "Option::is_none")]
    pub page: Option<u64>,
    /// The page size the server used.
    #[serde(default, deserialize_with = "count", skip_serializing_if = "Option::is_none")]
    pub per_page: Option<u64>,
    /// The number of items on this page.
    #[serde(default, deserialize_with = "count", skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
    /// The number of items on all pages.
    #[serde(default, deserialize_with = "count", skip_serializing_if = "Option::is_none")]
    pub total_count: Option<u64>,
    /// The number of pages.
    #[serde(default, deserialize_with = "count", skip_serializing_if = "Option::is_none")]
    pub total_pages: Option<u64>,
}

impl ResultInfo {
    /// A `result_info` for `page` (from 1) of `per_page` items, out of `total_count`.
    pub fn for_page(page: u64, per_page: u64, count: u64, total_count: u64) -> Self {
        let total_pages = if per_page == 0 { 0 } else { total_count.div_ceil(per_page) };
        Self {
            page: Some(page),
            per_page: Some(per_page),
            count: Some(count),
            total_count: Some(total_count),
            total_pages: Some(total_pages),
        }
    }
}

/// The schema types these as `number`: take `2` and `2.0`; anything that is not a
/// non-negative whole number (or `null`) is treated as absent rather than failing the call.
fn count<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    d.deserialize_any(Count)
}

/// [`count`]'s visitor. Reading the value directly rather than through `serde_json::Value`
/// keeps `Value`'s whole deserializer out of the binary (about 9 KB of a WASM module).
struct Count;

impl<'de> serde::de::Visitor<'de> for Count {
    type Value = Option<u64>;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a count")
    }
    fn visit_u64<E>(self, v: u64) -> Result<Option<u64>, E> {
        Ok(Some(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Option<u64>, E> {
        Ok(u64::try_from(v).ok())
    }
    fn visit_f64<E>(self, f: f64) -> Result<Option<u64>, E> {
        Ok((f.fract() == 0.0 && f >= 0.0 && f <= u64::MAX as f64).then_some(f as u64))
    }
    fn visit_bool<E>(self, _: bool) -> Result<Option<u64>, E> {
        Ok(None)
    }
    fn visit_str<E>(self, _: &str) -> Result<Option<u64>, E> {
        Ok(None)
    }
    fn visit_unit<E>(self) -> Result<Option<u64>, E> {
        Ok(None)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, seq: A) -> Result<Option<u64>, A::Error> {
        serde::de::IgnoredAny.visit_seq(seq).map(|_| None)
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<Option<u64>, A::Error> {
        serde::de::IgnoredAny.visit_map(map).map(|_| None)
    }
}

/// One page of a collection: its items and the `result_info` that came with them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Page<T> {
    /// The items.
    pub items: Vec<T>,
    /// The paging information, when the server sent it.
    pub result_info: Option<ResultInfo>,
}

impl<T> Page<T> {
    /// A page of `items` with `result_info`.
    pub fn new(items: Vec<T>, result_info: Option<ResultInfo>) -> Self {
        Self { items, result_info }
    }
}

impl<T> IntoIterator for Page<T> {
    type Item = T;
    type IntoIter = std::vec::IntoIter<T>;
    fn into_iter(self) -> Self::IntoIter {
        self.items.into_iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_take_whole_non_negative_numbers_and_drop_the_rest() {
        let cases = [
            ("2", Some(2)),
            ("0", Some(0)),
            ("2.0", Some(2)),
            ("-0", Some(0)),
            ("18446744073709551615", Some(u64::MAX)),
            ("1e3", Some(1000)),
            ("2.5", None),
            ("-1", None),
            ("-1.0", None),
            ("1e30", None),
            ("\"2\"", None),
            ("true", None),
            ("null", None),
            ("[1,[2]]", None),
            ("{\"a\":{\"b\":1}}", None),
        ];
        for (json, want) in cases {
            let body = format!(r#"{{"page":{json},"per_page":7}}"#);
            let info: ResultInfo = serde_json::from_str(&body).unwrap_or_else(|e| panic!("{json}: {e}"));
            assert_eq!(info.page, want, "{json}");
            assert_eq!(info.per_page, Some(7), "{json}: the next field is still read");
        }
        assert!(serde_json::from_str::<ResultInfo>(r#"{"page":[1,}"#).is_err(), "bad JSON stays an error");
    }
}
