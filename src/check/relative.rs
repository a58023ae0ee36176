//! Relative dates in facts ("last month", "Tuesday", "two years ago"), written as words and
//! resolved against the publication date of the source the fact is cited from, keeping the
//! precision of the wording: `last_month` is a month, `two_years_ago` an approximate year.

use chrono::{Datelike, Duration, Months, NaiveDate, Weekday};

const WEEKDAYS: [(&str, Weekday); 7] = [
    ("monday", Weekday::Mon),
    ("tuesday", Weekday::Tue),
    ("wednesday", Weekday::Wed),
    ("thursday", Weekday::Thu),
    ("friday", Weekday::Fri),
    ("saturday", Weekday::Sat),
    ("sunday", Weekday::Sun),
];

const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

const NUMBERS: [&str; 12] = [
    "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
    "twelve",
];

/// Is `word` one of the relative forms (whatever the date it is counted from)?
pub fn is_relative(word: &str) -> bool {
    NaiveDate::from_ymd_opt(2000, 6, 15).is_some_and(|d| resolve(word, d).is_some())
}

/// The date `word` stands for, written as a date literal (`2025-08`, `2023~`), relative to a
/// source published on `published`; `None` when `word` is not a relative date.
pub fn resolve(word: &str, published: NaiveDate) -> Option<String> {
    let day = |d: NaiveDate| d.format("%Y-%m-%d").to_string();
    let month = |d: NaiveDate| d.format("%Y-%m").to_string();
    let first = published.with_day(1)?;
    match word {
        "published" | "today" => return Some(day(published)),
        "yesterday" => return Some(day(published - Duration::days(1))),
        "this_month" => return Some(month(published)),
        "last_month" => return Some(month(first.checked_sub_months(Months::new(1))?)),
        "this_year" => return Some(published.year().to_string()),
        "last_year" => return Some((published.year() - 1).to_string()),
        _ => {}
    }
    if let Some((_, wd)) = WEEKDAYS.iter().find(|(w, _)| *w == word) {
        let back = (published.weekday().num_days_from_monday() + 7 - wd.num_days_from_monday()) % 7;
        return Some(day(published - Duration::days(back.into())));
    }
    if let Some(name) = word.strip_prefix("last_")
        && let Some(m) = MONTHS.iter().position(|&m| m == name)
    {
        // The last such month before the publication month.
        let m = m as u32 + 1;
        let year = if m < published.month() {
            published.year()
        } else {
            published.year() - 1
        };
        return Some(format!("{year}-{m:02}"));
    }
    let (n, unit) = word.strip_suffix("_ago")?.split_once('_')?;
    let n = NUMBERS.iter().position(|&x| x == n)? as u32 + 1;
    match unit {
        "days" | "day" => Some(day(published - Duration::days(n.into()))),
        "weeks" | "week" => Some(day(published - Duration::weeks(n.into()))),
        "months" | "month" => Some(month(first.checked_sub_months(Months::new(n))?)),
        // "Two years ago" is about that year, not exactly it.
        "years" | "year" => Some(format!("{}~", published.year() - n as i32)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::resolve;
    use chrono::NaiveDate;

    /// The article's own relative dates, against its publication on Tuesday 2025-09-23.
    #[test]
    fn the_articles_wordings() {
        let tuesday = NaiveDate::from_ymd_opt(2025, 9, 23).expect("a day");
        let r = |w: &str| resolve(w, tuesday);
        assert_eq!(r("tuesday").as_deref(), Some("2025-09-23"));
        assert_eq!(r("monday").as_deref(), Some("2025-09-22"));
        assert_eq!(r("wednesday").as_deref(), Some("2025-09-17"));
        assert_eq!(r("last_month").as_deref(), Some("2025-08"));
        assert_eq!(r("last_january").as_deref(), Some("2025-01"));
        assert_eq!(r("last_september").as_deref(), Some("2024-09"));
        assert_eq!(r("two_years_ago").as_deref(), Some("2023~"));
        assert_eq!(r("three_days_ago").as_deref(), Some("2025-09-20"));
        assert_eq!(r("one_month_ago").as_deref(), Some("2025-08"));
        assert_eq!(r("this_year").as_deref(), Some("2025"));
        assert_eq!(r("someday"), None);
        assert_eq!(r("thirteen_days_ago"), None);
    }

    #[test]
    fn across_a_year_boundary() {
        let d = NaiveDate::from_ymd_opt(2026, 1, 5).expect("a day");
        assert_eq!(resolve("last_month", d).as_deref(), Some("2025-12"));
        assert_eq!(resolve("last_january", d).as_deref(), Some("2025-01"));
        assert_eq!(resolve("yesterday", d).as_deref(), Some("2026-01-04"));
    }
}
