//! The usual mistakes, each recognised by the shape of the text around the point where the parser
//! stopped, and each given its own explanation. The first that fits wins; when none does, the
//! caller falls back to "unexpected `x`: expected …".

use super::foreign::{foreign_digits, typographic_quotes, unquoted_foreign_name};
use super::scan::{
    is_name, last_item, last_token, last_word, open_brackets, unclosed_string_start,
};
use super::{Site, is_keyword, shorten, shorten_to};
use crate::diagnostic::{Diagnostic, did_you_mean};
use crate::syntax::parse::Rule;

type Check = fn(&Site) -> Option<Diagnostic>;

/// In order: the more specific a check, the earlier it runs.
const CHECKS: &[Check] = &[
    typographic_quotes,
    foreign_digits,
    unclosed_text,
    value_as_condition,
    sql_select,
    statement_start,
    double_equals,
    single_quotes,
    unquoted_foreign_name,
    stray_closer,
    missing_colon,
    named_column,
    missing_comma,
    unclosed_bracket,
    nothing_after,
    rule_without_body,
    missing_operator,
    limit_without_number,
    order_without_by,
    clause_order,
    is_null,
    bad_citation,
    keyword_as_name,
    missing_where,
    misspelt_keyword,
];

pub(super) fn recognise(site: &Site) -> Option<Diagnostic> {
    CHECKS.iter().find_map(|check| check(site))
}

/// `p(n: ?n) :- k(n: ?n), ?n + 1`: a value where a rule's condition was meant.
fn value_as_condition(site: &Site) -> Option<Diagnostic> {
    let ends_item = site.at_end() || matches!(site.token, "," | ";" | ")");
    if !ends_item || !site.expected.operator() || !site.expected.rule(Rule::add) {
        return None;
    }
    let body = site.before.find(":-")? + 2;
    // The condition starts after the last comma outside brackets (or after `:-`).
    let mut depth = 0i32;
    let mut start = body;
    for (i, c) in site.before[body..].char_indices() {
        match c {
            '(' | '[' => depth += 1,
            ')' | ']' => depth -= 1,
            ',' if depth == 0 => start = body + i + 1,
            _ => {}
        }
    }
    let text = site.before[start..].trim();
    if text.is_empty() || depth != 0 {
        return None;
    }
    let at = start + (site.before[start..].len() - site.before[start..].trim_start().len());
    Some(
        Diagnostic::error(
            format!("`{}` is a value, not a condition", shorten(text)),
            site.span(at, text.len()),
            "a value",
        )
        .with_help(format!(
            "compare it, e.g. `{text} > 0`, or bind it to a new variable: `?value = {text}`"
        )),
    )
}

/// `select * from visit where …`: say how dalil writes it.
fn sql_select(site: &Site) -> Option<Diagnostic> {
    let lead = site.code_start();
    let text = &site.chunk[lead..];
    let words: Vec<&str> = text.split_whitespace().collect();
    if !words.first()?.eq_ignore_ascii_case("select") {
        return None;
    }
    let from = words.iter().position(|w| w.eq_ignore_ascii_case("from"))?;
    let kind = words.get(from + 1)?.trim_end_matches(';');
    let columns = words[1..from].join(" ");
    let rest = words[from + 2..]
        .iter()
        .map(|w| w.trim_end_matches(';'))
        .collect::<Vec<_>>()
        .join(" ");
    let mut dalil = kind.to_string();
    if columns != "*" && !columns.is_empty() {
        dalil.push_str(&format!("[{}]", columns.replace(" ,", ",")));
    }
    if !rest.is_empty() {
        dalil.push(' ');
        dalil.push_str(
            &rest
                .replace(" WHERE ", " where ")
                .replace("WHERE ", "where "),
        );
    }
    let end = site.chunk.trim_end().trim_end_matches(';').trim_end().len();
    Some(
        Diagnostic::error(
            "dalil is not SQL: a query starts with the kind",
            site.span(lead, words[0].len()),
            "`select … from` is SQL",
        )
        .with_help(format!("write `{dalil}`"))
        .with_fix(site.span(lead, end.max(lead) - lead), dalil)
        .with_note_opt(
            (columns == "*")
                .then_some("fields to show go in brackets after the kind: `visit[partner, date]`"),
        ),
    )
}

