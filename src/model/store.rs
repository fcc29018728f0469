//! Flat, growable storage for per-item data: lists of lists ([`Lists`]), plain values
//! ([`Chunked`]), optional strings ([`Texts`]) and document positions ([`DocOrder`]).
//!
//! Each keeps its items in a few vectors, so a tenant of 100,000 users holds a handful of
//! allocations rather than 100,000. Rewriting one row appends a new copy and leaves the old as
//! garbage, reclaimed once garbage outweighs the live rows. [`Lists`] keeps its rows in chunks
//! shared behind `Arc`s, and so does [`Chunked`], so that a change to a tenant that shares them
//! with its previous version copies one chunk rather than the table.

use std::sync::Arc;

use crate::ids::NO_INDEX;

/// Rows per chunk of [`Lists`]: a change copies the chunk it touches, about 1,000 rows.
const CHUNK_ROWS: usize = 1024;

/// A list per row, in arenas of [`CHUNK_ROWS`] rows each shared behind an `Arc`, so that a
/// cloned `Lists` shares every chunk and rewriting a row copies one chunk, not the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lists<T> {
    chunks: Vec<Arc<Chunk<T>>>,
    rows: usize,
}

/// The rows of one chunk, in one arena.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Chunk<T> {
    spans: Vec<(u32, u32)>,
    items: Vec<T>,
    garbage: usize,
}

impl<T> Default for Lists<T> {
    fn default() -> Self {
        Lists {
            chunks: Vec::new(),
            rows: 0,
        }
    }
}

impl<T> Default for Chunk<T> {
    fn default() -> Self {
        Chunk {
            spans: Vec::new(),
            items: Vec::new(),
            garbage: 0,
        }
    }
}

impl<T: Copy> Chunk<T> {
    fn get(&self, i: usize) -> &[T] {
        self.spans
            .get(i)
            .and_then(|&(start, len)| {
                self.items
                    .get(start as usize..(start as usize).saturating_add(len as usize))
            })
            .unwrap_or(&[])
    }

    fn append(&mut self, row: &[T]) -> (u32, u32) {
        let start = u32::try_from(self.items.len()).unwrap_or(u32::MAX);
        self.items.extend_from_slice(row);
        (start, u32::try_from(row.len()).unwrap_or(u32::MAX))
    }

    fn set(&mut self, i: usize, row: &[T]) {
        while self.spans.len() <= i {
            self.spans.push((0, 0));
        }
        if let Some(old) = self.spans.get(i) {
            self.garbage += old.1 as usize;
        }
        let span = self.append(row);
        if let Some(slot) = self.spans.get_mut(i) {
            *slot = span;
        }
        if self.garbage > 256 && self.garbage * 2 > self.items.len() {
            self.compact();
        }
    }

    fn compact(&mut self) {
        let mut items = Vec::with_capacity(self.items.len() - self.garbage.min(self.items.len()));
        for span in &mut self.spans {
            let start = u32::try_from(items.len()).unwrap_or(u32::MAX);
            if let Some(row) = self
                .items
                .get(span.0 as usize..(span.0 as usize).saturating_add(span.1 as usize))
            {
                items.extend_from_slice(row);
            }
            span.0 = start;
        }
        self.items = items;
        self.garbage = 0;
    }
}

impl<T: Copy> Lists<T> {
    /// The rows, from one list per row.
    pub fn from_rows<I: IntoIterator<Item = Vec<T>>>(rows: I) -> Lists<T> {
        let mut lists = Lists::default();
        for row in rows {
            lists.push(&row);
        }
        lists
    }

    /// Row `i` (empty past the end).
    pub fn get(&self, i: usize) -> &[T] {
        self.chunks
            .get(i / CHUNK_ROWS)
            .map_or(&[], |c| c.get(i % CHUNK_ROWS))
    }

    /// Appends a row.
    pub fn push(&mut self, row: &[T]) {
        let i = self.rows;
        self.set(i, row);
    }

    /// Replaces row `i`, adding rows up to it when needed; copies row `i`'s chunk when it is
    /// shared.
    pub fn set(&mut self, i: usize, row: &[T]) {
        while self.chunks.len() <= i / CHUNK_ROWS {
            self.chunks.push(Arc::default());
        }
        // Rows skipped over have no span and read as empty.
        if let Some(chunk) = self.chunks.get_mut(i / CHUNK_ROWS) {
            Arc::make_mut(chunk).set(i % CHUNK_ROWS, row);
        }
        self.rows = self.rows.max(i + 1);
    }

