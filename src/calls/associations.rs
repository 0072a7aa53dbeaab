use http::{Method, Request, Response};

use super::{Endpoint, Scope, request, url};
use crate::config::Config;
use crate::envelope::decode_response;
use crate::error::{BuildError, Call, ResponseError};
use crate::id::{AccountId, CertificateId};
use crate::model::{Association, Page};

/// `GET /accounts/{account_id}/mtls_certificates/{id}/associations`: the Cloudflare
/// services that use a certificate.
///
/// ```
/// use cloudflare_mtls::{AccountId, Associations, CertificateId, Config, Credentials, Endpoint};
///
/// let call = Associations::new(AccountId::new("acc")?, CertificateId::new("2458ce5a")?);
/// let request = call.to_request(&Config::new(Credentials::api_token("my-token")?))?;
/// assert!(request.uri().path().ends_with("/mtls_certificates/2458ce5a/associations"));
/// let answer = http::Response::new(&br#"{"success":true,"result":[{"service":"gateway","status":"active"}]}"#[..]);
/// assert_eq!(call.parse_response(&answer)?.items[0].service.as_deref(), Some("gateway"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Associations {
    /// The account.
    pub account: AccountId,
    /// The certificate.
    pub id: CertificateId,
}

impl Associations {
    /// Lists the associations of certificate `id` of `account`.
    pub fn new(account: AccountId, id: CertificateId) -> Self {
        Self { account, id }
    }
}

impl Endpoint for Associations {
    type Output = Page<Association>;
    const CALL: Call = Call::Associations;
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
            url(config, self.scope(), &["mtls_certificates", self.id.as_str(), "associations"], ""),
            Vec::new(),
        )
    }

    fn parse_response<B: AsRef<[u8]>>(&self, response: &Response<B>) -> Result<Page<Association>, ResponseError> {
        decode_response(response).map(|s| Page::new(s.result, s.result_info))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calls::test_support::*;

    #[test]
    fn request_is_exact() {
        let req = Associations::new(account(), cert()).to_request(&config()).unwrap();
        assert_eq!(req.method(), Method::GET);
        assert_eq!(
            req.uri(),
            &format!("https://api.cloudflare.com/client/v4/accounts/{ACCOUNT}/mtls_certificates/{CERT}/associations")[..]
        );
        assert_common_headers(&req);
        assert_eq!(req.headers().len(), 3);
        assert!(req.body().is_empty());
    }

    #[test]
    fn decodes_associations_and_result_info() {
        let body = br#"{"success":true,"errors":[],"messages":[],"result":[{"service":"gateway","status":"pending_deployment","new":1}],"result_info":{"page":1,"per_page":20,"count":1,"total_count":1}}"#;
        let page = Associations::new(account(), cert()).parse_response(&Response::new(&body[..])).unwrap();
        assert_eq!(page.items, vec![Association::new("gateway", "pending_deployment")]);
        assert_eq!(page.result_info.unwrap().total_count, Some(1));
    }
}
