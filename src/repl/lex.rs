//! A forgiving tokenizer for the line being edited. Unlike the grammar it never fails: half-typed
//! input (an open string, a trailing `.`) still yields tokens, and the tokens cover every byte,
//! so completion can tell where the cursor is and highlighting can rebuild the line exactly.

use std::ops::Range;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tok {
    /// A name or a path: `visit`, `led_by.name`, `led_by.` (while typing).
    Word,
    /// A text in double quotes; `closed` is false while it is still being typed.
    Str {
        closed: bool,
    },
    Number,
    Date,
    /// `=`, `!=`, `<`, `<=`, `>`, `>=`, `:-`.
    Op,
    Open,
    Close,
    Comma,
    Semi,
    Colon,
    /// `?x` in rules.
    Var,
    Comment,
    Space,
    Other,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    pub tok: Tok,
    pub range: Range<usize>,
}

impl Token {
    pub fn text<'a>(&self, src: &'a str) -> &'a str {
        &src[self.range.clone()]
    }

    pub fn is_code(&self) -> bool {
        !matches!(self.tok, Tok::Space | Tok::Comment)
    }
}

fn is_name_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_'
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

type Chars<'a> = std::iter::Peekable<std::str::CharIndices<'a>>;

/// Consumes the characters satisfying `f`, moving `end` past them.
fn take_while(chars: &mut Chars, end: &mut usize, f: &dyn Fn(char) -> bool) {
    while let Some(&(i, c)) = chars.peek() {
        if !f(c) {
            break;
        }
        *end = i + c.len_utf8();
        chars.next();
    }
}

/// Splits `text` into tokens covering every byte.
pub fn lex(text: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some((start, c)) = chars.next() {
        let mut end = start + c.len_utf8();
        let tok = match c {
            c if c.is_whitespace() => {
                take_while(&mut chars, &mut end, &|c| c.is_whitespace());
                Tok::Space
            }
            '#' => {
                take_while(&mut chars, &mut end, &|c| c != '\n');
                Tok::Comment
            }
            '"' => {
                let mut closed = false;
                let mut escaped = false;
                for (i, c) in chars.by_ref() {
                    end = i + c.len_utf8();
                    if escaped {
                        escaped = false;
                    } else if c == '\\' {
                        escaped = true;
                    } else if c == '"' {
                        closed = true;
                        break;
                    }
                }
                Tok::Str { closed }
            }
            c if is_name_start(c) => {
                take_while(&mut chars, &mut end, &|c| is_name_char(c) || c == '.');
                Tok::Word
            }
            '?' => {
                take_while(&mut chars, &mut end, &is_name_char);
                Tok::Var
            }
            c if c.is_ascii_digit()
                || (c == '-' && chars.peek().is_some_and(|(_, d)| d.is_ascii_digit())) =>
            {
                take_while(&mut chars, &mut end, &|c| {
                    c.is_ascii_digit() || matches!(c, '-' | '/' | '.' | '~' | '?' | '%')
                });
                let t = &text[start..end];
                let body = t.strip_prefix('-').unwrap_or(t);
                if body.contains(['-', '/', '~', '?', '%']) {
                    Tok::Date
                } else {
                    Tok::Number
                }
            }
            '=' => Tok::Op,
            '!' | '<' | '>' => {
                if chars.peek().is_some_and(|&(_, d)| d == '=') {
                    end += 1;
                    chars.next();
                }
                Tok::Op
            }
            ':' => {
                if chars.peek().is_some_and(|&(_, d)| d == '-') {
                    end += 1;
                    chars.next();
                    Tok::Op
                } else {
                    Tok::Colon
                }
            }
            '(' | '[' => Tok::Open,
            ')' | ']' => Tok::Close,
            ',' => Tok::Comma,
            ';' => Tok::Semi,
            _ => Tok::Other,
        };
        out.push(Token {
            tok,
            range: start..end,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<(Tok, &str)> {
        lex(text)
            .into_iter()
            .filter(|t| t.is_code())
            .map(|t| (t.tok, &text[t.range]))
            .collect()
    }

    #[test]
    fn covers_every_byte_and_survives_half_typed_input() {
        for text in [
            "visit where partner = \"الو",
            "a.b. <= 2025-09~ ?x :- #c",
            "é\"\\",
        ] {
            let toks = lex(text);
            let joined: String = toks.iter().map(|t| t.text(text)).collect();
            assert_eq!(joined, text);
        }
        assert_eq!(
            kinds("visit[led_by.] where date >= 2025-09 and n = -3 \"x"),
            vec![
                (Tok::Word, "visit"),
                (Tok::Open, "["),
                (Tok::Word, "led_by."),
                (Tok::Close, "]"),
                (Tok::Word, "where"),
                (Tok::Word, "date"),
                (Tok::Op, ">="),
                (Tok::Date, "2025-09"),
                (Tok::Word, "and"),
                (Tok::Word, "n"),
                (Tok::Op, "="),
                (Tok::Number, "-3"),
                (Tok::Str { closed: false }, "\"x"),
            ]
        );
    }
}
