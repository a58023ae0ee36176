//! Completion that knows the language: kinds where a query starts, the fields of *that* kind
//! after `where`, `by`, `[`…, entity fields after `field.`, the known values of a field after a
//! comparison (in double quotes), keywords where they fit, meta-commands after `:`.
//!
//! It reads the statement up to the cursor with the forgiving tokenizer in [`super::lex`] and
//! follows the clauses of a query with a small state machine; it never needs the text to parse.

use super::catalog::Catalog;
use super::lex::{Tok, Token, lex};
use crate::store::Type;

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

/// What may come at the cursor.
#[derive(Debug, PartialEq)]
enum Want {
    /// Kind names, and these keywords.
    Kinds(&'static [&'static str]),
    /// The fields of `kind` after `path.`, then `suffix` (`": "` in facts), and keywords.
    Fields {
        kind: String,
        path: Vec<String>,
        suffix: &'static str,
        keywords: &'static [&'static str],
    },
    /// The known values of the field at `path` in `kind`.
    Values { kind: String, path: Vec<String> },
    Keywords(&'static [&'static str]),
    Commands,
    Files,
    Nothing,
}

const TIME_OPS: &[&str] = &["after", "before", "on", "during", "between"];
const AFTER_KIND: &[&str] = &[
    "where",
    "by",
    "order",
    "limit",
    "after",
    "before",
    "on",
    "during",
    "between",
    "possibly",
    "certainly",
];
const AFTER_PATH: &[&str] = &[
    "contains",
    "in",
    "not",
    "is",
    "after",
    "before",
    "on",
    "during",
    "between",
    "possibly",
    "certainly",
];
const AFTER_CONDITION: &[&str] = &[
    "and",
    "or",
    "order",
    "limit",
    "after",
    "before",
    "on",
    "during",
    "between",
    "possibly",
    "certainly",
];
const AFTER_TIME: &[&str] = &[
    "and",
    "after",
    "before",
    "on",
    "during",
    "between",
    "possibly",
    "certainly",
    "order",
    "limit",
];
const AFTER_GROUP: &[&str] = &["where", "order", "limit", "after", "before", "on", "during"];
const FIELD_TYPES: &[&str] = &["text", "number", "date", "entity", "ref"];
const ENTITY_TYPES: &[&str] = &[
    "person",
    "organisation",
    "country",
    "city",
    "region",
    "group",
];
const FORMATS: &[&str] = &["table", "json", "csv"];
const ON_OFF: &[&str] = &["on", "off"];
const TOPICS: &[&str] = &["queries", "dates", "entities", "facts", "rules", "tour"];

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
    let code: Vec<&Token> = before[stmt_start..].iter().filter(|t| t.is_code()).collect();
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

fn word<'a>(text: &'a str, t: Option<&&Token>) -> &'a str {
    match t {
        Some(t) if t.tok == Tok::Word => t.text(text),
        _ => "",
    }
}

/// What the tokens before the word ask for.
fn want(cat: &Catalog, text: &str, code: &[&Token]) -> Want {
    let w = |i: usize| word(text, code.get(i));
    if code.first().is_some_and(|t| t.tok == Tok::Colon) {
        return meta(code.len(), w(1));
    }
    let mut i = 0;
    if code.is_empty() {
        return Want::Kinds(&["why", "explain", "count", "kind"]);
    }
    if matches!(w(0), "why" | "explain") {
        i = 1;
        if code.len() == 1 {
            return Want::Kinds(&["count"]);
        }
    }
    if w(i) == "count" {
        i += 1;
        if code.len() == i {
            return Want::Kinds(&[]);
        }
    }
    if w(i) == "kind" {
        return match code.last() {
            Some(t) if t.tok == Tok::Colon => Want::Keywords(FIELD_TYPES),
            _ => Want::Nothing,
        };
    }
    let kind = w(i);
    if kind.is_empty() {
        return Want::Nothing;
    }
    let rest = &code[i + 1..];
    if kind == "entity" && rest.first().is_some_and(|t| t.tok == Tok::Word) {
        let is_decl = rest.get(1).is_some_and(|t| t.tok == Tok::Colon);
        let named = !cat.is_kind(word(text, rest.first())) && !is_query_word(w(i + 1));
        if is_decl || named {
            return entity_decl(text, rest);
        }
    }
    if rest.first().is_some_and(|t| t.text(text) == "(")
        || rest.iter().any(|t| t.text(text) == ":-")
    {
        return fact_or_rule(cat, text, kind, rest);
    }
    query(text, kind, rest)
}

