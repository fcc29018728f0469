//! The snapshot a host hands over (SPEC §1), read from JSON into plain Rust types.
//!
//! This module owns the fatal checks of §1.1 (wrong JSON types, missing or duplicate ids,
//! names lacking the default locale, a malformed `asOf`) and the diagnostics that need no
//! cross-reference (`invalid-value`). References between items are resolved by
//! `crate::directory`, which reports what dangles.
//! Keys this contract does not know are ignored; `null` counts as absent.

use serde_json::{Map, Value};

use crate::error::{Error, ErrorCode};
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

/// Where an item sits in the document: its index in its list, and the position of each of
/// its keys, so that diagnostics found later can be put in document order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Place {
    pub section: u32,
    pub index: u32,
    pub path: String,
    keys: Vec<(String, u32)>,
}

impl Place {
    /// The order key and path of `key` (and optionally an element of it) within this item.
    pub fn at(&self, key: &str, element: Option<usize>) -> (Vec<u32>, String) {
        let key_pos = self
            .keys
            .iter()
            .find(|(k, _)| k == key)
            .map_or(u32::MAX, |(_, p)| *p);
        let mut order = vec![self.section, self.index, key_pos];
        let mut path = path_key(&self.path, key);
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
    /// Attributes of the types §1 allows, in document order; others were dropped with a warning.
    pub attributes: Vec<(String, Value)>,
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
}

fn fatal(path: &str, message: impl Into<String>) -> Error {
    Error::new(ErrorCode::InvalidSnapshot, message).at(path)
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

    fn place(&self, section: u32, index: usize) -> Place {
        Place {
            section,
            index: u32::try_from(index).unwrap_or(u32::MAX),
            path: self.path.to_owned(),
            keys: self
                .map
                .keys()
                .enumerate()
                .map(|(i, k)| (k.clone(), u32::try_from(i).unwrap_or(u32::MAX)))
                .collect(),
        }
    }
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

/// Reads a snapshot from parsed JSON.
///
/// # Errors
///
/// `invalid-snapshot` with the path of the first fatal problem (SPEC §1.1).
pub fn read(value: &Value, findings: &mut Findings) -> Result<Snapshot, Error> {
    let Value::Object(map) = value else {
        return Err(fatal(
            "$",
            format!("a snapshot is an object, not {}", type_name(value)),
        ));
    };
    let top = Obj { map, path: "$" };
    let section = |key: &str| -> u32 {
        map.keys()
            .position(|k| k == key)
            .map_or(u32::MAX, |p| u32::try_from(p).unwrap_or(u32::MAX))
    };
    let mut snapshot = Snapshot {
        revision: top.string("revision")?,
        default_locale: top
            .string("defaultLocale")?
            .unwrap_or_else(|| "en".to_owned()),
        ..Snapshot::default()
    };
    if let Some(as_of) = top.string("asOf")? {
        snapshot.as_of = Some(parse_rfc3339(&as_of).ok_or_else(|| {
            fatal(
                "$.asOf",
                format!("`asOf` is not an RFC 3339 timestamp: `{as_of}`"),
            )
        })?);
    }
    match top.get("defaults") {
        None => {}
        Some(Value::Object(defaults)) => {
            snapshot.default_dashboard =
                defaults.get("dashboard").filter(|v| !v.is_null()).cloned();
        }
        Some(other) => return Err(top.wrong("defaults", "an object", other)),
    }

    let users_pos = section("users");
    for (i, item) in top.array("users")?.iter().enumerate() {
        let path = path_index("$.users", i);
        let obj = item_object(item, &path)?;
        snapshot
            .users
            .push(read_user(&obj, users_pos, i, findings)?);
    }
    let groups_pos = section("groups");
    for (i, item) in top.array("groups")?.iter().enumerate() {
        let path = path_index("$.groups", i);
        let obj = item_object(item, &path)?;
        snapshot.groups.push(read_group(
            &obj,
            groups_pos,
            i,
            &snapshot.default_locale,
            findings,
        )?);
    }
    let roles_pos = section("roles");
    for (i, item) in top.array("roles")?.iter().enumerate() {
        let path = path_index("$.roles", i);
        let obj = item_object(item, &path)?;
        snapshot.roles.push(Role {
            id: obj.id()?,
            name: localized(&obj, "name", &snapshot.default_locale)?,
            permissions: obj.strings("permissions")?,
            privileged: obj.boolean("privileged", false)?,
            place: obj.place(roles_pos, i),
        });
    }
    let products_pos = section("products");
    for (i, item) in top.array("products")?.iter().enumerate() {
        let path = path_index("$.products", i);
        let obj = item_object(item, &path)?;
        obj.string("name")?;
        snapshot.products.push(Product {
            id: obj.id()?,
            place: obj.place(products_pos, i),
        });
    }
    if top.get("modules").is_some() {
        let modules_pos = section("modules");
        let mut modules = Vec::new();
        for (i, item) in top.array("modules")?.iter().enumerate() {
            let path = path_index("$.modules", i);
            let obj = item_object(item, &path)?;
            obj.string("name")?;
            modules.push(Module {
                id: obj.id()?,
                required_permission: obj.string("requiredPermission")?,
                place: obj.place(modules_pos, i),
            });
        }
        snapshot.modules = Some(modules);
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

fn item_object<'a>(item: &'a Value, path: &'a str) -> Result<Obj<'a>, Error> {
    match item {
        Value::Object(map) => Ok(Obj { map, path }),
        other => Err(fatal(
            path,
            format!("an item must be an object, not {}", type_name(other)),
        )),
    }
}

fn check_unique<'a>(
    what: &str,
    items: impl Iterator<Item = (&'a String, &'a Place)>,
) -> Result<(), Error> {
    let mut seen: crate::hash::FxSet<&str> = crate::hash::FxSet::default();
    for (id, place) in items {
        if !seen.insert(id.as_str()) {
            return Err(fatal(
                &path_key(&place.path, "id"),
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

fn localized(obj: &Obj<'_>, key: &str, default_locale: &str) -> Result<Localized, Error> {
    let path = path_key(obj.path, key);
    match obj.get(key) {
        None => Err(fatal(obj.path, format!("`{key}` is required"))),
        Some(Value::String(s)) => Ok(Localized::Plain(s.clone())),
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
            if !map.contains_key(default_locale) {
                return Err(fatal(
                    &path,
                    format!("localized `{key}` lacks the default locale `{default_locale}`"),
                ));
            }
            Ok(Localized::PerLocale(entries))
        }
        Some(other) => Err(obj.wrong(key, "a string or an object of locales", other)),
    }
}

fn read_user(
    obj: &Obj<'_>,
    section: u32,
    index: usize,
    findings: &mut Findings,
) -> Result<User, Error> {
    let id = obj.id()?;
    let place = obj.place(section, index);
    let org_role = match obj.string("orgRole")?.as_deref() {
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
    // `locale` names no field of this contract's answers about a user; its type is still checked.
    obj.string("locale")?;
    let mut attributes = Vec::new();
    match obj.get("attributes") {
        None => {}
        Some(Value::Object(map)) => {
            let attr_path = path_key(obj.path, "attributes");
            let attr_pos = place.at("attributes", None).0;
            for (k_index, (key, value)) in map.iter().enumerate() {
                if attribute_ok(value) {
                    attributes.push((key.clone(), value.clone()));
                } else {
                    let mut order = attr_pos.clone();
                    order.push(u32::try_from(k_index).unwrap_or(u32::MAX));
                    findings.push(
                        Severity::Warning,
                        "invalid-value",
                        (order, path_key(&attr_path, key)),
                        format!(
                            "attribute `{key}` of user `{id}` is {}; ignored",
                            type_name(value)
                        ),
                    );
                }
            }
        }
        Some(other) => return Err(obj.wrong("attributes", "an object", other)),
    }
    Ok(User {
        name: obj.string("name")?,
        org_role,
        attributes,
        roles: obj.strings("roles")?,
        primary_group: obj.string("primaryGroup")?,
        homepage_module: obj.string("homepageModule")?,
        prevent_homepage_redirect: obj.boolean("preventHomepageRedirect", false)?,
        dashboard: obj.get("dashboard").cloned(),
        place,
        id,
    })
}

/// Attribute values §1 allows: string, number, boolean, null, or an array of strings/numbers.
fn attribute_ok(value: &Value) -> bool {
    match value {
        Value::Null | Value::Bool(_) | Value::Number(_) | Value::String(_) => true,
        Value::Array(items) => items
            .iter()
            .all(|v| matches!(v, Value::String(_) | Value::Number(_))),
        Value::Object(_) => false,
    }
}

fn read_group(
    obj: &Obj<'_>,
    section: u32,
    index: usize,
    default_locale: &str,
    findings: &mut Findings,
) -> Result<Group, Error> {
    let id = obj.id()?;
    let place = obj.place(section, index);
    let name = localized(obj, "name", default_locale)?;
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
    let rule = match obj.get("rule") {
        None => RuleState::None,
        Some(source) => {
            let rule_path = path_key(obj.path, "rule");
            match Rule::from_source(source, &rule_path) {
                Ok(rule) => RuleState::Valid(rule),
                Err(error) => {
                    let mut message = format!("rule of group `{id}` is invalid: {}", error.message);
                    if let (Some(line), Some(column)) = (error.line, error.column) {
                        message.push_str(&format!(" (line {line}, column {column})"));
                    }
                    findings.push(
                        Severity::Error,
                        "invalid-rule",
                        place.at("rule", None),
                        message,
                    );
                    RuleState::Invalid
                }
            }
        }
    };
    let created_at = obj.string("createdAt")?;
    if let Some(text) = &created_at {
        if parse_rfc3339(text).is_none() {
            findings.push(
                Severity::Warning,
                "invalid-value",
                place.at("createdAt", None),
                format!("createdAt `{text}` of group `{id}` is not an RFC 3339 timestamp; ignored for sorting"),
            );
        }
    }
    Ok(Group {
        name,
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
        rule,
        roles: obj.strings("roles")?,
        products: obj.strings("products")?,
        created_at,
        created_by: obj.string("createdBy")?,
        place,
        id,
    })
}
