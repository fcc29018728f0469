//! Profile attributes by column, and how one condition reads them (SPEC §4.1, §4.2).
//!
//! Each attribute key is a [`Column`]: its distinct values, each user's value, and, when the
//! column has few distinct values, the users holding each value (its postings). A condition is
//! decided once per distinct value and then spread over the users: by ORing the postings of the
//! values that hold, or by one pass over the column when values are too many for postings to
//! pay (a `manager` column has about one value per user).
//!
//! INVARIANT: a column's cells name only values of that column, and its postings, when
//! present, hold exactly the users whose cell names each value.
//!
//! The columns are here; how a condition reads them is in `conditions`.

mod conditions;

use std::sync::Arc;

use serde_json::Value;

use crate::hash::Map;
use crate::ids::{Ix, UserIx, NO_INDEX};
use crate::json::{f64_text, Canonical};
use crate::sets::UserSet;
use crate::snapshot::AttrColumn;

use super::store::Chunked;

pub use self::conditions::{is_indexed, named_by, positive_users, resolved_value_counts, Lookup};
use crate::text::lower;

/// One scalar of a value, as conditions compare it.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    /// The text it compares by (JSON text for numbers and booleans), exactly.
    pub text: Box<str>,
    /// Its Unicode lowercase.
    pub lower: Box<str>,
    /// Its value when it is a JSON number.
    pub number: Option<f64>,
}

/// A distinct attribute value.
#[derive(Debug, Clone, PartialEq)]
pub enum AttrValue {
    /// A string: the common case, kept small.
    Text {
        /// The string.
        text: Box<str>,
        /// Its lowercase, when that differs.
        lower: Option<Box<str>>,
    },
    /// Any other JSON value §1 allows.
    Other {
        /// Its canonical JSON.
        json: Canonical,
        /// Its scalars (an array's elements).
        items: Vec<Item>,
        /// Present, not null, not `[]`.
        exists: bool,
    },
}

impl AttrValue {
    /// The value of a JSON value.
    pub fn new(value: &Value) -> AttrValue {
        if let Value::String(s) = value {
            return AttrValue::text(s);
        }
        let item = |v: &Value| -> Option<Item> {
            let (text, number) = match v {
                Value::String(s) => (s.clone(), None),
                Value::Number(n) => {
                    let f = n.as_f64();
                    let text = if n.is_f64() {
                        f.map_or_else(|| n.to_string(), f64_text)
                    } else {
                        n.to_string()
                    };
                    (text, f)
                }
                Value::Bool(b) => (b.to_string(), None),
                _ => return None,
            };
            Some(Item {
                lower: lower(&text).into_boxed_str(),
                text: text.into_boxed_str(),
                number,
            })
        };
        let (items, exists) = match value {
            Value::Null => (Vec::new(), false),
            Value::Array(values) => (values.iter().filter_map(item).collect(), !values.is_empty()),
            other => (item(other).into_iter().collect(), true),
        };
        AttrValue::Other {
            json: Canonical::of(value),
            items,
            exists,
        }
    }

    /// A string value.
    pub fn text(s: &str) -> AttrValue {
        let low = lower(s);
        AttrValue::Text {
            lower: (low != s).then(|| low.into_boxed_str()),
            text: s.into(),
        }
    }

    /// Present, not null, not `""`, not `[]` (SPEC §4.2 `EXISTS`).
    pub fn exists(&self) -> bool {
        match self {
            AttrValue::Text { text, .. } => !text.is_empty(),
            AttrValue::Other { exists, .. } => *exists,
        }
    }

    /// Each scalar as `(text, lowercase, number)`.
    pub fn items(&self) -> impl Iterator<Item = (&str, &str, Option<f64>)> {
        let (one, many) = match self {
            AttrValue::Text { text, lower } => (
                Some((&**text, lower.as_deref().unwrap_or(text), None)),
                &[][..],
            ),
            AttrValue::Other { items, .. } => (None, items.as_slice()),
        };
        one.into_iter()
            .chain(many.iter().map(|i| (&*i.text, &*i.lower, i.number)))
    }

