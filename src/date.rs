//! Dates as closed intervals of days, written and read in EDTF (ISO 8601-2 Annex A, level 1),
//! and the certainly/possibly relations between them.
//!
//! A fact dated `2025-08` happened on *some* day of August 2025; which day is unknown. A date
//! may also be qualified (`2023~` about, `2025?` uncertain, `2025-09%` both) or be an interval
//! of candidate days (`2025-09-14/2025-09-23`, open `2025-09/..`, unknown end `2025-09/`).
//! A filter such as `after 2025-08-15` holds *certainly* when it holds for every day the date
//! may stand for, and *possibly* when it holds for at least one; under `possibly` an
//! approximate date first widens by the session's [`Widening`].

mod parse;
mod widen;

pub use widen::Widening;

use chrono::{Datelike, NaiveDate};
use std::cmp::Ordering;
use std::fmt;

/// How precisely a written date is known.
#[derive(
    serde::Serialize, serde::Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord,
)]
pub enum Precision {
    Year,
    Month,
    Day,
}

/// An EDTF qualifier, written after the date.
#[derive(
    serde::Serialize, serde::Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord,
)]
pub enum Qualifier {
    /// No qualifier.
    Exact,
    /// `?`: the source is not sure of it.
    Uncertain,
    /// `~`: about this date.
    Approximate,
    /// `%`: both uncertain and approximate.
    Both,
}

impl Qualifier {
    fn mark(self) -> &'static str {
        match self {
            Qualifier::Exact => "",
            Qualifier::Uncertain => "?",
            Qualifier::Approximate => "~",
            Qualifier::Both => "%",
        }
    }

    /// Approximate dates (`~`, `%`) widen under `possibly`.
    pub fn is_approximate(self) -> bool {
        matches!(self, Qualifier::Approximate | Qualifier::Both)
    }
}

/// One end of a date: a written date, or the open (`..`) or unknown (empty) end of an interval.
#[derive(
    serde::Serialize, serde::Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord,
)]
pub enum End {
    Known(Precision, Qualifier),
    /// `..`: the interval runs on without end (or from any time before).
    Open,
    /// Empty: the interval has an end, but it is not known.
    Unknown,
}

/// A date: the first and last day it may stand for, and how it was written.
///
/// Open and unknown ends are `i32::MIN` / `i32::MAX` days: an interval with an unknown end
/// still lies after its known start, so both read as "no bound" on that side.
#[derive(serde::Serialize, serde::Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Date {
    /// First possible day, as days from the common era (chrono's `num_days_from_ce`).
    pub lo: i32,
    /// Last possible day, inclusive.
    pub hi: i32,
    /// The written date, or the start of an interval.
    pub start: End,
    /// The end of an interval; `None` for a single date.
    pub end: Option<End>,
}

/// How sure a time relation must be to count as a match.
#[derive(serde::Serialize, serde::Deserialize, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Modality {
    /// Holds for every day the fact's date may stand for (the default).
    #[default]
    Certainly,
    /// Holds for at least one such day (after widening an approximate date).
    Possibly,
}

/// The relations a time filter can ask for.
#[derive(serde::Serialize, serde::Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimeRel {
    /// Entirely after the last day of the literal.
    After,
    /// Entirely before the first day of the literal.
    Before,
    /// Within the literal's interval (`on`, `during`, `between`).
    Within,
}

impl TimeRel {
    pub fn keyword(self) -> &'static str {
        match self {
            TimeRel::After => "after",
            TimeRel::Before => "before",
            TimeRel::Within => "during",
        }
    }
}

/// Why a written date is not a date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DateError {
    pub message: String,
    pub help: String,
    /// The date the help proposes instead (`2025-09-23` for `23/09/2025`), when there is one.
    pub fix: Option<String>,
}

fn date_err(message: impl Into<String>, help: impl Into<String>) -> DateError {
    DateError {
        message: message.into(),
        help: help.into(),
        fix: None,
    }
}

impl DateError {
    /// The same error, proposing `text` as the date meant: kept only if `text` is a date, so
    /// that a help never proposes a fix that is itself wrong.
    fn fixed(mut self, text: String) -> DateError {
        if Date::parse(&text).is_ok() {
            self.fix = Some(text);
        }
        self
    }
}

