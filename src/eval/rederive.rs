//! Provenance on demand. A row a fixpoint derives keeps only its rule, status and round (eight
//! bytes, not its premises); the fixpoint logs, for every round, the row ranges it read and
//! the plans it ran. When `why`, `cite` or a proof asks for a row's premises, the round is
//! replayed for that one rule with the row's values required of the head: the first binding
//! that yields the row is the derivation that added it, so the answer is exactly what keeping
//! the premises would have given, for any number of threads.

use super::fixpoint::{Ranges, first_derivation};
use crate::check::rules::CheckedRule;
use crate::plan::rules::RulePlan;
use crate::store::{Database, KindId, Rederive};
use std::sync::{Arc, RwLock};

/// What one round read and ran.
struct Round {
    ranges: Ranges,
    /// The plans of the rules that ran, in the order they ran: (rule index, plan).
    ran: Vec<(usize, Arc<RulePlan>)>,
}

/// The rounds of one fixpoint, with the rules it ran.
pub(super) struct ProofLog {
    rules: Vec<CheckedRule>,
    rounds: RwLock<Vec<Round>>,
}

impl ProofLog {
    pub(super) fn new(rules: &[CheckedRule]) -> ProofLog {
        ProofLog {
            rules: rules.to_vec(),
            rounds: RwLock::new(Vec::new()),
        }
    }

    /// Round `round` begins, reading `ranges`.
    pub(super) fn begin_round(&self, round: u64, ranges: &Ranges) {
        if let Ok(mut rounds) = self.rounds.write() {
            debug_assert_eq!(rounds.len() as u64, round);
            rounds.push(Round {
                ranges: ranges.clone(),
                ran: Vec::new(),
            });
        }
    }

    /// Rule `rule` ran with `plan` in round `round` (over the round's ranges).
    pub(super) fn ran(&self, round: u64, rule: usize, plan: &Arc<RulePlan>) {
        if let Ok(mut rounds) = self.rounds.write()
            && let Some(r) = rounds.get_mut(round as usize)
        {
            r.ran.push((rule, plan.clone()));
        }
    }
}

impl Rederive for ProofLog {
    fn premises(
        &self,
        db: &Database,
        kind: KindId,
        row: u32,
        rule: usize,
        round: u32,
    ) -> Option<Vec<(KindId, u32)>> {
        let rule = self
            .rules
            .iter()
            .find(|r| r.index == rule && r.head_kind == kind)?;
        // Copied out, so no lock is held while the round is replayed (which may ask for the
        // premises of other rows).
        let (ranges, plans) = {
            let rounds = self.rounds.read().ok()?;
            let r = rounds.get(round as usize)?;
            let plans: Vec<Arc<RulePlan>> = r
                .ran
                .iter()
                .filter(|(i, _)| *i == rule.index)
                .map(|(_, p)| p.clone())
                .collect();
            (r.ranges.clone(), plans)
        };
        let target = db.kind(kind).relation.row(row);
        plans
            .iter()
            .find_map(|plan| first_derivation(db, rule, plan, &ranges, &target))
    }
}
