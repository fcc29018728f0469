//! One item of a snapshot (a user, group, role, product or module), read with the keys its
//! kind knows: by the snapshot reader for each list, and on its own by `read_item`.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use super::attributes::{AttrBuilder, Attributes};
use super::values::{boolean, canonical, string, tree, KeyIn, Members, Name, Strings};
use super::{AnyScalar, Base, Fail, Got};
use crate::json::Canonical;
use crate::snapshot::{
    fatal, At, AttrTable, Group, Localized, Module, Note, OrgRole, Product, Role, Severity, User,
    GROUP_KEYS, OTHER_KEYS, USER_KEYS,
};

/// An item as read, before the checks that need the whole snapshot.
pub(super) enum RawItem {
    User(Box<User>),
    UserWith(Box<User>, AttrTable),
    /// The group, its name (`None` when absent) and its rule as given.
    Group(Box<Group>, Option<Localized>, Option<Value>),
    Role(Role, Option<Localized>),
    Product(Product),
    Module(Module),
}

/// Which item a visitor reads.
pub(super) enum Kind<'a> {
    /// A user, with the column builder and its position in the snapshot.
    User(&'a mut AttrBuilder, u32),
    Group,
    Role,
    Product,
    Module,
}

pub(super) struct ItemSeed<'a, 'f, 'p> {
    pub(super) fail: &'f Fail,
    pub(super) base: Base<'p>,
    pub(super) kind: Kind<'a>,
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

pub(super) struct UserRead {
    user: User,
    id: Option<Got>,
    org_role: Option<String>,
    invalid: Vec<(String, Value)>,
}

pub(super) fn read_user<'de, A: MapAccess<'de>>(
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

pub(super) type GroupRead = (Group, Option<Localized>, Option<Value>, Option<Got>);

pub(super) fn read_group<'de, A: MapAccess<'de>>(
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

pub(super) type OtherRead = (
    Option<Got>,
    Option<Localized>,
    Vec<String>,
    bool,
    Option<String>,
);

/// A role (`kind` 0), product (1) or module (2).
pub(super) fn read_other<'de, A: MapAccess<'de>>(
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
pub(super) fn plain_name(name: Option<Localized>) -> Option<String> {
    match name {
        Some(Localized::Plain(text)) => Some(text),
        _ => None,
    }
}
