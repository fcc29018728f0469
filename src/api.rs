//! The query layer: loading, requests and answers (SPEC §7). Every surface — Rust, the JS
//! package, the plain ABI, the command line — goes through here, so every rule of the
//! contract lives at or below this module and the bindings stay thin.
//!
//! INVARIANT: [`Engine::answer_json`] never panics and always returns one canonical JSON
//! object carrying `revision`.

use serde_json::{json, Map, Value};

use crate::access::{self, Membership, Source};
use crate::directory::Directory;
use crate::error::{Error, ErrorCode};
use crate::eval::matching_users;
use crate::homepage;
use crate::json::{self, path_index, path_key, type_name};
use crate::rules::{format_rule, parse_rule, Rule};
use crate::snapshot::{self, Findings, Severity};
use crate::text::fold;

/// The crate version, reported by every surface.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The largest page, and the default ones (SPEC §7, §8).
const MAX_PAGE_SIZE: u64 = 1000;
const DEFAULT_PAGE_SIZE: u64 = 50;
const DEFAULT_PREVIEW_LIMIT: u64 = 20;
const DEFAULT_LIST_PAGE_SIZE: u64 = 8;
/// The most checks one `checkBatch` may hold.
const MAX_BATCH: usize = 100_000;

/// Options for loading a snapshot.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LoadOptions {
    /// Turn the first error-severity diagnostic into a load failure.
    pub strict: bool,
}

/// The fast-path answer to "may user U use product P": positive means allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(i32)]
pub enum Decision {
    /// Allowed through an active group that carries the product.
    Group = 1,
    /// Allowed because the user is an org owner.
    Owner = 2,
    /// Allowed because the user is an org admin.
    Admin = 3,
    /// Denied: no active group of the user carries the product.
    NoGroup = 0,
    /// Denied: the user is unknown.
    UnknownUser = -1,
    /// Denied: the product is unknown.
    UnknownProduct = -2,
}

impl Decision {
    pub fn allowed(self) -> bool {
        (self as i32) > 0
    }

    /// The `reason` of a `check` answer.
    pub fn reason(self) -> &'static str {
        match self {
            Decision::Group => "group",
            Decision::Owner => "owner",
            Decision::Admin => "admin",
            Decision::NoGroup => "no-group",
            Decision::UnknownUser => "unknown-user",
            Decision::UnknownProduct => "unknown-product",
        }
    }
}

/// A compiled snapshot that answers requests.
pub struct Engine {
    dir: Directory,
}

impl Engine {
    /// Compiles a snapshot given as JSON text.
    ///
    /// # Errors
    ///
    /// `invalid-json`, `invalid-snapshot` or `limit-exceeded` when the snapshot cannot be
    /// used; under `strict`, `invalid-snapshot` at the first error-severity diagnostic.
    pub fn from_json(snapshot: &str, options: LoadOptions) -> Result<Engine, Error> {
        if snapshot.len() > (1usize << 30) {
            return Err(Error::new(
                ErrorCode::LimitExceeded,
                "snapshot text is larger than 1 GiB",
            ));
        }
        let mut findings = Findings::default();
        let snap = snapshot::read_text(snapshot, &mut findings)?;
        Engine::compile(snap, findings, options)
    }

    /// Compiles a snapshot already parsed into JSON values.
    ///
    /// # Errors
    ///
    /// As [`Engine::from_json`].
    pub fn from_value(snapshot: &Value, options: LoadOptions) -> Result<Engine, Error> {
        if json::too_deep(snapshot) {
            return Err(Error::new(
                ErrorCode::LimitExceeded,
                "snapshot nests deeper than 128 levels",
            ));
        }
        let mut findings = Findings::default();
        let snap = snapshot::read(snapshot, &mut findings)?;
        Engine::compile(snap, findings, options)
    }

    fn compile(
        snap: snapshot::Snapshot,
        findings: Findings,
        options: LoadOptions,
    ) -> Result<Engine, Error> {
        let dir = Directory::compile(snap, findings);
        if options.strict {
            if let Some(first) = dir
                .diagnostics
                .iter()
                .find(|d| d.severity == Severity::Error)
            {
                return Err(Error::new(
                    ErrorCode::InvalidSnapshot,
                    format!("strict load: {}: {}", first.code, first.message),
                )
                .at(first.path.clone()));
            }
        }
        Ok(Engine { dir })
    }

    /// The snapshot's revision.
    pub fn revision(&self) -> Option<&str> {
        self.dir.snap.revision.as_deref()
    }

    /// The load answer: `{"diagnostics":[...],"revision":...}`.
    pub fn load_answer_json(&self) -> String {
        self.finish(Ok(self.diagnostics_answer()))
    }

