//! Dates as closed intervals of days with a precision (day, month, year) and an "about" flag,
//! and the certainly/possibly relations between them.
//!
//! A fact dated `2025-08` happened on *some* day of August 2025; which day is unknown. A filter
//! such as `after 2025-08-15` therefore holds *certainly* when it holds for every day the date
//! may stand for, and *possibly* when it holds for at least one.

use chrono::{Datelike, NaiveDate};
use std::cmp::Ordering;
use std::fmt;

/// How precisely a date is known.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Precision {
    Year,
    Month,
    Day,
}

/// A date at its own precision: the first and last day it may stand for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Date {
    /// First possible day, as days from the common era (chrono's `num_days_from_ce`).
    pub lo: i32,
    /// Last possible day, inclusive.
    pub hi: i32,
    pub precision: Precision,
    /// "About": written with `~`, e.g. `2023~` for "two years ago".
    pub approx: bool,
}

/// How sure a time relation must be to count as a match.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Modality {
    /// Holds for every day the fact's date may stand for (the default).
    #[default]
    Certainly,
    /// Holds for at least one such day.
    Possibly,
}

/// The relations a time filter can ask for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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
}

fn date_err(message: impl Into<String>, help: impl Into<String>) -> DateError {
    DateError {
        message: message.into(),
        help: help.into(),
    }
}

const FORMS: &str =
    "write dates as YYYY-MM-DD (a day), YYYY-MM (a month) or YYYY (a year), e.g. 2025-09-01";

fn days(d: NaiveDate) -> i32 {
    d.num_days_from_ce()
}

