//! docs/GUIDE.md (and docs/OWN-ARTICLE.md) are executable: every ```dalil block in them is run
//! by the real binary and what it prints is compared with the ```text block right after it, so a
//! guide that lies fails the build. The convention (also written at the top of the guide):
//!
//! - ```dalil + ```text: an example and its exact output (standard output and standard error, in
//!   the order they are written). Each block runs on its own, as a script on standard input, on
//!   the article's fact base.
//! - ```dalil facts=PATH: the same, on the fact file PATH (relative to the repository) instead;
//!   `facts=A,B` loads several files, in that order.
//! - ```dalil echo: the same, run with `--echo` (each statement shown before its result).
//! - ```dalil no-run: a fragment (a pattern, part of a statement) that is shown but not run.
//! - a runnable ```dalil block with no ```text block after it must print nothing.
//!
//! Times (`0.123 ms`) vary from run to run and are compared as `# ms`; blank lines at the end of
//! an output are not shown.
//! `UPDATE_GUIDE=1 cargo test --test guide` rewrites every output block from the real output
//! (inserting the missing ones); read the diff before keeping it.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

/// One ```dalil block: where it is, what it runs on, and where its output block is.
struct Example {
    /// 1-based line of the opening fence, for messages.
    line: usize,
    code: String,
    facts: Option<String>,
    /// Run with `--echo`: each statement is shown before its result.
    echo: bool,
    run: bool,
    /// Lines of the output block's contents (between its fences), when there is one.
    output: Option<(usize, usize)>,
    /// Line after the closing fence of the code block (where a missing output block goes).
    after: usize,
}

fn fence_info(line: &str) -> Option<&str> {
    line.trim_end().strip_prefix("```")
}

/// Finds the closing fence of the block opened at `open`; returns its index.
fn closing(lines: &[&str], open: usize) -> usize {
    (open + 1..lines.len())
        .find(|&i| lines[i].trim_end() == "```")
        .unwrap_or_else(|| panic!("GUIDE.md:{}: block never closed", open + 1))
}

fn examples(lines: &[&str]) -> Vec<Example> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let Some(info) = fence_info(lines[i]) else {
            i += 1;
            continue;
        };
        let end = closing(lines, i);
        let mut words = info.split_whitespace();
        if words.next() != Some("dalil") {
            i = end + 1;
            continue;
        }
        let mut ex = Example {
            line: i + 1,
            code: lines[i + 1..end].join("\n") + "\n",
            facts: None,
            echo: false,
            run: true,
            output: None,
            after: end + 1,
        };
        for w in words {
            match w.split_once('=') {
                Some(("facts", path)) => ex.facts = Some(path.to_string()),
                _ if w == "no-run" => ex.run = false,
                _ if w == "echo" => ex.echo = true,
                _ => panic!("GUIDE.md:{}: unknown block attribute `{w}`", i + 1),
            }
        }
        // The output block: the next fence, with only blank lines between.
        let mut j = end + 1;
        while j < lines.len() && lines[j].trim().is_empty() {
            j += 1;
        }
        if j < lines.len() && fence_info(lines[j]) == Some("text") {
            let close = closing(lines, j);
            ex.output = Some((j + 1, close));
            i = close + 1;
        } else {
            i = end + 1;
        }
        out.push(ex);
    }
    out
}

/// What the binary prints for an example, standard output and standard error together in the
/// order they were written (as on a terminal).
fn run(root: &Path, ex: &Example) -> String {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_dalil"));
    if let Some(files) = &ex.facts {
        for f in files.split(',') {
            cmd.arg("--facts").arg(f);
        }
    }
    if ex.echo {
        cmd.arg("--echo");
    }
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("guide-{}.out", ex.line));
    let file = std::fs::File::create(&path).expect("create the output file");
    let mut child = cmd
        .current_dir(root)
        .env("NO_COLOR", "1")
        .env_remove("DALIL_HISTORY")
        // Output is fitted to `COLUMNS` when it is set: the examples are written unfitted.
        .env_remove("COLUMNS")
        .stdin(Stdio::piped())
        .stdout(file.try_clone().expect("clone the output file"))
        .stderr(file)
        .spawn()
        .expect("run dalil");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(ex.code.as_bytes())
        .expect("write the example");
    child.wait().expect("wait for dalil");
    let text = std::fs::read(&path).expect("read the output file");
    let _ = std::fs::remove_file(&path);
    String::from_utf8_lossy(&text).into_owned()
}

