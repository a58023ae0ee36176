//! Rules evaluated stratum by stratum. A recursive stratum runs semi-naive rounds: each round
//! joins only with the rows that were new in the round before (the delta), so nothing is
//! derived twice from the same premises. Rows only ever append, so "stable", "delta" and "all"
//! are ranges of row ids: stable = [0, start), delta = [start, end), all = [0, end).
//!
//! Statuses ([`Status`]): a stratum runs its fixpoint once per status, strongest first. The
//! pass for `stated` reads only stated rows, so what it derives is derivable from stated facts
//! alone and is stated; the pass for `inferred` also reads inferred rows, and what it adds is
//! inferred; then `background`. A row's first derivation is therefore its strongest, and its
//! status (the weakest premise of its strongest derivation) never has to change: the lattice
//! fixpoint, computed with rows that only append. A pass is skipped when no row it would add
//! to what the pass before read exists. `not` reads every row; an aggregate is as strong as
//! the weakest row it summarises.

use super::budget::{Budget, LimitHit, threads_or_default};
use super::expr::{EvalError, Texts, eval};
use super::ints::IntPlan;
use super::profile::{FixpointProfile, StratumProfile};
use super::query::compare;
use super::rederive::ProofLog;
use crate::check::Strata;
use crate::check::rules::{BodyLit, CAtom, CheckedRule, Expr, HeadArg, Slot};
use crate::diagnostic::Diagnostic;
use crate::plan::rules::{Match, Rows, RulePlan, Step, plan_rule};
use crate::store::{
    Database, IndexRef, KindId, Origin, Row, RowOrigin, Status, Value, pack_ints, virtual_cols,
};
use crate::syntax::ast::AggFn;
use std::collections::HashMap;
use std::ops::Range;
use std::sync::Arc;
use std::time::Instant;

/// What a fixpoint computation did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FixpointStats {
    pub derived: u64,
    pub rounds: u64,
}

/// One complete binding of a rule's variables, with the rows it matched.
type Binding = (Vec<Value>, Vec<(KindId, u32)>);

/// A derived row waiting for the end of the round.
type Pending = (KindId, Row, Origin);

/// Recomputes every derived kind from scratch.
pub fn evaluate_rules(
    db: &mut Database,
    rules: &[CheckedRule],
    strata: &Strata,
    budget: &mut Budget,
) -> Result<FixpointStats, LimitHit> {
    evaluate_rules_profiled(db, rules, strata, budget, None)
}

/// Recomputes every derived kind, recording the time of each rule and stratum in `profile`.
pub fn evaluate_rules_profiled(
    db: &mut Database,
    rules: &[CheckedRule],
    strata: &Strata,
    budget: &mut Budget,
    mut profile: Option<&mut FixpointProfile>,
) -> Result<FixpointStats, LimitHit> {
    for r in rules {
        db.kind_mut(r.head_kind).clear_derived();
    }
    // The rounds this fixpoint runs are logged, for the premises of its rows to be found again.
    let log = Arc::new(ProofLog::new(rules));
    db.rederive = Some(crate::store::Rederiver(log.clone()));
    budget.set_memory_base(db.heap_bytes());
    let mut stats = FixpointStats::default();
    for (members, recursive) in &strata.strata {
        let rs: Vec<&CheckedRule> = members.iter().map(|&i| &rules[i]).collect();
        let (started, before) = (Instant::now(), stats.clone());
        let run = Run {
            log: &log,
            profile: profile.as_deref_mut(),
        };
        stratum(db, &rs, *recursive, budget, &mut stats, run)?;
        if let Some(p) = profile.as_deref_mut() {
            p.strata.push(StratumProfile {
                rounds: stats.rounds - before.rounds,
                derived: stats.derived - before.derived,
                time: started.elapsed(),
            });
        }
    }
    Ok(stats)
}

/// What a fixpoint keeps a record in: the log of its rounds, and the profile when measured.
struct Run<'r> {
    log: &'r ProofLog,
    profile: Option<&'r mut FixpointProfile>,
}

/// One stratum: a pass per status, strongest first (see the module documentation).
fn stratum(
    db: &mut Database,
    rules: &[&CheckedRule],
    recursive: bool,
    budget: &mut Budget,
    stats: &mut FixpointStats,
    mut run: Run,
) -> Result<(), LimitHit> {
    let mut read: Vec<KindId> = Vec::new();
    for r in rules {
        atom_kinds(&r.body, &mut read);
    }
    read.sort_unstable();
    read.dedup();
    for level in Status::STRONGEST_FIRST {
        let first = level == Status::STRONGEST_FIRST[0];
        if first
            || read
                .iter()
                .any(|&k| db.kind(k).relation.count_with_status(level) > 0)
        {
            let run = Run {
                log: run.log,
                profile: run.profile.as_deref_mut(),
            };
            pass(db, rules, recursive, level, first, budget, stats, run)?;
        }
    }
    Ok(())
}

/// The kinds the positive atoms of `body` read, aggregates' bodies included.
fn atom_kinds(body: &[BodyLit], out: &mut Vec<KindId>) {
    for lit in body {
        match lit {
            BodyLit::Atom(a) => out.push(a.kind),
            BodyLit::Aggregate(_, agg) => atom_kinds(&agg.body, out),
            _ => {}
        }
    }
}

