//! dalil's dates checked against an independent EDTF implementation (the `edtf-core` crate).
//!
//! Random EDTF level-1 dates (days, months, years, each qualified or not; intervals with known,
//! open or unknown ends) are stored as facts, and every time filter is run through a
//! [`Session`] for a random literal. The rows each filter returns must be the rows the oracle
//! selects from its own bounds and Definite/Possible relations:
//!
//! | dalil                        | edtf-core, literal L = [L1, L2]                           |
//! |------------------------------|-----------------------------------------------------------|
//! | `after L`                    | Definite After the day L2                                 |
//! | `possibly after L`           | Possible After the day L2                                 |
//! | `before L`                   | Definite Before the day L1                                |
//! | `possibly before L`          | Possible Before the day L1                                |
//! | `on L`                       | Definite After the day before L1 and Before the day after L2 |
//! | `possibly on L`              | Possible Equal with L (they share a day)                  |
//!
//! A literal is read as the fixed interval of its days ("after 2025-08" is after August), so
//! the oracle compares against its bound days. Two documented departures are mapped before the
//! oracle is asked: an unknown interval end (`2025-09/`) is read by dalil as open (the interval
//! still lies after its known start), where edtf-core gives up on every relation; and under
//! `possibly` dalil widens approximate dates (`~`, `%`), which ISO 8601-2 does not, so with
//! the default widening the oracle is given the date with its written components moved out by
//! one unit (`2023~` → `2022/2024`). With `:set approx 0` the oracle gets the date unchanged.
//!
//! `PROPTEST_CASES=N cargo test --test edtf_oracle` runs N cases instead of the default 256.

use chrono::{Datelike, Days, Months, NaiveDate};
use dalil::date::Date;
use dalil::{Format, Reply, Session};
use edtf_core::{Bound, Edtf, Relation};
use proptest::prelude::*;
use std::collections::BTreeSet;

// ─── Generating dates ───────────────────────────────────────────────────────────────────────

/// A written date: year, optional month, optional day, qualifier.
#[derive(Clone, Debug)]
struct Written {
    year: i32,
    month: Option<u32>,
    day: Option<u32>,
    qualifier: &'static str,
}

impl Written {
    fn text(&self) -> String {
        let mut s = format!("{:04}", self.year);
        if let Some(m) = self.month {
            s += &format!("-{m:02}");
        }
        if let Some(d) = self.day {
            s += &format!("-{d:02}");
        }
        s + self.qualifier
    }

    fn first_day(&self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month.unwrap_or(1), self.day.unwrap_or(1))
            .expect("a generated date exists")
    }

    /// Moved by `n` units of its own precision (negative: earlier), qualifier dropped.
    fn shifted(&self, n: i32) -> String {
        let d = self.first_day();
        match (self.month, self.day) {
            (None, _) => format!("{:04}", self.year + n),
            (Some(_), None) => {
                let m = if n < 0 {
                    d.checked_sub_months(Months::new(n.unsigned_abs()))
                } else {
                    d.checked_add_months(Months::new(n as u32))
                }
                .expect("in range");
                format!("{:04}-{:02}", m.year(), m.month())
            }
            (Some(_), Some(_)) => {
                let m = if n < 0 {
                    d.checked_sub_days(Days::new(u64::from(n.unsigned_abs())))
                } else {
                    d.checked_add_days(Days::new(n as u64))
                }
                .expect("in range");
                m.format("%Y-%m-%d").to_string()
            }
        }
    }

    fn approximate(&self) -> bool {
        matches!(self.qualifier, "~" | "%")
    }
}

fn written(qualified: bool) -> impl Strategy<Value = Written> {
    let qualifier = if qualified {
        prop_oneof![Just(""), Just("?"), Just("~"), Just("%")].boxed()
    } else {
        Just("").boxed()
    };
    (2022..=2026i32, 0..=12u32, 0..=31u32, qualifier).prop_map(|(year, m, d, qualifier)| {
        let month = (m > 0).then_some(m);
        let day = month
            .filter(|_| d > 0)
            .and_then(|m| NaiveDate::from_ymd_opt(year, m, d).map(|_| d));
        Written {
            year,
            month,
            day,
            qualifier,
        }
    })
}

/// One end of an interval.
#[derive(Clone, Debug)]
enum IntervalEnd {
    Date(Written),
    Open,
    Unknown,
}

