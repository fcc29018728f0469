//! A request read into a typed [`Query`]: one variant per op of SPEC §7, each carrying its
//! arguments parsed and checked against the limits of SPEC §8.
//!
//! [`Query::read`] is the one reader of a request's keys: it reads each op's keys in the order
//! its errors are reported (an unknown key first, then a missing one, then each key's type and
//! limits), so an answer's error depends only on the request. What needs the tenant (whether a
//! user exists, whether a change list applies) is left to the answer.
//! [`Plain`] is the shortcut for the requests edge proxies send most: a `check` or `checkBatch`
//! of exactly the plain shape is read straight from the text, with no JSON tree, into the same
//! [`Query`].

use std::borrow::Cow;

use serde_json::Value;

use crate::error::{Error, ErrorCode};
use crate::json::{path_index, path_key, type_name};
use crate::limits::{MAX_BATCH, MAX_PAGE_SIZE};
use crate::listing::{GroupQuery, MemberType, Page, Sort, Status};
use crate::rules::{check_rule_text, Rule};

use super::request::{object, Request};

const DEFAULT_PAGE_SIZE: u64 = 50;
const DEFAULT_PREVIEW_LIMIT: u64 = 20;
const DEFAULT_LIST_PAGE_SIZE: u64 = 8;
const DEFAULT_SUGGEST_LIMIT: u64 = 20;
const DEFAULT_IMPACT_LIMIT: u64 = 1000;

/// A request, read: its op and that op's arguments (SPEC §7).
#[derive(Debug)]
pub enum Query<'a> {
    /// `check`.
    Check {
        /// The user's id.
        user: &'a str,
        /// The product's id.
        product: &'a str,
    },
    /// `checkBatch`: `(user, product)` pairs, at most [`MAX_BATCH`].
    CheckBatch(Vec<(&'a str, &'a str)>),
    /// `hasPermission`.
    HasPermission {
        /// The user's id.
        user: &'a str,
        /// The permission.
        permission: &'a str,
    },
    /// `userAccess`.
    UserAccess {
        /// The user's id.
        user: &'a str,
    },
    /// `homepage`.
    Homepage {
        /// The user's id.
        user: &'a str,
    },
    /// `members`.
    Members {
        /// The group's id.
        group: &'a str,
        /// Only members of this type.
        kind: Option<MemberType>,
        /// A substring to look for in names and ids.
        search: Option<&'a str>,
        /// The page asked for.
        page: Page,
    },
    /// `explain`.
    Explain {
        /// The user's id.
        user: &'a str,
        /// The group's id.
        group: &'a str,
    },
    /// `previewRule`.
    PreviewRule {
        /// The rule, from its AST or its text.
        rule: Rule,
        /// How many of the users it matches to list.
        limit: usize,
    },
    /// `whoCanAccess`.
    WhoCanAccess {
        /// The product's id.
        product: &'a str,
        /// The page asked for.
        page: Page,
    },
    /// `editDashboard`.
    EditDashboard {
        /// The group's id.
        group: &'a str,
    },
    /// `diagnostics`.
    Diagnostics,
    /// `listGroups`.
    ListGroups(GroupQuery),
    /// `impact`.
    Impact {
        /// The changes, or the next snapshot.
        of: Next<'a>,
        /// How many users that change to list.
        limit: usize,
    },
    /// `apply`, read only for an engine that applies changes, its `base` already checked
    /// against the engine's revision.
    Apply {
        /// The change list (SPEC §7.2), read against the tenant when applied.
        changes: &'a Value,
        /// The new state's revision.
        revision: Option<&'a str>,
    },
    /// `definition`.
    Definition {
        /// The kind of item, which is the key that named it.
        kind: DefinitionKind,
        /// Its id.
        id: &'a str,
    },
    /// `snapshot`.
    Snapshot,
    /// `lint`.
    Lint,
    /// `suggest`.
    Suggest {
        /// The rule text, within the rule text limit.
        text: &'a str,
        /// The cursor, in characters, at most the text's length.
        cursor: usize,
        /// How many suggestions to list.
        limit: usize,
    },
    /// `parseRule`, `formatRule` or `version`: an op that needs no snapshot.
    Standalone(Standalone<'a>),
}

/// The ops that need no snapshot.
#[derive(Debug)]
pub enum Standalone<'a> {
    /// `parseRule`.
    ParseRule {
        /// The rule text.
        text: &'a str,
    },
    /// `formatRule`.
    FormatRule {
        /// The rule, from its AST or its text.
        rule: Rule,
    },
    /// `version`.
    Version,
}