    /// The value's canonical JSON.
    pub fn json(&self) -> String {
        match self {
            AttrValue::Text { text, .. } => {
                let mut out = String::with_capacity(text.len() + 2);
                crate::json::write_string(&mut out, text);
                out
            }
            AttrValue::Other { json, .. } => json.as_str().to_owned(),
        }
    }

    /// The key values are interned by: strings by their text, others by their JSON text as
    /// the host wrote it (so `5` and `5.0` stay two values that compare equal).
    fn intern_key(&self) -> (u8, &str) {
        match self {
            AttrValue::Text { text, .. } => (0, text),
            AttrValue::Other { json, .. } => (1, json.as_str()),
        }
    }
}

/// Each user's value, by slot (dense) or as `(user, value)` pairs (sparse).
#[derive(Debug, Clone, PartialEq)]
enum Cells {
    Dense(Chunked<u32>),
    Sparse(Vec<(u32, u32)>),
}

/// One attribute key.
///
/// Its parts are shared behind `Arc`s at the grain a change touches (the values when one is
/// added, a chunk of cells, the postings of the old and the new value), so that cloning a
/// column is cheap and changing one user's value copies little.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    key: Box<str>,
    values: Arc<Vec<AttrValue>>,
    /// Value indices sorted by their intern key, to find a value again.
    sorted: Arc<Vec<u32>>,
    cells: Cells,
    /// Per value, its users; absent when values are too many for postings to pay.
    postings: Option<Vec<Arc<UserSet>>>,
}

/// Whether a column of `values` distinct values over `slots` users keeps postings.
fn wants_postings(values: usize, slots: usize) -> bool {
    values <= 64 || values.saturating_mul(16) <= slots
}

/// The postings of a column of `values` distinct values with `cells` (by user), when it keeps
/// them: derived, never stored.
fn postings_of(
    values: usize,
    cells: impl Iterator<Item = (u32, u32)>,
    slots: usize,
) -> Option<Vec<Arc<UserSet>>> {
    wants_postings(values, slots).then(|| {
        let mut lists: Vec<Vec<u32>> = vec![Vec::new(); values];
        for (u, v) in cells {
            if let Some(list) = lists.get_mut(v as usize) {
                list.push(u);
            }
        }
        lists
            .into_iter()
            .map(|list| Arc::new(UserSet::from_sorted(list, slots)))
            .collect()
    })
}

/// Every `(user, value index)` of `cells`, by user.
fn cells_of(cells: &Cells) -> Box<dyn Iterator<Item = (u32, u32)> + '_> {
    match cells {
        Cells::Dense(d) => Box::new(
            d.iter()
                .enumerate()
                .filter(|&(_, v)| v != NO_INDEX)
                .map(|(u, v)| (u32::try_from(u).unwrap_or(NO_INDEX), v)),
        ),
        Cells::Sparse(s) => Box::new(s.iter().copied()),
    }
}

impl Column {
    fn build(
        key: &str,
        values: Vec<AttrValue>,
        mut cells: Vec<(u32, u32)>,
        slots: usize,
    ) -> Column {
        cells.sort_unstable();
        cells.dedup_by_key(|c| c.0);
        let mut sorted: Vec<u32> = (0..u32::try_from(values.len()).unwrap_or(0)).collect();
        sorted.sort_by(|&a, &b| {
            let ka = values.get(a as usize).map(AttrValue::intern_key);
            let kb = values.get(b as usize).map(AttrValue::intern_key);
            ka.cmp(&kb)
        });
        let postings = postings_of(values.len(), cells.iter().copied(), slots);
        let cells = if cells.len().saturating_mul(8) >= slots {
            let mut dense = vec![NO_INDEX; slots];
            for &(u, v) in &cells {
                if let Some(slot) = dense.get_mut(u as usize) {
                    *slot = v;
                }
            }
            Cells::Dense(Chunked::from_vec(&dense))
        } else {
            Cells::Sparse(cells)
        };
        Column {
            key: key.into(),
            values: Arc::new(values),
            sorted: Arc::new(sorted),
            cells,
            postings,
        }
    }

