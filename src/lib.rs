//! dalil: a rule-based query language over facts traced to the sentences they come from.
//!
//! The pipeline, one module per stage: [`syntax`] (grammar → syntax tree with spans) →
//! [`check`] (names and types → checked program) → [`plan`] → [`eval`] → [`output`].
//! [`store`] holds the relations; [`Session`] is the one way in for every front end.

// Diagnostics are large but travel only on the error path, where their size costs nothing.
#![allow(clippy::result_large_err)]

pub mod check;
#[cfg(feature = "dataflow")]
pub mod dataflow;
pub mod date;
pub mod diagnostic;
pub mod eval;
pub mod files;
pub mod help;
mod huge_pages;
pub mod load;
mod meta;
pub mod output;
pub mod plan;
pub mod progress;
pub mod repl;
pub mod serve;
pub mod session;
pub mod snapshot;
pub mod store;
pub mod syntax;
pub mod why;

pub use diagnostic::{Diagnostic, Span};

/// Every binary built on the library (dalil, its tests and benchmarks) allocates through it.
#[global_allocator]
static ALLOCATOR: huge_pages::HugePages = huge_pages::HugePages;
pub use output::Format;
pub use session::{Reply, RunSummary, Session};
