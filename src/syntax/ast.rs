//! The syntax tree: what the user wrote, every node with its span, nothing resolved yet.

use crate::date::{Modality, TimeRel};
use crate::diagnostic::Span;

/// A name as written, with where it was written.
#[derive(Clone, Debug, PartialEq)]
pub struct Name {
    pub text: String,
    pub span: Span,
}

/// A literal value as written.
#[derive(Clone, Debug, PartialEq)]
pub enum Literal {
    Text(String),
    Number(f64),
    /// Raw date text (checked into a [`crate::date::Date`] by the checker).
    Date(String),
    Bool(bool),
    Unknown,
    List(Vec<Value>),
    /// A bare name: an entity, an alias or a fact id.
    Name(String),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Value {
    pub lit: Literal,
    pub span: Span,
}

/// One statement of a program.
#[derive(Clone, Debug, PartialEq)]
pub enum Statement {
    Kind(KindDecl),
    Entity(EntityDecl),
    Fact(Fact),
    Rule(Rule),
    Query(Box<Query>),
    Meta(Meta),
}

impl Statement {
    pub fn span(&self) -> Span {
        match self {
            Statement::Kind(k) => k.span,
            Statement::Entity(e) => e.span,
            Statement::Fact(f) => f.span,
            Statement::Rule(r) => r.span,
            Statement::Query(q) => q.span,
            Statement::Meta(m) => m.span,
        }
    }
}

/// `:name args` — a command for the session rather than the language.
#[derive(Clone, Debug, PartialEq)]
pub struct Meta {
    pub name: Name,
    pub args: String,
    /// Where `args` is (an empty span just after the name when there are none).
    pub args_span: Span,
    pub span: Span,
}

/// `kind visit "doc" (partner: entity "doc", …)`
#[derive(Clone, Debug, PartialEq)]
pub struct KindDecl {
    pub name: Name,
    pub doc: Option<String>,
    pub fields: Vec<FieldDecl>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct FieldDecl {
    pub name: Name,
    pub ty: Name,
    pub doc: Option<String>,
}

/// `entity id: type(field: value, …) provenance`
#[derive(Clone, Debug, PartialEq)]
pub struct EntityDecl {
    pub id: Name,
    pub entity_type: Name,
    pub fields: Vec<FieldValue>,
    pub provenance: Provenance,
    pub span: Span,
}

/// `kind(field: value, …) provenance`
#[derive(Clone, Debug, PartialEq)]
pub struct Fact {
    pub kind: Name,
    pub fields: Vec<FieldValue>,
    pub provenance: Provenance,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct FieldValue {
    /// The field's name; for a value given by position, an empty name at the value.
    pub name: Name,
    pub value: Value,
    /// Given without a name (`edge(1, 2)`): it fills the next field no value names.
    pub positional: bool,
}

/// Where a fact comes from.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Provenance {
    pub cites: Vec<Citation>,
    pub inferred: Option<String>,
    pub background: Option<String>,
    /// `background` was written (possibly without a note).
    pub is_background: bool,
}

/// `p5.s1 "short quote"`: paragraph 5, sentence 1.
#[derive(Clone, Debug, PartialEq)]
pub struct Citation {
    /// `araby` in `araby:p2.s1`: a source declared with `source`, when named.
    pub source: Option<Name>,
    pub paragraph: u32,
    pub sentence: u32,
    pub quote: Option<String>,
    pub span: Span,
}

/// `head :- body, …`
#[derive(Clone, Debug, PartialEq)]
pub struct Rule {
    pub head: Atom,
    pub body: Vec<BodyItem>,
    pub span: Span,
}

/// `kind(field: term, …)` or positional `kind(term, …)`.
#[derive(Clone, Debug, PartialEq)]
pub struct Atom {
    pub kind: Name,
    pub args: Vec<Arg>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Arg {
    pub field: Option<Name>,
    pub term: Term,
}

/// An expression: a value, a variable, an operator over expressions, a function call or an
/// aggregate.
#[derive(Clone, Debug, PartialEq)]
pub enum Term {
    Var(Name),
    Value(Value),
    /// `count()`, `sum(?x * 2)`; in a rule body, `count(?s : statement(speaker: ?p, id: ?s))`
    /// aggregates over its own `body`.
    Aggregate {
        func: AggFn,
        arg: Option<Box<Term>>,
        body: Option<Vec<BodyItem>>,
        span: Span,
    },
    /// A built-in function such as `days_between(?a, ?b)`.
    Call {
        func: Name,
        args: Vec<Term>,
        span: Span,
    },
    /// `left op right`.
    Binary {
        op: BinOp,
        left: Box<Term>,
        right: Box<Term>,
        span: Span,
    },
    /// `-operand`.
    Neg {
        operand: Box<Term>,
        span: Span,
    },
}

impl Term {
    pub fn span(&self) -> Span {
        match self {
            Term::Var(n) => n.span,
            Term::Value(v) => v.span,
            Term::Aggregate { span, .. }
            | Term::Call { span, .. }
            | Term::Binary { span, .. }
            | Term::Neg { span, .. } => *span,
        }
    }
}

/// An arithmetic operator.
#[derive(serde::Serialize, serde::Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    /// `/`: exact division (`7 / 2` is `3.5`).
    Div,
    /// `//`: integer division, truncated toward zero (`7 // 2` is `3`, `-7 // 2` is `-3`).
    IntDiv,
    /// `%`: the remainder of `//`, with the sign of the dividend.
    Rem,
}

impl BinOp {
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::IntDiv => "//",
            BinOp::Rem => "%",
        }
    }
}

