//! The upload's deeper local checks (feature `x509-checks`, on by default): the
//! certificates parse as X.509, the `ca` flag agrees with the first certificate's
//! basicConstraints, and a private key belongs to that certificate.
//!
//! The `ca` rule follows intent, not only basicConstraints: a leaf upload (`ca: false`) of a
//! self-signed certificate with its private key is a self-signed client certificate, as
//! Cloudflare's Workers mTLS tutorial makes one (`openssl req -x509 ...`, which OpenSSL 3
//! marks `CA:TRUE`), and is accepted. Without the key, a `CA:TRUE` first certificate in a leaf
//! upload is most likely a forgotten `ca: true`, and is refused. Each saves a round trip
//! and an API error that would not say which file is wrong. Messages name blocks and lines,
//! never the content.
//!
//! The key check compares public keys: an RSA key's modulus and exponent; an EC key's
//! public point (SEC1 and PKCS#8 keys carry it, as OpenSSL writes them); an Ed25519 key's
//! public key, derived from its seed. A key that carries no public part and cannot be
//! derived from (an EC key written without it) is not checked.

use der::asn1::AnyRef;
use der::{Decode, Reader, SliceReader, Tag, Tagged};

use crate::error::BuildError;
use crate::pem_check::Block;

/// Object identifiers, as their DER contents.
const RSA: &[u8] = &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01];
const EC: &[u8] = &[0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01];
const ED25519: &[u8] = &[0x2B, 0x65, 0x70];
const BASIC_CONSTRAINTS: &[u8] = &[0x55, 0x1D, 0x13];

/// A public key, as bytes that compare equal exactly when the keys are the same.
#[derive(Debug, PartialEq, Eq)]
enum Public {
    /// Modulus and exponent, without leading zeros.
    Rsa(Vec<u8>, Vec<u8>),
    /// The encoded point (EC) or key (Ed25519): the SPKI's BIT STRING contents.
    Bits(Vec<u8>),
}

fn unsigned(bytes: &[u8]) -> Vec<u8> {
    let start = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    bytes.get(start..).unwrap_or_default().to_vec()
}

/// The elements of a constructed value, in order (DER: definite lengths, nothing left over).
fn items(value: &[u8]) -> Option<Vec<AnyRef<'_>>> {
    let mut reader = SliceReader::new(value).ok()?;
    let mut out = Vec::new();
    while !reader.is_finished() {
        out.push(AnyRef::decode(&mut reader).ok()?);
    }
    Some(out)
}

/// The elements of `any` when it is a SEQUENCE.
fn sequence<'a>(any: &AnyRef<'a>) -> Option<Vec<AnyRef<'a>>> {
    (any.tag() == Tag::Sequence).then(|| items(any.value())).flatten()
}

/// Whether `any` is the context-specific `[number]`, constructed (an EXPLICIT tag) or not.
fn is_context(any: &AnyRef<'_>, number: u32, constructed: bool) -> bool {
    matches!(any.tag(), Tag::ContextSpecific { constructed: c, number: n } if c == constructed && n.value() == number)
}

/// A BIT STRING's key bytes: its contents after the unused-bits count (which must be 0).
fn bits(any: &AnyRef<'_>) -> Option<Vec<u8>> {
    match any.value().split_first() {
        Some((0, key)) if any.tag() == Tag::BitString => Some(key.to_vec()),
        _ => None,
    }
}

/// What the checks need of the first certificate.
struct First {
    public: Public,
    /// Its basicConstraints make it a CA.
    ca: bool,
    /// Its issuer is its subject.
    self_signed: bool,
}

impl First {
    /// A self-signed certificate that comes with its key: uploaded as a leaf, it is a client
    /// certificate, whatever its basicConstraints (see the module docs).
    fn is_own_client_certificate(&self, with_key: bool) -> bool {
        with_key && self.self_signed
    }
}

