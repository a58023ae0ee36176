//! The prompt through a real pseudo-terminal: the built binary is started in a pty (so it sees a
//! terminal even in CI), keys are typed, and what it prints is read back. History goes to a file
//! in a temporary directory, and `NO_COLOR=1` keeps escape codes out of the way.
#![cfg(unix)]

use rexpect::session::{Options, PtySession, spawn_with_options};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;
use tempfile::TempDir;

const PROMPT: &str = "dalil> ";
const TIMEOUT_MS: u64 = 30_000;

/// A running prompt, with its own directory for history and files.
struct Repl {
    pty: PtySession,
    dir: TempDir,
}

impl Repl {
    fn start(args: &[&str]) -> Repl {
        Repl::start_in(TempDir::new().expect("temp dir"), args)
    }

    fn start_in(dir: TempDir, args: &[&str]) -> Repl {
        let cwd = dir.path().to_path_buf();
        Repl::start_at(dir, &cwd, args, &[("NO_COLOR", "1")], true)
    }

    /// A second prompt working in this one's directory (its history kept apart).
    fn start_beside(&self, args: &[&str]) -> Repl {
        let dir = TempDir::new().expect("temp dir");
        Repl::start_at(dir, self.dir.path(), args, &[("NO_COLOR", "1")], true)
    }

    /// Started with `env` besides a terminal type (and nothing else from the environment
    /// that changes the output: no `COLUMNS`, `LINES`, `PAGER` or `NO_COLOR` unless given);
    /// `strip`: escape codes are taken out of what is read back.
    fn start_with(dir: TempDir, args: &[&str], env: &[(&str, &str)], strip: bool) -> Repl {
        let cwd = dir.path().to_path_buf();
        Repl::start_at(dir, &cwd, args, env, strip)
    }

    fn start_at(
        dir: TempDir,
        cwd: &Path,
        args: &[&str],
        env: &[(&str, &str)],
        strip: bool,
    ) -> Repl {
        let mut cmd = dalil(cwd, args);
        cmd.env("DALIL_HISTORY", history(dir.path()));
        for (k, v) in env {
            cmd.env(k, v);
        }
        let options = Options::new()
            .timeout_ms(Some(TIMEOUT_MS))
            .strip_ansi_escape_codes(strip);
        let pty = spawn_with_options(cmd, options).expect("start dalil in a pty");
        let mut repl = Repl { pty, dir };
        repl.expect("Ctrl-D to leave");
        repl.expect(PROMPT);
        repl
    }

    /// Waits for `text`; returns what came before it.
    fn expect(&mut self, text: &str) -> String {
        match self.pty.exp_string(text) {
            Ok(before) => before,
            Err(e) => panic!("waiting for {text:?}: {e}"),
        }
    }

    /// Types `keys` (no Enter).
    fn type_keys(&mut self, keys: &str) {
        self.pty.send(keys).expect("send");
        self.pty.flush().expect("flush");
    }

    /// Types a line and Enter.
    fn line(&mut self, text: &str) {
        self.type_keys(&format!("{text}\r"));
    }

    /// Types a statement and returns everything it printed up to the next prompt.
    fn run(&mut self, text: &str) -> String {
        self.line(text);
        // While a line is edited the prompt is redrawn (hints, completion), never followed by
        // a new line: the statement's output starts after the first one.
        self.expect("\r\n");
        self.expect(PROMPT)
    }

    fn ctrl(&mut self, key: char) {
        self.pty.send_control(key).expect("send control key");
    }

    /// Ctrl-D, then the exit status.
    fn leave(mut self) -> (i32, TempDir) {
        self.ctrl('d');
        if let Err(e) = self.pty.exp_eof() {
            panic!("dalil did not exit on Ctrl-D: {e}");
        }
        let status = self.pty.process().wait().expect("wait");
        let code = match status {
            rexpect::process::WaitStatus::Exited(_, code) => code,
            other => panic!("dalil ended with {other:?}"),
        };
        (code, self.dir)
    }
}

/// `dalil ARGS` in `dir` on an `xterm`, with nothing from the environment that changes the
/// output (`COLUMNS`, `LINES`, `PAGER`, `NO_COLOR`).
fn dalil(dir: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_dalil"));
    cmd.args(args).current_dir(dir).env("TERM", "xterm");
    for var in ["COLUMNS", "LINES", "PAGER", "NO_COLOR"] {
        cmd.env_remove(var);
    }
    cmd
}

fn history(dir: &Path) -> PathBuf {
    dir.join("history")
}

