//! The duplicate check of rows that do not pack into 64 bits (a date, a fraction, a text past
//! 2^27 symbols): the ids of a relation's rows by the 32 bits kept of each row's hash. Each
//! slot holds both, open addressing with linear probing as in [`super::packed`], so a look-up
//! costs one cache miss (a general hash table costs two: its control bytes, then its entry)
//! and a bulk load, which knows the next rows' hashes, can prefetch their slots.

/// A free slot. A slot keeps its row id plus one, so a table of free slots is zeroed memory:
/// the allocator hands it over without writing it.
const EMPTY: u64 = 0;

/// Row ids by hash. The slot count is not a power of two (a multiply picks the slot), so the
/// table stays between a third and two thirds full.
#[derive(Debug, Default, Clone)]
pub struct RowIds {
    /// The hash in the high half, the row id plus one in the low one.
    slots: Vec<u64>,
    len: usize,
}

/// A table hash from the 32 bits kept of a row's hash, its top bits as varied as the bottom.
#[inline]
fn spread(h: u32) -> u64 {
    u64::from(h).wrapping_mul(0x9e37_79b9_7f4a_7c15)
}

impl RowIds {
    pub fn len(&self) -> usize {
        self.len
    }

    #[inline]
    fn slot(&self, h: u32) -> usize {
        ((u128::from(spread(h)) * self.slots.len() as u128) >> 64) as usize
    }

    /// Where a row with hash `h` for which `same` holds is (its id), or else the free slot where
    /// it would go. The table must have a free slot.
    #[inline]
    fn probe(&self, h: u32, mut same: impl FnMut(u32) -> bool) -> Result<u32, usize> {
        let n = self.slots.len();
        let mut i = self.slot(h);
        loop {
            let x = self.slots[i];
            if x == EMPTY {
                return Err(i);
            }
            if (x >> 32) as u32 == h && same(x as u32 - 1) {
                return Ok(x as u32 - 1);
            }
            i += 1;
            if i == n {
                i = 0;
            }
        }
    }

    /// The id of a row with hash `h` for which `same` holds, if any (`same` is asked only about
    /// rows whose hash is `h`).
    #[inline]
    pub fn find(&self, h: u32, same: impl FnMut(u32) -> bool) -> Option<u32> {
        if self.slots.is_empty() {
            return None;
        }
        self.probe(h, same).ok()
    }

    /// Adds row `id` with hash `h`; the caller knows no equal row is there.
    #[inline]
    pub fn insert_unique(&mut self, h: u32, id: u32) {
        self.insert_absent(h, id, |_| false);
    }

    /// Adds row `id` with hash `h` unless a row with that hash for which `same` holds is there:
    /// then that row's id, and nothing added. One probe either way.
    #[inline]
    pub fn insert_absent(&mut self, h: u32, id: u32, same: impl FnMut(u32) -> bool) -> Option<u32> {
        debug_assert!(id != u32::MAX, "row ids are below u32::MAX");
        self.reserve(1);
        match self.probe(h, same) {
            Ok(old) => Some(old),
            Err(i) => {
                self.slots[i] = (u64::from(h) << 32) | (u64::from(id) + 1);
                self.len += 1;
                None
            }
        }
    }

    fn resize(&mut self, slots: usize) {
        let old = std::mem::replace(&mut self.slots, vec![EMPTY; slots.max(8)]);
        for x in old.into_iter().filter(|&x| x != EMPTY) {
            if let Err(i) = self.probe((x >> 32) as u32, |_| false) {
                self.slots[i] = x;
            }
        }
    }

    /// Room for `more` rows without growing (kept between a third and two thirds full).
    pub fn reserve(&mut self, more: usize) {
        if (self.len + more) * 3 > self.slots.len() * 2 {
            self.resize((self.len + more) * 2);
        }
    }

    pub fn shrink_to_fit(&mut self) {
        if self.len == 0 {
            *self = RowIds::default();
        } else if self.slots.len() > self.len * 3 {
            self.resize(self.len * 3 / 2 + 1);
        }
    }

    /// Asks the processor to fetch the slot a row with hash `h` is looked up in.
    #[inline]
    pub fn prefetch(&self, h: u32) {
        if self.slots.is_empty() {
            return;
        }
        #[cfg(target_arch = "x86_64")]
        {
            use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
            let slot = &self.slots[self.slot(h)];
            // SAFETY: a prefetch is a hint that reads nothing and cannot fault; the pointer is
            // in bounds anyway. SSE is part of the x86_64 baseline.
            unsafe { _mm_prefetch::<{ _MM_HINT_T0 }>(std::ptr::from_ref(slot).cast()) };
        }
    }

    /// Bytes held.
    pub fn heap_bytes(&self) -> usize {
        self.slots.capacity() * 8
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Ids are found by hash and the caller's comparison, through growth, with many rows
    /// sharing one hash and hashes that pick neighbouring slots.
    #[test]
    fn finds_ids_by_hash_and_comparison_through_growth() {
        let hash = |row: u32| {
            if row.is_multiple_of(10) {
                7
            } else {
                row.wrapping_mul(2_654_435_761)
            }
        };
        let mut t = RowIds::default();
        for row in 0..20_000u32 {
            assert_eq!(t.find(hash(row), |i| i == row), None);
            t.insert_unique(hash(row), row);
        }
        assert_eq!(t.len(), 20_000);
        for row in 0..20_000u32 {
            assert_eq!(t.find(hash(row), |i| i == row), Some(row));
            // Same hash, another row: not found, and the comparison saw only equal hashes.
            assert_eq!(
                t.find(hash(row), |i| {
                    assert_eq!(hash(i), hash(row));
                    false
                }),
                None
            );
        }
        // Adding an equal row finds the first; a row of the same hash that differs is added.
        assert_eq!(t.insert_absent(hash(20), 99_999, |i| i == 20), Some(20));
        assert_eq!(t.insert_absent(7, 20_000, |_| false), None);
        assert_eq!(t.find(7, |i| i == 20_000), Some(20_000));
        assert_eq!(t.len(), 20_001);
        t.shrink_to_fit();
        t.reserve(100_000);
        assert_eq!(t.find(7, |i| i == 19_990), Some(19_990));
        assert_eq!(t.find(hash(12_345), |i| i == 12_345), Some(12_345));
        assert_eq!(RowIds::default().find(7, |_| true), None);
    }
}
