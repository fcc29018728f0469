//! Flat, growable storage for per-item data: lists of lists ([`Lists`]), optional strings
//! ([`Texts`]) and document positions ([`DocOrder`]).
//!
//! Each keeps its items in one or two vectors, so a tenant of 100,000 users holds a handful of
//! allocations rather than 100,000, and a compiled snapshot writes them as they are.
//! Rewriting one row appends a new copy and leaves the old as garbage, reclaimed once garbage
//! outweighs the live rows: a change costs what the row costs.

use crate::ids::NO_INDEX;

/// A list per row, in one arena.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lists<T> {
    spans: Vec<(u32, u32)>,
    items: Vec<T>,
    garbage: usize,
}

impl<T> Default for Lists<T> {
    fn default() -> Self {
        Lists {
            spans: Vec::new(),
            items: Vec::new(),
            garbage: 0,
        }
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
        self.spans
            .get(i)
            .and_then(|&(start, len)| {
                self.items
                    .get(start as usize..(start as usize).saturating_add(len as usize))
            })
            .unwrap_or(&[])
    }

    /// Appends a row.
    pub fn push(&mut self, row: &[T]) {
        let start = u32::try_from(self.items.len()).unwrap_or(u32::MAX);
        self.items.extend_from_slice(row);
        self.spans
            .push((start, u32::try_from(row.len()).unwrap_or(u32::MAX)));
    }

    /// Replaces row `i`, adding rows up to it when needed.
    pub fn set(&mut self, i: usize, row: &[T]) {
        while self.spans.len() <= i {
            self.spans.push((0, 0));
        }
        if let Some(old) = self.spans.get(i) {
            self.garbage += old.1 as usize;
        }
        let start = u32::try_from(self.items.len()).unwrap_or(u32::MAX);
        self.items.extend_from_slice(row);
        if let Some(span) = self.spans.get_mut(i) {
            *span = (start, u32::try_from(row.len()).unwrap_or(u32::MAX));
        }
        if self.garbage > 4096 && self.garbage * 2 > self.items.len() {
            self.compact();
        }
    }

    /// Drops the garbage.
    pub fn compact(&mut self) {
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

    /// Every item of every row, and the row lengths (for compiled snapshots).
    pub fn flat(&self) -> (Vec<T>, Vec<u32>) {
        let mut items = Vec::with_capacity(self.items.len());
        let mut lens = Vec::with_capacity(self.spans.len());
        for i in 0..self.spans.len() {
            let row = self.get(i);
            items.extend_from_slice(row);
            lens.push(u32::try_from(row.len()).unwrap_or(u32::MAX));
        }
        (items, lens)
    }

    /// From [`Lists::flat`]; `None` when the lengths do not add up.
    pub fn from_flat(items: Vec<T>, lens: &[u32]) -> Option<Lists<T>> {
        let mut spans = Vec::with_capacity(lens.len());
        let mut start = 0u64;
        for &len in lens {
            spans.push((u32::try_from(start).ok()?, len));
            start += u64::from(len);
        }
        if start != items.len() as u64 {
            return None;
        }
        Some(Lists {
            spans,
            items,
            garbage: 0,
        })
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
        assert!(lists.flat().0.len() < 10);
        let (items, lens) = lists.flat();
        assert_eq!(
            Lists::from_flat(items, &lens),
            Some({
                let mut l = lists.clone();
                l.compact();
                l
            })
        );
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
