//! The database: kinds with their schemas and relations, entities and their aliases, and the
//! table of fact ids. Everything a query can read lives here.

use super::fold::fold;
use super::provenance::Rederiver;
use super::relation::Relation;
use super::status::Status;
use super::value::{Interner, Row, Sym, Type, Value, tiny_key};
use crate::date::Widening;
use crate::diagnostic::{Span, did_you_mean};
use hashbrown::HashMap;
use hashbrown::hash_map::Entry;

/// Index of a kind in [`Database::kinds`].
pub type KindId = usize;

/// One field of a kind's schema.
#[derive(serde::Serialize, serde::Deserialize, Clone, Debug)]
pub struct Field {
    pub name: String,
    pub ty: Type,
    pub doc: Option<String>,
}

/// How a kind came to exist.
#[derive(serde::Serialize, serde::Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum KindOrigin {
    /// Built into dalil (`entity`).
    Builtin,
    /// Declared with `kind … (…)`.
    Declared(Span),
    /// Defined by rules.
    Derived(Span),
    /// Declared with `kind`, its rows both stated and derived by rules (span: the first rule).
    Mixed(Span),
}

/// A kind: its schema and its rows. Column 0 is always `id`.
#[derive(serde::Serialize, serde::Deserialize, Clone, Debug)]
pub struct Kind {
    pub name: String,
    pub doc: Option<String>,
    pub fields: Vec<Field>,
    pub origin: KindOrigin,
    pub relation: Relation,
}

impl Kind {
    /// An empty built-in kind (`entity`, `mention`, `source`) from its fields as
    /// (name, type, description).
    pub fn builtin(name: &str, doc: &str, fields: &[(&str, Type, &str)]) -> Kind {
        Kind {
            name: name.into(),
            doc: Some(doc.into()),
            fields: fields
                .iter()
                .map(|&(name, ty, doc)| Field {
                    name: name.into(),
                    ty,
                    doc: Some(doc.into()),
                })
                .collect(),
            origin: KindOrigin::Builtin,
            relation: Relation::default(),
        }
    }

    /// The column of a field, by name.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.fields.iter().position(|f| f.name == name)
    }

    /// The column time filters apply to: the field named `date`.
    pub fn date_column(&self) -> Option<usize> {
        self.fields
            .iter()
            .position(|f| f.name == "date" && f.ty == Type::Date)
    }

    pub fn field_names(&self) -> impl Iterator<Item = &str> + Clone {
        self.fields.iter().map(|f| f.name.as_str())
    }

    /// Do rules add rows to it (so it is recomputed before a query)?
    pub fn is_derived(&self) -> bool {
        matches!(self.origin, KindOrigin::Derived(_) | KindOrigin::Mixed(_))
    }

    /// Are its rows only derived (no facts may be stated in it)?
    pub fn is_only_derived(&self) -> bool {
        matches!(self.origin, KindOrigin::Derived(_))
    }

    /// Readies a kind for a stated row: the rows rules derived (stale from now on) go first, so
    /// a fact equal to a derived row is kept as stated. Cheap when there are none: derived
    /// rows come after the stated ones.
    pub fn before_stating(&mut self) {
        let n = self.relation.len();
        if matches!(self.origin, KindOrigin::Mixed(_))
            && n > 0
            && self.relation.rule_of(n as u32 - 1).is_some()
        {
            self.relation.clear_derived();
        }
    }

    /// Drops the rows rules derived, keeping stated ones.
    pub fn clear_derived(&mut self) {
        match self.origin {
            KindOrigin::Mixed(_) => self.relation.clear_derived(),
            _ => self.relation.clear(),
        }
    }

    /// Does it hold facts written by users (not entities, mentions or sources), perhaps beside
    /// rows that rules derive?
    pub fn is_written(&self) -> bool {
        matches!(self.origin, KindOrigin::Declared(_) | KindOrigin::Mixed(_))
    }
}

/// The columns of the built-in `entity` kind.
pub mod entity_cols {
    pub const ID: usize = 0;
    pub const TYPE: usize = 1;
    pub const NAME: usize = 2;
    pub const NAME_AR: usize = 3;
    pub const ROLE: usize = 4;
    pub const AFFILIATION: usize = 5;
    pub const ALIASES: usize = 6;
}

/// The name of the built-in kind of entities.
pub const ENTITY: &str = "entity";