    /// Answers one request given as JSON text; failures come back as an error answer.
    pub fn answer_json(&mut self, request: &str) -> String {
        // The request edge proxies send most: read it typed, skip the JSON tree, and write
        // the answer directly. Anything else, or anything unusual, takes the general path.
        if let Ok(check) = serde_json::from_str::<CheckRequest<'_>>(request) {
            if check.op == "check" {
                return self.check_json(&check.user, &check.product);
            }
        }
        let answer = json::parse(request).and_then(|value| self.answer_value(&value));
        self.finish(answer)
    }

    /// The `check` answer, written in canonical key order without building a JSON tree.
    fn check_json(&self, user: &str, product: &str) -> String {
        let (decision, via, product_groups) = self.check_parts(user, product);
        let mut out = String::with_capacity(128);
        let ids = |out: &mut String, groups: &[u32]| {
            out.push('[');
            for (i, &g) in groups.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                if let Some(group) = self.dir.snap.groups.get(g as usize) {
                    json::write_string(out, &group.id);
                }
            }
            out.push(']');
        };
        out.push_str(if decision.allowed() {
            r#"{"allowed":true,"productGroups":"#
        } else {
            r#"{"allowed":false,"productGroups":"#
        });
        ids(&mut out, &product_groups);
        out.push_str(r#","reason":""#);
        out.push_str(decision.reason());
        out.push_str(r#"","revision":"#);
        match self.revision() {
            Some(r) => json::write_string(&mut out, r),
            None => out.push_str("null"),
        }
        out.push_str(r#","via":"#);
        ids(&mut out, &via);
        out.push('}');
        out
    }

    /// Answers one request given as a JSON value.
    ///
    /// # Errors
    ///
    /// Any failure of SPEC §7, with its code and path.
    pub fn answer_value(&mut self, request: &Value) -> Result<Value, Error> {
        let mut req = Request::new(request)?;
        let op = req.required_str("op")?;
        let answer = match op.as_str() {
            "check" => {
                let user = req.required_str("user")?;
                let product = req.required_str("product")?;
                req.finish()?;
                self.check_answer(&user, &product)
            }
            "checkBatch" => self.check_batch(&mut req)?,
            "hasPermission" => {
                let user = req.required_str("user")?;
                let permission = req.required_str("permission")?;
                req.finish()?;
                self.has_permission(&user, &permission)
            }
            "userAccess" => {
                let user = req.required_str("user")?;
                req.finish()?;
                self.user_access(&user)?
            }
            "homepage" => {
                let user = req.required_str("user")?;
                req.finish()?;
                let u = self.user(&user, "$.user")?;
                self.homepage_answer(u)
            }
            "members" => self.members(&mut req)?,
            "explain" => {
                let user = req.required_str("user")?;
                let group = req.required_str("group")?;
                req.finish()?;
                self.explain(&user, &group)?
            }
            "previewRule" => {
                let rule = req.rule("rule")?;
                let limit = req.count("limit", 0)?.unwrap_or(DEFAULT_PREVIEW_LIMIT);
                if limit > MAX_PAGE_SIZE {
                    return Err(Error::new(
                        ErrorCode::LimitExceeded,
                        format!("`limit` is at most {MAX_PAGE_SIZE}"),
                    )
                    .at("$.limit"));
                }
                req.finish()?;
                self.preview(&rule, limit)
            }
            "whoCanAccess" => self.who_can_access(&mut req)?,
            "editDashboard" => {
                let group = req.required_str("group")?;
                req.finish()?;
                self.edit_dashboard(&group)?
            }
            "parseRule" | "formatRule" | "version" => rule_op(&op, &mut req)?,
            "diagnostics" => {
                req.finish()?;
                self.diagnostics_answer()
            }
            "listGroups" => self.list_groups(&mut req)?,
            "lint" => {
                req.finish()?;
                self.lint_answer()
            }
            "impact" | "apply" => {
                return Err(Error::new(
                    ErrorCode::UnknownOp,
                    format!("`{op}` is not supported by this version of groupgate ({VERSION})"),
                )
                .at("$.op"))
            }
            other => {
                return Err(
                    Error::new(ErrorCode::UnknownOp, format!("unknown op `{other}`")).at("$.op"),
                )
            }
        };
        Ok(answer)
    }

    /// The fast access check: no JSON, no allocation.
    pub fn check(&self, user: &str, product: &str) -> Decision {
        let Some(u) = self.dir.user_index(user) else {
            return Decision::UnknownUser;
        };
        let Some(&p) = self.dir.products.get(product) else {
            return Decision::UnknownProduct;
        };
        access::decide(&self.dir, u, p)
    }

    /// The diagnostics of the load, in document order.
    pub fn diagnostics(&self) -> Vec<Value> {
        self.dir
            .diagnostics
            .iter()
            .map(snapshot::Diagnostic::to_json)
            .collect()
    }

    fn finish(&self, answer: Result<Value, Error>) -> String {
        let revision = self.revision();
        match answer {
            Ok(Value::Object(mut map)) => {
                map.insert(
                    "revision".to_owned(),
                    revision.map_or(Value::Null, |r| Value::String(r.to_owned())),
                );
                json::to_canonical(&Value::Object(map))
            }
            Ok(other) => json::to_canonical(&other),
            Err(error) => error_answer_json(&error, revision),
        }
    }

    fn user(&self, id: &str, path: &str) -> Result<u32, Error> {
        self.dir.user_index(id).ok_or_else(|| {
            Error::new(ErrorCode::UnknownUser, format!("unknown user `{id}`")).at(path)
        })
    }

    fn group(&self, id: &str, path: &str) -> Result<u32, Error> {
        self.dir.group_index(id).ok_or_else(|| {
            Error::new(ErrorCode::UnknownGroup, format!("unknown group `{id}`")).at(path)
        })
    }

    fn user_id(&self, u: u32) -> Value {
        self.dir
            .snap
            .users
            .get(u as usize)
            .map_or(Value::Null, |x| Value::String(x.id.clone()))
    }

    fn user_name(&self, u: u32) -> Value {
        self.dir
            .snap
            .users
            .get(u as usize)
            .and_then(|x| x.name.clone())
            .map_or(Value::Null, Value::String)
    }

    fn group_id(&self, g: u32) -> Value {
        self.dir
            .snap
            .groups
            .get(g as usize)
            .map_or(Value::Null, |x| Value::String(x.id.clone()))
    }

    fn group_ids(&self, groups: &[u32]) -> Value {
        Value::Array(groups.iter().map(|&g| self.group_id(g)).collect())
    }

    fn check_answer(&self, user: &str, product: &str) -> Value {
        let (decision, via, product_groups) = self.check_parts(user, product);
        json!({
            "allowed": decision.allowed(),
            "reason": decision.reason(),
            "via": self.group_ids(&via),
            "productGroups": self.group_ids(&product_groups),
        })
    }

    /// The decision, the granting groups, and the groups that would grant on a no.
    fn check_parts(&self, user: &str, product: &str) -> (Decision, Vec<u32>, Vec<u32>) {
        let decision = self.check(user, product);
        let (mut via, mut product_groups) = (Vec::new(), Vec::new());
        if let (Some(u), Some(&p)) = (self.dir.user_index(user), self.dir.products.get(product)) {
            match decision {
                Decision::Group => via = access::granting_groups(&self.dir, u, p),
                Decision::NoGroup => {
                    product_groups = self
                        .dir
                        .product_groups
                        .get(p as usize)
                        .cloned()
                        .unwrap_or_default()
                }
                _ => {}
            }
        }
        (decision, via, product_groups)
    }

    fn check_batch(&self, req: &mut Request<'_>) -> Result<Value, Error> {
        let checks = req.required("checks")?;
        req.finish()?;
        let Value::Array(items) = checks else {
            return Err(invalid_request(
                "$.checks",
                format!("`checks` must be an array, not {}", type_name(checks)),
            ));
        };
        if items.len() > MAX_BATCH {
            return Err(Error::new(
                ErrorCode::LimitExceeded,
                format!("a `checkBatch` holds at most {MAX_BATCH} checks"),
            )
            .at("$.checks"));
        }
        let mut results = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let path = path_index("$.checks", i);
            let mut one = Request::at(item, &path)?;
            let user = one.required_str("user")?;
            let product = one.required_str("product")?;
            one.finish()?;
            results.push(self.check_answer(&user, &product));
        }
        Ok(json!({ "results": results }))
    }

    fn has_permission(&self, user: &str, permission: &str) -> Value {
        let granting: Vec<Value> = match self.dir.user_index(user) {
            None => Vec::new(),
            Some(u) => access::roles(&self.dir, u)
                .into_iter()
                .filter_map(|(r, _)| self.dir.snap.roles.get(r as usize))
                .filter(|role| role.permissions.iter().any(|p| p == permission))
                .map(|role| Value::String(role.id.clone()))
                .collect(),
        };
        json!({ "allowed": !granting.is_empty(), "roles": granting })
    }

    fn membership_json(&self, m: &Membership) -> (Value, Value) {
        (json!(m.types()), self.group_ids(&m.via))
    }

    fn user_access(&self, user: &str) -> Result<Value, Error> {
        let u = self.user(user, "$.user")?;
        let dir = &self.dir;
        let groups: Vec<Value> = dir
            .groups_of(u)
            .into_iter()
            .map(|g| {
                let (types, via) = self.membership_json(&access::membership(dir, g, u));
                json!({ "group": self.group_id(g), "types": types, "via": via, "isActive": access::is_active(dir, g) })
            })
            .collect();
        let roles = access::roles(dir, u);
        let permissions = access::permissions(dir, &roles);
        let roles_json: Vec<Value> = roles
            .iter()
            .filter_map(|(r, sources)| {
                let role = dir.snap.roles.get(*r as usize)?;
                let sources: Vec<Value> = sources
                    .iter()
                    .map(|s| match s {
                        Source::Direct => Value::String("direct".to_owned()),
                        Source::Group(g) => self.group_id(*g),
                    })
                    .collect();
                Some(json!({ "role": role.id, "sources": sources }))
            })
            .collect();
        let products: Vec<Value> = access::products(dir, u)
            .into_iter()
            .filter_map(|(p, decision, via)| {
                let product = dir.snap.products.get(p as usize)?;
                Some(json!({ "product": product.id, "reason": decision.reason(), "via": self.group_ids(&via) }))
            })
            .collect();
        Ok(json!({
            "groups": groups,
            "roles": roles_json,
            "permissions": permissions,
            "products": products,
            "homepage": self.homepage_answer(u),
        }))
    }

    fn homepage_answer(&self, u: u32) -> Value {
        let home = homepage::resolve(&self.dir, u);
        json!({
            "redirect": home.redirect,
            "source": home.source,
            "group": home.group.map_or(Value::Null, |g| self.group_id(g)),
            "note": home.note,
            "dashboard": {
                "source": home.dashboard_source,
                "group": home.dashboard_group.map_or(Value::Null, |g| self.group_id(g)),
                "layout": home.layout.cloned().unwrap_or(Value::Null),
            },
        })
    }

    fn user_matches_search(&self, u: u32, needle: &str) -> bool {
        self.dir.snap.users.get(u as usize).is_some_and(|x| {
            fold(&x.id).contains(needle)
                || x.name.as_deref().is_some_and(|n| fold(n).contains(needle))
        })
    }

    fn members(&self, req: &mut Request<'_>) -> Result<Value, Error> {
        let group = req.required_str("group")?;
        let kind = req.optional_str("type")?;
        let search = req.optional_str("search")?;
        let (page, page_size) = req.paging(DEFAULT_PAGE_SIZE)?;
        req.finish()?;
        if let Some(kind) = &kind {
            if !matches!(kind.as_str(), "manual" | "dynamic" | "group") {
                return Err(invalid_request(
                    "$.type",
                    format!("`type` is `manual`, `dynamic` or `group`, not `{kind}`"),
                ));
            }
        }
        let g = self.group(&group, "$.group")?;
        let Some(state) = self.dir.group_state.get(g as usize) else {
            return Ok(json!({ "total": 0, "members": [] }));
        };
        let needle = search.as_deref().map(fold);
        let keep = |u: u32| -> bool {
            state.members.contains(u)
                && needle
                    .as_deref()
                    .is_none_or(|n| self.user_matches_search(u, n))
                && match kind.as_deref() {
                    Some("manual") => state.manual.binary_search(&u).is_ok(),
                    Some("dynamic") => state.dynamic.contains(u),
                    Some("group") => !access::membership(&self.dir, g, u).via.is_empty(),
                    _ => true,
                }
        };
        // Walk users in the order people see them and keep the members: the page costs what
        // the walk costs, and types and via are computed for the rows shown only.
        let skip = usize::try_from((page - 1).saturating_mul(page_size)).unwrap_or(usize::MAX);
        let take = usize::try_from(page_size).unwrap_or(usize::MAX);
        let mut total = 0usize;
        let mut rows = Vec::new();
        for &u in &self.dir.by_name {
            if !keep(u) {
                continue;
            }
            if total >= skip && rows.len() < take {
                rows.push(u);
            }
            total += 1;
        }
        let members: Vec<Value> = rows
            .into_iter()
            .map(|u| {
                let m = access::membership(&self.dir, g, u);
                let added = state
                    .added_at
                    .binary_search_by_key(&u, |e| e.0)
                    .ok()
                    .filter(|_| m.manual)
                    .and_then(|i| state.added_at.get(i))
                    .map_or(Value::Null, |e| Value::String(e.1.clone()));
                let (types, via) = self.membership_json(&m);
                json!({ "user": self.user_id(u), "name": self.user_name(u), "types": types, "via": via, "addedAt": added })
            })
            .collect();
        Ok(json!({ "total": total, "members": members }))
    }

    fn explain(&self, user: &str, group: &str) -> Result<Value, Error> {
        let u = self.user(user, "$.user")?;
        let g = self.group(group, "$.group")?;
        let m = access::membership(&self.dir, g, u);
        let rule = match self.dir.snap.groups.get(g as usize).map(|x| &x.rule) {
            Some(snapshot::RuleState::Valid(rule)) => {
                let on_cycle = self
                    .dir
                    .group_state
                    .get(g as usize)
                    .is_some_and(|s| s.rule_on_cycle);
                let (matched, trace) = self
                    .dir
                    .with_context(|cx| crate::eval::explain_user(rule, u, cx));
                json!({ "matched": matched && !on_cycle, "trace": trace })
            }
            _ => Value::Null,
        };
        let (types, via) = self.membership_json(&m);
        Ok(json!({ "member": m.is_member(), "types": types, "via": via, "rule": rule }))
    }

    fn preview(&self, rule: &Rule, limit: u64) -> Value {
        let bits = self.dir.with_context(|cx| matching_users(rule, cx));
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        let users: Vec<Value> = self
            .dir
            .by_name
            .iter()
            .filter(|&&u| bits.contains(u))
            .take(limit)
            .map(|&u| json!({ "user": self.user_id(u), "name": self.user_name(u) }))
            .collect();
        json!({ "count": bits.count(), "users": users })
    }

    fn who_can_access(&self, req: &mut Request<'_>) -> Result<Value, Error> {
        let product = req.required_str("product")?;
        let (page, page_size) = req.paging(DEFAULT_PAGE_SIZE)?;
        req.finish()?;
        let Some(&p) = self.dir.products.get(&product) else {
            return Err(Error::new(
                ErrorCode::UnknownProduct,
                format!("unknown product `{product}`"),
            )
            .at("$.product"));
        };
        let allowed: Vec<(u32, crate::api::Decision)> = self
            .dir
            .by_name
            .iter()
            .map(|&u| (u, access::decide(&self.dir, u, p)))
            .filter(|(_, d)| d.allowed())
            .collect();
        let count = allowed.len();
        let users: Vec<Value> = page_of(allowed, page, page_size)
            .into_iter()
            .map(|(u, d)| {
                let via = if d == Decision::Group { access::granting_groups(&self.dir, u, p) } else { Vec::new() };
                json!({ "user": self.user_id(u), "reason": d.reason(), "via": self.group_ids(&via) })
            })
            .collect();
        Ok(json!({ "count": count, "users": users }))
    }

    fn edit_dashboard(&self, group: &str) -> Result<Value, Error> {
        let g = self.group(group, "$.group")?;
        let x = self.dir.snap.groups.get(g as usize);
        Ok(match x.and_then(|x| x.dashboard_draft.as_ref()) {
            Some(draft) => json!({ "layout": draft, "isDraft": true }),
            None => json!({ "layout": x.and_then(|x| x.dashboard.clone()), "isDraft": false }),
        })
    }

    fn lint_answer(&self) -> Value {
        let findings: Vec<Value> = crate::lint::lint(&self.dir)
            .into_iter()
            .map(|f| json!({ "code": f.code, "severity": f.severity.as_str(), "group": f.group, "message": f.message }))
            .collect();
        json!({ "findings": findings })
    }

    fn list_groups(&self, req: &mut Request<'_>) -> Result<Value, Error> {
        let search = req.optional_str("search")?;
        let status = req.optional_str("status")?;
        let include_hidden = req.optional_bool("includeHidden")?.unwrap_or(false);
        let sort = req.optional_str("sort")?;
        let order = req.optional_str("order")?;
        let (page, page_size) = req.paging(DEFAULT_LIST_PAGE_SIZE)?;
        let locale = req.optional_str("locale")?;
        req.finish()?;
        let status = status.unwrap_or_else(|| "all".to_owned());
        if !matches!(status.as_str(), "active" | "inactive" | "all") {
            return Err(invalid_request(
                "$.status",
                "`status` is `active`, `inactive` or `all`",
            ));
        }
        let sort = sort.unwrap_or_else(|| "name".to_owned());
        if !matches!(sort.as_str(), "name" | "members" | "createdAt" | "roles") {
            return Err(invalid_request(
                "$.sort",
                "`sort` is `name`, `members`, `createdAt` or `roles`",
            ));
        }
        let descending = match order.as_deref() {
            None | Some("asc") => false,
            Some("desc") => true,
            Some(_) => return Err(invalid_request("$.order", "`order` is `asc` or `desc`")),
        };
        let chain = locale_chain(locale.as_deref());
        let chain: Vec<&str> = chain.iter().map(String::as_str).collect();
        let default = self.dir.snap.default_locale.as_str();
        let needle = search.as_deref().map(fold);
        let dir = &self.dir;
        let role_names = |g: u32| -> Vec<&str> {
            dir.group_state
                .get(g as usize)
                .map(|s| s.roles.as_slice())
                .unwrap_or_default()
                .iter()
                .filter_map(|&r| dir.snap.roles.get(r as usize))
                .map(|r| r.name.resolve(&chain, default))
                .collect()
        };
        let matches_search = |g: u32| -> bool {
            let Some(needle) = &needle else { return true };
            let Some(group) = dir.snap.groups.get(g as usize) else {
                return false;
            };
            let role_texts = dir
                .group_state
                .get(g as usize)
                .map(|s| s.roles.as_slice())
                .unwrap_or_default()
                .iter()
                .filter_map(|&r| dir.snap.roles.get(r as usize))
                .flat_map(|r| r.name.texts());
            group
                .name
                .texts()
                .into_iter()
                .chain(group.slug.as_deref())
                .chain(group.description.as_deref())
                .chain(role_texts)
                .any(|text| fold(text).contains(needle.as_str()))
        };
        let mut rows: Vec<(u32, String)> = dir
            .snap
            .groups
            .iter()
            .enumerate()
            .filter(|(_, g)| include_hidden || g.is_visible)
            .filter(|(_, g)| match status.as_str() {
                "active" => g.is_active,
                "inactive" => !g.is_active,
                _ => true,
            })
            .filter_map(|(i, g)| {
                let i = u32::try_from(i).ok()?;
                matches_search(i).then(|| (i, g.name.resolve(&chain, default).to_owned()))
            })
            .collect();
        let by_name = |a: &(u32, String), b: &(u32, String)| {
            crate::text::compare_names(&a.1, &b.1).then(a.0.cmp(&b.0))
        };
        let member_count = |g: u32| {
            dir.group_state
                .get(g as usize)
                .map_or(0, |s| s.members.len())
        };
        let role_count = |g: u32| dir.group_state.get(g as usize).map_or(0, |s| s.roles.len());
        let created = |g: u32| {
            dir.snap
                .groups
                .get(g as usize)
                .and_then(|x| x.created_at.as_deref())
                .and_then(crate::time::parse_rfc3339)
        };
        rows.sort_by(|a, b| {
            let primary = match sort.as_str() {
                "members" => member_count(a.0).cmp(&member_count(b.0)),
                "roles" => role_count(a.0).cmp(&role_count(b.0)),
                "createdAt" => match (created(a.0), created(b.0)) {
                    (Some(x), Some(y)) => x.cmp(&y),
                    // Missing last, whatever the order.
                    (Some(_), None) => return std::cmp::Ordering::Less,
                    (None, Some(_)) => return std::cmp::Ordering::Greater,
                    (None, None) => std::cmp::Ordering::Equal,
                },
                _ => {
                    let named = by_name(a, b);
                    return if descending { named.reverse() } else { named };
                }
            };
            let primary = if descending {
                primary.reverse()
            } else {
                primary
            };
            primary.then_with(|| by_name(a, b))
        });
        let total = rows.len();
        let groups: Vec<Value> = page_of(rows, page, page_size)
            .into_iter()
            .filter_map(|(g, name)| {
                let group = dir.snap.groups.get(g as usize)?;
                Some(json!({
                    "group": group.id,
                    "name": name,
                    "slug": group.slug,
                    "description": group.description,
                    "avatar": group.avatar,
                    "memberCount": member_count(g),
                    "roles": role_names(g),
                    "createdAt": group.created_at,
                    "createdBy": group.created_by,
                    "isActive": group.is_active,
                    "isVisible": group.is_visible,
                }))
            })
            .collect();
        Ok(json!({ "total": total, "groups": groups }))
    }

    fn diagnostics_answer(&self) -> Value {
        json!({ "diagnostics": self.diagnostics() })
    }
}

