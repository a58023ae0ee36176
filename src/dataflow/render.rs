//! A lowered [`Program`] rendered as differential-dataflow operators, in one worker.
//!
//! - Each rule's body is a chain of `join_core`s over arrangements; the arrangement of a kind
//!   by the same columns is built once per scope and shared by every rule that reads it so.
//! - A recursive stratum is one iterative scope with a `Variable` per kind it defines; each
//!   round takes the `distinct` of everything the kind's rules produce.
//! - `not` is an antijoin with the (complete, lower-stratum) negated kind.
//! - An aggregate is a `reduce` over the groups the head's plain fields make; a group exists
//!   only when the body matched something (dalil's empty-group semantics: no row, not zero).

use super::cell::{self, DateTable, NULL, Tuple};
use super::lower::{
    Agg, Arg, Atom, Filter, HeadCell, NameOrder, Operand2, Program, Rule, Step, Stratum,
};
use crate::date::Widening;
use crate::eval::{compare_by, order_unnamed};
use crate::store::{KindId, Type, Value};
use crate::syntax::ast::AggFn;
use differential_dataflow::VecCollection;
use differential_dataflow::lattice::Lattice;
use differential_dataflow::operators::arrange::{Arranged, TraceAgent};
use differential_dataflow::operators::iterate::VecVariable;
use differential_dataflow::trace::implementations::ValSpine;
use std::collections::HashMap;
use std::sync::Arc;
use timely::dataflow::Scope;
use timely::order::Product;
use timely::progress::Timestamp;

/// The input that holds one empty row from the first update on (see aggregates).
pub const SENTINEL: KindId = KindId::MAX;

/// A collection of rows (or bindings) with multiplicities.
pub type Coll<'s, T> = VecCollection<'s, T, Tuple, isize>;
type Arrangement<'s, T> = Arranged<'s, TraceAgent<ValSpine<Tuple, Tuple, T, isize>>>;

/// How an atom's column is used by a join: part of the key, part of the value, a constant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Role {
    Key(usize),
    Val(usize),
    Const(u64),
}

/// A kind, and how a join uses each of its columns.
type ArrangementKey = (KindId, Vec<(usize, Role)>);

/// The arrangements built so far in one scope, by kind and the roles of its columns.
struct Arrangements<'s, T: Timestamp + Lattice + Ord> {
    built: HashMap<ArrangementKey, Arrangement<'s, T>>,
}

