//! Rule evaluation (SPEC §4): over every user at once, as a bitset, or for one user with a
//! trace for `explain`.
//!
//! Attributes are stored by column: each attribute key has a table of its distinct values
//! and, per user, the index of that user's value. A condition is decided once per distinct
//! value and then spread over the column, so a rule over 100,000 users costs a few passes
//! over small integer arrays rather than 100,000 string comparisons.

use crate::hash::FxMap;

use serde_json::Value;

use crate::json::f64_text;
use crate::rules::{Condition, Op, Operand, Rule, Scalar};
use crate::snapshot::User;
use crate::text::lower;

/// No value for this user in this column.
const NONE: u32 = u32::MAX;

/// A set of users as a bitset over user indices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bits {
    words: Vec<u64>,
    len: usize,
}

impl Bits {
    pub fn empty(len: usize) -> Bits {
        Bits {
            words: vec![0; len.div_ceil(64)],
            len,
        }
    }

    pub fn full(len: usize) -> Bits {
        let mut bits = Bits {
            words: vec![u64::MAX; len.div_ceil(64)],
            len,
        };
        bits.trim();
        bits
    }

    pub fn from_sorted(len: usize, members: &[u32]) -> Bits {
        let mut bits = Bits::empty(len);
        for &m in members {
            bits.insert(m);
        }
        bits
    }

    fn trim(&mut self) {
        let extra = self.words.len() * 64 - self.len;
        if extra > 0 {
            if let Some(last) = self.words.last_mut() {
                *last &= u64::MAX >> extra;
            }
        }
    }

    pub fn insert(&mut self, i: u32) {
        if let Some(w) = self.words.get_mut(i as usize / 64) {
            *w |= 1u64 << (i % 64);
        }
    }

    pub fn contains(&self, i: u32) -> bool {
        self.words
            .get(i as usize / 64)
            .is_some_and(|w| w & (1u64 << (i % 64)) != 0)
    }

    pub fn and_with(&mut self, other: &Bits) {
        for (a, b) in self.words.iter_mut().zip(&other.words) {
            *a &= b;
        }
    }

    pub fn or_with(&mut self, other: &Bits) {
        for (a, b) in self.words.iter_mut().zip(&other.words) {
            *a |= b;
        }
    }

    pub fn negate(&mut self) {
        for w in &mut self.words {
            *w = !*w;
        }
        self.trim();
    }

    pub fn count(&self) -> usize {
        self.words.iter().map(|w| w.count_ones() as usize).sum()
    }

    /// The members, ascending.
    pub fn to_sorted(&self) -> Vec<u32> {
        let mut out = Vec::with_capacity(self.count());
        for (wi, &word) in self.words.iter().enumerate() {
            let mut w = word;
            while w != 0 {
                let bit = w.trailing_zeros();
                out.push(
                    u32::try_from(wi * 64)
                        .unwrap_or(u32::MAX)
                        .saturating_add(bit),
                );
                w &= w - 1;
            }
        }
        out
    }
}

/// A group's members: a sorted list when few, a bitset when many (over 1 user in 32),
/// so that neither a 3-person team nor an all-company group costs more than it must.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MemberSet {
    Sparse(Vec<u32>),
    Dense { bits: Bits, count: usize },
}

impl Default for MemberSet {
    fn default() -> MemberSet {
        MemberSet::Sparse(Vec::new())
    }
}

impl MemberSet {
    pub fn from_bits(bits: Bits) -> MemberSet {
        let count = bits.count();
        if count.saturating_mul(32) >= bits.len && count > 0 {
            MemberSet::Dense { bits, count }
        } else {
            MemberSet::Sparse(bits.to_sorted())
        }
    }

    pub fn contains(&self, u: u32) -> bool {
        match self {
            MemberSet::Sparse(list) => list.binary_search(&u).is_ok(),
            MemberSet::Dense { bits, .. } => bits.contains(u),
        }
    }

