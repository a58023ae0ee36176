//! The rule engine checked against a reference.
//!
//! A tiny program model of its own (relations of number/text tuples; rules as conjunctions of
//! atoms, negated atoms, comparisons, bindings `?v = ?x op c`, disjunctions and counts in the
//! body; head aggregates and arithmetic in heads), a deliberately naive evaluator for it
//! (nested loops over every row, no indexes, no deltas: each stratum re-evaluates every rule over
//! all facts until nothing changes), and a renderer that writes the same program as dalil source.
//! The property: for random programs over random facts, every derived kind holds the same rows in
//! the engine as in the reference, each with the same status. A failing case is minimised
//! (facts, rules and body items removed while it still fails) and printed as dalil source with
//! both answers.
//!
//! Statuses: each fact is stated, inferred or background; the reference computes a derived
//! row's status the textbook way, as a lattice fixpoint — a binding is as strong as the weakest
//! row it matched, a row as strong as its strongest binding, and a row whose status improves
//! counts as changed, so the rounds go on until neither rows nor statuses change. (The engine
//! instead runs a pass per status, strongest first; they must agree.) Negated atoms add no
//! status; an aggregate's row is as strong as the weakest row of its group.
//!
//! `PROPTEST_CASES=N cargo test --test reference` runs N cases instead of the default 256.
//!
//! The end of the file holds the rule checker's refusals, checked through the public API.

use dalil::{Format, Reply, Session};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestCaseError, TestError, TestRunner};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

// ─── The model ──────────────────────────────────────────────────────────────────────────────

/// A cell. `Unknown` is a field left out of a fact.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum V {
    Unknown,
    Num(i64),
    Text(&'static str),
}

/// Texts are lower case, so dalil's case-insensitive text order is plain string order.
const TAGS: [&str; 4] = ["amber", "blue", "green", "red"];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ty {
    Num,
    Text,
}

/// How strongly a row is supported, weakest first (the engine's `Status`, modelled anew).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum St {
    Background,
    Inferred,
    Stated,
}

impl St {
    fn name(self) -> &'static str {
        match self {
            St::Background => "background",
            St::Inferred => "inferred",
            St::Stated => "stated",
        }
    }
}

#[derive(Clone, Debug)]
struct Rel {
    name: String,
    fields: Vec<(&'static str, Ty)>,
    base: bool,
}

#[derive(Clone, Debug, PartialEq)]
enum Term {
    Var(usize),
    Const(V),
    /// `?_`
    Any,
}

#[derive(Clone, Debug)]
struct Atom {
    rel: usize,
    /// (field, term) in the order written; fields left out match anything.
    args: Vec<(usize, Term)>,
    /// Written without field names (only when `args` are the first fields, in order).
    positional: bool,
    /// `status: "…"`: only rows of this status match. Positive atoms only ever ask for
    /// `stated` (the top of the lattice, so the answer does not depend on the order in which
    /// statuses improve); negated atoms, over complete lower strata, ask for any.
    status: Option<St>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Clone, Debug)]
enum Lit {
    Pos(Atom),
    Neg(Atom),
    Cmp(Term, Op, Term),
    /// `?v = ?x op c`: a new variable computed from one bound by an atom.
    Bind(usize, usize, Ar, i64),
    /// `(a or b)` over two comparisons.
    Or(Box<Lit>, Box<Lit>),
    /// `?v = count(: rel(field: ?x))`: the rows of a lower kind matching a bound variable.
    CountOf(usize, usize, usize, usize),
}

/// An arithmetic operator of `Lit::Bind`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ar {
    Add,
    Sub,
    Mul,
    IntDiv,
    Rem,
}

impl Ar {
    fn apply(self, x: i64, c: i64) -> i64 {
        match self {
            Ar::Add => x + c,
            Ar::Sub => x - c,
            Ar::Mul => x * c,
            // Truncated toward zero, the remainder with the dividend's sign (Soufflé, SQL, C).
            Ar::IntDiv => x / c,
            Ar::Rem => x % c,
        }
    }

