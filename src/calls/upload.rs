use http::{Method, Request, Response};
use serde::Serialize;

use super::{Endpoint, Scope, request, stored, url};
use crate::config::Config;
use crate::envelope::decode_response;
use crate::error::{BuildError, Call, ResponseError};
use crate::id::AccountId;
use crate::model::StoredCertificate;
use crate::pem_check::{check_certificates, check_private_key};

/// A PEM private key. `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct PrivateKey(String);

impl PrivateKey {
    /// Wraps PEM text; it is checked when the request is built.
    pub fn new(pem: impl Into<String>) -> Self {
        Self(pem.into())
    }

    /// The PEM text. Take care where it goes.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PrivateKey(<redacted>)")
    }
}

/// `POST /accounts/{account_id}/mtls_certificates`: uploads a certificate (or chain).
///
/// The PEM is checked before anything is sent: `certificates` must hold at least one
/// `CERTIFICATE` block and no private key; `private_key`, when given, must be one PEM key.
///
/// ```
/// use cloudflare_mtls::{AccountId, PrivateKey, Upload};
///
/// let account = AccountId::new("023e105f4ecef8ad9ca31a8372d0c353")?;
/// let pem = include_str!("../../tests/fixtures/ca-p256.pem");
/// // A CA certificate, to verify client certificates with:
/// let ca = Upload::ca(account.clone(), pem).with_name("clients-ca");
/// assert!(ca.validate().is_ok());
/// // A leaf certificate, with its key, for the few services that need one:
/// let leaf = Upload::leaf(account, include_str!("../../tests/fixtures/leaf-p256.pem"))
///     .with_private_key(PrivateKey::new(include_str!("../../tests/fixtures/leaf-p256-key.pem")));
/// assert!(!leaf.ca);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Upload {
    /// The account.
    pub account: AccountId,
    /// A CA certificate (true) or a leaf (false).
    pub ca: bool,
    /// One certificate or a chain, as PEM text.
    pub certificates: String,
    /// A unique, human-readable name.
    pub name: Option<String>,
    /// The private key, for the few services that need one.
    pub private_key: Option<PrivateKey>,
    /// Check `ca` against the certificate's basicConstraints (feature `x509-checks`).
    pub check_ca: bool,
}

#[derive(Serialize)]
struct Body<'a> {
    ca: bool,
    certificates: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    private_key: Option<&'a str>,
}

impl Upload {
    /// Uploads `certificates` (PEM) to `account` as a CA certificate (`ca: true`): one that
    /// verifies client certificates.
    pub fn ca(account: AccountId, certificates: impl Into<String>) -> Self {
        Self { account, ca: true, certificates: certificates.into(), name: None, private_key: None, check_ca: true }
    }

    /// Uploads `certificates` (PEM) to `account` as a leaf certificate (`ca: false`).
    pub fn leaf(account: AccountId, certificates: impl Into<String>) -> Self {
        Self { ca: false, ..Self::ca(account, certificates) }
    }

    /// Names the certificate.
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Sends a private key with the certificate.
    pub fn with_private_key(mut self, key: PrivateKey) -> Self {
        self.private_key = Some(key);
        self
    }

    /// Uploads even if the certificate's basicConstraints disagree with [`ca`](Self::ca) /
    /// [`leaf`](Self::leaf) (the API would take it; the checks say it is likely a mistake).
    pub fn without_ca_check(mut self) -> Self {
        self.check_ca = false;
        self
    }

    /// Checks the upload without building the request: the PEM framing (a key inside
    /// `certificates` is refused, never quoted), and with the `x509-checks` feature (on by
    /// default) that every certificate is X.509, that `ca` agrees with the first
    /// certificate's basicConstraints, and that the private key belongs to it. A leaf
    /// upload of a self-signed certificate with its private key (a self-signed client
    /// certificate, as `openssl req -x509` makes one) passes whatever its basicConstraints.
    pub fn validate(&self) -> Result<(), BuildError> {
        let blocks = check_certificates(&self.certificates)?;
        let key = self.private_key.as_ref().map(|key| check_private_key(key.expose())).transpose()?;
        #[cfg(feature = "x509-checks")]
        crate::x509_check::check(&blocks, self.ca, self.check_ca, key.as_ref())?;
        #[cfg(not(feature = "x509-checks"))]
        let _ = (blocks, key);
        Ok(())
    }
}

impl Endpoint for Upload {
    type Output = StoredCertificate;
    const CALL: Call = Call::Upload;
    const METHOD: Method = Method::POST;

