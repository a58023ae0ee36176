//! The conformance suite: each folder of `tests/conformance/` holds `input.dl` (facts),
//! `program.dl` (rules and queries) and `expected.csv` (the rows, written by hand from the
//! documented semantics of Soufflé and SQL). A new case is a new folder, never new code.
//!
//! dalil adds a `status` column to every derived row (section "Status through rules" of the
//! guide), which neither Soufflé nor SQL has: every fact here is stated, so each derived row
//! must end in `stated`, and that last column is dropped before comparing.

mod common;

use common::dalil_in;
use std::path::Path;

#[test]
fn every_case_gives_the_rows_soufflé_and_sql_would() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance");
    let mut cases: Vec<_> = std::fs::read_dir(&root)
        .expect("tests/conformance")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    assert!(cases.len() >= 10, "the suite lost cases: {cases:?}");
    let mut failures = Vec::new();
    for case in &cases {
        let out = dalil_in(
            case,
            &[
                "--facts",
                "input.dl",
                "--format",
                "csv",
                "run",
                "program.dl",
            ],
        );
        let stdout = without_status(&String::from_utf8_lossy(&out.stdout));
        let stderr = String::from_utf8_lossy(&out.stderr);
        let expected = std::fs::read_to_string(case.join("expected.csv")).expect("expected.csv");
        if !out.status.success() || stdout != expected {
            failures.push(format!(
                "{}:\n--- expected ---\n{expected}--- dalil printed ---\n{stdout}{stderr}",
                case.display()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The output with dalil's own last column, `status`, taken off each derived row (a row that is
/// not `stated` keeps it, and so fails the comparison).
fn without_status(csv: &str) -> String {
    csv.lines()
        .map(|l| {
            l.strip_suffix(",status")
                .or_else(|| l.strip_suffix(",stated"))
                .unwrap_or(l)
        })
        .map(|l| format!("{l}\n"))
        .collect()
}