/// The first certificate, described; every block must parse as X.509.
fn inspect(blocks: &[Block]) -> Result<First, BuildError> {
    let mut first = None;
    for (n, block) in blocks.iter().enumerate() {
        let not_x509 = || {
            BuildError::InvalidCertificates(format!(
                "PEM block {} (CERTIFICATE, line {}) is not an X.509 certificate",
                n + 1,
                block.line
            ))
        };
        let described = describe(&block.der).ok_or_else(not_x509)?;
        if first.is_none() {
            first = Some(described);
        }
    }
    first.ok_or_else(|| BuildError::InvalidCertificates("no -----BEGIN CERTIFICATE----- block found".into()))
}

/// An X.509 certificate (RFC 5280, section 4.1), read as far as its structure goes: every
/// field of `TBSCertificate` in order and of its type; `None` when it is not one.
fn describe(der: &[u8]) -> Option<First> {
    let certificate = AnyRef::from_der(der).ok()?;
    let [tbs, algorithm, signature] = sequence(&certificate)?.try_into().ok()?;
    sequence(&algorithm)?;
    bits(&signature)?;
    let mut fields = sequence(&tbs)?.into_iter().peekable();
    // [0] EXPLICIT version, absent for v1.
    fields.next_if(|f| is_context(f, 0, true));
    let mut next = |tag: Tag| fields.next().filter(|f| f.tag() == tag);
    let (_serial, _signature) = (next(Tag::Integer)?, next(Tag::Sequence)?);
    let issuer = next(Tag::Sequence)?;
    let validity = next(Tag::Sequence)?;
    let subject = next(Tag::Sequence)?;
    let spki = next(Tag::Sequence)?;
    let times = sequence(&validity)?;
    if times.len() != 2 || times.iter().any(|t| !matches!(t.tag(), Tag::UtcTime | Tag::GeneralizedTime)) {
        return None;
    }
    let public = spki_public(&spki)?;
    // [1] and [2] unique identifiers, then [3] EXPLICIT extensions, and nothing more.
    let mut ca = false;
    for field in fields {
        match field.tag() {
            Tag::ContextSpecific { number, .. } if matches!(number.value(), 1 | 2) => {}
            _ if is_context(&field, 3, true) => {
                let [extensions] = items(field.value())?.try_into().ok()?;
                for extension in sequence(&extensions)? {
                    ca |= basic_constraints_ca(&sequence(&extension)?)?;
                }
            }
            _ => return None,
        }
    }
    Some(First { public, ca, self_signed: issuer.value() == subject.value() })
}