/// `partner == "US"`.
fn double_equals(site: &Site) -> Option<Diagnostic> {
    let at = if site.chunk[site.pos..].starts_with("==") {
        site.pos
    } else if site.before.ends_with('=')
        && site.chunk[site.pos..].starts_with('=')
        && !site.before.ends_with("!=")
        && !site.before.ends_with("<=")
        && !site.before.ends_with(">=")
    {
        site.before.len() - 1
    } else {
        return None;
    };
    Some(
        Diagnostic::error("`==` is not an operator in dalil", site.span(at, 2), "here")
            .with_help("to compare, write a single `=`: partner = \"US\"")
            .with_fix(site.span(at, 2), "="),
    )
}

/// `partner = 'US'`.
fn single_quotes(site: &Site) -> Option<Diagnostic> {
    let after = site.chunk[site.pos..].strip_prefix('\'')?;
    let inner = after.split(['\'', '\n']).next().unwrap_or("");
    let closed = after[inner.len()..].starts_with('\'');
    let len = 1 + inner.len() + usize::from(closed);
    let text = format!("\"{}\"", inner.replace('\\', "\\\\").replace('"', "\\\""));
    Some(
        Diagnostic::error(
            "text is written in double quotes",
            site.span(site.pos, 1),
            "single quote",
        )
        .with_help(format!("write `{}`", shorten(&text)))
        .with_fix(site.span(site.pos, len), text),
    )
}

/// `partner = "US` (the text runs to the end of the input).
fn unclosed_text(site: &Site) -> Option<Diagnostic> {
    let start = unclosed_string_start(site.chunk)?;
    // Closed at the end of the line it starts on: a quote forgotten there, not a text meant
    // to run over the statements below.
    let line_end = site.chunk[start..]
        .find('\n')
        .map_or(site.chunk.len(), |i| start + i);
    let end = site.chunk[..line_end].trim_end().len().max(start + 1);
    Some(
        Diagnostic::error(
            "this text is never closed",
            site.span(start, 1),
            "the text starts here",
        )
        .with_help("end the text with a double quote `\"`")
        .with_fix(site.span(end, 0), "\""),
    )
}

/// `@`, `*`, `123` where a statement should begin.
fn statement_start(site: &Site) -> Option<Diagnostic> {
    if !site.code_before().is_empty() || site.at_end() {
        return None;
    }
    Some(
        Diagnostic::error(
            format!("a statement cannot start with `{}`", shorten(site.token)),
            site.token_span(),
            "not the start of a statement",
        )
        .with_help(
            "start with a kind (a query like `visit where partner = \"US\"`, a fact or a rule), \
             `kind`, `entity`, or a command like `:help`",
        ),
    )
}

/// A `)` or `]` with no opening bracket before it.
fn stray_closer(site: &Site) -> Option<Diagnostic> {
    let rest = &site.chunk[site.pos..];
    let closer = rest.chars().next().filter(|c| matches!(c, ')' | ']'))?;
    if open_brackets(&site.chunk[..site.pos]).last().is_some() {
        return None;
    }
    Some(
        Diagnostic::error(
            format!("this `{closer}` closes nothing"),
            site.span(site.pos, 1),
            "no opening bracket before it",
        )
        .with_help("remove it, or add the opening bracket it belongs to")
        .with_fix(site.span(site.pos, 1), ""),
    )
}

/// `visit(partner algeria)`: a field name and its value without `:` between them.
fn missing_colon(site: &Site) -> Option<Diagnostic> {
    if !site.expected.token(":") || site.at_end() || !is_name(last_word(site.before)) {
        return None;
    }
    let field = last_word(site.before);
    Some(
        Diagnostic::error(
            format!("missing `:` after the field name `{field}`"),
            site.span(site.before.len(), site.pos - site.before.len()),
            "`:` is needed here",
        )
        .with_help(format!("write `{field}: {}`", shorten(site.token)))
        .with_fix(site.span(site.before.len(), 0), ":"),
    )
}

