//! Several sources loaded together: the article and a small, clearly fictional second source
//! (tests/fixtures/fictional-source.dl, labelled as test data). Citations name their source,
//! relative dates resolve against their own source's date, entities are shared by id and
//! alias, and a contradiction between the sources is listed with both citations.

mod common;

use common::dalil;

const BOTH: [&str; 6] = [
    "--facts",
    "data/article.dl",
    "--facts",
    "data/rules.dl",
    "--facts",
    "tests/fixtures/fictional-source.dl",
];

/// Runs one statement on both sources; standard output (standard error must be empty).
fn on_both(statement: &str) -> String {
    let mut args = BOTH.to_vec();
    args.extend(["-c", statement]);
    let out = dalil(&args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && stderr.is_empty(), "{stderr}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn citations_name_their_source_when_two_are_loaded() {
    let out = on_both("visit[id, cite] order by id");
    assert!(
        out.contains("araby:p2.s1, araby:p5.s1, araby:p5.s2"),
        "{out}"
    );
    assert!(out.contains("fiction_us_visit    │ fiction:p1.s1"), "{out}");
    // One source alone: citations stay short.
    let alone = dalil(&["-c", "visit[id, cite] where partner = \"US\""]);
    let alone = String::from_utf8_lossy(&alone.stdout);
    assert!(alone.contains("│ p2.s1, p5.s1, p5.s2"), "{alone}");
    // A citation filter may name the source.
    let out = on_both("visit[id] where cite = \"fiction:p1\"");
    assert!(
        out.contains("fiction_us_visit") && out.contains("(1 row)"),
        "{out}"
    );
}

#[test]
fn relative_dates_resolve_against_their_own_source() {
    // "monday" in a source published on Thursday 2025-09-25 is 2025-09-22; the article's
    // Tuesday is its own publication day.
    let out = on_both("visit[id, date] where id = fiction_us_visit");
    assert!(out.contains("2025-09-22"), "{out}");
    // Entities are shared: "Tudor" in the fictional source is the article's Claude Tudor.
    let out = on_both("about \"Claude Tudor\" where cite = \"fiction:p1\"");
    assert!(out.contains("fiction_us_visit"), "{out}");
    assert!(out.contains("fiction_tudor_smaili"), "{out}");
}

#[test]
fn a_contradiction_between_sources_is_listed_with_both_citations() {
    let out = on_both("conflict[fact, other, field]");
    assert!(
        out.contains("us_visit_2025_09_14  │ fiction_us_visit    │ date"),
        "{out}"
    );
    // The bounded Tudor–Smaili meeting (2025-09-14/2025-09-23) may well have been on the 22nd,
    // and Algiers lies in Algeria: neither is a contradiction.
    assert!(!out.contains("fiction_tudor_smaili"), "{out}");
    let why = on_both("why date_conflict");
    assert!(why.contains("araby:p5.s1 «في 14 سبتمبر»"), "{why}");
    assert!(why.contains("fiction:p1.s1 «on Monday»"), "{why}");
}

#[test]
fn a_relative_date_needs_a_source_and_a_source_must_exist() {
    let out = dalil(&["-c", "kind ev(date: date); ev(date: last_month)"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("`last_month` is relative, and no source says when it was published"),
        "{stderr}"
    );
    let out = dalil(&[
        "-c",
        "kind ev(date: date); ev(date: 2025-01) cite nowhere:p1.s1",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("no source is called `nowhere`"), "{stderr}");
    // Declared in the same text, the source dates its relative dates.
    let out = dalil(&[
        "-c",
        "source s(date: 2026-01-05); kind ev(date: date); ev(date: last_month) cite p1.s1; ev[date]",
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("2025-12"), "{stdout}");
}
