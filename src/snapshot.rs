//! The snapshot a host hands over (SPEC §1), read from JSON into plain Rust types.
//!
//! This module owns the fatal checks of §1.1 (wrong JSON types, missing or duplicate ids,
//! names lacking the default locale, a malformed `asOf`) and the diagnostics that need no
//! cross-reference (`invalid-value`). References between items are resolved by
//! `crate::directory`, which reports what dangles.
//! Keys this contract does not know are ignored; `null` counts as absent.

use serde_json::{Map, Value};

use crate::error::{Error, ErrorCode};
use crate::eval::AttrBuilder;
use crate::json::{path_index, path_key, type_name};
use crate::rules::Rule;
use crate::time::{parse_rfc3339, Instant};

/// How bad a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// A non-fatal finding at load (SPEC §1.1).
#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub code: &'static str,
    pub message: String,
    pub path: String,
    /// Where the path lies in the document: diagnostics are listed in this order.
    pub order: Vec<u32>,
}

impl Diagnostic {
    pub fn to_json(&self) -> Value {
        let mut map = Map::new();
        map.insert(
            "severity".into(),
            Value::String(self.severity.as_str().into()),
        );
        map.insert("code".into(), Value::String(self.code.into()));
        map.insert("message".into(), Value::String(self.message.clone()));
        map.insert("path".into(), Value::String(self.path.clone()));
        Value::Object(map)
    }
}

/// Where an item sits in the document: its list and index, and the position of each of its
/// known keys, so that diagnostics found later can be put in document order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Place {
    /// The position of the item's list among the snapshot's keys.
    pub section: u32,
    /// `users`, `groups`, …
    pub list: &'static str,
    pub index: u32,
    pub keys: Vec<(&'static str, u32)>,
}

impl Place {
    /// `$.groups[3]`.
    pub fn path(&self) -> String {
        format!("$.{}[{}]", self.list, self.index)
    }

    /// The order key and path of `key` (and optionally an element of it) within this item.
    pub fn at(&self, key: &str, element: Option<usize>) -> (Vec<u32>, String) {
        let key_pos = self
            .keys
            .iter()
            .find(|(k, _)| *k == key)
            .map_or(u32::MAX, |(_, p)| *p);
        let mut order = vec![self.section, self.index, key_pos];
        let mut path = path_key(&self.path(), key);
        if let Some(e) = element {
            order.push(u32::try_from(e).unwrap_or(u32::MAX));
            path = path_index(&path, e);
        }
        (order, path)
    }
}

/// A name given as plain text or per locale.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Localized {
    Plain(String),
    PerLocale(Vec<(String, String)>),
}

impl Localized {
    /// The name in the first locale of `chain` that has one, else the default locale's.
    pub fn resolve<'a>(&'a self, chain: &[&str], default_locale: &str) -> &'a str {
        match self {
            Localized::Plain(s) => s,
            Localized::PerLocale(entries) => chain
                .iter()
                .chain(std::iter::once(&default_locale))
                .find_map(|loc| entries.iter().find(|(l, _)| l == loc))
                .or_else(|| entries.first())
                .map_or("", |(_, text)| text.as_str()),
        }
    }

    /// Every text of the name, for search.
    pub fn texts(&self) -> Vec<&str> {
        match self {
            Localized::Plain(s) => vec![s.as_str()],
            Localized::PerLocale(entries) => entries.iter().map(|(_, t)| t.as_str()).collect(),
        }
    }
}

/// `owner`, `admin` or `member`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrgRole {
    Owner,
    Admin,
    Member,
}

impl OrgRole {
    pub fn as_str(self) -> &'static str {
        match self {
            OrgRole::Owner => "owner",
            OrgRole::Admin => "admin",
            OrgRole::Member => "member",
        }
    }
}

#[derive(Debug, Clone)]
pub struct User {
    pub id: String,
    pub name: Option<String>,
    pub org_role: OrgRole,
    pub roles: Vec<String>,
    pub primary_group: Option<String>,
    pub homepage_module: Option<String>,
    pub prevent_homepage_redirect: bool,
    pub dashboard: Option<Value>,
    pub place: Place,
}