    pub fn len(&self) -> usize {
        match self {
            MemberSet::Sparse(list) => list.len(),
            MemberSet::Dense { count, .. } => *count,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Adds every member to `acc`.
    pub fn or_into(&self, acc: &mut Bits) {
        match self {
            MemberSet::Sparse(list) => {
                for &u in list {
                    acc.insert(u);
                }
            }
            MemberSet::Dense { bits, .. } => acc.or_with(bits),
        }
    }

    /// The members as a bitset over `len` users.
    pub fn to_bits(&self, len: usize) -> std::borrow::Cow<'_, Bits> {
        match self {
            MemberSet::Sparse(list) => std::borrow::Cow::Owned(Bits::from_sorted(len, list)),
            MemberSet::Dense { bits, .. } => std::borrow::Cow::Borrowed(bits),
        }
    }
}

/// One scalar of an attribute value, prepared for comparison.
#[derive(Debug, Clone)]
struct Item {
    /// The text it compares by (JSON text for numbers and booleans), exactly.
    text: String,
    /// Its Unicode lowercase.
    lower: String,
    /// Its value when it is a JSON number.
    number: Option<f64>,
}

/// A distinct attribute value.
#[derive(Debug, Clone)]
pub struct AttrValue {
    /// The value as the host gave it, for traces.
    pub json: Value,
    items: Vec<Item>,
    /// Present, not null, not `""`, not `[]`.
    exists: bool,
}

impl AttrValue {
    fn new(json: &Value) -> AttrValue {
        let item = |v: &Value| -> Option<Item> {
            let (text, number) = match v {
                Value::String(s) => (s.clone(), None),
                Value::Number(n) => {
                    let f = n.as_f64();
                    (
                        if n.is_f64() {
                            f.map_or_else(|| n.to_string(), f64_text)
                        } else {
                            n.to_string()
                        },
                        f,
                    )
                }
                Value::Bool(b) => (b.to_string(), None),
                _ => return None,
            };
            Some(Item {
                lower: lower(&text),
                text,
                number,
            })
        };
        let (items, exists) = match json {
            Value::Null => (Vec::new(), false),
            Value::Array(values) => (values.iter().filter_map(item).collect(), !values.is_empty()),
            Value::String(s) => (item(json).into_iter().collect(), !s.is_empty()),
            other => (item(other).into_iter().collect(), true),
        };
        AttrValue {
            json: json.clone(),
            items,
            exists,
        }
    }
}

/// One attribute key: its distinct values and each user's value.
#[derive(Debug, Clone, Default)]
struct Column {
    values: Vec<AttrValue>,
    /// Per user, an index into `values`, or [`NONE`].
    of_user: Vec<u32>,
    /// Per value, the users that have it: a condition ORs the postings of the values it
    /// holds for, so it costs what it matches rather than a pass over every user.
    postings: Vec<MemberSet>,
}

impl Column {
    fn value(&self, user: u32) -> Option<&AttrValue> {
        self.of_user
            .get(user as usize)
            .filter(|&&v| v != NONE)
            .and_then(|&v| self.values.get(v as usize))
    }
}

/// Every user's attributes, by column.
#[derive(Debug, Clone, Default)]
pub struct Attributes {
    users: usize,
    columns: Vec<Column>,
    /// Exact key → column.
    by_key: FxMap<String, usize>,
    /// Lowercase key → the columns of every spelling, sorted by key bytes.
    by_lower: FxMap<String, Vec<(String, usize)>>,
    /// The user-record fields `id`, `name`, `orgRole`.
    /// Columns for the user-record fields `id`, `name`, `orgRole`, built on first use:
    /// rules rarely name them, and `id` and `name` have a distinct value per user.
    record: std::sync::OnceLock<Box<[Column; 3]>>,
}

/// One attribute key's values, gathered user by user.
#[derive(Clone, Default)]
struct ColumnBuilder {
    key: String,
    values: Vec<AttrValue>,
    strings: FxMap<Box<str>, u32>,
    others: FxMap<String, u32>,
    /// Per user (by position in the document), an index into `values`, or [`NONE`].
    of_user: Vec<u32>,
}

impl ColumnBuilder {
    fn set(&mut self, user: u32, index: u32) {
        let u = user as usize;
        if self.of_user.len() <= u {
            self.of_user.resize(u + 1, NONE);
        }
        if let Some(slot) = self.of_user.get_mut(u) {
            *slot = index;
        }
    }