    fn src(self) -> &'static str {
        match self {
            Ar::Add => "+",
            Ar::Sub => "-",
            Ar::Mul => "*",
            Ar::IntDiv => "//",
            Ar::Rem => "%",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Agg {
    Count,
    Min,
    Max,
    Sum,
}

#[derive(Clone, Debug)]
enum HeadArg {
    Var(usize),
    Const(V),
    /// `count()` is `Agg(Count, None)`.
    Agg(Agg, Option<usize>),
    /// `?x op c`: arithmetic in the head, on a number bound by the body.
    Calc(usize, Ar, i64),
}

#[derive(Clone, Debug)]
struct Rule {
    head: usize,
    /// One per field of the head relation, in the relation's field order.
    args: Vec<HeadArg>,
    body: Vec<Lit>,
    /// The reference evaluates strata in increasing order.
    stratum: usize,
    /// The head is written starting at this field (the first rule of a kind fixes its columns).
    rot: usize,
    /// Where the rule is written when the program's rules are shuffled.
    key: u32,
}

#[derive(Clone, Debug)]
struct Program {
    rels: Vec<Rel>,
    /// Per relation (empty for derived ones).
    facts: Vec<BTreeSet<Vec<V>>>,
    rules: Vec<Rule>,
    /// Derived relations declared with `kind` before their rules.
    declared: Vec<bool>,
    /// Rules written in the order of their keys (still each after the kinds it reads).
    shuffled: bool,
    /// Half the edges are added after the derived kinds were computed once.
    split: bool,
    /// The facts' statuses: 0 all stated, 1 all background, otherwise a mixture that depends on
    /// this number and the row (see [`fact_status`]).
    statuses: u32,
}

/// The status of a fact: a function of its relation, its row and the program's `statuses`, so
/// facts keep their status while the minimiser removes others.
fn fact_status(p: &Program, rel: usize, row: &[V]) -> St {
    match p.statuses {
        0 => St::Stated,
        1 => St::Background,
        mix => {
            let mut h = u64::from(mix).wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ rel as u64;
            for v in row {
                let x = match v {
                    V::Unknown => 7,
                    V::Num(n) => *n as u64 * 31 + 1,
                    V::Text(t) => t.len() as u64 * 131 + 3,
                };
                h = (h ^ x).wrapping_mul(0x0100_0000_01b3);
            }
            match (h >> 29) % 3 {
                0 => St::Background,
                1 => St::Inferred,
                _ => St::Stated,
            }
        }
    }
}

impl Rule {
    fn nvars(&self) -> usize {
        let mut n = 0;
        let mut see = |t: &Term| {
            if let Term::Var(v) = t {
                n = n.max(v + 1);
            }
        };
        for lit in &self.body {
            match lit {
                Lit::Pos(a) | Lit::Neg(a) => a.args.iter().for_each(|(_, t)| see(t)),
                Lit::Cmp(l, _, r) => {
                    see(l);
                    see(r);
                }
                Lit::Or(a, b) => {
                    for l in [a, b] {
                        if let Lit::Cmp(x, _, y) = &**l {
                            see(x);
                            see(y);
                        }
                    }
                }
                Lit::Bind(v, x, _, _) | Lit::CountOf(v, _, _, x) => {
                    see(&Term::Var(*v));
                    see(&Term::Var(*x));
                }
            }
        }
        for a in &self.args {
            match a {
                HeadArg::Var(v) | HeadArg::Agg(_, Some(v)) | HeadArg::Calc(v, _, _) => {
                    see(&Term::Var(*v))
                }
                _ => {}
            }
        }
        n
    }

    fn has_agg(&self) -> bool {
        self.args.iter().any(|a| matches!(a, HeadArg::Agg(..)))
    }

    /// Every variable outside positive atoms is bound by one (the reference relies on it).
    fn is_safe(&self) -> bool {
        let mut bound = BTreeSet::new();
        for lit in &self.body {
            if let Lit::Pos(a) = lit {
                for (_, t) in &a.args {
                    if let Term::Var(v) = t {
                        bound.insert(*v);
                    }
                }
            }
        }
        let atom_bound = bound.clone();
        for lit in &self.body {
            if let Lit::Bind(v, x, _, _) | Lit::CountOf(v, _, _, x) = lit
                && atom_bound.contains(x)
            {
                bound.insert(*v);
            }
        }
        let ok = |t: &Term| !matches!(t, Term::Var(v) if !bound.contains(v));
        let cmp_ok = |l: &Lit| matches!(l, Lit::Cmp(x, _, y) if ok(x) && ok(y));
        self.body.iter().any(|l| matches!(l, Lit::Pos(_)))
            && self.body.iter().all(|lit| match lit {
                Lit::Pos(_) => true,
                Lit::Bind(v, x, _, _) | Lit::CountOf(v, _, _, x) => {
                    atom_bound.contains(x) && !atom_bound.contains(v)
                }
                Lit::Or(a, b) => cmp_ok(a) && cmp_ok(b),
                Lit::Neg(a) => a.args.iter().all(|(_, t)| ok(t)),
                Lit::Cmp(l, _, r) => {
                    ok(l) && ok(r) && !(matches!(l, Term::Const(_)) && matches!(r, Term::Const(_)))
                }
            })
            && self.args.iter().all(|a| match a {
                HeadArg::Var(v) | HeadArg::Agg(_, Some(v)) | HeadArg::Calc(v, _, _) => {
                    bound.contains(v)
                }
                _ => true,
            })
    }
}

// ─── The reference evaluator ────────────────────────────────────────────────────────────────

type Binding = Vec<Option<V>>;

/// Every relation's rows with their statuses.
type StatusDb = Vec<BTreeMap<Vec<V>, St>>;

/// Every relation's rows and statuses: the facts, then each stratum's rules re-run over
/// everything until a round neither adds a row nor strengthens one.
fn reference(p: &Program) -> StatusDb {
    let mut db: StatusDb = p
        .facts
        .iter()
        .enumerate()
        .map(|(k, rows)| {
            rows.iter()
                .map(|row| (row.clone(), fact_status(p, k, row)))
                .collect()
        })
        .collect();
    let top = p.rules.iter().map(|r| r.stratum).max().unwrap_or(0);
    for stratum in 0..=top {
        loop {
            let mut changes = Vec::new();
            for rule in p.rules.iter().filter(|r| r.stratum == stratum) {
                for (row, status) in eval_rule(rule, &db) {
                    if db[rule.head].get(&row).is_none_or(|&old| status > old) {
                        changes.push((rule.head, row, status));
                    }
                }
            }
            if changes.is_empty() {
                break;
            }
            for (rel, row, status) in changes {
                let old = db[rel].entry(row).or_insert(status);
                *old = (*old).max(status);
            }
        }
    }
    db
}

fn term_value(t: &Term, b: &Binding) -> V {
    match t {
        Term::Var(v) => b[*v].expect("safe rules bind every variable they compare"),
        Term::Const(c) => *c,
        Term::Any => unreachable!("`?_` is never compared"),
    }
}

/// Extends `b` by one row of a positive atom. An unknown cell matches nothing, not even `?_`.
fn match_positive(atom: &Atom, row: &[V], b: &Binding) -> Option<Binding> {
    let mut b = b.clone();
    for (f, t) in &atom.args {
        let cell = row[*f];
        if cell == V::Unknown {
            return None;
        }
        match t {
            Term::Any => {}
            Term::Const(c) => {
                if cell != *c {
                    return None;
                }
            }
            Term::Var(v) => match b[*v] {
                Some(x) if x != cell => return None,
                Some(_) => {}
                None => b[*v] = Some(cell),
            },
        }
    }
    Some(b)
}

/// Does a row match a negated atom? Under `not`, `?_` (and a field left out) matches anything,
/// an unknown cell included: `not edge(src: ?x, dst: ?_)` means no edge from ?x is recorded.
fn matches_negated(atom: &Atom, row: &[V], b: &Binding) -> bool {
    atom.args.iter().all(|(f, t)| match t {
        Term::Any => true,
        _ => row[*f] == term_value(t, b),
    })
}

fn compare(l: V, op: Op, r: V) -> bool {
    let ord = match (l, r) {
        (V::Num(a), V::Num(b)) => a.cmp(&b),
        (V::Text(a), V::Text(b)) => a.cmp(b),
        _ => return false,
    };
    match op {
        Op::Eq => ord.is_eq(),
        Op::Ne => ord.is_ne(),
        Op::Lt => ord.is_lt(),
        Op::Le => ord.is_le(),
        Op::Gt => ord.is_gt(),
        Op::Ge => ord.is_ge(),
    }
}

/// The head rows one rule derives from `db`, each with the status of its binding: nested
/// loops over the positive atoms in body order, then the negations and comparisons, then the
/// head (or the aggregates).
fn eval_rule(rule: &Rule, db: &StatusDb) -> Vec<(Vec<V>, St)> {
    // One binding per combination of matched rows (`count()` counts them), as strong as the
    // weakest of those rows.
    let mut bindings: Vec<(Binding, St)> = vec![(vec![None; rule.nvars()], St::Stated)];
    for lit in &rule.body {
        if let Lit::Pos(atom) = lit {
            let mut next = Vec::new();
            for (b, st) in &bindings {
                for (row, row_st) in &db[atom.rel] {
                    if atom.status.is_some_and(|s| s != *row_st) {
                        continue;
                    }
                    if let Some(b2) = match_positive(atom, row, b) {
                        next.push((b2, (*st).min(*row_st)));
                    }
                }
            }
            bindings = next;
        }
    }
    for (b, st) in &mut bindings {
        for lit in &rule.body {
            match lit {
                Lit::Bind(v, x, op, c) => {
                    if let Some(V::Num(n)) = b[*x] {
                        b[*v] = Some(V::Num(op.apply(n, *c)));
                    }
                }
                Lit::CountOf(v, rel, field, x) => {
                    // Counts every row, whatever its status; as strong as the weakest counted.
                    let counted: Vec<St> = db[*rel]
                        .iter()
                        .filter(|(row, _)| Some(row[*field]) == b[*x])
                        .map(|(_, s)| *s)
                        .collect();
                    b[*v] = Some(V::Num(counted.len() as i64));
                    *st = counted.into_iter().fold(*st, St::min);
                }
                _ => {}
            }
        }
    }
    fn holds(lit: &Lit, b: &Binding, db: &StatusDb) -> bool {
        match lit {
            Lit::Pos(_) | Lit::Bind(..) | Lit::CountOf(..) => true,
            Lit::Neg(atom) => !db[atom.rel].iter().any(|(row, st)| {
                atom.status.is_none_or(|s| s == *st) && matches_negated(atom, row, b)
            }),
            Lit::Cmp(l, op, r) => compare(term_value(l, b), *op, term_value(r, b)),
            Lit::Or(x, y) => holds(x, b, db) || holds(y, b, db),
        }
    }
    bindings.retain(|(b, _)| rule.body.iter().all(|lit| holds(lit, b, db)));
    let plain = |b: &Binding| -> Vec<V> {
        rule.args
            .iter()
            .map(|a| match a {
                HeadArg::Var(v) => b[*v].expect("head variables are bound"),
                HeadArg::Const(c) => *c,
                HeadArg::Agg(..) => V::Unknown,
                HeadArg::Calc(v, op, c) => match b[*v] {
                    Some(V::Num(x)) => V::Num(op.apply(x, *c)),
                    other => unreachable!("arithmetic on a number, not {other:?}"),
                },
            })
            .collect()
    };
    if !rule.has_agg() {
        return bindings.iter().map(|(b, st)| (plain(b), *st)).collect();
    }
    // Group by the other head fields; `count(?v)`, `min` and `max` look at the distinct values
    // of the variable in the group, `count()` and `sum` at every match of the body. A group is
    // as strong as the weakest row any of its bindings matched.
    let mut groups: BTreeMap<Vec<V>, (Vec<&Binding>, St)> = BTreeMap::new();
    for (b, st) in &bindings {
        let group = groups.entry(plain(b)).or_insert((Vec::new(), St::Stated));
        group.0.push(b);
        group.1 = group.1.min(*st);
    }
    // Over no match, a head without grouping variables still has its row when every aggregate
    // has a value over nothing: `count` and `sum` are 0 (SQL, Soufflé); `min`/`max` have none.
    let ungrouped = !rule
        .args
        .iter()
        .any(|a| matches!(a, HeadArg::Var(_) | HeadArg::Calc(..)));
    let all_zero = rule
        .args
        .iter()
        .all(|a| !matches!(a, HeadArg::Agg(Agg::Min | Agg::Max, _)));
    if groups.is_empty() && ungrouped && all_zero {
        let row: Vec<V> = rule
            .args
            .iter()
            .map(|a| match a {
                HeadArg::Const(c) => *c,
                _ => V::Num(0),
            })
            .collect();
        // A count over nothing rests on no row: nothing weakens it.
        return vec![(row, St::Stated)];
    }
    groups
        .into_iter()
        .map(|(mut row, (members, status))| {
            for (i, a) in rule.args.iter().enumerate() {
                let HeadArg::Agg(f, var) = a else { continue };
                let Some(var) = var else {
                    row[i] = V::Num(members.len() as i64);
                    continue;
                };
                let distinct: BTreeSet<V> = members.iter().map(|b| b[*var].unwrap()).collect();
                row[i] = match f {
                    Agg::Count => V::Num(distinct.len() as i64),
                    Agg::Sum => V::Num(
                        members
                            .iter()
                            .map(|b| match b[*var].unwrap() {
                                V::Num(n) => n,
                                _ => unreachable!("sum of numbers"),
                            })
                            .sum(),
                    ),
                    Agg::Min => *distinct.first().unwrap(),
                    Agg::Max => *distinct.last().unwrap(),
                };
            }
            (row, status)
        })
        .collect()
}

// ─── Rendering as dalil source ──────────────────────────────────────────────────────────────

const VAR_NAMES: [&str; 10] = ["x", "y", "z", "u", "v", "w", "s", "t", "p", "q"];

fn var_name(v: usize) -> String {
    match VAR_NAMES.get(v) {
        Some(n) => format!("?{n}"),
        None => format!("?v{v}"),
    }
}

fn value_src(v: V) -> String {
    match v {
        V::Unknown => "unknown".into(),
        V::Num(n) => n.to_string(),
        V::Text(t) => format!("\"{t}\""),
    }
}

fn term_src(t: &Term) -> String {
    match t {
        Term::Var(v) => var_name(*v),
        Term::Const(c) => value_src(*c),
        Term::Any => "?_".into(),
    }
}

fn ty_src(t: Ty) -> &'static str {
    match t {
        Ty::Num => "number",
        Ty::Text => "text",
    }
}

fn op_src(op: Op) -> &'static str {
    match op {
        Op::Eq => "=",
        Op::Ne => "!=",
        Op::Lt => "<",
        Op::Le => "<=",
        Op::Gt => ">",
        Op::Ge => ">=",
    }
}

fn agg_src(a: Agg) -> &'static str {
    match a {
        Agg::Count => "count",
        Agg::Min => "min",
        Agg::Max => "max",
        Agg::Sum => "sum",
    }
}

/// `cols[rel]`: the relation's fields in the engine's column order (a derived kind takes the
/// order of the head of the first rule read); positional arguments follow it.
fn atom_src(p: &Program, cols: &[Vec<usize>], a: &Atom) -> String {
    let rel = &p.rels[a.rel];
    let positional = a.positional
        && a.args
            .iter()
            .enumerate()
            .all(|(i, (f, _))| cols[a.rel].get(i) == Some(f));
    let mut args: Vec<String> = a
        .args
        .iter()
        .map(|(f, t)| {
            if positional {
                term_src(t)
            } else {
                format!("{}: {}", rel.fields[*f].0, term_src(t))
            }
        })
        .collect();
    if let Some(s) = a.status {
        args.push(format!("status: \"{}\"", s.name()));
    }
    format!("{}({})", rel.name, args.join(", "))
}

/// The head's fields in the order written.
fn head_order(r: &Rule) -> Vec<usize> {
    let n = r.args.len();
    (0..n).map(|i| (i + r.rot) % n).collect()
}

fn rule_src(p: &Program, cols: &[Vec<usize>], r: &Rule) -> String {
    let rel = &p.rels[r.head];
    let head: Vec<String> = head_order(r)
        .into_iter()
        .map(|i| {
            let val = match &r.args[i] {
                HeadArg::Var(v) => var_name(*v),
                HeadArg::Const(c) => value_src(*c),
                HeadArg::Agg(f, v) => {
                    format!("{}({})", agg_src(*f), v.map(var_name).unwrap_or_default())
                }
                HeadArg::Calc(v, op, c) => format!("{} {} {c}", var_name(*v), op.src()),
            };
            format!("{}: {val}", rel.fields[i].0)
        })
        .collect();
    let body: Vec<String> = r
        .body
        .iter()
        .map(|lit| match lit {
            Lit::Pos(a) => atom_src(p, cols, a),
            Lit::Neg(a) => format!("not {}", atom_src(p, cols, a)),
            Lit::Cmp(l, op, r) => cmp_src(l, *op, r),
            Lit::Or(a, b) => match (&**a, &**b) {
                (Lit::Cmp(l1, o1, r1), Lit::Cmp(l2, o2, r2)) => {
                    format!("({} or {})", cmp_src(l1, *o1, r1), cmp_src(l2, *o2, r2))
                }
                _ => unreachable!("the generator joins comparisons"),
            },
            Lit::Bind(v, x, op, c) => {
                format!("{} = {} {} {c}", var_name(*v), var_name(*x), op.src())
            }
            Lit::CountOf(v, rel, field, x) => format!(
                "{} = count(: {}({}: {}))",
                var_name(*v),
                p.rels[*rel].name,
                p.rels[*rel].fields[*field].0,
                var_name(*x)
            ),
        })
        .collect();
    format!("{}({}) :- {};", rel.name, head.join(", "), body.join(", "))
}

fn cmp_src(l: &Term, op: Op, r: &Term) -> String {
    format!("{} {} {}", term_src(l), op_src(op), term_src(r))
}

