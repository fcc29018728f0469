//! What a rule can name, ranked and indexed for suggestions (SPEC §7.4): the fields, each
//! field's values merged as `=` takes them, the groups, and the users a `REPORTS TO` can lead
//! to. Each list is held in the order suggestions give it (largest count first, then label
//! bytes), with its labels and details folded as for search and sorted, so that the entries
//! starting with a partial token are found by binary search rather than by a scan.
//!
//! Nothing here is built until a suggestion needs it, and then only the part it needs, once
//! per tenant: a [`Vocabulary`] is a set of cells that fill on first use and are shared by
//! the tenant's clones. A change gives the tenant a fresh, empty one (`Tenant::apply`).
//!
//! INVARIANT: a filled cell describes the tenant that holds the vocabulary.
//!
//! The searchable ranked list every suggestion list is held in is `ranked`.

mod ranked;

use std::borrow::Cow;
use std::fmt;
use std::sync::{Arc, OnceLock};

use serde_json::Value;

use crate::hash::Map;
use crate::ids::{GroupIx, Ix, UserIx};
use crate::rules::{is_number_word, RecordField, Rule};
use crate::text::lower;

use super::attrs::{resolved_value_counts, AttrValue, Lookup};
use super::Tenant;

use self::ranked::Folded;
pub use self::ranked::Ranked;

/// The suggestion lists of one tenant, each built on first use.
#[derive(Default)]
pub struct Vocabulary {
    fields: OnceLock<Ranked<FieldChoice>>,
    groups: OnceLock<Ranked<GroupChoice>>,
    /// Per attribute column: its values, and the users as `REPORTS TO` targets through it.
    columns: OnceLock<Vec<ColumnCells>>,
    /// The values of `id`, `name` and `orgRole`.
    record: [OnceLock<Arc<Values>>; 3],
    /// The users by the lowercase text of `id`, `name` and `orgRole`.
    record_lookups: [OnceLock<Arc<Lookup>>; 3],
}

#[derive(Default)]
struct ColumnCells {
    values: OnceLock<Arc<Values>>,
    reports: OnceLock<Arc<Ranked<UserChoice>>>,
    lookup: OnceLock<Arc<Lookup>>,
}

impl fmt::Debug for Vocabulary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let columns = self.columns.get().map_or(0, |c| {
            c.iter()
                .filter(|c| c.values.get().is_some() || c.reports.get().is_some())
                .count()
        });
        f.debug_struct("Vocabulary")
            .field("fields", &self.fields.get().map(Ranked::len))
            .field("groups", &self.groups.get().map(Ranked::len))
            .field("columns_built", &columns)
            .finish()
    }
}

/// A field rules can name: an attribute key, or `id`, `name`, `orgRole`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldChoice {
    /// The key.
    pub key: Box<str>,
    /// How many users hold a value for it (one that `EXISTS` holds for).
    pub count: usize,
}

/// What kind of JSON scalar a value is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ValueKind {
    /// A number.
    Number,
    /// A boolean.
    Bool,
    /// A string.
    Text,
}

/// A value of a field: the spellings `=` takes as equal, as one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueChoice {
    /// The most frequent spelling (ties: the smallest in bytes).
    pub label: Box<str>,
    /// What that spelling is.
    pub kind: ValueKind,
    /// How many users hold any of the spellings.
    pub count: usize,
}

/// A group `MEMBER OF` can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GroupChoice {
    /// The group.
    pub group: GroupIx,
    /// Its member count.
    pub count: usize,
}

/// A user `REPORTS TO` can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UserChoice {
    /// The user.
    pub user: UserIx,
    /// How many users name them, exactly, in the field the chain follows.
    pub count: usize,
}

/// The values of one field.
#[derive(Debug, Default)]
pub struct Values {
    /// The values, ranked.
    pub choices: Ranked<ValueChoice>,
    /// Whether some value is a number or a date (numbers written as text count), so that
    /// `<` and friends fit.
    pub ordered: bool,
    /// Whether some value is the id of a user, so that `REPORTS TO` fits.
    pub names_users: bool,
}