/// The fixpoint of a stratum over the rows at least as strong as `level`; aggregates run in
/// the `first` pass only, over every row.
#[allow(clippy::too_many_arguments)]
fn pass(
    db: &mut Database,
    rules: &[&CheckedRule],
    recursive: bool,
    level: Status,
    first: bool,
    budget: &mut Budget,
    stats: &mut FixpointStats,
    run: Run,
) -> Result<(), LimitHit> {
    let (log, mut profile) = (run.log, run.profile);
    let heads: Vec<KindId> = rules.iter().map(|r| r.head_kind).collect();
    // Round 0: every rule over everything known.
    let all_ranges = ranges(db, level);
    log.begin_round(stats.rounds, &all_ranges);
    let mut pending = Vec::new();
    for r in rules {
        if r.has_aggregate() && !first {
            continue;
        }
        budget.working_on(stats.rounds, Some(r.index));
        let (plan, started) = (Arc::new(plan_rule(db, r, None)), Instant::now());
        let visible = if r.has_aggregate() {
            ranges(db, Status::Background)
        } else {
            log.ran(stats.rounds, r.index, &plan);
            all_ranges.clone()
        };
        run_rule(db, r, &plan, &visible, budget, &mut pending, stats)?;
        FixpointProfile::rule_ran(&mut profile, r.index, &plan, started);
    }
    budget.working_on(stats.rounds, None);
    let mut delta = insert(db, pending, &all_ranges, budget, stats)?;
    stats.rounds += 1;
    if !recursive {
        return Ok(());
    }
    // Plans per (rule, delta position) are fixed for the stratum: make them once.
    let mut plans: Vec<(usize, Arc<RulePlan>)> = Vec::new();
    for (ri, r) in rules.iter().enumerate() {
        if r.has_aggregate() {
            continue;
        }
        for (pos, lit) in r.body.iter().enumerate() {
            if let BodyLit::Atom(a) = lit
                && heads.contains(&a.kind)
            {
                plans.push((ri, Arc::new(plan_rule(db, r, Some(pos)))));
            }
        }
    }
    while delta.values().any(|r| !r.is_empty()) {
        budget.check()?;
        let all = ranges(db, level);
        let mut rs = all.clone();
        for (k, d) in &delta {
            rs.delta.insert(*k, d.clone());
        }
        log.begin_round(stats.rounds, &rs);
        let mut pending = Vec::new();
        for (ri, plan) in &plans {
            let delta_kind = plan.delta_kind();
            if delta_kind.is_some_and(|k| delta.get(&k).is_none_or(|r| r.is_empty())) {
                continue;
            }
            log.ran(stats.rounds, rules[*ri].index, plan);
            let started = Instant::now();
            budget.working_on(stats.rounds, Some(rules[*ri].index));
            run_rule(db, rules[*ri], plan, &rs, budget, &mut pending, stats)?;
            FixpointProfile::rule_ran(&mut profile, rules[*ri].index, plan, started);
        }
        budget.working_on(stats.rounds, None);
        delta = insert(db, pending, &all, budget, stats)?;
        stats.rounds += 1;
    }
    Ok(())
}

/// Row ranges visible to a round, and the weakest status it reads.
#[derive(Clone, Debug, Default)]
pub(super) struct Ranges {
    all: HashMap<KindId, u32>,
    delta: HashMap<KindId, Range<u32>>,
    /// Rows weaker than this are not read (and what the round derives has this status).
    level: Status,
    /// Per kind: does it hold rows weaker than `level` (which each join must then skip)?
    weaker: Vec<bool>,
}

impl Ranges {
    /// The rows of `kind` a join over all of it reads.
    pub(super) fn all_of(&self, kind: KindId) -> u32 {
        self.all.get(&kind).copied().unwrap_or(0)
    }

    /// The rows of `kind` new in the round before.
    pub(super) fn delta_of(&self, kind: KindId) -> Range<u32> {
        self.delta.get(&kind).cloned().unwrap_or(0..0)
    }

    /// Does `kind` hold rows weaker than the pass reads?
    pub(super) fn is_weaker(&self, kind: KindId) -> bool {
        self.weaker.get(kind).copied().unwrap_or(false)
    }

    /// The weakest status the pass reads.
    pub(super) fn level(&self) -> Status {
        self.level
    }
}

fn ranges(db: &Database, level: Status) -> Ranges {
    Ranges {
        all: db
            .kinds
            .iter()
            .enumerate()
            .map(|(i, k)| (i, k.relation.len() as u32))
            .collect(),
        delta: HashMap::new(),
        level,
        weaker: db
            .kinds
            .iter()
            .map(|k| {
                Status::STRONGEST_FIRST
                    .iter()
                    .any(|&s| s < level && k.relation.count_with_status(s) > 0)
            })
            .collect(),
    }
}

/// Adds the rows still pending at the end of a round (an aggregate's); returns, per kind, the
/// rows that are new since the round began (`before`: the lengths it began with).
fn insert(
    db: &mut Database,
    pending: Vec<Pending>,
    before: &Ranges,
    budget: &mut Budget,
    stats: &mut FixpointStats,
) -> Result<HashMap<KindId, Range<u32>>, LimitHit> {
    let mut added = 0u64;
    for (n, (kind, row, origin)) in pending.into_iter().enumerate() {
        if n % 65536 == 65535 {
            budget.check()?;
        }
        if db.kind_mut(kind).relation.insert(row, origin).1 {
            added += 1;
        }
    }
    stats.derived += added;
    budget.spend(added)?;
    Ok(db
        .kinds
        .iter()
        .enumerate()
        .filter_map(|(k, kind)| {
            let start = before.all.get(&k).copied().unwrap_or(0);
            let end = kind.relation.len() as u32;
            (end > start).then_some((k, start..end))
        })
        .collect())
}

/// Rows one rule derived from a chunk of its outer rows, side by side: for row `i`, the row
/// packed into an integer (`NOT_PACKED` when it does not pack: then its hash and `width`
/// values follow in `hashes` and `values`). Their premises are not kept: each row keeps its
/// rule and round, from which `why` finds them again (see [`super::rederive`]).
struct Derived {
    width: usize,
    /// The status of every row derived in this pass.
    status: Status,
    keys: Vec<u64>,
    hashes: Vec<u32>,
    values: Vec<Value>,
}

impl Derived {
    /// Bytes its buffers hold.
    fn bytes(&self) -> u64 {
        (self.keys.len() * 8
            + self.hashes.len() * 4
            + self.values.len() * std::mem::size_of::<Value>()) as u64
    }

    /// Adds a row for `rel`: packed when it packs, else with its hash and values.
    fn push(&mut self, row: &[Value], rel: &crate::store::Relation) {
        match crate::store::Relation::pack_row(row) {
            Some(k) => self.keys.push(k),
            None => {
                self.keys.push(NOT_PACKED);
                self.hashes.push(rel.hash_of(row));
                self.values.extend_from_slice(row);
            }
        }
    }

