//! Arbitrary text through the whole pipeline — split, parse, check, plan, evaluate, render the
//! reports — exactly as a user would type it. Any panic, stack overflow or hang is a bug: every
//! input must end in a result or an error report.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::time::Duration;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // The commands that read and write files would let the fuzzer touch the file system
    // (`:save /somewhere`, `:load /dev/zero`); they are tested on their own.
    if [":save", ":load", ":import"].iter().any(|c| text.contains(c)) {
        return;
    }
    // A fresh session per input, so that a crash never depends on what earlier inputs declared.
    let mut session = dalil::Session::with_article().expect("the article loads");
    // Small budgets, so that a runaway query ends in its limit report quickly.
    session.limits.max_rows = 10_000;
    session.limits.max_time = Duration::from_millis(300);
    session.run("<fuzz>", text, &mut |_| {});
});
