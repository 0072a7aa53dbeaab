//! Where the tool's connections go: the roots it trusts (`--cacert`, `SSL_CERT_FILE`) and
//! the proxy (`--proxy`, else the environment's, as the library reads it).

use cloudflare_mtls::ureq::{Proxy, ProxyUrl, Roots};

use crate::args::Global;
use crate::exit::CliError;
use crate::files;
use crate::text;

/// `--cacert FILE`, else `SSL_CERT_FILE`: only the certificates in it (as curl and OpenSSL
/// read them); else Mozilla's roots.
pub fn roots(global: &Global) -> Result<Roots, CliError> {
    let (path, given_by) = match (&global.cacert, std::env::var_os("SSL_CERT_FILE")) {
        (Some(path), _) => (path.clone(), "--cacert"),
        (None, Some(path)) if !path.is_empty() => (path.into(), "SSL_CERT_FILE"),
        _ => return Ok(Roots::webpki()),
    };
    let pem = files::read(&path, "CA certificate")?;
    Roots::from_pem(&pem).map_err(|e| CliError::local(format!("{given_by} {}: {e}", text::path(path))))
}

/// `--proxy URL` for every host, `--proxy ''` for none, else the environment's.
pub fn proxy(global: &Global) -> Result<Proxy, CliError> {
    match global.proxy.as_deref().map(str::trim) {
        None => Ok(Proxy::FromEnv),
        Some("") => Ok(Proxy::Off),
        Some(url) => ProxyUrl::parse(url).map(Proxy::Url).map_err(|e| CliError::usage(format!("--proxy: {e}"))),
    }
}
