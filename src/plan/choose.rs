//! Choosing how to reach a query's rows when the database is at hand. Each condition of the
//! `where` (and time filters) that an index can answer is a candidate:
//!
//! - an equality or `in` on a column → the column's hash index;
//! - a date range (`after`, `before`, `between`, `during`, certainly) or a comparison of a date
//!   or a number → the column's sorted index;
//! - a condition on an entity's field (`actor.affiliation = c07`) → the entities that satisfy
//!   it, then the hash index on the entity column.
//!
//! The candidate that keeps the fewest rows wins, estimated by testing the condition on an
//! evenly spread sample of rows (no statistics to keep up to date, no index built to guess);
//! a scan wins when no candidate keeps less than a quarter of the rows.

use super::{Access, Plan, lookup_keys};
use crate::check::{CheckedQuery, Column, FieldRef, Pred};
use crate::date::{Modality, TimeRel};
use crate::eval::holds;
use crate::store::{Database, KindId, Type, Value};
use crate::syntax::ast::CmpOp;

/// Below this many rows, the simple rule (the first equality) is as good as any.
const SMALL: usize = 4096;
/// Rows tested to estimate how many a condition keeps.
const SAMPLE: usize = 1024;
/// An index pays when it keeps at most this share of the rows.
const WORTH_IT: f64 = 0.25;

/// Plans `q` with the data in view: see the module's documentation.
pub fn plan_for(db: &Database, mut q: CheckedQuery) -> Plan {
    if db.kind(q.kind).relation.len() < SMALL {
        return super::plan(q);
    }
    let (access, filter) = choose(db, q.kind, q.pred.take());
    super::assemble(q, access, filter)
}

fn flatten(p: Pred, out: &mut Vec<Pred>) {
    match p {
        Pred::And(parts) => parts.into_iter().for_each(|q| flatten(q, out)),
        other => out.push(other),
    }
}

fn conjunction(mut parts: Vec<Pred>) -> Option<Pred> {
    match parts.len() {
        0 => None,
        1 => parts.pop(),
        _ => Some(Pred::And(parts)),
    }
}

/// A candidate access for one condition: the access, and whether the condition must still
/// be tested on the rows it gives.
fn candidate(db: &Database, kind: KindId, p: &Pred) -> Option<(Access, bool)> {
    if let Some((col, keys)) = lookup_keys(p) {
        return Some((Access::Lookup { col, keys }, false));
    }
    if let Some((col, lo, hi)) = range(db, kind, p) {
        return Some((Access::Range { col, lo, hi }, true));
    }
    through(db, p).map(|a| (a, false))
}

/// The access path and what is left to filter.
fn choose(db: &Database, kind: KindId, pred: Option<Pred>) -> (Access, Option<Pred>) {
    let Some(pred) = pred else {
        return (Access::Scan, None);
    };
    let mut parts = Vec::new();
    flatten(pred, &mut parts);
    let n = db.kind(kind).relation.len();
    let mut best: Option<(usize, Access, bool, f64)> = None;
    for (i, p) in parts.iter().enumerate() {
        let Some((access, keep)) = candidate(db, kind, p) else {
            continue;
        };
        let share = estimate(db, kind, &access, p);
        if share <= WORTH_IT && best.as_ref().is_none_or(|b| share < b.3) {
            best = Some((i, access, keep, share));
        }
    }
    let _ = n;
    match best {
        Some((i, access, keep, _)) => {
            if !keep {
                parts.remove(i);
            }
            (access, conjunction(parts))
        }
        None => (Access::Scan, conjunction(parts)),
    }
}

/// The share of rows `p` keeps: exact from a hash index already built, else from a sample.
fn estimate(db: &Database, kind: KindId, access: &Access, p: &Pred) -> f64 {
    let rel = &db.kind(kind).relation;
    let n = rel.len().max(1);
    if let Access::Lookup { col, keys } = access
        && rel.has_index(*col)
    {
        let index = rel.index(*col);
        let rows: usize = keys
            .iter()
            .map(|k| index.get(k).map_or(0, |l| l.len()))
            .sum();
        return rows as f64 / n as f64;
    }
    let step = (n / SAMPLE).max(1);
    let (mut tested, mut kept) = (0u32, 0u32);
    for i in (0..n).step_by(step).take(SAMPLE) {
        tested += 1;
        if holds(db, kind, i as u32, p) {
            kept += 1;
        }
    }
    f64::from(kept) / f64::from(tested.max(1))
}