    /// Stops a chunk that alone derives more rows than the budget allows (`more`: rows kept
    /// elsewhere), before its pending rows take the memory the budget protects.
    fn within(
        &self,
        more: usize,
        rows_left: u64,
        memory_left: u64,
        budget: &Budget,
    ) -> Result<(), LimitHit> {
        if (self.keys.len() + more) as u64 > rows_left {
            return Err(LimitHit::Rows(budget.max_rows));
        }
        if self.keys.len().is_multiple_of(1024) && self.bytes() > memory_left {
            return Err(LimitHit::Memory(budget.max_memory));
        }
        Ok(())
    }

    /// Drops the packed rows `rel` holds already, looking each up with the look-ups a few rows
    /// ahead prefetched, as [`add_derived`] does.
    fn drop_known(&mut self, rel: &crate::store::Relation) {
        // Rows that do not pack are all kept, so their hashes and values stay as they are.
        let mut kept = 0;
        for i in 0..self.keys.len() {
            if let Some(&ahead) = self.keys.get(i + PREFETCH)
                && ahead != NOT_PACKED
            {
                rel.prefetch_packed(ahead);
            }
            let k = self.keys[i];
            if k != NOT_PACKED && rel.has_packed(k) {
                continue;
            }
            self.keys[kept] = k;
            kept += 1;
        }
        self.keys.truncate(kept);
    }

    /// Drops all but the last `n` rows (a runaway rule's newest, kept for its report).
    fn keep_last(&mut self, n: usize) {
        let drop = self.keys.len().saturating_sub(n);
        let unpacked = self.keys[..drop]
            .iter()
            .filter(|&&k| k == NOT_PACKED)
            .count();
        self.keys.drain(..drop);
        self.hashes.drain(..unpacked);
        self.values.drain(..unpacked * self.width);
    }
}

/// How many of a runaway rule's newest rows stay in its kind for the report.
pub const NEWEST_KEPT: usize = 3;

/// A row of `Derived` that does not pack.
const NOT_PACKED: u64 = u64::MAX;

/// How many outer rows a rule reads before the rows it derived are added: the pending rows
/// stay few, and a row derived twice in a round is found the second time.
const CHUNK: u32 = 1 << 13;

/// How many rows ahead `add_derived` prefetches.
const PREFETCH: usize = 8;

/// Adds a chunk's derived rows to the head kind, counting them against the budget.
fn add_derived(
    db: &mut Database,
    rule: &CheckedRule,
    out: &mut Derived,
    budget: &mut Budget,
    stats: &mut FixpointStats,
) -> Result<(), LimitHit> {
    let rel = &mut db.kind_mut(rule.head_kind).relation;
    let mut added = 0u64;
    let mut unpacked = 0;
    let origin = RowOrigin::Round {
        rule: rule.index,
        round: stats.rounds as u32,
        status: out.status,
    };
    for (i, &k) in out.keys.iter().enumerate() {
        // The look-ups miss the cache: start fetching a few rows ahead.
        if let Some(&ahead) = out.keys.get(i + PREFETCH)
            && ahead != NOT_PACKED
        {
            rel.prefetch_packed(ahead);
        }
        let new = if k != NOT_PACKED {
            rel.insert_packed(k, out.width, origin)
        } else {
            let values = &out.values[unpacked * out.width..(unpacked + 1) * out.width];
            let h = out.hashes[unpacked];
            unpacked += 1;
            rel.insert_new(h, values, origin)
        };
        if new {
            added += 1;
        }
    }
    out.keys.clear();
    out.hashes.clear();
    out.values.clear();
    stats.derived += added;
    budget.spend(added)
}

struct Frame<'a> {
    db: &'a Database,
    texts: &'a Texts,
    rule: &'a CheckedRule,
    ranges: &'a Ranges,
    /// The indexes the plan reads, held open for the walk.
    guards: &'a IndexGuards<'a>,
    values: Vec<Value>,
    premises: Vec<(KindId, u32)>,
    steps_done: u64,
    /// The rows the outermost join reads, when they are read a chunk at a time.
    outer: Option<Range<u32>>,
    /// Inside an aggregate of the body: every row is read, whatever the pass's status.
    every_status: bool,
    /// Per variable, the value it must take (unknown: any), when a walk looks for the
    /// derivation of one row (see [`first_derivation`]).
    want: Option<&'a [Value]>,
}

impl<'a> Frame<'a> {
    /// A frame with every variable unbound, about to walk `rule`'s plan.
    fn new(
        db: &'a Database,
        texts: &'a Texts,
        rule: &'a CheckedRule,
        ranges: &'a Ranges,
        guards: &'a IndexGuards<'a>,
        outer: Option<Range<u32>>,
    ) -> Frame<'a> {
        Frame {
            db,
            texts,
            rule,
            ranges,
            guards,
            values: vec![Value::Null; rule.var_names.len()],
            premises: Vec::new(),
            steps_done: 0,
            outer,
            every_status: false,
            want: None,
        }
    }
}

fn slot_value<'v>(slot: &'v Slot, values: &'v [Value]) -> &'v Value {
    match slot {
        Slot::Const(v) => v,
        Slot::Var(v) => &values[*v],
    }
}

/// Builds (or brings up to date) every index the plan reads, so the walk only reads them;
/// checks the budget between chunks of a large build.
fn build_indexes(
    db: &Database,
    rule: &CheckedRule,
    plan: &RulePlan,
    budget: &Budget,
) -> Result<(), LimitHit> {
    let mut keys = Vec::new();
    index_keys(rule, &rule.body, &plan.steps, &mut keys);
    for (kind, col) in keys {
        let rel = &db.kind(kind).relation;
        while !rel.extend_index(col, crate::store::INDEX_CHUNK) {
            budget.check()?;
        }
    }
    Ok(())
}

