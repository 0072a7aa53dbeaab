use http::{Method, Request, Response};
use serde::{Deserialize, Deserializer, Serialize};

use super::{Endpoint, Scope, push_query, request, url};
use crate::config::Config;
use crate::envelope::decode_response;
use crate::error::{BuildError, Call, ResponseError};
use crate::hostname::Hostname;
use crate::id::{CertificateId, ZoneId};

/// The path of both calls, after `/zones/{zone_id}`.
const PATH: [&str; 2] = ["certificate_authorities", "hostname_associations"];

/// `GET /zones/{zone_id}/certificate_authorities/hostname_associations`: the hostnames of a
/// zone associated with a CA, whose client certificates those hostnames then verify
/// (Bring Your Own CA for mTLS).
///
/// With [`with_certificate`](Self::with_certificate), the hostnames of that CA (uploaded
/// with `ca: true`); without it, those of the zone's Cloudflare-managed CA, as the API
/// reads a call without `mtls_certificate_id`. Safe to retry.
///
/// ```
/// use cloudflare_mtls::{CertificateId, Config, Credentials, Endpoint, Hostnames, ZoneId};
///
/// let call = Hostnames::new(ZoneId::new("9a7806061c88ada191ed06f989cc3dac")?)
///     .with_certificate(CertificateId::new("b2134436-2555-4acf-be5b-26c48136575e")?);
/// let request = call.to_request(&Config::new(Credentials::api_token("my-token")?))?;
/// assert_eq!(
///     request.uri().path_and_query().map(|p| p.as_str()),
///     Some("/client/v4/zones/9a7806061c88ada191ed06f989cc3dac/certificate_authorities/hostname_associations?mtls_certificate_id=b2134436-2555-4acf-be5b-26c48136575e")
/// );
/// let answer = http::Response::new(&br#"{"success":true,"result":{"hostnames":["api.example.com"]}}"#[..]);
/// assert_eq!(call.parse_response(&answer)?.hostnames, ["api.example.com"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Hostnames {
    /// The zone.
    pub zone: ZoneId,
    /// The CA (an mTLS certificate uploaded with `ca: true`); `None`: the zone's
    /// Cloudflare-managed CA.
    pub certificate: Option<CertificateId>,
}

impl Hostnames {
    /// The hostnames of `zone` associated with its Cloudflare-managed CA (see
    /// [`with_certificate`](Self::with_certificate) for an uploaded CA).
    pub fn new(zone: ZoneId) -> Self {
        Self { zone, certificate: None }
    }

    /// The hostnames associated with the uploaded CA `id` instead.
    pub fn with_certificate(mut self, id: CertificateId) -> Self {
        self.certificate = Some(id);
        self
    }
}

impl Endpoint for Hostnames {
    type Output = AssociatedHostnames;
    const CALL: Call = Call::Hostnames;
    const METHOD: Method = Method::GET;

    fn scope(&self) -> Scope<'_> {
        Scope::Zone(&self.zone)
    }

    fn certificate(&self) -> Option<&CertificateId> {
        self.certificate.as_ref()
    }

    fn to_request(&self, config: &Config) -> Result<Request<Vec<u8>>, BuildError> {
        let mut query = String::new();
        if let Some(id) = &self.certificate {
            push_query(&mut query, "mtls_certificate_id", id.as_str());
        }
        request(config, Self::METHOD, url(config, self.scope(), &PATH, &query), Vec::new())
    }

    fn parse_response<B: AsRef<[u8]>>(&self, response: &Response<B>) -> Result<AssociatedHostnames, ResponseError> {
        decode_response(response).map(|s| s.result)
    }
}

/// `PUT /zones/{zone_id}/certificate_authorities/hostname_associations`: **replaces** the
/// hostnames of a zone associated with a CA (an empty list removes them all); returns the
/// list as stored.
///
/// There is no add or remove call: to add or remove one, read the list
/// ([`Hostnames`]), change it, and write it back, which races with anyone else editing it
/// at the same time. Without [`with_certificate`](Self::with_certificate) the call replaces
/// the list of the zone's Cloudflare-managed CA, as the API reads a body without
/// `mtls_certificate_id`. A hostname must belong to the zone (the API checks that); a
/// CA with hostnames cannot be deleted until they are removed.
///
/// Checked before anything is sent ([`validate`](Self::validate)): each name is a
/// [`Hostname`] already; the same name twice (compared case-insensitively) is refused.
/// The body always carries `hostnames`, in the order given, each as written. The same PUT
/// sent twice leaves the same list, so it is retried as a GET is.
///
/// ```
/// use cloudflare_mtls::{CertificateId, Config, Credentials, Endpoint, Hostname, ReplaceHostnames, ZoneId};
///
/// let zone = ZoneId::new("9a7806061c88ada191ed06f989cc3dac")?;
/// let ca = CertificateId::new("b2134436-2555-4acf-be5b-26c48136575e")?;
/// let replace = ReplaceHostnames::new(zone.clone(), [Hostname::new("api.example.com")?, Hostname::new("*.example.com")?])
///     .with_certificate(ca.clone());
/// let request = replace.to_request(&Config::new(Credentials::api_token("my-token")?))?;
/// assert_eq!(request.method(), "PUT");
/// assert_eq!(
///     request.body().as_slice(),
///     br#"{"hostnames":["api.example.com","*.example.com"],"mtls_certificate_id":"b2134436-2555-4acf-be5b-26c48136575e"}"#
/// );
///
/// // Before the CA is deleted: no hostnames left in this zone.
/// let detach = ReplaceHostnames::empty(zone).with_certificate(ca);
/// assert!(detach.hostnames.is_empty());
///
/// // The same name twice is refused, whatever its case.
/// let twice = ReplaceHostnames::new(detach.zone.clone(), [Hostname::new("a.example.com")?, Hostname::new("A.example.com")?]);
/// assert!(twice.validate().unwrap_err().to_string().contains("case-insensitively"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReplaceHostnames {
    /// The zone.
    pub zone: ZoneId,
    /// The CA (an mTLS certificate uploaded with `ca: true`); `None`: the zone's
    /// Cloudflare-managed CA.
    pub certificate: Option<CertificateId>,
    /// The whole new list, in order.
    pub hostnames: Vec<Hostname>,
}

