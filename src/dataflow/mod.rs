//! The second back end (`--engine dataflow`): the checked, stratified program lowered to
//! differential dataflow ([`lower`]), rendered in timely workers ([`render`], [`runtime`]) on
//! threads or across processes ([`cluster`]), kept alive between statements so that new facts
//! update the derived kinds incrementally.
//!
//! The session still owns the database: the engine feeds it the base rows it has not seen yet,
//! and writes the changes to derived kinds back into their relations, so queries, output
//! formats and `:kinds` work as with the local engine. Derived rows carry no premises here;
//! `why` hands the question to the local engine (src/dataflow/hook.rs).

pub mod cell;
pub mod cluster;
mod compute;
mod hook;
pub use hook::Route;
pub mod lower;
pub mod render;
pub mod runtime;

pub use lower::{Program, lower};
pub use runtime::Options;

use crate::check::{CheckedRule, Strata};
use crate::eval::{Budget, LimitHit};
use crate::store::{Database, KindId, RowOrigin, Status, Value};
use runtime::{Change, Runtime, Wait};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What one refresh did, for `--timing`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Refresh {
    /// The dataflow was (re)built and fed every row, not updated.
    pub full: bool,
    /// Input rows handed to the dataflow.
    pub fed: usize,
    pub added: usize,
    pub removed: usize,
    pub time: Duration,
}

impl Refresh {
    /// `Dataflow: computed from scratch in 12.3 ms (…)`.
    pub fn describe(&self) -> String {
        format!(
            "Dataflow: {} in {:.3} ms ({} input row{}, +{} −{} derived)\n",
            if self.full {
                "computed from scratch"
            } else {
                "updated incrementally"
            },
            self.time.as_secs_f64() * 1000.0,
            self.fed,
            if self.fed == 1 { "" } else { "s" },
            self.added,
            self.removed
        )
    }
}

/// The session's place for its engine. A copy of a session starts without one (workers are
/// threads and connections, which a copy cannot share).
#[derive(Default)]
pub struct Slot(pub Option<Engine>);

impl Clone for Slot {
    fn clone(&self) -> Self {
        Slot(None)
    }
}

/// The dataflow engine of a session.
pub struct Engine {
    runtime: Runtime,
    program: Option<Arc<Program>>,
    /// How many rules the running dataflow was built from, and how many of them ran (the
    /// others set aside).
    rules_seen: (usize, usize),
    /// Rows of each input (by slot) already handed to the workers.
    fed: Vec<usize>,
    /// The dataflow no longer matches the database (a reset, an interrupted update).
    stale: bool,
    /// What the last refresh did.
    pub last: Option<Refresh>,
    /// Why the workers stopped, when they did.
    pub failure: Option<String>,
    /// The dates the cells stand for (shared with the workers).
    dates: cell::DateTable,
    /// The derived rows were written by the dataflow (without premises, which `why` needs).
    pub origins_missing: bool,
}

impl Engine {
    /// Starts the workers (connecting to the other processes in cluster mode).
    pub fn start(options: Options) -> Result<Engine, String> {
        Ok(Engine {
            runtime: Runtime::start(options)?,
            program: None,
            rules_seen: (0, 0),
            fed: vec![],
            stale: true,
            last: None,
            failure: None,
            origins_missing: false,
            dates: cell::DateTable::default(),
        })
    }

    pub fn options(&self) -> &Options {
        &self.runtime.options
    }

    /// The table of dates the cells stand for.
    pub fn dates(&self) -> &cell::DateTable {
        &self.dates
    }

    /// Forgets what the dataflow holds: the next refresh builds it again.
    pub fn invalidate(&mut self) {
        self.stale = true;
    }

    /// Must the dataflow be built again (new rules, a rule set aside, or it no longer matches
    /// the database)?
    pub fn needs_refresh(&self, rules: &[CheckedRule], strata: &Strata) -> bool {
        self.stale || self.program.is_none() || self.rules_seen != seen(rules, strata)
    }

    /// The lowering of the running program, for `explain`.
    pub fn describe(&self, db: &Database) -> String {
        let o = self.options();
        match &self.program {
            Some(p) => p.describe(db, o.workers.max(1), o.processes()),
            None => "Engine: differential dataflow (no rules yet).\n".into(),
        }
    }

