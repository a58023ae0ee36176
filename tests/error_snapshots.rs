//! Error snapshots: every `tests/errors/NAME.dl` (a hostile or mistaken input) is run by the real
//! binary, without colour, and what it prints is compared with `NAME.out` beside it. A new case
//! is a new pair of files, no new code.
//! `UPDATE_SNAPSHOTS=1 cargo test --test error_snapshots` rewrites the `.out` files.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Runs `dalil run NAME.dl` in tests/errors and lays out what it printed: standard output, then
/// standard error and the exit code when there are any.
fn run_case(path: &Path) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_dalil"))
        .arg("run")
        .arg(path.file_name().expect("file name"))
        .current_dir(path.parent().expect("parent dir"))
        .env("NO_COLOR", "1")
        .env_remove("DALIL_HISTORY")
        .output()
        .expect("run dalil");
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !stderr.is_empty() {
        text.push_str("--- stderr ---\n");
        text.push_str(&stderr);
    }
    match out.status.code() {
        Some(0) => {}
        Some(code) => text.push_str(&format!("--- exit {code} ---\n")),
        None => text.push_str("--- killed by a signal ---\n"),
    }
    text
}

fn cases() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/errors");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&root)
        .expect("tests/errors")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "dl"))
        .collect();
    files.sort();
    files
}

#[test]
fn error_reports_match_their_snapshots() {
    let update = std::env::var_os("UPDATE_SNAPSHOTS").is_some();
    let mut failures = Vec::new();
    let files = cases();
    assert!(!files.is_empty(), "no cases in tests/errors");
    for case in files {
        let actual = run_case(&case);
        // Whatever the input, the program ends by itself: never a panic (101) or a signal.
        assert!(
            !actual.contains("--- exit 101 ---") && !actual.contains("--- killed"),
            "{} crashed:\n{actual}",
            case.display()
        );
        let expected_path = case.with_extension("out");
        if update {
            std::fs::write(&expected_path, &actual).expect("write .out");
            continue;
        }
        let expected = std::fs::read_to_string(&expected_path).unwrap_or_default();
        if expected != actual {
            failures.push(format!(
                "{}:\n--- expected ---\n{expected}\n--- actual ---\n{actual}",
                case.display()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{}\n\n(run `UPDATE_SNAPSHOTS=1 cargo test --test error_snapshots` to accept)",
        failures.join("\n\n")
    );
}

/// No report shows a colour code when colour is off, nor an internal name.
#[test]
fn reports_are_plain_and_in_words() {
    for case in cases() {
        let text = run_case(&case);
        assert!(!text.contains('\x1b'), "{}: colour codes", case.display());
        for internal in ["Rule::", "kw_", "EOI", "rule_", "positives", "Some(", "None"] {
            assert!(
                !text.contains(internal),
                "{}: shows `{internal}`:\n{text}",
                case.display()
            );
        }
    }
}
