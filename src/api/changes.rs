//! Reading a change list (SPEC §7.2): each element an object with exactly one change kind,
//! each body read against the fields its kind knows. Upserted items are read by the snapshot
//! reader, as a snapshot's items are.

use serde_json::Value;

use crate::error::{Error, ErrorCode};
use crate::json::{path_index, path_key, type_name, Canonical};
use crate::model::{Change, Tenant};
use crate::rules::Rule;
use crate::snapshot::{read_item, Item, ItemKind, Stamp};
use crate::time::parse_rfc3339;

use super::request::Request;

/// The kinds of change, as spelled on the wire.
const KINDS: &[&str] = &[
    "addMember",
    "removeMember",
    "addInclude",
    "removeInclude",
    "setRule",
    "addGroupRole",
    "removeGroupRole",
    "addGroupProduct",
    "removeGroupProduct",
    "setGroupActive",
    "upsertUser",
    "removeUser",
    "upsertGroup",
    "removeGroup",
    "upsertRole",
    "removeRole",
    "upsertProduct",
    "removeProduct",
    "setAsOf",
];

/// A change list read from a request, with each change's kind (for error paths).
pub struct Changes {
    /// The changes, in order.
    pub list: Vec<Change>,
    /// Each change's kind, as spelled.
    pub kinds: Vec<&'static str>,
}

/// Reads `changes` (the value under `$.changes`).
///
/// # Errors
///
/// `invalid-request` at the path of the first malformed change; rule errors in `setRule`.
pub fn read_changes(t: &Tenant, value: &Value) -> Result<Changes, Error> {
    let Value::Array(items) = value else {
        return Err(Error::invalid_request(
            "$.changes",
            format!("`changes` must be an array, not {}", type_name(value)),
        ));
    };
    let mut list = Vec::with_capacity(items.len());
    let mut kinds = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let path = path_index("$.changes", i);
        let (kind, change) = read_change(t, item, &path)?;
        list.push(change);
        kinds.push(kind);
    }
    Ok(Changes { list, kinds })
}