/// Renders every stratum of `program` in `scope`, adding each derived kind to `colls` (which
/// holds the inputs to begin with).
pub fn render<'s>(
    scope: Scope<'s, u64>,
    program: &Program,
    colls: &mut HashMap<KindId, Coll<'s, u64>>,
) {
    for stratum in &program.strata {
        if stratum.recursive {
            render_recursive(scope, stratum, colls, &Ctx::of(program));
        } else {
            let mut arr = Arrangements {
                built: HashMap::new(),
            };
            let mut made: Vec<(KindId, Coll<'s, u64>)> = vec![];
            for rule in &stratum.rules {
                let out = render_rule(
                    rule,
                    &mut |k| colls[&k].clone(),
                    &mut arr,
                    &Ctx::of(program),
                );
                made.push((rule.head_kind, out));
            }
            for head in &stratum.heads {
                // A kind's own facts (an input of the same kind) join what its rules derive.
                let mut all = concat_of(&made, *head);
                if let Some(stated) = colls.get(head) {
                    all = all.concat(stated.clone());
                }
                colls.insert(*head, all.distinct());
            }
        }
    }
}

fn concat_of<'s, T: Timestamp + Lattice + Ord>(
    made: &[(KindId, Coll<'s, T>)],
    head: KindId,
) -> Coll<'s, T> {
    let mut parts = made
        .iter()
        .filter(|(k, _)| *k == head)
        .map(|(_, c)| c.clone());
    let first = parts.next().expect("every head has a rule");
    parts.fold(first, |acc, c| acc.concat(c))
}

/// One iterative scope: a variable per kind of the stratum, set to the distinct rows of its
/// rules, which read the variables (this stratum) and entered collections (lower strata).
fn render_recursive<'s>(
    scope: Scope<'s, u64>,
    stratum: &Stratum,
    colls: &mut HashMap<KindId, Coll<'s, u64>>,
    ctx: &Ctx,
) {
    let outer = scope;
    let results: Vec<(KindId, Coll<'s, u64>)> = scope.iterative::<u64, _, _>(|inner| {
        let mut vars = HashMap::new();
        let mut current = HashMap::new();
        for head in &stratum.heads {
            let (var, coll) = VecVariable::new(inner, Product::new(Default::default(), 1));
            vars.insert(*head, var);
            current.insert(*head, coll);
        }
        let mut entered: HashMap<KindId, Coll<'_, Product<u64, u64>>> = HashMap::new();
        let mut arr = Arrangements {
            built: HashMap::new(),
        };
        let mut made = vec![];
        for rule in &stratum.rules {
            let out = render_rule(
                rule,
                &mut |k| match current.get(&k) {
                    Some(c) => c.clone(),
                    None => entered
                        .entry(k)
                        .or_insert_with(|| colls[&k].clone().enter(inner))
                        .clone(),
                },
                &mut arr,
                ctx,
            );
            made.push((rule.head_kind, out));
        }
        let mut results = vec![];
        for head in &stratum.heads {
            let mut all = concat_of(&made, *head);
            if let Some(stated) = colls.get(head) {
                all = all.concat(stated.clone().enter(inner));
            }
            let all = all.distinct();
            let var = vars.remove(head).expect("a variable per head");
            var.set(all.clone());
            results.push((*head, all.leave(outer)));
        }
        results
    });
    colls.extend(results);
}

