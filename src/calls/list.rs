use http::{Method, Request, Response};

use super::{Endpoint, Scope, push_query, push_query_list, request, url};
use crate::config::Config;
use crate::envelope::decode_response;
use crate::error::{BuildError, Call, ResponseError};
use crate::id::AccountId;
use crate::model::{Certificate, CertificateType, Page};

/// `GET /accounts/{account_id}/mtls_certificates`: one page of certificates.
///
/// Filters are those of the API and Cloudflare's own tools: `type` (one or several, sent as
/// one comma-separated value, `type=custom,gateway_managed`, as the API's OpenAPI document
/// declares it), `ca` and `name` (as `wrangler` sends them), plus the v4 paging parameters. For every page, see [`Pager`](crate::Pager).
///
/// ```
/// use cloudflare_mtls::{AccountId, CertificateType, Config, Credentials, Endpoint, List};
///
/// let list = List::new(AccountId::new("acc")?)
///     .with_type(CertificateType::Custom)
///     .with_ca(true)
///     .with_name("my-ca")
///     .with_page(2)
///     .with_per_page(100);
/// let request = list.to_request(&Config::new(Credentials::api_token("my-token")?))?;
/// assert_eq!(request.uri().query(), Some("type=custom&ca=true&name=my-ca&page=2&per_page=100"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct List {
    /// The account.
    pub account: AccountId,
    /// Only certificates of these types (none: all).
    pub types: Vec<CertificateType>,
    /// Only CA (`true`) or leaf (`false`) certificates.
    pub ca: Option<bool>,
    /// Only the certificate with this name.
    pub name: Option<String>,
    /// The page, from 1.
    pub page: Option<u32>,
    /// Items per page.
    pub per_page: Option<u32>,
}

impl List {
    /// Lists the certificates of `account`, unfiltered, the server's first page.
    pub fn new(account: AccountId) -> Self {
        Self { account, types: Vec::new(), ca: None, name: None, page: None, per_page: None }
    }

    /// Adds a `type` filter (call again for several: they are sent as one comma-separated
    /// value).
    pub fn with_type(mut self, kind: CertificateType) -> Self {
        self.types.push(kind);
        self
    }

    /// Only CA (`true`) or leaf (`false`) certificates.
    pub fn with_ca(mut self, ca: bool) -> Self {
        self.ca = Some(ca);
        self
    }

    /// Only the certificate named `name`.
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Asks for page `page` (from 1).
    pub fn with_page(mut self, page: u32) -> Self {
        self.page = Some(page);
        self
    }

    /// Asks for `per_page` items per page.
    pub fn with_per_page(mut self, per_page: u32) -> Self {
        self.per_page = Some(per_page);
        self
    }

    fn query(&self) -> Result<String, BuildError> {
        let mut q = String::new();
        let types: Vec<&str> = self.types.iter().map(CertificateType::as_str).collect();
        push_query_list(&mut q, "type", &types);
        if let Some(ca) = self.ca {
            push_query(&mut q, "ca", if ca { "true" } else { "false" });
        }
        if let Some(name) = &self.name {
            push_query(&mut q, "name", name);
        }
        let mut number = |key: &'static str, value: Option<u32>| match value {
            Some(0) => Err(BuildError::InvalidParameter { name: key, reason: "must be at least 1" }),
            Some(n) => {
                push_query(&mut q, key, &n.to_string());
                Ok(())
            }
            None => Ok(()),
        };
        number("page", self.page)?;
        number("per_page", self.per_page)?;
        Ok(q)
    }
}

impl Endpoint for List {
    type Output = Page<Certificate>;
    const CALL: Call = Call::List;
    const METHOD: Method = Method::GET;

    fn scope(&self) -> Scope<'_> {
        Scope::Account(&self.account)
    }

    fn to_request(&self, config: &Config) -> Result<Request<Vec<u8>>, BuildError> {
        request(config, Self::METHOD, url(config, self.scope(), &["mtls_certificates"], &self.query()?), Vec::new())
    }

    fn parse_response<B: AsRef<[u8]>>(&self, response: &Response<B>) -> Result<Page<Certificate>, ResponseError> {
        decode_response(response).map(|s| Page::new(s.result, s.result_info))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calls::test_support::*;

    fn uri(list: List) -> String {
        list.to_request(&config()).unwrap().uri().to_string()
    }

    const BASE: &str =
        "https://api.cloudflare.com/client/v4/accounts/023e105f4ecef8ad9ca31a8372d0c353/mtls_certificates";

    #[test]
    fn unfiltered_request_is_exact() {
        let req = List::new(account()).to_request(&config()).unwrap();
        assert_eq!(req.method(), Method::GET);
        assert_eq!(req.uri(), BASE);
        assert_common_headers(&req);
        assert_eq!(req.headers().len(), 3);
        assert!(req.body().is_empty());
    }

    #[test]
    fn filters_in_a_fixed_order() {
        let list = List::new(account())
            .with_type(CertificateType::Custom)
            .with_type(CertificateType::GatewayManaged)
            .with_type(CertificateType::Other("new_kind".into()))
            .with_ca(false)
            .with_name("my cert/ü&x=1")
            .with_page(2)
            .with_per_page(50);
        assert_eq!(
            uri(list),
            format!(
                "{BASE}?type=custom,gateway_managed,new_kind&ca=false&name=my%20cert%2F%C3%BC%26x%3D1&page=2&per_page=50"
            )
        );
        assert_eq!(uri(List::new(account()).with_ca(true)), format!("{BASE}?ca=true"));
    }

    #[test]
    fn types_are_one_comma_separated_value() {
        // `style: form, explode: false` in the API's OpenAPI document: one `type` parameter.
        let both = List::new(account()).with_type(CertificateType::Custom).with_type(CertificateType::GatewayManaged);
        assert_eq!(uri(both), format!("{BASE}?type=custom,gateway_managed"));
        assert_eq!(uri(List::new(account()).with_type(CertificateType::Custom)), format!("{BASE}?type=custom"));
        // A comma inside a value (no type has one) is escaped, so it cannot split the list.
        let odd = List::new(account()).with_type(CertificateType::Other("a,b".into()));
        assert_eq!(uri(odd.with_type(CertificateType::Custom)), format!("{BASE}?type=a%2Cb,custom"));
    }

    #[test]
    fn zero_page_or_size_is_a_build_error() {
        for list in [List::new(account()).with_page(0), List::new(account()).with_per_page(0)] {
            assert!(matches!(list.to_request(&config()), Err(BuildError::InvalidParameter { .. })));
        }
    }
}
