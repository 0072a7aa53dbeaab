//! The zone-level hostname associations: zones with a name, a list of hostnames per (zone,
//! CA) pair (the zone's Cloudflare-managed CA included), and the rules the API documents (a
//! hostname belongs to the zone; the CA is one of the account's) or this fake chooses.

use http::{Response, StatusCode};
use serde_json::{Map, Value, json};

use super::{FakeApi, reply};
use crate::hostname::{Hostname, HostnameError, HostnameProblem};
use crate::id::{CertificateId, ZoneId};

/// A zone of the account: its ID, its name, and the hostnames associated with each CA.
#[derive(Debug, Clone)]
pub(super) struct Zone {
    pub(super) id: ZoneId,
    pub(super) name: Hostname,
    /// Each CA's list (`None`: the managed CA's); a list emptied by a PUT is dropped.
    lists: Vec<(Option<CertificateId>, Vec<Hostname>)>,
}

impl Zone {
    /// Zone `id`, named `name` (a hostname; a wildcard is no zone's name).
    pub(super) fn new(id: ZoneId, name: &str) -> Result<Self, HostnameError> {
        let name = Hostname::new(name)?;
        if name.is_wildcard() {
            return Err(HostnameError { value: name.into_string(), reason: HostnameProblem::Wildcard });
        }
        Ok(Self { id, name, lists: Vec::new() })
    }

    /// A new name for the zone; its lists are kept.
    pub(super) fn rename(&mut self, other: Zone) {
        self.name = other.name;
    }

    /// The hostnames associated with `ca` (`None`: the managed CA) in this zone.
    pub(super) fn hostnames(&self, ca: Option<&CertificateId>) -> &[Hostname] {
        self.lists.iter().find(|(id, _)| id.as_ref() == ca).map_or(&[], |(_, list)| list.as_slice())
    }

    fn replace(&mut self, ca: Option<CertificateId>, hostnames: Vec<Hostname>) {
        self.lists.retain(|(id, _)| *id != ca);
        if !hostnames.is_empty() {
            self.lists.push((ca, hostnames));
        }
    }
}

/// The 7003 the API gives for an identifier it cannot route to: here, a zone the account
/// does not have (the code for that is the fake's choice).
fn unknown_zone(zone: &ZoneId) -> Response<Vec<u8>> {
    reply::error(
        StatusCode::BAD_REQUEST,
        7003,
        format!(
            "Could not route to /client/v4/zones/{zone}/certificate_authorities/hostname_associations, perhaps your object identifier is invalid?"
        ),
    )
}

/// An answer that ends a call early (boxed: it is large beside what succeeds).
type Refusal = Box<Response<Vec<u8>>>;

/// The CA an `mtls_certificate_id` names: `None` for none (the managed CA), or the refusal.
fn the_ca(api: &FakeApi, id: Option<&str>) -> Result<Option<CertificateId>, Refusal> {
    let Some(id) = id else { return Ok(None) };
    let refuse =
        |status, code, message: String| Err(Box::new(reply::error_at(status, code, message, "/mtls_certificate_id")));
    let Ok(id) = CertificateId::new(id) else {
        return refuse(
            StatusCode::BAD_REQUEST,
            1001,
            format!("invalid mtls_certificate_id {id:?}: not a certificate ID"),
        );
    };
    match api.find(&id).map(|stored| stored.certificate.ca) {
        None => refuse(StatusCode::NOT_FOUND, 1404, "mTLS certificate not found".to_owned()),
        Some(Some(true)) => Ok(Some(id)),
        Some(_) => refuse(
            StatusCode::BAD_REQUEST,
            1007,
            format!(
                "mTLS certificate {id} is not a CA certificate; only a CA (uploaded with ca: true) can be associated with hostnames"
            ),
        ),
    }
}

fn answer(hostnames: &[Hostname]) -> Response<Vec<u8>> {
    reply::success(&json!({ "hostnames": hostnames }), None)
}

