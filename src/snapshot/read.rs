//! The snapshot reader: serde visitors from JSON — text, or a tree a request already holds —
//! into the snapshot's types, with no JSON tree in between for text.
//!
//! Every value is read with a visitor that accepts any JSON type and says which it saw, so a
//! value of the wrong type becomes an `invalid-snapshot` error naming its exact path. The first
//! such error is kept aside and the visit stops; if the rest of the text is not even JSON,
//! `invalid-json` wins, as it would for a reader that parsed first.
//! Paths are only formatted when something is wrong, so a well-formed snapshot pays nothing
//! for them.

use std::cell::RefCell;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::Value;

use super::{
    check_name, fatal, group_notes, At, AttrColumn, AttrTable, Group, Localized, MemberEntry,
    Module, Note, OrgRole, Product, Role, Severity, Snapshot, Stamp, User, GROUP_KEYS, OTHER_KEYS,
    USER_KEYS,
};
use crate::error::{Error, ErrorCode};
use crate::hash::Map;
use crate::json::{check_depth, check_syntax, path_index, path_key, syntax_error, Canonical};
use crate::limits::MAX_SNAPSHOT_BYTES;

/// Reads a snapshot from JSON text.
///
/// # Errors
///
/// `limit-exceeded` (over 1 GiB, or nested deeper than 128), `invalid-json` with line and
/// column, or `invalid-snapshot` with the path of the first fatal problem (SPEC §1.1).
pub fn read_snapshot(text: &str) -> Result<Snapshot, Error> {
    if text.len() > MAX_SNAPSHOT_BYTES {
        return Err(Error::new(
            ErrorCode::LimitExceeded,
            "snapshot text is larger than 1 GiB",
        ));
    }
    check_depth(text)?;
    let fail = Fail::default();
    let mut reader = serde_json::Deserializer::from_str(text);
    // The depth was checked above; serde_json's own limit is one level short of ours.
    reader.disable_recursion_limit();
    let read = reader
        .deserialize_any(Top { fail: &fail })
        .and_then(|raw| reader.end().map(|()| raw));
    match read {
        Ok(raw) => finish(raw),
        Err(error) => match fail.take() {
            Some(problem) => {
                check_syntax(text)?;
                Err(problem)
            }
            None => Err(syntax_error(text, &error)),
        },
    }
}

/// The kinds of item a change list can upsert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemKind {
    /// A user.
    User,
    /// A group.
    Group,
    /// A role.
    Role,
    /// A product.
    Product,
}

/// One item read on its own.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    /// A user and its attributes (as a table of one user, position 0).
    User(Box<User>, AttrTable),
    /// A group.
    Group(Box<Group>),
    /// A role.
    Role(Role),
    /// A product.
    Product(Product),
}

/// Reads one item given as a JSON tree at `path`, as §1 reads an item of a snapshot whose
/// default locale is `default_locale`.
///
/// # Errors
///
/// `invalid-snapshot` at the path of the first fatal problem; callers reading a request
/// change the code.
pub fn read_item(
    kind: ItemKind,
    value: &Value,
    path: &str,
    default_locale: &str,
) -> Result<Item, Error> {
    let fail = Fail::default();
    let base = Base::At(path);
    // The visitors that read a snapshot's text read the item's value tree as well.
    let kind_of = |attrs| match kind {
        ItemKind::User => Kind::User(attrs, 0),
        ItemKind::Group => Kind::Group,
        ItemKind::Role => Kind::Role,
        ItemKind::Product => Kind::Product,
    };
    let mut attrs = AttrBuilder::default();
    let read = ItemSeed {
        fail: &fail,
        base,
        kind: kind_of(&mut attrs),
    }
    .deserialize(value)
    .map(|raw| match raw {
        RawItem::User(user) => RawItem::UserWith(user, attrs.finish()),
        other => other,
    });
    let raw = match read {
        Ok(raw) => raw,
        Err(error) => {
            return Err(fail
                .take()
                .unwrap_or_else(|| fatal(path, format!("not a valid item: {error}"))))
        }
    };
    match raw {
        RawItem::UserWith(user, attrs) => Ok(Item::User(user, attrs)),
        RawItem::User(user) => Ok(Item::User(user, AttrTable::default())),
        RawItem::Group(mut group, name, rule) => {
            check_name(name.as_ref(), path, default_locale)?;
            group.name = name.unwrap_or_default();
            group_notes(&mut group, rule);
            Ok(Item::Group(group))
        }
        RawItem::Role(role, name) => {
            check_name(name.as_ref(), path, default_locale)?;
            Ok(Item::Role(Role {
                name: name.unwrap_or_default(),
                ..role
            }))
        }
        RawItem::Product(product) => Ok(Item::Product(product)),
        RawItem::Module(_) => Err(fatal(path, "not a valid item")),
    }
}

