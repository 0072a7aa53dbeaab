//! Reads an uploaded PEM chain as the API does: real X.509, described in the API's words.
//!
//! The API is written in Go and its strings are Go's: the issuer is `pkix.Name.String()`
//! (RFC 2253 order, most specific first, no spaces after commas) and the signature is
//! `x509.SignatureAlgorithm.String()` (`SHA256WithRSA`, `ECDSAWithSHA256`...).

use pem::{EncodeConfig, LineEnding};
use time::OffsetDateTime;
use x509_parser::asn1_rs::Tag;
use x509_parser::prelude::{X509Certificate, X509Name};
use x509_parser::signature_algorithm::SignatureAlgorithm;
use x509_parser::x509::AttributeTypeAndValue;

use crate::error::BuildError;
use crate::pem_check::check_certificates;

/// What the API keeps of an uploaded chain (its first certificate describes it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ParsedChain {
    /// The chain re-encoded: LF line endings, 64 columns, nothing between blocks.
    pub pem: String,
    /// The first certificate's issuer, as Go prints a `pkix.Name`.
    pub issuer: String,
    /// The first certificate's serial number in decimal.
    pub serial_number: String,
    /// The first certificate's signature algorithm, as Go names it.
    pub signature: String,
    /// The first certificate's `notAfter`.
    pub expires_on: OffsetDateTime,
}

/// Parses every block of `text` as an X.509 certificate. The error is a sentence for the
/// API's message; it never quotes key material.
pub(crate) fn parse_chain(text: &str) -> Result<ParsedChain, String> {
    // The core's local check says what is wrong with the PEM framing, a key included, and
    // never quotes the text; only its message is wanted here.
    let blocks = check_certificates(text).map_err(|e| match e {
        BuildError::InvalidCertificates(m) => m,
        other => other.to_string(),
    })?;
    let mut first = None;
    for (n, block) in blocks.iter().enumerate() {
        // x509-parser's own error is not passed on: it is not needed to say what is wrong.
        let (rest, cert) = x509_parser::parse_x509_certificate(&block.der)
            .map_err(|_| format!("PEM block {} (line {}) is not an X.509 certificate", n + 1, block.line))?;
        if !rest.is_empty() {
            return Err(format!(
                "PEM block {} (line {}) has {} bytes after the certificate",
                n + 1,
                block.line,
                rest.len()
            ));
        }
        if first.is_none() {
            first = Some(describe(&cert));
        }
    }
    let (issuer, serial_number, signature, expires_on) =
        first.ok_or_else(|| "no -----BEGIN CERTIFICATE----- block found".to_string())?;
    let config = EncodeConfig::new().set_line_ending(LineEnding::LF);
    let pem: String = blocks.into_iter().map(|b| pem::encode_config(&pem::Pem::new(b.label, b.der), config)).collect();
    Ok(ParsedChain { pem, issuer, serial_number, signature, expires_on })
}

fn describe(cert: &X509Certificate<'_>) -> (String, String, String, OffsetDateTime) {
    (
        go_name(cert.issuer()),
        cert.tbs_certificate.serial.to_string(),
        go_signature(cert),
        cert.validity().not_after.to_datetime(),
    )
}

/// The attribute types Go's `pkix.Name` parses into fields, in the order
/// `Name.ToRDNSequence` emits them, with the labels `RDNSequence.String` prints.
const GO_FIELDS: [(&str, &str); 9] = [
    ("2.5.4.6", "C"),
    ("2.5.4.8", "ST"),
    ("2.5.4.7", "L"),
    ("2.5.4.9", "STREET"),
    ("2.5.4.17", "POSTALCODE"),
    ("2.5.4.10", "O"),
    ("2.5.4.11", "OU"),
    ("2.5.4.3", "CN"),
    ("2.5.4.5", "SERIALNUMBER"),
];