/// A copy of what resolving names reads ([`Database::names`]).
#[derive(Clone, Debug)]
pub struct Names {
    pub interner: Interner,
    entities: hashbrown::HashSet<Sym>,
    /// The entities whose id is at most 7 bytes, by the id as one number ([`tiny_key`]): 16
    /// bytes an entity, so that ten thousand fit the processor's nearer caches.
    short_ids: hashbrown::HashMap<u64, Sym>,
    aliases: HashMap<String, Sym>,
}

impl Names {
    /// The entity whose id is `name` exactly, as of the copy: the common case of
    /// [`Names::resolve_entity`], with no name folded.
    #[inline]
    pub fn entity_by_id(&self, name: &str) -> Option<Sym> {
        match tiny_key(name.as_bytes()) {
            Some(k) => self.short_ids.get(&k).copied(),
            None => self
                .interner
                .get(name)
                .filter(|s| self.entities.contains(s)),
        }
    }

    /// [`Database::resolve_entity`] as of the copy.
    pub fn resolve_entity(&self, name: &str) -> Option<Sym> {
        resolve(
            &self.interner,
            |s| self.entities.contains(&s),
            &self.aliases,
            name,
        )
    }
}

/// The entity `name` is the id, name or alias of.
fn resolve(
    interner: &Interner,
    is_entity: impl Fn(Sym) -> bool,
    aliases: &HashMap<String, Sym>,
    name: &str,
) -> Option<Sym> {
    if let Some(sym) = interner.get(name)
        && is_entity(sym)
    {
        return Some(sym);
    }
    aliases.get(&fold(name)).copied()
}

/// All kinds, entities and ids.
#[derive(serde::Serialize, serde::Deserialize, Clone, Debug)]
pub struct Database {
    pub interner: Interner,
    pub kinds: Vec<Kind>,
    by_name: HashMap<String, KindId>,
    /// Entity id → its row in the `entity` relation (`None` while only its name is known).
    entity_rows: HashMap<Sym, Option<u32>>,
    /// Folded name or alias → entity id.
    aliases: HashMap<String, Sym>,
    /// Every name and alias as written, for suggestions and completion.
    spellings: Vec<String>,
    /// Fact id → where the fact is.
    fact_ids: HashMap<Sym, (KindId, u32)>,
    /// How far `possibly` widens approximate dates (`:set approx`); kept here because every
    /// date comparison, in queries and in rules, reads it.
    pub widening: Widening,
    /// The sizes of the kinds `mention` was last computed from (see `store::mention`).
    pub(super) mention_signature: Vec<usize>,
    /// The source declared last in the text being run: citations without a source name point
    /// into it, relative dates resolve against its date (see `store::source`).
    pub current_source: Option<String>,
    /// The weakest status a query shows (`--trust`, `:trust`); `background` shows every row.
    pub trust: Status,
    /// Finds again the premises of the rows derived by the last fixpoint (see
    /// [`Database::origin`]); not saved in a snapshot, whose derived rows are recomputed.
    #[serde(skip)]
    pub rederive: Option<Rederiver>,
}

impl Default for Database {
    fn default() -> Self {
        Database::new()
    }
}

impl Database {
    /// An empty database with the built-in `entity` kind.
    pub fn new() -> Database {
        let mut db = Database {
            interner: Interner::default(),
            kinds: vec![],
            by_name: HashMap::new(),
            entity_rows: HashMap::new(),
            aliases: HashMap::new(),
            spellings: Vec::new(),
            fact_ids: HashMap::new(),
            widening: Widening::default(),
            mention_signature: Vec::new(),
            current_source: None,
            trust: Status::Background,
            rederive: None,
        };
        for status in ["stated", "inferred", "background", "derived"] {
            db.interner.intern(status);
        }
        db.add_kind(Kind::builtin(
            ENTITY,
            "A person, organisation, country or place",
            &[
                ("id", Type::Entity, "the name used to refer to it"),
                (
                    "type",
                    Type::Text,
                    "person, organisation, country, city, region or group",
                ),
                ("name", Type::Text, "English name"),
                ("name_ar", Type::Text, "Arabic name"),
                ("role", Type::Text, "role or description"),
                (
                    "affiliation",
                    Type::Entity,
                    "the organisation or country it belongs to",
                ),
                ("aliases", Type::List, "other names users may type"),
            ],
        ));
        db.add_kind(super::mention::kind());
        db.add_kind(super::source::kind());
        db
    }

    pub fn add_kind(&mut self, kind: Kind) -> KindId {
        let id = self.kinds.len();
        self.by_name.insert(kind.name.clone(), id);
        self.kinds.push(kind);
        id
    }

