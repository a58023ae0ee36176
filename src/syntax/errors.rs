//! Turns pest's "expected rule_x" into a report a person can act on: the expected tokens in
//! words, the offending token underlined, and the usual mistakes recognised by name.

use super::parse::Rule;
use crate::diagnostic::{Diagnostic, SourceId, Span};
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

/// What a grammar rule is, in words.
fn describe(r: &Rule) -> Option<&'static str> {
    Some(match r {
        Rule::value | Rule::term => {
            "a value — a text in quotes, a number, a date like 2025-09-01, or an entity name"
        }
        Rule::date => "a date like 2025-09-01, 2025-09 or 2025",
        Rule::number => "a number",
        Rule::string => "a text in double quotes",
        Rule::name | Rule::ident => "a name",
        Rule::path => "a field name",
        Rule::cmp_op | Rule::compare => "an operator (= != < <= > >=)",
        Rule::is_test => "`is unknown`",
        Rule::in_test => "`in (…)`",
        Rule::contains_test => "`contains`",
        Rule::path_time | Rule::time_filter | Rule::time_op => {
            "a time filter (after, before, on, during, between)"
        }
        Rule::modality => "`possibly` or `certainly`",
        Rule::between => "`between`",
        Rule::where_clause | Rule::kw_where => "`where`",
        Rule::condition | Rule::conjunction | Rule::negation | Rule::comparison => {
            "a condition like `partner = \"US\"`"
        }
        Rule::kw_and => "`and`",
        Rule::kw_or => "`or`",
        Rule::kw_not => "`not`",
        Rule::order_by | Rule::kw_order => "`order by`",
        Rule::kw_by => "`by`",
        Rule::order_key => "a field to order by",
        Rule::kw_asc | Rule::kw_desc => "`asc` or `desc`",
        Rule::limit | Rule::kw_limit => "`limit`",
        Rule::projection => "`[fields]`",
        Rule::group_by => "`by` and fields to group by",
        Rule::kw_unknown => "`unknown`",
        Rule::provenance | Rule::citations | Rule::kw_cite => "`cite pN.sM`",
        Rule::citation | Rule::cite_ref => "a citation like p5.s1",
        Rule::inferred | Rule::kw_inferred => "`inferred \"basis\"`",
        Rule::background | Rule::kw_background => "`background`",
        Rule::field_value | Rule::field_decl => "a field like `name: value`",
        Rule::arg => "an argument like `field: ?x`",
        Rule::variable => "a variable like ?x",
        Rule::atom => "a fact pattern like `visit(partner: ?p)`",
        Rule::body_item | Rule::negated | Rule::rule_cmp => {
            "a condition of the rule (a pattern, `not` pattern, or comparison)"
        }
        Rule::aggregate | Rule::agg_fn => "an aggregate (count, min, max, sum)",
        Rule::list => "a list in [ ]",
        Rule::statement | Rule::query | Rule::fact | Rule::rule | Rule::kind_decl => {
            "a statement (a query such as `visit where …`, a fact, a rule or a declaration)"
        }
        Rule::meta_cmd => "a command like :help",
        Rule::EOI => "the end of the statement (or `;` before the next one)",
        _ => return None,
    })
}

/// Builds the report for a pest error inside `chunk`, which starts at byte `offset` of `text`.
pub fn syntax_error(
    e: &Error<Rule>,
    text: &str,
    offset: usize,
    chunk: &str,
    source: SourceId,
) -> Diagnostic {
    let pos = match e.location {
        InputLocation::Pos(p) => p,
        InputLocation::Span((s, _)) => s,
    };
    let mut expected: Vec<&str> = match &e.variant {
        ErrorVariant::ParsingError { positives, .. } => {
            positives.iter().filter_map(describe).collect()
        }
        ErrorVariant::CustomError { .. } => vec![],
    };
    expected.dedup();
    let mut seen = std::collections::HashSet::new();
    expected.retain(|x| seen.insert(*x));

    let rest = &chunk[pos..];
    let token = first_token(rest);
    let at = offset + pos;
    let span = Span::new(
        source,
        at,
        at + token.len().max(if rest.is_empty() { 0 } else { 1 }),
    );
    let before = chunk[..pos].trim_end();
    let _ = text;

    if let Some(d) = known_mistake(chunk, pos, offset, source, token, before, &expected) {
        return d;
    }

    let found = if rest.trim().is_empty() {
        "the statement ends here".to_string()
    } else {
        format!("unexpected `{}`", shorten(token))
    };
    let message = match expected.as_slice() {
        [] => found.clone(),
        [one] => format!("{found}: expected {one}"),
        many => {
            let (last, init) = many.split_last().expect("non-empty");
            format!("{found}: expected {} or {last}", init.join(", "))
        }
    };
    let label = if rest.trim().is_empty() {
        "something is missing here".to_string()
    } else {
        "not expected here".to_string()
    };
    Diagnostic::error(message, span, label)
}

