//! Exit codes a script can rely on, and the error type that carries one.

use std::fmt::Write as _;

use cloudflare_mtls::ureq::TransportError;
use cloudflare_mtls::{BuildError, Error, HumanDuration};

/// Every exit code `cf-mtls` uses, in one place; `--help` prints [`help`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Done.
    Ok = 0,
    /// Anything not below (e.g. a declined confirmation, a failed write to stdout).
    Other = 1,
    /// A bad command line or configuration (clap's own code for usage errors is 2 too).
    Usage = 2,
    /// The API answered with an error, not found included.
    Api = 3,
    /// No answer: connection refused, timeout, TLS...
    Network = 4,
    /// A local file is unreadable or not an acceptable certificate or key.
    Local = 5,
    /// `check`: a certificate expires within the window, or has expired.
    Expiring = 6,
    /// `plan` (`apply --dry-run`): there are changes to make.
    Changes = 7,
    /// `plan`, `apply`: the plan cannot be carried out (an ambiguous name, a certificate to
    /// replace or delete that a service uses); `apply` changed nothing.
    Blocked = 8,
    /// `export`: some certificates were left out (a name that cannot be a file name or is
    /// shared, an existing file without `--force`); the rest was written.
    Partial = 9,
}

impl Exit {
    /// All codes, in the order `--help` lists them.
    pub const ALL: [Exit; 10] = [
        Exit::Ok,
        Exit::Usage,
        Exit::Api,
        Exit::Network,
        Exit::Local,
        Exit::Expiring,
        Exit::Changes,
        Exit::Blocked,
        Exit::Partial,
        Exit::Other,
    ];

    /// The number the process exits with.
    pub fn code(self) -> u8 {
        self as u8
    }

    fn meaning(self) -> &'static str {
        match self {
            Exit::Ok => "success",
            Exit::Usage => "usage error: bad arguments, missing credentials or account, ambiguous --name",
            Exit::Api => "the API answered with an error (not found, permission, in use, rate limited...)",
            Exit::Network => "network or transport error: no answer from the API",
            Exit::Local => "local file error: unreadable, malformed, key in the certificate file, expired",
            Exit::Expiring => "check: a certificate expires within the window (or has expired)",
            Exit::Changes => "plan (apply --dry-run): there are changes to make",
            Exit::Partial => "export: some certificates were left out (listed); the rest was written",
            Exit::Blocked => {
                "plan, apply: the plan cannot be carried out (ambiguous name, certificate in use); nothing was changed"
            }
            Exit::Other => "anything else (e.g. deletion declined at the prompt)",
        }
    }
}

/// The `Exit codes:` section of `--help`.
pub fn help() -> String {
    let mut text = String::from("Exit codes:\n");
    for exit in Exit::ALL {
        let _ = writeln!(text, "  {}  {}", exit.code(), exit.meaning());
    }
    text
}

/// A failure: the exit code, the message (`error: ...`), and hints (`hint: ...`).
#[derive(Debug)]
pub struct CliError {
    /// The exit code.
    pub exit: Exit,
    /// One line, printed after `error: ` (nothing is printed when it is empty).
    pub message: String,
    /// Printed after the message, each on its own line (details, advice).
    pub notes: Vec<String>,
}

impl CliError {
    /// A failure with this code and message.
    pub fn new(exit: Exit, message: impl Into<String>) -> Self {
        Self { exit, message: message.into(), notes: Vec::new() }
    }

    /// Adds a line after the message.
    pub fn note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }

    /// An exit code with nothing to say on stderr: what was printed on stdout says it (a
    /// plan with changes to make).
    pub fn quiet(exit: Exit) -> Self {
        Self::new(exit, "")
    }

    /// A usage error.
    pub fn usage(message: impl Into<String>) -> Self {
        Self::new(Exit::Usage, message)
    }

    /// A local file error.
    pub fn local(message: impl Into<String>) -> Self {
        Self::new(Exit::Local, message)
    }
}

/// What kind of mistake a build error is: the PEM content is a file problem, the rest
/// (IDs, URL, credentials, parameters) come from the command line or the environment.
pub fn build_exit(error: &BuildError) -> Exit {
    match error {
        BuildError::InvalidCertificates(_)
        | BuildError::PrivateKeyInCertificates { .. }
        | BuildError::CaMismatch { .. }
        | BuildError::KeyMismatch
        | BuildError::InvalidPrivateKey(_) => Exit::Local,
        _ => Exit::Usage,
    }
}