/// The (kind, column) of every hash index the steps over `body` read (a rule's, or an
/// aggregate's own).
fn index_keys(
    rule: &CheckedRule,
    body: &[BodyLit],
    steps: &[Step],
    out: &mut Vec<(KindId, usize)>,
) {
    for step in steps {
        let key = match step {
            Step::Join {
                kind,
                key: Some((col, _)),
                ..
            } => Some((*kind, *col)),
            Step::Aggregate { lit, plan } => {
                if let BodyLit::Aggregate(_, agg) = &body[*lit] {
                    index_keys(rule, &agg.body, plan, out);
                }
                None
            }
            Step::Filter(i) => match &body[*i] {
                BodyLit::Not(a) => not_key(rule, a).map(|(col, _)| (a.kind, *col)),
                _ => None,
            },
            _ => None,
        };
        if let Some(key) = key
            && !out.contains(&key)
        {
            out.push(key);
        }
    }
}

/// The hash indexes a walk reads, each opened once for the whole walk rather than once per
/// look-up (the workers of a round share them without taking a lock on every row).
pub(super) struct IndexGuards<'a> {
    open: Vec<((KindId, usize), IndexRef<'a>)>,
}

impl<'a> IndexGuards<'a> {
    /// Opens the indexes the steps over `body` read; [`build_indexes`] has brought them up
    /// to date.
    fn new(db: &'a Database, rule: &CheckedRule, body: &[BodyLit], steps: &[Step]) -> Self {
        let mut keys = Vec::new();
        index_keys(rule, body, steps, &mut keys);
        let open = keys
            .into_iter()
            .map(|(kind, col)| ((kind, col), db.kind(kind).relation.index(col)))
            .collect();
        IndexGuards { open }
    }

    /// The open index on column `col` of `kind`.
    pub(super) fn map(
        &self,
        kind: KindId,
        col: usize,
    ) -> Option<&hashbrown::HashMap<Value, Vec<u32>>> {
        self.open
            .iter()
            .find(|(key, _)| *key == (kind, col))
            .map(|(_, index)| &**index)
    }

    /// The rows of `kind` holding `v` in column `col`, in increasing order.
    fn rows(&self, kind: KindId, col: usize, v: &Value) -> &[u32] {
        self.map(kind, col)
            .and_then(|index| index.get(v))
            .map_or(&[], |rows| rows.as_slice())
    }
}

/// The argument a `not` atom looks its rows up by: the first one that constrains a declared
/// field (`status` and `cite` have no index).
fn not_key<'a>(rule: &CheckedRule, a: &'a CAtom) -> Option<&'a (usize, Slot)> {
    a.args
        .iter()
        .find(|(col, s)| !is_any(rule, s) && !virtual_cols::is_virtual(*col))
}

/// Is `s` the anonymous variable `?_`?
fn is_any(rule: &CheckedRule, s: &Slot) -> bool {
    matches!(s, Slot::Var(v) if rule.var_names[*v] == "?_")
}

/// Runs one plan. A rule with an aggregate hands its rows to `pending` (added at the end of
/// the round); any other rule adds its rows to the head kind itself, a chunk of outer rows at
/// a time. Rows added during a round lie past the round's ranges, so the round does not see
/// them: they are the next round's delta.
fn run_rule(
    db: &mut Database,
    rule: &CheckedRule,
    plan: &RulePlan,
    ranges: &Ranges,
    budget: &mut Budget,
    pending: &mut Vec<Pending>,
    stats: &mut FixpointStats,
) -> Result<(), LimitHit> {
    if rule.has_aggregate() {
        let texts = Texts::default();
        build_indexes(db, rule, plan, budget)?;
        let guards = IndexGuards::new(db, rule, &rule.body, &plan.steps);
        let mut frame = Frame::new(db, &texts, rule, ranges, &guards, None);
        let mut bindings: Vec<Binding> = Vec::new();
        let bytes = budget.store_bytes(|| db.heap_bytes());
        let (memory_left, max_memory) = (budget.memory_left(bytes), budget.max_memory);
        let per_binding = (rule.var_names.len() * std::mem::size_of::<Value>()
            + rule.body.len() * 8
            + 2 * std::mem::size_of::<Vec<Value>>()) as u64;
        walk(&mut frame, &rule.body, &plan.steps, budget, &mut |f| {
            bindings.push((f.values.clone(), f.premises.clone()));
            if bindings.len() as u64 * per_binding > memory_left {
                return Err(LimitHit::Memory(max_memory));
            }
            Ok(())
        })?;
        drop(guards);
        let width = db.kind(rule.head_kind).fields.len();
        let start = pending.len();
        aggregate(db, &texts, rule, width, bindings, pending)?;
        for (_, row, _) in &mut pending[start..] {
            if Texts::in_row(row) {
                texts.intern_row(db, row);
            }
        }
        return Ok(());
    }
    // The outermost join, when it reads a range of rows without an index, reads it in chunks;
    // with more than one thread, a wave of chunks is walked at once, one per worker.
    let threads = threads_or_default(budget.threads);
    let outer = plan.steps.iter().find_map(|s| match s {
        Step::Join {
            kind, rows, key, ..
        } => Some((key.is_none()).then(|| match rows {
            Rows::All => 0..ranges.all.get(kind).copied().unwrap_or(0),
            Rows::Delta => ranges.delta.get(kind).cloned().unwrap_or(0..0),
        })),
        Step::Filter(_) | Step::Bind(_) | Step::Aggregate { .. } => None,
    });
    let chunks: Vec<Option<Range<u32>>> = match outer.flatten() {
        Some(r) => {
            // Few rows are split evenly between the workers; many go in chunks of `CHUNK`.
            let even = r.len().div_ceil(threads) as u32;
            let size = even.clamp(budget.min_split.min(CHUNK), CHUNK);
            (r.start..r.end)
                .step_by(size as usize)
                .map(|s| Some(s..(s + size).min(r.end)))
                .collect()
        }
        None => vec![None],
    };
    let walker = ChunkWalker {
        rule,
        plan,
        ranges,
        order: plan.body_order(),
        width: db.kind(rule.head_kind).fields.len(),
    };
    for wave in chunks.chunks(threads) {
        budget.check()?;
        build_indexes(db, rule, plan, budget)?;
        let rows_left = budget.rows_left();
        let bytes = budget.store_bytes(|| db.heap_bytes());
        let memory_left = budget.memory_left(bytes) / wave.len() as u64;
        let walked: Vec<Walked> = {
            let (db, budget) = (&*db, &*budget);
            // With one worker, the rows are checked once, when they are added.
            let drop_known = wave.len() > 1;
            let one = |chunk: &Option<Range<u32>>| {
                walker.walk(
                    db,
                    budget,
                    chunk.clone(),
                    rows_left,
                    memory_left,
                    drop_known,
                )
            };
            if wave.len() == 1 {
                wave.iter().map(one).collect()
            } else {
                use rayon::prelude::*;
                super::budget::start_pool();
                wave.par_iter().map(one).collect()
            }
        };
        // Added in the order of the chunks, as one thread would: the same rows, ids and
        // premises whatever the number of threads.
        for mut w in walked {
            if let Err(hit) = w.result {
                // The rows derived count for this rule (so a report blames the busiest one),
                // and the newest few go into the kind, for the report to show.
                let dropped = w.out.keys.len().saturating_sub(NEWEST_KEPT);
                budget.count_dropped(dropped as u64);
                if hit.sets_rule_aside() {
                    w.out.keep_last(NEWEST_KEPT);
                    let _ = add_derived(db, rule, &mut w.out, budget, stats);
                }
                return Err(hit);
            }
            add_derived(db, rule, &mut w.out, budget, stats)?;
            let mut added = 0;
            for (mut row, premises) in w.new_texts {
                w.texts.intern_row(db, &mut row);
                let origin = RowOrigin::Derived {
                    rule: rule.index,
                    premises: &premises,
                    status: w.out.status,
                };
                if db
                    .kind_mut(rule.head_kind)
                    .relation
                    .insert_with(&row, origin)
                    .1
                {
                    added += 1;
                }
            }
            stats.derived += added;
            budget.spend(added)?;
        }
        let bytes = budget.store_bytes(|| db.heap_bytes());
        budget.check_memory(bytes)?;
    }
    Ok(())
}

