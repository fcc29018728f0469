//! Answers written as canonical JSON (SPEC §2): each function writes one answer's object, keys
//! in byte order, lists in their defined order. The top-level `revision` is inserted by the
//! writer.

use serde_json::{Map, Value};

use crate::access::{self, Check, Decision, Source};
use crate::error::Error;
use crate::homepage::{self, DashboardSource, RedirectSource};
use crate::ids::{GroupIx, ModuleIx, ProductIx, RoleIx, UserIx};
use crate::json::Writer;
use crate::lint::Finding;
use crate::listing::{GroupQuery, MemberRow};
use crate::model::{Actual, Membership, Tenant, Trace};
use crate::suggest::Suggestions;

/// The writer every answer goes to.
pub type Out = Writer;

fn groups(t: &Tenant, w: &mut Out, list: &[GroupIx]) {
    w.arr();
    for &g in list {
        w.str(t.group_id(g));
    }
    w.end_arr();
}

fn types(w: &mut Out, m: &Membership) {
    w.arr();
    if m.manual {
        w.str("manual");
    }
    if m.dynamic {
        w.str("dynamic");
    }
    if !m.via.is_empty() {
        w.str("group");
    }
    w.end_arr();
}

fn check_fields(t: &Tenant, w: &mut Out, check: &Check) {
    w.key("allowed");
    w.bool(check.decision.allowed());
    w.key("productGroups");
    groups(t, w, &check.product_groups);
    w.field_str("reason", check.decision.reason());
    w.key("via");
    groups(t, w, &check.via);
}

/// `check`.
pub fn check(t: &Tenant, w: &mut Out, check: &Check) {
    w.obj();
    check_fields(t, w, check);
    w.end_obj();
}

/// `checkBatch`: one `check` answer per pair, without `revision`.
pub fn check_batch(t: &Tenant, w: &mut Out, pairs: &[(&str, &str)]) {
    w.obj();
    w.key("results");
    w.arr();
    for (user, product) in pairs {
        if w.failed() {
            break;
        }
        w.obj();
        check_fields(t, w, &access::check(t, user, product));
        w.end_obj();
    }
    w.end_arr();
    w.end_obj();
}

/// `hasPermission`.
pub fn has_permission(t: &Tenant, w: &mut Out, roles: &[RoleIx]) {
    w.obj();
    w.key("allowed");
    w.bool(!roles.is_empty());
    w.key("roles");
    w.arr();
    for &r in roles {
        w.str(t.role_id(r));
    }
    w.end_arr();
    w.end_obj();
}

/// `userAccess`.
pub fn user_access(t: &Tenant, w: &mut Out, u: UserIx) {
    let all = t.groups_of(u);
    let granting: Vec<GroupIx> = all.iter().copied().filter(|&g| t.grants(g)).collect();
    let roles = access::roles_through(t, u, &granting);
    let perms = access::permissions(t, &roles);
    w.obj();
    w.key("groups");
    w.arr();
    for &g in &all {
        let m = t.membership(g, u);
        w.obj();
        w.field_str("group", t.group_id(g));
        w.key("isActive");
        w.bool(t.is_active(g));
        w.key("types");
        types(w, &m);
        w.key("via");
        groups(t, w, &m.via);
        w.end_obj();
    }
    w.end_arr();
    w.key("homepage");
    w.obj();
    let mut by_slot = perms.clone();
    by_slot.sort_unstable();
    write_homepage(t, w, &homepage::resolve_with(t, u, &granting, &by_slot));
    w.end_obj();
    w.key("permissions");
    w.arr();
    for &p in &perms {
        w.str(t.permission_text(p));
    }
    w.end_arr();
    w.key("products");
    w.arr();
    for (p, decision, via) in access::products_through(t, u, &granting) {
        product_row(t, w, p, decision, &via);
    }
    w.end_arr();
    w.key("roles");
    w.arr();
    for (r, sources) in &roles {
        w.obj();
        w.field_str("role", t.role_id(*r));
        w.key("sources");
        w.arr();
        for source in sources {
            match source {
                Source::Direct => w.str("direct"),
                Source::Group(g) => w.str(t.group_id(*g)),
            }
        }
        w.end_arr();
        w.end_obj();
    }
    w.end_arr();
    w.end_obj();
}

fn product_row(t: &Tenant, w: &mut Out, p: ProductIx, decision: Decision, via: &[GroupIx]) {
    w.obj();
    w.field_str("product", t.product_id(p));
    w.field_str("reason", decision.reason());
    w.key("via");
    groups(t, w, via);
    w.end_obj();
}

