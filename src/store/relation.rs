//! A relation: the rows of one kind, stored column by column ([`Column`]), where each row came
//! from, and the indexes plans ask for.
//!
//! Rows are kept distinct by a hash table of row ids: a row's hash finds the ids of rows that
//! may equal it, and the columns say whether one does, so no row is stored twice (the old
//! design kept a copy of every row as a map key). Origins are shared: rows loaded together
//! point at one [`Origin`]; a derived row keeps only its rule, its status and the round it was
//! first derived in (its premises are found again when asked for, see `eval::rederive`), or,
//! for the few derived otherwise (aggregates, computed texts), its premises, packed.
//!
//! Indexes are built the first time a plan asks for them and extended lazily: rows only ever
//! append, so an index covers a prefix of the rows and catches up when next read.

use super::column::{Column, NO_INT};
use super::packed::PackedSet;
use super::row_ids::RowIds;
use super::status::Status;
use super::value::{Row, Sym, Value, num_bits};
use crate::date::End;
use crate::diagnostic::Span;
use hashbrown::{DefaultHashBuilder, HashMap};
use std::cmp::Ordering;
use std::hash::BuildHasher;
use std::sync::{RwLock, RwLockReadGuard};

/// Paragraph and sentence of the article, with an optional short quote.
#[derive(serde::Serialize, serde::Deserialize, Clone, Debug, PartialEq)]
pub struct Cite {
    /// The source it points into (declared with `source`), if any.
    pub source: Option<String>,
    pub paragraph: u32,
    pub sentence: u32,
    pub quote: Option<String>,
}

impl Cite {
    /// `p2.s1`, or `araby:p2.s1` with `with_source` when it has a source.
    pub fn label(&self, with_source: bool) -> String {
        match &self.source {
            Some(src) if with_source => format!("{src}:p{}.s{}", self.paragraph, self.sentence),
            _ => format!("p{}.s{}", self.paragraph, self.sentence),
        }
    }
}

/// Where a row comes from.
#[derive(serde::Serialize, serde::Deserialize, Clone, Debug, PartialEq)]
pub enum Origin {
    /// Written as a fact: its citations and status.
    Stated {
        cites: Vec<Cite>,
        inferred: Option<String>,
        background: Option<String>,
        is_background: bool,
        span: Option<Span>,
    },
    /// Derived by rule `rule` from the rows `premises` (kind index, row index), as strongly
    /// as the weakest of them (see [`Status`]). With `round`, the round of the fixpoint it was
    /// first derived in: its premises are not kept but found again on demand, and are empty
    /// here until [`crate::store::Database::origin`] fills them in.
    Derived {
        rule: usize,
        premises: Vec<(usize, u32)>,
        status: Status,
        round: Option<u32>,
    },
}

impl Origin {
    /// `p2.s1, p5.s1` (or `background`); `araby:p2.s1` with `with_sources`.
    pub fn cite_text(&self, with_sources: bool) -> String {
        match self {
            Origin::Stated {
                cites,
                is_background,
                ..
            } => {
                let mut parts: Vec<String> = cites.iter().map(|c| c.label(with_sources)).collect();
                if *is_background {
                    parts.push("background".into());
                }
                parts.join(", ")
            }
            Origin::Derived { rule, .. } => format!("derived (rule {})", rule + 1),
        }
    }

    /// How strongly the row is supported.
    pub fn status(&self) -> Status {
        match self {
            Origin::Stated {
                is_background: true,
                ..
            } => Status::Background,
            Origin::Stated {
                inferred: Some(_), ..
            } => Status::Inferred,
            Origin::Stated { .. } => Status::Stated,
            Origin::Derived { status, .. } => *status,
        }
    }
}

/// The origin of a row being inserted, without building an [`Origin`] for each row.
#[derive(Clone, Copy, Debug)]
pub enum RowOrigin<'a> {
    /// One of the relation's shared origins (from [`Relation::add_origin`]).
    Shared(OriginId),
    /// Written as a plain fact at this span: stated, with no citations (kept in 24 bytes,
    /// not as a whole [`Origin`]).
    Spanned(Span),
    /// Derived by rule `rule` from `premises` (kind, row), with the weakest status of them.
    Derived {
        rule: usize,
        premises: &'a [(usize, u32)],
        status: Status,
    },
    /// Derived by rule `rule` in round `round` of the fixpoint: the premises are found again
    /// when asked for, so only these eight bytes are kept.
    Round {
        rule: usize,
        round: u32,
        status: Status,
    },
}

/// A shared origin of one relation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OriginId(u32);

/// Marks a row's origin word as derived (the rest indexes `derived`).
const DERIVED: u32 = 1 << 31;
/// Marks a row's origin word as a plain stated fact (the rest indexes `spans`).
const SPANNED: u32 = 1 << 30;
/// A derived row's status is kept in the top two bits of its rule number.
const STATUS_SHIFT: u32 = 30;
const RULE_MASK: u32 = (1 << STATUS_SHIFT) - 1;

/// Marks a run of rows whose origins are listed one by one in `of_row`.
const LISTED: u32 = u32::MAX;