fn is_query_word(w: &str) -> bool {
    AFTER_KIND.contains(&w)
}

fn meta(len: usize, name: &str) -> Want {
    if len <= 1 {
        return Want::Commands;
    }
    match name {
        "load" | "save" => Want::Files,
        "schema" => Want::Kinds(&[]),
        "format" => Want::Keywords(FORMATS),
        "timing" => Want::Keywords(ON_OFF),
        "help" => Want::Keywords(TOPICS),
        _ => Want::Nothing,
    }
}

/// `entity claude: person(name: …)`.
fn entity_decl(text: &str, rest: &[&Token]) -> Want {
    let last = rest.last().map(|t| t.text(text)).unwrap_or("");
    let open = rest.iter().any(|t| t.text(text) == "(");
    match last {
        ":" if !open => Want::Keywords(ENTITY_TYPES),
        "(" | "," if open => Want::Fields {
            kind: crate::store::ENTITY.into(),
            path: vec![],
            suffix: ": ",
            keywords: &[],
        },
        _ => Want::Nothing,
    }
}

/// A fact `visit(partner: …)` or a rule `head(…) :- body(…), …`.
fn fact_or_rule(cat: &Catalog, text: &str, kind: &str, rest: &[&Token]) -> Want {
    // The innermost open parenthesis, and the atom it belongs to.
    let mut stack: Vec<usize> = vec![];
    for (n, t) in rest.iter().enumerate() {
        match t.text(text) {
            "(" | "[" => stack.push(n),
            ")" | "]" => {
                stack.pop();
            }
            _ => {}
        }
    }
    let last = rest.last().map(|t| t.text(text)).unwrap_or("");
    if let Some(&open) = stack.last() {
        let owner = if open == 0 {
            kind
        } else {
            word(text, rest.get(open - 1))
        };
        if !cat.is_kind(owner) {
            return Want::Nothing;
        }
        return match last {
            "(" | "," => Want::Fields {
                kind: owner.into(),
                path: vec![],
                suffix: ": ",
                keywords: &[],
            },
            ":" => {
                let field = word(text, rest.get(rest.len().saturating_sub(2)));
                Want::Values {
                    kind: owner.into(),
                    path: vec![field.into()],
                }
            }
            _ => Want::Nothing,
        };
    }
    let in_body = rest.iter().any(|t| t.text(text) == ":-");
    match last {
        ":-" | "," | "not" if in_body => Want::Kinds(&["not"]),
        ")" if !in_body => Want::Keywords(&["cite", "inferred", "background"]),
        _ => Want::Nothing,
    }
}

/// Where a query is, clause by clause.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Q {
    AfterKind,
    /// After `[` or `,` in a projection.
    Projection,
    ProjectionField,
    /// After `by` or `,` in a grouping.
    GroupBy,
    GroupField,
    /// A condition's field is expected.
    Path,
    /// After a condition's field.
    AfterPath,
    /// After `=`, `contains`…
    Value,
    AfterValue,
    Is,
    IsNot,
    NotIn,
    InOpen,
    InList,
    InItem,
    Modality,
    TimeValue,
    AfterTime,
    Order,
    OrderBy,
    OrderKey,
    OrderDir,
    Limit,
    Lost,
}