fn page_of<T>(rows: Vec<T>, page: u64, page_size: u64) -> Vec<T> {
    let start = usize::try_from((page - 1).saturating_mul(page_size)).unwrap_or(usize::MAX);
    let size = usize::try_from(page_size).unwrap_or(usize::MAX);
    rows.into_iter().skip(start).take(size).collect()
}

fn rule_op(op: &str, req: &mut Request<'_>) -> Result<Value, Error> {
    match op {
        "parseRule" => {
            let text = req.required("text")?;
            req.finish()?;
            let Value::String(text) = text else {
                return Err(invalid_request(
                    "$.text",
                    format!("`text` must be a string, not {}", type_name(text)),
                ));
            };
            let rule = parse_rule(text).map_err(|e| e.at("$.text"))?;
            Ok(json!({ "rule": rule.to_json() }))
        }
        "formatRule" => {
            let rule = req.rule("rule")?;
            req.finish()?;
            let text = format_rule(&rule).map_err(|e| e.at("$.rule"))?;
            Ok(json!({ "text": text }))
        }
        _ => {
            req.finish()?;
            Ok(json!({ "version": VERSION }))
        }
    }
}

/// A `check` request and nothing else: any other key, a duplicate or a type mismatch
/// sends the request down the general path, which reports it properly.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct CheckRequest<'a> {
    #[serde(borrow)]
    op: std::borrow::Cow<'a, str>,
    #[serde(borrow)]
    user: std::borrow::Cow<'a, str>,
    #[serde(borrow)]
    product: std::borrow::Cow<'a, str>,
}

