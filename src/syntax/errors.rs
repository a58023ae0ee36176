//! Turns pest's "expected rule_x" into a report a person can act on: the expected tokens in
//! words, the offending token underlined, and the usual mistakes recognised by name
//! ([`mistakes`]).
//!
//! pest reports the rules it tried at the furthest position a *rule* failed; the literal
//! punctuation it tried (`,`, `)`, `:-`) only shows in its detailed "parse attempts", which cost
//! a little more to collect. So the statement that failed is parsed a second time with details
//! on; from then on the process keeps them on (the flag is global, and turning it back off could
//! race with another thread's parse).

mod mistakes;

use super::parse::{Grammar, Rule};
use crate::diagnostic::{Diagnostic, SourceId, Span};
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

const VALUE: &str =
    "a value — a text in quotes, a number, a date like 2025-09-01, or an entity name";
const OPERATOR: &str = "an operator (= != < <= > >=)";
const TIME_FILTER: &str = "a time filter (after, before, on, during, between)";
const CONDITION: &str = "a condition like `partner = \"US\"`";
const END: &str = "the end of the statement (or `;` before the next one)";

/// What a grammar rule is, in words.
fn describe_rule(r: &Rule) -> Option<&'static str> {
    Some(match r {
        Rule::value | Rule::term => VALUE,
        Rule::date => "a date like 2025-09-01, 2025-09 or 2025",
        Rule::number => "a number",
        Rule::string | Rule::str_inner => "a text in double quotes",
        Rule::name | Rule::ident | Rule::kind_name => "a name",
        Rule::path => "a field name",
        Rule::cmp_op | Rule::compare => OPERATOR,
        Rule::is_test | Rule::kw_is => "`is unknown`",
        Rule::in_test | Rule::kw_in => "`in (…)`",
        Rule::contains_test | Rule::kw_contains => "`contains`",
        Rule::path_time | Rule::time_filter | Rule::time_op | Rule::between => TIME_FILTER,
        Rule::kw_after | Rule::kw_before | Rule::kw_on | Rule::kw_during | Rule::kw_between => {
            TIME_FILTER
        }
        Rule::modality | Rule::kw_possibly | Rule::kw_certainly => TIME_FILTER,
        Rule::where_clause | Rule::kw_where => "`where`",
        Rule::condition | Rule::conjunction | Rule::negation | Rule::comparison => CONDITION,
        Rule::kw_and => "`and`",
        Rule::kw_or => "`or`",
        Rule::kw_not => "`not`",
        Rule::order_by | Rule::kw_order => "`order by`",
        Rule::kw_by => "`by`",
        Rule::order_key => "a field to order by",
        Rule::kw_asc | Rule::kw_desc => "`asc`/`desc`",
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
        Rule::EOI => END,
        _ => return None,
    })
}

/// What a literal token is, in words (`None` for layout: spaces and comments). pest does not
/// export its token type, so tokens arrive as their display text: the literal itself, or
/// `a..z` for a range of characters.
fn describe_token(text: &str, all: &[String]) -> Option<&'static str> {
    if let Some((a, _)) = text.split_once("..").filter(|_| text.chars().count() == 4) {
        return Some(if a.chars().all(|c| c.is_ascii_digit()) {
            "a number"
        } else {
            "a name"
        });
    }
    Some(match text {
        " " | "\t" | "\r" | "\n" | "#" | "\u{FEFF}" => return None,
        ";" => END,
        "=" | "!=" | "<" | "<=" | ">" | ">=" => OPERATOR,
        "after" | "before" | "on" | "during" | "between" | "possibly" | "certainly" => TIME_FILTER,
        "where" => "`where`",
        "order" => "`order by`",
        "by" => "`by`",
        "limit" => "`limit`",
        "and" => "`and`",
        "or" => "`or`",
        "in" => "`in (…)`",
        // `not` before `in` is part of `not in (…)`.
        "not" if all.iter().any(|a| a == "in") => return None,
        "not" => "`not`",
        "is" => "`is unknown`",
        "contains" => "`contains`",
        "asc" | "desc" => "`asc`/`desc`",
        "cite" => "`cite pN.sM`",
        "inferred" => "`inferred \"basis\"`",
        "background" => "`background`",
        "\"" => "a text in double quotes",
        "-" => "a number",
        "?" => "a variable like ?x",
        "(" => "`(`",
        ")" => "`)`",
        "[" => "`[`",
        "]" => "`]`",
        "," => "`,`",
        ":" => "`:`",
        ":-" => "`:-`",
        "." => "`.`",
        "~" => "`~`",
        _ => return None,
    })
}

