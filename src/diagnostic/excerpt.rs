//! The lines a report shows. ariadne is handed only the lines its labels touch, with very long
//! lines cut to a window around the place, so a report costs the size of what it shows — not of
//! the whole text — and a megabyte-long line still gives a short report.

use super::{SourceText, Span};
use std::ops::Range;

/// Lines longer than this are cut to a window around what the report points at.
const MAX_LINE_CHARS: usize = 160;
/// How many characters of a cut line to show before the point of interest.
const CONTEXT_CHARS: usize = 50;
/// Secondary labels further than this many lines from the primary one are left out.
pub(super) const MAX_EXCERPT_LINES: usize = 40;

/// The lines a report shows, with over-long lines cut to a window: ariadne receives only this,
/// so rendering costs the size of the excerpt, not of the whole text (a 1 MB one-line input
/// with a mistake in it gives a short report, quickly).
pub(super) struct Excerpt {
    pub text: String,
    /// 0-based line number of the excerpt's first line in the whole text.
    pub first_line: usize,
    /// Which bytes of the whole text were kept, and where (in characters) each lands.
    pieces: Vec<Piece>,
}

struct Piece {
    from: usize,
    to: usize,
    at: usize,
}

impl Excerpt {
    pub fn new(src: &SourceText, primary: Span, secondary: impl Iterator<Item = Span>) -> Excerpt {
        let mut focus: Vec<usize> = vec![primary.start];
        let mut first = src.line_of(primary.start);
        let mut last = src.line_of(primary.end.saturating_sub(1).max(primary.start));
        for s in secondary {
            focus.push(s.start);
            first = first.min(src.line_of(s.start));
            last = last.max(src.line_of(s.end.saturating_sub(1).max(s.start)));
        }
        let text: &str = &src.text;
        let mut out = Excerpt {
            text: String::new(),
            first_line: first,
            pieces: vec![],
        };
        let mut chars = 0;
        for line in first..=last {
            if line > first {
                out.text.push('\n');
                chars += 1;
            }
            let range = src.line_range(line);
            let body = &text[range.clone()];
            let short = body.len() <= MAX_LINE_CHARS || body.chars().nth(MAX_LINE_CHARS).is_none();
            let (from, to) = if short {
                (range.start, range.end)
            } else {
                let point = focus
                    .iter()
                    .copied()
                    .find(|f| range.contains(f))
                    .unwrap_or(range.start);
                let from = back_chars(text, range.start, point, CONTEXT_CHARS);
                let to = forward_chars(text, from, range.end, MAX_LINE_CHARS);
                (from, to)
            };
            if from > range.start {
                out.text.push('…');
                chars += 1;
            }
            out.pieces.push(Piece {
                from,
                to,
                at: chars,
            });
            // A control character (ESC, a bare CR, NUL) is shown as its Unicode picture, one
            // character for one, so the report cannot drive the terminal and columns still count.
            out.text
                .extend(text[from..to].chars().map(crate::output::control_picture));
            chars += text[from..to].chars().count();
            if to < range.end {
                out.text.push('…');
                chars += 1;
            }
        }
        out
    }

    /// A span of the whole text as a character range of the excerpt, cut to what is shown.
    pub fn map(&self, text: &str, span: Span) -> Option<Range<usize>> {
        let start_piece = self
            .pieces
            .iter()
            .find(|p| p.from <= span.start && span.start <= p.to)?;
        let start = start_piece.at + text[start_piece.from..span.start].chars().count();
        let end_piece = self
            .pieces
            .iter()
            .rev()
            .find(|p| p.from <= span.end)
            .unwrap_or(start_piece);
        let end_byte = span.end.min(end_piece.to);
        let end = end_piece.at + text[end_piece.from..end_byte].chars().count();
        Some(start..end.max(start))
    }

    /// The byte offset in the excerpt of a character offset.
    pub fn byte_of_char(&self, chars: usize) -> usize {
        self.text
            .char_indices()
            .nth(chars)
            .map_or(self.text.len(), |(i, _)| i)
    }
}