/// What `impact` compares the tenant with.
#[derive(Debug, Clone, Copy)]
pub enum Next<'a> {
    /// The tenant with these changes applied (SPEC §7.2).
    Changes(&'a Value),
    /// A whole next snapshot.
    Snapshot(&'a Value),
}

/// The kind of item a `definition` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DefinitionKind {
    /// A user.
    User,
    /// A group.
    Group,
    /// A role.
    Role,
    /// A product.
    Product,
    /// A module.
    Module,
}

impl DefinitionKind {
    /// Every kind, in the order their keys are read.
    const ALL: [DefinitionKind; 5] = [
        DefinitionKind::User,
        DefinitionKind::Group,
        DefinitionKind::Role,
        DefinitionKind::Product,
        DefinitionKind::Module,
    ];

    /// The request key that names an item of this kind, which is also its name in messages.
    pub fn key(self) -> &'static str {
        match self {
            DefinitionKind::User => "user",
            DefinitionKind::Group => "group",
            DefinitionKind::Role => "role",
            DefinitionKind::Product => "product",
            DefinitionKind::Module => "module",
        }
    }
}

/// Who reads the request, which decides what an `apply` meets.
#[derive(Debug, Clone, Copy)]
pub enum Mode<'r> {
    /// An engine that answers without changing: it refuses an `apply` before reading its keys.
    Answer,
    /// An engine that applies changes too, at this revision, which an `apply`'s `base` must
    /// name (SPEC §7.2).
    Apply {
        /// The engine's revision.
        revision: Option<&'r str>,
    },
}

