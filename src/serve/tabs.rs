//! One session per browser tab, each on its own thread (a session is not `Send`: it lives
//! where it was built). A tab's thread runs its requests one after another; the tabs run side
//! by side, so one tab's runaway query never holds up another's. Tabs idle longer than
//! [`ServeOptions::idle`] are dropped, and at most [`ServeOptions::max_tabs`] are kept.

use super::{Factory, ServeOptions};
use crate::Session;
use crate::eval::Interrupt;
use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};
use std::sync::Mutex;
use std::sync::mpsc;
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

/// Work for a tab's thread: a closure over its session, answered on a channel.
type Job = Box<dyn FnOnce(&mut Session) + Send>;

struct Tab {
    jobs: mpsc::Sender<Job>,
    interrupt: Interrupt,
    last_used: Instant,
}

/// The open tabs, by id.
pub(crate) struct Tabs {
    factory: Factory,
    tabs: Mutex<HashMap<String, Tab>>,
    idle: Duration,
    max_tabs: usize,
    allow_files: bool,
}

/// What a request for a tab got: its id, whether it is new, and its session's interrupt.
pub(crate) struct Handle {
    pub id: String,
    pub interrupt: Interrupt,
    jobs: mpsc::Sender<Job>,
}

impl Handle {
    /// Runs `work` on the tab's session and waits for its answer.
    pub async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Session) -> T + Send + 'static,
    ) -> Option<T> {
        let (tx, rx) = oneshot::channel();
        let job: Job = Box::new(move |s| {
            let _ = tx.send(work(s));
        });
        self.jobs.send(job).ok()?;
        rx.await.ok()
    }
}

impl Tabs {
    pub fn new(factory: Factory, options: &ServeOptions) -> Tabs {
        Tabs {
            factory,
            tabs: Mutex::new(HashMap::new()),
            idle: options.idle,
            max_tabs: options.max_tabs.max(1),
            allow_files: options.allow_files,
        }
    }

    /// The tab `id`, or a new one when `id` is missing, unknown or expired. A new tab's
    /// session is built on its own thread, without holding up the other tabs.
    pub fn get(&self, id: Option<&str>) -> Result<Handle, String> {
        {
            let mut tabs = self.lock();
            let now = Instant::now();
            // Dropping a tab's sender ends its thread once its current job is done.
            tabs.retain(|_, t| now.duration_since(t.last_used) < self.idle);
            if let Some((id, tab)) = id.and_then(|id| Some(id).zip(tabs.get_mut(id))) {
                tab.last_used = now;
                return Ok(Handle {
                    id: id.to_string(),
                    interrupt: tab.interrupt.clone(),
                    jobs: tab.jobs.clone(),
                });
            }
        }
        let (jobs, rx) = mpsc::channel::<Job>();
        let (ready_tx, ready_rx) = mpsc::channel::<Result<Interrupt, String>>();
        let factory = self.factory.clone();
        let allow_files = self.allow_files;
        std::thread::Builder::new()
            .name("dalil-tab".into())
            .spawn(move || {
                let mut session = match factory() {
                    Ok(s) => s,
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                        return;
                    }
                };
                session.files_allowed = allow_files;
                let _ = ready_tx.send(Ok(session.interrupt.clone()));
                while let Ok(job) = rx.recv() {
                    job(&mut session);
                }
            })
            .map_err(|e| format!("cannot start a session: {e}"))?;
        let interrupt = ready_rx
            .recv()
            .map_err(|_| "the session could not be started".to_string())??;
        let id = new_id();
        let mut tabs = self.lock();
        while tabs.len() >= self.max_tabs {
            let Some(oldest) = tabs
                .iter()
                .min_by_key(|(_, t)| t.last_used)
                .map(|(k, _)| k.clone())
            else {
                break;
            };
            if let Some(t) = tabs.remove(&oldest) {
                t.interrupt.raise();
            }
        }
        tabs.insert(
            id.clone(),
            Tab {
                jobs: jobs.clone(),
                interrupt: interrupt.clone(),
                last_used: Instant::now(),
            },
        );
        Ok(Handle {
            id,
            interrupt,
            jobs,
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Tab>> {
        self.tabs.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Drops tab `id` (its thread ends after its current job).
    pub fn forget(&self, id: &str) {
        self.lock().remove(id);
    }
}

/// A random session id (128 bits from the standard library's randomly seeded hasher).
fn new_id() -> String {
    let mut parts = [0u64; 2];
    for (i, p) in parts.iter_mut().enumerate() {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos()),
        );
        h.write_usize(i);
        *p = h.finish();
    }
    format!("{:016x}{:016x}", parts[0], parts[1])
}
