//! The checked, stratified program lowered to a plan of dataflow operators ([`Program`]):
//! plain data (no `Value`s, no references into the database), so it can be handed to every
//! worker thread, each of which renders it (src/dataflow/render.rs).
//!
//! What cannot be lowered with the local engine's exact meaning is refused here, with a report
//! naming the construct, before anything runs.

use super::cell::{self, DateTable, lowerable};
use crate::check::Strata;
use crate::check::functions::Func;
use crate::check::rules::{BodyLit, CAtom, CheckedRule, Expr, HeadArg, Slot};
use crate::date::{Modality, TimeRel, Widening};
use crate::diagnostic::{Diagnostic, Span};
use crate::store::Sym;
use crate::store::{Database, KindId, KindOrigin, Type, Value};
use crate::syntax::ast::{AggFn, CmpOp};
use std::sync::Arc;

/// A whole program: the base kinds it reads, its strata in order, the kinds it derives.
#[derive(Clone, Debug)]
pub struct Program {
    /// Base kinds read by some rule, each with its column types (the dataflow's inputs).
    pub inputs: Vec<(KindId, Vec<Type>)>,
    pub strata: Vec<Stratum>,
    /// Derived kinds with their column types, in stratum order (the dataflow's outputs).
    pub outputs: Vec<(KindId, Vec<Type>)>,
    /// The order of names, when a rule compares texts or names by order (`<`, `min`).
    pub names: Option<Arc<NameOrder>>,
    /// The dates the cells stand for.
    pub dates: DateTable,
    /// How far approximate dates reach under `possibly` (the session's setting).
    pub widening: Widening,
}

/// The case-insensitive order of every symbol's name, as `<` and `min` on texts and names
/// use it: a rank per symbol, for texts and for entities and fact ids (displayed by label).
/// Made from the symbols known when the program was lowered; a new symbol means lowering again.
#[derive(Debug, Default)]
pub struct NameOrder {
    pub text: Vec<u32>,
    pub entity: Vec<u32>,
}

impl NameOrder {
    fn of(db: &Database) -> NameOrder {
        let n = db.interner.len() as u32;
        let ranks = |value: &dyn Fn(Sym) -> Value| -> Vec<u32> {
            let names: Vec<String> = (0..n)
                .map(|i| db.display(&value(Sym(i))).to_lowercase())
                .collect();
            let mut order: Vec<u32> = (0..n).collect();
            order.sort_by(|a, b| names[*a as usize].cmp(&names[*b as usize]));
            let mut rank = vec![0u32; n as usize];
            let mut r = 0;
            for (i, &s) in order.iter().enumerate() {
                if i > 0 && names[s as usize] != names[order[i - 1] as usize] {
                    r = i as u32;
                }
                rank[s as usize] = r;
            }
            rank
        };
        NameOrder {
            text: ranks(&Value::Text),
            entity: ranks(&Value::Entity),
        }
    }

    /// How many symbols the order covers.
    pub fn symbols(&self) -> usize {
        self.text.len()
    }

    /// The order of two values as `<` sees it (`None`: not comparable, or an unknown symbol).
    pub fn order(&self, a: &Value, b: &Value) -> Option<std::cmp::Ordering> {
        let rank = |table: &[u32], s: Sym| table.get(s.0 as usize).copied();
        match (a, b) {
            (Value::Text(x), Value::Text(y)) => {
                Some(rank(&self.text, *x)?.cmp(&rank(&self.text, *y)?))
            }
            (Value::Entity(x), Value::Entity(y)) | (Value::Ref(x), Value::Ref(y)) => {
                Some(rank(&self.entity, *x)?.cmp(&rank(&self.entity, *y)?))
            }
            _ => crate::eval::order_unnamed(a, b),
        }
    }
}

/// One stratum: rendered once (not recursive) or as one `iterate` scope (recursive).
#[derive(Clone, Debug)]
pub struct Stratum {
    pub recursive: bool,
    pub heads: Vec<KindId>,
    pub rules: Vec<Rule>,
}

/// One rule: positive atoms joined in order, filters and antijoins as soon as their variables
/// are bound, then the head (or a reduce, for aggregates).
#[derive(Clone, Debug)]
pub struct Rule {
    /// Position in the session's rule list.
    pub index: usize,
    pub head_kind: KindId,
    pub vars: usize,
    /// The type of each variable.
    pub var_types: Vec<Type>,
    pub steps: Vec<Step>,
    /// One per column of the head kind.
    pub head: Vec<HeadCell>,
    pub aggs: Vec<Agg>,
}

/// A step of a rule's body, in the order the dataflow applies it.
#[derive(Clone, Debug)]
pub enum Step {
    /// Join with the rows of a kind (the first atom starts the bindings).
    Join(Atom),
    /// Keep the bindings that satisfy a comparison or a time relation.
    Filter(Filter),
    /// Antijoin: drop the bindings that match a row of the kind.
    Not(Atom),
}

