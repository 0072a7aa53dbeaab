//! How a request proves who sends it: API token, global key + email, or user service key.

use http::{HeaderMap, HeaderName, HeaderValue};

use crate::error::BuildError;

/// Credentials for the Cloudflare API.
///
/// The secret is turned into its header value once, when the credentials are made, and
/// that value is marked sensitive. `Debug` never shows it.
///
/// ```
/// use cloudflare_mtls::Credentials;
/// let creds = Credentials::api_token("secret-token")?;
/// assert!(!format!("{creds:?}").contains("secret-token"));
/// # Ok::<(), cloudflare_mtls::BuildError>(())
/// ```
#[derive(Clone)]
pub struct Credentials {
    kind: Kind,
    headers: Vec<(HeaderName, HeaderValue)>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    ApiToken,
    GlobalKey,
    UserServiceKey,
}

const X_AUTH_EMAIL: HeaderName = HeaderName::from_static("x-auth-email");
const X_AUTH_KEY: HeaderName = HeaderName::from_static("x-auth-key");
const X_AUTH_USER_SERVICE_KEY: HeaderName = HeaderName::from_static("x-auth-user-service-key");

impl Credentials {
    /// An API token, sent as `Authorization: Bearer <token>` (Cloudflare's preferred way).
    pub fn api_token(token: &str) -> Result<Self, BuildError> {
        let value = secret_header("API token", &format!("Bearer {token}"))?;
        Ok(Self { kind: Kind::ApiToken, headers: vec![(http::header::AUTHORIZATION, value)] })
    }

    /// A global API key and the account's email, sent as `X-Auth-Key` and `X-Auth-Email`.
    pub fn global_key(email: &str, key: &str) -> Result<Self, BuildError> {
        let email = ascii_header("email", email, false)?;
        let key = secret_header("API key", key)?;
        Ok(Self { kind: Kind::GlobalKey, headers: vec![(X_AUTH_EMAIL, email), (X_AUTH_KEY, key)] })
    }

    /// A user service key (the Origin CA key), sent as `X-Auth-User-Service-Key`.
    pub fn user_service_key(key: &str) -> Result<Self, BuildError> {
        let value = secret_header("user service key", key)?;
        Ok(Self { kind: Kind::UserServiceKey, headers: vec![(X_AUTH_USER_SERVICE_KEY, value)] })
    }

    /// Adds the authentication headers to `headers`.
    pub(crate) fn apply(&self, headers: &mut HeaderMap) {
        for (name, value) in &self.headers {
            headers.insert(name.clone(), value.clone());
        }
    }
}

fn secret_header(what: &'static str, value: &str) -> Result<HeaderValue, BuildError> {
    if value.is_empty() || value == "Bearer " {
        return Err(BuildError::EmptyCredential { what });
    }
    // The secret alone is checked (not "Bearer "), so the position is within it.
    let secret = value.strip_prefix("Bearer ").filter(|_| what == "API token").unwrap_or(value);
    ascii_only(what, secret, false)?;
    let mut value = header_value(what, value)?;
    value.set_sensitive(true);
    Ok(value)
}

/// `value` as a header value, if it is visible ASCII (and, with `spaces`, spaces): what
/// every transport can send as text. The `http` crate alone would take bytes past ASCII,
/// which a transport then refuses in its own words, after the call has begun.
pub(crate) fn ascii_header(what: &'static str, value: &str, spaces: bool) -> Result<HeaderValue, BuildError> {
    ascii_only(what, value, spaces)?;
    header_value(what, value)
}

fn ascii_only(what: &'static str, value: &str, spaces: bool) -> Result<(), BuildError> {
    let bad = value.chars().enumerate().find_map(|(n, c)| {
        let found = match c {
            '!'..='~' => return None,
            ' ' if spaces => return None,
            ' ' => "a space",
            c if c.is_ascii() => "a control character",
            _ => "a non-ASCII character",
        };
        Some(BuildError::InvalidHeader { what, found, position: n + 1 })
    });
    bad.map_or(Ok(()), Err)
}

