//! Plain-text tables, fitted to the terminal: the widest shrinkable columns lose characters
//! (ending in `…`) until the table fits. Without a width (not a terminal) nothing is cut.

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use crate::text::visible;

/// Two spaces between columns.
const GAP: usize = 2;

/// One column's header and layout.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    /// The header.
    pub header: &'static str,
    /// Right-aligned (numbers) rather than left.
    pub right: bool,
    /// Narrowest width it may be cut to; `None`: never cut (IDs must stay whole to be used).
    pub min: Option<usize>,
}

impl Column {
    /// A left-aligned column that is never cut.
    pub const fn fixed(header: &'static str) -> Self {
        Self { header, right: false, min: None }
    }

    /// A left-aligned column that may be cut down to `min` characters.
    pub const fn shrink(header: &'static str, min: usize) -> Self {
        Self { header, right: false, min: Some(min) }
    }

    /// A right-aligned column that is never cut.
    pub const fn number(header: &'static str) -> Self {
        Self { header, right: true, min: None }
    }
}

/// Renders `rows` under `columns`, each line ending in `\n`, fitted to `width` when given.
/// Every cell is shown [`visible`]: a name with a newline cannot start a row of its own.
pub fn render(columns: &[Column], rows: &[Vec<String>], width: Option<usize>) -> String {
    lines(columns, &layout(columns, rows, width), rows, true)
}

/// The column widths for `rows`, fitted to `width` when given.
pub fn layout(columns: &[Column], rows: &[Vec<String>], width: Option<usize>) -> Vec<usize> {
    let mut widths: Vec<usize> = columns.iter().map(|c| c.header.width()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(visible(cell).width());
        }
    }
    if let Some(limit) = width {
        fit(columns, &mut widths, limit);
    }
    widths
}

/// `rows` laid out in `widths` (from [`layout`], perhaps of earlier rows: a cell wider than
/// its column is cut if the column may shrink, and overflows if not), after the header line
/// if `header`.
pub fn lines(columns: &[Column], widths: &[usize], rows: &[Vec<String>], header: bool) -> String {
    let mut out = String::new();
    let headers: Vec<String> = columns.iter().map(|c| c.header.to_owned()).collect();
    let head = header.then_some(&headers);
    for row in head.into_iter().chain(rows) {
        let mut line = String::new();
        for (i, ((column, w), cell)) in columns.iter().zip(widths).zip(row).enumerate() {
            if i > 0 {
                line.push_str(&" ".repeat(GAP));
            }
            let cell = visible(cell);
            let cell = if column.min.is_some() { truncate(&cell, *w) } else { cell };
            let pad = " ".repeat(w.saturating_sub(cell.width()));
            if column.right {
                line.push_str(&pad);
                line.push_str(&cell);
            } else {
                line.push_str(&cell);
                line.push_str(&pad);
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// Takes one character at a time from the widest column that can still give one.
fn fit(columns: &[Column], widths: &mut [usize], limit: usize) {
    let total = |widths: &[usize]| widths.iter().sum::<usize>() + GAP * widths.len().saturating_sub(1);
    while total(widths) > limit {
        let widest = columns
            .iter()
            .zip(widths.iter())
            .enumerate()
            .filter(|(_, (c, w))| c.min.is_some_and(|min| **w > min.max(c.header.width())))
            .max_by_key(|(i, (_, w))| (**w, std::cmp::Reverse(*i)))
            .map(|(i, _)| i);
        match widest.and_then(|i| widths.get_mut(i)) {
            Some(w) => *w -= 1,
            None => return, // Nothing left to cut: the lines wrap.
        }
    }
}

/// `text` cut to `width` display columns, ending in `…` when cut.
pub fn truncate(text: &str, width: usize) -> String {
    if text.width() <= width {
        return text.to_owned();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if used + w + 1 > width {
            break;
        }
        out.push(c);
        used += w;
    }
    if width > 0 {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const COLUMNS: [Column; 3] = [Column::fixed("ID"), Column::shrink("NAME", 4), Column::number("DAYS")];

    fn rows() -> Vec<Vec<String>> {
        vec![
            vec!["abc".into(), "a rather long name".into(), "12".into()],
            vec!["defgh".into(), "short".into(), "-3".into()],
        ]
    }

    #[test]
    fn without_a_width_nothing_is_cut() {
        let text = render(&COLUMNS, &rows(), None);
        assert_eq!(
            text,
            "ID     NAME                DAYS\nabc    a rather long name    12\ndefgh  short                 -3\n"
        );
    }

    #[test]
    fn the_widest_shrinkable_column_is_cut_to_fit() {
        let text = render(&COLUMNS, &rows(), Some(22));
        for line in text.lines() {
            assert!(line.width() <= 22, "{line:?}");
        }
        assert_eq!(text, "ID     NAME       DAYS\nabc    a rather…    12\ndefgh  short        -3\n");
        assert!(text.contains("defgh"), "IDs are never cut: {text}");
    }

    #[test]
    fn a_too_narrow_terminal_keeps_the_minimum() {
        let text = render(&COLUMNS, &rows(), Some(5));
        assert!(text.lines().nth(1).unwrap().starts_with("abc    a r…"), "{text}");
    }

    #[test]
    fn truncation_counts_display_width() {
        assert_eq!(truncate("héllo", 5), "héllo");
        assert_eq!(truncate("héllo wörld", 6), "héllo…");
        assert_eq!(truncate("日本語テキスト", 5), "日本…");
        assert_eq!(truncate("abc", 0), "");
    }
}
