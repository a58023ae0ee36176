//! Runs a query plan: access, filter, sort, limit, then project or count.

use super::budget::{Budget, LimitHit};
use super::profile::QueryProfile;
use crate::check::{Column, FieldRef, Pred};
use crate::date::{Modality, TimeRel};
use crate::diagnostic::Diagnostic;
use crate::plan::{Access, Output, Plan};
use crate::store::{Database, KindId, Origin, Status, Type, Value, entity_cols, fold};
use crate::syntax::ast::CmpOp;
use std::cmp::Ordering;
use std::collections::HashMap;

/// The answer to a query: named columns, rows of values, and where each row came from.
#[derive(Clone, Debug, Default)]
pub struct ResultSet {
    pub columns: Vec<String>,
    pub types: Vec<Type>,
    pub rows: Vec<Vec<Value>>,
    /// For each row, the fact it shows (kind, row), when it shows one fact.
    pub sources: Vec<Option<(KindId, u32)>>,
}

/// The value at the end of a path, for row `i` of `kind`.
pub fn cell(db: &Database, kind: KindId, i: u32, f: &FieldRef) -> Value {
    let rel = &db.kind(kind).relation;
    let mut v = match f.column {
        Column::Field(c) => rel.get(i, c),
        Column::Cite => db.cite_list(kind, i),
        Column::Status => match db.interner.get(rel.status(i).name()) {
            Some(s) => Value::Text(s),
            None => Value::Null,
        },
        Column::Computed => match &f.computed {
            Some(c) => computed(db, kind, i, c),
            None => Value::Null,
        },
    };
    for &c in &f.derefs {
        v = match v {
            Value::Entity(e) => db.entity_field(e, c),
            _ => Value::Null,
        };
    }
    v
}

thread_local! {
    /// The first computed value of the running query that had none (a division by zero, an
    /// overflow): the query stops with its report when it ends ([`execute_profiled`]).
    static NO_VALUE: std::cell::RefCell<Option<Box<Diagnostic>>> =
        const { std::cell::RefCell::new(None) };
}

/// The value of a computed column or test for row `i`; unknown when it has none, and the
/// first such failure is kept for the query's report.
fn computed(db: &Database, kind: KindId, i: u32, c: &crate::check::ir::Computed) -> Value {
    let inputs: Vec<Value> = c.inputs.iter().map(|f| cell(db, kind, i, f)).collect();
    let texts = super::expr::Texts::default();
    let value = |e| match super::expr::eval(db, &texts, e, &inputs) {
        Ok(v) => v,
        Err(err) => {
            NO_VALUE.with_borrow_mut(|slot| {
                if slot.is_none() {
                    *slot = Some(Box::new(no_value(db, c, &inputs, err)));
                }
            });
            Value::Null
        }
    };
    let left = value(&c.expr);
    match &c.compare {
        None => left,
        Some((op, right)) => Value::Bool(compare(db, &left, *op, &value(right))),
    }
}

/// Interns the texts the plan's computed values make (`lower(partner) as p`), for every row of
/// its kind, so that running the plan — which only reads the database — finds each text it
/// makes already interned. Rows where a value has none are passed over here (the run reports
/// them, if it reaches them).
pub fn intern_computed_texts(db: &mut Database, plan: &Plan) {
    let mut computed: Vec<std::rc::Rc<crate::check::ir::Computed>> = Vec::new();
    let mut add = |f: &FieldRef| {
        if let Some(c) = &f.computed
            && c.makes_texts
        {
            computed.push(c.clone());
        }
    };
    if let Some(p) = &plan.filter {
        pred_fields(p, &mut add);
    }
    plan.order.iter().for_each(|(f, _)| add(f));
    match &plan.output {
        Output::Rows(cols) | Output::Count(cols) => cols.iter().for_each(&mut add),
    }
    if computed.is_empty() {
        return;
    }
    let texts = super::expr::Texts::default();
    for i in 0..db.kind(plan.kind).relation.len() as u32 {
        for c in &computed {
            let inputs: Vec<Value> = c.inputs.iter().map(|f| cell(db, plan.kind, i, f)).collect();
            let _ = super::expr::eval(db, &texts, &c.expr, &inputs);
            if let Some((_, right)) = &c.compare {
                let _ = super::expr::eval(db, &texts, right, &inputs);
            }
        }
    }
    for text in texts.into_new() {
        db.interner.intern(&text);
    }
}

