//! A lowered [`Program`] rendered as differential-dataflow operators, in one worker.
//!
//! - Each rule's body is a chain of `join_core`s over arrangements; the arrangement of a kind
//!   by the same columns is built once per scope and shared by every rule that reads it so.
//! - A recursive stratum is one iterative scope with a `Variable` per kind it defines; each
//!   round takes the `distinct` of everything the kind's rules produce. One that reads a weaker
//!   status than `stated` of its own kinds is one scope per status, strongest first.
//! - `not` is an antijoin with the (complete, lower-stratum) negated kind.
//! - An aggregate is a `reduce` over the groups the head's plain fields make; a group exists
//!   only when the body matched something (dalil's empty-group semantics: no row, not zero).

use super::cell::{NULL, Row};
use super::compute::{self, Ctx, FAILED, failure_width};
use super::lower::{Agg, Arg, Atom, BodyAggregate, HeadCell, Program, Rule, Step, Stratum};
use super::runtime::Epoch;
use crate::store::{KindId, Type, Value};
use crate::syntax::ast::AggFn;
use differential_dataflow::VecCollection;
use differential_dataflow::lattice::Lattice;
use differential_dataflow::operators::arrange::{Arranged, TraceAgent};
use differential_dataflow::operators::iterate::VecVariable;
use differential_dataflow::trace::implementations::ValSpine;
use std::collections::HashMap;
use timely::dataflow::Scope;
use timely::order::Product;
use timely::progress::Timestamp;

/// The input that holds one empty row from the first update on (see aggregates).
pub const SENTINEL: KindId = KindId::MAX;

/// A collection of rows (or bindings) with multiplicities.
pub type Coll<'s, T, R> = VecCollection<'s, T, R, isize>;
type Arrangement<'s, T, R> = Arranged<'s, TraceAgent<ValSpine<R, R, T, isize>>>;

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
struct Arrangements<'s, T: Timestamp + Lattice + Ord, R: Row> {
    built: HashMap<ArrangementKey, Arrangement<'s, T, R>>,
}

