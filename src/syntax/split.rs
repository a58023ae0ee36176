//! A light scan of the raw text, before the grammar runs: where statements end (top-level `;`,
//! the end of a meta-command line), and how deep brackets nest. Strings and comments are skipped
//! so that a `;` or `(` inside them counts for nothing.

use crate::diagnostic::{Diagnostic, SourceId, Span};
use std::ops::Range;

/// Byte ranges of the statements in `text`, each including its terminating `;`.
pub fn split_statements(text: &str) -> Vec<Range<usize>> {
    Pieces::new(text).collect()
}

/// The statements of a text one at a time (see [`split_statements`]); a reader that finds a
/// statement's end itself may [`Pieces::resume_at`] it, so that the text is scanned once.
pub struct Pieces<'t> {
    text: &'t str,
    /// Where the next statement starts (just past the last one's end).
    start: usize,
}

impl<'t> Pieces<'t> {
    pub fn new(text: &'t str) -> Pieces<'t> {
        Pieces { text, start: 0 }
    }

    /// Where the next statement's piece starts.
    pub fn position(&self) -> usize {
        self.start
    }

    /// Goes on from `end`, the end of a statement read another way (just past its `;`).
    pub fn resume_at(&mut self, end: usize) {
        self.start = end;
    }

    /// The next piece, whether or not it holds code.
    fn next_piece(&mut self) -> Option<Range<usize>> {
        let text = self.text;
        let bytes = text.as_bytes();
        let start = self.start;
        let mut i = start;
        let mut at_statement_start = true;
        while i < bytes.len() {
            let b = bytes[i];
            match b {
                b'"' => {
                    i = skip_string(bytes, i);
                    at_statement_start = false;
                    continue;
                }
                b'#' => {
                    while i < bytes.len() && bytes[i] != b'\n' {
                        i += 1;
                    }
                    continue;
                }
                b':' if at_statement_start => {
                    // A meta-command runs to the end of its line or to a `;` outside quotes
                    // (`:format json; count visit`); the `;` is not part of it.
                    while i < bytes.len() && bytes[i] != b'\n' && bytes[i] != b';' {
                        i = if bytes[i] == b'"' {
                            skip_string(bytes, i).min(line_end(bytes, i))
                        } else {
                            i + 1
                        };
                    }
                    self.start = if i < bytes.len() && bytes[i] == b';' {
                        i + 1
                    } else {
                        i
                    };
                    return Some(start..i);
                }
                // `;` is never valid inside brackets, so it ends a statement even when a bracket
                // was left open: one unclosed `(` must not swallow the rest of a script.
                b';' => {
                    self.start = i + 1;
                    return Some(start..i + 1);
                }
                _ => {}
            }
            if !b.is_ascii_whitespace() {
                at_statement_start = false;
            }
            i += 1;
        }
        self.start = bytes.len();
        let rest = &text[start..];
        (rest.trim().chars().any(|c| c != ';') && has_code(rest)).then_some(start..bytes.len())
    }
}

impl Iterator for Pieces<'_> {
    type Item = Range<usize>;

    /// The next piece that holds code (comments and blank space alone are no statement).
    fn next(&mut self) -> Option<Range<usize>> {
        while self.start < self.text.len() {
            match self.next_piece() {
                Some(r) if has_code(&self.text[r.clone()]) => return Some(r),
                _ => {}
            }
        }
        None
    }
}

/// The index of the end of the line `i` is on.
fn line_end(bytes: &[u8], i: usize) -> usize {
    bytes[i..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(bytes.len(), |n| i + n)
}

/// Is there anything but whitespace, `;` and comments?
fn has_code(text: &str) -> bool {
    text.lines().any(|line| {
        let t = line.trim_start();
        !t.is_empty() && !t.starts_with('#') && t != ";"
    })
}

/// The index just past the string starting at `i` (or the end of the text if it never closes).
fn skip_string(bytes: &[u8], mut i: usize) -> usize {
    i += 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' => return i + 1,
            _ => i += 1,
        }
    }
    bytes.len()
}

