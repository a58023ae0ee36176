//! The checking pass: names resolved against the schema, values typed, dates validated;
//! declarations and facts added to the database, queries turned into [`CheckedQuery`].
//!
//! Invariant: nothing reaches the database or the planner without passing through here, and a
//! statement with an error changes nothing.

mod declare;
pub mod expr;
pub mod functions;
pub mod ir;
mod query;
mod query_expr;
mod relative;
pub mod rules;
mod values;

pub use declare::{
    FactCache, add_entity, add_fact, add_plain_fact, announce_entity, dangling_references,
    declare_kind, unknown_kind,
};
pub use ir::{CheckedQuery, CitePlace, Column, FieldRef, Pred};
pub use query::{VIRTUAL_FIELDS, check_query, resolve_path};
pub use rules::{BodyLit, CheckedRule, Strata, check_rule, expand_or, stratify};
pub use values::{date_for, date_value, typed_value};