/// Renders every stratum of `program` in `scope`, adding each derived kind to `colls` (which
/// holds the inputs to begin with).
pub fn render<'s, R: Row>(
    scope: Scope<'s, Epoch>,
    program: &Program,
    colls: &mut HashMap<KindId, Coll<'s, Epoch, R>>,
) {
    let mut fails = vec![];
    let ctx = Ctx::of(program);
    for stratum in &program.strata {
        if stratum.recursive && stratum.by_status {
            // A pass per status, strongest first, each from the rows of the one before (the
            // local engine's passes): a row's status is then fixed when it first appears.
            let statuses = ctx
                .statuses()
                .expect("a status read makes rows carry statuses");
            let mut seeds = None;
            for level in statuses.into_iter().rev() {
                let pass = ctx.at_level(level);
                let results = render_recursive(
                    scope,
                    program,
                    stratum,
                    colls,
                    &pass,
                    &mut fails,
                    seeds.as_ref(),
                );
                seeds = Some(results.into_iter().collect::<HashMap<_, _>>());
            }
            colls.extend(seeds.into_iter().flatten());
        } else if stratum.recursive {
            let results = render_recursive(scope, program, stratum, colls, &ctx, &mut fails, None);
            colls.extend(results);
        } else {
            let mut arr = Arrangements {
                built: HashMap::new(),
            };
            let mut made: Vec<(KindId, Coll<'s, Epoch, R>)> = vec![];
            for rule in &stratum.rules {
                let out = render_rule(rule, &mut |k| colls[&k].clone(), &mut arr, &ctx, &mut fails);
                made.push((rule.head_kind, out));
            }
            for head in &stratum.heads {
                // A kind's own facts (an input of the same kind) join what its rules derive.
                let facts = colls.get(head).cloned();
                let rows = settle(
                    concat_of(&made, *head),
                    facts,
                    width_of(program, *head),
                    &ctx,
                );
                colls.insert(*head, rows);
            }
        }
    }
    if let Some(first) = fails.pop() {
        colls.insert(FAILED, fails.into_iter().fold(first, |a, f| a.concat(f)));
    }
}

fn concat_of<'s, T: Timestamp + Lattice + Ord, R: Row>(
    made: &[(KindId, Coll<'s, T, R>)],
    head: KindId,
) -> Coll<'s, T, R> {
    let mut parts = made
        .iter()
        .filter(|(k, _)| *k == head)
        .map(|(_, c)| c.clone());
    let first = parts.next().expect("every head has a rule");
    parts.fold(first, |acc, c| acc.concat(c))
}

/// How many fields a derived kind has.
fn width_of(program: &Program, kind: KindId) -> usize {
    program
        .outputs
        .iter()
        .find(|(k, _)| *k == kind)
        .map_or(0, |(_, types)| types.len())
}

/// A tag on the status of a kind's own fact (symbols are 32-bit: no status cell has it).
const FACT: u64 = 1 << 40;

/// The rows of a derived kind, each once (`distinct`). With statuses, each row gets the
/// strongest status it was derived with, unless it is a fact of the kind too: the local
/// engine keeps the fact (with its status) and derives no copy of it.
fn settle<'s, T: Timestamp + Lattice + Ord, R: Row>(
    derived: Coll<'s, T, R>,
    facts: Option<Coll<'s, T, R>>,
    width: usize,
    ctx: &Ctx,
) -> Coll<'s, T, R> {
    if ctx.stated().is_none() {
        return match facts {
            Some(f) => derived.concat(f),
            None => derived,
        }
        .distinct();
    }
    let facts = facts.map(|f| {
        f.map(move |r| {
            let mut r = r;
            r.cells_mut()[width] |= FACT;
            r
        })
    });
    let all = match facts {
        Some(f) => derived.concat(f),
        None => derived,
    };
    let ctx = ctx.clone();
    all.map(move |r| {
        let row = R::of(r.cells()[..width].iter().copied());
        (row, R::of([r.at(width)]))
    })
    .reduce(
        move |_row, input: &[(&R, isize)], output: &mut Vec<(R, isize)>| {
            let present = || input.iter().filter(|(_, n)| *n > 0).map(|(s, _)| s.at(0));
            let fact = present().any(|s| s & FACT != 0);
            let best = present()
                .filter(|s| (s & FACT != 0) == fact)
                .map(|s| s & !FACT)
                .reduce(|a, b| ctx.stronger(a, b));
            if let Some(best) = best {
                output.push((R::of([best]), 1));
            }
        },
    )
    .map(move |(row, status)| R::of(row.cells()[..width].iter().copied().chain([status.at(0)])))
}

/// One iterative scope: a variable per kind of the stratum, set to the distinct rows of its
/// rules, which read the variables (this stratum) and entered collections (lower strata).
/// `seeds`: the rows of the stratum's kinds a pass before found, kept with their statuses.
/// Returns the stratum's kinds.
fn render_recursive<'s, R: Row>(
    scope: Scope<'s, Epoch>,
    program: &Program,
    stratum: &Stratum,
    colls: &HashMap<KindId, Coll<'s, Epoch, R>>,
    ctx: &Ctx,
    fails: &mut Vec<Coll<'s, Epoch, R>>,
    seeds: Option<&HashMap<KindId, Coll<'s, Epoch, R>>>,
) -> Vec<(KindId, Coll<'s, Epoch, R>)> {
    let outer = scope;
    let results: Vec<(KindId, Coll<'s, Epoch, R>)> = scope.iterative::<u32, _, _>(|inner| {
        let mut vars = HashMap::new();
        let mut current = HashMap::new();
        for head in &stratum.heads {
            let (var, coll) = VecVariable::new(inner, Product::new(Default::default(), 1));
            vars.insert(*head, var);
            current.insert(*head, coll);
        }
        let mut entered: HashMap<KindId, Coll<'_, Product<Epoch, u32>, R>> = HashMap::new();
        let mut arr = Arrangements {
            built: HashMap::new(),
        };
        let mut made = vec![];
        let mut inner_fails = vec![];
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
                &mut inner_fails,
            );
            made.push((rule.head_kind, out));
        }
        fails.extend(inner_fails.into_iter().map(|f| f.leave(outer)));
        let mut results = vec![];
        for head in &stratum.heads {
            let facts = colls.get(head).map(|f| f.clone().enter(inner));
            let mut derived = concat_of(&made, *head);
            if let Some(seed) = seeds.and_then(|s| s.get(head)) {
                derived = derived.concat(seed.clone().enter(inner));
            }
            let all = settle(derived, facts, width_of(program, *head), ctx);
            let var = vars.remove(head).expect("a variable per head");
            var.set(all.clone());
            results.push((*head, all.leave(outer)));
        }
        results
    });
    results
}

