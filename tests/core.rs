//! The core's promises, through the real binary and the library: the design card's query, the
//! aliases, JSON output, citations of every paragraph, the parser's and checker's behaviour.

use dalil::store::Origin;
use dalil::{Reply, Session};
use std::io::Write;
use std::process::{Command, Stdio};

fn dalil(args: &[&str]) -> (String, String, i32) {
    let out = Command::new(env!("CARGO_BIN_EXE_dalil"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("run dalil");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

/// Runs statements in a fresh session with the article; returns (output, errors).
fn run(text: &str) -> (String, String) {
    let mut s = Session::with_article().expect("the article loads");
    let (mut out, mut err) = (String::new(), String::new());
    s.run("<test>", text, &mut |r| match r {
        Reply::Text(t) => out.push_str(&t),
        Reply::Error(e) | Reply::Note(e) => err.push_str(&e),
        Reply::Quit => {}
    });
    (out, err)
}

#[test]
fn the_design_card_query_finds_only_the_tudor_visit() {
    for alias in [
        "US",
        "USA",
        "United States",
        "الولايات المتحدة",
        "Washington",
        "usa",
    ] {
        let q = format!(
            "visit[date, partner, led_by.name] where partner = \"{alias}\" after 2025-09-01"
        );
        let (out, err, code) = dalil(&["-c", &q]);
        assert_eq!(code, 0, "{alias}: {err}");
        assert!(
            out.contains("2025-09-14") && out.contains("Claude Tudor"),
            "{alias}: {out}"
        );
        assert!(out.contains("(1 row)"), "{alias}: {out}");
    }
}

#[test]
fn russian_visits_as_json_include_the_tuesday_visit() {
    let (out, err, code) = dalil(&["-c", "visit where partner = \"RU\"", "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let rows: serde_json::Value = serde_json::from_str(&out).expect("valid JSON");
    let rows = rows.as_array().expect("an array");
    assert!(
        rows.iter()
            .any(|r| r["date"] == "2025-09-23" && r["partner"] == "Russia"),
        "{out}"
    );
}

#[test]
fn csv_has_a_header_and_one_line_per_row() {
    let (out, _, code) = dalil(&[
        "-c",
        "visit[date, partner] order by date",
        "--format",
        "csv",
    ]);
    assert_eq!(code, 0);
    assert_eq!(
        out,
        "date,partner\n2025-09-14,United States\n2025-09-23,Russia\n"
    );
}

#[test]
fn every_paragraph_of_the_article_is_cited() {
    let s = Session::with_article().expect("loads");
    let mut cited = [false; 8];
    for kind in &s.db.kinds {
        for i in 0..kind.relation.len() as u32 {
            if let Origin::Stated { cites, .. } = kind.relation.origin(i) {
                for c in cites {
                    cited[c.paragraph as usize] = true;
                }
            }
        }
    }
    for (p, was) in cited.iter().enumerate().skip(1) {
        assert!(*was, "paragraph {p} is cited by no fact");
    }
}

#[test]
fn statements_on_stdin_run_as_a_script() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_dalil"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"count visit;\ncount statement where topic = \"sanctions\";\n")
        .expect("write");
    let out = child.wait_with_output().expect("wait");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert_eq!(text.matches("count").count(), 2, "{text}");
}

#[test]
fn exit_codes_are_0_1_2() {
    assert_eq!(dalil(&["-c", "visit"]).2, 0);
    assert_eq!(dalil(&["-c", "vist"]).2, 1);
    assert_eq!(dalil(&["--no-such-flag"]).2, 2);
    assert_eq!(dalil(&["--format", "xml", "-c", "visit"]).2, 2);
    assert_eq!(dalil(&["--version"]).2, 0);
    let (help, _, code) = dalil(&["--help"]);
    assert_eq!(code, 0);
    assert!(help.contains("--facts"));
}

#[test]
fn facts_flag_replaces_the_embedded_base() {
    let dir = std::env::temp_dir().join(format!("dalil-core-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("mine.dl");
    std::fs::write(
        &file,
        "kind trip (who: text, date: date);\ntrip(who: \"Ana\", date: 2024-05) background;\n",
    )
    .expect("write");
    let path = file.to_string_lossy().into_owned();
    let (out, err, code) = dalil(&["--facts", &path, "-c", "trip[who, date]; count entity"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("Ana") && out.contains("2024-05"), "{out}");
    assert!(out.contains("     0"), "no article entities: {out}");
}

#[test]
fn conditions_and_or_not_in_contains_unknown() {
    let (out, err) = run(
        "count statement where topic in (\"sanctions\", \"neutrality\");\
         count statement where not topic in (\"sanctions\", \"neutrality\");\
         count statement;\
         count visit where led_by is unknown;\
         count visit where led_by is not unknown and (partner = \"RU\" or partner = \"US\");\
         count entity where name contains \"AFRICA\"",
    );
    assert!(err.is_empty(), "{err}");
    let counts: Vec<u64> = out.lines().filter_map(|l| l.trim().parse().ok()).collect();
    assert_eq!(counts[0] + counts[1], counts[2], "{out}");
    assert_eq!(
        counts[3], 1,
        "the Russian delegation's leader is not stated"
    );
    assert_eq!(counts[4], 1);
    assert!(counts[5] >= 2, "AFRICOM and SOC Africa: {out}");
}

#[test]
fn time_filters_are_certain_by_default_and_possible_on_request() {
    let (out, _) = run(
        "count ceremony after 2025-08-15; count ceremony possibly after 2025-08-15; \
                        count ceremony during 2025-08; count visit_exchange possibly after 2025",
    );
    let counts: Vec<u64> = out.lines().filter_map(|l| l.trim().parse().ok()).collect();
    assert_eq!(counts, vec![0, 1, 1, 1], "{out}");
}

#[test]
fn the_checker_reports_unknown_names_with_suggestions() {
    let (_, err) = run("visit where partnr = \"US\"");
    assert!(
        err.contains("has no field `partnr`") && err.contains("did you mean `partner`?"),
        "{err}"
    );
    let (_, err) = run("visit where partner = \"Untied States\"");
    assert!(
        err.contains("no entity is called") && err.contains("United States"),
        "{err}"
    );
    let (_, err) = run("visit where date = \"2025-09-14\"");
    assert!(
        err.contains("date") && err.contains("without quotes"),
        "{err}"
    );
    let (_, err) = run("visit where partner < \"US\"");
    assert!(err.contains("no order"), "{err}");
}

#[test]
fn a_fact_with_a_mistake_adds_nothing() {
    let mut s = Session::with_article().expect("loads");
    let before = s.db.fact_count();
    let mut errors = 0;
    s.run(
        "<test>",
        "visit(partner: united_states, date: 2025-02-30) background; visit(partner: narnia) background",
        &mut |r| {
            if matches!(r, Reply::Error(_)) {
                errors += 1;
            }
        },
    );
    assert_eq!(errors, 2);
    assert_eq!(s.db.fact_count(), before);
}

#[test]
fn the_parser_keeps_spans_and_splits_statements() {
    use dalil::syntax::{ParseLimits, ast::Statement, parse_program};
    let text =
        "visit where partner = \"US\";\n# a comment; not a statement\ncount statement by speaker";
    let (stmts, errors) = parse_program(text, 0, ParseLimits::default());
    assert!(errors.is_empty());
    assert_eq!(stmts.len(), 2);
    let Statement::Query(q) = &stmts[1] else {
        panic!("a query")
    };
    assert!(q.count);
    assert_eq!(&text[q.kind.span.start..q.kind.span.end], "statement");
    assert_eq!(q.group_by[0].text(), "speaker");
}

#[test]
fn rules_of_one_text_may_come_in_any_order() {
    let (out, err) = run("far(place: ?x) :- reach(inner: ?x, outer: africa);\n\
         reach(inner: ?x, outer: ?y) :- located_in(place: ?x, region: ?y);\n\
         reach(inner: ?x, outer: ?z) :- located_in(place: ?x, region: ?y), reach(inner: ?y, outer: ?z);\n\
         count far;");
    assert!(err.is_empty(), "{err}");
    assert!(
        out.contains("     5"),
        "Algeria, the Maghreb, Mali, northern Mali, the Sahel: {out}"
    );
}

/// Issue 13's two promises about evidence, through the binary: a derived row resting on
/// background knowledge says so, and `--trust stated` hides it; a bounded date is certainly
/// after what precedes its bounds, and only possibly on its last day.
#[test]
fn status_flows_through_rules_and_bounded_dates_filter_correctly() {
    let europe = "took_place_in[event, region, status] where region = \"Europe\"";
    let (out, err, code) = dalil(&["-c", europe, "--format", "csv"]);
    assert_eq!((err.as_str(), code), ("", 0));
    assert_eq!(
        out,
        "event,region,status\nafricom_change_of_command,Europe,background\n"
    );
    for format in ["table", "json", "csv"] {
        let (out, err, code) = dalil(&["--trust", "stated", "--format", format, "-c", europe]);
        assert_eq!((err.as_str(), code), ("", 0), "{format}");
        assert!(!out.contains("africom"), "{format}: {out}");
    }
    let (out, _, _) = dalil(&["--trust", "inferred", "-c", europe, "--format", "json"]);
    assert_eq!(out.trim(), "[]");

    let meeting = |filter: &str| {
        let (out, err, code) = dalil(&[
            "-c",
            &format!("meeting[id, date] {filter}"),
            "--format",
            "csv",
        ]);
        assert_eq!((err.as_str(), code), ("", 0), "{filter}");
        out
    };
    let tudor_smaili = "mtg_tudor_smaili,2025-09-14/2025-09-23";
    assert!(meeting("after 2025-08-15").contains(tudor_smaili));
    assert!(!meeting("on 2025-09-23").contains(tudor_smaili));
    assert!(meeting("possibly on 2025-09-23").contains(tudor_smaili));
    assert!(meeting("where status = \"inferred\"").contains(tudor_smaili));
}

/// An aggregate in a body counts every row, whatever its status, and the row it helps derive is
/// as strong as the weakest row it counted: one row per person, never one count per status.
#[test]
fn a_body_aggregate_counts_every_row_and_is_as_strong_as_the_weakest() {
    let (out, err) = run(r#"
        kind says (who: text, what: text);
        says(who: "a", what: "x") cite p1.s1;
        says(who: "a", what: "y") background;
        says(who: "b", what: "z") cite p1.s2;
        kind speaker (name: text);
        speaker(name: "a") cite p1.s1;
        speaker(name: "b") cite p1.s1;
        speaker(name: "c") inferred "a guess";
        talk(p: ?p, n: ?n) :- speaker(name: ?p), ?n = count(?w : says(who: ?p, what: ?w));
        talk order by p;
        heard(p: ?p, n: count(?w)) :- says(who: ?p, what: ?w);
        heard order by p;"#);
    assert_eq!(err, "");
    let tables: Vec<&str> = out.split("\n\n").collect();
    let rows = |t: &str| -> Vec<String> {
        t.lines()
            .skip(2)
            .filter(|l| !l.starts_with('('))
            .map(|l| l.split('│').map(str::trim).collect::<Vec<_>>().join(","))
            .collect()
    };
    assert_eq!(
        rows(tables[0]),
        ["a,2,background", "b,1,stated", "c,0,inferred"]
    );
    assert_eq!(rows(tables[1]), ["a,2,background", "b,1,stated"]);
}