/// Rejects nesting deeper than `max_depth`, pointing at the first bracket or `not` too deep.
/// Nesting is the open brackets plus the run of `not`s before a condition (`not not a = 1`
/// nests as deep as `((a = 1))` but has no brackets). This runs before the recursive-descent
/// parser, and bounds every later recursive pass too, so no input can overflow a stack.
pub fn check_nesting(
    chunk: &str,
    offset: usize,
    source: SourceId,
    max_depth: usize,
) -> Result<(), Diagnostic> {
    let bytes = chunk.as_bytes();
    let mut depth = 0usize;
    let mut nots = 0usize;
    let mut i = 0;
    let too_deep = |at: usize, len: usize, what: &str| {
        let span = Span::new(source, offset + at, offset + at + len);
        Diagnostic::error(
            format!("brackets and `not` are nested more than {max_depth} deep"),
            span,
            format!("this {what} is too deep"),
        )
        .with_help("simplify the statement; the limit can be raised with --max-depth N")
    };
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                i = skip_string(bytes, i);
                nots = 0;
                continue;
            }
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'(' | b'[' => {
                depth += 1;
                if depth + nots > max_depth {
                    return Err(too_deep(i, 1, "bracket"));
                }
            }
            b')' | b']' => {
                depth = depth.saturating_sub(1);
                nots = 0;
            }
            b if b.is_ascii_alphanumeric() || b == b'_' => {
                let start = i;
                while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                    i += 1;
                }
                if &chunk[start..i] == "not" {
                    nots += 1;
                    if depth + nots > max_depth {
                        return Err(too_deep(start, 3, "`not`"));
                    }
                } else {
                    nots = 0;
                }
                continue;
            }
            b if b.is_ascii_whitespace() => {}
            _ => nots = 0,
        }
        i += 1;
    }
    Ok(())
}

/// Is a bracket or a text left open at the end of `chunk`?
pub fn unclosed(chunk: &str) -> bool {
    let bytes = chunk.as_bytes();
    let mut depth: i64 = 0;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                let end = skip_string(bytes, i);
                if end == bytes.len() && (end == i + 1 || bytes[end - 1] != b'"') {
                    return true;
                }
                i = end;
                continue;
            }
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'(' | b'[' => depth += 1,
            b')' | b']' => depth -= 1,
            _ => {}
        }
        i += 1;
    }
    depth > 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pieces(text: &str) -> Vec<&str> {
        split_statements(text)
            .into_iter()
            .map(|r| text[r].trim())
            .collect()
    }

    #[test]
    fn splits_at_top_level_semicolons_only() {
        assert_eq!(pieces("a; b(x: \";\"); c"), vec!["a;", "b(x: \";\");", "c"]);
        assert_eq!(pieces("# a; comment\nvisit;"), vec!["# a; comment\nvisit;"]);
        assert_eq!(pieces(":format json\nvisit"), vec![":format json", "visit"]);
        // A meta-command also ends at a `;`, not inside quotes nor past its line.
        assert_eq!(
            pieces(":format json; count visit"),
            vec![":format json", "count visit"]
        );
        assert_eq!(pieces(":rules;"), vec![":rules"]);
        assert_eq!(
            pieces(":save \"a;b.dl\"; visit"),
            vec![":save \"a;b.dl\"", "visit"]
        );
        assert_eq!(pieces(":load \"x\nvisit;"), vec![":load \"x", "visit;"]);
        assert!(pieces("  ;; # nothing\n").is_empty());
    }

    #[test]
    fn bounds_brackets_and_runs_of_not() {
        let deep = |text: &str| check_nesting(text, 0, 0, 3).is_err();
        assert!(!deep("visit where ((a = 1))"));
        assert!(deep("visit where ((((a = 1))))"));
        assert!(!deep("visit where not not not a = 1"));
        assert!(deep("visit where not not not not a = 1"));
        assert!(deep("visit where ((not not a = 1))"));
        assert!(!deep(
            "visit where not a = 1 and not b = 1 and not c = 1 and not d = 1"
        ));
        assert!(!deep("visit where a = \"((((((\" # ((((((("));
    }

    #[test]
    fn finds_open_brackets_and_texts() {
        assert!(unclosed("visit where (a = 1"));
        assert!(unclosed("visit where a = \"US"));
        assert!(!unclosed("visit where (a = \"x\")"));
    }
}
