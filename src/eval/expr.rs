//! Evaluating checked expressions ([`Expr`]) over a frame of variable values.
//!
//! Numbers are `f64`. A whole number is an integer, and arithmetic on integers is exact: it runs
//! on `i64` and fails (never wraps, never rounds) when the result leaves ±(2^53 − 1), the range
//! in which every whole number has an exact `f64`. `/` divides exactly (`7 / 2` is `3.5`); `//`
//! truncates toward zero (`-7 // 2` is `-3`, as in Soufflé, SQL and Rust) and `%` is its
//! remainder, with the sign of the dividend. Dividing by zero is an error, never infinity.
//!
//! Unknown (`Value::Null`) passes through: any operator or function with an unknown operand
//! gives unknown. A date function whose answer the date's precision does not settle (the day
//! of `2025-09`) also gives unknown — only what holds for every day the date may stand for.
//!
//! Texts computed here (`lower`, `concat`, …) that the database has never seen get a scratch
//! symbol from [`Texts`]; they are interned for real only when a row holding one is stored.

use crate::check::expr::Expr;
use crate::check::functions::{Func, WEEKDAYS};
use crate::date::Date;
use crate::store::{Database, Sym, Value};
use crate::syntax::ast::BinOp;
use chrono::{Datelike, NaiveDate};
use std::cell::RefCell;
use std::collections::HashMap;

/// The largest whole number computed exactly: 2^53 − 1.
pub const MAX_EXACT: i64 = (1 << 53) - 1;

/// Scratch symbols start here, far above any interned symbol.
const SCRATCH: u32 = 1 << 31;

/// Texts computed during one evaluation that the interner does not hold yet.
#[derive(Default, Debug)]
pub struct Texts {
    scratch: RefCell<(HashMap<String, u32>, Vec<String>)>,
}

impl Texts {
    /// The value of text `s`: its interned symbol when there is one, else a scratch symbol.
    pub fn text(&self, db: &Database, s: String) -> Value {
        if let Some(sym) = db.interner.get(&s) {
            return Value::Text(sym);
        }
        let mut scratch = self.scratch.borrow_mut();
        let (index, list) = &mut *scratch;
        let next = list.len() as u32;
        let i = *index.entry(s.clone()).or_insert(next);
        if i == next {
            list.push(s);
        }
        Value::Text(Sym(SCRATCH + i))
    }

    /// The texts made that the interner did not hold, in the order they were made.
    pub fn into_new(self) -> Vec<String> {
        self.scratch.into_inner().1
    }

    /// The text of a symbol, scratch or interned.
    pub fn resolve(&self, db: &Database, sym: Sym) -> String {
        match sym.0.checked_sub(SCRATCH) {
            Some(i) => self.scratch.borrow().1[i as usize].clone(),
            None => db.interner.resolve(sym).to_string(),
        }
    }

    /// Is `sym` a text computed here and not interned yet?
    pub fn is_scratch(sym: Sym) -> bool {
        sym.0 >= SCRATCH
    }

    /// Does `row` hold a scratch text?
    pub fn in_row(row: &[Value]) -> bool {
        row.iter().any(|v| match v {
            Value::Text(s) => s.0 >= SCRATCH,
            Value::List(items) => Texts::in_row(items),
            _ => false,
        })
    }

    /// Interns the scratch texts of `row` for real.
    pub fn intern_row(&self, db: &mut Database, row: &mut [Value]) {
        for v in row {
            match v {
                Value::Text(s) if s.0 >= SCRATCH => {
                    let text = self.scratch.borrow().1[(s.0 - SCRATCH) as usize].clone();
                    *s = db.interner.intern(&text);
                }
                Value::List(items) if Texts::in_row(items) => {
                    let mut items = items.to_vec();
                    self.intern_row(db, &mut items);
                    *v = Value::List(items.into());
                }
                _ => {}
            }
        }
    }
}

/// Why an expression has no value: a division by zero, an overflow.
#[derive(Clone, Debug, PartialEq)]
pub struct EvalError {
    pub message: String,
}

fn fail<T>(message: String) -> Result<T, EvalError> {
    Err(EvalError { message })
}

