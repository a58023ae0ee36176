//! What may come at the cursor, read from the statement's tokens before it: a kind, the fields
//! of the kind being queried, a value of one field, keywords, a command. A small state machine
//! follows the clauses of a query; nothing here needs the text to parse.

use super::catalog::Catalog;
use super::lex::{Tok, Token};

/// What may come at the cursor.
#[derive(Debug, PartialEq)]
pub(super) enum Want {
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
    Values {
        kind: String,
        path: Vec<String>,
    },
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
const ON_OFF_AUTO: &[&str] = &["on", "off", "auto"];
const TOPICS: &[&str] = &[
    "queries", "dates", "entities", "facts", "rules", "keys", "tour",
];
pub(super) fn word<'a>(text: &'a str, t: Option<&&Token>) -> &'a str {
    match t {
        Some(t) if t.tok == Tok::Word => t.text(text),
        _ => "",
    }
}

/// What the tokens before the word ask for.
pub(super) fn want(cat: &Catalog, text: &str, code: &[&Token]) -> Want {
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
        "load" | "save" | "save!" => Want::Files,
        "schema" => Want::Kinds(&[]),
        "format" => Want::Keywords(FORMATS),
        "timing" => Want::Keywords(ON_OFF),
        "pager" => Want::Keywords(ON_OFF_AUTO),
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