/// One entry of a group's `members`.
#[derive(Debug, Clone)]
pub struct MemberEntry {
    pub user: String,
    pub added_at: Option<String>,
    pub starts_at: Option<String>,
    pub expires_at: Option<String>,
}

/// A group's rule as given: absent, valid, or invalid with why.
#[derive(Debug, Clone)]
pub enum RuleState {
    None,
    Valid(Rule),
    /// The rule does not parse or breaks a limit; the `invalid-rule` diagnostic says why.
    Invalid,
}

#[derive(Debug, Clone)]
pub struct Group {
    pub id: String,
    pub name: Localized,
    pub slug: Option<String>,
    pub description: Option<String>,
    pub avatar: Option<String>,
    pub is_active: bool,
    pub is_visible: bool,
    pub homepage_module: Option<String>,
    pub dashboard: Option<Value>,
    pub dashboard_draft: Option<Value>,
    pub members: Vec<MemberEntry>,
    pub include_groups: Vec<String>,
    pub rule: RuleState,
    pub roles: Vec<String>,
    pub products: Vec<String>,
    pub created_at: Option<String>,
    pub created_by: Option<String>,
    pub place: Place,
}

#[derive(Debug, Clone)]
pub struct Role {
    pub id: String,
    pub name: Localized,
    pub permissions: Vec<String>,
    pub privileged: bool,
    pub place: Place,
}

#[derive(Debug, Clone)]
pub struct Product {
    pub id: String,
    pub place: Place,
}

#[derive(Debug, Clone)]
pub struct Module {
    pub id: String,
    pub required_permission: Option<String>,
    pub place: Place,
}

/// A snapshot read and checked for shape.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    pub revision: Option<String>,
    pub as_of: Option<Instant>,
    pub default_locale: String,
    pub users: Vec<User>,
    pub groups: Vec<Group>,
    pub roles: Vec<Role>,
    pub products: Vec<Product>,
    pub modules: Option<Vec<Module>>,
    pub default_dashboard: Option<Value>,
    /// Every user's attributes by column, users by document position.
    pub attributes: AttrBuilder,
}

fn fatal(path: &str, message: impl Into<String>) -> Error {
    Error::new(ErrorCode::InvalidSnapshot, message).at(path)
}

/// Collects diagnostics during reading.
#[derive(Default)]
pub struct Findings {
    pub list: Vec<Diagnostic>,
}

impl Findings {
    pub fn push(
        &mut self,
        severity: Severity,
        code: &'static str,
        (order, path): (Vec<u32>, String),
        message: String,
    ) {
        self.list.push(Diagnostic {
            severity,
            code,
            message,
            path,
            order,
        });
    }
}

/// The keys of each list's items that diagnostics can point at.
pub const USER_KEYS: &[&str] = &[
    "id",
    "name",
    "orgRole",
    "attributes",
    "roles",
    "primaryGroup",
    "homepageModule",
    "preventHomepageRedirect",
    "dashboard",
    "locale",
];
pub const GROUP_KEYS: &[&str] = &[
    "id",
    "name",
    "slug",
    "description",
    "avatar",
    "isActive",
    "isVisible",
    "homepageModule",
    "dashboard",
    "dashboardDraft",
    "members",
    "includeGroups",
    "rule",
    "roles",
    "products",
    "createdAt",
    "createdBy",
];
pub const OTHER_KEYS: &[&str] = &[
    "id",
    "name",
    "permissions",
    "privileged",
    "requiredPermission",
];