/// Calls `f` on every field a condition reads.
fn pred_fields(p: &Pred, f: &mut dyn FnMut(&FieldRef)) {
    match p {
        Pred::And(ps) | Pred::Or(ps) => ps.iter().for_each(|p| pred_fields(p, f)),
        Pred::Not(p) => pred_fields(p, f),
        Pred::Compare(r, ..)
        | Pred::In(r, _)
        | Pred::Contains(r, _)
        | Pred::IsUnknown(r)
        | Pred::Time(r, ..) => f(r),
        Pred::Cites(_) => {}
    }
}

/// The report for a computed value that has none, with the row's values it read.
fn no_value(
    db: &Database,
    c: &crate::check::ir::Computed,
    inputs: &[Value],
    err: super::expr::EvalError,
) -> Diagnostic {
    let shown: Vec<String> = c
        .inputs
        .iter()
        .zip(inputs)
        .map(|(f, v)| {
            format!(
                "{} = {}",
                f.name,
                crate::output::escape_controls(&db.display(v))
            )
        })
        .collect();
    let d = Diagnostic::error(
        format!("{}, in this query", err.message),
        c.span,
        "this has no value",
    )
    .with_help("leave out the rows where it has none, e.g. `where divisor != 0`, before it");
    if shown.is_empty() {
        d
    } else {
        d.with_note(format!("in the row with {}", shown.join(", ")))
    }
}

/// A cell as shown: an entity's `id` is shown as the id itself, not as the entity's name.
fn shown(db: &Database, kind: KindId, i: u32, f: &FieldRef) -> Value {
    let v = cell(db, kind, i, f);
    let is_id = match f.derefs.last() {
        Some(&c) => c == entity_cols::ID,
        None => kind == 0 && f.column == Column::Field(entity_cols::ID),
    };
    match v {
        Value::Entity(s) if is_id => Value::Ref(s),
        other => other,
    }
}

/// Executes a plan within a budget.
pub fn execute(db: &Database, plan: &Plan, budget: &mut Budget) -> Result<ResultSet, LimitHit> {
    execute_profiled(db, plan, budget, None)
}

/// Executes a plan, recording the rows and time of each step in `profile` when given.
pub fn execute_profiled(
    db: &Database,
    plan: &Plan,
    budget: &mut Budget,
    mut profile: Option<&mut QueryProfile>,
) -> Result<ResultSet, LimitHit> {
    NO_VALUE.take();
    let mut ids = access_rows(db, plan.kind, &plan.access, budget)?;
    QueryProfile::lap(&mut profile, "access", ids.len());
    if db.trust > Status::Background {
        // `--trust` / `:trust`: rows weaker than the session trusts are not shown.
        let rel = &db.kind(plan.kind).relation;
        ids.retain(|&i| rel.status(i) >= db.trust);
        QueryProfile::lap(&mut profile, "trust", ids.len());
    }
    budget.check()?;
    if let Some(f) = &plan.filter {
        ids = filter_rows(db, plan.kind, ids, f, budget)?;
        QueryProfile::lap(&mut profile, "filter", ids.len());
    }
    let counting = matches!(plan.output, Output::Count(_));
    if !plan.order.is_empty() && !counting {
        let keys: Vec<Vec<Value>> = ids
            .iter()
            .map(|&i| {
                plan.order
                    .iter()
                    .map(|(f, _)| cell(db, plan.kind, i, f))
                    .collect()
            })
            .collect();
        let mut order: Vec<usize> = (0..ids.len()).collect();
        order.sort_by(|&a, &b| {
            for (k, (_, desc)) in plan.order.iter().enumerate() {
                let o = compare_for_sort(db, &keys[a][k], &keys[b][k], *desc);
                if o != Ordering::Equal {
                    return o;
                }
            }
            Ordering::Equal
        });
        ids = order.into_iter().map(|o| ids[o]).collect();
        QueryProfile::lap(&mut profile, "sort", ids.len());
    }
    let mut out = match &plan.output {
        Output::Rows(cols) => {
            let mut rs = ResultSet {
                columns: cols.iter().map(|c| c.name.clone()).collect(),
                types: cols.iter().map(|c| c.ty).collect(),
                ..Default::default()
            };
            for &i in &ids {
                rs.rows
                    .push(cols.iter().map(|c| shown(db, plan.kind, i, c)).collect());
                rs.sources.push(Some((plan.kind, i)));
            }
            rs
        }
        Output::Count(groups) => {
            let mut rs = count(db, plan.kind, &ids, groups);
            order_by_columns(db, &mut rs, &plan.order);
            rs
        }
    };
    if let Some(n) = plan.limit {
        out.rows.truncate(n as usize);
        out.sources.truncate(n as usize);
    }
    QueryProfile::lap(&mut profile, "output", out.rows.len());
    // A value the query computes and that has none stops it: no row is shown half computed.
    if let Some(d) = NO_VALUE.take() {
        return Err(LimitHit::Failed(d));
    }
    budget.spend(out.rows.len() as u64)?;
    Ok(out)
}