/// The bindings of a rule's body, then its head rows.
fn render_rule<'s, T: Timestamp + Lattice + Ord>(
    rule: &Rule,
    read: &mut dyn FnMut(KindId) -> Coll<'s, T>,
    arr: &mut Arrangements<'s, T>,
    ctx: &Ctx,
) -> Coll<'s, T> {
    // Which variables each step (and the head) still needs after step `i`.
    let mut needed_after: Vec<Vec<bool>> = vec![vec![false; rule.vars]; rule.steps.len()];
    let mut need = vec![false; rule.vars];
    for cell in &rule.head {
        if let HeadCell::Var(v) = cell {
            need[*v] = true;
        }
    }
    for a in &rule.aggs {
        if let Some(v) = a.var {
            need[v] = true;
        }
    }
    for i in (0..rule.steps.len()).rev() {
        needed_after[i] = need.clone();
        for v in step_vars(&rule.steps[i]) {
            need[v] = true;
        }
    }
    let mut layout: Vec<usize> = vec![];
    let mut bindings: Option<Coll<'s, T>> = None;
    for (i, step) in rule.steps.iter().enumerate() {
        let keep = &needed_after[i];
        bindings = Some(match (step, bindings) {
            (Step::Join(a), None) => {
                let (vars, matcher) = first_atom(a);
                let out: Vec<usize> = vars.iter().copied().filter(|v| keep[*v]).collect();
                let pick: Vec<usize> = out
                    .iter()
                    .map(|v| vars.iter().position(|x| x == v).unwrap_or(0))
                    .collect();
                layout = out;
                read(a.kind).flat_map(move |row| {
                    matcher(&row).map(|t| pick.iter().map(|&p| t[p]).collect::<Tuple>())
                })
            }
            (Step::Join(a), Some(b)) => join(a, b, &mut layout, keep, read, arr),
            (Step::Filter(f), Some(b)) => {
                let (f, lay, types) = (f.clone(), layout.clone(), rule.var_types.clone());
                let (vars, ctx) = (rule.vars, ctx.clone());
                let filtered = b.filter(move |t| filter_holds(&f, t, &lay, &types, vars, &ctx));
                project(filtered, &mut layout, keep)
            }
            (Step::Not(a), Some(b)) => {
                let antijoined = antijoin(a, b, &layout, read);
                project(antijoined, &mut layout, keep)
            }
            (_, None) => unreachable!("the lowering starts every rule with a join"),
        });
    }
    let bindings = bindings.expect("a rule has at least one atom");
    let head = rule.head.clone();
    let pos = move |v: usize, lay: &[usize]| lay.iter().position(|x| *x == v).unwrap_or(0);
    if rule.aggs.is_empty() {
        let lay = layout;
        return bindings.map(move |t| {
            head.iter()
                .map(|c| match c {
                    HeadCell::Var(v) => t[pos(*v, &lay)],
                    HeadCell::Const(c) => *c,
                    HeadCell::Agg(_) => NULL,
                })
                .collect::<Tuple>()
        });
    }
    // Aggregates: (group, the aggregated variables' cells) → reduce.
    let (aggs, lay, types) = (rule.aggs.clone(), layout, rule.var_types.clone());
    let agg_types: Vec<Type> = aggs
        .iter()
        .map(|a| a.var.map_or(Type::Number, |v| types[v]))
        .collect();
    let aggs2 = aggs.clone();
    let ctx = ctx.clone();
    let head2 = head.clone();
    // Without grouping columns, a head has a row even over no match when every aggregate has
    // a value over nothing (`count`, `sum`: 0): one marked row, always present, stands for it.
    let ungrouped = !head.iter().any(|c| matches!(c, HeadCell::Var(_)));
    let zero_ok = aggs
        .iter()
        .all(|a| matches!(a.func, AggFn::Count | AggFn::Sum));
    let (head3, width) = (head.clone(), aggs.len());
    let always = read(SENTINEL)
        .filter(move |_| ungrouped && zero_ok)
        .map(move |_| {
            let group: Tuple = head3
                .iter()
                .map(|c| match c {
                    HeadCell::Const(c) => *c,
                    _ => NULL,
                })
                .collect();
            let mut vals: Tuple = std::iter::repeat_n(0, width + 1).collect();
            vals[0] = 1;
            (group, vals)
        });
    bindings
        .map(move |t| {
            let group: Tuple = head
                .iter()
                .map(|c| match c {
                    HeadCell::Var(v) => t[pos(*v, &lay)],
                    HeadCell::Const(c) => *c,
                    HeadCell::Agg(_) => NULL,
                })
                .collect();
            // The first cell marks a real match (0) from the row that is always there (1).
            let vals: Tuple = std::iter::once(0)
                .chain(aggs.iter().map(|a| a.var.map_or(0, |v| t[pos(v, &lay)])))
                .collect();
            (group, vals)
        })
        .concat(always)
        .reduce(
            move |_group, input: &[(&Tuple, isize)], output: &mut Vec<(Tuple, isize)>| {
                let real: Vec<(&Tuple, isize)> =
                    input.iter().filter(|(t, _)| t[0] == 0).copied().collect();
                if !real.is_empty() {
                    output.push((aggregate(&aggs2, &agg_types, &real, &ctx), 1));
                } else if input.iter().any(|(t, n)| t[0] == 1 && *n > 0) {
                    // count and sum of nothing: 0 (a number's cell is its bits: 0.0 is 0).
                    output.push((std::iter::repeat_n(0, aggs2.len()).collect(), 1));
                }
            },
        )
        .map(move |(group, results)| {
            let mut row = group;
            for (col, c) in head2.iter().enumerate() {
                if let HeadCell::Agg(j) = c {
                    row[col] = results[*j];
                }
            }
            row
        })
}

fn step_vars(step: &Step) -> Vec<usize> {
    match step {
        Step::Join(a) | Step::Not(a) => a
            .args
            .iter()
            .filter_map(|(_, x)| match x {
                Arg::Var(v) => Some(*v),
                _ => None,
            })
            .collect(),
        Step::Filter(f) => {
            let mut out = vec![];
            match f {
                Filter::Compare(a, _, b) | Filter::Time(a, _, _, b) => {
                    operand_vars(a, &mut out);
                    operand_vars(b, &mut out);
                }
            }
            out
        }
    }
}

