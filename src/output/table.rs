//! Aligned text tables. Widths are measured in terminal columns (Arabic letters, combining
//! marks and wide characters counted right); long cells are cut with `…` between characters,
//! never inside one, and never between a letter and its combining marks.

use crate::eval::ResultSet;
use crate::store::{Database, Type, Value};
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// How a table is laid out.
#[derive(Clone, Debug)]
pub struct TableOptions {
    /// Widest a cell may be, in terminal columns.
    pub max_cell: usize,
    /// Width of the terminal, if known: columns are narrowed to fit it.
    pub terminal_width: Option<usize>,
    /// Print `(N rows)` under the table.
    pub footer: bool,
}

impl Default for TableOptions {
    fn default() -> Self {
        TableOptions {
            max_cell: 48,
            terminal_width: None,
            footer: true,
        }
    }
}

/// Cuts `text` to at most `width` columns, ending with `…` when cut.
pub fn truncate(text: &str, width: usize) -> String {
    if text.width() <= width {
        return text.to_string();
    }
    let mut out = String::new();
    let mut used = 0;
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        // A letter with the combining marks that follow it is kept or dropped whole.
        let mut j = i + 1;
        while j < chars.len() && chars[j].width() == Some(0) {
            j += 1;
        }
        let w: usize = chars[i..j].iter().map(|c| c.width().unwrap_or(0)).sum();
        if used + w + 1 > width {
            break;
        }
        out.extend(&chars[i..j]);
        used += w;
        i = j;
    }
    out.push('…');
    out
}

/// A cell as shown: line breaks and tabs as spaces, other control characters escaped.
fn cell_text(db: &Database, v: &Value) -> String {
    super::escape_controls(&db.display(v)).replace(['\n', '\t'], " ")
}

/// The rows as an aligned table with a header, a rule and a row count.
pub fn render_table(db: &Database, rs: &ResultSet, opts: &TableOptions) -> String {
    let n = rs.columns.len();
    let cells: Vec<Vec<String>> = rs
        .rows
        .iter()
        .map(|r| r.iter().map(|v| cell_text(db, v)).collect())
        .collect();
    let mut widths: Vec<usize> = rs.columns.iter().map(|c| c.width()).collect();
    for row in &cells {
        for (i, c) in row.iter().enumerate() {
            widths[i] = widths[i].max(c.width().min(opts.max_cell));
        }
    }
    if let Some(total) = opts.terminal_width
        && !fit(&mut widths, &rs.columns, total)
    {
        return render_expanded(&rs.columns, &cells, total, opts.footer);
    }
    let numeric: Vec<bool> = (0..n)
        .map(|i| rs.types.get(i) == Some(&Type::Number))
        .collect();
    let line = |cells: &[String], out: &mut String| {
        let parts: Vec<String> = cells
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let c = truncate(c, widths[i]);
                let pad = widths[i].saturating_sub(c.width());
                if numeric[i] {
                    format!("{}{c}", " ".repeat(pad))
                } else {
                    format!("{c}{}", " ".repeat(pad))
                }
            })
            .collect();
        out.push(' ');
        out.push_str(parts.join(" │ ").trim_end());
        out.push('\n');
    };
    let mut out = String::new();
    line(&rs.columns, &mut out);
    out.push_str(
        &widths
            .iter()
            .map(|w| "─".repeat(w + 2))
            .collect::<Vec<_>>()
            .join("┼"),
    );
    out.push('\n');
    for row in &cells {
        line(row, &mut out);
    }
    if opts.footer {
        out.push_str(&match rs.rows.len() {
            0 => "(no rows)\n\n".to_string(),
            1 => "(1 row)\n\n".to_string(),
            k => format!("({k} rows)\n\n"),
        });
    }
    out
}

/// Narrows the widest columns until the table fits `total` terminal columns; false when it
/// cannot fit without cutting columns below a readable width.
fn fit(widths: &mut [usize], headers: &[String], total: usize) -> bool {
    let overhead = 3 * widths.len() + 1;
    while widths.iter().sum::<usize>() + overhead > total {
        let Some((i, &w)) = widths.iter().enumerate().max_by_key(|(_, w)| **w) else {
            return false;
        };
        let floor = headers[i].width().clamp(6, 12);
        if w <= floor {
            return false;
        }
        widths[i] = w - 1;
    }
    true
}

/// One record per block, one field per line (like psql's expanded display), for results too
/// wide for the terminal.
fn render_expanded(headers: &[String], rows: &[Vec<String>], total: usize, footer: bool) -> String {
    let label = headers.iter().map(|h| h.width()).max().unwrap_or(0);
    let room = total.saturating_sub(label + 4).max(8);
    let mut out = String::new();
    for (n, row) in rows.iter().enumerate() {
        let head = format!("─[ {} ]", n + 1);
        let rule = total.saturating_sub(head.width()).min(label + room + 3);
        out.push_str(&format!("{head}{}\n", "─".repeat(rule)));
        for (h, c) in headers.iter().zip(row) {
            let pad = label - h.width();
            let line = format!(" {h}{} │ {}", " ".repeat(pad), truncate(c, room));
            out.push_str(line.trim_end());
            out.push('\n');
        }
    }
    if footer {
        out.push_str(&match rows.len() {
            0 => "(no rows)\n\n".to_string(),
            1 => "(1 row)\n\n".to_string(),
            k => format!("({k} rows)\n\n"),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn too_wide_for_the_terminal_becomes_one_field_per_line() {
        let headers: Vec<String> = (0..12).map(|i| format!("column_{i}")).collect();
        let row: Vec<String> = (0..12)
            .map(|i| format!("a fairly long value {i}"))
            .collect();
        let mut widths: Vec<usize> = row.iter().map(|c| c.width()).collect();
        assert!(!fit(&mut widths, &headers, 80));
        let text = render_expanded(&headers, &[row], 80, true);
        assert!(text.starts_with("─[ 1 ]"));
        assert!(text.contains(" column_11 │ a fairly long value 11\n"));
        assert!(text.lines().all(|l| l.width() <= 80));
    }

    #[test]
    fn truncates_by_width_and_keeps_marks_with_letters() {
        assert_eq!(truncate("abcdef", 4), "abc…");
        assert_eq!(truncate("abc", 4), "abc");
        // "بَ" is a letter with a combining fatha: both go, or both stay.
        let t = truncate("بَبَبَبَ", 3);
        assert_eq!(t, "بَبَ…");
    }
}
