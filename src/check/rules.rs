//! Rules: atoms resolved against the schema, expressions typed, variables bound (by a positive
//! atom or by `?v = expr`) and checked safe, the derived kind created from the head; then the
//! whole program stratified so that negation and aggregation never go through recursion.
//!
//! The output, [`CheckedRule`], is the rule IR every back end lowers: a head (columns filled by
//! expressions or aggregates) and a body of literals over frame slots ([`Var`]). Disjunctions
//! are gone by then (each branch is a rule of its own, see [`expand_or`]).

use super::declare::unknown_kind;
pub use super::expr::{Expr, Var};
use super::expr::{an, binary_type};
use super::functions;
use super::values::{entity_value, typed_value};
use crate::date::{Modality, TimeRel};
use crate::diagnostic::{Diagnostic, Diagnostics, Span};
use crate::store::{
    Database, ENTITY, Field, Kind, KindId, KindOrigin, Relation, Type, Value, entity_cols,
    virtual_cols,
};
use crate::syntax::ast::{self, AggFn, Arg, Atom, BodyItem, CmpOp, Literal, Term};
use std::collections::HashMap;

/// One argument of a body atom: the column it constrains and with what.
#[derive(serde::Serialize, serde::Deserialize, Clone, Debug, PartialEq)]
pub enum Slot {
    Var(Var),
    Const(Value),
}

/// A checked body atom over kind `kind`.
#[derive(serde::Serialize, serde::Deserialize, Clone, Debug, PartialEq)]
pub struct CAtom {
    pub kind: KindId,
    pub args: Vec<(usize, Slot)>,
    pub span: Span,
}

/// A checked body item.
#[derive(serde::Serialize, serde::Deserialize, Clone, Debug, PartialEq)]
pub enum BodyLit {
    Atom(CAtom),
    Not(CAtom),
    Compare(Expr, CmpOp, Expr),
    Time(Expr, TimeRel, Modality, Expr),
    /// `?v = expr`: gives `v` the expression's value once the expression's variables are
    /// bound (when `v` is already bound by then, it is an equality test). An expression in an
    /// atom's argument (`fib(n: ?n - 1)`) becomes a fresh variable bound this way.
    Bind(Var, Expr),
    /// `?v = agg(e : body)`: `v` is the aggregate over the matches of the aggregate's own body,
    /// computed once the correlated variables (`outer`) are bound.
    Aggregate(Var, Box<BodyAgg>),
}

/// An aggregate in a rule body, over a body of its own.
#[derive(serde::Serialize, serde::Deserialize, Clone, Debug, PartialEq)]
pub struct BodyAgg {
    pub func: AggFn,
    /// The value aggregated per match; `None` for `count()`.
    pub arg: Option<Expr>,
    /// Its own body: its variables other than `outer` are bound only inside.
    pub body: Vec<BodyLit>,
    /// The variables of the rule it reads (bound before it runs).
    pub outer: Vec<Var>,
}

impl BodyLit {
    /// The variables this literal reads before it can run (for an atom: none).
    pub fn needs(&self) -> Vec<Var> {
        let mut out = Vec::new();
        match self {
            BodyLit::Atom(_) => {}
            BodyLit::Not(a) => out.extend(a.args.iter().filter_map(|(_, s)| match s {
                Slot::Var(v) => Some(*v),
                Slot::Const(_) => None,
            })),
            BodyLit::Compare(l, _, r) | BodyLit::Time(l, _, _, r) => {
                l.vars(&mut out);
                r.vars(&mut out);
            }
            BodyLit::Bind(_, e) => e.vars(&mut out),
            BodyLit::Aggregate(_, agg) => out.extend(&agg.outer),
        }
        out
    }
}

/// What fills one column of the head.
#[derive(serde::Serialize, serde::Deserialize, Clone, Debug, PartialEq)]
pub enum HeadArg {
    /// A value computed from the body's variables (most often just one variable).
    Expr(Expr),
    /// An aggregate over every match of the body, grouped by the head's other columns; the
    /// expression is evaluated per match (`sum(?a * ?b)`), `None` for `count()`.
    Agg(AggFn, Option<Expr>),
}

/// A rule whose names, types and variables are all known to be right.
#[derive(serde::Serialize, serde::Deserialize, Clone, Debug)]
pub struct CheckedRule {
    /// Position in the session's rule list (for `why` and `:rules`).
    pub index: usize,
    pub head_kind: KindId,
    /// (column of the head kind, what fills it).
    pub head: Vec<(usize, HeadArg)>,
    pub body: Vec<BodyLit>,
    pub var_names: Vec<String>,
    pub span: Span,
}

impl CheckedRule {
    pub fn has_aggregate(&self) -> bool {
        self.head.iter().any(|(_, h)| matches!(h, HeadArg::Agg(..)))
    }
}

struct RuleChecker<'a> {
    db: &'a mut Database,
    vars: Vec<(String, Option<Type>, Span)>,
    by_name: HashMap<String, Var>,
    errors: Diagnostics,
    /// Variables bound by a positive atom.
    bound: Vec<bool>,
    /// Expressions written as atom arguments, bound to fresh variables once the atoms are in.
    arg_exprs: Vec<(Var, Term, Type)>,
}