/// What one rule's walk over a chunk of its outer rows needs besides the database.
struct ChunkWalker<'p> {
    rule: &'p CheckedRule,
    plan: &'p RulePlan,
    ranges: &'p Ranges,
    /// The premises' order in a derived row (body order).
    order: Vec<usize>,
    /// The head kind's number of columns.
    width: usize,
}

/// The rows a chunk's walk derived, before they are added.
struct Walked {
    out: Derived,
    /// Rows holding a text computed by the rule and not yet interned, made with `texts`.
    new_texts: Vec<(Row, Vec<(KindId, u32)>)>,
    texts: Texts,
    result: Result<(), LimitHit>,
}

impl ChunkWalker<'_> {
    /// Walks the plan over `chunk` (the whole outer range when `None`), reading the database
    /// only: what it derives is kept for the caller to add. Stops early when the chunk alone
    /// derives more than `rows_left` rows or `memory_left` bytes. With `drop_known`, the
    /// packed rows the head kind already holds are dropped before they are handed back (by
    /// each worker, in parallel, instead of one by one when the rows are added).
    fn walk(
        &self,
        db: &Database,
        budget: &Budget,
        chunk: Option<Range<u32>>,
        rows_left: u64,
        memory_left: u64,
        drop_known: bool,
    ) -> Walked {
        let (rule, texts) = (self.rule, Texts::default());
        let mut out = Derived {
            width: self.width,
            status: self.ranges.level,
            keys: Vec::new(),
            hashes: Vec::new(),
            values: Vec::new(),
        };
        let mut new_texts = Vec::new();
        let mut head = vec![Value::Null; self.width];
        let head_rel = &db.kind(rule.head_kind).relation;
        let guards = IndexGuards::new(db, rule, &rule.body, &self.plan.steps);
        let ints = IntPlan::new(db, rule, self.plan, self.ranges, chunk.clone(), &guards);
        let mut frame = Frame::new(db, &texts, rule, self.ranges, &guards, chunk);
        let order = &self.order;
        // Whether a row is new is found when it is added (one look-up, not two).
        let result = match &ints {
            Some(ints) => ints.walk(budget, &mut |regs| {
                let cells = ints.head().iter().map(|h| h.map(|v| regs[v]));
                match pack_ints(cells) {
                    Some(k) => out.keys.push(k),
                    None => {
                        for (cell, h) in head.iter_mut().zip(ints.head()) {
                            *cell = h.map_or(Value::Null, |v| Value::Num(f64::from(regs[v])));
                        }
                        out.push(&head, head_rel);
                    }
                }
                out.within(0, rows_left, memory_left, budget)
            }),
            None => walk(&mut frame, &rule.body, &self.plan.steps, budget, &mut |f| {
                head_values(f, &mut head)?;
                if Texts::in_row(&head) {
                    let premises = order.iter().map(|&i| f.premises[i]).collect();
                    new_texts.push((head.clone().into(), premises));
                } else {
                    out.push(&head, head_rel);
                }
                out.within(new_texts.len(), rows_left, memory_left, budget)
            }),
        };
        drop(frame);
        drop(guards);
        if drop_known && result.is_ok() {
            out.drop_known(head_rel);
        }
        Walked {
            out,
            new_texts,
            texts,
            result,
        }
    }
}