    /// Forgets the kinds added after the first `keep` (a refused rule's new kind).
    pub fn truncate_kinds(&mut self, keep: usize) {
        while self.kinds.len() > keep {
            if let Some(k) = self.kinds.pop() {
                self.by_name.remove(&k.name);
            }
        }
    }

    pub fn kind_id(&self, name: &str) -> Option<KindId> {
        self.by_name.get(name).copied()
    }

    pub fn kind(&self, id: KindId) -> &Kind {
        &self.kinds[id]
    }

    pub fn kind_mut(&mut self, id: KindId) -> &mut Kind {
        &mut self.kinds[id]
    }

    pub fn kind_names(&self) -> impl Iterator<Item = &str> + Clone {
        self.kinds.iter().map(|k| k.name.as_str())
    }

    pub fn entity_kind(&self) -> &Kind {
        &self.kinds[0]
    }

    pub fn has_entity(&self, id: Sym) -> bool {
        self.entity_rows.contains_key(&id)
    }

    /// Announces entity `id` and the names it answers to, before its row exists, so that facts
    /// and other entities may refer to it in any order. Returns the names already taken by
    /// another entity.
    pub fn announce_entity(&mut self, id: Sym, names: &[String]) -> Vec<(String, Sym)> {
        self.entity_rows.entry(id).or_insert(None);
        let mut clashes = Vec::new();
        for n in names {
            match self.aliases.entry(fold(n)) {
                Entry::Occupied(e) if *e.get() != id => clashes.push((n.clone(), *e.get())),
                Entry::Occupied(_) => {}
                Entry::Vacant(e) => {
                    e.insert(id);
                    self.spellings.push(n.clone());
                }
            }
        }
        clashes
    }

    /// Room for `n` more entities and their names (a file that declares thousands grows its
    /// tables once).
    pub fn reserve_entities(&mut self, n: usize) {
        self.entity_rows.reserve(n);
        self.aliases.reserve(2 * n);
        self.spellings.reserve(2 * n);
        if let Some(kind) = self.kind_id(ENTITY) {
            self.kind_mut(kind).relation.reserve(n);
        }
    }

    /// Records that entity `id` lives in row `row` of the `entity` relation.
    pub fn place_entity(&mut self, id: Sym, row: u32) {
        self.entity_rows.insert(id, Some(row));
    }

    /// Which entity answers to `name` (its id, English or Arabic name, or an alias)?
    pub fn resolve_entity(&self, name: &str) -> Option<Sym> {
        resolve(
            &self.interner,
            |s| self.entity_rows.contains_key(&s),
            &self.aliases,
            name,
        )
    }

    /// The texts and the entities' names as they are now, for a thread that resolves names
    /// while the database changes.
    pub fn names(&self) -> Names {
        Names {
            interner: self.interner.clone(),
            entities: self.entity_rows.keys().copied().collect(),
            short_ids: self
                .entity_rows
                .keys()
                .filter_map(|&s| Some((tiny_key(self.interner.resolve(s).as_bytes())?, s)))
                .collect(),
            aliases: self.aliases.clone(),
        }
    }

    /// The name closest to `name` that some entity answers to, when one is close enough to be
    /// a misspelling of it: that spelling and the entity. Compared folded, so a missing
    /// diacritic or hamza costs nothing.
    pub fn nearest_entity(&self, name: &str) -> Option<(&str, Sym)> {
        if name
            .chars()
            .nth(crate::diagnostic::MAX_SUGGEST_CHARS)
            .is_some()
        {
            return None;
        }
        let folded: Vec<String> = self.spellings.iter().map(|s| fold(s)).collect();
        let best = did_you_mean(&fold(name), folded.iter().map(String::as_str))?;
        let i = folded.iter().position(|f| *f == best)?;
        let spelling = self.spellings[i].as_str();
        Some((spelling, self.aliases.get(&best).copied()?))
    }

    /// "did you mean `Chanegriha` (Saïd Chengriha)?": the nearest name, with the entity's own
    /// name when the nearest is another of its names.
    pub fn entity_suggestion(&self, name: &str) -> Option<String> {
        let (spelling, id) = self.nearest_entity(name)?;
        let label = self.entity_label(id);
        Some(if fold(label) == fold(spelling) {
            format!("did you mean `{label}`?")
        } else if label == spelling {
            format!("did you mean `{spelling}`?")
        } else {
            format!("did you mean `{spelling}` ({label})?")
        })
    }

    /// Every name an entity answers to, for suggestions and completion.
    pub fn entity_names(&self) -> impl Iterator<Item = &str> + Clone {
        self.spellings.iter().map(|s| s.as_str())
    }

