//! Hostnames, as the zone-level hostname associations take them: checked locally, so a
//! mistake is caught with a reason before anything is sent, and compared as DNS compares
//! names (ASCII case-insensitively).
//!
//! What is accepted, and why:
//!
//! - labels of 1 to 63 letters, digits and hyphens, not starting or ending with a hyphen
//!   (RFC 1123's host names), the whole name at most 253 characters;
//! - a leading `*.` wildcard (`*.example.com`), the only place a certificate's wildcard can
//!   stand; a `*` anywhere else is refused;
//! - punycode labels (`xn--bcher-kva.example`), as the DNS carries internationalised names;
//!   Unicode (`bücher.example`, any non-ASCII character) is refused with a hint to write it
//!   in punycode: the API
//!   documents no conversion, and a name converted silently would not be the one given;
//! - no trailing dot: `api.example.com.` is refused with a hint to drop it, rather than
//!   sent changed;
//! - no IP address (a last label of digits only), no scheme, path or port: each is refused
//!   with a reason that says what to give instead.
//!
//! A name is kept as given (its case included): the check never changes input.

use std::fmt;
use std::hash::{Hash, Hasher};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The longest name, in characters, without a trailing dot (RFC 1035: 255 octets on the
/// wire).
const MAX_HOSTNAME_LEN: usize = 253;
/// The longest label (RFC 1035).
const MAX_LABEL_LEN: usize = 63;

/// A DNS hostname (or `*.` wildcard) that may be associated with a CA. Equality and hashing
/// ignore ASCII case, as DNS does; `Display` and [`as_str`](Self::as_str) give the name as it
/// was written.
///
/// ```
/// use cloudflare_mtls::Hostname;
///
/// let api = Hostname::new("API.example.com")?;
/// assert_eq!(api, Hostname::new("api.example.com")?);
/// assert_eq!(api.as_str(), "API.example.com"); // kept as given
/// assert!(Hostname::new("*.example.com")?.is_wildcard());
///
/// let err = Hostname::new("bücher.example").unwrap_err().to_string();
/// assert!(err.contains("punycode"), "{err}");
/// let err = Hostname::new("https://api.example.com/").unwrap_err().to_string();
/// assert!(err.contains("without the scheme"), "{err}");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Hostname(String);

impl Hostname {
    /// Checks `value` as a hostname; the error says what is wrong and how to fix it, and
    /// keeps the input.
    pub fn new(value: impl Into<String>) -> Result<Self, HostnameError> {
        let value = value.into();
        match check(&value) {
            Ok(()) => Ok(Self(value)),
            Err(reason) => Err(HostnameError { value, reason }),
        }
    }

    /// The name as given.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The name as an owned string.
    pub fn into_string(self) -> String {
        self.0
    }

    /// Whether the name starts with the `*.` wildcard.
    pub fn is_wildcard(&self) -> bool {
        self.0.starts_with("*.")
    }

    /// Whether the name is `zone` or a name under it (`api.example.com` and `*.example.com`
    /// are within `example.com`; `badexample.com` is not), ignoring ASCII case.
    ///
    /// ```
    /// use cloudflare_mtls::Hostname;
    /// let zone = Hostname::new("example.com")?;
    /// assert!(Hostname::new("API.Example.com")?.is_within(&zone));
    /// assert!(Hostname::new("example.com")?.is_within(&zone));
    /// assert!(!Hostname::new("badexample.com")?.is_within(&zone));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_within(&self, zone: &Hostname) -> bool {
        let (name, zone) = (self.0.as_bytes(), zone.0.as_bytes());
        if name.eq_ignore_ascii_case(zone) {
            return true;
        }
        name.len() > zone.len()
            && name.get(name.len() - zone.len()..).is_some_and(|tail| tail.eq_ignore_ascii_case(zone))
            && name.get(name.len() - zone.len() - 1) == Some(&b'.')
    }
}

impl PartialEq for Hostname {
    fn eq(&self, other: &Self) -> bool {
        self.0.eq_ignore_ascii_case(&other.0)
    }
}

impl Eq for Hostname {}

impl Hash for Hostname {
    fn hash<H: Hasher>(&self, state: &mut H) {
        for b in self.0.bytes() {
            state.write_u8(b.to_ascii_lowercase());
        }
        state.write_u8(0xff);
    }
}

impl fmt::Display for Hostname {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Hostname {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Hostname({:?})", self.0)
    }
}

impl std::str::FromStr for Hostname {
    type Err = HostnameError;
    fn from_str(s: &str) -> Result<Self, HostnameError> {
        Self::new(s)
    }
}

impl TryFrom<&str> for Hostname {
    type Error = HostnameError;
    fn try_from(s: &str) -> Result<Self, HostnameError> {
        Self::new(s)
    }
}

impl TryFrom<String> for Hostname {
    type Error = HostnameError;
    fn try_from(s: String) -> Result<Self, HostnameError> {
        Self::new(s)
    }
}