/// `pkix.Name.String()` of a parsed name: other attributes first (as `OID=#hex-DER`),
/// then the named fields in Go's fixed order, the whole sequence printed last to first.
/// Several values of one field share an RDN (`OU=a+OU=b`); CN and SERIALNUMBER keep the
/// last value, as Go's struct does.
fn go_name(name: &X509Name<'_>) -> String {
    let mut rdns: Vec<Vec<String>> = Vec::new();
    let mut fields: Vec<Vec<&str>> = vec![Vec::new(); GO_FIELDS.len()];
    for attr in name.iter_attributes() {
        let oid = attr.attr_type().to_id_string();
        match GO_FIELDS.iter().position(|(o, _)| *o == oid) {
            Some(i) => {
                if let (Some(values), Some(value)) = (fields.get_mut(i), text_value(attr)) {
                    if matches!(oid.as_str(), "2.5.4.3" | "2.5.4.5") {
                        values.clear();
                    }
                    values.push(value);
                }
            }
            None => rdns.push(vec![format!("{oid}=#{}", hex(&go_der(attr)))]),
        }
    }
    for ((_, label), values) in GO_FIELDS.iter().zip(&fields) {
        let values: Vec<_> =
            values.iter().filter(|v| !(matches!(*label, "CN" | "SERIALNUMBER") && v.is_empty())).collect();
        if !values.is_empty() {
            rdns.push(values.iter().map(|v| format!("{label}={}", go_escape(v))).collect());
        }
    }
    rdns.iter().rev().map(|rdn| rdn.join("+")).collect::<Vec<_>>().join(",")
}

/// The value of a string-typed attribute (what Go's ASN.1 decoder turns into a `string`).
fn text_value<'a>(attr: &AttributeTypeAndValue<'a>) -> Option<&'a str> {
    attr.as_str().ok()
}

