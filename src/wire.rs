//! The fast snapshot reader: JSON text straight into raw items, with no JSON tree between.
//!
//! It accepts exactly what `snapshot::read_tree` accepts. When the text is not a well-typed
//! snapshot it gives up (`None`) and the caller reads the text again as a tree, which can
//! name the JSON path of the problem: the fast path pays nothing for error reporting, and
//! bad input still gets a precise error.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::Value;

use crate::eval::AttrBuilder;
use crate::snapshot::{
    Localized, MemberEntry, RawGroup, RawOther, RawSnapshot, RawUser, GROUP_KEYS, OTHER_KEYS,
    USER_KEYS,
};

const TOP_KEYS: &[&str] = &[
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

/// Reads a snapshot, or `None` when anything in it is not of the expected JSON type.
pub fn read(text: &str) -> Option<RawSnapshot> {
    let mut reader = serde_json::Deserializer::from_str(text);
    // The caller has checked the nesting depth of the text.
    reader.disable_recursion_limit();
    let raw = reader.deserialize_map(Top).ok()?;
    reader.end().ok()?;
    Some(raw)
}

/// A key, identified among `known` without allocating.
struct KeyIn(&'static [&'static str]);

impl<'de> DeserializeSeed<'de> for KeyIn {
    type Value = Option<&'static str>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeyIn {
    type Value = Option<&'static str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a key")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(self.0.iter().copied().find(|k| *k == v))
    }
}

fn list<'de, A: MapAccess<'de>, T: Deserialize<'de>>(map: &mut A) -> Result<Vec<T>, A::Error> {
    Ok(map.next_value::<Option<Vec<T>>>()?.unwrap_or_default())
}

fn position(pos: usize) -> u32 {
    u32::try_from(pos).unwrap_or(u32::MAX)
}

struct Top;

