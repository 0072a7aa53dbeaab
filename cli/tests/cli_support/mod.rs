//! Shared by the `cli_*` tests: a fake API on loopback, and the built `cf-mtls` run against
//! it with a clean environment (the developer's own Cloudflare variables never leak in).
#![allow(dead_code)] // Each test crate uses its own part of this module.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

use cloudflare_mtls::fake::FakeApi;

#[path = "../../../tests/support/tools.rs"]
pub mod tools;
use cloudflare_mtls::fake_server::FakeServer;
use cloudflare_mtls::{AccountId, Certificate, CertificateId};

pub const TOKEN: &str = "test-token-SECRET";
pub const ACCOUNT: &str = "023e105f4ecef8ad9ca31a8372d0c353";
pub const BIN: &str = env!("CARGO_BIN_EXE_cf-mtls");

/// The example CA of Cloudflare's OpenAPI document (valid until 2122).
pub const CA_PEM: &str = include_str!("../../../tests/fixtures/openapi-example-ca.pem");
/// Its private key.
pub const KEY_PEM: &str = include_str!("../../../tests/fixtures/openapi-example-key.pem");
/// A leaf (client) certificate, `CA:FALSE`, made with openssl (`interop/make_fixtures.sh`).
pub const LEAF_PEM: &str = include_str!("../../../tests/fixtures/leaf-p256.pem");
/// Its private key (SEC1).
pub const LEAF_KEY: &str = include_str!("../../../tests/fixtures/leaf-p256-key.pem");
/// A self-signed CA, `CN=expired.example`, valid 2020-01-01 to 2021-01-01 (made with
/// Python's `cryptography`).
pub const EXPIRED_PEM: &str = "-----BEGIN CERTIFICATE-----
MIIBNTCB3aADAgECAgIQkjAKBggqhkjOPQQDAjAaMRgwFgYDVQQDDA9leHBpcmVk
LmV4YW1wbGUwHhcNMjAwMTAxMDAwMDAwWhcNMjEwMTAxMDAwMDAwWjAaMRgwFgYD
VQQDDA9leHBpcmVkLmV4YW1wbGUwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAAQX
12Dabu4nED21qrtSoeqrHeaQ8mxI/aD532LBg0AFDw6/zRQBngB4pp55gRFrgR8P
1MilEHG8yCGcScOLV2q0oxMwETAPBgNVHRMBAf8EBTADAQH/MAoGCCqGSM49BAMC
A0cAMEQCIEr7Mqv2xJGpfXgWcdZyEiJSPhz/RrVU/luZJOVjUrpcAiAomHd6FHBy
6Sf7Fybz//X994tlJ7397tBVXVMSJtbYOQ==
-----END CERTIFICATE-----
";

/// Every command, in the order of `cf-mtls --help`.
pub const COMMANDS: [&str; 13] = [
    "upload",
    "list",
    "get",
    "associations",
    "hostnames",
    "delete",
    "apply",
    "plan",
    "check",
    "export",
    "serve-fake",
    "completions",
    "man",
];

pub fn account() -> AccountId {
    AccountId::new(ACCOUNT).unwrap()
}

/// A fresh fake API on 127.0.0.1, accepting `TOKEN` for `ACCOUNT`.
pub fn fake() -> FakeServer {
    FakeServer::start(FakeApi::new(TOKEN, account())).unwrap()
}

/// Stores a certificate in `fake` directly (e.g. one sharing a name with another).
pub fn insert(fake: &FakeServer, json: serde_json::Value) -> CertificateId {
    let cert: Certificate = serde_json::from_value(json).unwrap();
    fake.with_api(|api| api.insert(cert)).unwrap()
}

/// `cf-mtls` with only the variables that point it at `base_url`.
pub fn command(base_url: &str) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.env_clear()
        .env("CLOUDFLARE_API_TOKEN", TOKEN)
        .env("CLOUDFLARE_ACCOUNT_ID", ACCOUNT)
        .env("CLOUDFLARE_BASE_URL", base_url)
        .stdin(Stdio::null());
    cmd
}

/// What a run printed and how it exited.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {self:?}"))
    }

    /// Fails, showing everything, unless the exit code is `code`.
    #[track_caller]
    pub fn expect(self, code: i32) -> Self {
        assert_eq!(self.code, code, "{self:#?}");
        self
    }
}

impl From<Output> for Run {
    fn from(out: Output) -> Self {
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8(out.stdout).unwrap(),
            stderr: String::from_utf8(out.stderr).unwrap(),
        }
    }
}