    fn push_str(&mut self, user: u32, text: &str) {
        let index = match self.strings.get(text) {
            Some(&i) => i,
            None => {
                let i = u32::try_from(self.values.len()).unwrap_or(NONE);
                self.values
                    .push(AttrValue::new(&Value::String(text.to_owned())));
                self.strings.insert(text.into(), i);
                i
            }
        };
        self.set(user, index);
    }

    fn push_value(&mut self, user: u32, value: &Value) {
        if let Value::String(text) = value {
            return self.push_str(user, text);
        }
        let key = value.to_string();
        let index = match self.others.get(&key) {
            Some(&i) => i,
            None => {
                let i = u32::try_from(self.values.len()).unwrap_or(NONE);
                self.values.push(AttrValue::new(value));
                self.others.insert(key, i);
                i
            }
        };
        self.set(user, index);
    }

    /// The column over `order` (new user index → document index), with its postings.
    fn finish(self, order: &[u32]) -> Column {
        let users = order.len();
        let of_user: Vec<u32> = order
            .iter()
            .map(|&doc| self.of_user.get(doc as usize).copied().unwrap_or(NONE))
            .collect();
        let mut lists: Vec<Vec<u32>> = vec![Vec::new(); self.values.len()];
        for (u, &v) in of_user.iter().enumerate() {
            if let Some(list) = lists.get_mut(v as usize) {
                list.push(u32::try_from(u).unwrap_or(NONE));
            }
        }
        let postings = lists
            .into_iter()
            .map(|list| {
                if list.len().saturating_mul(32) >= users {
                    MemberSet::from_bits(Bits::from_sorted(users, &list))
                } else {
                    MemberSet::Sparse(list)
                }
            })
            .collect();
        Column {
            values: self.values,
            of_user,
            postings,
        }
    }
}

/// Attribute columns gathered while a snapshot is read, user by user in document order,
/// so that no per-user copy of the attributes is ever made.
#[derive(Clone, Default)]
pub struct AttrBuilder {
    columns: Vec<ColumnBuilder>,
    by_key: FxMap<Box<str>, usize>,
    /// Values of a JSON type §1 does not allow, ignored: (user by document position,
    /// position among that user's attributes, key, JSON type).
    pub invalid: Vec<(u32, u32, String, &'static str)>,
}

impl std::fmt::Debug for AttrBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut list = f.debug_list();
        for c in &self.columns {
            let values: Vec<&Value> = c.values.iter().map(|v| &v.json).collect();
            list.entry(&(&c.key, &values, &c.of_user));
        }
        list.entry(&self.invalid);
        list.finish()
    }
}

impl AttrBuilder {
    fn column(&mut self, key: &str) -> Option<&mut ColumnBuilder> {
        let index = match self.by_key.get(key) {
            Some(&i) => i,
            None => {
                let i = self.columns.len();
                self.columns.push(ColumnBuilder {
                    key: key.to_owned(),
                    ..ColumnBuilder::default()
                });
                self.by_key.insert(key.into(), i);
                i
            }
        };
        self.columns.get_mut(index)
    }

    /// Records a string attribute of `user` (its position in the document).
    pub fn push_str(&mut self, user: u32, key: &str, value: &str) {
        if let Some(column) = self.column(key) {
            column.push_str(user, value);
        }
    }

    /// Records an attribute of any JSON type; types §1 does not allow are set aside.
    pub fn push_value(&mut self, user: u32, position: u32, key: &str, value: &Value) {
        let allowed = match value {
            Value::Null | Value::Bool(_) | Value::Number(_) | Value::String(_) => true,
            Value::Array(items) => items
                .iter()
                .all(|v| matches!(v, Value::String(_) | Value::Number(_))),
            Value::Object(_) => false,
        };
        if !allowed {
            self.invalid.push((
                user,
                position,
                key.to_owned(),
                crate::json::type_name(value),
            ));
        } else if let Some(column) = self.column(key) {
            column.push_value(user, value);
        }
    }
}

