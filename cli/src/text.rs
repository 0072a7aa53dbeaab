//! Text from others made safe to print: anyone who can upload a certificate chooses its
//! name, a folder's owner its file names, and a server its error messages. None of them may
//! drive the terminal (escape sequences) or forge a line of the output (a name with a
//! newline that reads `OK: none expire`).
//!
//! Two levels: [`safe`] for whole texts this tool composed (its own newlines kept), and
//! [`visible`] for one value put into such a text (its newlines and tabs shown as `\n`,
//! `\t`). JSON and Prometheus output escape by their own rules.

/// Characters a terminal may act on rather than show: C0 and C1 controls, DEL (an
/// `ESC ] 0 ; … BEL` retitles the window, `ESC [ 2 J` clears it, U+009B is a one-byte CSI);
/// the bidirectional controls that make text read in another order than it is stored; the
/// line and paragraph separators (U+2028, U+2029: a new line to some terminals and viewers);
/// and the characters that show as nothing (zero-width spaces and joiners, U+FEFF, fillers,
/// tags), which make two different names look alike. Variation selectors (U+FE00-U+FE0F)
/// stay: they only pick an emoji's look.
pub fn acts_on_terminal(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{ad}'
                | '\u{34f}'
                | '\u{61c}'
                | '\u{115f}'
                | '\u{1160}'
                | '\u{17b4}'
                | '\u{17b5}'
                | '\u{180b}'..='\u{180f}'
                | '\u{200b}'..='\u{200f}'
                | '\u{2028}'..='\u{202e}'
                | '\u{2060}'..='\u{206f}'
                | '\u{3164}'
                | '\u{feff}'
                | '\u{ffa0}'
                | '\u{fff9}'..='\u{fffb}'
                | '\u{1bca0}'..='\u{1bca3}'
                | '\u{1d173}'..='\u{1d17a}'
                | '\u{e0000}'..='\u{e007f}'
        )
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

/// `n` and its noun, plural when `n` is not 1: `1 call`, `2 calls`, `0 certificates` (every
/// noun counted in a message takes an `s`).
pub fn count(n: usize, noun: &str) -> String {
    if n == 1 { format!("1 {noun}") } else { format!("{n} {noun}s") }
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

    #[test]
    fn invisible_and_line_separating_characters_are_escaped() {
        let invisible = [
            '\u{200b}',
            '\u{200c}',
            '\u{200d}',
            '\u{200e}',
            '\u{200f}',
            '\u{2028}',
            '\u{2029}',
            '\u{202a}',
            '\u{202e}',
            '\u{2060}',
            '\u{2066}',
            '\u{2069}',
            '\u{feff}',
            '\u{ad}',
            '\u{3164}',
            '\u{e0041}',
        ];
        for c in invisible {
            assert_eq!(visible(&format!("a{c}b")), format!("a\\u{{{:x}}}b", u32::from(c)));
            assert_eq!(safe(&format!("a{c}b")), "a\u{fffd}b");
        }
        // What shows stays as it is: letters of any script, an emoji and its variation selector.
        assert_eq!(visible("caf\u{e9} \u{5d0} \u{2764}\u{fe0f}"), "caf\u{e9} \u{5d0} \u{2764}\u{fe0f}");
    }

    #[test]
    fn counts_agree_with_their_noun() {
        assert_eq!([count(0, "call"), count(1, "call"), count(2, "step")], ["0 calls", "1 call", "2 steps"]);
    }
}
