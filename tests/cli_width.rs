//! Output fitted to a width: `why` trees wrapped by whole words under their own branch when
//! `COLUMNS` gives a width (as a terminal would), and left as they are when nothing does.

use std::process::Command;
use unicode_width::UnicodeWidthStr;

/// `dalil -c STATEMENT` with `COLUMNS` set to `columns` (or unset), standard output piped.
fn run(statement: &str, columns: Option<usize>) -> String {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_dalil"));
    cmd.args(["-c", statement])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .env_remove("COLUMNS");
    if let Some(c) = columns {
        cmd.env("COLUMNS", c.to_string());
    }
    let out = cmd.output().expect("run dalil");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

/// The tree drawing at the start of a line (bars, branches and the spaces between them).
fn drawing(line: &str) -> &str {
    let text = line.trim_start_matches(['│', '├', '└', '─', ' ']);
    &line[..line.len() - text.len()]
}

fn is_branch(line: &str) -> bool {
    drawing(line).contains('─')
}

/// The words of a tree, without its drawing.
fn words(tree: &str) -> Vec<String> {
    tree.lines()
        .flat_map(|l| l[drawing(l).len()..].split_whitespace())
        .map(str::to_string)
        .collect()
}

/// A tree with branches side by side (`├─`) and long facts under them.
const STATEMENT: &str = "why took_place_in where region = \"Europe\"";

#[test]
fn without_a_width_a_why_tree_is_not_wrapped() {
    let tree = run(STATEMENT, None);
    assert!(
        tree.lines().any(|l| l.width() > 60),
        "the test needs a line wider than 60 columns:\n{tree}"
    );
    // Every line but the first is a branch: nothing was wrapped.
    for tree in tree.split("\n\n") {
        assert!(tree.lines().skip(1).all(is_branch), "{tree}");
    }
}

#[test]
fn a_narrow_width_wraps_a_why_tree_by_words_under_its_branches() {
    let wide = run(STATEMENT, None);
    let narrow = run(STATEMENT, Some(60));
    for line in narrow.lines() {
        assert!(
            line.width() <= 60,
            "wider than 60 columns: {line:?}\n{narrow}"
        );
    }
    // The same words in the same order, none cut: only the lines are broken.
    assert_eq!(words(&wide), words(&narrow));
    // The same branches, in the same order.
    let branches = |t: &str| -> Vec<String> {
        t.lines()
            .filter(|l| is_branch(l))
            .map(|l| drawing(l).to_string())
            .collect()
    };
    assert_eq!(branches(&wide), branches(&narrow));
    assert!(narrow.lines().count() > wide.lines().count(), "{narrow}");
    // A continuation line sits under its own branch: `├─ ` goes on as `│  `, `└─ ` as
    // spaces, and the bars of the levels above are kept.
    let mut above = "";
    let mut bars_kept = false;
    for line in narrow.lines() {
        if line.is_empty() {
            // The next tree.
            above = "";
            continue;
        }
        if is_branch(line) {
            above = drawing(line);
            continue;
        }
        let expected = above.replace("├─", "│ ").replace("└─", "  ");
        assert_eq!(
            drawing(line),
            expected,
            "{line:?} under {above:?}\n{narrow}"
        );
        bars_kept |= expected.contains('│');
    }
    assert!(
        bars_kept,
        "no continuation line under a `├─` branch:\n{narrow}"
    );
}