fn fact_src(rel: &Rel, row: &[V], status: St) -> String {
    let fields: Vec<String> = row
        .iter()
        .zip(&rel.fields)
        .filter(|(v, _)| **v != V::Unknown)
        .map(|(v, (n, _))| format!("{n}: {}", value_src(*v)))
        .collect();
    let provenance = match status {
        St::Stated => "cite p1.s1",
        St::Inferred => "inferred \"a test\"",
        St::Background => "background",
    };
    format!("{}({}) {provenance};", rel.name, fields.join(", "))
}

fn kind_src(rel: &Rel) -> String {
    let fields: Vec<String> = rel
        .fields
        .iter()
        .map(|(n, t)| format!("{n}: {}", ty_src(*t)))
        .collect();
    format!(
        "kind {} \"{}\" ({});",
        rel.name,
        rel.name,
        fields.join(", ")
    )
}

/// The relations a rule reads.
fn body_rels(r: &Rule) -> impl Iterator<Item = usize> + '_ {
    r.body.iter().filter_map(|lit| match lit {
        Lit::Pos(a) | Lit::Neg(a) => Some(a.rel),
        Lit::CountOf(_, rel, _, _) => Some(*rel),
        Lit::Cmp(..) | Lit::Or(..) | Lit::Bind(..) => None,
    })
}

/// Whether the checker can type a first rule that reads its own new kind: every head variable
/// appears in a positive atom over another kind.
fn self_first_ok(r: &Rule) -> bool {
    r.args.iter().all(|a| match a {
        HeadArg::Var(v) => r.body.iter().any(|lit| {
            matches!(lit, Lit::Pos(at) if at.rel != r.head
                && at.args.iter().any(|(_, t)| *t == Term::Var(*v)))
        }),
        HeadArg::Agg(..) | HeadArg::Calc(..) => false,
        HeadArg::Const(_) => true,
    }) && !r
        .body
        .iter()
        .any(|lit| matches!(lit, Lit::Neg(a) if a.rel == r.head))
}

/// The program as dalil source: base kinds, facts, declared derived kinds, then the rules in
/// an order where every rule's kinds exist when it is read (a rule may read its own new kind
/// when the checker can type it; otherwise the kind is declared first).
fn render(p: &Program) -> String {
    let mut exists: Vec<bool> = p
        .rels
        .iter()
        .zip(&p.declared)
        .map(|(r, d)| r.base || *d)
        .collect();
    let mut declared: Vec<usize> = (0..p.rels.len())
        .filter(|&i| !p.rels[i].base && p.declared[i])
        .collect();
    let mut pending: Vec<usize> = (0..p.rules.len()).collect();
    if p.shuffled {
        pending.sort_by_key(|&i| p.rules[i].key);
    }
    let mut order = Vec::new();
    while !pending.is_empty() {
        let ready = |i: usize, exists: &[bool]| {
            let r = &p.rules[i];
            body_rels(r).all(|k| exists[k] || (k == r.head && self_first_ok(r)))
        };
        if let Some(pos) = pending.iter().position(|&i| ready(i, &exists)) {
            let i = pending.remove(pos);
            exists[p.rules[i].head] = true;
            order.push(i);
        } else {
            // Nothing can go next: declare what the first waiting rule lacks.
            let r = &p.rules[pending[0]];
            for k in body_rels(r).collect::<Vec<_>>() {
                if !exists[k] {
                    exists[k] = true;
                    declared.push(k);
                }
            }
        }
    }
    // Relations read by rules but given no rule of their own (after minimising) are declared.
    for r in &p.rules {
        for k in body_rels(r) {
            if !exists[k] {
                exists[k] = true;
                declared.push(k);
            }
        }
    }
    let mut out = String::new();
    for rel in p.rels.iter().filter(|r| r.base) {
        writeln!(out, "{}", kind_src(rel)).unwrap();
    }
    for (i, rel) in p.rels.iter().enumerate().filter(|(_, r)| r.base) {
        for row in &p.facts[i] {
            writeln!(out, "{}", fact_src(rel, row, fact_status(p, i, row))).unwrap();
        }
    }
    for &k in &declared {
        writeln!(out, "{}", kind_src(&p.rels[k])).unwrap();
    }
    let mut cols: Vec<Vec<usize>> = p
        .rels
        .iter()
        .map(|r| (0..r.fields.len()).collect())
        .collect();
    let mut fixed: Vec<bool> = p.rels.iter().map(|r| r.base).collect();
    for &k in &declared {
        fixed[k] = true;
    }
    for &i in &order {
        let r = &p.rules[i];
        if !fixed[r.head] {
            fixed[r.head] = true;
            cols[r.head] = head_order(r);
        }
    }
    for i in order {
        writeln!(out, "{}", rule_src(p, &cols, &p.rules[i])).unwrap();
    }
    out
}

// ─── Running the engine and comparing ───────────────────────────────────────────────────────

type Rows = BTreeSet<Vec<String>>;

fn display(v: V) -> String {
    match v {
        V::Unknown => String::new(),
        V::Num(n) => n.to_string(),
        V::Text(t) => t.to_string(),
    }
}

enum Outcome {
    Agree,
    /// The engine refused the program (or a query on it).
    Refused(String),
    /// Some derived kind differs.
    Differ(String),
}

/// The derived relations the engine knows about: those with rules, or declared.
fn compared_rels(p: &Program) -> Vec<usize> {
    (0..p.rels.len())
        .filter(|&i| {
            !p.rels[i].base
                && (p.rules.iter().any(|r| r.head == i)
                    || p.rules.iter().any(|r| body_rels(r).any(|k| k == i))
                    || p.declared[i])
        })
        .collect()
}