/// Where each row came from, compactly: in runs of consecutive rows. The rows a rule derived in
/// one round (with one status) are one run, whatever their number, so a fixpoint's rows take no
/// bytes each for their origin; other rows are listed one by one.
#[derive(serde::Serialize, serde::Deserialize, Clone, Debug, Default)]
struct Origins {
    /// Rows with an origin.
    rows: u32,
    /// (first row, word, value), by first row: a run ends where the next begins. With word
    /// `LISTED`, the run's origins are in `of_row` from index `value`; otherwise the run was
    /// derived by one rule in round `value`, the word holding the rule (`RULE_MASK`) and the
    /// status (from `STATUS_SHIFT`).
    runs: Vec<(u32, u32, u32)>,
    /// Per listed row: an index into `stated`, `SPANNED |` an index into `spans`, or
    /// `DERIVED |` an index into `derived`.
    of_row: Vec<u32>,
    stated: Vec<Origin>,
    /// Where each plain stated fact was written (see [`RowOrigin::Spanned`]).
    spans: Vec<Span>,
    /// Per listed derived row: its rule (with its status in the top bits) and where its
    /// premises are in `premises`.
    derived: Vec<(u32, u32)>,
    /// Premises of the rows that keep them: a count, then that many (kind, row).
    premises: Vec<(u32, u32)>,
    /// How many rows have each status (indexed by [`Status::bits`]).
    counts: [u32; 3],
}

/// A derived row's rule and status in one word.
fn rule_word(rule: usize, status: Status) -> u32 {
    (rule as u32 & RULE_MASK) | status.bits() << STATUS_SHIFT
}

/// Where a row's origin is: listed (its `of_row` word), or derived in a round.
enum Found {
    Listed(u32),
    Round { word: u32, round: u32 },
}

impl Origins {
    fn push(&mut self, origin: RowOrigin) {
        let w = match origin {
            RowOrigin::Round {
                rule,
                round,
                status,
            } => {
                let word = rule_word(rule, status);
                if !matches!(self.runs.last(), Some(&(_, w, r)) if w == word && r == round) {
                    self.runs.push((self.rows, word, round));
                }
                self.rows += 1;
                self.counts[status.bits() as usize] += 1;
                return;
            }
            RowOrigin::Shared(OriginId(i)) => i,
            RowOrigin::Spanned(span) => {
                self.spans.push(span);
                SPANNED | (self.spans.len() - 1) as u32
            }
            RowOrigin::Derived {
                rule,
                premises,
                status,
            } => {
                self.derived
                    .push((rule_word(rule, status), self.premises.len() as u32));
                self.premises.push((premises.len() as u32, 0));
                self.premises
                    .extend(premises.iter().map(|&(k, r)| (k as u32, r)));
                DERIVED | (self.derived.len() - 1) as u32
            }
        };
        if !matches!(self.runs.last(), Some(&(_, LISTED, _))) {
            self.runs
                .push((self.rows, LISTED, self.of_row.len() as u32));
        }
        self.of_row.push(w);
        self.rows += 1;
        self.counts[self.listed_status(w).bits() as usize] += 1;
    }

    /// Where row `row`'s origin is kept.
    #[inline]
    fn find(&self, row: usize) -> Found {
        let row = row as u32;
        let run = match self.runs.last() {
            Some(last) if last.0 <= row => *last,
            _ => self.runs[self.runs.partition_point(|r| r.0 <= row).saturating_sub(1)],
        };
        match run {
            (first, LISTED, at) => Found::Listed(self.of_row[(at + row - first) as usize]),
            (_, word, round) => Found::Round { word, round },
        }
    }

    fn get(&self, row: usize) -> Origin {
        let w = match self.find(row) {
            Found::Round { word, round } => {
                return Origin::Derived {
                    rule: (word & RULE_MASK) as usize,
                    premises: Vec::new(),
                    status: Status::from_bits(word >> STATUS_SHIFT),
                    round: Some(round),
                };
            }
            Found::Listed(w) => w,
        };
        if w & DERIVED == 0 {
            if w & SPANNED != 0 {
                return plain_origin(self.spans[(w & !SPANNED) as usize]);
            }
            return self.stated[w as usize].clone();
        }
        let (word, at) = self.derived[(w & !DERIVED) as usize];
        let start = at as usize + 1;
        let end = start + self.premises[at as usize].0 as usize;
        Origin::Derived {
            rule: (word & RULE_MASK) as usize,
            premises: self.premises[start..end]
                .iter()
                .map(|&(k, r)| (k as usize, r))
                .collect(),
            status: Status::from_bits(word >> STATUS_SHIFT),
            round: None,
        }
    }

    /// The rule that derived row `row`, if a rule did.
    fn rule(&self, row: usize) -> Option<usize> {
        match self.find(row) {
            Found::Round { word, .. } => Some((word & RULE_MASK) as usize),
            Found::Listed(w) if w & DERIVED != 0 => {
                Some((self.derived[(w & !DERIVED) as usize].0 & RULE_MASK) as usize)
            }
            Found::Listed(_) => None,
        }
    }

    fn status(&self, row: usize) -> Status {
        match self.find(row) {
            Found::Round { word, .. } => Status::from_bits(word >> STATUS_SHIFT),
            Found::Listed(w) => self.listed_status(w),
        }
    }

    /// The status of a listed row whose `of_row` word is `w`.
    fn listed_status(&self, w: u32) -> Status {
        if w & SPANNED != 0 && w & DERIVED == 0 {
            Status::Stated
        } else if w & DERIVED == 0 {
            self.stated[w as usize].status()
        } else {
            Status::from_bits(self.derived[(w & !DERIVED) as usize].0 >> STATUS_SHIFT)
        }
    }
}

/// The [`RowOrigin`] a derived [`Origin`] is kept as (`None` for a stated one: it is kept
/// shared, with [`Relation::add_origin`]).
fn derived_origin(origin: &Origin) -> Option<RowOrigin<'_>> {
    Some(match origin {
        Origin::Derived {
            rule,
            status,
            round: Some(round),
            ..
        } => RowOrigin::Round {
            rule: *rule,
            round: *round,
            status: *status,
        },
        Origin::Derived {
            rule,
            premises,
            status,
            round: None,
        } => RowOrigin::Derived {
            rule: *rule,
            premises,
            status: *status,
        },
        Origin::Stated { .. } => return None,
    })
}

