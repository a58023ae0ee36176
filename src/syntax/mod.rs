//! The surface syntax: the pest grammar (`grammar/dalil.pest`) and the syntax tree built from it.
//!
//! Invariant: every node carries the span it was parsed from; nothing here knows about kinds,
//! fields or entities (that is the checker's job).

pub mod ast;
mod errors;
pub(crate) mod fast;
mod parse;
pub(crate) mod split;

pub use errors::{is_keyword, keywords};
pub use parse::{ParseLimits, Piece, fact_at, is_incomplete, parse_pieces, parse_program};