/// Runs `text`; the error reports, if any.
fn run(session: &mut Session, name: &str, text: &str) -> Result<String, String> {
    let mut out = String::new();
    let mut errors = String::new();
    session.run(name, text, &mut |r| match r {
        Reply::Text(t) => out.push_str(&t),
        Reply::Error(e) => errors.push_str(&e),
        _ => {}
    });
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// Runs the program in a new session (with `split`: the first half of the edges, a query,
/// then the other half) and compares every derived kind with the reference.
fn check(p: &Program) -> Outcome {
    let mut session = new_session();
    session.settings.format = Format::Csv;
    let mut first = p.clone();
    let mut later = Vec::new();
    if p.split {
        let edges: Vec<Vec<V>> = p.facts[EDGE].iter().cloned().collect();
        let (a, b) = edges.split_at(edges.len() / 2);
        first.facts[EDGE] = a.iter().cloned().collect();
        later = b.to_vec();
    }
    if let Err(e) = run(&mut session, "program.dl", &render(&first)) {
        return Outcome::Refused(e);
    }
    if p.split {
        match compare_all(&mut session, &first) {
            Outcome::Agree => {}
            Outcome::Differ(d) => {
                return Outcome::Differ(format!("before the later edges were added:\n{d}"));
            }
            refused => return refused,
        }
        let text: Vec<String> = later
            .iter()
            .map(|r| fact_src(&p.rels[EDGE], r, fact_status(p, EDGE, r)))
            .collect();
        if let Err(e) = run(&mut session, "later.dl", &text.join("\n")) {
            return Outcome::Refused(e);
        }
    }
    compare_all(&mut session, p)
}

/// Queries every derived kind (computing them) and compares its rows with the reference's.
fn compare_all(session: &mut Session, p: &Program) -> Outcome {
    let expected = reference(p);
    let mut report = String::new();
    for i in compared_rels(p) {
        let rel = &p.rels[i];
        // Derived kinds are computed when queried; `count` also checks the query path.
        let out = match run(session, "query", &format!("count {}", rel.name)) {
            Ok(out) => out,
            Err(e) => return Outcome::Refused(e),
        };
        let want: Rows = expected[i]
            .iter()
            .map(|(row, st)| {
                let mut shown: Vec<String> = row.iter().map(|v| display(*v)).collect();
                shown.push(st.name().to_string());
                shown
            })
            .collect();
        let got = match engine_rows(session, rel) {
            Ok(rows) => rows,
            Err(e) => {
                writeln!(report, "{}: {e}", rel.name).unwrap();
                continue;
            }
        };
        if got != want {
            let missing: Vec<_> = want.difference(&got).collect();
            let extra: Vec<_> = got.difference(&want).collect();
            writeln!(
                report,
                "{}: reference has {} rows, engine {}\n  missing from the engine: {missing:?}\n  \
                 extra in the engine: {extra:?}",
                rel.name,
                want.len(),
                got.len()
            )
            .unwrap();
        }
        let count = format!("count\n{}\n", want.len());
        if got == want && out != count {
            writeln!(
                report,
                "{}: `count {}` printed {out:?}, expected {count:?}",
                rel.name, rel.name
            )
            .unwrap();
        }
    }
    check_premises(session, &mut report);
    if report.is_empty() {
        Outcome::Agree
    } else {
        Outcome::Differ(report)
    }
}

/// The premises `why` finds again for every row a rule derived (its rule and round are all the
/// row keeps): one row per positive atom of the rule's body, of that atom's kind, derived in an
/// earlier round, the weakest of them exactly as strong as the row (unless an aggregate of the
/// body weakened it).
fn check_premises(session: &Session, report: &mut String) {
    use dalil::check::BodyLit;
    use dalil::store::Origin;
    let db = &session.db;
    for (kind, k) in db.kinds.iter().enumerate() {
        for row in 0..k.relation.len() as u32 {
            let Origin::Derived {
                rule,
                round: Some(round),
                ..
            } = k.relation.origin(row)
            else {
                continue;
            };
            let Origin::Derived {
                premises, status, ..
            } = db.origin(kind, row)
            else {
                continue;
            };
            let Some(r) = session.rules.iter().find(|r| r.index == rule) else {
                writeln!(
                    report,
                    "{}#{row}: rule {rule} is not in the session",
                    k.name
                )
                .unwrap();
                continue;
            };
            let atoms: Vec<usize> = r
                .body
                .iter()
                .filter_map(|l| match l {
                    BodyLit::Atom(a) => Some(a.kind),
                    _ => None,
                })
                .collect();
            let kinds: Vec<usize> = premises.iter().map(|&(pk, _)| pk).collect();
            let earlier = premises.iter().all(|&(pk, pr)| {
                pr < db.kind(pk).relation.len() as u32
                    && match db.kind(pk).relation.origin(pr) {
                        Origin::Derived { round: Some(t), .. } => t < round,
                        _ => true,
                    }
            });
            let weakest = premises
                .iter()
                .map(|&(pk, pr)| db.kind(pk).relation.status(pr))
                .min();
            // An aggregate in the body weakens a derivation without being one of its premises.
            let summarises = r.body.iter().any(|l| matches!(l, BodyLit::Aggregate(..)));
            if kinds != atoms || !earlier || (weakest != Some(status) && !summarises) {
                writeln!(
                    report,
                    "{}#{row} (rule {}, round {round}, {status}): premises found again {premises:?} \
                     (kinds {kinds:?}, the body's atoms {atoms:?}; all earlier: {earlier}; \
                     weakest {weakest:?})",
                    k.name,
                    rule + 1
                )
                .unwrap();
            }
        }
    }
}

/// A derived kind's rows as display strings, in the model's field order, then the status.
fn engine_rows(s: &Session, rel: &Rel) -> Result<Rows, String> {
    let id =
        s.db.kind_id(&rel.name)
            .ok_or("the engine has no such kind")?;
    let kind = s.db.kind(id);
    if kind.fields.len() != rel.fields.len() + 1 {
        return Err(format!("the engine's kind has fields {:?}", kind.fields));
    }
    let cols = rel
        .fields
        .iter()
        .map(|(f, _)| kind.column(f).ok_or(format!("no field {f}")))
        .collect::<Result<Vec<usize>, _>>()?;
    let rows: Vec<Vec<String>> = (0..kind.relation.len() as u32)
        .map(|i| {
            let row = kind.relation.row(i);
            let mut shown: Vec<String> = cols.iter().map(|&c| s.db.display(&row[c])).collect();
            shown.push(kind.relation.status(i).name().to_string());
            shown
        })
        .collect();
    let n = rows.len();
    let set: Rows = rows.into_iter().collect();
    if set.len() != n {
        return Err(format!("{n} rows but {} distinct", set.len()));
    }
    Ok(set)
}

// ─── Minimising a failing program ───────────────────────────────────────────────────────────

fn same_failure(a: &Outcome, b: &Outcome) -> bool {
    matches!(
        (a, b),
        (Outcome::Refused(_), Outcome::Refused(_)) | (Outcome::Differ(_), Outcome::Differ(_))
    )
}

/// Removes rules, facts and body items while the program still fails the same way.
fn minimise(mut p: Program) -> Program {
    let first = check(&p);
    let still_fails =
        |c: &Program| c.rules.iter().all(Rule::is_safe) && same_failure(&check(c), &first);
    loop {
        let mut progress = false;
        // Whole rules, last first (later rules depend on earlier ones).
        let mut i = p.rules.len();
        while i > 0 {
            i -= 1;
            let mut c = p.clone();
            c.rules.remove(i);
            if still_fails(&c) {
                p = c;
                progress = true;
            }
        }
        // All facts of one relation, then facts one at a time.
        for k in 0..p.rels.len() {
            if p.facts[k].is_empty() {
                continue;
            }
            let mut c = p.clone();
            c.facts[k].clear();
            if still_fails(&c) {
                p = c;
                progress = true;
                continue;
            }
            for row in p.facts[k].clone() {
                let mut c = p.clone();
                c.facts[k].remove(&row);
                if still_fails(&c) {
                    p = c;
                    progress = true;
                }
            }
        }
        // Body items, arguments of atoms, declarations.
        for r in 0..p.rules.len() {
            let mut j = p.rules[r].body.len();
            while j > 0 {
                j -= 1;
                let mut c = p.clone();
                c.rules[r].body.remove(j);
                if still_fails(&c) {
                    p = c;
                    progress = true;
                    continue;
                }
                if let Lit::Pos(a) | Lit::Neg(a) = &p.rules[r].body[j] {
                    for arg in (0..a.args.len()).rev() {
                        let mut c = p.clone();
                        if let Lit::Pos(a) | Lit::Neg(a) = &mut c.rules[r].body[j] {
                            a.args.remove(arg);
                        }
                        if still_fails(&c) {
                            p = c;
                            progress = true;
                        }
                    }
                }
            }
            if p.rules[r].rot != 0 {
                let mut c = p.clone();
                c.rules[r].rot = 0;
                if still_fails(&c) {
                    p = c;
                    progress = true;
                }
            }
        }
        for k in 0..p.rels.len() {
            if p.declared[k] {
                let mut c = p.clone();
                c.declared[k] = false;
                if still_fails(&c) {
                    p = c;
                    progress = true;
                }
            }
        }
        if !progress {
            return p;
        }
    }
}

// ─── Generating programs ────────────────────────────────────────────────────────────────────

/// Random facts: a graph of up to 12 nodes and 30 weighted edges, labels, and blocked pairs.
#[derive(Clone, Debug)]
struct Graph {
    nodes: i64,
    /// (src, dst, weight); a weight may be unknown.
    edges: Vec<(i64, i64, Option<i64>)>,
    /// (node, tag); a tag may be unknown.
    labels: Vec<(i64, Option<usize>)>,
    blocked: Vec<(i64, i64)>,
}

fn graph() -> impl Strategy<Value = Graph> {
    (1i64..=12).prop_flat_map(|n| {
        let weight = prop_oneof![9 => (1i64..=5).prop_map(Some), 1 => Just(None)];
        let tag = prop_oneof![9 => (0..TAGS.len()).prop_map(Some), 1 => Just(None)];
        (
            Just(n),
            vec((0..n, 0..n, weight), 0..=30),
            vec((0..n, tag), 0..=8),
            vec((0..n, 0..n), 0..=6),
        )
            .prop_map(|(nodes, edges, labels, blocked)| Graph {
                nodes,
                edges,
                labels,
                blocked,
            })
    })
}

const NODE: usize = 0;
const EDGE: usize = 1;
const LABEL: usize = 2;
const BLOCKED: usize = 3;
const NOTHING: usize = 4;

fn base_program(g: &Graph) -> Program {
    use Ty::*;
    let rel = |name: &str, fields: &[(&'static str, Ty)]| Rel {
        name: name.into(),
        fields: fields.to_vec(),
        base: true,
    };
    let rels = vec![
        rel("node", &[("n", Num)]),
        rel("edge", &[("src", Num), ("dst", Num), ("w", Num)]),
        rel("label", &[("n", Num), ("tag", Text)]),
        rel("blocked", &[("src", Num), ("dst", Num)]),
        // Always empty.
        rel("nothing", &[("a", Num), ("b", Num)]),
    ];
    let mut facts = vec![BTreeSet::new(); rels.len()];
    for n in 0..g.nodes {
        facts[NODE].insert(vec![V::Num(n)]);
    }
    for &(s, d, w) in &g.edges {
        facts[EDGE].insert(vec![V::Num(s), V::Num(d), w.map_or(V::Unknown, V::Num)]);
    }
    for &(n, t) in &g.labels {
        facts[LABEL].insert(vec![V::Num(n), t.map_or(V::Unknown, |t| V::Text(TAGS[t]))]);
    }
    for &(s, d) in &g.blocked {
        facts[BLOCKED].insert(vec![V::Num(s), V::Num(d)]);
    }
    let declared = vec![false; rels.len()];
    Program {
        rels,
        facts,
        rules: vec![],
        declared,
        shuffled: false,
        split: false,
        statuses: 0,
    }
}

/// Choices read from a proptest-generated stream; past its end every choice is 0, the simplest.
struct Draw<'a> {
    data: &'a [u32],
    pos: usize,
}

impl Draw<'_> {
    fn below(&mut self, n: usize) -> usize {
        let v = self.data.get(self.pos).copied().unwrap_or(0);
        self.pos += 1;
        if n <= 1 { 0 } else { v as usize % n }
    }

    /// True with about this percent chance (false when the stream is exhausted).
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) >= 100 - percent
    }

    fn pick<T: Clone>(&mut self, xs: &[T]) -> T {
        xs[self.below(xs.len())].clone()
    }

    /// An index drawn with the given weights.
    fn weighted(&mut self, weights: &[usize]) -> usize {
        let mut r = self.below(weights.iter().sum());
        for (i, &w) in weights.iter().enumerate() {
            if r < w {
                return i;
            }
            r -= w;
        }
        unreachable!()
    }
}

/// (relation, field, field): two number columns read as a binary relation.
type BinView = (usize, usize, usize);
/// (relation, field): one number column.
type UnView = (usize, usize);

struct Gen<'a> {
    d: Draw<'a>,
    p: Program,
    nodes: i64,
    stratum: usize,
    /// Relations before this one are complete when the block's rules run: views read only those.
    lower: usize,
}

fn atom(rel: usize, args: &[(usize, Term)]) -> Atom {
    Atom {
        rel,
        args: args.to_vec(),
        positional: false,
        status: None,
    }
}

fn var(v: usize) -> Term {
    Term::Var(v)
}

