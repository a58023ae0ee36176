//! Expressions inside the dataflow: comparisons, `?v = expr`, computed head fields and
//! aggregates' arguments, evaluated by the local engine's `eval::expr` on a binding's decoded
//! values, so that they mean exactly what they mean there.
//!
//! An evaluation error (a division by zero, a number too large) stops the local engine's
//! update with a report naming the rule. Here the binding that failed becomes a *failure row*
//! (the rule, then the binding's cells by variable), gathered to process 0 like the derived
//! rows; the session evaluates the rule's expressions on it again for the report.

use super::cell::{self, DateTable, NULL, Row};
use super::lower::{Bind, Filter, NameOrder, Program, Rule};
use super::render::Coll;
use crate::check::rules::{BodyLit, CheckedRule, Expr, HeadArg};
use crate::date::Widening;
use crate::date::{Modality, TimeRel};
use crate::diagnostic::Diagnostic;
use crate::eval::expr::{EvalError, Texts, eval};
use crate::eval::{compare_by, order_unnamed};
use crate::store::{Database, KindId, Type, Value};
use crate::syntax::ast::CmpOp;
use differential_dataflow::lattice::Lattice;
use std::rc::Rc;
use std::sync::Arc;
use timely::progress::Timestamp;

/// The output that gathers failure rows.
pub const FAILED: KindId = KindId::MAX - 1;

/// What filters, bindings and aggregates read besides the rows: the order of names, the dates
/// the cells stand for, the session's widening, the symbols' texts (for expressions).
#[derive(Clone)]
pub struct Ctx {
    names: Option<Arc<NameOrder>>,
    dates: DateTable,
    pub widening: Widening,
    /// A database of the program's symbols (made on the worker's thread).
    scratch: Option<Rc<Database>>,
    /// The status cells, weakest first, when rows carry their status.
    statuses: Option<[u64; 3]>,
    /// In a pass of a stratum computed status by status: the weakest status its positive
    /// atoms read.
    level: Option<u64>,
}

impl Ctx {
    pub fn of(program: &Program) -> Ctx {
        Ctx {
            names: program.names.clone(),
            dates: program.dates.clone(),
            widening: program.widening,
            statuses: program.statuses,
            level: None,
            scratch: program.symbols.as_ref().map(|symbols| {
                let mut db = Database::new();
                db.interner = (**symbols).clone();
                db.widening = program.widening;
                Rc::new(db)
            }),
        }
    }

    /// The same, for the pass of a stratum that reads rows at least as strong as `level`.
    pub fn at_level(&self, level: u64) -> Ctx {
        Ctx {
            level: Some(level),
            ..self.clone()
        }
    }

