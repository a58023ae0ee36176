//! The checked, stratified program lowered to a plan of dataflow operators ([`Program`]):
//! plain data (no `Value`s, no references into the database), so it can be handed to every
//! worker thread, each of which renders it (src/dataflow/render.rs).
//!
//! What cannot be lowered with the local engine's exact meaning is refused here, with a report
//! naming the construct, before anything runs.

use super::cell::{self, DateTable, lowerable};
use crate::check::Strata;
use crate::check::functions::signature;
use crate::check::rules::{BodyAgg, BodyLit, CAtom, CheckedRule, Expr, HeadArg, Slot};
use crate::date::{Modality, TimeRel, Widening};
use crate::diagnostic::{Diagnostic, Span};
use crate::store::Sym;
use crate::store::{Database, KindId, KindOrigin, Status, Type, Value, virtual_cols};
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
    /// The symbols' texts, which evaluating expressions reads, when a rule computes a value
    /// beyond a variable or a constant (each worker makes its own database of them).
    pub symbols: Option<Arc<crate::store::Interner>>,
    /// The cells of `background`, `inferred` and `stated` (weakest first), when rows carry
    /// their status: an input has a row that is not stated, or a rule reads a row's status.
    /// Every row then ends in one more cell, its status; without, every row is stated.
    pub statuses: Option<[u64; 3]>,
}

/// A checked expression on its way to the workers: `Expr` holds values that stay on one
/// thread, so it travels encoded and each worker decodes its own copy.
#[derive(Clone, Debug)]
pub struct Code {
    bytes: Vec<u8>,
    /// The variables it reads.
    pub vars: Vec<usize>,
}

impl Code {
    pub fn new(e: &Expr) -> Code {
        let mut vars = vec![];
        e.vars(&mut vars);
        Code {
            bytes: postcard::to_stdvec(e).unwrap_or_default(),
            vars,
        }
    }

    /// The expression (decoded on the worker's thread).
    pub fn expr(&self) -> Expr {
        postcard::from_bytes(&self.bytes).unwrap_or(Expr::Const(Value::Null))
    }
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
    /// A rule of this recursion reads a status other than `stated` of a kind it derives: the
    /// stratum runs a pass per status, strongest first, as on the local engine.
    pub by_status: bool,
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
    /// The variable that holds a binding's status (the weakest of its rows'), with statuses.
    pub status: Option<usize>,
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
    /// Give a new variable an expression's value (`?v = expr`, or an aggregate's argument).
    Bind(Bind),
    /// `?v = agg(e : body)`, once the variables it shares with the rule are bound.
    Aggregate(Box<BodyAggregate>),
}

/// An aggregate in a rule's body, over a body of its own.
#[derive(Clone, Debug)]
pub struct BodyAggregate {
    /// The variable it binds.
    pub var: usize,
    pub func: AggFn,
    /// The variable whose values it aggregates (bound by `steps`); `None` for `count()`.
    pub arg: Option<usize>,
    /// The rule's variables its body reads, bound before it.
    pub outer: Vec<usize>,
    /// Its body's steps, run from the values of `outer`.
    pub steps: Vec<Step>,
}

/// `?v = expr` on a variable not bound yet.
#[derive(Clone, Debug)]
pub struct Bind {
    pub var: usize,
    pub expr: Code,
    /// Keep a binding whose value is unknown (an aggregate's argument: it still counts as a
    /// match); otherwise it is dropped, as the local engine drops it.
    pub keep_unknown: bool,
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
    /// The row's status (its last cell), which the binding's status takes the weakest of.
    Status(usize),
    /// A constant's cell; a row with any other value (or unknown) does not match.
    Const(u64),
    /// `?_` in a negated atom: any value.
    Any,
}

/// A comparison or a time relation, on the checked expressions (evaluated by the local
/// engine's `eval::expr`).
#[derive(Clone, Debug)]
pub enum Filter {
    Compare(Code, CmpOp, Code),
    Time(Code, TimeRel, Modality, Code),
}

/// What fills a column of the head.
#[derive(Clone, Debug)]
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
    pub fn vars(&self) -> Vec<usize> {
        let mut out = vec![];
        match self {
            Filter::Compare(a, _, b) | Filter::Time(a, _, _, b) => {
                out.extend(&a.vars);
                out.extend(&b.vars);
            }
        }
        out
    }
}