/// The rows an access path reaches, in increasing order.
fn access_rows(
    db: &Database,
    kind: KindId,
    access: &Access,
    budget: &mut Budget,
) -> Result<Vec<u32>, LimitHit> {
    let rel = &db.kind(kind).relation;
    let keyed = |col: usize, keys: &mut dyn Iterator<Item = Value>| -> Vec<u32> {
        let index = rel.index(col);
        let mut ids: Vec<u32> = keys
            .flat_map(|k| index.get(&k).into_iter().flatten().copied())
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    };
    Ok(match access {
        Access::Scan => (0..rel.len() as u32).collect(),
        Access::Lookup { col, keys } => {
            build_index(rel, *col, budget)?;
            keyed(*col, &mut keys.iter().cloned())
        }
        Access::Range { col, lo, hi } => rel.range(*col, *lo, *hi),
        Access::Through { col, entities } => {
            let (inner, filter) = entities.as_ref();
            let mut rows = access_rows(db, 0, inner, budget)?;
            if let Some(f) = filter {
                rows = filter_rows(db, 0, rows, f, budget)?;
            }
            let entity = &db.kind(0).relation;
            build_index(rel, *col, budget)?;
            keyed(*col, &mut rows.iter().map(|&r| entity.get(r, 0)))
        }
    })
}

/// Builds (or brings up to date) the hash index on `col`, checking the budget between chunks.
fn build_index(rel: &crate::store::Relation, col: usize, budget: &Budget) -> Result<(), LimitHit> {
    while !rel.extend_index(col, crate::store::INDEX_CHUNK) {
        budget.check()?;
    }
    Ok(())
}

/// The rows of `ids` that satisfy `f`.
fn filter_rows(
    db: &Database,
    kind: KindId,
    ids: Vec<u32>,
    f: &Pred,
    budget: &mut Budget,
) -> Result<Vec<u32>, LimitHit> {
    let mut kept = Vec::with_capacity(ids.len().min(1 << 16));
    for (n, &i) in ids.iter().enumerate() {
        if n % 4096 == 0 {
            budget.check()?;
        }
        if holds(db, kind, i, f) {
            kept.push(i);
        }
    }
    Ok(kept)
}

