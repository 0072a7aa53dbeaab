//! What every request needs besides its own parameters: where to send it, who sends it, and
//! the user agent.

use http::HeaderValue;

use crate::credentials::Credentials;
use crate::error::BuildError;

/// Cloudflare's API base URL.
pub const DEFAULT_BASE_URL: &str = "https://api.cloudflare.com/client/v4";

/// An API base URL that is safe to send credentials to: absolute `https://`, or plain
/// `http://` only on a loopback host (the fake, tests), so a token never leaves the
/// machine in clear text by mistake.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct BaseUrl(String);

impl BaseUrl {
    /// Validates `url`. A trailing `/` is allowed; a query or fragment is not.
    pub fn new(url: impl Into<String>) -> Result<Self, BuildError> {
        let value = url.into();
        match check(&value) {
            Ok(normalised) => Ok(Self(normalised)),
            Err(reason) => Err(BuildError::InvalidBaseUrl { value, reason }),
        }
    }

    /// The URL, without a trailing `/`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn check(url: &str) -> Result<String, &'static str> {
    let uri: http::Uri = url.parse().map_err(|_| "not a valid absolute URL")?;
    let host = uri.host().ok_or("not an absolute URL (scheme and host needed)")?;
    match uri.scheme_str() {
        Some("https") => {}
        Some("http") if is_loopback(host) => {}
        Some("http") => return Err("plain http:// is only allowed for loopback hosts; use https://"),
        _ => return Err("the scheme must be https://"),
    }
    if uri.query().is_some() || url.contains('#') {
        return Err("a base URL cannot have a query or fragment");
    }
    if url.contains('@') {
        return Err("a base URL cannot carry user information");
    }
    Ok(url.strip_suffix('/').unwrap_or(url).to_owned())
}

fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost") || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

impl Default for BaseUrl {
    fn default() -> Self {
        Self(DEFAULT_BASE_URL.to_owned())
    }
}

impl std::fmt::Display for BaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::fmt::Debug for BaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "BaseUrl({:?})", self.0)
    }
}

impl std::str::FromStr for BaseUrl {
    type Err = BuildError;
    fn from_str(s: &str) -> Result<Self, BuildError> {
        Self::new(s)
    }
}

/// Base URL, credentials and user agent: everything a call needs to become a request.
#[derive(Clone, Debug)]
pub struct Config {
    base_url: BaseUrl,
    credentials: Credentials,
    user_agent: HeaderValue,
}

impl Config {
    /// Cloudflare's API with these credentials and this crate's user agent.
    pub fn new(credentials: Credentials) -> Self {
        Self {
            base_url: BaseUrl::default(),
            credentials,
            user_agent: HeaderValue::from_static(concat!("cloudflare-mtls/", env!("CARGO_PKG_VERSION"))),
        }
    }

    /// Reads the configuration from the variables Cloudflare's own tools use, looked up
    /// with `lookup` (the core reads no environment itself: pass `|k| std::env::var(k).ok()`).
    ///
    /// Credentials, first found wins: `CLOUDFLARE_API_TOKEN`; `CLOUDFLARE_API_KEY` with
    /// `CLOUDFLARE_EMAIL`; `CLOUDFLARE_API_USER_SERVICE_KEY`. Base URL:
    /// `CLOUDFLARE_BASE_URL` (the SDKs) or `CLOUDFLARE_API_BASE_URL` (`wrangler`). Empty
    /// values count as unset.
    ///
    /// ```
    /// use cloudflare_mtls::Config;
    /// let env = |k: &str| match k {
    ///     "CLOUDFLARE_API_TOKEN" => Some("t0ken".to_string()),
    ///     "CLOUDFLARE_BASE_URL" => Some("http://127.0.0.1:8787/client/v4".to_string()),
    ///     _ => None,
    /// };
    /// let config = Config::from_lookup(env)?;
    /// assert_eq!(config.base_url().as_str(), "http://127.0.0.1:8787/client/v4");
    /// let missing = Config::from_lookup(|_| None).unwrap_err();
    /// assert!(missing.to_string().contains("CLOUDFLARE_API_TOKEN"));
    /// # Ok::<(), cloudflare_mtls::BuildError>(())
    /// ```
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, BuildError> {
        let get = |name: &str| lookup(name).filter(|v| !v.is_empty());
        let credentials = if let Some(token) = get("CLOUDFLARE_API_TOKEN") {
            Credentials::api_token(&token)?
        } else if let Some(key) = get("CLOUDFLARE_API_KEY") {
            let email = get("CLOUDFLARE_EMAIL").ok_or(BuildError::MissingVariable {
                name: "CLOUDFLARE_EMAIL",
                hint: "CLOUDFLARE_API_KEY is set, and a global API key needs the account's email",
            })?;
            Credentials::global_key(&email, &key)?
        } else if let Some(key) = get("CLOUDFLARE_API_USER_SERVICE_KEY") {
            Credentials::user_service_key(&key)?
        } else {
            return Err(BuildError::MissingVariable {
                name: "CLOUDFLARE_API_TOKEN",
                hint: "or CLOUDFLARE_API_KEY with CLOUDFLARE_EMAIL",
            });
        };
        let mut config = Self::new(credentials);
        if let Some(url) = get("CLOUDFLARE_BASE_URL").or_else(|| get("CLOUDFLARE_API_BASE_URL")) {
            config = config.with_base_url(BaseUrl::new(url)?);
        }
        Ok(config)
    }