#[test]
fn a_query_prints_its_rows_as_a_table() {
    let mut r = Repl::start(&[]);
    let out = r.run("visit where partner = \"US\" after 2025-09-01");
    assert!(out.contains("us_visit_2025_09_14"), "{out}");
    assert!(out.contains("Claude Tudor"), "{out}");
    assert!(out.contains("(1 row)"), "{out}");
    let (code, _) = r.leave();
    assert_eq!(code, 0);
}

#[test]
fn tab_completes_a_kind_then_a_field_of_that_kind() {
    let mut r = Repl::start(&[]);
    r.type_keys("vis\t");
    r.expect("visit");
    r.type_keys(" where par\t");
    r.expect("visit where partner");
    // Had completion gone wrong, this would be an error instead of the Tudor visit.
    let out = r.run(" = \"US\" after 2025-09-01");
    assert!(out.contains("us_visit_2025_09_14"), "{out}");
}

#[test]
fn tab_completes_a_field_after_where_and_a_value_in_quotes() {
    let mut r = Repl::start(&[]);
    r.type_keys("count visit where par\t = \"Wash\t");
    r.expect("count visit where partner = \"Washington\"");
    let out = r.run("");
    assert!(out.contains(" 1\r\n") || out.contains(" 1\n"), "{out}");
}

#[test]
fn an_unfinished_statement_continues_on_the_next_line() {
    let mut r = Repl::start(&[]);
    r.line("visit where");
    r.expect("...> ");
    let out = r.run("partner = \"RU\"");
    assert!(out.contains("ru_visit_2025_09_23"), "{out}");
    let (_, dir) = r.leave();
    let saved = std::fs::read_to_string(history(dir.path())).expect("history file");
    // One entry for the whole statement (rustyline writes its newline as `\n`).
    assert!(saved.contains("visit where\\npartner = \"RU\""), "{saved}");
}

#[test]
fn ctrl_c_clears_the_line_and_an_unfinished_statement() {
    let mut r = Repl::start(&[]);
    r.type_keys("visit where partner = ");
    r.ctrl('c');
    r.expect(PROMPT);
    r.line("visit where");
    r.expect("...> ");
    r.ctrl('c');
    r.expect(PROMPT);
    // Nothing of the cleared text is left to spoil the next statement.
    let out = r.run("count visit");
    assert!(out.contains("(1 row)"), "{out}");
    assert!(!out.contains("rror"), "{out}");
}

#[test]
fn ctrl_c_stops_a_running_query_and_the_session_goes_on() {
    // A rule that counts on without end (one new number a round), in a debug build or a
    // release one (the rules are typed at the prompt, so the work happens when they are first
    // queried, with Ctrl-C armed).
    let mut r = Repl::start_in(counter(), &["--facts", "zero.dl"]);
    r.run(COUNTER);
    r.line("count nat");
    std::thread::sleep(Duration::from_millis(700));
    r.ctrl('c');
    let out = r.expect(PROMPT);
    assert!(out.contains("interrupted"), "{out}");
    // The session goes on. (Not with a query: the derived kinds are still out of date, so the
    // next query would compute the closure again.)
    let out = r.run(":rules");
    assert!(out.contains("1. nat(n: ?n + 1) :- nat(n: ?n)"), "{out}");
    let (code, _) = r.leave();
    assert_eq!(code, 0);
}

#[test]
fn ctrl_d_at_the_continuation_prompt_cancels_the_statement() {
    let mut r = Repl::start(&[]);
    r.line("visit where partner = (\"US\"");
    r.expect("Ctrl-D / Ctrl-C to cancel it");
    r.expect("...> ");
    r.ctrl('d');
    r.expect("statement cancelled");
    r.expect(PROMPT);
    // Still running, and nothing of the cancelled text is left.
    let out = r.run("count visit");
    assert!(out.contains("(1 row)"), "{out}");
    assert!(!out.contains("rror"), "{out}");
    let (code, _) = r.leave();
    assert_eq!(code, 0);
}

#[test]
fn bare_exit_and_help_point_to_the_meta_commands() {
    let mut r = Repl::start(&[]);
    let out = r.run("exit");
    assert!(out.contains("`:quit`"), "{out}");
    assert!(!out.contains("no kind"), "{out}");
    let out = r.run("help");
    assert!(out.contains("`:help`"), "{out}");
    let out = r.run("\\q");
    assert!(out.contains("`:quit`"), "{out}");
    // None of them left the session.
    let out = r.run("count visit");
    assert!(out.contains("(1 row)"), "{out}");
    let (code, _) = r.leave();
    assert_eq!(code, 0);
}

