//! What `upload` checks on this machine before anything is sent, beyond the library's
//! checks (`Upload::validate`: PEM framing, X.509, the `ca` flag, the key): that the files
//! can be read, are text and not too large, and that no certificate has expired (the
//! library has no clock, so expiry is checked here).

use std::path::Path;

use cloudflare_mtls::{AccountId, BuildError, PrivateKey, Upload};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::args::UploadArgs;
use crate::exit::CliError;
use crate::text;

/// The largest file read: no PEM certificate chain or key comes near it, and a wrong path
/// (`/dev/zero`, a disk image) fails here instead of filling memory.
const MAX_FILE: u64 = 1024 * 1024;

/// Where a file to read was named: the hint for one that cannot be read depends on it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Named {
    /// On the command line, where `-` is standard input (as Unix tools read it).
    Argument,
    /// In a folder (`apply`, `plan`): its files are read as they are.
    Folder,
}

/// Reads a file named on the command line (`--cert`, `--cacert`): [`read`], and `-` is
/// standard input, the way to pipe a certificate in.
pub fn read_arg(path: &Path, what: &str) -> Result<String, CliError> {
    read_named(path, what, Named::Argument)
}

/// Reads a file of a folder as UTF-8 text, at most [`MAX_FILE`] bytes; `what` names it in
/// the message. It must be a regular file once symlinks are followed: a FIFO or a device
/// would block or never end, so it is refused, named, before it is opened.
pub fn read(path: &Path, what: &str) -> Result<String, CliError> {
    read_named(path, what, Named::Folder)
}

fn read_named(path: &Path, what: &str, named: Named) -> Result<String, CliError> {
    use std::io::Read;
    let shown = text::path(path);
    let cannot = |e: std::io::Error| CliError::local(format!("cannot read the {what} file {shown}: {e}"));
    let mut bytes = Vec::new();
    if named == Named::Argument && path == Path::new("-") {
        std::io::stdin().lock().take(MAX_FILE + 1).read_to_end(&mut bytes).map_err(cannot)?;
    } else {
        let kind = std::fs::metadata(path).map_err(cannot)?.file_type();
        if !kind.is_file() {
            let hint = match named {
                Named::Argument => "hint: to pipe it in, pass - and send it on standard input",
                Named::Folder => {
                    "hint: a folder's files are read as regular files only; put the content in a regular file, or move this one out of the folder"
                }
            };
            return Err(CliError::local(format!("the {what} file {shown} is {}, not a regular file", describe(kind)))
                .note(hint));
        }
        std::fs::File::open(path).and_then(|f| f.take(MAX_FILE + 1).read_to_end(&mut bytes)).map_err(cannot)?;
    }
    if bytes.len() as u64 > MAX_FILE {
        return Err(CliError::local(format!(
            "the {what} file {shown} is larger than 1 MiB, far more than any {what} file holds: is it the right file?"
        )));
    }
    if bytes.is_empty() {
        return Err(CliError::local(format!("the {what} file {shown} is empty")));
    }
    String::from_utf8(bytes).map_err(|e| {
        // DER starts with a SEQUENCE tag; PEM is text.
        let der = e.as_bytes().first() == Some(&0x30);
        // A certificate (the upload's, or a CA to trust) converts with x509, a key with pkey.
        let convert = match what {
            _ if what.ends_with("certificate") => Some("x509"),
            "private key" => Some("pkey"),
            _ => None,
        };
        match (der, convert) {
            (true, Some(convert)) => CliError::local(format!("the {what} file {shown} is not PEM text")).note(format!(
                "hint: it looks like DER; convert it with `openssl {convert} -inform DER -in {shown} -out {shown}.pem`"
            )),
            (false, Some(_)) => CliError::local(format!("the {what} file {shown} is not PEM text")),
            (_, None) => CliError::local(format!("the {what} file {shown} is not UTF-8 text")),
        }
    })
}

/// What a file that is not a regular file is, in a message.
pub fn describe(kind: std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_fifo() {
            return "a named pipe (FIFO)";
        }
        if kind.is_char_device() || kind.is_block_device() {
            return "a device";
        }
        if kind.is_socket() {
            return "a socket";
        }
    }
    if kind.is_dir() { "a folder" } else { "not a file" }
}

/// Reads the files of `args` into an [`Upload`] and checks it, with the clock at `now`.
pub fn prepare(account: AccountId, args: &UploadArgs, now: OffsetDateTime) -> Result<Upload, CliError> {
    if args.key.as_deref() == Some(Path::new("-")) && args.cert == Path::new("-") {
        return Err(CliError::usage("--cert and --key cannot both be - (standard input is one file)"));
    }
    let certificates = read_arg(&args.cert, "certificate")?;
    let key = args.key.as_deref().map(|path| read_arg(path, "private key")).transpose()?;
    let mut upload = if args.ca { Upload::ca(account, certificates) } else { Upload::leaf(account, certificates) };
    if let Some(name) = &args.name {
        upload = upload.with_name(name.clone());
    }
    if let Some(key) = key {
        upload = upload.with_private_key(PrivateKey::new(key));
    }
    if args.force {
        upload = upload.without_ca_check();
    }
    upload.validate().map_err(|e| explain(e, &args.cert, args.key.as_deref()))?;
    check_expiry(&upload.certificates, &args.cert, now)?;
    Ok(upload)
}

