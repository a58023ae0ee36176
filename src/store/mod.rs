//! The physical layer: interned values, relations with their indexes and origins, and the
//! database of kinds and entities.
//!
//! Invariant: a relation never holds two equal rows; every row has an origin (its citations,
//! or the rule and premises it was derived from).

mod column;
mod database;
mod fold;
mod mention;
mod packed;
mod provenance;
mod relation;
mod row_ids;
mod source;
mod status;
mod value;

pub use column::{Column, NO_INT, as_int};
pub use database::{
    Database, ENTITY, Field, Kind, KindId, KindOrigin, Names, entity_cols, format_number,
};
pub use fold::fold;
pub use mention::MENTION;
pub use provenance::{Rederive, Rederiver, virtual_cols};
pub use relation::{
    Cite, INDEX_CHUNK, IndexRef, Origin, OriginId, Relation, RowHasher, RowOrigin, pack_ints,
};
pub use source::SOURCE;
pub use status::Status;
pub use value::{Interner, Row, Sym, Type, Value, short_key};