/// A range of the sorted index on a date or number column that holds every row `p` keeps.
fn range(db: &Database, kind: KindId, p: &Pred) -> Option<(usize, f64, f64)> {
    let plain = |f: &FieldRef| match (f.column, f.derefs.is_empty()) {
        (Column::Field(c), true) => Some(c),
        _ => None,
    };
    let inf = f64::INFINITY;
    match p {
        Pred::Time(f, rel, Modality::Certainly, d) => {
            let col = plain(f)?;
            let (lo, hi) = (f64::from(d.lo), f64::from(d.hi));
            Some(match rel {
                TimeRel::After => (col, hi + 1.0, inf),
                TimeRel::Before => (col, -inf, lo - 1.0),
                TimeRel::Within => (col, lo, hi),
            })
        }
        Pred::Compare(f, op, Value::Date(d)) if f.ty == Type::Date => {
            let col = plain(f)?;
            let (lo, hi) = (f64::from(d.lo), f64::from(d.hi));
            Some(match op {
                CmpOp::Lt => (col, -inf, lo - 1.0),
                CmpOp::Le => (col, -inf, hi),
                CmpOp::Gt => (col, hi + 1.0, inf),
                CmpOp::Ge => (col, lo, inf),
                CmpOp::Eq | CmpOp::Ne => return None,
            })
        }
        Pred::Compare(f, op, Value::Num(x)) if f.ty == Type::Number => {
            let col = plain(f)?;
            let _ = db.kind(kind);
            Some(match op {
                CmpOp::Lt | CmpOp::Le => (col, -inf, *x),
                CmpOp::Gt | CmpOp::Ge => (col, *x, inf),
                CmpOp::Eq | CmpOp::Ne => return None,
            })
        }
        _ => None,
    }
}

/// `actor.affiliation = c07` → the entities whose `affiliation = c07`, then the rows whose
/// `actor` is one of them. Only for conditions false of an unknown value (the rows whose
/// entity is unknown or undeclared would otherwise be lost).
fn through(db: &Database, p: &Pred) -> Option<Access> {
    let col = entity_column(p)?;
    let inner = reroot(p)?;
    let (access, filter) = choose(db, 0, Some(inner));
    Some(Access::Through {
        col,
        entities: Box::new((access, filter)),
    })
}

/// The one entity column every path of `p` starts from (with at least one step beyond it).
fn entity_column(p: &Pred) -> Option<usize> {
    let first = |f: &FieldRef| match (f.column, f.derefs.is_empty()) {
        (Column::Field(c), false) => Some(c),
        _ => None,
    };
    match p {
        Pred::Compare(f, ..) | Pred::In(f, _) | Pred::Contains(f, _) => first(f),
        Pred::Time(f, _, Modality::Certainly, _) => first(f),
        Pred::And(ps) | Pred::Or(ps) => {
            let cols: Vec<usize> = ps.iter().map(entity_column).collect::<Option<_>>()?;
            let c = *cols.first()?;
            cols.iter().all(|&x| x == c).then_some(c)
        }
        _ => None,
    }
}

/// `p` over the entity the path leads to: `actor.affiliation` becomes `affiliation`.
fn reroot(p: &Pred) -> Option<Pred> {
    let f = |f: &FieldRef| -> Option<FieldRef> {
        let (&first, rest) = f.derefs.split_first()?;
        Some(FieldRef {
            column: Column::Field(first),
            derefs: rest.to_vec(),
            ty: f.ty,
            name: f
                .name
                .split_once('.')
                .map_or(f.name.clone(), |x| x.1.to_string()),
            computed: None,
        })
    };
    Some(match p {
        Pred::Compare(x, op, v) => Pred::Compare(f(x)?, *op, v.clone()),
        Pred::In(x, vs) => Pred::In(f(x)?, vs.clone()),
        Pred::Contains(x, t) => Pred::Contains(f(x)?, t.clone()),
        Pred::Time(x, r, m, d) => Pred::Time(f(x)?, *r, *m, *d),
        Pred::And(ps) => Pred::And(ps.iter().map(reroot).collect::<Option<_>>()?),
        Pred::Or(ps) => Pred::Or(ps.iter().map(reroot).collect::<Option<_>>()?),
        _ => return None,
    })
}
