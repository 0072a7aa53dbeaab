use http::{Method, Request, Response};

use super::{Endpoint, request, url};
use crate::config::Config;
use crate::envelope::decode_response;
use crate::error::{BuildError, Call, ResponseError};
use crate::id::{AccountId, CertificateId};
use crate::model::Certificate;

/// `DELETE /accounts/{account_id}/mtls_certificates/{id}`: returns the deleted certificate.
///
/// The API refuses while a Cloudflare service still uses the certificate; see
/// [`Associations`](super::Associations). Sends no body, as the current official SDKs do.
#[derive(Debug, Clone, PartialEq, Eq)]
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

impl Endpoint for Delete {
    type Output = Certificate;
    const CALL: Call = Call::Delete;
    const METHOD: Method = Method::DELETE;

    fn to_request(&self, config: &Config) -> Result<Request<Vec<u8>>, BuildError> {
        request(config, Self::METHOD, url(config, &self.account, Some(&self.id), "", ""), Vec::new())
    }

    fn from_response<B: AsRef<[u8]>>(response: &Response<B>) -> Result<Certificate, ResponseError> {
        decode_response(response).map(|s| s.result)
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
}