impl Step {
    /// The variables the step reads (an atom: those it shares with the binding or binds).
    pub fn vars(&self) -> Vec<usize> {
        match self {
            Step::Filter(f) => f.vars(),
            Step::Not(a) | Step::Join(a) => a
                .args
                .iter()
                .filter_map(|(_, x)| match x {
                    Arg::Var(v) | Arg::Status(v) => Some(*v),
                    _ => None,
                })
                .collect(),
            Step::Bind(b) => b.expr.vars.clone(),
            Step::Aggregate(g) => g.outer.clone(),
        }
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
        symbols: None,
        statuses: None,
    };
    if needs_statuses(db, rules) {
        let cell = |s: Status| {
            db.interner
                .get(s.name())
                .map_or(cell::NULL, |x| u64::from(x.0))
        };
        program.statuses = Some([Status::Background, Status::Inferred, Status::Stated].map(cell));
    }
    let (mut by_name, mut computes) = (false, false);
    let derived: Vec<KindId> = rules.iter().map(|r| r.head_kind).collect();
    for (members, recursive) in &strata.strata {
        let mut stratum = Stratum {
            recursive: *recursive,
            by_status: false,
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
            let Lowered {
                rule: lowered,
                by_name: names,
                computes: evaluates,
            } = lower_rule(db, rule, dates, program.statuses.is_some())?;
            if *recursive {
                let stated = program.statuses.map(|[_, _, stated]| stated);
                if reads_own_status(db, &lowered, members, rules, stated) {
                    stratum.by_status = true;
                }
            }
            by_name |= names;
            computes |= evaluates;
            if !stratum.heads.contains(&rule.head_kind) {
                stratum.heads.push(rule.head_kind);
                program
                    .outputs
                    .push((rule.head_kind, types(rule.head_kind)));
            }
            for kind in read_kinds(&lowered.steps) {
                if !derived.contains(&kind) && !program.inputs.iter().any(|(k, _)| *k == kind) {
                    program.inputs.push((kind, types(kind)));
                }
            }
            stratum.rules.push(lowered);
        }
        if stratum.by_status {
            refuse_in_passes(db, &stratum, rules)?;
        }
        program.strata.push(stratum);
    }
    if by_name {
        program.names = Some(Arc::new(NameOrder::of(db)));
    }
    if computes {
        program.symbols = Some(Arc::new(db.interner.clone()));
    }
    Ok(program)
}

fn constant(v: &Value, span: Span, dates: &DateTable) -> Result<u64, Diagnostic> {
    let mut dates = dates.write().unwrap_or_else(|e| e.into_inner());
    cell::encode(v, &mut dates).ok_or_else(|| refuse("a list constant", span))
}

/// A rule lowered, and what it needs besides rows: the order of names (it orders texts or
/// names), the evaluation of expressions (it computes one beyond a variable or a constant).
struct Lowered {
    rule: Rule,
    by_name: bool,
    computes: bool,
}

/// The kinds `steps` read, in the order they read them (a body aggregate's own too).
fn read_kinds(steps: &[Step]) -> Vec<KindId> {
    let mut out = vec![];
    for step in steps {
        match step {
            Step::Join(a) | Step::Not(a) => out.push(a.kind),
            Step::Aggregate(g) => out.extend(read_kinds(&g.steps)),
            Step::Filter(_) | Step::Bind(_) => {}
        }
    }
    out
}

/// Must rows carry their status? When a base kind a rule reads (or a kind's own facts) has a
/// row that is not stated, or a rule reads a row's `status`; otherwise every derived row is
/// stated, and the dataflow spares the cell.
pub fn needs_statuses(db: &Database, rules: &[CheckedRule]) -> bool {
    let derived: Vec<KindId> = rules.iter().map(|r| r.head_kind).collect();
    // A kind's own facts, not the rows derived into it (which follow from the rest).
    let weak = |k: KindId| {
        let rel = &db.kind(k).relation;
        if !derived.contains(&k) {
            return rel.count_with_status(Status::Inferred)
                + rel.count_with_status(Status::Background)
                > 0;
        }
        matches!(db.kind(k).origin, KindOrigin::Mixed(_))
            && (0..rel.len() as u32)
                .any(|i| rel.rule_of(i).is_none() && rel.status(i) < Status::Stated)
    };
    fn atoms(lits: &[BodyLit], out: &mut Vec<CAtom>) {
        for l in lits {
            match l {
                BodyLit::Atom(a) | BodyLit::Not(a) => out.push(a.clone()),
                BodyLit::Aggregate(_, agg) => atoms(&agg.body, out),
                _ => {}
            }
        }
    }
    rules.iter().any(|r| {
        let mut read = vec![];
        atoms(&r.body, &mut read);
        weak(r.head_kind)
            || read
                .iter()
                .any(|a| weak(a.kind) || a.args.iter().any(|(c, _)| *c == virtual_cols::STATUS))
    })
}