/// The premises (in body order) of the first derivation of `target` that walking `plan` over
/// `ranges` meets — the one that added it, when `ranges` and `plan` are its round's: a walk
/// over the whole outer range meets the bindings in the order the round's chunks did.
pub(super) fn first_derivation(
    db: &Database,
    rule: &CheckedRule,
    plan: &RulePlan,
    ranges: &Ranges,
    target: &[Value],
) -> Option<Vec<(KindId, u32)>> {
    let budget = Budget::new(u64::MAX, std::time::Duration::MAX, Default::default());
    build_indexes(db, rule, plan, &budget).ok()?;
    let guards = IndexGuards::new(db, rule, &rule.body, &plan.steps);
    let texts = Texts::default();
    // The head's variables are bound to the row's values as soon as a join reads them.
    let mut want = vec![Value::Null; rule.var_names.len()];
    for (col, arg) in &rule.head {
        if let HeadArg::Expr(Expr::Var(v)) = arg {
            want[*v] = target.get(*col).cloned().unwrap_or(Value::Null);
        }
    }
    let mut frame = Frame::new(db, &texts, rule, ranges, &guards, None);
    frame.want = Some(&want);
    let order = plan.body_order();
    let mut head = vec![Value::Null; target.len()];
    let mut found = None;
    let _ = walk(&mut frame, &rule.body, &plan.steps, &budget, &mut |f| {
        head_values(f, &mut head)?;
        if head == target {
            found = Some(order.iter().map(|&i| f.premises[i]).collect());
            // Found: the walk stops here.
            return Err(LimitHit::Interrupted);
        }
        Ok(())
    });
    found
}

/// The report for an expression that has no value, naming the rule and the values it had.
fn eval_failed(f: &Frame, e: EvalError) -> LimitHit {
    let shown: Vec<String> = f
        .rule
        .var_names
        .iter()
        .zip(&f.values)
        .filter(|(name, v)| name.starts_with('?') && name.as_str() != "?_" && !v.is_null())
        .map(|(name, v)| {
            let v = match v {
                Value::Text(s) => format!("\"{}\"", f.texts.resolve(f.db, *s)),
                _ => f.db.display(v),
            };
            format!("{name} = {v}")
        })
        .collect();
    let mut d = Diagnostic::error(
        format!("{}, in rule {}", e.message, f.rule.index + 1),
        f.rule.span,
        "in this rule",
    );
    if !shown.is_empty() {
        d = d.with_note(format!("with {}", shown.join(", ")));
    }
    LimitHit::Failed(Box::new(d))
}

/// The value of `e` in the frame.
fn value_of(f: &Frame, e: &Expr) -> Result<Value, LimitHit> {
    match e {
        Expr::Var(v) => Ok(f.values[*v].clone()),
        _ => eval(f.db, f.texts, e, &f.values).map_err(|err| eval_failed(f, err)),
    }
}

/// The head's values for the frame's binding, written into `row` (aggregates left unknown).
fn head_values(f: &Frame, row: &mut [Value]) -> Result<(), LimitHit> {
    for (col, arg) in &f.rule.head {
        row[*col] = match arg {
            HeadArg::Expr(e) => value_of(f, e)?,
            HeadArg::Agg(..) => Value::Null,
        };
    }
    Ok(())
}

/// Depth-first over the plan's steps (over `body`: the rule's, or an aggregate's own);
/// `emit` is called for each complete binding.
fn walk(
    f: &mut Frame,
    body: &[BodyLit],
    steps: &[Step],
    budget: &Budget,
    emit: &mut dyn FnMut(&Frame) -> Result<(), LimitHit>,
) -> Result<(), LimitHit> {
    let Some((step, rest)) = steps.split_first() else {
        return emit(f);
    };
    match step {
        Step::Filter(i) => {
            if filter_holds(f, &body[*i])? {
                walk(f, body, rest, budget, emit)?;
            }
            Ok(())
        }
        Step::Bind(i) => {
            let BodyLit::Bind(v, e) = &body[*i] else {
                return walk(f, body, rest, budget, emit);
            };
            let value = value_of(f, e)?;
            bind_and_walk(f, *v, value, body, rest, budget, emit)
        }
        Step::Aggregate { lit, plan } => {
            let BodyLit::Aggregate(v, agg) = &body[*lit] else {
                return walk(f, body, rest, budget, emit);
            };
            let mut values = Vec::new();
            let mut matches = 0usize;
            // An aggregate counts every row, whatever the pass, and is as strong as the
            // weakest row it counts: weaker than this pass, it is left to a later pass.
            let mut weakest = Status::Stated;
            // The weakest row counted, kept as a premise where the status is read from the
            // premises (inside a head aggregate or another aggregate), so it passes up.
            let mut weakest_row = None;
            let nested = std::mem::replace(&mut f.every_status, true);
            let counted = walk(f, &agg.body, plan, budget, &mut |inner| {
                matches += 1;
                for &(k, r) in &inner.premises {
                    let s = inner.db.kind(k).relation.status(r);
                    if s < weakest || weakest_row.is_none() {
                        weakest = weakest.min(s);
                        weakest_row = Some((k, r));
                    }
                }
                if let Some(e) = &agg.arg {
                    let v = value_of(inner, e)?;
                    if !v.is_null() {
                        values.push(v);
                    }
                }
                Ok(())
            });
            f.every_status = nested;
            counted?;
            if weakest < f.ranges.level && !f.every_status {
                return Ok(());
            }
            let Some(value) = fold(f, agg.func, agg.arg.is_some(), matches, values)? else {
                // `min`, `max` and `mean` of nothing: no value, so no match.
                return Ok(());
            };
            let carried = match weakest_row {
                Some(p)
                    if (f.every_status || f.rule.has_aggregate()) && weakest < Status::Stated =>
                {
                    f.premises.push(p);
                    true
                }
                _ => false,
            };
            let result = bind_and_walk(f, *v, value, body, rest, budget, emit);
            if carried {
                f.premises.pop();
            }
            result
        }
        Step::Join {
            kind,
            rows,
            key,
            args,
            ..
        } => {
            let rel = &f.db.kind(*kind).relation;
            let range = match (f.outer.take(), rows) {
                (Some(chunk), _) => chunk,
                (None, Rows::All) => 0..f.ranges.all.get(kind).copied().unwrap_or(0),
                (None, Rows::Delta) => f.ranges.delta.get(kind).cloned().unwrap_or(0..0),
            };
            match key {
                Some((col, slot)) => {
                    // Built before the walk (`build_indexes`) and open for all of it.
                    let guards = f.guards;
                    let list = guards.rows(*kind, *col, slot_value(slot, &f.values));
                    let lo = list.partition_point(|&r| r < range.start);
                    let hi = list.partition_point(|&r| r < range.end);
                    for &r in &list[lo..hi] {
                        join_row(f, rel, *kind, r, args, body, rest, budget, emit)?;
                    }
                }
                None => {
                    for r in range {
                        join_row(f, rel, *kind, r, args, body, rest, budget, emit)?;
                    }
                }
            }
            Ok(())
        }
    }
}

