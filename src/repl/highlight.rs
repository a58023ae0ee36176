//! Colours while typing: keywords, kinds, fields, texts, dates and numbers. Only escape codes
//! are added around tokens, never characters, so the line keeps its display width (rustyline
//! places the cursor by the plain text).

use super::catalog::{Catalog, KindInfo};
use super::lex::{Tok, Token, lex};
use crate::syntax::is_keyword;

const RESET: &str = "\x1b[0m";
const KEYWORD: &str = "\x1b[1;35m";
const KIND: &str = "\x1b[1;36m";
const FIELD: &str = "\x1b[36m";
const TEXT: &str = "\x1b[32m";
const NUMBER: &str = "\x1b[33m";
const COMMENT: &str = "\x1b[90m";
const COMMAND: &str = "\x1b[1;33m";
/// The grey of hints (the rest of a line from history).
pub const HINT: &str = "\x1b[90m";

/// Words that are keywords only in some places.
const SOFT_KEYWORDS: &[&str] = &["cite", "inferred", "background"];

/// `line` with colours; `earlier` holds the statement's lines before this one, for context
/// (which kind the fields belong to).
pub fn highlight(cat: &Catalog, earlier: &str, line: &str) -> String {
    let (text, offset) = if earlier.is_empty() {
        (line.to_string(), 0)
    } else {
        (format!("{earlier}\n{line}"), earlier.len() + 1)
    };
    let toks = lex(&text);
    let styles = styles(cat, &text, &toks);
    let mut out = String::with_capacity(line.len() * 2);
    for (t, style) in toks.iter().zip(styles) {
        if t.range.end <= offset {
            continue;
        }
        let piece = &text[t.range.start.max(offset)..t.range.end];
        match style {
            Some(s) => {
                out.push_str(s);
                out.push_str(piece);
                out.push_str(RESET);
            }
            None => out.push_str(piece),
        }
    }
    out
}

/// The style of each token.
fn styles(cat: &Catalog, text: &str, toks: &[Token]) -> Vec<Option<&'static str>> {
    let mut out = vec![None; toks.len()];
    let mut kind: Option<&KindInfo> = None;
    // Index in the statement's code tokens (0 = first), counting a leading why/explain/count.
    let mut position = 0usize;
    let mut meta = false;
    for (i, t) in toks.iter().enumerate() {
        let s = t.text(text);
        out[i] = match t.tok {
            Tok::Comment => Some(COMMENT),
            Tok::Str { .. } => Some(TEXT),
            Tok::Number | Tok::Date => Some(NUMBER),
            Tok::Var => Some(FIELD),
            Tok::Space => {
                if meta && s.contains('\n') {
                    meta = false;
                    position = 0;
                }
                None
            }
            Tok::Semi => {
                kind = None;
                position = 0;
                None
            }
            Tok::Colon if position == 0 => {
                meta = true;
                Some(COMMAND)
            }
            _ if meta => (position == 1 && t.tok == Tok::Word).then_some(COMMAND),
            Tok::Word => {
                let next_is_paren = next_code(text, toks, i) == Some("(");
                let head = position == 0 || next_is_paren;
                if head && cat.is_kind(s) {
                    if position == 0 || kind.is_none() {
                        kind = cat.kind(s);
                    }
                    Some(KIND)
                } else if is_keyword(s) || (SOFT_KEYWORDS.contains(&s) && kind.is_some()) {
                    Some(KEYWORD)
                } else if is_field(cat, kind, s) {
                    Some(FIELD)
                } else {
                    None
                }
            }
            _ => None,
        };
        if t.is_code() {
            let s = t.text(text);
            // `why`, `explain` and `count` leave the kind still to come.
            if !(position == 0 && matches!(s, "why" | "explain" | "count")) {
                position += 1;
            }
        }
    }
    out
}

fn next_code<'a>(text: &'a str, toks: &[Token], i: usize) -> Option<&'a str> {
    toks[i + 1..]
        .iter()
        .find(|t| t.is_code())
        .map(|t| t.text(text))
}

/// Is `word` (a path) a field of the statement's kind, followed through entities?
fn is_field(cat: &Catalog, kind: Option<&KindInfo>, word: &str) -> bool {
    let Some(kind) = kind else { return false };
    let path: Vec<&str> = word.split('.').filter(|p| !p.is_empty()).collect();
    cat.field(&kind.name, &path).is_some() || (path.len() == 1 && kind.has_field(path[0]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::Session;
    use unicode_width::UnicodeWidthStr;

    fn strip(s: &str) -> String {
        let mut out = String::new();
        let mut esc = false;
        for c in s.chars() {
            match (esc, c) {
                (false, '\x1b') => esc = true,
                (true, 'm') => esc = false,
                (true, _) => {}
                (false, c) => out.push(c),
            }
        }
        out
    }

    #[test]
    fn colours_without_changing_the_text() {
        let s = Session::with_article().expect("article");
        let cat = Catalog::of(&s.db);
        let line = "visit[led_by.name] where partner = \"الولايات\" after 2025-09~ # note";
        let h = highlight(&cat, "", line);
        assert_eq!(strip(&h), line);
        assert_eq!(strip(&h).width(), line.width());
        assert!(h.contains(&format!("{KIND}visit{RESET}")));
        assert!(h.contains(&format!("{FIELD}led_by.name{RESET}")));
        assert!(h.contains(&format!("{KEYWORD}where{RESET}")));
        assert!(h.contains(&format!("{TEXT}\"الولايات\"{RESET}")));
        assert!(h.contains(&format!("{NUMBER}2025-09~{RESET}")));
        // A continuation line knows the kind from the lines before it.
        let h = highlight(&cat, "visit where", "partner = \"US");
        assert!(h.starts_with(&format!("{FIELD}partner{RESET}")));
        assert_eq!(strip(&h), "partner = \"US");
        let h = highlight(&cat, "", ":help tour");
        assert!(h.starts_with(&format!("{COMMAND}:{RESET}{COMMAND}help{RESET}")));
    }
}