    /// In such a pass: which status cells a positive atom reads (at least the pass's).
    pub fn pass_filter(&self) -> Option<impl Fn(u64) -> bool + Clone + 'static> {
        let (statuses, level) = (self.statuses?, self.level?);
        let rank = move |c: u64| statuses.iter().position(|x| *x == c).unwrap_or(0);
        let floor = rank(level);
        Some(move |c: u64| rank(c) >= floor)
    }

    /// The status cells, weakest first, when rows carry their status.
    pub fn statuses(&self) -> Option<[u64; 3]> {
        self.statuses
    }

    /// The cell of `stated`, when rows carry their status.
    pub fn stated(&self) -> Option<u64> {
        self.statuses.map(|s| s[2])
    }

    /// How strong a status cell is (0: background … 2: stated).
    fn rank(&self, c: u64) -> usize {
        self.statuses
            .and_then(|s| s.iter().position(|x| *x == c))
            .unwrap_or(0)
    }

    /// The weaker of two statuses (a derivation is as strong as its weakest premise).
    pub fn weaker(&self, a: u64, b: u64) -> u64 {
        if self.rank(b) < self.rank(a) { b } else { a }
    }

    /// The stronger of two statuses (a row is as strong as its strongest derivation).
    pub fn stronger(&self, a: u64, b: u64) -> u64 {
        if self.rank(b) > self.rank(a) { b } else { a }
    }

    /// The order `<` and `min` use: by name (when the program needs it), else by value.
    pub fn order(&self, a: &Value, b: &Value) -> Option<std::cmp::Ordering> {
        match &self.names {
            Some(n) => n.order(a, b),
            None => order_unnamed(a, b),
        }
    }

    pub fn decode(&self, c: u64, ty: Type) -> Value {
        let dates = self.dates.read().unwrap_or_else(|e| e.into_inner());
        cell::decode(c, ty, &dates)
    }

    /// The cell of a computed value: numbers and truth values (the lowering refuses new texts
    /// and dates), or a variable's or constant's value, whose cell exists already.
    fn encode(&self, v: &Value) -> u64 {
        let mut dates = self.dates.write().unwrap_or_else(|e| e.into_inner());
        cell::encode(v, &mut dates).unwrap_or(NULL)
    }

    /// The value of `e` for the values `vals` (by variable), as the local engine computes it.
    fn value(&self, e: &Expr, vals: &[Value], texts: &Texts) -> Result<Value, EvalError> {
        match (e, &self.scratch) {
            (Expr::Var(v), _) => Ok(vals[*v].clone()),
            (Expr::Const(c), _) => Ok(c.clone()),
            (_, Some(db)) => eval(db, texts, e, vals),
            (_, None) => unreachable!("a program that computes is lowered with its symbols"),
        }
    }

    /// `a op b` as the local engine's rules compare: texts a rule made are ordered by their
    /// letters, everything else as in queries.
    fn compare(&self, a: &Value, op: CmpOp, b: &Value, texts: &Texts) -> bool {
        match (a, b, &self.scratch) {
            (Value::Text(x), Value::Text(y), Some(db))
                if matches!(op, CmpOp::Lt | CmpOp::Le | CmpOp::Gt | CmpOp::Ge)
                    && (Texts::is_scratch(*x) || Texts::is_scratch(*y)) =>
            {
                let x = texts.resolve(db, *x).to_lowercase();
                let y = texts.resolve(db, *y).to_lowercase();
                match op {
                    CmpOp::Lt => x < y,
                    CmpOp::Le => x <= y,
                    CmpOp::Gt => x > y,
                    _ => x >= y,
                }
            }
            _ => compare_by(a, op, b, self.widening, &|x, y| self.order(x, y)),
        }
    }
}

/// A filter with its expressions decoded (on the worker's thread).
enum Compared {
    Compare(Expr, CmpOp, Expr),
    Time(Expr, TimeRel, Modality, Expr),
}

/// The values of a binding, by variable (unknown where the layout lacks one).
pub fn values<R: Row>(t: &R, layout: &[usize], types: &[Type], ctx: &Ctx) -> Vec<Value> {
    let mut out = vec![Value::Null; types.len()];
    for (i, v) in layout.iter().enumerate() {
        out[*v] = ctx.decode(t.at(i), types[*v]);
    }
    out
}

/// A failure row: the rule's position, then the binding's cells by variable.
fn failure<R: Row>(rule: usize, vals: &[Value], ctx: &Ctx) -> R {
    let known = |v: &Value| match v {
        Value::Text(s) if Texts::is_scratch(*s) => NULL,
        _ => ctx.encode(v),
    };
    R::of(std::iter::once(rule as u64).chain(vals.iter().map(known)))
}

/// The widest failure row of a rule.
pub fn failure_width(rule: &Rule) -> usize {
    rule.vars + 1
}

/// Splits evaluated bindings into those that go on and the failures (added to `fails`).
fn split<'s, T: Timestamp + Lattice + Ord, R: Row>(
    both: Coll<'s, T, Result<R, R>>,
    fails: &mut Vec<Coll<'s, T, R>>,
) -> Coll<'s, T, R> {
    fails.push(both.clone().flat_map(|r| r.err()));
    both.flat_map(|r| r.ok())
}

