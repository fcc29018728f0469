//! Sets of users: [`Bits`], a plain bitset, and [`UserSet`], a group's members in whichever
//! of two forms is smaller — a sorted list when few, a bitset when many.
//!
//! Sets are over user slots. A bitset reads as empty past its last word, so a set built before
//! a user was added needs no resizing to answer for that user.
//!
//! INVARIANT: a sparse [`UserSet`] is sorted and free of duplicates; a dense one's `count` is
//! the number of its bits set.

use crate::ids::{Ix, UserIx};

/// A bitset over user slots.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Bits {
    words: Vec<u64>,
}

impl Bits {
    /// No users, with room for `len` slots.
    pub fn empty(len: usize) -> Bits {
        Bits {
            words: vec![0; len.div_ceil(64)],
        }
    }

    /// The set of `members`.
    pub fn from_sorted(len: usize, members: &[u32]) -> Bits {
        let mut bits = Bits::empty(len);
        for &m in members {
            bits.insert(m);
        }
        bits
    }

    /// Adds slot `i`, growing when needed.
    pub fn insert(&mut self, i: u32) {
        let w = i as usize / 64;
        if w >= self.words.len() {
            self.words.resize(w + 1, 0);
        }
        if let Some(word) = self.words.get_mut(w) {
            *word |= 1u64 << (i % 64);
        }
    }

    /// Removes slot `i`.
    pub fn remove(&mut self, i: u32) {
        if let Some(word) = self.words.get_mut(i as usize / 64) {
            *word &= !(1u64 << (i % 64));
        }
    }

    /// Whether slot `i` is in the set.
    #[inline]
    pub fn contains(&self, i: u32) -> bool {
        self.words
            .get(i as usize / 64)
            .is_some_and(|w| w & (1u64 << (i % 64)) != 0)
    }

    /// Keeps the slots also in `other`.
    pub fn and_with(&mut self, other: &Bits) {
        for (i, a) in self.words.iter_mut().enumerate() {
            *a &= other.words.get(i).copied().unwrap_or(0);
        }
    }

    /// Removes the slots in `other`.
    pub fn and_not(&mut self, other: &Bits) {
        for (a, b) in self.words.iter_mut().zip(&other.words) {
            *a &= !b;
        }
    }

    /// Adds the slots in `other`.
    pub fn or_with(&mut self, other: &Bits) {
        if other.words.len() > self.words.len() {
            self.words.resize(other.words.len(), 0);
        }
        for (a, b) in self.words.iter_mut().zip(&other.words) {
            *a |= b;
        }
    }

    /// The slots of `universe` not in this set.
    pub fn complement_in(&mut self, universe: &Bits) {
        if universe.words.len() > self.words.len() {
            self.words.resize(universe.words.len(), 0);
        }
        for (i, a) in self.words.iter_mut().enumerate() {
            *a = !*a & universe.words.get(i).copied().unwrap_or(0);
        }
    }

    /// How many slots are in the set.
    pub fn count(&self) -> usize {
        self.words.iter().map(|w| w.count_ones() as usize).sum()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.words.iter().all(|&w| w == 0)
    }

    /// The slots in the set, ascending.
    pub fn iter(&self) -> impl Iterator<Item = u32> + '_ {
        self.words.iter().enumerate().flat_map(|(wi, &word)| {
            let base = u32::try_from(wi * 64).unwrap_or(u32::MAX);
            BitIter(word).map(move |bit| base.saturating_add(bit))
        })
    }

    /// The slots in the set, ascending.
    pub fn to_sorted(&self) -> Vec<u32> {
        let mut out = Vec::with_capacity(self.count());
        out.extend(self.iter());
        out
    }

    /// The words, for compiled snapshots.
    pub fn words(&self) -> &[u64] {
        &self.words
    }

    /// A set from its words.
    pub fn from_words(words: Vec<u64>) -> Bits {
        Bits { words }
    }
}

struct BitIter(u64);

impl Iterator for BitIter {
    type Item = u32;

    fn next(&mut self) -> Option<u32> {
        if self.0 == 0 {
            return None;
        }
        let bit = self.0.trailing_zeros();
        self.0 &= self.0 - 1;
        Some(bit)
    }
}

/// A set of users: a sorted list when few, a bitset when many, so that neither a 3-person
/// team nor an all-company group costs more than it must.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserSet {
    /// Sorted user slots.
    Sparse(Vec<u32>),
    /// A bitset and how many bits it has set.
    Dense {
        /// The members.
        bits: Bits,
        /// How many.
        count: usize,
    },
}

impl Default for UserSet {
    fn default() -> UserSet {
        UserSet::Sparse(Vec::new())
    }
}

/// Whether `count` members of `slots` users are better held as a bitset: above one in 32,
/// where a list's four bytes per member outweigh a bit per slot.
pub fn dense_enough(count: usize, slots: usize) -> bool {
    count > 0 && count.saturating_mul(32) >= slots
}

impl UserSet {
    /// The set of `bits`, in the smaller form for `slots` users.
    pub fn from_bits(bits: Bits, slots: usize) -> UserSet {
        let count = bits.count();
        if dense_enough(count, slots) {
            UserSet::Dense { bits, count }
        } else {
            UserSet::Sparse(bits.to_sorted())
        }
    }