    /// The entity's row in the `entity` relation, if declared.
    pub fn entity_index(&self, id: Sym) -> Option<u32> {
        *self.entity_rows.get(&id)?
    }

    /// The entity's row, if declared.
    pub fn entity_row(&self, id: Sym) -> Option<Row> {
        Some(self.kinds[0].relation.row(self.entity_index(id)?))
    }

    /// One field of an entity (unknown when it is not declared).
    pub fn entity_field(&self, id: Sym, col: usize) -> Value {
        match self.entity_index(id) {
            Some(row) => self.kinds[0].relation.get(row, col),
            None => Value::Null,
        }
    }

    /// The English name of an entity, or its id when it has none.
    pub fn entity_label(&self, id: Sym) -> &str {
        match self.entity_field(id, entity_cols::NAME) {
            Value::Text(s) => self.interner.resolve(s),
            _ => self.interner.resolve(id),
        }
    }

    pub fn register_fact_id(&mut self, id: Sym, kind: KindId, row: u32) -> Option<(KindId, u32)> {
        self.fact_ids.insert(id, (kind, row))
    }

    pub fn fact_by_id(&self, id: Sym) -> Option<(KindId, u32)> {
        self.fact_ids.get(&id).copied()
    }

    pub fn fact_id_names(&self) -> impl Iterator<Item = &str> + Clone {
        self.fact_ids.keys().map(|s| self.interner.resolve(*s))
    }

    /// Number of stated (non-derived) rows across all kinds except entities.
    /// Bytes the rows of every kind, their origins and indexes take (an estimate from the
    /// store's own counts; the memory budget of rules compares against it).
    pub fn heap_bytes(&self) -> u64 {
        self.kinds
            .iter()
            .map(|k| (k.relation.heap_bytes() + k.relation.index_bytes()) as u64)
            .sum()
    }

    pub fn fact_count(&self) -> usize {
        self.kinds
            .iter()
            .filter(|k| k.is_written())
            .map(|k| k.relation.len())
            .sum()
    }

    pub fn entity_count(&self) -> usize {
        self.kinds[0].relation.len()
    }

    /// Text of a value for display: entities by English name, dates at their precision.
    pub fn display(&self, v: &Value) -> String {
        match v {
            Value::Null => String::new(),
            Value::Bool(b) => b.to_string(),
            Value::Num(n) => format_number(*n),
            Value::Text(s) | Value::Ref(s) => self.interner.resolve(*s).to_string(),
            Value::Date(d) => d.to_string(),
            Value::Entity(s) => self.entity_label(*s).to_string(),
            Value::List(items) => items
                .iter()
                .map(|i| self.display(i))
                .collect::<Vec<_>>()
                .join(", "),
        }
    }
}

/// Whole numbers without a decimal point; others as Rust prints them.
pub fn format_number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        return format!("{}", n as i64);
    }
    let shortest = format!("{n}");
    if !n.is_finite() || n.fract() == 0.0 {
        return shortest;
    }
    // At most 15 significant digits, as SQLite shows a double: `0.1 + 0.2` is 0.3, not
    // 0.30000000000000004, and `2 / 3` is 0.666666666666667 (JSON keeps every digit).
    let whole_digits = n.abs().log10().floor() as i32 + 1;
    let decimals = (15 - whole_digits).clamp(0, 340) as usize;
    let rounded = format!("{n:.decimals$}");
    let rounded = rounded.trim_end_matches('0').trim_end_matches('.');
    if rounded.len() < shortest.len() {
        rounded.to_string()
    } else {
        shortest
    }
}

/// The database is read by the workers of a parallel round at once.
const _: () = {
    const fn shared_between_threads<T: Sync + Send>() {}
    shared_between_threads::<Database>();
};

#[cfg(test)]
mod number_tests {
    use super::format_number;

    #[test]
    fn numbers_show_at_most_fifteen_significant_digits() {
        assert_eq!(format_number(0.1 + 0.2), "0.3");
        assert_eq!(format_number(2.0 / 3.0), "0.666666666666667");
        assert_eq!(format_number(3.5), "3.5");
        assert_eq!(format_number(-7.0), "-7");
        assert_eq!(format_number(1e-20), "0.00000000000000000001");
        assert_eq!(format_number(1.0 / 3e10), "0.0000000000333333333333333");
        assert_eq!(format_number(123456.789), "123456.789");
        assert_eq!(format_number(9007199254740991.0), "9007199254740991");
        assert_eq!(format_number(1.0e300 / 7.0), format!("{}", 1.0e300 / 7.0));
    }
}