impl Attributes {
    /// Builds the columns for `users` (sorted as the engine keeps them) from what was
    /// gathered while reading; `order[i]` is the document position of user `i`.
    pub fn build(users: &[User], gathered: AttrBuilder, order: &[u32]) -> Attributes {
        let n = users.len();
        let mut attrs = Attributes {
            users: n,
            ..Attributes::default()
        };
        let mut builders = gathered.columns;
        builders.sort_by(|a, b| a.key.cmp(&b.key));
        for builder in builders {
            let key = builder.key.clone();
            let index = attrs.columns.len();
            attrs.columns.push(builder.finish(order));
            attrs
                .by_lower
                .entry(lower(&key))
                .or_default()
                .push((key.clone(), index));
            attrs.by_key.insert(key, index);
        }
        attrs
    }

    /// The columns a field reads, in priority order (SPEC §4.1).
    fn record(&self, users: &[User]) -> &[Column; 3] {
        self.record.get_or_init(|| {
            let identity: Vec<u32> = (0..u32::try_from(users.len()).unwrap_or(NONE)).collect();
            let column = |value: &dyn Fn(&User) -> Value| {
                let mut column = ColumnBuilder::default();
                for (u, user) in users.iter().enumerate() {
                    column.push_value(u32::try_from(u).unwrap_or(NONE), &value(user));
                }
                column.finish(&identity)
            };
            Box::new([
                column(&|u| Value::String(u.id.clone())),
                column(&|u| u.name.clone().map_or(Value::Null, Value::String)),
                column(&|u| Value::String(u.org_role.as_str().to_owned())),
            ])
        })
    }

    fn resolve<'s>(&'s self, field: &str, users: &'s [User]) -> Vec<&'s Column> {
        // Only these exact spellings read the user record; `NAME` reads the attributes.
        match field {
            "id" => {
                return self
                    .record(users)
                    .get(..1)
                    .map_or_else(Vec::new, |c| c.iter().collect())
            }
            "name" => {
                return self
                    .record(users)
                    .get(1..2)
                    .map_or_else(Vec::new, |c| c.iter().collect())
            }
            "orgRole" => {
                return self
                    .record(users)
                    .get(2..)
                    .map_or_else(Vec::new, |c| c.iter().collect())
            }
            _ => {}
        }
        let lowered = lower(field);
        let mut out = self.spellings(field, &lowered);
        if lowered == "job" {
            out.extend(self.spellings("jobTitle", "jobtitle"));
        }
        out
    }

    fn spellings(&self, exact: &str, lowered: &str) -> Vec<&Column> {
        let mut out = Vec::new();
        if let Some(&i) = self.by_key.get(exact) {
            out.extend(self.columns.get(i));
        }
        if let Some(spellings) = self.by_lower.get(lowered) {
            for (key, i) in spellings {
                if key != exact {
                    out.extend(self.columns.get(*i));
                }
            }
        }
        out
    }

    /// The value `field` reads for `user`, if any.
    pub fn value<'s>(&'s self, field: &str, user: u32, users: &'s [User]) -> Option<&'s AttrValue> {
        self.resolve(field, users)
            .into_iter()
            .find_map(|c| c.value(user))
    }

    /// The users for which the positive form of `cond` holds.
    fn positive_bits(&self, op: Op, cond: &Prepared, columns: &[&Column]) -> Bits {
        let mut bits = Bits::empty(self.users);
        let tables: Vec<Vec<bool>> = columns
            .iter()
            .map(|c| c.values.iter().map(|v| cond.holds(op, v)).collect())
            .collect();
        if let ([column], [table]) = (columns, tables.as_slice()) {
            for (posting, &holds) in column.postings.iter().zip(table) {
                if holds {
                    posting.or_into(&mut bits);
                }
            }
            return bits;
        }
        for u in 0..self.users {
            let found = columns.iter().zip(&tables).find_map(|(c, t)| {
                let v = *c.of_user.get(u)?;
                (v != NONE).then(|| t.get(v as usize).copied().unwrap_or(false))
            });
            if found == Some(true) {
                bits.insert(u32::try_from(u).unwrap_or(NONE));
            }
        }
        bits
    }