fn read_change(t: &Tenant, item: &Value, path: &str) -> Result<(&'static str, Change), Error> {
    let Value::Object(map) = item else {
        return Err(Error::invalid_request(
            path,
            format!("a change is an object, not {}", type_name(item)),
        ));
    };
    let mut keys = map.keys();
    let (Some(key), None) = (keys.next(), keys.next()) else {
        return Err(Error::invalid_request(
            path,
            "a change is an object with exactly one change kind",
        ));
    };
    let Some(&kind) = KINDS.iter().find(|k| **k == key) else {
        return Err(Error::invalid_request(
            path_key(path, key),
            format!("unknown change kind `{key}`"),
        ));
    };
    let body = map.get(key).unwrap_or(&Value::Null);
    let at = path_key(path, kind);
    let change = match kind {
        "addMember" => {
            let mut b = Request::at(body, &at, &["group", "user", "startsAt", "expiresAt"])?;
            let group = b.required_str("group")?.to_owned();
            let user = b.required_str("user")?.to_owned();
            let starts_at = stamp(&mut b, "startsAt")?;
            let expires_at = stamp(&mut b, "expiresAt")?;
            Change::AddMember {
                group,
                user,
                starts_at,
                expires_at,
            }
        }
        "removeMember" => {
            let (group, user) = pair(body, &at, "user")?;
            Change::RemoveMember { group, user }
        }
        "addInclude" | "removeInclude" => {
            let (group, source) = pair(body, &at, "source")?;
            if kind == "addInclude" {
                Change::AddInclude { group, source }
            } else {
                Change::RemoveInclude { group, source }
            }
        }
        "setRule" => {
            let mut b = Request::at(body, &at, &["group", "rule"])?;
            let group = b.required_str("group")?.to_owned();
            if !b.has("rule") {
                return Err(Error::invalid_request(
                    &at,
                    "`rule` is required (null removes the rule)",
                ));
            }
            let (rule, source) = match b.raw("rule") {
                None | Some(Value::Null) => (None, None),
                Some(source) => (
                    Some(Rule::from_source(source, &path_key(&at, "rule"))?),
                    source.is_string().then(|| Canonical::of(source)),
                ),
            };
            Change::SetRule {
                group,
                rule,
                source,
            }
        }
        "addGroupRole" | "removeGroupRole" => {
            let (group, role) = pair(body, &at, "role")?;
            if kind == "addGroupRole" {
                Change::AddGroupRole { group, role }
            } else {
                Change::RemoveGroupRole { group, role }
            }
        }
        "addGroupProduct" | "removeGroupProduct" => {
            let (group, product) = pair(body, &at, "product")?;
            if kind == "addGroupProduct" {
                Change::AddGroupProduct { group, product }
            } else {
                Change::RemoveGroupProduct { group, product }
            }
        }
        "setGroupActive" => {
            let mut b = Request::at(body, &at, &["group", "active"])?;
            let group = b.required_str("group")?.to_owned();
            let active = match b.required("active")? {
                Value::Bool(active) => *active,
                other => {
                    return Err(Error::invalid_request(
                        path_key(&at, "active"),
                        format!("`active` must be a boolean, not {}", type_name(other)),
                    ))
                }
            };
            Change::SetGroupActive { group, active }
        }
        "upsertUser" | "upsertGroup" | "upsertRole" | "upsertProduct" => {
            let item_kind = match kind {
                "upsertUser" => ItemKind::User,
                "upsertGroup" => ItemKind::Group,
                "upsertRole" => ItemKind::Role,
                _ => ItemKind::Product,
            };
            let item = read_item(item_kind, body, &at, t.default_locale())
                .map_err(|e| e.with_code(ErrorCode::InvalidRequest))?;
            match item {
                Item::User(user, attrs) => Change::UpsertUser(user, attrs),
                Item::Group(group) => Change::UpsertGroup(group),
                Item::Role(role) => Change::UpsertRole(role),
                Item::Product(product) => Change::UpsertProduct(product),
            }
        }
        "removeUser" | "removeGroup" | "removeRole" | "removeProduct" => {
            let Value::String(id) = body else {
                return Err(Error::invalid_request(
                    &at,
                    format!("`{kind}` takes an id, not {}", type_name(body)),
                ));
            };
            let id = id.clone();
            match kind {
                "removeUser" => Change::RemoveUser(id),
                "removeGroup" => Change::RemoveGroup(id),
                "removeRole" => Change::RemoveRole(id),
                _ => Change::RemoveProduct(id),
            }
        }
        _ => match body {
            Value::Null => Change::SetAsOf(None),
            Value::String(text) => match parse_rfc3339(text) {
                Some(instant) => Change::SetAsOf(Some(Stamp {
                    text: text.clone(),
                    instant: Some(instant),
                })),
                None => {
                    return Err(Error::invalid_request(
                        &at,
                        format!("`setAsOf` is not an RFC 3339 timestamp: `{text}`"),
                    ))
                }
            },
            other => {
                return Err(Error::invalid_request(
                    &at,
                    format!(
                        "`setAsOf` takes a timestamp or null, not {}",
                        type_name(other)
                    ),
                ))
            }
        },
    };
    Ok((kind, change))
}

/// `{ group, <second> }`, both strings.
fn pair(body: &Value, at: &str, second: &'static str) -> Result<(String, String), Error> {
    let mut b = Request::at(body, at, &["group", second])?;
    Ok((
        b.required_str("group")?.to_owned(),
        b.required_str(second)?.to_owned(),
    ))
}

/// An RFC 3339 timestamp under `key`, if any.
fn stamp(b: &mut Request<'_>, key: &'static str) -> Result<Option<Stamp>, Error> {
    let Some(text) = b.optional_str(key)? else {
        return Ok(None);
    };
    if parse_rfc3339(text).is_none() {
        return Err(Error::invalid_request(
            b.key_path(key),
            format!("`{key}` is not an RFC 3339 timestamp: `{text}`"),
        ));
    }
    Ok(Some(Stamp::new(text.to_owned())))
}

/// The path of a change's failure: the change's body, and the field when one is at fault.
pub fn failure_path(kinds: &[&str], index: usize, field: Option<&str>) -> String {
    let base = path_key(
        &path_index("$.changes", index),
        kinds.get(index).copied().unwrap_or(""),
    );
    match field {
        Some(field) => path_key(&base, field),
        None => base,
    }
}
