//! One column of a relation, stored as compactly as its values allow: symbols as 32-bit
//! integers, whole numbers from 0 to 2³²−2 (ids, counts, a graph's nodes) in four bytes, other
//! numbers as `f64`, dates in eight bytes, and a column that is unknown in every row
//! so far takes no space at all. A value that does not fit the column's encoding (another
//! type, an over-long date) turns the column into plain [`Value`]s, so nothing is ever refused.

use super::value::{Sym, Value};
use crate::date::{Date, End, Precision, Qualifier};

/// The unknown symbol.
const NO_SYM: u32 = u32::MAX;
/// The unknown boolean.
const NO_BOOL: u8 = 2;
/// The unknown whole number.
pub const NO_INT: u32 = u32::MAX;

/// `n` in four bytes, when it is a whole number from 0 to 2³²−2 (and not −0).
#[inline]
pub fn as_int(n: f64) -> Option<u32> {
    let i = n as u32;
    (i != NO_INT && (i as f64).to_bits() == n.to_bits()).then_some(i)
}

/// Which of the three symbol values a symbol column holds.
#[derive(serde::Serialize, serde::Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum SymKind {
    Text,
    Entity,
    Ref,
}

impl SymKind {
    fn wrap(self, s: Sym) -> Value {
        match self {
            SymKind::Text => Value::Text(s),
            SymKind::Entity => Value::Entity(s),
            SymKind::Ref => Value::Ref(s),
        }
    }

    fn of(v: &Value) -> Option<(SymKind, Sym)> {
        match v {
            Value::Text(s) => Some((SymKind::Text, *s)),
            Value::Entity(s) => Some((SymKind::Entity, *s)),
            Value::Ref(s) => Some((SymKind::Ref, *s)),
            _ => None,
        }
    }
}

/// A date in eight bytes: its first day, how many days it spans and how it is written (each
/// end's precision and qualifier). `flags == 0` is the unknown date; open-ended dates do not
/// pack (their column holds values).
#[derive(serde::Serialize, serde::Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct PackedDate {
    lo: i32,
    span: u16,
    flags: u16,
}

/// An end in five bits: precision or open/unknown (three bits, never 0), qualifier (two bits).
fn end_bits(e: End) -> u16 {
    let (kind, q) = match e {
        End::Known(Precision::Year, q) => (1, q),
        End::Known(Precision::Month, q) => (2, q),
        End::Known(Precision::Day, q) => (3, q),
        End::Open => (4, Qualifier::Exact),
        End::Unknown => (5, Qualifier::Exact),
    };
    let q = match q {
        Qualifier::Exact => 0,
        Qualifier::Uncertain => 1,
        Qualifier::Approximate => 2,
        Qualifier::Both => 3,
    };
    kind | q << 3
}

fn end_of_bits(bits: u16) -> Option<End> {
    let q = match (bits >> 3) & 3 {
        0 => Qualifier::Exact,
        1 => Qualifier::Uncertain,
        2 => Qualifier::Approximate,
        _ => Qualifier::Both,
    };
    Some(match bits & 7 {
        1 => End::Known(Precision::Year, q),
        2 => End::Known(Precision::Month, q),
        3 => End::Known(Precision::Day, q),
        4 => End::Open,
        5 => End::Unknown,
        _ => return None,
    })
}

impl PackedDate {
    const NULL: PackedDate = PackedDate {
        lo: 0,
        span: 0,
        flags: 0,
    };

    fn pack(d: &Date) -> Option<PackedDate> {
        let span = u16::try_from(d.hi.checked_sub(d.lo)?).ok()?;
        let end = d.end.map_or(0, end_bits);
        Some(PackedDate {
            lo: d.lo,
            span,
            flags: end_bits(d.start) | end << 5,
        })
    }

    fn unpack(self) -> Option<Date> {
        Some(Date {
            lo: self.lo,
            hi: self.lo + i32::from(self.span),
            start: end_of_bits(self.flags & 31)?,
            end: end_of_bits(self.flags >> 5),
        })
    }
}

/// The values of one column, in row order.
#[derive(serde::Serialize, serde::Deserialize, Clone, Debug, Default)]
pub enum Column {
    /// Unknown in every row so far.
    #[default]
    Null,
    Sym(SymKind, Vec<u32>),
    /// Whole numbers from 0 to 2³²−2; `NO_INT` is unknown.
    Int(Vec<u32>),
    /// `NaN` is unknown (no number a user writes or loads is `NaN`).
    Num(Vec<f64>),
    Date(Vec<PackedDate>),
    Bool(Vec<u8>),
    /// Anything else, or a mixture.
    Any(Vec<Value>),
}