    /// The users whose `field` leads, in one step or more, to `target` (SPEC §4.2 `REPORTS TO`).
    fn reports_to(&self, field: &str, target: &str, users: &[User]) -> Bits {
        let columns = self.resolve(field, users);
        // id → the users whose field names it.
        let mut named_by: FxMap<&str, Vec<u32>> = FxMap::default();
        for u in 0..self.users {
            let u32_index = u32::try_from(u).unwrap_or(NONE);
            if let Some(value) = columns.iter().find_map(|c| c.value(u32_index)) {
                for item in &value.items {
                    named_by
                        .entry(item.text.as_str())
                        .or_default()
                        .push(u32_index);
                }
            }
        }
        let mut found = Bits::empty(self.users);
        let mut queue: Vec<u32> = named_by.get(target).cloned().unwrap_or_default();
        while let Some(u) = queue.pop() {
            if found.contains(u) {
                continue;
            }
            found.insert(u);
            if let Some(id) = users.get(u as usize).map(|x| x.id.as_str()) {
                if let Some(next) = named_by.get(id) {
                    queue.extend(next.iter().copied().filter(|&n| !found.contains(n)));
                }
            }
        }
        found
    }

    /// Whether `user`'s `field` leads to `target`.
    fn user_reports_to(
        &self,
        field: &str,
        user: u32,
        target: &str,
        user_index: &dyn Fn(&str) -> Option<u32>,
        users: &[User],
    ) -> bool {
        let mut seen = Bits::empty(self.users);
        let mut queue = vec![user];
        while let Some(u) = queue.pop() {
            if seen.contains(u) {
                continue;
            }
            seen.insert(u);
            let Some(value) = self.value(field, u, users) else {
                continue;
            };
            for item in &value.items {
                if item.text == target {
                    return true;
                }
                if let Some(next) = user_index(&item.text) {
                    queue.push(next);
                }
            }
        }
        false
    }
}

/// A condition's operand, prepared once.
struct Prepared {
    scalars: Vec<(String, Option<f64>)>,
}

impl Prepared {
    fn new(value: &Operand) -> Prepared {
        let prep = |s: &Scalar| {
            (
                lower(&s.text()),
                if let Scalar::Number(n) = s {
                    Some(*n)
                } else {
                    None
                },
            )
        };
        let scalars = match value {
            Operand::None => Vec::new(),
            Operand::Scalar(s) => vec![prep(s)],
            Operand::List(items) => items.iter().map(prep).collect(),
        };
        Prepared { scalars }
    }

    /// Whether the positive operator `op` holds for a value.
    fn holds(&self, op: Op, value: &AttrValue) -> bool {
        if op == Op::Exists {
            return value.exists;
        }
        value.items.iter().any(|item| self.item_holds(op, item))
    }

    fn item_holds(&self, op: Op, item: &Item) -> bool {
        let Some((text, number)) = self.scalars.first() else {
            return false;
        };
        let ordering = || match (item.number, number) {
            (Some(a), Some(b)) => a.partial_cmp(b),
            _ => Some(item.lower.as_str().cmp(text.as_str())),
        };
        match op {
            Op::Eq => equals(item, text, *number),
            Op::In => self.scalars.iter().any(|(t, n)| equals(item, t, *n)),
            Op::Like => item.lower.contains(text.as_str()),
            Op::StartsWith => item.lower.starts_with(text.as_str()),
            Op::EndsWith => item.lower.ends_with(text.as_str()),
            Op::Lt => ordering().is_some_and(std::cmp::Ordering::is_lt),
            Op::Le => ordering().is_some_and(std::cmp::Ordering::is_le),
            Op::Gt => ordering().is_some_and(std::cmp::Ordering::is_gt),
            Op::Ge => ordering().is_some_and(std::cmp::Ordering::is_ge),
            _ => false,
        }
    }
}

fn equals(item: &Item, text: &str, number: Option<f64>) -> bool {
    match (item.number, number) {
        (Some(a), Some(b)) => a == b,
        _ => item.lower == text,
    }
}

/// What rule evaluation needs from the rest of the tenant.
pub struct Context<'a> {
    pub attributes: &'a Attributes,
    /// The users, sorted as the engine keeps them.
    pub users: &'a [User],
    /// A user's index from its id.
    pub user_index: &'a dyn Fn(&str) -> Option<u32>,
    /// The members of a group named by `MEMBER OF`, as a bitset; `None` when unknown.
    pub group_members: &'a dyn Fn(&str) -> Option<std::borrow::Cow<'a, Bits>>,
    /// Whether a user is a member of a group named by `MEMBER OF`.
    pub is_member: &'a dyn Fn(&str, u32) -> bool,
}

