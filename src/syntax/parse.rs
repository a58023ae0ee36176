//! Text → syntax tree. The text is cut into statements first (at top-level `;` and meta-command
//! lines) so that one mistake does not hide the next; each piece is parsed by the pest grammar
//! and turned into [`ast`](super::ast) nodes carrying spans.

use super::ast::*;
use super::errors::syntax_error;
use super::fast;
use super::split::{Pieces, check_nesting, split_statements};
use crate::date::{Modality, TimeRel};
use crate::diagnostic::{Diagnostic, Diagnostics, SourceId, Span};
use pest::Parser as _;
use pest::iterators::Pair;
use pest::pratt_parser::{Assoc, Op, PrattParser};
use pest_derive::Parser;
use std::ops::Range;
use std::sync::LazyLock;

#[derive(Parser)]
#[grammar = "../grammar/dalil.pest"]
pub(crate) struct Grammar;

/// Operator precedence, loosest first: `+ -`, then `* / // %`, then unary `-`.
static EXPR_PRECEDENCE: LazyLock<PrattParser<Rule>> = LazyLock::new(|| {
    PrattParser::new()
        .op(Op::infix(Rule::add, Assoc::Left) | Op::infix(Rule::sub, Assoc::Left))
        .op(Op::infix(Rule::mul, Assoc::Left)
            | Op::infix(Rule::div, Assoc::Left)
            | Op::infix(Rule::int_div, Assoc::Left)
            | Op::infix(Rule::rem, Assoc::Left))
        .op(Op::prefix(Rule::neg))
});

/// Limits on what the parser accepts, so no input can exhaust the stack or memory.
#[derive(Clone, Copy, Debug)]
pub struct ParseLimits {
    /// Deepest nesting of `(` and `[`.
    pub max_depth: usize,
    /// Largest input, in bytes.
    pub max_input: usize,
}

impl Default for ParseLimits {
    fn default() -> Self {
        ParseLimits {
            max_depth: 128,
            max_input: 64 * 1024 * 1024,
        }
    }
}

/// Parses a whole text (a script, a fact file, a line typed at the prompt). Returns every
/// statement that parsed and a report for each one that did not.
pub fn parse_program(
    text: &str,
    source: SourceId,
    limits: ParseLimits,
) -> (Vec<Statement>, Diagnostics) {
    let (pieces, errors) = parse_pieces(text, source, limits);
    let statements = pieces
        .into_iter()
        .map(|p| match p {
            Piece::Parsed(s) => *s,
            Piece::Fact(range) => fact_at(text, range, source),
        })
        .collect();
    (statements, errors)
}

/// One statement of a text: parsed, or — for a fact the fast path read — only where it is, to
/// be read again by [`fact_at`] when its turn comes, so a file of a million facts never holds
/// a million syntax trees at once.
#[derive(Clone, Debug, PartialEq)]
pub enum Piece {
    Parsed(Box<Statement>),
    Fact(Range<usize>),
}

/// Like [`parse_program`], but facts read by the fast path are left as [`Piece::Fact`].
pub fn parse_pieces(
    text: &str,
    source: SourceId,
    limits: ParseLimits,
) -> (Vec<Piece>, Diagnostics) {
    if text.len() > limits.max_input {
        let d = Diagnostic::plain(format!(
            "the input is {} bytes, more than the limit of {} bytes",
            text.len(),
            limits.max_input
        ))
        .with_help("split it into several files, or raise the limit with --max-input BYTES");
        return (vec![], vec![d]);
    }
    let mut pieces = Vec::new();
    let mut errors = Vec::new();
    let mut names = fast::Names::default();
    // Facts and entities nest at most two brackets deep (a list inside the fields).
    let fast_ok = limits.max_depth >= 2;
    let mut split = Pieces::new(text);
    loop {
        // Most statements of a fact file are facts and entities: the fast path reads one up
        // to its `;` and so finds where it ends, and the splitter goes on from there.
        let at = split.position();
        if fast_ok && at < text.len() {
            let built = text[at..].trim_start().starts_with("entity ");
            match fast::statement_at(text, at, source, &mut names, built) {
                Some((Statement::Fact(_), end)) => {
                    pieces.push(Piece::Fact(at..end));
                    split.resume_at(end);
                    continue;
                }
                Some((st, end)) if built => {
                    pieces.push(Piece::Parsed(Box::new(st)));
                    split.resume_at(end);
                    continue;
                }
                _ => {}
            }
        }
        let Some(piece) = split.next() else {
            break;
        };
        let chunk = &text[piece.clone()];
        if fast_ok {
            // An entity declaration is built at once (checked first, it would be read twice).
            let built = chunk.trim_start().starts_with("entity ");
            let first = match built {
                true => fast::statement(chunk, piece.start, source, &mut names),
                false => fast::check(chunk, piece.start, source, &mut names),
            };
            match first {
                Some(Statement::Fact(_)) => {
                    pieces.push(Piece::Fact(piece));
                    continue;
                }
                Some(st) if built => {
                    pieces.push(Piece::Parsed(Box::new(st)));
                    continue;
                }
                Some(_) => {
                    if let Some(st) = fast::statement(chunk, piece.start, source, &mut names) {
                        pieces.push(Piece::Parsed(Box::new(st)));
                        continue;
                    }
                }
                None => {}
            }
        }
        if let Err(d) = check_nesting(chunk, piece.start, source, limits.max_depth) {
            errors.push(d);
            continue;
        }
        let (statements, errs) = grammar_piece(text, piece, source);
        pieces.extend(statements.into_iter().map(|s| Piece::Parsed(Box::new(s))));
        errors.extend(errs);
    }
    (pieces, errors)
}