    /// The key.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The index of `user`'s value.
    fn value_index(&self, user: UserIx) -> Option<u32> {
        let u = user.get();
        let v = match &self.cells {
            Cells::Dense(d) => d.get(u as usize).unwrap_or(NO_INDEX),
            Cells::Sparse(s) => s
                .binary_search_by_key(&u, |c| c.0)
                .ok()
                .and_then(|i| s.get(i))
                .map_or(NO_INDEX, |c| c.1),
        };
        (v != NO_INDEX).then_some(v)
    }

    /// `user`'s value.
    pub fn value(&self, user: UserIx) -> Option<&AttrValue> {
        self.value_index(user)
            .and_then(|v| self.values.get(v as usize))
    }

    /// Every `(user, value index)`, by user.
    fn cells(&self) -> Box<dyn Iterator<Item = (u32, u32)> + '_> {
        cells_of(&self.cells)
    }

    /// The distinct values with how many users hold each, for suggestions.
    pub fn value_counts(&self) -> Vec<(&AttrValue, usize)> {
        let mut counts = vec![0usize; self.values.len()];
        match &self.postings {
            Some(postings) => {
                for (c, p) in counts.iter_mut().zip(postings) {
                    *c = p.len();
                }
            }
            None => {
                for (_, v) in self.cells() {
                    if let Some(c) = counts.get_mut(v as usize) {
                        *c += 1;
                    }
                }
            }
        }
        self.values
            .iter()
            .zip(counts)
            .filter(|(_, c)| *c > 0)
            .collect()
    }

    /// How many users have a value.
    pub fn holders(&self) -> usize {
        match &self.cells {
            Cells::Dense(d) => d.iter().filter(|&v| v != NO_INDEX).count(),
            Cells::Sparse(s) => s.len(),
        }
    }

    /// Finds or adds `value`, returning its index.
    fn intern(&mut self, value: AttrValue) -> u32 {
        let key = value.intern_key();
        let at = self.sorted.binary_search_by(|&v| {
            self.values
                .get(v as usize)
                .map(AttrValue::intern_key)
                .cmp(&Some(key))
        });
        match at {
            Ok(i) => self.sorted.get(i).copied().unwrap_or(NO_INDEX),
            Err(i) => {
                let v = u32::try_from(self.values.len()).unwrap_or(NO_INDEX);
                Arc::make_mut(&mut self.values).push(value);
                Arc::make_mut(&mut self.sorted).insert(i, v);
                if let Some(postings) = &mut self.postings {
                    postings.push(Arc::default());
                }
                v
            }
        }
    }

    /// Whether `user`'s value already is `value` (no value for `None`): setting it would
    /// change nothing, so a change need not copy the column.
    fn holds(&self, user: UserIx, value: Option<&Value>) -> bool {
        match (self.value_index(user), value) {
            (None, None) => true,
            (Some(old), Some(value)) => {
                let value = AttrValue::new(value);
                self.values.get(old as usize).map(AttrValue::intern_key) == Some(value.intern_key())
            }
            _ => false,
        }
    }

    /// Sets `user`'s value (or removes it); true when it changed.
    fn set(&mut self, user: UserIx, value: Option<&Value>, slots: usize) -> bool {
        let new = value.map(|v| self.intern(AttrValue::new(v)));
        let old = self.value_index(user);
        if old == new {
            return false;
        }
        let u = user.get();
        match &mut self.cells {
            Cells::Dense(d) => d.set(u as usize, new.unwrap_or(NO_INDEX), NO_INDEX),
            Cells::Sparse(s) => match (s.binary_search_by_key(&u, |c| c.0), new) {
                (Ok(i), Some(v)) => {
                    if let Some(c) = s.get_mut(i) {
                        c.1 = v;
                    }
                }
                (Ok(i), None) => {
                    s.remove(i);
                }
                (Err(i), Some(v)) => s.insert(i, (u, v)),
                (Err(_), None) => {}
            },
        }
        if let Some(postings) = &mut self.postings {
            if let Some(p) = old.and_then(|v| postings.get_mut(v as usize)) {
                let p = Arc::make_mut(p);
                p.remove(user);
                p.reshape(slots);
            }
            if let Some(p) = new.and_then(|v| postings.get_mut(v as usize)) {
                let p = Arc::make_mut(p);
                p.insert(user);
                p.reshape(slots);
            }
            if !wants_postings(self.values.len(), slots) {
                self.postings = None;
            }
        }
        true
    }

    /// Writes the column for a compiled snapshot.
    pub(crate) fn encode(&self, e: &mut super::compiled::EncColumn<'_>) {
        e.str(&self.key);
        e.usize(self.values.len());
        for v in self.values.iter() {
            e.value(v);
        }
        e.u32s(&self.sorted);
        match &self.cells {
            Cells::Dense(d) => {
                e.u8(0);
                e.u32s(&d.to_vec());
            }
            Cells::Sparse(s) => {
                e.u8(1);
                let flat: Vec<u32> = s.iter().flat_map(|&(u, v)| [u, v]).collect();
                e.u32s(&flat);
            }
        }
    }

    /// Reads a column written by [`Column::encode`], over `slots` users.
    pub(crate) fn decode(
        d: &mut super::compiled::DecColumn<'_, '_>,
        slots: usize,
    ) -> Result<Column, crate::error::Error> {
        use super::compiled::corrupt_column as corrupt;
        let key: Box<str> = d.string()?.into();
        let n = d.len(2)?;
        let mut values = Vec::with_capacity(n);
        for _ in 0..n {
            values.push(d.value()?);
        }
        let sorted = d.u32s()?;
        let mut check = sorted.clone();
        check.sort_unstable();
        if check.len() != n || check.iter().enumerate().any(|(i, &v)| v as usize != i) {
            return Err(corrupt("a column's value order is not a permutation"));
        }
        let cells = match d.u8()? {
            0 => {
                let dense = d.u32s()?;
                if dense.len() > slots || dense.iter().any(|&v| v != NO_INDEX && v as usize >= n) {
                    return Err(corrupt("a column's cells are out of range"));
                }
                Cells::Dense(Chunked::from_vec(&dense))
            }
            1 => {
                let flat = d.u32s()?;
                if flat.len() % 2 != 0 {
                    return Err(corrupt("a column's cells are not pairs"));
                }
                let pairs: Vec<(u32, u32)> = flat
                    .chunks_exact(2)
                    .filter_map(|c| match c {
                        [u, v] => Some((*u, *v)),
                        _ => None,
                    })
                    .collect();
                if pairs
                    .iter()
                    .any(|&(u, v)| u as usize >= slots || v as usize >= n)
                    || pairs.windows(2).any(|w| matches!(w, [a, b] if a.0 >= b.0))
                {
                    return Err(corrupt("a column's cells are out of range or order"));
                }
                Cells::Sparse(pairs)
            }
            _ => return Err(corrupt("a column's cells have an unknown form")),
        };
        let postings = postings_of(n, cells_of(&cells), slots);
        Ok(Column {
            key,
            values: Arc::new(values),
            sorted: Arc::new(sorted),
            cells,
            postings,
        })
    }
}

