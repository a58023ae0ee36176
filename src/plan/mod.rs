//! Checked queries → plans: how to reach the rows (a scan, or a hash-index lookup on an
//! equality), what to filter, sort, cut and show. [`explain`] prints a plan.
//!
//! Invariant: a plan says *what* to compute; `eval` decides nothing but *how*.

pub mod explain;
pub mod rules;

pub use explain::describe_pred;

mod choose;

pub use choose::plan_for;

use crate::check::{CheckedQuery, Column, FieldRef, Pred};
use crate::store::{KindId, Value};
use crate::syntax::ast::{CmpOp, QueryMode};

/// How rows of a relation are reached.
#[derive(Clone, Debug, PartialEq)]
pub enum Access {
    /// Every row.
    Scan,
    /// Rows whose column `col` equals one of `keys`, through the column's hash index.
    Lookup { col: usize, keys: Vec<Value> },
    /// Rows whose number, or date's first day (as days of the common era), in column `col`
    /// lies in `lo..=hi`, through the column's sorted index. A superset: the condition it
    /// came from stays in the filter.
    Range { col: usize, lo: f64, hi: f64 },
    /// Rows whose entity column `col` names an entity that `entities` selects: the entity
    /// rows first (by their own access and filter), then this kind's hash index on `col`.
    Through {
        col: usize,
        entities: Box<(Access, Option<Pred>)>,
    },
}

/// What a query returns.
#[derive(Clone, Debug, PartialEq)]
pub enum Output {
    Rows(Vec<FieldRef>),
    /// One row per group (or one row in all) with the number of rows.
    Count(Vec<FieldRef>),
}

/// An executable query plan.
#[derive(Clone, Debug)]
pub struct Plan {
    pub kind: KindId,
    pub mode: QueryMode,
    pub access: Access,
    pub filter: Option<Pred>,
    pub order: Vec<(FieldRef, bool)>,
    pub limit: Option<u64>,
    pub output: Output,
}

/// Chooses an access path: an equality on a plain column becomes an index lookup.
pub fn plan(mut q: CheckedQuery) -> Plan {
    let (access, filter) = choose_access(q.pred.take());
    assemble(q, access, filter)
}

/// A plan from a checked query and the access path chosen for it.
fn assemble(q: CheckedQuery, access: Access, filter: Option<Pred>) -> Plan {
    let output = if q.count {
        Output::Count(q.group_by)
    } else {
        Output::Rows(q.columns)
    };
    Plan {
        kind: q.kind,
        mode: q.mode,
        access,
        filter,
        order: q.order,
        limit: q.limit,
        output,
    }
}

/// How an access path reaches the rows of `kind`, in words (one line, no row counts).
pub fn describe_access(db: &crate::store::Database, kind: KindId, access: &Access) -> String {
    let k = db.kind(kind);
    let field = |col: usize| k.fields.get(col).map_or("?", |f| f.name.as_str());
    match access {
        Access::Scan => format!("scan {}", k.name),
        Access::Lookup { col, keys } => format!(
            "lookup {} by hash index on {} ({} keys)",
            k.name,
            field(*col),
            keys.len()
        ),
        Access::Range { col, lo, hi } => {
            let bound = |x: f64| -> String {
                if !x.is_finite() {
                    return "…".into();
                }
                match k.fields.get(*col).map(|f| f.ty) {
                    Some(crate::store::Type::Date) => {
                        crate::date::Date::from_days(x as i32).to_string()
                    }
                    _ => crate::store::format_number(x),
                }
            };
            format!(
                "range of {} by sorted index on {} from {} to {}",
                k.name,
                field(*col),
                bound(*lo),
                bound(*hi)
            )
        }
        Access::Through { col, entities } => {
            let (inner, filter) = entities.as_ref();
            let mut s = format!(
                "lookup {} by hash index on {} ∈ entities: {}",
                k.name,
                field(*col),
                describe_access(db, 0, inner)
            );
            if let Some(f) = filter {
                s.push_str(&format!(", filter {}", describe_pred(db, f)));
            }
            s
        }
    }
}

/// The keys of an equality on a column of the row itself (not through an entity).
pub(crate) fn lookup_keys(p: &Pred) -> Option<(usize, Vec<Value>)> {
    match p {
        Pred::Compare(
            FieldRef {
                column: Column::Field(c),
                derefs,
                ..
            },
            CmpOp::Eq,
            v,
        ) if derefs.is_empty() => Some((*c, vec![v.clone()])),
        Pred::In(
            FieldRef {
                column: Column::Field(c),
                derefs,
                ty,
                ..
            },
            vs,
        ) if derefs.is_empty() && *ty != crate::store::Type::List => Some((*c, vs.clone())),
        _ => None,
    }
}

fn choose_access(pred: Option<Pred>) -> (Access, Option<Pred>) {
    let Some(pred) = pred else {
        return (Access::Scan, None);
    };
    if let Some((col, keys)) = lookup_keys(&pred) {
        return (Access::Lookup { col, keys }, None);
    }
    if let Pred::And(parts) = &pred
        && let Some(i) = parts.iter().position(|p| lookup_keys(p).is_some())
    {
        let mut rest = parts.clone();
        let chosen = rest.remove(i);
        let (col, keys) = lookup_keys(&chosen).expect("checked above");
        let filter = match rest.len() {
            0 => None,
            1 => rest.pop(),
            _ => Some(Pred::And(rest)),
        };
        return (Access::Lookup { col, keys }, filter);
    }
    (Access::Scan, Some(pred))
}
