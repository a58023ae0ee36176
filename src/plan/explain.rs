//! `explain` and `explain analyze`: a query's plan in words — how its rows are reached, filtered,
//! sorted and shown — and, for a derived kind, the strata and rules that compute it first, each
//! rule with its join plan. With measurements (from `explain analyze`) each step also says how
//! many rows it left and how long it took.

use super::rules::{Match, Rows, RulePlan, Step, plan_rule};
use super::{Access, Output, Plan};
use crate::check::rules::{BodyLit, CAtom, CheckedRule, Expr, Slot};
use crate::check::{Pred, Strata};
use crate::eval::{FixpointProfile, QueryProfile};
use crate::store::{Database, KindId, Value};
use std::time::Duration;

/// The session's rules, as `explain` needs them.
pub struct Program<'a> {
    pub rules: &'a [CheckedRule],
    pub strata: &'a Strata,
    /// Each rule's source text, by rule index.
    pub texts: &'a [String],
}

/// What `explain analyze` measured while running the query (and its rules).
pub struct Measured<'a> {
    pub query: &'a QueryProfile,
    /// The rules' fixpoint, when the query's kind is derived.
    pub fixpoint: Option<&'a FixpointProfile>,
    /// The whole statement, rules included.
    pub total: Duration,
}

/// The query's plan, then the rules behind its kind when it is derived.
pub fn explain(
    db: &Database,
    plan: &Plan,
    program: &Program,
    measured: Option<&Measured>,
) -> String {
    let mut out = query_tree(db, plan, measured.map(|m| m.query));
    let rules = rules_section(db, plan.kind, program, measured.and_then(|m| m.fixpoint));
    if !rules.is_empty() {
        out.push('\n');
        out.push_str(&rules);
    }
    if let Some(m) = measured {
        let rows = m.query.step("output").map_or(0, |s| s.rows);
        out.push_str(&format!(
            "\nin all: {} in {}\n",
            plural(rows as u64, "row"),
            millis(m.total)
        ));
    }
    // A blank line after, like a table's.
    out.push('\n');
    out
}

fn plural(n: u64, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

fn millis(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1000.0)
}

/// ` → 2 rows, 0.010 ms` for a measured step.
fn measured_step(profile: Option<&QueryProfile>, step: &str) -> String {
    match profile.and_then(|p| p.step(step)) {
        Some(s) => format!("  → {}, {}", plural(s.rows as u64, "row"), millis(s.time)),
        None => String::new(),
    }
}