/// The origin of a plain fact written at `span`: stated, nothing cited.
fn plain_origin(span: Span) -> Origin {
    Origin::Stated {
        cites: Vec::new(),
        inferred: None,
        background: None,
        is_background: false,
        span: Some(span),
    }
}

/// A hash index on one column: value → rows holding it, in increasing row order, for the
/// rows `0..upto`.
#[derive(Clone, Debug, Default)]
struct HashIndex {
    upto: u32,
    map: HashMap<Value, Vec<u32>>,
}

/// Rows with a known value in one column, sorted by that value (numbers, or dates by first
/// then last day), for range filters. Rebuilt when rows were added since.
#[derive(Clone, Debug, Default)]
struct SortedIndex {
    upto: u32,
    rows: Vec<u32>,
}

/// The rows of one kind, with their origins, kept free of duplicates.
#[derive(serde::Serialize, serde::Deserialize, Clone, Debug, Default)]
pub struct Relation {
    len: u32,
    columns: Vec<Column>,
    /// Row ids with 32 bits of their row's hash, found by that hash: a table that grows
    /// never reads the rows again, and most rows that merely share a bucket are told apart
    /// without reading their columns.
    #[serde(skip)]
    distinct: RowIds,
    /// Rows that pack into 64 bits ([`pack`]), by their packed form: told apart without
    /// reading a column, which is most of the cost of a recursive rule's duplicate checks.
    #[serde(skip)]
    packed: PackedSet,
    #[serde(skip)]
    hasher: RowHasher,
    origins: Origins,
    /// Room a packed row is unpacked into before it is added (no allocation per row).
    #[serde(skip)]
    unpacked: Vec<Value>,
    #[serde(skip)]
    indexes: Shared<HashMap<usize, HashIndex>>,
    #[serde(skip)]
    sorted: Shared<HashMap<usize, SortedIndex>>,
}

/// Indexes built on demand through `&Relation` and read by the workers of a parallel round:
/// a lock that is written only between rounds (when indexes are brought up to date), so the
/// workers' reads never wait. Cloned with its contents.
#[derive(Debug, Default)]
struct Shared<T>(RwLock<T>);

impl<T> Shared<T> {
    fn read(&self) -> RwLockReadGuard<'_, T> {
        // A panic while the lock was held left the cache as it was: read it anyway.
        self.0.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, T> {
        self.0.write().unwrap_or_else(|e| e.into_inner())
    }

    fn get_mut(&mut self) -> &mut T {
        self.0.get_mut().unwrap_or_else(|e| e.into_inner())
    }
}

impl<T: Clone> Clone for Shared<T> {
    fn clone(&self) -> Shared<T> {
        Shared(RwLock::new(self.read().clone()))
    }
}

/// A read of a hash index ([`Relation::index`]): value → rows holding it.
pub struct IndexRef<'a> {
    guard: RwLockReadGuard<'a, HashMap<usize, HashIndex>>,
    col: usize,
}

impl std::ops::Deref for IndexRef<'_> {
    type Target = HashMap<Value, Vec<u32>>;
    fn deref(&self) -> &Self::Target {
        &self.guard[&self.col].map
    }
}

/// A read of a sorted index ([`Relation::sorted`]).
pub struct SortedRef<'a> {
    guard: RwLockReadGuard<'a, HashMap<usize, SortedIndex>>,
    col: usize,
}

impl std::ops::Deref for SortedRef<'_> {
    type Target = [u32];
    fn deref(&self) -> &[u32] {
        &self.guard[&self.col].rows
    }
}

/// The hash a relation gives its rows (a relation's own: its seed is random). Each value is
/// one or two 64-bit words, mixed in by one folded multiply each (the mixing step of foldhash):
/// a row costs a few multiplies, where a `Hasher` fed field by field costs one per field of
/// every value (a date has six).
#[derive(Clone, Debug)]
pub struct RowHasher {
    lists: DefaultHashBuilder,
    seed: u64,
}

impl Default for RowHasher {
    fn default() -> RowHasher {
        let lists = DefaultHashBuilder::default();
        let seed = lists.hash_one(0x64616c696c_u64);
        RowHasher { lists, seed }
    }
}

/// An odd constant with no pattern (digits of pi), the multiplier of the mixing step.
const MIX: u64 = 0x243f_6a88_85a3_08d3;

/// `x * y` as 128 bits, its halves folded together.
#[inline]
fn folded_multiply(x: u64, y: u64) -> u64 {
    let full = u128::from(x) * u128::from(y);
    (full as u64) ^ ((full >> 64) as u64)
}

impl RowHasher {
    /// 32 bits of the hash of `row` ([`Relation::hash_of`]).
    pub fn hash_of(&self, row: &[Value]) -> u32 {
        match pack(row) {
            // The packed set hashes the packed row itself.
            Some(_) => 0,
            None => self.hash_values(row.iter()),
        }
    }

    /// [`RowHasher::hash_of`] for a row that holds a date (such a row never packs), its
    /// values given one by one: no row need be built.
    pub fn hash_of_dated<V: std::borrow::Borrow<Value>>(
        &self,
        values: impl Iterator<Item = V>,
    ) -> u32 {
        self.hash_values(values)
    }