    /// Every item of every row, and the row lengths (for compiled snapshots).
    pub fn flat(&self) -> (Vec<T>, Vec<u32>) {
        let mut items = Vec::new();
        let mut lens = Vec::with_capacity(self.rows);
        for i in 0..self.rows {
            let row = self.get(i);
            items.extend_from_slice(row);
            lens.push(u32::try_from(row.len()).unwrap_or(u32::MAX));
        }
        (items, lens)
    }

    /// From [`Lists::flat`]; `None` when the lengths do not add up.
    pub fn from_flat(items: Vec<T>, lens: &[u32]) -> Option<Lists<T>> {
        let total: u64 = lens.iter().map(|&l| u64::from(l)).sum();
        if total != items.len() as u64 {
            return None;
        }
        let mut chunks = Vec::with_capacity(lens.len().div_ceil(CHUNK_ROWS));
        let mut at = 0usize;
        for part in lens.chunks(CHUNK_ROWS) {
            let n: usize = part.iter().map(|&l| l as usize).sum();
            let mut chunk = Chunk {
                spans: Vec::with_capacity(part.len()),
                items: items.get(at..at + n)?.to_vec(),
                garbage: 0,
            };
            let mut start = 0u32;
            for &len in part {
                chunk.spans.push((start, len));
                start = start.checked_add(len)?;
            }
            at += n;
            chunks.push(Arc::new(chunk));
        }
        Some(Lists {
            chunks,
            rows: lens.len(),
        })
    }
}

/// Items per chunk of [`Chunked`].
const CHUNK_ITEMS: usize = 4096;

/// A vector of plain values in chunks of [`CHUNK_ITEMS`] shared behind `Arc`s: a clone shares
/// every chunk, and setting an item copies its chunk (16 KB of `u32`s) rather than the vector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunked<T> {
    chunks: Vec<Arc<Vec<T>>>,
    len: usize,
}

impl<T: Copy> Chunked<T> {
    /// The items of `items`.
    pub fn from_vec(items: &[T]) -> Chunked<T> {
        Chunked {
            chunks: items
                .chunks(CHUNK_ITEMS)
                .map(|c| Arc::new(c.to_vec()))
                .collect(),
            len: items.len(),
        }
    }

    /// Item `i`.
    #[inline]
    pub fn get(&self, i: usize) -> Option<T> {
        self.chunks
            .get(i / CHUNK_ITEMS)
            .and_then(|c| c.get(i % CHUNK_ITEMS))
            .copied()
    }

    /// Sets item `i`, growing with `fill` up to it when needed.
    pub fn set(&mut self, i: usize, value: T, fill: T) {
        if i >= self.len {
            self.resize(i + 1, fill);
        }
        if let Some(item) = self
            .chunks
            .get_mut(i / CHUNK_ITEMS)
            .and_then(|c| Arc::make_mut(c).get_mut(i % CHUNK_ITEMS))
        {
            *item = value;
        }
    }

    /// Grows to `len` items with `fill` (never shrinks).
    pub fn resize(&mut self, len: usize, fill: T) {
        while self.len < len {
            if self.chunks.last().is_none_or(|c| c.len() == CHUNK_ITEMS) {
                self.chunks.push(Arc::new(Vec::with_capacity(CHUNK_ITEMS)));
            }
            if let Some(last) = self.chunks.last_mut() {
                let room = (CHUNK_ITEMS - last.len()).min(len - self.len);
                Arc::make_mut(last).extend(std::iter::repeat_n(fill, room));
                self.len += room;
            }
        }
    }

    /// The items in order.
    pub fn iter(&self) -> impl Iterator<Item = T> + '_ {
        self.chunks.iter().flat_map(|c| c.iter().copied())
    }

    /// The items as one vector.
    pub fn to_vec(&self) -> Vec<T> {
        let mut out = Vec::with_capacity(self.len);
        for c in &self.chunks {
            out.extend_from_slice(c);
        }
        out
    }
}