/// A user as read, before the checks that need no JSON (SPEC §1.1).
#[derive(Debug, Clone, Default)]
pub struct RawUser {
    pub id: String,
    pub name: Option<String>,
    pub org_role: Option<String>,
    pub roles: Vec<String>,
    pub primary_group: Option<String>,
    pub homepage_module: Option<String>,
    pub prevent_homepage_redirect: bool,
    pub dashboard: Option<Value>,
    pub keys: Vec<(&'static str, u32)>,
}

/// A group as read.
#[derive(Debug, Clone)]
pub struct RawGroup {
    pub id: String,
    pub name: Option<Localized>,
    pub slug: Option<String>,
    pub description: Option<String>,
    pub avatar: Option<String>,
    pub is_active: bool,
    pub is_visible: bool,
    pub homepage_module: Option<String>,
    pub dashboard: Option<Value>,
    pub dashboard_draft: Option<Value>,
    pub members: Vec<MemberEntry>,
    pub include_groups: Vec<String>,
    pub rule: Option<Value>,
    pub roles: Vec<String>,
    pub products: Vec<String>,
    pub created_at: Option<String>,
    pub created_by: Option<String>,
    pub keys: Vec<(&'static str, u32)>,
}

impl Default for RawGroup {
    fn default() -> RawGroup {
        RawGroup {
            id: String::new(),
            name: None,
            slug: None,
            description: None,
            avatar: None,
            is_active: true,
            is_visible: true,
            homepage_module: None,
            dashboard: None,
            dashboard_draft: None,
            members: Vec::new(),
            include_groups: Vec::new(),
            rule: None,
            roles: Vec::new(),
            products: Vec::new(),
            created_at: None,
            created_by: None,
            keys: Vec::new(),
        }
    }
}

/// A role, product or module as read (they share a shape closely enough).
#[derive(Debug, Clone, Default)]
pub struct RawOther {
    pub id: String,
    pub name: Option<Localized>,
    pub permissions: Vec<String>,
    pub privileged: bool,
    pub required_permission: Option<String>,
    pub keys: Vec<(&'static str, u32)>,
}

/// A snapshot as read, in document order.
#[derive(Debug, Clone, Default)]
pub struct RawSnapshot {
    pub revision: Option<String>,
    pub as_of: Option<String>,
    pub default_locale: Option<String>,
    pub default_dashboard: Option<Value>,
    pub users: Vec<RawUser>,
    pub groups: Vec<RawGroup>,
    pub roles: Vec<RawOther>,
    pub products: Vec<RawOther>,
    pub modules: Option<Vec<RawOther>>,
    /// The position of each list among the snapshot's keys.
    pub sections: Vec<(&'static str, u32)>,
    /// Every user's attributes, gathered by column as they are read.
    pub attributes: AttrBuilder,
}

/// Reads a snapshot from JSON text: typed and streaming when the text is well formed, and
/// through a JSON tree, which can name the path of what is wrong, when it is not.
///
/// # Errors
///
/// `invalid-json`, `limit-exceeded`, or `invalid-snapshot` with the path of the first fatal
/// problem (SPEC §1.1).
pub fn read_text(text: &str, findings: &mut Findings) -> Result<Snapshot, Error> {
    crate::json::check_depth(text)?;
    let raw = match crate::wire::read(text) {
        Some(raw) => raw,
        None => read_tree(&crate::json::parse(text)?)?,
    };
    finish(raw, findings)
}

/// Reads a snapshot from a JSON tree (a host that already holds one).
///
/// # Errors
///
/// As [`read_text`].
pub fn read(value: &Value, findings: &mut Findings) -> Result<Snapshot, Error> {
    finish(read_tree(value)?, findings)
}

/// The fields of one JSON object, read with paths.
struct Obj<'a> {
    map: &'a Map<String, Value>,
    path: &'a str,
}

impl<'a> Obj<'a> {
    fn get(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }

    fn wrong(&self, key: &str, want: &str, got: &Value) -> Error {
        fatal(
            &path_key(self.path, key),
            format!("`{key}` must be {want}, not {}", type_name(got)),
        )
    }

    fn string(&self, key: &str) -> Result<Option<String>, Error> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(other) => Err(self.wrong(key, "a string", other)),
        }
    }

