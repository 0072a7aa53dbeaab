//! Confirming deletions, one rule for every command that deletes (`delete`, `apply`, and
//! `hostnames set` when it removes hostnames): on a
//! terminal, a question on stderr (so stdout stays clean for `--json`); off a terminal,
//! `--yes` or a refusal. A "no" is a cancel, said plainly, not an error message.

use std::io::{BufRead, IsTerminal, Write};

use crate::exit::{CliError, Exit};

/// Whether to ask before deleting: `false` with `--yes`; `true` on a terminal; refused
/// (usage, with the hint) when stdin is not one, since a script would hang or delete on a
/// guess. `what` says what would be deleted.
pub fn needed(yes: bool, what: &str) -> Result<bool, CliError> {
    needed_to("delete", yes, what)
}

/// [`needed`], for another destructive `action` than a delete (`hostnames set` removes
/// hostnames).
pub fn needed_to(action: &str, yes: bool, what: &str) -> Result<bool, CliError> {
    if yes {
        return Ok(false);
    }
    if !std::io::stdin().is_terminal() {
        return Err(CliError::usage(format!(
            "refusing to {action} {what} without confirmation: stdin is not a terminal"
        ))
        .note(format!("hint: pass --yes to {action} from a script")));
    }
    Ok(true)
}

/// Asks `question`; a "no" cancels: `cancelled` is said on stderr (not as an error) and the
/// exit code is 1.
pub fn ask(question: &str, cancelled: &str) -> Result<(), CliError> {
    let mut err = std::io::stderr().lock();
    write!(err, "{} [y/N] ", crate::text::safe(question))?;
    err.flush()?;
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    if is_yes(&line) {
        return Ok(());
    }
    writeln!(err, "{}", crate::text::safe(cancelled))?;
    Err(CliError::quiet(Exit::Other))
}

fn is_yes(answer: &str) -> bool {
    matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes")
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_y_or_yes_confirms() {
        for yes in ["y\n", "Y\n", "yes\r\n", " YES "] {
            assert!(super::is_yes(yes), "{yes:?}");
        }
        for no in ["", "\n", "n\n", "no", "yep", "ja"] {
            assert!(!super::is_yes(no), "{no:?}");
        }
    }
}
