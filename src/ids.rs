//! Index newtypes, and the id tables that turn ids into them.
//!
//! Every user, group, role, product, module and permission is known by an index into its
//! table ([`UserIx`], [`GroupIx`], …), so that a `GroupIx` is never passed where a `UserIx` is
//! meant, and no bare `u32` travels between modules.
//!
//! An [`IdTable`] holds every id of one kind in one byte arena, in the order they were added,
//! and answers "which index has this id" with an open-addressing table whose slots hold short
//! ids inline: a lookup touches one slot, and only ids longer than ten bytes are compared
//! against the arena.
//! The table's hash is keyed with fixed seeds, so lookups are deterministic; if ids chosen to
//! collide make any run of occupied slots longer than [`MAX_RUN`], the table is rebuilt with
//! the next seed, and after the last seed lookups fall back to a binary search over the ids in
//! byte order. No choice of ids costs more than a logarithmic lookup.
//!
//! INVARIANT: `order` lists every index once, sorted by id bytes, and `rank` is its inverse.

use std::hash::BuildHasher;
use std::marker::PhantomData;

/// The number that stands for "no index" in packed tables of indices (a `Vec<u32>` is half
/// the size of a `Vec<Option<I>>`). Tables are read back through [`present`], so what a
/// caller sees is an `Option`.
pub const NO_INDEX: u32 = u32::MAX;

/// The index a packed table holds at one place: `None` for [`NO_INDEX`].
pub fn present<I: Ix>(raw: u32) -> Option<I> {
    (raw != NO_INDEX).then(|| I::new(raw))
}

/// An index into one of the engine's tables.
pub trait Ix: Copy + Ord + std::hash::Hash + std::fmt::Debug {
    /// The index with this number.
    fn new(n: u32) -> Self;
    /// Its number.
    fn get(self) -> u32;
    /// Its number as a `usize`, for indexing.
    fn index(self) -> usize {
        self.get() as usize
    }
    /// The index at position `i` of a table, if `i` fits the index space.
    fn from_usize(i: usize) -> Option<Self> {
        u32::try_from(i)
            .ok()
            .filter(|&n| n != u32::MAX)
            .map(Self::new)
    }
}