/// Gives `v` the value `value` for the rest of the walk (an unknown value binds nothing, as it
/// joins with nothing).
fn bind_and_walk(
    f: &mut Frame,
    v: usize,
    value: Value,
    body: &[BodyLit],
    rest: &[Step],
    budget: &Budget,
    emit: &mut dyn FnMut(&Frame) -> Result<(), LimitHit>,
) -> Result<(), LimitHit> {
    if value.is_null() {
        return Ok(());
    }
    f.values[v] = value;
    let result = walk(f, body, rest, budget, emit);
    f.values[v] = Value::Null;
    result
}

/// Does row `r` of `kind` (whose relation is `rel`) hold `v` in column `col`?
#[inline]
fn cell_is(
    db: &Database,
    kind: KindId,
    rel: &crate::store::Relation,
    r: u32,
    col: usize,
    v: &Value,
) -> bool {
    if virtual_cols::is_virtual(col) {
        db.cell_at(kind, r, col) == *v
    } else {
        rel.eq_at(r, col, v)
    }
}

/// Matches row `r` of `rel` against an atom's arguments, binding its variables, and walks on.
#[allow(clippy::too_many_arguments)]
fn join_row(
    f: &mut Frame,
    rel: &crate::store::Relation,
    kind: KindId,
    r: u32,
    args: &[(usize, Match)],
    body: &[BodyLit],
    rest: &[Step],
    budget: &Budget,
    emit: &mut dyn FnMut(&Frame) -> Result<(), LimitHit>,
) -> Result<(), LimitHit> {
    f.steps_done += 1;
    if f.steps_done.is_multiple_of(1024) {
        budget.check()?;
    }
    // A row weaker than the pass's status is not read in this pass.
    if !f.every_status
        && f.ranges.weaker.get(kind).copied().unwrap_or(false)
        && rel.status(r) < f.ranges.level
    {
        return Ok(());
    }
    let mut ok = true;
    for (col, m) in args {
        match m {
            Match::Check(slot) => {
                let v = slot_value(slot, &f.values);
                // An unknown value joins with nothing.
                if v.is_null() || !cell_is(f.db, kind, rel, r, *col, v) {
                    ok = false;
                    break;
                }
            }
            Match::Bind(v) => {
                let x = if virtual_cols::is_virtual(*col) {
                    f.db.cell_at(kind, r, *col)
                } else {
                    rel.get(r, *col)
                };
                if x.is_null() || f.want.is_some_and(|w| !w[*v].is_null() && w[*v] != x) {
                    ok = false;
                    break;
                }
                f.values[*v] = x;
            }
        }
    }
    let result = if ok {
        f.premises.push((kind, r));
        let result = walk(f, body, rest, budget, emit);
        f.premises.pop();
        result
    } else {
        Ok(())
    };
    for (_, m) in args {
        if let Match::Bind(v) = m {
            f.values[*v] = Value::Null;
        }
    }
    result
}

fn filter_holds(f: &Frame, lit: &BodyLit) -> Result<bool, LimitHit> {
    Ok(match lit {
        BodyLit::Compare(l, op, r) => compare_in(f, &value_of(f, l)?, *op, &value_of(f, r)?),
        BodyLit::Bind(v, e) => compare_in(
            f,
            &f.values[*v],
            crate::syntax::ast::CmpOp::Eq,
            &value_of(f, e)?,
        ),
        BodyLit::Time(l, rel, m, r) => match (value_of(f, l)?, value_of(f, r)?) {
            (Value::Date(a), Value::Date(b)) => a.relates(*rel, &b, *m, f.db.widening),
            _ => false,
        },
        BodyLit::Not(a) => {
            let rel = &f.db.kind(a.kind).relation;
            let matches_row = |r: u32| {
                a.args.iter().all(|(col, s)| {
                    is_any(f.rule, s)
                        || cell_is(f.db, a.kind, rel, r, *col, slot_value(s, &f.values))
                })
            };
            match not_key(f.rule, a) {
                Some((col, s)) => {
                    let v = slot_value(s, &f.values);
                    // Built before the walk (`build_indexes`) and open for all of it.
                    !f.guards
                        .rows(a.kind, *col, v)
                        .iter()
                        .any(|&r| matches_row(r))
                }
                None => !(0..rel.len() as u32).any(matches_row),
            }
        }
        BodyLit::Atom(_) | BodyLit::Aggregate(..) => true,
    })
}

/// [`compare`], reading texts computed by the rule too.
fn compare_in(f: &Frame, a: &Value, op: crate::syntax::ast::CmpOp, b: &Value) -> bool {
    use crate::syntax::ast::CmpOp;
    match (a, b, op) {
        // Texts compare by their symbols for (in)equality, by their letters for order.
        (Value::Text(x), Value::Text(y), CmpOp::Lt | CmpOp::Le | CmpOp::Gt | CmpOp::Ge)
            if Texts::is_scratch(*x) || Texts::is_scratch(*y) =>
        {
            let (x, y) = (
                f.texts.resolve(f.db, *x).to_lowercase(),
                f.texts.resolve(f.db, *y).to_lowercase(),
            );
            match op {
                CmpOp::Lt => x < y,
                CmpOp::Le => x <= y,
                CmpOp::Gt => x > y,
                _ => x >= y,
            }
        }
        _ => compare(f.db, a, op, b),
    }
}

