//! Golden tests: every `examples/*.dl` script is run by the real binary and its output compared
//! with the `.out` file beside it. A new example is a new pair of files, no new code.
//! `UPDATE_GOLDEN=1 cargo test --test golden` rewrites the `.out` files from what the binary prints.

mod common;

use common::{run_script, scripts};

#[test]
fn examples_match_their_expected_output() {
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let mut failures = Vec::new();
    let files = scripts("examples");
    assert!(!files.is_empty(), "no examples found");
    for script in files {
        let expected_path = script.with_extension("out");
        let actual = run_script(&script, &[]);
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
