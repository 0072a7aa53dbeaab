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

use x509_parser::der_parser::ber::{BerObject, BerObjectContent};
use x509_parser::der_parser::der::parse_der;
use x509_parser::prelude::X509Certificate;
use x509_parser::public_key::PublicKey;

use crate::error::BuildError;
use crate::pem_check::Block;

const RSA: &str = "1.2.840.113549.1.1.1";
const EC: &str = "1.2.840.10045.2.1";
const ED25519: &str = "1.3.101.112";

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
        let (rest, cert) = x509_parser::parse_x509_certificate(&block.der).map_err(|_| not_x509())?;
        if !rest.is_empty() {
            return Err(not_x509());
        }
        if first.is_none() {
            first = Some(describe(&cert));
        }
    }
    first.ok_or_else(|| BuildError::InvalidCertificates("no -----BEGIN CERTIFICATE----- block found".into()))
}

fn describe(cert: &X509Certificate<'_>) -> First {
    let spki = cert.public_key();
    let public = match spki.parsed() {
        Ok(PublicKey::RSA(rsa)) => Public::Rsa(unsigned(rsa.modulus), unsigned(rsa.exponent)),
        _ => Public::Bits(spki.subject_public_key.data.to_vec()),
    };
    let ca = cert.basic_constraints().ok().flatten().is_some_and(|b| b.value.ca);
    First { public, ca, self_signed: cert.issuer().as_raw() == cert.subject().as_raw() }
}

/// The public key a private key carries (or derives), `None` when it cannot be known here.
fn public_of_key(der: &[u8]) -> Option<Public> {
    let (_, key) = parse_der(der).ok()?;
    let items = key.as_sequence().ok()?;
    match items.as_slice() {
        // PKCS#8: version, algorithm, privateKey OCTET STRING, [attributes], [publicKey].
        [_, algorithm, private, rest @ ..] if algorithm.as_sequence().is_ok() => {
            let oid = algorithm.as_sequence().ok()?.first()?.as_oid().ok()?.to_id_string();
            let inner = private.as_slice().ok()?;
            match oid.as_str() {
                RSA => public_of_key(inner),
                EC => public_of_key(inner).or_else(|| tagged_bits(rest, 1)),
                ED25519 => tagged_bits(rest, 1).or_else(|| ed25519_public(inner)),
                _ => None,
            }
        }
        // PKCS#1 RSAPrivateKey: version, modulus, publicExponent, ...
        [_, modulus, exponent, _, ..]
            if matches!(modulus.content, BerObjectContent::Integer(_))
                && matches!(exponent.content, BerObjectContent::Integer(_)) =>
        {
            Some(Public::Rsa(unsigned(modulus.as_slice().ok()?), unsigned(exponent.as_slice().ok()?)))
        }
        // SEC1 ECPrivateKey: version 1, privateKey, [0] parameters, [1] publicKey.
        [_, private, rest @ ..] if matches!(private.content, BerObjectContent::OctetString(_)) => tagged_bits(rest, 1),
        _ => None,
    }
}

/// The BIT STRING inside the context-specific `[tag]` among `items`.
fn tagged_bits(items: &[BerObject<'_>], tag: u32) -> Option<Public> {
    let item = items.iter().find(|i| i.header.tag().0 == tag && !i.header.is_universal())?;
    let inner = match &item.content {
        BerObjectContent::Tagged(_, _, inner) => inner.as_bitstring().ok()?.data.to_vec(),
        BerObjectContent::Unknown(any) => {
            let (_, bits) = parse_der(any.data).ok()?;
            bits.as_bitstring().ok()?.data.to_vec()
        }
        // An implicitly tagged BIT STRING (PKCS#8 v2): the unused-bits byte, then the key.
        _ => item.as_slice().ok()?.get(1..)?.to_vec(),
    };
    Some(Public::Bits(inner))
}

/// An Ed25519 public key from the PKCS#8 `privateKey`: an OCTET STRING holding the seed.
fn ed25519_public(private: &[u8]) -> Option<Public> {
    let (_, seed) = parse_der(private).ok()?;
    let seed = ed25519_compact::Seed::from_slice(seed.as_slice().ok()?).ok()?;
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

    #[test]
    fn a_block_that_is_not_x509_is_named() {
        let junk = "-----BEGIN CERTIFICATE-----\nAAECAwQFBgcICQ==\n-----END CERTIFICATE-----\n";
        let cert = PAIRS[0].1;
        let err = upload(&format!("{cert}{junk}"), true).validate().unwrap_err().to_string();
        assert!(err.contains("PEM block 2") && err.contains("not an X.509 certificate"), "{err}");
    }
}