/// The users a rule matches.
pub fn matching_users(rule: &Rule, cx: &Context<'_>) -> Bits {
    let n = cx.attributes.users;
    match rule {
        Rule::All(children) => {
            let mut acc = Bits::full(n);
            for child in children {
                acc.and_with(&matching_users(child, cx));
            }
            acc
        }
        Rule::Any(children) => {
            let mut acc = Bits::empty(n);
            for child in children {
                acc.or_with(&matching_users(child, cx));
            }
            acc
        }
        Rule::Not(child) => {
            let mut bits = matching_users(child, cx);
            bits.negate();
            bits
        }
        Rule::Cond(cond) => condition_users(cond, cx),
    }
}

fn scalar_text(value: &Operand) -> String {
    match value {
        Operand::Scalar(s) => s.text(),
        _ => String::new(),
    }
}

fn condition_users(cond: &Condition, cx: &Context<'_>) -> Bits {
    let n = cx.attributes.users;
    let field = cond.field.as_deref().unwrap_or("");
    match cond.op {
        Op::MemberOf => (cx.group_members)(&scalar_text(&cond.value))
            .map_or_else(|| Bits::empty(n), std::borrow::Cow::into_owned),
        Op::ReportsTo => cx
            .attributes
            .reports_to(field, &scalar_text(&cond.value), cx.users),
        op => {
            let (positive, negated) = op.positive();
            let columns = cx.attributes.resolve(field, cx.users);
            let mut bits =
                cx.attributes
                    .positive_bits(positive, &Prepared::new(&cond.value), &columns);
            if negated {
                bits.negate();
            }
            bits
        }
    }
}

