//! Limits on evaluation: a maximum number of rows produced, an estimate of the memory derived
//! rows take, a deadline, and an interrupt flag (set by Ctrl-C) — checked as work proceeds so
//! that no query can run away. The budget also carries how far the work has got, for the
//! progress line a long fixpoint shows on a terminal.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
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
    /// Derived rows were estimated to take more than this many bytes.
    Memory(u64),
    Time(Duration),
    Interrupted,
    /// An expression had no value (a division by zero, an overflow): the report says where.
    Failed(Box<crate::diagnostic::Diagnostic>),
}

impl LimitHit {
    /// Did a kind grow past a limit (as opposed to the clock or Ctrl-C stopping the work)?
    pub fn is_growth(&self) -> bool {
        matches!(self, LimitHit::Rows(_) | LimitHit::Memory(_))
    }

    /// Does it set the rule that caused it aside: growth, a rule still deriving rows when
    /// the clock ran out, or a rule computing a value that has none (every later query would
    /// stop the same way).
    pub fn sets_rule_aside(&self) -> bool {
        self.is_growth() || matches!(self, LimitHit::Time(_) | LimitHit::Failed(_))
    }
}

/// The most memory derived rows may take by default (an estimate from the store's own byte
/// counts; the process as a whole stays well under 1 GB with it).
pub const DEFAULT_MAX_MEMORY: u64 = 384 * 1024 * 1024;

/// How far a fixpoint has got, for a progress line.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Progress {
    pub rounds: u64,
    pub rows: u64,
    /// The rule running now (0-based), if any.
    pub rule: Option<usize>,
    /// The rule that has derived the most rows so far.
    pub busiest: Option<usize>,
}

/// Shows [`Progress`] (a terminal's progress bar); called at most a few times a second, and
/// only once the work has run for a second.
pub type ProgressSink = Arc<dyn Fn(Progress, Duration) + Send + Sync>;

/// What one statement may spend.
#[derive(Clone)]
pub struct Budget {
    pub max_rows: u64,
    pub max_time: Duration,
    /// Most bytes the rows derived by rules may take (see [`Budget::check_memory`]).
    pub max_memory: u64,
    pub interrupt: Interrupt,
    /// The store's size when the fixpoint began: only growth past it counts.
    memory_base: u64,
    /// The store's size when last measured, and the rows spent then.
    measured: Option<(u64, u64)>,
    started: Instant,
    spent_rows: u64,
    progress: Progress,
    /// Rows each rule has derived (by rule index), for the busiest rule.
    rule_rows: Vec<u64>,
    sink: Option<ProgressSink>,
    /// When progress was last shown, in milliseconds since `started` (0: never).
    last_shown: Arc<AtomicU64>,
    /// Worker threads a round of a rule is split between (1: the calling thread alone; 0: every
    /// core, [`default_threads`]).
    pub threads: usize,
    /// The fewest outer rows a worker is given when a round is split.
    pub min_split: u32,
}

/// The fewest outer rows a worker is given by default.
pub const MIN_SPLIT: u32 = 4096;

/// The number of worker threads by default: `DALIL_THREADS` when set to a number, else every
/// core. Found once a process (counting the cores reads several files of the cgroup's).
pub fn default_threads() -> usize {
    static THREADS: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *THREADS.get_or_init(|| {
        std::env::var("DALIL_THREADS")
            .ok()
            .and_then(|v| v.trim().parse::<usize>().ok())
            .filter(|&n| n > 0)
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
    })
}

/// `n`, or [`default_threads`] when `n` is 0 (not chosen).
pub fn threads_or_default(n: usize) -> usize {
    match n {
        0 => default_threads(),
        n => n,
    }
}

/// The number of threads the shared pool is to have (0: not set, [`default_threads`]).
static POOL_THREADS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Sets how many worker threads the pool shared by rules and bulk loads will have. The pool is
/// started only when work first needs it ([`start_pool`]), so a quick query starts no thread.
pub fn set_pool_threads(n: usize) {
    POOL_THREADS.store(n, Ordering::Relaxed);
}

/// Starts the shared pool of worker threads, unless it runs already: with the number
/// [`set_pool_threads`] set, else [`default_threads`].
pub fn start_pool() {
    static STARTED: std::sync::Once = std::sync::Once::new();
    STARTED.call_once(|| {
        let n = threads_or_default(POOL_THREADS.load(Ordering::Relaxed));
        // Fails only if the pool was started already, which is what was wanted.
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build_global();
    });
}

impl std::fmt::Debug for Budget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Budget")
            .field("max_rows", &self.max_rows)
            .field("max_time", &self.max_time)
            .field("max_memory", &self.max_memory)
            .field("spent_rows", &self.spent_rows)
            .finish()
    }
}

/// How long work runs before a progress line is shown: a second, or `DALIL_PROGRESS_AFTER_MS`
/// milliseconds when set (a demo that wants progress from the start, or a test).
pub fn progress_after() -> Duration {
    static AFTER: std::sync::OnceLock<Duration> = std::sync::OnceLock::new();
    *AFTER.get_or_init(|| {
        std::env::var("DALIL_PROGRESS_AFTER_MS")
            .ok()
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map_or(Duration::from_secs(1), Duration::from_millis)
    })
}
/// And redrawn at most this often.
const PROGRESS_EVERY: Duration = Duration::from_millis(100);