    /// Sends requests to `base_url` instead (a fake, a proxy).
    pub fn with_base_url(mut self, base_url: BaseUrl) -> Self {
        self.base_url = base_url;
        self
    }

    /// Sends this `User-Agent` instead of `cloudflare-mtls/<version>`.
    pub fn with_user_agent(mut self, user_agent: &str) -> Result<Self, BuildError> {
        self.user_agent = crate::credentials::ascii_header("user agent", user_agent, true)?;
        Ok(self)
    }

    /// The base URL.
    pub fn base_url(&self) -> &BaseUrl {
        &self.base_url
    }

    /// The credentials.
    pub fn credentials(&self) -> &Credentials {
        &self.credentials
    }

    /// The user agent.
    pub fn user_agent(&self) -> &HeaderValue {
        &self.user_agent
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_anywhere_http_only_on_loopback() {
        for ok in [
            "https://api.cloudflare.com/client/v4",
            "https://api.cloudflare.com/client/v4/",
            "https://proxy.example:8443/cf",
            "http://127.0.0.1:8787/client/v4",
            "http://127.9.9.9",
            "http://localhost:1234/x",
            "http://[::1]:8080/client/v4",
        ] {
            let b = BaseUrl::new(ok).unwrap_or_else(|e| panic!("{ok}: {e}"));
            assert!(!b.as_str().ends_with('/'));
        }
        for (bad, why) in [
            ("http://api.cloudflare.com/client/v4", "loopback"),
            ("http://10.0.0.1/", "loopback"),
            ("http://localhost.evil.com/", "loopback"),
            ("ftp://api.cloudflare.com", "https"),
            ("/client/v4", "absolute"),
            ("api.cloudflare.com/client/v4", "absolute"),
            ("https://api.cloudflare.com/client/v4?x=1", "query"),
            ("https://api.cloudflare.com/client/v4#frag", "fragment"),
            ("https://user:pw@api.cloudflare.com/", "user"),
            ("", "valid"),
            ("https://exa mple.com", "valid"),
        ] {
            match BaseUrl::new(bad) {
                Err(BuildError::InvalidBaseUrl { value, reason }) => {
                    assert_eq!(value, bad);
                    assert!(reason.contains(why), "{bad}: {reason}");
                }
                other => panic!("{bad}: {other:?}"),
            }
        }
    }

    #[test]
    fn from_lookup_precedence_and_errors() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string())
        };
        let c = Config::from_lookup(env(&[("CLOUDFLARE_API_KEY", "k"), ("CLOUDFLARE_EMAIL", "e@x.io")])).unwrap();
        assert!(format!("{:?}", c.credentials()).contains("GlobalKey"));
        let c = Config::from_lookup(env(&[("CLOUDFLARE_API_TOKEN", "t"), ("CLOUDFLARE_API_KEY", "k")])).unwrap();
        assert!(format!("{:?}", c.credentials()).contains("ApiToken"));
        let c = Config::from_lookup(env(&[("CLOUDFLARE_API_USER_SERVICE_KEY", "s")])).unwrap();
        assert!(format!("{:?}", c.credentials()).contains("UserServiceKey"));
        let c = Config::from_lookup(env(&[
            ("CLOUDFLARE_API_TOKEN", "t"),
            ("CLOUDFLARE_API_BASE_URL", "http://localhost:1/v4"),
        ]));
        assert_eq!(c.unwrap().base_url().as_str(), "http://localhost:1/v4");
        let err = Config::from_lookup(env(&[("CLOUDFLARE_API_KEY", "k")])).unwrap_err().to_string();
        assert!(err.contains("CLOUDFLARE_EMAIL"), "{err}");
        let err = Config::from_lookup(env(&[("CLOUDFLARE_API_TOKEN", "")])).unwrap_err().to_string();
        assert!(err.contains("CLOUDFLARE_API_TOKEN"), "{err}");
        let err =
            Config::from_lookup(env(&[("CLOUDFLARE_API_TOKEN", "t"), ("CLOUDFLARE_BASE_URL", "http://evil.example")]));
        assert!(matches!(err, Err(BuildError::InvalidBaseUrl { .. })));
    }

    #[test]
    fn config_defaults_and_user_agent() {
        let c = Config::new(Credentials::api_token("t").unwrap());
        assert_eq!(c.base_url().as_str(), DEFAULT_BASE_URL);
        assert!(c.user_agent().to_str().unwrap().starts_with("cloudflare-mtls/"));
        assert!(matches!(
            c.clone().with_user_agent("bad\nua"),
            Err(BuildError::InvalidHeader { what: "user agent", .. })
        ));
        assert_eq!(c.clone().with_user_agent("mine/1 (x)").unwrap().user_agent(), "mine/1 (x)");
        assert!(matches!(c.with_user_agent("m\u{ee}ne"), Err(BuildError::InvalidHeader { position: 2, .. })));
    }
}