/// A fact's date: a single date or an interval.
#[derive(Clone, Debug)]
enum FactDate {
    Single(Written),
    Interval(IntervalEnd, IntervalEnd),
}

fn interval_end() -> impl Strategy<Value = IntervalEnd> {
    prop_oneof![
        6 => written(true).prop_map(IntervalEnd::Date),
        1 => Just(IntervalEnd::Open),
        1 => Just(IntervalEnd::Unknown),
    ]
}

fn fact_date() -> impl Strategy<Value = FactDate> {
    prop_oneof![
        written(true).prop_map(FactDate::Single),
        (interval_end(), interval_end())
            .prop_filter("one known end", |(a, b)| {
                matches!(a, IntervalEnd::Date(_)) || matches!(b, IntervalEnd::Date(_))
            })
            .prop_map(|(a, b)| FactDate::Interval(a, b)),
    ]
}

impl FactDate {
    /// As dalil writes it (and as it is stored).
    fn text(&self) -> String {
        match self {
            FactDate::Single(w) => w.text(),
            FactDate::Interval(a, b) => format!("{}/{}", end_text(a), end_text(b)),
        }
    }

    /// As the oracle is asked: unknown ends open, approximate ends widened when `widen`.
    fn oracle_text(&self, widen: bool) -> String {
        let end = |e: &IntervalEnd, start: bool| match e {
            IntervalEnd::Open | IntervalEnd::Unknown => "..".to_string(),
            IntervalEnd::Date(w) if widen && w.approximate() => {
                w.shifted(if start { -1 } else { 1 })
            }
            IntervalEnd::Date(w) => w.text(),
        };
        match self {
            FactDate::Single(w) if widen && w.approximate() => {
                format!("{}/{}", w.shifted(-1), w.shifted(1))
            }
            FactDate::Single(w) => w.text(),
            FactDate::Interval(a, b) => format!("{}/{}", end(a, true), end(b, false)),
        }
    }
}

fn end_text(e: &IntervalEnd) -> String {
    match e {
        IntervalEnd::Date(w) => w.text(),
        IntervalEnd::Open => "..".into(),
        IntervalEnd::Unknown => String::new(),
    }
}

/// A query literal: a date or a closed interval, unqualified.
fn literal() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => written(false).prop_map(|w| w.text()),
        1 => (written(false), written(false)).prop_map(|(a, b)| format!("{}/{}", a.text(), b.text())),
    ]
}

// ─── The oracle ─────────────────────────────────────────────────────────────────────────────

fn bound_day(b: Bound) -> NaiveDate {
    match b {
        Bound::Date(d) => NaiveDate::from_ymd_opt(d.year as i32, d.month.into(), d.day.into())
            .expect("a bound is a day"),
        other => panic!("a literal has finite bounds, not {other:?}"),
    }
}

fn day_expr(d: NaiveDate) -> Edtf {
    Edtf::parse(&d.format("%Y-%m-%d").to_string()).expect("a day parses")
}

/// Which of the six filters select `fact` for the literal `lit`, by the oracle.
fn oracle(fact: &Edtf, lit: &Edtf) -> [bool; 6] {
    let b = lit.bounds();
    let (l1, l2) = (bound_day(b.earliest), bound_day(b.latest));
    let rel = |d: NaiveDate| fact.relation(&day_expr(d));
    let after = rel(l2);
    let before = rel(l1);
    let from = rel(l1.pred_opt().expect("in range"));
    let to = rel(l2.succ_opt().expect("in range"));
    [
        after.is_definite(Relation::After),
        after.is_possible(Relation::After),
        before.is_definite(Relation::Before),
        before.is_possible(Relation::Before),
        from.is_definite(Relation::After) && to.is_definite(Relation::Before),
        fact.relation(lit).is_possible(Relation::Equal),
    ]
}

const FILTERS: [&str; 6] = [
    "after",
    "possibly after",
    "before",
    "possibly before",
    "on",
    "possibly on",
];

// ─── Through dalil ──────────────────────────────────────────────────────────────────────────

fn run(session: &mut Session, text: &str) -> String {
    let mut out = String::new();
    let mut errors = String::new();
    session.run("<test>", text, &mut |r| match r {
        Reply::Text(t) => out.push_str(&t),
        Reply::Error(e) => errors.push_str(&e),
        _ => {}
    });
    assert!(errors.is_empty(), "{text}\n{errors}");
    out
}