impl Column {
    /// The value in row `i` (unknown past the end).
    #[inline]
    pub fn get(&self, i: usize) -> Value {
        match self {
            Column::Null => Value::Null,
            Column::Sym(k, v) => match v.get(i) {
                Some(&s) if s != NO_SYM => k.wrap(Sym(s)),
                _ => Value::Null,
            },
            Column::Int(v) => match v.get(i) {
                Some(&n) if n != NO_INT => Value::Num(f64::from(n)),
                _ => Value::Null,
            },
            Column::Num(v) => match v.get(i) {
                Some(n) if !n.is_nan() => Value::Num(*n),
                _ => Value::Null,
            },
            Column::Date(v) => v
                .get(i)
                .and_then(|d| d.unpack())
                .map_or(Value::Null, Value::Date),
            Column::Bool(v) => match v.get(i) {
                Some(&b) if b != NO_BOOL => Value::Bool(b == 1),
                _ => Value::Null,
            },
            Column::Any(v) => v.get(i).cloned().unwrap_or(Value::Null),
        }
    }

    /// Is row `i` equal to `v`? (Faster than `get(i) == *v` for symbols.)
    #[inline]
    pub fn eq_at(&self, i: usize, v: &Value) -> bool {
        match (self, v) {
            (Column::Sym(k, col), _) => match SymKind::of(v) {
                Some((vk, s)) => vk == *k && col.get(i) == Some(&s.0),
                None => v.is_null() && col.get(i).is_none_or(|&s| s == NO_SYM),
            },
            (Column::Int(col), Value::Num(n)) => col
                .get(i)
                .is_some_and(|&x| x != NO_INT && f64::from(x) == *n),
            (Column::Num(col), Value::Num(n)) => col.get(i).is_some_and(|x| x == n),
            _ => self.get(i) == *v,
        }
    }

    /// The date in row `i`, if it has one.
    #[inline]
    pub fn date_at(&self, i: usize) -> Option<Date> {
        match self {
            Column::Date(v) => v.get(i).and_then(|d| d.unpack()),
            Column::Any(v) => match v.get(i) {
                Some(Value::Date(d)) => Some(*d),
                _ => None,
            },
            _ => None,
        }
    }

    /// Appends `v` as row `len` (the number of rows before it).
    #[inline]
    pub fn push(&mut self, v: &Value, len: usize) {
        // The common case first: a whole number into a column of them (a closure's rows).
        if let (Column::Int(col), Value::Num(n)) = (&mut *self, v)
            && let Some(i) = as_int(*n)
        {
            col.push(i);
            return;
        }
        match (&mut *self, v) {
            (Column::Null, Value::Null) => {}
            (Column::Null, _) => {
                *self = Column::empty_for(v, len);
                self.push(v, len);
            }
            (Column::Sym(k, col), _) => match SymKind::of(v) {
                Some((vk, s)) if vk == *k && s.0 != NO_SYM => col.push(s.0),
                None if v.is_null() => col.push(NO_SYM),
                _ => self.widen_and_push(v, len),
            },
            (Column::Int(col), Value::Num(n)) => match as_int(*n) {
                Some(i) => col.push(i),
                None => {
                    let wide = col
                        .iter()
                        .map(|&x| if x == NO_INT { f64::NAN } else { f64::from(x) })
                        .collect();
                    *self = Column::Num(wide);
                    self.push(v, len);
                }
            },
            (Column::Int(col), Value::Null) => col.push(NO_INT),
            (Column::Num(col), Value::Num(n)) if !n.is_nan() => col.push(*n),
            (Column::Num(col), Value::Null) => col.push(f64::NAN),
            (Column::Date(col), Value::Date(d)) => match PackedDate::pack(d) {
                Some(p) => col.push(p),
                None => self.widen_and_push(v, len),
            },
            (Column::Date(col), Value::Null) => col.push(PackedDate::NULL),
            (Column::Bool(col), Value::Bool(b)) => col.push(u8::from(*b)),
            (Column::Bool(col), Value::Null) => col.push(NO_BOOL),
            (Column::Any(col), _) => col.push(v.clone()),
            _ => self.widen_and_push(v, len),
        }
    }

    /// A column of `len` unknowns, in the encoding that suits `v`.
    fn empty_for(v: &Value, len: usize) -> Column {
        match v {
            Value::Null => Column::Null,
            Value::Text(_) | Value::Entity(_) | Value::Ref(_) => {
                let (k, _) = SymKind::of(v).expect("a symbol");
                Column::Sym(k, vec![NO_SYM; len])
            }
            Value::Num(n) if as_int(*n).is_some() => Column::Int(vec![NO_INT; len]),
            Value::Num(_) => Column::Num(vec![f64::NAN; len]),
            Value::Date(_) => Column::Date(vec![PackedDate::NULL; len]),
            Value::Bool(_) => Column::Bool(vec![NO_BOOL; len]),
            Value::List(_) => Column::Any(vec![Value::Null; len]),
        }
    }

