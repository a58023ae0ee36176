//! Expressions in queries: computed columns (`visit[partner, weekday(date) as day]`) and
//! computed conditions (`where rank + 1 <= 3`). A name is a field of the row, resolved like any
//! path; the expression is typed with the same operators and function table as in rules.

use super::expr::{Expr, an, binary_type};
use super::functions::{self, Func};
use super::ir::{Column, Computed, FieldRef};
use super::query::resolve_path;
use super::values::typed_value;
use crate::diagnostic::Diagnostic;
use crate::store::{Database, KindId, Type};
use crate::syntax::ast::{CmpOp, Literal, Path, Term};
use std::rc::Rc;

/// Functions whose texts are known in advance (interned when the query is checked): the rest
/// make new texts, interned before the query runs.
const KNOWN_TEXTS: [Func; 2] = [Func::Weekday, Func::PossibleWeekdays];

/// Does `e` call a function that makes texts not known in advance?
fn makes_texts(e: &Expr) -> bool {
    match e {
        Expr::Var(_) | Expr::Const(_) => false,
        Expr::Neg(x) => makes_texts(x),
        Expr::Binary(_, a, b) => makes_texts(a) || makes_texts(b),
        Expr::Call(f, args) => {
            let sig = functions::signature(*f);
            (matches!(sig.result, Type::Text | Type::List) && !KNOWN_TEXTS.contains(f))
                || args.iter().any(makes_texts)
        }
    }
}

/// `expr as name`: a column of the result.
pub fn computed_column(
    db: &mut Database,
    kind: KindId,
    term: &Term,
    name: &str,
) -> Result<FieldRef, Diagnostic> {
    let mut inputs = Vec::new();
    let (expr, ty) = check(db, kind, term, &mut inputs)?;
    Ok(FieldRef {
        column: Column::Computed,
        derefs: vec![],
        ty: ty.unwrap_or(Type::Number),
        name: name.to_string(),
        computed: Some(Rc::new(Computed {
            inputs,
            makes_texts: makes_texts(&expr),
            expr,
            compare: None,
            span: term.span(),
        })),
    })
}

/// `left op right` over computed values: a true-or-false field, to compare with `true`.
pub fn computed_test(
    db: &mut Database,
    kind: KindId,
    left: &Term,
    op: CmpOp,
    right: &Term,
) -> Result<FieldRef, Diagnostic> {
    let mut inputs = Vec::new();
    let (l, lt) = check(db, kind, left, &mut inputs)?;
    let (r, rt) = check(db, kind, right, &mut inputs)?;
    if let (Some(a), Some(b)) = (lt, rt)
        && a != b
    {
        return Err(Diagnostic::error(
            format!("cannot compare {} {a} with {} {b}", an(a), an(b)),
            left.span().to(right.span()),
            "different types",
        ));
    }
    Ok(FieldRef {
        column: Column::Computed,
        derefs: vec![],
        ty: Type::Bool,
        name: "condition".into(),
        computed: Some(Rc::new(Computed {
            inputs,
            makes_texts: makes_texts(&l) || makes_texts(&r),
            expr: l,
            compare: Some((op, r)),
            span: left.span().to(right.span()),
        })),
    })
}

fn check(
    db: &mut Database,
    kind: KindId,
    term: &Term,
    inputs: &mut Vec<FieldRef>,
) -> Result<(Expr, Option<Type>), Diagnostic> {
    Ok(match term {
        Term::Var(name) => {
            let path = Path {
                segments: name
                    .text
                    .split('.')
                    .map(|s| crate::syntax::ast::Name {
                        text: s.to_string(),
                        span: name.span,
                    })
                    .collect(),
                span: name.span,
            };
            let field = resolve_path(db, kind, &path)?;
            let ty = field.ty;
            let i = match inputs.iter().position(|f| f.name == field.name) {
                Some(i) => i,
                None => {
                    inputs.push(field);
                    inputs.len() - 1
                }
            };
            (Expr::Var(i), Some(ty))
        }
        Term::Value(lit) => {
            let ty = match lit.lit {
                Literal::Number(_) => Type::Number,
                Literal::Date(_) => Type::Date,
                Literal::Bool(_) => Type::Bool,
                _ => Type::Text,
            };
            (
                Expr::Const(typed_value(db, lit, ty, "this value")?),
                Some(ty),
            )
        }
        Term::Binary {
            op, left, right, ..
        } => {
            let (l, lt) = check(db, kind, left, inputs)?;
            let (r, rt) = check(db, kind, right, inputs)?;
            let t = binary_type(*op, (lt, left.span()), (rt, right.span()))?;
            (Expr::Binary(*op, Box::new(l), Box::new(r)), Some(t))
        }
        Term::Neg { operand, .. } => {
            let (e, t) = check(db, kind, operand, inputs)?;
            binary_type(
                crate::syntax::ast::BinOp::Sub,
                (t, operand.span()),
                (None, operand.span()),
            )?;
            (Expr::Neg(Box::new(e)), Some(Type::Number))
        }
        Term::Call { func, args, span } => {
            let sig = functions::lookup(&func.text)
                .ok_or_else(|| functions::unknown_function(&func.text, func.span))?;
            let mut checked = Vec::new();
            let mut types = Vec::new();
            for a in args {
                let (e, t) = check(db, kind, a, inputs)?;
                checked.push(e);
                types.push((t, a.span()));
            }
            sig.check_args(&types, *span)?;
            for day in functions::WEEKDAYS {
                db.interner.intern(day);
            }
            (Expr::Call(sig.func, checked), Some(sig.result))
        }
        Term::Aggregate { span, .. } => {
            return Err(
                Diagnostic::error("a query cannot hold an aggregate", *span, "not here")
                    .with_help("count rows with `count KIND by field`, or aggregate in a rule"),
            );
        }
    })
}