    fn hash_values<V: std::borrow::Borrow<Value>>(&self, values: impl Iterator<Item = V>) -> u32 {
        let mut h = self.seed;
        let mut mix = |w: u64| h = folded_multiply(h ^ w, MIX);
        for v in values {
            // Equal values give equal words; the kind of value is in the top byte.
            let kind = |k: u64, payload: u64| k << 56 | payload;
            match v.borrow() {
                Value::Null => mix(0),
                Value::Bool(b) => mix(kind(1, u64::from(*b))),
                Value::Num(n) => mix(num_bits(*n) ^ kind(2, 0)),
                Value::Text(s) => mix(kind(3, u64::from(s.0))),
                Value::Entity(s) => mix(kind(4, u64::from(s.0))),
                Value::Ref(s) => mix(kind(5, u64::from(s.0))),
                Value::Date(d) => {
                    mix(u64::from(d.lo as u32) | u64::from(d.hi as u32) << 32);
                    let end = d.end.map_or(0, |e| end_code(e) + 1);
                    mix(kind(6, end_code(d.start) | end << 8));
                }
                Value::List(l) => mix(kind(7, self.lists.hash_one(l) >> 8)),
            }
        }
        (folded_multiply(h, MIX) >> 32) as u32
    }
}

/// A date's end as a small number (different ends, different numbers).
fn end_code(e: End) -> u64 {
    match e {
        End::Known(p, q) => 1 + 4 * p as u64 + q as u64,
        End::Open => 13,
        End::Unknown => 14,
    }
}

/// A row as one 64-bit integer, when it is small enough: each value a 3-bit tag and, for a
/// symbol or a whole number below 2^27, a 27-bit payload (unknown: the tag alone). Different
/// rows pack differently (the tags make the code prefix-free), so comparing packed forms is
/// comparing rows. `None` for a row that does not fit.
#[inline]
fn pack(row: &[Value]) -> Option<u64> {
    let mut key = Packer::default();
    for v in row {
        let (tag, payload, width) = match v {
            Value::Null => (0u64, 0u64, 0),
            Value::Text(s) => (1, u64::from(s.0), PAYLOAD),
            Value::Entity(s) => (2, u64::from(s.0), PAYLOAD),
            Value::Ref(s) => (3, u64::from(s.0), PAYLOAD),
            Value::Num(n) if *n >= 0.0 && n.fract() == 0.0 => (NUM_TAG, *n as u64, PAYLOAD),
            Value::Bool(b) => (5, u64::from(*b), 1),
            _ => return None,
        };
        key.put(tag, payload, width)?;
    }
    Some(key.key)
}

/// Bits of a symbol's or a whole number's payload in a packed row.
const PAYLOAD: u32 = 27;
/// The tag of a whole number in a packed row.
const NUM_TAG: u64 = 4;

/// A packed row being built, value by value.
#[derive(Default)]
struct Packer {
    key: u64,
    bits: u32,
}

impl Packer {
    /// Appends a value (`None` when it does not fit, or the row is full).
    #[inline]
    fn put(&mut self, tag: u64, payload: u64, width: u32) -> Option<()> {
        if payload >> PAYLOAD != 0 || self.bits + 3 + width > 64 {
            return None;
        }
        self.key |= (tag | payload << 3) << self.bits;
        self.bits += 3 + width;
        Some(())
    }
}

/// [`pack`] of a row of whole numbers (`None`: unknown), without building its values.
#[inline]
pub fn pack_ints(row: impl Iterator<Item = Option<u32>>) -> Option<u64> {
    let mut key = Packer::default();
    for v in row {
        match v {
            Some(n) => key.put(NUM_TAG, u64::from(n), PAYLOAD)?,
            None => key.put(0, 0, 0)?,
        }
    }
    Some(key.key)
}

/// The row `pack` packed into `k`, `width` values long.
#[cfg(test)]
fn unpack(k: u64, width: usize) -> Vec<Value> {
    let mut row = Vec::with_capacity(width);
    unpack_into(k, width, &mut row);
    row
}

/// [`unpack`] into `row` (cleared first), reusing its room.
fn unpack_into(mut k: u64, width: usize, row: &mut Vec<Value>) {
    const MASK: u64 = (1 << 27) - 1;
    row.clear();
    for _ in 0..width {
        let tag = k & 7;
        k >>= 3;
        let payload = k & MASK;
        row.push(match tag {
            0 => Value::Null,
            5 => {
                k >>= 1;
                Value::Bool(payload & 1 == 1)
            }
            _ => {
                k >>= 27;
                match tag {
                    1 => Value::Text(Sym(payload as u32)),
                    2 => Value::Entity(Sym(payload as u32)),
                    3 => Value::Ref(Sym(payload as u32)),
                    _ => Value::Num(payload as f64),
                }
            }
        });
    }
}

/// Rows are read from a hash index this many at a time between budget checks.
pub const INDEX_CHUNK: u32 = 1 << 16;

impl Relation {
    pub fn len(&self) -> usize {
        self.len as usize
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Number of columns (0 until the first row).
    pub fn width(&self) -> usize {
        self.columns.len()
    }

    /// The value in row `i`, column `col`.
    #[inline]
    pub fn get(&self, i: u32, col: usize) -> Value {
        match self.columns.get(col) {
            Some(c) => c.get(i as usize),
            None => Value::Null,
        }
    }

    /// Is the value in row `i`, column `col` equal to `v`?
    #[inline]
    pub fn eq_at(&self, i: u32, col: usize, v: &Value) -> bool {
        match self.columns.get(col) {
            Some(c) => c.eq_at(i as usize, v),
            None => v.is_null(),
        }
    }

    /// The column itself, for loops that read one column of many rows.
    pub fn column(&self, col: usize) -> Option<&Column> {
        self.columns.get(col)
    }

    /// Row `i`, assembled from its columns.
    pub fn row(&self, i: u32) -> Row {
        self.columns.iter().map(|c| c.get(i as usize)).collect()
    }

    /// Every row, in order.
    pub fn rows(&self) -> impl Iterator<Item = Row> + '_ {
        (0..self.len).map(|i| self.row(i))
    }

    /// Does any row have a known value in column `col`?
    pub fn any_known(&self, col: usize) -> bool {
        self.columns
            .get(col)
            .is_some_and(|c| c.any_known(self.len()))
    }