/// An optional string per row, in one arena (a `String`, so reading a row is a slice).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Texts {
    text: String,
    /// Per row: start, length, and whether the row has a text.
    rows: Vec<(u32, u32, bool)>,
    garbage: usize,
}

impl Texts {
    /// Row `i`'s text.
    pub fn get(&self, i: usize) -> Option<&str> {
        let &(start, len, present) = self.rows.get(i)?;
        if !present {
            return None;
        }
        self.text
            .get(start as usize..(start as usize).saturating_add(len as usize))
    }

    /// Sets row `i`.
    pub fn set(&mut self, i: usize, text: Option<&str>) {
        while self.rows.len() <= i {
            self.rows.push((0, 0, false));
        }
        if let Some(old) = self.rows.get(i) {
            self.garbage += old.1 as usize;
        }
        let row = self.append(text);
        if let Some(r) = self.rows.get_mut(i) {
            *r = row;
        }
        if self.garbage > 4096 && self.garbage * 2 > self.text.len() {
            self.compact();
        }
    }

    /// Appends a row.
    pub fn push(&mut self, text: Option<&str>) {
        let row = self.append(text);
        self.rows.push(row);
    }

    fn append(&mut self, text: Option<&str>) -> (u32, u32, bool) {
        let start = u32::try_from(self.text.len()).unwrap_or(u32::MAX);
        let t = text.unwrap_or("");
        self.text.push_str(t);
        (
            start,
            u32::try_from(t.len()).unwrap_or(u32::MAX),
            text.is_some(),
        )
    }

    fn compact(&mut self) {
        let rows: Vec<Option<String>> = (0..self.rows.len())
            .map(|i| self.get(i).map(str::to_owned))
            .collect();
        *self = Texts::default();
        for row in rows {
            self.push(row.as_deref());
        }
    }

    /// The parts, for compiled snapshots: every row's text, each row's length, and which
    /// rows have a text.
    pub fn flat(&self) -> (Vec<u8>, Vec<u32>, Vec<bool>) {
        let mut bytes = Vec::with_capacity(self.text.len() - self.garbage.min(self.text.len()));
        let mut lens = Vec::with_capacity(self.rows.len());
        let mut present = Vec::with_capacity(self.rows.len());
        for i in 0..self.rows.len() {
            let t = self.get(i);
            bytes.extend_from_slice(t.unwrap_or("").as_bytes());
            lens.push(u32::try_from(t.map_or(0, str::len)).unwrap_or(u32::MAX));
            present.push(t.is_some());
        }
        (bytes, lens, present)
    }

    /// From [`Texts::flat`]; `None` when the parts disagree or a row is not UTF-8.
    pub fn from_flat(bytes: Vec<u8>, lens: &[u32], present: Vec<bool>) -> Option<Texts> {
        if present.len() != lens.len() {
            return None;
        }
        let text = String::from_utf8(bytes).ok()?;
        let mut rows = Vec::with_capacity(lens.len());
        let mut start = 0usize;
        for (&len, &p) in lens.iter().zip(&present) {
            let end = start.checked_add(len as usize)?;
            if !text.is_char_boundary(start) || !text.is_char_boundary(end) || end > text.len() {
                return None;
            }
            rows.push((u32::try_from(start).ok()?, len, p));
            start = end;
        }
        if start != text.len() {
            return None;
        }
        Some(Texts {
            text,
            rows,
            garbage: 0,
        })
    }
}

/// The position of each item of one list in the document; `u32::MAX` for slots that are not
/// in the document (ids only referred to, or removed).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DocOrder {
    pos: Vec<u32>,
    count: u32,
}

impl DocOrder {
    /// The position of slot `i`.
    pub fn pos(&self, i: usize) -> u32 {
        self.pos.get(i).copied().unwrap_or(NO_INDEX)
    }

    /// Puts slot `i` at the end of the list.
    pub fn append(&mut self, i: usize) {
        while self.pos.len() <= i {
            self.pos.push(NO_INDEX);
        }
        if let Some(p) = self.pos.get_mut(i) {
            *p = self.count;
        }
        self.count += 1;
    }