impl<'de> Visitor<'de> for Top {
    type Value = RawSnapshot;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a snapshot object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawSnapshot, A::Error> {
        let mut raw = RawSnapshot::default();
        let mut pos = 0usize;
        while let Some(key) = map.next_key_seed(KeyIn(TOP_KEYS))? {
            if let Some(k @ ("users" | "groups" | "roles" | "products" | "modules")) = key {
                // A repeated key keeps its first position and its last value, as in a JSON tree.
                if !raw.sections.iter().any(|(s, _)| *s == k) {
                    raw.sections.push((k, position(pos)));
                }
            }
            match key {
                Some("revision") => raw.revision = map.next_value()?,
                Some("asOf") => raw.as_of = map.next_value()?,
                Some("defaultLocale") => raw.default_locale = map.next_value()?,
                Some("users") => {
                    raw.users = map.next_value_seed(Users(&mut raw.attributes))?;
                }
                Some("groups") => {
                    raw.groups = list::<_, Group>(&mut map)?
                        .into_iter()
                        .map(|g| g.0)
                        .collect()
                }
                Some("roles") => {
                    raw.roles = list::<_, Role>(&mut map)?
                        .into_iter()
                        .map(|r| r.0)
                        .collect()
                }
                Some("products") => {
                    raw.products = list::<_, Product>(&mut map)?
                        .into_iter()
                        .map(|p| p.0)
                        .collect();
                }
                Some("modules") => {
                    raw.modules = map
                        .next_value::<Option<Vec<Module>>>()?
                        .map(|m| m.into_iter().map(|m| m.0).collect());
                }
                Some("defaults") => {
                    raw.default_dashboard = map.next_value::<Option<Defaults>>()?.and_then(|d| d.0);
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
            pos += 1;
        }
        Ok(raw)
    }
}

struct Defaults(Option<Value>);

impl<'de> Deserialize<'de> for Defaults {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Defaults;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Defaults, A::Error> {
                let mut dashboard = None;
                while let Some(key) = map.next_key_seed(KeyIn(&["dashboard"]))? {
                    if key.is_some() {
                        dashboard = map.next_value::<Option<Value>>()?;
                    } else {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
                Ok(Defaults(dashboard))
            }
        }
        d.deserialize_map(V)
    }
}

struct Name(Localized);

impl<'de> Deserialize<'de> for Name {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Name;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string or an object of locales")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Name, E> {
                Ok(Name(Localized::Plain(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Name, E> {
                Ok(Name(Localized::Plain(v)))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Name, A::Error> {
                let mut out = Vec::new();
                while let Some((k, v)) = map.next_entry::<String, String>()? {
                    out.push((k, v));
                }
                Ok(Name(Localized::PerLocale(out)))
            }
        }
        d.deserialize_any(V)
    }
}

struct Member(MemberEntry);

impl<'de> Deserialize<'de> for Member {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Member;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a user id or a member object")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Member, E> {
                Ok(Member(MemberEntry {
                    user: v.to_owned(),
                    added_at: None,
                    starts_at: None,
                    expires_at: None,
                }))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Member, A::Error> {
                let mut entry = MemberEntry {
                    user: String::new(),
                    added_at: None,
                    starts_at: None,
                    expires_at: None,
                };
                let mut user = None;
                while let Some(key) =
                    map.next_key_seed(KeyIn(&["user", "addedAt", "startsAt", "expiresAt"]))?
                {
                    match key {
                        Some("user") => user = map.next_value::<Option<String>>()?,
                        Some("addedAt") => entry.added_at = map.next_value()?,
                        Some("startsAt") => entry.starts_at = map.next_value()?,
                        Some("expiresAt") => entry.expires_at = map.next_value()?,
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                entry.user = user.ok_or_else(|| de::Error::missing_field("user"))?;
                Ok(Member(entry))
            }
        }
        d.deserialize_any(V)
    }
}

/// The users list, feeding every attribute straight into the column builder.
struct Users<'a>(&'a mut AttrBuilder);

impl<'de> DeserializeSeed<'de> for Users<'_> {
    type Value = Vec<RawUser>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Vec<RawUser>, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Users<'_> {
    type Value = Vec<RawUser>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of users")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Vec<RawUser>, E> {
        Ok(Vec::new())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<RawUser>, A::Error> {
        let mut users = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(user) = seq.next_element_seed(UserSeed {
            attributes: &mut *self.0,
            index: position(users.len()),
        })? {
            users.push(user);
        }
        Ok(users)
    }
}

struct UserSeed<'a> {
    attributes: &'a mut AttrBuilder,
    index: u32,
}

impl<'de> DeserializeSeed<'de> for UserSeed<'_> {
    type Value = RawUser;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<RawUser, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for UserSeed<'_> {
    type Value = RawUser;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a user object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawUser, A::Error> {
        let mut u = RawUser::default();
        let mut id = None;
        let mut pos = 0usize;
        while let Some(key) = map.next_key_seed(KeyIn(USER_KEYS))? {
            if let Some(k) = key {
                u.keys.push((k, position(pos)));
            }
            match key {
                Some("id") => id = Some(map.next_value::<String>()?),
                Some("name") => u.name = map.next_value()?,
                Some("orgRole") => u.org_role = map.next_value()?,
                Some("attributes") => {
                    map.next_value_seed(Attributes {
                        builder: &mut *self.attributes,
                        user: self.index,
                    })?;
                }
                Some("roles") => u.roles = list(&mut map)?,
                Some("primaryGroup") => u.primary_group = map.next_value()?,
                Some("homepageModule") => u.homepage_module = map.next_value()?,
                Some("preventHomepageRedirect") => {
                    u.prevent_homepage_redirect =
                        map.next_value::<Option<bool>>()?.unwrap_or(false);
                }
                Some("dashboard") => u.dashboard = map.next_value()?,
                Some("locale") => {
                    map.next_value::<Option<String>>()?;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
            pos += 1;
        }
        u.id = id.ok_or_else(|| de::Error::missing_field("id"))?;
        Ok(u)
    }
}

/// One user's `attributes` object, written into the column builder as it is read.
struct Attributes<'a> {
    builder: &'a mut AttrBuilder,
    user: u32,
}

impl<'de> DeserializeSeed<'de> for Attributes<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Attributes<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object of attributes")
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut k = 0usize;
        while let Some(key) = map.next_key_seed(Text)? {
            map.next_value_seed(Attribute {
                builder: &mut *self.builder,
                user: self.user,
                position: position(k),
                key: key.as_str(),
            })?;
            k += 1;
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
    position: u32,
    key: &'k str,
}

impl Attribute<'_, '_> {
    fn value(self, value: &Value) {
        self.builder
            .push_value(self.user, self.position, self.key, value);
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
        self.value(&Value::Bool(v));
        Ok(())
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<(), E> {
        self.value(&Value::Number(v.into()));
        Ok(())
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<(), E> {
        self.value(&Value::Number(v.into()));
        Ok(())
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<(), E> {
        self.value(&serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number));
        Ok(())
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.value(&Value::Null);
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        let value = Value::deserialize(de::value::SeqAccessDeserializer::new(seq))?;
        self.value(&value);
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        let value = Value::deserialize(de::value::MapAccessDeserializer::new(map))?;
        self.value(&value);
        Ok(())
    }
}

struct Group(RawGroup);

impl<'de> Deserialize<'de> for Group {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Group;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a group object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Group, A::Error> {
                let mut g = RawGroup::default();
                let mut id = None;
                let mut pos = 0usize;
                while let Some(key) = map.next_key_seed(KeyIn(GROUP_KEYS))? {
                    if let Some(k) = key {
                        g.keys.push((k, position(pos)));
                    }
                    match key {
                        Some("id") => id = Some(map.next_value::<String>()?),
                        Some("name") => g.name = map.next_value::<Option<Name>>()?.map(|n| n.0),
                        Some("slug") => g.slug = map.next_value()?,
                        Some("description") => g.description = map.next_value()?,
                        Some("avatar") => g.avatar = map.next_value()?,
                        Some("isActive") => {
                            g.is_active = map.next_value::<Option<bool>>()?.unwrap_or(true)
                        }
                        Some("isVisible") => {
                            g.is_visible = map.next_value::<Option<bool>>()?.unwrap_or(true)
                        }
                        Some("homepageModule") => g.homepage_module = map.next_value()?,
                        Some("dashboard") => g.dashboard = map.next_value()?,
                        Some("dashboardDraft") => g.dashboard_draft = map.next_value()?,
                        Some("members") => {
                            g.members = list::<_, Member>(&mut map)?
                                .into_iter()
                                .map(|m| m.0)
                                .collect()
                        }
                        Some("includeGroups") => g.include_groups = list(&mut map)?,
                        Some("rule") => g.rule = map.next_value()?,
                        Some("roles") => g.roles = list(&mut map)?,
                        Some("products") => g.products = list(&mut map)?,
                        Some("createdAt") => g.created_at = map.next_value()?,
                        Some("createdBy") => g.created_by = map.next_value()?,
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                    pos += 1;
                }
                g.id = id.ok_or_else(|| de::Error::missing_field("id"))?;
                Ok(Group(g))
            }
        }
        d.deserialize_map(V)
    }
}

/// Which of the small lists an item belongs to.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Role,
    Product,
    Module,
}

struct OtherVisitor(Kind);

impl<'de> Visitor<'de> for OtherVisitor {
    type Value = RawOther;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawOther, A::Error> {
        let kind = self.0;
        let mut o = RawOther::default();
        let mut id = None;
        let mut pos = 0usize;
        while let Some(key) = map.next_key_seed(KeyIn(OTHER_KEYS))? {
            if let Some(k) = key {
                o.keys.push((k, position(pos)));
            }
            match (key, kind) {
                (Some("id"), _) => id = Some(map.next_value::<String>()?),
                (Some("name"), Kind::Role) => {
                    o.name = map.next_value::<Option<Name>>()?.map(|n| n.0)
                }
                (Some("name"), _) => {
                    o.name = map.next_value::<Option<String>>()?.map(Localized::Plain)
                }
                (Some("permissions"), Kind::Role) => o.permissions = list(&mut map)?,
                (Some("privileged"), Kind::Role) => {
                    o.privileged = map.next_value::<Option<bool>>()?.unwrap_or(false)
                }
                (Some("requiredPermission"), Kind::Module) => {
                    o.required_permission = map.next_value()?
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
            pos += 1;
        }
        o.id = id.ok_or_else(|| de::Error::missing_field("id"))?;
        Ok(o)
    }
}

macro_rules! other {
    ($name:ident, $kind:expr) => {
        struct $name(RawOther);

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                d.deserialize_map(OtherVisitor($kind)).map($name)
            }
        }
    };
}

other!(Role, Kind::Role);
other!(Product, Kind::Product);
other!(Module, Kind::Module);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::read_tree;