    /// Where row `i` came from.
    pub fn origin(&self, i: u32) -> Origin {
        self.origins.get(i as usize)
    }

    /// The rule that derived row `i`, if a rule did.
    pub fn rule_of(&self, i: u32) -> Option<usize> {
        self.origins.rule(i as usize)
    }

    /// How strongly row `i` is supported, without building its origin.
    #[inline]
    pub fn status(&self, i: u32) -> Status {
        self.origins.status(i as usize)
    }

    /// How many rows have status `s`.
    pub fn count_with_status(&self, s: Status) -> usize {
        self.origins.counts[s.bits() as usize] as usize
    }

    /// Registers an origin that many rows will share (e.g. every row of a loaded file).
    pub fn add_origin(&mut self, origin: Origin) -> OriginId {
        self.origins.stated.push(origin);
        OriginId(self.origins.stated.len() as u32 - 1)
    }

    /// 32 bits of the hash of a row.
    fn hash_values<'v>(&self, values: impl Iterator<Item = &'v Value>) -> u32 {
        self.hasher.hash_values(values)
    }

    /// The hash function of [`Relation::hash_of`], for a thread that hashes rows while the
    /// relation changes.
    pub fn row_hasher(&self) -> RowHasher {
        self.hasher.clone()
    }

    fn same_row(columns: &[Column], i: u32, row: &[Value]) -> bool {
        columns.len() >= row.len()
            && columns
                .iter()
                .enumerate()
                .all(|(c, col)| col.eq_at(i as usize, row.get(c).unwrap_or(&Value::Null)))
    }

    /// Adds a row unless an equal one is there; returns its index and whether it is new.
    pub fn insert(&mut self, row: Row, origin: Origin) -> (u32, bool) {
        self.keep_row_ids();
        let h = self.hash_of(&row);
        if let Some(i) = self.find_hashed(h, &row) {
            return (i, false);
        }
        if let Some(derived) = derived_origin(&origin) {
            return self.push_row(h, &row, derived);
        }
        let shared = RowOrigin::Shared(self.add_origin(origin));
        self.push_row(h, &row, shared)
    }

    /// Like [`Relation::insert`], with the row borrowed and its origin made only when the row
    /// is new (one look-up, no row or origin built for a duplicate).
    pub fn insert_ref(&mut self, row: &[Value], origin: impl FnOnce() -> Origin) -> (u32, bool) {
        self.keep_row_ids();
        let h = self.hash_of(row);
        if let Some(i) = self.find_hashed(h, row) {
            return (i, false);
        }
        let origin = origin();
        if let Some(derived) = derived_origin(&origin) {
            return self.push_row(h, row, derived);
        }
        let origin = match origin {
            Origin::Stated {
                cites,
                inferred: None,
                background: None,
                is_background: false,
                span: Some(span),
            } if cites.is_empty() && self.origins.spans.len() < SPANNED as usize => {
                RowOrigin::Spanned(span)
            }
            stated => RowOrigin::Shared(self.add_origin(stated)),
        };
        self.push_row(h, row, origin)
    }

    /// Adds a row unless an equal one is there; returns its index and whether it is new.
    pub fn insert_with(&mut self, row: &[Value], origin: RowOrigin) -> (u32, bool) {
        self.keep_row_ids();
        let h = self.hash_of(row);
        if let Some(i) = self.find_hashed(h, row) {
            return (i, false);
        }
        self.push_row(h, row, origin)
    }

    /// 32 bits of the hash this relation gives `row` (for [`Relation::find_hashed`] and
    /// [`Relation::insert_hashed`], so a row hashed once is looked up and added with one hash).
    pub fn hash_of(&self, row: &[Value]) -> u32 {
        self.hasher.hash_of(row)
    }

    /// Asks the processor to fetch what looking up a row with hash `h` ([`Relation::hash_of`],
    /// a row that does not pack) will read, so that a caller adding many rows can hide the
    /// cache miss of the next ones behind this one.
    #[inline]
    pub fn prefetch_hashed(&self, h: u32) {
        self.distinct.prefetch(h);
    }

    /// Like [`Relation::insert_with`], with the row's hash from [`Relation::hash_of`].
    pub fn insert_hashed(&mut self, h: u32, row: &[Value], origin: RowOrigin) -> (u32, bool) {
        self.keep_row_ids();
        if pack(row).is_none() {
            // One probe finds the equal row or claims the slot for this one.
            let (i, columns) = (self.len, &self.columns);
            if let Some(old) = self
                .distinct
                .insert_absent(h, i, |j| Self::same_row(columns, j, row))
            {
                return (old, false);
            }
            self.push_columns(row, origin);
            return (i, true);
        }
        if let Some(i) = self.find_hashed(h, row) {
            return (i, false);
        }
        self.push_row(h, row, origin)
    }

    /// Adds a row unless an equal one is there; true when it is new. Unlike
    /// [`Relation::insert_hashed`] it need not find the equal row's index, which spares a
    /// packed row's look-up a second cache miss.
    pub fn insert_new(&mut self, h: u32, row: &[Value], origin: RowOrigin) -> bool {
        let present = match pack(row) {
            Some(k) => self.packed.contains(k),
            None => self.find_hashed(h, row).is_some(),
        };
        !present && self.push_row(h, row, origin).1
    }

    /// A row as the 64-bit integer this relation keeps it as, when it packs (see `pack`).
    pub fn pack_row(row: &[Value]) -> Option<u64> {
        pack(row)
    }

    /// Adds the row packed as `k` (from [`Relation::pack_row`], `width` values) unless it is
    /// there; true when it is new. The row's values are unpacked only when it is new.
    pub fn insert_packed(&mut self, k: u64, width: usize, origin: RowOrigin) -> bool {
        let i = self.len;
        if !self.packed.insert_absent(k, i) {
            return false;
        }
        let mut row = std::mem::take(&mut self.unpacked);
        unpack_into(k, width, &mut row);
        self.push_columns(&row, origin);
        self.unpacked = row;
        true
    }

    /// Is the row packed as `k` ([`Relation::pack_row`]) here already?
    #[inline]
    pub fn has_packed(&self, k: u64) -> bool {
        self.packed.contains(k)
    }

    /// [`Relation::prefetch`] for a packed row.
    #[inline]
    pub fn prefetch_packed(&self, k: u64) {
        self.packed.prefetch(k);
    }

    /// Asks the processor to fetch what looking `row` up will read (for a caller adding many
    /// rows: prefetching a few rows ahead overlaps their cache misses).
    #[inline]
    pub fn prefetch(&self, row: &[Value]) {
        if let Some(k) = pack(row) {
            self.packed.prefetch(k);
        }
    }

    /// From now on, the packed set keeps the id of each row (the rows a recursive rule adds
    /// through [`Relation::insert_packed`] are only checked for presence, so their ids are
    /// not kept until a look-up asks for one).
    fn keep_row_ids(&mut self) {
        if self.packed.has_ids() {
            return;
        }
        let (columns, mut row) = (&self.columns, Vec::new());
        let ids = (0..self.len).filter_map(|i| {
            row.clear();
            row.extend(columns.iter().map(|c| c.get(i as usize)));
            pack(&row).map(|k| (k, i))
        });
        self.packed.keep_ids(ids);
    }

    /// The index of a row equal to `row`, whose hash from [`Relation::hash_of`] is `h`.
    pub fn find_hashed(&self, h: u32, row: &[Value]) -> Option<u32> {
        if let Some(k) = pack(row) {
            if self.packed.has_ids() {
                return self.packed.find(k);
            }
            if !self.packed.contains(k) {
                return None;
            }
            // Present, and its id not kept: read the rows (a look-up through `&self` only).
            return (0..self.len).find(|&i| Self::same_row(&self.columns, i, row));
        }
        self.distinct
            .find(h, |i| Self::same_row(&self.columns, i, row))
    }

    /// Writes `row` into the columns as row `self.len`, with its origin (the duplicate check
    /// is the caller's).
    fn push_columns(&mut self, row: &[Value], origin: RowOrigin) {
        let i = self.len as usize;
        if self.columns.len() < row.len() {
            self.columns.resize_with(row.len(), Column::default);
        }
        for (c, col) in self.columns.iter_mut().enumerate() {
            col.push(row.get(c).unwrap_or(&Value::Null), i);
        }
        self.origins.push(origin);
        self.len += 1;
    }

    fn push_row(&mut self, h: u32, row: &[Value], origin: RowOrigin) -> (u32, bool) {
        let i = self.len;
        self.push_columns(row, origin);
        match pack(row) {
            Some(k) => self.packed.insert(k, i),
            None => {
                self.distinct.insert_unique(h, i);
            }
        }
        (i, true)
    }

    /// Rebuilds the duplicate check after the rows were read back from a snapshot (it is not
    /// stored: its hashes are this process's).
    pub fn rebuild_distinct(&mut self) {
        self.distinct = RowIds::default();
        self.packed = PackedSet::default();
        self.packed.keep_ids(std::iter::empty());
        for i in 0..self.len {
            let row = self.row(i);
            match pack(&row) {
                Some(k) => self.packed.insert(k, i),
                None => {
                    let h = self.hash_values(row.iter());
                    self.distinct.insert_unique(h, i);
                }
            }
        }
    }

    /// Removes every row (derived relations are recomputed from scratch).
    pub fn clear(&mut self) {
        self.len = 0;
        self.columns.clear();
        self.distinct = RowIds::default();
        self.packed = PackedSet::default();
        self.origins = Origins::default();
        self.indexes.get_mut().clear();
        self.sorted.get_mut().clear();
    }

    /// Removes the rows rules derived, keeping the stated ones (in their order).
    pub fn clear_derived(&mut self) {
        let stated: Vec<(Row, Origin)> = (0..self.len() as u32)
            .filter(|&i| self.rule_of(i).is_none())
            .map(|i| (self.row(i), self.origin(i)))
            .collect();
        if stated.len() == self.len() {
            return;
        }
        self.clear();
        for (row, origin) in stated {
            self.insert(row, origin);
        }
    }

    /// Gives back spare capacity (after a bulk load).
    pub fn shrink_to_fit(&mut self) {
        for c in &mut self.columns {
            c.shrink_to_fit();
        }
        self.origins.of_row.shrink_to_fit();
        self.distinct.shrink_to_fit();
        self.packed.shrink_to_fit();
    }

    /// The index of a row equal to `row`, if any.
    pub fn find(&self, row: &[Value]) -> Option<u32> {
        self.find_hashed(self.hash_of(row), row)
    }

    /// Reserves room for `n` more rows (before a bulk load), in the table the rows so far
    /// went to.
    pub fn reserve(&mut self, n: usize) {
        if self.packed.len() > self.distinct.len() {
            self.packed.reserve(n);
        } else {
            self.distinct.reserve(n);
        }
        self.origins.of_row.reserve(n);
    }

    /// Brings the hash index on `col` up to date with at most `max_rows` more rows; true when
    /// it covers every row. Lets a caller check its budget between chunks of a large build.
    pub fn extend_index(&self, col: usize, max_rows: u32) -> bool {
        let mut indexes = self.indexes.write();
        let idx = indexes.entry(col).or_default();
        let end = self.len.min(idx.upto.saturating_add(max_rows));
        let column = self.columns.get(col);
        for i in idx.upto..end {
            let v = column.map_or(Value::Null, |c| c.get(i as usize));
            idx.map.entry(v).or_default().push(i);
        }
        idx.upto = end;
        end == self.len
    }

    /// The hash index on column `col`: value → rows holding it, in increasing row order.
    /// Built on first use, then extended with the rows added since.
    pub fn index(&self, col: usize) -> IndexRef<'_> {
        let current = self
            .indexes
            .read()
            .get(&col)
            .is_some_and(|i| i.upto == self.len);
        if !current {
            self.extend_index(col, u32::MAX);
        }
        IndexRef {
            guard: self.indexes.read(),
            col,
        }
    }

    /// Builds the index on `col` now, so later reads need no mutable borrow.
    pub fn ensure_index(&self, col: usize) {
        drop(self.index(col));
    }

    /// Is there an up-to-date hash index on `col`?
    pub fn has_index(&self, col: usize) -> bool {
        self.indexes
            .read()
            .get(&col)
            .is_some_and(|i| i.upto == self.len)
    }

    /// Rows whose column `col` equals `value`.
    pub fn lookup(&self, col: usize, value: &Value) -> Vec<u32> {
        self.index(col).get(value).cloned().unwrap_or_default()
    }

    /// Rows with a known number or date in `col`, sorted by it (dates by first day, then last
    /// day). Built on first use and rebuilt after rows are added.
    pub fn sorted(&self, col: usize) -> SortedRef<'_> {
        let current = self
            .sorted
            .read()
            .get(&col)
            .is_some_and(|s| s.upto == self.len);
        if !current {
            let rows = self.sort_rows(col);
            self.sorted.write().insert(
                col,
                SortedIndex {
                    upto: self.len,
                    rows,
                },
            );
        }
        SortedRef {
            guard: self.sorted.read(),
            col,
        }
    }

    /// Is there an up-to-date sorted index on `col`?
    pub fn has_sorted(&self, col: usize) -> bool {
        self.sorted
            .read()
            .get(&col)
            .is_some_and(|s| s.upto == self.len)
    }

    fn sort_rows(&self, col: usize) -> Vec<u32> {
        let Some(column) = self.columns.get(col) else {
            return vec![];
        };
        match column {
            Column::Int(v) => {
                let mut rows: Vec<u32> =
                    (0..self.len).filter(|&i| v[i as usize] != NO_INT).collect();
                rows.sort_by_key(|&i| v[i as usize]);
                rows
            }
            Column::Num(v) => {
                let mut rows: Vec<u32> =
                    (0..self.len).filter(|&i| !v[i as usize].is_nan()).collect();
                rows.sort_by(|&a, &b| v[a as usize].total_cmp(&v[b as usize]));
                rows
            }
            _ => {
                let mut keyed: Vec<((i32, i32), u32)> = (0..self.len)
                    .filter_map(|i| column.date_at(i as usize).map(|d| ((d.lo, d.hi), i)))
                    .collect();
                keyed.sort_unstable();
                keyed.into_iter().map(|(_, i)| i).collect()
            }
        }
    }

    /// The rows of the sorted index on `col` whose key `k` (first day of a date, or a number)
    /// satisfies `lo ≤ k ≤ hi`, in row order.
    pub fn range(&self, col: usize, lo: f64, hi: f64) -> Vec<u32> {
        let key = |i: u32| -> f64 {
            match self.get(i, col) {
                Value::Num(n) => n,
                Value::Date(d) => f64::from(d.lo),
                _ => f64::NAN,
            }
        };
        let sorted = self.sorted(col);
        let start = sorted.partition_point(|&i| key(i).total_cmp(&lo) == Ordering::Less);
        let end = sorted.partition_point(|&i| key(i).total_cmp(&hi) != Ordering::Greater);
        let mut out = sorted[start..end.max(start)].to_vec();
        out.sort_unstable();
        out
    }

    /// Bytes held by the rows, their dedup table and their origins (not the indexes, nor the
    /// interned strings).
    pub fn heap_bytes(&self) -> usize {
        let cols: usize = self.columns.iter().map(|c| c.heap_bytes()).sum();
        let table = self.distinct.heap_bytes() + self.packed.heap_bytes();
        let origins = self.origins.runs.capacity() * 12
            + self.origins.of_row.capacity() * 4
            + self.origins.derived.capacity() * 8
            + self.origins.premises.capacity() * 8
            + self.origins.stated.capacity() * std::mem::size_of::<Origin>()
            + self.origins.spans.capacity() * std::mem::size_of::<Span>();
        cols + table + origins
    }

    /// Bytes held by the indexes, estimated from their sizes (row ids, keys and table slots),
    /// without walking their lists.
    pub fn index_bytes(&self) -> usize {
        // A key and a list header per entry, a row id per indexed row.
        let entry = std::mem::size_of::<Value>() + std::mem::size_of::<Vec<u32>>() + 1;
        let hashed: usize = self
            .indexes
            .read()
            .values()
            .map(|ix| ix.map.capacity() * entry + ix.upto as usize * 4)
            .sum();
        let sorted: usize = self
            .sorted
            .read()
            .values()
            .map(|ix| ix.rows.capacity() * 4)
            .sum();
        hashed + sorted
    }

    /// How each column is stored, e.g. `symbol`, `date`, `unknown`.
    pub fn encodings(&self) -> Vec<&'static str> {
        self.columns.iter().map(|c| c.encoding()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Sym;

    fn stated() -> Origin {
        Origin::Stated {
            cites: vec![],
            inferred: None,
            background: None,
            is_background: true,
            span: None,
        }
    }

    #[test]
    fn keeps_rows_distinct_and_finds_them() {
        let mut r = Relation::default();
        let row = |a: u32, n: f64| -> Row {
            vec![Value::Null, Value::Text(Sym(a)), Value::Num(n)].into()
        };
        assert_eq!(r.insert(row(1, 2.0), stated()), (0, true));
        assert_eq!(r.insert(row(1, 3.0), stated()), (1, true));
        assert_eq!(r.insert(row(1, 2.0), stated()), (0, false));
        for i in 0..1000u32 {
            r.insert(row(i, 0.5), stated());
        }
        assert_eq!(r.len(), 1002);
        assert_eq!(r.find(&row(500, 0.5)), Some(502));
        assert_eq!(r.find(&row(500, 0.25)), None);
        assert_eq!(r.lookup(1, &Value::Text(Sym(1))), vec![0, 1, 3]);
        r.insert(row(1, 9.0), stated());
        assert_eq!(r.lookup(1, &Value::Text(Sym(1))), vec![0, 1, 3, 1002]);
        assert_eq!(r.range(2, 2.0, 9.0), vec![0, 1, 1002]);
    }

    #[test]
    fn packed_rows_unpack_to_themselves() {
        let rows: Vec<Vec<Value>> = vec![
            vec![Value::Null, Value::Num(3.0), Value::Num(134_217_727.0)],
            vec![
                Value::Text(Sym(9)),
                Value::Entity(Sym(0)),
                Value::Bool(true),
            ],
            vec![
                Value::Ref(Sym(77)),
                Value::Bool(false),
                Value::Null,
                Value::Null,
            ],
            vec![],
        ];
        for row in rows {
            let k = pack(&row).expect("packs");
            assert_eq!(unpack(k, row.len()), row);
        }
        assert_eq!(pack(&[Value::Num(2.5)]), None);
        assert_eq!(pack(&[Value::Num(134_217_728.0)]), None);
        assert_eq!(pack(&[Value::Num(-1.0)]), None);
        assert_eq!(
            pack(&[Value::Num(1.0), Value::Num(1.0), Value::Num(1.0)]),
            None
        );
    }

    #[test]
    fn derived_origins_are_packed_and_read_back() {
        let mut r = Relation::default();
        let prem = [(3usize, 7u32), (4, 9)];
        r.insert_with(
            &[Value::Num(1.0)],
            RowOrigin::Derived {
                rule: 2,
                premises: &prem,
                status: Status::Inferred,
            },
        );
        r.insert_with(
            &[Value::Num(2.0)],
            RowOrigin::Derived {
                rule: 0,
                premises: &prem[..1],
                status: Status::Background,
            },
        );
        assert_eq!(
            r.origin(0),
            Origin::Derived {
                rule: 2,
                premises: prem.to_vec(),
                status: Status::Inferred,
                round: None,
            }
        );
        assert_eq!(
            r.origin(1),
            Origin::Derived {
                rule: 0,
                premises: vec![(3, 7)],
                status: Status::Background,
                round: None,
            }
        );
        r.insert_with(
            &[Value::Num(3.0)],
            RowOrigin::Round {
                rule: 5,
                round: 41,
                status: Status::Stated,
            },
        );
        let kept = r.origin(2);
        assert_eq!(
            kept,
            Origin::Derived {
                rule: 5,
                premises: Vec::new(),
                status: Status::Stated,
                round: Some(41),
            }
        );
        // Kept as it was through a copy (as `clear_derived` and the dataflow engine copy).
        let mut copy = Relation::default();
        copy.insert(r.row(2), kept.clone());
        assert_eq!(copy.origin(0), kept);
        assert_eq!(r.origin(1).status(), Status::Background);
        assert_eq!(r.status(1), Status::Background);
        assert_eq!(r.rule_of(0), Some(2));
        assert_eq!(r.rule_of(2), Some(5));
        assert_eq!(r.count_with_status(Status::Inferred), 1);
        assert_eq!(r.count_with_status(Status::Stated), 1);
    }

    #[test]
    fn rows_of_one_rule_and_round_share_one_run_between_listed_rows() {
        let mut r = Relation::default();
        let round = |rule, round, status| RowOrigin::Round {
            rule,
            round,
            status,
        };
        let span = Span::new(0, 0, 1);
        // (origin, rule, round, status) per row: runs of rounds between listed rows.
        let rows = [
            (RowOrigin::Spanned(span), None, None, Status::Stated),
            (
                round(1, 0, Status::Stated),
                Some(1),
                Some(0),
                Status::Stated,
            ),
            (
                round(1, 0, Status::Stated),
                Some(1),
                Some(0),
                Status::Stated,
            ),
            (
                round(2, 0, Status::Stated),
                Some(2),
                Some(0),
                Status::Stated,
            ),
            (
                round(2, 1, Status::Background),
                Some(2),
                Some(1),
                Status::Background,
            ),
            (RowOrigin::Spanned(span), None, None, Status::Stated),
            (RowOrigin::Spanned(span), None, None, Status::Stated),
            (
                round(2, 1, Status::Background),
                Some(2),
                Some(1),
                Status::Background,
            ),
        ];
        for (i, (origin, ..)) in rows.iter().enumerate() {
            r.insert_with(&[Value::Num(i as f64)], *origin);
        }
        assert_eq!(r.origins.runs.len(), 6, "{:?}", r.origins.runs);
        for (i, &(_, rule, round, status)) in rows.iter().enumerate() {
            let i = i as u32;
            assert_eq!(r.rule_of(i), rule, "row {i}");
            assert_eq!(r.status(i), status, "row {i}");
            match r.origin(i) {
                Origin::Derived { round: got, .. } => assert_eq!(got, round, "row {i}"),
                Origin::Stated { span: got, .. } => {
                    assert_eq!((got, round), (Some(span), None), "row {i}")
                }
            }
        }
        assert_eq!(r.count_with_status(Status::Background), 2);
        assert_eq!(r.count_with_status(Status::Stated), 6);
    }
}