/// `GET .../hostname_associations[?mtls_certificate_id=ID]`.
pub(super) fn list(api: &FakeApi, zone: &ZoneId, ca: Option<&str>) -> Response<Vec<u8>> {
    let Some(found) = api.zones.iter().find(|z| z.id == *zone) else {
        return unknown_zone(zone);
    };
    match the_ca(api, ca) {
        Ok(ca) => answer(found.hostnames(ca.as_ref())),
        Err(refusal) => *refusal,
    }
}

/// `PUT .../hostname_associations` with `{"hostnames": [...], "mtls_certificate_id": ...}`.
pub(super) fn replace(api: &mut FakeApi, zone: &ZoneId, body: &[u8]) -> Response<Vec<u8>> {
    let Some(index) = api.zones.iter().position(|z| z.id == *zone) else {
        return unknown_zone(zone);
    };
    // Whatever the Content-Type says, as for an upload.
    let Ok(body) = serde_json::from_slice::<Value>(body) else {
        return reply::error(StatusCode::BAD_REQUEST, 6007, "Malformed JSON in request body");
    };
    let Some(body) = body.as_object() else {
        return reply::error_at(StatusCode::BAD_REQUEST, 1001, "invalid request body: expected a JSON object", "");
    };
    let (ca, names) = match fields(body) {
        Ok(fields) => fields,
        Err(refusal) => return *refusal,
    };
    let ca = match the_ca(api, ca) {
        Ok(ca) => ca,
        Err(refusal) => return *refusal,
    };
    let Some(zone) = api.zones.get_mut(index) else {
        return unknown_zone(zone);
    };
    let mut hostnames: Vec<Hostname> = Vec::with_capacity(names.len());
    for (n, name) in names.into_iter().enumerate() {
        let pointer = format!("/hostnames/{n}");
        let refuse = |code, message: String| reply::error_at(StatusCode::BAD_REQUEST, code, message, &pointer);
        let hostname = match Hostname::new(name) {
            Ok(hostname) => hostname,
            Err(e) => return refuse(1008, e.to_string()),
        };
        if !hostname.is_within(&zone.name) {
            return refuse(1009, format!("hostname {:?} is not in zone {}", hostname.as_str(), zone.name));
        }
        if let Some(first) = hostnames.iter().find(|h| **h == hostname) {
            return refuse(
                1010,
                format!("hostname {:?} is given twice (as {:?} before)", hostname.as_str(), first.as_str()),
            );
        }
        hostnames.push(hostname);
    }
    zone.replace(ca.clone(), hostnames);
    answer(zone.hostnames(ca.as_ref()))
}

/// `hostnames` (missing or `null`: none, the fake's reading) and `mtls_certificate_id`
/// (missing or `null`: the managed CA), typed, or the refusal that says which is wrong.
fn fields(body: &Map<String, Value>) -> Result<(Option<&str>, Vec<&str>), Refusal> {
    let invalid = |message: &str, pointer: &str| {
        Box::new(reply::error_at(StatusCode::BAD_REQUEST, 1001, format!("invalid request body: {message}"), pointer))
    };
    let ca = match body.get("mtls_certificate_id") {
        None | Some(Value::Null) => None,
        Some(Value::String(id)) => Some(id.as_str()),
        Some(_) => return Err(invalid("field 'mtls_certificate_id' must be a string", "/mtls_certificate_id")),
    };
    let names = match body.get("hostnames") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => {
            let mut names = Vec::with_capacity(items.len());
            for (n, item) in items.iter().enumerate() {
                match item.as_str() {
                    Some(name) => names.push(name),
                    None => return Err(invalid("each hostname must be a string", &format!("/hostnames/{n}"))),
                }
            }
            names
        }
        Some(_) => return Err(invalid("field 'hostnames' must be an array of strings", "/hostnames")),
    };
    Ok((ca, names))
}

/// The zones in which `ca` has hostnames, by name: a delete of `ca` is refused while any is
/// left.
pub(super) fn holding<'z>(zones: &'z [Zone], ca: &CertificateId) -> Vec<&'z Hostname> {
    zones.iter().filter(|z| !z.hostnames(Some(ca)).is_empty()).map(|z| &z.name).collect()
}