/// The fact at `range` of `text`, which the fast path read before (see [`Piece::Fact`]).
pub fn fact_at(text: &str, range: Range<usize>, source: SourceId) -> Statement {
    let chunk = &text[range.clone()];
    let st =
        fast::NAMES.with_borrow_mut(|names| fast::statement(chunk, range.start, source, names));
    match st {
        Some(st) => st,
        // Unreachable: the fast path read this very piece before. Should it ever not, the
        // grammar reads it, so the worst outcome is a slower load.
        None => grammar_piece(text, range, source)
            .0
            .into_iter()
            .next()
            .unwrap_or_else(|| unreachable!("a fact read once reads again")),
    }
}

/// One piece parsed by the grammar: its statements, and a report for what did not parse.
pub(crate) fn grammar_piece(
    text: &str,
    piece: Range<usize>,
    source: SourceId,
) -> (Vec<Statement>, Diagnostics) {
    let chunk = &text[piece.clone()];
    let mut statements = Vec::new();
    let mut errors = Vec::new();
    match Grammar::parse(Rule::program, chunk) {
        Ok(mut pairs) => {
            let program = pairs.next().expect("program rule always yields one pair");
            let b = Builder {
                source,
                offset: piece.start,
            };
            for pair in program.into_inner() {
                match b.statement(pair) {
                    Ok(Some(s)) => statements.push(s),
                    Ok(None) => {}
                    Err(d) => errors.push(d),
                }
            }
        }
        Err(e) => errors.push(syntax_error(&e, text, piece.start, chunk, source)),
    }
    (statements, errors)
}

/// A piece parsed by the grammar alone (the fast path's tests compare against it).
#[cfg(test)]
pub(crate) fn parse_with_grammar(chunk: &str, source: SourceId) -> Result<Vec<Statement>, ()> {
    match grammar_piece(chunk, 0..chunk.len(), source) {
        (statements, errors) if errors.is_empty() => Ok(statements),
        _ => Err(()),
    }
}

/// Would more input complete this text? True when the only problem is that it stops too early:
/// an open bracket or text, or a statement cut short (`visit where`). The REPL then asks for
/// another line instead of reporting an error.
pub fn is_incomplete(text: &str) -> bool {
    let pieces = split_statements(text);
    let Some(last) = pieces.last() else {
        return false;
    };
    let chunk = &text[last.clone()];
    if chunk.trim_start().starts_with(':') || chunk.trim().is_empty() {
        return false;
    }
    match Grammar::parse(Rule::program, chunk) {
        Ok(_) => false,
        Err(e) => {
            let pos = match e.location {
                pest::error::InputLocation::Pos(p) => p,
                pest::error::InputLocation::Span((s, _)) => s,
            };
            chunk[pos..].trim().is_empty() || super::split::unclosed(chunk)
        }
    }
}

struct Builder {
    source: SourceId,
    offset: usize,
}

type Built<T> = Result<T, Diagnostic>;

impl Builder {
    fn span(&self, pair: &Pair<Rule>) -> Span {
        let s = pair.as_span();
        Span::new(self.source, self.offset + s.start(), self.offset + s.end())
    }

