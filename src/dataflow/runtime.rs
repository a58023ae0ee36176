//! The timely workers: threads (and, in cluster mode, processes) that keep the rendered
//! dataflow alive between statements, so new facts update derived kinds incrementally.
//!
//! The session talks to its process's workers through channels: it sends each worker its
//! share of the new input rows and waits until all of them have stepped the dataflow past the
//! new epoch. Every derived row is routed to worker 0 (of process 0), which hands the changes
//! back to its session.

use super::cell::{Row, Tuple};
use super::compute::FAILED;
use super::lower::Program;
use super::render::{Coll, SENTINEL, render, width};
use crate::store::KindId;
use differential_dataflow::input::{Input, InputSession};
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use timely::dataflow::operators::probe::Handle as ProbeHandle;
use timely::dataflow::operators::vec::Broadcast;
use timely::dataflow::operators::{Exchange, Inspect, Probe};

/// Where the workers run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    /// Worker threads in each process.
    pub workers: usize,
    /// This process's index and every process's `host:port` (one entry: no cluster).
    pub process: usize,
    pub hosts: Vec<String>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            workers: 1,
            process: 0,
            hosts: vec![],
        }
    }
}

impl Options {
    pub fn processes(&self) -> usize {
        self.hosts.len().max(1)
    }
}

/// The time of an update from the session (one per statement that adds facts).
pub type Epoch = u32;

/// A change to one input: (input slot, row, +1 or -1).
pub type Change = (usize, Tuple, isize);
/// A change to one derived kind.
pub type Output = (KindId, Tuple, isize);

enum Command {
    /// Render a new dataflow (the old one's inputs close, so it winds down).
    Build(Arc<Program>),
    /// Apply these input changes, close the epoch and run until it is complete.
    Update(Vec<Change>),
    Stop,
}

enum Reply {
    Done { outputs: Vec<Output> },
}

/// The running workers of this process.
pub struct Runtime {
    pub options: Options,
    senders: Vec<Sender<Command>>,
    replies: Receiver<Reply>,
    abort: Arc<AtomicBool>,
    guards: Option<timely::communication::initialize::WorkerGuards<()>>,
}

/// The outcome of waiting for the workers.
pub enum Wait {
    Done(Vec<Output>),
    /// `stop()` said to give up (a time limit or Ctrl-C); the dataflow is no longer in step.
    Aborted,
    /// A worker is gone (a process of the cluster failed).
    Failed(String),
}

impl Runtime {
    /// Starts the workers (and, in cluster mode, connects to the other processes).
    pub fn start(options: Options) -> Result<Runtime, String> {
        let threads = options.workers.max(1);
        let config = if options.hosts.len() > 1 {
            timely::Config {
                communication: timely::CommunicationConfig::Cluster {
                    threads,
                    process: options.process,
                    addresses: options.hosts.clone(),
                    report: false,
                    zerocopy: false,
                },
                worker: timely::WorkerConfig::default(),
            }
        } else if threads == 1 {
            timely::Config::thread()
        } else {
            timely::Config::process(threads)
        };
        let (reply_tx, replies) = mpsc::channel();
        let mut senders = vec![];
        let mut receivers = vec![];
        for _ in 0..threads {
            let (tx, rx) = mpsc::channel();
            senders.push(tx);
            receivers.push(Some(rx));
        }
        let receivers = Arc::new(Mutex::new(receivers));
        let reply_tx = Arc::new(Mutex::new(reply_tx));
        let abort = Arc::new(AtomicBool::new(false));
        let abort2 = abort.clone();
        let guards = stdout_on_stderr(|| {
            timely::execute(config, move |worker| {
                let local = worker.index() % threads;
                let Some(rx) = receivers.lock().ok().and_then(|mut r| r[local].take()) else {
                    return;
                };
                let Ok(tx) = reply_tx.lock().map(|t| t.clone()) else {
                    return;
                };
                serve(worker, rx, tx, &abort2);
            })
        })?;
        Ok(Runtime {
            options,
            senders,
            replies,
            abort,
            guards: Some(guards),
        })
    }

