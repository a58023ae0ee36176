//! Rules: atoms resolved against the schema, variables typed, safety checked (every variable
//! bound by a positive atom), the derived kind created from the head; then the whole program
//! stratified so that negation and aggregation never go through recursion.

use super::declare::unknown_kind;
use super::values::{entity_value, typed_value};
use crate::date::{Modality, TimeRel};
use crate::diagnostic::{Diagnostic, Diagnostics, Span, suggestion};
use crate::store::{
    Database, ENTITY, Field, Kind, KindId, KindOrigin, Relation, Type, Value, entity_cols,
};
use crate::syntax::ast::{self, AggFn, Arg, Atom, BodyItem, CmpOp, Literal, Term};
use std::collections::HashMap;

/// A variable's slot in a rule's frame.
pub type Var = usize;

/// One argument of a body atom: the column it constrains and with what.
#[derive(Clone, Debug, PartialEq)]
pub enum Slot {
    Var(Var),
    Const(Value),
}

/// A checked body atom over kind `kind`.
#[derive(Clone, Debug, PartialEq)]
pub struct CAtom {
    pub kind: KindId,
    pub args: Vec<(usize, Slot)>,
    pub span: Span,
}

/// A value in a comparison.
#[derive(Clone, Debug, PartialEq)]
pub enum Operand {
    Var(Var),
    Const(Value),
    /// `days_between(a, b)`: the fewest days from `a` to `b` (last day of `a` to first of `b`);
    /// with `max: true`, `max_days_between(a, b)`: the most (first day of `a` to last of `b`).
    DaysBetween(Box<Operand>, Box<Operand>, bool),
}

/// A checked body item.
#[derive(Clone, Debug, PartialEq)]
pub enum BodyLit {
    Atom(CAtom),
    Not(CAtom),
    Compare(Operand, CmpOp, Operand),
    Time(Operand, TimeRel, Modality, Operand),
}

/// What fills one column of the head.
#[derive(Clone, Debug, PartialEq)]
pub enum HeadArg {
    Var(Var),
    Const(Value),
    Agg(AggFn, Option<Var>),
}

/// A rule whose names, types and variables are all known to be right.
#[derive(Clone, Debug)]
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
}

