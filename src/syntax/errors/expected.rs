//! What the parser would have accepted where it stopped, in words: pest's rules and literal
//! tokens translated ("expected `,` or `)`", "a time filter (after, before, …)"), never a
//! grammar rule's name.

use super::super::parse::Rule;

const VALUE: &str =
    "a value — a text in quotes, a number, a date like 2025-09-01, or an entity name";
const OPERATOR: &str = "an operator (= != < <= > >=)";
const TIME_FILTER: &str = "a time filter (after, before, on, during, between)";
const CONDITION: &str = "a condition like `partner = \"US\"`";
const END: &str = "the end of the statement (or `;` before the next one)";

/// What a grammar rule is, in words.
fn describe_rule(r: &Rule) -> Option<&'static str> {
    Some(match r {
        Rule::value | Rule::expr | Rule::primary => VALUE,
        Rule::add | Rule::sub | Rule::mul | Rule::div | Rule::int_div | Rule::rem => {
            "an operator (+ - * / // %)"
        }
        Rule::call => "a function call like `year(?d)`",
        Rule::disjunction | Rule::branch => "`(… or …)`",
        Rule::date => "a date like 2025-09-01, 2025-09 or 2025",
        Rule::number => "a number",
        Rule::string | Rule::str_inner => "a text in double quotes",
        Rule::name | Rule::ident => "a name",
        Rule::kind_name => "a kind, like `visit`",
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
        Rule::aggregate | Rule::agg_fn => "an aggregate (count, min, max, sum, mean)",
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
    pub(super) words: Vec<&'static str>,
}

impl Expected {
    pub(super) fn new(rules: Vec<Rule>, tokens: Vec<String>) -> Expected {
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

/// A token that separates or introduces parts of a statement, not a character inside a word.
pub(super) fn structural(token: &str) -> bool {
    matches!(token, ")" | "]" | "," | ":" | ":-" | ";" | "(" | "[")
        || describe_token(token, &[]) == Some(OPERATOR)
        || token.len() >= 2 && token.chars().all(|c| c.is_ascii_alphabetic())
}