    fn name(&self, pair: Pair<Rule>) -> Name {
        Name {
            text: pair.as_str().to_string(),
            span: self.span(&pair),
        }
    }

    fn statement(&self, pair: Pair<Rule>) -> Built<Option<Statement>> {
        Ok(Some(match pair.as_rule() {
            Rule::kind_decl => Statement::Kind(self.kind_decl(pair)?),
            Rule::entity_decl => Statement::Entity(self.entity_decl(pair)?),
            Rule::fact => Statement::Fact(self.fact(pair)?),
            Rule::source_decl => Statement::Fact(self.source_decl(pair)?),
            Rule::about_query => Statement::Query(Box::new(self.about_query(pair)?)),
            Rule::rule => Statement::Rule(self.rule(pair)?),
            Rule::query => Statement::Query(Box::new(self.query(pair)?)),
            Rule::meta_cmd => Statement::Meta(self.meta(pair)),
            _ => return Ok(None),
        }))
    }

    fn meta(&self, pair: Pair<Rule>) -> Meta {
        let span = self.span(&pair);
        let mut inner = pair.into_inner();
        let name = self.name(inner.next().expect("meta name"));
        let (args, args_span) = match inner.next() {
            Some(p) => {
                let raw = p.as_str();
                let lead = raw.len() - raw.trim_start().len();
                let start = self.span(&p).start + lead;
                let args = raw.trim();
                (args, Span::new(self.source, start, start + args.len()))
            }
            None => ("", Span::new(self.source, name.span.end, name.span.end)),
        };
        Meta {
            name,
            args: args.to_string(),
            args_span,
            span,
        }
    }