/// Whether one user matches a rule, with the trace `explain` shows: each node with its
/// `result`, each condition with the `actual` value it read.
pub fn explain_user(rule: &Rule, user: u32, cx: &Context<'_>) -> (bool, Value) {
    let node = |key: &str, inner: Value, result: bool| {
        let mut map = serde_json::Map::new();
        map.insert(key.to_owned(), inner);
        map.insert("result".to_owned(), Value::Bool(result));
        Value::Object(map)
    };
    match rule {
        Rule::All(children) | Rule::Any(children) => {
            let traced: Vec<(bool, Value)> =
                children.iter().map(|c| explain_user(c, user, cx)).collect();
            let all = matches!(rule, Rule::All(_));
            let result = if all {
                traced.iter().all(|t| t.0)
            } else {
                traced.iter().any(|t| t.0)
            };
            let key = if all { "all" } else { "any" };
            (
                result,
                node(
                    key,
                    Value::Array(traced.into_iter().map(|t| t.1).collect()),
                    result,
                ),
            )
        }
        Rule::Not(child) => {
            let (inner, trace) = explain_user(child, user, cx);
            (!inner, node("not", trace, !inner))
        }
        Rule::Cond(cond) => {
            let field = cond.field.as_deref().unwrap_or("");
            let (result, actual) = match cond.op {
                Op::MemberOf => {
                    let member = (cx.is_member)(&scalar_text(&cond.value), user);
                    (member, Value::Bool(member))
                }
                op => {
                    let value = cx.attributes.value(field, user, cx.users);
                    let actual = value.map_or(Value::Null, |v| v.json.clone());
                    let result = if op == Op::ReportsTo {
                        cx.attributes.user_reports_to(
                            field,
                            user,
                            &scalar_text(&cond.value),
                            cx.user_index,
                            cx.users,
                        )
                    } else {
                        let (positive, negated) = op.positive();
                        let prepared = Prepared::new(&cond.value);
                        value.is_some_and(|v| prepared.holds(positive, v)) != negated
                    };
                    (result, actual)
                }
            };
            (
                result,
                cond.to_json_with([("actual", actual), ("result", Value::Bool(result))]),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::parse_rule;
    use crate::snapshot::{OrgRole, Place};
    use serde_json::json;

    fn user(id: &str, attrs: Value) -> (User, Value) {
        let user = User {
            id: id.to_owned(),
            name: Some(id.to_uppercase()),
            org_role: OrgRole::Member,
            roles: vec![],
            primary_group: None,
            homepage_module: None,
            prevent_homepage_redirect: false,
            dashboard: None,
            place: Place::default(),
        };
        (user, attrs)
    }

    /// Evaluates `rule` over the users both ways and checks both agree with `expect`.
    fn check(people: &[(User, Value)], rule: &str, expect: &[&str]) {
        let mut gathered = AttrBuilder::default();
        for (u, (_, attrs)) in people.iter().enumerate() {
            for (k, (key, value)) in attrs.as_object().into_iter().flatten().enumerate() {
                gathered.push_value(u as u32, k as u32, key, value);
            }
        }
        let users: Vec<User> = people.iter().map(|p| p.0.clone()).collect();
        let users = users.as_slice();
        let order: Vec<u32> = (0..users.len() as u32).collect();
        let attributes = Attributes::build(users, gathered, &order);
        let index = |id: &str| {
            users
                .iter()
                .position(|u| u.id == id)
                .and_then(|p| u32::try_from(p).ok())
        };
        let cx = Context {
            attributes: &attributes,
            users,
            user_index: &index,
            group_members: &|_| None,
            is_member: &|_, _| false,
        };
        let parsed = parse_rule(rule);
        assert!(parsed.is_ok(), "{rule}");
        let Ok(parsed) = parsed else { return };
        let all: Vec<&str> = matching_users(&parsed, &cx)
            .to_sorted()
            .into_iter()
            .filter_map(|u| users.get(u as usize).map(|u| u.id.as_str()))
            .collect();
        assert_eq!(all, expect, "{rule}");
        let one: Vec<&str> = users
            .iter()
            .enumerate()
            .filter(|(u, _)| explain_user(&parsed, u32::try_from(*u).unwrap_or(0), &cx).0)
            .map(|(_, u)| u.id.as_str())
            .collect();
        assert_eq!(one, expect, "explain disagrees: {rule}");
    }

    fn people() -> Vec<(User, Value)> {
        vec![
            user(
                "a",
                json!({"location": "Paris", "level": 5, "jobTitle": "Engineering Manager", "tags": ["x", "y"], "manager": "c"}),
            ),
            user(
                "b",
                json!({"Location": "paris", "level": "10", "job": "Chef", "tags": [], "manager": "a"}),
            ),
            user(
                "c",
                json!({"location": "London", "level": 12, "active": true, "manager": "b"}),
            ),
            user("d", json!({"location": null, "level": 5.0, "status": ""})),
        ]
    }

    #[test]
    fn comparisons() {
        let p = people();
        check(&p, "location = PARIS", &["a", "b"]);
        check(&p, "location != paris", &["c", "d"]);
        check(&p, "level = 5", &["a", "d"]);
        check(&p, "level > 5", &["c"]);
        check(&p, "level < 2", &["b"]);
        check(&p, "job LIKE manager", &["a"]);
        check(&p, "job = chef", &["b"]);
        check(&p, "active = 'TRUE'", &["c"]);
        check(&p, "tags IN (y, z)", &["a"]);
        check(&p, "tags NOT IN (y, z)", &["b", "c", "d"]);
        check(&p, "tags EXISTS", &["a"]);
        check(&p, "status NOT EXISTS", &["a", "b", "c", "d"]);
        check(
            &p,
            "location STARTS WITH lon OR location ENDS WITH RIS",
            &["a", "b", "c"],
        );
        check(&p, "name = 'B' OR id = c OR orgRole = owner", &["b", "c"]);
        check(&p, "NAME = b OR ID = c", &[]);
    }

    #[test]
    fn reports_to_follows_chains_and_ends_on_cycles() {
        let p = people();
        check(&p, "manager REPORTS TO a", &["a", "b", "c"]);
        check(&p, "manager REPORTS TO d", &[]);
        check(&p, "NOT manager REPORTS TO c", &["d"]);
    }

    #[test]
    fn bits_complement_stays_in_range() {
        let mut bits = Bits::from_sorted(70, &[0, 3, 69]);
        bits.negate();
        assert_eq!(bits.count(), 67);
        assert!(!bits.contains(69) && bits.contains(68));
        assert_eq!(Bits::full(65).count(), 65);
    }
}
