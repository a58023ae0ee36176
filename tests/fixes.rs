//! No help line proposes an invalid fix: every wrong input of `tests/fixes/corpus.txt` gets a
//! report whose help is an edit (`Diagnostic::fix`, given to programs as the report's `fix`),
//! and the input with that edit applied (once for each mistake in it) runs against the embedded
//! article without any report.
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

/// Applies the first report's fix until `text` runs without a report (an input with two
/// mistakes takes two rounds); a round whose report proposes no edit, or too many rounds, fail.
fn fixed_until_clean(base: &Session, text: &str) -> Result<(), String> {
    const ROUNDS: usize = 3;
    let mut text = text.to_string();
    let mut trail = String::new();
    for round in 0..=ROUNDS {
        let Some(first) = reports(base, &text).into_iter().next() else {
            return if round == 0 {
                Err("  no report at all".into())
            } else {
                Ok(())
            };
        };
        let step = format!("  {}\n  help: {}\n", first["message"], first["help"]);
        trail.push_str(&step);
        if round == ROUNDS {
            break;
        }
        let Some(fixed) = apply(&text, &first) else {
            return Err(format!("{trail}  no fix"));
        };
        trail.push_str(&format!("  fixed: {fixed}\n"));
        text = fixed;
    }
    Err(format!("{trail}  still not clean after {ROUNDS} fixes"))
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
        if let Err(why) = fixed_until_clean(&base, line) {
            failures.push(format!("{line}\n{why}"));
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

/// Does a report's span overlap `start..end` (touching counts)?
fn touches(report: &Value, start: usize, end: usize) -> bool {
    let span = &report["span"];
    match (span["start"].as_u64(), span["end"].as_u64()) {
        (Some(s), Some(e)) => (s as usize) <= end && (e as usize) >= start,
        _ => false,
    }
}

/// The snapshot cases of `tests/errors/` too: each fix a report proposes, applied to its file,
/// leaves no report at the place it edited (the rest of a case may hold other mistakes).
#[test]
fn every_fix_in_the_snapshot_cases_clears_its_report() {
    let base = Session::with_article().expect("the article loads");
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/errors");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/errors")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "dl"))
        .collect();
    paths.sort();
    let (mut fixes, mut failures) = (0, Vec::new());
    for path in paths {
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue; // a case of bytes that are not UTF-8
        };
        for report in reports(&base, &text) {
            let Some(fixed) = apply(&text, &report) else {
                continue;
            };
            fixes += 1;
            let start = report["fix"]["span"]["start"].as_u64().expect("start") as usize;
            let end = start + report["fix"]["text"].as_str().expect("text").len();
            let left: Vec<String> = reports(&base, &fixed)
                .iter()
                .filter(|r| touches(r, start, end))
                .map(|r| format!("{} (help: {})", r["message"], r["help"]))
                .collect();
            if !left.is_empty() {
                failures.push(format!(
                    "{}: {}\n  fixed to: {}\n  still: {}",
                    path.file_name().unwrap_or_default().to_string_lossy(),
                    report["message"],
                    &fixed[start.saturating_sub(20)..(end + 20).min(fixed.len())],
                    left.join("; ")
                ));
            }
        }
    }
    assert!(fixes >= 10, "only {fixes} fixes in the snapshot cases");
    assert!(
        failures.is_empty(),
        "{} of {fixes} fixes leave a report where they edit:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}
