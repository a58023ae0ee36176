//! Where the session meets the dataflow engine: turning it on, refusing rules it cannot
//! lower, refreshing derived kinds through it, `why` through the local engine, `explain`.

use super::{Engine, Options, lower};
use crate::Session;
use crate::check::Strata;
use crate::diagnostic::Diagnostic;
use crate::eval::{Budget, LimitHit};

/// What the session's refresh should do after asking the dataflow engine.
pub enum Route {
    /// The dataflow engine brought the derived kinds up to date (or failed to).
    Done(Result<(), LimitHit>),
    /// Use the local engine; `force`: even if nothing changed (the rows lack premises).
    Local { force: bool },
}

impl Session {
    /// Runs derived kinds on the dataflow engine from now on. Fails when the rules loaded so
    /// far cannot be lowered (the report, rendered) or the workers cannot start.
    pub fn use_dataflow(&mut self, options: Options) -> Result<(), String> {
        if let Err(d) = lower(&self.db, &self.rules, &self.strata, &Default::default()) {
            return Err(self.render(&d));
        }
        self.dataflow.0 = Some(Engine::start(options)?);
        self.derived_stale = true;
        Ok(())
    }

    /// With the dataflow engine on, refuses a program it cannot lower (naming the construct).
    pub(crate) fn dataflow_check(&self, strata: &Strata) -> Result<(), Diagnostic> {
        match &self.dataflow.0 {
            Some(e) => lower(&self.db, &self.rules, strata, e.dates()).map(|_| ()),
            None => Ok(()),
        }
    }

    /// Brings the derived kinds up to date on the dataflow engine, when it is on. `local`:
    /// the caller needs the local engine's derivations (`why`, `explain analyze`).
    pub(crate) fn dataflow_refresh(&mut self, budget: &mut Budget, local: bool) -> Route {
        let Some(engine) = self.dataflow.0.as_mut() else {
            return Route::Local { force: false };
        };
        if local {
            // The local engine recomputes the derived kinds with their premises; the dataflow
            // is rebuilt on its next use, so the two never disagree about what it holds.
            engine.invalidate();
            let force = engine.origins_missing;
            engine.origins_missing = false;
            return Route::Local { force };
        }
        // Without the rules set aside (stopped by a limit or an expression without a value).
        let strata = self.active_strata();
        let Some(engine) = self.dataflow.0.as_mut() else {
            return Route::Local { force: false };
        };
        if !self.derived_stale && !engine.needs_refresh(&self.rules, &strata) {
            return Route::Done(Ok(()));
        }
        let result = engine
            .refresh(&mut self.db, &self.rules, &strata, budget)
            .map(|_| {
                self.derived_stale = false;
            });
        match &result {
            Err(hit) => {
                if let (LimitHit::Failed(_), Some(rule)) = (hit, budget.current_rule()) {
                    self.stopped_in(rule, hit, budget.rows_spent());
                }
                for r in &self.rules {
                    self.db.kind_mut(r.head_kind).clear_derived();
                }
            }
            Ok(()) => engine.origins_missing = true,
        }
        Route::Done(result)
    }

    /// `--timing`: what the last dataflow refresh did, once.
    pub(crate) fn dataflow_timing(&mut self) -> Option<String> {
        self.dataflow
            .0
            .as_mut()
            .and_then(|e| e.last.take())
            .map(|r| r.describe())
    }

    /// `explain`: the engine and the lowering, when the dataflow engine is on.
    pub(crate) fn dataflow_explain(&self) -> Option<String> {
        self.dataflow.0.as_ref().map(|e| e.describe(&self.db))
    }

    /// Is this session running on a process of a cluster other than the first (whose output
    /// nobody reads)?
    pub fn is_secondary_process(&self) -> bool {
        self.dataflow
            .0
            .as_ref()
            .is_some_and(|e| e.options().process > 0)
    }
}