/// `visit[partner, gap: year(date) - 2020]`: a computed column named the way a rule names a
/// field, where a query writes `expression as name`.
fn named_column(site: &Site) -> Option<Diagnostic> {
    let open = *open_brackets(&site.chunk[..site.pos]).last()?;
    if &site.chunk[open..open + 1] != "[" || site.token != ":" {
        return None;
    }
    let name = last_word(site.before);
    if !is_name(name) || !site.before.ends_with(name) {
        return None;
    }
    let name_start = site.before.len() - name.len();
    // The expression runs to the next `,` or `]` outside brackets and texts.
    let rest = &site.chunk[site.pos + 1..];
    let (mut depth, mut in_text, mut end) = (0usize, false, None);
    for (i, c) in rest.char_indices() {
        match c {
            '"' => in_text = !in_text,
            _ if in_text => {}
            '(' | '[' => depth += 1,
            ')' if depth > 0 => depth -= 1,
            ',' | ']' if depth == 0 => {
                end = Some(i);
                break;
            }
            ']' => depth -= 1,
            _ => {}
        }
    }
    let end = end?;
    let expr = rest[..end].trim();
    if expr.is_empty() {
        return None;
    }
    let written = format!("{expr} as {name}");
    let item_end = site.pos + 1 + rest[..end].trim_end().len();
    Some(
        Diagnostic::error(
            format!("a computed column is named with `as`, not `{name}:`"),
            site.span(name_start, site.pos + 1 - name_start),
            "a rule's way of naming a field",
        )
        .with_help(format!("in a query, write `{}`", shorten_to(&written, 80)))
        .with_fix(site.span(name_start, item_end - name_start), written),
    )
}

/// `in ("US" "RU")`, `visit[partner date]`: two items without `,` between them, inside a
/// bracket that is closed later.
fn missing_comma(site: &Site) -> Option<Diagnostic> {
    let open = *open_brackets(&site.chunk[..site.pos]).last()?;
    let closer = if &site.chunk[open..open + 1] == "(" {
        ')'
    } else {
        ']'
    };
    if !site.expected.token(",") || site.at_end() || is_keyword(site.token) {
        return None;
    }
    // Closed later on the same statement: the items go on, so a comma is what is missing.
    if !site.chunk[site.pos..].contains(closer) {
        return None;
    }
    let prev = last_token(site.before);
    Some(
        Diagnostic::error(
            format!(
                "missing `,` between `{}` and `{}`",
                shorten(prev),
                shorten(site.token)
            ),
            site.span(site.before.len(), site.pos - site.before.len()),
            "`,` is needed here",
        )
        .with_help(format!(
            "separate the items with commas: `{}, {}`",
            shorten(prev),
            shorten(site.token)
        ))
        .with_fix(site.span(site.before.len(), 0), ","),
    )
}

/// A `(` or `[` that is still open where its closer was needed.
fn unclosed_bracket(site: &Site) -> Option<Diagnostic> {
    let open = *open_brackets(&site.chunk[..site.pos]).last()?;
    let opener = &site.chunk[open..open + 1];
    let closer = if opener == "(" { ")" } else { "]" };
    let wanted = site.expected.token(closer)
        || (site.at_end() && site.expected.words.iter().any(|w| w.contains("end")));
    if !wanted {
        return None;
    }
    if site.at_end() {
        return Some(
            Diagnostic::error(
                format!("this `{opener}` is never closed"),
                site.span(open, 1),
                "opened here",
            )
            .with_help(format!("add a closing `{closer}`"))
            .with_fix(site.span(code_end(site), 0), closer),
        );
    }
    let also = if site.expected.token(",") {
        " (or `,` and another item)"
    } else {
        ""
    };
    Some(
        Diagnostic::error(
            format!("expected `{closer}` before `{}`{also}", shorten(site.token)),
            site.token_span(),
            format!("`{closer}` is missing before this"),
        )
        .with_secondary(site.span(open, 1), "this bracket is not closed")
        .with_help(format!(
            "close the bracket after the last item: `{}{closer} {}`",
            last_item(site.before),
            shorten(site.token)
        ))
        .with_fix(site.span(site.before.len(), 0), closer),
    )
}