    /// The fast reader must accept exactly what the tree reader accepts, and read it the same.
    fn check(text: &str) {
        let fast = read(text);
        let tree = crate::json::parse(text).and_then(|v| read_tree(&v));
        match (fast, tree) {
            (Some(fast), Ok(tree)) => {
                assert_eq!(format!("{fast:?}"), format!("{tree:?}"), "{text}")
            }
            (None, Err(_)) => {}
            (fast, tree) => panic!(
                "readers disagree on {text}: fast {:?}, tree {:?}",
                fast.is_some(),
                tree.err()
            ),
        }
    }

    #[test]
    fn agrees_with_the_tree_reader_on_every_vector_snapshot() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors");
        let mut seen = 0;
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
            let mut reader = serde_json::Deserializer::from_str(&text);
            reader.disable_recursion_limit();
            let Ok(file) = <Value as Deserialize>::deserialize(&mut reader) else {
                continue;
            };
            if let Some(snapshot) = file.get("snapshot") {
                check(&snapshot.to_string());
                seen += 1;
            }
        }
        assert!(seen > 20, "only {seen} vector snapshots found");
    }

    #[test]
    fn agrees_on_odd_shapes() {
        for text in [
            r#"{}"#,
            r#"[]"#,
            r#"{"users":null,"groups":[{"id":"g","name":{"en":"G","fr":"G"},"members":["u",{"user":"u","x":1}],"isActive":null}]}"#,
            r#"{"users":[{"id":"u","attributes":{"a":[1,"x"],"b":{"c":1}},"roles":null,"extra":[1]}],"modules":null}"#,
            r#"{"users":[{"id":1}]}"#,
            r#"{"users":[{"name":"x"}]}"#,
            r#"{"groups":[{"id":"g","name":"G","members":[{"addedAt":"x"}]}]}"#,
            r#"{"groups":[{"id":"g","name":{"en":1}}]}"#,
            r#"{"roles":[{"id":"r","name":"R","permissions":["a",2]}]}"#,
            r#"{"products":[{"id":"p","name":"P","permissions":"ignored"}],"defaults":{"dashboard":null,"x":1}}"#,
            r#"{"modules":[{"id":"m","requiredPermission":"a","name":null}],"defaults":[]}"#,
            r#"{"revision":"r","asOf":"2025-01-01T00:00:00Z","defaultLocale":"fr","unknown":{"deep":[1,2]}}"#,
            r#"{"users":[],"users":[{"id":"dup-key"}]}"#,
        ] {
            check(text);
        }
    }
}