    fn boolean(&self, key: &str, default: bool) -> Result<bool, Error> {
        match self.get(key) {
            None => Ok(default),
            Some(Value::Bool(b)) => Ok(*b),
            Some(other) => Err(self.wrong(key, "a boolean", other)),
        }
    }

    fn array(&self, key: &str) -> Result<&'a [Value], Error> {
        match self.get(key) {
            None => Ok(&[]),
            Some(Value::Array(items)) => Ok(items),
            Some(other) => Err(self.wrong(key, "an array", other)),
        }
    }

    fn strings(&self, key: &str) -> Result<Vec<String>, Error> {
        let base = path_key(self.path, key);
        self.array(key)?
            .iter()
            .enumerate()
            .map(|(i, v)| match v {
                Value::String(s) => Ok(s.clone()),
                other => Err(fatal(
                    &path_index(&base, i),
                    format!("must be a string, not {}", type_name(other)),
                )),
            })
            .collect()
    }

    fn id(&self) -> Result<String, Error> {
        match self.map.get("id") {
            Some(Value::String(s)) => Ok(s.clone()),
            Some(other) => Err(fatal(
                &path_key(self.path, "id"),
                format!("`id` must be a string, not {}", type_name(other)),
            )),
            None => Err(fatal(self.path, "an item needs a string `id`")),
        }
    }

    fn localized(&self, key: &str) -> Result<Option<Localized>, Error> {
        let path = path_key(self.path, key);
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(Localized::Plain(s.clone()))),
            Some(Value::Object(map)) => {
                let mut entries = Vec::with_capacity(map.len());
                for (locale, text) in map {
                    match text {
                        Value::String(t) => entries.push((locale.clone(), t.clone())),
                        other => {
                            return Err(fatal(
                                &path_key(&path, locale),
                                format!("a localized name is a string, not {}", type_name(other)),
                            ))
                        }
                    }
                }
                Ok(Some(Localized::PerLocale(entries)))
            }
            Some(other) => Err(self.wrong(key, "a string or an object of locales", other)),
        }
    }

    /// The positions of the known keys among all of this object's keys.
    fn keys(&self, known: &[&'static str]) -> Vec<(&'static str, u32)> {
        self.map
            .keys()
            .enumerate()
            .filter_map(|(i, k)| {
                known
                    .iter()
                    .find(|n| **n == k)
                    .map(|n| (*n, u32::try_from(i).unwrap_or(u32::MAX)))
            })
            .collect()
    }
}

fn item_object<'a>(item: &'a Value, path: &'a str) -> Result<Obj<'a>, Error> {
    match item {
        Value::Object(map) => Ok(Obj { map, path }),
        other => Err(fatal(
            path,
            format!("an item must be an object, not {}", type_name(other)),
        )),
    }
}