/// The text as compared: durations written as `# ms`, so that timings compare equal, and
/// without the blank lines at the end (a table is followed by one; a block cannot show it).
fn comparable(text: &str) -> String {
    without_times(text.trim_end_matches('\n'))
}

fn without_times(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find(" ms") {
        let head = &rest[..i];
        let digits = head
            .trim_end_matches(|c: char| c.is_ascii_digit() || c == '.')
            .len();
        out.push_str(&head[..digits]);
        if digits < head.len() {
            out.push('#');
        }
        out.push_str(" ms");
        rest = &rest[i + 3..];
    }
    out.push_str(rest);
    out
}

/// The expected output as written: the block's lines, each ending in a newline.
fn written(lines: &[&str], (from, to): (usize, usize)) -> String {
    lines[from..to].iter().map(|l| format!("{l}\n")).collect()
}

/// Runs every example of `doc` (relative to the repository); in update mode rewrites its
/// outputs. Returns the failures, and how many examples ran.
fn check_doc(doc: &str, update: bool) -> (Vec<String>, usize) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let path = root.join(doc);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{doc}: {e}"));
    let lines: Vec<&str> = text.lines().collect();
    let found = examples(&lines);
    // (range of lines to replace, new lines), applied from the end.
    let mut edits: Vec<((usize, usize), String)> = Vec::new();
    let mut failures = Vec::new();
    let mut ran = 0;
    for ex in found.iter().filter(|e| e.run) {
        ran += 1;
        let actual = run(root, ex);
        let expected = ex.output.map(|o| written(&lines, o)).unwrap_or_default();
        if comparable(&actual) == comparable(&expected) {
            continue;
        }
        if update {
            let body = actual.trim_end_matches('\n');
            match ex.output {
                Some(range) => edits.push((range, format!("{body}\n"))),
                None => edits.push(((ex.after, ex.after), format!("```text\n{body}\n```\n"))),
            }
        } else {
            failures.push(format!(
                "{doc}:{}:\n{}--- the doc shows ---\n{expected}--- dalil prints ---\n{actual}",
                ex.line, ex.code
            ));
        }
    }
    if update && !edits.is_empty() {
        let mut new: Vec<String> = lines.iter().map(|l| format!("{l}\n")).collect();
        edits.sort_by_key(|e| std::cmp::Reverse(e.0.0));
        for ((from, to), text) in edits {
            new.splice(from..to, [text]);
        }
        std::fs::write(&path, new.concat()).unwrap_or_else(|e| panic!("rewrite {doc}: {e}"));
    }
    (failures, ran)
}

#[test]
fn every_example_in_the_docs_prints_what_the_docs_show() {
    let update = std::env::var_os("UPDATE_GUIDE").is_some();
    let mut failures = Vec::new();
    for (doc, at_least) in [("docs/GUIDE.md", 40), ("docs/OWN-ARTICLE.md", 3)] {
        let (f, ran) = check_doc(doc, update);
        assert!(ran >= at_least, "{doc}: only {ran} examples ran");
        failures.extend(f);
    }
    assert!(
        failures.is_empty(),
        "{} example(s) differ (UPDATE_GUIDE=1 cargo test --test guide rewrites them):\n\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn a_wrong_output_is_caught() {
    let lines = [
        "```dalil",
        "count visit",
        "```",
        "```text",
        " count",
        "───────",
        "     3",
        "```",
    ];
    let ex = &examples(&lines)[0];
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let shown = written(&lines, ex.output.expect("an output block"));
    let actual = run(root, ex);
    assert_ne!(comparable(&actual), comparable(&shown));
    assert_eq!(comparable(&actual), " count\n───────\n     2\n(1 row)");
}

#[test]
fn the_convention_is_understood() {
    let md = "intro\n```dalil\nvisit\n```\n\n```text\nrows\n```\n```dalil no-run\nx\n```\n\
              ```dalil facts=f.dl\ny\n```\n```sh\nls\n```\n";
    let lines: Vec<&str> = md.lines().collect();
    let ex = examples(&lines);
    assert_eq!(ex.len(), 3);
    assert_eq!(
        (ex[0].code.as_str(), ex[0].output),
        ("visit\n", Some((6, 7)))
    );
    assert!(!ex[1].run);
    assert_eq!(ex[2].facts.as_deref(), Some("f.dl"));
    assert_eq!(ex[2].output, None);
    assert_eq!(
        without_times("a 0.123 ms, b 12 ms, 3 rows\n"),
        "a # ms, b # ms, 3 rows\n"
    );
}