fn days(d: NaiveDate) -> i32 {
    d.num_days_from_ce()
}

fn last_day_of_month(year: i32, month: u32) -> u32 {
    let next = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)
    };
    next.and_then(|d| d.pred_opt())
        .map(|d| d.day())
        .unwrap_or(28)
}

impl Date {
    fn single(lo: NaiveDate, hi: NaiveDate, precision: Precision) -> Date {
        Date {
            lo: days(lo),
            hi: days(hi),
            start: End::Known(precision, Qualifier::Exact),
            end: None,
        }
    }

    /// A single day.
    pub fn day(year: i32, month: u32, day: u32) -> Option<Date> {
        let d = NaiveDate::from_ymd_opt(year, month, day)?;
        Some(Date::single(d, d, Precision::Day))
    }

    /// A whole month.
    pub fn month(year: i32, month: u32) -> Option<Date> {
        let first = NaiveDate::from_ymd_opt(year, month, 1)?;
        let last = NaiveDate::from_ymd_opt(year, month, last_day_of_month(year, month))?;
        Some(Date::single(first, last, Precision::Month))
    }

    /// A whole year.
    pub fn year(year: i32) -> Option<Date> {
        let first = NaiveDate::from_ymd_opt(year, 1, 1)?;
        let last = NaiveDate::from_ymd_opt(year, 12, 31)?;
        Some(Date::single(first, last, Precision::Year))
    }

    /// The day `d` (days from the common era), e.g. a bound of an index range.
    pub fn from_days(d: i32) -> Date {
        Date {
            lo: d,
            hi: d,
            start: End::Known(Precision::Day, Qualifier::Exact),
            end: None,
        }
    }

    /// Parses an EDTF level-1 date (see the module documentation), explaining precisely what
    /// is wrong otherwise.
    pub fn parse(text: &str) -> Result<Date, DateError> {
        parse::parse(text)
    }

    /// The day written `YYYY-MM-DD`, as [`Date::from_days`] takes it: the common form of a
    /// date in bulk data, read with no other form tried; `None` for anything else.
    pub fn plain_day(text: &str) -> Option<i32> {
        parse::plain_day_number(text)
    }

    /// The first day the date may stand for; `None` when it has no start (`../2025`).
    pub fn earliest(&self) -> Option<i32> {
        (self.lo != i32::MIN).then_some(self.lo)
    }

    /// The last day the date may stand for; `None` when it has no end (`2025/..`).
    pub fn latest(&self) -> Option<i32> {
        (self.hi != i32::MAX).then_some(self.hi)
    }

    /// The end a date's last day comes from: the written date, or an interval's end.
    fn last_end(&self) -> End {
        self.end.unwrap_or(self.start)
    }

    /// The days considered under `possibly`: an approximate end moves out by `widen`.
    pub fn possible_bounds(&self, widen: Widening) -> (i32, i32) {
        let mut lo = self.lo;
        let mut hi = self.hi;
        if widen.amount == 0 {
            return (lo, hi);
        }
        if let End::Known(p, q) = self.start
            && q.is_approximate()
        {
            lo = widen.earlier(lo, p);
        }
        if let End::Known(p, q) = self.last_end()
            && q.is_approximate()
        {
            hi = widen.later(hi, p);
        }
        (lo, hi)
    }

    /// Does this date stand in relation `rel` to `other` (a query literal, read as the fixed
    /// interval of its days) with `modality`, approximate dates widened by `widen`?
    pub fn relates(&self, rel: TimeRel, other: &Date, modality: Modality, widen: Widening) -> bool {
        let (lo, hi) = match modality {
            Modality::Certainly => (self.lo, self.hi),
            Modality::Possibly => self.possible_bounds(widen),
        };
        match (rel, modality) {
            (TimeRel::After, Modality::Certainly) => lo > other.hi,
            (TimeRel::After, Modality::Possibly) => hi > other.hi,
            (TimeRel::Before, Modality::Certainly) => hi < other.lo,
            (TimeRel::Before, Modality::Possibly) => lo < other.lo,
            (TimeRel::Within, Modality::Certainly) => other.lo <= lo && hi <= other.hi,
            (TimeRel::Within, Modality::Possibly) => lo <= other.hi && other.lo <= hi,
        }
    }