/// Values merged as `=` takes them: by lowercase text. Each row is one scalar of a value
/// that `count` users hold, as `(lowercase, text, kind, count, first)`, where `first` marks
/// the value's first scalar with that lowercase, so that a user counts once per merged value.
#[derive(Default)]
struct Merger<'a> {
    rows: Vec<(&'a str, &'a str, ValueKind, usize, bool)>,
}

impl<'a> Merger<'a> {
    /// Adds `count` users holding a value with these scalars `(text, lowercase, kind)`.
    fn add(&mut self, scalars: &mut [(&'a str, &'a str, ValueKind)], count: usize) {
        scalars.sort_unstable_by_key(|&(text, low, kind)| (low, text, kind));
        let mut last: Option<(&str, &str, ValueKind)> = None;
        for &(text, low, kind) in scalars.iter() {
            if last == Some((text, low, kind)) {
                continue;
            }
            let first = last.is_none_or(|(_, l, _)| l != low);
            last = Some((text, low, kind));
            self.rows.push((low, text, kind, count, first));
        }
    }

    /// Whether some spelling passes `test`.
    fn any(&self, test: impl Fn(&str, ValueKind) -> bool) -> bool {
        self.rows
            .iter()
            .any(|&(_, text, kind, _, _)| test(text, kind))
    }

    /// The values, ranked: each labelled by its most frequent spelling (ties: the smallest
    /// in bytes), counting the users of every spelling.
    fn finish(mut self) -> Vec<ValueChoice> {
        self.rows
            .sort_unstable_by(|a, b| (a.0, a.1, a.2).cmp(&(b.0, b.1, b.2)));
        let mut choices: Vec<ValueChoice> = self
            .rows
            .chunk_by(|a, b| a.0 == b.0)
            .filter_map(|merged| {
                let count = merged.iter().filter(|r| r.4).map(|r| r.3).sum();
                let best = merged
                    .chunk_by(|a, b| (a.1, a.2) == (b.1, b.2))
                    .filter_map(|spelling| {
                        let first = spelling.first()?;
                        Some((
                            spelling.iter().map(|r| r.3).sum::<usize>(),
                            first.1,
                            first.2,
                        ))
                    })
                    .min_by(|a, b| b.0.cmp(&a.0).then((a.1, a.2).cmp(&(b.1, b.2))))?;
                Some(ValueChoice {
                    label: best.1.into(),
                    kind: best.2,
                    count,
                })
            })
            .collect();
        // Labels are distinct, so an unstable sort gives one order.
        choices.sort_unstable_by(|a, b| b.count.cmp(&a.count).then(a.label.cmp(&b.label)));
        choices
    }
}

/// A value's scalars as `(text, lowercase, kind)`: an array's elements, a scalar itself.
fn scalars(value: &AttrValue) -> Vec<(&str, &str, ValueKind)> {
    let booleans: Vec<bool> = match value {
        AttrValue::Text { .. } => Vec::new(),
        AttrValue::Other { json, .. } => match serde_json::from_str::<Value>(json.as_str()) {
            Ok(Value::Array(items)) => items
                .iter()
                .filter(|v| matches!(v, Value::String(_) | Value::Number(_) | Value::Bool(_)))
                .map(Value::is_boolean)
                .collect(),
            Ok(other) => vec![other.is_boolean()],
            Err(_) => Vec::new(),
        },
    };
    value
        .items()
        .enumerate()
        .map(|(i, (text, low, number))| {
            let kind = if number.is_some() {
                ValueKind::Number
            } else if booleans.get(i).copied().unwrap_or(false) {
                ValueKind::Bool
            } else {
                ValueKind::Text
            };
            (text, low, kind)
        })
        .collect()
}

/// Whether text reads as a date: `YYYY-MM-DD`, alone or followed by a time.
fn is_date(text: &str) -> bool {
    let b = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| {
        b.get(range)
            .is_some_and(|d| d.iter().all(u8::is_ascii_digit))
    };
    digits(0..4)
        && b.get(4) == Some(&b'-')
        && digits(5..7)
        && b.get(7) == Some(&b'-')
        && digits(8..10)
        && matches!(b.get(10), None | Some(b'T' | b't' | b' '))
}