impl<'a> Query<'a> {
    /// Reads a request object.
    ///
    /// # Errors
    ///
    /// `invalid-request` at the first problem in the order of SPEC §7 (a key the op does not
    /// know, then a key missing, then a key's type or value); `limit-exceeded` past a limit of
    /// SPEC §8; `unknown-op`; `rule-syntax` or `invalid-rule` for a rule given as an argument;
    /// `revision-mismatch` for an `apply` whose `base` is not the engine's revision.
    pub fn read(value: &'a Value, mode: Mode<'_>) -> Result<Query<'a>, Error> {
        let op = op_of(value)?;
        let at = |keys: &[&str]| Request::at(value, "$", keys);
        Ok(match op {
            "check" => {
                let mut req = at(&["op", "user", "product"])?;
                let user = req.required_str("user")?;
                let product = req.required_str("product")?;
                Query::Check { user, product }
            }
            "checkBatch" => {
                let mut req = at(&["op", "checks"])?;
                let checks = req.required("checks")?;
                let Value::Array(items) = checks else {
                    return Err(Error::invalid_request(
                        "$.checks",
                        format!("`checks` must be an array, not {}", type_name(checks)),
                    ));
                };
                check_batch_size(items.len())?;
                let mut pairs = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    let path = path_index("$.checks", i);
                    let mut one = Request::at(item, &path, &["user", "product"])?;
                    pairs.push((one.required_str("user")?, one.required_str("product")?));
                }
                Query::CheckBatch(pairs)
            }
            "hasPermission" => {
                let mut req = at(&["op", "user", "permission"])?;
                let user = req.required_str("user")?;
                let permission = req.required_str("permission")?;
                Query::HasPermission { user, permission }
            }
            "userAccess" => Query::UserAccess {
                user: at(&["op", "user"])?.required_str("user")?,
            },
            "homepage" => Query::Homepage {
                user: at(&["op", "user"])?.required_str("user")?,
            },
            "members" => {
                let mut req = at(&["op", "group", "type", "search", "page", "pageSize"])?;
                let group = req.required_str("group")?;
                let kind = match req.optional_str("type")? {
                    None => None,
                    Some("manual") => Some(MemberType::Manual),
                    Some("dynamic") => Some(MemberType::Dynamic),
                    Some("group") => Some(MemberType::Group),
                    Some(other) => {
                        return Err(Error::invalid_request(
                            "$.type",
                            format!("`type` is `manual`, `dynamic` or `group`, not `{other}`"),
                        ))
                    }
                };
                let search = req.optional_str("search")?;
                let page = req.paging(DEFAULT_PAGE_SIZE)?;
                Query::Members {
                    group,
                    kind,
                    search,
                    page,
                }
            }
            "explain" => {
                let mut req = at(&["op", "user", "group"])?;
                let user = req.required_str("user")?;
                let group = req.required_str("group")?;
                Query::Explain { user, group }
            }
            "previewRule" => {
                let mut req = at(&["op", "rule", "limit"])?;
                let rule = req.rule("rule")?;
                let limit = req
                    .bounded("limit", 0, MAX_PAGE_SIZE)?
                    .unwrap_or(DEFAULT_PREVIEW_LIMIT);
                Query::PreviewRule {
                    rule,
                    limit: saturating_len(limit),
                }
            }
            "whoCanAccess" => {
                let mut req = at(&["op", "product", "page", "pageSize"])?;
                let product = req.required_str("product")?;
                let page = req.paging(DEFAULT_PAGE_SIZE)?;
                Query::WhoCanAccess { product, page }
            }
            "editDashboard" => Query::EditDashboard {
                group: at(&["op", "group"])?.required_str("group")?,
            },
            "diagnostics" => {
                at(&["op"])?;
                Query::Diagnostics
            }
            "listGroups" => Query::ListGroups(group_query(value)?),
            "lint" => {
                at(&["op"])?;
                Query::Lint
            }
            "definition" => definition(value)?,
            "snapshot" => {
                at(&["op"])?;
                Query::Snapshot
            }
            "impact" => {
                let mut req = at(&["op", "changes", "next", "limit"])?;
                let limit = req.count("limit", 0)?.unwrap_or(DEFAULT_IMPACT_LIMIT);
                let of = match (req.optional("changes"), req.optional("next")) {
                    (Some(_), Some(_)) => {
                        return Err(Error::invalid_request(
                            "$.next",
                            "give `changes` or `next`, not both",
                        ))
                    }
                    (None, None) => {
                        return Err(Error::invalid_request(
                            "$",
                            "`changes` or `next` is required",
                        ))
                    }
                    (Some(changes), None) => Next::Changes(changes),
                    (None, Some(next)) => Next::Snapshot(next),
                };
                Query::Impact {
                    of,
                    limit: saturating_len(limit),
                }
            }
            "suggest" => {
                let mut req = at(&["op", "text", "cursor", "limit"])?;
                let text = req.required_str("text")?;
                check_rule_text(text).map_err(|e| e.at("$.text"))?;
                let length = text.chars().count();
                let cursor = match req.count("cursor", 0)? {
                    None => length,
                    Some(c) if c <= length as u64 => usize::try_from(c).unwrap_or(length),
                    Some(_) => {
                        return Err(Error::invalid_request(
                            "$.cursor",
                            format!("`cursor` is past the end of `text` ({length} characters)"),
                        ))
                    }
                };
                let limit = req
                    .bounded("limit", 0, MAX_PAGE_SIZE)?
                    .unwrap_or(DEFAULT_SUGGEST_LIMIT);
                Query::Suggest {
                    text,
                    cursor,
                    limit: saturating_len(limit),
                }
            }
            "apply" => match mode {
                Mode::Answer => return Err(apply_refused()),
                Mode::Apply { revision } => {
                    let mut req = at(&["op", "changes", "revision", "base"])?;
                    if let Some(base) = req.raw("base") {
                        check_base(base, revision)?;
                    }
                    let changes = req.required("changes")?;
                    let revision = req.optional_str("revision")?;
                    Query::Apply { changes, revision }
                }
            },
            other => match Standalone::read_op(other, value)? {
                Some(standalone) => Query::Standalone(standalone),
                None => {
                    return Err(
                        Error::new(ErrorCode::UnknownOp, format!("unknown op `{other}`"))
                            .at("$.op"),
                    )
                }
            },
        })
    }
}