fn count(db: &Database, kind: KindId, ids: &[u32], groups: &[FieldRef]) -> ResultSet {
    let mut rs = ResultSet {
        columns: groups
            .iter()
            .map(|g| g.name.clone())
            .chain(["count".into()])
            .collect(),
        types: groups.iter().map(|g| g.ty).chain([Type::Number]).collect(),
        ..Default::default()
    };
    if groups.is_empty() {
        rs.rows.push(vec![Value::Num(ids.len() as f64)]);
        rs.sources.push(None);
        return rs;
    }
    let mut order: Vec<Vec<Value>> = Vec::new();
    let mut counts: HashMap<Vec<Value>, u64> = HashMap::new();
    for &i in ids {
        let key: Vec<Value> = groups.iter().map(|g| cell(db, kind, i, g)).collect();
        let n = counts.entry(key.clone()).or_insert(0);
        if *n == 0 {
            order.push(key);
        }
        *n += 1;
    }
    if groups.is_empty() && order.is_empty() {
        order.push(vec![]);
    }
    // Largest groups first, then by the group's values.
    order.sort_by(|a, b| {
        let (ca, cb) = (counts.get(a).unwrap_or(&0), counts.get(b).unwrap_or(&0));
        cb.cmp(ca).then_with(|| {
            a.iter()
                .zip(b)
                .map(|(x, y)| compare_for_sort(db, x, y, false))
                .find(|o| *o != Ordering::Equal)
                .unwrap_or(Ordering::Equal)
        })
    });
    for key in order {
        let n = counts.get(&key).copied().unwrap_or(0);
        let mut row = key;
        row.push(Value::Num(n as f64));
        rs.rows.push(row);
        rs.sources.push(None);
    }
    rs
}

/// Sorts a result by its own columns, named by the order keys (a count's groups or `count`).
fn order_by_columns(db: &Database, rs: &mut ResultSet, order: &[(FieldRef, bool)]) {
    let keys: Vec<(usize, bool)> = order
        .iter()
        .filter_map(|(f, desc)| {
            rs.columns
                .iter()
                .position(|c| *c == f.name)
                .map(|i| (i, *desc))
        })
        .collect();
    if keys.is_empty() {
        return;
    }
    rs.rows.sort_by(|a, b| {
        keys.iter()
            .map(|&(i, desc)| compare_for_sort(db, &a[i], &b[i], desc))
            .find(|o| *o != Ordering::Equal)
            .unwrap_or(Ordering::Equal)
    });
}

/// Sort order: unknown values last whatever the direction.
fn compare_for_sort(db: &Database, a: &Value, b: &Value, desc: bool) -> Ordering {
    match (a.is_null(), b.is_null()) {
        (true, true) => return Ordering::Equal,
        (true, false) => return Ordering::Greater,
        (false, true) => return Ordering::Less,
        _ => {}
    }
    let o = order_values(db, a, b).unwrap_or(Ordering::Equal);
    if desc { o.reverse() } else { o }
}

/// The natural order of two values of the same type.
fn order_values(db: &Database, a: &Value, b: &Value) -> Option<Ordering> {
    Some(match (a, b) {
        (Value::Text(_), Value::Text(_))
        | (Value::Entity(_), Value::Entity(_))
        | (Value::Ref(_), Value::Ref(_))
        | (Value::List(_), Value::List(_)) => db
            .display(a)
            .to_lowercase()
            .cmp(&db.display(b).to_lowercase()),
        _ => return order_unnamed(a, b),
    })
}

/// The order of numbers, dates and booleans, which needs no names (`None` for other values).
pub fn order_unnamed(a: &Value, b: &Value) -> Option<Ordering> {
    Some(match (a, b) {
        (Value::Num(x), Value::Num(y)) => x.partial_cmp(y)?,
        (Value::Date(x), Value::Date(y)) => x.sort_cmp(y),
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        _ => return None,
    })
}

