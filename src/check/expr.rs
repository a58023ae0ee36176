//! The checked form of an expression, shared by rule bodies, rule heads and aggregates: every
//! variable a frame slot, every literal a typed value, every function an entry of
//! [`functions::FUNCTIONS`](super::functions::FUNCTIONS). Evaluation is `eval::expr`.
//!
//! Types are settled here, so evaluation only meets the values it was promised — or unknown,
//! which every operator and function passes on (an unknown operand gives an unknown result).

use super::functions::Func;
use crate::diagnostic::{Diagnostic, Span};
use crate::store::Type;
use crate::syntax::ast::BinOp;

/// A variable's slot in a rule's frame.
pub type Var = usize;

/// A checked expression.
#[derive(serde::Serialize, serde::Deserialize, Clone, Debug, PartialEq)]
pub enum Expr {
    Var(Var),
    Const(crate::store::Value),
    /// `-e` on a number.
    Neg(Box<Expr>),
    /// `a op b` on numbers.
    Binary(BinOp, Box<Expr>, Box<Expr>),
    /// A built-in function applied to its arguments (arity and types checked).
    Call(Func, Vec<Expr>),
}

impl Expr {
    /// Adds the variables the expression reads to `out`.
    pub fn vars(&self, out: &mut Vec<Var>) {
        match self {
            Expr::Var(v) => out.push(*v),
            Expr::Const(_) => {}
            Expr::Neg(e) => e.vars(out),
            Expr::Binary(_, a, b) => {
                a.vars(out);
                b.vars(out);
            }
            Expr::Call(_, args) => args.iter().for_each(|a| a.vars(out)),
        }
    }

    /// The variable, when the expression is just one.
    pub fn as_var(&self) -> Option<Var> {
        match self {
            Expr::Var(v) => Some(*v),
            _ => None,
        }
    }
}

/// `a` or `an` before a type's name.
pub fn an(t: Type) -> &'static str {
    if t == Type::Entity { "an" } else { "a" }
}

/// The type of `left op right`: numbers only. A mismatch is reported at the operand that is
/// not a number (`ty` unknown means "not known yet": accepted, as evaluation passes unknowns on).
pub fn binary_type(
    op: BinOp,
    left: (Option<Type>, Span),
    right: (Option<Type>, Span),
) -> Result<Type, Diagnostic> {
    for (ty, span) in [left, right] {
        match ty {
            Some(Type::Number) | None => {}
            Some(t) => {
                let help = match (op, t) {
                    (BinOp::Add, Type::Text) => {
                        "to join texts, use concat: `concat(?a, \" \", ?b)`".to_string()
                    }
                    (BinOp::Add | BinOp::Sub, Type::Date) => {
                        "to move a date, use add_days: `add_days(?d, 7)`; to measure between two, days_between(?a, ?b)".to_string()
                    }
                    _ => format!("`{}` works on numbers only", op.symbol()),
                };
                return Err(Diagnostic::error(
                    format!(
                        "`{}` needs numbers on both sides, this is {} {t}",
                        op.symbol(),
                        an(t)
                    ),
                    span,
                    format!("{} {t}", an(t)),
                )
                .with_help(help));
            }
        }
    }
    Ok(Type::Number)
}