impl<'a> Standalone<'a> {
    /// Reads a request for an op that needs no snapshot.
    ///
    /// # Errors
    ///
    /// As [`Query::read`]; `unknown-op` for any other op, known or not, since it needs a
    /// snapshot.
    pub fn read(value: &'a Value) -> Result<Standalone<'a>, Error> {
        let op = op_of(value)?;
        Standalone::read_op(op, value)?.ok_or_else(|| {
            Error::new(ErrorCode::UnknownOp, format!("`{op}` needs a snapshot")).at("$.op")
        })
    }

    /// Reads the request when `op` needs no snapshot; `None` when it is another op.
    fn read_op(op: &str, value: &'a Value) -> Result<Option<Standalone<'a>>, Error> {
        let at = |keys: &[&str]| Request::at(value, "$", keys);
        Ok(Some(match op {
            "parseRule" => Standalone::ParseRule {
                text: at(&["op", "text"])?.required_str("text")?,
            },
            "formatRule" => Standalone::FormatRule {
                rule: at(&["op", "rule"])?.rule("rule")?,
            },
            "version" => {
                at(&["op"])?;
                Standalone::Version
            }
            _ => return Ok(None),
        }))
    }
}

/// The refusal of an `apply` sent to an engine that only answers.
pub fn apply_refused() -> Error {
    Error::new(
        ErrorCode::InvalidRequest,
        "`apply` changes the engine: send it through a mutable engine",
    )
    .at("$.op")
}

/// A count read as a length: on a 32-bit target, a count past `usize` asks for everything.
fn saturating_len(n: u64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

/// The request's `op`.
fn op_of(value: &Value) -> Result<&str, Error> {
    let map = object(value, "$")?;
    match map.get("op") {
        Some(Value::String(op)) => Ok(op),
        None | Some(Value::Null) => Err(Error::invalid_request("$", "`op` is required")),
        Some(other) => Err(Error::invalid_request(
            "$.op",
            format!("`op` must be a string, not {}", type_name(other)),
        )),
    }
}

/// A `checkBatch` of `len` checks against its limit (SPEC §8), checked before any check is
/// read.
fn check_batch_size(len: usize) -> Result<(), Error> {
    if len > MAX_BATCH {
        return Err(Error::new(
            ErrorCode::LimitExceeded,
            format!("a `checkBatch` holds at most {MAX_BATCH} checks"),
        )
        .at("$.checks"));
    }
    Ok(())
}

/// An `apply`'s `base` against the engine's revision (SPEC §7.2): a replica that missed a
/// change list, or is handed one twice, refuses it instead of drifting silently.
fn check_base(base: &Value, revision: Option<&str>) -> Result<(), Error> {
    let base = match base {
        Value::Null => None,
        Value::String(base) => Some(base.as_str()),
        other => {
            return Err(Error::invalid_request(
                "$.base",
                format!("`base` must be a string or null, not {}", type_name(other)),
            ))
        }
    };
    if base == revision {
        return Ok(());
    }
    let show = |r: Option<&str>| r.map_or_else(|| "none".to_owned(), |r| format!("`{r}`"));
    Err(Error::new(
        ErrorCode::RevisionMismatch,
        format!(
            "the change list was made against revision {}, but the engine is at revision {}",
            show(base),
            show(revision)
        ),
    )
    .at("$.base"))
}

/// `definition`: exactly one of `user`, `group`, `role`, `product`, `module`.
fn definition(value: &Value) -> Result<Query<'_>, Error> {
    let mut req = Request::at(
        value,
        "$",
        &["op", "user", "group", "role", "product", "module"],
    )?;
    let mut given = Vec::new();
    for kind in DefinitionKind::ALL {
        if let Some(id) = req.optional_str(kind.key())? {
            given.push((kind, id));
        }
    }
    match given.as_slice() {
        [(kind, id)] => Ok(Query::Definition { kind: *kind, id }),
        [] => Err(Error::invalid_request(
            "$",
            "one of `user`, `group`, `role`, `product` or `module` is required",
        )),
        [(first, _), (second, _), ..] => Err(Error::invalid_request(
            path_key("$", second.key()),
            format!(
                "give one of `user`, `group`, `role`, `product` or `module`: `{}` is given already",
                first.key()
            ),
        )),
    }
}

/// `listGroups`' filters, order and page.
fn group_query(value: &Value) -> Result<GroupQuery, Error> {
    let mut req = Request::at(
        value,
        "$",
        &[
            "op",
            "search",
            "status",
            "includeHidden",
            "sort",
            "order",
            "page",
            "pageSize",
            "locale",
        ],
    )?;
    let search = req.optional_str("search")?.map(str::to_owned);
    let status = match req.optional_str("status")? {
        None | Some("all") => Status::All,
        Some("active") => Status::Active,
        Some("inactive") => Status::Inactive,
        Some(_) => {
            return Err(Error::invalid_request(
                "$.status",
                "`status` is `active`, `inactive` or `all`",
            ))
        }
    };
    let include_hidden = req.optional_bool("includeHidden")?.unwrap_or(false);
    let sort = match req.optional_str("sort")? {
        None | Some("name") => Sort::Name,
        Some("members") => Sort::Members,
        Some("createdAt") => Sort::CreatedAt,
        Some("roles") => Sort::Roles,
        Some(_) => {
            return Err(Error::invalid_request(
                "$.sort",
                "`sort` is `name`, `members`, `createdAt` or `roles`",
            ))
        }
    };
    let descending = match req.optional_str("order")? {
        None | Some("asc") => false,
        Some("desc") => true,
        Some(_) => {
            return Err(Error::invalid_request(
                "$.order",
                "`order` is `asc` or `desc`",
            ))
        }
    };
    let page = req.paging(DEFAULT_LIST_PAGE_SIZE)?;
    let locale = req.optional_str("locale")?.map(str::to_owned);
    Ok(GroupQuery {
        search,
        status,
        include_hidden,
        sort,
        descending,
        page,
        locale,
    })
}

/// A `check` or `checkBatch` request of exactly the plain shape, read from its text with no
/// JSON tree: an object of `op` and the op's keys, each given once, strings where strings
/// belong. Anything else fails to read, and the request goes to [`Query::read`], which names
/// the problem.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Plain<'a> {
    #[serde(borrow)]
    op: Cow<'a, str>,
    #[serde(borrow)]
    user: Option<Text<'a>>,
    #[serde(borrow)]
    product: Option<Text<'a>>,
    #[serde(borrow)]
    checks: Option<Vec<PlainCheck<'a>>>,
}

/// A string borrowed from the request text when it has no escapes.
#[derive(serde::Deserialize)]
struct Text<'a>(#[serde(borrow)] Cow<'a, str>);

