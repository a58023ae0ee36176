//! The built-in functions, in one table: name, parameter types, result type and what each does.
//! The checker looks calls up here (arity and types are errors at check time, pointing at the
//! argument); `eval::expr` computes them; `:help functions` and docs/GUIDE.md list them.

use super::expr::an;
use crate::diagnostic::{Diagnostic, Span, suggestion};
use crate::store::Type;

/// A built-in function.
#[derive(serde::Serialize, serde::Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Func {
    DaysBetween,
    MaxDaysBetween,
    Year,
    Month,
    Day,
    Weekday,
    WeekdayNumber,
    PossibleWeekdays,
    AddDays,
    FirstDay,
    LastDay,
    Lower,
    Upper,
    Length,
    StartsWith,
    EndsWith,
    Contains,
    Concat,
    Substring,
    Abs,
    Round,
    Min,
    Max,
}

/// One entry of the table.
pub struct Signature {
    pub func: Func,
    pub name: &'static str,
    /// Parameter types; with `variadic`, the last one repeats (at least once).
    pub params: &'static [Type],
    pub variadic: bool,
    pub result: Type,
    pub doc: &'static str,
}

const fn sig(
    func: Func,
    name: &'static str,
    params: &'static [Type],
    result: Type,
    doc: &'static str,
) -> Signature {
    Signature {
        func,
        name,
        params,
        variadic: false,
        result,
        doc,
    }
}

use Type::{Bool, Date, List, Number, Text};

/// Every built-in function. A date less precise than the answer needs gives what is certain:
/// `year(2025-09)` is 2025, `day(2025-09)` and `weekday(2025-09)` are unknown.
pub const FUNCTIONS: &[Signature] = &[
    sig(
        Func::DaysBetween,
        "days_between",
        &[Date, Date],
        Number,
        "the fewest days from a to b: last possible day of a to first of b",
    ),
    sig(
        Func::MaxDaysBetween,
        "max_days_between",
        &[Date, Date],
        Number,
        "the most days from a to b: first possible day of a to last of b",
    ),
    sig(
        Func::Year,
        "year",
        &[Date],
        Number,
        "the year, when certain",
    ),
    sig(
        Func::Month,
        "month",
        &[Date],
        Number,
        "the month (1–12), when certain",
    ),
    sig(
        Func::Day,
        "day",
        &[Date],
        Number,
        "the day of the month, when certain",
    ),
    sig(
        Func::Weekday,
        "weekday",
        &[Date],
        Text,
        "the day of the week (`Tuesday`), when certain",
    ),
    sig(
        Func::WeekdayNumber,
        "weekday_number",
        &[Date],
        Number,
        "the day of the week as a number, Monday 1 to Sunday 7, when certain",
    ),
    sig(
        Func::PossibleWeekdays,
        "possible_weekdays",
        &[Date],
        List,
        "every day of the week the date may fall on, Monday first",
    ),
    sig(
        Func::AddDays,
        "add_days",
        &[Date, Number],
        Date,
        "the date moved by a whole number of days (negative: back)",
    ),
    sig(
        Func::FirstDay,
        "first_day",
        &[Date],
        Date,
        "the first day the date may stand for",
    ),
    sig(
        Func::LastDay,
        "last_day",
        &[Date],
        Date,
        "the last day the date may stand for",
    ),
    sig(
        Func::Lower,
        "lower",
        &[Text],
        Text,
        "the text in lower case",
    ),
    sig(
        Func::Upper,
        "upper",
        &[Text],
        Text,
        "the text in upper case",
    ),
    sig(
        Func::Length,
        "length",
        &[Text],
        Number,
        "the number of characters",
    ),
    sig(
        Func::StartsWith,
        "starts_with",
        &[Text, Text],
        Bool,
        "does a begin with b",
    ),
    sig(
        Func::EndsWith,
        "ends_with",
        &[Text, Text],
        Bool,
        "does a end with b",
    ),
    sig(
        Func::Contains,
        "contains",
        &[Text, Text],
        Bool,
        "does a contain b (case-sensitive)",
    ),
    Signature {
        func: Func::Concat,
        name: "concat",
        params: &[Text],
        variadic: true,
        result: Text,
        doc: "the texts joined, in order",
    },
    sig(
        Func::Substring,
        "substring",
        &[Text, Number, Number],
        Text,
        "`substring(t, start, n)`: n characters from character `start` (the first is 1)",
    ),
    sig(Func::Abs, "abs", &[Number], Number, "the absolute value"),
    sig(
        Func::Round,
        "round",
        &[Number],
        Number,
        "the nearest whole number (halves away from zero)",
    ),
    sig(
        Func::Min,
        "min",
        &[Number, Number],
        Number,
        "the smaller of two numbers",
    ),
    sig(
        Func::Max,
        "max",
        &[Number, Number],
        Number,
        "the larger of two numbers",
    ),
];