impl RuleChecker<'_> {
    fn var(&mut self, name: &ast::Name) -> Var {
        if name.text == "?_" {
            // Each `?_` is a fresh variable nobody else can see.
            self.vars.push((name.text.clone(), None, name.span));
            self.bound.push(false);
            return self.vars.len() - 1;
        }
        if let Some(&v) = self.by_name.get(&name.text) {
            return v;
        }
        self.vars.push((name.text.clone(), None, name.span));
        self.bound.push(false);
        self.by_name.insert(name.text.clone(), self.vars.len() - 1);
        self.vars.len() - 1
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

    fn atom(&mut self, atom: &Atom, positive: bool) -> Option<CAtom> {
        let Some(kind) = self.db.kind_id(&atom.kind.text) else {
            self.errors.push(unknown_kind(self.db, &atom.kind));
            return None;
        };
        let k = self.db.kind(kind);
        let fields: Vec<Field> = k.fields.clone();
        let kname = k.name.clone();
        let mut args = Vec::new();
        let mut positional = 1; // column 0 is `id`; positions start at the first declared field
        let mut seen = Vec::new();
        for Arg { field, term } in &atom.args {
            let col = match field {
                Some(f) => match fields.iter().position(|x| x.name == f.text) {
                    Some(c) => c,
                    None => {
                        let names = fields.iter().map(|x| x.name.as_str());
                        self.errors.push(
                            Diagnostic::error(
                                format!("kind `{kname}` has no field `{}`", f.text),
                                f.span,
                                "unknown field",
                            )
                            .with_help_opt(suggestion(&f.text, names, "fields")),
                        );
                        continue;
                    }
                },
                None => {
                    let c = positional;
                    positional += 1;
                    if c >= fields.len() {
                        self.errors.push(
                            Diagnostic::error(
                                format!(
                                    "kind `{kname}` has {} fields, this is argument {c}",
                                    fields.len() - 1
                                ),
                                term.span(),
                                "one too many",
                            )
                            .with_help(format!(
                                "its fields in order are {}; name them to be clear, e.g. `{}: ?x`",
                                fields[1..]
                                    .iter()
                                    .map(|f| f.name.as_str())
                                    .collect::<Vec<_>>()
                                    .join(", "),
                                fields.get(1).map_or("field", |f| f.name.as_str())
                            )),
                        );
                        continue;
                    }
                    c
                }
            };
            if seen.contains(&col) {
                self.errors.push(Diagnostic::error(
                    format!("field `{}` is given twice", fields[col].name),
                    term.span(),
                    "again here",
                ));
                continue;
            }
            seen.push(col);
            let ty = fields[col].ty;
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
                    let what = format!("field `{}`", fields[col].name);
                    let value = match (ty, &lit.lit) {
                        (Type::Ref, Literal::Name(n) | Literal::Text(n)) => {
                            Ok(Value::Ref(self.db.interner.intern(n)))
                        }
                        // `entity(name: "Said Chanegriha")`: the name as that entity spells it.
                        (Type::Text, Literal::Text(_))
                            if kname == ENTITY
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
                Term::Aggregate { span, .. } | Term::Call { span, .. } => self.errors.push(
                    Diagnostic::error(
                        "only the head of a rule can hold an aggregate or a function",
                        *span,
                        "not here",
                    )
                    .with_help(
                        "bind a variable here, and compare it after, e.g. `?d after 2025-01`",
                    ),
                ),
            }
        }
        Some(CAtom {
            kind,
            args,
            span: atom.span,
        })
    }

    /// A comparison's side; a literal takes the type `hint` of the other side, and `what`
    /// names the comparison in a mismatch report.
    fn operand(
        &mut self,
        term: &Term,
        hint: Option<Type>,
        what: &str,
    ) -> Option<(Operand, Option<Type>)> {
        match term {
            Term::Var(name) => {
                let v = self.var(name);
                Some((Operand::Var(v), self.vars[v].1))
            }
            Term::Value(lit) => {
                let ty = hint.or(match lit.lit {
                    Literal::Number(_) => Some(Type::Number),
                    Literal::Date(_) => Some(Type::Date),
                    Literal::Text(_) => Some(Type::Text),
                    Literal::Bool(_) => Some(Type::Bool),
                    _ => Some(Type::Entity),
                })?;
                match typed_value(self.db, lit, ty, what) {
                    Ok(v) => Some((Operand::Const(v), Some(ty))),
                    Err(d) => {
                        self.errors.push(d);
                        None
                    }
                }
            }
            Term::Call { func, args, span } => {
                let max = func.text == "max_days_between";
                if !(func.text == "days_between" || max) || args.len() != 2 {
                    self.errors.push(
                        Diagnostic::error(
                            format!("there is no function `{}` with {} arguments", func.text, args.len()),
                            *span,
                            "unknown function",
                        )
                            .with_help("the functions are days_between(?a, ?b), the fewest days from ?a to ?b, and max_days_between(?a, ?b), the most"),
                    );
                    return None;
                }
                let (a, ta) = self.operand(&args[0], Some(Type::Date), "days_between")?;
                let (b, tb) = self.operand(&args[1], Some(Type::Date), "days_between")?;
                for (t, arg) in [(ta, &args[0]), (tb, &args[1])] {
                    if t.is_some_and(|t| t != Type::Date) {
                        self.errors.push(Diagnostic::error(
                            "days_between takes two dates",
                            arg.span(),
                            "not a date",
                        ));
                    }
                }
                Some((
                    Operand::DaysBetween(Box::new(a), Box::new(b), max),
                    Some(Type::Number),
                ))
            }
            Term::Aggregate { span, .. } => {
                self.errors.push(Diagnostic::error(
                    "aggregates belong in the head of a rule",
                    *span,
                    "not here",
                ));
                None
            }
        }
    }

    fn operand_vars(op: &Operand, out: &mut Vec<Var>) {
        match op {
            Operand::Var(v) => out.push(*v),
            Operand::Const(_) => {}
            Operand::DaysBetween(a, b, _) => {
                Self::operand_vars(a, out);
                Self::operand_vars(b, out);
            }
        }
    }
}

fn an(t: Type) -> &'static str {
    if t == Type::Entity { "an" } else { "a" }
}

