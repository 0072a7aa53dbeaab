//! The calls: the five of the account's mTLS certificates, and the two of a zone's hostname
//! associations. Each is a plain struct that turns into an `http::Request` and knows how to
//! read its response; see [`Endpoint`].

mod associations;
mod delete;
mod get;
mod hostnames;
mod list;
mod upload;

pub use associations::Associations;
pub use delete::{Delete, Deleted};
pub use get::Get;
pub use hostnames::{AssociatedHostnames, Hostnames, ReplaceHostnames};
pub use list::List;
pub use upload::{PrivateKey, Upload};

use http::header::{ACCEPT, CONTENT_TYPE, USER_AGENT};
use http::{HeaderValue, Method, Request, Response};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use crate::config::Config;
use crate::error::{BuildError, Call, DecodeError, ResponseError};
use crate::id::{AccountId, CertificateId, ZoneId};
use crate::model::{Certificate, StoredCertificate};

/// What a call's path starts from: an account (`/accounts/{id}/...`, the mTLS certificates)
/// or a zone (`/zones/{id}/...`, the hostname associations).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Scope<'a> {
    /// An account's resource.
    Account(&'a AccountId),
    /// A zone's resource.
    Zone(&'a ZoneId),
}

impl<'a> Scope<'a> {
    /// The account, for an account's call.
    pub fn account(self) -> Option<&'a AccountId> {
        match self {
            Self::Account(account) => Some(account),
            Self::Zone(_) => None,
        }
    }

    /// The zone, for a zone's call.
    pub fn zone(self) -> Option<&'a ZoneId> {
        match self {
            Self::Zone(zone) => Some(zone),
            Self::Account(_) => None,
        }
    }
}

/// An API call: builds its request, and decodes its response.
pub trait Endpoint {
    /// What a successful response decodes to.
    type Output;
    /// Which call this is (named in errors).
    const CALL: Call;
    /// The HTTP method (the retry policy needs it).
    const METHOD: Method;

    /// Builds the request. Fails only on input that cannot be sent; never panics.
    fn to_request(&self, config: &Config) -> Result<Request<Vec<u8>>, BuildError>;

    /// The account or zone the call is for (its path starts there; named in traces).
    fn scope(&self) -> Scope<'_>;

    /// The certificate the call is about, if one (named in traces).
    fn certificate(&self) -> Option<&CertificateId> {
        None
    }

    /// Classifies and decodes the response to this call's request. A success that is not an
    /// answer to this request (another certificate's ID) is a [`ResponseError::Decode`].
    fn parse_response<B: AsRef<[u8]>>(&self, response: &Response<B>) -> Result<Self::Output, ResponseError>;

    /// Decodes the final response of a call that an earlier attempt may already have carried
    /// out: that attempt's answer was lost (a timeout, a reset connection, a 5xx), and this is
    /// the retry's. The default is [`parse_response`](Self::parse_response); [`Delete`] takes a
    /// 404 here as the earlier attempt's success.
    fn parse_response_after_retry<B: AsRef<[u8]>>(
        &self,
        response: &Response<B>,
    ) -> Result<Self::Output, ResponseError> {
        self.parse_response(response)
    }
}

/// `certificate` if it is the one `requested`; otherwise the decode error that says so (a
/// proxy or server that answers for another resource must not pass as success).
pub(crate) fn the_requested<B: AsRef<[u8]>>(
    requested: &CertificateId,
    certificate: Certificate,
    response: &Response<B>,
) -> Result<StoredCertificate, ResponseError> {
    let reason = match &certificate.id {
        Some(id) if id == requested => return stored(certificate, response),
        Some(id) => format!("asked for certificate {requested} but the response is for certificate {id}"),
        None => format!("asked for certificate {requested} but the response carries no certificate ID"),
    };
    Err(id_error(reason, response))
}

/// `certificate` as stored, or the decode error that says it came without an ID (a stored
/// certificate without one cannot be got, deleted or told apart from another).
pub(crate) fn stored<B: AsRef<[u8]>>(
    certificate: Certificate,
    response: &Response<B>,
) -> Result<StoredCertificate, ResponseError> {
    StoredCertificate::new(certificate)
        .ok_or_else(|| id_error("the response carries no certificate ID".into(), response))
}