/// `{"hostnames":[...],"mtls_certificate_id":"..."}`, written out: a [`Hostname`] is ASCII
/// letters, digits, `-`, `.` and a leading `*`, an ID unreserved URL characters, so neither
/// needs a JSON escape (and a WASM module need not carry a JSON writer for it).
fn body(hostnames: &[Hostname], certificate: Option<&CertificateId>) -> Vec<u8> {
    let mut body = String::with_capacity(40 + hostnames.iter().map(|h| h.as_str().len() + 3).sum::<usize>());
    body.push_str(r#"{"hostnames":["#);
    for (n, name) in hostnames.iter().enumerate() {
        if n > 0 {
            body.push(',');
        }
        body.push('"');
        body.push_str(name.as_str());
        body.push('"');
    }
    body.push(']');
    if let Some(id) = certificate {
        body.push_str(r#","mtls_certificate_id":""#);
        body.push_str(id.as_str());
        body.push('"');
    }
    body.push('}');
    body.into_bytes()
}

impl ReplaceHostnames {
    /// Replaces the hostnames of `zone` associated with its Cloudflare-managed CA by
    /// `hostnames` (see [`with_certificate`](Self::with_certificate) for an uploaded CA).
    pub fn new(zone: ZoneId, hostnames: impl IntoIterator<Item = Hostname>) -> Self {
        Self { zone, certificate: None, hostnames: hostnames.into_iter().collect() }
    }

    /// Removes every hostname (of the managed CA, or with
    /// [`with_certificate`](Self::with_certificate) of that CA) in `zone`: what a CA needs
    /// in each zone before it can be deleted.
    pub fn empty(zone: ZoneId) -> Self {
        Self::new(zone, [])
    }

    /// Replaces the hostnames associated with the uploaded CA `id` instead.
    pub fn with_certificate(mut self, id: CertificateId) -> Self {
        self.certificate = Some(id);
        self
    }

    /// Checks the list without building the request: no hostname twice (compared
    /// case-insensitively, as DNS compares names).
    pub fn validate(&self) -> Result<(), BuildError> {
        for (n, name) in self.hostnames.iter().enumerate() {
            if let Some(first) = self.hostnames.iter().take(n).find(|earlier| *earlier == name) {
                return Err(BuildError::DuplicateHostname {
                    first: first.as_str().to_owned(),
                    second: name.as_str().to_owned(),
                    position: n + 1,
                });
            }
        }
        Ok(())
    }
}

impl Endpoint for ReplaceHostnames {
    type Output = AssociatedHostnames;
    const CALL: Call = Call::ReplaceHostnames;
    const METHOD: Method = Method::PUT;

    fn scope(&self) -> Scope<'_> {
        Scope::Zone(&self.zone)
    }

    fn certificate(&self) -> Option<&CertificateId> {
        self.certificate.as_ref()
    }

    fn to_request(&self, config: &Config) -> Result<Request<Vec<u8>>, BuildError> {
        self.validate()?;
        let body = body(&self.hostnames, self.certificate.as_ref());
        request(config, Self::METHOD, url(config, self.scope(), &PATH, ""), body)
    }

    fn parse_response<B: AsRef<[u8]>>(&self, response: &Response<B>) -> Result<AssociatedHostnames, ResponseError> {
        decode_response(response).map(|s| s.result)
    }
}

/// What both hostname calls return: the hostnames of the (zone, CA) pair, as the API lists
/// them. Kept as text, unchecked, so that a name this crate would not send still reads.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AssociatedHostnames {
    /// The hostnames (`null` or missing reads as none).
    #[serde(default, deserialize_with = "null_as_empty")]
    pub hostnames: Vec<String>,
}