/// Every user's attributes, by column.
#[derive(Debug, Clone, Default)]
pub struct Attributes {
    columns: Vec<Arc<Column>>,
    /// Exact key → column.
    by_key: Arc<Map<Box<str>, u32>>,
    /// Lowercase key → the columns of every spelling, sorted by key bytes.
    by_lower: Arc<Map<Box<str>, Vec<u32>>>,
}

impl Attributes {
    /// The columns of a snapshot's attributes; `slot_of[i]` is the slot of the `i`-th user of
    /// the document.
    pub fn build(table: Vec<AttrColumn>, slot_of: &[UserIx], slots: usize) -> Attributes {
        let mut attrs = Attributes::default();
        let mut columns: Vec<AttrColumn> = table;
        columns.sort_by(|a, b| a.key.cmp(&b.key));
        for column in columns {
            let values: Vec<AttrValue> = column.values.iter().map(AttrValue::new).collect();
            let cells: Vec<(u32, u32)> = column
                .cells
                .iter()
                .filter_map(|&(doc, v)| slot_of.get(doc as usize).map(|u| (u.get(), v)))
                .collect();
            attrs.add_column(Column::build(&column.key, values, cells, slots));
        }
        attrs
    }

    /// The attributes of these columns (from a compiled snapshot).
    pub(crate) fn from_columns(columns: Vec<Column>) -> Attributes {
        let mut attrs = Attributes::default();
        for column in columns {
            attrs.add_column(column);
        }
        attrs
    }

