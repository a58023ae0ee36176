//! Measurements for `explain analyze`: the rows and time of each step of a query, and the time
//! of each rule and stratum of the fixpoint. Evaluation takes an `Option` of these, so asking for
//! nothing costs nothing but a branch.

use crate::plan::rules::RulePlan;
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// One step of a query as it ran.
#[derive(Clone, Debug, PartialEq)]
pub struct StepProfile {
    /// `access`, `filter`, `sort` or `output`.
    pub step: &'static str,
    /// Rows left after the step.
    pub rows: usize,
    pub time: Duration,
}

/// The steps of one query, in the order they ran.
#[derive(Clone, Debug)]
pub struct QueryProfile {
    pub steps: Vec<StepProfile>,
    lap_started: Instant,
}

impl Default for QueryProfile {
    fn default() -> Self {
        QueryProfile {
            steps: vec![],
            lap_started: Instant::now(),
        }
    }
}

impl QueryProfile {
    /// Records that `step` finished with `rows` rows, timing it from the end of the step before.
    pub(crate) fn lap(profile: &mut Option<&mut QueryProfile>, step: &'static str, rows: usize) {
        if let Some(p) = profile.as_deref_mut() {
            let now = Instant::now();
            p.steps.push(StepProfile {
                step,
                rows,
                time: now - p.lap_started,
            });
            p.lap_started = now;
        }
    }

    /// The step named `step`, if it ran.
    pub fn step(&self, step: &str) -> Option<&StepProfile> {
        self.steps.iter().find(|s| s.step == step)
    }
}

/// One stratum of the fixpoint as it ran.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StratumProfile {
    pub rounds: u64,
    /// New rows of derived kinds.
    pub derived: u64,
    pub time: Duration,
}

/// One plan of a rule over the whole fixpoint: the first round's, or a later round's (one per
/// recursive atom read from the last round's new rows).
#[derive(Clone, Debug)]
pub struct PlanProfile {
    /// The plan as it ran (its join order chosen with the sizes of that moment).
    pub plan: RulePlan,
    /// How many rounds ran it.
    pub runs: u64,
    pub time: Duration,
}

/// The fixpoint as it ran: each stratum in order, each rule's plans by the rule's index.
#[derive(Clone, Debug, Default)]
pub struct FixpointProfile {
    pub strata: Vec<StratumProfile>,
    pub rules: HashMap<usize, Vec<PlanProfile>>,
}

impl FixpointProfile {
    /// Records that `plan` of rule `rule` ran from `since` until now.
    pub(crate) fn rule_ran(
        profile: &mut Option<&mut FixpointProfile>,
        rule: usize,
        plan: &RulePlan,
        since: Instant,
    ) {
        let Some(p) = profile.as_deref_mut() else {
            return;
        };
        let plans = p.rules.entry(rule).or_default();
        let i = match plans.iter().position(|q| q.plan.steps == plan.steps) {
            Some(i) => i,
            None => {
                plans.push(PlanProfile {
                    plan: plan.clone(),
                    runs: 0,
                    time: Duration::ZERO,
                });
                plans.len() - 1
            }
        };
        plans[i].runs += 1;
        plans[i].time += since.elapsed();
    }
}