fn id_error<B: AsRef<[u8]>>(reason: String, response: &Response<B>) -> ResponseError {
    ResponseError::Decode(DecodeError {
        status: response.status(),
        path: "result.id".into(),
        reason,
        body: response.body().as_ref().to_vec(),
    })
}

/// Everything outside RFC 3986's unreserved characters is escaped in a query value.
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

/// Appends `key=value` to a query string, escaping the value.
pub(crate) fn push_query(query: &mut String, key: &str, value: &str) {
    query.push(if query.is_empty() { '?' } else { '&' });
    query.push_str(key);
    query.push('=');
    query.extend(utf8_percent_encode(value, QUERY_VALUE));
}

/// Appends `key=a,b,c`, one parameter whose value is a list (OpenAPI `style: form, explode:
/// false`), escaping each item, so a comma inside one cannot split it; nothing if `values`
/// is empty.
pub(crate) fn push_query_list(query: &mut String, key: &str, values: &[&str]) {
    for (n, value) in values.iter().enumerate() {
        match n {
            0 => push_query(query, key, value),
            _ => {
                query.push(',');
                query.extend(utf8_percent_encode(value, QUERY_VALUE));
            }
        }
    }
}

/// `{base}/accounts/{account}/{path...}{query}` or `{base}/zones/{zone}/{path...}{query}`.
///
/// Every segment of `path` is a fixed name or a validated ID, so the path always has the
/// same shape, whatever the scope.
pub(crate) fn url(config: &Config, scope: Scope<'_>, path: &[&str], query: &str) -> String {
    let base = config.base_url().as_str();
    let (kind, id) = match scope {
        Scope::Account(account) => ("/accounts/", account.as_str()),
        Scope::Zone(zone) => ("/zones/", zone.as_str()),
    };
    let mut url = String::with_capacity(base.len() + 96 + query.len());
    url.push_str(base);
    url.push_str(kind);
    url.push_str(id);
    for segment in path {
        url.push('/');
        url.push_str(segment);
    }
    url.push_str(query);
    url
}

/// A request with the shared headers: credentials, user agent, `Accept`, and the JSON
/// content type when there is a body.
pub(crate) fn request(
    config: &Config,
    method: Method,
    url: String,
    body: Vec<u8>,
) -> Result<Request<Vec<u8>>, BuildError> {
    let uri: http::Uri = url
        .try_into()
        .map_err(|_| BuildError::InvalidParameter { name: "url", reason: "the request URL is not valid" })?;
    let mut req = Request::new(body);
    *req.method_mut() = method;
    *req.uri_mut() = uri;
    let headers = req.headers_mut();
    headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
    headers.insert(USER_AGENT, config.user_agent().clone());
    if !req.body().is_empty() {
        req.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    }
    config.credentials().apply(req.headers_mut());
    Ok(req)
}

#[cfg(test)]
pub(crate) mod test_support {
    use crate::{AccountId, BaseUrl, CertificateId, Config, Credentials, ZoneId};

    pub const ACCOUNT: &str = "023e105f4ecef8ad9ca31a8372d0c353";
    pub const CERT: &str = "2458ce5a0c1b4d4e8b4a6d0e0f5c3b2a";
    pub const ZONE: &str = "9a7806061c88ada191ed06f989cc3dac";

    pub fn config() -> Config {
        Config::new(Credentials::api_token("tok").unwrap())
    }

    pub fn config_at(base: &str) -> Config {
        config().with_base_url(BaseUrl::new(base).unwrap())
    }

    pub fn account() -> AccountId {
        AccountId::new(ACCOUNT).unwrap()
    }

    pub fn cert() -> CertificateId {
        CertificateId::new(CERT).unwrap()
    }

    pub fn zone() -> ZoneId {
        ZoneId::new(ZONE).unwrap()
    }

    /// Asserts the headers every request carries, and returns the header count.
    pub fn assert_common_headers(req: &http::Request<Vec<u8>>) {
        let h = req.headers();
        assert_eq!(h["authorization"], "Bearer tok");
        assert_eq!(h["accept"], "application/json");
        assert!(h["user-agent"].to_str().unwrap().starts_with("cloudflare-mtls/"));
    }
}