impl AssociatedHostnames {
    /// A list of `hostnames` (for tests and fakes; the API's answers decode into one).
    pub fn new(hostnames: impl IntoIterator<Item = impl Into<String>>) -> Self {
        Self { hostnames: hostnames.into_iter().map(Into::into).collect() }
    }
}

fn null_as_empty<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    Ok(Option::<Vec<String>>::deserialize(d)?.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calls::test_support::*;

    const BASE: &str = "https://api.cloudflare.com/client/v4/zones/9a7806061c88ada191ed06f989cc3dac/certificate_authorities/hostname_associations";

    fn names(list: &[&str]) -> Vec<Hostname> {
        list.iter().map(|n| Hostname::new(*n).unwrap()).collect()
    }

    #[test]
    fn list_request_is_exact() {
        let req = Hostnames::new(zone()).to_request(&config()).unwrap();
        assert_eq!(req.method(), Method::GET);
        assert_eq!(req.uri(), BASE, "the managed CA: no query");
        assert_common_headers(&req);
        assert_eq!(req.headers().len(), 3);
        assert!(req.body().is_empty());
        let req = Hostnames::new(zone()).with_certificate(cert()).to_request(&config()).unwrap();
        assert_eq!(req.uri(), &format!("{BASE}?mtls_certificate_id={CERT}")[..]);
    }

    #[test]
    fn replace_request_is_exact() {
        let replace =
            ReplaceHostnames::new(zone(), names(&["b.example.com", "A.example.com"])).with_certificate(cert());
        let req = replace.to_request(&config()).unwrap();
        assert_eq!(req.method(), Method::PUT);
        assert_eq!(req.uri(), BASE);
        assert_common_headers(&req);
        assert_eq!(req.headers()["content-type"], "application/json");
        assert_eq!(req.headers().len(), 4);
        let expected = format!(r#"{{"hostnames":["b.example.com","A.example.com"],"mtls_certificate_id":"{CERT}"}}"#);
        assert_eq!(String::from_utf8(req.body().clone()).unwrap(), expected, "order and case kept");
        // The managed CA's list, emptied: `hostnames` is always sent, the ID only when given.
        let req = ReplaceHostnames::empty(zone()).to_request(&config()).unwrap();
        assert_eq!(req.body().as_slice(), br#"{"hostnames":[]}"#);
    }

    #[test]
    fn the_body_is_the_json_serde_would_write() {
        // Every character a hostname or an ID may hold, so none needs an escape.
        let names = names(&["*.a-b.example", "xn--bcher-kva.EXAMPLE", "x"]);
        let id = CertificateId::new("aZ09-_.~").unwrap();
        for certificate in [None, Some(&id)] {
            let written: serde_json::Value = serde_json::from_slice(&body(&names, certificate)).unwrap();
            let mut expected = serde_json::json!({"hostnames": names});
            if let Some(id) = certificate {
                expected["mtls_certificate_id"] = serde_json::json!(id);
            }
            assert_eq!(written, expected);
        }
        assert_eq!(body(&[], None), br#"{"hostnames":[]}"#);
    }

    #[test]
    fn the_same_name_twice_is_refused_before_anything_is_built() {
        let replace = ReplaceHostnames::new(zone(), names(&["a.example.com", "b.example.com", "B.EXAMPLE.com"]));
        let err = replace.to_request(&config()).unwrap_err();
        assert_eq!(
            err,
            BuildError::DuplicateHostname {
                first: "b.example.com".into(),
                second: "B.EXAMPLE.com".into(),
                position: 3
            }
        );
        let text = err.to_string();
        assert!(text.contains("number 3") && text.contains("give each hostname once"), "{text}");
    }

    #[test]
    fn answers_decode_leniently() {
        let call = Hostnames::new(zone());
        for (body, expected) in [
            (
                &br#"{"success":true,"result":{"hostnames":["a.example.com","Odd_Name"]}}"#[..],
                vec!["a.example.com", "Odd_Name"],
            ),
            (br#"{"success":true,"result":{"hostnames":null,"new_field":1}}"#, vec![]),
            (br#"{"success":true,"result":{}}"#, vec![]),
        ] {
            let got = call.parse_response(&Response::new(body)).unwrap();
            assert_eq!(got.hostnames, expected, "{}", String::from_utf8_lossy(body));
        }
        let refused = Response::builder()
            .status(400)
            .body(&br#"{"success":false,"errors":[{"code":1100,"message":"bad hostname"}],"result":null}"#[..])
            .unwrap();
        assert!(matches!(call.parse_response(&refused), Err(ResponseError::Api(_))));
    }

    #[test]
    fn scope_is_the_zone() {
        let call = ReplaceHostnames::empty(zone()).with_certificate(cert());
        assert_eq!(call.scope(), Scope::Zone(&zone()));
        assert_eq!(call.scope().zone(), Some(&zone()));
        assert_eq!(call.scope().account(), None);
        assert_eq!(call.certificate(), Some(&cert()));
        assert_eq!(Hostnames::new(zone()).certificate(), None);
    }
}
