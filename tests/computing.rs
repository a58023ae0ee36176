//! Rules that compute, through the real binary: the issue's "must show" cases — a computed
//! number of days, factorial with arithmetic in the head, `count()` over nothing — and the
//! reports for arithmetic that has no value.

mod common;

use common::dalil;

fn run(args: &[&str]) -> (String, String, bool) {
    let out = dalil(args);
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.success(),
    )
}

/// The rows of a CSV answer, header left out.
fn csv_rows(stdout: &str) -> Vec<String> {
    stdout.lines().skip(1).map(str::to_string).collect()
}

#[test]
fn days_between_the_two_visits_is_nine() {
    let (out, err, ok) = run(&[
        "--format",
        "csv",
        "-c",
        r#"gap(days: days_between(?a, ?b)) :- visit(partner: "US", date: ?a), visit(partner: "RU", date: ?b); gap"#,
    ]);
    assert!(ok, "{err}");
    // Derived from two stated visits: stated.
    assert_eq!(csv_rows(&out), ["9,stated"]);
}

#[test]
fn factorial_to_twelve_gives_thirteen_rows_the_largest_479001600() {
    let (out, err, ok) = run(&[
        "--facts",
        "tests/computing/factorial.dl",
        "--format",
        "csv",
        "-c",
        "fact order by n",
    ]);
    assert!(ok, "{err}");
    let rows = csv_rows(&out);
    assert_eq!(rows.len(), 13, "{out}");
    assert_eq!(rows.first().map(String::as_str), Some("0,1,stated"));
    assert_eq!(rows.last().map(String::as_str), Some("12,479001600,stated"));
}

#[test]
fn count_over_nothing_is_zero_and_min_over_nothing_is_no_row() {
    let (out, err, ok) = run(&[
        "--format",
        "csv",
        "-c",
        "none(n: count()) :- visit(partner: algeria, date: 1990); none; \
         least(d: min(?d)) :- visit(partner: algeria, date: ?d); least",
    ]);
    assert!(ok, "{err}");
    // A count over nothing rests on nothing weaker than stated.
    assert_eq!(out, "n,status\n0,stated\nd,status\n");
}

#[test]
fn division_by_zero_is_reported_with_the_rule_and_its_values() {
    let (_, err, ok) = run(&[
        "-c",
        r#"ratio(r: ?n / (?n - ?n)) :- ?n = days_between(2025-09-14, 2025-09-23); ratio"#,
    ]);
    assert!(!ok);
    assert!(err.contains("division by zero: 9 / 0, in rule"), "{err}");
    assert!(err.contains("with ?n = 9"), "{err}");
}

#[test]
fn division_by_zero_in_a_query_is_reported_with_the_row_not_left_blank() {
    let (out, err, ok) = run(&[
        "-c",
        "visit[partner, 100 // (year(date) - 2025) as per_year]",
    ]);
    assert!(!ok, "{out}");
    assert!(out.is_empty(), "no row is shown half computed: {out}");
    assert!(
        err.contains("division by zero: 100 // 0, in this query"),
        "{err}"
    );
    assert!(err.contains("in the row with date = 2025-09-"), "{err}");
    // A condition written before the division keeps those rows out.
    let (out, err, ok) = run(&[
        "--format",
        "csv",
        "-c",
        "visit[partner] where year(date) != 2025 and 100 // (year(date) - 2025) > 1",
    ]);
    assert!(ok, "{err}");
    assert_eq!(out.trim(), "partner");
}

#[test]
fn a_query_makes_texts_and_filters_and_sorts_by_them() {
    let (out, err, ok) = run(&[
        "--format",
        "csv",
        "-c",
        "visit[upper(partner.name) as p, concat(lower(partner.name), \"!\") as q] order by q desc;\
         visit[partner] where lower(partner.name) = \"russia\"",
    ]);
    assert!(ok, "{err}");
    assert_eq!(
        out,
        "p,q\nUNITED STATES,united states!\nRUSSIA,russia!\npartner\nRussia\n"
    );
}

#[test]
fn overflow_is_an_error_never_a_wrap() {
    let (_, err, ok) = run(&["-c", "big(n: ?n * ?n * ?n * ?n) :- ?n = 100000; big"]);
    assert!(!ok);
    assert!(
        err.contains("number too large: 1000000000000000 * 100000"),
        "{err}"
    );
}

#[test]
fn an_aggregate_in_a_body_is_correlated_with_the_rule_and_counts_nothing_as_zero() {
    let (out, err, ok) = run(&[
        "--facts",
        "tests/computing/speakers.dl",
        "--format",
        "csv",
        "-c",
        "said(p: ?p, n: ?n) :- speaker(name: ?p), ?n = count(?w : quote(by: ?p, words: ?w)); \
         said order by p; \
         busy(p: ?p) :- speaker(name: ?p), ?n = count(: quote(by: ?p)), ?n >= 2; busy; \
         fewest(p: ?p, w: ?m) :- speaker(name: ?p), ?m = min(?w : quote(by: ?p, words: ?w)); \
         fewest order by p",
    ]);
    assert!(ok, "{err}");
    assert_eq!(
        out,
        "p,n,status\nAda,2,stated\nBo,1,stated\nCy,0,stated\np,status\nAda,stated\n\
         p,w,status\nAda,3,stated\nBo,12,stated\n",
        "{out}"
    );
}

#[test]
fn a_query_computes_columns_and_compares_computed_values() {
    let (out, err, ok) = run(&[
        "--format",
        "csv",
        "-c",
        "visit[partner, weekday(date) as day] order by day; \
         arms_ranking[scope] where rank + 1 <= 3",
    ]);
    assert!(ok, "{err}");
    assert_eq!(
        out, "partner,day\nUnited States,Sunday\nRussia,Tuesday\nscope\nAfrica\n",
        "{out}"
    );
}

#[test]
fn the_weekday_of_a_month_is_unknown_and_possibly_any_day() {
    let (out, err, ok) = run(&[
        "--format",
        "csv",
        "-c",
        "w(d: ?d, day: weekday(?d), month: month(?d), may_be: possible_weekdays(?d)) :- \
             ?d = 2025-09; w[d, day, month, may_be]; \
         s(d: ?d, day: weekday(?d)) :- ?d = add_days(2025-09-10, 4); s[d, day]",
    ]);
    assert!(ok, "{err}");
    assert_eq!(
        out,
        "d,day,month,may_be\n2025-09,,9,Monday; Tuesday; Wednesday; Thursday; Friday; Saturday; Sunday\n\
         d,day\n2025-09-14,Sunday\n",
        "{out}"
    );
}

#[test]
fn nat_seeded_with_zero_is_stopped_naming_its_rule_and_the_session_goes_on() {
    let (out, err, ok) = run(&[
        "--timeout",
        "1",
        "-c",
        "kind nat(n: number); nat(n: 0); nat(n: ?n + 1) :- nat(n: ?n); count nat; count within",
    ]);
    assert!(!ok);
    // The report names the rule that grew (shown under its text), not the query.
    assert!(err.contains("its kind `nat` was still growing"), "{err}");
    assert!(err.contains("nat(n: ?n + 1) :- nat(n: ?n)"), "{err}");
    assert!(err.contains("its newest rows: nat(n: "), "{err}");
    // The next query on another kind answers.
    assert!(out.contains("    17\n"), "{out}");
}
