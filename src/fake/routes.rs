//! The routes: which call a request is, and each call's effect and answer (the zone-level
//! hostname associations' in `zones`).

use http::{Method, Request, Response, StatusCode};
use percent_encoding::percent_decode_str;
use serde_json::Value;
use time::OffsetDateTime;

use super::{FakeApi, Stored, reply, x509, zones};
use crate::id::{AccountId, CertificateId, ZoneId};
use crate::model::{Certificate, CertificateType, ResultInfo};
use crate::pem_check::check_private_key;

const PREFIX: &str = "/client/v4/accounts/";
const ZONES: &str = "/client/v4/zones/";
const DEFAULT_PER_PAGE: u64 = 50;
const MAX_PER_PAGE: u64 = 1000;

enum Call {
    List,
    Upload,
    Get(CertificateId),
    Delete(CertificateId),
    Associations(CertificateId),
}

/// Routes, authenticates and runs one request (faults and rate limit already passed).
pub(super) fn route<B: AsRef<[u8]>>(api: &mut FakeApi, request: &Request<B>, now: OffsetDateTime) -> Response<Vec<u8>> {
    let path = request.uri().path();
    if matches!(path, "/client/v4/memberships" | "/client/v4/memberships/") {
        return memberships(api, request);
    }
    if let Some(rest) = path.strip_prefix(ZONES) {
        return zone_route(api, request, rest);
    }
    let Some(rest) = path.strip_prefix(PREFIX) else {
        return no_route();
    };
    // One trailing slash is forgiven.
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    let segments: Vec<&str> = rest.split('/').collect();
    let (account, id, associations) = match segments.as_slice() {
        [account, "mtls_certificates"] => (*account, None, false),
        [account, "mtls_certificates", id] => (*account, Some(*id), false),
        [account, "mtls_certificates", id, "associations"] => (*account, Some(*id), true),
        _ => return no_route(),
    };
    let Ok(account) = AccountId::new(account) else {
        return bad_identifier(path);
    };
    let id = match id.map(CertificateId::new).transpose() {
        Ok(id) => id,
        Err(_) => return bad_identifier(path),
    };
    let method = request.method();
    let call = match (id, associations) {
        (None, _) if method == Method::GET => Call::List,
        (None, _) if method == Method::POST => Call::Upload,
        (Some(id), false) if method == Method::GET => Call::Get(id),
        (Some(id), false) if method == Method::DELETE => Call::Delete(id),
        (Some(id), true) if method == Method::GET => Call::Associations(id),
        (None, _) => return not_allowed("GET, POST"),
        (Some(_), false) => return not_allowed("GET, DELETE"),
        (Some(_), true) => return not_allowed("GET"),
    };
    if let Err(refusal) = api.accepted.check(request.headers()) {
        return *refusal;
    }
    if account != api.account {
        return reply::error(StatusCode::FORBIDDEN, 9109, "Unauthorized to access requested resource");
    }
    match call {
        Call::List => list(api, request.uri().query().unwrap_or("")),
        Call::Upload => upload(api, request.body().as_ref(), now),
        Call::Get(id) => match api.find(&id) {
            Some(stored) => reply::success(&stored.certificate, None),
            None => not_found(),
        },
        Call::Delete(id) => delete(api, &id),
        Call::Associations(id) => match api.find(&id) {
            Some(stored) => {
                let n = stored.associations.len() as u64;
                let info = ResultInfo::for_page(1, n.max(DEFAULT_PER_PAGE), n, n);
                reply::success(&stored.associations, Some(info))
            }
            None => not_found(),
        },
    }
}

/// `/zones/{zone_id}/certificate_authorities/hostname_associations`: GET and PUT.
fn zone_route<B: AsRef<[u8]>>(api: &mut FakeApi, request: &Request<B>, rest: &str) -> Response<Vec<u8>> {
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    let segments: Vec<&str> = rest.split('/').collect();
    let [zone, "certificate_authorities", "hostname_associations"] = segments.as_slice() else {
        return no_route();
    };
    let Ok(zone) = ZoneId::new(*zone) else {
        return bad_identifier(request.uri().path());
    };
    let method = request.method();
    if method != Method::GET && method != Method::PUT {
        return not_allowed("GET, PUT");
    }
    if let Err(refusal) = api.accepted.check(request.headers()) {
        return *refusal;
    }
    if method == Method::PUT {
        return zones::replace(api, &zone, request.body().as_ref());
    }
    let query = request.uri().query().unwrap_or("");
    let ca = query_pairs(query).filter(|(key, _)| key == "mtls_certificate_id").map(|(_, value)| value).last();
    zones::list(api, &zone, ca.as_deref())
}

