//! The path of Cloudflare's Workers mTLS tutorial, as written: a client certificate made with
//! `openssl req -x509` (which OpenSSL 3 marks `CA:TRUE`) and uploaded with its key, by
//! `upload` and by `apply`.

mod cli_support;

use std::path::{Path, PathBuf};
use std::process::Command;

use cli_support::*;

/// `DIR/cert.pem` and `DIR/key.pem`, made by the tutorial's own command.
fn tutorial_certificate(dir: &Path) -> (PathBuf, PathBuf) {
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    let out = Command::new("openssl")
        .args(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout"])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .args(["-days", "365", "-subj", "/CN=x"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    (cert, key)
}

#[test]
fn the_tutorials_client_certificate_uploads_with_its_key() {
    if !have_openssl() {
        return;
    }
    let fake = fake();
    let dir = file("placeholder", "").parent().unwrap().to_path_buf();
    let (cert, key) = tutorial_certificate(&dir);
    let (cert, key) = (cert.to_str().unwrap(), key.to_str().unwrap());

    // Without the key, it reads as a CA uploaded without --ca: refused, both ways out named.
    let refused = cf(&fake, &["upload", "--cert", cert, "--name", "x"]).expect(5);
    assert!(refused.stderr.contains("is a CA"), "{refused:?}");
    assert!(refused.stderr.contains("--ca") && refused.stderr.contains("--key"), "{refused:?}");

    // As the tutorial says: --cert and --key. A leaf, stored with ca = false.
    let stored = cf(&fake, &["upload", "--cert", cert, "--key", key, "--name", "x", "--json"]).expect(0).json();
    assert_eq!(stored["ca"], false, "{stored}");
    assert_eq!(stored["name"], "x");

    // --ca with it stays allowed (it is CA:TRUE); a CA:FALSE certificate with --ca is not.
    let leaf = file("leaf.pem", LEAF_PEM);
    let leaf_key = file("leaf.key", LEAF_KEY);
    let run = cf(&fake, &["upload", "--ca", "--cert", leaf.to_str().unwrap(), "--key", leaf_key.to_str().unwrap()]);
    assert!(run.expect(5).stderr.contains("is not a CA"));
}

#[test]
fn apply_takes_the_tutorials_certificate_as_a_client_certificate() {
    if !have_openssl() {
        return;
    }
    let fake = fake();
    let dir = file("placeholder", "").parent().unwrap().join("folder");
    std::fs::create_dir_all(&dir).unwrap();
    let (cert, key) = tutorial_certificate(&dir);
    std::fs::rename(cert, dir.join("client.pem")).unwrap();
    std::fs::rename(key, dir.join("client.key")).unwrap();
    // A self-signed CA without a key beside it stays a CA.
    openssl_cert(&dir, "root", true, false, 90);

    let plan = cf(&fake, &["plan", "--json", dir.to_str().unwrap()]).expect(7).json();
    let ca_of =
        |name: &str| plan["steps"].as_array().unwrap().iter().find(|s| s["name"] == name).unwrap()["ca"].clone();
    assert_eq!((ca_of("client"), ca_of("root")), (false.into(), true.into()), "{plan}");
    cf(&fake, &["apply", dir.to_str().unwrap()]).expect(0);
    let listed = cf(&fake, &["list", "--json"]).expect(0).json();
    let client = listed.as_array().unwrap().iter().find(|c| c["name"] == "client").unwrap();
    assert_eq!(client["ca"], false);
}
