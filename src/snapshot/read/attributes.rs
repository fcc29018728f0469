//! User attributes: each user's `attributes` object read into the snapshot's columns as the
//! users are read, with no per-user copy.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::Value;

use super::{Base, Fail};
use crate::hash::Map;
use crate::snapshot::{fatal, AttrColumn, AttrTable};

/// Attribute columns gathered while users are read, so that no per-user copy is made.
#[derive(Default)]
pub(super) struct AttrBuilder {
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

    pub(super) fn finish(self) -> AttrTable {
        AttrTable {
            columns: self.columns,
        }
    }
}

/// Records `user`'s value; a repeated key keeps its last value, as a JSON tree would.
pub(super) fn set_cell(column: &mut AttrColumn, user: u32, value: u32) {
    match column.cells.last_mut() {
        Some(last) if last.0 == user => last.1 = value,
        _ => column.cells.push((user, value)),
    }
}

/// Whether an attribute value has a type §1 allows.
pub(super) fn allowed_attribute(value: &Value) -> bool {
    match value {
        Value::Null | Value::Bool(_) | Value::Number(_) | Value::String(_) => true,
        Value::Array(items) => items
            .iter()
            .all(|v| matches!(v, Value::String(_) | Value::Number(_))),
        Value::Object(_) => false,
    }
}

/// One user's `attributes` object, written into the column builder as it is read.
pub(super) struct Attributes<'a, 'f, 'p> {
    pub(super) builder: &'a mut AttrBuilder,
    pub(super) user: u32,
    /// Values of a type §1 does not allow, with their keys.
    pub(super) invalid: &'a mut Vec<(String, Value)>,
    pub(super) fail: &'f Fail,
    pub(super) base: Base<'p>,
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
pub(super) enum TextOf<'de> {
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

pub(super) struct Text;

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
pub(super) struct Attribute<'a, 'k> {
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
