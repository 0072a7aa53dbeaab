//! Local checks on the PEM an upload carries, so a wrong file fails here, with a message that
//! says what to do, rather than at the API.
//!
//! Every message is made of fixed words, numbers (block, line) and labels from a known list:
//! never of the input's own text. A certificates file can hold a private key, and a PEM
//! parser's error quotes the line it choked on, which for a SEC1 EC key is the private
//! scalar; so the parser's errors are never passed on. The library, the CLI and the fake all
//! check through this one module.

use crate::error::BuildError;

/// The labels a message may name. Any other label is shown as "an unknown label": a label is
/// input too.
const KNOWN_LABELS: &[&str] = &[
    "CERTIFICATE",
    "TRUSTED CERTIFICATE",
    "X509 CERTIFICATE",
    "CERTIFICATE REQUEST",
    "NEW CERTIFICATE REQUEST",
    "X509 CRL",
    "PKCS7",
    "CMS",
    "PUBLIC KEY",
    "RSA PUBLIC KEY",
    "PRIVATE KEY",
    "RSA PRIVATE KEY",
    "EC PRIVATE KEY",
    "DSA PRIVATE KEY",
    "OPENSSH PRIVATE KEY",
    "ENCRYPTED PRIVATE KEY",
    "EC PARAMETERS",
    "DH PARAMETERS",
];

/// Key labels the API takes as `private_key`.
const KEY_LABELS: &[&str] = &["PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY"];

/// A label as a message may show it.
fn shown(label: &str) -> &'static str {
    KNOWN_LABELS.iter().find(|known| **known == label).copied().unwrap_or("an unknown label")
}

/// One PEM block, decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Block {
    /// The label of the BEGIN line (`CERTIFICATE`, `EC PRIVATE KEY`...).
    pub label: String,
    /// The 1-based line of its BEGIN line.
    pub line: usize,
    /// The decoded bytes.
    pub der: Vec<u8>,
}

impl Block {
    /// `PEM block 2 (EC PRIVATE KEY, line 14)`.
    fn place(&self, number: usize) -> String {
        format!("PEM block {number} ({}, line {})", shown(&self.label), self.line)
    }
}

/// What is wrong with a PEM text's framing, said without quoting it.
fn problem(number: usize, label: &str, begin: usize, what: &str) -> String {
    format!("PEM block {number} ({}, line {begin}): {what}", shown(label))
}

/// A label between `-----BEGIN ` / `-----END ` and the closing dashes.
fn label_of<'t>(line: &'t str, marker: &str) -> Option<&'t str> {
    line.strip_prefix(marker)?.strip_suffix("-----").filter(|l| !l.contains("-----"))
}

fn is_base64_line(line: &str) -> bool {
    line.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='))
}