/// Runs `cf-mtls ARGS` against `fake`, stdin empty (not a terminal).
pub fn cf(fake: &FakeServer, args: &[&str]) -> Run {
    command(fake.base_url().as_str()).args(args).output().unwrap().into()
}

/// Runs `cmd` with `input` on stdin (a pipe, not a terminal).
pub fn with_stdin(mut cmd: Command, input: &str) -> Run {
    let mut child = cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    // A child that refuses before reading (delete without --yes) closes the pipe: a
    // broken pipe here is that refusal, not a test failure; the exit code tells.
    match child.stdin.take().unwrap().write_all(input.as_bytes()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => panic!("writing stdin: {e}"),
        _ => {}
    }
    child.wait_with_output().unwrap().into()
}

/// A file holding `text`, in a directory of its own under cargo's temporary directory for
/// tests (inside the target directory, so nothing is left in /tmp).
pub fn file(name: &str, text: &str) -> PathBuf {
    static N: AtomicU32 = AtomicU32::new(0);
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "cf-mtls-test-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// An empty folder of its own named `name`, under cargo's temporary directory for tests.
pub fn empty_dir(name: &str) -> PathBuf {
    let dir = file("placeholder", "").parent().unwrap().join(name);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The names in `dir`, sorted.
pub fn listing(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    names.sort();
    names
}

/// Five CA certificates, each with its own DER: the OpenAPI example, P-256, RSA 2048,
/// Ed25519 and an intermediate.
pub const FIVE_CAS: [&str; 5] = [
    include_str!("../../../tests/fixtures/openapi-example-ca.pem"),
    include_str!("../../../tests/fixtures/ca-p256.pem"),
    include_str!("../../../tests/fixtures/ca-rsa2048.pem"),
    include_str!("../../../tests/fixtures/ca-ed25519.pem"),
    include_str!("../../../tests/fixtures/intermediate-p256.pem"),
];

/// `DIR/NAME.pem`: a new self-signed P-256 certificate valid for `days`, a CA or not, made
/// by openssl; with `key`, its key as `DIR/NAME.key`. A test that calls it checks first that
/// openssl is there ([`have_openssl`]).
pub fn openssl_cert(dir: &std::path::Path, name: &str, ca: bool, key: bool, days: u32) -> PathBuf {
    let key_path = if key { dir.join(format!("{name}.key")) } else { dir.join(format!(".{name}.discarded-key")) };
    let constraints = if ca { "basicConstraints=critical,CA:TRUE" } else { "basicConstraints=critical,CA:FALSE" };
    let cert = dir.join(format!("{name}.pem"));
    let out = Command::new("openssl")
        .args(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"])
        .args(["-days", &days.to_string(), "-subj", &format!("/CN={name}"), "-addext", constraints])
        .arg("-keyout")
        .arg(&key_path)
        .arg("-out")
        .arg(&cert)
        .output()
        .expect("openssl (apt-get install -y openssl)");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    cert
}

/// Whether openssl is installed; when not, the test says it is skipped (`tools::require`).
pub fn have_openssl() -> bool {
    tools::require("openssl", "openssl")
}

/// Uploads the example CA as `name`; returns its ID.
pub fn upload_ca(fake: &FakeServer, name: &str) -> String {
    let cert = file("ca.pem", CA_PEM);
    let run = cf(fake, &["upload", "--ca", "--cert", cert.to_str().unwrap(), "--name", name, "--json"]).expect(0);
    run.json()["id"].as_str().unwrap().to_owned()
}

/// A `serve-fake` process, stopped however the test ends (it would outlive a failed test
/// and keep the test runner's output pipe open).
pub struct Killed(pub std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `cf-mtls serve-fake --listen 127.0.0.1:0 --json ARGS` with a clean environment
/// and reads the JSON line it prints first.
pub fn serve_fake(args: &[&str]) -> (Killed, serde_json::Value) {
    use std::io::BufRead;
    let mut child = Killed(
        Command::new(BIN)
            .env_clear()
            .args(["serve-fake", "--listen", "127.0.0.1:0", "--json"])
            .args(args)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let mut line = String::new();
    std::io::BufReader::new(child.0.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let info = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line:?}"));
    (child, info)
}

/// Every request `fake` answers from now on, as `METHOD path status`.
pub fn record(fake: &FakeServer) -> std::sync::Arc<std::sync::Mutex<Vec<String>>> {
    let log = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let sink = std::sync::Arc::clone(&log);
    fake.log_requests(move |method, uri, status, _| {
        sink.lock().unwrap().push(format!("{method} {} {}", uri.path(), status.as_u16()));
    });
    log
}
