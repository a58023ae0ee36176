//! The columns every kind has besides its declared fields — `status` and `cite` — read like
//! fields in queries and in rule bodies (`located_in(place: ?x, status: "stated")`).
//!
//! A written fact's `cite` is its citations (and `background` for outside knowledge); a
//! derived row's is every citation its derivation rests on, down to the written facts.

use super::database::{Database, Kind, KindId};
use super::relation::Origin;
use super::value::{Sym, Type, Value};
use std::collections::HashSet;

/// Column numbers past any declared field, one per provenance column.
pub mod virtual_cols {
    use super::Type;

    /// `status`: `stated`, `inferred` or `background`.
    pub const STATUS: usize = usize::MAX - 1;
    /// `cite`: the citations a row rests on.
    pub const CITE: usize = usize::MAX;

    /// The column and type of a provenance column, by name.
    pub fn by_name(name: &str) -> Option<(usize, Type)> {
        match name {
            "status" => Some((STATUS, Type::Text)),
            "cite" => Some((CITE, Type::List)),
            _ => None,
        }
    }

    /// Is `col` a provenance column rather than a declared field?
    #[inline]
    pub fn is_virtual(col: usize) -> bool {
        col >= STATUS
    }
}

impl Kind {
    /// The name of column `col`: a declared field, `status` or `cite`.
    pub fn column_name(&self, col: usize) -> &str {
        match col {
            virtual_cols::STATUS => "status",
            virtual_cols::CITE => "cite",
            _ => self.fields.get(col).map_or("?", |f| f.name.as_str()),
        }
    }
}

impl Database {
    /// Row `row` of `kind` in column `col`, a declared field or a provenance column.
    pub fn cell_at(&self, kind: KindId, row: u32, col: usize) -> Value {
        let rel = &self.kind(kind).relation;
        match col {
            virtual_cols::STATUS => self
                .interner
                .get(rel.status(row).name())
                .map_or(Value::Null, Value::Text),
            virtual_cols::CITE => self.cite_list(kind, row),
            _ => rel.get(row, col),
        }
    }

    /// The citations row `row` of `kind` rests on, in the order its derivation reaches them,
    /// each once.
    pub fn cite_list(&self, kind: KindId, row: u32) -> Value {
        let mut seen = HashSet::new();
        let mut cites: Vec<Sym> = Vec::new();
        let mut stack = vec![(kind, row)];
        while let Some((k, r)) = stack.pop() {
            if !seen.insert((k, r)) {
                continue;
            }
            match self.kind(k).relation.origin(r) {
                Origin::Derived { premises, .. } => stack.extend(premises.into_iter().rev()),
                stated => {
                    for part in stated
                        .cite_text(self.cites_show_sources())
                        .split(", ")
                        .filter(|s| !s.is_empty())
                    {
                        if let Some(s) = self.interner.get(part)
                            && !cites.contains(&s)
                        {
                            cites.push(s);
                        }
                    }
                }
            }
        }
        Value::List(cites.into_iter().map(Value::Text).collect())
    }
}