    /// Workers in the whole cluster.
    pub fn peers(&self) -> usize {
        self.options.workers.max(1) * self.options.processes()
    }

    /// The global index of this process's first worker.
    pub fn first_worker(&self) -> usize {
        self.options.process * self.options.workers.max(1)
    }

    /// Renders `program` in every worker of this process.
    pub fn build(&mut self, program: Arc<Program>, check: &mut dyn FnMut() -> bool) -> Wait {
        self.abort.store(false, Ordering::SeqCst);
        for s in &self.senders {
            if s.send(Command::Build(program.clone())).is_err() {
                return Wait::Failed("a dataflow worker stopped".into());
            }
        }
        self.wait(check)
    }

    /// Hands each local worker its changes (`changes[i]` for local worker `i`) and waits until
    /// the epoch is complete; `check` is asked now and then whether to give up.
    pub fn update(&mut self, changes: Vec<Vec<Change>>, check: &mut dyn FnMut() -> bool) -> Wait {
        self.abort.store(false, Ordering::SeqCst);
        for (s, c) in self.senders.iter().zip(changes) {
            if s.send(Command::Update(c)).is_err() {
                return Wait::Failed("a dataflow worker stopped".into());
            }
        }
        self.wait(check)
    }

    fn wait(&mut self, check: &mut dyn FnMut() -> bool) -> Wait {
        let mut outputs = vec![];
        let mut left = self.senders.len();
        let mut aborted = false;
        while left > 0 {
            match self.replies.recv_timeout(Duration::from_millis(20)) {
                Ok(Reply::Done { outputs: o }) => {
                    outputs.extend(o);
                    left -= 1;
                }
                Err(RecvTimeoutError::Timeout) => {
                    if !aborted && !check() {
                        aborted = true;
                        self.abort.store(true, Ordering::SeqCst);
                    }
                }
                Err(RecvTimeoutError::Disconnected) => {
                    return Wait::Failed("the dataflow workers stopped".into());
                }
            }
        }
        if aborted {
            Wait::Aborted
        } else {
            Wait::Done(outputs)
        }
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        for s in &self.senders {
            let _ = s.send(Command::Stop);
        }
        if let Some(g) = self.guards.take() {
            let _ = g.join();
        }
    }
}

/// Runs `f` with standard output pointed at standard error: timely prints its connection
/// progress ("awaiting connections") on standard output, where only results belong.
#[cfg(unix)]
fn stdout_on_stderr<T>(f: impl FnOnce() -> T) -> T {
    use std::io::Write;
    let _ = std::io::stdout().flush();
    // SAFETY: dup, dup2 and close on this process's own standard descriptors; standard
    // output is restored before returning, and nothing else writes to it meanwhile.
    let saved = unsafe { libc::dup(1) };
    if saved < 0 || unsafe { libc::dup2(2, 1) } < 0 {
        return f();
    }
    let result = f();
    let _ = std::io::stdout().flush();
    // SAFETY: as above; `saved` is the descriptor dup returned.
    unsafe {
        libc::dup2(saved, 1);
        libc::close(saved);
    }
    result
}

#[cfg(not(unix))]
fn stdout_on_stderr<T>(f: impl FnOnce() -> T) -> T {
    f()
}

/// A worker's loop: commands in, replies out, until told to stop.
fn serve(
    worker: &mut timely::worker::Worker,
    rx: Receiver<Command>,
    tx: Sender<Reply>,
    abort: &AtomicBool,
) {
    let mut running: Option<Box<dyn Live>> = None;
    while let Ok(cmd) = rx.recv() {
        match cmd {
            Command::Stop => break,
            Command::Build(program) => {
                // Closing the old inputs lets the old dataflow finish and free its state.
                drop(running.take());
                running = Some(build(worker, &program));
                if tx.send(Reply::Done { outputs: vec![] }).is_err() {
                    break;
                }
            }
            Command::Update(changes) => {
                let outputs = match running.as_mut() {
                    Some(r) => r.update(worker, changes, abort),
                    None => vec![],
                };
                if tx.send(Reply::Done { outputs }).is_err() {
                    break;
                }
            }
        }
    }
}