/// Splits `text` into PEM blocks and decodes each: text outside blocks is ignored (as
/// OpenSSL's "Bag Attributes" lines are), RFC 1421 headers (`Proc-Type: …`) are allowed at a
/// block's top. Any other irregularity is an error that names the block, its label and the
/// line, and nothing else.
pub(crate) fn parse(text: &str) -> Result<Vec<Block>, String> {
    struct Open<'t> {
        label: &'t str,
        begin: usize,
        base64: String,
        /// RFC 1421 header lines seen at the block's top.
        headers: bool,
        /// The blank line that ends those headers has been seen.
        blank: bool,
    }
    let mut blocks = Vec::new();
    let mut open: Option<Open<'_>> = None;
    for (index, raw) in text.lines().enumerate() {
        let n = index + 1;
        let line = raw.trim_matches([' ', '\t', '\r']);
        let number = blocks.len() + 1;
        let Some(block) = open.as_mut() else {
            if line.starts_with("-----BEGIN") {
                match label_of(line, "-----BEGIN ") {
                    Some(label) => {
                        open = Some(Open { label, begin: n, base64: String::new(), headers: false, blank: false })
                    }
                    None => return Err(format!("PEM block {number}: the BEGIN line at line {n} is cut or malformed")),
                }
            } else if line.starts_with("-----END") {
                return Err(format!("PEM block {number}: an END line at line {n} without a BEGIN line"));
            } else if line.len() >= 16 && is_base64_line(line) {
                // Text between blocks is allowed, but not what looks like a block's content:
                // it would be sent as it is, and it may be a key's.
                return Err(format!(
                    "line {n}, outside any PEM block, looks like base64 data (a block without its BEGIN line?)"
                ));
            }
            continue;
        };
        let fail = |what: String| Err(problem(number, block.label, block.begin, &what));
        let at_top = block.base64.is_empty() && !block.blank;
        if line.starts_with('-') && !line.starts_with("-----BEGIN") {
            match label_of(line, "-----END ") {
                Some(label) if label == block.label => {}
                Some(_) => return fail(format!("the END line at line {n} has another label than its BEGIN line")),
                None => return fail(format!("the END line at line {n} is cut or malformed")),
            }
            let der = decode_base64(&block.base64)
                .ok_or_else(|| problem(number, block.label, block.begin, "its base64 does not decode"))?;
            if der.is_empty() {
                return fail("it is empty".into());
            }
            blocks.push(Block { label: block.label.to_string(), line: block.begin, der });
            open = None;
        } else if line.starts_with("-----BEGIN") {
            return fail(format!("no END line before the next BEGIN line at line {n}"));
        } else if line.is_empty() && block.headers && at_top {
            block.blank = true;
        } else if line.is_empty() {
            return fail(format!("a blank line inside the block, at line {n}"));
        } else if at_top && line.contains(':') {
            // An RFC 1421 header, e.g. `Proc-Type: 4,ENCRYPTED`.
            block.headers = true;
        } else if (block.blank || !block.headers) && is_base64_line(line) {
            block.base64.push_str(line);
        } else {
            return fail(format!("line {n} is not base64"));
        }
    }
    match open {
        Some(block) => Err(problem(blocks.len() + 1, block.label, block.begin, "it has no END line")),
        None => Ok(blocks),
    }
}

/// Standard base64 with `=` padding, as PEM uses; `None` if it is not.
fn decode_base64(text: &str) -> Option<Vec<u8>> {
    fn value(b: u8) -> Option<u32> {
        Some(u32::from(match b {
            b'A'..=b'Z' => b - b'A',
            b'a'..=b'z' => b - b'a' + 26,
            b'0'..=b'9' => b - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        }))
    }
    let bytes = text.as_bytes();
    if !bytes.len().is_multiple_of(4) {
        return None;
    }
    let padding = bytes.iter().rev().take_while(|b| **b == b'=').count();
    if padding > 2 {
        return None;
    }
    let data = bytes.get(..bytes.len() - padding)?;
    let mut out = Vec::with_capacity(data.len() * 3 / 4);
    for chunk in data.chunks(4) {
        let mut acc = 0u32;
        for &b in chunk {
            acc = acc << 6 | value(b)?;
        }
        // A short last chunk holds 2 or 3 characters: 1 or 2 bytes, the rest of its bits zero.
        let [_, b0, b1, b2] = acc.to_be_bytes();
        match chunk.len() {
            4 => out.extend([b0, b1, b2]),
            3 if acc & 0b11 == 0 => {
                let [_, _, c0, c1] = (acc >> 2).to_be_bytes();
                out.extend([c0, c1]);
            }
            2 if acc & 0b1111 == 0 => out.extend((acc >> 4).to_be_bytes().last()),
            _ => return None,
        }
    }
    Some(out)
}

/// The first BEGIN line whose label names a private key: (block number, label, line).
fn key_inside(text: &str) -> Option<(usize, &str, usize)> {
    text.lines()
        .enumerate()
        .filter_map(|(i, raw)| {
            let line = raw.trim_matches([' ', '\t', '\r']);
            line.starts_with("-----BEGIN").then_some((i + 1, line))
        })
        .enumerate()
        .find(|(_, (_, line))| line.contains("PRIVATE KEY"))
        .map(|(block, (n, line))| (block + 1, label_of(line, "-----BEGIN ").unwrap_or(""), n))
}