/// Checks one rule; creates its head kind when it is new. `index` is its place in the rule list.
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
    let mut checks: Vec<(Vec<Var>, Span, &'static str)> = Vec::new();
    for (i, item) in rule.body.iter().enumerate() {
        match item {
            BodyItem::Atom(_) => {}
            BodyItem::Not(a, span) => {
                if let Some(ca) = c.atom(a, false) {
                    let vars: Vec<Var> = ca
                        .args
                        .iter()
                        .filter_map(|(_, s)| match s {
                            Slot::Var(v) if c.vars[*v].0 != "?_" => Some(*v),
                            _ => None,
                        })
                        .collect();
                    checks.push((vars, *span, "under `not`"));
                    body[i] = Some(BodyLit::Not(ca));
                }
            }
            BodyItem::Compare {
                left,
                op,
                right,
                span,
            } => {
                let l = c.operand(left, None, "this comparison");
                let hint = l.as_ref().and_then(|(_, t)| *t);
                let what = match left {
                    Term::Var(v) => format!("a comparison with `{}`", v.text),
                    _ => "this comparison".to_string(),
                };
                let r = c.operand(right, hint, &what);
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
                    let mut vars = Vec::new();
                    RuleChecker::operand_vars(&lo, &mut vars);
                    RuleChecker::operand_vars(&ro, &mut vars);
                    checks.push((vars, *span, "in a comparison"));
                    body[i] = Some(BodyLit::Compare(lo, *op, ro));
                }
            }
            BodyItem::Time {
                left,
                rel,
                modality,
                right,
                span,
            } => {
                let l = c.operand(left, Some(Type::Date), "a time comparison");
                let r = c.operand(right, Some(Type::Date), "a time comparison");
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
                    let mut vars = Vec::new();
                    RuleChecker::operand_vars(&lo, &mut vars);
                    RuleChecker::operand_vars(&ro, &mut vars);
                    checks.push((vars, *span, "in a time comparison"));
                    body[i] = Some(BodyLit::Time(lo, *rel, *modality, ro));
                }
            }
        }
    }
    if !c.errors.is_empty() {
        // Unknown kinds or fields leave variables unbound; more reports would only repeat that.
        return Err(c.errors);
    }
    // Safety: a variable must be bound by a positive atom before anything else can use it.
    for (vars, _, place) in &checks {
        for &v in vars {
            if !c.bound[v] {
                let (name, _, span) = &c.vars[v];
                c.errors.push(
                    Diagnostic::error(format!("variable `{name}` is unsafe: it appears only {place}"), *span, "not bound by any fact")
                        .with_help(format!("use `{name}` in a positive pattern of the body too, e.g. `visit(partner: {name})`")),
                );
            }
        }
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

/// The head's fields: matched to an existing derived kind, or defining a new one.
fn head_args(c: &mut RuleChecker, atom: &Atom) -> Option<Head> {
    let mut fields: Vec<(String, Type, HeadArg, Span)> = Vec::new();
    for (n, Arg { field, term }) in atom.args.iter().enumerate() {
        let (arg, ty, default_name) = match term {
            Term::Var(name) => {
                let v = c.var(name);
                if !c.bound[v] {
                    c.errors.push(
                        Diagnostic::error(format!("variable `{}` in the head is not bound by the body", name.text), name.span, "unbound")
                            .with_help("every variable of the head must appear in a positive pattern of the body"),
                    );
                    continue;
                }
                let Some(ty) = c.vars[v].1 else {
                    c.errors.push(
                        Diagnostic::error(
                            format!("cannot tell what kind of value `{}` holds", name.text),
                            name.span,
                            "type unknown",
                        )
                        .with_help("bind it in a pattern over a kind with declared fields, or declare the kind with `kind`"),
                    );
                    continue;
                };
                (
                    HeadArg::Var(v),
                    ty,
                    name.text.trim_start_matches('?').to_string(),
                )
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
                    Ok(v) => (HeadArg::Const(v), ty, format!("field{}", n + 1)),
                    Err(d) => {
                        c.errors.push(d);
                        continue;
                    }
                }
            }
            Term::Aggregate { func, var, span } => {
                let v = var.as_ref().map(|name| c.var(name));
                let ty = match (func, v) {
                    (AggFn::Count, _) | (AggFn::Sum, _) => Type::Number,
                    (_, Some(v)) => c.vars[v].1.unwrap_or(Type::Number),
                    (_, None) => {
                        c.errors.push(Diagnostic::error(
                            format!("`{}` needs a variable", func.name()),
                            *span,
                            "what to aggregate",
                        ));
                        continue;
                    }
                };
                if let Some(v) = v {
                    if !c.bound[v] {
                        c.errors.push(Diagnostic::error(
                            format!("variable `{}` is not bound by the body", c.vars[v].0),
                            *span,
                            "unbound",
                        ));
                        continue;
                    }
                    if *func == AggFn::Sum && c.vars[v].1 != Some(Type::Number) {
                        c.errors.push(Diagnostic::error(
                            "`sum` adds numbers",
                            *span,
                            "not a number",
                        ));
                        continue;
                    }
                }
                (HeadArg::Agg(*func, v), ty, func.name().to_string())
            }
            Term::Call { span, .. } => {
                c.errors.push(Diagnostic::error("a function cannot fill a field of the head", *span, "not here")
                    .with_help("compute it in the body: `?n = days_between(?a, ?b)` is not supported yet; compare instead"));
                continue;
            }
        };
        let name = field.as_ref().map_or(default_name, |f| f.text.clone());
        let span = field.as_ref().map_or(term.span(), |f| f.span);
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
            if matches!(k.origin, KindOrigin::Builtin)
                || (!k.is_derived() && !k.relation.is_empty())
            {
                c.errors.push(
                    Diagnostic::error(
                        format!("`{kname}` holds stated facts; a rule cannot add to it"),
                        atom.kind.span,
                        "stated kind",
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
                        .with_help_opt(suggestion(
                            name,
                            k.field_names(),
                            "fields",
                        )),
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
    if let KindOrigin::Declared(_) = c.db.kind(kind).origin {
        c.db.kind_mut(kind).origin = KindOrigin::Derived(atom.kind.span);
    }
    let k = c.db.kind(kind);
    let head = fields
        .into_iter()
        .map(|(name, _, arg, _)| (k.column(&name).expect("checked above"), arg))
        .collect();
    Some((kind, head))
}

/// Rules grouped into strata, lowest first; the rules of one stratum are evaluated together.
#[derive(Clone, Debug, Default)]
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
        for lit in &r.body {
            match lit {
                BodyLit::Atom(a) => edges[r.head_kind].push((a.kind, r.has_aggregate(), r.index)),
                BodyLit::Not(a) => edges[r.head_kind].push((a.kind, true, r.index)),
                _ => {}
            }
        }
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