/// The fields of a `homepage` answer, inside an object the caller opened.
pub fn homepage_fields(t: &Tenant, w: &mut Out, u: UserIx) {
    write_homepage(t, w, &homepage::resolve(t, u));
}

fn write_homepage(t: &Tenant, w: &mut Out, home: &homepage::Homepage<'_>) {
    w.key("dashboard");
    w.obj();
    w.key("group");
    w.opt_str(home.dashboard_group.map(|g| t.group_id(g)));
    w.key("layout");
    match home.layout {
        Some(layout) => w.raw(layout.as_str()),
        None => w.null(),
    }
    w.field_str(
        "source",
        match home.dashboard_source {
            DashboardSource::User => "user",
            DashboardSource::Group => "group",
            DashboardSource::Default => "default",
            DashboardSource::None => "none",
        },
    );
    w.end_obj();
    w.key("group");
    w.opt_str(home.group.map(|g| t.group_id(g)));
    w.key("note");
    if home.conflict.is_empty() {
        w.null();
    } else {
        let names: Vec<String> = home
            .conflict
            .iter()
            .map(|&g| format!("`{}`", t.group_id(g)))
            .collect();
        w.str(&format!(
            "groups {} set different homepages; no home group is chosen",
            names.join(", ")
        ));
    }
    w.key("redirect");
    w.opt_str(home.redirect.map(|m| t.module_id(m)));
    w.field_str(
        "source",
        match home.source {
            RedirectSource::Prevented => "prevented",
            RedirectSource::User => "user",
            RedirectSource::Group => "group",
            RedirectSource::Default => "default",
        },
    );
}

/// `members`.
pub fn members(t: &Tenant, w: &mut Out, g: GroupIx, total: usize, rows: &[MemberRow]) {
    w.obj();
    w.key("members");
    w.arr();
    for row in rows {
        w.obj();
        w.key("addedAt");
        w.opt_str(t.added_at(g, row.user).filter(|_| row.membership.manual));
        w.key("name");
        w.opt_str(t.user_name(row.user));
        w.key("types");
        types(w, &row.membership);
        w.field_str("user", t.user_id(row.user));
        w.key("via");
        groups(t, w, &row.membership.via);
        w.end_obj();
    }
    w.end_arr();
    w.key("total");
    w.num(total as u64);
    w.end_obj();
}

fn trace_json(trace: &Trace) -> Value {
    let node = |key: &str, inner: Value, result: bool| {
        let mut map = Map::new();
        map.insert(key.to_owned(), inner);
        map.insert("result".to_owned(), Value::Bool(result));
        Value::Object(map)
    };
    match trace {
        Trace::All(children, r) => node("all", children.iter().map(trace_json).collect(), *r),
        Trace::Any(children, r) => node("any", children.iter().map(trace_json).collect(), *r),
        Trace::Not(child, r) => node("not", trace_json(child), *r),
        Trace::Cond(cond, actual, r) => {
            let actual = match actual {
                Actual::Missing => Value::Null,
                Actual::Member(b) => Value::Bool(*b),
                Actual::Value(text) => serde_json::from_str(text).unwrap_or(Value::Null),
            };
            cond.to_json_with([("actual", actual), ("result", Value::Bool(*r))])
        }
    }
}

/// `explain`.
pub fn explain(t: &Tenant, w: &mut Out, g: GroupIx, u: UserIx) {
    let m = t.membership(g, u);
    w.obj();
    w.key("member");
    w.bool(m.is_member());
    w.key("rule");
    match t.rule(g) {
        Some(rule) => {
            let trace = t.explain_rule(rule, u);
            w.obj();
            w.key("matched");
            w.bool(trace.result() && !t.rule_on_cycle(g));
            w.key("trace");
            w.value(&trace_json(&trace));
            w.end_obj();
        }
        None => w.null(),
    }
    w.key("types");
    types(w, &m);
    w.key("via");
    groups(t, w, &m.via);
    w.end_obj();
}