#[test]
fn ctrl_d_leaves() {
    let r = Repl::start(&[]);
    let (code, _) = r.leave();
    assert_eq!(code, 0);
}

#[test]
fn history_is_written_and_read_back() {
    let mut r = Repl::start(&[]);
    r.run("count statement");
    let (_, dir) = r.leave();
    let saved = std::fs::read_to_string(history(dir.path())).expect("history file");
    assert!(saved.contains("count statement"), "{saved}");
    // A new session finds it: Up brings the statement back.
    let mut r = Repl::start_in(dir, &[]);
    r.type_keys("\x1b[A");
    r.expect("count statement");
    let out = r.run("");
    assert!(out.contains("(1 row)"), "{out}");
}

#[test]
fn an_error_is_reported_and_the_session_goes_on() {
    let mut r = Repl::start(&[]);
    let out = r.run("visit where partnr = \"US\"");
    assert!(out.contains("partnr"), "{out}");
    assert!(out.contains("partner"), "{out}");
    let out = r.run("count visit");
    assert!(out.contains("(1 row)"), "{out}");
}

#[test]
fn help_lists_the_commands() {
    let mut r = Repl::start(&[]);
    let out = r.run(":help");
    for command in [
        ":kinds", ":schema", ":rules", ":load", ":save", ":reset", ":quit",
    ] {
        assert!(out.contains(command), "{command} missing from\n{out}");
    }
    let out = r.run(":hlep");
    assert!(out.contains("did you mean `:help`"), "{out}");
}

#[test]
fn a_session_does_not_save_over_what_another_session_saved_since() {
    let mut a = Repl::start(&[]);
    a.run("kind note (text: text);");
    a.run("note(text: \"NOTE-A\");");
    let out = a.run(":save notes.dl");
    assert!(out.contains("saved to notes.dl"), "{out}");
    // B starts from the file, A saves to it again, then B tries to save its work over it.
    let mut b = a.start_beside(&["--facts", "notes.dl"]);
    a.run("note(text: \"NOTE-A2\");");
    let out = a.run(":save notes.dl");
    assert!(out.contains("saved to notes.dl"), "{out}");
    b.run("note(text: \"NOTE-B\");");
    let out = b.run(":save notes.dl");
    assert!(
        out.contains("`notes.dl` changed on disk since this session loaded or saved it"),
        "{out}"
    );
    assert!(out.contains("`:save! notes.dl`"), "{out}");
    let saved = std::fs::read_to_string(a.dir.path().join("notes.dl")).expect("saved");
    assert!(
        saved.contains("NOTE-A2") && !saved.contains("NOTE-B"),
        "{saved}"
    );
    // `:save!` overwrites; A, whose copy is now stale, is refused in turn.
    let out = b.run(":save! notes.dl");
    assert!(out.contains("saved to notes.dl"), "{out}");
    let saved = std::fs::read_to_string(a.dir.path().join("notes.dl")).expect("saved");
    assert!(saved.contains("NOTE-B"), "{saved}");
    let out = a.run(":save notes.dl");
    assert!(out.contains("changed on disk"), "{out}");
}

#[test]
fn what_is_typed_can_be_saved_and_loaded_again() {
    let mut r = Repl::start(&[]);
    r.run("kind note \"a note\" (text: text, about: entity);");
    r.run("note(text: \"typed at the prompt\", about: algeria) background \"test\";");
    r.run("noted(who: ?w) :- note(about: ?w);");
    let out = r.run(":save notes.dl");
    assert!(out.contains("saved to notes.dl"), "{out}");
    // :reset forgets them; the saved file, a whole fact base, brings them back.
    r.run(":reset");
    let out = r.run("note");
    assert!(out.contains("`note`"), "{out}");
    let (_, dir) = r.leave();
    let out = Command::new(env!("CARGO_BIN_EXE_dalil"))
        .args(["--facts", "notes.dl", "-c", "noted; note[text]"])
        .current_dir(dir.path())
        .env("NO_COLOR", "1")
        .output()
        .expect("run dalil");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("Algeria"), "{stdout}");
    assert!(stdout.contains("typed at the prompt"), "{stdout}");
}

/// A pager that marks what it was given: `PAGER-START`, the text, `PAGER-END`.
const MARKING_PAGER: &str = "sh -c 'echo PAGER-START; cat; echo PAGER-END'";

