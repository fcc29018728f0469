//! The snapshot a host hands over (SPEC §1), read from JSON into plain Rust types.
//!
//! One reader ([`read`]) streams JSON text straight into these types, with no JSON tree in
//! between, and still names the JSON path of the first fatal problem (SPEC §1.1). The same
//! visitors read one item of a change list (an upserted user or group) from a parsed request.
//!
//! This module owns the checks that need no cross-reference: JSON types, ids, names in the
//! default locale, duplicate ids, timestamps, and the item-local diagnostics (`invalid-value`,
//! `invalid-rule`), kept with each item as [`Note`]s. References between items are resolved by
//! the model, which reports what dangles.
//! Keys this contract does not know are ignored; `null` counts as absent.

mod read;

pub use read::{read_item, read_snapshot, Item, ItemKind};

use serde_json::Value;

use crate::error::{Error, ErrorCode};
use crate::json::{path_index, path_key, Canonical};
use crate::rules::Rule;
use crate::time::{parse_rfc3339, Instant};

/// How bad a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// The item is not evaluated as written.
    Error,
    /// The item is evaluated, but probably not as meant.
    Warning,
}

impl Severity {
    /// `error` or `warning`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// Where inside an item a diagnostic points: a known key, an element of it, and a sub-key
/// (an attribute's key, or a member entry's timestamp).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct At {
    /// The item's key.
    pub key: &'static str,
    /// The element of a list under that key.
    pub element: Option<u32>,
    /// A key inside that, with its rank among its siblings: the order §1 lists a member
    /// entry's timestamps in, and 0 for attributes, which then go by key.
    pub sub: Option<(String, u32)>,
}

impl At {
    /// The key itself.
    pub fn key(key: &'static str) -> At {
        At {
            key,
            element: None,
            sub: None,
        }
    }

    /// An element of the key's list.
    pub fn element(key: &'static str, element: usize) -> At {
        At {
            key,
            element: Some(u32::try_from(element).unwrap_or(u32::MAX)),
            sub: None,
        }
    }

    /// The path below an item's own path.
    pub fn path(&self, item: &str) -> String {
        let mut path = path_key(item, self.key);
        if let Some(e) = self.element {
            path = path_index(&path, e as usize);
        }
        if let Some((sub, _)) = &self.sub {
            path = path_key(&path, sub);
        }
        path
    }
}

/// A diagnostic about one item, located inside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// Error or warning.
    pub severity: Severity,
    /// The stable code (`invalid-value`, `dangling-reference`, …).
    pub code: &'static str,
    /// What is wrong.
    pub message: String,
    /// Where in the item.
    pub at: At,
}

/// The keys of a user that diagnostics can point at, in the order §1 lists them: the order of
/// one user's diagnostics.
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

/// The keys of a group.
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

/// The keys of a role, product or module.
pub const OTHER_KEYS: &[&str] = &[
    "id",
    "name",
    "permissions",
    "privileged",
    "requiredPermission",
];

/// A name given as plain text or per locale.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Localized {
    /// One text for every locale.
    Plain(String),
    /// `(locale, text)` in document order.
    PerLocale(Vec<(String, String)>),
}

impl Default for Localized {
    fn default() -> Localized {
        Localized::Plain(String::new())
    }
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
    pub fn texts(&self) -> impl Iterator<Item = &str> {
        let (plain, entries) = match self {
            Localized::Plain(s) => (Some(s.as_str()), &[][..]),
            Localized::PerLocale(entries) => (None, entries.as_slice()),
        };
        plain
            .into_iter()
            .chain(entries.iter().map(|(_, t)| t.as_str()))
    }

    /// The locales the name is given in (the default locale for plain text).
    pub fn locales<'a>(&'a self, default_locale: &'a str) -> impl Iterator<Item = &'a str> {
        let (plain, entries) = match self {
            Localized::Plain(_) => (Some(default_locale), &[][..]),
            Localized::PerLocale(entries) => (None, entries.as_slice()),
        };
        plain
            .into_iter()
            .chain(entries.iter().map(|(l, _)| l.as_str()))
    }
}

/// `owner`, `admin` or `member`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OrgRole {
    /// Owners may use every product.
    Owner,
    /// Admins may use every product.
    Admin,
    /// Members get what their groups give.
    #[default]
    Member,
}

impl OrgRole {
    /// The wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            OrgRole::Owner => "owner",
            OrgRole::Admin => "admin",
            OrgRole::Member => "member",
        }
    }

    /// From [`OrgRole::as_str`].
    pub fn from_str(text: &str) -> Option<OrgRole> {
        match text {
            "owner" => Some(OrgRole::Owner),
            "admin" => Some(OrgRole::Admin),
            "member" => Some(OrgRole::Member),
            _ => None,
        }
    }
}