/// A rendered dataflow, whatever its rows are made of.
trait Live {
    /// Applies the changes, closes the epoch and runs until it is complete (or `abort`);
    /// returns the changes to derived kinds gathered here.
    fn update(
        &mut self,
        worker: &mut timely::worker::Worker,
        changes: Vec<Change>,
        abort: &AtomicBool,
    ) -> Vec<Output>;
}

/// One rendered dataflow in one worker, on rows of type `R`.
struct Running<R: Row> {
    inputs: Vec<InputSession<Epoch, R, isize>>,
    probe: ProbeHandle<Epoch>,
    gathered: Rc<RefCell<Vec<Output>>>,
    epoch: Epoch,
}

impl<R: Row> Live for Running<R> {
    fn update(
        &mut self,
        worker: &mut timely::worker::Worker,
        changes: Vec<Change>,
        abort: &AtomicBool,
    ) -> Vec<Output> {
        for (slot, row, diff) in changes {
            if let Some(input) = self.inputs.get_mut(slot) {
                input.update(R::of(row), diff);
            }
        }
        if self.epoch == 0
            && worker.index() == 0
            && let Some(sentinel) = self.inputs.last_mut()
        {
            sentinel.insert(R::default());
        }
        self.epoch += 1;
        for input in &mut self.inputs {
            input.advance_to(self.epoch);
            input.flush();
        }
        let (probe, epoch) = (self.probe.clone(), self.epoch);
        worker.step_while(|| !abort.load(Ordering::Relaxed) && probe.less_than(&epoch));
        std::mem::take(&mut *self.gathered.borrow_mut())
    }
}

/// Renders `program` on the narrowest rows that hold every tuple it makes: fixed arrays of
/// two or four cells (no length, no heap), else [`Tuple`].
fn build(worker: &mut timely::worker::Worker, program: &Program) -> Box<dyn Live> {
    match width(program) {
        0..=2 => Box::new(build_on::<[u64; 2]>(worker, program)),
        3..=4 => Box::new(build_on::<[u64; 4]>(worker, program)),
        _ => Box::new(build_on::<Tuple>(worker, program)),
    }
}

fn build_on<R: Row>(worker: &mut timely::worker::Worker, program: &Program) -> Running<R> {
    let gathered: Rc<RefCell<Vec<Output>>> = Rc::new(RefCell::new(vec![]));
    let probe = ProbeHandle::new();
    let sink = gathered.clone();
    let probe2 = probe.clone();
    let inputs = worker.dataflow::<Epoch, _, _>(|scope| {
        let mut colls: HashMap<KindId, Coll<'_, Epoch, R>> = HashMap::new();
        let mut inputs = vec![];
        for (kind, _) in &program.inputs {
            let (input, coll) = scope.new_collection::<R, isize>();
            inputs.push(input);
            colls.insert(*kind, coll);
        }
        // The last input: one empty row (given by worker 0), for aggregates over nothing.
        let (input, coll) = scope.new_collection::<R, isize>();
        inputs.push(input);
        colls.insert(SENTINEL, coll);
        render(scope, program, &mut colls);
        let failed = colls.contains_key(&FAILED).then_some((FAILED, R::WIDTH));
        // With statuses, a derived row's last cell is its status.
        let status = usize::from(program.statuses.is_some());
        let outputs = program.outputs.iter().map(|(k, t)| (*k, t.len() + status));
        for (kind, w) in outputs.chain(failed) {
            let sink = sink.clone();
            let rows = colls[&kind].clone().inner;
            // Derived rows go to worker 0 (process 0 prints them); a failure to every worker,
            // so that every process stops the same way (and sets the same rule aside).
            let gathered = if kind == FAILED {
                rows.broadcast()
            } else {
                rows.exchange(|_| 0)
            };
            gathered
                .inspect(move |(row, _time, diff): &(R, Epoch, isize)| {
                    let cells = row.cells();
                    let real = &cells[..w.min(cells.len())];
                    sink.borrow_mut()
                        .push((kind, Tuple::from_slice(real), *diff))
                })
                .probe_with(&probe2);
        }
        inputs
    });
    Running {
        inputs,
        probe,
        gathered,
        epoch: 0,
    }
}