/// `certificates` must be one or more `CERTIFICATE` blocks, and nothing secret. Returns the
/// decoded blocks.
pub(crate) fn check_certificates(text: &str) -> Result<Vec<Block>, BuildError> {
    let invalid = |m: String| Err(BuildError::InvalidCertificates(m));
    if text.trim().is_empty() {
        return invalid("it is empty; expected one or more -----BEGIN CERTIFICATE----- blocks".into());
    }
    // Before any other check: a key here is the one mistake that must never reach the API.
    if let Some((block, label, line)) = key_inside(text) {
        let label = match shown(label) {
            "an unknown label" => "a private key",
            known => known,
        };
        return Err(BuildError::PrivateKeyInCertificates { block, label, line });
    }
    let blocks = match parse(text) {
        Ok(blocks) => blocks,
        Err(problem) => return invalid(problem),
    };
    if blocks.is_empty() {
        return invalid("no -----BEGIN CERTIFICATE----- block found (is this DER, or not a certificate?)".into());
    }
    if let Some((number, other)) = blocks.iter().enumerate().find(|(_, b)| b.label != "CERTIFICATE") {
        return invalid(format!(
            "{} is not a CERTIFICATE; only CERTIFICATE blocks belong here",
            other.place(number + 1)
        ));
    }
    Ok(blocks)
}