/// The `n` column of every row a query returns.
fn selected(session: &mut Session, query: &str) -> BTreeSet<usize> {
    run(session, query)
        .lines()
        .skip(1)
        .filter_map(|l| l.split(',').next()?.parse().ok())
        .collect()
}

fn check(facts: &[FactDate], lit: &str, widen: bool) -> Result<(), TestCaseError> {
    let mut session = Session::new();
    session.settings.format = Format::Csv;
    let mut script = String::from("kind ev (n: number, date: date);\n");
    if !widen {
        script.insert_str(0, ":set approx 0\n");
    }
    for (n, f) in facts.iter().enumerate() {
        script += &format!("ev(n: {n}, date: {});\n", f.text());
    }
    run(&mut session, &script);
    let lit_expr = Edtf::parse(lit).expect("a generated literal is EDTF");
    let mut expected: [BTreeSet<usize>; 6] = Default::default();
    for (n, f) in facts.iter().enumerate() {
        let text = f.text();
        // The written form comes back unchanged, and both read the same bounds.
        let ours = Date::parse(&text).expect("dalil reads what it writes");
        prop_assert_eq!(ours.to_string(), text.clone());
        let theirs = Edtf::parse(&f.oracle_text(false))
            .map_err(|e| TestCaseError::fail(format!("{text}: {e:?}")))?;
        let b = theirs.bounds();
        let day = |d: i32| NaiveDate::from_num_days_from_ce_opt(d).expect("a day");
        match b.earliest {
            Bound::Date(_) => {
                prop_assert_eq!(Some(bound_day(b.earliest)), ours.earliest().map(day))
            }
            _ => prop_assert_eq!(ours.earliest(), None, "{}", text),
        }
        match b.latest {
            Bound::Date(_) => prop_assert_eq!(Some(bound_day(b.latest)), ours.latest().map(day)),
            _ => prop_assert_eq!(ours.latest(), None, "{}", text),
        }
        let strict = oracle(&theirs, &lit_expr);
        let widened = Edtf::parse(&f.oracle_text(widen)).expect("a widened date is EDTF");
        let loose = oracle(&widened, &lit_expr);
        for (i, set) in expected.iter_mut().enumerate() {
            // Certainly filters never widen; possibly filters do.
            let hit = if i == 1 || i == 3 || i == 5 {
                loose[i]
            } else {
                strict[i]
            };
            if hit {
                set.insert(n);
            }
        }
    }
    for (filter, want) in FILTERS.iter().zip(&expected) {
        let got = selected(&mut session, &format!("ev[n] {filter} {lit};"));
        prop_assert_eq!(
            &got,
            want,
            "`ev {} {}` over {:?}",
            filter,
            lit,
            facts.iter().map(FactDate::text).collect::<Vec<_>>()
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(256)
    ))]

    #[test]
    fn filters_agree_with_edtf_core(
        facts in proptest::collection::vec(fact_date(), 1..8)
            .prop_filter("valid intervals", |fs| fs.iter().all(|f| Edtf::parse(&f.oracle_text(false)).is_ok())),
        lit in literal().prop_filter("valid literal", |l| Edtf::parse(l).is_ok()),
        widen in any::<bool>(),
    ) {
        check(&facts, &lit, widen)?;
    }
}

/// The cases the issue names, through the same oracle.
#[test]
fn the_tudor_smaili_meeting() {
    let meeting = FactDate::Interval(
        IntervalEnd::Date(Written {
            year: 2025,
            month: Some(9),
            day: Some(14),
            qualifier: "",
        }),
        IntervalEnd::Date(Written {
            year: 2025,
            month: Some(9),
            day: Some(23),
            qualifier: "",
        }),
    );
    for lit in [
        "2025-08-15",
        "2025-09-23",
        "2025-09",
        "2025-09-14/2025-09-23",
    ] {
        check(std::slice::from_ref(&meeting), lit, true).expect("agrees");
    }
    let oracle_says = oracle(
        &Edtf::parse("2025-09-14/2025-09-23").expect("EDTF"),
        &Edtf::parse("2025-09-23").expect("EDTF"),
    );
    assert!(!oracle_says[4], "not certainly on the 23rd");
    assert!(oracle_says[5], "possibly on the 23rd");
}