/// Does a recursive rule read a status other than `stated` of a kind its own recursion
/// derives? Inside one loop a row's status may still rise (a stronger derivation found in a
/// later round). Asking for `stated`, the top of the lattice, is monotone: a row matches once
/// its status reaches `stated` and then for good, so the rounds climb to the least fixpoint,
/// the local engine's answer. Anything else (`status: "inferred"`, `status: ?s`) is not: a row
/// read while weaker gives derivations that the rise withdraws, and derivations that support
/// each other around a cycle outlive that withdrawal (or come back round after round). Such a
/// stratum runs a pass per status instead ([`Stratum::by_status`]).
fn reads_own_status(
    db: &Database,
    rule: &Rule,
    members: &[usize],
    rules: &[CheckedRule],
    stated: Option<u64>,
) -> bool {
    let own: Vec<KindId> = rules
        .iter()
        .filter(|r| members.contains(&r.index))
        .map(|r| r.head_kind)
        .collect();
    rule.steps.iter().any(|s| match s {
        Step::Join(a) | Step::Not(a) => {
            own.contains(&a.kind)
                && a.args.iter().any(|(c, x)| {
                    *c == db.kind(a.kind).fields.len()
                        && match x {
                            Arg::Status(_) => false,
                            Arg::Const(cell) => Some(*cell) != stated,
                            Arg::Var(_) | Arg::Any => true,
                        }
                })
        }
        _ => false,
    })
}

/// Refuses what a stratum run a pass per status cannot hold with the local engine's meaning:
/// a body aggregate (the local engine counts every row in every pass, and leaves a count
/// weaker than the pass to a later one), and a kind with facts of its own besides its rules
/// (a fact's status stands for the row from the first pass on, whatever its strength).
fn refuse_in_passes(
    db: &Database,
    stratum: &Stratum,
    rules: &[CheckedRule],
) -> Result<(), Diagnostic> {
    for r in &stratum.rules {
        let span = rules
            .iter()
            .find(|c| c.index == r.index)
            .map_or_else(Span::default, |c| c.span);
        if r.steps.iter().any(|s| matches!(s, Step::Aggregate(_))) {
            return Err(refuse(
                concat!(
                    "a body aggregate in a recursion that reads a status other than `stated` ",
                    "of its own kinds"
                ),
                span,
            ));
        }
        if matches!(db.kind(r.head_kind).origin, KindOrigin::Mixed(_)) {
            return Err(refuse(
                concat!(
                    "a kind with facts of its own in a recursion that reads ",
                    "a status other than `stated` of its own kinds"
                ),
                span,
            ));
        }
    }
    Ok(())
}

/// Gives a date or text constant of a binding its cell now (cells of dates are numbered as
/// the session meets them, in the same order in every process).
fn check_constant(e: &Expr, span: Span, dates: &DateTable) -> Result<(), Diagnostic> {
    match e {
        Expr::Const(c) => constant(c, span, dates).map(|_| ()),
        _ => Ok(()),
    }
}

/// Is `e` more than a variable or a constant?
fn computed(e: &Expr) -> bool {
    !matches!(e, Expr::Var(_) | Expr::Const(_))
}

/// The type of an expression's values.
fn expr_type(e: &Expr, vars: &[Option<Type>]) -> Option<Type> {
    match e {
        Expr::Var(v) => vars[*v],
        Expr::Const(c) => Some(value_type(c)),
        Expr::Neg(_) | Expr::Binary(..) => Some(Type::Number),
        Expr::Call(f, _) => Some(signature(*f).result),
    }
}

/// Refuses a computed value that would need a new cell: a text or a date made by a function
/// (`concat`, `add_days`): cells of texts and dates are symbols and dates every process
/// numbers alike, which a value made inside one worker is not.
fn check_result(e: &Expr, vars: &[Option<Type>], span: Span) -> Result<(), Diagnostic> {
    match expr_type(e, vars) {
        Some(Type::Number | Type::Bool) => Ok(()),
        _ if !computed(e) => Ok(()),
        Some(t) => Err(refuse(
            &format!(
                "a function whose value is a new {t} (`concat`, `lower`, `add_days`, …) outside a comparison"
            ),
            span,
        )),
        None => Err(refuse("an expression of unknown type", span)),
    }
}

