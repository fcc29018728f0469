//! The snapshot reader: serde visitors from JSON — text, or a tree a request already holds —
//! into the snapshot's types, with no JSON tree in between for text.
//!
//! Every value is read with a visitor that accepts any JSON type and says which it saw, so a
//! value of the wrong type becomes an `invalid-snapshot` error naming its exact path. The first
//! such error is kept aside and the visit stops; if the rest of the text is not even JSON,
//! `invalid-json` wins, as it would for a reader that parsed first.
//! Paths are only formatted when something is wrong, so a well-formed snapshot pays nothing
//! for them.
//!
//! This file holds the entry points ([`read_snapshot`], [`read_item`]), the first problem kept
//! aside and the snapshot's top level; the visitors of its parts are in `values` (keys,
//! strings, members, names), `attributes` (user attributes into columns) and `items` (one
//! user, group, role, product or module).

use std::cell::RefCell;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use super::{
    check_name, fatal, group_notes, AttrTable, Group, Localized, Module, Product, Role, Snapshot,
    Stamp, User,
};
use crate::error::{Error, ErrorCode};
use crate::json::{check_depth, check_syntax, path_key, syntax_error, Canonical};
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

mod attributes;
mod items;
mod values;

use self::attributes::AttrBuilder;
use self::items::{ItemSeed, Kind, RawItem};
use self::values::{canonical, string, KeyIn};

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
