//! Completion that knows the language: kinds where a query starts, the fields of *that* kind
//! after `where`, `by`, `[`…, entity fields after `field.`, the known values of a field after a
//! comparison (in double quotes), keywords where they fit, meta-commands after `:`.
//!
//! It reads the statement up to the cursor with the forgiving tokenizer in [`super::lex`];
//! [`super::context`] tells what may come there, and this module lists the candidates.

use super::catalog::Catalog;
use super::context::{Want, want};
use super::lex::{Tok, Token, lex};
use crate::store::{Type, fold};

/// One proposal: what the list shows, and what replaces the word at the cursor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate {
    pub display: String,
    pub replacement: String,
}

/// What completion found for the text before the cursor.
#[derive(Debug, PartialEq, Eq)]
pub enum Proposal {
    /// Candidates replacing the text from byte `start` (of the text given) to the cursor.
    Items(usize, Vec<Candidate>),
    /// A file name is expected (after `:load` and `:save`).
    Files,
}

/// Completes the word that ends `text` (everything before the cursor, earlier lines of the
/// statement included).
pub fn propose(cat: &Catalog, text: &str) -> Proposal {
    let toks = lex(text);
    // The word being typed: the last token when it touches the cursor.
    let (word_start, before) = match toks.last() {
        Some(t)
            if t.range.end == text.len()
                && matches!(
                    t.tok,
                    Tok::Word | Tok::Str { closed: false } | Tok::Number | Tok::Date
                ) =>
        {
            (t.range.start, &toks[..toks.len() - 1])
        }
        _ => (text.len(), &toks[..]),
    };
    let word = &text[word_start..];
    // The statement the cursor is in: after the last `;`.
    let stmt_start = before
        .iter()
        .rposition(|t| t.tok == Tok::Semi)
        .map_or(0, |i| i + 1);
    let code: Vec<&Token> = before[stmt_start..]
        .iter()
        .filter(|t| t.is_code())
        .collect();
    let want = want(cat, text, &code);
    if want == Want::Files {
        return Proposal::Files;
    }
    // In a path, only the part after the last dot is replaced.
    let (start, fragment, want) = match want {
        Want::Fields {
            kind,
            mut path,
            suffix,
            ..
        } if word.contains('.') => {
            let dot = word.rfind('.').unwrap_or(0);
            path.extend(word[..dot].split('.').map(String::from));
            let w = Want::Fields {
                kind,
                path,
                suffix,
                keywords: &[],
            };
            (word_start + dot + 1, &word[dot + 1..], w)
        }
        w => (word_start, word, w),
    };
    Proposal::Items(start, candidates(cat, &want, fragment))
}

/// Does `candidate` start with what was typed (Latin letters in any case)?
fn starts_with(candidate: &str, typed: &str) -> bool {
    candidate.to_lowercase().starts_with(&typed.to_lowercase())
}

fn push_matching<'a>(
    out: &mut Vec<Candidate>,
    names: impl Iterator<Item = &'a str>,
    typed: &str,
    suffix: &str,
) {
    for n in names {
        if starts_with(n, typed) && !out.iter().any(|c| c.display == n) {
            out.push(Candidate {
                display: n.to_string(),
                replacement: format!("{n}{suffix}"),
            });
        }
    }
}

fn candidates(cat: &Catalog, want: &Want, typed: &str) -> Vec<Candidate> {
    let mut out = vec![];
    match want {
        Want::Kinds(keywords) => {
            let mut kinds: Vec<&str> = cat.kinds.iter().map(|k| k.name.as_str()).collect();
            kinds.sort_unstable();
            push_matching(&mut out, kinds.into_iter(), typed, "");
            push_matching(&mut out, keywords.iter().copied(), typed, "");
        }
        Want::Fields {
            kind,
            path,
            suffix,
            keywords,
        } => {
            let path: Vec<&str> = path.iter().map(String::as_str).collect();
            if let Some(k) = cat.kind_after(kind, &path) {
                let names = k.fields.iter().map(|f| f.name.as_str());
                // In facts, `id` is written but the virtual fields are not.
                let names = names.filter(|n| suffix.is_empty() || !["cite", "status"].contains(n));
                push_matching(&mut out, names, typed, suffix);
            }
            push_matching(&mut out, keywords.iter().copied(), typed, "");
        }
        Want::Values { kind, path } => {
            let path: Vec<&str> = path.iter().map(String::as_str).collect();
            if let Some(f) = cat.field(kind, &path) {
                out = values(&f.values, f.ty, typed);
            }
        }
        Want::Keywords(words) => push_matching(&mut out, words.iter().copied(), typed, ""),
        Want::Commands => {
            let names = crate::help::COMMANDS.iter().map(|(n, _)| *n);
            push_matching(&mut out, names, typed, "");
        }
        Want::Files | Want::Nothing => {}
    }
    out
}

