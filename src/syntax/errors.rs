//! Turns pest's "expected rule_x" into a report a person can act on: the expected tokens in
//! words, the offending token underlined, and the usual mistakes recognised by name
//! ([`mistakes`]).
//!
//! pest reports the rules it tried at the furthest position a *rule* failed; the literal
//! punctuation it tried (`,`, `)`, `:-`) only shows in its detailed "parse attempts", which cost
//! a little more to collect. So the statement that failed is parsed a second time with details
//! on; from then on the process keeps them on (the flag is global, and turning it back off could
//! race with another thread's parse).

mod expected;
mod foreign;
mod mistakes;
mod scan;

use super::parse::{Grammar, Rule};
use crate::diagnostic::{Diagnostic, SourceId, Span};
use expected::{Expected, structural};
use pest::Parser as _;
use pest::error::{Error, ErrorVariant, InputLocation};

const KEYWORDS: &[&str] = &[
    "where",
    "and",
    "or",
    "not",
    "in",
    "contains",
    "after",
    "before",
    "between",
    "on",
    "during",
    "order",
    "by",
    "asc",
    "desc",
    "limit",
    "count",
    "why",
    "explain",
    "analyze",
    "kind",
    "entity",
    "unknown",
    "is",
    "possibly",
    "certainly",
    "true",
    "false",
];

/// Is `word` reserved by the language?
pub fn is_keyword(word: &str) -> bool {
    KEYWORDS.contains(&word)
}

/// The keywords, for completion and suggestions.
pub fn keywords() -> &'static [&'static str] {
    KEYWORDS
}

/// Where a statement stopped parsing, and everything the explanations need to know about it.
struct Site<'a> {
    /// The statement's text.
    pub chunk: &'a str,
    /// Where in `chunk` the parser stopped.
    pub pos: usize,
    /// Where `chunk` starts in the whole text.
    pub offset: usize,
    pub source: SourceId,
    /// The word, number, text or symbol at `pos` ("" at the end).
    pub token: &'a str,
    /// The statement up to `pos`, without trailing spaces.
    pub before: &'a str,
    pub expected: Expected,
}

impl Site<'_> {
    /// A span of `len` bytes at byte `start` of the chunk.
    pub fn span(&self, start: usize, len: usize) -> Span {
        Span::new(self.source, self.offset + start, self.offset + start + len)
    }

    /// The offending token's span (one character wide at least, empty at the end).
    pub fn token_span(&self) -> Span {
        let len = if self.at_end() {
            0
        } else {
            self.token.len().max(1)
        };
        self.span(self.pos, len)
    }

    /// Nothing but spaces and comments after the stopping point?
    pub fn at_end(&self) -> bool {
        self.chunk[self.pos..]
            .lines()
            .all(|l| l.trim().is_empty() || l.trim_start().starts_with('#'))
            || self.chunk[self.pos..].trim() == ";"
    }

    /// Where the statement's code starts: after leading spaces and comment lines.
    pub fn code_start(&self) -> usize {
        let mut i = 0;
        let bytes = self.chunk.as_bytes();
        while i < bytes.len() {
            match bytes[i] {
                b if b.is_ascii_whitespace() => i += 1,
                b'#' => {
                    while i < bytes.len() && bytes[i] != b'\n' {
                        i += 1;
                    }
                }
                _ => break,
            }
        }
        i
    }

    /// The statement's code before the stopping point (no leading comments, no trailing spaces).
    pub fn code_before(&self) -> &str {
        let start = self.code_start().min(self.before.len());
        &self.before[start..]
    }

    /// The text after the offending token.
    pub fn after_token(&self) -> &str {
        &self.chunk[self.pos + self.token.len()..]
    }
}

