//! Which forward proxy a client goes through: decided once per client (a client talks to one
//! API host), the same way for both, from the builder's setting or the environment.
//!
//! From the environment, as curl and Go read it: `https_proxy` / `HTTPS_PROXY` for an
//! https API (`http_proxy` / `HTTP_PROXY` for http), then `all_proxy` / `ALL_PROXY`, lower case
//! first; `no_proxy` / `NO_PROXY` lists hosts to reach directly (`*`, a name and its
//! subdomains, `.name`, an IP address or CIDR block, any of them with `:port`). Loopback
//! hosts (`localhost`, `*.localhost`, 127.0.0.0/8, `::1`) are never proxied through the
//! environment, as Go's net/http decides, so a global proxy setting does not break tests
//! against a local fake. An explicit proxy applies to every host.

use std::net::IpAddr;

use http::Uri;
use percent_encoding::percent_decode_str;

use crate::BuildError;

/// A forward proxy's URL: `http://[user:password@]host[:port]` (port 1080 when not
/// written, as curl assumes; `host:port` alone means `http://host:port`). The password never
/// appears in `Debug`, `Display` or an error.
///
/// ```
/// use cloudflare_mtls::ureq::ProxyUrl;
///
/// let proxy = ProxyUrl::parse("http://alice:s3cret@proxy.example:3128")?;
/// assert_eq!((proxy.host(), proxy.port()), ("proxy.example", 3128));
/// assert_eq!(proxy.to_string(), "http://alice:***@proxy.example:3128");
/// assert!(!format!("{proxy:?}").contains("s3cret"));
/// assert!(ProxyUrl::parse("socks5://proxy.example:1080").is_err());
/// # Ok::<(), cloudflare_mtls::BuildError>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct ProxyUrl {
    host: String,
    port: u16,
    user: Option<String>,
    password: Option<String>,
}

impl ProxyUrl {
    /// Parses a proxy URL; the error never quotes it (it may hold a password).
    pub fn parse(text: &str) -> Result<Self, BuildError> {
        let invalid = |why: &str| Err(BuildError::InvalidProxy(why.to_owned()));
        let text = text.trim();
        let (scheme, rest) = text.split_once("://").unwrap_or(("http", text));
        if !scheme.eq_ignore_ascii_case("http") {
            let shown: String = scheme.chars().filter(char::is_ascii_alphanumeric).take(10).collect();
            return invalid(&format!("URL: only http:// proxies are supported, not {shown}://"));
        }
        let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
        let (userinfo, hostport) = match authority.rsplit_once('@') {
            Some((userinfo, hostport)) => (Some(userinfo), hostport),
            None => (None, authority),
        };
        let Ok(uri) = Uri::try_from(format!("http://{hostport}")) else {
            return invalid("URL: expected http://[user:password@]host[:port]");
        };
        let host = uri.host().unwrap_or_default().trim_start_matches('[').trim_end_matches(']');
        if host.is_empty() {
            return invalid("URL: it names no host");
        }
        let decode = |s: &str| percent_decode_str(s).decode_utf8().map(|c| c.into_owned());
        let (user, password) = match userinfo.map(|u| u.split_once(':').unwrap_or((u, ""))) {
            Some((user, password)) => match (decode(user), decode(password)) {
                (Ok(user), Ok(password)) => (Some(user), Some(password)),
                _ => return invalid("URL: its user name or password is not valid UTF-8 once percent-decoded"),
            },
            None => (None, None),
        };
        // Read here: `Uri` drops a port out of range rather than refuse it.
        let port = match hostport.rsplit_once(':') {
            Some((_, port)) if !port.contains(']') => match port.parse() {
                Ok(port) => port,
                Err(_) => return invalid("URL: its port is not a number from 0 to 65535"),
            },
            _ => 1080,
        };
        Ok(Self { host: host.to_owned(), port, user, password })
    }

    /// The proxy's host.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The proxy's port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `host:port`, for messages: never a credential.
    pub fn authority(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    /// Whether the URL carries credentials for the proxy.
    pub fn has_credentials(&self) -> bool {
        self.user.is_some()
    }

    /// The `Proxy-Authorization` value, for basic credentials.
    #[cfg(feature = "hyper")]
    pub(crate) fn basic_auth(&self) -> Option<String> {
        use base64::Engine as _;
        let user = self.user.as_deref()?;
        let pair = format!("{user}:{}", self.password.as_deref().unwrap_or_default());
        Some(format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(pair)))
    }