/// The names `weekday` answers with, Monday first.
pub const WEEKDAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

/// The table entry of `func`.
pub fn signature(func: Func) -> &'static Signature {
    FUNCTIONS
        .iter()
        .find(|s| s.func == func)
        .expect("every function is in the table")
}

/// The entry called `name`, if any.
pub fn lookup(name: &str) -> Option<&'static Signature> {
    FUNCTIONS.iter().find(|s| s.name == name)
}

impl Signature {
    /// The type argument `i` must have (`None` past the end).
    pub fn param(&self, i: usize) -> Option<Type> {
        match self.params.get(i) {
            Some(t) => Some(*t),
            None if self.variadic => self.params.last().copied(),
            None => None,
        }
    }

    /// How it is called, e.g. `days_between(date, date)`.
    pub fn usage(&self) -> String {
        let mut params: Vec<&str> = self.params.iter().map(|t| t.name()).collect();
        if self.variadic {
            params.push("…");
        }
        format!("{}({})", self.name, params.join(", "))
    }

    /// Checks the arguments' count and types (an unknown type is accepted).
    pub fn check_args(&self, args: &[(Option<Type>, Span)], call: Span) -> Result<(), Diagnostic> {
        let n = self.params.len();
        let arity_ok = if self.variadic {
            args.len() >= n
        } else {
            args.len() == n
        };
        if !arity_ok {
            let (span, label) = match args.get(n) {
                Some((_, s)) if !self.variadic => (*s, "one too many"),
                _ => (call, "too few arguments"),
            };
            let wanted = if self.variadic {
                format!("at least {n}")
            } else {
                n.to_string()
            };
            return Err(Diagnostic::error(
                format!(
                    "`{}` takes {wanted} argument{}, here it has {}",
                    self.name,
                    if n == 1 && !self.variadic { "" } else { "s" },
                    args.len()
                ),
                span,
                label,
            )
            .with_help(format!("call it as {}: {}", self.usage(), self.doc)));
        }
        for (i, (ty, span)) in args.iter().enumerate() {
            let want = self.param(i).expect("arity checked");
            if let Some(t) = ty
                && *t != want
            {
                return Err(Diagnostic::error(
                    format!(
                        "`{}` needs {} {want} as argument {}, this is {} {t}",
                        self.name,
                        an(want),
                        i + 1,
                        an(*t)
                    ),
                    *span,
                    format!("{} {t}", an(*t)),
                )
                .with_help(format!("call it as {}: {}", self.usage(), self.doc)));
            }
        }
        Ok(())
    }
}

/// The report for a call of a function that does not exist.
pub fn unknown_function(name: &str, span: Span) -> Diagnostic {
    let names = FUNCTIONS.iter().map(|s| s.name);
    Diagnostic::error(
        format!("there is no function `{name}`"),
        span,
        "unknown function",
    )
    .with_help(
        suggestion(name, names, "functions")
            .unwrap_or_else(|| "`:help functions` lists them all".to_string()),
    )
}
