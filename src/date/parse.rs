//! Reading EDTF level-1 dates (ISO 8601-2 Annex A): a day, month or year, a qualifier
//! (`?` uncertain, `~` approximate, `%` both), or an interval of two such dates whose ends
//! may be open (`..`) or unknown (empty). Every mistake is explained, with the fix when there
//! is one.

use super::{Date, DateError, End, Precision, Qualifier, date_err, days, last_day_of_month};
use chrono::NaiveDate;

const FORMS: &str = "write dates as YYYY-MM-DD (a day), YYYY-MM (a month) or YYYY (a year), e.g. 2025-09-01; an interval as 2025-09-14/2025-09-23";

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

/// Parses any date form dalil writes (see the module documentation).
pub(super) fn parse(text: &str) -> Result<Date, DateError> {
    match plain_day(text) {
        Some(d) => Ok(d),
        None => any_form(text),
    }
}

/// A day written `YYYY-MM-DD` and valid, read without the general parser (the form nearly
/// every date in bulk data has); `None` for anything else, left to [`any_form`].
fn plain_day(text: &str) -> Option<Date> {
    plain_day_number(text).map(Date::from_days)
}

/// [`plain_day`] as days from the common era.
pub(super) fn plain_day_number(text: &str) -> Option<i32> {
    let b = text.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let number = |digits: &[u8]| {
        digits.iter().try_fold(0u32, |n, &c| {
            c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
        })
    };
    let (year, month, day) = (number(&b[..4])?, number(&b[5..7])?, number(&b[8..])?);
    day_number(year, month, day)
}

/// The day `year-month-day` (proleptic Gregorian, year 0 a leap year) as days from the common
/// era, as chrono counts them (`0001-01-01` is day 1); `None` for a day the month lacks.
fn day_number(year: u32, month: u32, day: u32) -> Option<i32> {
    const BEFORE: [u32; 12] = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];
    let leap = year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400));
    let length = match month {
        2 => 28 + u32::from(leap),
        4 | 6 | 9 | 11 => 30,
        1..=12 => 31,
        _ => return None,
    };
    if day == 0 || day > length {
        return None;
    }
    let of_year = BEFORE[month as usize - 1] + day + u32::from(leap && month > 2);
    // Days of the years before (year 0, a leap year, ends on day 0).
    let before = match year.checked_sub(1) {
        Some(y) => (365 * y + y / 4 - y / 100 + y / 400) as i32,
        None => -366,
    };
    Some(before + of_year as i32)
}

fn any_form(text: &str) -> Result<Date, DateError> {
    let slashes = text.matches('/').count();
    if slashes == 0 {
        let (lo, hi, end) = single(text, text)?;
        return Ok(Date {
            lo,
            hi,
            start: end,
            end: None,
        });
    }
    let (a, b) = text.split_once('/').unwrap_or((text, ""));
    if slashes > 1 || looks_like_date_parts(a, b) {
        let parts: Vec<&str> = text.split('/').collect();
        let fixed = year_first(&parts).unwrap_or_else(|| text.replace('/', "-"));
        return Err(date_err(
            format!("`{text}` uses `/` between the parts of a date"),
            format!(
                "separate year, month and day with `-`: {fixed}; `/` joins the two ends of an interval"
            ),
        )
        .fixed(fixed));
    }
    if a.is_empty() && b.is_empty() {
        return Err(date_err(
            format!("`{text}` has neither a start nor an end"),
            "give at least one end, e.g. 2025-09/.. (from September 2025 on) or ../2025 (until 2025)",
        ));
    }
    let (lo, _, start) = interval_end(a, text, true)?;
    let (_, hi, end) = interval_end(b, text, false)?;
    if hi < lo {
        return Err(date_err(
            format!("the interval `{text}` ends before it starts"),
            format!("write the earlier end first: {b}/{a}"),
        )
        .fixed(format!("{b}/{a}")));
    }
    Ok(Date {
        lo,
        hi,
        start,
        end: Some(end),
    })
}

/// `2025/09` or `2025/9/1`: a date written with slashes rather than an interval.
fn looks_like_date_parts(a: &str, b: &str) -> bool {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit());
    digits(a) && digits(b) && b.len() <= 2
}

/// One end of an interval: `..` (open), nothing (unknown) or a date.
fn interval_end(part: &str, whole: &str, is_start: bool) -> Result<(i32, i32, End), DateError> {
    match part {
        ".." | "" => {
            let end = if part.is_empty() {
                End::Unknown
            } else {
                End::Open
            };
            let bound = if is_start { i32::MIN } else { i32::MAX };
            Ok((bound, bound, end))
        }
        _ => single(part, whole),
    }
}