/// The error answer `{"error":{...},"revision":...}` as canonical JSON text.
pub fn error_answer_json(error: &Error, revision: Option<&str>) -> String {
    let value = json!({
        "error": {
            "code": error.code.as_str(),
            "message": error.message,
            "path": error.path,
            "line": error.line,
            "column": error.column,
            "expected": error.expected,
        },
        "revision": revision,
    });
    json::to_canonical(&value)
}

/// Loads a snapshot and returns the engine (when it loaded) and the load answer as JSON text:
/// `{"diagnostics":[...],"revision":...}`, or the error answer.
pub fn load_json(snapshot: &str, options: LoadOptions) -> (Option<Engine>, String) {
    match Engine::from_json(snapshot, options) {
        Ok(engine) => {
            let answer = engine.load_answer_json();
            (Some(engine), answer)
        }
        Err(error) => (None, error_answer_json(&error, None)),
    }
}

/// Answers the requests that need no snapshot (`parseRule`, `formatRule`, `version`), for
/// surfaces that expose them as free functions.
pub fn answer_without_engine_json(request: &str) -> String {
    let answer = json::parse(request).and_then(|value| {
        let mut req = Request::new(&value)?;
        let op = req.required_str("op")?;
        match op.as_str() {
            "parseRule" | "formatRule" | "version" => rule_op(&op, &mut req),
            other => Err(
                Error::new(ErrorCode::UnknownOp, format!("`{other}` needs a snapshot")).at("$.op"),
            ),
        }
    });
    match answer {
        Ok(Value::Object(mut map)) => {
            map.insert("revision".to_owned(), Value::Null);
            json::to_canonical(&Value::Object(map))
        }
        Ok(other) => json::to_canonical(&other),
        Err(error) => error_answer_json(&error, None),
    }
}

