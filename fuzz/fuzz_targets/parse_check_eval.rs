//! Arbitrary input through the whole pipeline — split, parse, check, plan, evaluate, render the
//! reports — exactly as a user would give it. Any panic, stack overflow or hang is a bug: every
//! input must end in a result or an error report.
//!
//! The first byte chooses the surface: statements as typed (most inputs, including the
//! operators, functions and EDTF-like dates of the language), or the rest of the input as a CSV
//! or JSON Lines file to `:import` (byte-order marks, UTF-16, CRLF, stray quotes, control
//! characters). Every input starts from one snapshot of the loaded article, cloned, so the
//! fact base is read once per run rather than once per input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::time::Duration;

/// A kind to import files into: one field of each type.
const DECLARE: &str = "kind ev(actor: entity, date: date, n: number, note: text);";

thread_local! {
    /// The loaded article, made once per run (libFuzzer runs the target on one thread).
    static SNAPSHOT: dalil::Session = {
        let mut session = dalil::Session::with_article().expect("the article loads");
        session.run("<declare>", DECLARE, &mut |_| {});
        // Small budgets, so that a runaway query ends in its limit report quickly.
        session.limits.max_rows = 10_000;
        session.limits.max_time = Duration::from_millis(300);
        session.limits.max_memory = 32 << 20;
        session.limits.threads = 1;
        session
    };
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let mut session = SNAPSHOT.with(|s| s.clone());
    match mode % 8 {
        // A data file, imported, then queried.
        6 | 7 => {
            let ext = if mode % 8 == 6 { "csv" } else { "jsonl" };
            let path = std::env::temp_dir().join(format!("dalil-fuzz-{}.{ext}", std::process::id()));
            if std::fs::write(&path, rest).is_err() {
                return;
            }
            let _ = session.import("ev", &path.to_string_lossy());
            session.run("<fuzz>", "ev; count ev by actor", &mut |_| {});
        }
        _ => {
            let Ok(text) = std::str::from_utf8(rest) else {
                return;
            };
            // The commands that read and write files would let the fuzzer touch the file
            // system (`:save /somewhere`, `:load /dev/zero`); they are tested on their own.
            if [":save", ":load", ":import"].iter().any(|c| text.contains(c)) {
                return;
            }
            session.run("<fuzz>", text, &mut |_| {});
        }
    }
});
