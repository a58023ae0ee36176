//! The built-in kind `mention`: one row for every entity field of every written fact (and every
//! entity row), so that "everything said about Tudor" is one query (`about "Tudor"`). Each row
//! carries the origin of the fact it comes from, so its citations and status are the fact's.
//! It is recomputed from the other kinds whenever they have changed.

use super::database::{Database, ENTITY, Kind, entity_cols};
use super::relation::{Origin, Relation, RowOrigin};
use super::value::{Type, Value};

/// The name of the built-in kind of mentions.
pub const MENTION: &str = "mention";

/// The `mention` kind, empty.
pub fn kind() -> Kind {
    Kind::builtin(
        MENTION,
        "A fact of any kind that names an entity in one of its fields",
        &[
            ("id", Type::Ref, "(mentions have no id)"),
            (
                "fact",
                Type::Ref,
                "the fact's id (an entity's own id for an entity; kind(values) for a fact without an id)",
            ),
            ("kind_of", Type::Text, "the fact's kind"),
            ("field", Type::Text, "the field that names the entity"),
            ("subject", Type::Entity, "the entity named"),
        ],
    )
}

impl Database {
    /// Brings `mention` up to date with the written kinds and the entities (nothing to do when
    /// none of them changed since the last time).
    pub fn refresh_mentions(&mut self) {
        let Some(mention) = self.kind_id(MENTION) else {
            return;
        };
        let signature: Vec<usize> = self
            .kinds
            .iter()
            .map(|k| {
                if k.is_written() || k.name == ENTITY {
                    k.relation.len()
                } else {
                    0
                }
            })
            .collect();
        if signature == self.mention_signature {
            return;
        }
        let mut found = Vec::new();
        for (k, kind) in self.kinds.iter().enumerate() {
            let is_entity = kind.name == ENTITY;
            if !is_entity && !kind.is_written() {
                continue;
            }
            let columns: Vec<usize> = (0..kind.fields.len())
                .filter(|&c| kind.fields[c].ty == Type::Entity)
                .collect();
            for i in 0..kind.relation.len() as u32 {
                if kind.relation.rule_of(i).is_some() {
                    continue; // derived by a rule, not written
                }
                for &c in &columns {
                    if let Value::Entity(e) = kind.relation.get(i, c) {
                        found.push((k, i, c, e));
                    }
                }
            }
        }
        let mut rows = Vec::with_capacity(found.len());
        for (k, i, c, e) in found {
            let fact = self.fact_name(k, i);
            let kind = &self.kinds[k];
            let field = if kind.name == ENTITY && c == entity_cols::ID {
                "id"
            } else {
                kind.fields[c].name.as_str()
            };
            let (kind_name, field) = (kind.name.clone(), field.to_string());
            let row = vec![
                Value::Null,
                Value::Ref(self.interner.intern(&fact)),
                Value::Text(self.interner.intern(&kind_name)),
                Value::Text(self.interner.intern(&field)),
                Value::Entity(e),
            ];
            rows.push((row, k, i));
        }
        let mut relation = Relation::default();
        let mut last: Option<((usize, u32), super::relation::OriginId)> = None;
        for (row, k, i) in rows {
            let shared = match last {
                Some((at, id)) if at == (k, i) => id,
                _ => {
                    let mut origin = self.origin(k, i);
                    // Its premises are kept with it: they cannot be found again from here.
                    if let Origin::Derived { round, .. } = &mut origin {
                        *round = None;
                    }
                    let id = relation.add_origin(origin);
                    last = Some(((k, i), id));
                    id
                }
            };
            relation.insert_with(&row, RowOrigin::Shared(shared));
        }
        self.kind_mut(mention).relation = relation;
        self.mention_signature = signature;
    }

    /// How a mention names its fact: the fact's id, or `kind(value, …)` for a fact without one.
    fn fact_name(&self, k: usize, i: u32) -> String {
        let kind = &self.kinds[k];
        match kind.relation.get(i, 0) {
            Value::Ref(s) | Value::Entity(s) => self.interner.resolve(s).to_string(),
            _ => {
                let values: Vec<String> = (1..kind.fields.len())
                    .map(|c| kind.relation.get(i, c))
                    .filter(|v| !v.is_null())
                    .map(|v| self.display(&v))
                    .collect();
                format!("{}({})", kind.name, values.join(", "))
            }
        }
    }
}