    /// Brings the derived kinds of `db` up to date: builds the dataflow when the rules changed
    /// (or it is stale), otherwise feeds it only the rows added since, and writes what changed
    /// into the derived relations.
    pub fn refresh(
        &mut self,
        db: &mut Database,
        rules: &[CheckedRule],
        strata: &Strata,
        budget: &mut Budget,
    ) -> Result<Refresh, LimitHit> {
        let started = Instant::now();
        let shrunk = match &self.program {
            Some(p) => p
                .inputs
                .iter()
                .zip(&self.fed)
                .any(|((k, _), n)| db.kind(*k).relation.len() < *n),
            None => true,
        };
        // The order of names covers the symbols known when it was made: new ones, new order.
        let new_names = self.program.as_ref().is_some_and(|p| {
            p.names
                .as_ref()
                .is_some_and(|n| n.symbols() != db.interner.len())
        });
        // Rows carry their status only when some are not stated: a first one, a rebuild.
        let statuses = self
            .program
            .as_ref()
            .is_some_and(|p| p.statuses.is_some() != lower::needs_statuses(db, rules));
        let full =
            self.stale || shrunk || new_names || statuses || self.rules_seen != seen(rules, strata);
        let mut check = || budget.check().is_ok();
        if full {
            // Checked when each rule was added (`lower` refuses there), so this succeeds.
            let program = match lower(db, rules, strata, &self.dates) {
                Ok(p) => Arc::new(p),
                Err(_) => return Err(LimitHit::Interrupted),
            };
            for (k, _) in &program.outputs {
                db.kind_mut(*k).clear_derived();
            }
            match self.runtime.build(program.clone(), &mut check) {
                Wait::Done(_) => {}
                Wait::Aborted => return Err(self.abandon(LimitHit::Interrupted)),
                Wait::Failed(e) => return Err(self.fail(e)),
            }
            self.fed = vec![0; program.inputs.len()];
            self.program = Some(program);
            self.rules_seen = seen(rules, strata);
            self.stale = false;
        }
        let Some(program) = self.program.clone() else {
            return Ok(Refresh::default());
        };
        let (changes, fed) = self.new_rows(db, &program);
        let outputs = match self.runtime.update(changes, &mut check) {
            Wait::Done(o) => o,
            Wait::Aborted => {
                let hit = budget.check().err().unwrap_or(LimitHit::Interrupted);
                return Err(self.abandon(hit));
            }
            Wait::Failed(e) => return Err(self.fail(e)),
        };
        if let Some((rule, d)) = failure(db, &program, rules, &outputs, &self.dates) {
            budget.working_on(0, Some(rule));
            return Err(self.abandon(LimitHit::Failed(Box::new(d))));
        }
        let (added, removed, rebuilt) = apply(db, &program, rules, outputs);
        // Rows moved: what was fed is no longer a prefix, so the next refresh starts again.
        self.stale |= rebuilt && program.inputs.iter().any(|(k, _)| derives(&program, *k));
        let refresh = Refresh {
            full,
            fed,
            added,
            removed,
            time: started.elapsed(),
        };
        if let Err(hit) = budget.spend(added as u64) {
            return Err(self.abandon(hit));
        }
        self.last = Some(refresh.clone());
        Ok(refresh)
    }

    fn abandon(&mut self, hit: LimitHit) -> LimitHit {
        self.stale = true;
        hit
    }

    fn fail(&mut self, e: String) -> LimitHit {
        self.stale = true;
        self.failure = Some(e);
        LimitHit::Interrupted
    }

    /// This process's share of the rows not yet fed, per local worker: row `i` of an input
    /// goes to worker `i % peers` (each process reads every input, and feeds only its share;
    /// it encodes every row, so that every process numbers the dates alike).
    fn new_rows(&mut self, db: &Database, program: &Program) -> (Vec<Vec<Change>>, usize) {
        let (peers, first, local) = (
            self.runtime.peers(),
            self.runtime.first_worker(),
            self.runtime.options.workers.max(1),
        );
        let mut changes: Vec<Vec<Change>> = vec![vec![]; local];
        let mut dates = self.dates.write().unwrap_or_else(|e| e.into_inner());
        let mut fed = 0;
        for (slot, (kind, _)) in program.inputs.iter().enumerate() {
            let rel = &db.kind(*kind).relation;
            let (from, to) = (self.fed[slot], rel.len());
            for i in from..to {
                // A kind with facts and rules: only its facts are input.
                if rel.rule_of(i as u32).is_some() {
                    continue;
                }
                let mut row: cell::Tuple = (0..rel.width())
                    .map(|c| cell::encode(&rel.get(i as u32, c), &mut dates).unwrap_or(cell::NULL))
                    .collect();
                if let Some(cells) = program.statuses {
                    row.push(cells[rel.status(i as u32) as usize]);
                }
                let w = i % peers;
                if (first..first + local).contains(&w) {
                    changes[w - first].push((slot, row, 1));
                }
            }
            fed += to - from;
            self.fed[slot] = to;
        }
        (changes, fed)
    }
}