impl Tenant {
    fn vocabulary_columns(&self) -> &[ColumnCells] {
        self.vocabulary.columns.get_or_init(|| {
            (0..self.attrs.column_count())
                .map(|_| ColumnCells::default())
                .collect()
        })
    }

    /// The fields rules can name: `id`, `name`, `orgRole` and every attribute key some user
    /// holds, ranked by how many users hold a value for it.
    pub fn field_choices(&self) -> &Ranked<FieldChoice> {
        self.vocabulary.fields.get_or_init(|| {
            let users = self.user_count();
            let named = self
                .users_by_name()
                .iter()
                .filter(|&&u| self.user_name(u).is_some_and(|n| !n.is_empty()))
                .count();
            let mut fields: Vec<FieldChoice> = RecordField::ALL
                .into_iter()
                .map(|r| FieldChoice {
                    key: r.key().into(),
                    count: if r == RecordField::Name { named } else { users },
                })
                .collect();
            for column in self.attrs.columns() {
                if RecordField::of(column.key()).is_some() || column.holders() == 0 {
                    continue;
                }
                let count = column
                    .value_counts()
                    .into_iter()
                    .filter(|(v, _)| v.exists())
                    .map(|(_, c)| c)
                    .sum();
                fields.push(FieldChoice {
                    key: column.key().into(),
                    count,
                });
            }
            fields.sort_by(|a, b| b.count.cmp(&a.count).then(a.key.cmp(&b.key)));
            let labels: Vec<Box<str>> = fields.iter().map(|f| f.key.clone()).collect();
            Ranked::new(fields, labels, None::<Vec<&str>>)
        })
    }

    /// The [`Lookup`] of attribute column `index`, built on first use.
    pub(crate) fn column_lookup(&self, index: usize) -> Option<Arc<Lookup>> {
        let column = self.attrs.column(index)?;
        let cell = self.vocabulary_columns().get(index)?;
        Some(
            cell.lookup
                .get_or_init(|| Arc::new(column.lookup()))
                .clone(),
        )
    }

    /// The live users by the lowercase text of record field `r`, built on first use.
    pub(crate) fn record_lookup(&self, r: RecordField) -> Arc<Lookup> {
        let build = || {
            let texts = self
                .users_by_name()
                .iter()
                .filter_map(|&u| {
                    let text = self.record_str(r, u)?;
                    Some((lower(text).into_boxed_str(), u.get()))
                })
                .collect();
            Arc::new(Lookup::of_texts(texts))
        };
        match self.vocabulary.record_lookups.get(r.index()) {
            Some(cell) => cell.get_or_init(build).clone(),
            None => build(),
        }
    }