impl Gen<'_> {
    fn new_rel(&mut self, stem: &str, fields: &[(&'static str, Ty)]) -> usize {
        let id = self.p.rels.len();
        self.p.rels.push(Rel {
            name: format!("{stem}{id}"),
            fields: fields.to_vec(),
            base: false,
        });
        self.p.facts.push(BTreeSet::new());
        let declare = self.d.chance(15);
        self.p.declared.push(declare);
        id
    }

    fn rule(&mut self, head: usize, args: Vec<HeadArg>, mut body: Vec<Lit>) {
        // Sometimes write the body in another order, or an atom positionally.
        if body.len() > 1 && self.d.chance(25) {
            body.rotate_left(1);
        }
        for lit in &mut body {
            if let Lit::Pos(a) | Lit::Neg(a) = lit {
                if a.args.len() > 1 && self.d.chance(20) {
                    a.args.reverse();
                }
                a.positional = self.d.chance(20);
            }
            // Sometimes read the `status` of the rows an atom matches.
            match lit {
                Lit::Pos(a) if self.d.chance(10) => a.status = Some(St::Stated),
                Lit::Neg(a) if self.d.chance(15) => {
                    a.status = Some(self.d.pick(&[St::Stated, St::Inferred, St::Background]))
                }
                _ => {}
            }
        }
        let rot = if self.d.chance(20) {
            self.d.below(args.len().max(1))
        } else {
            0
        };
        let key = self.d.below(1000) as u32;
        self.p.rules.push(Rule {
            head,
            args,
            body,
            stratum: self.stratum,
            rot,
            key,
        });
    }

    fn num_const(&mut self) -> V {
        V::Num(self.d.below(self.nodes as usize + 3) as i64 - 1)
    }

    fn const_of(&mut self, ty: Ty) -> V {
        match ty {
            Ty::Num => self.num_const(),
            Ty::Text => V::Text(self.d.pick(&TAGS)),
        }
    }

    /// Number-column pairs of existing relations; `edge(src, dst)` the most likely.
    fn bin_view(&mut self) -> BinView {
        let mut views = vec![(EDGE, 0, 1); 6];
        views.push((EDGE, 1, 0));
        views.push((BLOCKED, 0, 1));
        views.push((NOTHING, 0, 1));
        for (i, rel) in self
            .p
            .rels
            .iter()
            .enumerate()
            .take(self.lower)
            .skip(NOTHING + 1)
        {
            let nums: Vec<usize> = (0..rel.fields.len())
                .filter(|&f| rel.fields[f].1 == Ty::Num)
                .collect();
            for &a in &nums {
                for &b in &nums {
                    if a != b {
                        // Derived relations are likelier: they are what later strata are about.
                        views.extend([(i, a, b); 2]);
                    }
                }
            }
        }
        self.d.pick(&views)
    }

    /// Like `bin_view`, but a derived relation when there is one (what negation is about).
    fn negated_view(&mut self) -> BinView {
        for _ in 0..4 {
            let v = self.bin_view();
            if v.0 > NOTHING {
                return v;
            }
        }
        self.bin_view()
    }

    fn un_view(&mut self) -> UnView {
        let mut views = vec![(NODE, 0); 4];
        views.extend([(EDGE, 0), (EDGE, 1), (LABEL, 0), (BLOCKED, 1)]);
        for (i, rel) in self
            .p
            .rels
            .iter()
            .enumerate()
            .take(self.lower)
            .skip(NOTHING + 1)
        {
            for f in 0..rel.fields.len() {
                if rel.fields[f].1 == Ty::Num {
                    views.push((i, f));
                }
            }
        }
        self.d.pick(&views)
    }

    fn bin(&self, (rel, a, b): BinView, x: Term, y: Term) -> Lit {
        Lit::Pos(atom(rel, &[(a, x), (b, y)]))
    }

    fn un(&self, (rel, f): UnView, x: Term) -> Lit {
        Lit::Pos(atom(rel, &[(f, x)]))
    }

    /// Transitive closure: left-, right- or non-linear recursion, with optional extras.
    fn block_closure(&mut self) {
        let s = self.bin_view();
        let p = self.new_rel("path", &[("a", Ty::Num), ("b", Ty::Num)]);
        let pv = (p, 0, 1);
        let (x, y, z) = (var(0), var(1), var(2));
        let seed = self.d.below(4);
        match seed {
            // path(a: C, b: ?y) :- s(C, ?y): reachability from one node.
            1 => {
                let c = Term::Const(self.num_const());
                let Term::Const(cv) = c else { unreachable!() };
                let body = vec![self.bin(s, c, y.clone())];
                self.rule(p, vec![HeadArg::Const(cv), HeadArg::Var(1)], body);
            }
            _ => {
                let body = vec![self.bin(s, x.clone(), y.clone())];
                self.rule(p, vec![HeadArg::Var(0), HeadArg::Var(1)], body);
            }
        }
        if self.d.chance(20) {
            // Self loops: a repeated variable in one atom and in the head.
            let body = vec![self.bin(s, x.clone(), x.clone())];
            self.rule(p, vec![HeadArg::Var(0), HeadArg::Var(0)], body);
        }
        let s2 = if self.d.chance(25) {
            self.bin_view()
        } else {
            s
        };
        let mut body = match self.d.below(3) {
            0 => vec![
                self.bin(pv, x.clone(), y.clone()),
                self.bin(s2, y.clone(), z.clone()),
            ],
            1 => vec![
                self.bin(s2, x.clone(), y.clone()),
                self.bin(pv, y.clone(), z.clone()),
            ],
            _ => vec![
                self.bin(pv, x.clone(), y.clone()),
                self.bin(pv, y.clone(), z.clone()),
            ],
        };
        if self.d.chance(25) {
            body.push(Lit::Cmp(x.clone(), Op::Ne, z.clone()));
        }
        if self.d.chance(20) {
            let op = self.d.pick(&[Op::Lt, Op::Le, Op::Gt, Op::Ge, Op::Ne]);
            let c = Term::Const(self.num_const());
            body.push(Lit::Cmp(z.clone(), op, c));
        }
        if self.d.chance(20) {
            let (rel, a, b) = self.bin_view();
            if rel != p {
                body.push(Lit::Neg(atom(rel, &[(a, y.clone()), (b, z.clone())])));
            }
        }
        self.rule(p, vec![HeadArg::Var(0), HeadArg::Var(2)], body);
    }

    /// Two kinds defined in terms of each other: paths of odd and of even length.
    fn block_mutual(&mut self) {
        let s = self.bin_view();
        let odd = self.new_rel("odd", &[("a", Ty::Num), ("b", Ty::Num)]);
        let even = self.new_rel("even", &[("a", Ty::Num), ("b", Ty::Num)]);
        let (x, y, z) = (var(0), var(1), var(2));
        let xz = vec![HeadArg::Var(0), HeadArg::Var(2)];
        let body = vec![self.bin(s, x.clone(), y.clone())];
        self.rule(odd, vec![HeadArg::Var(0), HeadArg::Var(1)], body);
        let body = vec![
            self.bin((odd, 0, 1), x.clone(), y.clone()),
            self.bin(s, y.clone(), z.clone()),
        ];
        self.rule(even, xz.clone(), body);
        let mut body = vec![
            self.bin((even, 0, 1), x.clone(), y.clone()),
            self.bin(s, y.clone(), z.clone()),
        ];
        if self.d.chance(20) {
            body.push(Lit::Cmp(x.clone(), Op::Le, z.clone()));
        }
        self.rule(odd, xz, body);
        if self.d.chance(30) {
            // The empty path is even.
            let u = self.un_view();
            let body = vec![self.un(u, x.clone())];
            self.rule(even, vec![HeadArg::Var(0), HeadArg::Var(0)], body);
        }
    }

    /// Stratified negation over existing kinds, with variables, constants and `?_`.
    fn block_negation(&mut self) {
        let (x, y) = (var(0), var(1));
        match self.d.below(6) {
            0 => {
                // unreachable(a, b) :- node(a), node(b), not path(a, b)
                let n = self.new_rel("unreachable", &[("a", Ty::Num), ("b", Ty::Num)]);
                let (u1, u2, b) = (self.un_view(), self.un_view(), self.negated_view());
                let neg = atom(b.0, &[(b.1, x.clone()), (b.2, y.clone())]);
                let body = vec![
                    self.un(u1, x.clone()),
                    self.un(u2, y.clone()),
                    Lit::Neg(neg),
                ];
                self.rule(n, vec![HeadArg::Var(0), HeadArg::Var(1)], body);
            }
            1 => {
                // sinks: nothing leaves them
                let n = self.new_rel("sink", &[("a", Ty::Num)]);
                let (u, b) = (self.un_view(), self.negated_view());
                let neg = atom(b.0, &[(b.1, x.clone()), (b.2, Term::Any)]);
                let body = vec![self.un(u, x.clone()), Lit::Neg(neg)];
                self.rule(n, vec![HeadArg::Var(0)], body);
            }
            2 => {
                // not linked to one constant node
                let n = self.new_rel("notto", &[("a", Ty::Num)]);
                let (u, b) = (self.un_view(), self.bin_view());
                let c = self.num_const();
                let neg = atom(b.0, &[(b.1, x.clone()), (b.2, Term::Const(c))]);
                let body = vec![self.un(u, x.clone()), Lit::Neg(neg)];
                self.rule(n, vec![HeadArg::Var(0)], body);
            }
            3 => {
                // not labelled with a given tag (a text constant under `not`)
                let n = self.new_rel("untagged", &[("a", Ty::Num)]);
                let u = self.un_view();
                let t = V::Text(self.d.pick(&TAGS));
                let neg = atom(LABEL, &[(0, x.clone()), (1, Term::Const(t))]);
                let body = vec![self.un(u, x.clone()), Lit::Neg(neg)];
                self.rule(n, vec![HeadArg::Var(0)], body);
            }
            4 => {
                // one-way links: s(x, y) without s'(y, x)
                let n = self.new_rel("oneway", &[("a", Ty::Num), ("b", Ty::Num)]);
                let (s, t) = (self.bin_view(), self.negated_view());
                let neg = atom(t.0, &[(t.1, y.clone()), (t.2, x.clone())]);
                let body = vec![self.bin(s, x.clone(), y.clone()), Lit::Neg(neg)];
                self.rule(n, vec![HeadArg::Var(0), HeadArg::Var(1)], body);
            }
            _ => {
                // in one column but not in another, and not a given value
                let n = self.new_rel("only", &[("a", Ty::Num)]);
                let (u, w) = (self.un_view(), self.un_view());
                let c = self.num_const();
                let body = vec![
                    self.un(u, x.clone()),
                    Lit::Neg(atom(w.0, &[(w.1, x.clone())])),
                    Lit::Cmp(x.clone(), Op::Ne, Term::Const(c)),
                ];
                self.rule(n, vec![HeadArg::Var(0)], body);
            }
        }
    }

    /// Head aggregates, grouped by the other head fields.
    fn block_aggregate(&mut self) {
        let (x, y, w, t) = (var(0), var(1), var(2), var(3));
        let num = Ty::Num;
        let arith = |d: &mut Self| {
            let op = d.d.pick(&[Ar::Add, Ar::Sub, Ar::Mul, Ar::IntDiv, Ar::Rem]);
            (op, 2 + d.d.below(4) as i64)
        };
        match self.d.below(10) {
            8 => {
                // arithmetic in a head: shifted(g: ?x, v: ?w op c) :- edge(src: ?x, weight: ?w)
                let a = self.new_rel("shifted", &[("g", num), ("v", num)]);
                let (op, c) = arith(self);
                let body = vec![Lit::Pos(atom(EDGE, &[(0, x.clone()), (2, w.clone())]))];
                self.rule(a, vec![HeadArg::Var(0), HeadArg::Calc(2, op, c)], body);
                return;
            }
            9 => {
                // groups made by a computed key: bucket(g: ?x op c, n: count(?y))
                let s = self.bin_view();
                let a = self.new_rel("bucket", &[("g", num), ("n", num)]);
                let (op, c) = arith(self);
                let f = self.d.pick(&[Agg::Count, Agg::Sum, Agg::Min, Agg::Max]);
                let body = vec![self.bin(s, x.clone(), y.clone())];
                self.rule(
                    a,
                    vec![HeadArg::Calc(0, op, c), HeadArg::Agg(f, Some(1))],
                    body,
                );
                return;
            }
            _ => {}
        }
        match self.d.below(8) {
            0 => {
                // out_degree(n: ?x, d: count(?y)) :- edge(src: ?x, dst: ?y)
                let s = self.bin_view();
                let a = self.new_rel("degree", &[("g", num), ("v", num)]);
                let body = vec![self.bin(s, x.clone(), y.clone())];
                self.rule(
                    a,
                    vec![HeadArg::Var(0), HeadArg::Agg(Agg::Count, Some(1))],
                    body,
                );
            }
            1 => {
                // min, max or sum of the weights of the edges leaving each node
                let f = self.d.pick(&[Agg::Sum, Agg::Min, Agg::Max]);
                let a = self.new_rel("weight", &[("g", num), ("v", num)]);
                let dst = self.d.pick(&[Some(y.clone()), Some(Term::Any), None]);
                let mut args = vec![(0, x.clone()), (2, w.clone())];
                if let Some(d) = dst {
                    args.push((1, d));
                }
                let body = vec![Lit::Pos(atom(EDGE, &args))];
                self.rule(a, vec![HeadArg::Var(0), HeadArg::Agg(f, Some(2))], body);
            }
            2 => {
                // count(): matches, not distinct values
                let s = self.bin_view();
                let a = self.new_rel("matches", &[("g", num), ("v", num)]);
                let body = vec![self.bin(s, x.clone(), Term::Any)];
                self.rule(
                    a,
                    vec![HeadArg::Var(0), HeadArg::Agg(Agg::Count, None)],
                    body,
                );
            }
            3 => {
                // no grouping: one row, or none when there is nothing to count
                let u = self.un_view();
                let f = self.d.pick(&[Agg::Count, Agg::Sum, Agg::Min, Agg::Max]);
                let a = self.new_rel("total", &[("v", num)]);
                let body = vec![self.un(u, x.clone())];
                self.rule(a, vec![HeadArg::Agg(f, Some(0))], body);
            }
            4 => {
                // grouped by a text
                let a = self.new_rel("per_tag", &[("g", Ty::Text), ("v", num)]);
                let body = vec![Lit::Pos(atom(LABEL, &[(0, x.clone()), (1, t.clone())]))];
                self.rule(
                    a,
                    vec![HeadArg::Var(3), HeadArg::Agg(Agg::Count, Some(0))],
                    body,
                );
            }
            5 => {
                // several aggregates in one head
                let a = self.new_rel(
                    "stats",
                    &[
                        ("g", num),
                        ("lo", num),
                        ("hi", num),
                        ("n", num),
                        ("total", num),
                    ],
                );
                let body = vec![Lit::Pos(atom(
                    EDGE,
                    &[(0, x.clone()), (1, y.clone()), (2, w.clone())],
                ))];
                let args = vec![
                    HeadArg::Var(0),
                    HeadArg::Agg(Agg::Min, Some(2)),
                    HeadArg::Agg(Agg::Max, Some(2)),
                    HeadArg::Agg(Agg::Count, Some(1)),
                    HeadArg::Agg(Agg::Sum, Some(1)),
                ];
                self.rule(a, args, body);
            }
            6 => {
                // a constant in an aggregate's head, and a comparison in its body
                let s = self.bin_view();
                let a = self.new_rel("best", &[("g", num), ("k", Ty::Text), ("v", num)]);
                let c = self.num_const();
                let body = vec![
                    self.bin(s, x.clone(), y.clone()),
                    Lit::Cmp(y.clone(), Op::Ge, Term::Const(c)),
                ];
                let k = HeadArg::Const(V::Text(self.d.pick(&TAGS)));
                self.rule(
                    a,
                    vec![HeadArg::Var(0), k, HeadArg::Agg(Agg::Max, Some(1))],
                    body,
                );
            }
            _ => {
                // min and max of texts
                let f = self.d.pick(&[Agg::Min, Agg::Max]);
                let a = self.new_rel("first_tag", &[("g", num), ("v", Ty::Text)]);
                let body = vec![Lit::Pos(atom(LABEL, &[(0, x.clone()), (1, t.clone())]))];
                self.rule(a, vec![HeadArg::Var(0), HeadArg::Agg(f, Some(3))], body);
            }
        }
    }

    /// A positive atom over `rel`: fresh variables, variables seen before (possibly twice in
    /// one atom), constants, `?_` and fields left out. Joins with what came before when it can.
    fn gen_atom(&mut self, rel: usize, vars: &mut Vec<Ty>) -> Atom {
        let fields = self.p.rels[rel].fields.clone();
        let before = vars.len();
        // Join with what came before on one field (when a type fits), so bodies stay joins,
        // not cross products.
        let join = (0..fields.len()).filter(|&f| (0..before).any(|v| vars[v] == fields[f].1));
        let join: Vec<usize> = join.collect();
        let join_at = (!join.is_empty()).then(|| self.d.pick(&join));
        let mut args = Vec::new();
        for (f, &(_, ty)) in fields.iter().enumerate() {
            let same: Vec<usize> = (0..vars.len()).filter(|&v| vars[v] == ty).collect();
            if join_at == Some(f) {
                let old: Vec<usize> = (0..before).filter(|&v| vars[v] == ty).collect();
                args.push((f, var(self.d.pick(&old))));
                continue;
            }
            let r = self.d.below(100);
            let term = if r < 40 || (r < 75 && same.is_empty()) {
                vars.push(ty);
                var(vars.len() - 1)
            } else if r < 75 {
                var(self.d.pick(&same))
            } else if r < 85 {
                Term::Const(self.const_of(ty))
            } else if r < 93 {
                continue;
            } else {
                Term::Any
            };
            args.push((f, term));
        }
        atom(rel, &args)
    }

    /// A term for a negated atom or comparison: a bound variable of the type, a constant, `?_`.
    fn filter_term(&mut self, ty: Ty, bound: &[usize], vars: &[Ty], any: bool) -> Option<Term> {
        let same: Vec<usize> = bound.iter().copied().filter(|&v| vars[v] == ty).collect();
        let r = self.d.below(100);
        Some(if r < 50 && !same.is_empty() {
            var(self.d.pick(&same))
        } else if r < 70 || !any {
            Term::Const(self.const_of(ty))
        } else if r < 85 {
            Term::Any
        } else {
            return None;
        })
    }

    /// A random body over `lower` relations (and `same`, the block's own, positively).
    fn gen_body(&mut self, lower: &[usize], same: &[usize]) -> (Vec<Lit>, Vec<Ty>, Vec<usize>) {
        let n = 1 + self.d.weighted(&[50, 35, 15]);
        let mut vars: Vec<Ty> = Vec::new();
        let mut body = Vec::new();
        let same_at = if same.is_empty() {
            usize::MAX
        } else {
            self.d.below(n + 1)
        };
        for i in 0..n {
            let rel = if i == same_at {
                self.d.pick(same)
            } else {
                self.d.pick(lower)
            };
            let a = self.gen_atom(rel, &mut vars);
            body.push(Lit::Pos(a));
        }
        let mut bound: Vec<usize> = (0..vars.len()).collect();
        let atom_vars = vars.len();
        // Arithmetic: in a rule that may recurse only operators that shrink (`//`, `%` by a
        // constant from 2), so the values stay finite and every program ends.
        let nums: Vec<usize> = (0..vars.len()).filter(|&v| vars[v] == Ty::Num).collect();
        if !nums.is_empty() && self.d.chance(30) {
            let x = self.d.pick(&nums);
            let op = if same.is_empty() {
                self.d
                    .pick(&[Ar::Add, Ar::Sub, Ar::Mul, Ar::IntDiv, Ar::Rem])
            } else {
                self.d.pick(&[Ar::IntDiv, Ar::Rem])
            };
            let c = 2 + self.d.below(4) as i64;
            vars.push(Ty::Num);
            body.push(Lit::Bind(vars.len() - 1, x, op, c));
            bound.push(vars.len() - 1);
        }
        if atom_vars > 0 && self.d.chance(15) {
            let x = self.d.below(atom_vars);
            let candidates: Vec<(usize, usize)> = lower
                .iter()
                .flat_map(|&r| {
                    self.p.rels[r]
                        .fields
                        .iter()
                        .enumerate()
                        .filter(|(_, f)| f.1 == vars[x])
                        .map(move |(f, _)| (r, f))
                        .collect::<Vec<_>>()
                })
                .collect();
            if !candidates.is_empty() {
                let (rel, field) = self.d.pick(&candidates);
                vars.push(Ty::Num);
                body.push(Lit::CountOf(vars.len() - 1, rel, field, x));
                bound.push(vars.len() - 1);
            }
        }
        if !vars.is_empty() && self.d.chance(15) {
            let cmp = |d: &mut Self| {
                let v = d.d.below(vars.len());
                let op = d.d.pick(&[Op::Eq, Op::Ne, Op::Lt, Op::Ge]);
                let other = d
                    .filter_term(vars[v], &bound, &vars, false)
                    .expect("a term");
                Lit::Cmp(var(v), op, other)
            };
            let a = cmp(self);
            let b = cmp(self);
            body.push(Lit::Or(Box::new(a), Box::new(b)));
        }
        if self.d.chance(35) {
            let rel = self.d.pick(lower);
            let fields = self.p.rels[rel].fields.clone();
            let mut args = Vec::new();
            for (f, &(_, ty)) in fields.iter().enumerate() {
                if let Some(t) = self.filter_term(ty, &bound, &vars, true) {
                    args.push((f, t));
                }
            }
            body.push(Lit::Neg(atom(rel, &args)));
        }
        if self.d.chance(35) && !vars.is_empty() {
            let v = self.d.below(vars.len());
            let op = self
                .d
                .pick(&[Op::Eq, Op::Ne, Op::Lt, Op::Le, Op::Gt, Op::Ge]);
            let other = self
                .filter_term(vars[v], &bound, &vars, false)
                .expect("a term");
            if self.d.chance(30) {
                body.push(Lit::Cmp(other, op, var(v)));
            } else {
                body.push(Lit::Cmp(var(v), op, other));
            }
        }
        (body, vars, bound)
    }

    /// A head for `rel` from the body's variables (a constant where no variable fits).
    fn fit_head(&mut self, rel: usize, vars: &[Ty]) -> Vec<HeadArg> {
        let fields = self.p.rels[rel].fields.clone();
        fields
            .iter()
            .map(|&(_, ty)| {
                let same: Vec<usize> = (0..vars.len()).filter(|&v| vars[v] == ty).collect();
                if same.is_empty() || self.d.chance(8) {
                    HeadArg::Const(self.const_of(ty))
                } else {
                    HeadArg::Var(self.d.pick(&same))
                }
            })
            .collect()
    }

    /// Random rules: one or two new kinds, each defined by a first rule over lower kinds, then
    /// rules that may read the block's kinds (recursion, mutual when there are two) or
    /// aggregate over lower kinds.
    fn block_generic(&mut self) {
        let lower: Vec<usize> = (0..self.lower).collect();
        let count = 1 + usize::from(self.d.chance(30));
        let mut mine = Vec::new();
        for _ in 0..count {
            let (body, vars, _) = self.gen_body(&lower, &mine);
            let agg = self.d.chance(20);
            let names = ["a", "b", "c"];
            // The head: distinct variables (or a constant), maybe one aggregate.
            let arity = 1 + self.d.weighted(&[35, 45, 20]);
            let mut args = Vec::new();
            let mut fields = Vec::new();
            for (i, name) in names.iter().enumerate().take(arity) {
                let (arg, ty) = if agg && i == arity - 1 && !vars.is_empty() {
                    let v = self.d.below(vars.len());
                    let f = if vars[v] == Ty::Num {
                        self.d.pick(&[Agg::Count, Agg::Sum, Agg::Min, Agg::Max])
                    } else {
                        self.d.pick(&[Agg::Count, Agg::Min, Agg::Max])
                    };
                    let ty = if matches!(f, Agg::Count | Agg::Sum) {
                        Ty::Num
                    } else {
                        vars[v]
                    };
                    (HeadArg::Agg(f, Some(v)), ty)
                } else if vars.is_empty() || self.d.chance(8) {
                    let ty = if self.d.chance(20) { Ty::Text } else { Ty::Num };
                    (HeadArg::Const(self.const_of(ty)), ty)
                } else {
                    let v = self.d.below(vars.len());
                    (HeadArg::Var(v), vars[v])
                };
                args.push(arg);
                fields.push((*name, ty));
            }
            // A kind read by its own block may not aggregate, and the aggregate's body must
            // not read the block: keep aggregates to a block's first kind's first rule.
            let agg_rule = args.iter().any(|a| matches!(a, HeadArg::Agg(..)));
            // dalil refuses `or` under a head aggregate (each branch would aggregate apart).
            let body: Vec<Lit> = if agg_rule {
                body.into_iter()
                    .filter(|l| !matches!(l, Lit::Pos(a) if mine.contains(&a.rel)))
                    .filter(|l| !matches!(l, Lit::Or(..)))
                    .collect()
            } else {
                body
            };
            let rel = self.new_rel("gen", &fields);
            let rule = Rule {
                head: rel,
                args,
                body,
                stratum: self.stratum,
                rot: 0,
                key: 0,
            };
            if !rule.is_safe() {
                // Dropping a self atom above can leave a variable unbound: use a plain copy.
                self.p.rels.pop();
                self.p.facts.pop();
                self.p.declared.pop();
                continue;
            }
            self.rule(rel, rule.args, rule.body);
            if !agg_rule {
                mine.push(rel);
            }
        }
        // More rules for the block's kinds, reading them positively.
        let extra = self.d.below(3);
        for _ in 0..extra {
            if mine.is_empty() {
                break;
            }
            let head = self.d.pick(&mine);
            let recursive = !self.d.chance(25);
            let same = if recursive { mine.clone() } else { vec![] };
            let (body, vars, _) = self.gen_body(&lower, &same);
            let args = self.fit_head(head, &vars);
            self.rule(head, args, body);
        }
    }
}

fn generate(g: &Graph, choices: &[u32]) -> Program {
    let mut b = Gen {
        d: Draw {
            data: choices,
            pos: 0,
        },
        p: base_program(g),
        nodes: g.nodes,
        stratum: 0,
        lower: 0,
    };
    b.p.shuffled = b.d.chance(30);
    b.p.split = b.d.chance(25);
    b.p.statuses = match b.d.weighted(&[20, 10, 70]) {
        mode @ (0 | 1) => mode as u32,
        _ => 2 + b.d.below(1000) as u32,
    };
    let blocks = 1 + b.d.weighted(&[30, 35, 25, 10]);
    for _ in 0..blocks {
        let block = b.d.weighted(&[25, 10, 20, 20, 25]);
        if block == 2 && b.p.rels.len() == NOTHING + 1 {
            // Negation is most interesting over a derived kind: make one first.
            b.lower = b.p.rels.len();
            b.block_closure();
            b.stratum += 1;
        }
        b.lower = b.p.rels.len();
        match block {
            0 => b.block_closure(),
            1 => b.block_mutual(),
            2 => b.block_negation(),
            3 => b.block_aggregate(),
            _ => b.block_generic(),
        }
        b.stratum += 1;
    }
    b.p
}

// ─── The property ───────────────────────────────────────────────────────────────────────────

thread_local! {
    /// Run the programs on the dataflow engine (`--engine dataflow`) instead of the local one.
    static DATAFLOW: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    /// Worker threads for the local engine, each round split as finely as it goes (`None`:
    /// the default, `DALIL_THREADS` or every core).
    static THREADS: std::cell::Cell<Option<usize>> = const { std::cell::Cell::new(None) };
    /// How many programs agreed with the reference.
    static AGREED: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
    /// The dataflow engine's refusals: how many programs each construct it names stopped.
    static REFUSED: std::cell::RefCell<std::collections::BTreeMap<String, usize>> =
        const { std::cell::RefCell::new(std::collections::BTreeMap::new()) };
}

/// A session on the engine under test.
fn new_session() -> Session {
    let mut s = Session::new();
    if let Some(n) = THREADS.get() {
        s.limits.threads = n;
        s.limits.min_split = 1;
    }
    #[cfg(feature = "dataflow")]
    if DATAFLOW.get() {
        s.use_dataflow(dalil::dataflow::Options::default())
            .expect("the dataflow engine starts");
    }
    s
}

fn config() -> Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(256);
    Config {
        cases,
        // Regressions found here are kept as hand-written tests below, not in a side file.
        failure_persistence: None,
        max_shrink_iters: 256,
        ..Config::default()
    }
}