/// Values of a field: texts and entity names in double quotes, the rest bare. What was typed
/// is matched at the start of a value, or anywhere in it when nothing starts with it.
fn values(values: &[String], ty: Type, typed: &str) -> Vec<Candidate> {
    let quoted = matches!(ty, Type::Text | Type::Entity | Type::List);
    let typed = typed.trim_start_matches('"');
    // Names compare folded (case, diacritics, Arabic letter variants; see `store::fold`).
    let needle = fold(typed);
    let make = |v: &String| Candidate {
        display: v.clone(),
        replacement: if quoted {
            format!("\"{}\"", v.replace('\\', "\\\\").replace('"', "\\\""))
        } else {
            v.clone()
        },
    };
    let mut out: Vec<Candidate> = values
        .iter()
        .filter(|v| fold(v).starts_with(&needle))
        .map(make)
        .collect();
    if out.is_empty() && !needle.is_empty() {
        out = values
            .iter()
            .filter(|v| fold(v).contains(&needle))
            .map(make)
            .collect();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::Session;
    use std::sync::OnceLock;

    fn catalog() -> &'static Catalog {
        static CAT: OnceLock<Catalog> = OnceLock::new();
        CAT.get_or_init(|| Catalog::of(&Session::with_article().expect("article").db))
    }

    /// The replacements offered at the end of `text`, and the text they replace.
    fn offered(text: &str) -> (String, Vec<String>) {
        match propose(catalog(), text) {
            Proposal::Items(start, c) => (
                text[start..].to_string(),
                c.into_iter().map(|c| c.replacement).collect(),
            ),
            Proposal::Files => ("<files>".into(), vec![]),
        }
    }

    fn has(text: &str, want: &str) -> bool {
        offered(text).1.iter().any(|c| c == want)
    }

    #[test]
    fn kinds_where_a_query_starts() {
        let (typed, kinds) = offered("vis");
        assert_eq!(typed, "vis");
        assert_eq!(kinds[..2], ["visit", "visit_exchange"]);
        assert!(has("count vis", "visit"));
        assert!(has("why agr", "agreement"));
        assert!(has("visit; vis", "visit"));
        assert!(has("", "why"));
    }

    #[test]
    fn fields_of_that_kind() {
        assert_eq!(
            offered("visit where par"),
            ("par".into(), vec!["partner".into()])
        );
        assert!(has("visit where partner = \"US\" and ", "led_by"));
        assert!(has("visit[date, ", "led_by"));
        assert!(has("count statement by ", "speaker"));
        assert!(has("visit order by ", "date"));
        assert!(has("visit where (not ", "host"));
        assert!(!has("visit where ", "speaker"));
        assert_eq!(
            offered("visit where led_by.na"),
            ("na".into(), vec!["name".into(), "name_ar".into()])
        );
        assert!(has("visit where led_by.affiliation.", "aliases"));
        assert!(has("visit(par", "partner: "));
        // On a continuation line, the kind comes from the lines before.
        assert!(has("visit\n  where\n  par", "partner"));
    }

    #[test]
    fn values_of_that_field_in_quotes() {
        assert!(has("visit where partner = ", "\"United States\""));
        assert!(has("visit where partner = \"U", "\"US\""));
        assert!(has("visit where partner = \"الو", "\"الولايات المتحدة\""));
        assert!(has("visit where partner in (\"US\", ", "\"Russia\""));
        assert!(has("visit where led_by.name = \"Cl", "\"Claude Tudor\""));
        // Folded: no diacritic, no hamza.
        assert!(has("entity where name = \"said ch", "\"Saïd Chengriha\""));
        assert!(has("visit where partner = \"امير", "\"أميركا\""));
        assert!(has("visit where status = ", "\"stated\""));
    }

    #[test]
    fn keywords_and_commands() {
        assert!(has("visit ", "where"));
        assert!(has("visit where partner = \"US\" ", "and"));
        assert!(has("visit where partner ", "contains"));
        assert!(has("visit order ", "by"));
        assert!(has("visit order by date ", "desc"));
        assert_eq!(offered(":he").1, vec!["help"]);
        assert!(has(":format ", "json"));
        assert!(has(":schema vi", "visit"));
        assert_eq!(offered(":load da").0, "<files>");
        assert_eq!(offered(":save! da").0, "<files>");
        assert!(offered("visit where date after ").1.is_empty());
    }
}
