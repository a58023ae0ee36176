//! Rules → join plans. Atoms are ordered greedily: the delta atom first (in semi-naive rounds),
//! then the atom with the most bound arguments (ties: the smaller relation), each reached through
//! a hash index on a bound column when there is one; comparisons and `not` run as soon as their
//! variables are bound.

use crate::check::rules::{BodyLit, CAtom, CheckedRule, Slot, Var};
use crate::store::{Database, KindId};

/// Which rows of a relation an atom reads in a semi-naive round.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rows {
    /// Every row known at the start of the round.
    All,
    /// Only the rows new in the last round.
    Delta,
}

/// How one argument of an atom is matched.
#[derive(Clone, Debug, PartialEq)]
pub enum Match {
    /// The column must equal this value or already-bound variable.
    Check(Slot),
    /// The column's value binds this variable.
    Bind(Var),
}

/// One step of a rule's plan.
#[derive(Clone, Debug, PartialEq)]
pub enum Step {
    /// Read `kind` (through the index on `key` when set), matching `args`.
    Join {
        kind: KindId,
        /// Position of the atom in the rule's body.
        pos: usize,
        rows: Rows,
        key: Option<(usize, Slot)>,
        args: Vec<(usize, Match)>,
    },
    /// A comparison, time test or `not` from the body (by index); also a binding `?v = e`
    /// whose variable is already bound (then it tests equality).
    Filter(usize),
    /// A binding `?v = e` from the body (by index) that gives `v` its value.
    Bind(usize),
    /// `?v = agg(… : body)` from the body (by index): `plan` walks the aggregate's own body.
    Aggregate { lit: usize, plan: Vec<Step> },
}

/// The steps of one rule, in order.
#[derive(Clone, Debug)]
pub struct RulePlan {
    pub rule: usize,
    pub steps: Vec<Step>,
}

impl RulePlan {
    /// The kind this plan reads only the new rows of (`None` in a first round).
    pub fn delta_kind(&self) -> Option<KindId> {
        self.steps.iter().find_map(|s| match s {
            Step::Join {
                kind,
                rows: Rows::Delta,
                ..
            } => Some(*kind),
            _ => None,
        })
    }

    /// For premises gathered in join order, the permutation that puts them in body order.
    pub fn body_order(&self) -> Vec<usize> {
        let pos: Vec<usize> = self
            .steps
            .iter()
            .filter_map(|s| match s {
                Step::Join { pos, .. } => Some(*pos),
                Step::Filter(_) | Step::Bind(_) | Step::Aggregate { .. } => None,
            })
            .collect();
        let mut order: Vec<usize> = (0..pos.len()).collect();
        order.sort_by_key(|&i| pos[i]);
        order
    }
}

/// Variables a filter needs bound.
fn filter_vars(lit: &BodyLit) -> Vec<Var> {
    lit.needs()
}

fn bound_args(atom: &CAtom, bound: &[bool]) -> usize {
    atom.args
        .iter()
        .filter(|(_, s)| match s {
            Slot::Const(_) => true,
            Slot::Var(v) => bound[*v],
        })
        .count()
}

/// Plans `rule`; `delta` is the body position read from the last round's new rows, if any.
pub fn plan_rule(db: &Database, rule: &CheckedRule, delta: Option<usize>) -> RulePlan {
    let bound = vec![false; rule.var_names.len()];
    RulePlan {
        rule: rule.index,
        steps: plan_body(db, &rule.body, &rule.var_names, bound, delta),
    }
}

/// Plans a body (a rule's, or an aggregate's own with the rule's variables `bound` so far).
fn plan_body(
    db: &Database,
    body: &[BodyLit],
    var_names: &[String],
    mut bound: Vec<bool>,
    delta: Option<usize>,
) -> Vec<Step> {
    let mut placed = vec![false; body.len()];
    let mut steps = Vec::new();
    let atoms: Vec<usize> = (0..body.len())
        .filter(|&i| matches!(body[i], BodyLit::Atom(_)))
        .collect();
    // Filters and bindings run as soon as their variables are bound (a binding may make
    // another one ready); `not` with only `?_` variables (fully constant) can run first.
    let place_filters = |bound: &mut [bool], placed: &mut [bool], steps: &mut Vec<Step>| loop {
        let mut progress = false;
        for (i, lit) in body.iter().enumerate() {
            if placed[i] || matches!(lit, BodyLit::Atom(_)) {
                continue;
            }
            let ready = filter_vars(lit)
                .iter()
                .all(|&v| bound[v] || var_names[v] == "?_" && matches!(lit, BodyLit::Not(_)));
            if ready {
                placed[i] = true;
                progress = true;
                match lit {
                    BodyLit::Bind(v, _) if !bound[*v] => {
                        bound[*v] = true;
                        steps.push(Step::Bind(i));
                    }
                    BodyLit::Aggregate(v, agg) => {
                        let plan = plan_body(db, &agg.body, var_names, bound.to_vec(), None);
                        bound[*v] = true;
                        steps.push(Step::Aggregate { lit: i, plan });
                    }
                    _ => steps.push(Step::Filter(i)),
                }
            }
        }
        if !progress {
            break;
        }
    };
    place_filters(&mut bound, &mut placed, &mut steps);
    for n in 0..atoms.len() {
        let pick = if let (0, Some(d)) = (n, delta) {
            d
        } else {
            *atoms
                .iter()
                .filter(|&&i| !placed[i])
                .max_by_key(|&&i| {
                    let BodyLit::Atom(a) = &body[i] else {
                        unreachable!()
                    };
                    let size = db.kind(a.kind).relation.len();
                    (bound_args(a, &bound), std::cmp::Reverse(size))
                })
                .expect("an atom is left")
        };
        placed[pick] = true;
        let BodyLit::Atom(atom) = &body[pick] else {
            unreachable!("only atoms are picked")
        };
        let mut key = None;
        let mut args = Vec::new();
        // The index key must be known before the atom is read: a variable repeated in this
        // atom (`edge(src: ?x, dst: ?x)`) is checked against the row, never looked up.
        let bound_before = bound.clone();
        for (col, slot) in &atom.args {
            let m = match slot {
                Slot::Const(_) => Match::Check(slot.clone()),
                Slot::Var(v) if bound[*v] => Match::Check(slot.clone()),
                Slot::Var(v) => {
                    bound[*v] = true;
                    Match::Bind(*v)
                }
            };
            // `status` and `cite` have no index: they are checked against each row read.
            if key.is_none()
                && !crate::store::virtual_cols::is_virtual(*col)
                && let Match::Check(s) = &m
                && !matches!(s, Slot::Var(v) if !bound_before[*v])
            {
                key = Some((*col, s.clone()));
            }
            args.push((*col, m));
        }
        steps.push(Step::Join {
            kind: atom.kind,
            pos: pick,
            rows: if Some(pick) == delta {
                Rows::Delta
            } else {
                Rows::All
            },
            key,
            args,
        });
        place_filters(&mut bound, &mut placed, &mut steps);
    }
    steps
}
