//! The API token from the command line, when not from the environment: `--api-token-file
//! FILE` (`-` for standard input), or `--api-token`, warned about (it shows in `ps`).

use std::io::Read;
use std::path::Path;

use crate::args::{Command, Global};
use crate::exit::CliError;
use crate::{files, text};

/// The longest token file read: a token is one short line; a longer file is the wrong one.
const MAX_TOKEN_FILE: u64 = 4096;

/// The token the flags give, if any (clap refuses both at once). No message quotes it.
pub fn from_flags(global: &Global, command: &Command) -> Result<Option<String>, CliError> {
    if let Some(token) = &global.api_token {
        // Too late to keep it out of `ps` by now; say so, so that the next run does.
        eprintln!(
            "warning: --api-token shows in `ps` and in shell history; prefer CLOUDFLARE_API_TOKEN or --api-token-file FILE (- for standard input)"
        );
        return Ok(Some(token.clone()));
    }
    let Some(path) = global.api_token_file.as_deref() else { return Ok(None) };
    let stdin = Path::new("-");
    if path == stdin && matches!(command, Command::Upload(up) if up.cert == stdin || up.key.as_deref() == Some(stdin)) {
        return Err(CliError::usage(
            "--api-token-file - and --cert - (or --key -) cannot both be - (standard input is one file)",
        ));
    }
    read(path).map(Some)
}

/// Reads the token file at `path` (`-`: standard input). As `files::read` does, anything but
/// a regular file (a FIFO would block, a device never end) is refused before it is opened.
fn read(path: &Path) -> Result<String, CliError> {
    let shown = text::path(path);
    let cannot = |e: std::io::Error| CliError::local(format!("cannot read the API token file {shown}: {e}"));
    let mut bytes = Vec::new();
    if path == Path::new("-") {
        std::io::stdin().lock().take(MAX_TOKEN_FILE + 1).read_to_end(&mut bytes).map_err(cannot)?;
    } else {
        let kind = std::fs::metadata(path).map_err(cannot)?.file_type();
        if !kind.is_file() {
            return Err(CliError::local(format!(
                "the API token file {shown} is {}, not a regular file",
                files::describe(kind)
            ))
            .note("hint: to pipe the token in, pass --api-token-file - and send it on standard input"));
        }
        std::fs::File::open(path).and_then(|f| f.take(MAX_TOKEN_FILE + 1).read_to_end(&mut bytes)).map_err(cannot)?;
    }
    one_line(&bytes).map_err(|problem| CliError::usage(format!("--api-token-file {shown}: the file is {problem}")))
}

/// The token a file holds: one line, its one trailing newline (`\n` or `\r\n`) dropped and
/// nothing else changed. The error says what is wrong without quoting the file.
fn one_line(bytes: &[u8]) -> Result<String, &'static str> {
    if bytes.len() as u64 > MAX_TOKEN_FILE {
        return Err("larger than 4 KiB, and an API token is one short line: is it the right file?");
    }
    let text = std::str::from_utf8(bytes).map_err(|_| "not text (UTF-8): it must hold the API token, one line")?;
    let line = text.strip_suffix('\n').map_or(text, |line| line.strip_suffix('\r').unwrap_or(line));
    if line.is_empty() {
        return Err("empty: it must hold the API token, one line");
    }
    if line.contains(['\n', '\r']) {
        return Err("more than one line: it must hold the API token alone, one line");
    }
    Ok(line.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_drops_one_newline_and_nothing_else() {
        assert_eq!(one_line(b"t0ken\n"), Ok("t0ken".to_owned()));
        assert_eq!(one_line(b"t0ken\r\n"), Ok("t0ken".to_owned()));
        assert_eq!(one_line(b"t0ken"), Ok("t0ken".to_owned()));
        assert_eq!(one_line(b" t0ken \n"), Ok(" t0ken ".to_owned()));
        for bad in [&b""[..], b"\n", b"\r\n", b"t0ken\n\n", b"a\nb", b"a\rb\n", b"\xff\n", &[b'a'; 4097]] {
            assert!(one_line(bad).is_err(), "{bad:?}");
        }
    }
}