/// The core's message, named after the file (`cert`, and `key` if given), with advice in the
/// tool's own terms.
pub fn explain(error: BuildError, cert: &Path, key: Option<&Path>) -> CliError {
    match &error {
        BuildError::InvalidCertificates(reason) => {
            CliError::local(format!("{}: invalid certificates: {reason}", text::path(cert)))
        }
        BuildError::PrivateKeyInCertificates { .. } => CliError::local(format!("{}: {error}", text::path(cert)))
            .note("hint: put the key in a file of its own (--key FILE; NAME.key for apply)"),
        BuildError::CaMismatch { declared_ca: true } => CliError::local(format!(
            "{}: the certificate is not a CA (its basicConstraints), but the upload says --ca",
            text::path(cert)
        ))
        .note("hint: upload it without --ca, or pass --force to upload it as it is"),
        BuildError::CaMismatch { declared_ca: false } => CliError::local(format!(
            "{}: the certificate is a CA (its basicConstraints), but the upload says no --ca",
            text::path(cert)
        ))
        .note("hint: if it is a CA, upload it with --ca; if it is a self-signed client certificate, give its private key with --key FILE (NAME.key for apply); or pass --force to upload it as it is"),
        BuildError::KeyMismatch => {
            let key = key.unwrap_or(Path::new("--key"));
            CliError::local(format!(
                "{}: the private key does not belong to the certificate in {} (their public keys differ)",
                text::path(key),
                text::path(cert)
            ))
        }
        BuildError::InvalidPrivateKey(reason) => {
            let path = key.unwrap_or(Path::new("--key"));
            CliError::local(format!("{}: invalid private key: {reason}", text::path(path)))
        }
        _ => CliError::from(error),
    }
}

/// Every certificate must be X.509 that the API can parse, and still valid at `now`.
pub fn check_expiry(pem_text: &str, path: &Path, now: OffsetDateTime) -> Result<(), CliError> {
    // `validate` has accepted the PEM, so this parse succeeds; its error is still reported.
    // Neither parser's own error is shown: it may quote the file, and the file may hold a key.
    let blocks = pem::parse_many(pem_text)
        .map_err(|_| CliError::local(format!("{}: the PEM could not be read", text::path(path))))?;
    let count = blocks.len();
    for (index, block) in blocks.iter().enumerate() {
        let which =
            if count == 1 { "the certificate".to_owned() } else { format!("certificate {} of {count}", index + 1) };
        let (_, cert) = x509_parser::parse_x509_certificate(block.contents())
            .map_err(|_| CliError::local(format!("{}: {which} is not a valid X.509 certificate", text::path(path))))?;
        let not_after = OffsetDateTime::from_unix_timestamp(cert.validity().not_after.timestamp())
            .map_err(|_| CliError::local(format!("{}: {which} has an unusable expiry date", text::path(path))))?;
        if not_after <= now {
            let when = not_after.format(&Rfc3339).unwrap_or_else(|_| not_after.to_string());
            return Err(CliError::local(format!(
                "{}: {which} ({}) expired on {when}",
                text::path(path),
                text::visible(&cert.subject().to_string())
            ))
            .note("hint: renew the certificate and upload the new one"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const CA_PEM: &str = include_str!("../../tests/fixtures/openapi-example-ca.pem");
    const KEY_PEM: &str = include_str!("../../tests/fixtures/openapi-example-key.pem");

    fn args(cert: &Path, key: Option<&Path>) -> UploadArgs {
        UploadArgs {
            cert: cert.to_owned(),
            key: key.map(Path::to_owned),
            name: Some("n".into()),
            ca: true,
            force: false,
        }
    }

    fn account() -> AccountId {
        AccountId::new("acc").unwrap()
    }

    /// A temporary file, removed when dropped.
    struct Temp(std::path::PathBuf);

    impl std::ops::Deref for Temp {
        type Target = Path;
        fn deref(&self) -> &Path {
            &self.0
        }
    }

    impl Drop for Temp {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }

    fn temp(name: &str, text: &str) -> Temp {
        let path = std::env::temp_dir().join(format!("cf-mtls-unit-{}-{name}", std::process::id()));
        std::fs::write(&path, text).unwrap();
        Temp(path)
    }

    #[test]
    fn a_good_certificate_and_key_pass() {
        let cert = temp("ok.pem", CA_PEM);
        let key = temp("ok.key", KEY_PEM);
        let up = prepare(account(), &args(&cert, Some(&key)), datetime!(2030-01-01 0:00 UTC)).unwrap();
        assert!(up.ca);
        assert_eq!(up.name.as_deref(), Some("n"));
        assert_eq!(up.private_key.unwrap().expose(), KEY_PEM);
    }

    #[test]
    fn each_local_problem_has_its_message() {
        let missing = Path::new("/nonexistent/cert.pem");
        let err = prepare(account(), &args(missing, None), datetime!(2030-01-01 0:00 UTC)).unwrap_err();
        assert!(err.message.contains("cannot read the certificate file /nonexistent/cert.pem"), "{}", err.message);

        let both = temp("both.pem", &format!("{CA_PEM}{KEY_PEM}"));
        let err = prepare(account(), &args(&both, None), datetime!(2030-01-01 0:00 UTC)).unwrap_err();
        assert!(err.notes.iter().any(|n| n.contains("--key")), "{err:?}");
        assert!(!err.message.contains("MII"));

        let cert = temp("exp.pem", CA_PEM);
        let err = prepare(account(), &args(&cert, None), datetime!(2200-01-01 0:00 UTC)).unwrap_err();
        assert!(err.message.contains("expired on 2122-"), "{}", err.message);

        let garbage = temp("garbage.pem", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
        let err = prepare(account(), &args(&garbage, None), datetime!(2030-01-01 0:00 UTC)).unwrap_err();
        assert!(err.message.contains("is not an X.509 certificate"), "{}", err.message);
        assert_eq!(err.exit, crate::exit::Exit::Local);
    }
}