/// How many rules there are, and how many of them run.
fn seen(rules: &[CheckedRule], strata: &Strata) -> (usize, usize) {
    let running = strata.strata.iter().map(|(members, _)| members.len()).sum();
    (rules.len(), running)
}

/// The rule and the report of the first failure row (an expression without a value), if any.
fn failure(
    db: &Database,
    program: &Program,
    rules: &[CheckedRule],
    outputs: &[runtime::Output],
    dates: &cell::DateTable,
) -> Option<(usize, crate::diagnostic::Diagnostic)> {
    let mut failed: Vec<&cell::Tuple> = outputs
        .iter()
        .filter(|(k, _, d)| *k == compute::FAILED && *d > 0)
        .map(|(_, row, _)| row)
        .collect();
    failed.sort_unstable();
    let row = failed.first()?;
    let index = *row.first()? as usize;
    let rule = rules.iter().find(|r| r.index == index)?;
    let lowered = program
        .strata
        .iter()
        .flat_map(|s| &s.rules)
        .find(|r| r.index == index)?;
    let dates = dates.read().unwrap_or_else(|e| e.into_inner());
    let report = compute::report(db, rule, &row[1..], &lowered.var_types, &dates);
    Some((index, report))
}

/// Writes the derived changes into the relations: additions are appended; a kind that lost
/// rows is rebuilt without them. Returns (added, removed, whether a relation was rebuilt).
fn apply(
    db: &mut Database,
    program: &Program,
    rules: &[CheckedRule],
    mut outputs: Vec<runtime::Output>,
) -> (usize, usize, bool) {
    let dates = program.dates.read().unwrap_or_else(|e| e.into_inner());
    // A stable order, whatever order the workers sent them in.
    outputs.sort_unstable();
    let mut merged: Vec<runtime::Output> = Vec::with_capacity(outputs.len());
    for (k, row, d) in outputs {
        match merged.last_mut() {
            Some((k2, row2, d2)) if *k2 == k && *row2 == row => *d2 += d,
            _ => merged.push((k, row, d)),
        }
    }
    let (mut added, mut removed) = (0, 0);
    let mut rebuilt = false;
    for (kind, types) in &program.outputs {
        let rule = rules
            .iter()
            .find(|r| r.head_kind == *kind)
            .map_or(0, |r| r.index);
        // A row's status: its last cell, with statuses; else every derived row is stated.
        let status_of = |row: &cell::Tuple| -> Status {
            match (program.statuses, row.get(types.len())) {
                (Some(cells), Some(c)) => match cells.iter().position(|x| x == c) {
                    Some(0) => Status::Background,
                    Some(1) => Status::Inferred,
                    _ => Status::Stated,
                },
                _ => Status::Stated,
            }
        };
        let mine = merged.iter().filter(|(k, _, d)| k == kind && *d != 0);
        let decode = |row: &cell::Tuple| -> Vec<Value> {
            row.iter()
                .zip(types)
                .map(|(c, t)| cell::decode(*c, *t, &dates))
                .collect()
        };
        let gone: Vec<Vec<Value>> = mine
            .clone()
            .filter(|(_, _, d)| *d < 0)
            .map(|(_, r, _)| decode(r))
            .collect();
        let rel = &mut db.kind_mut(*kind).relation;
        if !gone.is_empty() {
            let gone: std::collections::HashSet<Vec<Value>> = gone.into_iter().collect();
            let keep: Vec<(crate::store::Row, crate::store::Origin)> = (0..rel.len() as u32)
                .filter(|&i| rel.rule_of(i).is_none() || !gone.contains(&rel.row(i).to_vec()))
                .map(|i| (rel.row(i), rel.origin(i)))
                .collect();
            removed += rel.len() - keep.len();
            rel.clear();
            for (r, o) in keep {
                rel.insert(r, o);
            }
            rebuilt = true;
        }
        for (_, row, _) in mine.filter(|(_, _, d)| *d > 0) {
            let origin = RowOrigin::Derived {
                rule,
                premises: &[],
                status: status_of(row),
            };
            if rel.insert_with(&decode(row), origin).1 {
                added += 1;
            }
        }
    }
    (added, removed, rebuilt)
}

/// Is `kind` one the dataflow derives?
pub fn derives(program: &Program, kind: KindId) -> bool {
    program.outputs.iter().any(|(k, _)| *k == kind)
}
