//! Error snapshots: every `tests/errors/NAME.dl` (a hostile or mistaken input) is run by the real
//! binary, without colour, and what it prints is compared with `NAME.out` beside it. A new case
//! is a new pair of files, no new code.
//! A case that needs flags names them on its first line: `# args: --max-rows 100`.
//! `UPDATE_SNAPSHOTS=1 cargo test --test error_snapshots` rewrites the `.out` files.

mod common;

use std::path::Path;

/// Runs `dalil [ARGS] run NAME.dl` in tests/errors, laid out like a golden file.
fn run_case(path: &Path) -> String {
    let first_line = std::fs::read(path)
        .ok()
        .and_then(|b| {
            let line = b.split(|&c| c == b'\n').next()?.to_vec();
            String::from_utf8(line).ok()
        })
        .unwrap_or_default();
    let args: Vec<&str> = first_line
        .strip_prefix("# args:")
        .map_or(vec![], |a| a.split_whitespace().collect());
    common::run_script(path, &args)
}

#[test]
fn error_reports_match_their_snapshots() {
    let update = std::env::var_os("UPDATE_SNAPSHOTS").is_some();
    let mut failures = Vec::new();
    let files = common::scripts("tests/errors");
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
    for case in common::scripts("tests/errors") {
        let text = run_case(&case);
        assert!(!text.contains('\x1b'), "{}: colour codes", case.display());
        for internal in [
            "Rule::",
            "kw_",
            "EOI",
            "rule_",
            "positives",
            "Some(",
            "None",
        ] {
            assert!(
                !text.contains(internal),
                "{}: shows `{internal}`:\n{text}",
                case.display()
            );
        }
    }
}

/// The reports shown in docs/ERRORS.md (each after a `<!-- case: NAME -->` line) are the ones
/// the binary prints for tests/errors/NAME.dl, and every case the catalogue names exists.
#[test]
fn the_documented_reports_are_the_real_ones() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let doc = std::fs::read_to_string(root.join("docs/ERRORS.md")).expect("docs/ERRORS.md");
    let trimmed = |text: &str| {
        text.lines()
            .map(str::trim_end)
            .collect::<Vec<_>>()
            .join("\n")
    };
    let mut checked = 0;
    for part in doc.split("<!-- case: ").skip(1) {
        let (name, rest) = part.split_once(" -->").expect("case marker");
        let block = rest
            .split_once("```text\n")
            .and_then(|(_, b)| b.split_once("```"))
            .map(|(b, _)| b)
            .expect("a text block after the case marker");
        let out = run_case(&root.join("tests/errors").join(format!("{name}.dl")));
        let stderr = out
            .split_once("--- stderr ---\n")
            .map_or("", |(_, e)| e)
            .split("--- exit")
            .next()
            .unwrap_or("");
        assert_eq!(
            trimmed(block),
            trimmed(stderr),
            "docs/ERRORS.md, case {name}"
        );
        checked += 1;
    }
    assert!(checked >= 3, "no documented cases found");
    for name in doc.split('`').filter(|w| {
        [
            "syntax-", "name-", "type-", "date-", "decl-", "rule-", "limit-",
        ]
        .iter()
        .any(|p| w.starts_with(p))
            && !w.contains(' ')
    }) {
        assert!(
            root.join("tests/errors")
                .join(format!("{name}.dl"))
                .exists(),
            "docs/ERRORS.md names a case `{name}` that tests/errors does not have"
        );
    }
}