impl AsRef<str> for Hostname {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl Serialize for Hostname {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Hostname {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Self::new(String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

/// A name that is not a hostname: the input, unchanged, and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct HostnameError {
    /// The rejected input, returned unchanged.
    pub value: String,
    /// What is wrong with it.
    pub reason: HostnameProblem,
}

impl fmt::Display for HostnameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid hostname {:?}: {}", self.value, self.reason)
    }
}

impl std::error::Error for HostnameError {}

/// What is wrong with a hostname; each says how to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum HostnameProblem {
    /// The name is empty.
    Empty,
    /// Longer than 253 characters.
    TooLong(usize),
    /// Ends with a dot (a fully qualified name).
    TrailingDot,
    /// Two dots in a row, or a dot first: a label is empty.
    EmptyLabel,
    /// A label longer than 63 characters.
    LabelTooLong {
        /// The label.
        label: String,
    },
    /// A label that starts or ends with a hyphen.
    Hyphen {
        /// The label.
        label: String,
    },
    /// An ASCII character outside letters, digits, hyphens and dots.
    Character(char),
    /// A character that is not ASCII: an internationalised name not written in punycode, or
    /// something pasted with the name.
    NonAscii(char),
    /// A `*` other than a whole first label followed by more labels.
    Wildcard,
    /// A URL (`https://...`, a path) rather than the name alone.
    Url,
    /// A `host:port` rather than the name alone.
    Port,
    /// An IP address (the last label is all digits), not a name.
    Address,
}

impl fmt::Display for HostnameProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("it is empty"),
            Self::TooLong(n) => write!(f, "it is {n} characters long; a hostname has at most {MAX_HOSTNAME_LEN}"),
            Self::TrailingDot => f.write_str("it ends with a dot; give the name without the trailing dot"),
            Self::EmptyLabel => f.write_str("it has an empty label (two dots in a row, or a dot first)"),
            Self::LabelTooLong { label } => {
                write!(f, "the label {label:?} is {} characters long; a label has at most 63", label.len())
            }
            Self::Hyphen { label } => write!(f, "the label {label:?} starts or ends with a hyphen"),
            Self::Character(c) => {
                write!(
                    f,
                    "{c:?} is not allowed (a hostname is letters, digits, hyphens and dots, with an optional leading '*.')"
                )
            }
            Self::NonAscii(c) => write!(
                f,
                "{c:?} is not ASCII; write an internationalised name in punycode (xn--...), as `idn2` prints it"
            ),
            Self::Wildcard => {
                f.write_str("a '*' is only accepted as the whole first label of a longer name, as in *.example.com")
            }
            Self::Url => f.write_str("give the hostname alone, without the scheme or path (api.example.com)"),
            Self::Port => f.write_str("give the hostname alone, without a port (api.example.com)"),
            Self::Address => f.write_str("an IP address is not a hostname; associate the hostname clients connect to"),
        }
    }
}