/// Reads the tree, failing with the path of the first value of the wrong JSON type.
pub(crate) fn read_tree(value: &Value) -> Result<RawSnapshot, Error> {
    let Value::Object(map) = value else {
        return Err(fatal(
            "$",
            format!("a snapshot is an object, not {}", type_name(value)),
        ));
    };
    let top = Obj { map, path: "$" };
    let mut raw = RawSnapshot {
        revision: top.string("revision")?,
        as_of: top.string("asOf")?,
        default_locale: top.string("defaultLocale")?,
        sections: top.keys(&["users", "groups", "roles", "products", "modules"]),
        ..RawSnapshot::default()
    };
    match top.get("defaults") {
        None => {}
        Some(Value::Object(defaults)) => {
            raw.default_dashboard = defaults.get("dashboard").filter(|v| !v.is_null()).cloned();
        }
        Some(other) => return Err(top.wrong("defaults", "an object", other)),
    }
    for (i, item) in top.array("users")?.iter().enumerate() {
        let path = path_index("$.users", i);
        let obj = item_object(item, &path)?;
        let id = obj.id()?;
        match obj.get("attributes") {
            None => {}
            Some(Value::Object(attrs)) => {
                let user = u32::try_from(i).unwrap_or(u32::MAX);
                for (k, (key, value)) in attrs.iter().enumerate() {
                    let position = u32::try_from(k).unwrap_or(u32::MAX);
                    raw.attributes.push_value(user, position, key, value);
                }
            }
            Some(other) => return Err(obj.wrong("attributes", "an object", other)),
        }
        obj.string("locale")?;
        raw.users.push(RawUser {
            id,
            name: obj.string("name")?,
            org_role: obj.string("orgRole")?,
            roles: obj.strings("roles")?,
            primary_group: obj.string("primaryGroup")?,
            homepage_module: obj.string("homepageModule")?,
            prevent_homepage_redirect: obj.boolean("preventHomepageRedirect", false)?,
            dashboard: obj.get("dashboard").cloned(),
            keys: obj.keys(USER_KEYS),
        });
    }
    for (i, item) in top.array("groups")?.iter().enumerate() {
        let path = path_index("$.groups", i);
        let obj = item_object(item, &path)?;
        raw.groups.push(read_tree_group(&obj)?);
    }
    let others = |key: &str, raw_list: &mut Vec<RawOther>| -> Result<(), Error> {
        for (i, item) in top.array(key)?.iter().enumerate() {
            let path = path_index(&format!("$.{key}"), i);
            let obj = item_object(item, &path)?;
            let id = obj.id()?;
            let name = if key == "roles" {
                obj.localized("name")?
            } else {
                obj.string("name")?.map(Localized::Plain)
            };
            raw_list.push(RawOther {
                id,
                name,
                permissions: if key == "roles" {
                    obj.strings("permissions")?
                } else {
                    Vec::new()
                },
                privileged: if key == "roles" {
                    obj.boolean("privileged", false)?
                } else {
                    false
                },
                required_permission: if key == "modules" {
                    obj.string("requiredPermission")?
                } else {
                    None
                },
                keys: obj.keys(OTHER_KEYS),
            });
        }
        Ok(())
    };
    let mut roles = Vec::new();
    others("roles", &mut roles)?;
    let mut products = Vec::new();
    others("products", &mut products)?;
    raw.roles = roles;
    raw.products = products;
    if top.get("modules").is_some() {
        let mut modules = Vec::new();
        others("modules", &mut modules)?;
        raw.modules = Some(modules);
    }
    Ok(raw)
}

fn read_tree_group(obj: &Obj<'_>) -> Result<RawGroup, Error> {
    let id = obj.id()?;
    let members_path = path_key(obj.path, "members");
    let mut members = Vec::new();
    for (i, entry) in obj.array("members")?.iter().enumerate() {
        let entry_path = path_index(&members_path, i);
        members.push(match entry {
            Value::String(user) => MemberEntry {
                user: user.clone(),
                added_at: None,
                starts_at: None,
                expires_at: None,
            },
            Value::Object(map) => {
                let e = Obj {
                    map,
                    path: &entry_path,
                };
                let Some(user) = e.string("user")? else {
                    return Err(fatal(&entry_path, "a member entry needs a string `user`"));
                };
                MemberEntry {
                    user,
                    added_at: e.string("addedAt")?,
                    starts_at: e.string("startsAt")?,
                    expires_at: e.string("expiresAt")?,
                }
            }
            other => {
                return Err(fatal(
                    &entry_path,
                    format!(
                        "a member is a user id or an object, not {}",
                        type_name(other)
                    ),
                ))
            }
        });
    }
    Ok(RawGroup {
        name: obj.localized("name")?,
        slug: obj.string("slug")?,
        description: obj.string("description")?,
        avatar: obj.string("avatar")?,
        is_active: obj.boolean("isActive", true)?,
        is_visible: obj.boolean("isVisible", true)?,
        homepage_module: obj.string("homepageModule")?,
        dashboard: obj.get("dashboard").cloned(),
        dashboard_draft: obj.get("dashboardDraft").cloned(),
        members,
        include_groups: obj.strings("includeGroups")?,
        rule: obj.get("rule").cloned(),
        roles: obj.strings("roles")?,
        products: obj.strings("products")?,
        created_at: obj.string("createdAt")?,
        created_by: obj.string("createdBy")?,
        keys: obj.keys(GROUP_KEYS),
        id,
    })
}

