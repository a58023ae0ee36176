//! The columns every kind has besides its declared fields — `status` and `cite` — read like
//! fields in queries and in rule bodies (`located_in(place: ?x, status: "stated")`).
//!
//! A written fact's `cite` is its citations (and `background` for outside knowledge); a
//! derived row's is every citation its derivation rests on, down to the written facts.
//!
//! A row derived in a fixpoint keeps only its rule, status and round; its premises are found
//! again when `why`, `cite` or a proof asks for them ([`Database::origin`]), by the
//! evaluator's [`Rederive`] (which replays that round of that rule with the row's values).

use super::database::{Database, Kind, KindId};
use super::relation::Origin;
use super::value::{Sym, Type, Value};
use std::collections::HashSet;
use std::sync::Arc;

/// Finds again the premises of a row derived by rule `rule` in round `round` of the last
/// fixpoint: the rows, in body order, of the first derivation that made it.
pub trait Rederive: Send + Sync {
    fn premises(
        &self,
        db: &Database,
        kind: KindId,
        row: u32,
        rule: usize,
        round: u32,
    ) -> Option<Vec<(KindId, u32)>>;
}

/// The [`Rederive`] a database holds.
#[derive(Clone)]
pub struct Rederiver(pub Arc<dyn Rederive>);

impl std::fmt::Debug for Rederiver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Rederiver")
    }
}

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
    /// Where row `row` of `kind` came from, with the premises of a derived row (found again
    /// when the row keeps only its round).
    pub fn origin(&self, kind: KindId, row: u32) -> Origin {
        let mut origin = self.kind(kind).relation.origin(row);
        if let Origin::Derived {
            rule,
            premises,
            round: Some(round),
            ..
        } = &mut origin
            && premises.is_empty()
            && let Some(r) = &self.rederive
        {
            *premises =
                r.0.premises(self, kind, row, *rule, *round)
                    .unwrap_or_default();
        }
        origin
    }

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
            match self.origin(k, r) {
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
