//! `:save` through the real binary: a file it did not write or read is not overwritten without
//! `:save!`, a file it wrote or read and that is unchanged is, and a failed write names the
//! user's path with the path underlined. (Two prompts open at once, one saving over the other's
//! file, are in tests/pty.rs.)

mod common;

use common::dalil_in;
use std::path::Path;
use std::process::Output;

const NOTE: &str = "kind note (text: text);\n";

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A session in `dir` that types one note and runs `command`.
fn save_note(dir: &Path, note: &str, command: &str) -> Output {
    let script = format!("{NOTE}note(text: \"{note}\");\n{command}");
    dalil_in(dir, &["-c", &script])
}

#[test]
fn a_second_session_saving_to_the_same_file_is_refused_until_forced() {
    let dir = tempfile::tempdir().expect("temp dir");
    let first = save_note(dir.path(), "NOTE-ONE", ":save notes.dl");
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    let second = save_note(dir.path(), "NOTE-TWO", ":save notes.dl");
    let err = stderr(&second);
    assert_eq!(second.status.code(), Some(1), "{err}");
    assert!(
        err.contains("`notes.dl` already exists, and this session did not load or save it"),
        "{err}"
    );
    assert!(err.contains("write `:save! notes.dl`"), "{err}");
    let saved = std::fs::read_to_string(dir.path().join("notes.dl")).expect("saved");
    assert!(
        saved.contains("NOTE-ONE") && !saved.contains("NOTE-TWO"),
        "{saved}"
    );

    let forced = save_note(dir.path(), "NOTE-TWO", ":save! notes.dl");
    assert_eq!(forced.status.code(), Some(0), "{}", stderr(&forced));
    let saved = std::fs::read_to_string(dir.path().join("notes.dl")).expect("saved");
    assert!(
        saved.contains("NOTE-TWO") && !saved.contains("NOTE-ONE"),
        "{saved}"
    );
}

#[test]
fn a_file_this_session_read_or_wrote_and_that_is_unchanged_is_saved_over() {
    let dir = tempfile::tempdir().expect("temp dir");
    // Saved twice by one session: the second save finds the file as the first left it.
    let twice = save_note(dir.path(), "one", ":save notes.dl\n:save ./notes.dl");
    assert_eq!(twice.status.code(), Some(0), "{}", stderr(&twice));
    // Started from it with --facts, then saved back.
    let script = "note(text: \"two\");\n:save notes.dl";
    let back = dalil_in(dir.path(), &["--facts", "notes.dl", "-c", script]);
    assert_eq!(back.status.code(), Some(0), "{}", stderr(&back));
    // Read with :load, then saved back.
    std::fs::write(dir.path().join("mine.dl"), NOTE).expect("write");
    let script = ":load mine.dl\nnote(text: \"three\");\n:save mine.dl";
    let loaded = dalil_in(dir.path(), &["--facts", "notes.dl", "-c", script]);
    assert_eq!(loaded.status.code(), Some(0), "{}", stderr(&loaded));
    let saved = std::fs::read_to_string(dir.path().join("mine.dl")).expect("saved");
    assert!(saved.contains("two") && saved.contains("three"), "{saved}");
}

#[test]
fn a_file_with_a_byte_order_mark_read_by_facts_is_saved_over() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("bom.dl");
    // A byte-order mark first, as Windows editors write it: the text read is without it.
    std::fs::write(&path, format!("\u{feff}{NOTE}")).expect("write");
    let script = "note(text: \"one\");\n:save bom.dl";
    let out = dalil_in(dir.path(), &["--facts", "bom.dl", "-c", script]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let saved = std::fs::read_to_string(&path).expect("saved");
    assert!(
        saved.contains("one") && !saved.starts_with('\u{feff}'),
        "{saved}"
    );
}

/// The column (in characters) where `needle` starts on the report's source line, and the
/// columns the underline below it covers.
fn underline(report: &str, source_line: &str, needle: &str) -> (usize, std::ops::Range<usize>) {
    let lines: Vec<&str> = report.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.ends_with(source_line))
        .unwrap_or_else(|| panic!("no line {source_line:?} in\n{report}"));
    let chars = |s: &str| s.chars().collect::<Vec<char>>();
    let line = chars(lines[at]);
    let byte = lines[at].find(needle).expect("needle on its line");
    let start = lines[at][..byte].chars().count();
    let under = chars(lines[at + 1]);
    let marks = |c: &char| matches!(c, '─' | '┬' | '^');
    // The gutter ("   │ ") is not part of the underline.
    let gutter = line.iter().position(|&c| c == '│').expect("gutter") + 1;
    let first = under[gutter..].iter().position(marks).expect("underline") + gutter;
    let len = under[first..].iter().take_while(|c| marks(c)).count();
    (start, first..first + len)
}

#[test]
fn a_failed_write_names_the_users_path_and_underlines_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("plain"), "").expect("write");
    for (path, why) in [
        ("missing/notes.dl", "there is no directory `missing`"),
        ("plain/notes.dl", "`plain` is not a directory"),
    ] {
        let command = format!(":save   {path}");
        let out = save_note(dir.path(), "n", &command);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert!(
            err.contains(&format!("cannot write `{path}`: {why}")),
            "{err}"
        );
        assert!(!err.contains(".dalil-save"), "{err}");
        let (start, marked) = underline(&err, &command, path);
        assert_eq!(marked, start..start + path.chars().count(), "{err}");
    }
}

#[test]
fn a_file_load_cannot_read_is_underlined_as_typed() {
    let dir = tempfile::tempdir().expect("temp dir");
    let command = ":load   missing.dl";
    let out = dalil_in(dir.path(), &["-c", command]);
    let err = stderr(&out);
    assert!(err.contains("cannot read `missing.dl`"), "{err}");
    let (start, marked) = underline(&err, command, "missing.dl");
    assert_eq!(marked, start..start + "missing.dl".len(), "{err}");
}

#[cfg(unix)]
#[test]
fn a_directory_without_write_permission_is_reported_by_the_users_path() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("temp dir");
    let locked = dir.path().join("locked");
    std::fs::create_dir(&locked).expect("mkdir");
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o555)).expect("chmod");
    // The superuser writes anyway; then there is nothing to test here.
    if std::fs::write(locked.join("probe"), "").is_ok() {
        eprintln!("skipped: this user can write into a read-only directory");
        return;
    }
    let out = save_note(dir.path(), "n", ":save locked/notes.dl");
    let err = stderr(&out);
    assert!(
        err.contains("cannot write `locked/notes.dl`: permission denied in `locked`"),
        "{err}"
    );
    assert!(!err.contains(".dalil-save"), "{err}");
}
