//! The checked form of a query: kinds and fields resolved to columns, literals to typed values.

use crate::date::{Date, Modality, TimeRel};
use crate::store::{KindId, Type, Value};
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