/// A prompt on a screen of 12 lines whose pager is `pager`.
fn with_pager(pager: &str) -> Repl {
    let env = [("PAGER", pager), ("LINES", "12"), ("COLUMNS", "100")];
    Repl::start_with(TempDir::new().expect("temp dir"), &[], &env, true)
}

#[test]
fn a_result_taller_than_the_screen_goes_through_the_pager() {
    let mut r = with_pager(MARKING_PAGER);
    // Short: printed as it is.
    let out = r.run("count visit");
    assert!(out.contains("(1 row)"), "{out}");
    assert!(!out.contains("PAGER-START"), "{out}");
    // Taller than 12 lines: through the pager, whole.
    let out = r.run(":help");
    let start = out
        .find("PAGER-START")
        .unwrap_or_else(|| panic!("not paged:\n{out}"));
    let end = out
        .find("PAGER-END")
        .unwrap_or_else(|| panic!("pager did not end:\n{out}"));
    let help = &out[start..end];
    assert!(help.contains(":kinds") && help.contains(":quit"), "{out}");
    // `:pager off`: never; `:pager on`: always.
    r.run(":pager off");
    let out = r.run(":help");
    assert!(
        out.contains(":kinds") && !out.contains("PAGER-START"),
        "{out}"
    );
    r.run(":pager on");
    let out = r.run("count visit");
    assert!(
        out.contains("PAGER-START") && out.contains("(1 row)"),
        "{out}"
    );
    let out = r.run(":pager");
    assert!(out.contains("pager: on"), "{out}");
    let (code, _) = r.leave();
    assert_eq!(code, 0);
}

#[test]
fn a_pager_that_cannot_start_leaves_the_result_printed() {
    let mut r = with_pager("/nonexistent/pager --flag");
    let out = r.run(":help");
    assert!(out.contains(":kinds") && out.contains(":quit"), "{out}");
    assert!(out.contains("could not be started"), "{out}");
    // Said once; the results still come.
    let out = r.run(":help");
    assert!(
        out.contains(":kinds") && !out.contains("could not be started"),
        "{out}"
    );
}

#[test]
fn an_empty_pager_means_no_pager() {
    let mut r = with_pager("");
    let out = r.run(":help");
    assert!(out.contains(":kinds") && out.contains(":quit"), "{out}");
}

#[test]
fn ctrl_c_in_the_pager_returns_to_the_prompt() {
    // A pager that shows the start and then waits, as a person reading would.
    let mut r = with_pager("sh -c 'echo PAGER-START; sleep 60'");
    r.line(":help");
    r.expect("PAGER-START");
    r.ctrl('c');
    r.expect(PROMPT);
    let out = r.run("count visit");
    assert!(out.contains("(1 row)"), "{out}");
    assert!(!out.contains("interrupted"), "{out}");
    let (code, _) = r.leave();
    assert_eq!(code, 0);
}

#[test]
fn quitting_less_returns_to_the_prompt() {
    if Command::new("less").arg("--version").output().is_err() {
        eprintln!("skipped: no `less` here");
        return;
    }
    // No PAGER: `less -FRX`, on a screen too short for `:help`; `q` leaves it.
    let env = [("LINES", "12"), ("COLUMNS", "100"), ("NO_COLOR", "1")];
    let mut r = Repl::start_with(TempDir::new().expect("temp dir"), &[], &env, true);
    r.line(":help");
    r.expect(":kinds");
    std::thread::sleep(Duration::from_millis(300));
    r.type_keys("q");
    r.expect(PROMPT);
    let out = r.run("count visit");
    assert!(out.contains("(1 row)"), "{out}");
    let (code, _) = r.leave();
    assert_eq!(code, 0);
}

/// A directory with `chain.dl`: a chain of `n` edges, whose transitive closure (n²/2 rows)
/// takes seconds to compute in a debug build.
fn chain(n: usize) -> TempDir {
    let dir = TempDir::new().expect("temp dir");
    let mut facts = String::from("kind edge \"a generated edge\" (a: number, b: number);\n");
    for i in 0..n {
        facts.push_str(&format!(
            "edge(a: {i}, b: {}) background \"generated\";\n",
            i + 1
        ));
    }
    std::fs::write(dir.path().join("chain.dl"), facts).expect("write facts");
    dir
}

/// A directory with `zero.dl`: the number 0, where [`COUNTER`] starts counting.
fn counter() -> TempDir {
    let dir = TempDir::new().expect("temp dir");
    let facts = "kind zero \"a start\" (n: number);\nzero(n: 0) background \"generated\";\n";
    std::fs::write(dir.path().join("zero.dl"), facts).expect("write facts");
    dir
}