/// `previewRule`.
pub fn preview(
    t: &Tenant,
    w: &mut Out,
    count: usize,
    first: &[UserIx],
    unknown: &[(&str, Option<&str>)],
) {
    w.obj();
    w.key("count");
    w.num(count as u64);
    w.key("users");
    w.arr();
    for &u in first {
        w.obj();
        w.key("name");
        w.opt_str(t.user_name(u));
        w.field_str("user", t.user_id(u));
        w.end_obj();
    }
    w.end_arr();
    w.key("warnings");
    w.arr();
    for &(field, suggestion) in unknown {
        let mut message =
            format!("no user has the field `{field}`, so it reads as missing for everyone");
        if let Some(s) = suggestion {
            message.push_str(&format!("; did you mean `{s}`?"));
        }
        w.obj();
        w.field_str("code", "unknown-field");
        w.field_str("field", field);
        w.field_str("message", &message);
        w.key("suggestion");
        w.opt_str(suggestion);
        w.end_obj();
    }
    w.end_arr();
    w.end_obj();
}

/// `whoCanAccess`.
pub fn who_can_access(
    t: &Tenant,
    w: &mut Out,
    p: ProductIx,
    count: usize,
    rows: &[(UserIx, Decision)],
) {
    w.obj();
    w.key("count");
    w.num(count as u64);
    w.key("users");
    w.arr();
    for &(u, decision) in rows {
        w.obj();
        w.field_str("reason", decision.reason());
        w.field_str("user", t.user_id(u));
        w.key("via");
        let via = if decision == Decision::Group {
            access::granting_groups(t, u, p)
        } else {
            Vec::new()
        };
        groups(t, w, &via);
        w.end_obj();
    }
    w.end_arr();
    w.end_obj();
}

/// `editDashboard`.
pub fn edit_dashboard(t: &Tenant, w: &mut Out, g: GroupIx) {
    w.obj();
    let (layout, draft) = match t.group_draft(g) {
        Some(d) => (Some(d), true),
        None => (t.group_dashboard(g), false),
    };
    w.key("isDraft");
    w.bool(draft);
    w.key("layout");
    match layout {
        Some(l) => w.raw(l.as_str()),
        None => w.null(),
    }
    w.end_obj();
}

/// `diagnostics`, and the load answer.
pub fn diagnostics(t: &Tenant, w: &mut Out) {
    w.obj();
    w.key("diagnostics");
    w.arr();
    for d in t.diagnostics() {
        w.obj();
        w.field_str("code", d.code);
        w.field_str("message", &d.message);
        w.field_str("path", &d.path);
        w.field_str("severity", d.severity.as_str());
        w.end_obj();
    }
    w.end_arr();
    w.end_obj();
}

/// `listGroups`.
pub fn list_groups(
    t: &Tenant,
    w: &mut Out,
    q: &GroupQuery,
    total: usize,
    rows: &[(GroupIx, &str)],
) {
    let chain = crate::listing::locale_chain(t, q.locale.as_deref());
    let default = t.default_locale();
    w.obj();
    w.key("groups");
    w.arr();
    for &(g, name) in rows {
        let listing = t.group_listing(g);
        w.obj();
        w.key("avatar");
        w.opt_str(listing.avatar);
        w.key("createdAt");
        w.opt_str(listing.created_at);
        w.key("createdBy");
        w.opt_str(listing.created_by);
        w.key("description");
        w.opt_str(listing.description);
        w.field_str("group", t.group_id(g));
        w.key("isActive");
        w.bool(t.is_active(g));
        w.key("isVisible");
        w.bool(listing.visible);
        w.key("memberCount");
        w.num(t.members(g).len() as u64);
        w.field_str("name", name);
        w.key("roles");
        w.arr();
        for r in t.group_roles(g) {
            if let Some(role) = t.role_name(r) {
                w.str(role.resolve(&chain, default));
            }
        }
        w.end_arr();
        w.key("slug");
        w.opt_str(listing.slug);
        w.end_obj();
    }
    w.end_arr();
    w.key("total");
    w.num(total as u64);
    w.end_obj();
}

/// An item of the snapshot.
#[derive(Debug, Clone, Copy)]
pub enum Item {
    User(UserIx),
    Group(GroupIx),
    Role(RoleIx),
    Product(ProductIx),
    Module(ModuleIx),
}

/// `{"definition": <item in the snapshot's shape>}`.
pub fn definition(t: &Tenant, w: &mut Out, item: Item) {
    w.obj();
    w.key("definition");
    match item {
        Item::User(u) => t.write_user(w, u),
        Item::Group(g) => t.write_group(w, g),
        Item::Role(r) => t.write_role(w, r),
        Item::Product(p) => t.write_product(w, p),
        Item::Module(m) => t.write_module(w, m),
    }
    w.end_obj();
}

/// `{"snapshot": <the whole snapshot>}`.
pub fn snapshot(t: &Tenant, w: &mut Out) {
    w.obj();
    w.key("snapshot");
    t.write_snapshot(w);
    w.end_obj();
}