fn check(value: &str) -> Result<(), HostnameProblem> {
    if value.is_empty() {
        return Err(HostnameProblem::Empty);
    }
    // What a person pastes by mistake first: it says more than the character it trips on.
    if value.contains("://") || value.contains('/') {
        return Err(HostnameProblem::Url);
    }
    if let Some((_, port)) = value.rsplit_once(':')
        && !port.is_empty()
        && port.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(HostnameProblem::Port);
    }
    // Which non-ASCII characters are letters is a Unicode table a WASM module would carry:
    // each gets the punycode hint, which is what a letter needs.
    if let Some(c) = value.chars().find(|c| !c.is_ascii()) {
        return Err(HostnameProblem::NonAscii(c));
    }
    if value.ends_with('.') && !matches!(value, "." | "*.") && !value.ends_with("..") {
        return Err(HostnameProblem::TrailingDot);
    }
    if value.len() > MAX_HOSTNAME_LEN {
        return Err(HostnameProblem::TooLong(value.len()));
    }
    let rest = match value.strip_prefix("*.") {
        Some(rest) if !rest.is_empty() => rest,
        Some(_) => return Err(HostnameProblem::Wildcard),
        None => value,
    };
    for label in rest.split('.') {
        if label.is_empty() {
            return Err(HostnameProblem::EmptyLabel);
        }
        if label.contains('*') {
            return Err(HostnameProblem::Wildcard);
        }
        if let Some(c) = label.chars().find(|c| !(c.is_ascii_alphanumeric() || *c == '-')) {
            return Err(HostnameProblem::Character(c));
        }
        if label.len() > MAX_LABEL_LEN {
            return Err(HostnameProblem::LabelTooLong { label: label.to_owned() });
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err(HostnameProblem::Hyphen { label: label.to_owned() });
        }
    }
    // RFC 3696 §2: a top-level label is never all digits, so such a name is an address.
    if rest.rsplit('.').next().is_some_and(|last| last.bytes().all(|b| b.is_ascii_digit())) {
        return Err(HostnameProblem::Address);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_names_wildcards_and_punycode() {
        for ok in [
            "example.com",
            "api.example.com",
            "API.Example.COM",
            "*.example.com",
            "a-b.c-d.example",
            "xn--bcher-kva.example",
            "localhost",
            "1password.com",
            "a.b.c.d.e.f.g",
            &format!("{}.example", "a".repeat(63)),
        ] {
            assert_eq!(Hostname::new(ok).unwrap().as_str(), ok);
        }
        let long = format!("{}.{}.{}.{}", "a".repeat(63), "b".repeat(63), "c".repeat(63), "d".repeat(61));
        assert_eq!(long.len(), 253);
        Hostname::new(long).unwrap();
    }

    #[test]
    fn refuses_with_a_reason_and_keeps_the_input() {
        let cases: &[(&str, HostnameProblem, &str)] = &[
            ("", HostnameProblem::Empty, "empty"),
            ("api.example.com.", HostnameProblem::TrailingDot, "without the trailing dot"),
            ("api..example.com", HostnameProblem::EmptyLabel, "empty label"),
            (".example.com", HostnameProblem::EmptyLabel, "empty label"),
            (".", HostnameProblem::EmptyLabel, "empty label"),
            ("-api.example.com", HostnameProblem::Hyphen { label: "-api".into() }, "hyphen"),
            ("api-.example.com", HostnameProblem::Hyphen { label: "api-".into() }, "hyphen"),
            ("my_host.example.com", HostnameProblem::Character('_'), "letters, digits, hyphens"),
            ("a b.example.com", HostnameProblem::Character(' '), "letters, digits, hyphens"),
            ("bücher.example", HostnameProblem::NonAscii('ü'), "punycode"),
            ("api.example.com\u{200b}", HostnameProblem::NonAscii('\u{200b}'), "not ASCII"),
            ("api.*.example.com", HostnameProblem::Wildcard, "first label"),
            ("*api.example.com", HostnameProblem::Wildcard, "first label"),
            ("*", HostnameProblem::Wildcard, "first label"),
            ("*.", HostnameProblem::Wildcard, "first label"),
            ("https://api.example.com", HostnameProblem::Url, "without the scheme"),
            ("api.example.com/path", HostnameProblem::Url, "without the scheme"),
            ("api.example.com:443", HostnameProblem::Port, "without a port"),
            ("192.0.2.1", HostnameProblem::Address, "IP address"),
            ("[::1]", HostnameProblem::Character('['), "letters"),
        ];
        for (input, reason, says) in cases {
            let err = Hostname::new(*input).unwrap_err();
            assert_eq!(&err.value, input, "the rejected input is kept");
            assert_eq!(&err.reason, reason, "{input:?}");
            let text = err.to_string();
            assert!(text.contains(says) && text.contains(&format!("{input:?}")), "{input:?}: {text}");
        }
        let label = "a".repeat(64);
        let err = Hostname::new(format!("{label}.example")).unwrap_err();
        assert_eq!(err.reason, HostnameProblem::LabelTooLong { label });
        let err = Hostname::new(format!("{}.example", "a.".repeat(124))).unwrap_err();
        assert_eq!(err.reason, HostnameProblem::TooLong(256));
    }

    #[test]
    fn compared_and_hashed_ignoring_case() {
        use std::collections::HashSet;
        let a = Hostname::new("API.example.com").unwrap();
        let b = Hostname::new("api.EXAMPLE.com").unwrap();
        assert_eq!(a, b);
        assert_ne!(a, Hostname::new("api.example.org").unwrap());
        let set: HashSet<Hostname> = [a.clone(), b].into_iter().collect();
        assert_eq!(set.len(), 1);
        assert_eq!(a.to_string(), "API.example.com");
        assert_eq!(format!("{a:?}"), "Hostname(\"API.example.com\")");
        assert_eq!(AsRef::<str>::as_ref(&a), "API.example.com");
        let hash = |h: &Hostname| {
            let mut hasher = std::hash::DefaultHasher::new();
            h.hash(&mut hasher);
            hasher.finish()
        };
        assert_eq!(hash(&a), hash(&Hostname::new("api.example.COM").unwrap()), "the same name, any case");
        assert_ne!(hash(&a), hash(&Hostname::new("api.example.org").unwrap()));
        assert_eq!(a.into_string(), "API.example.com");
    }

    #[test]
    fn a_wildcard_is_told_apart() {
        assert!(Hostname::new("*.example.com").unwrap().is_wildcard());
        for plain in ["example.com", "api.example.com"] {
            assert!(!Hostname::new(plain).unwrap().is_wildcard(), "{plain}");
        }
    }

    #[test]
    fn within_a_zone() {
        let zone = Hostname::new("Example.com").unwrap();
        for inside in ["example.com", "api.example.com", "*.example.com", "a.b.EXAMPLE.COM"] {
            assert!(Hostname::new(inside).unwrap().is_within(&zone), "{inside}");
        }
        // `examplx.com`: as long as the zone's name, and not it.
        for outside in ["badexample.com", "example.org", "com", "example.com.evil.net", "examplx.com"] {
            assert!(!Hostname::new(outside).unwrap().is_within(&zone), "{outside}");
        }
    }

    #[test]
    fn deserialising_validates() {
        let ok: Hostname = serde_json::from_str("\"api.example.com\"").unwrap();
        assert_eq!(serde_json::to_string(&ok).unwrap(), "\"api.example.com\"");
        assert!(serde_json::from_str::<Hostname>("\"a..b\"").is_err());
    }
}