    /// The fields `rule` names, in reading order and once each, that no user holds and that
    /// are not record fields, each with the closest field the tenant knows (`previewRule`'s
    /// `unknown-field` warnings): a typo such as `departmnt` would otherwise read as missing
    /// for everyone, silently.
    pub fn unknown_fields<'r>(&self, rule: &'r Rule) -> Vec<(&'r str, Option<&str>)> {
        let mut out: Vec<(&'r str, Option<&str>)> = Vec::new();
        for cond in rule.conditions() {
            let Some(field) = cond.field.as_deref() else {
                continue;
            };
            let known = RecordField::of(field).is_some()
                || self.attrs.resolve(field).iter().any(|c| c.holders() > 0);
            if known || out.iter().any(|(f, _)| *f == field) {
                continue;
            }
            out.push((field, None));
        }
        if out.is_empty() {
            return out;
        }
        let fields = self.field_choices();
        for (field, suggestion) in &mut out {
            let wanted: Vec<char> = lower(field).chars().collect();
            // Close enough to be a slip: a third of the name's length, at least one edit.
            let within = wanted.len().max(3) / 3;
            let mut best: Option<(usize, &str)> = None;
            for choice in (0..fields.len()).filter_map(|i| fields.get(i)) {
                let key: &str = &choice.key;
                let d = edit_distance(&wanted, &lower(key).chars().collect::<Vec<_>>());
                if d <= within && best.is_none_or(|(bd, bk)| (d, key) < (bd, bk)) {
                    best = Some((d, key));
                }
            }
            *suggestion = best.map(|(_, key)| key);
        }
        out
    }

    /// The values of `field` as rules read it, merged as `=` takes them, ranked.
    pub fn value_choices(&self, field: &str) -> Arc<Values> {
        if let Some(r) = RecordField::of(field) {
            let cell = self.vocabulary.record.get(r.index());
            return match cell {
                Some(cell) => cell.get_or_init(|| Arc::new(self.record_values(r))).clone(),
                None => Arc::default(),
            };
        }
        let indices = self.attrs.resolve_indices(field);
        match indices.as_slice() {
            [] => Arc::default(),
            [one] => match self.vocabulary_columns().get(*one) {
                Some(cell) => cell
                    .values
                    .get_or_init(|| Arc::new(self.column_values(&indices)))
                    .clone(),
                None => Arc::default(),
            },
            // Spellings that differ only in case: rare, so built for the request.
            _ => Arc::new(self.column_values(&indices)),
        }
    }

    fn column_values(&self, indices: &[usize]) -> Values {
        let columns: Vec<_> = indices
            .iter()
            .filter_map(|&i| self.attrs.column(i))
            .collect();
        let mut merger = Merger::default();
        for (value, count) in resolved_value_counts(&columns, self.user_slots()) {
            merger.add(&mut scalars(value), count);
        }
        self.values_of(merger, true)
    }

    fn record_values(&self, r: RecordField) -> Values {
        let texts: Vec<&str> = self
            .users_by_name()
            .iter()
            .filter_map(|&u| self.record_str(r, u))
            .collect();
        let lowered: Vec<Cow<'_, str>> = texts
            .iter()
            .map(|&text| {
                if text.is_ascii() && !text.bytes().any(|b| b.is_ascii_uppercase()) {
                    Cow::Borrowed(text)
                } else {
                    Cow::Owned(lower(text))
                }
            })
            .collect();
        let mut merger = Merger::default();
        for (text, low) in texts.iter().zip(&lowered) {
            merger.add(&mut [(text, low, ValueKind::Text)], 1);
        }
        // A user's own id leads back to that user: `REPORTS TO` through a record field is
        // never what an admin means.
        self.values_of(merger, false)
    }

    fn values_of(&self, merger: Merger<'_>, may_name_users: bool) -> Values {
        let ordered = merger
            .any(|text, kind| kind == ValueKind::Number || is_number_word(text) || is_date(text));
        let names_users = may_name_users && merger.any(|text, _| self.user(text).is_some());
        let choices = merger.finish();
        let labels = Folded::new(choices.iter().map(|c| &*c.label));
        Values {
            choices: Ranked {
                items: choices,
                labels,
                details: None,
            },
            ordered,
            names_users,
        }
    }

    /// Every group, ranked by member count: what `MEMBER OF` can name.
    pub fn group_choices(&self) -> &Ranked<GroupChoice> {
        self.vocabulary.groups.get_or_init(|| {
            let mut groups: Vec<GroupChoice> = self
                .groups_by_id()
                .map(|g| GroupChoice {
                    group: g,
                    count: self.members(g).len(),
                })
                .collect();
            // Stable: ties stay in id order.
            groups.sort_by_key(|c| std::cmp::Reverse(c.count));
            let default = self.default_locale();
            let labels: Vec<&str> = groups.iter().map(|c| self.group_id(c.group)).collect();
            let details: Vec<&str> = groups
                .iter()
                .map(|c| self.group_name(c.group).resolve(&[], default))
                .collect();
            Ranked::new(groups, labels, Some(details))
        })
    }

    /// Every user, ranked by how many users name them in `field` (their direct reports when
    /// `field` is `manager`): what `field REPORTS TO` can name.
    pub fn report_choices(&self, field: &str) -> Arc<Ranked<UserChoice>> {
        if RecordField::of(field).is_some() {
            return Arc::new(self.reports_through(field, &[]));
        }
        let indices = self.attrs.resolve_indices(field);
        match indices.as_slice() {
            [one] => match self.vocabulary_columns().get(*one) {
                Some(cell) => cell
                    .reports
                    .get_or_init(|| Arc::new(self.reports_through(field, &indices)))
                    .clone(),
                None => Arc::default(),
            },
            _ => Arc::new(self.reports_through(field, &indices)),
        }
    }

    fn reports_through(&self, field: &str, indices: &[usize]) -> Ranked<UserChoice> {
        // How many users name each text, exactly (ids compare exactly).
        let mut named: Map<&str, usize> = Map::default();
        if let Some(r) = RecordField::of(field) {
            for &u in self.users_by_name() {
                if let Some(text) = self.record_str(r, u) {
                    *named.entry(text).or_default() += 1;
                }
            }
        } else {
            let columns: Vec<_> = indices
                .iter()
                .filter_map(|&i| self.attrs.column(i))
                .collect();
            for (value, count) in resolved_value_counts(&columns, self.user_slots()) {
                let mut texts: Vec<&str> = value.items().map(|(text, _, _)| text).collect();
                texts.sort_unstable();
                texts.dedup();
                for text in texts {
                    *named.entry(text).or_default() += count;
                }
            }
        }
        let mut users: Vec<UserChoice> = self
            .users_by_id()
            .map(|u| UserChoice {
                user: u,
                count: named.get(self.user_id(u)).copied().unwrap_or(0),
            })
            .collect();
        // Stable: ties stay in id order.
        users.sort_by_key(|c| std::cmp::Reverse(c.count));
        let labels: Vec<&str> = users.iter().map(|c| self.user_id(c.user)).collect();
        let details: Vec<&str> = users
            .iter()
            .map(|c| self.user_name(c.user).unwrap_or(""))
            .collect();
        Ranked::new(users, labels, Some(details))
    }
}