fn describe_failure(p: &Program, outcome: &Outcome) -> String {
    let (what, detail) = match outcome {
        Outcome::Agree => ("no failure", String::new()),
        Outcome::Refused(e) => ("the engine refused a valid program", e.clone()),
        Outcome::Differ(d) => ("the engine and the reference disagree", d.clone()),
    };
    format!("{what}:\n{detail}\n--- program ---\n{}", render(p))
}

#[test]
fn engine_agrees_with_the_naive_reference() {
    property();
}

/// The same property on one thread, and with every round split between four workers: the
/// answers (rows, statuses, premises) do not depend on the number of threads.
#[test]
fn engine_agrees_with_the_reference_on_one_thread() {
    THREADS.set(Some(1));
    property();
}

#[test]
fn engine_agrees_with_the_reference_on_four_threads() {
    THREADS.set(Some(4));
    property();
}

/// The same property through the dataflow engine: every derived kind row for row, including
/// after facts added later (which it computes incrementally).
#[cfg(feature = "dataflow")]
#[test]
fn dataflow_engine_agrees_with_the_naive_reference() {
    DATAFLOW.set(true);
    property();
    // What it refuses, named and counted: nothing the generator writes. (Its status reads
    // ask for `stated`, which the dataflow engine lowers inside a recursion too; the other
    // constructs it refuses are not generated.)
    let refused = REFUSED.with(|r| r.borrow().clone());
    eprintln!(
        "the dataflow engine agreed on {} programs and refused {refused:?}",
        AGREED.get()
    );
    assert!(
        refused.is_empty(),
        "the dataflow engine refused programs: {refused:?} ({} agreed)",
        AGREED.get()
    );
}

