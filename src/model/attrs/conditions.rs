//! How one condition reads the columns: its operand as prepared with the rule ([`Prepared`]), the lookups
//! `=`, `IN` and `STARTS WITH` search ([`Lookup`]), and a condition spread over the users
//! through postings or one pass over the cells ([`positive_users`]).

use crate::hash::Map;
use crate::rules::{Op, Prepared};
use crate::sets::Bits;
use crate::text::lower;

use super::{AttrValue, Column};

impl Prepared {
    /// Whether the positive operator `op` holds for a value.
    pub fn holds(&self, op: Op, value: &AttrValue) -> bool {
        if op == Op::Exists {
            return value.exists();
        }
        value
            .items()
            .any(|(_, low, number)| self.item_holds(op, low, number))
    }

    /// Whether `op` holds for plain text (a user-record field).
    pub fn holds_text(&self, op: Op, text: Option<&str>) -> bool {
        let Some(text) = text else {
            return false;
        };
        if op == Op::Exists {
            return !text.is_empty();
        }
        self.item_holds(op, &lower(text), None)
    }

    fn item_holds(&self, op: Op, low: &str, number: Option<f64>) -> bool {
        let Some((text, scalar_number)) = self.scalars.first() else {
            return false;
        };
        let ordering = || match (number, scalar_number) {
            (Some(a), Some(b)) => a.partial_cmp(b),
            _ => Some(low.cmp(text.as_str())),
        };
        let equals = |t: &str, n: Option<f64>| match (number, n) {
            (Some(a), Some(b)) => a == b,
            _ => low == t,
        };
        match op {
            Op::Eq => equals(text, *scalar_number),
            Op::In => self.scalars.iter().any(|(t, n)| equals(t, *n)),
            Op::Like => low.contains(text.as_str()),
            Op::StartsWith => low.starts_with(text.as_str()),
            Op::EndsWith => low.ends_with(text.as_str()),
            Op::Lt => ordering().is_some_and(std::cmp::Ordering::is_lt),
            Op::Le => ordering().is_some_and(std::cmp::Ordering::is_le),
            Op::Gt => ordering().is_some_and(std::cmp::Ordering::is_gt),
            Op::Ge => ordering().is_some_and(std::cmp::Ordering::is_ge),
            _ => false,
        }
    }
}

/// Whether `op` is answered from a [`Lookup`] rather than by deciding every value.
pub fn is_indexed(op: Op) -> bool {
    matches!(op, Op::Eq | Op::In | Op::StartsWith)
}

/// Texts sorted by bytes, each with what it belongs to (a value of a column, or a user): the
/// index `=`, `IN` and `STARTS WITH` search instead of deciding every value (SPEC §8). Texts
/// are lowercase, as conditions compare them.
#[derive(Debug, Default)]
pub struct Lookup {
    texts: Vec<(Box<str>, u32)>,
    /// Items that are JSON numbers, by value: `=` compares two numbers as numbers, and
    /// `1e2`, `100` and `100.0` write one number three ways.
    numbers: Vec<(f64, u32)>,
    /// For a column without postings: per value, where its users start in `users` (one more
    /// entry than values). Empty otherwise.
    starts: Vec<u32>,
    users: Vec<u32>,
}

impl Lookup {
    /// A lookup over `(lowercase text, owner)` pairs.
    pub fn of_texts(mut texts: Vec<(Box<str>, u32)>) -> Lookup {
        texts.sort_unstable();
        texts.dedup();
        Lookup {
            texts,
            numbers: Vec::new(),
            starts: Vec::new(),
            users: Vec::new(),
        }
    }

    /// The owners whose text `op` (`=`, `IN` or `STARTS WITH`) could hold for, with
    /// duplicates; a caller that needs exactness confirms each.
    pub fn candidates(&self, op: Op, cond: &Prepared) -> Vec<u32> {
        let mut out = Vec::new();
        let mut equal = |text: &str| {
            let from = self.texts.partition_point(|(t, _)| &**t < text);
            let run = self.texts.get(from..).unwrap_or_default();
            out.extend(
                run.iter()
                    .take_while(|(t, _)| &**t == text)
                    .map(|&(_, o)| o),
            );
        };
        match op {
            Op::Eq | Op::In => {
                let scalars = if op == Op::Eq {
                    cond.scalars.get(..1).unwrap_or_default()
                } else {
                    cond.scalars.as_slice()
                };
                for (text, _) in scalars {
                    equal(text);
                }
                for n in scalars.iter().filter_map(|(_, n)| *n) {
                    let from = self.numbers.partition_point(|(x, _)| *x < n);
                    let run = self.numbers.get(from..).unwrap_or_default();
                    out.extend(run.iter().take_while(|(x, _)| *x == n).map(|&(_, o)| o));
                }
            }
            Op::StartsWith => {
                if let Some((prefix, _)) = cond.scalars.first() {
                    let from = self.texts.partition_point(|(t, _)| **t < **prefix);
                    let run = self.texts.get(from..).unwrap_or_default();
                    out.extend(
                        run.iter()
                            .take_while(|(t, _)| t.starts_with(prefix.as_str()))
                            .map(|&(_, o)| o),
                    );
                }
            }
            _ => {}
        }
        out
    }
}