    /// The interval from the start of `self` to the end of `other` (for `between a and b`).
    pub fn span_to(&self, other: &Date) -> Date {
        Date {
            lo: self.lo.min(other.lo),
            hi: self.hi.max(other.hi),
            start: self.start,
            end: Some(other.last_end()),
        }
    }

    /// A stable order for sorting: by first day, then by last day, then how it is written.
    pub fn sort_cmp(&self, other: &Date) -> Ordering {
        (self.lo, self.hi, self.start, self.end).cmp(&(other.lo, other.hi, other.start, other.end))
    }

    /// The number of days the date may stand for (`None` when it is open-ended).
    pub fn len_days(&self) -> Option<i64> {
        Some(i64::from(self.latest()?) - i64::from(self.earliest()?) + 1)
    }
}

/// Writes the end `end` of a date whose bounding day on that side is `day`.
fn write_end(f: &mut fmt::Formatter<'_>, end: End, day: i32) -> fmt::Result {
    let (p, q) = match end {
        End::Open => return write!(f, ".."),
        End::Unknown => return Ok(()),
        End::Known(p, q) => (p, q),
    };
    let d = NaiveDate::from_num_days_from_ce_opt(day).unwrap_or(NaiveDate::MIN);
    match p {
        Precision::Year => write!(f, "{:04}", d.year())?,
        Precision::Month => write!(f, "{:04}-{:02}", d.year(), d.month())?,
        Precision::Day => write!(f, "{:04}-{:02}-{:02}", d.year(), d.month(), d.day())?,
    }
    write!(f, "{}", q.mark())
}

impl fmt::Display for Date {
    /// EDTF, at the precision it was written: `2025-09-14`, `2025-08`, `2023~`,
    /// `2025-09-14/2025-09-23`, `2025-09/..`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_end(f, self.start, self.lo)?;
        if let Some(end) = self.end {
            write!(f, "/")?;
            write_end(f, end, self.hi)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        Date::parse(s).unwrap()
    }

    #[test]
    fn parses_each_precision_and_prints_it_back() {
        for s in [
            "2025-09-23",
            "2025-08",
            "2025",
            "2023~",
            "2024-02-29",
            "2025?",
            "2025-09-14%",
            "2025-09-14/2025-09-23",
            "2025-09/..",
            "../2025",
            "2025-09~/2026?",
            "2025/",
            "/2025-09",
            "../..",
        ] {
            assert_eq!(d(s).to_string(), s);
        }
        assert_eq!(d("2025-08").len_days(), Some(31));
        assert_eq!(d("2024").len_days(), Some(366));
        assert_eq!(d("2025-09/..").len_days(), None);
    }

    #[test]
    fn explains_wrong_dates() {
        let e = Date::parse("2025-13-01").unwrap_err();
        assert!(e.message.contains("month 13"), "{e:?}");
        let e = Date::parse("2025-02-30").unwrap_err();
        assert!(e.message.contains("February 2025 has 28 days"), "{e:?}");
        let e = Date::parse("2025-02-29").unwrap_err();
        assert!(e.message.contains("not a leap year"), "{e:?}");
        let e = Date::parse("25-09-01").unwrap_err();
        assert!(e.help.contains("2025-09-01"), "{e:?}");
        let e = Date::parse("2025/09/01").unwrap_err();
        assert!(e.help.contains("2025-09-01"), "{e:?}");
        let e = Date::parse("2025/09").unwrap_err();
        assert!(e.help.contains("2025-09"), "{e:?}");
        let e = Date::parse("2025-09-23/2025-09-14").unwrap_err();
        assert!(e.message.contains("ends before it starts"), "{e:?}");
        assert!(e.help.contains("2025-09-14/2025-09-23"), "{e:?}");
        let e = Date::parse("201X").unwrap_err();
        assert!(e.help.contains("2010/2019"), "{e:?}");
        for bad in [
            "/",
            "2025~~",
            "2025-09-14/2025/2026",
            "2025-09-14/...",
            "2025-?",
        ] {
            assert!(Date::parse(bad).is_err(), "{bad}");
        }
        assert!(Date::parse("2025-9-01").is_err());
        assert!(Date::parse("2025-00").is_err());
    }