/// A timestamp as written, and its instant when it parses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stamp {
    /// The text.
    pub text: String,
    /// The instant, when the text is RFC 3339.
    pub instant: Option<Instant>,
}

impl Stamp {
    /// A stamp from text.
    pub fn new(text: String) -> Stamp {
        let instant = parse_rfc3339(&text);
        Stamp { text, instant }
    }
}

/// One entry of a group's `members`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberEntry {
    /// The user's id.
    pub user: Box<str>,
    /// `addedAt`, `startsAt` and `expiresAt`, when the entry has any (most have none, so they
    /// are held apart and the entry stays small).
    pub stamps: Option<Box<[Option<Stamp>; 3]>>,
}

impl MemberEntry {
    /// An entry with no timestamps.
    pub fn plain(user: &str) -> MemberEntry {
        MemberEntry {
            user: user.into(),
            stamps: None,
        }
    }

    /// The timestamps: `addedAt`, `startsAt`, `expiresAt`.
    pub fn stamps(&self) -> [Option<&Stamp>; 3] {
        match &self.stamps {
            Some(s) => {
                let [a, b, c] = &**s;
                [a.as_ref(), b.as_ref(), c.as_ref()]
            }
            None => [None, None, None],
        }
    }
}

/// A group's rule as given.
#[derive(Debug, Clone, PartialEq)]
pub enum RuleSource {
    /// No rule.
    None,
    /// A rule that parsed and respects the limits.
    Valid(Rule),
    /// A rule that does not; its `invalid-rule` note says why.
    Invalid,
}

/// A user as read.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct User {
    /// The id.
    pub id: String,
    /// The display name.
    pub name: Option<String>,
    /// The org role (an unknown one reads as `member`, with a note).
    pub org_role: OrgRole,
    /// Directly assigned role ids.
    pub roles: Vec<String>,
    /// The organizational home group.
    pub primary_group: Option<String>,
    /// The user's own landing module.
    pub homepage_module: Option<String>,
    /// Whether the user is never redirected.
    pub prevent_homepage_redirect: bool,
    /// The user's own dashboard.
    pub dashboard: Option<Canonical>,
    /// The preferred locale.
    pub locale: Option<String>,
    /// An `orgRole` this contract does not know, as written (the user reads as a member).
    pub unknown_org_role: Option<String>,
    /// Attributes of a type §1 does not allow, as written: ignored by rules, kept so that the
    /// snapshot written back carries them and their diagnostics.
    pub ignored_attributes: Vec<(String, Canonical)>,
    /// Item-local diagnostics.
    pub notes: Vec<Note>,
}

/// A group as read.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    /// The id.
    pub id: String,
    /// The name.
    pub name: Localized,
    /// The slug as written (a malformed one is ignored, with a note: [`slug_well_formed`]).
    pub slug: Option<String>,
    /// Carried to listings; searchable.
    pub description: Option<String>,
    /// Carried to listings.
    pub avatar: Option<String>,
    /// Whether the group grants anything.
    pub is_active: bool,
    /// Whether listings show it by default.
    pub is_visible: bool,
    /// The shared landing module.
    pub homepage_module: Option<String>,
    /// The published dashboard.
    pub dashboard: Option<Canonical>,
    /// The editor's working copy.
    pub dashboard_draft: Option<Canonical>,
    /// Manual member entries, in document order.
    pub members: Vec<MemberEntry>,
    /// Included group ids, in document order.
    pub include_groups: Vec<String>,
    /// The dynamic rule.
    pub rule: RuleSource,
    /// The rule as written when it is text or invalid (a valid AST is written back from the
    /// rule itself).
    pub rule_source: Option<Canonical>,
    /// Role ids every member inherits.
    pub roles: Vec<String>,
    /// Product ids every member may use.
    pub products: Vec<String>,
    /// When the group was made, as written.
    pub created_at: Option<String>,
    /// Who made it.
    pub created_by: Option<String>,
    /// Item-local diagnostics.
    pub notes: Vec<Note>,
}

impl Default for Group {
    fn default() -> Group {
        Group {
            id: String::new(),
            name: Localized::default(),
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
            rule: RuleSource::None,
            rule_source: None,
            roles: Vec::new(),
            products: Vec::new(),
            created_at: None,
            created_by: None,
            notes: Vec::new(),
        }
    }
}

/// A role as read.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Role {
    /// The id.
    pub id: String,
    /// The name.
    pub name: Localized,
    /// The permissions it grants, as written.
    pub permissions: Vec<String>,
    /// Whether lint should watch who holds it.
    pub privileged: bool,
}

/// A product as read.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Product {
    /// The id.
    pub id: String,
    /// The display name.
    pub name: Option<String>,
}

/// A homepage module as read.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Module {
    /// The id.
    pub id: String,
    /// The display name.
    pub name: Option<String>,
    /// The permission a user needs for the module to be valid.
    pub required_permission: Option<String>,
}

