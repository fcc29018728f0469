//! The snapshot's small values: keys among a known list, strings and booleans with their
//! paths, lists of strings, member entries, and names (plain or by locale).

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use super::{AnyScalar, Base, Fail, Got};
use crate::json::{path_index, path_key, Canonical};
use crate::snapshot::{fatal, Localized, MemberEntry, Stamp};

/// A key, identified among `known` without allocating.
pub(super) struct KeyIn(pub(super) &'static [&'static str]);

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
pub(super) fn string<'de, A: MapAccess<'de>>(
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
pub(super) fn boolean<'de, A: MapAccess<'de>>(
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
pub(super) fn tree<'de, A: MapAccess<'de>>(map: &mut A) -> Result<Option<Value>, A::Error> {
    Ok(map.next_value::<Option<Value>>()?.filter(|v| !v.is_null()))
}

pub(super) fn canonical<'de, A: MapAccess<'de>>(
    map: &mut A,
) -> Result<Option<Canonical>, A::Error> {
    Ok(tree(map)?.as_ref().map(Canonical::of))
}

/// A list of strings under `key`.
pub(super) struct Strings<'f, 'p> {
    pub(super) fail: &'f Fail,
    pub(super) base: Base<'p>,
    pub(super) key: &'static str,
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
pub(super) struct Members<'f, 'p> {
    pub(super) fail: &'f Fail,
    pub(super) base: Base<'p>,
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
pub(super) struct Member<'f, 'p> {
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
pub(super) struct Name<'f, 'p> {
    pub(super) fail: &'f Fail,
    pub(super) base: Base<'p>,
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
