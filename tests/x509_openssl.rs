//! The upload's X.509 checks (feature `x509-checks`) against certificates and keys made by
//! the openssl command, in every shape it writes: RSA, EC (P-256, P-384) and Ed25519 keys as
//! PKCS#8, PKCS#1 and SEC1; v3 certificates with `CA:TRUE`, `CA:FALSE` and a path length, and
//! a v1 certificate without extensions. Each key must match its own certificate and no other.
#![cfg(feature = "x509-checks")]

#[path = "support/tools.rs"]
mod tools;

use std::path::{Path, PathBuf};
use std::process::Command;

use cloudflare_mtls::{AccountId, BuildError, PrivateKey, Upload};

/// A scratch folder, removed however the test ends.
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn openssl(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("openssl").args(args).current_dir(dir).output().unwrap();
    assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn read(dir: &Path, file: &str) -> String {
    std::fs::read_to_string(dir.join(file)).unwrap()
}

struct Made {
    name: &'static str,
    cert: String,
    /// The same key in each encoding openssl writes for its type.
    keys: Vec<(&'static str, String)>,
    ca: bool,
}

/// A key of `kind` in `dir`, as `NAME.key` (PKCS#8) and its other encodings.
fn key(dir: &Path, name: &str, kind: &str) -> Vec<(&'static str, String)> {
    let file = format!("{name}.key");
    match kind {
        "rsa" => openssl(dir, &["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", &file]),
        "p256" | "p384" => {
            let curve = if kind == "p256" { "P-256" } else { "P-384" };
            openssl(
                dir,
                &["genpkey", "-algorithm", "EC", "-pkeyopt", &format!("ec_paramgen_curve:{curve}"), "-out", &file],
            )
        }
        _ => openssl(dir, &["genpkey", "-algorithm", "ED25519", "-out", &file]),
    };
    let mut keys = vec![("PKCS#8", read(dir, &file))];
    match kind {
        "rsa" => keys.push(("PKCS#1", openssl(dir, &["rsa", "-in", &file, "-traditional"]))),
        "p256" | "p384" => keys.push(("SEC1", openssl(dir, &["ec", "-in", &file]))),
        _ => {}
    }
    keys
}

fn make(dir: &Path) -> Vec<Made> {
    let mut made = Vec::new();
    for kind in ["rsa", "p256", "p384", "ed25519"] {
        // A CA, as `openssl req -x509` makes one (OpenSSL 3 marks it CA:TRUE).
        let ca = format!("ca-{kind}");
        let keys = key(dir, &ca, kind);
        openssl(
            dir,
            &[
                "req",
                "-x509",
                "-key",
                &format!("{ca}.key"),
                "-subj",
                &format!("/CN={ca}"),
                "-days",
                "30",
                "-out",
                &format!("{ca}.pem"),
            ],
        );
        made.push(Made { name: "CA:TRUE, self-signed", cert: read(dir, &format!("{ca}.pem")), keys, ca: true });

        // A leaf signed by it: CA:FALSE, and a CA with a path length.
        for (leaf, ext, is_ca) in [
            ("leaf", "basicConstraints=critical,CA:FALSE", false),
            ("sub", "basicConstraints=critical,CA:TRUE,pathlen:0", true),
        ] {
            let name = format!("{leaf}-{kind}");
            let keys = key(dir, &name, kind);
            std::fs::write(dir.join(format!("{name}.ext")), ext).unwrap();
            openssl(
                dir,
                &[
                    "req",
                    "-new",
                    "-key",
                    &format!("{name}.key"),
                    "-subj",
                    &format!("/CN={name}"),
                    "-out",
                    &format!("{name}.csr"),
                ],
            );
            openssl(
                dir,
                &[
                    "x509",
                    "-req",
                    "-in",
                    &format!("{name}.csr"),
                    "-CA",
                    &format!("{ca}.pem"),
                    "-CAkey",
                    &format!("{ca}.key"),
                    "-days",
                    "30",
                    "-extfile",
                    &format!("{name}.ext"),
                    "-out",
                    &format!("{name}.pem"),
                ],
            );
            let label = if is_ca { "CA:TRUE, pathlen 0, issued" } else { "CA:FALSE, issued" };
            made.push(Made { name: label, cert: read(dir, &format!("{name}.pem")), keys, ca: is_ca });
        }
    }
    // A v1 certificate: no extensions at all, so no basicConstraints: not a CA.
    let keys = key(dir, "v1", "p256");
    openssl(dir, &["req", "-new", "-key", "v1.key", "-subj", "/CN=v1", "-out", "v1.csr"]);
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "v1.csr",
            "-CA",
            "ca-p256.pem",
            "-CAkey",
            "ca-p256.key",
            "-days",
            "30",
            "-out",
            "v1.pem",
        ],
    );
    assert!(openssl(dir, &["x509", "-in", "v1.pem", "-noout", "-text"]).contains("Version: 1"));
    made.push(Made { name: "v1, no extensions, issued", cert: read(dir, "v1.pem"), keys, ca: false });
    made
}

fn validate(made: &Made, ca: bool, key: Option<&str>) -> Result<(), BuildError> {
    let account = AccountId::new("023e105f4ecef8ad9ca31a8372d0c353").unwrap();
    let upload = if ca { Upload::ca(account, made.cert.clone()) } else { Upload::leaf(account, made.cert.clone()) };
    match key {
        Some(key) => upload.with_private_key(PrivateKey::new(key)).validate(),
        None => upload.validate(),
    }
}

#[test]
fn openssls_certificates_and_keys_in_every_encoding_are_read_right() {
    if !tools::require("openssl", "openssl") {
        return;
    }
    let dir = Scratch(std::env::temp_dir().join(format!("cf-mtls-x509-{}", std::process::id())));
    std::fs::create_dir_all(&dir.0).unwrap();
    let made = make(&dir.0);
    for (i, m) in made.iter().enumerate() {
        // The declared `ca` flag against basicConstraints, without a key.
        assert!(validate(m, m.ca, None).is_ok(), "{}: ca={} refused", m.name, m.ca);
        assert!(
            matches!(validate(m, !m.ca, None), Err(BuildError::CaMismatch { .. })),
            "{}: ca={} accepted",
            m.name,
            !m.ca
        );
        // Its own key, in each encoding, matches; another certificate's key of any kind does not.
        for (encoding, key) in &m.keys {
            assert!(validate(m, m.ca, Some(key)).is_ok(), "{}: its own {encoding} key refused", m.name);
        }
        let other = &made[(i + 1) % made.len()];
        for (encoding, key) in &other.keys {
            assert!(
                matches!(validate(m, m.ca, Some(key)), Err(BuildError::KeyMismatch)),
                "{}: the {encoding} key of {} accepted",
                m.name,
                other.name
            );
        }
    }
}