/// Groups the bindings by the head's other columns and aggregates each group: `count(e)`
/// counts the distinct known values of `e`; `count()`, `sum(e)` and `mean(e)` run over every
/// match of the body (two edges of weight 5 sum to 10); `min`/`max` pick a value.
///
/// Over no match at all, a head without grouping columns still gets its row when every
/// aggregate has a value over nothing — `count` and `sum` are 0 (as in SQL and Soufflé) —
/// and no row when one is `min`, `max` or `mean`, which have none.
fn aggregate(
    db: &Database,
    texts: &Texts,
    rule: &CheckedRule,
    width: usize,
    bindings: Vec<Binding>,
    pending: &mut Vec<Pending>,
) -> Result<(), LimitHit> {
    let no_indexes = IndexGuards { open: Vec::new() };
    let frame = |values: Vec<Value>| {
        let mut f = Frame::new(db, texts, rule, &NO_RANGES, &no_indexes, None);
        f.values = values;
        f
    };
    let mut groups: Vec<(Row, Vec<Binding>)> = Vec::new();
    let mut index: HashMap<Row, usize> = HashMap::new();
    for b in bindings {
        let f = frame(b.0);
        let mut key = vec![Value::Null; width];
        head_values(&f, &mut key)?;
        let key: Row = key.into();
        let i = *index.entry(key.clone()).or_insert_with(|| {
            groups.push((key, vec![]));
            groups.len() - 1
        });
        groups[i].1.push((f.values, b.1));
    }
    let grouped = rule.head.iter().any(|(_, a)| match a {
        HeadArg::Expr(e) => {
            let mut vars = Vec::new();
            e.vars(&mut vars);
            !vars.is_empty()
        }
        HeadArg::Agg(..) => false,
    });
    if groups.is_empty() && !grouped {
        let mut key = vec![Value::Null; width];
        head_values(&frame(vec![Value::Null; rule.var_names.len()]), &mut key)?;
        groups.push((key.into(), vec![]));
    }
    'group: for (key, members) in groups {
        let mut row = key.to_vec();
        for (col, arg) in &rule.head {
            let HeadArg::Agg(func, arg) = arg else {
                continue;
            };
            let mut values: Vec<Value> = Vec::with_capacity(members.len());
            if let Some(e) = arg {
                for (vals, _) in &members {
                    let f = frame(vals.clone());
                    let v = value_of(&f, e)?;
                    if !v.is_null() {
                        values.push(v);
                    }
                }
            }
            let f = frame(vec![]);
            match fold(&f, *func, arg.is_some(), members.len(), values)? {
                Some(v) => row[*col] = v,
                None => continue 'group,
            }
        }
        let mut premises: Vec<(KindId, u32)> = members
            .iter()
            .flat_map(|(_, p)| p.iter().copied())
            .collect();
        premises.sort_unstable();
        premises.dedup();
        // As strong as the weakest row it summarises.
        let status = premises
            .iter()
            .map(|&(k, r)| db.kind(k).relation.status(r))
            .min()
            .unwrap_or(Status::Stated);
        premises.truncate(MAX_AGG_PREMISES);
        pending.push((
            rule.head_kind,
            row.into(),
            Origin::Derived {
                rule: rule.index,
                premises,
                status,
                round: None,
            },
        ));
    }
    Ok(())
}

/// An aggregate's value over `matches` matches whose (known) values are `values`: `count()`
/// counts the matches, `count(e)` the distinct values; `sum` and `mean` take every value;
/// `min` and `max` pick one. `None` when there is no value (`min`, `max`, `mean` of nothing).
fn fold(
    f: &Frame,
    func: AggFn,
    has_arg: bool,
    matches: usize,
    values: Vec<Value>,
) -> Result<Option<Value>, LimitHit> {
    let numbers = || {
        values.iter().filter_map(|v| match v {
            Value::Num(n) => Some(*n),
            _ => None,
        })
    };
    Ok(Some(match func {
        AggFn::Count if !has_arg => Value::Num(matches as f64),
        AggFn::Count => {
            let distinct: std::collections::HashSet<&Value> = values.iter().collect();
            Value::Num(distinct.len() as f64)
        }
        AggFn::Sum => Value::Num(sum(f, numbers())?),
        AggFn::Mean => {
            let n = numbers().count();
            if n == 0 {
                return Ok(None);
            }
            Value::Num(sum(f, numbers())? / n as f64)
        }
        AggFn::Min | AggFn::Max => {
            let best = values.iter().reduce(|best, v| {
                let o = order(f.db, v, best);
                let better = if func == AggFn::Min {
                    o.is_lt()
                } else {
                    o.is_gt()
                };
                if better { v } else { best }
            });
            match best {
                Some(v) => v.clone(),
                None => return Ok(None),
            }
        }
    }))
}

/// Row ranges for a frame that joins nothing (an aggregate's per-match evaluation).
static NO_RANGES: std::sync::LazyLock<Ranges> = std::sync::LazyLock::new(Ranges::default);

/// The sum of `numbers`, exact on integers: an overflow is an error naming the rule.
fn sum(f: &Frame, numbers: impl Iterator<Item = f64>) -> Result<f64, LimitHit> {
    let mut total = 0.0;
    for n in numbers {
        total = super::expr::arithmetic(crate::syntax::ast::BinOp::Add, total, n).map_err(|e| {
            eval_failed(
                f,
                EvalError {
                    message: format!("{} (in `sum`)", e.message),
                },
            )
        })?;
    }
    Ok(total)
}

/// An aggregate's `why` lists at most this many of the facts it counted.
const MAX_AGG_PREMISES: usize = 64;

/// The order `min` and `max` use: numbers and dates by value, texts and names as `<` compares
/// them (case-insensitively).
fn order(db: &Database, a: &Value, b: &Value) -> std::cmp::Ordering {
    use crate::syntax::ast::CmpOp;
    match (a, b) {
        (Value::Num(x), Value::Num(y)) => x.total_cmp(y),
        (Value::Date(x), Value::Date(y)) => x.sort_cmp(y),
        _ if compare(db, a, CmpOp::Lt, b) => std::cmp::Ordering::Less,
        _ if compare(db, a, CmpOp::Gt, b) => std::cmp::Ordering::Greater,
        _ => std::cmp::Ordering::Equal,
    }
}