    fn scope(&self) -> Scope<'_> {
        Scope::Account(&self.account)
    }

    fn to_request(&self, config: &Config) -> Result<Request<Vec<u8>>, BuildError> {
        self.validate()?;
        let body = Body {
            ca: self.ca,
            certificates: &self.certificates,
            name: self.name.as_deref(),
            private_key: self.private_key.as_ref().map(PrivateKey::expose),
        };
        // Serialising borrowed strings and a bool into a Vec cannot fail.
        let body = serde_json::to_vec(&body).unwrap_or_default();
        request(config, Self::METHOD, url(config, self.scope(), &["mtls_certificates"], ""), body)
    }

    fn parse_response<B: AsRef<[u8]>>(&self, response: &Response<B>) -> Result<StoredCertificate, ResponseError> {
        stored(decode_response(response)?.result, response)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calls::test_support::*;
    use crate::test_fixtures::{CA_PEM, KEY_PEM};

    #[test]
    fn request_is_exact() {
        let up = Upload::ca(account(), CA_PEM).with_name("example_ca_cert");
        let req = up.to_request(&config()).unwrap();
        assert_eq!(req.method(), Method::POST);
        assert_eq!(
            req.uri(),
            &format!("https://api.cloudflare.com/client/v4/accounts/{ACCOUNT}/mtls_certificates")[..]
        );
        assert_common_headers(&req);
        assert_eq!(req.headers()["content-type"], "application/json");
        assert_eq!(req.headers().len(), 4);
        let expected = serde_json::json!({"ca": true, "certificates": CA_PEM, "name": "example_ca_cert"});
        assert_eq!(serde_json::from_slice::<serde_json::Value>(req.body()).unwrap(), expected);
        // Exact bytes: field order and no extra fields.
        let text = String::from_utf8(req.body().clone()).unwrap();
        assert!(text.starts_with(r#"{"ca":true,"certificates":"-----BEGIN CERTIFICATE-----\n"#), "{text}");
        assert!(text.ends_with(r#"-----END CERTIFICATE-----\n","name":"example_ca_cert"}"#), "{text}");
    }

    #[test]
    fn private_key_is_sent_but_never_shown() {
        let up = Upload::ca(account(), CA_PEM).with_private_key(PrivateKey::new(KEY_PEM));
        let req = up.to_request(&config()).unwrap();
        let body: serde_json::Value = serde_json::from_slice(req.body()).unwrap();
        assert_eq!(body["private_key"], KEY_PEM);
        assert_eq!(body.as_object().unwrap().len(), 3);
        let shown = format!("{up:?}");
        assert!(!shown.contains("PRIVATE KEY"), "{shown}");
        assert!(shown.contains("<redacted>"));
    }

    #[test]
    fn a_key_in_the_certificates_is_refused_with_advice() {
        let up = Upload::ca(account(), format!("{CA_PEM}{KEY_PEM}"));
        let err = up.to_request(&config()).unwrap_err();
        let msg = err.to_string();
        assert!(matches!(err, BuildError::PrivateKeyInCertificates { block: 2, label: "PRIVATE KEY", .. }), "{err:?}");
        assert!(msg.contains("private_key"), "{msg}");
        assert!(!msg.contains("MII"), "no key material in the message: {msg}");
        // Nothing the caller passed in is lost.
        assert_eq!(up.certificates, format!("{CA_PEM}{KEY_PEM}"));
    }

    #[test]
    fn bad_certificates_are_refused() {
        let truncated = &CA_PEM[..CA_PEM.len() - 30];
        for (pem, says) in [
            ("", "it is empty"),
            ("hello", "no -----BEGIN CERTIFICATE-----"),
            (truncated, "PEM block 1 (CERTIFICATE, line 1): "),
            (
                "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n",
                "PEM block 1 (CERTIFICATE REQUEST, line 1) is not a CERTIFICATE",
            ),
            ("-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n", "it is empty"),
            ("-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n", "line 2 is not base64"),
        ] {
            let err = Upload::ca(account(), pem).validate().unwrap_err().to_string();
            assert!(err.contains(says), "{pem:?}: {err}");
        }
        // A chain of two certificates is fine.
        Upload::ca(account(), format!("{CA_PEM}{CA_PEM}")).validate().unwrap();
    }

    #[test]
    fn bad_private_keys_are_refused_without_quoting_them() {
        for (key, says) in [
            ("", "it is empty"),
            (CA_PEM, "certificate, not a private key"),
            ("-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n", "encrypted"),
            ("-----BEGIN PRIVATE KEY-----\nSECRET!!\n-----END PRIVATE KEY-----\n", "line 2 is not base64"),
            (&KEY_PEM[..KEY_PEM.len() - 20], "PEM block 1 (PRIVATE KEY, line 1): the END line"),
        ] {
            let up = Upload::ca(account(), CA_PEM).with_private_key(PrivateKey::new(key));
            let err = up.to_request(&config()).unwrap_err();
            assert!(matches!(err, BuildError::InvalidPrivateKey(_)));
            let msg = err.to_string();
            assert!(msg.contains(says), "{key:?}: {msg}");
            assert!(!msg.contains("SECRET"));
        }
        for tag in ["RSA PRIVATE KEY", "EC PRIVATE KEY"] {
            let key = KEY_PEM.replace("PRIVATE KEY", tag);
            Upload::ca(account(), CA_PEM).with_private_key(PrivateKey::new(key)).validate().unwrap();
        }
    }
}