/// What the parser would have accepted where it stopped.
pub(super) struct Expected {
    /// Rules pest tried there (empty when it reported an earlier position).
    rules: Vec<Rule>,
    /// Literal tokens it tried there: keywords and punctuation.
    tokens: Vec<String>,
    /// Both, in words, deduplicated, "the end of the statement" last.
    words: Vec<&'static str>,
}

impl Expected {
    fn new(rules: Vec<Rule>, tokens: Vec<String>) -> Expected {
        let mut words: Vec<&'static str> = rules.iter().filter_map(describe_rule).collect();
        // The rules say most things better; the tokens add punctuation the rules cannot name.
        // Without rules at this position, the tokens are all there is.
        for t in &tokens {
            let punct = matches!(t.as_str(), ")" | "]" | "," | ":" | ":-");
            if rules.is_empty() || punct {
                words.extend(describe_token(t, &tokens));
            }
        }
        let mut seen = std::collections::HashSet::new();
        words.retain(|w| seen.insert(*w));
        if let Some(i) = words.iter().position(|w| *w == END) {
            let end = words.remove(i);
            words.push(end);
        }
        Expected {
            rules,
            tokens,
            words,
        }
    }

    pub(super) fn token(&self, t: &str) -> bool {
        self.tokens.iter().any(|x| x == t)
    }

    pub(super) fn rule(&self, r: Rule) -> bool {
        self.rules.contains(&r)
    }

    /// Is a comparison operator one of the choices?
    pub(super) fn operator(&self) -> bool {
        self.token("=") || self.rule(Rule::cmp_op) || self.rule(Rule::compare)
    }

    /// The keywords that would have been accepted (for "did you mean").
    pub(super) fn keywords(&self) -> Vec<&str> {
        let mut out: Vec<&str> = self
            .tokens
            .iter()
            .map(String::as_str)
            .filter(|t| t.chars().all(|c| c.is_ascii_alphabetic()))
            .collect();
        const TIME: &[&str] = &["after", "before", "on", "during", "between"];
        for r in &self.rules {
            out.extend_from_slice(match r {
                Rule::kw_where | Rule::where_clause => &["where"],
                Rule::kw_order | Rule::order_by => &["order"],
                Rule::kw_limit | Rule::limit => &["limit"],
                Rule::kw_and => &["and"],
                Rule::kw_or => &["or"],
                Rule::kw_by | Rule::group_by => &["by"],
                Rule::kw_asc | Rule::kw_desc => &["asc", "desc"],
                Rule::kw_in | Rule::in_test => &["in"],
                Rule::kw_is | Rule::is_test => &["is"],
                Rule::kw_contains | Rule::contains_test => &["contains"],
                Rule::time_filter | Rule::path_time | Rule::time_op => TIME,
                _ => &[],
            });
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    /// "expected a, b or c" (empty when nothing is known).
    pub(super) fn phrase(&self) -> String {
        match self.words.as_slice() {
            [] => String::new(),
            [one] => format!("expected {one}"),
            [init @ .., last] => format!("expected {} or {last}", init.join(", ")),
        }
    }
}

/// Where a statement stopped parsing, and everything the explanations need to know about it.
pub(super) struct Site<'a> {
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

/// A token that separates or introduces parts of a statement, not a character inside a word.
fn structural(token: &str) -> bool {
    matches!(token, ")" | "]" | "," | ":" | ":-" | ";" | "(" | "[")
        || describe_token(token, &[]) == Some(OPERATOR)
        || token.len() >= 2 && token.chars().all(|c| c.is_ascii_alphabetic())
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

pub(super) fn shorten_to(text: &str, max: usize) -> String {
    if text.chars().count() > max {
        format!("{}…", text.chars().take(max).collect::<String>())
    } else {
        text.to_string()
    }
}