/// `lint`.
pub fn lint(t: &Tenant, w: &mut Out, findings: &[Finding]) {
    w.obj();
    w.key("findings");
    w.arr();
    for f in findings {
        w.obj();
        w.field_str("code", f.code);
        w.key("group");
        w.opt_str(f.group.map(|g| t.group_id(g)));
        w.field_str("message", &f.message);
        w.field_str("severity", f.severity.as_str());
        w.end_obj();
    }
    w.end_arr();
    w.end_obj();
}

/// `impact`.
pub fn impact(w: &mut Out, impact: &crate::impact::Impact) {
    w.obj();
    w.key("groups");
    w.arr();
    for row in &impact.groups {
        let count = |w: &mut Out, side: crate::impact::GroupSide| match side {
            Some((n, _)) => w.num(n as u64),
            None => w.null(),
        };
        let active = |w: &mut Out, side: crate::impact::GroupSide| match side {
            Some((_, a)) => w.bool(a),
            None => w.null(),
        };
        w.obj();
        w.key("activeAfter");
        active(w, row.after);
        w.key("activeBefore");
        active(w, row.before);
        w.key("after");
        count(w, row.after);
        w.key("before");
        count(w, row.before);
        w.field_str("group", &row.group);
        w.end_obj();
    }
    w.end_arr();
    w.key("totalUsers");
    w.num(impact.total_users as u64);
    let t = &impact.totals;
    w.key("totals");
    w.obj();
    for (key, n) in [
        ("joined", t.joined),
        ("left", t.left),
        ("permissionsGained", t.permissions_gained),
        ("permissionsLost", t.permissions_lost),
        ("productsGained", t.products_gained),
        ("productsLost", t.products_lost),
        ("rolesGained", t.roles_gained),
        ("rolesLost", t.roles_lost),
    ] {
        w.key(key);
        w.num(n as u64);
    }
    w.end_obj();
    w.key("users");
    w.arr();
    for u in &impact.users {
        w.obj();
        for (key, list) in [
            ("joined", &u.joined),
            ("left", &u.left),
            ("permissionsGained", &u.permissions_gained),
            ("permissionsLost", &u.permissions_lost),
            ("productsGained", &u.products_gained),
            ("productsLost", &u.products_lost),
            ("rolesGained", &u.roles_gained),
            ("rolesLost", &u.roles_lost),
        ] {
            w.key(key);
            w.str_list(list.iter().map(String::as_str));
        }
        w.field_str("user", &u.user);
        w.end_obj();
    }
    w.end_arr();
    w.end_obj();
}

/// An error as the object of SPEC §7: `code`, `column`, `expected`, `line`, `message`,
/// `path`, the last four `null` when they do not apply.
pub fn error_object(w: &mut Out, error: &Error) {
    error_object_at(w, error, None);
}

/// [`error_object`], with `path` for an error that has none.
fn error_object_at(w: &mut Out, error: &Error, path: Option<&str>) {
    w.obj();
    w.field_str("code", error.code().as_str());
    w.key("column");
    match error.column() {
        Some(c) => w.num(u64::from(c)),
        None => w.null(),
    }
    w.key("expected");
    match error.expected() {
        Some(list) => w.str_list(list.iter().map(String::as_str)),
        None => w.null(),
    }
    w.key("line");
    match error.line() {
        Some(l) => w.num(u64::from(l)),
        None => w.null(),
    }
    w.field_str("message", error.message());
    w.key("path");
    w.opt_str(error.path().or(path));
    w.end_obj();
}

/// `suggest`: at most `limit` items; the diagnostic is located at the request's `text`.
pub fn suggest(w: &mut Out, s: &Suggestions<'_>, limit: usize) {
    w.obj();
    w.key("diagnostic");
    match &s.diagnostic {
        Some(error) => error_object_at(w, error, Some("$.text")),
        None => w.null(),
    }
    w.key("from");
    w.num(s.from as u64);
    w.key("items");
    w.arr();
    for item in &s.items(limit) {
        w.obj();
        w.key("count");
        match item.count {
            Some(c) => w.num(c as u64),
            None => w.null(),
        }
        w.key("detail");
        w.opt_str(item.detail);
        w.field_str("insert", &item.insert);
        w.field_str("kind", item.kind.as_str());
        w.field_str("label", item.label);
        w.end_obj();
    }
    w.end_arr();
    w.key("to");
    w.num(s.to as u64);
    w.end_obj();
}