/// The Levenshtein distance between two texts, by characters, in one row of memory.
fn edit_distance(a: &[char], b: &[char]) -> usize {
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut diagonal = i;
        let mut left = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let up = row.get(j + 1).copied().unwrap_or(usize::MAX);
            let cost = usize::from(ca != cb);
            let here = (diagonal + cost).min(up + 1).min(left + 1);
            diagonal = up;
            if let Some(cell) = row.get_mut(j + 1) {
                *cell = here;
            }
            left = here;
        }
        if let Some(first) = row.first_mut() {
            *first = i + 1;
        }
    }
    row.last().copied().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;
    use crate::text::fold;

    #[test]
    fn edit_distance_counts_insertions_deletions_and_substitutions() {
        let d = |a: &str, b: &str| {
            edit_distance(
                &a.chars().collect::<Vec<_>>(),
                &b.chars().collect::<Vec<_>>(),
            )
        };
        assert_eq!(d("departmnt", "department"), 1);
        assert_eq!(d("kitten", "sitting"), 3);
        assert_eq!(d("", "abc"), 3);
        assert_eq!(d("abc", ""), 3);
        assert_eq!(d("état", "etat"), 1, "characters, not bytes");
        assert_eq!(d("same", "same"), 0);
    }

    fn ranked(labels: &[&str], details: Option<&[&str]>) -> Ranked<usize> {
        Ranked::new(
            (0..labels.len()).collect(),
            labels.iter(),
            details.map(|d| d.to_vec()),
        )
    }

    #[test]
    fn prefixes_come_by_rank_and_contains_leaves_them_out() {
        let r = ranked(
            &["Paris", "Lyon", "Parme", "Séparé", "paris-2"],
            Some(&["", "Parisien", "", "", ""]),
        );
        assert_eq!(r.starting("par", 10), vec![0, 1, 2, 4]);
        assert_eq!(r.starting("par", 2), vec![0, 1]);
        assert_eq!(r.containing("par", 10), vec![3]);
        assert_eq!(r.starting("", 3), vec![0, 1, 2]);
        assert!(r.containing("", 3).is_empty());
        assert_eq!(r.containing("is", 10), vec![0, 1, 4]);
        assert!(r.starting("zz", 10).is_empty());
    }

    #[test]
    fn many_prefix_matches_walk_the_ranking() {
        let labels: Vec<String> = (0..10_000).map(|i| format!("u{i}")).collect();
        let refs: Vec<&str> = labels.iter().map(String::as_str).collect();
        let r = ranked(&refs, None);
        assert_eq!(r.starting("u", 3), vec![0, 1, 2]);
        assert_eq!(r.starting("u99", 3), vec![99, 990, 991]);
        assert_eq!(r.containing("99", 3), vec![99, 199, 299]);
    }

    #[test]
    fn indexed_and_scanned_searches_agree_with_a_plain_search() {
        let labels: Vec<String> = (0..20_000)
            .map(|i| format!("u{}", i * 7919 % 20_000))
            .collect();
        let details: Vec<String> = (0..20_000).map(|i| format!("Ñame {}", i % 977)).collect();
        let r = Ranked::new(
            (0..labels.len()).collect::<Vec<usize>>(),
            labels.iter(),
            Some(details.clone()),
        );
        assert!(r.labels.indexed() && r.details.as_ref().unwrap().indexed());
        for needle in ["4242", "99", "9", "name 97", "e 9", "zq", "ñ", "1 u"] {
            let folded = fold(needle);
            let want: Vec<usize> = (0..labels.len())
                .filter(|&i| {
                    let (l, d) = (fold(&labels[i]), fold(&details[i]));
                    (l.contains(&folded) || d.contains(&folded))
                        && !l.starts_with(&folded)
                        && !d.starts_with(&folded)
                })
                .take(50)
                .collect();
            assert_eq!(r.containing(&folded, 50), want, "{needle}");
            let want: Vec<usize> = (0..labels.len())
                .filter(|&i| {
                    fold(&labels[i]).starts_with(&folded) || fold(&details[i]).starts_with(&folded)
                })
                .take(50)
                .collect();
            assert_eq!(r.starting(&folded, 50), want, "{needle}");
        }
    }

    #[test]
    fn many_prefix_matches_at_the_end_of_the_ranking_are_found() {
        let labels: Vec<String> = (0..20_000)
            .map(|i| {
                if i < 12_000 {
                    format!("a{i}")
                } else {
                    format!("z{i}")
                }
            })
            .collect();
        let refs: Vec<&str> = labels.iter().map(String::as_str).collect();
        let r = ranked(&refs, None);
        assert_eq!(r.starting("z", 3), vec![12_000, 12_001, 12_002]);
        assert_eq!(r.starting("z1", 2), vec![12_000, 12_001]);
        assert_eq!(r.starting("a", 2), vec![0, 1]);
    }

    #[test]
    fn a_needle_never_spans_two_entries() {
        let r = ranked(&["ab", "cd"], None);
        assert!(r.containing("bc", 10).is_empty());
        assert!(r.containing("b\u{1}c", 10).is_empty());
    }

    #[test]
    fn spellings_merge_case_insensitively_and_count_users_once() {
        let mut m = Merger::default();
        m.add(&mut [("Paris", "paris", ValueKind::Text)], 3);
        m.add(&mut [("PARIS", "paris", ValueKind::Text)], 3);
        m.add(&mut [("paris", "paris", ValueKind::Text)], 1);
        m.add(
            &mut [
                ("Lyon", "lyon", ValueKind::Text),
                ("lyon", "lyon", ValueKind::Text),
                ("Lyon", "lyon", ValueKind::Text),
            ],
            5,
        );
        m.add(&mut [("lyon", "lyon", ValueKind::Text)], 1);
        let choices = m.finish();
        let got: Vec<(&str, usize)> = choices.iter().map(|c| (&*c.label, c.count)).collect();
        assert_eq!(got, vec![("PARIS", 7), ("lyon", 6)]);
    }

    #[test]
    fn dates_are_recognised() {
        assert!(is_date("2025-01-31") && is_date("2025-01-31T10:00:00Z"));
        assert!(!is_date("2025-1-31") && !is_date("20250131") && !is_date("2025-01-31x"));
    }
}
