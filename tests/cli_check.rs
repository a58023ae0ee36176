//! `dalil check --facts FILE`: the way a teacher checks a fact base of their own. Every mistake
//! is reported with its file:line:col, a summary says what the file declares, the exit code says
//! whether it was clean. `dalil check FILE` checks a query script against the embedded article
//! fact base. Runs the real binary on files in tests/fixtures/ and examples/template/.

mod common;

use common::dalil;
use std::path::Path;

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn three_independent_mistakes_are_all_reported() {
    let file = "tests/fixtures/three-mistakes.dl";
    assert!(Path::new(env!("CARGO_MANIFEST_DIR")).join(file).exists());
    let out = dalil(&["check", "--facts", file]);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(1), "stderr:\n{stderr}");
    for (place, message) in [
        ("three-mistakes.dl:16:1", "there is no kind `vist`"),
        (
            "three-mistakes.dl:19:28",
            "kind `visit` has no field `guest`",
        ),
        ("three-mistakes.dl:22:50", "month 13 does not exist"),
    ] {
        assert!(stderr.contains(place), "no report at {place}:\n{stderr}");
        assert!(stderr.contains(message), "no `{message}`:\n{stderr}");
    }
    assert_eq!(stderr.matches("Error:").count(), 3, "{stderr}");
    assert!(
        stdout.starts_with(&format!(
            "{file}: 3 errors — what is valid: 1 fact of 1 kind"
        )),
        "{stdout}"
    );
    assert!(stdout.contains("kinds       visit (1 fact)"), "{stdout}");
    assert!(
        stdout.contains("entities    riverton, tom_okafor"),
        "{stdout}"
    );
}

#[test]
fn the_template_is_clean_and_its_summary_lists_what_it_declares() {
    let file = "examples/template/my-article.dl";
    let out = dalil(&["check", "--facts", file]);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "stderr:\n{stderr}");
    assert!(stderr.is_empty(), "{stderr}");
    let expected = format!(
        "{file}: ok — 7 facts of 4 kinds, 7 entities, 4 rules
  kinds       visit (1 fact), agreement (1 fact), statement (2 facts), located_in (3 facts)
  entities    riverton, lakeside, vale_county, water_board, ada_moreno, tom_okafor, northland
  rules       within (2 rules), partners (2 rules)
"
    );
    assert_eq!(stdout, expected);
}

#[test]
fn the_template_loads_with_facts_and_answers_queries() {
    let out = dalil(&[
        "--facts",
        "examples/template/my-article.dl",
        "-c",
        "count within where inner = \"Riverton\"; partners[other] where town = \"Riverton town\"",
    ]);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "stderr:\n{stderr}");
    assert!(stdout.contains("     2\n"), "{stdout}");
    assert!(stdout.contains(" Lakeside\n"), "{stdout}");
}

#[test]
fn checking_several_files_reports_each_and_fails_if_one_fails() {
    let out = dalil(&[
        "check",
        "--facts",
        "examples/template/my-article.dl",
        "--facts",
        "tests/fixtures/three-mistakes.dl",
    ]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout.contains("my-article.dl: ok"), "{stdout}");
    assert!(stdout.contains("three-mistakes.dl: 3 errors"), "{stdout}");
}

#[test]
fn a_query_script_checks_clean_against_the_embedded_fact_base() {
    let file = "tests/fixtures/query-visit.dl";
    let out = dalil(&["check", file]);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "stderr:\n{stderr}");
    assert!(stderr.is_empty(), "{stderr}");
    assert_eq!(
        stdout,
        format!(
            "{file}: ok — checked against the embedded article fact base \
             (data/article.dl, data/rules.dl)\n"
        )
    );
}

#[test]
fn a_typo_in_a_query_script_is_reported_and_fails() {
    let file = "tests/fixtures/query-typo.dl";
    let out = dalil(&["check", file]);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(1), "stderr:\n{stderr}");
    assert!(stderr.contains("there is no kind `vist`"), "{stderr}");
    assert!(stderr.contains("query-typo.dl:3:1"), "{stderr}");
    assert_eq!(stderr.matches("Error:").count(), 1, "{stderr}");
    assert!(
        stdout.starts_with(&format!("{file}: 1 error — checked against the embedded")),
        "{stdout}"
    );
}

#[test]
fn a_query_script_is_checked_against_the_facts_files_when_given() {
    // The template declares `visit` without a `partner` field: the script does not fit it.
    let out = dalil(&[
        "check",
        "--facts",
        "examples/template/my-article.dl",
        "tests/fixtures/query-visit.dl",
    ]);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(
        stdout.contains("checked against the fact base examples/template/my-article.dl"),
        "{stdout}"
    );
    assert!(!stdout.contains("embedded"), "{stdout}");
    assert_eq!(
        out.status.code(),
        Some(1),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
}

#[test]
fn a_check_runs_a_script_but_writes_no_file() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let (script, saved) = (dir.path().join("s.dl"), dir.path().join("out.dl"));
    std::fs::write(
        &script,
        format!(
            "visit where partner = \"US\";\n:save {}\n",
            saved.to_string_lossy()
        ),
    )
    .expect("write the script");
    let out = dalil(&["check", &script.to_string_lossy()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("ok — checked against"));
    assert!(!saved.exists(), "check wrote {}", saved.display());
}
