//! Golden tests: every `examples/*.dl` script is run by the real binary and its output compared
//! with the `.out` file beside it. A new example is a new pair of files, no new code.
//! `UPDATE_GOLDEN=1 cargo test --test golden` rewrites the `.out` files from what the binary prints.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Runs `dalil run FILE` without colour and renders what it printed in the `.out` layout:
/// standard output, then standard error and the exit code when there are any.
pub fn run_script(path: &Path) -> String {
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
    let code = out.status.code().unwrap_or(-1);
    if code != 0 {
        text.push_str(&format!("--- exit {code} ---\n"));
    }
    text
}

fn scripts(dir: &str) -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&root)
        .expect("examples dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "dl"))
        .collect();
    files.sort();
    files
}

#[test]
fn examples_match_their_expected_output() {
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let mut failures = Vec::new();
    let files = scripts("examples");
    assert!(!files.is_empty(), "no examples found");
    for script in files {
        let expected_path = script.with_extension("out");
        let actual = run_script(&script);
        if update {
            std::fs::write(&expected_path, &actual).expect("write .out");
            continue;
        }
        let expected = std::fs::read_to_string(&expected_path).unwrap_or_default();
        if expected != actual {
            failures.push(format!(
                "{}:\n--- expected ---\n{expected}\n--- actual ---\n{actual}",
                script.display()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