/// The visit methods for the JSON types a visitor refuses: each stops the read with the
/// visitor's own `wrong` error, naming the type it got.
macro_rules! reject {
    ($de:lifetime, $value:ty; $($kind:ident),*) => { $(reject!(@ $de, $value, $kind);)* };
    (@ $de:lifetime, $value:ty, unit) => {
        fn visit_unit<E: de::Error>(self) -> Result<$value, E> {
            Err(self.wrong("null"))
        }
    };
    (@ $de:lifetime, $value:ty, bool) => {
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<$value, E> {
            Err(self.wrong("a boolean"))
        }
    };
    (@ $de:lifetime, $value:ty, str) => {
        fn visit_str<E: de::Error>(self, _: &str) -> Result<$value, E> {
            Err(self.wrong("a string"))
        }
    };
    (@ $de:lifetime, $value:ty, num) => {
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<$value, E> {
            Err(self.wrong("a number"))
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<$value, E> {
            Err(self.wrong("a number"))
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<$value, E> {
            Err(self.wrong("a number"))
        }
    };
    (@ $de:lifetime, $value:ty, seq) => {
        fn visit_seq<A: SeqAccess<$de>>(self, _: A) -> Result<$value, A::Error> {
            Err(self.wrong("an array"))
        }
    };
    (@ $de:lifetime, $value:ty, map) => {
        fn visit_map<A: MapAccess<$de>>(self, _: A) -> Result<$value, A::Error> {
            Err(self.wrong("an object"))
        }
    };
}

/// The first fatal problem, kept aside while serde unwinds the visit.
#[derive(Default)]
struct Fail(RefCell<Option<Error>>);

impl Fail {
    /// Records `error` (unless one is already recorded) and stops the visit.
    fn stop<E: de::Error>(&self, error: Error) -> E {
        let mut first = self.0.borrow_mut();
        if first.is_none() {
            *first = Some(error);
        }
        E::custom("fatal snapshot problem")
    }

    fn take(&self) -> Option<Error> {
        self.0.borrow_mut().take()
    }
}

/// Where an item is: a list and an index, or a fixed path. Formatted only on error.
#[derive(Clone, Copy)]
enum Base<'p> {
    Item(&'static str, usize),
    At(&'p str),
}

impl Base<'_> {
    fn path(&self) -> String {
        match self {
            Base::Item(list, index) => format!("$.{list}[{index}]"),
            Base::At(path) => (*path).to_owned(),
        }
    }

    fn key(&self, key: &str) -> String {
        path_key(&self.path(), key)
    }
}

/// What a value turned out to be.
enum Got {
    Null,
    Bool(bool),
    Str(String),
    Num,
    Array,
    Object,
}

impl Got {
    fn type_name(&self) -> &'static str {
        match self {
            Got::Null => "null",
            Got::Bool(_) => "a boolean",
            Got::Str(_) => "a string",
            Got::Num => "a number",
            Got::Array => "an array",
            Got::Object => "an object",
        }
    }
}

/// Reads any value, keeping strings and booleans and naming the rest.
struct AnyScalar;

impl<'de> DeserializeSeed<'de> for AnyScalar {
    type Value = Got;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Got, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for AnyScalar {
    type Value = Got;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Got, E> {
        Ok(Got::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Got, E> {
        Ok(Got::Null)
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Got, E> {
        Ok(Got::Bool(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Got, E> {
        Ok(Got::Str(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Got, E> {
        Ok(Got::Str(v))
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Got, E> {
        Ok(Got::Num)
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Got, E> {
        Ok(Got::Num)
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Got, E> {
        Ok(Got::Num)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Got, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Got::Array)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Got, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Got::Object)
    }
}

/// A key, identified among `known` without allocating.
struct KeyIn(&'static [&'static str]);

impl<'de> DeserializeSeed<'de> for KeyIn {
    type Value = Option<usize>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeyIn {
    type Value = Option<usize>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a key")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(self.0.iter().position(|k| *k == v))
    }
}

/// A string field: `None` for null; an error naming the path for any other type.
fn string<'de, A: MapAccess<'de>>(
    map: &mut A,
    fail: &Fail,
    base: Base<'_>,
    key: &str,
) -> Result<Option<String>, A::Error> {
    match map.next_value_seed(AnyScalar)? {
        Got::Null => Ok(None),
        Got::Str(s) => Ok(Some(s)),
        other => Err(fail.stop(fatal(
            &base.key(key),
            format!("`{key}` must be a string, not {}", other.type_name()),
        ))),
    }
}

/// A boolean field: `default` for null.
fn boolean<'de, A: MapAccess<'de>>(
    map: &mut A,
    fail: &Fail,
    base: Base<'_>,
    key: &str,
    default: bool,
) -> Result<bool, A::Error> {
    match map.next_value_seed(AnyScalar)? {
        Got::Null => Ok(default),
        Got::Bool(b) => Ok(b),
        other => Err(fail.stop(fatal(
            &base.key(key),
            format!("`{key}` must be a boolean, not {}", other.type_name()),
        ))),
    }
}

/// Any JSON, kept as a tree (rules) or as canonical text (dashboards); null is absent.
fn tree<'de, A: MapAccess<'de>>(map: &mut A) -> Result<Option<Value>, A::Error> {
    Ok(map.next_value::<Option<Value>>()?.filter(|v| !v.is_null()))
}

fn canonical<'de, A: MapAccess<'de>>(map: &mut A) -> Result<Option<Canonical>, A::Error> {
    Ok(tree(map)?.as_ref().map(Canonical::of))
}

/// A list of strings under `key`.
struct Strings<'f, 'p> {
    fail: &'f Fail,
    base: Base<'p>,
    key: &'static str,
}

impl<'de> DeserializeSeed<'de> for Strings<'_, '_> {
    type Value = Vec<String>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Vec<String>, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Strings<'_, '_> {
    type Value = Vec<String>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of strings")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Vec<String>, E> {
        Ok(Vec::new())
    }

    fn visit_none<E: de::Error>(self) -> Result<Vec<String>, E> {
        Ok(Vec::new())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<String>, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1 << 16));
        while let Some(got) = seq.next_element_seed(AnyScalar)? {
            match got {
                Got::Str(s) => out.push(s),
                other => {
                    return Err(self.fail.stop(fatal(
                        &path_index(&self.base.key(self.key), out.len()),
                        format!("must be a string, not {}", other.type_name()),
                    )))
                }
            }
        }
        Ok(out)
    }

    reject!('de, Vec<String>; bool, str, num, map);
}

impl Strings<'_, '_> {
    fn wrong<E: de::Error>(&self, got: &str) -> E {
        self.fail.stop(fatal(
            &self.base.key(self.key),
            format!("`{}` must be an array, not {got}", self.key),
        ))
    }
}

/// A group's `members` list.
struct Members<'f, 'p> {
    fail: &'f Fail,
    base: Base<'p>,
}

impl<'de> DeserializeSeed<'de> for Members<'_, '_> {
    type Value = Vec<MemberEntry>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Vec<MemberEntry>, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Members<'_, '_> {
    type Value = Vec<MemberEntry>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of members")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Vec<MemberEntry>, E> {
        Ok(Vec::new())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<MemberEntry>, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1 << 16));
        while let Some(entry) = seq.next_element_seed(Member {
            fail: self.fail,
            base: self.base,
            index: out.len(),
        })? {
            out.push(entry);
        }
        Ok(out)
    }

    reject!('de, Vec<MemberEntry>; bool, str, num, map);
}

impl Members<'_, '_> {
    fn wrong<E: de::Error>(&self, got: &str) -> E {
        self.fail.stop(fatal(
            &self.base.key("members"),
            format!("`members` must be an array, not {got}"),
        ))
    }
}

/// One member entry: a user id, or `{ user, addedAt?, startsAt?, expiresAt? }`.
struct Member<'f, 'p> {
    fail: &'f Fail,
    base: Base<'p>,
    index: usize,
}

impl Member<'_, '_> {
    fn path(&self) -> String {
        path_index(&self.base.key("members"), self.index)
    }

    fn wrong<E: de::Error>(&self, got: &str) -> E {
        self.fail.stop(fatal(
            &self.path(),
            format!("a member is a user id or an object, not {got}"),
        ))
    }
}

impl<'de> DeserializeSeed<'de> for Member<'_, '_> {
    type Value = MemberEntry;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<MemberEntry, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Member<'_, '_> {
    type Value = MemberEntry;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a user id or a member object")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<MemberEntry, E> {
        Ok(MemberEntry::plain(v))
    }

    reject!('de, MemberEntry; unit, bool, num, seq);

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<MemberEntry, A::Error> {
        const KEYS: &[&str] = &["user", "addedAt", "startsAt", "expiresAt"];
        let path = self.path();
        let here = Base::At(&path);
        let mut user = None;
        let mut stamps: [Option<Stamp>; 3] = [None, None, None];
        while let Some(key) = map.next_key_seed(KeyIn(KEYS))? {
            match key {
                Some(0) => user = string(&mut map, self.fail, here, "user")?,
                Some(k @ 1..=3) => {
                    let name = KEYS.get(k).copied().unwrap_or("");
                    if let Some(slot) = stamps.get_mut(k - 1) {
                        *slot = string(&mut map, self.fail, here, name)?.map(Stamp::new);
                    }
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        let entry = MemberEntry {
            user: Box::default(),
            stamps: stamps.iter().any(Option::is_some).then(|| Box::new(stamps)),
        };
        match user {
            Some(user) => Ok(MemberEntry {
                user: user.into(),
                ..entry
            }),
            None => Err(self
                .fail
                .stop(fatal(&path, "a member entry needs a string `user`"))),
        }
    }
}

/// A name: a string, or an object of locales.
struct Name<'f, 'p> {
    fail: &'f Fail,
    base: Base<'p>,
}

impl Name<'_, '_> {
    fn wrong<E: de::Error>(&self, got: &str) -> E {
        self.fail.stop(fatal(
            &self.base.key("name"),
            format!("`name` must be a string or an object of locales, not {got}"),
        ))
    }
}

impl<'de> DeserializeSeed<'de> for Name<'_, '_> {
    type Value = Option<Localized>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Option<Localized>, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Name<'_, '_> {
    type Value = Option<Localized>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a name")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Option<Localized>, E> {
        Ok(None)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Option<Localized>, E> {
        Ok(Some(Localized::Plain(v.to_owned())))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Option<Localized>, E> {
        Ok(Some(Localized::Plain(v)))
    }

    reject!('de, Option<Localized>; bool, num, seq);

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Option<Localized>, A::Error> {
        let mut entries: Vec<(String, String)> = Vec::new();
        while let Some(locale) = map.next_key::<String>()? {
            match map.next_value_seed(AnyScalar)? {
                Got::Str(text) => match entries.iter_mut().find(|(l, _)| *l == locale) {
                    // A repeated locale keeps its first place and its last text.
                    Some(slot) => slot.1 = text,
                    None => entries.push((locale, text)),
                },
                other => {
                    return Err(self.fail.stop(fatal(
                        &path_key(&self.base.key("name"), &locale),
                        format!("a localized name is a string, not {}", other.type_name()),
                    )))
                }
            }
        }
        Ok(Some(Localized::PerLocale(entries)))
    }
}

/// Attribute columns gathered while users are read, so that no per-user copy is made.
#[derive(Default)]
struct AttrBuilder {
    columns: Vec<AttrColumn>,
    by_key: Map<Box<str>, usize>,
    strings: Vec<Map<Box<str>, u32>>,
    others: Vec<Map<String, u32>>,
}

impl AttrBuilder {
    fn column(&mut self, key: &str) -> usize {
        if let Some(&i) = self.by_key.get(key) {
            return i;
        }
        let i = self.columns.len();
        self.columns.push(AttrColumn {
            key: key.to_owned(),
            ..AttrColumn::default()
        });
        self.strings.push(Map::default());
        self.others.push(Map::default());
        self.by_key.insert(key.into(), i);
        i
    }

    fn push_str(&mut self, user: u32, key: &str, text: &str) {
        let c = self.column(key);
        let (Some(column), Some(strings)) = (self.columns.get_mut(c), self.strings.get_mut(c))
        else {
            return;
        };
        let value = match strings.get(text) {
            Some(&v) => v,
            None => {
                let v = u32::try_from(column.values.len()).unwrap_or(u32::MAX);
                column.values.push(Value::String(text.to_owned()));
                strings.insert(text.into(), v);
                v
            }
        };
        set_cell(column, user, value);
    }

    fn push_value(&mut self, user: u32, key: &str, value: Value) {
        if let Value::String(text) = &value {
            return self.push_str(user, key, text);
        }
        let c = self.column(key);
        let (Some(column), Some(others)) = (self.columns.get_mut(c), self.others.get_mut(c)) else {
            return;
        };
        let text = value.to_string();
        let v = match others.get(&text) {
            Some(&v) => v,
            None => {
                let v = u32::try_from(column.values.len()).unwrap_or(u32::MAX);
                column.values.push(value);
                others.insert(text, v);
                v
            }
        };
        set_cell(column, user, v);
    }

    fn finish(self) -> AttrTable {
        AttrTable {
            columns: self.columns,
        }
    }
}

/// Records `user`'s value; a repeated key keeps its last value, as a JSON tree would.
fn set_cell(column: &mut AttrColumn, user: u32, value: u32) {
    match column.cells.last_mut() {
        Some(last) if last.0 == user => last.1 = value,
        _ => column.cells.push((user, value)),
    }
}

/// Whether an attribute value has a type §1 allows.
fn allowed_attribute(value: &Value) -> bool {
    match value {
        Value::Null | Value::Bool(_) | Value::Number(_) | Value::String(_) => true,
        Value::Array(items) => items
            .iter()
            .all(|v| matches!(v, Value::String(_) | Value::Number(_))),
        Value::Object(_) => false,
    }
}

/// One user's `attributes` object, written into the column builder as it is read.
struct Attributes<'a, 'f, 'p> {
    builder: &'a mut AttrBuilder,
    user: u32,
    /// Values of a type §1 does not allow, with their keys.
    invalid: &'a mut Vec<(String, Value)>,
    fail: &'f Fail,
    base: Base<'p>,
}

impl Attributes<'_, '_, '_> {
    fn wrong<E: de::Error>(&self, got: &str) -> E {
        self.fail.stop(fatal(
            &self.base.key("attributes"),
            format!("`attributes` must be an object, not {got}"),
        ))
    }
}

impl<'de> DeserializeSeed<'de> for Attributes<'_, '_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Attributes<'_, '_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object of attributes")
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    reject!('de, (); bool, str, num, seq);

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key_seed(Text)? {
            map.next_value_seed(Attribute {
                builder: &mut *self.builder,
                user: self.user,
                key: key.as_str(),
                invalid: &mut *self.invalid,
            })?;
        }
        Ok(())
    }
}

/// A key, borrowed from the text when it holds no escape.
enum TextOf<'de> {
    Borrowed(&'de str),
    Owned(String),
}

impl TextOf<'_> {
    fn as_str(&self) -> &str {
        match self {
            TextOf::Borrowed(s) => s,
            TextOf::Owned(s) => s,
        }
    }
}

struct Text;

impl<'de> DeserializeSeed<'de> for Text {
    type Value = TextOf<'de>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<TextOf<'de>, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Text {
    type Value = TextOf<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<TextOf<'de>, E> {
        Ok(TextOf::Borrowed(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<TextOf<'de>, E> {
        Ok(TextOf::Owned(v.to_owned()))
    }
}

/// One attribute value: strings go to the builder without a copy; other values as JSON.
struct Attribute<'a, 'k> {
    builder: &'a mut AttrBuilder,
    user: u32,
    key: &'k str,
    invalid: &'a mut Vec<(String, Value)>,
}

impl Attribute<'_, '_> {
    fn value(self, value: Value) {
        if allowed_attribute(&value) {
            self.builder.push_value(self.user, self.key, value);
        } else {
            self.invalid.push((self.key.to_owned(), value));
        }
    }
}

impl<'de> DeserializeSeed<'de> for Attribute<'_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Attribute<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an attribute value")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        self.builder.push_str(self.user, self.key, v);
        Ok(())
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<(), E> {
        self.value(Value::Bool(v));
        Ok(())
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<(), E> {
        self.value(Value::Number(v.into()));
        Ok(())
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<(), E> {
        self.value(Value::Number(v.into()));
        Ok(())
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<(), E> {
        self.value(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number));
        Ok(())
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.value(Value::Null);
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        let value = Value::deserialize(de::value::SeqAccessDeserializer::new(seq))?;
        self.value(value);
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        let value = Value::deserialize(de::value::MapAccessDeserializer::new(map))?;
        self.value(value);
        Ok(())
    }
}

/// An item as read, before the checks that need the whole snapshot.
enum RawItem {
    User(Box<User>),
    UserWith(Box<User>, AttrTable),
    /// The group, its name (`None` when absent) and its rule as given.
    Group(Box<Group>, Option<Localized>, Option<Value>),
    Role(Role, Option<Localized>),
    Product(Product),
    Module(Module),
}

/// Which item a visitor reads.
enum Kind<'a> {
    /// A user, with the column builder and its position in the snapshot.
    User(&'a mut AttrBuilder, u32),
    Group,
    Role,
    Product,
    Module,
}

struct ItemSeed<'a, 'f, 'p> {
    fail: &'f Fail,
    base: Base<'p>,
    kind: Kind<'a>,
}

impl ItemSeed<'_, '_, '_> {
    fn wrong<E: de::Error>(&self, got: &str) -> E {
        self.fail.stop(fatal(
            &self.base.path(),
            format!("an item must be an object, not {got}"),
        ))
    }

    fn id<E: de::Error>(&self, id: Option<Got>) -> Result<String, E> {
        match id {
            Some(Got::Str(id)) => Ok(id),
            Some(other) => Err(self.fail.stop(fatal(
                &self.base.key("id"),
                format!("`id` must be a string, not {}", other.type_name()),
            ))),
            None => Err(self
                .fail
                .stop(fatal(&self.base.path(), "an item needs a string `id`"))),
        }
    }
}

impl<'de> DeserializeSeed<'de> for ItemSeed<'_, '_, '_> {
    type Value = RawItem;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<RawItem, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ItemSeed<'_, '_, '_> {
    type Value = RawItem;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an item object")
    }

    reject!('de, RawItem; unit, bool, str, num, seq);

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawItem, A::Error> {
        let ItemSeed { fail, base, kind } = self;
        let seed = ItemSeed {
            fail,
            base,
            kind: Kind::Group,
        };
        match kind {
            Kind::User(attrs, position) => read_user(&mut map, fail, base, attrs, position)
                .and_then(|user| seed.finish_user(user)),
            Kind::Group => read_group(&mut map, fail, base).and_then(|(group, name, rule, id)| {
                let id = seed.id(id)?;
                Ok(RawItem::Group(Box::new(Group { id, ..group }), name, rule))
            }),
            Kind::Role | Kind::Product | Kind::Module => {
                let kind = match kind {
                    Kind::Role => 0,
                    Kind::Product => 1,
                    _ => 2,
                };
                let (id, name, permissions, privileged, required) =
                    read_other(&mut map, fail, base, kind)?;
                let id = seed.id(id)?;
                Ok(match kind {
                    0 => RawItem::Role(
                        Role {
                            id,
                            permissions,
                            privileged,
                            ..Role::default()
                        },
                        name,
                    ),
                    1 => RawItem::Product(Product {
                        id,
                        name: plain_name(name),
                    }),
                    _ => RawItem::Module(Module {
                        id,
                        name: plain_name(name),
                        required_permission: required,
                    }),
                })
            }
        }
    }
}

impl ItemSeed<'_, '_, '_> {
    fn finish_user<E: de::Error>(&self, read: UserRead) -> Result<RawItem, E> {
        let id = self.id(read.id)?;
        let mut user = read.user;
        user.id = id;
        if let Some(role) = read.org_role {
            match OrgRole::from_str(&role) {
                Some(r) => user.org_role = r,
                None => {
                    user.notes.push(Note {
                        severity: Severity::Warning,
                        code: "invalid-value",
                        message: format!(
                            "unknown orgRole `{role}` of user `{}`; treated as `member`",
                            user.id
                        ),
                        at: At::key("orgRole"),
                    });
                    user.unknown_org_role = Some(role);
                }
            }
        }
        for (key, value) in read.invalid {
            user.notes.push(Note {
                severity: Severity::Warning,
                code: "invalid-value",
                message: format!(
                    "attribute `{key}` of user `{}` is {}; ignored",
                    user.id,
                    crate::json::type_name(&value)
                ),
                at: At {
                    key: "attributes",
                    element: None,
                    sub: Some((key.clone(), 0)),
                },
            });
            user.ignored_attributes.push((key, Canonical::of(&value)));
        }
        Ok(RawItem::User(Box::new(user)))
    }
}

struct UserRead {
    user: User,
    id: Option<Got>,
    org_role: Option<String>,
    invalid: Vec<(String, Value)>,
}

fn read_user<'de, A: MapAccess<'de>>(
    map: &mut A,
    fail: &Fail,
    base: Base<'_>,
    attrs: &mut AttrBuilder,
    position: u32,
) -> Result<UserRead, A::Error> {
    let mut read = UserRead {
        user: User::default(),
        id: None,
        org_role: None,
        invalid: Vec::new(),
    };
    let u = &mut read.user;
    while let Some(key) = map.next_key_seed(KeyIn(USER_KEYS))? {
        let Some(k) = key else {
            map.next_value::<IgnoredAny>()?;
            continue;
        };
        match USER_KEYS.get(k).copied().unwrap_or("") {
            "id" => read.id = Some(map.next_value_seed(AnyScalar)?),
            "name" => u.name = string(map, fail, base, "name")?,
            "orgRole" => read.org_role = string(map, fail, base, "orgRole")?,
            "attributes" => map.next_value_seed(Attributes {
                builder: attrs,
                user: position,
                invalid: &mut read.invalid,
                fail,
                base,
            })?,
            "roles" => {
                u.roles = map.next_value_seed(Strings {
                    fail,
                    base,
                    key: "roles",
                })?
            }
            "primaryGroup" => u.primary_group = string(map, fail, base, "primaryGroup")?,
            "homepageModule" => u.homepage_module = string(map, fail, base, "homepageModule")?,
            "preventHomepageRedirect" => {
                u.prevent_homepage_redirect =
                    boolean(map, fail, base, "preventHomepageRedirect", false)?
            }
            "dashboard" => u.dashboard = canonical(map)?,
            "locale" => u.locale = string(map, fail, base, "locale")?,
            _ => {
                map.next_value::<IgnoredAny>()?;
            }
        }
    }
    Ok(read)
}

type GroupRead = (Group, Option<Localized>, Option<Value>, Option<Got>);

fn read_group<'de, A: MapAccess<'de>>(
    map: &mut A,
    fail: &Fail,
    base: Base<'_>,
) -> Result<GroupRead, A::Error> {
    let mut g = Group::default();
    let mut name = None;
    let mut rule = None;
    let mut id = None;
    while let Some(key) = map.next_key_seed(KeyIn(GROUP_KEYS))? {
        let Some(k) = key else {
            map.next_value::<IgnoredAny>()?;
            continue;
        };
        match GROUP_KEYS.get(k).copied().unwrap_or("") {
            "id" => id = Some(map.next_value_seed(AnyScalar)?),
            "name" => name = map.next_value_seed(Name { fail, base })?,
            "slug" => g.slug = string(map, fail, base, "slug")?,
            "description" => g.description = string(map, fail, base, "description")?,
            "avatar" => g.avatar = string(map, fail, base, "avatar")?,
            "isActive" => g.is_active = boolean(map, fail, base, "isActive", true)?,
            "isVisible" => g.is_visible = boolean(map, fail, base, "isVisible", true)?,
            "homepageModule" => g.homepage_module = string(map, fail, base, "homepageModule")?,
            "dashboard" => g.dashboard = canonical(map)?,
            "dashboardDraft" => g.dashboard_draft = canonical(map)?,
            "members" => g.members = map.next_value_seed(Members { fail, base })?,
            "includeGroups" => {
                g.include_groups = map.next_value_seed(Strings {
                    fail,
                    base,
                    key: "includeGroups",
                })?
            }
            "rule" => rule = tree(map)?,
            "roles" => {
                g.roles = map.next_value_seed(Strings {
                    fail,
                    base,
                    key: "roles",
                })?
            }
            "products" => {
                g.products = map.next_value_seed(Strings {
                    fail,
                    base,
                    key: "products",
                })?
            }
            "createdAt" => g.created_at = string(map, fail, base, "createdAt")?,
            "createdBy" => g.created_by = string(map, fail, base, "createdBy")?,
            _ => {
                map.next_value::<IgnoredAny>()?;
            }
        }
    }
    Ok((g, name, rule, id))
}

type OtherRead = (
    Option<Got>,
    Option<Localized>,
    Vec<String>,
    bool,
    Option<String>,
);

/// A role (`kind` 0), product (1) or module (2).
fn read_other<'de, A: MapAccess<'de>>(
    map: &mut A,
    fail: &Fail,
    base: Base<'_>,
    kind: u8,
) -> Result<OtherRead, A::Error> {
    let (mut id, mut name, mut permissions, mut privileged, mut required) =
        (None, None, Vec::new(), false, None);
    while let Some(key) = map.next_key_seed(KeyIn(OTHER_KEYS))? {
        match (key.and_then(|k| OTHER_KEYS.get(k).copied()), kind) {
            (Some("id"), _) => id = Some(map.next_value_seed(AnyScalar)?),
            (Some("name"), 0) => name = map.next_value_seed(Name { fail, base })?,
            (Some("name"), _) => name = string(map, fail, base, "name")?.map(Localized::Plain),
            (Some("permissions"), 0) => {
                permissions = map.next_value_seed(Strings {
                    fail,
                    base,
                    key: "permissions",
                })?
            }
            (Some("privileged"), 0) => privileged = boolean(map, fail, base, "privileged", false)?,
            (Some("requiredPermission"), 2) => {
                required = string(map, fail, base, "requiredPermission")?
            }
            _ => {
                map.next_value::<IgnoredAny>()?;
            }
        }
    }
    Ok((id, name, permissions, privileged, required))
}

/// The name of a product or module, which is plain text.
fn plain_name(name: Option<Localized>) -> Option<String> {
    match name {
        Some(Localized::Plain(text)) => Some(text),
        _ => None,
    }
}

/// A snapshot as read, before the checks that need all of it.
#[derive(Default)]
struct RawSnapshot {
    revision: Option<String>,
    as_of: Option<String>,
    default_locale: Option<String>,
    default_dashboard: Option<Canonical>,
    users: Vec<User>,
    groups: Vec<(Group, Option<Localized>, Option<Value>)>,
    roles: Vec<(Role, Option<Localized>)>,
    products: Vec<Product>,
    modules: Option<Vec<Module>>,
    attributes: AttrTable,
}

struct Top<'f> {
    fail: &'f Fail,
}

impl Top<'_> {
    fn wrong<E: de::Error>(&self, got: &str) -> E {
        self.fail
            .stop(fatal("$", format!("a snapshot is an object, not {got}")))
    }
}

impl<'de> Visitor<'de> for Top<'_> {
    type Value = RawSnapshot;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a snapshot object")
    }

    reject!('de, RawSnapshot; unit, bool, str, num, seq);

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawSnapshot, A::Error> {
        const KEYS: &[&str] = &[
            "revision",
            "asOf",
            "defaultLocale",
            "users",
            "groups",
            "roles",
            "products",
            "modules",
            "defaults",
        ];
        let fail = self.fail;
        let top = Base::At("$");
        let mut raw = RawSnapshot::default();
        let mut attrs = AttrBuilder::default();
        while let Some(key) = map.next_key_seed(KeyIn(KEYS))? {
            let key = key.and_then(|k| KEYS.get(k).copied()).unwrap_or("");
            match key {
                "revision" => raw.revision = string(&mut map, fail, top, "revision")?,
                "asOf" => raw.as_of = string(&mut map, fail, top, "asOf")?,
                "defaultLocale" => {
                    raw.default_locale = string(&mut map, fail, top, "defaultLocale")?
                }
                "users" => {
                    attrs = AttrBuilder::default();
                    raw.users = map.next_value_seed(Users {
                        fail,
                        attrs: &mut attrs,
                    })?;
                }
                "groups" => {
                    raw.groups = map
                        .next_value_seed(Items {
                            fail,
                            list: "groups",
                        })?
                        .into_iter()
                        .filter_map(|item| match item {
                            RawItem::Group(g, name, rule) => Some((*g, name, rule)),
                            _ => None,
                        })
                        .collect();
                }
                "roles" => {
                    raw.roles = map
                        .next_value_seed(Items {
                            fail,
                            list: "roles",
                        })?
                        .into_iter()
                        .filter_map(|item| match item {
                            RawItem::Role(r, name) => Some((r, name)),
                            _ => None,
                        })
                        .collect();
                }
                "products" => {
                    raw.products = map
                        .next_value_seed(Items {
                            fail,
                            list: "products",
                        })?
                        .into_iter()
                        .filter_map(|item| match item {
                            RawItem::Product(p) => Some(p),
                            _ => None,
                        })
                        .collect();
                }
                "modules" => {
                    let list = map.next_value_seed(Optional(Items {
                        fail,
                        list: "modules",
                    }))?;
                    raw.modules = list.map(|items| {
                        items
                            .into_iter()
                            .filter_map(|item| match item {
                                RawItem::Module(m) => Some(m),
                                _ => None,
                            })
                            .collect()
                    });
                }
                "defaults" => {
                    raw.default_dashboard = map.next_value_seed(Defaults { fail })?;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        raw.attributes = attrs.finish();
        Ok(raw)
    }
}

/// `null` as `None`, anything else through the inner seed.
struct Optional<S>(S);

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for Optional<S> {
    type Value = Option<S::Value>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_option(self)
    }
}

impl<'de, S: DeserializeSeed<'de>> Visitor<'de> for Optional<S> {
    type Value = Option<S::Value>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a value or null")
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        self.0.deserialize(d).map(Some)
    }
}

/// The `defaults` object: only its `dashboard` matters.
struct Defaults<'f> {
    fail: &'f Fail,
}

impl<'de> DeserializeSeed<'de> for Defaults<'_> {
    type Value = Option<Canonical>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl Defaults<'_> {
    fn wrong<E: de::Error>(&self, got: &str) -> E {
        self.fail.stop(fatal(
            "$.defaults",
            format!("`defaults` must be an object, not {got}"),
        ))
    }
}

impl<'de> Visitor<'de> for Defaults<'_> {
    type Value = Option<Canonical>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    reject!('de, Self::Value; bool, str, num, seq);

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut dashboard = None;
        while let Some(key) = map.next_key_seed(KeyIn(&["dashboard"]))? {
            if key.is_some() {
                dashboard = canonical(&mut map)?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(dashboard)
    }
}

/// The users list, feeding every attribute straight into the column builder.
struct Users<'a, 'f> {
    fail: &'f Fail,
    attrs: &'a mut AttrBuilder,
}

impl<'de> DeserializeSeed<'de> for Users<'_, '_> {
    type Value = Vec<User>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Vec<User>, D::Error> {
        d.deserialize_any(self)
    }
}

impl Users<'_, '_> {
    fn wrong<E: de::Error>(&self, got: &str) -> E {
        self.fail.stop(fatal(
            "$.users",
            format!("`users` must be an array, not {got}"),
        ))
    }
}

impl<'de> Visitor<'de> for Users<'_, '_> {
    type Value = Vec<User>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of users")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Vec<User>, E> {
        Ok(Vec::new())
    }

    reject!('de, Vec<User>; bool, str, num, map);

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<User>, A::Error> {
        let mut users = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1 << 20));
        loop {
            let index = users.len();
            let seed = ItemSeed {
                fail: self.fail,
                base: Base::Item("users", index),
                kind: Kind::User(&mut *self.attrs, u32::try_from(index).unwrap_or(u32::MAX)),
            };
            match seq.next_element_seed(seed)? {
                Some(RawItem::User(user)) => users.push(*user),
                Some(_) => {}
                None => return Ok(users),
            }
        }
    }
}

/// A list of groups, roles, products or modules.
struct Items<'f> {
    fail: &'f Fail,
    list: &'static str,
}

impl<'de> DeserializeSeed<'de> for Items<'_> {
    type Value = Vec<RawItem>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Vec<RawItem>, D::Error> {
        d.deserialize_any(self)
    }
}

impl Items<'_> {
    fn wrong<E: de::Error>(&self, got: &str) -> E {
        self.fail.stop(fatal(
            &format!("$.{}", self.list),
            format!("`{}` must be an array, not {got}", self.list),
        ))
    }
}

impl<'de> Visitor<'de> for Items<'_> {
    type Value = Vec<RawItem>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of items")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Vec<RawItem>, E> {
        Ok(Vec::new())
    }

    reject!('de, Vec<RawItem>; bool, str, num, map);

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<RawItem>, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1 << 16));
        loop {
            let kind = match self.list {
                "groups" => Kind::Group,
                "roles" => Kind::Role,
                "products" => Kind::Product,
                _ => Kind::Module,
            };
            let seed = ItemSeed {
                fail: self.fail,
                base: Base::Item(self.list, items.len()),
                kind,
            };
            match seq.next_element_seed(seed)? {
                Some(item) => items.push(item),
                None => return Ok(items),
            }
        }
    }
}

