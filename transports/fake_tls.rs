//! HTTPS for the fake server: a certificate authority made at start (rcgen), and for each
//! server a certificate it signs, offering HTTP/2 and HTTP/1.1 by ALPN.

use std::io;
use std::sync::Arc;

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use time::{Duration, OffsetDateTime};

/// A test certificate authority for the fake's HTTPS, and how the server certificates it
/// signs look. Give one to [`Builder::with_tls`](crate::fake_server::Builder::with_tls); have clients
/// trust [`ca_pem`](Self::ca_pem). Several servers may share one (clones share the CA).
///
/// By default a server certificate is valid for `127.0.0.1`, `::1` and `localhost`, from
/// yesterday for 30 days, and the server offers `h2` and `http/1.1`. The knobs make it fail
/// verification on purpose, to test what a client does then.
///
/// ```
/// use cloudflare_mtls::fake_server::FakeTls;
///
/// let tls = FakeTls::new()?;
/// assert!(tls.ca_pem().starts_with("-----BEGIN CERTIFICATE-----"));
/// let wrong_name = tls.clone().with_names(["other.example"]);
/// let expired = tls.clone().expired();
/// let old_server = tls.http1_only();
/// # let _ = (wrong_name, expired, old_server);
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone)]
pub struct FakeTls {
    ca: Arc<Ca>,
    names: Vec<String>,
    expired: bool,
    h2: bool,
}

/// The authority: its certificate, and what signs with it.
struct Ca {
    pem: String,
    params: CertificateParams,
    key: KeyPair,
}

/// The CA certificate only: no key.
impl std::fmt::Debug for FakeTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeTls")
            .field("names", &self.names)
            .field("expired", &self.expired)
            .field("h2", &self.h2)
            .finish_non_exhaustive()
    }
}

fn failed(e: rcgen::Error) -> io::Error {
    io::Error::other(format!("the fake's TLS certificates could not be made: {e}"))
}

impl FakeTls {
    /// A new authority (an ECDSA P-256 key, valid for 30 days).
    pub fn new() -> io::Result<Self> {
        let key = KeyPair::generate().map_err(failed)?;
        let mut params = CertificateParams::new(Vec::<String>::new()).map_err(failed)?;
        // A name of its own, so another fake's authority is an unknown issuer, not a bad
        // signature under a known name.
        let id: String = key.public_key_raw().iter().rev().take(4).map(|b| format!("{b:02x}")).collect();
        params.distinguished_name.push(DnType::CommonName, format!("cloudflare-mtls fake CA {id}"));
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let now = OffsetDateTime::now_utc();
        (params.not_before, params.not_after) = (now - Duration::days(1), now + Duration::days(30));
        let pem = params.self_signed(&key).map_err(failed)?.pem();
        let ca = Ca { pem, params, key };
        Ok(Self {
            ca: Arc::new(ca),
            names: vec!["127.0.0.1".into(), "::1".into(), "localhost".into()],
            expired: false,
            h2: true,
        })
    }

    /// The authority's certificate, to trust in a client.
    pub fn ca_pem(&self) -> &str {
        &self.ca.pem
    }

    /// Server certificates for these names (DNS names or IP addresses) instead.
    pub fn with_names(mut self, names: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.names = names.into_iter().map(Into::into).collect();
        self
    }

    /// Server certificates that expired yesterday.
    pub fn expired(mut self) -> Self {
        self.expired = true;
        self
    }

    /// Servers that offer only `http/1.1` by ALPN.
    pub fn http1_only(mut self) -> Self {
        self.h2 = false;
        self
    }

    /// A server's TLS configuration, with a certificate made now.
    pub(crate) fn server_config(&self) -> io::Result<rustls::ServerConfig> {
        let key = KeyPair::generate().map_err(failed)?;
        let mut params = CertificateParams::new(self.names.clone()).map_err(failed)?;
        params.distinguished_name.push(DnType::CommonName, "cloudflare-mtls fake server");
        let now = OffsetDateTime::now_utc();
        (params.not_before, params.not_after) = match self.expired {
            true => (now - Duration::days(30), now - Duration::days(1)),
            false => (now - Duration::days(1), now + Duration::days(30)),
        };
        let issuer = Issuer::from_params(&self.ca.params, &self.ca.key);
        let cert = params.signed_by(&key, &issuer).map_err(failed)?;
        let chain = vec![cert.der().clone(), CertificateDer::from(pem_der(&self.ca.pem)?)];
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .and_then(|b| b.with_no_client_auth().with_single_cert(chain, key))
            .map_err(io::Error::other)?;
        config.alpn_protocols =
            if self.h2 { vec![b"h2".to_vec(), b"http/1.1".to_vec()] } else { vec![b"http/1.1".to_vec()] };
        Ok(config)
    }
}

/// The DER of a one-certificate PEM text.
fn pem_der(text: &str) -> io::Result<Vec<u8>> {
    let blocks = crate::pem_check::parse(text).map_err(io::Error::other)?;
    blocks.into_iter().next().map(|b| b.der).ok_or_else(|| io::Error::other("no certificate"))
}