impl RuleChecker<'_> {
    fn var(&mut self, name: &ast::Name) -> Var {
        if name.text == "?_" {
            // Each `?_` is a fresh variable nobody else can see.
            return self.fresh(name);
        }
        if let Some(&v) = self.by_name.get(&name.text) {
            return v;
        }
        let v = self.fresh(name);
        self.by_name.insert(name.text.clone(), v);
        v
    }

    /// A variable no other can name (`?_`, or the value of an expression in an atom).
    fn fresh(&mut self, name: &ast::Name) -> Var {
        self.vars.push((name.text.clone(), None, name.span));
        self.bound.push(false);
        self.vars.len() - 1
    }

    /// Is the variable called `name` bound (by a positive atom or a binding so far)?
    fn is_bound(&self, name: &str) -> bool {
        self.by_name.get(name).is_some_and(|&v| self.bound[v])
    }

    /// Records that `v` holds values of type `ty`, reporting a clash with an earlier use.
    fn unify(&mut self, v: Var, ty: Type, span: Span) {
        match self.vars[v].1 {
            None => self.vars[v].1 = Some(ty),
            Some(t) if t == ty => {}
            Some(t) => self.errors.push(
                Diagnostic::error(
                    format!(
                        "`{}` is used as {} {t} and as {} {ty}",
                        self.vars[v].0,
                        an(t),
                        an(ty)
                    ),
                    span,
                    format!("{} {ty} here", an(ty)),
                )
                .with_secondary(self.vars[v].2, format!("{} {t} here", an(t)))
                .with_help("use a different variable for each kind of value"),
            ),
        }
    }

    /// The column an argument fills: named, or the next field not named elsewhere in the atom.
    fn arg_column(
        &mut self,
        atom: &Atom,
        fields: &[Field],
        field: &Option<ast::Name>,
        taken: &mut Vec<usize>,
        term: &Term,
    ) -> Option<usize> {
        let kname = &atom.kind.text;
        if let Some(f) = field {
            return match fields.iter().position(|x| x.name == f.text) {
                Some(c) => Some(c),
                // `status` and `cite`, unless the kind declares fields of those names.
                None if virtual_cols::by_name(&f.text).is_some() => {
                    virtual_cols::by_name(&f.text).map(|(c, _)| c)
                }
                None => {
                    let names = fields
                        .iter()
                        .map(|x| x.name.as_str())
                        .chain(["status", "cite"]);
                    self.errors.push(
                        Diagnostic::error(
                            format!("kind `{kname}` has no field `{}`", f.text),
                            f.span,
                            "unknown field",
                        )
                        .with_suggestion(f.span, &f.text, names, "fields"),
                    );
                    None
                }
            };
        }
        // Positional arguments fill, in order, the declared fields no argument names.
        let named: Vec<&str> = atom
            .args
            .iter()
            .filter_map(|a| a.field.as_ref().map(|f| f.text.as_str()))
            .collect();
        let next = (1..fields.len())
            .find(|c| !taken.contains(c) && !named.contains(&fields[*c].name.as_str()));
        match next {
            Some(c) => {
                taken.push(c);
                Some(c)
            }
            None => {
                let positional = atom.args.iter().filter(|a| a.field.is_none()).count();
                let place = atom
                    .args
                    .iter()
                    .position(|a| std::ptr::eq(&a.term, term))
                    .map_or(0, |i| i + 1);
                self.errors.push(
                    Diagnostic::error(
                        format!(
                            "kind `{kname}` has {} fields, this is argument {place}",
                            fields.len() - 1
                        ),
                        term.span(),
                        "one too many",
                    )
                    .with_help(format!(
                        "its fields in order are {}; here {positional} argument{} without a name; name them to be clear, e.g. `{}: ?x`",
                        fields[1..]
                            .iter()
                            .map(|f| f.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", "),
                        if positional == 1 { " comes" } else { "s come" },
                        fields.get(1).map_or("field", |f| f.name.as_str())
                    )),
                );
                None
            }
        }
    }

    fn atom(&mut self, atom: &Atom, positive: bool) -> Option<CAtom> {
        let Some(kind) = self.db.kind_id(&atom.kind.text) else {
            self.errors.push(unknown_kind(self.db, &atom.kind));
            return None;
        };
        let fields: Vec<Field> = self.db.kind(kind).fields.clone();
        // A declared field, or `status` / `cite`.
        let column = |col: usize| -> (String, Type) {
            match fields.get(col) {
                Some(f) => (f.name.clone(), f.ty),
                None if col == virtual_cols::CITE => ("cite".into(), Type::List),
                None => ("status".into(), Type::Text),
            }
        };
        let mut args = Vec::new();
        let mut taken = Vec::new();
        let mut seen = Vec::new();
        for Arg { field, term } in &atom.args {
            let Some(col) = self.arg_column(atom, &fields, field, &mut taken, term) else {
                continue;
            };
            let (name, ty) = column(col);
            if seen.contains(&col) {
                self.errors.push(Diagnostic::error(
                    format!("field `{name}` is given twice"),
                    term.span(),
                    "again here",
                ));
                continue;
            }
            seen.push(col);
            match term {
                Term::Var(name) => {
                    let v = self.var(name);
                    self.unify(v, ty, name.span);
                    if positive {
                        self.bound[v] = true;
                    }
                    args.push((col, Slot::Var(v)));
                }
                Term::Value(lit) => {
                    let what = format!("field `{name}`");
                    let value = match (ty, &lit.lit) {
                        (Type::Ref, Literal::Name(n) | Literal::Text(n)) => {
                            Ok(Value::Ref(self.db.interner.intern(n)))
                        }
                        // `entity(name: "Said Chanegriha")`: the name as that entity spells it.
                        (Type::Text, Literal::Text(_))
                            if atom.kind.text == ENTITY
                                && (col == entity_cols::NAME || col == entity_cols::NAME_AR) =>
                        {
                            entity_value(self.db, lit).map(|e| match e {
                                Value::Entity(id) => self.db.entity_field(id, col),
                                other => other,
                            })
                        }
                        _ => typed_value(self.db, lit, ty, &what),
                    };
                    match value {
                        Ok(v) => args.push((col, Slot::Const(v))),
                        Err(d) => self.errors.push(d),
                    }
                }
                Term::Aggregate { span, .. } => self.errors.push(
                    Diagnostic::error("an aggregate cannot stand in a pattern", *span, "not here")
                        .with_help(
                            "bind it to a variable first, e.g. `?n = count(?x : visit(partner: ?x))`, then use `?n`",
                        ),
                ),
                _ => {
                    // `fib(n: ?n - 1)`: a fresh variable stands in the column; it is bound to
                    // the expression once the expression's variables are.
                    let name = ast::Name {
                        text: format!("({})", field.as_ref().map_or("value", |f| &f.text)),
                        span: term.span(),
                    };
                    let v = self.fresh(&name);
                    self.vars[v].1 = Some(ty);
                    if positive {
                        self.bound[v] = true;
                    }
                    self.arg_exprs.push((v, term.clone(), ty));
                    args.push((col, Slot::Var(v)));
                }
            }
        }
        Some(CAtom {
            kind,
            args,
            span: atom.span,
        })
    }

    /// Checks an expression; a literal takes the type `hint` (the other side of a comparison),
    /// and `what` names the place in a mismatch report. `None` when an error was reported.
    fn expr(
        &mut self,
        term: &Term,
        hint: Option<Type>,
        what: &str,
    ) -> Option<(Expr, Option<Type>)> {
        match term {
            Term::Var(name) => {
                let v = self.var(name);
                Some((Expr::Var(v), self.vars[v].1))
            }
            Term::Value(lit) => {
                let ty = hint.unwrap_or(match lit.lit {
                    Literal::Number(_) => Type::Number,
                    Literal::Date(_) => Type::Date,
                    Literal::Text(_) => Type::Text,
                    Literal::Bool(_) => Type::Bool,
                    Literal::List(_) => Type::List,
                    _ => Type::Entity,
                });
                let ty = if matches!(lit.lit, Literal::Unknown) && hint.is_none() {
                    return Some((Expr::Const(Value::Null), None));
                } else {
                    ty
                };
                match typed_value(self.db, lit, ty, what) {
                    Ok(v) => Some((Expr::Const(v), Some(ty))),
                    Err(d) => {
                        self.errors.push(d);
                        None
                    }
                }
            }
            Term::Call { func, args, span } => {
                let Some(sig) = functions::lookup(&func.text) else {
                    self.errors
                        .push(functions::unknown_function(&func.text, func.span));
                    return None;
                };
                let mut checked = Vec::new();
                let mut types = Vec::new();
                for (i, a) in args.iter().enumerate() {
                    let place = format!("argument {} of `{}`", i + 1, sig.name);
                    // Literals take the parameter's type: `add_days(2025-09, 3)`, entity names.
                    let hint = sig.param(i).filter(|_| matches!(a, Term::Value(_)));
                    let (e, t) = self.expr(a, hint, &place)?;
                    checked.push(e);
                    types.push((t, a.span()));
                }
                if let Err(d) = sig.check_args(&types, *span) {
                    self.errors.push(d);
                    return None;
                }
                Some((Expr::Call(sig.func, checked), Some(sig.result)))
            }
            Term::Binary {
                op, left, right, ..
            } => {
                let (l, lt) = self.expr(left, None, "an operand")?;
                let (r, rt) = self.expr(right, None, "an operand")?;
                match binary_type(*op, (lt, left.span()), (rt, right.span())) {
                    Ok(t) => Some((Expr::Binary(*op, Box::new(l), Box::new(r)), Some(t))),
                    Err(d) => {
                        self.errors.push(d);
                        None
                    }
                }
            }
            Term::Neg { operand, .. } => {
                let (e, t) = self.expr(operand, None, "an operand")?;
                match t {
                    Some(t) if t != Type::Number => {
                        self.errors.push(Diagnostic::error(
                            format!("`-` needs a number, this is {} {t}", an(t)),
                            operand.span(),
                            format!("{} {t}", an(t)),
                        ));
                        None
                    }
                    _ => Some((Expr::Neg(Box::new(e)), Some(Type::Number))),
                }
            }
            Term::Aggregate { span, .. } => {
                self.errors.push(
                    Diagnostic::error(
                        "an aggregate cannot stand inside another expression here",
                        *span,
                        "not here",
                    )
                    .with_help("in the head, write it as a field of its own: `total(n: sum(?x))`; in the body, bind it: `?n = count(?x : visit(partner: ?x))`"),
                );
                None
            }
        }
    }
}

