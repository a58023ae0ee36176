//! The built-in kind `source`: the texts facts are cited from (outlet, title, publication date,
//! language, address). A `source` declaration makes its source the current one for the rest of
//! the text it appears in: citations without a source name point into it, and relative dates
//! (`last_month`) resolve against its publication date.

use super::database::{Database, Kind};
use super::value::{Type, Value};
use crate::date::Date;

/// The name of the built-in kind of sources.
pub const SOURCE: &str = "source";

/// The `source` kind's columns.
pub mod source_cols {
    pub const ID: usize = 0;
    pub const DATE: usize = 3;
}

/// The `source` kind, empty.
pub fn kind() -> Kind {
    Kind::builtin(
        SOURCE,
        "A text the facts are cited from",
        &[
            (
                "id",
                Type::Ref,
                "the short name citations use: `cite araby:p2.s1`",
            ),
            ("outlet", Type::Text, "who published it"),
            ("title", Type::Text, "its title"),
            ("date", Type::Date, "its publication date"),
            (
                "language",
                Type::Text,
                "its language (a code such as \"ar\")",
            ),
            ("address", Type::Text, "where it can be read"),
        ],
    )
}

impl Database {
    /// The number of sources declared.
    pub fn source_count(&self) -> usize {
        self.kind_id(SOURCE)
            .map_or(0, |k| self.kind(k).relation.len())
    }

    /// Do citations name their source? Only when more than one source is loaded.
    pub fn cites_show_sources(&self) -> bool {
        self.source_count() > 1
    }

    /// The row of the source called `name`, if declared.
    fn source_row(&self, name: &str) -> Option<u32> {
        let k = self.kind(self.kind_id(SOURCE)?);
        let sym = self.interner.get(name)?;
        (0..k.relation.len() as u32)
            .find(|&i| k.relation.get(i, source_cols::ID) == Value::Ref(sym))
    }

    pub fn has_source(&self, name: &str) -> bool {
        self.source_row(name).is_some()
    }

    /// Every source's name, for suggestions.
    pub fn source_names(&self) -> Vec<String> {
        let Some(k) = self.kind_id(SOURCE) else {
            return vec![];
        };
        let rel = &self.kind(k).relation;
        (0..rel.len() as u32)
            .map(|i| self.display(&rel.get(i, source_cols::ID)))
            .collect()
    }

    /// The publication date of the source called `name`, if it has one.
    pub fn source_date(&self, name: &str) -> Option<Date> {
        let row = self.source_row(name)?;
        match self
            .kind(self.kind_id(SOURCE)?)
            .relation
            .get(row, source_cols::DATE)
        {
            Value::Date(d) => Some(d),
            _ => None,
        }
    }
}
