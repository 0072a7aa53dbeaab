//! Who is calling: the credential headers checked as the API checks them.

use http::{HeaderMap, StatusCode};

use super::reply;
use crate::message::ApiMessage;

/// The credentials the fake accepts.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Accepted {
    pub token: String,
    pub global_key: Option<(String, String)>,
}

impl std::fmt::Debug for Accepted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let email = self.global_key.as_ref().map(|(email, _)| email.as_str());
        f.debug_struct("Accepted").field("token", &"<redacted>").field("global_key_email", &email).finish()
    }
}

/// Characters of a well-formed credential (RFC 6750's `b64token`).
fn well_formed(value: &str) -> bool {
    !value.is_empty() && value.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~+/=".contains(&b))
}

impl Accepted {
    /// `Ok` when the headers carry accepted credentials; otherwise the API's answer.
    pub(crate) fn check(&self, headers: &HeaderMap) -> Result<(), Box<http::Response<Vec<u8>>>> {
        let text = |name: &str| headers.get(name).map(|v| v.to_str().ok());
        let invalid_headers =
            |chain| Box::new(reply::chained(StatusCode::BAD_REQUEST, 6003, "Invalid request headers", chain));

        if let Some(value) = text("authorization") {
            let token = value.and_then(|v| {
                let (scheme, token) = v.split_once(' ')?;
                scheme.eq_ignore_ascii_case("bearer").then_some(token).filter(|t| well_formed(t))
            });
            return match token {
                None => Err(invalid_headers(vec![ApiMessage::new(6111, "Invalid format for Authorization header")])),
                Some(t) if t == self.token => Ok(()),
                Some(_) => Err(Box::new(reply::error(StatusCode::FORBIDDEN, 10000, "Authentication error"))),
            };
        }

        let (email, key) = (text("x-auth-email"), text("x-auth-key"));
        if email.is_some() || key.is_some() {
            let email = email.flatten().filter(|e| e.contains('@') && !e.contains(char::is_whitespace));
            let key = key.flatten().filter(|k| well_formed(k));
            let mut chain = Vec::new();
            if email.is_none() {
                chain.push(ApiMessage::new(6102, "Invalid format for X-Auth-Email header"));
            }
            if key.is_none() {
                chain.push(ApiMessage::new(6103, "Invalid format for X-Auth-Key header"));
            }
            if !chain.is_empty() {
                return Err(invalid_headers(chain));
            }
            let matches =
                self.global_key.as_ref().is_some_and(|(e, k)| Some(e.as_str()) == email && Some(k.as_str()) == key);
            return if matches {
                Ok(())
            } else {
                Err(Box::new(reply::error(StatusCode::FORBIDDEN, 9103, "Unknown X-Auth-Key or X-Auth-Email")))
            };
        }

        if headers.contains_key("x-auth-user-service-key") {
            // The Origin CA key does not open the mTLS endpoints.
            return Err(Box::new(reply::error(StatusCode::FORBIDDEN, 10000, "Authentication error")));
        }
        Err(Box::new(reply::error(
            StatusCode::BAD_REQUEST,
            9106,
            "Missing X-Auth-Key, X-Auth-Email or Authorization headers",
        )))
    }
}
