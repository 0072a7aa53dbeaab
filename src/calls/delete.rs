use http::{Method, Request, Response, StatusCode};

use super::{Endpoint, Scope, request, the_requested, url};
use crate::config::Config;
use crate::envelope::decode_response;
use crate::error::{BuildError, Call, ResponseError};
use crate::id::{AccountId, CertificateId};
use crate::model::StoredCertificate;

/// `DELETE /accounts/{account_id}/mtls_certificates/{id}`: returns the deleted certificate,
/// as [`Deleted`].
///
/// The API refuses while a Cloudflare service still uses the certificate (see
/// [`Associations`](super::Associations)), and while a CA has hostnames in any zone (empty
/// them first with [`ReplaceHostnames::empty`](super::ReplaceHostnames::empty) in each).
/// Sends no body, as the current official SDKs do.
///
/// ```
/// use cloudflare_mtls::{AccountId, CertificateId, Config, Credentials, Deleted, Endpoint, Delete};
///
/// let delete = Delete::new(AccountId::new("023e105f4ecef8ad9ca31a8372d0c353")?, CertificateId::new("2458ce5a")?);
/// let request = delete.to_request(&Config::new(Credentials::api_token("my-token")?))?;
/// assert_eq!(request.method(), "DELETE");
/// assert!(request.body().is_empty());
/// let answer = http::Response::new(&br#"{"success":true,"result":{"id":"2458ce5a"}}"#[..]);
/// assert!(matches!(delete.parse_response(&answer)?, Deleted::Returned(_)));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Delete {
    /// The account.
    pub account: AccountId,
    /// The certificate.
    pub id: CertificateId,
}

impl Delete {
    /// Deletes certificate `id` of `account`.
    pub fn new(account: AccountId, id: CertificateId) -> Self {
        Self { account, id }
    }
}

/// What a delete returns.
///
/// A delete whose answer was lost (a timeout, a dropped connection, a 5xx) is retried; if the
/// retry finds the certificate gone, the first attempt deleted it: the call succeeded, but the
/// API's copy of the certificate went with the lost answer.
///
/// ```
/// use cloudflare_mtls::{CertificateId, Deleted};
/// # let deleted = Deleted::GoneOnRetry(CertificateId::new("2458ce5a")?);
/// match deleted {
///     Deleted::Returned(cert) => println!("deleted {cert}"),
///     Deleted::GoneOnRetry(id) => println!("deleted {id} (its details were in the lost answer)"),
///     _ => {}
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
// One value per delete call: a box would cost every user's `match` more than the bytes.
#[allow(clippy::large_enum_variant)]
pub enum Deleted {
    /// The API deleted the certificate and returned it as it was.
    Returned(StoredCertificate),
    /// An earlier attempt of this call may have deleted it, and the retry answered 404: the
    /// certificate is gone, and only its ID is known.
    GoneOnRetry(CertificateId),
}

impl Deleted {
    /// The deleted certificate's ID.
    pub fn id(&self) -> &CertificateId {
        match self {
            Self::Returned(cert) => cert.id(),
            Self::GoneOnRetry(id) => id,
        }
    }

    /// The certificate as the API returned it, when the answer was not lost.
    pub fn certificate(&self) -> Option<&StoredCertificate> {
        match self {
            Self::Returned(cert) => Some(cert),
            Self::GoneOnRetry(_) => None,
        }
    }
}

/// `NAME (ID)` as [`StoredCertificate`] prints, or the ID alone when the answer was lost.
impl std::fmt::Display for Deleted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Returned(cert) => cert.fmt(f),
            Self::GoneOnRetry(id) => id.fmt(f),
        }
    }
}

impl Endpoint for Delete {
    type Output = Deleted;
    const CALL: Call = Call::Delete;
    const METHOD: Method = Method::DELETE;

    fn scope(&self) -> Scope<'_> {
        Scope::Account(&self.account)
    }

    fn certificate(&self) -> Option<&CertificateId> {
        Some(&self.id)
    }

    fn to_request(&self, config: &Config) -> Result<Request<Vec<u8>>, BuildError> {
        request(
            config,
            Self::METHOD,
            url(config, self.scope(), &["mtls_certificates", self.id.as_str()], ""),
            Vec::new(),
        )
    }

    fn parse_response<B: AsRef<[u8]>>(&self, response: &Response<B>) -> Result<Deleted, ResponseError> {
        the_requested(&self.id, decode_response(response)?.result, response).map(Deleted::Returned)
    }

    /// A 404 after an attempt that may have deleted it: that attempt did.
    fn parse_response_after_retry<B: AsRef<[u8]>>(&self, response: &Response<B>) -> Result<Deleted, ResponseError> {
        match self.parse_response(response) {
            Err(e) if e.status() == StatusCode::NOT_FOUND => Ok(Deleted::GoneOnRetry(self.id.clone())),
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calls::test_support::*;

    #[test]
    fn request_is_exact() {
        let req = Delete::new(account(), cert()).to_request(&config()).unwrap();
        assert_eq!(req.method(), Method::DELETE);
        assert_eq!(
            req.uri(),
            &format!("https://api.cloudflare.com/client/v4/accounts/{ACCOUNT}/mtls_certificates/{CERT}")[..]
        );
        assert_common_headers(&req);
        assert_eq!(req.headers().len(), 3, "no content-type: there is no body");
        assert!(req.body().is_empty());
    }

    #[test]
    fn a_404_is_not_found_unless_an_earlier_attempt_may_have_deleted_it() {
        let not_found = Response::builder()
            .status(404)
            .body(&br#"{"success":false,"errors":[{"code":1404,"message":"not found"}],"result":null}"#[..])
            .unwrap();
        let delete = Delete::new(account(), cert());
        assert!(delete.parse_response(&not_found).unwrap_err().is_not_found());
        assert_eq!(delete.parse_response_after_retry(&not_found).unwrap(), Deleted::GoneOnRetry(cert()));
        let refused = Response::builder()
            .status(400)
            .body(&br#"{"success":false,"errors":[{"code":1005,"message":"in use"}],"result":null}"#[..])
            .unwrap();
        assert!(delete.parse_response_after_retry(&refused).is_err());
    }

    #[test]
    fn another_certificate_is_not_a_success() {
        let body = format!(r#"{{"success":true,"result":{{"id":"{CERT}"}}}}"#);
        let delete = Delete::new(account(), cert());
        let deleted = delete.parse_response(&Response::new(body.as_bytes())).unwrap();
        assert_eq!(deleted.id(), &cert());
        let other = Delete::new(account(), CertificateId::new("other").unwrap());
        let Err(ResponseError::Decode(e)) = other.parse_response(&Response::new(body.as_bytes())) else {
            panic!("a decode error");
        };
        assert_eq!(e.path, "result.id");
        assert!(e.reason.contains("asked for certificate other"), "{}", e.reason);
        let no_id = Response::new(&br#"{"success":true,"result":{"name":"x"}}"#[..]);
        assert!(matches!(delete.parse_response(&no_id), Err(ResponseError::Decode(_))));
    }
}