    /// The table the design settles: a month-precise fact against day, month and year literals.
    #[test]
    fn certainly_and_possibly() {
        use Modality::*;
        use TimeRel::*;
        let aug = d("2025-08");
        let cases = [
            // fact, relation, literal, certainly, possibly
            (aug, After, "2025-08-15", false, true),
            (aug, After, "2025-07-31", true, true),
            (aug, After, "2025-08", false, false),
            (aug, Before, "2025-08-15", false, true),
            (aug, Before, "2025-09-01", true, true),
            (aug, Within, "2025-08", true, true),
            (aug, Within, "2025", true, true),
            (aug, Within, "2025-08-15", false, true),
            (aug, Within, "2025-09", false, false),
            (d("2025-09-14"), After, "2025-09-01", true, true),
            (d("2025-09-14"), After, "2025-09-14", false, false),
            (d("2025-09-14"), Within, "2025-09", true, true),
            (d("2023~"), Within, "2023", true, true),
            (d("2023~"), Within, "2024", false, true),
            (d("2023~"), After, "2023-06-01", false, true),
            (d("2023"), Within, "2024", false, false),
            // The Tudor–Smaili meeting: after the arrival, before publication.
            (d("2025-09-14/2025-09-23"), After, "2025-08-15", true, true),
            (
                d("2025-09-14/2025-09-23"),
                Within,
                "2025-09-23",
                false,
                true,
            ),
            (d("2025-09-14/2025-09-23"), Within, "2025-09", true, true),
            (
                d("2025-09-14/2025-09-23"),
                Before,
                "2025-09-20",
                false,
                true,
            ),
            (d("2025-09/.."), After, "2025-08-31", true, true),
            (d("2025-09/.."), Before, "2030", false, true),
            (d("2025-09/"), Within, "2025", false, true),
            (d("../2025"), Before, "2026", true, true),
            (d("../2025"), After, "2025", false, false),
            (d("2025?"), Within, "2026", false, false),
            (d("2025%"), Within, "2026", false, true),
            (
                d("2025-09-14~/2025-09-23"),
                Within,
                "2025-09-13",
                false,
                true,
            ),
            (
                d("2025-09-14~/2025-09-23"),
                Within,
                "2025-09-24",
                false,
                false,
            ),
        ];
        for (fact, rel, lit, certain, possible) in cases {
            let lit = d(lit);
            assert_eq!(
                fact.relates(rel, &lit, Certainly, Widening::default()),
                certain,
                "{fact} {rel:?} {lit} certainly"
            );
            assert_eq!(
                fact.relates(rel, &lit, Possibly, Widening::default()),
                possible,
                "{fact} {rel:?} {lit} possibly"
            );
            if certain {
                assert!(possible, "certainly implies possibly");
            }
        }
    }

    #[test]
    fn widening_moves_approximate_ends_by_the_setting() {
        let w = |t: &str| Widening::parse(t).unwrap();
        let show = |date: &str, widen: Widening| {
            let (lo, hi) = d(date).possible_bounds(widen);
            format!("{}/{}", Date::from_days(lo), Date::from_days(hi))
        };
        assert_eq!(show("2023~", w("1")), "2022-01-01/2024-12-31");
        assert_eq!(show("2025-04~", w("1")), "2025-03-01/2025-05-31");
        assert_eq!(show("2025-09-14~", w("1")), "2025-09-13/2025-09-15");
        assert_eq!(show("2023~", w("0")), "2023-01-01/2023-12-31");
        assert_eq!(show("2023~", w("2 months")), "2022-11-01/2024-02-29");
        assert_eq!(show("2025-09-14~", w("10 days")), "2025-09-04/2025-09-24");
        assert_eq!(show("2023?", w("5 years")), "2023-01-01/2023-12-31");
        assert_eq!(show("2025-09-14/2025-10~", w("1")), "2025-09-14/2025-11-30");
        assert_eq!(w("1"), Widening::default());
        assert_eq!(w("2 years").to_string(), "2 years");
        assert_eq!(
            Widening::default().to_string(),
            "1 unit of the date's own precision"
        );
        for bad in ["", "x", "-1", "2 weeks", "1 year more", "99999"] {
            assert!(Widening::parse(bad).is_err(), "{bad}");
        }
    }
}