impl From<BuildError> for CliError {
    fn from(error: BuildError) -> Self {
        let exit = build_exit(&error);
        let hint = match &error {
            BuildError::MissingVariable { name, .. } => Some(format!(
                "hint: export {name}=... (a token needs the `SSL and Certificates` permission: #ssl:read to read, #ssl:edit to upload and delete), or pass --api-token"
            )),
            _ => None,
        };
        let err = CliError::new(exit, error.to_string());
        match hint {
            Some(h) => err.note(h),
            None => err,
        }
    }
}

impl<E: std::fmt::Display + 'static> From<Error<E>> for CliError {
    fn from(error: Error<E>) -> Self {
        let message = error.to_string();
        match &error {
            Error::Build { source, .. } => CliError::new(build_exit(source), message),
            Error::Transport { source, .. } => {
                let transport = (source as &dyn std::any::Any).downcast_ref::<TransportError>();
                // The answer came, and was larger than the tool reads: not the network.
                if let Some(TransportError::BodyTooLarge { limit }) = transport {
                    return CliError::new(
                        Exit::Api,
                        format!(
                            "{message}: the API's answer was too large ({} MiB is the body limit); not a network problem",
                            limit / (1024 * 1024)
                        ),
                    )
                    .note("hint: no answer of the mTLS API comes near it; check the base URL (CLOUDFLARE_BASE_URL / --base-url) points at the API");
                }
                let hint = match transport {
                    Some(TransportError::Tls { .. }) => {
                        "hint: to trust another CA (a TLS-inspecting gateway, a test server), pass --cacert FILE or set SSL_CERT_FILE"
                    }
                    Some(TransportError::Proxy { .. }) => {
                        "hint: the proxy comes from --proxy, or HTTPS_PROXY / ALL_PROXY (NO_PROXY lists hosts to reach directly)"
                    }
                    _ => "hint: check the base URL (CLOUDFLARE_BASE_URL / --base-url) and the network",
                };
                CliError::new(Exit::Network, message).note(hint)
            }
            Error::Response { .. } | Error::Paging { .. } => {
                let mut err = CliError::new(Exit::Api, message);
                if error.is_auth_error() {
                    err = err.note(
                        "hint: check the credentials and the account ID; an API token needs the `SSL and Certificates` permission (#ssl:read to read, #ssl:edit to upload and delete)",
                    );
                } else if let Some(wait) = error.retry_after() {
                    let wait = HumanDuration(wait);
                    err = err.note(match (error.is_rate_limited(), error.status()) {
                        (true, _) | (false, None) => format!("hint: rate limited; try again in {wait}"),
                        // A 503 with Retry-After is a server that is down for a while, not a limit.
                        (false, Some(status)) => format!(
                            "hint: not a rate limit: the API answered HTTP {} and asked (Retry-After) to try again in {wait}",
                            status.as_u16()
                        ),
                    });
                }
                err
            }
            // The API's rate limit (as it said) would have had to be waited out for longer than
            // --max-wait before the call (or its retry) was sent.
            Error::RateLimited { call, source } => CliError::new(
                Exit::Api,
                format!(
                    "{call}: {}, longer than --max-wait ({}); {}",
                    source.wait,
                    HumanDuration(source.max_wait),
                    source.what_was_sent()
                ),
            )
            .note(format!(
                "hint: try again in {}, or allow a longer wait with --max-wait DURATION",
                HumanDuration(source.wait.duration)
            )),
            // `Error` is non-exhaustive: a kind added later is at least an error.
            _ => CliError::new(Exit::Other, message),
        }
    }
}

impl From<std::io::Error> for CliError {
    /// Writing to stdout or reading the answer to a prompt failed.
    fn from(error: std::io::Error) -> Self {
        CliError::new(Exit::Other, error.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn help_lists_every_code_once() {
        let text = help();
        for exit in Exit::ALL {
            assert_eq!(text.matches(&format!("  {}  ", exit.code())).count(), 1, "{text}");
        }
        let mut codes: Vec<u8> = Exit::ALL.iter().map(|e| e.code()).collect();
        codes.sort_unstable();
        assert_eq!(codes, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    }

    #[test]
    fn build_errors_split_into_file_and_usage() {
        assert_eq!(build_exit(&BuildError::InvalidCertificates("x".into())), Exit::Local);
        assert_eq!(build_exit(&BuildError::InvalidPrivateKey("x".into())), Exit::Local);
        let missing = BuildError::MissingVariable { name: "CLOUDFLARE_API_TOKEN", hint: "h" };
        assert_eq!(build_exit(&missing), Exit::Usage);
        let err = CliError::from(missing);
        assert!(err.message.contains("CLOUDFLARE_API_TOKEN"));
        assert!(err.notes.iter().any(|n| n.contains("#ssl:read")));
    }
}