fn lower_rule(
    db: &Database,
    rule: &CheckedRule,
    dates: &DateTable,
    statuses: bool,
) -> Result<Lowered, Diagnostic> {
    let span = rule.span;
    let (mut by_name, mut computes) = (false, false);
    // Every variable's type: from the columns it is bound to, then from the expressions.
    let mut var_types = vec![None; rule.var_names.len()];
    learn_types(db, &rule.body, &mut var_types);
    // With statuses, a binding's status is one more variable, after the rule's own.
    let status_var = var_types.len();
    if statuses {
        var_types.push(Some(Type::Text));
    }
    let mut body = Body {
        db,
        rule,
        dates,
        status: statuses.then_some(status_var),
        var_types,
        by_name: false,
        computes: false,
    };
    let steps = body.steps(&rule.body, vec![false; rule.var_names.len() + 1], false)?;
    if steps.is_empty() || !matches!(steps[0], Step::Join(_)) {
        return Err(refuse(
            "a rule without a positive atom binding every variable",
            span,
        ));
    }
    let (mut steps, mut var_types) = (steps, body.var_types);
    by_name |= body.by_name;
    computes |= body.computes;
    let mut head = vec![HeadCell::Const(cell::NULL); db.kind(rule.head_kind).fields.len()];
    let mut aggs = vec![];
    for (col, arg) in &rule.head {
        head[*col] = match arg {
            HeadArg::Expr(Expr::Var(v)) => HeadCell::Var(*v),
            HeadArg::Expr(Expr::Const(c)) => HeadCell::Const(constant(c, span, dates)?),
            HeadArg::Expr(e) => {
                // A computed field (perhaps a group's key): a new variable, bound at the end
                // (an unknown value kept: the head then holds unknown there).
                check_result(e, &var_types, span)?;
                computes = true;
                var_types.push(expr_type(e, &var_types));
                let var = var_types.len() - 1;
                steps.push(Step::Bind(Bind {
                    var,
                    expr: Code::new(e),
                    keep_unknown: true,
                }));
                HeadCell::Var(var)
            }
            HeadArg::Agg(func, arg) => {
                let var = match arg {
                    None => None,
                    Some(Expr::Var(v)) => Some(*v),
                    Some(e) => {
                        // The argument's value per match: a new variable, bound at the end
                        // (unknown kept: the match still counts for `count()`).
                        check_result(e, &var_types, span)?;
                        computes = true;
                        var_types.push(expr_type(e, &var_types));
                        let var = var_types.len() - 1;
                        steps.push(Step::Bind(Bind {
                            var,
                            expr: Code::new(e),
                            keep_unknown: true,
                        }));
                        Some(var)
                    }
                };
                by_name |= matches!(func, AggFn::Min | AggFn::Max)
                    && var.is_some_and(|v| {
                        !matches!(var_types[v], Some(Type::Number | Type::Date | Type::Bool))
                    });
                aggs.push(Agg { func: *func, var });
                HeadCell::Agg(aggs.len() - 1)
            }
        };
    }
    let var_types: Vec<Type> = var_types
        .into_iter()
        .map(|t| t.unwrap_or(Type::Text))
        .collect();
    let rule = Rule {
        index: rule.index,
        head_kind: rule.head_kind,
        vars: var_types.len(),
        var_types,
        steps,
        head,
        aggs,
        status: statuses.then_some(status_var),
    };
    Ok(Lowered {
        rule,
        by_name,
        computes,
    })
}

/// Learns the type of every variable of `lits` (and of the bodies of its aggregates): from the
/// columns it is bound to, then from the expressions and aggregates that bind it.
fn learn_types(db: &Database, lits: &[BodyLit], var_types: &mut [Option<Type>]) {
    for lit in lits {
        match lit {
            BodyLit::Atom(a) | BodyLit::Not(a) => {
                for (col, slot) in &a.args {
                    let ty = match db.kind(a.kind).fields.get(*col) {
                        Some(f) => Some(f.ty),
                        None if *col == virtual_cols::STATUS => Some(Type::Text),
                        None => None,
                    };
                    if let (Slot::Var(v), Some(ty)) = (slot, ty) {
                        var_types[*v] = Some(ty);
                    }
                }
            }
            BodyLit::Aggregate(_, agg) => learn_types(db, &agg.body, var_types),
            _ => {}
        }
    }
    for lit in lits {
        match lit {
            BodyLit::Bind(v, e) if var_types[*v].is_none() => {
                var_types[*v] = expr_type(e, var_types);
            }
            BodyLit::Aggregate(v, agg) => {
                var_types[*v] = match (agg.func, &agg.arg) {
                    (AggFn::Min | AggFn::Max, Some(e)) => expr_type(e, var_types),
                    _ => Some(Type::Number),
                };
            }
            _ => {}
        }
    }
}