/// Every user's attributes, by column, as read: each key with its distinct values and the
/// `(user, value)` cells, users by their position in [`Snapshot::users`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AttrTable {
    /// One column per key, in order of first appearance.
    pub columns: Vec<AttrColumn>,
}

/// One attribute key as read.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AttrColumn {
    /// The key.
    pub key: String,
    /// Its distinct values.
    pub values: Vec<Value>,
    /// `(user position, value index)`, by user.
    pub cells: Vec<(u32, u32)>,
}

/// A snapshot read and checked for shape.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Snapshot {
    /// The opaque version, echoed in every answer.
    pub revision: Option<String>,
    /// The evaluation instant, as written and as an instant.
    pub as_of: Option<Stamp>,
    /// The locale every localized name has.
    pub default_locale: String,
    /// The tenant's default dashboard.
    pub default_dashboard: Option<Canonical>,
    /// Users, in document order.
    pub users: Vec<User>,
    /// Groups, in document order.
    pub groups: Vec<Group>,
    /// Roles, in document order.
    pub roles: Vec<Role>,
    /// Products, in document order.
    pub products: Vec<Product>,
    /// Modules, when the snapshot lists them.
    pub modules: Option<Vec<Module>>,
    /// Every user's attributes.
    pub attributes: AttrTable,
}

/// The `invalid-snapshot` error at `path`.
pub(crate) fn fatal(path: &str, message: impl Into<String>) -> Error {
    Error::new(ErrorCode::InvalidSnapshot, message).at(path)
}

/// The item-local checks that follow reading a group: the rule, timestamps, the slug's form.
pub(crate) fn group_notes(group: &mut Group, rule: Option<Value>) {
    group.rule_source = match &rule {
        Some(text @ Value::String(_)) => Some(Canonical::of(text)),
        _ => None,
    };
    group.rule = match rule {
        None | Some(Value::Null) => RuleSource::None,
        Some(source) => match Rule::from_source(&source, "$") {
            Ok(rule) => RuleSource::Valid(rule),
            Err(error) => {
                group.rule_source = Some(Canonical::of(&source));
                let mut message = format!(
                    "rule of group `{}` is invalid: {}",
                    group.id,
                    error.message()
                );
                if let (Some(line), Some(column)) = (error.line(), error.column()) {
                    message.push_str(&format!(" (line {line}, column {column})"));
                }
                group.notes.push(Note {
                    severity: Severity::Error,
                    code: "invalid-rule",
                    message,
                    at: At::key("rule"),
                });
                RuleSource::Invalid
            }
        },
    };
    for (j, entry) in group.members.iter().enumerate() {
        for (k, (key, stamp)) in ["addedAt", "startsAt", "expiresAt"]
            .into_iter()
            .zip(entry.stamps())
            .enumerate()
        {
            if let Some(stamp) = stamp.filter(|s| s.instant.is_none()) {
                group.notes.push(Note {
                    severity: Severity::Warning,
                    code: "invalid-value",
                    message: format!(
                        "`{key}` of a member entry of group `{}` is not an RFC 3339 timestamp: `{}`",
                        group.id, stamp.text
                    ),
                    at: At {
                        key: "members",
                        element: Some(u32::try_from(j).unwrap_or(u32::MAX)),
                        sub: Some((key.to_owned(), u32::try_from(k).unwrap_or(0))),
                    },
                });
            }
        }
    }
    if let Some(text) = &group.created_at {
        if parse_rfc3339(text).is_none() {
            group.notes.push(Note {
                severity: Severity::Warning,
                code: "invalid-value",
                message: format!("createdAt `{text}` of group `{}` is not an RFC 3339 timestamp; ignored for sorting", group.id),
                at: At::key("createdAt"),
            });
        }
    }
    if let Some(slug) = &group.slug {
        if !slug_well_formed(slug) {
            group.notes.push(Note {
                severity: Severity::Warning,
                code: "invalid-value",
                message: format!("slug `{slug}` of group `{}` is not of the form `a-z0-9` words joined by `-`; ignored", group.id),
                at: At::key("slug"),
            });
        }
    }
}

/// Whether a slug is `[a-z0-9]+(-[a-z0-9]+)*`.
pub fn slug_well_formed(slug: &str) -> bool {
    !slug.is_empty()
        && slug.split('-').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

/// The fatal check of a name: present, and with the default locale when given per locale.
pub(crate) fn check_name(
    name: Option<&Localized>,
    item: &str,
    default_locale: &str,
) -> Result<(), Error> {
    match name {
        None => Err(fatal(item, "`name` is required")),
        Some(Localized::PerLocale(entries))
            if !entries.iter().any(|(l, _)| l == default_locale) =>
        {
            Err(fatal(
                &path_key(item, "name"),
                format!("localized `name` lacks the default locale `{default_locale}`"),
            ))
        }
        Some(_) => Ok(()),
    }
}