impl Budget {
    pub fn new(max_rows: u64, max_time: Duration, interrupt: Interrupt) -> Budget {
        Budget {
            max_rows,
            max_time,
            max_memory: DEFAULT_MAX_MEMORY,
            interrupt,
            memory_base: 0,
            measured: None,
            started: Instant::now(),
            spent_rows: 0,
            progress: Progress::default(),
            rule_rows: Vec::new(),
            sink: None,
            last_shown: Arc::new(AtomicU64::new(0)),
            threads: 1,
            min_split: MIN_SPLIT,
        }
    }

    /// The same budget, splitting a round of a rule between `threads` workers (0: every core),
    /// each given at least `min_split` outer rows.
    pub fn with_threads(mut self, threads: usize, min_split: u32) -> Budget {
        self.threads = threads;
        self.min_split = min_split.max(1);
        self
    }

    /// The same budget with a memory limit for derived rows.
    pub fn with_memory(mut self, max_memory: u64) -> Budget {
        self.max_memory = max_memory;
        self
    }

    /// The same budget, reporting its progress to `sink` once the work runs long.
    pub fn with_progress(mut self, sink: Option<ProgressSink>) -> Budget {
        self.sink = sink;
        self
    }

    /// Counts `n` more rows produced; fails when a limit is passed.
    pub fn spend(&mut self, n: u64) -> Result<(), LimitHit> {
        self.spent_rows += n;
        self.progress.rows = self.spent_rows;
        self.count_for_rule(n);
        if self.spent_rows > self.max_rows {
            return Err(LimitHit::Rows(self.max_rows));
        }
        self.check()
    }

    /// Counts `n` rows produced and then dropped (a runaway rule's), without checking.
    pub fn count_dropped(&mut self, n: u64) {
        self.spent_rows += n;
        self.count_for_rule(n);
    }

    fn count_for_rule(&mut self, n: u64) {
        if let Some(rule) = self.progress.rule {
            if self.rule_rows.len() <= rule {
                self.rule_rows.resize(rule + 1, 0);
            }
            self.rule_rows[rule] += n;
        }
    }

    /// Rows produced so far.
    pub fn rows_spent(&self) -> u64 {
        self.spent_rows
    }

    /// Rows that may still be produced.
    pub fn rows_left(&self) -> u64 {
        self.max_rows.saturating_sub(self.spent_rows)
    }

    /// Remembers the store's size (`Database::heap_bytes`) before rules add to it.
    pub fn set_memory_base(&mut self, bytes: u64) {
        self.memory_base = bytes;
        self.measured = Some((bytes, self.spent_rows));
    }

    /// The store's size: `measure()` when enough rows were added since it was last measured to
    /// matter (a measure walks every kind), else the last measure.
    pub fn store_bytes(&mut self, measure: impl FnOnce() -> u64) -> u64 {
        /// Rows between two measures: at a few hundred bytes a row, a few megabytes.
        const REMEASURE_ROWS: u64 = 16 * 1024;
        match self.measured {
            Some((bytes, at)) if self.spent_rows - at < REMEASURE_ROWS => bytes,
            _ => {
                let bytes = measure();
                self.measured = Some((bytes, self.spent_rows));
                bytes
            }
        }
    }

    /// Bytes rules may still add to a store of `bytes` bytes.
    pub fn memory_left(&self, bytes: u64) -> u64 {
        self.max_memory
            .saturating_sub(bytes.saturating_sub(self.memory_base))
    }

    /// Fails when the store (`bytes`, by its own estimate) has grown by more than the memory
    /// limit since the fixpoint began.
    pub fn check_memory(&self, bytes: u64) -> Result<(), LimitHit> {
        if self.memory_left(bytes) == 0 {
            return Err(LimitHit::Memory(self.max_memory));
        }
        Ok(())
    }

    /// Notes the fixpoint's round and the rule it runs now (for progress and reports).
    pub fn working_on(&mut self, rounds: u64, rule: Option<usize>) {
        self.progress.rounds = rounds;
        self.progress.rule = rule;
    }

    /// The rule the work was on when it stopped.
    pub fn current_rule(&self) -> Option<usize> {
        self.progress.rule
    }

    /// The rule that has derived the most rows so far, if any has derived one.
    pub fn busiest_rule(&self) -> Option<usize> {
        (0..self.rule_rows.len())
            .filter(|&i| self.rule_rows[i] > 0)
            .max_by_key(|&i| self.rule_rows[i])
    }

    /// Checks the clock and the interrupt flag (and shows progress when the work runs long).
    pub fn check(&self) -> Result<(), LimitHit> {
        if self.interrupt.is_raised() {
            return Err(LimitHit::Interrupted);
        }
        let elapsed = self.started.elapsed();
        if elapsed > self.max_time {
            return Err(LimitHit::Time(self.max_time));
        }
        if let Some(sink) = &self.sink
            && elapsed >= progress_after()
        {
            let now = elapsed.as_millis() as u64;
            let last = self.last_shown.load(Ordering::Relaxed);
            if last == 0 || now - last >= PROGRESS_EVERY.as_millis() as u64 {
                self.last_shown.store(now, Ordering::Relaxed);
                let progress = Progress {
                    busiest: self.busiest_rule(),
                    ..self.progress
                };
                sink(progress, elapsed);
            }
        }
        Ok(())
    }
}
