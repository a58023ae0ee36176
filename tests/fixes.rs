//! No help line proposes an invalid fix: every wrong input of `tests/fixes/corpus.txt` gets a
//! report whose help is an edit (`Diagnostic::fix`, given to programs as the report's `fix`),
//! and the input with that edit applied runs against the embedded article without any report.
//! A new case is a new line in the corpus.

use dalil::{Reply, Session};
use serde_json::Value;

/// The reports for `text` run in a copy of `base`, as JSON (the form `dalil serve` gives).
fn reports(base: &Session, text: &str) -> Vec<Value> {
    let mut session = base.clone();
    session.report_log = Some(Vec::new());
    session.run("<input>", text, &mut |_: Reply| {});
    session.report_log.take().unwrap_or_default()
}

/// `text` with the report's fix applied (its span is in bytes of `text`).
fn apply(text: &str, report: &Value) -> Option<String> {
    let fix = report.get("fix").filter(|f| !f.is_null())?;
    let at = |k: &str| fix["span"][k].as_u64().expect("offset") as usize;
    let (start, end) = (at("start"), at("end"));
    let with = fix["text"].as_str().expect("text");
    Some(format!("{}{with}{}", &text[..start], &text[end..]))
}

#[test]
fn every_proposed_fix_gives_an_input_that_runs() {
    let base = Session::with_article().expect("the article loads");
    let corpus = include_str!("fixes/corpus.txt");
    let mut failures = Vec::new();
    let mut cases = 0;
    for line in corpus.lines() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        cases += 1;
        let found = reports(&base, line);
        let Some(first) = found.first() else {
            failures.push(format!("{line}\n  no report at all"));
            continue;
        };
        let Some(fixed) = apply(line, first) else {
            failures.push(format!(
                "{line}\n  {}\n  help: {}\n  no fix",
                first["message"], first["help"]
            ));
            continue;
        };
        let after = reports(&base, &fixed);
        if let Some(next) = after.first() {
            failures.push(format!(
                "{line}\n  help: {}\n  fixed: {fixed}\n  still: {}",
                first["help"], next["message"]
            ));
        }
    }
    assert!(cases >= 30, "only {cases} cases");
    assert!(
        failures.is_empty(),
        "{} of {cases} fixes do not give a statement that runs:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}
