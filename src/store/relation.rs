//! A relation: the rows of one kind, where each row came from, and hash indexes on columns
//! built the first time a plan asks for them.

use super::value::{Row, Value};
use crate::diagnostic::Span;
use std::cell::{Ref, RefCell};
use std::collections::HashMap;

/// Paragraph and sentence of the article, with an optional short quote.
#[derive(Clone, Debug, PartialEq)]
pub struct Cite {
    pub paragraph: u32,
    pub sentence: u32,
    pub quote: Option<String>,
}

/// Where a row comes from.
#[derive(Clone, Debug, PartialEq)]
pub enum Origin {
    /// Written as a fact: its citations and status.
    Stated {
        cites: Vec<Cite>,
        inferred: Option<String>,
        background: Option<String>,
        is_background: bool,
        span: Option<Span>,
    },
    /// Derived by rule `rule` from the rows `premises` (kind index, row index).
    Derived {
        rule: usize,
        premises: Vec<(usize, u32)>,
    },
}

impl Origin {
    /// `p2.s1, p5.s1` (or `background`).
    pub fn cite_text(&self) -> String {
        match self {
            Origin::Stated {
                cites,
                is_background,
                ..
            } => {
                let mut parts: Vec<String> = cites
                    .iter()
                    .map(|c| format!("p{}.s{}", c.paragraph, c.sentence))
                    .collect();
                if *is_background {
                    parts.push("background".into());
                }
                parts.join(", ")
            }
            Origin::Derived { rule, .. } => format!("derived (rule {})", rule + 1),
        }
    }

    /// `stated`, `inferred`, `background` or `derived`.
    pub fn status(&self) -> &'static str {
        match self {
            Origin::Stated {
                is_background: true,
                ..
            } => "background",
            Origin::Stated {
                inferred: Some(_), ..
            } => "inferred",
            Origin::Stated { .. } => "stated",
            Origin::Derived { .. } => "derived",
        }
    }
}

/// The rows of one kind, with their origins, kept free of duplicates.
#[derive(Debug, Default)]
pub struct Relation {
    rows: Vec<Row>,
    origins: Vec<Origin>,
    seen: HashMap<Row, u32>,
    indexes: RefCell<HashMap<usize, HashMap<Value, Vec<u32>>>>,
}

impl Relation {
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    pub fn row(&self, i: u32) -> &Row {
        &self.rows[i as usize]
    }

    pub fn rows(&self) -> &[Row] {
        &self.rows
    }

    pub fn origin(&self, i: u32) -> &Origin {
        &self.origins[i as usize]
    }

    /// Adds a row unless an equal one is there; returns its index and whether it is new.
    pub fn insert(&mut self, row: Row, origin: Origin) -> (u32, bool) {
        if let Some(&i) = self.seen.get(&row) {
            return (i, false);
        }
        let i = self.rows.len() as u32;
        // Indexes already built stay valid: the new row id is the largest, so lists stay sorted.
        for (&col, idx) in self.indexes.get_mut().iter_mut() {
            if let Some(v) = row.get(col) {
                idx.entry(v.clone()).or_default().push(i);
            }
        }
        self.seen.insert(row.clone(), i);
        self.rows.push(row);
        self.origins.push(origin);
        (i, true)
    }

    /// Removes every row (derived relations are recomputed from scratch).
    pub fn clear(&mut self) {
        self.rows.clear();
        self.origins.clear();
        self.seen.clear();
        self.indexes.get_mut().clear();
    }

    /// The index of a row equal to `row`, if any.
    pub fn find(&self, row: &[Value]) -> Option<u32> {
        self.seen.get(row).copied()
    }

    /// The hash index on column `col`: value → rows holding it, in increasing row order.
    /// Built on first use, then kept up to date by `insert`.
    pub fn index(&self, col: usize) -> Ref<'_, HashMap<Value, Vec<u32>>> {
        if !self.indexes.borrow().contains_key(&col) {
            let mut idx: HashMap<Value, Vec<u32>> = HashMap::new();
            for (i, row) in self.rows.iter().enumerate() {
                if let Some(v) = row.get(col) {
                    idx.entry(v.clone()).or_default().push(i as u32);
                }
            }
            self.indexes.borrow_mut().insert(col, idx);
        }
        Ref::map(self.indexes.borrow(), |m| &m[&col])
    }

    /// Builds the index on `col` now, so later reads need no mutable borrow.
    pub fn ensure_index(&self, col: usize) {
        drop(self.index(col));
    }

    /// Rows whose column `col` equals `value`.
    pub fn lookup(&self, col: usize, value: &Value) -> Vec<u32> {
        self.index(col).get(value).cloned().unwrap_or_default()
    }
}