    fn add_column(&mut self, column: Column) -> u32 {
        let index = u32::try_from(self.columns.len()).unwrap_or(NO_INDEX);
        let key = column.key.clone();
        let by_lower = Arc::make_mut(&mut self.by_lower);
        let spellings = by_lower.entry(lower(&key).into_boxed_str()).or_default();
        spellings.push(index);
        let columns = &self.columns;
        let mut with_new: Vec<u32> = spellings.clone();
        with_new.sort_by(|&a, &b| {
            let ka = if a == index {
                Some(&*key)
            } else {
                columns.get(a as usize).map(|c| c.key())
            };
            let kb = if b == index {
                Some(&*key)
            } else {
                columns.get(b as usize).map(|c| c.key())
            };
            ka.cmp(&kb)
        });
        *spellings = with_new;
        Arc::make_mut(&mut self.by_key).insert(key, index);
        self.columns.push(Arc::new(column));
        index
    }

    /// The columns, by index.
    pub fn columns(&self) -> impl Iterator<Item = &Column> {
        self.columns.iter().map(|c| &**c)
    }

    /// The columns `field` reads, in priority order (SPEC §4.1): the exact key, then other
    /// spellings of it by key bytes; `job` then falls back to `jobTitle` the same way.
    pub fn resolve(&self, field: &str) -> Vec<&Column> {
        self.resolve_indices(field)
            .into_iter()
            .filter_map(|i| self.column(i))
            .collect()
    }

    /// The indices of the columns [`Attributes::resolve`] gives, in the same order.
    pub fn resolve_indices(&self, field: &str) -> Vec<usize> {
        let lowered = lower(field);
        let mut out = self.spellings(field, &lowered);
        if lowered == "job" {
            out.extend(self.spellings("jobTitle", "jobtitle"));
        }
        out
    }

    /// The column at `index`.
    pub fn column(&self, index: usize) -> Option<&Column> {
        self.columns.get(index).map(|c| &**c)
    }

    /// How many columns.
    pub fn column_count(&self) -> usize {
        self.columns.len()
    }

    /// How many distinct values the columns hold, together.
    pub fn value_count(&self) -> usize {
        self.columns.iter().map(|c| c.values.len()).sum()
    }

    fn spellings(&self, exact: &str, lowered: &str) -> Vec<usize> {
        let mut out = Vec::new();
        if let Some(&i) = self.by_key.get(exact) {
            out.push(i as usize);
        }
        if let Some(spellings) = self.by_lower.get(lowered) {
            for &i in spellings {
                if let Some(c) = self.columns.get(i as usize) {
                    if &*c.key != exact {
                        out.push(i as usize);
                    }
                }
            }
        }
        out
    }

    /// `user`'s attributes as `(key, value)`, by column (for writing the user back).
    pub fn of_user(&self, user: UserIx) -> Vec<(&str, &AttrValue)> {
        self.columns
            .iter()
            .filter_map(|c| Some((c.key(), c.value(user)?)))
            .collect()
    }

    /// Every user's attributes as `(user slot, key, value)`, by user (for writing every user
    /// back): one pass over each column, however many users there are.
    pub fn every_user(&self) -> Vec<(u32, &str, &AttrValue)> {
        let mut out = Vec::new();
        for column in &self.columns {
            out.extend(
                column
                    .cells()
                    .filter_map(|(u, v)| Some((u, column.key(), column.values.get(v as usize)?))),
            );
        }
        out.sort_by_key(|&(u, _, _)| u);
        out
    }

