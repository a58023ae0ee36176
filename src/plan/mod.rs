//! Checked queries → plans: how to reach the rows (a scan, or a hash-index lookup on an
//! equality), what to filter, sort, cut and show. `explain` prints a plan.
//!
//! Invariant: a plan says *what* to compute; `eval` decides nothing but *how*.

pub mod rules;

use crate::check::{CheckedQuery, Column, FieldRef, Pred};
use crate::store::{Database, KindId, Value};
use crate::syntax::ast::{CmpOp, QueryMode};

/// How rows of a relation are reached.
#[derive(Clone, Debug, PartialEq)]
pub enum Access {
    /// Every row.
    Scan,
    /// Rows whose column `col` equals one of `keys`, through the column's hash index.
    Lookup { col: usize, keys: Vec<Value> },
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
pub fn plan(q: CheckedQuery) -> Plan {
    let (access, filter) = choose_access(q.pred);
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

/// The keys of an equality on a column of the row itself (not through an entity).
fn lookup_keys(p: &Pred) -> Option<(usize, Vec<Value>)> {
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

/// The plan in readable form, one step per line, innermost last.
pub fn explain(db: &Database, plan: &Plan) -> String {
    let kind = db.kind(plan.kind);
    let mut steps = Vec::new();
    match &plan.output {
        Output::Rows(cols) => steps.push(format!(
            "project {}",
            cols.iter()
                .map(|c| c.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )),
        Output::Count(g) if g.is_empty() => steps.push("count rows".into()),
        Output::Count(g) => steps.push(format!(
            "count rows grouped by {}",
            g.iter()
                .map(|c| c.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
    if let Some(n) = plan.limit {
        steps.push(format!("limit {n}"));
    }
    if !plan.order.is_empty() {
        steps.push(format!(
            "sort by {}",
            plan.order
                .iter()
                .map(|(f, d)| format!("{}{}", f.name, if *d { " desc" } else { "" }))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if let Some(f) = &plan.filter {
        steps.push(format!("filter {}", describe_pred(db, f)));
    }
    let rows = kind.relation.len();
    steps.push(match &plan.access {
        Access::Scan => format!("scan {} ({rows} rows)", kind.name),
        Access::Lookup { col, keys } => format!(
            "lookup {} by hash index on {} = {} ({rows} rows in all)",
            kind.name,
            kind.fields[*col].name,
            keys.iter()
                .map(|k| value_text(db, k))
                .collect::<Vec<_>>()
                .join(" | ")
        ),
    });
    let mut out = String::new();
    for (i, s) in steps.iter().enumerate() {
        let indent = "   ".repeat(i);
        if i == 0 {
            out.push_str(&format!("{s}\n"));
        } else {
            out.push_str(&format!("{indent}└─ {s}\n"));
        }
    }
    out
}

fn value_text(db: &Database, v: &Value) -> String {
    match v {
        Value::Text(_) => format!("\"{}\"", db.display(v)),
        Value::Entity(s) => db.interner.resolve(*s).to_string(),
        _ => db.display(v),
    }
}

/// A condition written back in the language's own words.
pub fn describe_pred(db: &Database, p: &Pred) -> String {
    let join = |ps: &[Pred], sep: &str| {
        ps.iter()
            .map(|p| match p {
                Pred::And(_) | Pred::Or(_) => format!("({})", describe_pred(db, p)),
                _ => describe_pred(db, p),
            })
            .collect::<Vec<_>>()
            .join(sep)
    };
    match p {
        Pred::And(ps) => join(ps, " and "),
        Pred::Or(ps) => join(ps, " or "),
        Pred::Not(inner) => format!("not ({})", describe_pred(db, inner)),
        Pred::Compare(f, op, v) => format!("{} {} {}", f.name, op.symbol(), value_text(db, v)),
        Pred::In(f, vs) => format!(
            "{} in ({})",
            f.name,
            vs.iter()
                .map(|v| value_text(db, v))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Pred::Contains(f, t) => format!("{} contains \"{t}\"", f.name),
        Pred::IsUnknown(f) => format!("{} is unknown", f.name),
        Pred::Time(f, rel, m, d) => format!(
            "{} {}{} {d}",
            f.name,
            if *m == crate::date::Modality::Possibly {
                "possibly "
            } else {
                ""
            },
            rel.keyword()
        ),
    }
}