/// The API's answer to a path whose identifier it cannot route to (`%2F`, `..`).
fn bad_identifier(path: &str) -> Response<Vec<u8>> {
    reply::error(
        StatusCode::BAD_REQUEST,
        7003,
        format!("Could not route to {path}, perhaps your object identifier is invalid?"),
    )
}

/// `GET /memberships`: the one account, so `wrangler` finds it without
/// `CLOUDFLARE_ACCOUNT_ID` (it asks this before any mTLS call).
fn memberships<B>(api: &FakeApi, request: &Request<B>) -> Response<Vec<u8>> {
    if request.method() != Method::GET {
        return not_allowed("GET");
    }
    if let Err(refusal) = api.accepted.check(request.headers()) {
        return *refusal;
    }
    let membership = serde_json::json!({
        "id": api.account.as_str(),
        "status": "accepted",
        "account": {"id": api.account.as_str(), "name": "Fake account"},
        "roles": ["Administrator"],
    });
    reply::success(&[membership], Some(ResultInfo::for_page(1, DEFAULT_PER_PAGE, 1, 1)))
}

/// `405` with the `Allow` header RFC 9110 requires: the methods the route takes.
fn not_allowed(allow: &'static str) -> Response<Vec<u8>> {
    let mut response = reply::error(StatusCode::METHOD_NOT_ALLOWED, 7001, "Method not allowed for this route");
    response.headers_mut().insert(http::header::ALLOW, http::HeaderValue::from_static(allow));
    response
}

fn no_route() -> Response<Vec<u8>> {
    reply::error(StatusCode::BAD_REQUEST, 7000, "No route for that URI")
}

fn not_found() -> Response<Vec<u8>> {
    reply::error(StatusCode::NOT_FOUND, 1404, "mTLS certificate not found")
}

fn invalid(message: String, pointer: &str) -> Response<Vec<u8>> {
    reply::error_at(StatusCode::BAD_REQUEST, 1001, message, pointer)
}

/// `key=value` pairs of a query, decoded as a form (`+` is a space; SDKs and wrangler differ).
fn query_pairs(query: &str) -> impl Iterator<Item = (String, String)> + '_ {
    let decode = |s: &str| percent_decode_str(&s.replace('+', " ")).decode_utf8_lossy().into_owned();
    query.split('&').filter(|p| !p.is_empty()).map(move |p| {
        let (k, v) = p.split_once('=').unwrap_or((p, ""));
        (decode(k), decode(v))
    })
}

fn list(api: &FakeApi, query: &str) -> Response<Vec<u8>> {
    let mut types: Vec<String> = Vec::new();
    let (mut ca, mut name, mut page, mut per_page) = (None, None, 1_u64, DEFAULT_PER_PAGE);
    for (key, value) in query_pairs(query) {
        match key.as_str() {
            "type" => types.extend(value.split(',').map(str::trim).filter(|t| !t.is_empty()).map(String::from)),
            "ca" => match value.as_str() {
                "true" => ca = Some(true),
                "false" => ca = Some(false),
                _ => return invalid(format!("invalid value {value:?} for 'ca': expected true or false"), "/ca"),
            },
            "name" => name = Some(value),
            "page" | "per_page" => match value.parse::<u64>() {
                Ok(n) if n >= 1 && key == "page" => page = n,
                Ok(n) if n >= 1 => per_page = n.min(MAX_PER_PAGE),
                _ => {
                    return invalid(
                        format!("invalid value {value:?} for '{key}': expected a whole number of at least 1"),
                        &format!("/{key}"),
                    );
                }
            },
            _ => {}
        }
    }
    let matching: Vec<&Certificate> = api
        .store
        .iter()
        .map(|s| &s.certificate)
        .filter(|c| types.is_empty() || c.kind.as_ref().is_some_and(|k| types.iter().any(|t| t == k.as_str())))
        .filter(|c| ca.is_none() || c.ca == ca)
        .filter(|c| name.is_none() || c.name == name)
        .collect();
    let total = matching.len() as u64;
    let skip = usize::try_from(page.saturating_sub(1).saturating_mul(per_page)).unwrap_or(usize::MAX);
    let items: Vec<&Certificate> =
        matching.into_iter().skip(skip).take(usize::try_from(per_page).unwrap_or(usize::MAX)).collect();
    let info = ResultInfo::for_page(page, per_page, items.len() as u64, total);
    reply::success(&items, Some(info))
}

/// A field of the upload body, typed, or the error that says what is wrong with it.
fn field<'a, T>(
    body: &'a serde_json::Map<String, Value>,
    key: &str,
    required: bool,
    what: &str,
    read: impl Fn(&'a Value) -> Option<T>,
) -> Result<Option<T>, Box<Response<Vec<u8>>>> {
    let pointer = format!("/{key}");
    match body.get(key) {
        None | Some(Value::Null) if required => {
            Err(Box::new(invalid(format!("invalid request body: field '{key}' is required ({what})"), &pointer)))
        }
        None | Some(Value::Null) => Ok(None),
        Some(v) => match read(v) {
            Some(t) => Ok(Some(t)),
            None => Err(Box::new(invalid(format!("invalid request body: field '{key}' must be {what}"), &pointer))),
        },
    }
}