fn month_name(m: u32) -> &'static str {
    [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ][(m as usize - 1) % 12]
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
    /// A single day.
    pub fn day(year: i32, month: u32, day: u32) -> Option<Date> {
        let d = days(NaiveDate::from_ymd_opt(year, month, day)?);
        Some(Date {
            lo: d,
            hi: d,
            precision: Precision::Day,
            approx: false,
        })
    }

    /// A whole month.
    pub fn month(year: i32, month: u32) -> Option<Date> {
        let first = NaiveDate::from_ymd_opt(year, month, 1)?;
        let last = NaiveDate::from_ymd_opt(year, month, last_day_of_month(year, month))?;
        Some(Date {
            lo: days(first),
            hi: days(last),
            precision: Precision::Month,
            approx: false,
        })
    }

    /// A whole year.
    pub fn year(year: i32) -> Option<Date> {
        Some(Date {
            lo: days(NaiveDate::from_ymd_opt(year, 1, 1)?),
            hi: days(NaiveDate::from_ymd_opt(year, 12, 31)?),
            precision: Precision::Year,
            approx: false,
        })
    }

    /// Parses `YYYY`, `YYYY-MM` or `YYYY-MM-DD`, optionally followed by `~` ("about"),
    /// explaining precisely what is wrong otherwise.
    pub fn parse(text: &str) -> Result<Date, DateError> {
        let (body, approx) = match text.strip_suffix('~') {
            Some(b) => (b, true),
            None => (text, false),
        };
        if body.contains('/') {
            let fixed = body.replace('/', "-");
            return Err(date_err(
                format!("`{text}` uses `/` between the parts of a date"),
                format!("separate year, month and day with `-`: {fixed}"),
            ));
        }
        let parts: Vec<&str> = body.split('-').collect();
        if parts
            .iter()
            .any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()))
        {
            return Err(date_err(format!("`{text}` is not a date"), FORMS));
        }
        if parts[0].len() != 4 {
            let hint = if parts[0].len() == 2 {
                let mut fixed = vec![format!("20{}", parts[0])];
                fixed.extend(parts[1..].iter().map(|p| p.to_string()));
                format!("write the year with four digits: {}", fixed.join("-"))
            } else {
                FORMS.to_string()
            };
            return Err(date_err(
                format!(
                    "the year `{}` in `{text}` does not have four digits",
                    parts[0]
                ),
                hint,
            ));
        }
        for (i, p) in parts.iter().enumerate().skip(1) {
            if p.len() != 2 {
                let what = if i == 1 { "month" } else { "day" };
                let help = if p.len() == 1 {
                    let fixed: Vec<String> = parts
                        .iter()
                        .enumerate()
                        .map(|(j, q)| {
                            if j > 0 {
                                format!("{q:0>2}")
                            } else {
                                q.to_string()
                            }
                        })
                        .collect();
                    format!("write months and days with two digits: {}", fixed.join("-"))
                } else {
                    format!("a {what} has two digits; {FORMS}")
                };
                return Err(date_err(
                    format!("the {what} `{p}` in `{text}` does not have two digits"),
                    help,
                ));
            }
        }
        let year: i32 = parts[0].parse().unwrap_or(0);
        let mut date = match parts.len() {
            1 => Date::year(year),
            2 | 3 => {
                let month: u32 = parts[1].parse().unwrap_or(0);
                if !(1..=12).contains(&month) {
                    return Err(date_err(
                        format!("month {month} does not exist in `{text}`"),
                        "months run from 01 (January) to 12 (December)",
                    ));
                }
                if parts.len() == 2 {
                    Date::month(year, month)
                } else {
                    let day: u32 = parts[2].parse().unwrap_or(0);
                    let last = last_day_of_month(year, month);
                    if day == 0 || day > last {
                        let leap = month == 2 && day == 29;
                        let why = if leap {
                            format!("{year} is not a leap year, so February has 28 days")
                        } else {
                            format!("{} {year} has {last} days", month_name(month))
                        };
                        return Err(date_err(
                            format!("day {day} does not exist in {} {year}: {why}", month_name(month)),
                            format!(
                                "the last day of that month is {year}-{month:02}-{last:02}; for the whole month write {year}-{month:02}"
                            ),
                        ));
                    }
                    Date::day(year, month, day)
                }
            }
            _ => None,
        }
        .ok_or_else(|| date_err(format!("`{text}` is not a date"), FORMS))?;
        date.approx = approx;
        Ok(date)
    }

    /// The interval used under `possibly`: an approximate date is widened by one unit of its
    /// precision on each side ("about 2023" may be 2022 or 2024).
    fn possible_bounds(&self) -> (i32, i32) {
        if !self.approx {
            return (self.lo, self.hi);
        }
        let pad = match self.precision {
            Precision::Year => 366,
            Precision::Month => 31,
            Precision::Day => 1,
        };
        (self.lo - pad, self.hi + pad)
    }

    /// Does this date stand in relation `rel` to `other` (a query literal) with `modality`?
    pub fn relates(&self, rel: TimeRel, other: &Date, modality: Modality) -> bool {
        let (lo, hi) = match modality {
            Modality::Certainly => (self.lo, self.hi),
            Modality::Possibly => self.possible_bounds(),
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
            precision: Precision::Day,
            approx: false,
        }
    }

    fn first_day(&self) -> NaiveDate {
        NaiveDate::from_num_days_from_ce_opt(self.lo).unwrap_or(NaiveDate::MIN)
    }

    /// A stable order for sorting: by first day, then by last day, then precision.
    pub fn sort_cmp(&self, other: &Date) -> Ordering {
        (self.lo, self.hi, self.precision).cmp(&(other.lo, other.hi, other.precision))
    }

    /// The number of days the date may stand for.
    pub fn len_days(&self) -> i32 {
        self.hi - self.lo + 1
    }
}

impl fmt::Display for Date {
    /// Written back at its own precision: `2025-09-14`, `2025-08`, `2023~`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.first_day();
        match self.precision {
            Precision::Year => write!(f, "{:04}", d.year())?,
            Precision::Month => write!(f, "{:04}-{:02}", d.year(), d.month())?,
            Precision::Day if self.lo == self.hi => {
                write!(f, "{:04}-{:02}-{:02}", d.year(), d.month(), d.day())?
            }
            Precision::Day => {
                let e = NaiveDate::from_num_days_from_ce_opt(self.hi).unwrap_or(NaiveDate::MAX);
                write!(f, "{}..{}", d.format("%Y-%m-%d"), e.format("%Y-%m-%d"))?
            }
        }
        if self.approx {
            write!(f, "~")?;
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
        for s in ["2025-09-23", "2025-08", "2025", "2023~", "2024-02-29"] {
            assert_eq!(d(s).to_string(), s);
        }
        assert_eq!(d("2025-08").len_days(), 31);
        assert_eq!(d("2024").len_days(), 366);
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
        ];
        for (fact, rel, lit, certain, possible) in cases {
            let lit = d(lit);
            assert_eq!(
                fact.relates(rel, &lit, Certainly),
                certain,
                "{fact} {rel:?} {lit} certainly"
            );
            assert_eq!(
                fact.relates(rel, &lit, Possibly),
                possible,
                "{fact} {rel:?} {lit} possibly"
            );
            if certain {
                assert!(possible, "certainly implies possibly");
            }
        }
    }
}