macro_rules! index_types {
    ($($(#[$doc:meta])* $name:ident;)*) => {$(
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
        pub struct $name(u32);

        impl Ix for $name {
            fn new(n: u32) -> Self {
                $name(n)
            }
            fn get(self) -> u32 {
                self.0
            }
        }
    )*};
}

index_types! {
    /// A user slot.
    UserIx;
    /// A group slot.
    GroupIx;
    /// A role slot.
    RoleIx;
    /// A product slot.
    ProductIx;
    /// A homepage module slot.
    ModuleIx;
    /// A permission string.
    PermIx;
}

/// The longest run of occupied slots a table accepts before it changes seed.
pub const MAX_RUN: usize = 48;
/// Ids up to this many bytes sit in their slot.
const INLINE: usize = 10;
/// The longest run of occupied slots, wrapping around the end.
fn longest_run(slots: &[Slot]) -> usize {
    let Some(start) = slots.iter().position(|s| s.ix == EMPTY) else {
        return slots.len();
    };
    let mut longest = 0;
    let mut run = 0;
    for i in 0..slots.len() {
        let occupied = slots
            .get((start + i) % slots.len())
            .is_some_and(|s| s.ix != EMPTY);
        if occupied {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    longest
}

/// The fixed seeds, tried in order.
const SEEDS: [u64; 4] = [
    0x243f_6a88_85a3_08d3,
    0x1319_8a2e_0370_7344,
    0xa409_3822_299f_31d0,
    0x082e_fa98_ec4e_6c89,
];
const EMPTY: u32 = u32::MAX;

/// One slot: a key of eleven bytes (`[len, bytes…]` for an inline id, `[0xFF, hash…, len,
/// len]` for a long one) held as integers so comparing it is three compares, the owner's tag,
/// and the index.
#[derive(Clone, Copy, PartialEq, Eq)]
#[repr(C)]
struct Slot {
    k0: u64,
    k1: u16,
    k2: u8,
    /// The owner's tag for this index (see [`IdTable::set_tag`]).
    tag: u8,
    ix: u32,
}

impl Slot {
    fn key(&self) -> (u64, u16, u8) {
        (self.k0, self.k1, self.k2)
    }
}

const VACANT: Slot = Slot {
    k0: 0,
    k1: 0,
    k2: 0,
    tag: 0,
    ix: EMPTY,
};

/// Every id of one kind: index ↔ id, in the order added.
#[derive(Clone)]
pub struct IdTable<I> {
    /// Every id, one after the other (a `String`, so slicing an id needs no validation).
    bytes: String,
    ends: Vec<u32>,
    tags: Vec<u8>,
    order: Vec<u32>,
    rank: Vec<u32>,
    /// Empty when lookups use binary search over `order`.
    slots: Vec<Slot>,
    seed: usize,
    _kind: PhantomData<I>,
}

impl<I: Ix> std::fmt::Debug for IdTable<I> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IdTable")
            .field("len", &self.ends.len())
            .field("hashes", &!self.slots.is_empty())
            .finish()
    }
}

impl<I: Ix> Default for IdTable<I> {
    fn default() -> Self {
        IdTable {
            bytes: String::new(),
            ends: Vec::new(),
            tags: Vec::new(),
            order: Vec::new(),
            rank: Vec::new(),
            slots: Vec::new(),
            seed: 0,
            _kind: PhantomData,
        }
    }
}

fn hash(seed: usize, id: &[u8]) -> u64 {
    let seed = SEEDS.get(seed).copied().unwrap_or(0);
    foldhash::quality::FixedState::with_seed(seed).hash_one(id)
}

fn key_of(id: &[u8], h: u64) -> (u64, u16, u8) {
    let mut key = [0u8; 11];
    if id.len() <= INLINE {
        key[0] = id.len() as u8;
        if let Some(dst) = key.get_mut(1..=id.len()) {
            dst.copy_from_slice(id);
        }
    } else {
        key[0] = 0xFF;
        let filter = h.rotate_left(29).to_le_bytes();
        key[1..9].copy_from_slice(&filter);
        let len = (id.len() as u16).to_le_bytes();
        key[9..11].copy_from_slice(&len);
    }
    let [a, b, c, d, e, f, g, h8, i, j, k] = key;
    (
        u64::from_le_bytes([a, b, c, d, e, f, g, h8]),
        u16::from_le_bytes([i, j]),
        k,
    )
}

impl<I: Ix> IdTable<I> {
    /// A table of `ids`, which must be distinct; index `i` is the `i`-th id.
    pub fn from_distinct<'a>(ids: impl IntoIterator<Item = &'a str>) -> IdTable<I> {
        let mut table = IdTable::default();
        for id in ids {
            table.bytes.push_str(id);
            table
                .ends
                .push(u32::try_from(table.bytes.len()).unwrap_or(u32::MAX));
        }
        table.tags = vec![0; table.ends.len()];
        table.rebuild_order();
        table.rebuild_slots(0);
        table
    }

    /// How many ids the table holds.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// The id of `ix`.
    pub fn id(&self, ix: I) -> &str {
        let i = ix.index();
        let end = self.ends.get(i).copied().unwrap_or(0) as usize;
        let start = match i.checked_sub(1) {
            Some(prev) => self.ends.get(prev).copied().unwrap_or(0) as usize,
            None => 0,
        };
        self.bytes.get(start..end).unwrap_or("")
    }

    /// The index of `id`, with its tag.
    #[inline]
    pub fn lookup(&self, id: &str) -> Option<(I, u8)> {
        let id = id.as_bytes();
        if self.slots.is_empty() {
            return self.search(id).map(|i| (I::new(i), self.tag_at(i)));
        }
        let h = hash(self.seed, id);
        let key = key_of(id, h);
        let mask = self.slots.len() - 1;
        let mut at = h as usize & mask;
        for _ in 0..=MAX_RUN {
            let slot = self.slots.get(at)?;
            if slot.ix == EMPTY {
                return None;
            }
            if slot.key() == key
                && (id.len() <= INLINE || self.id(I::new(slot.ix)).as_bytes() == id)
            {
                return Some((I::new(slot.ix), slot.tag));
            }
            at = (at + 1) & mask;
        }
        None
    }

    /// The index of `id`.
    pub fn get(&self, id: &str) -> Option<I> {
        self.lookup(id).map(|(ix, _)| ix)
    }

    fn tag_at(&self, i: u32) -> u8 {
        self.tags.get(i as usize).copied().unwrap_or(0)
    }

    /// The owner's tag of `ix` (0 when it has none).
    pub fn tag(&self, ix: I) -> u8 {
        self.tag_at(ix.get())
    }

    /// Sets the owner's tag of `ix`: a byte that lookups return with the index, so that the
    /// hot path learns, say, whether a user exists and its org role without another load.
    pub fn set_tag(&mut self, ix: I, tag: u8) {
        if let Some(t) = self.tags.get_mut(ix.index()) {
            *t = tag;
        }
        if self.slots.is_empty() {
            return;
        }
        let id = self.id(ix).as_bytes().to_vec();
        let h = hash(self.seed, &id);
        let mask = self.slots.len() - 1;
        let mut at = h as usize & mask;
        for _ in 0..self.slots.len() {
            match self.slots.get_mut(at) {
                Some(slot) if slot.ix == ix.get() => {
                    slot.tag = tag;
                    return;
                }
                Some(slot) if slot.ix == EMPTY => return,
                Some(_) => at = (at + 1) & mask,
                None => return,
            }
        }
    }

    /// The index of `id`, adding it when absent (with tag 0).
    pub fn intern(&mut self, id: &str) -> I {
        if let Some(ix) = self.get(id) {
            return ix;
        }
        let n = self.ends.len();
        self.bytes.push_str(id);
        self.ends
            .push(u32::try_from(self.bytes.len()).unwrap_or(u32::MAX));
        self.tags.push(0);
        let ix = I::new(u32::try_from(n).unwrap_or(EMPTY));
        // Keep `order` sorted and `rank` its inverse: every id ranked after the new one moves.
        let at = self
            .order
            .partition_point(|&o| self.id(I::new(o)).as_bytes() < id.as_bytes());
        let at32 = u32::try_from(at).unwrap_or(EMPTY);
        for r in &mut self.rank {
            if *r >= at32 {
                *r += 1;
            }
        }
        self.order.insert(at, ix.get());
        self.rank.push(at32);
        if !self.slots.is_empty() {
            if (n + 1) * 2 > self.slots.len() {
                self.rebuild_slots(self.seed);
            } else if !self.place(ix.get(), 0) {
                self.rebuild_slots(self.seed + 1);
            }
        }
        ix
    }

    /// The indices of `ids`, adding those absent: one by one when few, else appended together
    /// and merged into id order in one pass.
    pub fn intern_many<'a>(&mut self, ids: impl IntoIterator<Item = &'a str>) -> Vec<I> {
        let ids: Vec<&str> = ids.into_iter().collect();
        let mut new: Vec<&str> = ids
            .iter()
            .copied()
            .filter(|id| self.get(id).is_none())
            .collect();
        new.sort_unstable();
        new.dedup();
        if new.len() <= 16 {
            return ids.iter().map(|id| self.intern(id)).collect();
        }
        let first = u32::try_from(self.ends.len()).unwrap_or(EMPTY);
        for id in &new {
            self.bytes.push_str(id);
            self.ends
                .push(u32::try_from(self.bytes.len()).unwrap_or(u32::MAX));
            self.tags.push(0);
        }
        // Merge the new ids, already sorted, into the order.
        let mut order = Vec::with_capacity(self.order.len() + new.len());
        let mut added = (first..first + u32::try_from(new.len()).unwrap_or(0)).peekable();
        for &o in &self.order {
            while let Some(&n) = added.peek() {
                if self.id(I::new(n)).as_bytes() < self.id(I::new(o)).as_bytes() {
                    order.push(n);
                    added.next();
                } else {
                    break;
                }
            }
            order.push(o);
        }
        order.extend(added);
        let mut rank = vec![0u32; order.len()];
        for (r, &i) in order.iter().enumerate() {
            if let Some(slot) = rank.get_mut(i as usize) {
                *slot = u32::try_from(r).unwrap_or(EMPTY);
            }
        }
        self.order = order;
        self.rank = rank;
        self.rebuild_slots(self.seed);
        ids.iter().filter_map(|id| self.get(id)).collect()
    }

    /// Every index in id order.
    pub fn in_order(&self) -> impl Iterator<Item = I> + '_ {
        self.order.iter().map(|&i| I::new(i))
    }

    /// The position of `ix` in id order: comparing ranks compares ids.
    pub fn rank(&self, ix: I) -> u32 {
        self.rank.get(ix.index()).copied().unwrap_or(EMPTY)
    }

    /// Sorts indices by id.
    pub fn sort(&self, list: &mut [I]) {
        list.sort_unstable_by_key(|&ix| self.rank(ix));
    }

    /// Whether lookups hash (rather than search).
    #[cfg(test)]
    pub fn hashes(&self) -> bool {
        !self.slots.is_empty()
    }

    fn search(&self, id: &[u8]) -> Option<u32> {
        self.order
            .binary_search_by(|&o| self.id(I::new(o)).as_bytes().cmp(id))
            .ok()
            .and_then(|at| self.order.get(at).copied())
    }

    fn rebuild_order(&mut self) {
        let mut order: Vec<u32> = (0..u32::try_from(self.ends.len()).unwrap_or(0)).collect();
        order.sort_unstable_by(|&a, &b| {
            self.id(I::new(a))
                .as_bytes()
                .cmp(self.id(I::new(b)).as_bytes())
        });
        let mut rank = vec![0u32; order.len()];
        for (r, &i) in order.iter().enumerate() {
            if let Some(slot) = rank.get_mut(i as usize) {
                *slot = u32::try_from(r).unwrap_or(EMPTY);
            }
        }
        self.order = order;
        self.rank = rank;
    }

    /// Builds the slots with seed `seed`, or the next seeds; without any seed that keeps
    /// every run short, lookups search instead.
    fn rebuild_slots(&mut self, seed: usize) {
        let n = self.ends.len();
        let size = (n.max(4) * 2).next_power_of_two();
        for seed in seed..SEEDS.len() {
            self.seed = seed;
            let mut slots = vec![VACANT; size];
            let mask = size - 1;
            let mut fits = true;
            for i in 0..n {
                let ix = u32::try_from(i).unwrap_or(EMPTY);
                let id = self.id(I::new(ix)).as_bytes();
                let h = hash(seed, id);
                let (k0, k1, k2) = key_of(id, h);
                let mut at = h as usize & mask;
                let mut probes = 0;
                while slots.get(at).is_some_and(|s| s.ix != EMPTY) {
                    at = (at + 1) & mask;
                    probes += 1;
                    if probes > MAX_RUN {
                        break;
                    }
                }
                match slots.get_mut(at) {
                    Some(slot) if probes <= MAX_RUN => {
                        *slot = Slot {
                            k0,
                            k1,
                            k2,
                            tag: self.tags.get(i).copied().unwrap_or(0),
                            ix,
                        };
                    }
                    _ => {
                        fits = false;
                        break;
                    }
                }
            }
            if fits && longest_run(&slots) <= MAX_RUN {
                self.slots = slots;
                return;
            }
        }
        self.slots = Vec::new();
    }

    /// Puts `ix` in its slot; false when that makes a run longer than [`MAX_RUN`].
    fn place(&mut self, ix: u32, tag: u8) -> bool {
        let (h, key) = {
            let id = self.id(I::new(ix)).as_bytes();
            let h = hash(self.seed, id);
            (h, key_of(id, h))
        };
        let mask = self.slots.len() - 1;
        let mut at = h as usize & mask;
        for _ in 0..=MAX_RUN {
            let Some(slot) = self.slots.get_mut(at) else {
                return false;
            };
            if slot.ix == EMPTY {
                let (k0, k1, k2) = key;
                *slot = Slot {
                    k0,
                    k1,
                    k2,
                    tag,
                    ix,
                };
                return self.run_around(at) <= MAX_RUN;
            }
            at = (at + 1) & mask;
        }
        false
    }

    /// The length of the run of occupied slots through `at`.
    fn run_around(&self, at: usize) -> usize {
        let mask = self.slots.len() - 1;
        let occupied = |i: usize| self.slots.get(i & mask).is_some_and(|s| s.ix != EMPTY);
        let mut run = 1;
        let mut back = at.wrapping_sub(1) & mask;
        while occupied(back) && run <= self.slots.len() {
            run += 1;
            back = back.wrapping_sub(1) & mask;
        }
        let mut ahead = (at + 1) & mask;
        while occupied(ahead) && run <= self.slots.len() {
            run += 1;
            ahead = (ahead + 1) & mask;
        }
        run
    }

    /// The raw parts for a compiled snapshot: id bytes, end offsets, tags.
    pub fn parts(&self) -> (&[u8], &[u32], &[u8]) {
        (self.bytes.as_bytes(), &self.ends, &self.tags)
    }

    /// A table from [`IdTable::parts`]; `None` when they are inconsistent.
    pub fn from_parts(bytes: Vec<u8>, ends: Vec<u32>, tags: Vec<u8>) -> Option<IdTable<I>> {
        let bytes = String::from_utf8(bytes).ok()?;
        if tags.len() != ends.len()
            || ends.windows(2).any(|w| w.first() > w.get(1))
            || ends.last().is_some_and(|&e| e as usize != bytes.len())
            || (ends.is_empty() && !bytes.is_empty())
        {
            return None;
        }
        let mut table = IdTable {
            bytes,
            ends,
            tags,
            ..IdTable::default()
        };
        // Every id must end on a character boundary, and ids must be distinct.
        if table
            .ends
            .iter()
            .any(|&e| !table.bytes.is_char_boundary(e as usize))
        {
            return None;
        }
        table.rebuild_order();
        if table
            .order
            .windows(2)
            .any(|w| matches!(w, [a, b] if table.id(I::new(*a)) == table.id(I::new(*b))))
        {
            return None;
        }
        table.rebuild_slots(0);
        Some(table)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::indexing_slicing)]
    use super::*;

    #[test]
    fn lookups_find_short_and_long_ids() {
        let ids = ["u1", "a-rather-long-user-identifier", "", "u10", "ünï"];
        let table: IdTable<UserIx> = IdTable::from_distinct(ids);
        for (i, id) in ids.iter().enumerate() {
            assert_eq!(table.get(id), Some(UserIx::new(i as u32)), "{id}");
            assert_eq!(table.id(UserIx::new(i as u32)), *id);
        }
        assert_eq!(table.get("u2"), None);
        assert_eq!(table.get("a-rather-long-user-identifieR"), None);
        let order: Vec<&str> = table.in_order().map(|ix| table.id(ix)).collect();
        assert_eq!(
            order,
            vec!["", "a-rather-long-user-identifier", "u1", "u10", "ünï"]
        );
    }

    #[test]
    fn interning_keeps_order_and_rank() {
        let mut table: IdTable<GroupIx> = IdTable::from_distinct(["b", "d"]);
        let c = table.intern("c");
        let a = table.intern("a");
        assert_eq!(table.intern("c"), c);
        let order: Vec<&str> = table.in_order().map(|ix| table.id(ix)).collect();
        assert_eq!(order, vec!["a", "b", "c", "d"]);
        assert_eq!(table.rank(a), 0);
        assert_eq!(table.rank(c), 2);
        for n in 0..2000 {
            table.intern(&format!("g{n:05}"));
        }
        assert_eq!(table.get("g01999").map(|ix| table.rank(ix)), Some(2003));
        assert!(table.hashes());
    }

    #[test]
    fn interning_many_merges_into_order() {
        let mut table: IdTable<UserIx> = IdTable::from_distinct(["m", "c", "x"]);
        let ids: Vec<String> = (0..40).map(|n| format!("k{n:02}")).collect();
        let mut asked: Vec<&str> = ids.iter().map(String::as_str).collect();
        asked.push("c");
        let got = table.intern_many(asked.iter().copied());
        assert_eq!(got.len(), 41);
        assert_eq!(got[40], UserIx::new(1));
        let order: Vec<&str> = table.in_order().map(|ix| table.id(ix)).collect();
        let mut sorted = order.clone();
        sorted.sort_unstable();
        assert_eq!(order, sorted);
        assert_eq!(table.rank(table.get("m").unwrap()), 41);
    }

    #[test]
    fn tags_travel_with_lookups() {
        let mut table: IdTable<UserIx> = IdTable::from_distinct(["x", "y"]);
        table.set_tag(UserIx::new(1), 7);
        assert_eq!(table.lookup("y"), Some((UserIx::new(1), 7)));
        assert_eq!(table.lookup("x"), Some((UserIx::new(0), 0)));
    }

    #[test]
    fn zero_padded_ids_hash_well() {
        let ids: Vec<String> = (0..200_000).map(|n| format!("u{n:07}")).collect();
        let table: IdTable<UserIx> = IdTable::from_distinct(ids.iter().map(String::as_str));
        assert!(table.hashes());
        assert_eq!(table.get("u0123456"), Some(UserIx::new(123_456)));
    }

    #[test]
    fn parts_round_trip_and_reject_nonsense() {
        let table: IdTable<RoleIx> = IdTable::from_distinct(["r2", "r1"]);
        let (bytes, ends, tags) = table.parts();
        let back: Option<IdTable<RoleIx>> =
            IdTable::from_parts(bytes.to_vec(), ends.to_vec(), tags.to_vec());
        assert_eq!(back.and_then(|t| t.get("r1")), Some(RoleIx::new(1)));
        assert!(IdTable::<RoleIx>::from_parts(b"r1r1".to_vec(), vec![2, 4], vec![0, 0]).is_none());
        assert!(IdTable::<RoleIx>::from_parts(b"r1".to_vec(), vec![3], vec![0]).is_none());
    }
}