/// One check of a plain `checkBatch`.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct PlainCheck<'a> {
    #[serde(borrow)]
    user: Cow<'a, str>,
    #[serde(borrow)]
    product: Cow<'a, str>,
}

impl<'a> Plain<'a> {
    /// The request text read as a plain `check` or `checkBatch`, if it has that shape.
    pub fn read(request: &'a str) -> Option<Plain<'a>> {
        serde_json::from_str(request).ok()
    }

    /// The query, when the keys are exactly those of `check` or of `checkBatch`; `None`
    /// when [`Query::read`] must read the request.
    ///
    /// # Errors
    ///
    /// `limit-exceeded` for a `checkBatch` over its limit, as [`Query::read`] reports it.
    pub fn query(&self) -> Option<Result<Query<'_>, Error>> {
        match (&*self.op, &self.user, &self.product, &self.checks) {
            ("check", Some(user), Some(product), None) => Some(Ok(Query::Check {
                user: &user.0,
                product: &product.0,
            })),
            ("checkBatch", None, None, Some(checks)) => {
                Some(check_batch_size(checks.len()).map(|()| {
                    Query::CheckBatch(
                        checks
                            .iter()
                            .map(|check| (&*check.user, &*check.product))
                            .collect(),
                    )
                }))
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// A plain request's ids are borrowed from its text unless an escape makes them new
    /// strings, so the plain `check` allocates nothing to read.
    #[test]
    fn plain_ids_borrow_from_the_text() {
        let plain = Plain::read(r#"{"op":"check","user":"u1","product":"p\u0031"}"#).unwrap();
        assert!(matches!(
            &plain.user.as_ref().unwrap().0,
            Cow::Borrowed("u1")
        ));
        assert!(matches!(&plain.product.as_ref().unwrap().0, Cow::Owned(p) if p == "p1"));
        let batch =
            Plain::read(r#"{"op":"checkBatch","checks":[{"user":"u1","product":"p1"}]}"#).unwrap();
        let checks = batch.checks.as_ref().unwrap();
        assert!(matches!(&checks[0].user, Cow::Borrowed("u1")));
    }

    /// Only the exact keys of `check` or of `checkBatch` make a plain query.
    #[test]
    fn plain_shapes_are_exact() {
        for request in [
            r#"{"op":"check","user":"u1"}"#,
            r#"{"op":"check","user":"u1","product":null}"#,
            r#"{"op":"check","user":"u1","product":"p1","checks":[]}"#,
            r#"{"op":"checkBatch","user":"u1","product":"p1"}"#,
            r#"{"op":"members","user":"u1","product":"p1"}"#,
        ] {
            let plain = Plain::read(request).unwrap();
            assert!(plain.query().is_none(), "{request}");
        }
        for request in [
            r#"{"op":"check","user":"u1","product":"p1","user":"u2"}"#,
            r#"{"op":"check","user":"u1","product":"p1","typo":1}"#,
            r#"{"op":"checkBatch","checks":[{"user":"u1"}]}"#,
            r#"["check"]"#,
        ] {
            assert!(Plain::read(request).is_none(), "{request}");
        }
    }
}