    fn kind_decl(&self, pair: Pair<Rule>) -> Built<KindDecl> {
        let span = self.span(&pair);
        let mut name = None;
        let mut doc = None;
        let mut fields = Vec::new();
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::name => name = Some(self.name(p)),
                Rule::string => doc = Some(self.string(p)?),
                Rule::field_decl => {
                    let mut it = p.into_inner();
                    let fname = self.name(it.next().expect("field name"));
                    let ty = self.name(it.next().expect("field type"));
                    let fdoc = it.next().map(|s| self.string(s)).transpose()?;
                    fields.push(FieldDecl {
                        name: fname,
                        ty,
                        doc: fdoc,
                    });
                }
                _ => {}
            }
        }
        Ok(KindDecl {
            name: name.expect("kind name"),
            doc,
            fields,
            span,
        })
    }

    fn entity_decl(&self, pair: Pair<Rule>) -> Built<EntityDecl> {
        let span = self.span(&pair);
        let mut names = Vec::new();
        let mut fields = Vec::new();
        let mut provenance = Provenance::default();
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::name => names.push(self.name(p)),
                Rule::field_value => fields.push(self.field_value(p)?),
                Rule::provenance => provenance = self.provenance(p)?,
                _ => {}
            }
        }
        let mut names = names.into_iter();
        Ok(EntityDecl {
            id: names.next().expect("entity id"),
            entity_type: names.next().expect("entity type"),
            fields,
            provenance,
            span,
        })
    }

    fn fact(&self, pair: Pair<Rule>) -> Built<Fact> {
        let span = self.span(&pair);
        let mut kind = None;
        let mut fields = Vec::new();
        let mut provenance = Provenance::default();
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::kind_name => kind = Some(self.name(p)),
                Rule::field_value => fields.push(self.field_value(p)?),
                Rule::positional => fields.push(self.positional(p)?),
                Rule::provenance => provenance = self.provenance(p)?,
                _ => {}
            }
        }
        Ok(Fact {
            kind: kind.expect("fact kind"),
            fields,
            provenance,
            span,
        })
    }

    /// `source araby(…)` is the fact `source(id: araby, …)`.
    fn source_decl(&self, pair: Pair<Rule>) -> Built<Fact> {
        let span = self.span(&pair);
        let mut kind = None;
        let mut fields = Vec::new();
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::kw_source => kind = Some(self.name(p)),
                Rule::name => {
                    let id = self.name(p);
                    let value = Value {
                        lit: Literal::Name(id.text.clone()),
                        span: id.span,
                    };
                    let name = Name {
                        text: "id".into(),
                        span: id.span,
                    };
                    fields.push(FieldValue {
                        name,
                        value,
                        positional: false,
                    });
                }
                Rule::field_value => fields.push(self.field_value(p)?),
                _ => {}
            }
        }
        Ok(Fact {
            kind: kind.expect("source keyword"),
            fields,
            provenance: Provenance::default(),
            span,
        })
    }

    /// `about "Tudor" where …` is `mention[kind_of, fact, field, cite, status] where subject =
    /// "Tudor" and (…)`.
    fn about_query(&self, pair: Pair<Rule>) -> Built<Query> {
        let span = self.span(&pair);
        let mut inner = pair.into_inner();
        let kw = inner.next().expect("about keyword");
        let kw_span = self.span(&kw);
        let name = |text: &str| Name {
            text: text.into(),
            span: kw_span,
        };
        let path = |text: &str| Path {
            segments: vec![name(text)],
            span: kw_span,
        };
        let subject = self.value(inner.next().expect("about value"))?;
        let mut condition = Condition::Test(
            path("subject"),
            Test::Compare(CmpOp::Eq, subject.clone()),
            subject.span,
        );
        let mut q = Query {
            mode: QueryMode::Rows,
            count: false,
            kind: name(crate::store::MENTION),
            projection: ["kind_of", "fact", "field", "cite", "status"]
                .map(path)
                .to_vec(),
            computed: vec![],
            group_by: vec![],
            condition: None,
            time_filters: vec![],
            order_by: vec![],
            limit: None,
            span,
        };
        // The rest reads like the end of a query.
        for p in inner {
            self.query_clause(p, &mut q)?;
        }
        if let Some(c) = q.condition.take() {
            condition = Condition::And(vec![condition, c]);
        }
        q.condition = Some(condition);
        Ok(q)
    }

    fn field_value(&self, pair: Pair<Rule>) -> Built<FieldValue> {
        let mut it = pair.into_inner();
        let name = self.name(it.next().expect("field name"));
        let value = self.value(it.next().expect("field value"))?;
        Ok(FieldValue {
            name,
            value,
            positional: false,
        })
    }

    /// A fact's value given without its field's name.
    fn positional(&self, pair: Pair<Rule>) -> Built<FieldValue> {
        let value = self.value(pair.into_inner().next().expect("value"))?;
        let name = Name {
            text: String::new(),
            span: value.span,
        };
        Ok(FieldValue {
            name,
            value,
            positional: true,
        })
    }

    fn provenance(&self, pair: Pair<Rule>) -> Built<Provenance> {
        let mut prov = Provenance::default();
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::citations => {
                    for c in p.into_inner().filter(|c| c.as_rule() == Rule::citation) {
                        prov.cites.push(self.citation(c)?);
                    }
                }
                Rule::inferred => {
                    let s = p.into_inner().find(|x| x.as_rule() == Rule::string);
                    prov.inferred =
                        Some(s.map(|s| self.string(s)).transpose()?.unwrap_or_default());
                }
                Rule::background => {
                    prov.is_background = true;
                    let s = p.into_inner().find(|x| x.as_rule() == Rule::string);
                    prov.background = s.map(|s| self.string(s)).transpose()?;
                }
                _ => {}
            }
        }
        Ok(prov)
    }

    fn citation(&self, pair: Pair<Rule>) -> Built<Citation> {
        let span = self.span(&pair);
        let mut it = pair.into_inner();
        let r = it.next().expect("cite ref");
        let rspan = self.span(&r);
        let (source, text) = match r.as_str().split_once(':') {
            Some((src, rest)) => {
                let end = rspan.start + src.len();
                let name = Name {
                    text: src.to_string(),
                    span: Span { end, ..rspan },
                };
                (Some(name), rest)
            }
            None => (None, r.as_str()),
        };
        let (p, s) = text[1..].split_once(".s").unwrap_or(("0", "0"));
        let number = |t: &str| {
            t.parse::<u32>().map_err(|_| {
                Diagnostic::error(
                    format!("`{text}` is not a paragraph and sentence number"),
                    self.span(&r),
                    "citation",
                )
                .with_help("cite as pN.sM, e.g. p5.s1 for paragraph 5, sentence 1")
            })
        };
        let paragraph = number(p)?;
        let sentence = number(s)?;
        let quote = it.next().map(|q| self.string(q)).transpose()?;
        Ok(Citation {
            source,
            paragraph,
            sentence,
            quote,
            span,
        })
    }

    fn string(&self, pair: Pair<Rule>) -> Built<String> {
        let span = self.span(&pair);
        let raw = pair.into_inner().next().map_or("", |p| p.as_str());
        unescape(raw).map_err(|bad| {
            Diagnostic::error(
                format!("unknown escape `\\{bad}` in text"),
                span,
                "in this text",
            )
            .with_help(r#"the escapes are \" \\ \n and \t"#)
        })
    }

    fn value(&self, pair: Pair<Rule>) -> Built<Value> {
        let span = self.span(&pair);
        let inner = pair.into_inner().next().expect("value has one child");
        let lit = match inner.as_rule() {
            Rule::date => Literal::Date(inner.as_str().to_string()),
            Rule::number => Literal::Number(
                inner
                    .as_str()
                    .parse()
                    .map_err(|_| Diagnostic::error("this number is too large", span, "number"))?,
            ),
            Rule::string => Literal::Text(self.string(inner)?),
            Rule::boolean => Literal::Bool(inner.as_str() == "true"),
            Rule::kw_unknown => Literal::Unknown,
            Rule::list => Literal::List(
                inner
                    .into_inner()
                    .map(|v| self.value(v))
                    .collect::<Built<Vec<_>>>()?,
            ),
            _ => Literal::Name(inner.as_str().to_string()),
        };
        Ok(Value { lit, span })
    }

    fn rule(&self, pair: Pair<Rule>) -> Built<super::ast::Rule> {
        let span = self.span(&pair);
        let mut it = pair.into_inner();
        let head = self.atom(it.next().expect("rule head"))?;
        let body = self.body_items(it)?;
        Ok(super::ast::Rule { head, body, span })
    }

    fn body_items<'i>(&self, pairs: impl Iterator<Item = Pair<'i, Rule>>) -> Built<Vec<BodyItem>> {
        pairs.map(|b| self.body_item(b)).collect()
    }

    fn atom(&self, pair: Pair<Rule>) -> Built<Atom> {
        let span = self.span(&pair);
        let mut it = pair.into_inner();
        let kind = self.name(it.next().expect("atom kind"));
        let mut args = Vec::new();
        for a in it {
            let mut parts = a.into_inner().peekable();
            let field = if parts.peek().is_some_and(|p| p.as_rule() == Rule::ident) {
                parts.next().map(|p| self.name(p))
            } else {
                None
            };
            let term = self.expr(parts.next().expect("argument expression"))?;
            args.push(Arg { field, term });
        }
        Ok(Atom { kind, args, span })
    }

    /// An `expr` pair → a [`Term`], operators grouped by precedence (Pratt).
    fn expr(&self, pair: Pair<Rule>) -> Built<Term> {
        EXPR_PRECEDENCE
            .map_primary(|p| self.primary(p))
            .map_prefix(|op, operand| {
                let operand = operand?;
                let span = self.span(&op).to(operand.span());
                // `-3` is a number, not an operation on one.
                if let Term::Value(Value {
                    lit: Literal::Number(n),
                    ..
                }) = operand
                {
                    return Ok(Term::Value(Value {
                        lit: Literal::Number(-n),
                        span,
                    }));
                }
                Ok(Term::Neg {
                    operand: Box::new(operand),
                    span,
                })
            })
            .map_infix(|left, op, right| {
                let (left, right) = (left?, right?);
                let op = match op.as_rule() {
                    Rule::add => BinOp::Add,
                    Rule::sub => BinOp::Sub,
                    Rule::mul => BinOp::Mul,
                    Rule::div => BinOp::Div,
                    Rule::int_div => BinOp::IntDiv,
                    _ => BinOp::Rem,
                };
                Ok(Term::Binary {
                    op,
                    span: left.span().to(right.span()),
                    left: Box::new(left),
                    right: Box::new(right),
                })
            })
            .parse(pair.into_inner())
    }

    fn primary(&self, inner: Pair<Rule>) -> Built<Term> {
        Ok(match inner.as_rule() {
            Rule::expr | Rule::q_expr => self.expr(inner)?,
            // In a query, a name is a field (a path), kept as written.
            Rule::path => Term::Var(self.name(inner)),
            Rule::q_literal => {
                let span = self.span(&inner);
                let lit = inner.into_inner().next().expect("literal");
                let lit = match lit.as_rule() {
                    Rule::date => Literal::Date(lit.as_str().to_string()),
                    Rule::string => Literal::Text(self.string(lit)?),
                    Rule::boolean => Literal::Bool(lit.as_str() == "true"),
                    _ => Literal::Number(lit.as_str().parse().map_err(|_| {
                        Diagnostic::error("this number is too large", span, "number")
                    })?),
                };
                Term::Value(Value { lit, span })
            }
            Rule::variable => Term::Var(self.name(inner)),
            Rule::aggregate => {
                let span = self.span(&inner);
                let mut it = inner.into_inner().peekable();
                let func = match it.next().expect("aggregate fn").as_str() {
                    "count" => AggFn::Count,
                    "min" => AggFn::Min,
                    "max" => AggFn::Max,
                    "mean" => AggFn::Mean,
                    _ => AggFn::Sum,
                };
                let arg = match it.peek() {
                    Some(p) if p.as_rule() == Rule::expr => {
                        Some(Box::new(self.expr(it.next().expect("peeked"))?))
                    }
                    _ => None,
                };
                let body = if it.peek().is_some() {
                    Some(self.body_items(it)?)
                } else {
                    None
                };
                Term::Aggregate {
                    func,
                    arg,
                    body,
                    span,
                }
            }
            Rule::call | Rule::q_call => {
                let span = self.span(&inner);
                let mut it = inner.into_inner();
                let func = self.name(it.next().expect("function name"));
                let args = it.map(|t| self.expr(t)).collect::<Built<Vec<_>>>()?;
                Term::Call { func, args, span }
            }
            _ => Term::Value(self.value(inner)?),
        })
    }

    fn body_item(&self, pair: Pair<Rule>) -> Built<BodyItem> {
        let span = self.span(&pair);
        let inner = pair.into_inner().next().expect("body item has one child");
        Ok(match inner.as_rule() {
            Rule::atom => BodyItem::Atom(self.atom(inner)?),
            Rule::negated => {
                let atom = inner.into_inner().find(|p| p.as_rule() == Rule::atom);
                BodyItem::Not(self.atom(atom.expect("negated atom"))?, span)
            }
            Rule::disjunction => {
                let branches = inner
                    .into_inner()
                    .filter(|p| p.as_rule() == Rule::branch)
                    .map(|b| self.body_items(b.into_inner()))
                    .collect::<Built<Vec<_>>>()?;
                BodyItem::Or(branches, span)
            }
            _ => {
                let mut it = inner.into_inner().peekable();
                let left = self.expr(it.next().expect("left expression"))?;
                let mut modality = Modality::Certainly;
                if it.peek().is_some_and(|p| p.as_rule() == Rule::modality) {
                    let m = it.next().expect("modality");
                    if m.into_inner()
                        .next()
                        .is_some_and(|k| k.as_rule() == Rule::kw_possibly)
                    {
                        modality = Modality::Possibly;
                    }
                }
                let op = it.next().expect("operator");
                let right = self.expr(it.next().expect("right expression"))?;
                if op.as_rule() == Rule::cmp_op {
                    BodyItem::Compare {
                        left,
                        op: cmp_op(op.as_str()),
                        right,
                        span,
                    }
                } else {
                    BodyItem::Time {
                        left,
                        rel: time_rel(op),
                        modality,
                        right,
                        span,
                    }
                }
            }
        })
    }

    fn path(&self, pair: Pair<Rule>) -> Path {
        let span = self.span(&pair);
        let mut segments = Vec::new();
        let mut start = span.start;
        for seg in pair.as_str().split('.') {
            segments.push(Name {
                text: seg.to_string(),
                span: Span::new(self.source, start, start + seg.len()),
            });
            start += seg.len() + 1;
        }
        Path { segments, span }
    }

    fn query(&self, pair: Pair<Rule>) -> Built<Query> {
        let span = self.span(&pair);
        let mut q = Query {
            mode: QueryMode::Rows,
            count: false,
            kind: Name {
                text: String::new(),
                span,
            },
            projection: vec![],
            computed: vec![],
            group_by: vec![],
            condition: None,
            time_filters: vec![],
            order_by: vec![],
            limit: None,
            span,
        };
        for p in pair.into_inner() {
            self.query_clause(p, &mut q)?;
        }
        Ok(q)
    }

    /// One clause of a query (mode, kind, projection, where, time filter, order, limit).
    fn query_clause(&self, p: Pair<Rule>, q: &mut Query) -> Built<()> {
        match p.as_rule() {
            Rule::query_mode => {
                let kws: Vec<Rule> = p.into_inner().map(|k| k.as_rule()).collect();
                q.mode = match kws.as_slice() {
                    [Rule::kw_why] => QueryMode::Why,
                    [_, Rule::kw_analyze] => QueryMode::Analyze,
                    _ => QueryMode::Explain,
                };
            }
            Rule::kw_count => q.count = true,
            Rule::kind_name => q.kind = self.name(p),
            Rule::projection => {
                for (n, item) in p.into_inner().enumerate() {
                    if item.as_rule() == Rule::computed_col {
                        let mut it = item.into_inner();
                        let e = self.expr(it.next().expect("column expression"))?;
                        let name = it.find(|x| x.as_rule() == Rule::ident);
                        q.computed
                            .push((n, e, self.name(name.expect("column name"))));
                    } else {
                        q.projection.push(self.path(item));
                    }
                }
            }
            Rule::group_by => q.group_by = self.paths(p),
            Rule::where_clause => {
                let c = p.into_inner().find(|c| c.as_rule() == Rule::condition);
                q.condition = Some(self.condition(c.expect("where condition"))?);
            }
            Rule::time_filter => q.time_filters.push(self.time_filter(p)?),
            Rule::order_by => {
                for key in p.into_inner().filter(|k| k.as_rule() == Rule::order_key) {
                    let mut it = key.into_inner();
                    let path = self.path(it.next().expect("order path"));
                    let descending = it.next().is_some_and(|d| d.as_rule() == Rule::kw_desc);
                    q.order_by.push(OrderKey { path, descending });
                }
            }
            Rule::limit => {
                let n = p.into_inner().find(|n| n.as_rule() == Rule::number);
                let n = n.expect("limit number");
                let nspan = self.span(&n);
                let value = n.as_str().parse::<u64>().map_err(|_| {
                    Diagnostic::error("a limit must be a whole number of rows", nspan, "here")
                        .with_help("write e.g. `limit 10`")
                })?;
                q.limit = Some((value, nspan));
            }
            _ => {}
        }
        Ok(())
    }

    fn paths(&self, pair: Pair<Rule>) -> Vec<Path> {
        pair.into_inner()
            .filter(|p| p.as_rule() == Rule::path)
            .map(|p| self.path(p))
            .collect()
    }

    /// Shared by `time_filter` (after a query) and `path_time` (inside `where`).
    fn time_filter(&self, pair: Pair<Rule>) -> Built<TimeFilter> {
        let span = self.span(&pair);
        let mut modality = Modality::Certainly;
        let mut rel = TimeRel::Within;
        let mut from = None;
        let mut to = None;
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::modality
                    if p.clone()
                        .into_inner()
                        .next()
                        .is_some_and(|m| m.as_rule() == Rule::kw_possibly) =>
                {
                    modality = Modality::Possibly;
                }
                Rule::time_op => rel = time_rel(p),
                Rule::value => from = Some(self.value(p)?),
                Rule::between => {
                    let mut vals = p.into_inner().filter(|v| v.as_rule() == Rule::value);
                    from = Some(self.value(vals.next().expect("between start"))?);
                    to = Some(self.value(vals.next().expect("between end"))?);
                    rel = TimeRel::Within;
                }
                _ => {}
            }
        }
        Ok(TimeFilter {
            modality,
            rel,
            from: from.expect("time filter value"),
            to,
            span,
        })
    }

    fn condition(&self, pair: Pair<Rule>) -> Built<Condition> {
        let span = self.span(&pair);
        match pair.as_rule() {
            Rule::condition | Rule::conjunction => {
                let is_or = pair.as_rule() == Rule::condition;
                let mut parts = pair
                    .into_inner()
                    .filter(|p| !matches!(p.as_rule(), Rule::kw_or | Rule::kw_and))
                    .map(|p| self.condition(p))
                    .collect::<Built<Vec<_>>>()?;
                Ok(if parts.len() == 1 {
                    parts.pop().expect("one part")
                } else if is_or {
                    Condition::Or(parts)
                } else {
                    Condition::And(parts)
                })
            }
            Rule::negation => {
                let mut it = pair.into_inner();
                let first = it.next().expect("negation child");
                if first.as_rule() == Rule::kw_not {
                    let inner = self.condition(it.next().expect("negated condition"))?;
                    Ok(Condition::Not(Box::new(inner), span))
                } else {
                    self.condition(first)
                }
            }
            Rule::computed_cmp => {
                let mut it = pair.into_inner();
                let left = self.expr(it.next().expect("left expression"))?;
                let op = cmp_op(it.next().expect("operator").as_str());
                let right = self.expr(it.next().expect("right expression"))?;
                Ok(Condition::Computed(left, op, right, span))
            }
            Rule::comparison => {
                let mut it = pair.into_inner();
                let path = self.path(it.next().expect("comparison path"));
                let test_pair = it.next().expect("comparison test");
                let test = self.test(test_pair)?;
                Ok(Condition::Test(path, test, span))
            }
            _ => unreachable!("condition rules are condition, conjunction, negation, comparison"),
        }
    }

    fn test(&self, pair: Pair<Rule>) -> Built<Test> {
        Ok(match pair.as_rule() {
            Rule::compare => {
                let mut it = pair.into_inner();
                let op = cmp_op(it.next().expect("operator").as_str());
                Test::Compare(op, self.value(it.next().expect("operand"))?)
            }
            Rule::is_test => Test::IsUnknown {
                negated: pair.into_inner().any(|p| p.as_rule() == Rule::kw_not),
            },
            Rule::in_test => {
                let mut negated = false;
                let mut values = Vec::new();
                for p in pair.into_inner() {
                    match p.as_rule() {
                        Rule::kw_not => negated = true,
                        Rule::value => values.push(self.value(p)?),
                        _ => {}
                    }
                }
                Test::In { values, negated }
            }
            Rule::contains_test => {
                let v = pair.into_inner().find(|p| p.as_rule() == Rule::value);
                Test::Contains(self.value(v.expect("contains operand"))?)
            }
            _ => Test::Time(self.time_filter(pair)?),
        })
    }
}