/// The query's own steps, one a line, the first to run last.
fn query_tree(db: &Database, plan: &Plan, profile: Option<&QueryProfile>) -> String {
    let kind = db.kind(plan.kind);
    let mut steps = Vec::new();
    let names = |cols: &[crate::check::FieldRef]| {
        cols.iter()
            .map(|c| c.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let shown = measured_step(profile, "output");
    match &plan.output {
        Output::Rows(cols) => steps.push(format!("project {}{shown}", names(cols))),
        Output::Count(g) if g.is_empty() => steps.push(format!("count rows{shown}")),
        Output::Count(g) => steps.push(format!("count rows grouped by {}{shown}", names(g))),
    }
    if let Some(n) = plan.limit {
        steps.push(format!("limit {n}"));
    }
    if !plan.order.is_empty() {
        steps.push(format!(
            "sort by {}{}",
            plan.order
                .iter()
                .map(|(f, d)| format!("{}{}", f.name, if *d { " desc" } else { "" }))
                .collect::<Vec<_>>()
                .join(", "),
            measured_step(profile, "sort")
        ));
    }
    if let Some(f) = &plan.filter {
        steps.push(format!(
            "filter {}{}",
            describe_pred(db, f),
            measured_step(profile, "filter")
        ));
    }
    if db.trust > crate::store::Status::Background {
        steps.push(format!(
            "keep rows at least {} (:trust){}",
            db.trust,
            measured_step(profile, "trust")
        ));
    }
    let rows = kind.relation.len();
    let access = measured_step(profile, "access");
    steps.push(match &plan.access {
        Access::Scan => format!(
            "scan {} ({}){access}",
            kind.name,
            plural(rows as u64, "row")
        ),
        Access::Lookup { col, keys } => format!(
            "lookup {} by hash index on {} = {} ({rows} rows in all){access}",
            kind.name,
            kind.fields[*col].name,
            keys.iter()
                .map(|k| value_text(db, k))
                .collect::<Vec<_>>()
                .join(" | ")
        ),
        other => format!(
            "{} ({rows} rows in all){access}",
            super::describe_access(db, plan.kind, other)
        ),
    });
    let mut out = String::new();
    for (i, s) in steps.iter().enumerate() {
        if i == 0 {
            out.push_str(&format!("{s}\n"));
        } else {
            out.push_str(&format!("{}└─ {s}\n", "   ".repeat(i)));
        }
    }
    out
}

/// The rules a derived kind needs: its own, and those of every derived kind they read.
fn needed_rules(kind: KindId, rules: &[CheckedRule]) -> Vec<bool> {
    let mut needed_kind = vec![kind];
    let mut needed = vec![false; rules.len()];
    let mut changed = true;
    while changed {
        changed = false;
        for (i, r) in rules.iter().enumerate() {
            if needed[i] || !needed_kind.contains(&r.head_kind) {
                continue;
            }
            needed[i] = true;
            changed = true;
            for lit in &r.body {
                if let BodyLit::Atom(a) | BodyLit::Not(a) = lit
                    && !needed_kind.contains(&a.kind)
                {
                    needed_kind.push(a.kind);
                }
            }
        }
    }
    needed
}

/// For a derived kind: each stratum that leads to it, each rule with its join plans.
fn rules_section(
    db: &Database,
    kind: KindId,
    program: &Program,
    fixpoint: Option<&FixpointProfile>,
) -> String {
    let needed = needed_rules(kind, program.rules);
    if !needed.contains(&true) {
        return String::new();
    }
    let mut out = format!(
        "{} is derived: before the query, its rules run stratum by stratum, lowest first\n\
         (each stratum once over stated rows, then again with inferred, then background rows,\n\
         when there are any: what a pass adds has its status)\n",
        db.kind(kind).name
    );
    if fixpoint.is_none() {
        out.push_str("(join orders as chosen for the relation sizes now; `explain analyze` shows those used)\n");
    }
    for (n, (members, recursive)) in program.strata.strata.iter().enumerate() {
        let members: Vec<&CheckedRule> = members
            .iter()
            .filter(|&&i| needed.get(i) == Some(&true))
            .map(|&i| &program.rules[i])
            .collect();
        if members.is_empty() {
            continue;
        }
        let mut heads: Vec<KindId> = members.iter().map(|r| r.head_kind).collect();
        heads.dedup();
        let head_names: Vec<&str> = heads.iter().map(|&k| db.kind(k).name.as_str()).collect();
        out.push_str(&format!(
            "\nstratum {}{}: {}{}\n",
            n + 1,
            if *recursive { ", recursive" } else { "" },
            head_names.join(", "),
            fixpoint
                .and_then(|f| f.strata.get(n))
                .map(|s| format!(
                    "  → {}, {} derived, {}",
                    plural(s.rounds, "round"),
                    plural(s.derived, "row"),
                    millis(s.time)
                ))
                .unwrap_or_default()
        ));
        for r in &members {
            out.push_str(&rule_text(db, r, program, fixpoint));
            let plans = match fixpoint {
                Some(f) => f
                    .rules
                    .get(&r.index)
                    .map(|ps| {
                        ps.iter()
                            .map(|p| (p.plan.clone(), Some((p.runs, p.time))))
                            .collect()
                    })
                    .unwrap_or_default(),
                None => planned(db, r, &heads, *recursive),
            };
            for (plan, ran) in &plans {
                if plans.len() > 1 {
                    out.push_str(&plan_heading(db, plan, *ran));
                }
                out.push_str(&describe_rule_plan(db, r, plan));
            }
        }
    }
    out
}

/// `  rule 2  within(…) :- …`, with the rows it derived when measured.
fn rule_text(
    db: &Database,
    r: &CheckedRule,
    program: &Program,
    fixpoint: Option<&FixpointProfile>,
) -> String {
    let text = program
        .texts
        .get(r.index)
        .map(|t| t.split_whitespace().collect::<Vec<_>>().join(" "))
        .unwrap_or_default();
    let derived = fixpoint.map(|f| {
        let rel = &db.kind(r.head_kind).relation;
        let n = (0..rel.len() as u32)
            .filter(|&i| rel.rule_of(i) == Some(r.index))
            .count();
        let time = f
            .rules
            .get(&r.index)
            .map_or(Duration::ZERO, |ps| ps.iter().map(|p| p.time).sum());
        format!("  → {} derived, {}", plural(n as u64, "row"), millis(time))
    });
    format!(
        "  rule {}: {text}{}\n",
        r.index + 1,
        derived.unwrap_or_default()
    )
}

/// The plans the fixpoint would use for `r` now: the first round's, and in a recursive stratum
/// one per atom of the stratum's own kinds, read from the last round's new rows.
fn planned(
    db: &Database,
    r: &CheckedRule,
    heads: &[KindId],
    recursive: bool,
) -> Vec<(RulePlan, Option<(u64, Duration)>)> {
    let mut plans = vec![(plan_rule(db, r, None), None)];
    if recursive && !r.has_aggregate() {
        for (pos, lit) in r.body.iter().enumerate() {
            if let BodyLit::Atom(a) = lit
                && heads.contains(&a.kind)
            {
                plans.push((plan_rule(db, r, Some(pos)), None));
            }
        }
    }
    plans
}

/// `    first round:` or `    later rounds, from the new rows of within:`.
fn plan_heading(db: &Database, plan: &RulePlan, ran: Option<(u64, Duration)>) -> String {
    let delta = plan.delta_kind();
    let what = match delta {
        None => "first round".to_string(),
        Some(k) => format!(
            "later rounds, from the last round's new rows of {}",
            db.kind(k).name
        ),
    };
    let ran = ran
        .map(|(runs, time)| format!("  → ran {}, {}", plural(runs, "time"), millis(time)))
        .unwrap_or_default();
    format!("    {what}:{ran}\n")
}

/// A rule's plan in words, one step a line: what each join reads and binds, what each filter
/// keeps.
pub fn describe_rule_plan(db: &Database, rule: &CheckedRule, plan: &RulePlan) -> String {
    let var = |v: usize| rule.var_names[v].clone();
    let slot = |s: &Slot| match s {
        Slot::Var(v) => var(*v),
        Slot::Const(c) => value_text(db, c),
    };
    let mut out = String::new();
    for (n, step) in plan.steps.iter().enumerate() {
        let line = match step {
            Step::Join {
                kind,
                rows,
                key,
                args,
                ..
            } => {
                let k = db.kind(*kind);
                let (which, size) = if *rows == Rows::Delta {
                    (
                        "the new rows of ",
                        format!("{} rows in all", k.relation.len()),
                    )
                } else {
                    ("", plural(k.relation.len() as u64, "row"))
                };
                let mut line = match key {
                    Some((col, s)) => format!(
                        "join {which}{} where {} = {} (hash index; {size})",
                        k.name,
                        k.column_name(*col),
                        slot(s)
                    ),
                    None => format!("scan {which}{} ({size})", k.name),
                };
                let binds: Vec<String> = args
                    .iter()
                    .filter_map(|(col, m)| match m {
                        Match::Bind(v) => Some(format!("{} from {}", var(*v), k.column_name(*col))),
                        Match::Check(_) => None,
                    })
                    .collect();
                // `status` and `cite` are checked on each row read (they have no index).
                let checks: Vec<String> = args
                    .iter()
                    .filter(|(col, _)| crate::store::virtual_cols::is_virtual(*col))
                    .filter_map(|(col, m)| match m {
                        Match::Check(s) => Some(format!("{} = {}", k.column_name(*col), slot(s))),
                        Match::Bind(_) => None,
                    })
                    .collect();
                if !checks.is_empty() {
                    line.push_str(&format!(", keeping rows whose {}", checks.join(" and ")));
                }
                if !binds.is_empty() {
                    line.push_str(&format!(", binding {}", binds.join(", ")));
                }
                line
            }
            Step::Filter(i) => match &rule.body[*i] {
                BodyLit::Not(a) => format!("keep if there is no {}", atom_text(db, a, &slot)),
                BodyLit::Compare(l, op, r) => format!(
                    "keep if {} {} {}",
                    expr_text(db, rule, l),
                    op.symbol(),
                    expr_text(db, rule, r)
                ),
                BodyLit::Time(l, rel, m, r) => format!(
                    "keep if {} {}{} {}{}",
                    expr_text(db, rule, l),
                    if *m == crate::date::Modality::Possibly {
                        "possibly "
                    } else {
                        ""
                    },
                    rel.keyword(),
                    expr_text(db, rule, r),
                    widening_note(db, *m)
                ),
                BodyLit::Bind(v, e) => format!(
                    "keep if {} = {}",
                    rule.var_names[*v],
                    expr_text(db, rule, e)
                ),
                BodyLit::Atom(a) => atom_text(db, a, &slot),
                BodyLit::Aggregate(v, agg) => aggregate_text(db, rule, *v, agg, &slot),
            },
            Step::Aggregate { lit, .. } => match &rule.body[*lit] {
                BodyLit::Aggregate(v, agg) => aggregate_text(db, rule, *v, agg, &slot),
                other => format!("compute {other:?}"),
            },
            Step::Bind(i) => match &rule.body[*i] {
                BodyLit::Bind(v, e) => format!(
                    "compute {} = {}",
                    rule.var_names[*v],
                    expr_text(db, rule, e)
                ),
                other => format!("compute {other:?}"),
            },
        };
        out.push_str(&format!("      {}. {line}\n", n + 1));
    }
    out
}

/// `compute ?n = count() over statement(speaker: ?p, id: ?s)`.
fn aggregate_text(
    db: &Database,
    rule: &CheckedRule,
    v: usize,
    agg: &crate::check::rules::BodyAgg,
    slot: &dyn Fn(&Slot) -> String,
) -> String {
    let over: Vec<String> = agg
        .body
        .iter()
        .filter_map(|l| match l {
            BodyLit::Atom(a) => Some(atom_text(db, a, slot)),
            _ => None,
        })
        .collect();
    format!(
        "compute {} = {}({}) over {}",
        rule.var_names[v],
        agg.func.name(),
        agg.arg
            .as_ref()
            .map_or(String::new(), |e| expr_text(db, rule, e)),
        over.join(", ")
    )
}

/// `agreement(partner: ?p)`.
fn atom_text(db: &Database, a: &CAtom, slot: &dyn Fn(&Slot) -> String) -> String {
    let k = db.kind(a.kind);
    let args: Vec<String> = a
        .args
        .iter()
        .map(|(col, s)| format!("{}: {}", k.column_name(*col), slot(s)))
        .collect();
    format!("{}({})", k.name, args.join(", "))
}

/// An expression written back: `?i + 1`, `days_between(?a, ?b)`.
pub fn expr_text(db: &Database, rule: &CheckedRule, e: &Expr) -> String {
    match e {
        Expr::Var(v) => rule.var_names[*v].clone(),
        Expr::Const(c) => value_text(db, c),
        Expr::Neg(x) => format!("-{}", expr_operand(db, rule, x)),
        Expr::Binary(op, a, b) => format!(
            "{} {} {}",
            expr_operand(db, rule, a),
            op.symbol(),
            expr_operand(db, rule, b)
        ),
        Expr::Call(f, args) => format!(
            "{}({})",
            crate::check::functions::signature(*f).name,
            args.iter()
                .map(|a| expr_text(db, rule, a))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// An operand of an operator, in parentheses when it is itself an operation.
fn expr_operand(db: &Database, rule: &CheckedRule, e: &Expr) -> String {
    match e {
        Expr::Binary(..) => format!("({})", expr_text(db, rule, e)),
        _ => expr_text(db, rule, e),
    }
}

fn value_text(db: &Database, v: &Value) -> String {
    match v {
        Value::Text(_) => format!("\"{}\"", db.display(v)),
        Value::Entity(s) => db.interner.resolve(*s).to_string(),
        _ => db.display(v),
    }
}

/// A condition written back in the language's own words.
pub fn describe_pred(db: &Database, p: &Pred) -> String {
    let join = |ps: &[Pred], sep: &str| {
        ps.iter()
            .map(|p| match p {
                Pred::And(_) | Pred::Or(_) => format!("({})", describe_pred(db, p)),
                _ => describe_pred(db, p),
            })
            .collect::<Vec<_>>()
            .join(sep)
    };
    match p {
        Pred::And(ps) => join(ps, " and "),
        Pred::Or(ps) => join(ps, " or "),
        Pred::Not(inner) => format!("not ({})", describe_pred(db, inner)),
        Pred::Compare(f, op, v) => format!("{} {} {}", f.name, op.symbol(), value_text(db, v)),
        Pred::In(f, vs) => format!(
            "{} in ({})",
            f.name,
            vs.iter()
                .map(|v| value_text(db, v))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Pred::Contains(f, t) => format!("{} contains \"{t}\"", f.name),
        Pred::IsUnknown(f) => format!("{} is unknown", f.name),
        Pred::Cites(places) => format!(
            "cite in ({})",
            places
                .iter()
                .map(|p| p.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Pred::Time(f, rel, m, d) => format!(
            "{} {}{} {d}{}",
            f.name,
            if *m == crate::date::Modality::Possibly {
                "possibly "
            } else {
                ""
            },
            rel.keyword(),
            widening_note(db, *m)
        ),
    }
}

/// For `possibly`: how far approximate dates widen (the `:set approx` setting).
fn widening_note(db: &Database, m: crate::date::Modality) -> String {
    if m == crate::date::Modality::Possibly {
        format!(" (approximate dates widened by {})", db.widening)
    } else {
        String::new()
    }
}
