//! Values stored in relations, interned symbols, and field types.

use crate::date::Date;
use hashbrown::{DefaultHashBuilder, HashTable};
use std::fmt;
use std::hash::{BuildHasher, Hash, Hasher};
use std::sync::Arc;

/// An interned string: texts, entity ids and fact ids are compared and hashed as integers.
#[derive(
    serde::Serialize, serde::Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord,
)]
pub struct Sym(pub u32);

/// The table of interned strings. Every string lives once in one arena (`text`); a hash table
/// of symbols finds a string's symbol by the string's hash, so a symbol costs its bytes plus
/// about a dozen, not a separate allocation and a map key of its own.
#[derive(Default, Clone, serde::Serialize, serde::Deserialize)]
#[serde(into = "InternedTexts", from = "InternedTexts")]
pub struct Interner {
    text: String,
    /// End of each symbol's bytes in `text` (its start is the end of the one before).
    ends: Vec<usize>,
    table: HashTable<u32>,
    hasher: DefaultHashBuilder,
}

/// An interner as stored in a snapshot: its texts and where each ends (the hash table is
/// rebuilt on reading, with this process's hasher).
#[derive(serde::Serialize, serde::Deserialize)]
struct InternedTexts {
    text: String,
    ends: Vec<usize>,
}

impl From<Interner> for InternedTexts {
    fn from(i: Interner) -> Self {
        InternedTexts {
            text: i.text,
            ends: i.ends,
        }
    }
}

impl From<InternedTexts> for Interner {
    fn from(t: InternedTexts) -> Self {
        let mut i = Interner::default();
        let mut start = 0;
        for &end in &t.ends {
            // Texts come back in order, so each gets its old symbol.
            i.intern(t.text.get(start..end).unwrap_or(""));
            start = end;
        }
        i
    }
}

impl fmt::Debug for Interner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Interner({} symbols)", self.ends.len())
    }
}

impl Interner {
    fn text_of(&self, i: u32) -> &str {
        let i = i as usize;
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.text[start..self.ends[i]]
    }

    pub fn intern(&mut self, s: &str) -> Sym {
        let hash = self.hasher.hash_one(s);
        if let Some(&i) = self.table.find(hash, |&i| self.text_of(i) == s) {
            return Sym(i);
        }
        let i = self.ends.len() as u32;
        self.text.push_str(s);
        self.ends.push(self.text.len());
        let (text, ends, hasher) = (&self.text, &self.ends, &self.hasher);
        self.table.insert_unique(hash, i, |&j| {
            let j = j as usize;
            let start = if j == 0 { 0 } else { ends[j - 1] };
            hasher.hash_one(&text[start..ends[j]])
        });
        Sym(i)
    }

    /// The symbol of `s` if it was ever interned.
    pub fn get(&self, s: &str) -> Option<Sym> {
        let hash = self.hasher.hash_one(s);
        self.table
            .find(hash, |&i| self.text_of(i) == s)
            .map(|&i| Sym(i))
    }

    pub fn resolve(&self, sym: Sym) -> &str {
        if (sym.0 as usize) < self.ends.len() {
            self.text_of(sym.0)
        } else {
            ""
        }
    }

    /// Interns what `newer` interned after the texts this interner holds, so that a copy of
    /// an interner keeps up with the original in time proportional to what is new (the same
    /// symbols: a copy holds a prefix of what the original interned, in the same order).
    pub fn catch_up(&mut self, newer: &Interner) {
        for i in self.len()..newer.len() {
            let sym = self.intern(newer.text_of(i as u32));
            debug_assert_eq!(sym.0 as usize, i);
        }
    }

    /// How many strings are interned.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }
}

/// A text of up to 15 bytes as one integer (its bytes, then its length), a key that hashes and
/// compares as one number; `None` for a longer text.
#[inline]
pub fn short_key(text: &[u8]) -> Option<u128> {
    (text.len() < 16).then(|| le_bytes(text) | (text.len() as u128) << 120)
}

/// [`short_key`] for a text of up to 7 bytes, as a 64-bit number (a smaller table entry).
#[inline]
pub fn tiny_key(text: &[u8]) -> Option<u64> {
    (text.len() < 8).then(|| le_bytes(text) as u64 | (text.len() as u64) << 56)
}