/// `YYYY`, `YYYY-MM` or `YYYY-MM-DD` with an optional qualifier: its first and last day.
fn single(text: &str, whole: &str) -> Result<(i32, i32, End), DateError> {
    let (body, qualifier) = match text.as_bytes().last() {
        Some(b'?') => (&text[..text.len() - 1], Qualifier::Uncertain),
        Some(b'~') => (&text[..text.len() - 1], Qualifier::Approximate),
        Some(b'%') => (&text[..text.len() - 1], Qualifier::Both),
        _ => (text, Qualifier::Exact),
    };
    let parts: Vec<&str> = body.split('-').collect();
    if parts
        .iter()
        .any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()))
    {
        let help = if body.bytes().any(|b| b.eq_ignore_ascii_case(&b'x')) {
            "unspecified digits (`201X`) are not supported; write the interval instead, e.g. 2010/2019".to_string()
        } else {
            FORMS.to_string()
        };
        return Err(date_err(format!("`{whole}` is not a date"), help));
    }
    check_digits(&parts, whole)?;
    let year: i32 = parts[0].parse().unwrap_or(0);
    let (lo, hi, precision) = match parts.len() {
        1 => (
            NaiveDate::from_ymd_opt(year, 1, 1),
            NaiveDate::from_ymd_opt(year, 12, 31),
            Precision::Year,
        ),
        2 | 3 => {
            let month: u32 = parts[1].parse().unwrap_or(0);
            if !(1..=12).contains(&month) {
                return Err(date_err(
                    format!("month {month} does not exist in `{whole}`"),
                    "months run from 01 (January) to 12 (December)",
                ));
            }
            let last = last_day_of_month(year, month);
            if parts.len() == 2 {
                (
                    NaiveDate::from_ymd_opt(year, month, 1),
                    NaiveDate::from_ymd_opt(year, month, last),
                    Precision::Month,
                )
            } else {
                let day: u32 = parts[2].parse().unwrap_or(0);
                if day == 0 || day > last {
                    return Err(no_such_day(year, month, day, last));
                }
                let d = NaiveDate::from_ymd_opt(year, month, day);
                (d, d, Precision::Day)
            }
        }
        _ => (None, None, Precision::Day),
    };
    match (lo, hi) {
        (Some(lo), Some(hi)) => Ok((days(lo), days(hi), End::Known(precision, qualifier))),
        _ => Err(date_err(format!("`{whole}` is not a date"), FORMS)),
    }
}

/// A day-first date (`23-09-2025`, `1/9/2025`) written year first (`2025-09-23`, `2025-09-01`).
fn year_first(parts: &[&str]) -> Option<String> {
    let digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    match parts {
        [d, m, y]
            if d.len() <= 2
                && m.len() <= 2
                && y.len() == 4
                && [d, m, y].iter().all(|p| digits(p)) =>
        {
            Some(format!("{y}-{m:0>2}-{d:0>2}"))
        }
        _ => None,
    }
}

/// Four digits for the year, two for the month and the day.
fn check_digits(parts: &[&str], whole: &str) -> Result<(), DateError> {
    if parts[0].len() != 4 {
        let (hint, fix) = if let Some(fixed) = year_first(parts) {
            (format!("write the year first: {fixed}"), Some(fixed))
        } else if parts[0].len() == 2 {
            let mut fixed = vec![format!("20{}", parts[0])];
            fixed.extend(parts[1..].iter().map(|p| p.to_string()));
            let fixed = fixed.join("-");
            (
                format!("write the year with four digits: {fixed}"),
                Some(fixed),
            )
        } else {
            (FORMS.to_string(), None)
        };
        let e = date_err(
            format!(
                "the year `{}` in `{whole}` does not have four digits",
                parts[0]
            ),
            hint,
        );
        return Err(match fix {
            Some(fixed) => e.fixed(fixed),
            None => e,
        });
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
                (
                    format!("write months and days with two digits: {}", fixed.join("-")),
                    Some(fixed.join("-")),
                )
            } else {
                (format!("a {what} has two digits; {FORMS}"), None)
            };
            let (help, fix) = help;
            let e = date_err(
                format!("the {what} `{p}` in `{whole}` does not have two digits"),
                help,
            );
            return Err(match fix {
                Some(fixed) => e.fixed(fixed),
                None => e,
            });
        }
    }
    Ok(())
}

fn no_such_day(year: i32, month: u32, day: u32, last: u32) -> DateError {
    let why = if month == 2 && day == 29 {
        format!("{year} is not a leap year, so February has 28 days")
    } else {
        format!("{} {year} has {last} days", month_name(month))
    };
    date_err(
        format!(
            "day {day} does not exist in {} {year}: {why}",
            month_name(month)
        ),
        format!(
            "the last day of that month is {year}-{month:02}-{last:02}; for the whole month write {year}-{month:02}"
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The quick reading of `YYYY-MM-DD` agrees with the general one on every day it accepts,
    /// and leaves every date the general one refuses (a month 13, a 30 February) to it.
    #[test]
    fn plain_days_read_as_the_general_parser_reads_them() {
        let mut quick = 0;
        for year in [0, 1, 1582, 1900, 1999, 2000, 2024, 2025, 9999] {
            for month in 0..=13 {
                for day in 0..=32 {
                    let text = format!("{year:04}-{month:02}-{day:02}");
                    let general = any_form(&text).ok();
                    assert_eq!(plain_day(&text), general, "{text}");
                    quick += usize::from(general.is_some());
                }
            }
        }
        assert_eq!(
            quick,
            9 * 365 + 3,
            "nine years, three of them (0, 2000, 2024) leap"
        );
        for text in [
            "2025-9-01",
            "2025-09-1x",
            "2025-09-01~",
            "+025-09-01",
            "2025/09/01",
        ] {
            assert_eq!(plain_day(text), None, "{text}");
        }
    }
}
