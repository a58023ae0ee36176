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

/// Every case's folder, sorted.
fn cases() -> Vec<std::path::PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance");
    let mut cases: Vec<_> = std::fs::read_dir(&root)
        .expect("tests/conformance")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    assert!(cases.len() >= 10, "the suite lost cases: {cases:?}");
    cases
}

#[test]
fn every_case_gives_the_rows_soufflé_and_sql_would() {
    let cases = cases();
    let mut failures = Vec::new();
    for case in &cases {
        let (out, stdout, stderr) = run_case(case, &[]);
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

/// The cases whose program uses what the dataflow engine does not lower yet (it refuses them,
/// naming the construct; docs/CLUSTER.md). A case refused that is not listed here, or listed
/// and no longer refused, fails the test.
#[cfg(feature = "dataflow")]
const REFUSED_BY_DATAFLOW: &[(&str, &str)] = &[];

/// The same cases through the dataflow engine (`--engine dataflow`): the same rows (in any
/// order: the dataflow has none of its own), or a refusal naming the construct, listed above.
#[cfg(feature = "dataflow")]
#[test]
fn every_case_gives_the_same_rows_on_the_dataflow_engine() {
    let mut failures = Vec::new();
    let mut refused = Vec::new();
    let sorted = |text: &str| -> Vec<String> {
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        lines.sort();
        lines
    };
    for case in &cases() {
        let name = case.file_name().unwrap_or_default().to_string_lossy();
        let (out, stdout, stderr) = run_case(case, &["--engine", "dataflow"]);
        if let Some(what) = stderr
            .split("the dataflow engine cannot run ")
            .nth(1)
            .and_then(|rest| rest.split(" yet").next())
        {
            refused.push((name.to_string(), what.to_string()));
            continue;
        }
        let expected = std::fs::read_to_string(case.join("expected.csv")).expect("expected.csv");
        if !out.status.success() || sorted(&stdout) != sorted(&expected) {
            failures.push(format!(
                "{}:\n--- expected ---\n{expected}--- dalil printed ---\n{stdout}{stderr}",
                case.display()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    eprintln!(
        "{} of {} cases refused by the dataflow engine: {refused:?}",
        refused.len(),
        cases().len()
    );
    let listed: Vec<(String, String)> = REFUSED_BY_DATAFLOW
        .iter()
        .map(|(c, w)| (c.to_string(), w.to_string()))
        .collect();
    let named: Vec<(String, String)> = refused
        .iter()
        .map(|(c, w)| {
            let short = w.split(" (").next().unwrap_or(w);
            (c.clone(), short.to_string())
        })
        .collect();
    assert_eq!(
        named, listed,
        "the refused cases changed: update REFUSED_BY_DATAFLOW"
    );
}

/// Runs a case (`dalil [ENGINE ARGS] --facts input.dl --format csv run program.dl` in its
/// folder): the output, its standard output without the status column, its standard error.
fn run_case(case: &std::path::Path, engine: &[&str]) -> (std::process::Output, String, String) {
    let mut args = engine.to_vec();
    args.extend([
        "--facts",
        "input.dl",
        "--format",
        "csv",
        "run",
        "program.dl",
    ]);
    let out = dalil_in(case, &args);
    let stdout = without_status(&String::from_utf8_lossy(&out.stdout));
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    (out, stdout, stderr)
}
