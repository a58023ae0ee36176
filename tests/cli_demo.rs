//! Teaching aids through the real binary: `dalil run --echo` (a script replayed statement by
//! statement), `--step`, and `explain` / `explain analyze` on joins and recursive rules.

mod common;

use common::dalil;
use std::io::Write;
use std::process::{Command, Stdio};

fn stdout_ok(args: &[&str]) -> String {
    let out = dalil(args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "dalil {args:?} failed:\n{stderr}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The position of each needle in `hay`, asserting they come in this order.
fn assert_in_order(hay: &str, needles: &[&str]) {
    let mut from = 0;
    for n in needles {
        match hay[from..].find(n) {
            Some(i) => from += i + n.len(),
            None => panic!("`{n}` missing or out of order in:\n{hay}"),
        }
    }
}

#[test]
fn echo_shows_each_statement_with_its_comment_before_its_result() {
    let out = stdout_ok(&["run", "--echo", "examples/01-first-query.dl"]);
    assert_in_order(
        &out,
        &[
            "# Every visit, a few fields, oldest first. `led_by.name` follows the entity in `led_by` to its\n",
            "# name; an empty cell means the article does not say.\n",
            "dalil> visit[date, partner, delegation, led_by.name] order by date\n",
            " date       │ partner",
            "(2 rows)",
            "# The US delegation of September 2025. `cite` shows where the article says it: paragraph.sentence.\n",
            "dalil> visit[date, partner, led_by, cite] where partner = \"US\" after 2025-09-01\n",
            "p2.s1, p5.s1, p5.s2",
            "dalil> visit[date, partner, led_by] where partner = \"الولايات المتحدة\"",
            "(1 row)",
            "dalil> count visit where partner = \"RU\"\n",
            "(1 row)",
        ],
    );
    // Without a terminal there is no colour; the file's opening comment is not above a statement.
    assert!(!out.contains('\x1b'));
    assert!(!out.contains("Lesson 01"));
    // Without --echo, the same script prints only results.
    let plain = stdout_ok(&["run", "examples/01-first-query.dl"]);
    assert!(!plain.contains("dalil>"));
    assert_eq!(
        out.lines()
            .filter(|l| !l.starts_with("dalil>") && !l.starts_with('#'))
            .count(),
        plain.lines().count()
    );
}

#[test]
fn echo_shows_multi_line_statements_like_the_prompt() {
    let out = stdout_ok(&["run", "--echo", "examples/08-aggregation.dl"]);
    assert_in_order(
        &out,
        &[
            "dalil> first_event(what: ?w, first: min(?d), last: max(?d), events: count(?e)) :-\n",
            "   ...>     dated_event(event: ?e, what: ?w, date: ?d)\n",
            "dalil> first_event order by first\n",
        ],
    );
}

#[test]
fn step_waits_for_enter_on_standard_input_when_there_is_no_terminal() {
    // With a controlling terminal, --step waits on /dev/tty (the presenter's keyboard) and this
    // test could not answer it; under `cargo test` in CI there is none, and stdin is read.
    if std::fs::File::open("/dev/tty").is_ok() {
        return;
    }
    let mut child = Command::new(env!("CARGO_BIN_EXE_dalil"))
        .args(["run", "--step", "examples/01-first-query.dl"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run dalil");
    // One Enter per statement; the output is that of --echo.
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"\n\n\n\n")
        .expect("write");
    let out = child.wait_with_output().expect("wait");
    assert!(out.status.success());
    let echoed = stdout_ok(&["run", "--echo", "examples/01-first-query.dl"]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), echoed);
}

#[test]
fn explain_shows_the_join_plan_of_the_rules_behind_a_derived_kind() {
    let out = stdout_ok(&["-c", "explain courted_by_both"]);
    assert_in_order(
        &out,
        &[
            "project country, russian_contact, us_contact, status\n",
            "└─ scan courted_by_both",
            "courted_by_both is derived",
            ": contact\n",
            "rule 16: contact(",
            "1. scan visit (2 rows), binding ?e from id, ?c from host, ?p from partner, ?d from date\n",
            ": courted_by_both\n",
            "rule 19: courted_by_both(",
            "1. join contact where partner = ",
            "2. join contact where country = ?c (hash index; 4 rows)",
            "3. keep if max_days_between(?d1, ?d2) <= 30\n",
        ],
    );
    assert!(!out.contains(" ms"), "plain explain runs nothing:\n{out}");
}

#[test]
fn explain_shows_a_recursive_rule_with_its_first_and_later_rounds() {
    let out = stdout_ok(&["-c", "explain within where inner = \"Stuttgart\""]);
    assert_in_order(
        &out,
        &[
            "└─ lookup within by hash index on inner = stuttgart",
            "stratum 1, recursive: within\n",
            "rule 1: within(inner: ?x, outer: ?y) :- located_in(place: ?x, region: ?y)\n",
            "rule 2: within(inner: ?x, outer: ?z) :-",
            "first round:\n",
            "later rounds, from the last round's new rows of within:\n",
            "1. scan the new rows of within (17 rows in all), binding ?y from inner, ?z from outer\n",
            "2. join located_in where region = ?y (hash index; 12 rows), binding ?x from place\n",
        ],
    );
}

#[test]
fn explain_analyze_adds_rows_and_times_to_every_step() {
    let out = stdout_ok(&["-c", "explain analyze within where inner = \"Stuttgart\""]);
    assert_in_order(
        &out,
        &[
            "project inner, outer, status  → 2 rows, ",
            " ms\n",
            "└─ lookup within by hash index on inner = stuttgart (17 rows in all)  → 2 rows, ",
            "stratum 1, recursive: within  → 6 rounds, 17 rows derived, ",
            "rule 1: within(",
            "→ 12 rows derived, ",
            "rule 2: within(",
            "→ 5 rows derived, ",
            "first round:  → ran 2 times, ",
            "later rounds, from the last round's new rows of within:  → ran 4 times, ",
            "in all: 2 rows in ",
        ],
    );
    let join = stdout_ok(&["-c", "explain analyze courted_by_both"]);
    assert_in_order(
        &join,
        &[
            "project country, russian_contact, us_contact, status  → 1 row, ",
            "rule 19: courted_by_both(",
            "→ 1 row derived, ",
            "1. join contact where partner = ",
        ],
    );
    // A query on stated facts: the steps of the query itself, measured.
    let base = stdout_ok(&[
        "-c",
        "explain analyze visit[date] where partner = \"US\" after 2025-09-01 order by date",
    ]);
    assert_in_order(
        &base,
        &[
            "project date  → 1 row, ",
            "└─ sort by date  → 1 row, ",
            "└─ filter date after 2025-09-01  → 1 row, ",
            "└─ lookup visit by hash index on partner = united_states (2 rows in all)  → 1 row, ",
        ],
    );
    assert!(!base.contains("derived"));
}

#[test]
fn why_after_explain_analyze_reruns_the_query_itself() {
    let out = stdout_ok(&[
        "-c",
        "explain analyze visit[date] where partner = \"RU\";\n:why",
    ]);
    assert!(out.contains("└─ cited: p2.s1"), "{out}");
}

#[test]
fn a_meta_command_ends_at_a_semicolon_on_one_line() {
    let out = stdout_ok(&["-c", ":format csv; count visit; :format json; count visit"]);
    assert_eq!(out, "count\n2\n[\n  {\n    \"count\": 2\n  }\n]\n");
}