/// The bytes of a text of up to 16 bytes as one little-endian number, read as two loads that
/// may overlap (a byte-wise copy into a buffer read back as one number stalls the load).
#[inline]
fn le_bytes(text: &[u8]) -> u128 {
    let n = text.len();
    let word = |at: usize, size: usize| -> u128 {
        let mut v = 0u128;
        match size {
            8 => v = u64::from_le_bytes(text[at..at + 8].try_into().unwrap()).into(),
            4 => v = u32::from_le_bytes(text[at..at + 4].try_into().unwrap()).into(),
            _ => v |= u128::from(text[at]),
        }
        v << (8 * at)
    };
    match n {
        0 => 0,
        1..=3 => word(0, 1) | word(n / 2, 1) | word(n - 1, 1),
        4..=7 => word(0, 4) | word(n - 4, 4),
        _ => word(0, 8) | word(n - 8, 8),
    }
}

/// The type of a field, as declared in a `kind`.
#[derive(serde::Serialize, serde::Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Type {
    Text,
    Number,
    Date,
    Bool,
    /// A person, organisation, country or place declared with `entity`.
    Entity,
    /// The `id` of a fact (or of an entity).
    Ref,
    /// A list of texts (entity aliases).
    List,
}

impl Type {
    pub fn from_name(name: &str) -> Option<Type> {
        Some(match name {
            "text" => Type::Text,
            "number" => Type::Number,
            "date" => Type::Date,
            "bool" => Type::Bool,
            "entity" => Type::Entity,
            "ref" => Type::Ref,
            "list" => Type::List,
            _ => return None,
        })
    }

    pub const NAMES: [&'static str; 7] =
        ["text", "number", "date", "bool", "entity", "ref", "list"];

    pub fn name(self) -> &'static str {
        match self {
            Type::Text => "text",
            Type::Number => "number",
            Type::Date => "date",
            Type::Bool => "bool",
            Type::Entity => "entity",
            Type::Ref => "ref",
            Type::List => "list",
        }
    }
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One cell of a row.
#[derive(serde::Serialize, serde::Deserialize, Clone, Debug)]
pub enum Value {
    /// Not known (a field left out, or written `unknown`).
    Null,
    Bool(bool),
    Num(f64),
    Text(Sym),
    Date(Date),
    Entity(Sym),
    Ref(Sym),
    List(Arc<[Value]>),
}

impl Value {
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    fn rank(&self) -> u8 {
        match self {
            Value::Null => 0,
            Value::Bool(_) => 1,
            Value::Num(_) => 2,
            Value::Text(_) => 3,
            Value::Date(_) => 4,
            Value::Entity(_) => 5,
            Value::Ref(_) => 6,
            Value::List(_) => 7,
        }
    }
}

pub(crate) fn num_bits(n: f64) -> u64 {
    if n == 0.0 { 0 } else { n.to_bits() }
}

impl PartialEq for Value {
    fn eq(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Null, Value::Null) => true,
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::Num(a), Value::Num(b)) => num_bits(*a) == num_bits(*b),
            (Value::Text(a), Value::Text(b)) => a == b,
            (Value::Date(a), Value::Date(b)) => a == b,
            (Value::Entity(a), Value::Entity(b)) => a == b,
            (Value::Ref(a), Value::Ref(b)) => a == b,
            (Value::List(a), Value::List(b)) => a == b,
            _ => false,
        }
    }
}

impl Eq for Value {}

impl Hash for Value {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.rank().hash(state);
        match self {
            Value::Null => {}
            Value::Bool(b) => b.hash(state),
            Value::Num(n) => num_bits(*n).hash(state),
            Value::Text(s) | Value::Entity(s) | Value::Ref(s) => s.hash(state),
            Value::Date(d) => d.hash(state),
            Value::List(l) => l.hash(state),
        }
    }
}

/// A row of a relation: column 0 is the fact's `id`, then the declared fields in order.
pub type Row = Box<[Value]>;

#[cfg(test)]
mod tests {
    use super::{short_key, tiny_key};

    /// The keys as defined: the text's bytes from the lowest byte up, its length in the top one.
    fn written(text: &[u8], size: usize) -> Option<u128> {
        (text.len() < size).then(|| {
            let bytes = text
                .iter()
                .rev()
                .fold(0u128, |k, &b| k << 8 | u128::from(b));
            bytes | (text.len() as u128) << (8 * (size - 1))
        })
    }

    #[test]
    fn keys_hold_the_bytes_then_the_length() {
        let text: Vec<u8> = (0..17u8).map(|i| i.wrapping_mul(37) ^ 0xa5).collect();
        for start in 0..2 {
            for n in 0..=16 {
                let t = &text[start..start + n.min(17 - start)];
                assert_eq!(short_key(t), written(t, 16), "short key of {t:?}");
                assert_eq!(
                    tiny_key(t).map(u128::from),
                    written(t, 8),
                    "tiny key of {t:?}"
                );
            }
        }
        assert_ne!(short_key(b"a"), short_key(b"a\0"));
    }
}