/// The statement stops right after something that needs more: `and`, `where`, `=`, `limit`.
fn nothing_after(site: &Site) -> Option<Diagnostic> {
    if !site.at_end() {
        return None;
    }
    let word = last_word(site.before);
    let start = site.before.len() - word.len();
    let between = site
        .code_before()
        .split_whitespace()
        .rev()
        .nth(2)
        .is_some_and(|w| w == "between");
    let (message, label, help) = match word {
        "and" if between => (
            "`between … and` needs the end of the period".to_string(),
            "nothing after this",
            "write both ends, e.g. `between 2025-09-01 and 2025-09-30`".to_string(),
        ),
        "kind" => (
            "`kind` needs the name and fields of the kind it declares".to_string(),
            "nothing after this",
            "write e.g. `kind note (text: text, date: date)`".to_string(),
        ),
        "count" | "why" | "explain" => (
            format!("`{word}` needs a kind after it"),
            "nothing after this",
            format!("write e.g. `{word} visit`"),
        ),
        "and" | "or" | "not" | "where" => (
            format!("`{word}` must be followed by a condition"),
            "nothing after this",
            format!("add a condition after `{word}` (like `partner = \"US\"`), or remove `{word}`"),
        ),
        "!=" | "<=" | ">=" | "=" | "<" | ">" | "contains" | "after" | "before" | "on"
        | "during" | "between" => (
            format!("`{word}` needs a value after it"),
            "nothing to compare with",
            "add a value: a text in quotes, a number, a date like 2025-09-01, or an entity name"
                .to_string(),
        ),
        "limit" => (
            "`limit` needs a number of rows".to_string(),
            "nothing after this",
            "write e.g. `limit 10`".to_string(),
        ),
        "by" => (
            "`by` needs the fields to use".to_string(),
            "nothing after this",
            by_help(site.code_before()),
        ),
        ":-" => (
            "`:-` must be followed by the rule's conditions".to_string(),
            "nothing after this",
            "add the facts that make the head true, e.g. `:- located_in(place: ?x, region: ?y)`"
                .to_string(),
        ),
        "cite" => (
            "`cite` needs a citation".to_string(),
            "nothing after this",
            "cite as pN.sM (paragraph N, sentence M), e.g. `cite p5.s1`".to_string(),
        ),
        _ => return None,
    };
    let d = Diagnostic::error(message, site.span(start, word.len()), label).with_help(help);
    // `and`, `where`, a group's `by`: the statement reads without the word (and `order by`
    // without both); a missing value or period has no single fix.
    let code = site.code_before();
    let cut = match word {
        "and" if between => return Some(d),
        "and" | "or" | "not" | "where" => start,
        "by" if code.split_whitespace().rev().nth(1) == Some("order") => {
            site.before[..start].trim_end().len() - "order".len()
        }
        "by" => start,
        _ => return Some(d),
    };
    let mut cut = site.before[..cut].trim_end().len();
    // `where not`, `and not`: the words before need a condition too, so they go with it.
    if matches!(word, "and" | "or" | "not" | "where") {
        loop {
            let before = &site.before[..cut];
            let w = last_word(before);
            if !matches!(w, "and" | "or" | "not" | "where") || !before.ends_with(w) {
                break;
            }
            cut = before[..before.len() - w.len()].trim_end().len();
        }
    }
    Some(d.with_fix(site.span(cut, site.before.len() - cut), ""))
}

/// Where the statement's code ends: before trailing spaces and its `;`.
fn code_end(site: &Site) -> usize {
    site.chunk.trim_end().trim_end_matches(';').trim_end().len()
}

/// The help for a `by` with no field after it: the user's own statement completed with a field.
fn by_help(code: &str) -> String {
    let words: Vec<&str> = code.split_whitespace().collect();
    if words.iter().rev().nth(1) == Some(&"order") {
        return "name one or more fields, e.g. `order by date desc`, or remove `order by`"
            .to_string();
    }
    format!(
        "name one or more fields of the kind: `{} FIELD`, or remove `by`",
        shorten_to(code.trim_end(), 80)
    )
}

/// `within(inner: ?x, outer: ?y)` alone: a rule's head without `:-` and a body.
fn rule_without_body(site: &Site) -> Option<Diagnostic> {
    if !site.expected.token(":-") || !site.before.contains('?') {
        return None;
    }
    let start = site.code_start();
    let head = site.code_before();
    let example = if site.at_end() {
        format!("{head} :- …")
    } else {
        let body = site.chunk[site.pos..].trim().trim_end_matches(';');
        format!("{head} :- {}", shorten_to(body, 80))
    };
    let d = if site.at_end() {
        Diagnostic::error(
            "a rule needs `:-` and the conditions that make it true",
            site.span(start, head.len()),
            "a rule head with nothing after it",
        )
    } else {
        Diagnostic::error(
            format!("expected `:-` before `{}`", shorten(site.token)),
            site.token_span(),
            "`:-` is missing before this",
        )
        .with_secondary(site.span(start, head.len()), "the head of a rule")
    };
    Some(
        d.with_help(format!("write `{example}`"))
            .with_note("a fact cannot hold variables like `?x`; only rules can"),
    )
}