/// Whether an extension (`extnID`, `critical`, `extnValue`) is basicConstraints with `cA`
/// set; `None` when it is not an extension.
fn basic_constraints_ca(extension: &[AnyRef<'_>]) -> Option<bool> {
    let (id, value) = match extension {
        [id, value] | [id, _, value] => (id, value),
        _ => return None,
    };
    if id.tag() != Tag::ObjectIdentifier || value.tag() != Tag::OctetString {
        return None;
    }
    if id.value() != BASIC_CONSTRAINTS {
        return Some(false);
    }
    // BasicConstraints ::= SEQUENCE { cA BOOLEAN DEFAULT FALSE, pathLenConstraint INTEGER OPTIONAL }
    let constraints = sequence(&AnyRef::from_der(value.value()).ok()?)?;
    Some(constraints.first().is_some_and(|ca| ca.tag() == Tag::Boolean && ca.value() == [0xFF]))
}

/// The public key of a SubjectPublicKeyInfo: RSA's modulus and exponent, or the key's bits.
fn spki_public(spki: &AnyRef<'_>) -> Option<Public> {
    let [algorithm, key] = sequence(spki)?.try_into().ok()?;
    let oid = sequence(&algorithm)?.into_iter().next().filter(|o| o.tag() == Tag::ObjectIdentifier)?;
    let key = bits(&key)?;
    if oid.value() == RSA {
        // RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER }
        let [modulus, exponent] = sequence(&AnyRef::from_der(&key).ok()?)?.try_into().ok()?;
        return Some(Public::Rsa(unsigned(modulus.value()), unsigned(exponent.value())));
    }
    Some(Public::Bits(key))
}

/// The public key a private key carries (or derives), `None` when it cannot be known here.
fn public_of_key(der: &[u8]) -> Option<Public> {
    let key = AnyRef::from_der(der).ok()?;
    let items = sequence(&key)?;
    match items.as_slice() {
        // PKCS#8: version, algorithm, privateKey OCTET STRING, [0] attributes, [1] publicKey.
        [_, algorithm, private, rest @ ..] if algorithm.tag() == Tag::Sequence => {
            let oid = sequence(algorithm)?.into_iter().next().filter(|o| o.tag() == Tag::ObjectIdentifier)?;
            let inner = private.value();
            match oid.value() {
                RSA => public_of_key(inner),
                EC => public_of_key(inner).or_else(|| tagged_bits(rest)),
                ED25519 => tagged_bits(rest).or_else(|| ed25519_public(inner)),
                _ => None,
            }
        }
        // PKCS#1 RSAPrivateKey: version, modulus, publicExponent, ...
        [_, modulus, exponent, _, ..] if modulus.tag() == Tag::Integer && exponent.tag() == Tag::Integer => {
            Some(Public::Rsa(unsigned(modulus.value()), unsigned(exponent.value())))
        }
        // SEC1 ECPrivateKey: version 1, privateKey, [0] parameters, [1] publicKey.
        [_, private, rest @ ..] if private.tag() == Tag::OctetString => tagged_bits(rest),
        _ => None,
    }
}

/// The public key in the context-specific `[1]` among `items`: EXPLICIT around a BIT STRING
/// (SEC1), or IMPLICIT, a BIT STRING's contents under the tag (PKCS#8 v2).
fn tagged_bits(items: &[AnyRef<'_>]) -> Option<Public> {
    let item = items.iter().find(|i| matches!(i.tag(), Tag::ContextSpecific { number, .. } if number.value() == 1))?;
    let key = match item.tag() {
        Tag::ContextSpecific { constructed: true, .. } => bits(&AnyRef::from_der(item.value()).ok()?)?,
        _ => item.value().split_first().filter(|(unused, _)| **unused == 0)?.1.to_vec(),
    };
    Some(Public::Bits(key))
}

/// An Ed25519 public key from the PKCS#8 `privateKey`: an OCTET STRING holding the seed.
fn ed25519_public(private: &[u8]) -> Option<Public> {
    let seed = AnyRef::from_der(private).ok().filter(|s| s.tag() == Tag::OctetString)?;
    let seed = ed25519_compact::Seed::from_slice(seed.value()).ok()?;
    Some(Public::Bits(ed25519_compact::KeyPair::from_seed(seed).pk.to_vec()))
}

/// The deeper checks of an upload whose PEM framing has passed.
pub(crate) fn check(blocks: &[Block], ca: bool, check_ca: bool, key: Option<&Block>) -> Result<(), BuildError> {
    let first = inspect(blocks)?;
    if let Some(key) = key
        && let Some(key_public) = public_of_key(&key.der)
        && key_public != first.public
    {
        return Err(BuildError::KeyMismatch);
    }
    let self_signed_client = !ca && first.is_own_client_certificate(key.is_some());
    if check_ca && ca != first.ca && !self_signed_client {
        return Err(BuildError::CaMismatch { declared_ca: ca });
    }
    Ok(())
}

/// The `ca` flag the checks expect of `certificates` (with its key or not); `None` when
/// they do not read as PEM certificates (the upload's checks then say why).
pub(crate) fn expected_ca(certificates: &str, with_key: bool) -> Option<bool> {
    let blocks = crate::pem_check::check_certificates(certificates).ok()?;
    let first = inspect(&blocks).ok()?;
    Some(first.ca && !first.is_own_client_certificate(with_key))
}

#[cfg(test)]
mod tests {
    use crate::{AccountId, BuildError, PrivateKey, Upload};

    const PAIRS: [(&str, &str, &str, bool); 5] = [
        (
            "RSA PKCS#1",
            include_str!("../tests/fixtures/ca-rsa2048.pem"),
            include_str!("../tests/fixtures/ca-rsa2048-key.pem"),
            true,
        ),
        (
            "RSA PKCS#8",
            include_str!("../tests/fixtures/openapi-example-ca.pem"),
            include_str!("../tests/fixtures/openapi-example-key.pem"),
            true,
        ),
        (
            "EC SEC1",
            include_str!("../tests/fixtures/leaf-p256.pem"),
            include_str!("../tests/fixtures/leaf-p256-key.pem"),
            false,
        ),
        (
            "EC PKCS#8",
            include_str!("../tests/fixtures/ca-p256.pem"),
            include_str!("../tests/fixtures/ca-p256-key.pem"),
            true,
        ),
        (
            "Ed25519",
            include_str!("../tests/fixtures/ca-ed25519.pem"),
            include_str!("../tests/fixtures/ca-ed25519-key.pem"),
            true,
        ),
    ];

    fn upload(cert: &str, ca: bool) -> Upload {
        let account = AccountId::new("acc").unwrap();
        if ca { Upload::ca(account, cert) } else { Upload::leaf(account, cert) }
    }

    #[test]
    fn every_key_matches_its_certificate_and_no_other() {
        for (kind, cert, key, ca) in PAIRS {
            upload(cert, ca)
                .with_private_key(PrivateKey::new(key))
                .validate()
                .unwrap_or_else(|e| panic!("{kind}: {e}"));
            for (other, _, other_key, _) in PAIRS.iter().filter(|p| p.0 != kind) {
                let err = upload(cert, ca).with_private_key(PrivateKey::new(*other_key)).validate().unwrap_err();
                assert_eq!(err, BuildError::KeyMismatch, "{kind} certificate with the {other} key");
            }
        }
        // A chain is checked against its first certificate (the leaf).
        let chain = include_str!("../tests/fixtures/chain-p256.pem");
        let leaf_key = PrivateKey::new(include_str!("../tests/fixtures/leaf-p256-key.pem"));
        upload(chain, false).with_private_key(leaf_key).validate().unwrap();
        let intermediate_key = PrivateKey::new(include_str!("../tests/fixtures/intermediate-p256-key.pem"));
        assert_eq!(upload(chain, false).with_private_key(intermediate_key).validate(), Err(BuildError::KeyMismatch));
    }

    #[test]
    fn the_ca_flag_must_agree_with_basic_constraints_unless_told_otherwise() {
        for (kind, cert, _, ca) in PAIRS {
            upload(cert, ca).validate().unwrap_or_else(|e| panic!("{kind}: {e}"));
            let wrong = upload(cert, !ca).validate().unwrap_err();
            assert_eq!(wrong, BuildError::CaMismatch { declared_ca: !ca }, "{kind}");
            assert!(wrong.to_string().contains("without_ca_check"), "{wrong}");
            upload(cert, !ca).without_ca_check().validate().unwrap();
        }
    }

    #[test]
    fn a_self_signed_client_certificate_with_its_key_is_a_leaf_whatever_its_constraints() {
        // Self-signed and `CA:TRUE`, as `openssl req -x509` makes them: with the key, a leaf.
        for (kind, cert, key, _) in PAIRS {
            upload(cert, false)
                .with_private_key(PrivateKey::new(key))
                .validate()
                .unwrap_or_else(|e| panic!("{kind}: {e}"));
        }
        // Without the key: most likely a forgotten `ca: true`; the message names both ways out.
        let err = upload(PAIRS[3].1, false).validate().unwrap_err();
        assert_eq!(err, BuildError::CaMismatch { declared_ca: false });
        let text = err.to_string();
        assert!(text.contains("Upload::ca") && text.contains("with_private_key"), "{text}");
        // A CA that is not self-signed (an intermediate) stays refused as a leaf, key or not.
        let intermediate = include_str!("../tests/fixtures/intermediate-p256.pem");
        let intermediate_key = PrivateKey::new(include_str!("../tests/fixtures/intermediate-p256-key.pem"));
        assert_eq!(
            upload(intermediate, false).with_private_key(intermediate_key).validate(),
            Err(BuildError::CaMismatch { declared_ca: false })
        );
        // `ca: true` for a `CA:FALSE` certificate stays refused, key or not.
        let leaf_key = PrivateKey::new(include_str!("../tests/fixtures/leaf-p256-key.pem"));
        assert_eq!(
            upload(PAIRS[2].1, true).with_private_key(leaf_key).validate(),
            Err(BuildError::CaMismatch { declared_ca: true })
        );
    }

    /// Hand-made DER, to try the structure checks on shapes no tool writes.
    mod shapes {
        use der::asn1::AnyRef;
        use der::{Decode, Encode};

        use super::super::{BASIC_CONSTRAINTS, EC, Public, describe, items, public_of_key, sequence, unsigned};

        /// A DER element with a one-byte tag.
        fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
            let len = content.len();
            let mut out = vec![tag];
            match len {
                0..0x80 => out.push(len as u8),
                0x80..0x100 => out.extend([0x81, len as u8]),
                _ => out.extend([0x82, (len >> 8) as u8, len as u8]),
            }
            out.extend_from_slice(content);
            out
        }

        /// The fixture CA (self-signed P-256, `CA:TRUE`) as DER: its TBSCertificate's fields
        /// (each whole: version, serial, signature, issuer, validity, subject, SPKI,
        /// extensions), and the certificate rebuilt from them and a signature of `sig_tag`.
        fn certificate(edit: impl FnOnce(&mut Vec<Vec<u8>>), sig_tag: u8) -> Vec<u8> {
            let pem = include_str!("../tests/fixtures/ca-p256.pem");
            let der = crate::pem_check::parse(pem).unwrap().remove(0).der;
            let [tbs, algorithm, signature] = sequence(&AnyRef::from_der(&der).unwrap()).unwrap().try_into().unwrap();
            let mut fields: Vec<Vec<u8>> = sequence(&tbs).unwrap().iter().map(|f| f.to_der().unwrap()).collect();
            assert_eq!(fields.len(), 8, "a v3 certificate with extensions");
            edit(&mut fields);
            let tbs = tlv(0x30, &fields.concat());
            tlv(0x30, &[tbs, algorithm.to_der().unwrap(), tlv(sig_tag, signature.value())].concat())
        }

        fn with_extensions(extensions: &[Vec<u8>]) -> Vec<u8> {
            certificate(|f| f[7] = tlv(0xA3, &tlv(0x30, &extensions.concat())), 0x03)
        }

        fn extension(id: &[u8], value_tag: u8, value: &[u8]) -> Vec<u8> {
            tlv(0x30, &[tlv(0x06, id), tlv(value_tag, value)].concat())
        }

        #[test]
        fn a_certificate_is_read_by_x509s_structure_and_no_other() {
            let ca = |der: Vec<u8>| describe(&der).map(|first| first.ca);
            assert_eq!(ca(certificate(|_| {}, 0x03)), Some(true), "rebuilt as it was");
            // The signature must be a BIT STRING, not an OCTET STRING with the same bytes.
            assert_eq!(ca(certificate(|_| {}, 0x04)), None);
            // Validity is two times: not three, not two of another type.
            let three = |f: &mut Vec<Vec<u8>>| {
                let validity = AnyRef::from_der(&f[4]).unwrap().value().to_vec();
                let first = items(&validity).unwrap()[0].to_der().unwrap();
                f[4] = tlv(0x30, &[validity, first].concat());
            };
            assert_eq!(ca(certificate(three, 0x03)), None);
            assert_eq!(ca(certificate(|f| f[4] = tlv(0x30, &[tlv(2, &[1]), tlv(2, &[2])].concat()), 0x03)), None);
            // The unique identifiers [1] and [2] may stand before the extensions...
            let unique = |f: &mut Vec<Vec<u8>>| f.insert(7, tlv(0x81, &[0, 0xAA]));
            assert_eq!(ca(certificate(unique, 0x03)), Some(true));
            // ... but nothing X.509 does not have: extensions under [4] are not extensions.
            let elsewhere = |f: &mut Vec<Vec<u8>>| f[7][0] = 0xA4;
            assert_eq!(ca(certificate(elsewhere, 0x03)), None);
        }

        #[test]
        fn basic_constraints_say_ca_only_with_ca_true() {
            let constraints = |content: &[u8]| {
                let der = with_extensions(&[extension(BASIC_CONSTRAINTS, 0x04, &tlv(0x30, content))]);
                describe(&der).map(|first| first.ca)
            };
            assert_eq!(constraints(&tlv(0x01, &[0xFF])), Some(true));
            // `cA FALSE` written out (BER's way; DER leaves the default out) is not a CA.
            assert_eq!(constraints(&tlv(0x01, &[0x00])), Some(false));
            assert_eq!(constraints(&[]), Some(false));
            assert_eq!(constraints(&tlv(0x02, &[3])), Some(false), "a pathLenConstraint alone");
            // An extension's value is an OCTET STRING, whatever the extension.
            let key_usage = [0x55, 0x1D, 0x0F];
            assert!(describe(&with_extensions(&[extension(&key_usage, 0x04, &tlv(0x03, &[7, 0x80]))])).is_some());
            assert!(describe(&with_extensions(&[extension(&key_usage, 0x03, &[7, 0x80])])).is_none());
            assert!(describe(&with_extensions(&[tlv(0x30, &[tlv(0x04, &[1]), tlv(0x04, &[])].concat())])).is_none());
        }

        #[test]
        fn a_key_of_no_known_shape_is_not_checked() {
            let int = |n: u8| tlv(0x02, &[n]);
            // Neither SEC1 (its second item is the private OCTET STRING) nor PKCS#1 (modulus
            // and exponent are INTEGERs).
            let not_sec1 = tlv(0x30, &[int(1), int(5), tlv(0xA1, &tlv(0x03, &[0, 0xAA]))].concat());
            assert_eq!(public_of_key(&not_sec1), None);
            let not_pkcs1 = tlv(0x30, &[int(0), int(5), tlv(0x04, b"x"), int(1)].concat());
            assert_eq!(public_of_key(&not_pkcs1), None);
            let pkcs1 = tlv(0x30, &[int(0), int(5), int(3), int(1)].concat());
            assert_eq!(public_of_key(&pkcs1), Some(Public::Rsa(vec![5], vec![3])));
        }

        #[test]
        fn a_pkcs8_v2_key_gives_its_public_key_under_an_implicit_tag() {
            // An EC key whose SEC1 part has no public key: PKCS#8 v2's `[1] IMPLICIT BIT
            // STRING` gives it; a BIT STRING with unused bits is not a key.
            let p256 = [0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07];
            let algorithm = tlv(0x30, &[tlv(0x06, EC), tlv(0x06, &p256)].concat());
            let sec1 = tlv(0x30, &[tlv(0x02, &[1]), tlv(0x04, &[0x11; 32])].concat());
            let key = |public: &[u8]| {
                let parts = [tlv(0x02, &[1]), algorithm.clone(), tlv(0x04, &sec1), tlv(0x81, public)];
                public_of_key(&tlv(0x30, &parts.concat()))
            };
            assert_eq!(key(&[0, 4, 0xAB, 0xCD]), Some(Public::Bits(vec![4, 0xAB, 0xCD])));
            assert_eq!(key(&[3, 4, 0xAB, 0xCD]), None);
        }

        #[test]
        fn integers_compare_without_their_leading_zeros() {
            // A modulus DER writes as `00 C3 ...` (positive) and BER may pad further.
            assert_eq!(unsigned(&[0, 0, 0xC3, 0]), [0xC3, 0]);
            assert_eq!(unsigned(&[1, 0, 1]), [1, 0, 1]);
            assert_eq!(unsigned(&[0, 0]), [0u8; 0]);
        }
    }

    #[test]
    fn a_block_that_is_not_x509_is_named() {
        let junk = "-----BEGIN CERTIFICATE-----\nAAECAwQFBgcICQ==\n-----END CERTIFICATE-----\n";
        let cert = PAIRS[0].1;
        let err = upload(&format!("{cert}{junk}"), true).validate().unwrap_err().to_string();
        assert!(err.contains("PEM block 2") && err.contains("not an X.509 certificate"), "{err}");
    }
}