    /// The URL with its credentials, for a library that takes one (never shown).
    #[cfg(feature = "ureq")]
    pub(crate) fn with_credentials(&self) -> String {
        use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
        let encode = |s: &str| utf8_percent_encode(s, NON_ALPHANUMERIC).to_string();
        match &self.user {
            Some(user) => {
                let password = encode(self.password.as_deref().unwrap_or_default());
                format!("http://{}:{password}@{}", encode(user), self.authority())
            }
            None => format!("http://{}", self.authority()),
        }
    }
}

/// `http://user:***@host:port`.
impl std::fmt::Display for ProxyUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.user {
            Some(user) => write!(f, "http://{user}:***@{}", self.authority()),
            None => write!(f, "http://{}", self.authority()),
        }
    }
}

/// As `Display`: the password redacted.
impl std::fmt::Debug for ProxyUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ProxyUrl({self})")
    }
}

/// How a client finds its proxy.
///
/// From the environment, as curl and Go read it: `https_proxy` / `HTTPS_PROXY` for an
/// https API (`http_proxy` / `HTTP_PROXY` for http), then `all_proxy` / `ALL_PROXY`, lower case
/// first; `no_proxy` / `NO_PROXY` lists hosts to reach directly (`*`, a name and its
/// subdomains, `.name`, an IP address or CIDR block, any of them with `:port`). Loopback
/// hosts (`localhost`, `*.localhost`, 127.0.0.0/8, `::1`) are never proxied through the
/// environment, as Go's net/http decides. An explicit [`Proxy::Url`] applies to every host.
/// Both `http` and `https` APIs are reached through a `CONNECT` tunnel.
///
/// ```
/// use cloudflare_mtls::ureq::Proxy;
///
/// // The variables from somewhere else than the process's environment (a config file, a test):
/// let proxy = Proxy::from_lookup(|name| (name == "HTTPS_PROXY").then(|| "http://u:secret@proxy:3128".to_owned()));
/// assert!(!format!("{proxy:?}").contains("secret"));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Proxy {
    /// From the process's environment, read when the client is built (the default).
    #[default]
    FromEnv,
    /// From these variables instead of the process's environment; see
    /// [`from_lookup`](Self::from_lookup).
    Variables(ProxyVariables),
    /// No proxy, whatever the environment says.
    Off,
    /// This proxy, for every host (loopback included).
    Url(ProxyUrl),
}

/// The proxy variables a [`Proxy::Variables`] reads, by name. `Debug` shows the names only:
/// a value may hold a password.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct ProxyVariables(Vec<(&'static str, String)>);

impl std::fmt::Debug for ProxyVariables {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.0.iter().map(|(name, _)| name)).finish()
    }
}

/// Every variable a proxy decision reads.
const VARIABLES: [&str; 8] =
    ["https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY", "no_proxy", "NO_PROXY"];

impl Proxy {
    /// The proxy the variables `lookup` answers would choose (`HTTPS_PROXY`, `NO_PROXY`... as
    /// for [`FromEnv`](Self::FromEnv)), for variables kept elsewhere than the process's
    /// environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Self {
        Self::Variables(ProxyVariables(VARIABLES.iter().filter_map(|name| Some((*name, lookup(name)?))).collect()))
    }
}

impl Proxy {
    /// The proxy requests to `target` go through (`None`: direct), as a client built now
    /// would choose it: for [`FromEnv`](Self::FromEnv), the process's environment is read
    /// now. A variable that holds an unusable URL is an error that names it, so a program can
    /// report a bad `HTTPS_PROXY` before any call.
    ///
    /// ```
    /// use cloudflare_mtls::ureq::Proxy;
    ///
    /// let target: http::Uri = "https://api.cloudflare.com/client/v4".parse()?;
    /// let bad = Proxy::from_lookup(|name| (name == "HTTPS_PROXY").then(|| "ftp://proxy:21".to_owned()));
    /// assert!(bad.resolve(&target).unwrap_err().to_string().contains("HTTPS_PROXY"));
    /// let good = Proxy::from_lookup(|name| (name == "HTTPS_PROXY").then(|| "http://proxy:3128".to_owned()));
    /// assert_eq!(good.resolve(&target)?.map(|p| p.authority()), Some("proxy:3128".to_owned()));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn resolve(&self, target: &Uri) -> Result<Option<ProxyUrl>, BuildError> {
        choose(self, target, |name| std::env::var(name).ok())
    }
}

