use http::{Method, Request, Response};

use super::{Endpoint, Scope, request, the_requested, url};
use crate::config::Config;
use crate::envelope::decode_response;
use crate::error::{BuildError, Call, ResponseError};
use crate::id::{AccountId, CertificateId};
use crate::model::StoredCertificate;

/// `GET /accounts/{account_id}/mtls_certificates/{id}`: one certificate.
///
/// ```
/// use cloudflare_mtls::{AccountId, CertificateId, Config, Credentials, Endpoint, Get};
///
/// let get = Get::new(AccountId::new("023e105f4ecef8ad9ca31a8372d0c353")?, CertificateId::new("2458ce5a")?);
/// let request = get.to_request(&Config::new(Credentials::api_token("my-token")?))?;
/// assert_eq!(request.uri().path(), "/client/v4/accounts/023e105f4ecef8ad9ca31a8372d0c353/mtls_certificates/2458ce5a");
/// let answer = http::Response::new(&br#"{"success":true,"result":{"id":"2458ce5a","name":"my-ca"}}"#[..]);
/// assert_eq!(get.parse_response(&answer)?.name.as_deref(), Some("my-ca"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Get {
    /// The account.
    pub account: AccountId,
    /// The certificate.
    pub id: CertificateId,
}

impl Get {
    /// Gets certificate `id` of `account`.
    pub fn new(account: AccountId, id: CertificateId) -> Self {
        Self { account, id }
    }
}

impl Endpoint for Get {
    type Output = StoredCertificate;
    const CALL: Call = Call::Get;
    const METHOD: Method = Method::GET;

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

    fn parse_response<B: AsRef<[u8]>>(&self, response: &Response<B>) -> Result<StoredCertificate, ResponseError> {
        the_requested(&self.id, decode_response(response)?.result, response)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calls::test_support::*;

    #[test]
    fn request_is_exact() {
        let req = Get::new(account(), cert()).to_request(&config()).unwrap();
        assert_eq!(req.method(), Method::GET);
        assert_eq!(
            req.uri(),
            &format!("https://api.cloudflare.com/client/v4/accounts/{ACCOUNT}/mtls_certificates/{CERT}")[..]
        );
        assert_common_headers(&req);
        assert_eq!(req.headers().len(), 3);
        assert!(req.body().is_empty());
    }

    #[test]
    fn base_url_path_is_kept() {
        let req = Get::new(account(), cert()).to_request(&config_at("http://127.0.0.1:8787/client/v4/")).unwrap();
        assert_eq!(
            req.uri(),
            &format!("http://127.0.0.1:8787/client/v4/accounts/{ACCOUNT}/mtls_certificates/{CERT}")[..]
        );
    }
}
