//! Error reports and exit codes, through the real binary: the must-shows of the error reports
//! (a misspelt kind, an impossible date, a script's line number), the limits (deep nesting,
//! large and hostile inputs, runaway queries), colour only where it belongs, and the exit codes
//! (0 ok, 1 a statement failed, 2 bad usage).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn dalil() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_dalil"));
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .env_remove("DALIL_HISTORY");
    cmd
}

fn run(args: &[&str]) -> Output {
    dalil().args(args).output().expect("run dalil")
}

/// Runs with `input` on standard input.
fn run_stdin(args: &[&str], input: &[u8]) -> Output {
    let mut child = dalil()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start dalil");
    let mut stdin = child.stdin.take().expect("stdin");
    let input = input.to_vec();
    // Written from another thread, so a large input cannot block against a full stdout pipe.
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let out = child.wait_with_output().expect("wait for dalil");
    writer.join().expect("writer");
    out
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A clear ending: exit 0 or 1 (never a panic's 101, never a signal), and any report is one.
fn ends_cleanly(out: &Output, what: &str) {
    let code = out.status.code();
    assert!(
        matches!(code, Some(0) | Some(1)),
        "{what}: exit {code:?}\n{}",
        stderr(out)
    );
    let err = stderr(out);
    assert!(!err.contains("panicked"), "{what}: {err}");
    if code == Some(1) {
        assert!(err.starts_with("Error:"), "{what}: no report:\n{err}");
    }
}

/// A scratch file in the target directory, removed when dropped.
struct TempFile(PathBuf);

impl TempFile {
    fn new(name: &str, bytes: &[u8]) -> TempFile {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR"));
        let path = dir.join(format!("{}-{name}", std::process::id()));
        std::fs::write(&path, bytes).expect("write temp file");
        TempFile(path)
    }

    fn path(&self) -> &str {
        self.0.to_str().expect("utf-8 path")
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

// ─── The must-shows ─────────────────────────────────────────────────────────────────────────

#[test]
fn a_misspelt_kind_exits_1_and_suggests_the_kind_pointing_at_it() {
    let out = run(&["-c", r#"vist where partner = "US""#]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("there is no kind `vist`"), "{err}");
    assert!(err.contains("did you mean `visit`?"), "{err}");
    assert!(err.contains("<command line>:1:1"), "{err}");
    // The underline sits under the four letters of `vist`.
    assert!(err.contains(" │ ──┬─"), "{err}");
}

#[test]
fn month_13_is_explained_pointing_at_the_date() {
    let out = run(&["-c", r#"visit where partner = "US" after 2025-13-01"#]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("month 13 does not exist"), "{err}");
    assert!(err.contains("<command line>:1:34"), "{err}");
    assert!(
        err.contains("─────┬────"),
        "the ten characters of the date: {err}"
    );
    assert!(
        err.contains("months run from 01 (January) to 12 (December)"),
        "{err}"
    );
}

#[test]
fn every_wrong_date_is_explained_with_the_right_form() {
    for (date, says, help) in [
        ("2025-02-30", "February 2025 has 28 days", "2025-02-28"),
        ("2025-02-29", "2025 is not a leap year", "2025-02-28"),
        ("25-09-01", "does not have four digits", "2025-09-01"),
        ("2025/09/01", "uses `/`", "2025-09-01"),
        ("2025-9-01", "does not have two digits", "09"),
    ] {
        let out = run(&["-c", &format!("visit after {date}")]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{date}: {err}");
        assert!(err.contains(says), "{date}: {err}");
        assert!(err.contains(help), "{date}: {err}");
        assert!(
            err.contains("<command line>:1:13"),
            "{date}: not at the date: {err}"
        );
    }
}

#[test]
fn a_script_error_on_line_7_is_reported_as_file_7_col() {
    let script = TempFile::new(
        "line7.dl",
        b"# line 1\n\ncount visit;\n\n# line 5\n\nvisit where partnr = \"US\";\n",
    );
    let out = run(&["run", script.path()]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains(&format!("{}:7:13", script.path())), "{err}");
    assert!(
        err.contains(" 7 │ visit where partnr"),
        "the line number in the margin: {err}"
    );
    assert!(stdout(&out).contains("count"), "the good statement ran");
}

#[test]
fn ten_thousand_nested_parentheses_end_in_a_limit_report() {
    let text = format!(
        "visit where {}partner = \"US\"{}",
        "(".repeat(10_000),
        ")".repeat(10_000)
    );
    let out = run(&["-c", &text]);
    ends_cleanly(&out, "10 000 parentheses");
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1));
    assert!(err.contains("nested more than 128 deep"), "{err}");
    assert!(err.contains("--max-depth"), "{err}");
    assert!(
        err.lines().all(|l| l.chars().count() < 400),
        "long lines are cut: {err}"
    );
}

#[test]
fn ten_thousand_nested_nots_end_in_a_limit_report() {
    let text = format!("visit where {}partner = \"US\"", "not ".repeat(10_000));
    let out = run(&["-c", &text]);
    ends_cleanly(&out, "10 000 `not`");
    assert!(stderr(&out).contains("nested more than 128 deep"));
}

#[test]
fn the_depth_limit_can_be_raised() {
    let text = format!(
        "count visit where {}partner = \"US\"{}",
        "(".repeat(200),
        ")".repeat(200)
    );
    assert_eq!(run(&["-c", &text]).status.code(), Some(1));
    let out = run(&["--max-depth", "300", "-c", &text]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains('1'));
}

#[test]
fn an_empty_input_is_fine() {
    for args in [&["-c", ""][..], &["-c", "  ;; # nothing\n"]] {
        let out = run(args);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        assert!(stderr(&out).is_empty());
    }
    let out = run_stdin(&[], b"");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn a_one_megabyte_input_ends_cleanly() {
    // One long query, one long text, and a megabyte of mistakes.
    let query = format!(
        "count visit where {}",
        vec!["partner = \"US\""; 70_000].join(" or ")
    );
    assert!(query.len() > 1 << 20);
    let out = run_stdin(&[], query.as_bytes());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = format!("visit where purpose = \"{}\"", "x".repeat(1 << 20));
    ends_cleanly(&run_stdin(&[], text.as_bytes()), "a 1 MB text");
    // (A megabyte of one-character mistakes works too, but takes a minute in a debug build:
    // each of its 100 000 reports is rendered.)
    let junk = format!("visit where partner == \"{}\" and ; ", "x".repeat(1000)).repeat(1050);
    let out = run_stdin(&[], junk.as_bytes());
    ends_cleanly(&out, "a megabyte of mistakes");
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn an_input_over_max_input_is_refused_with_the_flag_named() {
    let out = run(&["--max-input", "100", "-c", &"visit; ".repeat(100)]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("more than the limit of 100 bytes"), "{err}");
    assert!(err.contains("--max-input"), "{err}");
    // The limit is for what the user gives, not for the embedded fact base.
    let out = run(&["--max-input", "100", "-c", "count visit"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // It holds for a fact file given with --facts too (read before anything else).
    let dir = tempfile::tempdir().expect("temporary directory");
    let facts = dir.path().join("many.dl");
    let text = "kind pair (a: number, b: number);\n".to_string()
        + &(0..20)
            .map(|i| format!("pair({i}, {i});\n"))
            .collect::<String>();
    std::fs::write(&facts, text).expect("write facts");
    let path = facts.to_str().expect("a UTF-8 path");
    let out = run(&["--max-input", "100", "--facts", path, "-c", "count pair"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("--max-input"), "{}", stderr(&out));
    let out = run(&["--max-input", "1000", "--facts", path, "-c", "count pair"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn random_bytes_end_cleanly() {
    // A fixed pseudo-random sequence (xorshift), so a failure can be replayed.
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    for round in 0..20 {
        let bytes: Vec<u8> = (0..4096)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x >> 24) as u8
            })
            .collect();
        let out = run_stdin(&[], &bytes);
        ends_cleanly(&out, &format!("random bytes, round {round}"));
        // As text: the same bytes made valid UTF-8.
        let text = String::from_utf8_lossy(&bytes)
            .replace(":save", "")
            .replace(":load", "");
        let out = run_stdin(&[], text.as_bytes());
        ends_cleanly(&out, &format!("random text, round {round}"));
    }
}

#[test]
fn a_file_that_is_not_utf8_is_reported_with_the_place() {
    let file = TempFile::new("bytes.dl", b"visit;\n\xff\xfe visit");
    let out = run(&["run", file.path()]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("is not UTF-8 text"), "{err}");
}

#[test]
fn a_missing_file_is_reported_and_exits_1() {
    let out = run(&["run", "no/such/file.dl"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.starts_with("Error:") && err.contains("no/such/file.dl"),
        "{err}"
    );
}

// ─── Runaway queries ────────────────────────────────────────────────────────────────────────

#[test]
fn a_query_over_max_rows_stops_with_a_report_and_the_next_statement_runs() {
    let out = run(&["--max-rows", "1", "-c", "visit; count visit"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("stopped after producing 1 row"), "{err}");
    assert!(err.contains("--max-rows"), "{err}");
    assert!(stdout(&out).contains("count"), "the next statement ran");
}

/// 36 entities to the fourth power: 1.7 million rows, which only a limit stops in time.
const RUNAWAY: &str = "big(a: ?x, b: ?y, c: ?z, d: ?w) :- entity(id: ?x), entity(id: ?y), \
                       entity(id: ?z), entity(id: ?w); count big; count visit";

#[test]
fn a_runaway_rule_stops_at_the_row_limit_and_the_next_statement_runs() {
    let out = run(&["--max-rows", "5000", "-c", RUNAWAY]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    // The report names the rule that grew, not the query that asked for it.
    assert!(
        err.contains(" was stopped: its kind `big` grew past the row limit (5000 rows)"),
        "{err}"
    );
    assert!(stdout(&out).contains("count"), "the next statement ran");
}

/// 36 entities to the fifth power: 60 million rows, far more than a second's work.
const LONGER_RUNAWAY: &str = "big(a: ?x, b: ?y, c: ?z, d: ?w, e: ?v) :- entity(id: ?x), \
                              entity(id: ?y), entity(id: ?z), entity(id: ?w), entity(id: ?v); \
                              count big; count visit";

#[test]
fn a_runaway_rule_stops_at_the_timeout() {
    let started = std::time::Instant::now();
    // Limits on rows and memory far out of reach: only the timeout can stop it.
    let out = run(&[
        "--timeout",
        "1",
        "--max-rows",
        "1000000000",
        "--max-memory",
        "20000",
        "-c",
        LONGER_RUNAWAY,
    ]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    // The report names the rule the time went into (timing-dependent, so not a snapshot).
    assert!(
        err.contains(" was stopped: its kind `big` was still growing after 1 second"),
        "{err}"
    );
    assert!(err.contains("--timeout"), "{err}");
    assert!(started.elapsed().as_secs() < 30);
}

// ─── Colour ─────────────────────────────────────────────────────────────────────────────────

fn has_ansi(text: &str) -> bool {
    text.contains('\x1b')
}

#[test]
fn colour_is_off_when_piped_with_no_color_and_with_never() {
    let bad = ["-c", "vist"];
    // Piped (not a terminal): plain even without NO_COLOR.
    let out = dalil()
        .env_remove("NO_COLOR")
        .args(bad)
        .output()
        .expect("run");
    assert!(!has_ansi(&stderr(&out)), "{}", stderr(&out));
    let out = run(&["--color", "never", "-c", "vist"]);
    assert!(!has_ansi(&stderr(&out)));
    let out = run(&["-c", "vist"]);
    assert!(!has_ansi(&stderr(&out)));
}

#[test]
fn colour_always_forces_it_even_with_no_color() {
    let out = run(&["--color", "always", "-c", "vist"]);
    let err = stderr(&out);
    assert!(has_ansi(&err), "{err}");
    // The same report, with the colour codes taken out, is the plain one — also for errors
    // far down a script, where the margin grows to fit the line numbers.
    let plain = stderr(&run(&["--color", "never", "-c", "vist"]));
    assert_eq!(strip_ansi(&err), plain);
    let script = TempFile::new(
        "colour.dl",
        format!(
            "{}vist;\n{}visit where partnr = 1;\n",
            "\n".repeat(11),
            "\n".repeat(90)
        )
        .as_bytes(),
    );
    let coloured = stderr(&run(&["--color", "always", "run", script.path()]));
    let plain = stderr(&run(&["--color", "never", "run", script.path()]));
    assert!(has_ansi(&coloured) && !has_ansi(&plain));
    assert!(
        plain.contains(" 12 │ vist;") && plain.contains(" 103 │ visit"),
        "{plain}"
    );
    assert_eq!(strip_ansi(&coloured), plain);
}

fn strip_ansi(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find('\x1b') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        rest = rest.find('m').map_or("", |m| &rest[m + 1..]);
    }
    out.push_str(rest);
    out
}

// ─── Exit codes ─────────────────────────────────────────────────────────────────────────────

#[test]
fn exit_codes_say_ok_failed_or_bad_usage() {
    assert_eq!(run(&["-c", "count visit"]).status.code(), Some(0));
    assert_eq!(run(&["-c", "vist"]).status.code(), Some(1));
    // One failed statement among good ones is still a failure.
    assert_eq!(
        run(&["-c", "count visit; vist; count visit"]).status.code(),
        Some(1)
    );
    for (args, says) in [
        (&["--bogus"][..], "--bogus"),
        (&["run"], "FILE"),
        (&["check"], "FILE"),
        (&["--format", "xml", "-c", "visit"], "xml"),
        (&["--color", "sometimes", "-c", "visit"], "sometimes"),
        (&["--max-depth", "deep", "-c", "visit"], "deep"),
        (&["-c"], "-c"),
    ] {
        let out = run(args);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.starts_with("Error:") && err.contains(says),
            "{args:?}: {err}"
        );
        assert!(
            err.contains("--help"),
            "{args:?} points to the usage: {err}"
        );
    }
}

#[test]
fn a_bare_exit_or_help_in_a_script_points_to_the_meta_command() {
    let out = run(&["-c", "exit"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("there is no kind `exit`"), "{err}");
    assert!(err.contains("write `:quit`"), "{err}");
    let out = run(&["-c", "help"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("write `:help`"), "{err}");
}
