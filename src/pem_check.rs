//! Local checks on the PEM an upload carries, so a wrong file fails here, with a message that
//! says what to do, rather than at the API. Messages never quote a key's content.

use crate::error::BuildError;

const KEY_TAGS: &[&str] = &["PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY"];

fn begin_markers(text: &str) -> usize {
    text.matches("-----BEGIN ").count()
}

/// `certificates` must be one or more `CERTIFICATE` blocks, and nothing secret.
pub(crate) fn check_certificates(text: &str) -> Result<(), BuildError> {
    let invalid = |m: String| Err(BuildError::InvalidCertificates(m));
    let blocks = match pem::parse_many(text) {
        Ok(blocks) => blocks,
        Err(e) => return invalid(format!("malformed PEM: {e}")),
    };
    if let Some(key) = blocks.iter().find(|b| b.tag().ends_with("PRIVATE KEY")) {
        return invalid(format!(
            "the PEM holds a private key ({}); pass the key separately as `private_key`, never inside `certificates`",
            key.tag()
        ));
    }
    if blocks.len() < begin_markers(text) {
        return invalid(
            "a PEM block is truncated or malformed (a BEGIN line without its END line, or bad base64)".into(),
        );
    }
    if blocks.is_empty() {
        return invalid("no -----BEGIN CERTIFICATE----- block found".into());
    }
    if let Some(other) = blocks.iter().find(|b| b.tag() != "CERTIFICATE") {
        return invalid(format!("unexpected PEM block {:?}; only CERTIFICATE blocks belong here", other.tag()));
    }
    if blocks.iter().any(|b| b.contents().is_empty()) {
        return invalid("an empty CERTIFICATE block".into());
    }
    Ok(())
}

/// `private_key` must be exactly one unencrypted PEM private key.
pub(crate) fn check_private_key(text: &str) -> Result<(), BuildError> {
    let invalid = |m: &str| Err(BuildError::InvalidPrivateKey(m.into()));
    // The parser's own message may quote bytes of the key: it is not passed on.
    let Ok(blocks) = pem::parse_many(text) else {
        return invalid("it is not valid PEM");
    };
    match blocks.as_slice() {
        [] if begin_markers(text) > 0 => invalid("the PEM block is truncated or malformed"),
        [] => invalid("no -----BEGIN PRIVATE KEY----- block found"),
        [_] if begin_markers(text) > 1 => invalid("a second PEM block is truncated or malformed"),
        [one] if one.tag() == "ENCRYPTED PRIVATE KEY" => invalid("the key is encrypted; the API needs it decrypted"),
        [one] if KEY_TAGS.contains(&one.tag()) && !one.contents().is_empty() => Ok(()),
        [one] if one.tag() == "CERTIFICATE" => invalid("this is a certificate, not a private key"),
        [_] => invalid("the PEM block is not a private key (expected PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY)"),
        _ => invalid("more than one PEM block; give exactly one private key"),
    }
}