/// The checks of SPEC §1.1 that need the whole snapshot: `asOf`, names in the default locale,
/// duplicate ids; and the item-local notes of groups.
fn finish(raw: RawSnapshot) -> Result<Snapshot, Error> {
    let as_of = match raw.as_of {
        None => None,
        Some(text) => {
            let stamp = Stamp::new(text);
            if stamp.instant.is_none() {
                return Err(fatal(
                    "$.asOf",
                    format!("`asOf` is not an RFC 3339 timestamp: `{}`", stamp.text),
                ));
            }
            Some(stamp)
        }
    };
    let default_locale = raw.default_locale.unwrap_or_else(|| "en".to_owned());
    let mut groups = Vec::with_capacity(raw.groups.len());
    for (i, (mut group, name, rule)) in raw.groups.into_iter().enumerate() {
        check_name(name.as_ref(), &format!("$.groups[{i}]"), &default_locale)?;
        group.name = name.unwrap_or_default();
        group_notes(&mut group, rule);
        groups.push(group);
    }
    let mut roles = Vec::with_capacity(raw.roles.len());
    for (i, (role, name)) in raw.roles.into_iter().enumerate() {
        check_name(name.as_ref(), &format!("$.roles[{i}]"), &default_locale)?;
        roles.push(Role {
            name: name.unwrap_or_default(),
            ..role
        });
    }
    check_unique("users", raw.users.iter().map(|u| u.id.as_str()))?;
    check_unique("groups", groups.iter().map(|g| g.id.as_str()))?;
    check_unique("roles", roles.iter().map(|r| r.id.as_str()))?;
    check_unique("products", raw.products.iter().map(|p| p.id.as_str()))?;
    if let Some(modules) = &raw.modules {
        check_unique("modules", modules.iter().map(|m| m.id.as_str()))?;
    }
    Ok(Snapshot {
        revision: raw.revision,
        as_of,
        default_locale,
        default_dashboard: raw.default_dashboard,
        users: raw.users,
        groups,
        roles,
        products: raw.products,
        modules: raw.modules,
        attributes: raw.attributes,
    })
}

