//! Runaway rules, through the real binary: a rule whose kind grows without end is stopped
//! within the memory budget, the report names the rule (not the query that asked), the rule is
//! set aside (`:rules` says so, `:save` comments it out, `:drop` removes it), and the session
//! goes on answering.

use std::process::{Command, Output};

fn dalil(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dalil"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .env_remove("DALIL_HISTORY")
        .args(args)
        .output()
        .expect("run dalil")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Every five-tuple of the article's entities: 36^5 ≈ 60 million rows.
const CROSS: &str = "pair(a: ?x, b: ?y, c: ?z, d: ?w, e: ?v) :- entity(id: ?x), entity(id: ?y), \
                     entity(id: ?z), entity(id: ?w), entity(id: ?v);";

/// The most memory any child of this test process has used, in bytes.
#[cfg(unix)]
fn peak_child_memory() -> u64 {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage writes a whole `rusage` into the pointer it is given.
    let usage = unsafe {
        assert_eq!(
            libc::getrusage(libc::RUSAGE_CHILDREN, usage.as_mut_ptr()),
            0
        );
        usage.assume_init()
    };
    // Linux reports kilobytes.
    usage.ru_maxrss as u64 * 1024
}

#[test]
fn a_cross_product_rule_is_stopped_named_and_set_aside() {
    let script = format!("{CROSS}\ncount pair;\nwithin where inner = \"Stuttgart\";\n:rules");
    let out = dalil(&["-c", &script]);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    // The report names the rule and its kind, shows its newest rows and how to remove it.
    assert!(
        stderr.contains(" was stopped: its kind `pair` grew past the memory budget"),
        "{stderr}"
    );
    assert!(stderr.contains("its newest rows: pair(a: "), "{stderr}");
    assert!(stderr.contains("remove it with `:drop "), "{stderr}");
    assert!(!stderr.contains("this query"), "{stderr}");
    // The session goes on: the next query over a derived kind answers.
    assert!(stdout.contains("Stuttgart │ Germany"), "{stdout}");
    // `:rules` shows the rule set aside.
    assert!(
        stdout.contains("(disabled: stopped by the memory budget"),
        "{stdout}"
    );
    #[cfg(unix)]
    {
        let peak = peak_child_memory();
        assert!(peak < 1 << 30, "peak memory {} MB", peak >> 20);
    }
}

#[test]
fn a_rule_set_aside_is_dropped_or_entered_again() {
    let script = format!(
        "{CROSS}\ncount pair;\n:drop pair\n:rules\ncount within;\n{}\ncount pair",
        "pair(a: ?x, b: ?x, c: ?x, d: ?x, e: ?x) :- entity(id: ?x, type: \"country\");"
    );
    let out = dalil(&["--max-rows", "100000", "-c", &script]);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(
        stderr.contains("its kind `pair` grew past the row limit (100000 rows)"),
        "{stderr}"
    );
    assert!(stderr.contains("dropped 1 rule"), "{stderr}");
    assert!(!stdout.contains("disabled"), "{stdout}");
    // A narrower rule for the same kind answers.
    assert!(stdout.contains(" count\n───────\n    17\n"), "{stdout}");
    assert!(!stdout.contains("pair(a: ?x, b: ?y"), "{stdout}");
}

#[test]
fn save_writes_a_rule_set_aside_as_a_comment() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("s.dl");
    let script = format!("{CROSS}\ncount pair;\n:save {}", path.to_string_lossy());
    let out = dalil(&["--max-rows", "1000", "-c", &script]);
    assert!(
        text(&out.stderr).contains("saved to"),
        "{}",
        text(&out.stderr)
    );
    let saved = std::fs::read_to_string(&path).expect("saved file");
    assert!(
        saved.contains("# set aside (stopped by the row limit (1000 rows)):\n# pair(a: ?x"),
        "{saved}"
    );
    // The file loads on its own, without the rule.
    let out = dalil(&["--facts", &path.to_string_lossy(), "-c", "count within"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

#[test]
fn a_rule_still_growing_when_the_clock_runs_out_is_set_aside() {
    // One new number a round: no limit on rows or memory comes near, the clock does.
    let script = "kind zero(n: number); zero(n: 0);\n\
                  nat(n: ?n + 1) :- nat(n: ?n);\n\
                  nat(n: ?n) :- zero(n: ?n);\n\
                  count nat;\n\
                  count within;\n\
                  count nat";
    let out = dalil(&["--timeout", "1", "-c", script]);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(
        stderr.contains(" was stopped: its kind `nat` was still growing after 1 second"),
        "{stderr}"
    );
    assert!(stderr.contains("its newest rows: nat(n: "), "{stderr}");
    // The next queries answer: `within` in full, `nat` without the rule, and says so.
    assert!(stdout.contains("    17\n"), "{stdout}");
    assert!(stdout.contains("     1\n"), "{stdout}");
    assert!(stderr.contains("of `nat` is set aside"), "{stderr}");
}

#[test]
fn a_rule_dividing_by_zero_is_set_aside_and_the_next_derived_query_answers() {
    let out = dalil(&[
        "-c",
        "ratio(r: ?n / (?n - 9)) :- ?n = days_between(2025-09-14, 2025-09-23);\n\
         count within;\ncount within;\n:rules",
    ]);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_ne!(out.status.code(), Some(0));
    assert_eq!(
        stderr
            .matches("division by zero: 9 / 0, in rule 45")
            .count(),
        1,
        "{stderr}"
    );
    assert!(stderr.contains("rule 45 is set aside"), "{stderr}");
    // The second `count within` answers without the rule.
    assert!(stdout.contains(" count\n"), "{stdout}");
    assert!(
        stdout.contains("(disabled: stopped by an expression with no value; `:drop 45`"),
        "{stdout}"
    );
}
