//! The timely workers: threads (and, in cluster mode, processes) that keep the rendered
//! dataflow alive between statements, so new facts update derived kinds incrementally.
//!
//! The session talks to its process's workers through channels: it sends each worker its
//! share of the new input rows and waits until all of them have stepped the dataflow past the
//! new epoch. Every derived row is routed to worker 0 (of process 0), which hands the changes
//! back to its session.

use super::cell::Tuple;
use super::lower::Program;
use super::render::{Coll, SENTINEL, render};
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

/// One rendered dataflow in one worker.
struct Running {
    inputs: Vec<InputSession<u64, Tuple, isize>>,
    probe: ProbeHandle<u64>,
    gathered: Rc<RefCell<Vec<Output>>>,
    epoch: u64,
}

/// A worker's loop: commands in, replies out, until told to stop.
fn serve(
    worker: &mut timely::worker::Worker,
    rx: Receiver<Command>,
    tx: Sender<Reply>,
    abort: &AtomicBool,
) {
    let mut running: Option<Running> = None;
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
                let Some(r) = running.as_mut() else {
                    let _ = tx.send(Reply::Done { outputs: vec![] });
                    continue;
                };
                for (slot, row, diff) in changes {
                    if let Some(input) = r.inputs.get_mut(slot) {
                        input.update(row, diff);
                    }
                }
                if r.epoch == 0
                    && worker.index() == 0
                    && let Some(sentinel) = r.inputs.last_mut()
                {
                    sentinel.insert(Tuple::new());
                }
                r.epoch += 1;
                for input in &mut r.inputs {
                    input.advance_to(r.epoch);
                    input.flush();
                }
                let (probe, epoch) = (r.probe.clone(), r.epoch);
                worker.step_while(|| !abort.load(Ordering::Relaxed) && probe.less_than(&epoch));
                let outputs = std::mem::take(&mut *r.gathered.borrow_mut());
                if tx.send(Reply::Done { outputs }).is_err() {
                    break;
                }
            }
        }
    }
}

fn build(worker: &mut timely::worker::Worker, program: &Program) -> Running {
    let gathered: Rc<RefCell<Vec<Output>>> = Rc::new(RefCell::new(vec![]));
    let probe = ProbeHandle::new();
    let sink = gathered.clone();
    let probe2 = probe.clone();
    let inputs = worker.dataflow::<u64, _, _>(|scope| {
        let mut colls: HashMap<KindId, Coll<'_, u64>> = HashMap::new();
        let mut inputs = vec![];
        for (kind, _) in &program.inputs {
            let (input, coll) = scope.new_collection::<Tuple, isize>();
            inputs.push(input);
            colls.insert(*kind, coll);
        }
        // The last input: one empty row (given by worker 0), for aggregates over nothing.
        let (input, coll) = scope.new_collection::<Tuple, isize>();
        inputs.push(input);
        colls.insert(SENTINEL, coll);
        render(scope, program, &mut colls);
        for (kind, _) in &program.outputs {
            let (kind, sink) = (*kind, sink.clone());
            colls[&kind]
                .clone()
                .inner
                .exchange(|_| 0)
                .inspect(move |(row, _time, diff): &(Tuple, u64, isize)| {
                    sink.borrow_mut().push((kind, row.clone(), *diff))
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