/// Lowers a body (a rule's, or a body aggregate's own) to steps, learning whether it orders
/// names or computes values.
struct Body<'a> {
    db: &'a Database,
    rule: &'a CheckedRule,
    dates: &'a DateTable,
    /// The variable holding a binding's status, with statuses.
    status: Option<usize>,
    var_types: Vec<Option<Type>>,
    by_name: bool,
    computes: bool,
}

impl Body<'_> {
    fn atom(&self, a: &CAtom, negated: bool) -> Result<Atom, Diagnostic> {
        let (db, rule, dates) = (self.db, self.rule, self.dates);
        let arg = |slot: &Slot| -> Result<Arg, Diagnostic> {
            Ok(match slot {
                Slot::Var(v) if negated && rule.var_names[*v] == "?_" => Arg::Any,
                Slot::Var(v) => Arg::Var(*v),
                Slot::Const(c) => Arg::Const(constant(c, a.span, dates)?),
            })
        };
        let mut args = vec![];
        let width = db.kind(a.kind).fields.len();
        for (col, slot) in &a.args {
            if *col == virtual_cols::STATUS && self.status.is_some() {
                args.push((width, arg(slot)?));
                continue;
            }
            let Some(field) = db.kind(a.kind).fields.get(*col) else {
                return Err(refuse("a rule that reads a row's citations", a.span));
            };
            if !lowerable(field.ty) {
                return Err(refuse(
                    &format!("a rule that reads the {} field `{}`", field.ty, field.name),
                    a.span,
                ));
            }
            args.push((*col, arg(slot)?));
        }
        if let (Some(v), false) = (self.status, negated) {
            args.push((width, Arg::Status(v)));
        }
        Ok(Atom { kind: a.kind, args })
    }

    /// The steps of `lits` with the variables `bound` before them: positive atoms in the
    /// order written, every other step as soon as its variables are bound.
    /// A rule's own body starts with its first atom; an aggregate's body starts from the
    /// values of the rule's variables it reads (`seeded`), so a step may come before any atom.
    fn steps(
        &mut self,
        lits: &[BodyLit],
        mut bound: Vec<bool>,
        seeded: bool,
    ) -> Result<Vec<Step>, Diagnostic> {
        let span = self.rule.span;
        bound.resize(self.var_types.len().max(bound.len()), false);
        let mut joins = vec![];
        let mut later = vec![];
        // The expression of each `?v = e`, whose value needs a cell if `?v` is not bound before.
        let mut results: Vec<(usize, &Expr)> = vec![];
        for lit in lits {
            match lit {
                BodyLit::Atom(a) => joins.push(self.atom(a, false)?),
                BodyLit::Not(a) => later.push(Step::Not(self.atom(a, true)?)),
                BodyLit::Compare(l, op, r) => {
                    self.computes |= computed(l) || computed(r);
                    self.by_name |= orders_names(l, *op, r, &self.var_types);
                    later.push(Step::Filter(Filter::Compare(
                        Code::new(l),
                        *op,
                        Code::new(r),
                    )));
                }
                BodyLit::Bind(v, e) => {
                    self.computes |= computed(e);
                    check_constant(e, span, self.dates)?;
                    later.push(Step::Bind(Bind {
                        var: *v,
                        expr: Code::new(e),
                        keep_unknown: false,
                    }));
                    results.push((*v, e));
                }
                BodyLit::Aggregate(v, agg) => {
                    later.push(Step::Aggregate(Box::new(self.aggregate(*v, agg)?)));
                }
                BodyLit::Time(l, rel, m, r) => {
                    self.computes |= computed(l) || computed(r);
                    later.push(Step::Filter(Filter::Time(
                        Code::new(l),
                        *rel,
                        *m,
                        Code::new(r),
                    )))
                }
            }
        }
        let mut steps = vec![];
        let types = self.var_types.clone();
        bound.resize(types.len().max(bound.len()), false);
        if seeded {
            place(&mut steps, &mut later, &mut bound, (&results, &types), span)?;
        }
        for a in joins {
            for v in Step::Join(a.clone()).vars() {
                bound[v] = true;
            }
            steps.push(Step::Join(a));
            place(&mut steps, &mut later, &mut bound, (&results, &types), span)?;
        }
        if !later.is_empty() {
            return Err(refuse(
                "a rule without a positive atom binding every variable",
                span,
            ));
        }
        Ok(steps)
    }

    /// `?v = agg(e : body)`: its own body's steps, run from the values of the variables it
    /// shares with the rule, and the aggregated value's variable.
    fn aggregate(&mut self, var: usize, agg: &BodyAgg) -> Result<BodyAggregate, Diagnostic> {
        let span = self.rule.span;
        if agg.body.iter().any(|l| matches!(l, BodyLit::Aggregate(..))) {
            return Err(refuse("an aggregate inside a body aggregate", span));
        }
        let mut bound = vec![false; self.var_types.len()];
        for v in &agg.outer {
            bound[*v] = true;
        }
        let mut steps = self.steps(&agg.body, bound, true)?;
        let arg = match &agg.arg {
            None => None,
            Some(Expr::Var(v)) => Some(*v),
            Some(e) => {
                check_result(e, &self.var_types, span)?;
                self.computes = true;
                self.var_types.push(expr_type(e, &self.var_types));
                let fresh = self.var_types.len() - 1;
                steps.push(Step::Bind(Bind {
                    var: fresh,
                    expr: Code::new(e),
                    keep_unknown: true,
                }));
                Some(fresh)
            }
        };
        self.by_name |= matches!(agg.func, AggFn::Min | AggFn::Max)
            && arg.is_some_and(|v| {
                !matches!(
                    self.var_types[v],
                    Some(Type::Number | Type::Date | Type::Bool)
                )
            });
        Ok(BodyAggregate {
            var,
            func: agg.func,
            arg,
            outer: agg.outer.clone(),
            steps,
        })
    }
}

