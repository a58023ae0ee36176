//! Hostile and foreign input through the real binary: a 10 MB literal, files with byte-order
//! marks, CRLF line ends and UTF-16, escape sequences inside facts.

use std::io::Write;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn dalil(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_dalil"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .env_remove("DALIL_HISTORY")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start dalil");
    let mut input = child.stdin.take().expect("stdin");
    let bytes = stdin.unwrap_or_default().to_vec();
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(&bytes);
    });
    let out = child.wait_with_output().expect("wait for dalil");
    writer.join().expect("writer");
    out
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn a_ten_megabyte_unknown_entity_is_reported_at_once_with_a_short_title() {
    let script = format!("visit where partner = \"{}\"", "x".repeat(10 << 20));
    let started = Instant::now();
    let out = dalil(&[], Some(script.as_bytes()));
    let took = started.elapsed();
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{}", &err[..err.len().min(500)]);
    let title = err.lines().next().unwrap_or_default();
    assert_eq!(
        title,
        "Error: no entity is called `xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…` (10485760 characters)"
    );
    assert!(
        err.len() < 2000,
        "a short report, not the literal: {} bytes",
        err.len()
    );
    // Under a second in a release build; an unoptimised test build is a few times slower.
    let allowed = Duration::from_secs(if cfg!(debug_assertions) { 8 } else { 1 });
    assert!(took < allowed, "took {took:?}");
}

const SCHEMA: &str = "kind ev(actor: entity, note: text);\n";

/// A fact file declaring `ev`, and a data file of `ev` rows, in a temporary directory.
fn files(data_name: &str, data: &[u8]) -> (tempfile::TempDir, String, String) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let facts = dir.path().join("schema.dl");
    let mut base = dalil::session::ARTICLE.to_string();
    base.push_str(SCHEMA);
    std::fs::write(&facts, base).expect("write schema");
    let path = dir.path().join(data_name);
    std::fs::write(&path, data).expect("write data");
    let s = |p: std::path::PathBuf| p.to_string_lossy().into_owned();
    (dir, s(facts), s(path))
}

#[test]
fn a_csv_with_a_byte_order_mark_and_crlf_line_ends_loads_every_row() {
    let csv =
        b"\xEF\xBB\xBFactor,note\r\nUS,first\r\nRussia,second\r\nAlgeria,\"third, quoted\"\r\n";
    let (_dir, facts, data) = files("ev.csv", csv);
    let load = format!("ev={data}");
    let out = dalil(
        &["--facts", &facts, "--load", &load, "-c", "ev order by note"],
        None,
    );
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stdout.contains("(3 rows)"), "{stdout}");
    assert!(stdout.contains("third, quoted"), "{stdout}");
    assert!(!stdout.contains('\r'), "{stdout:?}");
}

#[test]
fn json_lines_with_a_byte_order_mark_load() {
    let jsonl =
        "\u{feff}{\"actor\": \"US\", \"note\": \"a\"}\n{\"actor\": \"RU\", \"note\": \"b\"}\n";
    let (_dir, facts, data) = files("ev.jsonl", jsonl.as_bytes());
    let load = format!("ev={data}");
    let out = dalil(
        &["--facts", &facts, "--load", &load, "-c", "count ev"],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("     2\n"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn a_utf16_csv_is_named_as_such_with_the_fix() {
    let mut csv = vec![0xFF, 0xFE];
    for unit in "actor,note\nUS,a\n".encode_utf16() {
        csv.extend(unit.to_le_bytes());
    }
    let (_dir, facts, data) = files("ev.csv", &csv);
    let load = format!("ev={data}");
    let out = dalil(
        &["--facts", &facts, "--load", &load, "-c", "count ev"],
        None,
    );
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("is UTF-16 text"), "{err}");
    assert!(err.contains("save it as UTF-8"), "{err}");
}

#[test]
fn fact_files_and_scripts_with_a_bom_or_in_utf16_are_read() {
    let mut base = String::from("\u{feff}");
    base.push_str(dalil::session::ARTICLE);
    base.push_str(SCHEMA);
    base.push_str("ev(actor: US, note: \"bom\");\n");
    let (_dir, _, facts) = files("bom.dl", base.as_bytes());
    let out = dalil(&["--facts", &facts, "-c", "ev"], None);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("bom"), "{}", text(&out.stdout));
    // A script in UTF-16 (big-endian here) on standard input.
    let mut script = vec![0xFE, 0xFF];
    for unit in "count visit".encode_utf16() {
        script.extend(unit.to_be_bytes());
    }
    let out = dalil(&[], Some(&script));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

#[test]
fn escape_sequences_in_facts_are_shown_escaped_in_tables_and_kept_in_json() {
    let facts = format!(
        "{}{SCHEMA}ev(actor: US, note: \"\u{1b}[2J\u{1b}]0;owned\u{7}\rcleared\");\n",
        dalil::session::ARTICLE
    );
    let (_dir, _, path) = files("esc.dl", facts.as_bytes());
    let out = dalil(&["--facts", &path, "-c", "ev[note]"], None);
    let stdout = text(&out.stdout);
    assert!(
        !stdout.contains('\u{1b}') && !stdout.contains('\r'),
        "{stdout:?}"
    );
    assert!(stdout.contains(r"\e[2J\e]0;owned\x07\rcleared"), "{stdout}");
    let out = dalil(
        &["--facts", &path, "--format", "json", "-c", "ev[note]"],
        None,
    );
    let json = text(&out.stdout);
    assert!(
        json.contains(r#""\u001b[2J\u001b]0;owned\u0007\rcleared""#),
        "{json}"
    );
    let out = dalil(&["--facts", &path, "-c", "why ev"], None);
    assert!(
        !text(&out.stdout).contains('\u{1b}'),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn a_nul_byte_in_a_literal_is_escaped_in_the_report() {
    let out = dalil(&[], Some(b"visit where partner = \"U\0S\""));
    let err = text(&out.stderr);
    assert!(!err.contains('\0'), "{err:?}");
    assert!(err.contains(r"no entity is called `U\0S`"), "{err}");
}