/// `fr-CA` → `fr-CA`, `fr`: the locales to try, most specific first.
fn locale_chain(locale: Option<&str>) -> Vec<String> {
    let mut chain = Vec::new();
    let mut current = locale.unwrap_or("").to_owned();
    while !current.is_empty() {
        chain.push(current.clone());
        match current.rfind('-') {
            Some(cut) => current.truncate(cut),
            None => break,
        }
    }
    chain
}

fn invalid_request(path: &str, message: impl Into<String>) -> Error {
    Error::new(ErrorCode::InvalidRequest, message).at(path)
}

/// A request object being read: every key read is recorded, and [`Request::finish`] rejects
/// the rest, so that a typo never passes silently.
struct Request<'a> {
    map: &'a Map<String, Value>,
    path: String,
    read: Vec<&'static str>,
}

impl<'a> Request<'a> {
    fn new(value: &'a Value) -> Result<Request<'a>, Error> {
        Request::at(value, "$")
    }

    fn at(value: &'a Value, path: &str) -> Result<Request<'a>, Error> {
        match value {
            Value::Object(map) => Ok(Request {
                map,
                path: path.to_owned(),
                read: vec!["op"],
            }),
            other => Err(invalid_request(
                path,
                format!("a request is an object, not {}", type_name(other)),
            )),
        }
    }

    fn key_path(&self, key: &str) -> String {
        path_key(&self.path, key)
    }

    fn optional(&mut self, key: &'static str) -> Option<&'a Value> {
        self.read.push(key);
        self.map.get(key).filter(|v| !v.is_null())
    }

    fn required(&mut self, key: &'static str) -> Result<&'a Value, Error> {
        self.optional(key)
            .ok_or_else(|| invalid_request(&self.path, format!("`{key}` is required")))
    }

    fn required_str(&mut self, key: &'static str) -> Result<String, Error> {
        let value = self.required(key)?;
        value.as_str().map(str::to_owned).ok_or_else(|| {
            invalid_request(
                &self.key_path(key),
                format!("`{key}` must be a string, not {}", type_name(value)),
            )
        })
    }

    fn optional_str(&mut self, key: &'static str) -> Result<Option<String>, Error> {
        match self.optional(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(other) => Err(invalid_request(
                &self.key_path(key),
                format!("`{key}` must be a string, not {}", type_name(other)),
            )),
        }
    }

    fn optional_bool(&mut self, key: &'static str) -> Result<Option<bool>, Error> {
        match self.optional(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(other) => Err(invalid_request(
                &self.key_path(key),
                format!("`{key}` must be a boolean, not {}", type_name(other)),
            )),
        }
    }

    /// A whole number of at least `min`.
    fn count(&mut self, key: &'static str, min: u64) -> Result<Option<u64>, Error> {
        let Some(value) = self.optional(key) else {
            return Ok(None);
        };
        let n = value
            .as_u64()
            .or_else(|| {
                value
                    .as_f64()
                    .filter(|f| f.fract() == 0.0 && *f >= 0.0 && *f < 1e15)
                    .map(|f| {
                        #[expect(
                            clippy::cast_possible_truncation,
                            clippy::cast_sign_loss,
                            reason = "whole, non-negative, below 2^53"
                        )]
                        let n = f as u64;
                        n
                    })
            })
            .filter(|&n| n >= min);
        n.map(Some).ok_or_else(|| {
            invalid_request(
                &self.key_path(key),
                format!("`{key}` must be a whole number of at least {min}"),
            )
        })
    }

    fn paging(&mut self, default_size: u64) -> Result<(u64, u64), Error> {
        let page = self.count("page", 1)?.unwrap_or(1);
        let size = self.count("pageSize", 1)?.unwrap_or(default_size);
        if size > MAX_PAGE_SIZE {
            return Err(Error::new(
                ErrorCode::LimitExceeded,
                format!("`pageSize` is at most {MAX_PAGE_SIZE}"),
            )
            .at(self.key_path("pageSize")));
        }
        Ok((page, size))
    }

    fn rule(&mut self, key: &'static str) -> Result<Rule, Error> {
        let value = self.required(key)?;
        Rule::from_source(value, &self.key_path(key))
    }

    fn finish(&self) -> Result<(), Error> {
        match self.map.keys().find(|k| !self.read.contains(&k.as_str())) {
            Some(extra) => Err(invalid_request(
                &self.key_path(extra),
                format!("unknown request key `{extra}`"),
            )),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn engine(snapshot: &str) -> Engine {
        let loaded = Engine::from_json(snapshot, LoadOptions::default());
        assert!(loaded.is_ok(), "{loaded:?}", loaded = loaded.as_ref().err());
        loaded.unwrap_or_else(|_| unreachable!())
    }

    /// The typed `check` path writes exactly what the general path writes.
    #[test]
    fn fast_check_answers_match_the_general_path() {
        for snapshot in [
            r#"{"revision":"r \"1\"","users":[{"id":"u1"},{"id":"u2","orgRole":"admin"}],
                "groups":[{"id":"g\u00e9","name":"G","members":["u1"],"products":["p1"]},
                          {"id":"g2","name":"G2","products":["p2"]}],
                "products":[{"id":"p1"},{"id":"p2"}]}"#,
            r#"{"users":[{"id":"u1"}],"products":[{"id":"p1"}]}"#,
        ] {
            let mut e = engine(snapshot);
            for (user, product) in [
                ("u1", "p1"),
                ("u1", "p2"),
                ("u2", "p2"),
                ("x", "p1"),
                ("u1", "x"),
                ("x", "y"),
            ] {
                let request = format!(r#"{{"op":"check","user":"{user}","product":"{product}"}}"#);
                let general = json::parse(&request).and_then(|v| e.answer_value(&v));
                let general = e.finish(general);
                assert_eq!(e.answer_json(&request), general, "{request}");
            }
        }
    }

    /// Requests that look like a check but are not exactly one still get the general path.
    #[test]
    fn unusual_check_requests_get_proper_errors() {
        let mut e = engine(r#"{"users":[{"id":"u1"}],"products":[{"id":"p1"}]}"#);
        for (request, code) in [
            (
                r#"{"op":"check","user":"u1","product":"p1","extra":1}"#,
                "invalid-request",
            ),
            (r#"{"op":"check","user":"u1"}"#, "invalid-request"),
            (
                r#"{"op":"check","user":1,"product":"p1"}"#,
                "invalid-request",
            ),
            (r#"{"op":"chek","user":"u1","product":"p1"}"#, "unknown-op"),
        ] {
            let answer = e.answer_json(request);
            assert!(
                answer.contains(&format!(r#""code":"{code}""#)),
                "{request}: {answer}"
            );
        }
    }
}