/// The bindings of a rule's body, then its head rows.
fn render_rule<'s, T: Timestamp + Lattice + Ord, R: Row>(
    rule: &Rule,
    read: &mut dyn FnMut(KindId) -> Coll<'s, T, R>,
    arr: &mut Arrangements<'s, T, R>,
    ctx: &Ctx,
    fails: &mut Vec<Coll<'s, T, R>>,
) -> Coll<'s, T, R> {
    let needed_after = needed_after(rule);
    let mut layout: Vec<usize> = vec![];
    let body = Steps {
        rule,
        steps: &rule.steps,
        needed_after: &needed_after,
    };
    let bindings = body.render(None, &mut layout, read, arr, ctx, fails);
    head_rows(rule, bindings, layout, read, ctx)
}

/// Steps of a rule (its body's, or a body aggregate's), with what each leaves needed.
struct Steps<'r> {
    rule: &'r Rule,
    steps: &'r [Step],
    needed_after: &'r [Vec<bool>],
}

impl Steps<'_> {
    /// The bindings after the steps, from `start` (laid out as `layout`) or, without, from
    /// the first step's atom.
    #[allow(clippy::too_many_arguments)]
    fn render<'s, T: Timestamp + Lattice + Ord, R: Row>(
        &self,
        start: Option<Coll<'s, T, R>>,
        layout: &mut Vec<usize>,
        read: &mut dyn FnMut(KindId) -> Coll<'s, T, R>,
        arr: &mut Arrangements<'s, T, R>,
        ctx: &Ctx,
        fails: &mut Vec<Coll<'s, T, R>>,
    ) -> Coll<'s, T, R> {
        let rule = self.rule;
        let mut bindings = start;
        for (i, step) in self.steps.iter().enumerate() {
            let keep = &self.needed_after[i];
            bindings = Some(match (step, bindings) {
                (Step::Join(a), None) => {
                    let (vars, matcher) = first_atom(a);
                    let out: Vec<usize> = vars.iter().copied().filter(|v| keep[*v]).collect();
                    let pick: Vec<usize> = out
                        .iter()
                        .map(|v| vars.iter().position(|x| x == v).unwrap_or(0))
                        .collect();
                    *layout = out;
                    passed(read(a.kind), a, ctx).flat_map(move |row| {
                        matcher(&row).map(|t| R::of(pick.iter().map(|&p| t.at(p))))
                    })
                }
                (Step::Join(a), Some(b)) => join(a, b, layout, keep, read, arr, ctx),
                (Step::Filter(f), Some(b)) => {
                    let filtered = compute::filter(rule, f, b, layout, ctx, fails);
                    project(filtered, layout, keep)
                }
                (Step::Bind(x), Some(b)) => {
                    let bound = compute::bind(rule, x, b, layout, ctx, fails);
                    project(bound, layout, keep)
                }
                (Step::Not(a), Some(b)) => {
                    let antijoined = antijoin(a, b, layout, read);
                    project(antijoined, layout, keep)
                }
                (Step::Aggregate(g), Some(b)) => {
                    let aggregated = body_aggregate(rule, g, b, layout, read, arr, ctx, fails);
                    project(aggregated, layout, keep)
                }
                (_, None) => unreachable!("the lowering starts every rule with a join"),
            });
        }
        bindings.expect("a rule has at least one atom")
    }
}

