//! The checked form of a query: kinds and fields resolved to columns, literals to typed values.

use crate::date::{Date, Modality, TimeRel};
use crate::store::{Cite, KindId, Type, Value};
use crate::syntax::ast::{CmpOp, QueryMode};

/// Where a field's value comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Column {
    /// A column of the row (0 is `id`).
    Field(usize),
    /// The citations of the row, e.g. `p5.s1` (a list).
    Cite,
    /// `stated`, `inferred`, `background` or `derived`.
    Status,
    /// Computed from other fields (`FieldRef::computed`).
    Computed,
}

/// A value computed from a row's fields: `weekday(date) as day`, or the test `rank + 1 <= 3`.
#[derive(Clone, Debug, PartialEq)]
pub struct Computed {
    /// The fields it reads: `Expr::Var(i)` stands for `inputs[i]`.
    pub inputs: Vec<FieldRef>,
    pub expr: crate::check::expr::Expr,
    /// A comparison with a second expression: the value is then true or false.
    pub compare: Option<(CmpOp, crate::check::expr::Expr)>,
    /// Where the query writes it, for the report when it has no value (a division by zero).
    pub span: crate::diagnostic::Span,
    /// Does it make texts the fact base may not hold (`lower(partner)`)? They are interned,
    /// row by row, before the query runs ([`crate::eval::intern_computed_texts`]).
    pub makes_texts: bool,
}

/// A resolved path such as `led_by.name`: a column, then columns of the entities it leads to.
#[derive(Clone, Debug, PartialEq)]
pub struct FieldRef {
    pub column: Column,
    /// Columns of the `entity` kind followed after the first one.
    pub derefs: Vec<usize>,
    /// The type at the end of the path.
    pub ty: Type,
    /// The path as written, used as the column header.
    pub name: String,
    /// For `Column::Computed`: how the value is computed.
    pub computed: Option<std::rc::Rc<Computed>>,
}

/// A checked condition.
#[derive(Clone, Debug, PartialEq)]
pub enum Pred {
    And(Vec<Pred>),
    Or(Vec<Pred>),
    Not(Box<Pred>),
    Compare(FieldRef, CmpOp, Value),
    In(FieldRef, Vec<Value>),
    /// Case-insensitive substring (of a text, of any alias, of an entity's names).
    Contains(FieldRef, String),
    IsUnknown(FieldRef),
    Time(FieldRef, TimeRel, Modality, Date),
    /// `cite = p5`, `cite in (p5, "p6.s2")`: the row cites one of these places.
    Cites(Vec<CitePlace>),
}

/// A paragraph or a sentence, perhaps of a named source: `p5`, `p5.s1`, `araby:p5`.
#[derive(Clone, Debug, PartialEq)]
pub struct CitePlace {
    pub source: Option<String>,
    pub paragraph: u32,
    pub sentence: Option<u32>,
}

impl CitePlace {
    /// Reads `p5`, `p5.s1`, `araby:p5` or `araby:p5.s1`.
    pub fn parse(text: &str) -> Option<CitePlace> {
        let (source, place) = match text.split_once(':') {
            Some((s, p)) => (Some(s.trim().to_string()), p.trim()),
            None => (None, text.trim()),
        };
        let place = place.strip_prefix('p')?;
        let (p, s) = match place.split_once(".s") {
            Some((p, s)) => (p, Some(s.parse().ok()?)),
            None => (place, None),
        };
        Some(CitePlace {
            source,
            paragraph: p.parse().ok()?,
            sentence: s,
        })
    }

    /// Does citation `c` point into this paragraph or sentence?
    pub fn holds_for(&self, c: &Cite) -> bool {
        c.paragraph == self.paragraph
            && self.sentence.is_none_or(|s| s == c.sentence)
            && self
                .source
                .as_ref()
                .is_none_or(|s| c.source.as_ref() == Some(s))
    }
}

impl std::fmt::Display for CitePlace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(s) = &self.source {
            write!(f, "{s}:")?;
        }
        write!(f, "p{}", self.paragraph)?;
        if let Some(s) = self.sentence {
            write!(f, ".s{s}")?;
        }
        Ok(())
    }
}

/// A query whose names and types are all known to be right.
#[derive(Clone, Debug)]
pub struct CheckedQuery {
    pub kind: KindId,
    pub mode: QueryMode,
    pub count: bool,
    pub columns: Vec<FieldRef>,
    pub group_by: Vec<FieldRef>,
    pub pred: Option<Pred>,
    pub order: Vec<(FieldRef, bool)>,
    pub limit: Option<u64>,
}