fn property() {
    let mut runner = TestRunner::new(config());
    let strategy = (graph(), vec(any::<u32>(), 0..400));
    let result = runner.run(&strategy, |(g, choices)| {
        let p = generate(&g, &choices);
        prop_assert!(
            p.rules.iter().all(Rule::is_safe),
            "the generator made an unsafe rule:\n{}",
            render(&p)
        );
        match check(&p) {
            Outcome::Agree => {
                AGREED.set(AGREED.get() + 1);
                Ok(())
            }
            // The dataflow engine refuses, by name, what it cannot lower yet (docs/CLUSTER.md):
            // never a different answer, but no answer to compare either.
            Outcome::Refused(e)
                if DATAFLOW.get() && e.contains("the dataflow engine cannot run") =>
            {
                let what = e
                    .split("the dataflow engine cannot run ")
                    .nth(1)
                    .and_then(|rest| rest.split(" yet").next())
                    .unwrap_or("?")
                    .to_string();
                REFUSED.with(|r| *r.borrow_mut().entry(what).or_default() += 1);
                Ok(())
            }
            other => Err(TestCaseError::fail(describe_failure(&p, &other))),
        }
    });
    match result {
        Ok(()) => {}
        Err(TestError::Fail(_, (g, choices))) => {
            let p = minimise(generate(&g, &choices));
            let outcome = check(&p);
            panic!("minimised: {}", describe_failure(&p, &outcome));
        }
        Err(e) => panic!("{e}"),
    }
}

// ─── Regressions and fixed programs ─────────────────────────────────────────────────────────

/// Runs dalil source and returns the CSV output of the statements, failing on any error.
fn csv(text: &str) -> String {
    let mut s = Session::new();
    s.settings.format = Format::Csv;
    let mut out = String::new();
    let mut errors = String::new();
    s.run("t.dl", text, &mut |r| match r {
        Reply::Text(t) => out.push_str(&t),
        Reply::Error(e) => errors.push_str(&e),
        _ => {}
    });
    assert!(errors.is_empty(), "{errors}");
    out
}

const GRAPH: &str = r#"
kind edge "edges" (src: number, dst: number, w: number);
kind node "nodes" (n: number);
node(n: 1) background; node(n: 2) background; node(n: 3) background; node(n: 4) background;
edge(src: 1, dst: 2, w: 5) background;
edge(src: 2, dst: 3, w: 5) background;
edge(src: 3, dst: 1, w: 2) background;
edge(src: 4, dst: 4, w: 1) background;
"#;

#[test]
fn closure_left_right_and_nonlinear_agree() {
    let out = csv(&format!(
        "{GRAPH}
        l(a: ?x, b: ?y) :- edge(src: ?x, dst: ?y);
        l(a: ?x, b: ?z) :- l(a: ?x, b: ?y), edge(src: ?y, dst: ?z);
        r(a: ?x, b: ?y) :- edge(src: ?x, dst: ?y);
        r(a: ?x, b: ?z) :- edge(src: ?x, dst: ?y), r(a: ?y, b: ?z);
        n(a: ?x, b: ?y) :- edge(src: ?x, dst: ?y);
        n(a: ?x, b: ?z) :- n(a: ?x, b: ?y), n(a: ?y, b: ?z);
        count l; count r; count n;"
    ));
    assert_eq!(out, "count\n10\ncount\n10\ncount\n10\n");
}

#[test]
fn a_variable_repeated_in_one_atom_means_equal_columns() {
    let out = csv(&format!(
        "{GRAPH}
        self_loop(n: ?x) :- edge(src: ?x, dst: ?x);
        self_loop;"
    ));
    assert_eq!(out, "n,status\n4,background\n");
}