/// ariadne 0.5 numbers the gutter from the excerpt's first line, not the text's (it applies
/// the display offset to the header only); put the real numbers in, widening the margin when
/// they have more digits.
pub(super) fn renumber(rendered: &str, first_line: usize, excerpt_lines: usize) -> String {
    if first_line == 0 {
        return rendered.to_string();
    }
    let digits = |n: usize| n.to_string().len();
    let extra = digits(first_line + excerpt_lines) - digits(excerpt_lines);
    let mut out = String::with_capacity(rendered.len() + 64);
    for (i, line) in rendered.split_inclusive('\n').enumerate() {
        if i == 0 {
            out.push_str(line);
            continue;
        }
        // The margin: spaces and colour codes, then a line number and a space on numbered lines.
        let mut spaces = 0;
        let mut codes = String::new();
        let mut rest = line;
        loop {
            if let Some(r) = rest.strip_prefix(' ') {
                spaces += 1;
                rest = r;
            } else if rest.starts_with("\x1b[") {
                let end = rest.find('m').map_or(rest.len(), |m| m + 1);
                codes.push_str(&rest[..end]);
                rest = &rest[end..];
            } else {
                break;
            }
        }
        let number_len = rest.bytes().take_while(u8::is_ascii_digit).count();
        if number_len > 0 && rest[number_len..].starts_with(' ') {
            let n: usize = rest[..number_len].parse().unwrap_or(0);
            let shown = (n + first_line).to_string();
            let pad = (spaces + extra + number_len).saturating_sub(shown.len());
            out.push_str(&" ".repeat(pad));
            out.push_str(&codes);
            out.push_str(&shown);
            out.push_str(&rest[number_len..]);
        } else if spaces > 0 {
            out.push_str(&" ".repeat(extra));
            out.push_str(line);
        } else if rest.starts_with('─') {
            out.push_str(&codes);
            out.push_str(&"─".repeat(extra));
            out.push_str(rest);
        } else {
            out.push_str(line);
        }
    }
    out
}

/// The offset `n` characters before `from` (not before `floor`).
fn back_chars(text: &str, floor: usize, from: usize, n: usize) -> usize {
    text[floor..from]
        .char_indices()
        .rev()
        .nth(n.saturating_sub(1))
        .map_or(floor, |(i, _)| floor + i)
}

/// The offset `n` characters after `from` (not after `ceil`).
fn forward_chars(text: &str, from: usize, ceil: usize, n: usize) -> usize {
    text[from..ceil]
        .char_indices()
        .nth(n)
        .map_or(ceil, |(i, _)| from + i)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::{Diagnostic, Sources};

    #[test]
    fn a_long_line_is_cut_around_the_place_and_keeps_its_real_column() {
        let mut sources = Sources::default();
        let text = format!(
            "count visit;\n{}vist{}",
            "x ".repeat(5000),
            " y".repeat(5000)
        );
        let id = sources.add("long.dl", text.clone());
        let at = text.find("vist").unwrap();
        let d = Diagnostic::error("there is no kind `vist`", Span::new(id, at, at + 4), "here");
        let report = d.render(&sources, false);
        assert!(report.contains("long.dl:2:10001"), "{report}");
        assert!(report.contains(" 2 │ …x x "), "{report}");
        assert!(report.lines().all(|l| l.chars().count() < 200), "{report}");
    }

    #[test]
    fn the_margin_shows_the_real_line_numbers_and_widens_for_them() {
        let plain = "Error: m\n   ╭─[ f:9:1 ]\n   │\n 1 │ x\n   │ ┬\n───╯\n";
        let fixed = renumber(plain, 8, 1);
        assert!(fixed.contains(" 9 │ x"), "{fixed}");
        let fixed = renumber(plain, 99, 1);
        assert!(fixed.contains(" 100 │ x"), "{fixed}");
        assert!(fixed.contains("     ╭─[ f:9:1 ]"), "{fixed}");
        assert!(fixed.contains("─────╯"), "{fixed}");
    }
}