fn upload(api: &mut FakeApi, body: &[u8], now: OffsetDateTime) -> Response<Vec<u8>> {
    // Whatever the Content-Type says: wrangler sends this JSON as text/plain.
    let Ok(body) = serde_json::from_slice::<Value>(body) else {
        return reply::error(StatusCode::BAD_REQUEST, 6007, "Malformed JSON in request body");
    };
    let Some(body) = body.as_object() else {
        return invalid("invalid request body: expected a JSON object".into(), "");
    };
    let fields = (|| {
        let ca = field(body, "ca", true, "a boolean", Value::as_bool)?;
        let pem = field(body, "certificates", true, "a string of PEM certificates", Value::as_str)?;
        let name = field(body, "name", false, "a string", Value::as_str)?;
        let key = field(body, "private_key", false, "a string holding a PEM private key", Value::as_str)?;
        Ok::<_, Box<Response<Vec<u8>>>>((ca.unwrap_or_default(), pem.unwrap_or_default(), name, key))
    })();
    let (ca, pem, name, key) = match fields {
        Ok(f) => f,
        Err(refusal) => return *refusal,
    };
    let parsed = match x509::parse_chain(pem) {
        Ok(p) => p,
        Err(why) => {
            return reply::error_at(
                StatusCode::BAD_REQUEST,
                1002,
                format!("unable to parse certificate: {why}"),
                "/certificates",
            );
        }
    };
    if let Some(Err(e)) = key.map(check_private_key) {
        let why = match e {
            crate::error::BuildError::InvalidPrivateKey(m) => m,
            other => other.to_string(),
        };
        return reply::error_at(
            StatusCode::BAD_REQUEST,
            1003,
            format!("unable to parse private key: {why}"),
            "/private_key",
        );
    }
    let name = name.filter(|n| !n.is_empty()).map(String::from);
    if let Some(n) = name.as_ref().filter(|n| api.store.iter().any(|s| s.certificate.name.as_ref() == Some(*n))) {
        return reply::error_at(
            StatusCode::BAD_REQUEST,
            1004,
            format!("a certificate named {n:?} already exists"),
            "/name",
        );
    }
    // Access's CAs have a quota of their own (code 12130), as API-NOTES says.
    let counted = |c: &Certificate| c.ca == Some(true) && c.kind != Some(crate::CertificateType::AccessManaged);
    if ca && api.store.iter().filter(|s| counted(&s.certificate)).count() >= api.ca_limit {
        return reply::error(StatusCode::BAD_REQUEST, 1489, "Hit maximum CA cert allocation.");
    }
    let Some(id) = api.fresh_id(parsed.pem.as_bytes()) else {
        return reply::error(StatusCode::INTERNAL_SERVER_ERROR, 10001, "Internal server error");
    };
    let certificate = Certificate {
        id: Some(id),
        name,
        ca: Some(ca),
        certificates: Some(parsed.pem),
        expires_on: Some(parsed.expires_on.into()),
        issuer: Some(parsed.issuer),
        serial_number: Some(parsed.serial_number),
        signature: Some(parsed.signature),
        uploaded_on: Some(now.into()),
        updated_at: None,
        kind: Some(CertificateType::Custom),
    };
    let answer = Certificate { updated_at: Some(now.into()), ..certificate.clone() };
    api.store.push(Stored { certificate, associations: Vec::new() });
    reply::success(&answer, None)
}

fn delete(api: &mut FakeApi, id: &CertificateId) -> Response<Vec<u8>> {
    let Some(index) = api.store.iter().position(|s| s.certificate.id.as_ref() == Some(id)) else {
        return not_found();
    };
    let in_use = api.store.get(index).map(|s| {
        s.associations.iter().map(|a| a.service.as_deref().unwrap_or("a service")).collect::<Vec<_>>().join(", ")
    });
    match in_use {
        Some(services) if !services.is_empty() => reply::error(
            StatusCode::BAD_REQUEST,
            1005,
            format!("certificate is in use by {services}; remove the associations first"),
        ),
        _ if !zones::holding(&api.zones, id).is_empty() => {
            let names: Vec<String> = zones::holding(&api.zones, id).iter().map(|name| name.to_string()).collect();
            reply::error(
                StatusCode::BAD_REQUEST,
                1006,
                format!(
                    "certificate has hostname associations in zone {}; remove them first (an empty list for it in each zone)",
                    names.join(", ")
                ),
            )
        }
        _ => {
            let removed = api.store.remove(index);
            reply::success(&removed.certificate, None)
        }
    }
}