fn operand_vars(o: &Operand2, out: &mut Vec<usize>) {
    match o {
        Operand2::Var(v) => out.push(*v),
        Operand2::Const(..) => {}
        Operand2::DaysBetween(_, a, b) => {
            operand_vars(a, out);
            operand_vars(b, out);
        }
    }
}

/// Keeps only the variables still needed.
fn project<'s, T: Timestamp + Lattice + Ord>(
    b: Coll<'s, T>,
    layout: &mut Vec<usize>,
    keep: &[bool],
) -> Coll<'s, T> {
    if layout.iter().all(|v| keep[*v]) {
        return b;
    }
    let pick: Vec<usize> = (0..layout.len()).filter(|&i| keep[layout[i]]).collect();
    *layout = pick.iter().map(|&i| layout[i]).collect();
    b.map(move |t| pick.iter().map(|&i| t[i]).collect::<Tuple>())
}

type Matcher = Box<dyn Fn(&Tuple) -> Option<Tuple>>;

/// The variables of an atom in the order they first appear, and a function from a row to
/// their cells (`None` when a constant differs, a repeated variable differs, or a bound column
/// is unknown: an unknown value joins with nothing).
fn first_atom(a: &Atom) -> (Vec<usize>, Matcher) {
    let mut vars: Vec<usize> = vec![];
    let mut roles: Vec<(usize, Role)> = vec![];
    for (col, arg) in &a.args {
        match arg {
            Arg::Var(v) => {
                let i = match vars.iter().position(|x| x == v) {
                    Some(i) => i,
                    None => {
                        vars.push(*v);
                        vars.len() - 1
                    }
                };
                roles.push((*col, Role::Val(i)));
            }
            Arg::Const(c) => roles.push((*col, Role::Const(*c))),
            Arg::Any => {}
        }
    }
    let width = vars.len();
    let matcher = move |row: &Tuple| -> Option<Tuple> {
        let mut out: Tuple = std::iter::repeat_n(NULL, width).collect();
        for (col, role) in &roles {
            let c = row[*col];
            if c == NULL {
                return None;
            }
            match role {
                Role::Const(k) if c != *k => return None,
                Role::Val(i) | Role::Key(i) => {
                    if out[*i] != NULL && out[*i] != c {
                        return None;
                    }
                    out[*i] = c;
                }
                _ => {}
            }
        }
        Some(out)
    };
    (vars, Box::new(matcher))
}

