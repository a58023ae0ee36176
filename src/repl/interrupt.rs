//! Ctrl-C while a statement runs: a SIGINT handler raises the session's interrupt flag, which
//! the evaluator checks through its budget, and the prompt comes back. At the prompt itself
//! rustyline reads Ctrl-C as a key (the terminal is in raw mode), so the handler only acts
//! while a statement runs and never ends the process.

use crate::eval::Interrupt;
use crate::progress::ProgressLine;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Marks the stretches during which Ctrl-C stops the running statement.
pub struct CtrlC {
    running: Arc<AtomicBool>,
}

impl CtrlC {
    /// Installs the handler (once per process). `None` if it cannot be installed; Ctrl-C then
    /// keeps its default meaning during a statement.
    pub fn install(interrupt: Interrupt, progress: Option<Arc<ProgressLine>>) -> Option<CtrlC> {
        let running = Arc::new(AtomicBool::new(false));
        let flag = running.clone();
        ctrlc::set_handler(move || {
            if flag.load(Ordering::SeqCst) {
                interrupt.raise();
                // The terminal has echoed `^C`; the report starts on the next line (or, under
                // a progress line, where that line was).
                if !progress.as_ref().is_some_and(|p| p.after_ctrl_c()) {
                    eprintln!();
                }
            }
        })
        .ok()?;
        Some(CtrlC { running })
    }

    /// Runs `f` with Ctrl-C armed.
    pub fn armed<T>(this: Option<&CtrlC>, f: impl FnOnce() -> T) -> T {
        if let Some(c) = this {
            c.running.store(true, Ordering::SeqCst);
        }
        let out = f();
        if let Some(c) = this {
            c.running.store(false, Ordering::SeqCst);
        }
        out
    }
}