fn header_value(what: &'static str, value: &str) -> Result<HeaderValue, BuildError> {
    // Unreachable once `ascii_only` passed; kept as the error rather than a panic.
    HeaderValue::from_str(value).map_err(|_| BuildError::InvalidHeader {
        what,
        found: "a control character",
        position: 1,
    })
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut d = f.debug_struct("Credentials");
        d.field("kind", &self.kind);
        if self.kind == Kind::GlobalKey {
            // The email is not a secret, and it helps to see which account is in use.
            if let Some((_, email)) = self.headers.iter().find(|(n, _)| n == X_AUTH_EMAIL) {
                d.field("email", email);
            }
        }
        d.field("secret", &"<redacted>").finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(c: &Credentials) -> HeaderMap {
        let mut h = HeaderMap::new();
        c.apply(&mut h);
        h
    }

    #[test]
    fn token_is_bearer_and_sensitive() {
        let c = Credentials::api_token("abc123").unwrap();
        let h = headers(&c);
        assert_eq!(h["authorization"], "Bearer abc123");
        assert!(h["authorization"].is_sensitive());
        assert_eq!(h.len(), 1);
    }

    #[test]
    fn global_key_sends_both_headers() {
        let c = Credentials::global_key("me@example.com", "k3y").unwrap();
        let h = headers(&c);
        assert_eq!(h["x-auth-email"], "me@example.com");
        assert_eq!(h["x-auth-key"], "k3y");
        assert!(h["x-auth-key"].is_sensitive());
    }

    #[test]
    fn service_key_header() {
        let h = headers(&Credentials::user_service_key("v1.0-xyz").unwrap());
        assert_eq!(h["x-auth-user-service-key"], "v1.0-xyz");
    }

    #[test]
    fn debug_never_shows_the_secret() {
        for c in [
            Credentials::api_token("tok-SECRET").unwrap(),
            Credentials::global_key("me@example.com", "key-SECRET").unwrap(),
            Credentials::user_service_key("svc-SECRET").unwrap(),
        ] {
            let shown = format!("{c:?} {c:#?}");
            assert!(!shown.contains("SECRET"), "{shown}");
            assert!(shown.contains("redacted"));
        }
        // The email of a global key is shown (it says which account is in use), and only
        // with a global key: the search for it must not land on another header, such as the key.
        let global = Credentials::global_key("me@example.com", "key-SECRET").unwrap();
        let shown = format!("{global:?}");
        assert!(shown.contains(r#"email: "me@example.com""#), "{shown}");
        assert!(!format!("{:?}", Credentials::api_token("tok-SECRET").unwrap()).contains("email"));
    }

    #[test]
    fn refused_header_is_a_build_error_without_the_value() {
        let err = Credentials::api_token("bad\ntoken-SECRET").unwrap_err();
        assert!(matches!(
            err,
            BuildError::InvalidHeader { what: "API token", found: "a control character", position: 4 }
        ));
        assert!(!err.to_string().contains("SECRET"));
        assert!(matches!(Credentials::api_token(""), Err(BuildError::EmptyCredential { .. })));
        // Nothing is trimmed behind the caller's back: a stray newline is refused, not dropped.
        assert!(Credentials::api_token("tok\n").is_err());
        assert!(Credentials::global_key("a\u{7f}b", "k").is_err());
    }

    #[test]
    fn a_credential_is_visible_ascii_and_the_error_says_what_was_wrong() {
        for (secret, found, position) in [
            ("t\u{f6}k-SECRET", "a non-ASCII character", 2),
            ("tok SECRET", "a space", 4),
            ("tok\tSECRET", "a control character", 4),
            ("SECRET\u{a0}", "a non-ASCII character", 7),
        ] {
            for err in [
                Credentials::api_token(secret).unwrap_err(),
                Credentials::global_key("me@example.com", secret).unwrap_err(),
                Credentials::user_service_key(secret).unwrap_err(),
            ] {
                let BuildError::InvalidHeader { found: f, position: p, .. } = &err else { panic!("{err:?}") };
                assert_eq!((*f, *p), (found, position), "{secret:?}");
                let text = err.to_string();
                assert!(text.contains(found) && text.contains("visible ASCII"), "{text}");
                assert!(!text.contains("SECRET") && !text.contains('\u{f6}'), "{text}");
            }
        }
        assert!(matches!(
            Credentials::global_key("m\u{e9}@example.com", "k"),
            Err(BuildError::InvalidHeader { what: "email", position: 2, .. })
        ));
        // Every visible ASCII character is taken.
        let all: String = ('!'..='~').collect();
        assert!(Credentials::api_token(&all).is_ok());
    }
}