/// Keeps the bindings for which the comparison or time relation holds.
pub fn filter<'s, T: Timestamp + Lattice + Ord, R: Row>(
    rule: &Rule,
    f: &Filter,
    b: Coll<'s, T, R>,
    layout: &[usize],
    ctx: &Ctx,
    fails: &mut Vec<Coll<'s, T, R>>,
) -> Coll<'s, T, R> {
    let (f, lay, types, ctx, index) = (
        match f {
            Filter::Compare(l, op, r) => Compared::Compare(l.expr(), *op, r.expr()),
            Filter::Time(l, rel, m, r) => Compared::Time(l.expr(), *rel, *m, r.expr()),
        },
        layout.to_vec(),
        rule.var_types.clone(),
        ctx.clone(),
        rule.index,
    );
    let texts = Texts::default();
    let both = b.flat_map(move |t| {
        let vals = values(&t, &lay, &types, &ctx);
        let holds = match &f {
            Compared::Compare(l, op, r) => ctx
                .value(l, &vals, &texts)
                .and_then(|l| Ok(ctx.compare(&l, *op, &ctx.value(r, &vals, &texts)?, &texts))),
            Compared::Time(l, rel, m, r) => {
                match (ctx.value(l, &vals, &texts), ctx.value(r, &vals, &texts)) {
                    (Ok(Value::Date(a)), Ok(Value::Date(b))) => {
                        Ok(a.relates(*rel, &b, *m, ctx.widening))
                    }
                    (Err(e), _) | (_, Err(e)) => Err(e),
                    _ => Ok(false),
                }
            }
        };
        match holds {
            Ok(true) => Some(Ok(t)),
            Ok(false) => None,
            Err(_) => Some(Err(failure(index, &vals, &ctx))),
        }
    });
    split(both, fails)
}

/// Adds a variable to the bindings: the expression's value (a binding whose value is unknown
/// is dropped, unless `keep_unknown`).
pub fn bind<'s, T: Timestamp + Lattice + Ord, R: Row>(
    rule: &Rule,
    bind: &Bind,
    b: Coll<'s, T, R>,
    layout: &mut Vec<usize>,
    ctx: &Ctx,
    fails: &mut Vec<Coll<'s, T, R>>,
) -> Coll<'s, T, R> {
    let (lay, types, ctx, index) = (
        layout.clone(),
        rule.var_types.clone(),
        ctx.clone(),
        rule.index,
    );
    let (expr, keep_unknown, width) = (bind.expr.expr(), bind.keep_unknown, layout.len());
    layout.push(bind.var);
    let texts = Texts::default();
    let both = b.flat_map(move |t| {
        let vals = values(&t, &lay, &types, &ctx);
        match ctx.value(&expr, &vals, &texts) {
            Ok(Value::Null) if !keep_unknown => None,
            Ok(v) => {
                let c = ctx.encode(&v);
                Some(Ok(R::of(
                    t.cells()[..width].iter().copied().chain(std::iter::once(c)),
                )))
            }
            Err(_) => Some(Err(failure(index, &vals, &ctx))),
        }
    });
    split(both, fails)
}

/// The report for a failure row of `rule` (its cells after the rule's position; `types`:
/// its variables' types): the rule's expressions evaluated again on that binding, as the local
/// engine reports the first that has no value.
pub fn report(
    db: &Database,
    rule: &CheckedRule,
    cells: &[u64],
    types: &[Type],
    dates: &cell::Dates,
) -> Diagnostic {
    let vals: Vec<Value> = cells
        .iter()
        .zip(types)
        .map(|(c, t)| cell::decode(*c, *t, dates))
        .collect();
    let texts = Texts::default();
    let mut exprs: Vec<&Expr> = vec![];
    for lit in &rule.body {
        match lit {
            BodyLit::Compare(l, _, r) | BodyLit::Time(l, _, _, r) => exprs.extend([l, r]),
            BodyLit::Bind(_, e) => exprs.push(e),
            _ => {}
        }
    }
    for (_, h) in &rule.head {
        match h {
            HeadArg::Expr(e) | HeadArg::Agg(_, Some(e)) => exprs.push(e),
            HeadArg::Agg(_, None) => {}
        }
    }
    let message = exprs
        .iter()
        .find_map(|e| eval(db, &texts, e, &vals).err())
        .map_or_else(|| "an expression has no value".to_string(), |e| e.message);
    let shown: Vec<String> = rule
        .var_names
        .iter()
        .zip(&vals)
        .filter(|(name, v)| name.starts_with('?') && name.as_str() != "?_" && !v.is_null())
        .map(|(name, v)| match v {
            Value::Text(s) => format!("{name} = \"{}\"", texts.resolve(db, *s)),
            _ => format!("{name} = {}", db.display(v)),
        })
        .collect();
    let mut d = Diagnostic::error(
        format!("{message}, in rule {}", rule.index + 1),
        rule.span,
        "in this rule",
    );
    if !shown.is_empty() {
        d = d.with_note(format!("with {}", shown.join(", ")));
    }
    d
}
