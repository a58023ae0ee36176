//! `--stop-on-error` (`-e`): a script stops at its first failed statement, like `set -e`. By
//! default a script goes on after a failed statement and exits 1 at the end. Runs the real
//! binary on tests/fixtures/query-typo.dl (a typo in the second of three statements).

mod common;

use common::dalil;
use std::io::Write;
use std::process::{Command, Stdio};

const TYPO: &str = "tests/fixtures/query-typo.dl";
const CLEAN: &str = "tests/fixtures/query-visit.dl";

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// How many `count` results a run printed.
fn counts(stdout: &str) -> usize {
    stdout.matches("(1 row)").count()
}

#[test]
fn by_default_a_script_goes_on_after_a_failed_statement_and_exits_1() {
    let out = dalil(&["run", TYPO]);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("there is no kind `vist`"), "{stderr}");
    assert_eq!(counts(&stdout), 2, "both counts run:\n{stdout}");
}

#[test]
fn stop_on_error_stops_at_the_first_failed_statement() {
    for flag in ["--stop-on-error", "-e"] {
        let out = dalil(&[flag, "run", TYPO]);
        let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert!(stderr.contains("there is no kind `vist`"), "{stderr}");
        assert_eq!(counts(&stdout), 1, "only the first count runs:\n{stdout}");
    }
}

#[test]
fn stop_on_error_does_not_run_the_next_file() {
    // The clean file's second statement lists the US visit.
    let out = dalil(&["run", "-e", TYPO, CLEAN]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    assert_eq!(counts(&stdout), 1, "{stdout}");
    assert!(!stdout.contains("us_visit_2025_09_14"), "{stdout}");
    let out = dalil(&["run", TYPO, CLEAN]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("us_visit_2025_09_14"),
        "the second file ran:\n{stdout}"
    );
}

#[test]
fn stop_on_error_stops_a_script_from_standard_input() {
    let script =
        std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(TYPO))
            .expect("fixture");
    for (args, runs) in [(vec!["-e"], 1), (vec![], 2)] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_dalil"))
            .args(&args)
            .env("NO_COLOR", "1")
            .env_remove("DALIL_HISTORY")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run dalil");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(script.as_bytes())
            .expect("write");
        let out = child.wait_with_output().expect("wait");
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert_eq!(counts(&text(&out.stdout)), runs, "{args:?}");
    }
}

#[test]
fn a_clean_script_exits_0_with_stop_on_error() {
    let out = dalil(&["-e", "run", CLEAN]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}