/// The value of `e` with the variables' values in `values`.
pub fn eval(db: &Database, texts: &Texts, e: &Expr, values: &[Value]) -> Result<Value, EvalError> {
    Ok(match e {
        Expr::Var(v) => values[*v].clone(),
        Expr::Const(c) => c.clone(),
        Expr::Neg(x) => match eval(db, texts, x, values)? {
            Value::Num(n) => Value::Num(-n),
            _ => Value::Null,
        },
        Expr::Binary(op, a, b) => {
            match (eval(db, texts, a, values)?, eval(db, texts, b, values)?) {
                (Value::Num(x), Value::Num(y)) => Value::Num(arithmetic(*op, x, y)?),
                _ => Value::Null,
            }
        }
        Expr::Call(f, args) => {
            let args = args
                .iter()
                .map(|a| eval(db, texts, a, values))
                .collect::<Result<Vec<_>, _>>()?;
            if args.iter().any(Value::is_null) {
                return Ok(Value::Null);
            }
            call(db, texts, *f, &args)?
        }
    })
}

/// A number as it is written in reports: `3`, `2.5`.
pub fn number_text(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

/// `x op y`, exactly on integers.
pub fn arithmetic(op: BinOp, x: f64, y: f64) -> Result<f64, EvalError> {
    let shown = || format!("{} {} {}", number_text(x), op.symbol(), number_text(y));
    if y == 0.0 && matches!(op, BinOp::Div | BinOp::IntDiv | BinOp::Rem) {
        return fail(format!("division by zero: {}", shown()));
    }
    let whole = |n: f64| n.fract() == 0.0 && n.abs() <= MAX_EXACT as f64;
    if whole(x) && whole(y) && op != BinOp::Div {
        let (a, b) = (x as i64, y as i64);
        // Within ±2^53 no i64 operation below overflows; the result is checked against 2^53.
        let r = match op {
            BinOp::Add => a + b,
            BinOp::Sub => a - b,
            BinOp::Mul => match a.checked_mul(b) {
                Some(r) => r,
                None => return fail(overflow(&shown())),
            },
            BinOp::IntDiv => a / b,
            BinOp::Rem => a % b,
            BinOp::Div => unreachable!("exact division is on f64"),
        };
        if r.abs() > MAX_EXACT {
            return fail(overflow(&shown()));
        }
        return Ok(r as f64);
    }
    let r = match op {
        BinOp::Add => x + y,
        BinOp::Sub => x - y,
        BinOp::Mul => x * y,
        BinOp::Div => x / y,
        BinOp::IntDiv => (x / y).trunc(),
        BinOp::Rem => x % y,
    };
    if !r.is_finite() {
        return fail(overflow(&shown()));
    }
    Ok(r)
}

fn overflow(shown: &str) -> String {
    format!(
        "number too large: {shown} is beyond ±{MAX_EXACT}, the largest whole number dalil computes exactly"
    )
}

/// The first and last day a date may stand for, an approximate one widened as under
/// `possibly` (what holds for all of them is certain); `None` when an end is open or unknown.
fn days(db: &Database, d: &Date) -> Option<(NaiveDate, NaiveDate)> {
    d.earliest()?;
    d.latest()?;
    let (lo, hi) = d.possible_bounds(db.widening);
    Some((
        NaiveDate::from_num_days_from_ce_opt(lo)?,
        NaiveDate::from_num_days_from_ce_opt(hi)?,
    ))
}

/// A function of a date (every one takes its date first), else [`call_plain`].
fn call(db: &Database, texts: &Texts, f: Func, args: &[Value]) -> Result<Value, EvalError> {
    let date = |i: usize| match &args[i] {
        Value::Date(d) => Some(*d),
        _ => None,
    };
    let Some(d) = date(0) else {
        return call_plain(db, texts, f, args);
    };
    let Some((lo, hi)) = days(db, &d) else {
        // An open or unknown end: only `possible_weekdays` and the days between say something.
        return Ok(match f {
            Func::PossibleWeekdays => weekdays(db, texts, 0, 6),
            Func::DaysBetween | Func::MaxDaysBetween => days_between(f, &d, date(1)),
            Func::FirstDay => d
                .earliest()
                .map_or(Value::Null, |n| Value::Date(Date::from_days(n))),
            Func::LastDay => d
                .latest()
                .map_or(Value::Null, |n| Value::Date(Date::from_days(n))),
            _ => Value::Null,
        });
    };
    let single = (lo == hi).then_some(lo);
    Ok(match f {
        Func::DaysBetween | Func::MaxDaysBetween => days_between(f, &d, date(1)),
        Func::Year if lo.year() == hi.year() => Value::Num(f64::from(lo.year())),
        Func::Month if (lo.year(), lo.month()) == (hi.year(), hi.month()) => {
            Value::Num(f64::from(lo.month()))
        }
        Func::Year | Func::Month => Value::Null,
        Func::Day => single.map_or(Value::Null, |day| Value::Num(f64::from(day.day()))),
        Func::Weekday => single.map_or(Value::Null, |day| {
            texts.text(
                db,
                WEEKDAYS[day.weekday().num_days_from_monday() as usize].into(),
            )
        }),
        Func::WeekdayNumber => single.map_or(Value::Null, |day| {
            Value::Num(f64::from(day.weekday().number_from_monday()))
        }),
        Func::PossibleWeekdays => {
            let first = lo.weekday().num_days_from_monday() as usize;
            let span = hi.signed_duration_since(lo).num_days().min(6) as usize;
            weekdays(db, texts, first, span)
        }
        Func::AddDays => {
            let n = match args[1] {
                Value::Num(n) => n,
                _ => 0.0,
            };
            if n.fract() != 0.0 || n.abs() > 3_000_000.0 {
                return fail(format!(
                    "add_days moves by whole days within 8000 years, not {}",
                    number_text(n)
                ));
            }
            let n = n as i32;
            let (a, b) = (Date::from_days(d.lo + n), Date::from_days(d.hi + n));
            Value::Date(if n == 0 {
                d
            } else if d.lo == d.hi {
                a
            } else {
                a.span_to(&b)
            })
        }
        Func::FirstDay => Value::Date(Date::from_days(d.lo)),
        Func::LastDay => Value::Date(Date::from_days(d.hi)),
        _ => return call_plain(db, texts, f, args),
    })
}

/// The days from `a` to `b`: the fewest (last day of `a` to first of `b`), or with
/// `max_days_between` the most; unknown when an end it needs is open.
/// `days_between(a, b)` (or `max_days_between`): the fewest (most) days from `a` to `b`.
pub fn days_between(f: Func, a: &Date, b: Option<Date>) -> Value {
    let Some(b) = b else { return Value::Null };
    let ends = if f == Func::MaxDaysBetween {
        b.latest().zip(a.earliest())
    } else {
        b.earliest().zip(a.latest())
    };
    ends.map_or(Value::Null, |(y, x)| {
        Value::Num(f64::from(y) - f64::from(x))
    })
}

/// The names of `count + 1` weekdays from weekday `first` (Monday 0), in the order Monday first.
fn weekdays(db: &Database, texts: &Texts, first: usize, count: usize) -> Value {
    let mut present = [false; 7];
    for i in 0..=count {
        present[(first + i) % 7] = true;
    }
    let names: Vec<Value> = (0..7)
        .filter(|&i| present[i])
        .map(|i| texts.text(db, WEEKDAYS[i].into()))
        .collect();
    Value::List(names.into())
}

/// The functions of texts and numbers.
fn call_plain(db: &Database, texts: &Texts, f: Func, args: &[Value]) -> Result<Value, EvalError> {
    let num = |i: usize| match args[i] {
        Value::Num(n) => n,
        _ => 0.0,
    };
    let text = |i: usize| match &args[i] {
        Value::Text(s) => texts.resolve(db, *s),
        _ => String::new(),
    };
    Ok(match f {
        Func::Lower => texts.text(db, text(0).to_lowercase()),
        Func::Upper => texts.text(db, text(0).to_uppercase()),
        Func::Length => Value::Num(text(0).chars().count() as f64),
        Func::StartsWith => Value::Bool(text(0).starts_with(&text(1))),
        Func::EndsWith => Value::Bool(text(0).ends_with(&text(1))),
        Func::Contains => Value::Bool(text(0).contains(&text(1))),
        Func::Concat => texts.text(db, (0..args.len()).map(text).collect()),
        Func::Substring => {
            let (start, len) = (num(1), num(2));
            if start < 1.0 || len < 0.0 || start.fract() != 0.0 || len.fract() != 0.0 {
                return fail(format!(
                    "substring needs a whole start from 1 and a whole length from 0, not {} and {}",
                    number_text(start),
                    number_text(len)
                ));
            }
            let s: String = text(0)
                .chars()
                .skip(start as usize - 1)
                .take(len as usize)
                .collect();
            texts.text(db, s)
        }
        Func::Abs => Value::Num(num(0).abs()),
        Func::Round => Value::Num(num(0).round()),
        Func::Min => Value::Num(num(0).min(num(1))),
        Func::Max => Value::Num(num(0).max(num(1))),
        // The date functions are answered by `call`.
        _ => Value::Null,
    })
}