    /// Takes slot `i` out of the list; later items move up one place.
    pub fn remove(&mut self, i: usize) {
        let Some(&removed) = self.pos.get(i) else {
            return;
        };
        if removed == NO_INDEX {
            return;
        }
        for p in &mut self.pos {
            if *p != NO_INDEX && *p > removed {
                *p -= 1;
            }
        }
        if let Some(p) = self.pos.get_mut(i) {
            *p = NO_INDEX;
        }
        self.count -= 1;
    }

    /// The positions, for compiled snapshots.
    pub fn positions(&self) -> &[u32] {
        &self.pos
    }

    /// From [`DocOrder::positions`].
    pub fn from_positions(pos: Vec<u32>) -> DocOrder {
        let count = u32::try_from(pos.iter().filter(|&&p| p != NO_INDEX).count()).unwrap_or(0);
        DocOrder { pos, count }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_rewrite_and_compact() {
        let mut lists: Lists<u32> = Lists::from_rows(vec![vec![1, 2], vec![], vec![3]]);
        assert_eq!(lists.get(0), &[1, 2]);
        for n in 0..10_000 {
            lists.set(1, &[n, n + 1]);
        }
        assert_eq!(lists.get(1), &[9_999, 10_000]);
        assert_eq!(lists.get(2), &[3]);
        assert!(lists.chunks.iter().all(|c| c.items.len() < 1_000));
        let (items, lens) = lists.flat();
        let back = Lists::from_flat(items, &lens).expect("consistent");
        assert_eq!(
            (back.get(0), back.get(1), back.get(2)),
            (&[1, 2][..], &[9_999, 10_000][..], &[3][..])
        );
        assert_eq!(back.rows, 3);
    }

    #[test]
    fn a_clone_shares_chunks_and_a_set_copies_one() {
        let mut lists: Lists<u32> = Lists::from_rows((0..5_000).map(|i| vec![i]));
        let before = lists.clone();
        lists.set(2_500, &[7, 8]);
        lists.set(4_100, &[]);
        lists.set(6_000, &[9]);
        assert_eq!(
            (before.get(2_500), lists.get(2_500)),
            (&[2_500][..], &[7, 8][..])
        );
        assert_eq!(
            (lists.get(5_500), lists.get(6_000), lists.rows),
            (&[][..], &[9][..], 6_001)
        );
        let shared = before
            .chunks
            .iter()
            .zip(&lists.chunks)
            .filter(|(a, b)| Arc::ptr_eq(a, b))
            .count();
        assert_eq!(
            shared,
            before.chunks.len() - 2,
            "only the touched chunks are copied"
        );
    }

    #[test]
    fn chunked_values_grow_and_copy_one_chunk() {
        let mut values = Chunked::from_vec(&(0..10_000u32).collect::<Vec<_>>());
        let before = values.clone();
        values.set(5_000, 7, 0);
        values.set(12_000, 9, u32::MAX);
        assert_eq!(
            (before.get(5_000), values.get(5_000)),
            (Some(5_000), Some(7))
        );
        assert_eq!(
            (
                values.get(11_999),
                values.get(12_000),
                values.get(12_001),
                values.len
            ),
            (Some(u32::MAX), Some(9), None, 12_001)
        );
        assert_eq!(values.iter().count(), 12_001);
        assert_eq!(values.to_vec().get(9_999), Some(&9_999));
        let shared = before
            .chunks
            .iter()
            .zip(&values.chunks)
            .filter(|(a, b)| Arc::ptr_eq(a, b))
            .count();
        // The chunk of item 5,000 was written, the last one grown.
        assert_eq!(shared, before.chunks.len() - 2);
    }

    #[test]
    fn document_positions_close_up() {
        let mut doc = DocOrder::default();
        for i in 0..4 {
            doc.append(i);
        }
        doc.remove(1);
        assert_eq!(
            (doc.pos(0), doc.pos(1), doc.pos(2), doc.pos(3)),
            (0, NO_INDEX, 1, 2)
        );
        doc.append(1);
        assert_eq!(doc.pos(1), 3);
    }

    #[test]
    fn texts_are_optional() {
        let mut texts = Texts::default();
        texts.push(Some("ana"));
        texts.push(None);
        texts.set(1, Some("bo"));
        texts.set(0, None);
        assert_eq!((texts.get(0), texts.get(1)), (None, Some("bo")));
    }
}