/// Fails at the second item of `list` that repeats an id.
fn check_unique<'a>(list: &str, ids: impl Iterator<Item = &'a str>) -> Result<(), Error> {
    let mut seen: crate::hash::Set<&str> = crate::hash::Set::default();
    for (i, id) in ids.enumerate() {
        if !seen.insert(id) {
            return Err(fatal(
                &format!("$.{list}[{i}].id"),
                format!("duplicate id `{id}` among {list}"),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    fn error_at(text: &str) -> (ErrorCode, Option<String>) {
        let err = read_snapshot(text).err().unwrap();
        (err.code(), err.path().map(str::to_owned))
    }

    #[test]
    fn wrong_types_are_named_by_path() {
        for (text, path) in [
            (r#"[]"#, "$"),
            (r#"{"revision":5}"#, "$.revision"),
            (r#"{"users":{}}"#, "$.users"),
            (r#"{"users":[{"id":"a"},3]}"#, "$.users[1]"),
            (r#"{"users":[{"id":1}]}"#, "$.users[0].id"),
            (r#"{"users":[{"name":"x"}]}"#, "$.users[0]"),
            (
                r#"{"users":[{"id":"a","roles":["r",2]}]}"#,
                "$.users[0].roles[1]",
            ),
            (
                r#"{"users":[{"id":"a","attributes":[]}]}"#,
                "$.users[0].attributes",
            ),
            (
                r#"{"groups":[{"id":"g","name":"G","isActive":"yes"}]}"#,
                "$.groups[0].isActive",
            ),
            (
                r#"{"groups":[{"id":"g","name":"G","members":[1]}]}"#,
                "$.groups[0].members[0]",
            ),
            (
                r#"{"groups":[{"id":"g","name":"G","members":[{"x":1}]}]}"#,
                "$.groups[0].members[0]",
            ),
            (
                r#"{"groups":[{"id":"g","name":{"en":1}}]}"#,
                "$.groups[0].name.en",
            ),
            (r#"{"groups":[{"id":"g"}]}"#, "$.groups[0]"),
            (
                r#"{"defaultLocale":"fr","groups":[{"id":"g","name":{"en":"G"}}]}"#,
                "$.groups[0].name",
            ),
            (
                r#"{"roles":[{"id":"r","name":"R"},{"id":"r","name":"R"}]}"#,
                "$.roles[1].id",
            ),
            (r#"{"asOf":"yesterday"}"#, "$.asOf"),
            (r#"{"defaults":[]}"#, "$.defaults"),
            (
                r#"{"modules":[{"id":"m","requiredPermission":1}]}"#,
                "$.modules[0].requiredPermission",
            ),
        ] {
            assert_eq!(
                error_at(text),
                (ErrorCode::InvalidSnapshot, Some(path.to_owned())),
                "{text}"
            );
        }
    }

    #[test]
    fn invalid_json_wins_over_a_shape_problem() {
        let err = read_snapshot(r#"{"users":5,"groups":[}"#).err().unwrap();
        assert_eq!(err.code(), ErrorCode::InvalidJson);
        assert_eq!(err.line(), Some(1));
    }

    #[test]
    fn reads_items_notes_and_attributes() {
        let snap = read_snapshot(
            r#"{"users":[{"attributes":{"a":"x","b":{"c":1},"n":2},"id":"u1","orgRole":"boss"},
                         {"id":"u2","attributes":{"a":"x","n":2.0}}],
                "groups":[{"id":"g","name":"G","rule":"a = ","slug":"Bad Slug","members":["u1",{"user":"u2","startsAt":"soon"}]}],
                "modules":null,"x":{"deep":[1]}}"#,
        )
        .unwrap();
        assert_eq!(snap.users.len(), 2);
        let codes: Vec<&str> = snap.users[0].notes.iter().map(|n| n.code).collect();
        assert_eq!(codes, vec!["invalid-value", "invalid-value"]);
        let a = snap
            .attributes
            .columns
            .iter()
            .find(|c| c.key == "a")
            .unwrap();
        assert_eq!(a.values.len(), 1);
        assert_eq!(a.cells, vec![(0, 0), (1, 0)]);
        let n = snap
            .attributes
            .columns
            .iter()
            .find(|c| c.key == "n")
            .unwrap();
        assert_eq!(n.values.len(), 2);
        let group = &snap.groups[0];
        assert_eq!(group.slug.as_deref(), Some("Bad Slug"));
        assert!(matches!(group.rule, super::super::RuleSource::Invalid));
        let codes: Vec<&str> = group.notes.iter().map(|n| n.code).collect();
        assert_eq!(
            codes,
            vec!["invalid-rule", "invalid-value", "invalid-value"]
        );
        assert_eq!(snap.modules, None);
    }

    #[test]
    fn items_read_from_a_tree() {
        let value: Value = serde_json::from_str(r#"{"id":"g9","name":{"fr":"G"}}"#).unwrap();
        let err = read_item(ItemKind::Group, &value, "$.changes[0].upsertGroup", "en")
            .err()
            .unwrap();
        assert_eq!(err.path(), Some("$.changes[0].upsertGroup.name"));
        let value: Value =
            serde_json::from_str(r#"{"id":"u9","attributes":{"city":"Paris"},"roles":["r"]}"#)
                .unwrap();
        let Ok(Item::User(user, attrs)) =
            read_item(ItemKind::User, &value, "$.changes[0].upsertUser", "en")
        else {
            panic!("not a user")
        };
        assert_eq!(user.roles, vec!["r".to_owned()]);
        assert_eq!(attrs.columns[0].cells, vec![(0, 0)]);
    }
}
