//! The confirmation prompt: asked on stderr, so stdout stays clean for `--json`.

use std::io::{BufRead, Write};

/// Asks `question` and reads one line from stdin: `y` or `yes` (any case) is a yes;
/// anything else, an empty line or the end of input is a no.
pub fn ask(question: &str) -> std::io::Result<bool> {
    let mut err = std::io::stderr().lock();
    write!(err, "{} [y/N] ", crate::text::safe(question))?;
    err.flush()?;
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(is_yes(&line))
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