/// Does row `i` of `kind` satisfy `p`?
pub fn holds(db: &Database, kind: KindId, i: u32, p: &Pred) -> bool {
    match p {
        Pred::And(ps) => ps.iter().all(|p| holds(db, kind, i, p)),
        Pred::Or(ps) => ps.iter().any(|p| holds(db, kind, i, p)),
        Pred::Not(p) => !holds(db, kind, i, p),
        Pred::IsUnknown(f) => cell(db, kind, i, f).is_null(),
        Pred::Compare(f, op, v) => compare(db, &cell(db, kind, i, f), *op, v),
        Pred::In(f, vs) => {
            let c = cell(db, kind, i, f);
            vs.iter().any(|v| compare(db, &c, CmpOp::Eq, v))
        }
        Pred::Contains(f, needle) => contains(db, &cell(db, kind, i, f), needle),
        Pred::Cites(places) => match db.kind(kind).relation.origin(i) {
            Origin::Stated { cites, .. } => {
                cites.iter().any(|c| places.iter().any(|p| p.holds_for(c)))
            }
            Origin::Derived { .. } => false,
        },
        Pred::Time(f, rel, m, d) => match cell(db, kind, i, f) {
            Value::Date(x) => x.relates(*rel, d, *m, db.widening),
            // An undated fact may have happened at any time: possibly, never certainly.
            Value::Null => *m == Modality::Possibly,
            _ => false,
        },
    }
}

/// `a op b`, false when `a` is unknown.
pub fn compare(db: &Database, a: &Value, op: CmpOp, b: &Value) -> bool {
    if let (Value::List(items), Value::Text(t)) = (a, b) {
        let want = fold(db.interner.resolve(*t));
        let any = items.iter().any(|i| fold(&db.display(i)) == want);
        return match op {
            CmpOp::Eq => any,
            CmpOp::Ne => !any,
            _ => false,
        };
    }
    compare_by(a, op, b, db.widening, &|x, y| order_values(db, x, y))
}

/// [`compare`] with the session's widening of approximate dates and the order of values given by `order` (texts and names are ordered by their
/// names, which only the database knows; numbers and dates by [`order_unnamed`]).
pub fn compare_by(
    a: &Value,
    op: CmpOp,
    b: &Value,
    widening: crate::date::Widening,
    order: &dyn Fn(&Value, &Value) -> Option<Ordering>,
) -> bool {
    match (a, b) {
        (Value::Null, _) | (_, Value::Null) => false,
        (Value::Date(x), Value::Date(y)) => match op {
            CmpOp::Eq => x == y,
            CmpOp::Ne => x != y,
            CmpOp::Lt => x.relates(TimeRel::Before, y, Modality::Certainly, widening),
            CmpOp::Gt => x.relates(TimeRel::After, y, Modality::Certainly, widening),
            CmpOp::Le => x.hi <= y.hi,
            CmpOp::Ge => x.lo >= y.lo,
        },
        // Equality needs no order (and the order of texts and entities costs their names).
        _ if op == CmpOp::Eq => a == b,
        _ if op == CmpOp::Ne => a != b,
        _ => {
            let ord = if a == b {
                Some(Ordering::Equal)
            } else {
                order(a, b)
            };
            match (op, ord) {
                (CmpOp::Eq, o) => o == Some(Ordering::Equal) && a == b,
                (CmpOp::Ne, _) => a != b,
                (CmpOp::Lt, Some(o)) => o == Ordering::Less,
                (CmpOp::Le, Some(o)) => o != Ordering::Greater,
                (CmpOp::Gt, Some(o)) => o == Ordering::Greater,
                (CmpOp::Ge, Some(o)) => o != Ordering::Less,
                _ => false,
            }
        }
    }
}

fn contains(db: &Database, v: &Value, needle: &str) -> bool {
    match v {
        Value::Null => false,
        Value::List(items) => items.iter().any(|i| contains(db, i, needle)),
        Value::Entity(e) => {
            let Some(row) = db.entity_row(*e) else {
                return db.interner.resolve(*e).to_lowercase().contains(needle);
            };
            [
                entity_cols::ID,
                entity_cols::NAME,
                entity_cols::NAME_AR,
                entity_cols::ALIASES,
            ]
            .iter()
            .any(|&c| match &row[c] {
                Value::Entity(s) => db.interner.resolve(*s).to_lowercase().contains(needle),
                other => contains(db, other, needle),
            })
        }
        other => db.display(other).to_lowercase().contains(needle),
    }
}