/// The head's rows of a rule's bindings (laid out as `layout`).
fn head_rows<'s, T: Timestamp + Lattice + Ord, R: Row>(
    rule: &Rule,
    bindings: Coll<'s, T, R>,
    layout: Vec<usize>,
    read: &mut dyn FnMut(KindId) -> Coll<'s, T, R>,
    ctx: &Ctx,
) -> Coll<'s, T, R> {
    let head = rule.head.clone();
    let pos = move |v: usize, lay: &[usize]| lay.iter().position(|x| *x == v).unwrap_or(0);
    // With statuses, every head row ends in the binding's status.
    let status_at = rule.status.map(|v| pos(v, &layout));
    if rule.aggs.is_empty() {
        let lay = layout;
        return bindings.map(move |t| {
            let cells = head.iter().map(|c| match c {
                HeadCell::Var(v) => t.at(pos(*v, &lay)),
                HeadCell::Const(c) => *c,
                HeadCell::Agg(_) => NULL,
            });
            R::of(cells.chain(status_at.map(|p| t.at(p))))
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
    let stated = ctx.stated();
    let always = read(SENTINEL)
        .filter(move |_| ungrouped && zero_ok)
        .map(move |_| {
            let group = R::of(head3.iter().map(|c| match c {
                HeadCell::Const(c) => *c,
                _ => NULL,
            }));
            // The first cell marks the row that is always there (1) from a real match (0).
            let vals = std::iter::once(1).chain(std::iter::repeat_n(0, width));
            (group, R::of(vals.chain(stated)))
        });
    bindings
        .map(move |t| {
            let group = R::of(head.iter().map(|c| match c {
                HeadCell::Var(v) => t.at(pos(*v, &lay)),
                HeadCell::Const(c) => *c,
                HeadCell::Agg(_) => NULL,
            }));
            let vals = std::iter::once(0)
                .chain(aggs.iter().map(|a| a.var.map_or(0, |v| t.at(pos(v, &lay)))))
                .chain(status_at.map(|p| t.at(p)));
            (group, R::of(vals))
        })
        .concat(always)
        .reduce(
            move |_group, input: &[(&R, isize)], output: &mut Vec<(R, isize)>| {
                let real = real_inputs(input);
                if !real.is_empty() {
                    // `min`, `max` and `mean` of no known value: no row.
                    if let Some(results) = aggregate(&aggs2, &agg_types, &real, &ctx) {
                        // As strong as the weakest match it summarises.
                        let weakest = stated.map(|s| {
                            let at = aggs2.len() + 1;
                            real.iter().fold(s, |w, (t, _)| ctx.weaker(w, t.at(at)))
                        });
                        let cells = results.cells()[..aggs2.len()].iter().copied();
                        output.push((R::of(cells.chain(weakest)), 1));
                    }
                } else if input.iter().any(|(t, n)| t.at(0) == 1 && *n > 0) {
                    // count and sum of nothing: 0 (a number's cell is its bits: 0.0 is 0).
                    let zeros = std::iter::repeat_n(0, aggs2.len());
                    output.push((R::of(zeros.chain(stated)), 1));
                }
            },
        )
        .map(move |(group, results)| {
            let mut row = group;
            for (col, c) in head2.iter().enumerate() {
                if let HeadCell::Agg(j) = c {
                    row.cells_mut()[col] = results.at(*j);
                }
            }
            match stated {
                Some(_) => {
                    let status = results.at(head2
                        .iter()
                        .filter(|c| matches!(c, HeadCell::Agg(_)))
                        .count());
                    R::of(row.cells()[..head2.len()].iter().copied().chain([status]))
                }
                None => row,
            }
        })
}

/// Which variables later steps (and the head) still need after each step of a rule.
fn needed_after(rule: &Rule) -> Vec<Vec<bool>> {
    let mut need = vec![false; rule.vars];
    if let Some(v) = rule.status {
        need[v] = true;
    }
    for cell in &rule.head {
        match cell {
            HeadCell::Var(v) => need[*v] = true,
            HeadCell::Const(_) | HeadCell::Agg(_) => {}
        }
    }
    for a in &rule.aggs {
        if let Some(v) = a.var {
            need[v] = true;
        }
    }
    needs(&rule.steps, need)
}

/// Which variables are needed after each of `steps`, when `need` are needed after the last.
fn needs(steps: &[Step], mut need: Vec<bool>) -> Vec<Vec<bool>> {
    let mut needed_after: Vec<Vec<bool>> = vec![vec![]; steps.len()];
    for i in (0..steps.len()).rev() {
        needed_after[i] = need.clone();
        for v in steps[i].vars() {
            need[v] = true;
        }
    }
    needed_after
}

/// The widest tuple rendering `program` makes: a row of a kind it reads or derives, a binding
/// (after step `i`: the variables bound so far that are still needed), a key or value of a
/// join (parts of a binding or of a row), the values of a rule's aggregates (one more cell).
pub fn width(program: &Program) -> usize {
    let rows = program.inputs.iter().chain(&program.outputs);
    let status = usize::from(program.statuses.is_some());
    let mut widest = rows
        .map(|(_, types)| types.len() + status)
        .max()
        .unwrap_or(0);
    for rule in program.strata.iter().flat_map(|s| &s.rules) {
        widest = widest.max(rule.aggs.len() + 1 + status);
        if program.symbols.is_some() {
            widest = widest.max(failure_width(rule));
        }
        let mut bound = vec![false; rule.vars];
        let mut binding = 0;
        for (step, keep) in rule.steps.iter().zip(needed_after(rule)) {
            match step {
                Step::Join(_) => step.vars().into_iter().for_each(|v| bound[v] = true),
                // The new variable joins the binding before it is projected.
                Step::Bind(b) => {
                    bound[b.var] = true;
                    widest = widest.max(binding + 1);
                }
                Step::Aggregate(g) => {
                    bound[g.var] = true;
                    // Its own bindings, its values and results, the binding with its value.
                    widest = widest.max(rule.vars + 1).max(3);
                }
                Step::Filter(_) | Step::Not(_) => {}
            }
            binding = (0..rule.vars).filter(|&v| bound[v] && keep[v]).count();
            widest = widest.max(binding);
        }
    }
    widest
}

/// `?v = agg(e : body)`: the aggregate's own body runs from the distinct values of the
/// variables it shares with the rule (`outer`); a `reduce` per those values gives the value
/// (and the weakest status it counted), which joins the bindings. Over no match `count` and
/// `sum` give 0 and `min`, `max`, `mean` no value (the binding goes), as on the local engine.
#[allow(clippy::too_many_arguments)]
fn body_aggregate<'s, T: Timestamp + Lattice + Ord, R: Row>(
    rule: &Rule,
    g: &BodyAggregate,
    b: Coll<'s, T, R>,
    layout: &mut Vec<usize>,
    read: &mut dyn FnMut(KindId) -> Coll<'s, T, R>,
    arr: &mut Arrangements<'s, T, R>,
    ctx: &Ctx,
    fails: &mut Vec<Coll<'s, T, R>>,
) -> Coll<'s, T, R> {
    let at = |lay: &[usize], v: usize| lay.iter().position(|x| *x == v).unwrap_or(0);
    let outer_pos: Vec<usize> = g.outer.iter().map(|v| at(layout, *v)).collect();
    let key_of = move |t: &R| R::of(outer_pos.iter().map(|&p| t.at(p)));
    let key_of2 = key_of.clone();
    let seed = b.clone().map(move |t| key_of(&t)).distinct();
    // Its own body, from the seed; what is needed at its end: outer, the value, the status.
    let mut need = vec![false; rule.vars];
    g.outer.iter().for_each(|v| need[*v] = true);
    g.arg
        .iter()
        .chain(&rule.status)
        .for_each(|v| need[*v] = true);
    let needed_after = needs(&g.steps, need);
    let mut inner_layout = g.outer.clone();
    let body = Steps {
        rule,
        steps: &g.steps,
        needed_after: &needed_after,
    };
    let inner = body.render(Some(seed.clone()), &mut inner_layout, read, arr, ctx, fails);
    let (outer, arg, status) = (g.outer.clone(), g.arg, rule.status);
    let lay = inner_layout;
    let stated = ctx.stated();
    // (outer values, [0: a match, the value, the status]); the seed marks each key with 1.
    let matches = inner.map(move |t| {
        let key = R::of(outer.iter().map(|v| t.at(at(&lay, *v))));
        let value = arg.map_or(0, |v| t.at(at(&lay, v)));
        let s = status.map_or(0, |v| {
            if lay.contains(&v) {
                t.at(at(&lay, v))
            } else {
                stated.unwrap_or(0)
            }
        });
        (key, R::of([0, value, s]))
    });
    let marks = seed.map(move |k| (k, R::of([1, 0, stated.unwrap_or(0)])));
    let (func, ty, ctx2) = (
        g.func,
        g.arg.map_or(Type::Number, |v| rule.var_types[v]),
        ctx.clone(),
    );
    let aggs = [Agg { func, var: g.arg }];
    let results = matches
        .concat(marks)
        .reduce(
            move |_key, input: &[(&R, isize)], output: &mut Vec<(R, isize)>| {
                let real = real_inputs(input);
                if real.is_empty() {
                    if matches!(func, AggFn::Count | AggFn::Sum) {
                        output.push((R::of([0, stated.unwrap_or(0)]), 1));
                    }
                    return;
                }
                if let Some(value) = aggregate(&aggs, &[ty], &real, &ctx2) {
                    let weakest = real
                        .iter()
                        .fold(stated.unwrap_or(0), |w, (t, _)| ctx2.weaker(w, t.at(2)));
                    output.push((R::of([value.at(0), weakest]), 1));
                }
            },
        )
        .arrange_by_key();
    let width = layout.len();
    let status_at = rule.status.map(|v| at(layout, v));
    layout.push(g.var);
    let ctx = ctx.clone();
    b.map(move |t| (key_of2(&t), t))
        .arrange_by_key()
        .join_core(results, move |_k, t: &R, r: &R| {
            let mut out = R::of(t.cells()[..width].iter().copied().chain([r.at(0)]));
            if let Some(p) = status_at {
                let cells = out.cells_mut();
                cells[p] = ctx.weaker(cells[p], r.at(1));
            }
            Some(out)
        })
}