/// RFC 2253 escaping as Go does it.
fn go_escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let last = value.len().saturating_sub(1);
    for (k, c) in value.char_indices() {
        let escape = match c {
            ',' | '+' | '"' | '\\' | '<' | '>' | ';' => true,
            ' ' => k == 0 || k == last,
            '#' => k == 0,
            _ => false,
        };
        if escape {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The DER Go re-marshals an unnamed attribute's value to: a string becomes a
/// PrintableString when every character allows it, else a UTF8String; anything else is
/// written back with its own tag.
fn go_der(attr: &AttributeTypeAndValue<'_>) -> Vec<u8> {
    let (tag, content): (u8, &[u8]) = match text_value(attr) {
        Some(s) if s.bytes().all(go_printable) => (0x13, s.as_bytes()),
        Some(s) => (0x0c, s.as_bytes()),
        None => {
            let any = attr.attr_value();
            let Tag(t) = any.tag();
            let constructed = if any.header.is_constructed() { 0x20 } else { 0 };
            // Names hold universal types with one-byte tags; a longer tag is not kept.
            let tag = u8::try_from(t).ok().filter(|t| *t < 0x1f).unwrap_or(0x1e);
            (tag | constructed, any.data)
        }
    };
    tlv(tag, content)
}

/// `tag`, the DER length of `content` (short form below 128, else long form), `content`.
fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut der = vec![tag];
    let len = content.len();
    if len < 0x80 {
        der.extend(u8::try_from(len));
    } else {
        let bytes: Vec<u8> = len.to_be_bytes().into_iter().skip_while(|b| *b == 0).collect();
        der.extend(u8::try_from(bytes.len()).map(|n| 0x80 | n));
        der.extend(bytes);
    }
    der.extend_from_slice(content);
    der
}

/// Go's `isPrintable` for marshalling (no `*`, no `&`).
fn go_printable(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b" '()+,-./:=?".contains(&b)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Go's `x509.SignatureAlgorithm.String()`; an algorithm Go does not name is given as its OID.
fn go_signature(cert: &X509Certificate<'_>) -> String {
    let oid = cert.signature_algorithm.algorithm.to_id_string();
    let name = match oid.as_str() {
        "1.2.840.113549.1.1.2" => "MD2WithRSA",
        "1.2.840.113549.1.1.4" => "MD5WithRSA",
        "1.2.840.113549.1.1.5" | "1.3.14.3.2.29" => "SHA1WithRSA",
        "1.2.840.113549.1.1.11" => "SHA256WithRSA",
        "1.2.840.113549.1.1.12" => "SHA384WithRSA",
        "1.2.840.113549.1.1.13" => "SHA512WithRSA",
        "1.2.840.10040.4.3" => "DSAWithSHA1",
        "2.16.840.1.101.3.4.3.2" => "DSAWithSHA256",
        "1.2.840.10045.4.1" => "ECDSAWithSHA1",
        "1.2.840.10045.4.3.2" => "ECDSAWithSHA256",
        "1.2.840.10045.4.3.3" => "ECDSAWithSHA384",
        "1.2.840.10045.4.3.4" => "ECDSAWithSHA512",
        "1.3.101.112" => "Ed25519",
        "1.2.840.113549.1.1.10" => match SignatureAlgorithm::try_from(&cert.signature_algorithm) {
            Ok(SignatureAlgorithm::RSASSA_PSS(params)) => match params.hash_algorithm_oid().to_id_string().as_str() {
                "2.16.840.1.101.3.4.2.1" => "SHA256WithRSAPSS",
                "2.16.840.1.101.3.4.2.2" => "SHA384WithRSAPSS",
                "2.16.840.1.101.3.4.2.3" => "SHA512WithRSAPSS",
                _ => return oid,
            },
            _ => return oid,
        },
        _ => return oid,
    };
    name.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_fixtures::{CA_PEM, KEY_PEM};

    #[test]
    fn the_openapi_example_reads_as_the_api_shows_it() {
        let parsed = parse_chain(CA_PEM).unwrap();
        assert_eq!(parsed.issuer, "O=Example Inc.,L=California,ST=San Francisco,C=US");
        assert_eq!(parsed.serial_number, "235217144297995885180570755458463043449861756659");
        assert_eq!(parsed.signature, "SHA256WithRSA");
        assert_eq!(parsed.expires_on, time::macros::datetime!(2122-10-29 16:59:47 UTC));
        assert_eq!(parsed.pem, CA_PEM.replace("\r\n", "\n"));
    }

    #[test]
    fn a_key_is_not_a_certificate() {
        let err = parse_chain(KEY_PEM).unwrap_err();
        assert!(err.contains("private key"), "{err}");
        assert!(!err.contains("MII"), "{err}");
    }

    #[test]
    fn escaping_follows_go() {
        assert_eq!(go_escape(" a,b+c#"), "\\ a\\,b\\+c#");
        assert_eq!(go_escape("#x "), "\\#x\\ ");
        assert_eq!(go_escape(""), "");
    }

    #[test]
    fn der_length_forms() {
        // Short form below 128; long form (0x80 | count, then big-endian bytes) from 128.
        for (len, head) in [
            (0, &[0x0c, 0x00][..]),
            (0x7f, &[0x0c, 0x7f]),
            (0x80, &[0x0c, 0x81, 0x80]),
            (0xff, &[0x0c, 0x81, 0xff]),
            (0x100, &[0x0c, 0x82, 0x01, 0x00]),
            (0x1_0000, &[0x0c, 0x83, 0x01, 0x00, 0x00]),
        ] {
            let content = vec![b'a'; len];
            let der = tlv(0x0c, &content);
            assert_eq!(&der[..head.len()], head, "length {len}");
            assert_eq!(der.len(), head.len() + len, "length {len}");
            // And a DER parser reads it back whole.
            let (rest, parsed) = x509_parser::der_parser::der::parse_der(&der).unwrap();
            assert!(rest.is_empty());
            assert_eq!(parsed.as_slice().unwrap(), &content[..], "length {len}");
        }
        assert_eq!(hex(&[0x0c, 0x01]), "0c01");
        assert!(go_printable(b'A') && go_printable(b'?') && !go_printable(b'@') && !go_printable(b'*'));
    }
}