    fn widen_and_push(&mut self, v: &Value, len: usize) {
        let mut all: Vec<Value> = (0..len).map(|i| self.get(i)).collect();
        all.push(v.clone());
        *self = Column::Any(all);
    }

    pub fn clear(&mut self) {
        *self = Column::Null;
    }

    /// Does any row hold a known value?
    pub fn any_known(&self, len: usize) -> bool {
        match self {
            Column::Null => false,
            _ => (0..len).any(|i| !self.get(i).is_null()),
        }
    }

    /// Bytes held by the column's values.
    pub fn heap_bytes(&self) -> usize {
        match self {
            Column::Null => 0,
            Column::Sym(_, v) => v.capacity() * 4,
            Column::Int(v) => v.capacity() * 4,
            Column::Num(v) => v.capacity() * 8,
            Column::Date(v) => v.capacity() * std::mem::size_of::<PackedDate>(),
            Column::Bool(v) => v.capacity(),
            Column::Any(v) => v.capacity() * std::mem::size_of::<Value>(),
        }
    }

    pub fn shrink_to_fit(&mut self) {
        match self {
            Column::Null => {}
            Column::Sym(_, v) => v.shrink_to_fit(),
            Column::Int(v) => v.shrink_to_fit(),
            Column::Num(v) => v.shrink_to_fit(),
            Column::Date(v) => v.shrink_to_fit(),
            Column::Bool(v) => v.shrink_to_fit(),
            Column::Any(v) => v.shrink_to_fit(),
        }
    }

    /// The encoding's name, for `:stats`-style reports.
    pub fn encoding(&self) -> &'static str {
        match self {
            Column::Null => "unknown",
            Column::Sym(..) => "symbol",
            Column::Int(_) => "integer",
            Column::Num(_) => "number",
            Column::Date(_) => "date",
            Column::Bool(_) => "bool",
            Column::Any(_) => "value",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_come_back_as_they_went_in() {
        let d = Date::parse("2025-09~").expect("date");
        let interval = Date::parse("2025-09-14?/2025-10%").expect("date");
        let open = Date::parse("2025-09/..").expect("date");
        let vals = [
            Value::Date(interval),
            Value::Date(open),
            Value::Null,
            Value::Text(Sym(3)),
            Value::Num(2.5),
            Value::Num(7.0),
            Value::Num(-0.0),
            Value::Num(4_294_967_295.0),
            Value::Date(d),
            Value::Bool(true),
            Value::Entity(Sym(7)),
        ];
        // Each value pushed into a column that started with each other value.
        for first in &vals {
            for second in &vals {
                let mut c = Column::Null;
                c.push(&Value::Null, 0);
                c.push(first, 1);
                c.push(second, 2);
                assert_eq!(c.get(0), Value::Null);
                assert_eq!(&c.get(1), first);
                assert_eq!(&c.get(2), second);
                assert!(c.eq_at(2, second));
                assert_eq!(c.get(3), Value::Null);
            }
        }
    }

    #[test]
    fn a_typed_column_stays_compact() {
        let mut c = Column::Null;
        for i in 0..10u32 {
            c.push(&Value::Entity(Sym(i)), i as usize);
        }
        c.push(&Value::Null, 10);
        assert_eq!(c.encoding(), "symbol");
        assert!(c.eq_at(10, &Value::Null));
        assert!(!c.eq_at(3, &Value::Text(Sym(3))));
    }

    #[test]
    fn whole_numbers_take_four_bytes_until_another_number_comes() {
        let mut c = Column::Null;
        for i in 0..10u32 {
            c.push(&Value::Num(f64::from(i)), i as usize);
        }
        c.push(&Value::Null, 10);
        assert_eq!(c.encoding(), "integer");
        assert!(c.eq_at(3, &Value::Num(3.0)) && !c.eq_at(3, &Value::Num(3.5)));
        assert!(c.eq_at(10, &Value::Null) && !c.eq_at(10, &Value::Num(0.0)));
        c.push(&Value::Num(-1.5), 11);
        assert_eq!(c.encoding(), "number");
        assert_eq!(
            (c.get(9), c.get(10), c.get(11)),
            (Value::Num(9.0), Value::Null, Value::Num(-1.5))
        );
    }
}