/// `partner "US"`: a field and a value with nothing between them.
fn missing_operator(site: &Site) -> Option<Diagnostic> {
    if !site.expected.operator() || site.at_end() || is_keyword(site.token) {
        return None;
    }
    let first = site.token.chars().next()?;
    if !(first == '"' || first.is_alphanumeric() || first == '_' || first == '-') {
        return None;
    }
    let field = last_token(site.before);
    if site.token.eq_ignore_ascii_case("like") {
        return Some(like_operator(site, field));
    }
    Some(
        Diagnostic::error(
            format!(
                "missing an operator between `{field}` and `{}`",
                shorten(site.token)
            ),
            site.span(site.before.len(), site.pos - site.before.len()),
            "an operator is needed here",
        )
        .with_help(format!(
            "compare with `=` (or != < <= > >=, `contains`, `in (…)`): `{field} = {}`",
            shorten(site.token)
        ))
        .with_fix(site.span(site.before.len(), 0), " ="),
    )
}

/// `partner like "U%"`: SQL's pattern match; dalil has `contains` for a part of a text.
fn like_operator(site: &Site, field: &str) -> Diagnostic {
    let after = site.after_token();
    let pattern = first_word_after(after);
    let part = pattern.trim_matches('"').replace(['%', '_'], "");
    let text = format!("contains \"{part}\"");
    // From `like` to the end of the pattern.
    let end =
        site.pos + site.token.len() + (after.len() - after.trim_start().len()) + pattern.len();
    Diagnostic::error(
        "dalil has no `like`",
        site.token_span(),
        "SQL's pattern match",
    )
    .with_help(format!("to find a part of a text, write `{field} {text}`"))
    .with_fix(site.span(site.pos, end - site.pos), text)
}

/// The first whitespace-separated word of `text` (a quoted text counts as one word).
fn first_word_after(text: &str) -> &str {
    let text = text.trim_start();
    if let Some(rest) = text.strip_prefix('"') {
        return rest.find('"').map_or(text, |end| &text[..end + 2]);
    }
    text.split_whitespace().next().unwrap_or("")
}

/// `limit ten`.
fn limit_without_number(site: &Site) -> Option<Diagnostic> {
    let wants_number =
        site.expected.rule(Rule::number) || site.expected.words.contains(&"a number");
    if last_word(site.before) != "limit" || site.at_end() || !wants_number {
        return None;
    }
    Some(
        Diagnostic::error(
            "`limit` takes a number of rows",
            site.token_span(),
            "not a number",
        )
        .with_help("write digits, e.g. `limit 10`"),
    )
}

/// `order date`.
fn order_without_by(site: &Site) -> Option<Diagnostic> {
    if last_word(site.before) != "order"
        || !site.expected.rule(Rule::kw_by) && !site.expected.token("by")
    {
        return None;
    }
    let start = site.before.len() - "order".len();
    Some(
        Diagnostic::error(
            "`order` is always followed by `by`",
            site.span(start, site.pos + site.token.len() - start),
            "`by` is missing",
        )
        .with_help(format!("write `order by {}`", shorten(site.token)))
        .with_fix(site.span(start, "order".len()), "order by"),
    )
}

/// `limit 3 order by date`: the parts of a query in the wrong order.
fn clause_order(site: &Site) -> Option<Diagnostic> {
    // Each clause, and the clauses that must come after it.
    const LATER: &[(&str, &[&str])] = &[
        (
            "where",
            &[
                "after", "before", "on", "during", "between", "order", "limit",
            ],
        ),
        ("after", &["order", "limit"]),
        ("before", &["order", "limit"]),
        ("on", &["order", "limit"]),
        ("during", &["order", "limit"]),
        ("between", &["order", "limit"]),
        ("order", &["limit"]),
    ];
    let (_, later) = LATER.iter().find(|(k, _)| *k == site.token)?;
    if site.expected.keywords().contains(&site.token) {
        return None;
    }
    let words: Vec<&str> = site.before.split_whitespace().collect();
    let first_later = later.iter().find(|l| words.contains(l))?;
    let show = |k: &str| if k == "order" { "order by" } else { k }.to_string();
    Some(
        Diagnostic::error(
            format!(
                "`{}` must come before `{}`",
                show(site.token),
                show(first_later)
            ),
            site.token_span(),
            "too late here",
        )
        .with_help(
            "the parts of a query go in this order: kind [fields] where … after/before … \
             order by … limit N",
        ),
    )
}