/// Joins the bindings with atom `a`: key = the variables both have, through shared
/// arrangements of the atom's kind.
fn join<'s, T: Timestamp + Lattice + Ord>(
    a: &Atom,
    b: Coll<'s, T>,
    layout: &mut Vec<usize>,
    keep: &[bool],
    read: &mut dyn FnMut(KindId) -> Coll<'s, T>,
    arr: &mut Arrangements<'s, T>,
) -> Coll<'s, T> {
    let mut keys: Vec<usize> = vec![];
    let mut news: Vec<usize> = vec![];
    let mut roles: Vec<(usize, Role)> = vec![];
    for (col, arg) in &a.args {
        match arg {
            Arg::Var(v) if layout.contains(v) => {
                let i = keys.iter().position(|x| x == v).unwrap_or_else(|| {
                    keys.push(*v);
                    keys.len() - 1
                });
                roles.push((*col, Role::Key(i)));
            }
            Arg::Var(v) => {
                let i = news.iter().position(|x| x == v).unwrap_or_else(|| {
                    news.push(*v);
                    news.len() - 1
                });
                roles.push((*col, Role::Val(i)));
            }
            Arg::Const(c) => roles.push((*col, Role::Const(*c))),
            Arg::Any => {}
        }
    }
    let (nk, nv) = (keys.len(), news.len());
    let right = arr
        .built
        .entry((a.kind, roles.clone()))
        .or_insert_with(|| {
            read(a.kind)
                .flat_map(move |row| {
                    let mut k: Tuple = std::iter::repeat_n(NULL, nk).collect();
                    let mut v: Tuple = std::iter::repeat_n(NULL, nv).collect();
                    for (col, role) in &roles {
                        let c = row[*col];
                        if c == NULL {
                            return None;
                        }
                        let slot = match role {
                            Role::Const(x) if c != *x => return None,
                            Role::Const(_) => continue,
                            Role::Key(i) => &mut k[*i],
                            Role::Val(i) => &mut v[*i],
                        };
                        if *slot != NULL && *slot != c {
                            return None;
                        }
                        *slot = c;
                    }
                    Some((k, v))
                })
                .arrange_by_key()
        })
        .clone();
    // The left side: key cells, then the other variables still needed.
    let key_pos: Vec<usize> = keys
        .iter()
        .map(|v| layout.iter().position(|x| x == v).unwrap_or(0))
        .collect();
    let rest: Vec<usize> = (0..layout.len())
        .filter(|&i| keep[layout[i]] && !keys.contains(&layout[i]))
        .collect();
    let kept_keys: Vec<usize> = (0..keys.len()).filter(|&i| keep[keys[i]]).collect();
    let kept_news: Vec<usize> = (0..news.len()).filter(|&i| keep[news[i]]).collect();
    let mut new_layout: Vec<usize> = kept_keys.iter().map(|&i| keys[i]).collect();
    new_layout.extend(rest.iter().map(|&i| layout[i]));
    new_layout.extend(kept_news.iter().map(|&i| news[i]));
    *layout = new_layout;
    let rest2 = rest.clone();
    let left = b
        .map(move |t| {
            let k: Tuple = key_pos.iter().map(|&p| t[p]).collect();
            let v: Tuple = rest2.iter().map(|&p| t[p]).collect();
            (k, v)
        })
        .arrange_by_key();
    left.join_core(right, move |k: &Tuple, l: &Tuple, r: &Tuple| {
        let mut out: Tuple = kept_keys.iter().map(|&i| k[i]).collect();
        out.extend(l.iter().copied());
        out.extend(kept_news.iter().map(|&i| r[i]));
        Some(out)
    })
}

/// Drops the bindings that match a row of the negated atom's kind.
fn antijoin<'s, T: Timestamp + Lattice + Ord>(
    a: &Atom,
    b: Coll<'s, T>,
    layout: &[usize],
    read: &mut dyn FnMut(KindId) -> Coll<'s, T>,
) -> Coll<'s, T> {
    let cols: Vec<(usize, Arg)> = a
        .args
        .iter()
        .filter(|(_, x)| *x != Arg::Any)
        .copied()
        .collect();
    let from_binding: Vec<Result<usize, u64>> = cols
        .iter()
        .map(|(_, x)| match x {
            Arg::Var(v) => Ok(layout.iter().position(|y| y == v).unwrap_or(0)),
            Arg::Const(c) => Err(*c),
            Arg::Any => Err(NULL),
        })
        .collect();
    let row_cols: Vec<usize> = cols.iter().map(|(c, _)| *c).collect();
    let negated = read(a.kind)
        .flat_map(move |row| {
            let key: Tuple = row_cols.iter().map(|&c| row[c]).collect();
            // An unknown value equals nothing, so such a row rules nothing out.
            (!key.contains(&NULL)).then_some(key)
        })
        .distinct();
    b.map(move |t| {
        let key: Tuple = from_binding
            .iter()
            .map(|s| match s {
                Ok(p) => t[*p],
                Err(c) => *c,
            })
            .collect();
        (key, t)
    })
    .antijoin(negated)
    .map(|(_, t)| t)
}

/// What filters and aggregates read besides the rows: the order of names, the dates the
/// cells stand for, the session's widening of approximate dates.
#[derive(Clone)]
struct Ctx {
    names: Option<Arc<NameOrder>>,
    dates: DateTable,
    widening: Widening,
}

impl Ctx {
    fn of(program: &Program) -> Ctx {
        Ctx {
            names: program.names.clone(),
            dates: program.dates.clone(),
            widening: program.widening,
        }
    }

    /// The order `<` and `min` use: by name (when the program needs it), else by value.
    fn order(&self, a: &Value, b: &Value) -> Option<std::cmp::Ordering> {
        match &self.names {
            Some(n) => n.order(a, b),
            None => order_unnamed(a, b),
        }
    }

