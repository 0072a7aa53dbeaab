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
        let email = HeaderValue::from_str(email).map_err(|_| BuildError::InvalidHeader { what: "email" })?;
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
    let mut value = HeaderValue::from_str(value).map_err(|_| BuildError::InvalidHeader { what })?;
    value.set_sensitive(true);
    Ok(value)
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
    }

    #[test]
    fn refused_header_is_a_build_error_without_the_value() {
        let err = Credentials::api_token("bad\ntoken-SECRET").unwrap_err();
        assert!(matches!(err, BuildError::InvalidHeader { what: "API token" }));
        assert!(!err.to_string().contains("SECRET"));
        assert!(matches!(Credentials::api_token(""), Err(BuildError::EmptyCredential { .. })));
        // Nothing is trimmed behind the caller's back: a stray newline is refused, not dropped.
        assert!(Credentials::api_token("tok\n").is_err());
        assert!(Credentials::global_key("a\u{7f}b", "k").is_err());
    }
}