/// Keeps only the variables still needed.
fn project<'s, T: Timestamp + Lattice + Ord, R: Row>(
    b: Coll<'s, T, R>,
    layout: &mut Vec<usize>,
    keep: &[bool],
) -> Coll<'s, T, R> {
    if layout.iter().all(|v| keep[*v]) {
        return b;
    }
    let pick: Vec<usize> = (0..layout.len()).filter(|&i| keep[layout[i]]).collect();
    *layout = pick.iter().map(|&i| layout[i]).collect();
    b.map(move |t| R::of(pick.iter().map(|&i| t.at(i))))
}

type Matcher<R> = Box<dyn Fn(&R) -> Option<R>>;

/// The variables of an atom in the order they first appear, and a function from a row to
/// their cells (`None` when a constant differs, a repeated variable differs, or a bound column
/// is unknown: an unknown value joins with nothing).
fn first_atom<R: Row>(a: &Atom) -> (Vec<usize>, Matcher<R>) {
    let mut vars: Vec<usize> = vec![];
    let mut roles: Vec<(usize, Role)> = vec![];
    for (col, arg) in &a.args {
        match arg {
            Arg::Var(v) | Arg::Status(v) => {
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
    let matcher = move |row: &R| -> Option<R> {
        let mut out = R::of(std::iter::repeat_n(NULL, width));
        let cells = out.cells_mut();
        for (col, role) in &roles {
            let c = row.at(*col);
            if c == NULL {
                return None;
            }
            match role {
                Role::Const(k) if c != *k => return None,
                Role::Val(i) | Role::Key(i) => {
                    if cells[*i] != NULL && cells[*i] != c {
                        return None;
                    }
                    cells[*i] = c;
                }
                _ => {}
            }
        }
        Some(out)
    };
    (vars, Box::new(matcher))
}

/// The rows of positive atom `a` a pass of a stratum computed status by status reads: those
/// at least as strong as the pass (all of them outside such passes).
fn passed<'s, T: Timestamp + Lattice + Ord, R: Row>(
    rows: Coll<'s, T, R>,
    a: &Atom,
    ctx: &Ctx,
) -> Coll<'s, T, R> {
    let col = a
        .args
        .iter()
        .find(|(_, x)| matches!(x, Arg::Status(_)))
        .map(|(c, _)| *c);
    match (ctx.pass_filter(), col) {
        (Some(reads), Some(col)) => rows.filter(move |row| reads(row.at(col))),
        _ => rows,
    }
}

/// Joins the bindings with atom `a`: key = the variables both have, through shared
/// arrangements of the atom's kind.
fn join<'s, T: Timestamp + Lattice + Ord, R: Row>(
    a: &Atom,
    b: Coll<'s, T, R>,
    layout: &mut Vec<usize>,
    keep: &[bool],
    read: &mut dyn FnMut(KindId) -> Coll<'s, T, R>,
    arr: &mut Arrangements<'s, T, R>,
    ctx: &Ctx,
) -> Coll<'s, T, R> {
    // With statuses: the row's status (the last value), and where the binding keeps its own.
    let mut status: Option<(usize, usize)> = None;
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
            Arg::Status(v) if layout.contains(v) => status = Some((*col, *v)),
            // A body aggregate's own body starts without a status: its first row gives one.
            Arg::Status(v) => {
                news.push(*v);
                roles.push((*col, Role::Val(news.len() - 1)));
            }
            Arg::Const(c) => roles.push((*col, Role::Const(*c))),
            Arg::Any => {}
        }
    }
    if let Some((col, _)) = status {
        roles.push((col, Role::Val(news.len())));
    }
    let (nk, nv) = (keys.len(), news.len() + usize::from(status.is_some()));
    let right = arr
        .built
        .entry((a.kind, roles.clone()))
        .or_insert_with(|| {
            passed(read(a.kind), a, ctx)
                .flat_map(move |row| {
                    let mut k = R::of(std::iter::repeat_n(NULL, nk));
                    let mut v = R::of(std::iter::repeat_n(NULL, nv));
                    for (col, role) in &roles {
                        let c = row.at(*col);
                        if c == NULL {
                            return None;
                        }
                        let slot = match role {
                            Role::Const(x) if c != *x => return None,
                            Role::Const(_) => continue,
                            Role::Key(i) => &mut k.cells_mut()[*i],
                            Role::Val(i) => &mut v.cells_mut()[*i],
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
    let layout_before = layout.clone();
    let kept_keys: Vec<usize> = (0..keys.len()).filter(|&i| keep[keys[i]]).collect();
    let kept_news: Vec<usize> = (0..news.len()).filter(|&i| keep[news[i]]).collect();
    let mut new_layout: Vec<usize> = kept_keys.iter().map(|&i| keys[i]).collect();
    new_layout.extend(rest.iter().map(|&i| layout[i]));
    new_layout.extend(kept_news.iter().map(|&i| news[i]));
    *layout = new_layout;
    let rest2 = rest.clone();
    let left = b
        .map(move |t| {
            let k = R::of(key_pos.iter().map(|&p| t.at(p)));
            let v = R::of(rest2.iter().map(|&p| t.at(p)));
            (k, v)
        })
        .arrange_by_key();
    let left_width = rest.len();
    // The binding's status becomes the weaker of its own and the row's.
    let weaker = status.map(|(_, v)| {
        let at = kept_keys.len()
            + rest
                .iter()
                .position(|&p| layout_before[p] == v)
                .unwrap_or(0);
        (at, news.len(), ctx.clone())
    });
    left.join_core(right, move |k: &R, l: &R, r: &R| {
        let mut out = R::of(
            kept_keys
                .iter()
                .map(|&i| k.at(i))
                .chain(l.cells()[..left_width].iter().copied())
                .chain(kept_news.iter().map(|&i| r.at(i))),
        );
        if let Some((at, from, ctx)) = &weaker {
            let cells = out.cells_mut();
            cells[*at] = ctx.weaker(cells[*at], r.at(*from));
        }
        Some(out)
    })
}

/// Drops the bindings that match a row of the negated atom's kind.
fn antijoin<'s, T: Timestamp + Lattice + Ord, R: Row>(
    a: &Atom,
    b: Coll<'s, T, R>,
    layout: &[usize],
    read: &mut dyn FnMut(KindId) -> Coll<'s, T, R>,
) -> Coll<'s, T, R> {
    let cols: Vec<(usize, Arg)> = a
        .args
        .iter()
        .filter(|(_, x)| !matches!(x, Arg::Any | Arg::Status(_)))
        .copied()
        .collect();
    let from_binding: Vec<Result<usize, u64>> = cols
        .iter()
        .map(|(_, x)| match x {
            Arg::Var(v) => Ok(layout.iter().position(|y| y == v).unwrap_or(0)),
            Arg::Const(c) => Err(*c),
            Arg::Any | Arg::Status(_) => Err(NULL),
        })
        .collect();
    let row_cols: Vec<usize> = cols.iter().map(|(c, _)| *c).collect();
    let negated = read(a.kind)
        .flat_map(move |row| {
            // An unknown value equals nothing, so such a row rules nothing out.
            let known = row_cols.iter().all(|&c| row.at(c) != NULL);
            known.then(|| R::of(row_cols.iter().map(|&c| row.at(c))))
        })
        .distinct();
    b.map(move |t| {
        let key = R::of(from_binding.iter().map(|s| match s {
            Ok(p) => t.at(*p),
            Err(c) => *c,
        }));
        (key, t)
    })
    .antijoin(negated)
    .map(|(_, t)| t)
}

/// The results of a rule's aggregates over one group: `input` holds each distinct tuple of
/// the aggregated variables' cells with how many matches of the body produced it. As on the
/// local engine, `count(e)` counts the distinct known values, `count()`, `sum` and `mean` run
/// over every match, unknown values are left out; `None` when `min`, `max` or `mean` has no
/// value (the group then has no row).
fn aggregate<R: Row>(aggs: &[Agg], types: &[Type], input: &[(&R, isize)], ctx: &Ctx) -> Option<R> {
    // A number's cell is its bits (no date table involved).
    let num = |n: f64| if n == 0.0 { 0 } else { n.to_bits() };
    let mut results = Vec::with_capacity(aggs.len());
    for (i, a) in aggs.iter().enumerate() {
        let known = || {
            input
                .iter()
                .filter(move |(t, n)| *n > 0 && t.at(i + 1) != NULL)
                .map(move |(t, n)| (t.at(i + 1), *n))
        };
        let numbers = || {
            known().filter_map(|(c, n)| match ctx.decode(c, types[i]) {
                Value::Num(x) => Some((x, n)),
                _ => None,
            })
        };
        let sum = || numbers().map(|(x, n)| x * n as f64).sum::<f64>();
        results.push(match (a.func, a.var) {
            (AggFn::Count, None) => num(input.iter().map(|(_, n)| *n).sum::<isize>() as f64),
            (AggFn::Count, Some(_)) => {
                let mut xs: Vec<u64> = known().map(|(c, _)| c).collect();
                xs.sort_unstable();
                xs.dedup();
                num(xs.len() as f64)
            }
            (AggFn::Sum, _) => num(sum()),
            (AggFn::Mean, _) => {
                let n: isize = numbers().map(|(_, n)| n).sum();
                if n == 0 {
                    return None;
                }
                num(sum() / n as f64)
            }
            (AggFn::Min | AggFn::Max, _) => {
                let mut best: Option<(Value, u64)> = None;
                for (c, _) in known() {
                    let v = ctx.decode(c, types[i]);
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
                        best = Some((v, c));
                    }
                }
                best?.1
            }
        });
    }
    Some(R::of(results))
}

/// The inputs of a reduce that are rows of its group, not the marks concatenated to make the
/// group exist (their first cell is 1).
fn real_inputs<'a, R: Row>(input: &[(&'a R, isize)]) -> Vec<(&'a R, isize)> {
    input
        .iter()
        .filter(|(t, _)| t.at(0) == 0)
        .copied()
        .collect()
}
