//! Evaluation: runs a plan over the database and returns a [`ResultSet`].
//!
//! Comparisons with an unknown value are false (so `not` of one is true); date comparisons use
//! the certainly/possibly semantics of [`crate::date`].

mod budget;
pub mod expr;
mod fixpoint;
mod ints;
mod profile;
mod query;
mod rederive;

pub use budget::{
    Budget, DEFAULT_MAX_MEMORY, Interrupt, LimitHit, MIN_SPLIT, Progress, ProgressSink,
    default_threads, progress_after, set_pool_threads, start_pool, threads_or_default,
};
pub use fixpoint::{FixpointStats, NEWEST_KEPT, evaluate_rules, evaluate_rules_profiled};
pub use profile::{FixpointProfile, PlanProfile, QueryProfile, StepProfile, StratumProfile};
pub use query::{
    ResultSet, cell, compare, compare_by, execute, execute_profiled, holds, intern_computed_texts,
    order_unnamed,
};