/// The proxy for requests to `target`, with the process's environment read through `env`.
pub(crate) fn choose(
    proxy: &Proxy,
    target: &Uri,
    env: impl Fn(&str) -> Option<String>,
) -> Result<Option<ProxyUrl>, BuildError> {
    match proxy {
        Proxy::Off => Ok(None),
        Proxy::Url(url) => Ok(Some(url.clone())),
        Proxy::FromEnv => from_variables(target, &env),
        Proxy::Variables(vars) => {
            from_variables(target, &|name| vars.0.iter().find(|(n, _)| *n == name).map(|(_, v)| v.clone()))
        }
    }
}

/// The proxy the variables choose for `target`.
fn from_variables(target: &Uri, env: &dyn Fn(&str) -> Option<String>) -> Result<Option<ProxyUrl>, BuildError> {
    let host = target.host().unwrap_or_default().trim_start_matches('[').trim_end_matches(']');
    let port = target.port_u16().unwrap_or(if target.scheme_str() == Some("http") { 80 } else { 443 });
    if is_loopback(host) {
        return Ok(None);
    }
    let first = |names: &[&'static str]| {
        names.iter().find_map(|name| env(name).filter(|v| !v.trim().is_empty()).map(|v| (*name, v)))
    };
    let names: &[&'static str] = match target.scheme_str() {
        Some("http") => &["http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"],
        _ => &["https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"],
    };
    let Some((name, value)) = first(names) else { return Ok(None) };
    if first(&["no_proxy", "NO_PROXY"]).is_some_and(|(_, list)| bypasses(&list, host, port)) {
        return Ok(None);
    }
    ProxyUrl::parse(&value).map(Some).map_err(|e| match e {
        BuildError::InvalidProxy(why) => BuildError::InvalidProxy(format!("in {name}: {why}")),
        other => other,
    })
}

/// `localhost`, `*.localhost`, or a loopback address.
fn is_loopback(host: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    host == "localhost" || host.ends_with(".localhost") || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Whether `NO_PROXY`'s `list` sends `host:port` direct.
fn bypasses(list: &str, host: &str, port: u16) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let ip = host.parse::<IpAddr>().ok();
    list.split([',', ' ', '\t']).map(str::trim).filter(|e| !e.is_empty()).any(|entry| {
        if entry == "*" {
            return true;
        }
        let (pattern, wanted_port) = split_port(entry);
        if wanted_port.is_some_and(|p| p != port) {
            return false;
        }
        let pattern =
            pattern.trim_start_matches("*.").trim_start_matches('.').trim_end_matches('.').to_ascii_lowercase();
        if let Some((net, bits)) = pattern.split_once('/') {
            return match (ip, net.parse::<IpAddr>(), bits.parse::<u32>()) {
                (Some(ip), Ok(net), Ok(bits)) => in_block(ip, net, bits),
                _ => false,
            };
        }
        match (ip, pattern.parse::<IpAddr>()) {
            (Some(ip), Ok(entry)) => ip == entry,
            (None, Err(_)) => host == pattern || host.ends_with(&format!(".{pattern}")),
            _ => false,
        }
    })
}

/// `name:port`, `1.2.3.4:port`, `[v6]:port`, or no port (a bare IPv6 address has colons
/// but no port).
fn split_port(entry: &str) -> (&str, Option<u16>) {
    if let Some(rest) = entry.strip_prefix('[') {
        return match rest.split_once(']') {
            Some((ip, tail)) => (ip, tail.strip_prefix(':').and_then(|p| p.parse().ok())),
            None => (entry, None),
        };
    }
    match entry.rsplit_once(':') {
        Some((name, port)) if !name.contains(':') => match port.parse() {
            Ok(port) => (name, Some(port)),
            Err(_) => (entry, None),
        },
        _ => (entry, None),
    }
}