/// Builds the report for a pest error inside `chunk`, which starts at byte `offset` of the
/// source's text.
pub fn syntax_error(
    e: &Error<Rule>,
    _text: &str,
    offset: usize,
    chunk: &str,
    source: SourceId,
) -> Diagnostic {
    let mut pos = match e.location {
        InputLocation::Pos(p) => p,
        InputLocation::Span((s, _)) => s,
    };
    let rules = match &e.variant {
        ErrorVariant::ParsingError { positives, .. } => positives.clone(),
        ErrorVariant::CustomError { .. } => return too_complex(chunk, offset, source),
    };
    let (furthest, tokens) = detailed_attempts(chunk);
    // The furthest attempt may lie inside a word (the `!name_char` after a keyword, the digits
    // of a citation); only a place where punctuation or a keyword was wanted is worth moving to.
    let (rules, tokens) = match furthest {
        Some(p) if p == pos => (rules, tokens),
        Some(p) if p > pos && p <= chunk.len() && tokens.iter().any(|t| structural(t)) => {
            pos = p;
            (vec![], tokens)
        }
        _ => (rules, vec![]),
    };
    let pos = floor_char_boundary(chunk, pos);
    let rest = &chunk[pos..];
    let site = Site {
        chunk,
        pos,
        offset,
        source,
        token: first_token(rest),
        before: chunk[..pos].trim_end(),
        expected: Expected::new(rules, tokens),
    };
    mistakes::recognise(&site).unwrap_or_else(|| generic(&site))
}

/// The same failure, parsed again with pest's detailed attempts switched on: the furthest
/// position any token was tried at, and the literal tokens tried there.
fn detailed_attempts(chunk: &str) -> (Option<usize>, Vec<String>) {
    pest::set_error_detail(true);
    let Some(attempts) = Grammar::parse(Rule::program, chunk)
        .err()
        .and_then(|e| e.parse_attempts())
    else {
        return (None, vec![]);
    };
    let tokens = attempts
        .expected_tokens()
        .iter()
        .map(|t| t.to_string())
        .collect();
    (Some(attempts.max_position), tokens)
}

/// The parser gave up before the statement's end because of its own stack or call limits.
fn too_complex(chunk: &str, offset: usize, source: SourceId) -> Diagnostic {
    let start = chunk.len() - chunk.trim_start().len();
    let end = chunk.trim_end().len().max(start);
    Diagnostic::error(
        "this statement is too deeply nested to read",
        Span::new(source, offset + start, offset + end),
        "this statement",
    )
    .with_help("split it into simpler statements, or lower the nesting of brackets and `not`")
}

/// "unexpected `x`: expected a, b or c".
fn generic(site: &Site) -> Diagnostic {
    let found = if site.at_end() {
        "the statement ends too early".to_string()
    } else {
        format!("unexpected `{}`", shorten(site.token))
    };
    let phrase = site.expected.phrase();
    let message = if phrase.is_empty() {
        found
    } else {
        format!("{found}: {phrase}")
    };
    let label = if site.at_end() {
        "something is missing here"
    } else {
        "not expected here"
    };
    Diagnostic::error(message, site.token_span(), label)
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// The word, number, text or symbol at the start of `rest`.
fn first_token(rest: &str) -> &str {
    if rest.starts_with('"') {
        let bytes = rest.as_bytes();
        let mut i = 1;
        while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
            i += if bytes[i] == b'\\' { 2 } else { 1 };
        }
        let end = floor_char_boundary(rest, (i + 1).min(rest.len()));
        return &rest[..end];
    }
    let mut end = 0;
    for (i, c) in rest.char_indices() {
        let word = c.is_alphanumeric() || c == '_' || c == '.' || c == '-' && i > 0;
        let symbol = |s: &str| rest.starts_with(s);
        if i == 0 && !word {
            end = ["==", "!=", "<=", ">=", ":-"]
                .iter()
                .find(|s| symbol(s))
                .map_or(c.len_utf8(), |s| s.len());
            break;
        }
        if !word {
            break;
        }
        end = i + c.len_utf8();
    }
    &rest[..end]
}

/// A token as quoted in a message: at most 30 characters.
pub(super) fn shorten(token: &str) -> String {
    shorten_to(token, 30)
}

/// At most `max` characters of `text`, control characters escaped (a NUL shows as `\0`).
pub(super) fn shorten_to(text: &str, max: usize) -> String {
    let text = crate::output::escape_controls(text);
    if text.chars().count() > max {
        format!("{}…", text.chars().take(max).collect::<String>())
    } else {
        text.into_owned()
    }
}