/// `partner is null`: dalil's missing value is `unknown`.
fn is_null(site: &Site) -> Option<Diagnostic> {
    let nullish = ["null", "nil", "none", "empty", "missing"];
    if last_word(site.before) != "is" || !nullish.contains(&site.token.to_lowercase().as_str()) {
        return None;
    }
    Some(
        Diagnostic::error(
            format!(
                "dalil writes a missing value as `unknown`, not `{}`",
                site.token
            ),
            site.token_span(),
            "write `unknown`",
        )
        .with_help("write `is unknown` (or `is not unknown`)")
        .with_fix(site.token_span(), "unknown"),
    )
}

/// `cite p1` or `cite 5.1`.
fn bad_citation(site: &Site) -> Option<Diagnostic> {
    let wants = site.expected.rule(Rule::citation)
        || site.expected.rule(Rule::cite_ref)
        || last_word(site.before) == "cite";
    if !wants || site.at_end() {
        return None;
    }
    Some(
        Diagnostic::error(
            format!("`{}` is not a citation", shorten(site.token)),
            site.token_span(),
            "expected pN.sM",
        )
        .with_help("cite a paragraph and a sentence as pN.sM, e.g. `cite p5.s1`"),
    )
}

/// `where order = 1`: a keyword where a name should be.
fn keyword_as_name(site: &Site) -> Option<Diagnostic> {
    let wants_name = site.expected.words.iter().any(|e| {
        e.contains("field name") || *e == "a name" || e.contains("condition") || e.contains("value")
    });
    if !wants_name || !is_keyword(site.token) {
        return None;
    }
    Some(
        Diagnostic::error(
            format!("`{}` is a keyword, not a name", site.token),
            site.token_span(),
            "keyword",
        )
        .with_help("keywords cannot name kinds or entities, nor be read as fields in a query (a field named by one is read in a rule: `r(x: ?x) :- k(by: ?x)`); to compare with the word itself, put it in quotes"),
    )
}

/// `visit partner = "US"`: a condition without `where`.
fn missing_where(site: &Site) -> Option<Diagnostic> {
    if !site.expected.keywords().contains(&"where") || !is_name(site.token) {
        return None;
    }
    let next = site.after_token().trim_start();
    let starts_test = [
        "=",
        "!=",
        "<",
        ">",
        "contains ",
        "in ",
        "in(",
        "is ",
        "not in",
    ]
    .iter()
    .any(|op| next.starts_with(op));
    if !starts_test {
        return None;
    }
    Some(
        Diagnostic::error(
            "a condition must come after `where`",
            site.token_span(),
            "this starts a condition",
        )
        .with_help(format!(
            "write `{} where {}`",
            site.code_before(),
            shorten(site.chunk[site.pos..].trim().trim_end_matches(';'))
        ))
        .with_fix(site.span(site.pos, 0), "where "),
    )
}

/// `wher`, `oder by`, `AND`: a word close to a keyword that would fit here.
fn misspelt_keyword(site: &Site) -> Option<Diagnostic> {
    if !is_name(site.token) {
        return None;
    }
    let choices = site.expected.keywords();
    let lower = site.token.to_lowercase();
    if lower != site.token && choices.contains(&lower.as_str()) {
        return Some(
            Diagnostic::error(
                format!("keywords are written in lowercase: `{lower}`"),
                site.token_span(),
                "uppercase",
            )
            .with_help(format!("write `{lower}`"))
            .with_fix(site.token_span(), lower),
        );
    }
    // `descending` for `desc`, `ascending` for `asc`.
    let prefix = choices
        .iter()
        .find(|k| k.len() >= 3 && lower.starts_with(*k))
        .map(|k| k.to_string());
    let best = prefix.or_else(|| did_you_mean(site.token, choices.iter().copied()))?;
    let shown = if best == "order" { "order by" } else { &best };
    // `oder by date` needs `order`; `oder date` needs `order by`.
    let by_follows = site.after_token().split_whitespace().next() == Some("by");
    let fix = if by_follows { &best } else { shown };
    Some(
        Diagnostic::error(
            format!("unexpected `{}`", shorten(site.token)),
            site.token_span(),
            "not a keyword",
        )
        .with_help(format!("did you mean `{shown}`?"))
        .with_fix(site.token_span(), fix),
    )
}
