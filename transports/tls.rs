//! Which root certificates the clients trust, and what a TLS failure is called: the same on
//! both clients.

use rustls_pki_types::CertificateDer;

use crate::BuildError;

/// The store a [`Roots`] starts from.
#[derive(Clone)]
enum Base {
    /// Mozilla's roots, as the webpki-roots crates ship them.
    Webpki,
    /// The certificates given (from the system's store, or none).
    Certificates(Vec<CertificateDer<'static>>),
}

/// The root certificates a client trusts: Mozilla's (webpki-roots) by default, the system's
/// store with `Roots::system` (feature `native-roots`), plus any added with
/// [`with_pem`](Self::with_pem), or only the ones of [`from_pem`](Self::from_pem) (as
/// curl's `--cacert` does). Set them with the builders' `with_roots`.
///
/// ```
/// use cloudflare_mtls::ureq::Roots;
///
/// // A TLS-inspecting gateway's root, trusted along with Mozilla's:
/// let gateway_ca = include_str!("../tests/fixtures/ca-p256.pem");
/// let roots = Roots::webpki().with_pem(gateway_ca)?;
/// assert_eq!(roots.added(), 1);
/// // Only that root (a private API, a test server):
/// let only = Roots::from_pem(gateway_ca)?;
/// assert!(!only.includes_webpki());
/// // Not a certificate: a typed error that quotes nothing.
/// assert!(Roots::webpki().with_pem("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n").is_err());
/// # Ok::<(), cloudflare_mtls::BuildError>(())
/// ```
#[derive(Clone)]
pub struct Roots {
    base: Base,
    added: Vec<CertificateDer<'static>>,
}

impl Default for Roots {
    fn default() -> Self {
        Self::webpki()
    }
}

/// Counts, not certificates.
impl std::fmt::Debug for Roots {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let base = match &self.base {
            Base::Webpki => "webpki".to_owned(),
            Base::Certificates(certs) => format!("{} certificates", certs.len()),
        };
        f.debug_struct("Roots").field("base", &base).field("added", &self.added.len()).finish()
    }
}

impl Roots {
    /// Mozilla's roots (webpki-roots): the default.
    pub fn webpki() -> Self {
        Self { base: Base::Webpki, added: Vec::new() }
    }

    /// Only the CERTIFICATE blocks of `pem`.
    pub fn from_pem(pem: &str) -> Result<Self, BuildError> {
        Self { base: Base::Certificates(Vec::new()), added: Vec::new() }.with_pem(pem)
    }

    /// The system's root store, read now by rustls-native-certs (which reads
    /// `SSL_CERT_FILE` and `SSL_CERT_DIR` when they are set). Fails when it holds none.
    #[cfg(feature = "native-roots")]
    #[cfg_attr(docsrs, doc(cfg(feature = "native-roots")))]
    pub fn system() -> Result<Self, BuildError> {
        // rustls-native-certs opens SSL_CERT_FILE as it is: a FIFO there would block forever.
        if let Some(file) = std::env::var_os("SSL_CERT_FILE").filter(|f| !f.is_empty())
            && std::fs::metadata(&file).is_ok_and(|m| !m.is_file())
        {
            return Err(BuildError::InvalidRoots(format!(
                "SSL_CERT_FILE names {}, which is not a regular file",
                std::path::Path::new(&file).display()
            )));
        }
        let found = rustls_native_certs::load_native_certs();
        if found.certs.is_empty() {
            let why = found.errors.first().map(ToString::to_string).unwrap_or_else(|| "none was found".to_owned());
            return Err(BuildError::InvalidRoots(format!(
                "no root certificate could be read from the system's store: {why}"
            )));
        }
        Ok(Self { base: Base::Certificates(found.certs), added: Vec::new() })
    }

    /// These roots and the CERTIFICATE blocks of `pem` (at least one; any other block is
    /// refused, and never quoted).
    pub fn with_pem(mut self, pem: &str) -> Result<Self, BuildError> {
        let blocks = crate::pem_check::parse(pem).map_err(BuildError::InvalidRoots)?;
        if blocks.is_empty() {
            return Err(BuildError::InvalidRoots("no -----BEGIN CERTIFICATE----- block found".to_owned()));
        }
        for (n, block) in blocks.into_iter().enumerate() {
            if block.label != "CERTIFICATE" {
                return Err(BuildError::InvalidRoots(format!(
                    "PEM block {} (line {}) is not a CERTIFICATE",
                    n + 1,
                    block.line
                )));
            }
            let cert = CertificateDer::from(block.der);
            // Refused now rather than failing every connection later as "unknown issuer".
            if rustls::RootCertStore::empty().add(cert.clone()).is_err() {
                return Err(BuildError::InvalidRoots(format!(
                    "PEM block {} (line {}) is labelled CERTIFICATE but is not an X.509 certificate",
                    n + 1,
                    block.line
                )));
            }
            self.added.push(cert);
        }
        Ok(self)
    }

    /// Whether Mozilla's roots are trusted.
    pub fn includes_webpki(&self) -> bool {
        matches!(self.base, Base::Webpki)
    }

    /// How many certificates were added to the base store.
    pub fn added(&self) -> usize {
        self.added.len()
    }