#[test]
fn min_and_max_of_texts_follow_text_order() {
    // Found by the property: `min`/`max` kept the first text seen.
    let out = csv(r#"
        kind label "labels" (n: number, tag: text);
        label(n: 1, tag: "green") background;
        label(n: 1, tag: "amber") background;
        label(n: 1, tag: "Blue") background;
        label(n: 2, tag: "red") background;
        tags(n: ?x, first: min(?t), last: max(?t)) :- label(n: ?x, tag: ?t);
        tags order by n;"#);
    assert_eq!(
        out,
        "n,first,last,status\n1,amber,green,background\n2,red,red,background\n"
    );
}

#[test]
fn count_takes_distinct_values_and_sum_every_match() {
    // dalil's documented meaning (docs/ARCHITECTURE.md), which the reference follows: two
    // edges of weight 5 from node 1 sum to 10, count(?w) counts one distinct weight, and
    // count() counts the matches.
    let out = csv(&format!(
        "{GRAPH}
        out(n: ?x, total: sum(?w), weights: count(?w), edges: count()) :- edge(src: ?x, w: ?w);
        edge(src: 1, dst: 3, w: 5) background;
        out where n = 1;"
    ));
    assert_eq!(out, "n,total,weights,edges,status\n1,10,1,2,background\n");
}

// ─── The rule checker's refusals ────────────────────────────────────────────────────────────

/// Runs dalil source; returns the error reports (colour is off in a new session).
fn errors(text: &str) -> (Session, String) {
    let mut s = Session::new();
    let mut errors = String::new();
    s.run("t.dl", text, &mut |r| {
        if let Reply::Error(e) = r {
            errors.push_str(&e);
        }
    });
    (s, errors)
}

/// `t.dl:LINE:COL` of the `n`th occurrence (from 0) of `needle` in `text`.
fn location(text: &str, needle: &str, n: usize) -> String {
    let at = text
        .match_indices(needle)
        .nth(n)
        .unwrap_or_else(|| panic!("{needle} not in the text"))
        .0;
    let line = text[..at].matches('\n').count() + 1;
    let col = text[..at].rsplit('\n').next().unwrap().chars().count() + 1;
    format!("t.dl:{line}:{col}")
}

const SCHEMA: &str = "kind q \"q\" (x: number);
kind edge \"edges\" (src: number, dst: number);
kind label \"labels\" (n: number, tag: text);
q(x: 1) background;
";

#[test]
fn negation_through_recursion_is_refused_naming_the_cycle() {
    let text = format!("{SCHEMA}p(x: ?x) :- q(x: ?x), not p(x: ?x);\n");
    let (s, e) = errors(&text);
    assert!(
        e.contains("`p` depends on itself through `not` or an aggregate: p → p"),
        "{e}"
    );
    assert!(e.contains("this rule closes the cycle"), "{e}");
    assert!(e.contains(&location(&text, "p(x: ?x) :-", 0)), "{e}");
    // The refused rule leaves no kind behind.
    assert!(s.db.kind_id("p").is_none());
}

#[test]
fn a_longer_cycle_through_negation_is_named_in_full() {
    let text = format!(
        "{SCHEMA}a(x: ?x) :- q(x: ?x);
b(x: ?x) :- a(x: ?x);
a(x: ?x) :- q(x: ?x), not b(x: ?x);
"
    );
    let (s, e) = errors(&text);
    assert!(
        e.contains("depends on itself through `not` or an aggregate"),
        "{e}"
    );
    assert!(
        e.contains("a → b → a") || e.contains("b → a → b"),
        "the report names both kinds of the cycle: {e}"
    );
    assert!(
        e.contains(&location(&text, "a(x: ?x) :- q(x: ?x), not", 0)),
        "{e}"
    );
    // The two good rules stay.
    assert_eq!(s.rules.len(), 2);
}

#[test]
fn aggregation_through_recursion_is_refused() {
    let text = format!(
        "{SCHEMA}m(x: ?x, n: ?y) :- edge(src: ?x, dst: ?y);
m(x: ?x, n: count(?y)) :- m(x: ?x, n: ?y);
"
    );
    let (_, e) = errors(&text);
    assert!(
        e.contains("`m` depends on itself through `not` or an aggregate: m → m"),
        "{e}"
    );
}

#[test]
fn a_variable_only_under_not_is_unsafe_at_its_span() {
    let text = format!("{SCHEMA}a(x: ?x) :- q(x: ?x), not edge(src: ?y);\n");
    let (s, e) = errors(&text);
    assert!(
        e.contains("variable `?y` is unsafe: it appears only under `not`"),
        "{e}"
    );
    assert!(e.contains(&location(&text, "?y", 0)), "{e}");
    assert!(e.contains("not bound by any fact"), "{e}");
    assert!(s.db.kind_id("a").is_none());
}

#[test]
fn a_variable_only_in_a_comparison_is_unsafe_at_its_span() {
    let text = format!("{SCHEMA}b(x: ?x) :- q(x: ?x), ?x < ?z;\n");
    let (_, e) = errors(&text);
    assert!(
        e.contains("variable `?z` is unsafe: it appears only in a comparison"),
        "{e}"
    );
    assert!(e.contains(&location(&text, "?z", 0)), "{e}");
}

#[test]
fn a_head_variable_not_bound_by_the_body_is_refused() {
    let text = format!("{SCHEMA}c(x: ?x, y: ?y) :- q(x: ?x), not edge(src: ?x);\n");
    let (_, e) = errors(&text);
    assert!(
        e.contains("variable `?y` in the head is not bound by the body"),
        "{e}"
    );
    assert!(e.contains(&location(&text, "?y", 0)), "{e}");
}

#[test]
fn an_unknown_kind_is_refused_with_a_suggestion() {
    let text = format!("{SCHEMA}c(x: ?x) :- egde(src: ?x);\n");
    let (_, e) = errors(&text);
    assert!(e.contains("there is no kind `egde`"), "{e}");
    assert!(e.contains("did you mean `edge`?"), "{e}");
    assert!(e.contains(&location(&text, "egde", 0)), "{e}");
}

#[test]
fn an_unknown_field_is_refused_with_a_suggestion() {
    let text = format!("{SCHEMA}d(x: ?x) :- edge(scr: ?x);\n");
    let (_, e) = errors(&text);
    assert!(e.contains("kind `edge` has no field `scr`"), "{e}");
    assert!(e.contains("did you mean `src`?"), "{e}");
    assert!(e.contains(&location(&text, "scr", 0)), "{e}");
}

#[test]
fn too_many_positional_arguments_are_refused() {
    let text = format!("{SCHEMA}e(x: ?x) :- edge(?x, ?y, ?z);\n");
    let (_, e) = errors(&text);
    assert!(
        e.contains("kind `edge` has 2 fields, this is argument 3"),
        "{e}"
    );
    assert!(e.contains("its fields in order are src, dst"), "{e}");
    assert!(e.contains(&location(&text, "?z", 0)), "{e}");
}

#[test]
fn a_variable_of_two_types_is_refused() {
    let text = format!("{SCHEMA}f(x: ?x) :- edge(src: ?x), label(tag: ?x);\n");
    let (_, e) = errors(&text);
    assert!(e.contains("`?x` is used as a number and as a text"), "{e}");
    assert!(e.contains(&location(&text, "?x", 2)), "{e}");
}

#[test]
fn comparing_a_number_with_a_text_is_refused() {
    let text = format!("{SCHEMA}g(x: ?x) :- edge(src: ?x), ?x = \"a\";\n");
    let (_, e) = errors(&text);
    assert!(e.contains("a text, not a number"), "{e}");
    assert!(e.contains(&location(&text, "\"a\"", 0)), "{e}");
}

#[test]
fn a_head_field_of_another_type_than_before_is_refused() {
    let text = format!(
        "{SCHEMA}h(v: ?x) :- q(x: ?x);
h(v: ?t) :- label(tag: ?t);
"
    );
    let (_, e) = errors(&text);
    assert!(
        e.contains("field `v` of `h` is a number, here it is a text"),
        "{e}"
    );
}

// ─── What the generator covers ──────────────────────────────────────────────────────────────

/// `cargo test --test reference -- --ignored --nocapture generator_coverage` prints how often
/// each feature occurs in generated programs, and how big their answers are.
#[test]
#[ignore]
fn generator_coverage() {
    let mut runner = TestRunner::new(config());
    let strategy = (graph(), vec(any::<u32>(), 0..400));
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    let mut total = 0;
    let (mut derived, mut nonempty, mut rows, mut biggest) = (0, 0, 0, 0);
    for _ in 0..runner.config().cases {
        let (g, choices) = strategy.new_tree(&mut runner).expect("a value").current();
        let p = generate(&g, &choices);
        total += 1;
        let mut seen = BTreeSet::new();
        let heads: BTreeSet<usize> = p.rules.iter().map(|r| r.head).collect();
        for r in &p.rules {
            let reads_stratum = |rel: usize| {
                p.rules
                    .iter()
                    .any(|o| o.head == rel && o.stratum == r.stratum)
            };
            let pos: Vec<&Atom> = r
                .body
                .iter()
                .filter_map(|l| if let Lit::Pos(a) = l { Some(a) } else { None })
                .collect();
            let rec = pos.iter().filter(|a| reads_stratum(a.rel)).count();
            if rec > 0 {
                seen.insert("recursive rule");
            }
            if rec > 1 {
                seen.insert("non-linear recursive rule");
            }
            if pos.iter().any(|a| reads_stratum(a.rel) && a.rel != r.head) {
                seen.insert("mutual recursion");
            }
            for lit in &r.body {
                match lit {
                    Lit::Neg(a) => {
                        seen.insert("negation");
                        if heads.contains(&a.rel) {
                            seen.insert("negation of a derived kind");
                        }
                        if a.args.iter().any(|(_, t)| matches!(t, Term::Const(_))) {
                            seen.insert("constant under not");
                        }
                        if a.args.iter().any(|(_, t)| *t == Term::Any) {
                            seen.insert("?_ under not");
                        }
                        if a.status.is_some() {
                            seen.insert("status under not");
                        }
                    }
                    Lit::Cmp(..) => {
                        seen.insert("comparison");
                    }
                    Lit::Bind(..) => {
                        seen.insert("binding ?v = ?x op c");
                    }
                    Lit::Or(..) => {
                        seen.insert("disjunction");
                    }
                    Lit::CountOf(..) => {
                        seen.insert("aggregate in a body");
                    }
                    Lit::Pos(a) => {
                        let vars: Vec<&Term> = a
                            .args
                            .iter()
                            .map(|(_, t)| t)
                            .filter(|t| matches!(t, Term::Var(_)))
                            .collect();
                        if (1..vars.len()).any(|i| vars[..i].contains(&vars[i])) {
                            seen.insert("variable repeated in one atom");
                        }
                        if a.args.iter().any(|(_, t)| matches!(t, Term::Const(_))) {
                            seen.insert("constant in an atom");
                        }
                        if a.args.iter().any(|(_, t)| *t == Term::Any) {
                            seen.insert("?_ in a positive atom");
                        }
                        if a.status.is_some() {
                            seen.insert("status: \"stated\" in an atom");
                        }
                        if a.positional {
                            seen.insert("positional atom (maybe)");
                        }
                        if p.facts[a.rel].is_empty() && p.rels[a.rel].base {
                            seen.insert("atom over an empty base kind");
                        }
                    }
                }
            }
            for a in &r.args {
                match a {
                    HeadArg::Agg(f, v) => {
                        seen.insert(match (f, v) {
                            (_, None) => "count()",
                            (Agg::Count, _) => "count(?v)",
                            (Agg::Sum, _) => "sum",
                            (Agg::Min, _) => "min",
                            (Agg::Max, _) => "max",
                        });
                        if r.args.len() == 1 {
                            seen.insert("aggregate without grouping");
                        }
                    }
                    HeadArg::Const(_) => {
                        seen.insert("constant in a head");
                    }
                    HeadArg::Calc(..) => {
                        seen.insert("arithmetic in a head");
                    }
                    HeadArg::Var(_) => {}
                }
            }
        }
        if p.facts
            .iter()
            .flatten()
            .any(|row| row.contains(&V::Unknown))
        {
            seen.insert("facts with unknown fields");
        }
        if p.declared.iter().any(|d| *d) {
            seen.insert("derived kind declared first");
        }
        if p.shuffled {
            seen.insert("rules shuffled");
        }
        if p.split {
            seen.insert("edges added after a first computation");
        }
        seen.insert(match p.statuses {
            0 => "facts all stated",
            1 => "facts all background",
            _ => "facts of mixed statuses",
        });
        let text = render(&p);
        let first_reads_itself = p.rels.iter().any(|r| {
            let head = format!("{}(", r.name);
            text.lines()
                .find(|l| l.starts_with(&head))
                .is_some_and(|l| l.split(":-").nth(1).is_some_and(|b| b.contains(&head)))
        });
        if first_reads_itself {
            seen.insert("a kind's first rule reads the kind");
        }
        for k in seen {
            *counts.entry(k).or_default() += 1;
        }
        let answer = reference(&p);
        for i in compared_rels(&p) {
            derived += 1;
            rows += answer[i].len();
            biggest = biggest.max(answer[i].len());
            nonempty += usize::from(!answer[i].is_empty());
        }
    }
    println!(
        "{total} programs, {derived} derived kinds, {nonempty} with rows, {rows} rows, largest {biggest}"
    );
    for (k, n) in counts {
        println!("{:>5.1}%  {k}", 100.0 * n as f64 / total as f64);
    }
}
