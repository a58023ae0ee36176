//! What the prompt knows of the database while a line is being edited: the kinds, their fields
//! with types and known values, and every name an entity answers to. It is rebuilt after each
//! statement, so the editor's helper never borrows the session.

use crate::store::{Database, Type, Value, entity_cols, format_number};
use std::collections::BTreeSet;

/// Most values offered for one field.
const MAX_VALUES: usize = 500;
/// Most rows read for one field's values, so that a large fact base keeps the prompt quick.
const MAX_ROWS_READ: usize = 20_000;
/// Longer texts are not offered as values (nobody completes a whole sentence).
const MAX_VALUE_CHARS: usize = 60;

/// A snapshot of the schema and of the values worth completing.
#[derive(Clone, Debug, Default)]
pub struct Catalog {
    /// Index 0 is the built-in `entity` kind when the catalog comes from a database.
    pub kinds: Vec<KindInfo>,
    /// Every name, Arabic name and alias of every entity, as written.
    pub entity_names: Vec<String>,
}

/// A kind: base or derived, with its fields.
#[derive(Clone, Debug)]
pub struct KindInfo {
    pub name: String,
    pub derived: bool,
    pub fields: Vec<FieldInfo>,
}

/// A field, its type, and the values it holds (entities by all their names).
#[derive(Clone, Debug)]
pub struct FieldInfo {
    pub name: String,
    pub ty: Type,
    pub values: Vec<String>,
}

impl Catalog {
    /// Reads what completion needs from `db`.
    pub fn of(db: &Database) -> Catalog {
        let mut entity_names = BTreeSet::new();
        for row in db.entity_kind().relation.rows() {
            entity_names.extend(entity_forms(db, &row));
        }
        let all_entities: Vec<String> = entity_names.iter().cloned().collect();
        let kinds = db
            .kinds
            .iter()
            .map(|k| {
                let mut fields: Vec<FieldInfo> = k
                    .fields
                    .iter()
                    .enumerate()
                    .map(|(col, f)| FieldInfo {
                        name: f.name.clone(),
                        ty: f.ty,
                        values: column_values(db, &k.relation, col, f.ty, &all_entities),
                    })
                    .collect();
                for (name, ty) in [("cite", Type::List), ("status", Type::Text)] {
                    if k.column(name).is_none() {
                        let values = if name == "status" {
                            ["stated", "inferred", "background"]
                                .map(String::from)
                                .to_vec()
                        } else {
                            vec![]
                        };
                        fields.push(FieldInfo {
                            name: name.into(),
                            ty,
                            values,
                        });
                    }
                }
                KindInfo {
                    name: k.name.clone(),
                    derived: k.is_derived(),
                    fields,
                }
            })
            .collect();
        Catalog {
            kinds,
            entity_names: all_entities,
        }
    }

    /// What changes when the database does: the number of kinds and of rows in each. The
    /// prompt rebuilds its catalog only when this changes.
    pub fn signature(db: &Database) -> Vec<usize> {
        db.kinds.iter().map(|k| k.relation.len()).collect()
    }

    pub fn kind(&self, name: &str) -> Option<&KindInfo> {
        self.kinds.iter().find(|k| k.name == name)
    }

    /// The kind whose fields follow `path.` in a query on `kind`: the kind itself for an empty
    /// path, the entity kind after a field holding an entity.
    pub fn kind_after(&self, kind: &str, path: &[&str]) -> Option<&KindInfo> {
        let mut k = self.kind(kind)?;
        for seg in path {
            let f = k.fields.iter().find(|f| f.name == *seg)?;
            if f.ty != Type::Entity {
                return None;
            }
            k = self.kind(crate::store::ENTITY)?;
        }
        Some(k)
    }

    /// The field at the end of `path` in a query on `kind`.
    pub fn field(&self, kind: &str, path: &[&str]) -> Option<&FieldInfo> {
        let (last, init) = path.split_last()?;
        self.kind_after(kind, init)?
            .fields
            .iter()
            .find(|f| f.name == *last)
    }

    pub fn is_kind(&self, name: &str) -> bool {
        self.kind(name).is_some()
    }
}

impl KindInfo {
    pub fn has_field(&self, name: &str) -> bool {
        self.fields.iter().any(|f| f.name == name)
    }
}

/// The names an entity's row answers to: English name, Arabic name, aliases.
fn entity_forms(db: &Database, row: &[Value]) -> Vec<String> {
    let mut out = Vec::new();
    for col in [
        entity_cols::NAME,
        entity_cols::NAME_AR,
        entity_cols::ALIASES,
    ] {
        match &row[col] {
            Value::Text(s) => out.push(db.interner.resolve(*s).to_string()),
            Value::List(items) => out.extend(items.iter().map(|i| db.display(i))),
            _ => {}
        }
    }
    if out.is_empty()
        && let Value::Entity(s) = row[entity_cols::ID]
    {
        out.push(db.interner.resolve(s).to_string());
    }
    out
}

/// The distinct values of one column, as completion offers them.
fn column_values(
    db: &Database,
    rel: &crate::store::Relation,
    col: usize,
    ty: Type,
    all_entities: &[String],
) -> Vec<String> {
    let mut seen = BTreeSet::new();
    if ty == Type::Date {
        return vec![];
    }
    for i in 0..rel.len().min(MAX_ROWS_READ) as u32 {
        let v = &rel.get(i, col);
        match v {
            Value::Entity(s) => match db.entity_row(*s) {
                Some(r) => seen.extend(entity_forms(db, &r)),
                None => {
                    seen.insert(db.interner.resolve(*s).to_string());
                }
            },
            Value::Text(_) | Value::Ref(_) => {
                seen.insert(db.display(v));
            }
            Value::List(items) => seen.extend(items.iter().map(|i| db.display(i))),
            Value::Num(n) => {
                seen.insert(format_number(*n));
            }
            Value::Bool(b) => {
                seen.insert(b.to_string());
            }
            Value::Null | Value::Date(_) => {}
        }
        if seen.len() >= MAX_VALUES {
            break;
        }
    }
    if seen.is_empty() && ty == Type::Entity {
        return all_entities.to_vec();
    }
    seen.into_iter()
        .filter(|s| !s.is_empty() && s.chars().count() <= MAX_VALUE_CHARS)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::Session;

    #[test]
    fn knows_kinds_fields_and_entity_names() {
        let s = Session::with_article().expect("article loads");
        let c = Catalog::of(&s.db);
        let visit = c.kind("visit").expect("visit");
        assert!(visit.has_field("partner"));
        assert!(visit.has_field("cite"));
        let partner = c.field("visit", &["partner"]).expect("partner");
        assert!(partner.values.iter().any(|v| v == "United States"));
        assert!(partner.values.iter().any(|v| v == "US"));
        assert!(c.entity_names.iter().any(|n| n == "الجزائر"));
        let name = c.field("visit", &["led_by", "name"]).expect("led_by.name");
        assert!(name.values.iter().any(|v| v == "Claude Tudor"));
        assert!(c.field("visit", &["purpose", "name"]).is_none());
    }
}
