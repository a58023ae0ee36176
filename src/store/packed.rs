//! A set of rows packed into 64-bit integers ([`super::relation`]'s `pack`), with the row id
//! of each: open addressing with linear probing over an array of keys, so a look-up costs one
//! cache miss (a general hash table costs two: its control bytes, then its entry), and a
//! caller adding many rows can prefetch the slots of the next ones while it adds this one.
//! The row ids are kept only from the first look-up that asks for one: a recursive rule's
//! duplicate check only asks whether a row is there, and its rows then cost eight bytes a slot
//! instead of twelve.

/// A free slot (no packed row is all ones: its first tag is never 7).
const EMPTY: u64 = u64::MAX;

/// Keys and row ids in two arrays: a look-up that only asks whether a row is there (the
/// fixpoint's duplicate check) reads eight bytes a slot. The slot count is not a power of two
/// (a multiply picks the slot), so the set stays between a third and two thirds full.
#[derive(Debug, Default, Clone)]
pub struct PackedSet {
    keys: Vec<u64>,
    /// Row ids beside the keys, when `ids` (else empty).
    rows: Vec<u32>,
    len: usize,
    ids: bool,
}

/// splitmix64's finaliser: packed rows are structured (tags, small numbers), so they are
/// mixed before they pick a slot.
#[inline]
fn mix(k: u64) -> u64 {
    let mut z = k;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

impl PackedSet {
    pub fn len(&self) -> usize {
        self.len
    }

    #[inline]
    fn slot(&self, k: u64) -> usize {
        ((u128::from(mix(k)) * self.keys.len() as u128) >> 64) as usize
    }

    /// The slot holding `k`, or the free slot where it would go.
    #[inline]
    fn probe(&self, k: u64) -> usize {
        let n = self.keys.len();
        let mut i = self.slot(k);
        loop {
            let x = self.keys[i];
            if x == k || x == EMPTY {
                return i;
            }
            i += 1;
            if i == n {
                i = 0;
            }
        }
    }

    /// Are row ids kept (see [`PackedSet::keep_ids`])?
    pub fn has_ids(&self) -> bool {
        self.ids
    }

    /// Keeps row ids from now on; `rows` gives those of the rows present (every one of them).
    pub fn keep_ids(&mut self, rows: impl Iterator<Item = (u64, u32)>) {
        if self.ids {
            return;
        }
        self.ids = true;
        self.rows = vec![0; self.keys.len()];
        for (k, row) in rows {
            let i = self.probe(k);
            debug_assert_eq!(self.keys[i], k);
            self.rows[i] = row;
        }
    }

    /// The row packed as `k`, if present (row ids must be kept).
    #[inline]
    pub fn find(&self, k: u64) -> Option<u32> {
        debug_assert!(self.ids);
        if self.keys.is_empty() {
            return None;
        }
        let i = self.probe(k);
        (self.keys[i] == k).then(|| self.rows[i])
    }

    /// Is `k` present? (Reads only the keys.)
    #[inline]
    pub fn contains(&self, k: u64) -> bool {
        !self.keys.is_empty() && self.keys[self.probe(k)] == k
    }

    /// Adds `k` as row `row` (the caller knows it is absent).
    pub fn insert(&mut self, k: u64, row: u32) {
        if (self.len + 1) * 3 > self.keys.len() * 2 {
            self.resize((self.len + 1).max(16) * 3);
        }
        let i = self.probe(k);
        self.keys[i] = k;
        if self.ids {
            self.rows[i] = row;
        }
        self.len += 1;
    }

    /// Adds `k` as row `row` unless it is there already (one probe); true when it was not.
    #[inline]
    pub fn insert_absent(&mut self, k: u64, row: u32) -> bool {
        if (self.len + 1) * 3 > self.keys.len() * 2 {
            self.resize((self.len + 1).max(16) * 3);
        }
        let i = self.probe(k);
        if self.keys[i] == k {
            return false;
        }
        self.keys[i] = k;
        if self.ids {
            self.rows[i] = row;
        }
        self.len += 1;
        true
    }

    /// `slots` slots (at least half again as many as the rows).
    fn resize(&mut self, slots: usize) {
        let slots = slots.max(self.len * 3 / 2 + 1).max(16);
        if slots == self.keys.len() {
            return;
        }
        let keys = std::mem::replace(&mut self.keys, vec![EMPTY; slots]);
        if !self.ids {
            for k in keys {
                if k != EMPTY {
                    let i = self.probe(k);
                    self.keys[i] = k;
                }
            }
            return;
        }
        let rows = std::mem::replace(&mut self.rows, vec![0; slots]);
        for (k, r) in keys.into_iter().zip(rows) {
            if k != EMPTY {
                let i = self.probe(k);
                self.keys[i] = k;
                self.rows[i] = r;
            }
        }
    }

    pub fn reserve(&mut self, more: usize) {
        if (self.len + more) * 3 > self.keys.len() * 2 {
            self.resize((self.len + more) * 2);
        }
    }

    pub fn shrink_to_fit(&mut self) {
        if self.len == 0 {
            *self = PackedSet {
                ids: self.ids,
                ..PackedSet::default()
            };
        } else if self.keys.len() > self.len * 2 {
            self.resize(self.len * 3 / 2 + 1);
        }
    }

    /// Asks the processor to fetch the slot `k` would be looked up in.
    #[inline]
    pub fn prefetch(&self, k: u64) {
        if self.keys.is_empty() {
            return;
        }
        #[cfg(target_arch = "x86_64")]
        {
            use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
            let i = self.slot(k);
            // The key, and the row id an insert writes beside it.
            let key = self.keys[i..].as_ptr();
            // SAFETY: a prefetch is a hint that reads nothing and cannot fault; the pointers
            // are in bounds anyway. SSE is part of the x86_64 baseline.
            unsafe {
                _mm_prefetch::<{ _MM_HINT_T0 }>(key.cast());
                if let Some(row) = self.rows.get(i) {
                    _mm_prefetch::<{ _MM_HINT_T0 }>(std::ptr::from_ref(row).cast());
                }
            }
        }
    }

    /// Bytes held.
    pub fn heap_bytes(&self) -> usize {
        self.keys.capacity() * 8 + self.rows.capacity() * 4
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_what_was_added_through_growth() {
        let mut s = PackedSet::default();
        s.keep_ids(std::iter::empty());
        for i in 0..10_000u64 {
            assert_eq!(s.find(i * 7), None);
            s.insert(i * 7, i as u32);
        }
        for i in 0..10_000u64 {
            assert_eq!(s.find(i * 7), Some(i as u32));
            assert_eq!(s.find(i * 7 + 1), None);
        }
        s.shrink_to_fit();
        assert_eq!(s.find(700), Some(100));
        assert_eq!(s.len(), 10_000);
    }

    #[test]
    fn row_ids_kept_late_are_found_through_growth() {
        let mut s = PackedSet::default();
        for i in 0..5_000u64 {
            assert!(s.insert_absent(i * 3, i as u32));
            assert!(!s.insert_absent(i * 3, 0));
        }
        assert!(!s.has_ids() && s.contains(300) && !s.contains(301));
        s.keep_ids((0..5_000u64).map(|i| (i * 3, i as u32)));
        for i in 5_000..10_000u64 {
            assert!(s.insert_absent(i * 3, i as u32));
        }
        for i in 0..10_000u64 {
            assert_eq!(s.find(i * 3), Some(i as u32));
        }
        assert_eq!(s.find(1), None);
    }
}
