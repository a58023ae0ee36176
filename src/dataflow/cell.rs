//! Values inside the dataflow: one 64-bit cell each, typed by the column or variable they
//! belong to (the checker gives every variable one type), so rows are plain integers that
//! timely can send between processes and differential can hash and sort.
//!
//! Texts, entities and fact ids are their interned symbols; every process reads the same
//! inputs in the same order, so a symbol means the same string in every process.

use crate::date::Date;
use crate::store::{Type, Value};
use smallvec::SmallVec;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

/// A row as the session and the workers exchange it (two cells inline, more on the heap).
pub type Tuple = SmallVec<[u64; 2]>;

/// A row, a key or a binding inside the dataflow. Its width is known where it is made (the
/// lowering fixes every layout), so a program whose tuples are all narrow runs on fixed arrays
/// (`[u64; 2]`: 16 bytes, no length, no heap), and only a wider one on [`Tuple`]. An array
/// holds its cells first and zeros after them; whoever reads it knows how many are real.
pub trait Row: differential_dataflow::ExchangeData + std::hash::Hash + Default {
    /// The widest tuple this representation holds.
    const WIDTH: usize;
    /// A tuple of these cells (at most [`Row::WIDTH`]).
    fn of<I: IntoIterator<Item = u64>>(cells: I) -> Self;
    /// Its cells (for an array: the real ones, then zeros).
    fn cells(&self) -> &[u64];
    fn cells_mut(&mut self) -> &mut [u64];
    /// Cell `i`.
    fn at(&self, i: usize) -> u64 {
        self.cells()[i]
    }
}

macro_rules! fixed_rows {
    ($($n:literal),*) => {$(
        impl Row for [u64; $n] {
            const WIDTH: usize = $n;
            fn of<I: IntoIterator<Item = u64>>(cells: I) -> Self {
                let mut row = [0; $n];
                let mut cells = cells.into_iter();
                for (slot, c) in row.iter_mut().zip(&mut cells) {
                    *slot = c;
                }
                debug_assert!(cells.next().is_none(), "a tuple wider than its row");
                row
            }
            fn cells(&self) -> &[u64] {
                self
            }
            fn cells_mut(&mut self) -> &mut [u64] {
                self
            }
        }
    )*};
}
fixed_rows!(2, 4);

impl Row for Tuple {
    const WIDTH: usize = usize::MAX;
    fn of<I: IntoIterator<Item = u64>>(cells: I) -> Self {
        cells.into_iter().collect()
    }
    fn cells(&self) -> &[u64] {
        self
    }
    fn cells_mut(&mut self) -> &mut [u64] {
        self
    }
}

/// `unknown`. No encoded value is all ones (numbers' NaNs are made canonical, symbols and
/// dates are 32-bit indexes).
pub const NULL: u64 = u64::MAX;

/// Dates have more to them than 64 bits (two days, how each end was written): a cell holds
/// the date's index in this table. Every process meets the same dates in the same order
/// (it reads every input, see `Engine::new_rows`), so an index means the same date everywhere.
#[derive(Debug, Default)]
pub struct Dates {
    list: Vec<Date>,
    index: HashMap<Date, u32>,
}

/// The date table, shared by the session (which adds dates) and its workers (which read them).
pub type DateTable = Arc<RwLock<Dates>>;

impl Dates {
    fn cell(&mut self, d: &Date) -> u64 {
        let next = self.list.len() as u32;
        let i = *self.index.entry(*d).or_insert(next);
        if i == next {
            self.list.push(*d);
        }
        u64::from(i)
    }

    fn date(&self, c: u64) -> Option<Date> {
        self.list.get(c as usize).copied()
    }
}

/// The cell of a value; `None` for what has no cell (lists of texts), which the lowering
/// refuses before any row is read.
pub fn encode(v: &Value, dates: &mut Dates) -> Option<u64> {
    Some(match v {
        Value::Null => NULL,
        Value::Bool(b) => u64::from(*b),
        Value::Num(n) => {
            if *n == 0.0 {
                0
            } else if n.is_nan() {
                f64::NAN.to_bits()
            } else {
                n.to_bits()
            }
        }
        Value::Text(s) | Value::Entity(s) | Value::Ref(s) => u64::from(s.0),
        Value::Date(d) => dates.cell(d),
        Value::List(_) => return None,
    })
}

/// The value of a cell of type `ty`.
pub fn decode(c: u64, ty: Type, dates: &Dates) -> Value {
    if c == NULL {
        return Value::Null;
    }
    let sym = || crate::store::Sym(c as u32);
    match ty {
        Type::Bool => Value::Bool(c == 1),
        Type::Number => Value::Num(f64::from_bits(c)),
        Type::Text => Value::Text(sym()),
        Type::Entity => Value::Entity(sym()),
        Type::Ref => Value::Ref(sym()),
        Type::Date => dates.date(c).map_or(Value::Null, Value::Date),
        // Refused by the lowering; never reached.
        Type::List => Value::Null,
    }
}

/// Can values of this type travel through the dataflow?
pub fn lowerable(ty: Type) -> bool {
    ty != Type::List
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Sym;

    #[test]
    fn values_survive_a_round_trip() {
        let mut dates = Dates::default();
        let day = |text: &str| Value::Date(Date::parse(text).expect("a date"));
        let cases = [
            (Value::Num(3.5), Type::Number),
            (Value::Num(-0.0), Type::Number),
            (Value::Bool(true), Type::Bool),
            (Value::Text(Sym(7)), Type::Text),
            (Value::Entity(Sym(u32::MAX)), Type::Entity),
            (day("2025-09"), Type::Date),
            (day("2025-09-14"), Type::Date),
            (Value::Null, Type::Date),
        ];
        for (v, ty) in &cases {
            let c = encode(v, &mut dates).unwrap();
            assert_eq!(&decode(c, *ty, &dates), v, "{v:?}");
            assert!(v.is_null() || c != NULL);
        }
        assert_eq!(encode(&day("2025-09"), &mut dates), Some(0));
        assert_eq!(
            encode(&Value::Num(-0.0), &mut dates),
            encode(&Value::Num(0.0), &mut dates)
        );
    }
}
