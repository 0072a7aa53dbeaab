//! Where the tool's connections go: the roots it trusts (`--cacert`, `SSL_CERT_FILE`) and
//! the proxy (`--proxy`, else the environment's, as the library reads it).

use cloudflare_mtls::BaseUrl;
use cloudflare_mtls::http::Uri;
use cloudflare_mtls::ureq::{Proxy, ProxyUrl, Roots};

use crate::args::Global;
use crate::exit::CliError;
use crate::files;
use crate::text;

/// `--cacert FILE`, else `SSL_CERT_FILE`: only the certificates in it (as curl and OpenSSL
/// read them); else Mozilla's roots. The environment's file is read only for an `https`
/// base URL (`tls`): roots do not matter to a plain-HTTP one (the fake on loopback), so a
/// stale `SSL_CERT_FILE` must not break it. A `--cacert` given is always read.
pub fn roots(global: &Global, tls: bool) -> Result<Roots, CliError> {
    let (path, given_by) = match (&global.cacert, std::env::var_os("SSL_CERT_FILE")) {
        (Some(path), _) => (path.clone(), "--cacert"),
        (None, Some(path)) if !path.is_empty() && tls => (path.into(), "SSL_CERT_FILE"),
        _ => return Ok(Roots::webpki()),
    };
    let pem = files::read_arg(&path, "CA certificate")?;
    Roots::from_pem(&pem).map_err(|e| CliError::local(format!("{given_by} {}: {e}", text::path(path))))
}

/// `--proxy URL` for every host, `--proxy ''` for none, else the environment's, checked now
/// for `base_url`: a bad `HTTPS_PROXY` is a usage error naming the variable, not a network
/// failure on the first call.
pub fn proxy(global: &Global, base_url: &BaseUrl) -> Result<Proxy, CliError> {
    match global.proxy.as_deref().map(str::trim) {
        None => {
            let target: Uri = base_url.as_str().parse().map_err(|_| CliError::usage("the base URL is not a URI"))?;
            Proxy::FromEnv.resolve(&target).map_err(|e| {
                CliError::usage(e.to_string())
                    .note("hint: fix or unset the variable, or pass --proxy URL (--proxy '' for none)")
            })?;
            Ok(Proxy::FromEnv)
        }
        Some("") => Ok(Proxy::Off),
        Some(url) => ProxyUrl::parse(url).map(Proxy::Url).map_err(|e| CliError::usage(format!("--proxy: {e}"))),
    }
}