/// An atom: which columns of which kind, bound to what.
#[derive(Clone, Debug)]
pub struct Atom {
    pub kind: KindId,
    pub args: Vec<(usize, Arg)>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arg {
    Var(usize),
    /// A constant's cell; a row with any other value (or unknown) does not match.
    Const(u64),
    /// `?_` in a negated atom: any value.
    Any,
}

/// A comparison operand: a variable, a constant, or `days_between` (`max_days_between`).
#[derive(Clone, Debug)]
pub enum Operand2 {
    Var(usize),
    Const(u64, Type),
    DaysBetween(Func, Box<Operand2>, Box<Operand2>),
}

#[derive(Clone, Debug)]
pub enum Filter {
    Compare(Operand2, CmpOp, Operand2),
    Time(Operand2, TimeRel, Modality, Operand2),
}

/// What fills a column of the head.
#[derive(Clone, Copy, Debug)]
pub enum HeadCell {
    Var(usize),
    Const(u64),
    /// The result of aggregate `i` of [`Rule::aggs`].
    Agg(usize),
}

#[derive(Clone, Copy, Debug)]
pub struct Agg {
    pub func: AggFn,
    pub var: Option<usize>,
}

impl Filter {
    fn vars(&self) -> Vec<usize> {
        fn of(o: &Operand2, out: &mut Vec<usize>) {
            match o {
                Operand2::Var(v) => out.push(*v),
                Operand2::Const(..) => {}
                Operand2::DaysBetween(_, a, b) => {
                    of(a, out);
                    of(b, out);
                }
            }
        }
        let mut out = vec![];
        match self {
            Filter::Compare(a, _, b) | Filter::Time(a, _, _, b) => {
                of(a, &mut out);
                of(b, &mut out);
            }
        }
        out
    }
}

/// A report that the dataflow engine cannot run `what` (yet), at `span`.
fn refuse(what: &str, span: Span) -> Diagnostic {
    Diagnostic::error(
        format!("the dataflow engine cannot run {what} yet"),
        span,
        "in this rule",
    )
    .with_help("run this program on dalil's own engine (leave out `--engine dataflow`)")
    .with_note("the dataflow engine refuses what it would compute differently, rather than guess")
}

/// Lowers the session's rules; refuses, naming the construct, what it cannot lower.
pub fn lower(
    db: &Database,
    rules: &[CheckedRule],
    strata: &Strata,
    dates: &DateTable,
) -> Result<Program, Diagnostic> {
    let types = |k: KindId| -> Vec<Type> { db.kind(k).fields.iter().map(|f| f.ty).collect() };
    let mut program = Program {
        inputs: vec![],
        strata: vec![],
        outputs: vec![],
        names: None,
        dates: dates.clone(),
        widening: db.widening,
    };
    let mut by_name = false;
    let derived: Vec<KindId> = rules.iter().map(|r| r.head_kind).collect();
    for (members, recursive) in &strata.strata {
        let mut stratum = Stratum {
            recursive: *recursive,
            heads: vec![],
            rules: vec![],
        };
        for &i in members {
            let Some(rule) = rules.iter().find(|r| r.index == i) else {
                continue;
            };
            // A kind with facts of its own as well as rules: its facts are an input too.
            if matches!(db.kind(rule.head_kind).origin, KindOrigin::Mixed(_))
                && !program.inputs.iter().any(|(k, _)| *k == rule.head_kind)
            {
                program.inputs.push((rule.head_kind, types(rule.head_kind)));
            }
            let (lowered, names) = lower_rule(db, rule, dates)?;
            by_name |= names;
            if !stratum.heads.contains(&rule.head_kind) {
                stratum.heads.push(rule.head_kind);
                program
                    .outputs
                    .push((rule.head_kind, types(rule.head_kind)));
            }
            for step in &lowered.steps {
                if let Step::Join(a) | Step::Not(a) = step
                    && !derived.contains(&a.kind)
                    && !program.inputs.iter().any(|(k, _)| *k == a.kind)
                {
                    program.inputs.push((a.kind, types(a.kind)));
                }
            }
            stratum.rules.push(lowered);
        }
        program.strata.push(stratum);
    }
    if by_name {
        program.names = Some(Arc::new(NameOrder::of(db)));
    }
    Ok(program)
}

fn constant(v: &Value, span: Span, dates: &DateTable) -> Result<u64, Diagnostic> {
    let mut dates = dates.write().unwrap_or_else(|e| e.into_inner());
    cell::encode(v, &mut dates).ok_or_else(|| refuse("a list constant", span))
}

/// A rule lowered; true if it orders texts or names (and so needs the [`NameOrder`]).
fn lower_rule(
    db: &Database,
    rule: &CheckedRule,
    dates: &DateTable,
) -> Result<(Rule, bool), Diagnostic> {
    let span = rule.span;
    let mut by_name = false;
    // Every variable's type, from the columns it is bound to.
    let mut var_types = vec![None; rule.var_names.len()];
    for lit in &rule.body {
        if let BodyLit::Atom(a) | BodyLit::Not(a) = lit {
            for (col, slot) in &a.args {
                if let Slot::Var(v) = slot {
                    var_types[*v] = db.kind(a.kind).fields.get(*col).map(|f| f.ty);
                }
            }
        }
    }
    let var_types: Vec<Type> = var_types
        .into_iter()
        .map(|t| t.unwrap_or(Type::Text))
        .collect();
    let atom = |a: &CAtom, negated: bool| -> Result<Atom, Diagnostic> {
        let mut args = vec![];
        for (col, slot) in &a.args {
            let Some(field) = db.kind(a.kind).fields.get(*col) else {
                return Err(refuse("a rule that reads a row's status", a.span));
            };
            if !lowerable(field.ty) {
                return Err(refuse(
                    &format!("a rule that reads the {} field `{}`", field.ty, field.name),
                    a.span,
                ));
            }
            args.push((
                *col,
                match slot {
                    Slot::Var(v) if negated && rule.var_names[*v] == "?_" => Arg::Any,
                    Slot::Var(v) => Arg::Var(*v),
                    Slot::Const(c) => Arg::Const(constant(c, a.span, dates)?),
                },
            ));
        }
        Ok(Atom { kind: a.kind, args })
    };
    let operand = |o: &Expr| -> Result<Operand2, Diagnostic> { lower_operand(o, span, dates) };
    // Positive atoms in the order written; each filter and negation right after the atom
    // that binds its last variable.
    let mut joins = vec![];
    let mut later = vec![];
    for lit in &rule.body {
        match lit {
            BodyLit::Atom(a) => joins.push(atom(a, false)?),
            BodyLit::Not(a) => later.push(Step::Not(atom(a, true)?)),
            BodyLit::Compare(l, op, r) => {
                let (l, r) = (operand(l)?, operand(r)?);
                by_name |= orders_names(&l, *op, &r, &var_types);
                later.push(Step::Filter(Filter::Compare(l, *op, r)));
            }
            BodyLit::Bind(..) => {
                return Err(refuse(
                    "`?v = …` (a variable given an expression's value)",
                    span,
                ));
            }
            BodyLit::Aggregate(..) => {
                return Err(refuse(
                    "an aggregate in a rule's body (`?n = count(…)`)",
                    span,
                ));
            }
            BodyLit::Time(l, rel, m, r) => later.push(Step::Filter(Filter::Time(
                operand(l)?,
                *rel,
                *m,
                operand(r)?,
            ))),
        }
    }
    let mut steps = vec![];
    let mut bound = vec![false; var_types.len()];
    let needs = |s: &Step| -> Vec<usize> {
        match s {
            Step::Filter(f) => f.vars(),
            Step::Not(a) | Step::Join(a) => a
                .args
                .iter()
                .filter_map(|(_, x)| match x {
                    Arg::Var(v) => Some(*v),
                    _ => None,
                })
                .collect(),
        }
    };
    let place = |steps: &mut Vec<Step>, later: &mut Vec<Step>, bound: &[bool]| {
        let (ready, rest): (Vec<Step>, Vec<Step>) = later
            .drain(..)
            .partition(|s| needs(s).iter().all(|v| bound[*v]));
        steps.extend(ready);
        *later = rest;
    };
    for a in joins {
        for (_, arg) in &a.args {
            if let Arg::Var(v) = arg {
                bound[*v] = true;
            }
        }
        steps.push(Step::Join(a));
        place(&mut steps, &mut later, &bound);
    }
    if !later.is_empty() || steps.is_empty() {
        return Err(refuse(
            "a rule without a positive atom binding every variable",
            span,
        ));
    }
    let mut head = vec![HeadCell::Const(cell::NULL); db.kind(rule.head_kind).fields.len()];
    let mut aggs = vec![];
    for (col, arg) in &rule.head {
        head[*col] = match arg {
            HeadArg::Expr(Expr::Var(v)) => HeadCell::Var(*v),
            HeadArg::Expr(Expr::Const(c)) => HeadCell::Const(constant(c, span, dates)?),
            HeadArg::Expr(_) => {
                return Err(refuse("arithmetic and functions in a rule's head", span));
            }
            HeadArg::Agg(func, arg) => {
                let var = match arg {
                    None => None,
                    Some(Expr::Var(v)) => Some(*v),
                    Some(_) => {
                        return Err(refuse(
                            "an aggregate of an expression (`sum(?a * ?b)`)",
                            span,
                        ));
                    }
                };
                if *func == AggFn::Mean {
                    return Err(refuse("`mean`", span));
                }
                by_name |= matches!(func, AggFn::Min | AggFn::Max)
                    && var.is_some_and(|v| {
                        !matches!(var_types[v], Type::Number | Type::Date | Type::Bool)
                    });
                aggs.push(Agg { func: *func, var });
                HeadCell::Agg(aggs.len() - 1)
            }
        };
    }
    let lowered = Rule {
        index: rule.index,
        head_kind: rule.head_kind,
        vars: var_types.len(),
        var_types,
        steps,
        head,
        aggs,
    };
    Ok((lowered, by_name))
}

fn lower_operand(e: &Expr, span: Span, dates: &DateTable) -> Result<Operand2, Diagnostic> {
    Ok(match e {
        Expr::Var(v) => Operand2::Var(*v),
        Expr::Const(c) => Operand2::Const(constant(c, span, dates)?, value_type(c)),
        Expr::Call(f @ (Func::DaysBetween | Func::MaxDaysBetween), args) if args.len() == 2 => {
            Operand2::DaysBetween(
                *f,
                Box::new(lower_operand(&args[0], span, dates)?),
                Box::new(lower_operand(&args[1], span, dates)?),
            )
        }
        _ => {
            return Err(refuse(
                "arithmetic and functions other than `days_between` in a comparison",
                span,
            ));
        }
    })
}

/// The type a constant's cell decodes as.
pub fn value_type(v: &Value) -> Type {
    match v {
        Value::Bool(_) => Type::Bool,
        Value::Num(_) => Type::Number,
        Value::Text(_) | Value::Null => Type::Text,
        Value::Date(_) => Type::Date,
        Value::Entity(_) => Type::Entity,
        Value::Ref(_) => Type::Ref,
        Value::List(_) => Type::List,
    }
}

/// The type of an operand's values.
pub fn operand_type(o: &Operand2, types: &[Type]) -> Type {
    match o {
        Operand2::Var(v) => types[*v],
        Operand2::Const(_, t) => *t,
        Operand2::DaysBetween(..) => Type::Number,
    }
}

/// Do `<`, `<=`, `>`, `>=` here order texts or names (by name)? Equality needs no names.
fn orders_names(l: &Operand2, op: CmpOp, r: &Operand2, types: &[Type]) -> bool {
    let by_name = |t: Type| matches!(t, Type::Text | Type::Entity | Type::Ref | Type::List);
    !matches!(op, CmpOp::Eq | CmpOp::Ne)
        && (by_name(operand_type(l, types)) || by_name(operand_type(r, types)))
}

impl Program {
    /// How the program was lowered, in words, for `explain`.
    pub fn describe(&self, db: &Database, workers: usize, processes: usize) -> String {
        let name = |k: KindId| db.kind(k).name.as_str();
        let mut out = format!(
            "Engine: differential dataflow, {workers} worker{} in {processes} process{}.\n",
            if workers == 1 { "" } else { "s" },
            if processes == 1 { "" } else { "es" }
        );
        let inputs: Vec<&str> = self.inputs.iter().map(|(k, _)| name(*k)).collect();
        out.push_str(&format!("Inputs: {}.\n", inputs.join(", ")));
        for (i, s) in self.strata.iter().enumerate() {
            let heads: Vec<&str> = s.heads.iter().map(|k| name(*k)).collect();
            out.push_str(&format!(
                "Stratum {}: {}{}\n",
                i + 1,
                heads.join(", "),
                if s.recursive {
                    " — one iterate scope (a variable per kind, distinct each round)"
                } else {
                    " — once, then distinct"
                }
            ));
            for r in &s.rules {
                let mut ops: Vec<String> = vec![];
                let mut first = true;
                for step in &r.steps {
                    ops.push(match step {
                        Step::Join(a) if first => {
                            first = false;
                            format!("scan {}", name(a.kind))
                        }
                        Step::Join(a) => format!("join {} (shared arrangement)", name(a.kind)),
                        Step::Not(a) => format!("antijoin {}", name(a.kind)),
                        Step::Filter(_) => "filter".to_string(),
                    });
                }
                if r.aggs.is_empty() {
                    ops.push(format!("map to {}", name(r.head_kind)));
                } else {
                    let fs: Vec<&str> = r.aggs.iter().map(|a| a.func.name()).collect();
                    ops.push(format!(
                        "reduce ({}) to {}",
                        fs.join(", "),
                        name(r.head_kind)
                    ));
                }
                out.push_str(&format!("  rule {}: {}\n", r.index + 1, ops.join(" → ")));
            }
        }
        out
    }
}
