//! Limits on evaluation: a maximum number of rows produced, a deadline, and an interrupt flag
//! (set by Ctrl-C) — checked as work proceeds so that no query can run away.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// A flag another thread (the Ctrl-C handler) can raise to stop evaluation.
#[derive(Clone, Default, Debug)]
pub struct Interrupt(Arc<AtomicBool>);

impl Interrupt {
    pub fn raise(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    pub fn clear(&self) {
        self.0.store(false, Ordering::SeqCst);
    }

    pub fn is_raised(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// Why evaluation stopped early.
#[derive(Clone, Debug)]
pub enum LimitHit {
    Rows(u64),
    Time(Duration),
    Interrupted,
    /// An expression had no value (a division by zero, an overflow): the report says where.
    Failed(Box<crate::diagnostic::Diagnostic>),
}

/// What one statement may spend.
#[derive(Clone, Debug)]
pub struct Budget {
    pub max_rows: u64,
    pub max_time: Duration,
    pub interrupt: Interrupt,
    started: Instant,
    spent_rows: u64,
}

impl Budget {
    pub fn new(max_rows: u64, max_time: Duration, interrupt: Interrupt) -> Budget {
        Budget {
            max_rows,
            max_time,
            interrupt,
            started: Instant::now(),
            spent_rows: 0,
        }
    }

    /// Counts `n` more rows produced; fails when a limit is passed.
    pub fn spend(&mut self, n: u64) -> Result<(), LimitHit> {
        self.spent_rows += n;
        if self.spent_rows > self.max_rows {
            return Err(LimitHit::Rows(self.max_rows));
        }
        self.check()
    }

    /// Rows that may still be produced.
    pub fn rows_left(&self) -> u64 {
        self.max_rows.saturating_sub(self.spent_rows)
    }

    /// Checks the clock and the interrupt flag.
    pub fn check(&self) -> Result<(), LimitHit> {
        if self.interrupt.is_raised() {
            return Err(LimitHit::Interrupted);
        }
        if self.started.elapsed() > self.max_time {
            return Err(LimitHit::Time(self.max_time));
        }
        Ok(())
    }
}