/// The names of the variables an expression reads (inside an aggregate's own body: none).
fn term_vars<'t>(term: &'t Term, out: &mut Vec<&'t str>) {
    match term {
        Term::Var(n) => out.push(&n.text),
        Term::Value(_) | Term::Aggregate { .. } => {}
        Term::Call { args, .. } => args.iter().for_each(|a| term_vars(a, out)),
        Term::Binary { left, right, .. } => {
            term_vars(left, out);
            term_vars(right, out);
        }
        Term::Neg { operand, .. } => term_vars(operand, out),
    }
}

/// Rewrites a rule with disjunctions into one rule per combination of branches
/// (`a :- (b or c), d` becomes `a :- b, d` and `a :- c, d`), at most `MAX_BRANCHES` of them.
pub fn expand_or(rule: &ast::Rule) -> Result<Vec<ast::Rule>, Diagnostic> {
    // One rule per branch would aggregate each branch apart (two minimums, a match counted
    // twice): an aggregate needs all its matches in one rule.
    let head_agg = rule
        .head
        .args
        .iter()
        .any(|a| matches!(a.term, Term::Aggregate { .. }));
    if head_agg
        && let Some(BodyItem::Or(_, span)) =
            rule.body.iter().find(|i| matches!(i, BodyItem::Or(..)))
    {
        return Err(Diagnostic::error(
            "a rule with an aggregate in its head cannot use `or`",
            *span,
            "`or` here",
        )
        .with_help("gather the matches in a kind of their own, one rule per branch, and aggregate over that kind"));
    }
    let mut bodies: Vec<Vec<BodyItem>> = vec![vec![]];
    for item in &rule.body {
        match item {
            BodyItem::Or(branches, span) => {
                let mut next = Vec::new();
                for body in &bodies {
                    for branch in branches {
                        let expanded = expand_or(&ast::Rule {
                            head: rule.head.clone(),
                            body: branch.clone(),
                            span: rule.span,
                        })?;
                        for e in expanded {
                            let mut b = body.clone();
                            b.extend(e.body);
                            next.push(b);
                        }
                    }
                }
                if next.len() > MAX_BRANCHES {
                    return Err(Diagnostic::error(
                        format!("this rule stands for more than {MAX_BRANCHES} rules once its `or`s are spread out"),
                        *span,
                        "too many branches",
                    )
                    .with_help("split it into several rules over helper kinds"));
                }
                bodies = next;
            }
            _ => bodies.iter_mut().for_each(|b| b.push(item.clone())),
        }
    }
    Ok(bodies
        .into_iter()
        .map(|body| ast::Rule {
            head: rule.head.clone(),
            body,
            span: rule.span,
        })
        .collect())
}

