//! One item of the API's `errors` and `messages`: what an error says, where, and why.

use serde::de::Deserializer;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

/// One item of the envelope's `errors` or `messages`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ApiMessage {
    /// The API's code (at least 1000; some exceed 65535, so it is 64 bits wide).
    #[serde(default)]
    pub code: i64,
    /// The human-readable text.
    #[serde(default)]
    pub message: String,
    /// A link to the documentation for this error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub documentation_url: Option<String>,
    /// Where in the request the problem is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<ErrorSource>,
    /// Nested causes (e.g. `6003` invalid request headers, caused by `6111` invalid
    /// Authorization header).
    #[serde(default, deserialize_with = "lenient_messages", skip_serializing_if = "Vec::is_empty")]
    pub error_chain: Vec<ApiMessage>,
}

impl ApiMessage {
    /// A message with a code and text, and nothing else.
    pub fn new(code: i64, message: impl Into<String>) -> Self {
        Self { code, message: message.into(), ..Self::default() }
    }
}

/// The `source` of an [`ApiMessage`].
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ErrorSource {
    /// A JSON pointer into the request body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pointer: Option<String>,
}

impl std::fmt::Display for ApiMessage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.code, self.message)?;
        if let Some(p) = self.source.as_ref().and_then(|s| s.pointer.as_deref()) {
            write!(f, " (at {p})")?;
        }
        for cause in &self.error_chain {
            write!(f, ", caused by {cause}")?;
        }
        Ok(())
    }
}

/// `errors`, `messages` and `error_chain`: `null` is empty, and an item that does not fit
/// [`ApiMessage`] (a code as a string, a code past 64 bits, a new shape) is kept with code 0
/// and its JSON text as the message, so it neither hides an API error nor fails a success.
pub(crate) fn lenient_messages<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<ApiMessage>, D::Error> {
    Ok(Option::<Vec<Box<RawValue>>>::deserialize(d)?
        .unwrap_or_default()
        .into_iter()
        .map(|item| serde_json::from_str(item.get()).unwrap_or_else(|_| ApiMessage::new(0, item.get())))
        .collect())
}