fn cmp_op(s: &str) -> CmpOp {
    match s {
        "=" => CmpOp::Eq,
        "!=" => CmpOp::Ne,
        "<" => CmpOp::Lt,
        "<=" => CmpOp::Le,
        ">" => CmpOp::Gt,
        _ => CmpOp::Ge,
    }
}

fn time_rel(pair: Pair<Rule>) -> TimeRel {
    let kw = pair.into_inner().next().map(|k| k.as_rule());
    match kw {
        Some(Rule::kw_after) => TimeRel::After,
        Some(Rule::kw_before) => TimeRel::Before,
        _ => TimeRel::Within,
    }
}

/// Resolves `\"`, `\\`, `\n`, `\t`; returns the bad escape character otherwise.
fn unescape(raw: &str) -> Result<String, char> {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('"') => out.push('"'),
            Some('\\') => out.push('\\'),
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some(other) => return Err(other),
            None => return Err(' '),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fast path finds a fact's or an entity's end while reading it; the statements and
    /// their spans must be those the splitter and the grammar give, piece by piece.
    #[test]
    fn statements_read_up_to_their_semicolon_are_those_the_grammar_reads() {
        let texts = [
            crate::session::ARTICLE,
            crate::session::RULES,
            "kind a (x: number);\na(x: 1); # a comment; with a semicolon\n  a(x: 2) ;a(x: 3);",
            "entity e: country(name: \"E;\"); # after\n:set approx on\na(x: 4)\n;\na(x: 5)",
            "a(x: \"one\ntwo\"); a(x: 6) cite p1.s1; a(x: [1, 2]); a(x: \"es\\\"c\");",
            "a(x: 1) a(x: 2); a(x: ; a(x: 7);\na(x: \"never closed);\na(x: 8);",
            "\u{feff}a(x: 1);\r\n# only a comment\r\n;;\r\na(x: 2);",
            "visit where partner = \"US\"; a(x: 9); tc(a: ?x) :- a(x: ?x); a(x: 10)",
        ];
        for text in texts {
            let limits = ParseLimits::default();
            let (pieces, errors) = parse_pieces(text, 0, limits);
            let split = split_statements(text);
            for p in &pieces {
                if let Piece::Fact(r) = p {
                    assert!(split.contains(r), "{r:?} is no piece of {text:?}");
                }
            }
            let (statements, _) = parse_program(text, 0, limits);
            let mut grammar = Vec::new();
            let mut grammar_errors = 0;
            for r in &split {
                let (s, e) = grammar_piece(text, r.clone(), 0);
                grammar.extend(s);
                grammar_errors += e.len();
            }
            assert_eq!(statements, grammar, "{text:?}");
            assert_eq!(errors.len(), grammar_errors, "{text:?}");
        }
    }
}