#[derive(serde::Serialize, serde::Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AggFn {
    Count,
    Min,
    Max,
    Sum,
    Mean,
}

impl AggFn {
    pub fn name(self) -> &'static str {
        match self {
            AggFn::Count => "count",
            AggFn::Min => "min",
            AggFn::Max => "max",
            AggFn::Sum => "sum",
            AggFn::Mean => "mean",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum BodyItem {
    Atom(Atom),
    /// `(branch or branch …)`: each branch a list of body items.
    Or(Vec<Vec<BodyItem>>, Span),
    Not(Atom, Span),
    Compare {
        left: Term,
        op: CmpOp,
        right: Term,
        span: Span,
    },
    Time {
        left: Term,
        rel: TimeRel,
        modality: crate::date::Modality,
        right: Term,
        span: Span,
    },
}

#[derive(serde::Serialize, serde::Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CmpOp {
    pub fn symbol(self) -> &'static str {
        match self {
            CmpOp::Eq => "=",
            CmpOp::Ne => "!=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }
}

/// What a query asks for besides rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QueryMode {
    Rows,
    Why,
    Explain,
    /// `explain analyze`: the plan, run, with the rows and time of each step.
    Analyze,
}

/// `[why|explain [analyze]] [count] KIND [fields] [by …] [where …] [time filters] [order by …] [limit N]`
#[derive(Clone, Debug, PartialEq)]
pub struct Query {
    pub mode: QueryMode,
    pub count: bool,
    pub kind: Name,
    pub projection: Vec<Path>,
    /// `expr as name` columns: (position among the columns, expression, name). In a query's
    /// expressions a field is a `Term::Var` named as written (`date`, `led_by.name`).
    pub computed: Vec<(usize, Term, Name)>,
    pub group_by: Vec<Path>,
    pub condition: Option<Condition>,
    pub time_filters: Vec<TimeFilter>,
    pub order_by: Vec<OrderKey>,
    pub limit: Option<(u64, Span)>,
    pub span: Span,
}

/// `led_by.name`: a field, then fields of the entity it refers to.
#[derive(Clone, Debug, PartialEq)]
pub struct Path {
    pub segments: Vec<Name>,
    pub span: Span,
}

impl Path {
    pub fn text(&self) -> String {
        self.segments
            .iter()
            .map(|s| s.text.as_str())
            .collect::<Vec<_>>()
            .join(".")
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct OrderKey {
    pub path: Path,
    pub descending: bool,
}

/// `[possibly|certainly] after D`, `between D and E`, …
#[derive(Clone, Debug, PartialEq)]
pub struct TimeFilter {
    pub modality: Modality,
    pub rel: TimeRel,
    pub from: Value,
    /// The end of `between … and …`.
    pub to: Option<Value>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Condition {
    Or(Vec<Condition>),
    And(Vec<Condition>),
    Not(Box<Condition>, Span),
    Test(Path, Test, Span),
    /// `rank + 1 <= 3`: computed values compared (fields as in [`Query::computed`]).
    Computed(Term, CmpOp, Term, Span),
}

#[derive(Clone, Debug, PartialEq)]
pub enum Test {
    Compare(CmpOp, Value),
    In { values: Vec<Value>, negated: bool },
    Contains(Value),
    IsUnknown { negated: bool },
    Time(TimeFilter),
}