/// The most rules one rule with `or` may stand for.
const MAX_BRANCHES: usize = 64;

/// Checks one rule (without `or`: see [`expand_or`]); creates its head kind when it is new.
/// `index` is its place in the rule list.
pub fn check_rule(
    db: &mut Database,
    rule: &ast::Rule,
    index: usize,
) -> Result<CheckedRule, Diagnostics> {
    let mut c = RuleChecker {
        db,
        vars: vec![],
        by_name: HashMap::new(),
        errors: vec![],
        bound: vec![],
        arg_exprs: vec![],
    };
    // Positive atoms first, so every later use knows the variables' types. A rule that refers
    // to its own new kind (`p(…) :- …, p(…)`) defines that kind before those atoms are checked.
    let head_name = &rule.head.kind.text;
    let new_head = c.db.kind_id(head_name).is_none();
    let is_self = |a: &Atom| new_head && a.kind.text == *head_name;
    let mut body: Vec<Option<BodyLit>> = vec![None; rule.body.len()];
    for (i, item) in rule.body.iter().enumerate() {
        if let BodyItem::Atom(a) = item
            && !is_self(a)
        {
            body[i] = c.atom(a, true).map(BodyLit::Atom);
        }
    }
    let refers_to_self = rule.body.iter().any(|item| match item {
        BodyItem::Atom(a) | BodyItem::Not(a, _) => is_self(a),
        _ => false,
    });
    let mut early_head = None;
    if refers_to_self && c.errors.is_empty() {
        infer_self_types(&mut c, rule);
        early_head = head_args(&mut c, &rule.head);
        if early_head.is_none() {
            return Err(c.errors);
        }
        for (i, item) in rule.body.iter().enumerate() {
            if let BodyItem::Atom(a) = item
                && a.kind.text == *head_name
            {
                body[i] = c.atom(a, true).map(BodyLit::Atom);
            }
        }
    }
    if !c.errors.is_empty() {
        return Err(c.errors);
    }
    let outside = names_in_rule(rule);
    bindings(&mut c, &rule.body, &mut body, &outside);
    let mut checks: Vec<(Vec<Var>, &'static str)> = Vec::new();
    rest_of_body(&mut c, &rule.body, &mut body, &mut checks);
    if !c.errors.is_empty() {
        // Unknown kinds or fields leave variables unbound; more reports would only repeat that.
        return Err(c.errors);
    }
    // Safety: a variable must be bound by a positive atom (or a binding) before anything else
    // can use it.
    let mut reported = Vec::new();
    for (vars, place) in &checks {
        for &v in vars {
            if !c.bound[v] && !reported.contains(&v) {
                reported.push(v);
                let (name, _, span) = &c.vars[v];
                c.errors.push(
                    Diagnostic::error(format!("variable `{name}` is unsafe: it appears only {place}"), *span, "not bound by any fact")
                        .with_help(format!("use `{name}` in a positive pattern of the body too, e.g. `visit(partner: {name})`, or bind it to a value computed from bound variables with `=`")),
                );
            }
        }
    }
    if !c.errors.is_empty() {
        return Err(c.errors);
    }
    let head = match early_head {
        Some(h) => Some(h),
        None => head_args(&mut c, &rule.head),
    };
    if !c.errors.is_empty() {
        return Err(c.errors);
    }
    let (head_kind, head) = head.expect("no errors means a head");
    let var_names = c.vars.iter().map(|v| v.0.clone()).collect();
    Ok(CheckedRule {
        index,
        head_kind,
        head,
        body: body.into_iter().flatten().collect(),
        var_names,
        span: rule.span,
    })
}

/// Checks the body items other than positive atoms and bindings (those are in `body` already):
/// `not`, comparisons, time tests, and the expressions written in atom arguments. What each
/// needs bound goes to `checks`.
fn rest_of_body(
    c: &mut RuleChecker,
    items: &[BodyItem],
    body: &mut Vec<Option<BodyLit>>,
    checks: &mut Vec<(Vec<Var>, &'static str)>,
) {
    for (i, item) in items.iter().enumerate() {
        match item {
            BodyItem::Atom(_) | BodyItem::Or(..) => {}
            BodyItem::Not(a, _) => {
                if let Some(ca) = c.atom(a, false) {
                    let vars = BodyLit::Not(ca.clone()).needs();
                    let vars = vars.into_iter().filter(|v| c.vars[*v].0 != "?_").collect();
                    checks.push((vars, "under `not`"));
                    body[i] = Some(BodyLit::Not(ca));
                }
            }
            BodyItem::Compare {
                left,
                op,
                right,
                span,
            } => {
                if body[i].is_some() {
                    continue; // a binding
                }
                let l = c.expr(left, None, "this comparison");
                let hint = l.as_ref().and_then(|(_, t)| *t);
                let what = match left {
                    Term::Var(v) => format!("a comparison with `{}`", v.text),
                    _ => "this comparison".to_string(),
                };
                let r = c.expr(right, hint, &what);
                if let (Some((lo, lt)), Some((ro, rt))) = (l, r) {
                    if let (Some(a), Some(b)) = (lt, rt)
                        && a != b
                    {
                        c.errors.push(Diagnostic::error(
                            format!("cannot compare {} {a} with {} {b}", an(a), an(b)),
                            *span,
                            "different types",
                        ));
                    }
                    let lit = BodyLit::Compare(lo, *op, ro);
                    let mut needs = lit.needs();
                    // `?y = ?z + 1` with `?z` unbound: the binding failed for want of `?z`,
                    // so `?z` is the one to name.
                    if *op == CmpOp::Eq
                        && let Term::Var(target) = left
                    {
                        let mut other = Vec::new();
                        term_vars(right, &mut other);
                        if other.iter().any(|n| !c.is_bound(n)) {
                            needs.retain(|&v| c.vars[v].0 != target.text);
                        }
                    }
                    checks.push((needs, "in a comparison"));
                    body[i] = Some(lit);
                }
            }
            BodyItem::Time {
                left,
                rel,
                modality,
                right,
                span,
            } => {
                let l = c.expr(left, Some(Type::Date), "a time comparison");
                let r = c.expr(right, Some(Type::Date), "a time comparison");
                if let (Some((lo, lt)), Some((ro, rt))) = (l, r) {
                    for t in [lt, rt].into_iter().flatten() {
                        if t != Type::Date {
                            c.errors.push(Diagnostic::error(
                                format!("`{}` compares dates, not {}s", rel.keyword(), t),
                                *span,
                                "not dates",
                            ));
                        }
                    }
                    let lit = BodyLit::Time(lo, *rel, *modality, ro);
                    checks.push((lit.needs(), "in a time comparison"));
                    body[i] = Some(lit);
                }
            }
        }
    }
    // Expressions in atom arguments, now that the variables they read have their types.
    for (v, term, ty) in std::mem::take(&mut c.arg_exprs) {
        let what = format!("the field `{}`", c.vars[v].0.trim_matches(['(', ')']));
        if let Some((e, t)) = c.expr(&term, Some(ty), &what) {
            if let Some(t) = t {
                c.unify(v, t, term.span());
            }
            let mut vars = Vec::new();
            e.vars(&mut vars);
            checks.push((vars, "in an expression"));
            c.bound[v] = true;
            body.push(Some(BodyLit::Bind(v, e)));
        }
    }
}

/// Every variable name the rule uses, once per use; an aggregate's own body is a scope of its
/// own and left out.
fn names_in_rule(rule: &ast::Rule) -> Vec<String> {
    let mut out = Vec::new();
    for a in &rule.head.args {
        names_in_term(&a.term, &mut out);
    }
    names_in_items(&rule.body, &mut out);
    out
}

fn names_in_items(items: &[BodyItem], out: &mut Vec<String>) {
    for item in items {
        match item {
            BodyItem::Atom(a) | BodyItem::Not(a, _) => {
                a.args.iter().for_each(|x| names_in_term(&x.term, out))
            }
            BodyItem::Or(branches, _) => branches.iter().for_each(|b| names_in_items(b, out)),
            BodyItem::Compare { left, right, .. } | BodyItem::Time { left, right, .. } => {
                names_in_term(left, out);
                names_in_term(right, out);
            }
        }
    }
}

fn names_in_term(term: &Term, out: &mut Vec<String>) {
    match term {
        Term::Var(n) if n.text != "?_" => out.push(n.text.clone()),
        Term::Var(_) | Term::Value(_) => {}
        Term::Aggregate { arg, body, .. } => {
            if let (Some(a), None) = (arg, body) {
                names_in_term(a, out);
            }
        }
        Term::Call { args, .. } => args.iter().for_each(|a| names_in_term(a, out)),
        Term::Binary { left, right, .. } => {
            names_in_term(left, out);
            names_in_term(right, out);
        }
        Term::Neg { operand, .. } => names_in_term(operand, out),
    }
}

/// The variables of an aggregate's own body that it shares with the rest of the rule (which
/// must bind them first: the aggregate is computed per value of them).
fn correlated(agg: &Term, outside: &[String]) -> Vec<String> {
    let mut inside = Vec::new();
    if let Term::Aggregate { arg, body, .. } = agg {
        if let Some(a) = arg {
            names_in_term(a, &mut inside);
        }
        if let Some(b) = body {
            names_in_items(b, &mut inside);
        }
    }
    let mut out: Vec<String> = Vec::new();
    for name in inside {
        if outside.contains(&name) && !out.contains(&name) {
            out.push(name);
        }
    }
    out
}

/// Checks `?v = agg(e : body)`: the aggregate's own body (its variables other than the
/// correlated ones are its own), then `e`; gives the aggregate and the type of its value.
fn body_aggregate(c: &mut RuleChecker, term: &Term, outer: Vec<Var>) -> Option<(BodyAgg, Type)> {
    let Term::Aggregate {
        func,
        arg,
        body: Some(items),
        span,
    } = term
    else {
        return None;
    };
    if let Some(BodyItem::Or(_, s)) = items.iter().find(|i| matches!(i, BodyItem::Or(..))) {
        c.errors.push(
            Diagnostic::error("`or` inside an aggregate is not supported", *s, "here")
                .with_help("aggregate over a helper kind defined by one rule per branch"),
        );
        return None;
    }
    let saved = std::mem::take(&mut c.arg_exprs);
    let mut body: Vec<Option<BodyLit>> = vec![None; items.len()];
    for (i, item) in items.iter().enumerate() {
        if let BodyItem::Atom(a) = item {
            body[i] = c.atom(a, true).map(BodyLit::Atom);
        }
    }
    if !items.iter().any(|i| matches!(i, BodyItem::Atom(_))) {
        c.errors.push(
            Diagnostic::error(
                format!("`{}` needs a pattern to run over", func.name()),
                *span,
                "no pattern",
            )
            .with_help("e.g. `?n = count(?s : statement(speaker: ?p, id: ?s))`"),
        );
    }
    let mut checks = Vec::new();
    bindings(c, items, &mut body, &[]);
    rest_of_body(c, items, &mut body, &mut checks);
    c.arg_exprs = saved;
    for (vars, place) in checks {
        for v in vars {
            if !c.bound[v] {
                let (name, _, span) = &c.vars[v];
                c.errors.push(Diagnostic::error(
                    format!("variable `{name}` is unsafe: it appears only {place}"),
                    *span,
                    "not bound by any fact",
                ));
            }
        }
    }
    let arg = match arg {
        Some(a) => Some(c.expr(a, None, "the aggregated value")?),
        None => None,
    };
    if let Some((e, _)) = &arg {
        let mut vars = Vec::new();
        e.vars(&mut vars);
        if let Some(&v) = vars.iter().find(|&&v| !c.bound[v]) {
            let (name, _, span) = &c.vars[v];
            c.errors.push(
                Diagnostic::error(
                    format!("variable `{name}` is not bound by the aggregate's pattern"),
                    *span,
                    "unbound",
                )
                .with_help(format!("use `{name}` in the pattern after `:` too")),
            );
            return None;
        }
    }
    let ty = match (func, &arg) {
        (AggFn::Count, _) => Type::Number,
        (_, None) => {
            c.errors.push(Diagnostic::error(
                format!("`{}` needs a value to aggregate", func.name()),
                *span,
                "what to aggregate",
            ));
            return None;
        }
        (AggFn::Sum | AggFn::Mean, Some((_, Some(t)))) if *t != Type::Number => {
            c.errors.push(Diagnostic::error(
                format!("`{}` adds numbers, this is {} {t}", func.name(), an(*t)),
                *span,
                "not a number",
            ));
            return None;
        }
        (AggFn::Sum | AggFn::Mean, _) => Type::Number,
        (_, Some((_, t))) => t.unwrap_or(Type::Number),
    };
    Some((
        BodyAgg {
            func: *func,
            arg: arg.map(|(e, _)| e),
            body: body.into_iter().flatten().collect(),
            outer,
        },
        ty,
    ))
}

/// Turns `?v = expr` comparisons into bindings, in the order their expressions become
/// computable: a side that is a variable not bound so far, the other side's variables all bound.
///
/// `?v = agg(e : body)` binds `v` once the variables it shares with the rest of the rule
/// (`outside`: every name the rule uses) are bound.
fn bindings(
    c: &mut RuleChecker,
    items: &[BodyItem],
    body: &mut [Option<BodyLit>],
    outside: &[String],
) {
    loop {
        let mut progress = false;
        for (i, item) in items.iter().enumerate() {
            let BodyItem::Compare {
                left,
                op: CmpOp::Eq,
                right,
                ..
            } = item
            else {
                continue;
            };
            if body[i].is_some() {
                continue;
            }
            for (target, expr) in [(left, right), (right, left)] {
                let Term::Var(name) = target else { continue };
                if name.text == "?_" || c.is_bound(&name.text) {
                    continue;
                }
                if let Term::Aggregate { body: Some(_), .. } = expr {
                    let shared = correlated(expr, outside);
                    let shared: Vec<&str> = shared
                        .iter()
                        .map(String::as_str)
                        .filter(|n| *n != name.text)
                        .collect();
                    if !shared.iter().all(|n| c.is_bound(n)) {
                        continue;
                    }
                    let outer: Vec<Var> = shared
                        .iter()
                        .filter_map(|n| c.by_name.get(*n).copied())
                        .collect();
                    let Some((agg, ty)) = body_aggregate(c, expr, outer) else {
                        body[i] = Some(BodyLit::Compare(
                            Expr::Const(Value::Null),
                            CmpOp::Eq,
                            Expr::Const(Value::Null),
                        ));
                        break;
                    };
                    let v = c.var(name);
                    c.unify(v, ty, name.span);
                    c.bound[v] = true;
                    body[i] = Some(BodyLit::Aggregate(v, Box::new(agg)));
                    progress = true;
                    break;
                }
                let mut needs = Vec::new();
                term_vars(expr, &mut needs);
                if !needs.iter().all(|n| c.is_bound(n)) {
                    continue;
                }
                let what = format!("the value of `{}`", name.text);
                let Some((e, t)) = c.expr(expr, None, &what) else {
                    body[i] = Some(BodyLit::Compare(
                        Expr::Const(Value::Null),
                        CmpOp::Eq,
                        Expr::Const(Value::Null),
                    ));
                    break;
                };
                let v = c.var(name);
                if let Some(t) = t {
                    c.unify(v, t, name.span);
                }
                c.bound[v] = true;
                body[i] = Some(BodyLit::Bind(v, e));
                progress = true;
                break;
            }
        }
        if !progress {
            return;
        }
    }
}

type Head = (KindId, Vec<(usize, HeadArg)>);

/// For a rule whose body uses its own, not yet existing, kind: the variables in those atoms
/// take the types of the head fields they stand in, and count as bound (they are, once the
/// kind has rows).
fn infer_self_types(c: &mut RuleChecker, rule: &ast::Rule) {
    let head_field = |arg: &Arg, n: usize| -> Option<String> {
        match (&arg.field, &arg.term) {
            (Some(f), _) => Some(f.text.clone()),
            (None, Term::Var(v)) => Some(v.text.trim_start_matches('?').to_string()),
            _ => Some(format!("field{}", n + 1)),
        }
    };
    let head: Vec<(String, Option<Var>)> = rule
        .head
        .args
        .iter()
        .enumerate()
        .map(|(n, a)| {
            let var = match &a.term {
                Term::Var(name) => Some(c.var(name)),
                _ => None,
            };
            (head_field(a, n).unwrap_or_default(), var)
        })
        .collect();
    let mut pairs: Vec<(Var, Var)> = Vec::new();
    for item in &rule.body {
        let (BodyItem::Atom(a) | BodyItem::Not(a, _)) = item else {
            continue;
        };
        if a.kind.text != rule.head.kind.text {
            continue;
        }
        let positive = matches!(item, BodyItem::Atom(_));
        for (n, arg) in a.args.iter().enumerate() {
            let Term::Var(name) = &arg.term else { continue };
            let v = c.var(name);
            if positive {
                c.bound[v] = true;
            }
            let field = arg
                .field
                .as_ref()
                .map(|f| f.text.clone())
                .or_else(|| head.get(n).map(|h| h.0.clone()));
            if let Some((_, Some(u))) = head.iter().find(|h| Some(&h.0) == field.as_ref()) {
                pairs.push((v, *u));
            }
        }
    }
    // Spread known types along the pairs until nothing changes.
    let mut changed = true;
    while changed {
        changed = false;
        for &(a, b) in &pairs {
            match (c.vars[a].1, c.vars[b].1) {
                (Some(t), None) => {
                    c.vars[b].1 = Some(t);
                    changed = true;
                }
                (None, Some(t)) => {
                    c.vars[a].1 = Some(t);
                    changed = true;
                }
                _ => {}
            }
        }
    }
}

/// A head expression: its variables bound by the body, its type known.
fn head_expr(c: &mut RuleChecker, term: &Term) -> Option<(Expr, Type)> {
    let mut names = Vec::new();
    term_vars(term, &mut names);
    for name in names {
        if !c.is_bound(name) {
            let span = first_var_span(term, name).unwrap_or(term.span());
            c.errors.push(
                Diagnostic::error(format!("variable `{name}` in the head is not bound by the body"), span, "unbound")
                    .with_help("every variable of the head must appear in a positive pattern of the body, or be bound there with `=` to a computed value"),
            );
            return None;
        }
    }
    let (e, t) = c.expr(term, None, "this value")?;
    match t {
        Some(t) => Some((e, t)),
        None => {
            let mut vars = Vec::new();
            e.vars(&mut vars);
            let what = match vars.first() {
                Some(&v) => format!("`{}`", c.vars[v].0),
                None => "this value".to_string(),
            };
            c.errors.push(
                Diagnostic::error(
                    format!("cannot tell what kind of value {what} holds"),
                    term.span(),
                    "type unknown",
                )
                .with_help("bind it in a pattern over a kind with declared fields, or declare the kind with `kind`"),
            );
            None
        }
    }
}

/// Where variable `name` first appears in `term`.
fn first_var_span(term: &Term, name: &str) -> Option<Span> {
    match term {
        Term::Var(n) if n.text == name => Some(n.span),
        Term::Var(_) | Term::Value(_) | Term::Aggregate { .. } => None,
        Term::Call { args, .. } => args.iter().find_map(|a| first_var_span(a, name)),
        Term::Binary { left, right, .. } => {
            first_var_span(left, name).or_else(|| first_var_span(right, name))
        }
        Term::Neg { operand, .. } => first_var_span(operand, name),
    }
}

/// The head's fields: matched to an existing derived kind, or defining a new one.
fn head_args(c: &mut RuleChecker, atom: &Atom) -> Option<Head> {
    let mut fields: Vec<(String, Type, HeadArg, Span)> = Vec::new();
    for (n, Arg { field, term }) in atom.args.iter().enumerate() {
        let default_name = match term {
            Term::Var(name) => name.text.trim_start_matches('?').to_string(),
            Term::Aggregate { func, .. } => func.name().to_string(),
            _ => format!("field{}", n + 1),
        };
        let (arg, ty) = match term {
            Term::Aggregate {
                func,
                arg,
                body: None,
                span,
            } => {
                let checked = match arg {
                    Some(a) => match head_expr(c, a) {
                        Some((e, t)) => Some((e, t)),
                        None => continue,
                    },
                    None => None,
                };
                let ty = match (func, &checked) {
                    (AggFn::Count, _) => Type::Number,
                    (_, None) => {
                        c.errors.push(
                            Diagnostic::error(
                                format!("`{}` needs a value to aggregate", func.name()),
                                *span,
                                "what to aggregate",
                            )
                            .with_help(format!("e.g. `{}(?x)`", func.name())),
                        );
                        continue;
                    }
                    (AggFn::Sum | AggFn::Mean, Some((_, t))) if *t != Type::Number => {
                        c.errors.push(Diagnostic::error(
                            format!("`{}` adds numbers, this is {} {t}", func.name(), an(*t)),
                            arg.as_ref().map_or(*span, |a| a.span()),
                            "not a number",
                        ));
                        continue;
                    }
                    (AggFn::Sum | AggFn::Mean, _) => Type::Number,
                    (_, Some((_, t))) => *t,
                };
                (HeadArg::Agg(*func, checked.map(|(e, _)| e)), ty)
            }
            Term::Aggregate { span, .. } => {
                c.errors.push(
                    Diagnostic::error(
                        "an aggregate with its own body belongs in the body of a rule",
                        *span,
                        "not here",
                    )
                    .with_help(
                        "bind it in the body, e.g. `?n = count(?x : visit(partner: ?x))`, and put `?n` in the head",
                    ),
                );
                continue;
            }
            Term::Value(lit) => {
                let ty = match lit.lit {
                    Literal::Number(_) => Type::Number,
                    Literal::Date(_) => Type::Date,
                    Literal::Bool(_) => Type::Bool,
                    Literal::Name(_) => Type::Entity,
                    _ => Type::Text,
                };
                match typed_value(c.db, lit, ty, "this value") {
                    Ok(v) => (HeadArg::Expr(Expr::Const(v)), ty),
                    Err(d) => {
                        c.errors.push(d);
                        continue;
                    }
                }
            }
            _ => match head_expr(c, term) {
                Some((e, t)) => (HeadArg::Expr(e), t),
                None => continue,
            },
        };
        let name = field.as_ref().map_or(default_name, |f| f.text.clone());
        let span = field.as_ref().map_or(term.span(), |f| f.span);
        if let Some(d) = super::query::provenance_name(&name, span) {
            c.errors.push(d);
            continue;
        }
        if fields.iter().any(|f| f.0 == name) {
            c.errors.push(Diagnostic::error(
                format!("field `{name}` is given twice"),
                span,
                "again here",
            ));
            continue;
        }
        fields.push((name, ty, arg, span));
    }
    if !c.errors.is_empty() {
        return None;
    }
    let kname = &atom.kind.text;
    let kind = match c.db.kind_id(kname) {
        Some(id) => {
            let k = c.db.kind(id);
            if matches!(k.origin, KindOrigin::Builtin) {
                c.errors.push(
                    Diagnostic::error(
                        format!("`{kname}` is built in; a rule cannot add to it"),
                        atom.kind.span,
                        "built-in kind",
                    )
                    .with_help("give the derived kind a name of its own"),
                );
                return None;
            }
            for (name, ty, _, span) in &fields {
                match k.column(name) {
                    Some(col) if k.fields[col].ty == *ty => {}
                    Some(col) => c.errors.push(Diagnostic::error(
                        format!(
                            "field `{name}` of `{kname}` is {} {}, here it is {} {ty}",
                            an(k.fields[col].ty),
                            k.fields[col].ty,
                            an(*ty)
                        ),
                        *span,
                        "type differs",
                    )),
                    None => c.errors.push(
                        Diagnostic::error(
                            format!("`{kname}` has no field `{name}`"),
                            *span,
                            "unknown field",
                        )
                        .with_suggestion(
                            *span,
                            name,
                            k.field_names(),
                            "fields",
                        ),
                    ),
                }
            }
            if !c.errors.is_empty() {
                return None;
            }
            id
        }
        None => {
            let mut kfields = vec![Field {
                name: "id".into(),
                ty: Type::Ref,
                doc: None,
            }];
            kfields.extend(fields.iter().map(|(n, t, _, _)| Field {
                name: n.clone(),
                ty: *t,
                doc: None,
            }));
            c.db.add_kind(Kind {
                name: kname.clone(),
                doc: Some("derived by rules".into()),
                fields: kfields,
                origin: KindOrigin::Derived(atom.kind.span),
                relation: Relation::default(),
            })
        }
    };
    // A declared kind keeps its stated facts; rules add to them.
    if let KindOrigin::Declared(_) = c.db.kind(kind).origin {
        c.db.kind_mut(kind).origin = KindOrigin::Mixed(atom.kind.span);
    }
    let k = c.db.kind(kind);
    let head = fields
        .into_iter()
        .map(|(name, _, arg, _)| (k.column(&name).expect("checked above"), arg))
        .collect();
    Some((kind, head))
}

/// Rules grouped into strata, lowest first; the rules of one stratum are evaluated together.
#[derive(serde::Serialize, serde::Deserialize, Clone, Debug, Default)]
pub struct Strata {
    /// Each stratum: the rule indexes in it, and whether it is recursive.
    pub strata: Vec<(Vec<usize>, bool)>,
}

/// Orders the rules so each derived kind is complete before anything negates or aggregates it;
/// fails, naming the cycle, when negation or aggregation goes through recursion.
pub fn stratify(db: &Database, rules: &[CheckedRule]) -> Result<Strata, Diagnostic> {
    // Dependency graph over kinds: head ← body atom (negative for `not` and aggregates).
    let n = db.kinds.len();
    let mut edges: Vec<Vec<(KindId, bool, usize)>> = vec![vec![]; n];
    for r in rules {
        add_edges(&mut edges[r.head_kind], &r.body, r.has_aggregate(), r.index);
    }
    let sccs = tarjan(n, &edges);
    let mut comp = vec![0; n];
    for (i, scc) in sccs.iter().enumerate() {
        for &k in scc {
            comp[k] = i;
        }
    }
    for (from, out) in edges.iter().enumerate() {
        for &(to, negative, rule) in out {
            if negative && comp[from] == comp[to] {
                let cycle: Vec<&str> = sccs[comp[from]]
                    .iter()
                    .map(|&k| db.kind(k).name.as_str())
                    .collect();
                let r = rules.iter().find(|r| r.index == rule).expect("rule exists");
                return Err(Diagnostic::error(
                    format!(
                        "`{}` depends on itself through `not` or an aggregate: {}",
                        db.kind(from).name,
                        cycle_text(&cycle, db.kind(from).name.as_str())
                    ),
                    r.span,
                    "this rule closes the cycle",
                )
                .with_help("negation and aggregation need their kind complete first; break the cycle, e.g. by a separate derived kind")
                .with_note("negation or aggregation through recursion has no single meaning, so dalil refuses it"));
            }
        }
    }
    // Tarjan yields components in reverse topological order: dependencies first.
    let mut strata = Strata::default();
    for scc in &sccs {
        let members: Vec<usize> = rules
            .iter()
            .filter(|r| scc.contains(&r.head_kind))
            .map(|r| r.index)
            .collect();
        if members.is_empty() {
            continue;
        }
        let recursive = scc.len() > 1 || edges[scc[0]].iter().any(|&(to, _, _)| to == scc[0]);
        strata.strata.push((members, recursive));
    }
    Ok(strata)
}

/// The kinds `body` reads, negative (needed complete) under `not` and inside an aggregate.
fn add_edges(out: &mut Vec<(KindId, bool, usize)>, body: &[BodyLit], negative: bool, rule: usize) {
    for lit in body {
        match lit {
            BodyLit::Atom(a) => out.push((a.kind, negative, rule)),
            BodyLit::Not(a) => out.push((a.kind, true, rule)),
            BodyLit::Aggregate(_, agg) => add_edges(out, &agg.body, true, rule),
            BodyLit::Compare(..) | BodyLit::Time(..) | BodyLit::Bind(..) => {}
        }
    }
}

fn cycle_text(cycle: &[&str], start: &str) -> String {
    let mut names: Vec<&str> = vec![start];
    names.extend(cycle.iter().filter(|n| **n != start));
    names.push(start);
    names.join(" → ")
}

/// Strongly connected components, iteratively (no recursion, so no stack limit on big programs).
fn tarjan(n: usize, edges: &[Vec<(KindId, bool, usize)>]) -> Vec<Vec<usize>> {
    let mut index = vec![usize::MAX; n];
    let mut low = vec![0; n];
    let mut on_stack = vec![false; n];
    let mut stack = Vec::new();
    let mut out = Vec::new();
    let mut next = 0;
    for root in 0..n {
        if index[root] != usize::MAX {
            continue;
        }
        let mut work: Vec<(usize, usize)> = vec![(root, 0)];
        while let Some(&mut (v, ref mut i)) = work.last_mut() {
            if *i == 0 && index[v] == usize::MAX {
                index[v] = next;
                low[v] = next;
                next += 1;
                stack.push(v);
                on_stack[v] = true;
            }
            if let Some(&(w, _, _)) = edges[v].get(*i) {
                *i += 1;
                if index[w] == usize::MAX {
                    work.push((w, 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
                continue;
            }
            work.pop();
            if let Some(&(parent, _)) = work.last() {
                low[parent] = low[parent].min(low[v]);
            }
            if low[v] == index[v] {
                let mut scc = Vec::new();
                while let Some(w) = stack.pop() {
                    on_stack[w] = false;
                    scc.push(w);
                    if w == v {
                        break;
                    }
                }
                out.push(scc);
            }
        }
    }
    out
}