/// Rules that count on from zero, one number a round, until a limit or Ctrl-C stops them.
const COUNTER: &str = "nat(n: ?n + 1) :- nat(n: ?n); nat(n: ?n) :- zero(n: ?n);";

const CLOSURE: &str = "reach(x: ?a, y: ?b) :- edge(a: ?a, b: ?b); \
                       reach(x: ?a, y: ?c) :- reach(x: ?a, y: ?b), edge(a: ?b, b: ?c);";

#[test]
fn a_long_fixpoint_shows_progress_then_clears_it_before_the_result() {
    // Colours off by flag, not by NO_COLOR (which also turns progress off); escape codes kept
    // in what is read back, to see the line cleared.
    let args = ["--facts", "chain.dl", "--color", "never"];
    // Progress from the start: a fast machine closes the chain in under the usual second.
    let env = [("DALIL_PROGRESS_AFTER_MS", "0")];
    let mut r = Repl::start_with(chain(1500), &args, &env, false);
    r.run(CLOSURE);
    r.line("count reach");
    let out = r.expect("(1 row)");
    let shown = out
        .rfind("computing rules: round")
        .unwrap_or_else(|| panic!("no progress shown:\n{out}"));
    assert!(out[shown..].contains("busiest: rule 2 (reach)"), "{out}");
    // After the last progress text, the line is erased (`ESC [2K`) before the result.
    let result = out.rfind("count").expect("the result's header");
    let last = &out[shown..result];
    assert!(last.contains("\x1b[2K"), "progress not cleared: {last:?}");
    r.expect(PROMPT);
    let (code, _) = r.leave();
    assert_eq!(code, 0);
}

#[test]
fn ctrl_c_under_a_progress_line_erases_it_and_the_echoed_c() {
    let args = ["--facts", "zero.dl", "--color", "never"];
    let mut r = Repl::start_with(counter(), &args, &[], false);
    r.run(COUNTER);
    r.line("count nat");
    r.expect("computing rules: round");
    r.ctrl('c');
    let out = r.expect("interrupted");
    // `^C` went to the line under the progress line: erased, the cursor back up, and the
    // progress line erased in turn before the report.
    let up = out
        .find("\r\x1b[2K\x1b[1A")
        .unwrap_or_else(|| panic!("{out:?}"));
    assert!(out[up..].contains("\x1b[2K"), "{out:?}");
    r.expect(PROMPT);
    let out = r.run(":rules");
    assert!(out.contains("1. nat(n: ?n + 1) :- nat(n: ?n)"), "{out}");
}

#[test]
fn no_progress_when_standard_error_is_piped() {
    let dir = chain(1500);
    let statements = format!("{CLOSURE} count reach");
    let out = dalil(dir.path(), &["--facts", "chain.dl", "-c", &statements])
        .output()
        .expect("run dalil");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(stdout.contains("1125750"), "{stdout}");
    assert!(stderr.is_empty(), "{stderr}");
}

#[test]
fn a_long_bulk_load_shows_rows_and_bytes_read() {
    // Two million rows: well over a second to load in a debug build.
    let dir = TempDir::new().expect("temp dir");
    std::fs::write(
        dir.path().join("ev.dl"),
        "kind ev \"an event\" (a: number, b: text);\n",
    )
    .expect("write schema");
    let mut csv = String::from("a,b\n");
    for i in 0..2_000_000 {
        csv.push_str(&format!("{i},r{}\n", i % 100));
    }
    std::fs::write(dir.path().join("ev.csv"), csv).expect("write rows");
    let args = ["--facts", "ev.dl", "--load", "ev=ev.csv", "-c", "count ev"];
    let mut cmd = dalil(dir.path(), &args);
    cmd.env("DALIL_PROGRESS_AFTER_MS", "0");
    let options = Options::new()
        .timeout_ms(Some(TIMEOUT_MS))
        .strip_ansi_escape_codes(false);
    let mut pty = spawn_with_options(cmd, options).expect("start dalil in a pty");
    let out = pty.exp_eof().expect("dalil ends");
    let shown = out
        .rfind("loading ev.csv: ")
        .unwrap_or_else(|| panic!("no progress shown:\n{out}"));
    let line = &out[shown..];
    // (Read back byte by byte: only the ASCII parts are compared.)
    assert!(
        line.contains(" rows ") && line.contains(" MiB of "),
        "{line:?}"
    );
    // Cleared before the result.
    let result = out.rfind("2000000").expect("the count");
    assert!(out[shown..result].contains("\x1b[2K"), "{out:?}");
}
