//! Small scans of a statement's raw text for the explanations: the last word or text before a
//! point, the brackets still open, a text never closed. Texts in quotes and comments are skipped
//! so that a `(` or `"` inside them counts for nothing.

use super::shorten_to;

pub(super) fn is_name(token: &str) -> bool {
    let mut chars = token.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The last word or operator of `text`.
pub(super) fn last_word(text: &str) -> &str {
    let text = text.trim_end();
    let word_start = text
        .char_indices()
        .rev()
        .find(|(_, c)| c.is_whitespace() || matches!(c, '(' | ')' | '[' | ']' | ',' | '"'))
        .map_or(0, |(i, c)| i + c.len_utf8());
    let word = &text[word_start..];
    // An operator glued to the field before it: `partner=`.
    for op in ["!=", "<=", ">=", ":-", "=", "<", ">"] {
        if word.ends_with(op) {
            return &word[word.len() - op.len()..];
        }
    }
    word
}

/// The last token of `text`: a whole text in quotes, or else the last word.
pub(super) fn last_token(text: &str) -> &str {
    let text = text.trim_end();
    if let Some(inner) = text.strip_suffix('"') {
        let mut start = None;
        let bytes = inner.as_bytes();
        for i in (0..bytes.len()).rev() {
            if bytes[i] == b'"' && (i == 0 || bytes[i - 1] != b'\\') {
                start = Some(i);
                break;
            }
        }
        if let Some(start) = start {
            return &text[start..];
        }
    }
    last_word(text)
}

/// The last item of a bracketed list in `text`: what follows its last `,`, `(` or `[`.
pub(super) fn last_item(text: &str) -> String {
    let start = text.rfind([',', '(', '[']).map_or(0, |i| i + 1);
    shorten_to(text[start..].trim(), 40)
}

/// Offsets of the brackets still open at the end of `text` (texts and comments skipped).
pub(super) fn open_brackets(text: &str) -> Vec<usize> {
    let mut stack = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'(' | b'[' => stack.push(i),
            b')' | b']' => {
                stack.pop();
            }
            _ => {}
        }
        i += 1;
    }
    stack
}

/// Where a text that is never closed starts (texts and comments skipped).
pub(super) fn unclosed_string_start(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                let start = i;
                i += 1;
                loop {
                    match bytes.get(i) {
                        None => return Some(start),
                        Some(b'\\') => i += 2,
                        Some(b'"') => break,
                        Some(_) => i += 1,
                    }
                }
            }
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}
