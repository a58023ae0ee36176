//! How far `possibly` widens an approximate date (`~`, `%`): the one adjustable setting of
//! date comparison (`:set approx`, `--approx`).
//!
//! ISO 8601-2 says a qualifier does not move a date's bounds, and `certainly` keeps to that.
//! Under `possibly`, "about 2023" should also match 2022 or 2024: by default an approximate
//! end moves out by one unit of its own precision (a year for `2023~`, a month for
//! `2025-08~`, a day for `2025-09-14~`). Uncertain dates (`?`) are not widened: the doubt is
//! whether the date is right, not how far off it may be.

use super::{DateError, Precision, date_err};
use chrono::{Days, Months, NaiveDate};
use std::fmt;

/// How far an approximate date reaches under `possibly`.
#[derive(serde::Serialize, serde::Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct Widening {
    /// How many units (0: no widening).
    pub amount: u32,
    /// The unit; `None`: each date's own precision.
    pub unit: Option<Precision>,
}

impl Default for Widening {
    /// One unit of the date's own precision.
    fn default() -> Self {
        Widening {
            amount: 1,
            unit: None,
        }
    }
}

const FORMS: &str = "write a number, optionally with a unit: `1` (one unit of each date's own precision, the default), `0` (none), `2 years`, `3 months`, `10 days`";

impl Widening {
    /// No widening: `possibly` uses the written bounds, as ISO 8601-2 does.
    pub const NONE: Widening = Widening {
        amount: 0,
        unit: None,
    };

    /// Reads `1`, `0`, `2 years`, `1 month`, `10 days` (the space may be left out).
    pub fn parse(text: &str) -> Result<Widening, DateError> {
        let text = text.trim();
        let digits = text.bytes().take_while(u8::is_ascii_digit).count();
        let Ok(amount) = text[..digits].parse::<u32>() else {
            return Err(date_err(format!("`{text}` is not a widening"), FORMS));
        };
        let mut words = text[digits..].split_whitespace();
        if amount > 10_000 {
            return Err(date_err(
                format!("{amount} is more widening than any date needs"),
                "use at most 10000",
            ));
        }
        let unit = match words.next() {
            None => None,
            Some("year" | "years") => Some(Precision::Year),
            Some("month" | "months") => Some(Precision::Month),
            Some("day" | "days") => Some(Precision::Day),
            Some(other) => {
                return Err(date_err(
                    format!("`{other}` is not a unit of time"),
                    "the units are years, months and days",
                ));
            }
        };
        if let Some(extra) = words.next() {
            return Err(date_err(format!("unexpected `{extra}`"), FORMS));
        }
        Ok(Widening { amount, unit })
    }

    /// Moves `day` (the first day of an approximate end of precision `own`) earlier.
    pub(super) fn earlier(self, day: i32, own: Precision) -> i32 {
        let Some(d) = NaiveDate::from_num_days_from_ce_opt(day) else {
            return day;
        };
        let moved = match self.months(own) {
            Some(m) => d.checked_sub_months(m),
            None => d.checked_sub_days(Days::new(u64::from(self.amount))),
        };
        moved.map_or(i32::MIN, super::days)
    }

    /// Moves `day` (the last day of an approximate end of precision `own`) later: counted from
    /// the day after, so the last day of a month stays the last day of a month.
    pub(super) fn later(self, day: i32, own: Precision) -> i32 {
        let Some(next) = day
            .checked_add(1)
            .and_then(NaiveDate::from_num_days_from_ce_opt)
        else {
            return day;
        };
        let moved = match self.months(own) {
            Some(m) => next.checked_add_months(m),
            None => next.checked_add_days(Days::new(u64::from(self.amount))),
        };
        moved.map_or(i32::MAX, |d| super::days(d) - 1)
    }

    /// The shift in months, or `None` when it is counted in days.
    fn months(self, own: Precision) -> Option<Months> {
        match self.unit.unwrap_or(own) {
            Precision::Year => Some(Months::new(self.amount.saturating_mul(12))),
            Precision::Month => Some(Months::new(self.amount)),
            Precision::Day => None,
        }
    }
}

impl fmt::Display for Widening {
    /// `none`, `1 unit of the date's own precision`, `2 years`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.amount;
        let s = if n == 1 { "" } else { "s" };
        match self.unit {
            _ if n == 0 => write!(f, "none"),
            None => write!(f, "{n} unit{s} of the date's own precision"),
            Some(Precision::Year) => write!(f, "{n} year{s}"),
            Some(Precision::Month) => write!(f, "{n} month{s}"),
            Some(Precision::Day) => write!(f, "{n} day{s}"),
        }
    }
}