/// Moves to `steps` every step of `later` whose variables are bound (a binding binds its
/// variable, which may make another ready); `?v = e` on a bound `?v` is an equality test.
fn place(
    steps: &mut Vec<Step>,
    later: &mut Vec<Step>,
    bound: &mut [bool],
    (results, var_types): (&[(usize, &Expr)], &[Option<Type>]),
    span: Span,
) -> Result<(), Diagnostic> {
    loop {
        let Some(i) = later
            .iter()
            .position(|s| s.vars().iter().all(|v| bound[*v]))
        else {
            return Ok(());
        };
        let step = match later.remove(i) {
            Step::Bind(b) if bound[b.var] => Step::Filter(Filter::Compare(
                Code::new(&Expr::Var(b.var)),
                CmpOp::Eq,
                b.expr,
            )),
            Step::Bind(b) => {
                if let Some((_, e)) = results.iter().find(|(v, _)| *v == b.var) {
                    check_result(e, var_types, span)?;
                }
                bound[b.var] = true;
                Step::Bind(b)
            }
            Step::Aggregate(g) if bound[g.var] => {
                return Err(refuse(
                    "a body aggregate whose variable is bound before it",
                    span,
                ));
            }
            Step::Aggregate(g) => {
                bound[g.var] = true;
                Step::Aggregate(g)
            }
            s => s,
        };
        steps.push(step);
    }
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

/// Do `<`, `<=`, `>`, `>=` here order texts or names (by name)? Equality needs no names.
fn orders_names(l: &Expr, op: CmpOp, r: &Expr, types: &[Option<Type>]) -> bool {
    let by_name = |t: Option<Type>| {
        matches!(
            t,
            Some(Type::Text | Type::Entity | Type::Ref | Type::List) | None
        )
    };
    !matches!(op, CmpOp::Eq | CmpOp::Ne)
        && (by_name(expr_type(l, types)) || by_name(expr_type(r, types)))
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
                if s.by_status {
                    " — one iterate scope per status, strongest first, each from the rows \
                     the one before found (a rule reads a status of its own recursion)"
                } else if s.recursive {
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
                        Step::Bind(_) => "map (compute a value)".to_string(),
                        Step::Aggregate(g) => format!("reduce ({}) → join", g.func.name()),
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
