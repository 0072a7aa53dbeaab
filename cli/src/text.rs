//! Text from others made safe to print: anyone who can upload a certificate chooses its
//! name, a folder's owner its file names, and a server its error messages. None of them may
//! drive the terminal (escape sequences) or forge a line of the output (a name with a
//! newline that reads `OK: none expire`).
//!
//! Two levels: [`safe`] for whole texts this tool composed (its own newlines kept), and
//! [`visible`] for one value put into such a text (its newlines and tabs shown as `\n`,
//! `\t`). JSON and Prometheus output escape by their own rules.

/// Characters a terminal may act on rather than show: C0 and C1 controls, DEL (an
/// `ESC ] 0 ; … BEL` retitles the window, `ESC [ 2 J` clears it, U+009B is a one-byte CSI),
/// and the bidirectional overrides that make text read in another order than it is stored.
pub fn acts_on_terminal(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `text` safe for a terminal: every character a terminal may act on, newlines aside, is
/// shown as U+FFFD.
pub fn safe(text: &str) -> String {
    text.chars().map(|c| if c != '\n' && acts_on_terminal(c) { '\u{fffd}' } else { c }).collect()
}

/// One value (a name, a file name, a server's field) shown on one line: newline, carriage
/// return and tab as `\n`, `\r`, `\t`, every other character a terminal acts on as
/// `\u{…}`, and a backslash as `\\` (so the escapes cannot be forged either).
pub fn visible(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\\' => out.push_str("\\\\"),
            c if acts_on_terminal(c) => out.push_str(&format!("\\u{{{:x}}}", u32::from(c))),
            c => out.push(c),
        }
    }
    out
}

/// A path as [`visible`] text.
pub fn path(path: impl AsRef<std::path::Path>) -> String {
    visible(&path.as_ref().display().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_stays_on_its_line() {
        assert_eq!(visible("ok\nOK: none expire\tx\r"), "ok\\nOK: none expire\\tx\\r");
        assert_eq!(visible("a\u{1b}[2Jb\u{202e}c"), "a\\u{1b}[2Jb\\u{202e}c");
        assert_eq!(visible("back\\slash é"), "back\\\\slash é");
        assert!(!visible("\n\r\t\u{85}\u{2028}").chars().any(|c| c.is_control()));
        assert_eq!(safe("line\n\u{1b}]0;x\u{7}"), "line\n\u{fffd}]0;x\u{fffd}");
    }
}