/// The checks of SPEC §1.1 that need no JSON: names in the default locale, duplicate ids,
/// timestamps, and the non-fatal `invalid-value` and `invalid-rule` diagnostics.
fn finish(raw: RawSnapshot, findings: &mut Findings) -> Result<Snapshot, Error> {
    let section = |key: &str| {
        raw.sections
            .iter()
            .find(|(k, _)| *k == key)
            .map_or(u32::MAX, |(_, p)| *p)
    };
    let place = |list: &'static str, index: usize, keys: Vec<(&'static str, u32)>| Place {
        section: section(list),
        list,
        index: u32::try_from(index).unwrap_or(u32::MAX),
        keys,
    };
    let default_locale = raw.default_locale.unwrap_or_else(|| "en".to_owned());
    let mut snapshot = Snapshot {
        revision: raw.revision,
        default_locale,
        default_dashboard: raw.default_dashboard,
        ..Snapshot::default()
    };
    if let Some(as_of) = raw.as_of {
        snapshot.as_of = Some(parse_rfc3339(&as_of).ok_or_else(|| {
            fatal(
                "$.asOf",
                format!("`asOf` is not an RFC 3339 timestamp: `{as_of}`"),
            )
        })?);
    }
    let name_of = |name: Option<Localized>,
                   place: &Place,
                   default: &str|
     -> Result<Localized, Error> {
        match name {
            None => Err(fatal(&place.path(), "`name` is required")),
            Some(Localized::PerLocale(entries)) if !entries.iter().any(|(l, _)| l == default) => {
                Err(fatal(
                    &path_key(&place.path(), "name"),
                    format!("localized `name` lacks the default locale `{default}`"),
                ))
            }
            Some(name) => Ok(name),
        }
    };

    for (i, user) in raw.users.into_iter().enumerate() {
        let place = place("users", i, user.keys);
        let id = user.id;
        let org_role = match user.org_role.as_deref() {
            None | Some("member") => OrgRole::Member,
            Some("owner") => OrgRole::Owner,
            Some("admin") => OrgRole::Admin,
            Some(other) => {
                findings.push(
                    Severity::Warning,
                    "invalid-value",
                    place.at("orgRole", None),
                    format!("unknown orgRole `{other}` of user `{id}`; treated as `member`"),
                );
                OrgRole::Member
            }
        };
        snapshot.users.push(User {
            id,
            name: user.name,
            org_role,
            roles: user.roles,
            primary_group: user.primary_group,
            homepage_module: user.homepage_module,
            prevent_homepage_redirect: user.prevent_homepage_redirect,
            dashboard: user.dashboard,
            place,
        });
    }
    for (user, position, key, type_name) in &raw.attributes.invalid {
        let Some(owner) = snapshot.users.get(*user as usize) else {
            continue;
        };
        let (mut order, attr_path) = owner.place.at("attributes", None);
        order.push(*position);
        findings.push(
            Severity::Warning,
            "invalid-value",
            (order, path_key(&attr_path, key)),
            format!(
                "attribute `{key}` of user `{}` is {type_name}; ignored",
                owner.id
            ),
        );
    }
    snapshot.attributes = raw.attributes;
    for (i, group) in raw.groups.into_iter().enumerate() {
        let place = place("groups", i, group.keys);
        let name = name_of(group.name, &place, &snapshot.default_locale)?;
        let id = group.id;
        let rule = match group.rule {
            None | Some(Value::Null) => RuleState::None,
            Some(source) => {
                let (order, rule_path) = place.at("rule", None);
                match Rule::from_source(&source, &rule_path) {
                    Ok(rule) => RuleState::Valid(rule),
                    Err(error) => {
                        let mut message =
                            format!("rule of group `{id}` is invalid: {}", error.message);
                        if let (Some(line), Some(column)) = (error.line, error.column) {
                            message.push_str(&format!(" (line {line}, column {column})"));
                        }
                        findings.push(Severity::Error, "invalid-rule", (order, rule_path), message);
                        RuleState::Invalid
                    }
                }
            }
        };
        if let Some(text) = &group.created_at {
            if parse_rfc3339(text).is_none() {
                findings.push(
                    Severity::Warning,
                    "invalid-value",
                    place.at("createdAt", None),
                    format!("createdAt `{text}` of group `{id}` is not an RFC 3339 timestamp; ignored for sorting"),
                );
            }
        }
        snapshot.groups.push(Group {
            id,
            name,
            slug: group.slug,
            description: group.description,
            avatar: group.avatar,
            is_active: group.is_active,
            is_visible: group.is_visible,
            homepage_module: group.homepage_module,
            dashboard: group.dashboard,
            dashboard_draft: group.dashboard_draft,
            members: group.members,
            include_groups: group.include_groups,
            rule,
            roles: group.roles,
            products: group.products,
            created_at: group.created_at,
            created_by: group.created_by,
            place,
        });
    }
    for (i, role) in raw.roles.into_iter().enumerate() {
        let place = place("roles", i, role.keys);
        let name = name_of(role.name, &place, &snapshot.default_locale)?;
        snapshot.roles.push(Role {
            id: role.id,
            name,
            permissions: role.permissions,
            privileged: role.privileged,
            place,
        });
    }
    for (i, product) in raw.products.into_iter().enumerate() {
        snapshot.products.push(Product {
            id: product.id,
            place: place("products", i, product.keys),
        });
    }
    if let Some(modules) = raw.modules {
        snapshot.modules = Some(
            modules
                .into_iter()
                .enumerate()
                .map(|(i, m)| Module {
                    id: m.id,
                    required_permission: m.required_permission,
                    place: place("modules", i, m.keys),
                })
                .collect(),
        );
    }

    check_unique("users", snapshot.users.iter().map(|u| (&u.id, &u.place)))?;
    check_unique("groups", snapshot.groups.iter().map(|g| (&g.id, &g.place)))?;
    check_unique("roles", snapshot.roles.iter().map(|r| (&r.id, &r.place)))?;
    check_unique(
        "products",
        snapshot.products.iter().map(|p| (&p.id, &p.place)),
    )?;
    if let Some(modules) = &snapshot.modules {
        check_unique("modules", modules.iter().map(|m| (&m.id, &m.place)))?;
    }
    check_slugs(&mut snapshot.groups, findings);
    Ok(snapshot)
}

