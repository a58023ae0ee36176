//! A set of rows packed into 64-bit integers ([`super::relation`]'s `pack`), with the row id
//! of each: open addressing with linear probing over an array of keys, so a look-up costs one
//! cache miss (a general hash table costs two: its control bytes, then its entry), and a
//! caller adding many rows can prefetch the slots of the next ones while it adds this one.

/// A free slot (no packed row is all ones: its first tag is never 7).
const EMPTY: u64 = u64::MAX;

/// Keys and row ids in two arrays: a look-up that only asks whether a row is there (the
/// fixpoint's duplicate check) reads eight bytes a slot. The slot count is not a power of two
/// (a multiply picks the slot), so the set stays between a third and two thirds full.
#[derive(Debug, Default, Clone)]
pub struct PackedSet {
    keys: Vec<u64>,
    rows: Vec<u32>,
    len: usize,
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

    /// The row packed as `k`, if present.
    #[inline]
    pub fn find(&self, k: u64) -> Option<u32> {
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
        self.rows[i] = row;
        self.len += 1;
    }

    /// `slots` slots (at least half again as many as the rows).
    fn resize(&mut self, slots: usize) {
        let slots = slots.max(self.len * 3 / 2 + 1).max(16);
        if slots == self.keys.len() {
            return;
        }
        let keys = std::mem::replace(&mut self.keys, vec![EMPTY; slots]);
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
            *self = PackedSet::default();
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
            let p = self.keys[self.slot(k)..].as_ptr();
            // SAFETY: a prefetch is a hint that reads nothing and cannot fault; the pointer is
            // in bounds anyway. SSE is part of the x86_64 baseline.
            unsafe {
                std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(p.cast());
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
}