    fn decode(&self, c: u64, ty: Type) -> Value {
        let dates = self.dates.read().unwrap_or_else(|e| e.into_inner());
        cell::decode(c, ty, &dates)
    }
}

/// The values of a binding, by variable (unknown where the layout lacks one).
fn values(t: &Tuple, layout: &[usize], types: &[Type], vars: usize, ctx: &Ctx) -> Vec<Value> {
    let mut out = vec![Value::Null; vars];
    for (i, v) in layout.iter().enumerate() {
        out[*v] = ctx.decode(t[i], types[*v]);
    }
    out
}

fn operand(o: &Operand2, vals: &[Value], ctx: &Ctx) -> Value {
    match o {
        Operand2::Var(v) => vals[*v].clone(),
        Operand2::Const(c, ty) => ctx.decode(*c, *ty),
        Operand2::DaysBetween(f, a, b) => match (operand(a, vals, ctx), operand(b, vals, ctx)) {
            (Value::Date(x), Value::Date(y)) => crate::eval::expr::days_between(*f, &x, Some(y)),
            _ => Value::Null,
        },
    }
}

fn filter_holds(
    f: &Filter,
    t: &Tuple,
    layout: &[usize],
    types: &[Type],
    vars: usize,
    ctx: &Ctx,
) -> bool {
    let vals = values(t, layout, types, vars, ctx);
    match f {
        Filter::Compare(l, op, r) => compare_by(
            &operand(l, &vals, ctx),
            *op,
            &operand(r, &vals, ctx),
            ctx.widening,
            &|a, b| ctx.order(a, b),
        ),
        Filter::Time(l, rel, m, r) => match (operand(l, &vals, ctx), operand(r, &vals, ctx)) {
            (Value::Date(a), Value::Date(b)) => a.relates(*rel, &b, *m, ctx.widening),
            _ => false,
        },
    }
}

/// The results of a rule's aggregates over one group: `input` holds each distinct tuple of
/// the aggregated variables' cells with how many matches of the body produced it.
fn aggregate(aggs: &[Agg], types: &[Type], input: &[(&Tuple, isize)], ctx: &Ctx) -> Tuple {
    // A number's cell is its bits (no date table involved).
    let num = |n: f64| if n == 0.0 { 0 } else { n.to_bits() };
    aggs.iter()
        .enumerate()
        .map(|(i, a)| match (a.func, a.var) {
            (AggFn::Count, None) => num(input.iter().map(|(_, n)| *n).sum::<isize>() as f64),
            (AggFn::Count, Some(_)) => {
                let mut xs: Vec<u64> = input
                    .iter()
                    .filter(|(_, n)| *n > 0)
                    .map(|(t, _)| t[i + 1])
                    .collect();
                xs.sort_unstable();
                xs.dedup();
                num(xs.len() as f64)
            }
            (AggFn::Sum, _) => num(input
                .iter()
                .filter_map(|(t, n)| match ctx.decode(t[i + 1], types[i]) {
                    Value::Num(x) => Some(x * *n as f64),
                    _ => None,
                })
                .sum()),
            // Refused by the lowering.
            (AggFn::Mean, _) => NULL,
            (AggFn::Min | AggFn::Max, _) => {
                let mut best: Option<(Value, u64)> = None;
                for (t, _) in input.iter().filter(|(_, n)| *n > 0) {
                    let v = ctx.decode(t[i + 1], types[i]);
                    let better = match &best {
                        None => true,
                        Some((b, _)) => {
                            let o = match (&v, b) {
                                (Value::Num(x), Value::Num(y)) => x.total_cmp(y),
                                _ => ctx.order(&v, b).unwrap_or(std::cmp::Ordering::Equal),
                            };
                            if a.func == AggFn::Min {
                                o.is_lt()
                            } else {
                                o.is_gt()
                            }
                        }
                    };
                    if better {
                        best = Some((v, t[i + 1]));
                    }
                }
                best.map_or(NULL, |(_, c)| c)
            }
        })
        .collect()
}