fn query(text: &str, kind: &str, rest: &[&Token]) -> Want {
    use Q::*;
    let mut st = AfterKind;
    let mut path: Vec<String> = vec![];
    let mut between = false;
    for t in rest {
        let s = t.text(text);
        let valueish = matches!(t.tok, Tok::Str { .. } | Tok::Number | Tok::Date | Tok::Word);
        st = match (st, t.tok, s) {
            (_, Tok::Word, "where") => Path,
            (_, Tok::Word, "order") => Order,
            (_, Tok::Word, "limit") => Limit,
            (Order, Tok::Word, "by") => OrderBy,
            (AfterKind | ProjectionField, Tok::Word, "by") => GroupBy,
            (AfterKind, Tok::Open, "[") => Projection,
            (Projection, Tok::Word, _) => ProjectionField,
            (ProjectionField, Tok::Comma, _) => Projection,
            (ProjectionField, Tok::Close, "]") => AfterKind,
            (GroupBy, Tok::Word, _) => GroupField,
            (GroupField, Tok::Comma, _) => GroupBy,
            (Path, Tok::Word, "not") | (Path, Tok::Open, "(") => Path,
            (Path, Tok::Word, p) => {
                path = p.split('.').map(String::from).collect();
                AfterPath
            }
            (AfterPath, Tok::Op, _) | (AfterPath, Tok::Word, "contains") => Value,
            (AfterPath, Tok::Word, "is") => Is,
            (Is, Tok::Word, "not") => IsNot,
            (Is | IsNot, Tok::Word, "unknown") => AfterValue,
            (AfterPath, Tok::Word, "not") => NotIn,
            (AfterPath | NotIn, Tok::Word, "in") => InOpen,
            (InOpen, Tok::Open, "(") => InList,
            (InList, _, _) if valueish => InItem,
            (InItem, Tok::Comma, _) => InList,
            (InItem, Tok::Close, _) => AfterValue,
            (Value, _, _) if valueish => AfterValue,
            (AfterValue, Tok::Word, "and" | "or") => Path,
            (AfterValue, Tok::Close, ")") => AfterValue,
            (_, Tok::Word, "possibly" | "certainly") => Modality,
            (AfterTime, Tok::Word, "and") if between => {
                between = false;
                TimeValue
            }
            (_, Tok::Word, op) if TIME_OPS.contains(&op) => {
                between = op == "between";
                TimeValue
            }
            (TimeValue, _, _) if valueish => AfterTime,
            (OrderBy, Tok::Word, _) => OrderKey,
            (OrderKey, Tok::Word, "asc" | "desc") => OrderDir,
            (OrderKey | OrderDir, Tok::Comma, _) => OrderBy,
            _ => Lost,
        };
    }
    let fields = |path: Vec<String>, keywords| Want::Fields {
        kind: kind.into(),
        path,
        suffix: "",
        keywords,
    };
    match st {
        AfterKind => Want::Keywords(AFTER_KIND),
        Projection | GroupBy | OrderBy => fields(vec![], &[]),
        Path => fields(vec![], &["not"]),
        GroupField => Want::Keywords(AFTER_GROUP),
        AfterPath => Want::Keywords(AFTER_PATH),
        Value | InList => Want::Values {
            kind: kind.into(),
            path,
        },
        Is => Want::Keywords(&["not", "unknown"]),
        IsNot => Want::Keywords(&["unknown"]),
        NotIn => Want::Keywords(&["in"]),
        AfterValue => Want::Keywords(AFTER_CONDITION),
        Modality => Want::Keywords(TIME_OPS),
        AfterTime => Want::Keywords(AFTER_TIME),
        Order => Want::Keywords(&["by"]),
        OrderKey => Want::Keywords(&["asc", "desc", "limit"]),
        OrderDir => Want::Keywords(&["limit"]),
        ProjectionField | InOpen | InItem | TimeValue | Limit | Lost => Want::Nothing,
    }
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
    let needle = typed.to_lowercase();
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
        .filter(|v| starts_with(v, typed))
        .map(make)
        .collect();
    if out.is_empty() && !needle.is_empty() {
        out = values
            .iter()
            .filter(|v| v.to_lowercase().contains(&needle))
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
        assert_eq!(offered("visit where par"), ("par".into(), vec!["partner".into()]));
        assert!(has("visit where partner = \"US\" and ", "led_by"));
        assert!(has("visit[date, ", "led_by"));
        assert!(has("count statement by ", "speaker"));
        assert!(has("visit order by ", "date"));
        assert!(has("visit where (not ", "host"));
        assert!(!has("visit where ", "speaker"));
        assert_eq!(offered("visit where led_by.na"), ("na".into(), vec!["name".into(), "name_ar".into()]));
        assert!(has("visit where led_by.affiliation.", "aliases"));
        assert!(has("visit(par", "partner: "));
    }

    #[test]
    fn values_of_that_field_in_quotes() {
        assert!(has("visit where partner = ", "\"United States\""));
        assert!(has("visit where partner = \"U", "\"US\""));
        assert!(has("visit where partner = \"الو", "\"الولايات المتحدة\""));
        assert!(has("visit where partner in (\"US\", ", "\"Russia\""));
        assert!(has("visit where led_by.name = \"Cl", "\"Claude Tudor\""));
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
        assert!(offered("visit where date after ").1.is_empty());
    }
}