    /// Every root as a certificate (Mozilla's from webpki-root-certs), for a library that
    /// takes certificates; `None` for Mozilla's roots alone (the libraries have them built in).
    #[cfg(feature = "ureq")]
    pub(crate) fn certificates(&self) -> Option<Vec<CertificateDer<'static>>> {
        let base: &[CertificateDer<'static>] = match &self.base {
            Base::Webpki if self.added.is_empty() => return None,
            Base::Webpki => webpki_root_certs::TLS_SERVER_ROOT_CERTS,
            Base::Certificates(certs) => certs,
        };
        Some(base.iter().chain(&self.added).cloned().collect())
    }

    /// The roots as a rustls store (a certificate rustls cannot use is an error).
    #[cfg(feature = "hyper")]
    pub(crate) fn store(&self) -> Result<rustls::RootCertStore, rustls::Error> {
        let mut store = rustls::RootCertStore::empty();
        match &self.base {
            Base::Webpki => store.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
            Base::Certificates(certs) => {
                // The system's store may hold a certificate rustls cannot read; the rest serve.
                store.add_parsable_certificates(certs.iter().cloned());
            }
        }
        for cert in &self.added {
            store.add(cert.clone())?;
        }
        Ok(store)
    }
}

/// Why the server's certificate was refused, in a user's words; `None` when the error is
/// not about the certificate.
pub(crate) fn certificate_problem(error: &rustls::Error, host: &str) -> Option<String> {
    use rustls::CertificateError as C;
    let rustls::Error::InvalidCertificate(problem) = error else { return None };
    Some(match problem {
        C::UnknownIssuer => {
            "the server's certificate is not signed by a trusted root (unknown issuer); trust its CA with the client's roots (the CLI's --cacert)".to_owned()
        }
        C::NotValidForName | C::NotValidForNameContext { .. } => {
            format!("the server's certificate is not valid for the name {host} (name mismatch)")
        }
        C::Expired | C::ExpiredContext { .. } => "the server's certificate has expired".to_owned(),
        C::NotValidYet | C::NotValidYetContext { .. } => "the server's certificate is not valid yet".to_owned(),
        C::Revoked => "the server's certificate has been revoked".to_owned(),
        C::BadSignature => "the server's certificate has a bad signature".to_owned(),
        other => format!("the server's certificate was refused ({other:?})"),
    })
}

/// The first rustls error in an error's chain. An `io::Error`'s `source` skips the error it
/// wraps (tokio-rustls and ureq wrap rustls's in one, sometimes twice), so the walk goes
/// through `get_ref` there; ureq's own error has no `source` at all.
pub(crate) fn find_rustls<'e>(error: &'e (dyn std::error::Error + 'static)) -> Option<&'e rustls::Error> {
    let mut next = Some(error);
    while let Some(e) = next {
        if let Some(found) = e.downcast_ref::<rustls::Error>() {
            return Some(found);
        }
        next = match (e.downcast_ref::<std::io::Error>(), ureq_io(e)) {
            (Some(io), _) | (None, Some(io)) => io.get_ref().map(|inner| inner as &(dyn std::error::Error + 'static)),
            (None, None) => e.source(),
        };
    }
    None
}

/// The I/O error inside ureq's error, if that is what `error` is.
fn ureq_io<'e>(error: &'e (dyn std::error::Error + 'static)) -> Option<&'e std::io::Error> {
    #[cfg(feature = "ureq")]
    if let Some(::ureq::Error::Io(io)) = error.downcast_ref::<::ureq::Error>() {
        return Some(io);
    }
    let _ = error;
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const CA: &str = include_str!("../tests/fixtures/ca-p256.pem");
    const KEY: &str = include_str!("../tests/fixtures/ca-p256-key.pem");

    #[test]
    fn pem_roots_are_checked_and_never_quoted() {
        assert_eq!(Roots::from_pem(CA).unwrap().added(), 1);
        assert_eq!(Roots::webpki().with_pem(&format!("{CA}{CA}")).unwrap().added(), 2);
        for bad in ["", "junk", KEY, &format!("{CA}{KEY}")] {
            let error = Roots::from_pem(bad).unwrap_err();
            assert!(matches!(error, BuildError::InvalidRoots(_)), "{error:?}");
            let body = KEY.lines().nth(1).unwrap();
            assert!(!error.to_string().contains(&body[..20]), "{error}");
        }
        let debug = format!("{:?}", Roots::webpki().with_pem(CA).unwrap());
        assert_eq!(debug, "Roots { base: \"webpki\", added: 1 }");
    }

    #[test]
    fn problems_in_a_users_words() {
        use rustls::CertificateError as C;
        let say = |c| certificate_problem(&rustls::Error::InvalidCertificate(c), "127.0.0.1").unwrap();
        assert!(say(C::UnknownIssuer).contains("unknown issuer"));
        assert!(say(C::NotValidForName).contains("not valid for the name 127.0.0.1"));
        assert!(say(C::Expired).contains("expired"));
        assert_eq!(certificate_problem(&rustls::Error::DecryptError, "h"), None);
        let wrapped =
            std::io::Error::new(std::io::ErrorKind::InvalidData, rustls::Error::InvalidCertificate(C::Expired));
        assert!(find_rustls(&wrapped).is_some());
        assert!(find_rustls(&std::io::Error::from(std::io::ErrorKind::ConnectionRefused)).is_none());
    }
}