/// The usual mistakes, each with its own explanation.
fn known_mistake(
    chunk: &str,
    pos: usize,
    offset: usize,
    source: SourceId,
    token: &str,
    before: &str,
    expected: &[&str],
) -> Option<Diagnostic> {
    let rest = &chunk[pos..];
    let at = |start: usize, len: usize| Span::new(source, offset + start, offset + start + len);

    if before.ends_with('=') && rest.starts_with('=') && !before.ends_with("!=") {
        return Some(
            Diagnostic::error("`==` is not an operator in dalil", at(pos - 1, 2), "here")
                .with_help("to compare, write a single `=`: partner = \"US\""),
        );
    }
    if let Some(after) = rest.strip_prefix('\'') {
        return Some(
            Diagnostic::error(
                "text is written in double quotes",
                at(pos, 1),
                "single quote",
            )
            .with_help(format!(
                "write \"{}\"",
                after.split('\'').next().unwrap_or("")
            )),
        );
    }
    if rest.starts_with('"') && super::split::unclosed(rest) {
        return Some(
            Diagnostic::error(
                "this text is never closed",
                at(pos, 1),
                "the text starts here",
            )
            .with_help("end the text with a double quote `\"`"),
        );
    }
    if let Some(open) = unmatched_open(chunk)
        && (rest.trim().is_empty() || expected.iter().any(|e| e.contains("end")))
    {
        {
            return Some(
                Diagnostic::error(
                    format!("this `{}` is never closed", &chunk[open..open + 1]),
                    at(open, 1),
                    "opened here",
                )
                .with_help(format!(
                    "add a closing `{}`",
                    if &chunk[open..open + 1] == "(" {
                        ")"
                    } else {
                        "]"
                    }
                )),
            );
        }
    }
    if rest.starts_with(')') || rest.starts_with(']') {
        return Some(
            Diagnostic::error(
                format!("this `{}` closes nothing", &rest[..1]),
                at(pos, 1),
                "no opening bracket before it",
            )
            .with_help("remove it, or add the opening bracket it belongs to"),
        );
    }
    let last_word = before
        .rsplit(|c: char| c.is_whitespace() || c == '(')
        .next()
        .unwrap_or("");
    if rest.trim().is_empty() && matches!(last_word, "and" | "or" | "not") {
        let start = before.len() - last_word.len();
        return Some(
            Diagnostic::error(
                format!("`{last_word}` must be followed by a condition"),
                at(start, last_word.len()),
                "nothing after this",
            )
            .with_help(format!("add a condition after `{last_word}`, or remove it")),
        );
    }
    if rest.trim().is_empty()
        && let Some(op) = [
            "!=", "<=", ">=", "=", "<", ">", "contains", "after", "before", "on", "during",
        ]
        .iter()
        .find(|op| before.ends_with(*op))
    {
        let start = before.len() - op.len();
        return Some(
            Diagnostic::error(
                format!("`{op}` needs a value after it"),
                at(start, op.len()),
                "nothing to compare with",
            )
            .with_help("add a value: a text in quotes, a number, a date like 2025-09-01, or an entity name"),
        );
    }
    let wants_name = expected
        .iter()
        .any(|e| e.contains("field name") || *e == "a name" || e.contains("condition"));
    if wants_name && is_keyword(token) {
        return Some(
            Diagnostic::error(
                format!("`{token}` is a keyword, not a name"),
                at(pos, token.len()),
                "keyword",
            )
            .with_help("keywords cannot name kinds, fields or entities; to compare with the word itself, put it in quotes"),
        );
    }
    None
}

/// The `(` or `[` left open in `chunk`, if any (strings and comments skipped).
fn unmatched_open(chunk: &str) -> Option<usize> {
    let mut stack = Vec::new();
    let bytes = chunk.as_bytes();
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
    stack.pop()
}

/// The word, number or symbol at the start of `rest`.
fn first_token(rest: &str) -> &str {
    let mut end = 0;
    for (i, c) in rest.char_indices() {
        if c.is_alphanumeric() || c == '_' || c == '.' || c == '-' && i > 0 {
            end = i + c.len_utf8();
        } else {
            if i == 0 {
                end = c.len_utf8();
            }
            break;
        }
    }
    &rest[..end]
}

fn shorten(token: &str) -> String {
    if token.chars().count() > 30 {
        format!("{}…", token.chars().take(30).collect::<String>())
    } else {
        token.to_string()
    }
}

#[cfg(test)]
mod scratch_attempts {
    use super::super::parse::{Grammar, Rule};
    use pest::Parser as _;

    #[test]
    #[ignore]
    fn show_attempts() {
        pest::set_error_detail(true);
        let inputs = std::env::var("INPUTS").unwrap_or_default();
        for input in inputs.split('\u{1}') {
            match Grammar::parse(Rule::program, input) {
                Ok(_) => println!("{input:?}: ok"),
                Err(e) => {
                    let a = e.parse_attempts().unwrap();
                    println!("{input:?}: pos {:?} positives {:?}", e.location, e.variant);
                    println!(
                        "   max {} expected {:?} unexpected {:?}",
                        a.max_position,
                        a.expected_tokens(),
                        a.unexpected_tokens()
                    );
                    for cs in a.call_stacks() {
                        println!("   stack {:?} <- {:?}", cs.deepest, cs.parent);
                    }
                }
            }
        }
    }
}