/// Whether `ip` is in `net`/`bits`.
fn in_block(ip: IpAddr, net: IpAddr, bits: u32) -> bool {
    let (ip, net, width) = match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(b)) => (u128::from(a.to_bits()), u128::from(b.to_bits()), 32),
        (IpAddr::V6(a), IpAddr::V6(b)) => (a.to_bits(), b.to_bits(), 128),
        _ => return false,
    };
    if bits > width {
        return false;
    }
    let shift = width - bits;
    shift >= 128 || (ip >> shift) == (net >> shift)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| (*v).to_owned())
    }

    fn chosen(target: &'static str, pairs: &'static [(&'static str, &'static str)]) -> Option<String> {
        choose(&Proxy::FromEnv, &Uri::from_static(target), env(pairs)).unwrap().map(|p| p.authority())
    }

    const API: &str = "https://api.cloudflare.com/client/v4";

    #[test]
    fn parse() {
        let p = ProxyUrl::parse("http://user%40corp:p%3Ass@[::1]:3128/").unwrap();
        assert_eq!((p.host(), p.port(), p.authority()), ("::1", 3128, "[::1]:3128".to_owned()));
        assert_eq!(p.user.as_deref(), Some("user@corp"));
        assert_eq!(p.password.as_deref(), Some("p:ss"));
        assert_eq!(ProxyUrl::parse("proxy:8080").unwrap().authority(), "proxy:8080");
        assert_eq!(ProxyUrl::parse("HTTP://proxy").unwrap().port(), 1080);
        for bad in
            ["", "https://p:1", "socks5h://u:secret@p:1", "http://", "http://u:secret@", "http://p:99999", "http://p:"]
        {
            let e = ProxyUrl::parse(bad).unwrap_err();
            assert!(!e.to_string().contains("secret"), "{e}");
        }
    }

    #[test]
    fn environment() {
        assert_eq!(chosen(API, &[("HTTPS_PROXY", "http://p:1")]), Some("p:1".into()));
        assert_eq!(
            chosen(API, &[("https_proxy", "http://lower:1"), ("HTTPS_PROXY", "http://upper:1")]),
            Some("lower:1".into())
        );
        assert_eq!(chosen(API, &[("ALL_PROXY", "p:2")]), Some("p:2".into()));
        assert_eq!(chosen(API, &[("HTTP_PROXY", "http://p:1")]), None, "an http proxy variable is for http targets");
        assert_eq!(chosen("http://example.com:80/x", &[("HTTP_PROXY", "http://p:1")]), Some("p:1".into()));
        assert_eq!(chosen(API, &[("HTTPS_PROXY", "  ")]), None);
        let bad = choose(&Proxy::FromEnv, &Uri::from_static(API), env(&[("HTTPS_PROXY", "socks5://u:secret@p:1")]));
        let e = bad.unwrap_err().to_string();
        assert!(e.contains("HTTPS_PROXY") && !e.contains("secret"), "{e}");
    }

    #[test]
    fn loopback_is_never_proxied_through_the_environment() {
        const ALL: &[(&str, &str)] = &[("HTTPS_PROXY", "http://p:1"), ("HTTP_PROXY", "http://p:1")];
        for target in [
            "http://127.0.0.1:8799/x",
            "http://127.9.9.9:1/",
            "http://[::1]:8799/",
            "http://localhost:1/",
            "https://api.localhost/",
        ] {
            assert_eq!(chosen(target, ALL), None, "{target}");
        }
        let explicit = Proxy::Url(ProxyUrl::parse("p:1").unwrap());
        assert!(choose(&explicit, &Uri::from_static("http://127.0.0.1:1/"), env(&[])).unwrap().is_some());
        assert_eq!(choose(&Proxy::Off, &Uri::from_static(API), env(ALL)).unwrap(), None);
    }

    #[test]
    fn no_proxy_as_curl_reads_it() {
        let cases: &[(&str, &str, bool)] = &[
            ("*", API, true),
            ("cloudflare.com", API, true),
            (".cloudflare.com", API, true),
            ("*.cloudflare.com", API, true),
            ("api.cloudflare.com", API, true),
            ("flare.com", API, false),
            ("other.example, cloudflare.com", API, true),
            ("cloudflare.com:443", API, true),
            ("cloudflare.com:8443", API, false),
            ("API.CloudFlare.COM.", API, true),
            ("10.0.0.7", "https://10.0.0.7/x", true),
            ("10.0.0.0/8", "https://10.1.2.3/x", true),
            ("10.0.0.0/8", "https://11.1.2.3/x", false),
            ("10.0.0.7:8443", "https://10.0.0.7:8443/x", true),
            ("fd00::/8", "https://[fd12::1]/x", true),
            ("[fd12::1]:443", "https://[fd12::1]/x", true),
            ("fd12::1", "https://[fd12::1]/x", true),
            ("0.0.0.0/0", "https://8.8.8.8/x", true),
        ];
        for (list, target, direct) in cases {
            let uri = Uri::try_from(*target).unwrap();
            let host = uri.host().unwrap().trim_start_matches('[').trim_end_matches(']');
            assert_eq!(bypasses(list, host, uri.port_u16().unwrap_or(443)), *direct, "{list} / {target}");
        }
        assert_eq!(chosen(API, &[("HTTPS_PROXY", "p:1"), ("NO_PROXY", "cloudflare.com")]), None);
        assert_eq!(chosen(API, &[("HTTPS_PROXY", "p:1"), ("no_proxy", "other")]), Some("p:1".into()));
    }
}