    /// The set of a sorted, duplicate-free list, in the smaller form for `slots` users.
    pub fn from_sorted(list: Vec<u32>, slots: usize) -> UserSet {
        if dense_enough(list.len(), slots) {
            let count = list.len();
            UserSet::Dense {
                bits: Bits::from_sorted(slots, &list),
                count,
            }
        } else {
            UserSet::Sparse(list)
        }
    }

    /// Whether user `u` is in the set.
    #[inline]
    pub fn contains(&self, u: UserIx) -> bool {
        match self {
            UserSet::Sparse(list) => list.binary_search(&u.get()).is_ok(),
            UserSet::Dense { bits, .. } => bits.contains(u.get()),
        }
    }

    /// How many users.
    pub fn len(&self) -> usize {
        match self {
            UserSet::Sparse(list) => list.len(),
            UserSet::Dense { count, .. } => *count,
        }
    }

    /// Whether the set is held as a bitset.
    pub fn is_dense(&self) -> bool {
        matches!(self, UserSet::Dense { .. })
    }

    /// Adds `u`; true when it was not there. The form does not change (see [`UserSet::reshape`]).
    pub fn insert(&mut self, u: UserIx) -> bool {
        match self {
            UserSet::Sparse(list) => match list.binary_search(&u.get()) {
                Ok(_) => false,
                Err(at) => {
                    list.insert(at, u.get());
                    true
                }
            },
            UserSet::Dense { bits, count } => {
                if bits.contains(u.get()) {
                    false
                } else {
                    bits.insert(u.get());
                    *count += 1;
                    true
                }
            }
        }
    }

    /// Removes `u`; true when it was there.
    pub fn remove(&mut self, u: UserIx) -> bool {
        match self {
            UserSet::Sparse(list) => match list.binary_search(&u.get()) {
                Ok(at) => {
                    list.remove(at);
                    true
                }
                Err(_) => false,
            },
            UserSet::Dense { bits, count } => {
                if bits.contains(u.get()) {
                    bits.remove(u.get());
                    *count -= 1;
                    true
                } else {
                    false
                }
            }
        }
    }

    /// Whether the set has drifted far from its form: a list of more than one in 16 slots, or
    /// a bitset of fewer than one in 64 (hysteresis of 2× either way around [`dense_enough`],
    /// so a set on the boundary does not flip at every change).
    pub fn drifted(&self, slots: usize) -> bool {
        let n = self.len();
        match self {
            UserSet::Sparse(_) => n > 0 && n.saturating_mul(16) >= slots,
            UserSet::Dense { .. } => n.saturating_mul(64) < slots,
        }
    }

    /// Moves to the other form when the set has [drifted](UserSet::drifted); true when it did.
    pub fn reshape(&mut self, slots: usize) -> bool {
        if !self.drifted(slots) {
            return false;
        }
        let n = self.len();
        *self = match self {
            UserSet::Sparse(list) => UserSet::Dense {
                bits: Bits::from_sorted(slots, list),
                count: n,
            },
            UserSet::Dense { bits, .. } => UserSet::Sparse(bits.to_sorted()),
        };
        true
    }

    /// Adds every member to `acc`.
    pub fn or_into(&self, acc: &mut Bits) {
        match self {
            UserSet::Sparse(list) => {
                for &u in list {
                    acc.insert(u);
                }
            }
            UserSet::Dense { bits, .. } => acc.or_with(bits),
        }
    }

    /// The members as a bitset with room for `slots` users.
    pub fn to_bits(&self, slots: usize) -> Bits {
        match self {
            UserSet::Sparse(list) => Bits::from_sorted(slots, list),
            UserSet::Dense { bits, .. } => bits.clone(),
        }
    }

    /// The members, ascending by slot.
    pub fn iter(&self) -> Box<dyn Iterator<Item = UserIx> + '_> {
        match self {
            UserSet::Sparse(list) => Box::new(list.iter().map(|&u| UserIx::new(u))),
            UserSet::Dense { bits, .. } => Box::new(bits.iter().map(UserIx::new)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn complement_stays_in_the_universe() {
        let mut bits = Bits::from_sorted(70, &[0, 3, 69]);
        let mut universe = Bits::empty(70);
        for i in 0..70 {
            universe.insert(i);
        }
        bits.complement_in(&universe);
        assert_eq!(bits.count(), 67);
        assert!(!bits.contains(69) && bits.contains(68));
        assert!(!Bits::empty(10).contains(1_000));
    }

    #[test]
    fn sets_insert_remove_and_reshape() {
        let mut set = UserSet::from_sorted(vec![1, 5], 1000);
        assert!(!set.is_dense());
        for u in 0..100 {
            set.insert(UserIx::new(u));
        }
        assert_eq!(set.len(), 100);
        assert!(set.reshape(1000));
        assert!(set.is_dense());
        assert!(set.contains(UserIx::new(5)));
        for u in 0..95 {
            assert!(set.remove(UserIx::new(u)));
        }
        assert!(!set.remove(UserIx::new(0)));
        assert!(set.reshape(1000));
        assert_eq!(set, UserSet::Sparse(vec![95, 96, 97, 98, 99]));
    }
}
