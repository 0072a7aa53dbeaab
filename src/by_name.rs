//! Certificates by name: the one rule (exactly one certificate has that name) that the
//! library's `*_by_name` calls and `cf-mtls --name` share.

use crate::error::ByNameError;
use crate::id::CertificateId;
use crate::model::Certificate;

/// The one item of `listed` whose certificate is named exactly `name`, with its ID. `listed`
/// is what the API's `name` filter returned; the exact comparison is made here too, since a
/// server may filter loosely. None, several, or one without an ID is an error, never a guess.
///
/// ```
/// use cloudflare_mtls::{ByNameError, Certificate, by_name};
/// let listed: Vec<Certificate> = serde_json::from_str(r#"[{"id":"a1","name":"team-ca"},{"id":"b2","name":"Team-CA"}]"#)?;
/// let (id, cert) = by_name::exactly_one("team-ca", listed.clone())?;
/// assert_eq!((id.as_str(), cert.name.as_deref()), ("a1", Some("team-ca")));
/// assert!(matches!(by_name::exactly_one("other", listed), Err(ByNameError::NotFound { .. })));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn exactly_one<T: AsRef<Certificate>>(
    name: &str,
    listed: impl IntoIterator<Item = T>,
) -> Result<(CertificateId, T), ByNameError> {
    let mut named = listed.into_iter().filter(|item| item.as_ref().name.as_deref() == Some(name));
    let Some(first) = named.next() else {
        return Err(ByNameError::NotFound { name: name.to_owned() });
    };
    let rest: Vec<T> = named.collect();
    if !rest.is_empty() {
        let ids = std::iter::once(&first)
            .chain(&rest)
            .filter_map(|item| item.as_ref().id.as_ref().map(|id| id.as_str().to_owned()))
            .collect();
        return Err(ByNameError::Several { name: name.to_owned(), ids });
    }
    match first.as_ref().id.clone() {
        Some(id) => Ok((id, first)),
        None => Err(ByNameError::NoId { name: name.to_owned() }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cert(id: Option<&str>, name: &str) -> Certificate {
        Certificate {
            id: id.map(|id| CertificateId::new(id).unwrap()),
            name: Some(name.into()),
            ..Certificate::default()
        }
    }

    #[test]
    fn exactly_one_name_or_an_error_that_says_which() {
        let listed = vec![cert(Some("a"), "ca"), cert(Some("b"), "CA"), cert(Some("c"), "ca-2")];
        let (id, found) = exactly_one("ca", listed.clone()).unwrap();
        assert_eq!((id.as_str(), found.id.as_ref().map(CertificateId::as_str)), ("a", Some("a")));
        assert_eq!(exactly_one("CA", listed.clone()).unwrap().0.as_str(), "b");
        let none = exactly_one("c", listed.clone()).unwrap_err();
        assert_eq!(none, ByNameError::NotFound { name: "c".into() });
        assert!(none.to_string().contains("no certificate is named \"c\""), "{none}");

        let twice = vec![cert(Some("a"), "ca"), cert(Some("x"), "other"), cert(Some("b"), "ca")];
        let several = exactly_one("ca", twice).unwrap_err();
        assert_eq!(several.to_string(), "2 certificates are named \"ca\": a, b; use the ID of the one you mean");

        let no_id = exactly_one("ca", vec![cert(None, "ca")]).unwrap_err();
        assert_eq!(no_id, ByNameError::NoId { name: "ca".into() });
        assert_eq!(exactly_one("", Vec::<Certificate>::new()).unwrap_err(), ByNameError::NotFound { name: "".into() });
    }
}
