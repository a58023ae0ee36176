//! Rules over whole numbers, walked without [`Value`]s. A rule whose body is only positive
//! atoms, every column of which it reads holding whole numbers in four bytes (a graph's nodes,
//! ids, counts: [`Column::Int`]), and whose head copies variables, is walked over `u32`
//! registers read straight from the columns: no value is built, compared or dropped per row,
//! and the head is packed as the duplicate check wants it. It derives exactly what the general
//! walk derives, in the same order (the walks visit the same rows in the same order), so row
//! ids, rounds and `why` are unchanged. Anything else (a filter, an expression, a `status`
//! column, a column that holds other values) takes the general walk.

use super::budget::{Budget, LimitHit};
use super::fixpoint::{IndexGuards, Ranges};
use crate::check::rules::{BodyLit, CheckedRule, Expr, HeadArg, Slot};
use crate::plan::rules::{Match, Rows, RulePlan, Step};
use crate::store::{Column, NO_INT, Relation, Status, Value, as_int, virtual_cols};
use hashbrown::HashMap;
use std::ops::Range;

/// A value an atom's column is matched against: a register or a constant.
#[derive(Clone, Copy)]
enum Int {
    Reg(usize),
    Const(u32),
}

impl Int {
    #[inline]
    fn get(self, regs: &[u32]) -> u32 {
        match self {
            Int::Reg(v) => regs[v],
            Int::Const(c) => c,
        }
    }
}

/// What one column of a joined row does: must equal a value, or binds a register.
enum Cell {
    Check(Int),
    Bind(usize),
}

/// One join of the plan, with its columns and index resolved.
struct Join<'a> {
    rel: &'a Relation,
    rows: Range<u32>,
    /// Rows through the hash index on a column, looked up by this value.
    key: Option<(Int, &'a HashMap<Value, Vec<u32>>)>,
    cells: Vec<(&'a [u32], Cell)>,
    /// The kind holds rows weaker than the pass reads, which are skipped.
    weaker: bool,
}

/// A rule's plan over registers, for one walk (one chunk of outer rows).
pub(super) struct IntPlan<'a> {
    joins: Vec<Join<'a>>,
    /// Per head column, the register filling it (`None`: unknown).
    head: Vec<Option<usize>>,
    vars: usize,
    level: Status,
}

/// The whole number a constant is, as a column of whole numbers holds it.
fn int_const(v: &Value) -> Option<u32> {
    match v {
        Value::Num(n) => as_int(*n),
        _ => None,
    }
}

fn int_of(slot: &Slot) -> Option<Int> {
    match slot {
        Slot::Var(v) => Some(Int::Reg(*v)),
        Slot::Const(c) => int_const(c).map(Int::Const),
    }
}

impl<'a> IntPlan<'a> {
    /// The register plan of `plan`, when the rule and the columns it reads allow one; `chunk`
    /// is the outer join's rows when the walk reads them a chunk at a time.
    pub(super) fn new(
        db: &'a crate::store::Database,
        rule: &CheckedRule,
        plan: &RulePlan,
        ranges: &Ranges,
        chunk: Option<Range<u32>>,
        guards: &'a IndexGuards<'a>,
    ) -> Option<IntPlan<'a>> {
        let mut chunk = chunk;
        let mut joins = Vec::new();
        for step in &plan.steps {
            let Step::Join {
                kind,
                rows,
                key,
                args,
                pos,
            } = step
            else {
                return None;
            };
            if !matches!(rule.body.get(*pos), Some(BodyLit::Atom(_))) {
                return None;
            }
            let rel = &db.kind(*kind).relation;
            let ints = |col: usize| -> Option<&'a [u32]> {
                if virtual_cols::is_virtual(col) {
                    return None;
                }
                match rel.column(col)? {
                    Column::Int(v) if v.len() >= rel.len() => Some(v.as_slice()),
                    _ => None,
                }
            };
            let mut cells = Vec::with_capacity(args.len());
            for (col, m) in args {
                let cell = match m {
                    Match::Check(slot) => Cell::Check(int_of(slot)?),
                    Match::Bind(v) => Cell::Bind(*v),
                };
                cells.push((ints(*col)?, cell));
            }
            let key = match key {
                Some((col, slot)) => {
                    ints(*col)?;
                    Some((int_of(slot)?, guards.map(*kind, *col)?))
                }
                None => None,
            };
            let rows = match (chunk.take(), rows) {
                (Some(c), _) => c,
                (None, Rows::All) => 0..ranges.all_of(*kind),
                (None, Rows::Delta) => ranges.delta_of(*kind),
            };
            joins.push(Join {
                rel,
                rows,
                key,
                cells,
                weaker: ranges.is_weaker(*kind),
            });
        }
        let width = db.kind(rule.head_kind).fields.len();
        let mut head = vec![None; width];
        for (col, arg) in &rule.head {
            match arg {
                HeadArg::Expr(Expr::Var(v)) => head[*col] = Some(*v),
                _ => return None,
            }
        }
        Some(IntPlan {
            joins,
            head,
            vars: rule.var_names.len(),
            level: ranges.level(),
        })
    }

    /// Per head column, the register filling it.
    pub(super) fn head(&self) -> &[Option<usize>] {
        &self.head
    }

    /// Walks the joins depth first; `emit` is called with the registers of each binding.
    pub(super) fn walk(
        &self,
        budget: &Budget,
        emit: &mut dyn FnMut(&[u32]) -> Result<(), LimitHit>,
    ) -> Result<(), LimitHit> {
        let mut regs = vec![0u32; self.vars];
        let mut steps = 0u64;
        self.step(0, &mut regs, &mut steps, budget, emit)
    }

    fn step(
        &self,
        i: usize,
        regs: &mut [u32],
        steps: &mut u64,
        budget: &Budget,
        emit: &mut dyn FnMut(&[u32]) -> Result<(), LimitHit>,
    ) -> Result<(), LimitHit> {
        let Some(j) = self.joins.get(i) else {
            return emit(regs);
        };
        match j.key {
            Some((k, map)) => {
                let list = map
                    .get(&Value::Num(f64::from(k.get(regs))))
                    .map_or(&[][..], |l| l.as_slice());
                let lo = list.partition_point(|&r| r < j.rows.start);
                let hi = list.partition_point(|&r| r < j.rows.end);
                for &r in &list[lo..hi] {
                    self.row(i, j, r, regs, steps, budget, emit)?;
                }
            }
            None => {
                for r in j.rows.clone() {
                    self.row(i, j, r, regs, steps, budget, emit)?;
                }
            }
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    #[inline]
    fn row(
        &self,
        i: usize,
        j: &Join,
        r: u32,
        regs: &mut [u32],
        steps: &mut u64,
        budget: &Budget,
        emit: &mut dyn FnMut(&[u32]) -> Result<(), LimitHit>,
    ) -> Result<(), LimitHit> {
        *steps += 1;
        if steps.is_multiple_of(1024) {
            budget.check()?;
        }
        if j.weaker && j.rel.status(r) < self.level {
            return Ok(());
        }
        let r = r as usize;
        for (col, cell) in &j.cells {
            let x = col[r];
            match *cell {
                // A register or constant is never unknown, so an unknown cell fails here.
                Cell::Check(v) => {
                    if x != v.get(regs) {
                        return Ok(());
                    }
                }
                Cell::Bind(v) => {
                    if x == NO_INT {
                        return Ok(());
                    }
                    regs[v] = x;
                }
            }
        }
        self.step(i + 1, regs, steps, budget, emit)
    }
}