impl Column {
    /// The column's [`Lookup`]: its values by the lowercase text of each item, and each
    /// value's users when the column keeps no postings.
    pub fn lookup(&self) -> Lookup {
        let mut texts = Vec::new();
        let mut numbers = Vec::new();
        for (v, value) in (0u32..).zip(self.values.iter()) {
            for (_, low, number) in value.items() {
                texts.push((Box::<str>::from(low), v));
                if let Some(n) = number {
                    numbers.push((n, v));
                }
            }
        }
        // JSON has no NaN, so numbers order totally; -0 and 0 sit side by side and compare
        // equal, as `=` takes them.
        numbers.sort_unstable_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        let mut lookup = Lookup::of_texts(texts);
        lookup.numbers = numbers;
        if self.postings.is_none() {
            let mut starts = vec![0u32; self.values.len() + 1];
            for (_, v) in self.cells() {
                if let Some(s) = starts.get_mut(v as usize + 1) {
                    *s += 1;
                }
            }
            for i in 1..starts.len() {
                let before = starts.get(i - 1).copied().unwrap_or(0);
                if let Some(s) = starts.get_mut(i) {
                    *s += before;
                }
            }
            let mut next = starts.clone();
            let mut users = vec![0u32; starts.last().copied().unwrap_or(0) as usize];
            for (u, v) in self.cells() {
                if let Some(at) = next.get_mut(v as usize) {
                    if let Some(slot) = users.get_mut(*at as usize) {
                        *slot = u;
                    }
                    *at += 1;
                }
            }
            lookup.starts = starts;
            lookup.users = users;
        }
        lookup
    }

    /// The users for which the positive `op` (`=`, `IN` or `STARTS WITH`) holds, from the
    /// column's `lookup`, and how many values that looked at.
    pub fn indexed_users(
        &self,
        lookup: &Lookup,
        op: Op,
        cond: &Prepared,
        slots: usize,
    ) -> (Bits, usize) {
        let mut values = lookup.candidates(op, cond);
        values.sort_unstable();
        values.dedup();
        let mut bits = Bits::empty(slots);
        for &v in &values {
            if !self
                .values
                .get(v as usize)
                .is_some_and(|value| cond.holds(op, value))
            {
                continue;
            }
            match &self.postings {
                Some(postings) => {
                    if let Some(p) = postings.get(v as usize) {
                        p.or_into(&mut bits);
                    }
                }
                None => {
                    let from = lookup.starts.get(v as usize).copied().unwrap_or(0) as usize;
                    let to = lookup.starts.get(v as usize + 1).copied().unwrap_or(0) as usize;
                    for &u in lookup.users.get(from..to).unwrap_or_default() {
                        bits.insert(u);
                    }
                }
            }
        }
        (bits, values.len())
    }

    /// What deciding `op` by every value costs: the values, and the users when the column
    /// keeps no postings.
    pub fn scan_cost(&self) -> usize {
        self.values.len()
            + if self.postings.is_some() {
                0
            } else {
                self.holders()
            }
    }
}

/// The users for which the positive operator `op` holds on the columns `field` reads, among
/// `slots` user slots.
pub fn positive_users(columns: &[&Column], op: Op, cond: &Prepared, slots: usize) -> Bits {
    let mut bits = Bits::empty(slots);
    let tables: Vec<Vec<bool>> = columns
        .iter()
        .map(|c| c.values.iter().map(|v| cond.holds(op, v)).collect())
        .collect();
    if let ([column], [table]) = (columns, tables.as_slice()) {
        match &column.postings {
            Some(postings) => {
                for (posting, &holds) in postings.iter().zip(table) {
                    if holds {
                        posting.or_into(&mut bits);
                    }
                }
            }
            None => {
                for (u, v) in column.cells() {
                    if table.get(v as usize).copied().unwrap_or(false) {
                        bits.insert(u);
                    }
                }
            }
        }
        return bits;
    }
    // Several spellings: each user reads the first column that has a value for them.
    let mut seen = Bits::empty(slots);
    for (column, table) in columns.iter().zip(&tables) {
        for (u, v) in column.cells() {
            if seen.contains(u) {
                continue;
            }
            seen.insert(u);
            if table.get(v as usize).copied().unwrap_or(false) {
                bits.insert(u);
            }
        }
    }
    bits
}

/// The distinct values users read over the columns `field` reads (each user the first column
/// that has a value for them), with how many users read each: for suggestions.
pub fn resolved_value_counts<'c>(
    columns: &[&'c Column],
    slots: usize,
) -> Vec<(&'c AttrValue, usize)> {
    if let [column] = columns {
        return column.value_counts();
    }
    let mut seen = Bits::empty(slots);
    let mut out = Vec::new();
    for column in columns {
        let mut counts = vec![0usize; column.values.len()];
        for (u, v) in column.cells() {
            if seen.contains(u) {
                continue;
            }
            seen.insert(u);
            if let Some(c) = counts.get_mut(v as usize) {
                *c += 1;
            }
        }
        out.extend(column.values.iter().zip(counts).filter(|(_, c)| *c > 0));
    }
    out
}

/// Users by the texts their value names, over the columns `field` reads: for `REPORTS TO`.
pub fn named_by<'c>(columns: &[&'c Column], slots: usize) -> Map<&'c str, Vec<u32>> {
    let mut seen = Bits::empty(slots);
    let mut out: Map<&str, Vec<u32>> = Map::default();
    for column in columns {
        for (u, v) in column.cells() {
            if seen.contains(u) {
                continue;
            }
            seen.insert(u);
            if let Some(value) = column.values.get(v as usize) {
                for (text, _, _) in value.items() {
                    out.entry(text).or_default().push(u);
                }
            }
        }
    }
    out
}