fn check_unique<'a>(
    what: &str,
    items: impl Iterator<Item = (&'a String, &'a Place)>,
) -> Result<(), Error> {
    let mut seen: crate::hash::FxSet<&str> = crate::hash::FxSet::default();
    for (id, place) in items {
        if !seen.insert(id.as_str()) {
            return Err(fatal(
                &path_key(&place.path(), "id"),
                format!("duplicate id `{id}` among {what}"),
            ));
        }
    }
    Ok(())
}

fn check_slugs(groups: &mut [Group], findings: &mut Findings) {
    let mut seen = crate::hash::FxSet::default();
    for group in groups {
        let Some(slug) = group.slug.clone() else {
            continue;
        };
        let well_formed = !slug.is_empty()
            && slug.split('-').all(|part| {
                !part.is_empty()
                    && part
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
            });
        if !well_formed {
            findings.push(
                Severity::Warning,
                "invalid-value",
                group.place.at("slug", None),
                format!("slug `{slug}` of group `{}` is not of the form `a-z0-9` words joined by `-`; ignored", group.id),
            );
            group.slug = None;
        } else if !seen.insert(slug.clone()) {
            findings.push(
                Severity::Warning,
                "invalid-value",
                group.place.at("slug", None),
                format!(
                    "slug `{slug}` of group `{}` is already used by another group; ignored",
                    group.id
                ),
            );
            group.slug = None;
        }
    }
}