/// `private_key` must be exactly one unencrypted PEM private key; returns it decoded.
pub(crate) fn check_private_key(text: &str) -> Result<Block, BuildError> {
    let invalid = |m: String| Err(BuildError::InvalidPrivateKey(m));
    if text.trim().is_empty() {
        return invalid("it is empty; expected one -----BEGIN PRIVATE KEY----- block".into());
    }
    let blocks = match parse(text) {
        Ok(blocks) => blocks,
        Err(problem) => return invalid(problem),
    };
    match blocks.as_slice() {
        [] => invalid("no -----BEGIN PRIVATE KEY----- block found (is this DER, or not a key?)".into()),
        [one] if one.label == "ENCRYPTED PRIVATE KEY" || text.contains("Proc-Type: 4,ENCRYPTED") => {
            invalid("the key is encrypted; the API needs it decrypted (openssl pkey -in KEY -out KEY.plain)".into())
        }
        [one] if KEY_LABELS.contains(&one.label.as_str()) => Ok(one.clone()),
        [one] if one.label == "CERTIFICATE" => invalid("this is a certificate, not a private key".into()),
        [one] => invalid(format!(
            "{} is not a private key (expected PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY)",
            one.place(1)
        )),
        _ => invalid(format!("{} PEM blocks; give exactly one private key", blocks.len())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_decodes_as_the_standard_says() {
        assert_eq!(decode_base64("").unwrap(), b"");
        assert_eq!(decode_base64("Zg==").unwrap(), b"f");
        assert_eq!(decode_base64("Zm8=").unwrap(), b"fo");
        assert_eq!(decode_base64("Zm9v").unwrap(), b"foo");
        assert_eq!(decode_base64("Zm9vYmFy").unwrap(), b"foobar");
        for bad in ["Zg", "Zg=", "Z===", "Zh==", "Zm9=", "Zm!v", "=Zm9", "Zg==Zg=="] {
            assert_eq!(decode_base64(bad), None, "{bad}");
        }
    }

    #[test]
    fn blocks_are_found_with_their_lines() {
        let text = "intro\n-----BEGIN CERTIFICATE-----\nZm9v\n-----END CERTIFICATE-----\r\n\r\n-----BEGIN X-----\r\nYmFy\r\n-----END X-----\r\n";
        let blocks = parse(text).unwrap();
        assert_eq!(blocks.len(), 2);
        assert_eq!(
            (blocks[0].label.as_str(), blocks[0].line, blocks[0].der.as_slice()),
            ("CERTIFICATE", 2, &b"foo"[..])
        );
        assert_eq!((blocks[1].label.as_str(), blocks[1].line), ("X", 6));
    }

    #[test]
    fn a_key_among_certificates_is_named_by_block_label_and_line() {
        let text = "intro\n-----BEGIN CERTIFICATE-----\nZm9v\n-----END CERTIFICATE-----\n-----BEGIN EC PRIVATE KEY-----\nZm9v\n-----END EC PRIVATE KEY-----\n";
        assert_eq!(
            check_certificates(text),
            Err(BuildError::PrivateKeyInCertificates { block: 2, label: "EC PRIVATE KEY", line: 5 })
        );
    }

    #[test]
    fn a_private_key_problem_says_what_the_file_is() {
        let says = |text: &str| match check_private_key(text) {
            Err(BuildError::InvalidPrivateKey(message)) => message,
            other => panic!("{text:?}: {other:?}"),
        };
        let block = |label: &str| format!("-----BEGIN {label}-----\nZm9v\n-----END {label}-----\n");
        assert!(says("no key in this text").starts_with("no -----BEGIN PRIVATE KEY----- block found"));
        assert_eq!(says(&block("CERTIFICATE")), "this is a certificate, not a private key");
        assert_eq!(
            says(&block("PUBLIC KEY")),
            "PEM block 1 (PUBLIC KEY, line 1) is not a private key (expected PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY)"
        );
        assert_eq!(says(&(block("PRIVATE KEY") + &block("PRIVATE KEY"))), "2 PEM blocks; give exactly one private key");
    }

    #[test]
    fn rfc1421_headers_stand_only_at_the_top_of_a_block() {
        // A legacy encrypted key: headers, a blank line, then the base64.
        let legacy = "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00112233445566778899AABBCCDDEEFF\n\nZm9v\n-----END RSA PRIVATE KEY-----\n";
        assert_eq!(parse(legacy).unwrap()[0].der, b"foo");
        assert!(matches!(check_private_key(legacy), Err(BuildError::InvalidPrivateKey(m)) if m.contains("encrypted")));
        // A header after the blank line that ends them, or among the base64, is not base64.
        for (text, line) in [
            ("-----BEGIN X-----\nProc-Type: 4,ENCRYPTED\n\nLate: 1\nZm9v\n-----END X-----\n", 4),
            ("-----BEGIN X-----\nZm9v\nLate: 1\n-----END X-----\n", 3),
        ] {
            let problem = parse(text).unwrap_err();
            assert!(problem.ends_with(&format!("line {line} is not base64")), "{text:?}: {problem}");
        }
    }

    #[test]
    fn framing_problems_name_block_label_and_line() {
        for (text, says) in [
            (
                "-----BEGIN CERTIFICATE-----\nZm9v\n\nYmFy\n-----END CERTIFICATE-----\n",
                "PEM block 1 (CERTIFICATE, line 1): a blank line inside the block, at line 3",
            ),
            (
                "-----BEGIN CERTIFICATE-----\nZm9v\n-----END CERTIF\nICATE-----\n",
                "PEM block 1 (CERTIFICATE, line 1): the END line at line 3 is cut or malformed",
            ),
            ("-----BEGIN CERTIFICATE-----\nZm9v\n", "PEM block 1 (CERTIFICATE, line 1): it has no END line"),
            ("-----BEGIN CERTIFICATE-----\nZm9v\n-----END X-----\n", "has another label"),
            ("-----BEGIN CERTIFICATE-----\nZm9!\n-----END CERTIFICATE-----\n", "line 2 is not base64"),
            ("-----BEGIN CERTIFICATE-----\nZm9\n-----END CERTIFICATE-----\n", "its base64 does not decode"),
            ("-----BEGIN CERTIF\nICATE-----\n", "PEM block 1: the BEGIN line at line 1 is cut or malformed"),
            ("-----BEGIN ODD-----\nZm9v\n", "PEM block 1 (an unknown label, line 1)"),
        ] {
            assert!(parse(text).unwrap_err().contains(says), "{text:?}: {:?}", parse(text));
        }
    }
}