    /// The value `field` reads for `user`, if any.
    pub fn value(&self, field: &str, user: UserIx) -> Option<&AttrValue> {
        // The key as spelled comes first among its spellings: most reads end there, without
        // lowercasing the field.
        let exact = self
            .by_key
            .get(field)
            .and_then(|&i| self.columns.get(i as usize));
        if let Some(value) = exact.and_then(|c| c.value(user)) {
            return Some(value);
        }
        self.resolve(field).into_iter().find_map(|c| c.value(user))
    }

    /// Sets `user`'s attributes to exactly `values` (key → JSON); returns the lowercase keys
    /// whose values changed.
    pub fn set_user(
        &mut self,
        user: UserIx,
        values: &[(String, Value)],
        slots: usize,
    ) -> Vec<String> {
        let mut changed = Vec::new();
        // Keys the user no longer has.
        for i in 0..self.columns.len() {
            let Some(column) = self.columns.get(i) else {
                continue;
            };
            if column.value_index(user).is_some() && !values.iter().any(|(k, _)| **k == *column.key)
            {
                let column = self.columns.get_mut(i).map(Arc::make_mut);
                if let Some(column) = column {
                    if column.set(user, None, slots) {
                        changed.push(lower(&column.key));
                    }
                }
            }
        }
        for (key, value) in values {
            let index = match self.by_key.get(key.as_str()) {
                Some(&i) => i,
                None => self.add_column(Column::build(key, Vec::new(), Vec::new(), slots)),
            };
            // A column shared with the engine before the change is copied on its first write:
            // only where the value really changes.
            let same = self
                .columns
                .get(index as usize)
                .is_some_and(|column| column.holds(user, Some(value)));
            if same {
                continue;
            }
            if let Some(column) = self.columns.get_mut(index as usize).map(Arc::make_mut) {
                if column.set(user, Some(value), slots) {
                    changed.push(lower(key));
                }
            }
        }
        changed.sort();
        changed.dedup();
        changed
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::rules::{Op, Operand, Prepared, Scalar};
    use serde_json::json;

    #[test]
    fn values_keep_their_kind() {
        let v = AttrValue::new(&json!("Paris"));
        assert_eq!(v.items().next(), Some(("Paris", "paris", None)));
        let v = AttrValue::new(&json!([1.0, "X"]));
        let items: Vec<_> = v.items().collect();
        assert_eq!(items, vec![("1", "1", Some(1.0)), ("X", "x", None)]);
        assert!(!AttrValue::new(&json!([])).exists());
        assert!(!AttrValue::new(&json!("")).exists());
        assert_eq!(AttrValue::new(&json!("a\"b")).json(), r#""a\"b""#);
    }

    #[test]
    fn columns_change_a_user_and_keep_postings_true() {
        let slots = 8;
        let mut col = Column::build(
            "city",
            vec![AttrValue::text("Paris"), AttrValue::text("Lyon")],
            vec![(0, 0), (1, 1), (2, 0)],
            slots,
        );
        assert!(col.set(UserIx::new(1), Some(&json!("Paris")), slots));
        assert!(!col.set(UserIx::new(1), Some(&json!("Paris")), slots));
        assert!(col.set(UserIx::new(5), Some(&json!("Nice")), slots));
        assert!(col.set(UserIx::new(0), None, slots));
        let eq = Prepared::new(&Operand::Scalar(Scalar::Text("paris".into())));
        let users = positive_users(&[&col], Op::Eq, &eq, slots);
        assert_eq!(users.to_sorted(), vec![1, 2]);
        let counts: Vec<(String, usize)> = col
            .value_counts()
            .into_iter()
            .map(|(v, c)| (v.json(), c))
            .collect();
        assert_eq!(
            counts,
            vec![("\"Paris\"".to_owned(), 2), ("\"Nice\"".to_owned(), 1)]
        );
    }
}
