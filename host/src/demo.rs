//! `groupgate demo`: a short, readable tour of the answers over the bundled sample tenant.
//!
//! The sample (`samples/tenant.json`, written by `samples/generate.py`) is compiled into the
//! command, so the demo runs from any directory.
//! Every fact the tour states comes from an engine answer; the tenant's JSON is read only for
//! display names and to build the "what if" variants of the snapshot.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;

use groupgate_vectors::Backend;
use serde_json::{json, Value};

/// The bundled sample tenant.
pub const SAMPLE_TENANT: &str = include_str!("../../samples/tenant.json");

/// The people and groups the tour follows, by their ids in the sample.
const PARIS_MANAGERS: &str = "g-paris-managers";
const PARIS_MANAGER: &str = "u-elodie";
const LONDON_MANAGER: &str = "u-oliver";
const CANDIDATE: &str = "u-sophie";
const JOINED_GROUP: &str = "g-eng-frontend";
const LEFT_GROUP: &str = "g-design";
const DEVELOPER: &str = "u-lucas";
const UNAVAILABLE_PRODUCT: &str = "p-salesforce";
const ADMIN: &str = "u-amelia";
const ON_CALL_PRODUCT: &str = "p-pagerduty";
const SUPPORT_AGENT: &str = "u-priya";
const SUPPORT_GROUP: &str = "g-support";
const TWO_HOMES: &str = "u-marc";
const NO_REDIRECT: &str = "u-mei";

/// Runs the tour on `backend`, writing the text to `out`; returns the exit status.
pub fn run(backend: &mut dyn Backend, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let tenant: Value = match serde_json::from_str(SAMPLE_TENANT) {
        Ok(tenant) => tenant,
        Err(e) => {
            let _ = writeln!(err, "groupgate: the bundled sample is not JSON: {e}");
            return 1;
        }
    };
    let mut tour = Tour {
        backend,
        names: Names::of(&tenant),
        text: String::new(),
        problems: 0,
    };
    let loaded = tour.load(SAMPLE_TENANT);
    if let Some(load_answer) = loaded {
        tour.introduction(&tenant, &load_answer);
        tour.paris_managers(&tenant);
        tour.joining_and_leaving(&tenant);
        tour.products();
        tour.landing();
    }
    if out
        .write_all(tour.text.as_bytes())
        .and_then(|()| out.flush())
        .is_err()
    {
        return 1;
    }
    if tour.problems > 0 {
        let _ = writeln!(
            err,
            "groupgate: the engine could not answer {} of the tour's questions",
            tour.problems
        );
        return 1;
    }
    0
}

/// Appends one formatted line to the tour's text.
macro_rules! say {
    ($tour:expr) => {
        $tour.text.push('\n')
    };
    ($tour:expr, $($arg:tt)*) => {{
        $tour.text.push_str(&format!($($arg)*));
        $tour.text.push('\n');
    }};
}

struct Tour<'a> {
    backend: &'a mut dyn Backend,
    names: Names,
    text: String,
    problems: usize,
}

impl Tour<'_> {
    /// Loads a snapshot; `None` (and a note in the text) when it fails.
    fn load(&mut self, snapshot: &str) -> Option<Value> {
        let answer = self.backend.load(snapshot, false);
        self.parse_answer("load", &answer)
    }

    /// Asks one question; `None` (and a note in the text) when the answer is an error.
    fn ask(&mut self, request: Value) -> Option<Value> {
        let answer = self.backend.query(&request.to_string());
        let op = text(&request, "op").to_owned();
        self.parse_answer(&op, &answer)
    }

    fn parse_answer(&mut self, op: &str, answer: &str) -> Option<Value> {
        match serde_json::from_str::<Value>(answer) {
            Ok(value) if value.get("error").is_none() && value.is_object() => Some(value),
            Ok(value) => {
                let error = value.get("error").unwrap_or(&value);
                self.problem(&format!(
                    "`{op}` failed: {} ({})",
                    text(error, "message"),
                    text(error, "code")
                ));
                None
            }
            Err(e) => {
                self.problem(&format!("`{op}` gave an answer that is not JSON: {e}"));
                None
            }
        }
    }

    fn problem(&mut self, message: &str) {
        self.problems += 1;
        say!(self, "   [the engine could not answer: {message}]");
    }

    fn introduction(&mut self, tenant: &Value, load_answer: &Value) {
        say!(
            self,
            "groupgate demo: the sample tenant `{}`, as of {}",
            text(load_answer, "revision"),
            text(tenant, "asOf")
        );
        let diagnostics = list(load_answer, "diagnostics");
        let errors = diagnostics
            .iter()
            .filter(|d| text(d, "severity") == "error")
            .count();
        let loaded = match (diagnostics.len(), errors) {
            (0, _) => "loaded without diagnostics".to_owned(),
            (n, e) => format!("loaded with {n} diagnostics, {e} of them errors"),
        };
        say!(
            self,
            "{} users, {} groups, {} roles, {} products; {loaded}.",
            list(tenant, "users").len(),
            list(tenant, "groups").len(),
            list(tenant, "roles").len(),
            list(tenant, "products").len(),
        );
        for diagnostic in diagnostics.iter().take(3) {
            say!(
                self,
                "  {} {} at {}: {}",
                text(diagnostic, "severity"),
                text(diagnostic, "code"),
                text(diagnostic, "path"),
                text(diagnostic, "message")
            );
        }
    }

    /// Who is in "Paris Office - Managers", through which membership types, and why.
    fn paris_managers(&mut self, tenant: &Value) {
        say!(self);
        say!(
            self,
            "1. Who is in \"{}\", and why",
            self.names.group(PARIS_MANAGERS)
        );
        if let Some(rule) = group_field(tenant, PARIS_MANAGERS, "rule") {
            if let Some(text) = self.rule_text(rule) {
                say!(self, "   Its rule: {text}");
            }
        }
        if let Some(rule) = group_field(tenant, "g-paris-all", "rule") {
            if let Some(text) = self.rule_text(rule) {
                say!(
                    self,
                    "   and \"{}\" is itself dynamic: {text}",
                    self.names.group("g-paris-all")
                );
            }
        }
        let Some(answer) = self.ask(json!({"op": "members", "group": PARIS_MANAGERS})) else {
            return;
        };
        say!(self, "   {} members:", number(&answer, "total"));
        for member in list(&answer, "members") {
            let user = text(member, "user");
            let mut how = types(member);
            let via = list(member, "via");
            if !via.is_empty() {
                how.push_str(&format!(" via {}", self.group_names(via)));
            }
            if let Some(added) = member.get("addedAt").and_then(Value::as_str) {
                how.push_str(&format!(", added {}", date(added)));
            }
            say!(
                self,
                "     {:<22} {:<30} {how}",
                text(member, "name"),
                self.names.job(user)
            );
        }
        for (user, verdict) in [(PARIS_MANAGER, "is in"), (LONDON_MANAGER, "is not")] {
            let Some(answer) =
                self.ask(json!({"op": "explain", "user": user, "group": PARIS_MANAGERS}))
            else {
                continue;
            };
            let how = match types(&answer) {
                how if how.is_empty() => how,
                how => format!(" ({how})"),
            };
            say!(
                self,
                "   Why {} ({}, {}) {verdict}{how}:",
                self.names.user(user),
                self.names.job(user),
                self.names.location(user)
            );
            match answer.get("rule").and_then(|rule| rule.get("trace")) {
                Some(trace) => self.trace(trace, 1),
                None => say!(self, "     the group has no rule"),
            }
        }
    }

    /// The canonical text of a rule given as text or as an AST.
    fn rule_text(&mut self, rule: &Value) -> Option<String> {
        let ast = match rule {
            Value::String(text) => self
                .ask(json!({"op": "parseRule", "text": text}))?
                .get("rule")?
                .clone(),
            other => other.clone(),
        };
        let answer = self.ask(json!({"op": "formatRule", "rule": ast}))?;
        Some(text(&answer, "text").to_owned())
    }

    /// Writes an `explain` trace as an indented tree, one node per line.
    fn trace(&mut self, node: &Value, depth: usize) {
        let indent = " ".repeat(3 + 2 * depth);
        let mark = match matched(node) {
            Some(true) => "✓",
            Some(false) => "✗",
            None => "?",
        };
        for connective in ["all", "any"] {
            if let Some(children) = node.get(connective).and_then(Value::as_array) {
                let label = if connective == "all" {
                    "all of"
                } else {
                    "any of"
                };
                say!(self, "{indent}{mark} {label}:");
                for child in children {
                    self.trace(child, depth + 1);
                }
                return;
            }
        }
        if let Some(child) = node.get("not") {
            say!(self, "{indent}{mark} not:");
            self.trace(child, depth + 1);
            return;
        }
        let op = text(node, "op");
        let value = node.get("value").map(|v| self.show_value(op, v));
        let field = text(node, "field");
        let condition = match (field, value) {
            ("", Some(value)) => format!("{op} {value}"),
            (field, Some(value)) => format!("{field} {op} {value}"),
            (field, None) => format!("{field} {op}"),
        };
        let actual = node
            .get("actual")
            .filter(|actual| !field.is_empty() && !actual.is_null())
            .map(|actual| format!("  ({field} is {actual})"))
            .unwrap_or_default();
        say!(self, "{indent}{mark} {condition}{actual}");
    }

    /// A rule value for people: group ids become names, text is quoted.
    fn show_value(&self, op: &str, value: &Value) -> String {
        match value.as_str() {
            Some(id) if op == "MEMBER OF" => format!("\"{}\"", self.names.group(id)),
            Some(id) if op == "REPORTS TO" => self.names.user(id).to_owned(),
            _ => value.to_string(),
        }
    }

    /// What Sophie would gain by joining a group and lose by leaving one: each change is
    /// previewed with `impact`, then made with `apply`.
    fn joining_and_leaving(&mut self, tenant: &Value) {
        say!(self);
        say!(
            self,
            "2. {} joins \"{}\", then leaves \"{}\"",
            self.names.user(CANDIDATE),
            self.names.group(JOINED_GROUP),
            self.names.group(LEFT_GROUP)
        );
        let Some(today) = self.ask(json!({"op": "userAccess", "user": CANDIDATE})) else {
            return;
        };
        let groups: Vec<Value> = list(&today, "groups")
            .iter()
            .map(|g| g.get("group").cloned().unwrap_or(Value::Null))
            .collect();
        say!(self, "   Today she is in {}.", self.group_names(&groups));
        say!(
            self,
            "   Her roles: {}; her products: {}.",
            self.names_of(list(&today, "roles"), "role", Names::role),
            self.names_of(list(&today, "products"), "product", Names::product)
        );
        self.homepage_line(&today, "   She lands on");

        let join = json!([{"addMember": {"group": JOINED_GROUP, "user": CANDIDATE}}]);
        say!(
            self,
            "   Joining \"{}\" would, by `impact`:",
            self.names.group(JOINED_GROUP)
        );
        let Some(after_join) = self.preview_and_apply(tenant, &join, &today, None) else {
            return;
        };
        let leave = json!([{"removeMember": {"group": LEFT_GROUP, "user": CANDIDATE}}]);
        say!(
            self,
            "   Then leaving \"{}\" would:",
            self.names.group(LEFT_GROUP)
        );
        self.preview_and_apply(tenant, &leave, &after_join, Some(LEFT_GROUP));
        // Back to the sample as it is for the rest of the tour.
        self.load(SAMPLE_TENANT);
    }

    /// Shows the `impact` of `changes` on the candidate, applies them, and returns the
    /// candidate's `userAccess` afterwards. `left`, when the change removes the candidate
    /// from a group, is that group: the roles it carried that she keeps are shown with the
    /// sources that still give them.
    fn preview_and_apply(
        &mut self,
        tenant: &Value,
        changes: &Value,
        before: &Value,
        left: Option<&str>,
    ) -> Option<Value> {
        let impact = self.ask(json!({"op": "impact", "changes": changes}))?;
        let mine = list(&impact, "users")
            .iter()
            .find(|u| text(u, "user") == CANDIDATE)
            .cloned()
            .unwrap_or(Value::Null);
        let mut changed = false;
        for group in list(&mine, "joined") {
            say!(
                self,
                "     + join \"{}\"",
                self.names.group(group.as_str().unwrap_or(""))
            );
            changed = true;
        }
        for group in list(&mine, "left") {
            say!(
                self,
                "     - leave \"{}\"",
                self.names.group(group.as_str().unwrap_or(""))
            );
            changed = true;
        }
        let gained = role_names(&self.names, list(&mine, "rolesGained"));
        let lost = role_names(&self.names, list(&mine, "rolesLost"));
        changed |= self.change_line("+ gains the role", &gained);
        changed |= self.change_line("- loses the role", &lost);
        let perms = |key: &str| -> Vec<String> {
            list(&mine, key)
                .iter()
                .filter_map(|p| p.as_str().map(str::to_owned))
                .collect()
        };
        changed |= self.change_line("+ gains the permission", &perms("permissionsGained"));
        changed |= self.change_line("- loses the permission", &perms("permissionsLost"));
        let gained = product_names(&self.names, list(&mine, "productsGained"));
        let lost = product_names(&self.names, list(&mine, "productsLost"));
        changed |= self.change_line("+ may now use", &gained);
        changed |= self.change_line("- may no longer use", &lost);
        let counts: Vec<String> = list(&impact, "groups")
            .iter()
            .map(|g| {
                format!(
                    "\"{}\" {} → {}",
                    self.names.group(text(g, "group")),
                    number(g, "before"),
                    number(g, "after")
                )
            })
            .collect();
        if !counts.is_empty() {
            say!(
                self,
                "     member counts: {}",
                join(counts.iter().map(String::as_str))
            );
        }
        if !changed {
            say!(self, "     change nothing for her");
        }
        self.ask(json!({"op": "apply", "changes": changes}))?;
        let after = self.ask(json!({"op": "userAccess", "user": CANDIDATE}))?;
        if let Some(group) = left {
            // A role leaves only when no other source gives it.
            let lost: BTreeSet<&str> = list(&mine, "rolesLost")
                .iter()
                .filter_map(Value::as_str)
                .collect();
            let now = keyed(&after, "roles", "role");
            let kept: Vec<String> = group_field(tenant, group, "roles")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .filter(|role| !lost.contains(role))
                .filter_map(|role| {
                    let held = now.get(role)?;
                    Some(format!(
                        "{} (from {})",
                        self.names.role(role),
                        self.sources(list(held, "sources"))
                    ))
                })
                .collect();
            self.change_line("= keeps the role", &kept);
        }
        let home = |answer: &Value| {
            answer
                .get("homepage")
                .map(|h| (h.get("redirect").cloned(), h.get("group").cloned()))
        };
        if home(before) != home(&after) {
            self.homepage_line(&after, "     ~ and after `apply` she lands on");
        }
        Some(after)
    }

    /// One `+`/`-`/`=` line listing `items`; false when there are none.
    fn change_line<S: AsRef<str>>(&mut self, label: &str, items: &[S]) -> bool {
        if items.is_empty() {
            return false;
        }
        let countable = label.ends_with(" role") || label.ends_with(" permission");
        let plural = if items.len() > 1 && countable {
            "s"
        } else {
            ""
        };
        say!(
            self,
            "     {label}{plural} {}",
            join(items.iter().map(AsRef::as_ref))
        );
        true
    }

    /// The homepage part of a `userAccess` answer, as a sentence.
    fn homepage_line(&mut self, access: &Value, lead: &str) {
        let Some(homepage) = access.get("homepage") else {
            return;
        };
        let landing = self.landing_text(homepage);
        say!(self, "{lead} {landing}.");
    }

    fn landing_text(&self, homepage: &Value) -> String {
        let place = match homepage.get("redirect").and_then(Value::as_str) {
            Some(module) => format!("the {}", self.names.module(module)),
            None => "the default home page".to_owned(),
        };
        let why = match (
            text(homepage, "source"),
            homepage.get("group").and_then(Value::as_str),
        ) {
            ("group", Some(group)) => format!(", set by \"{}\"", self.names.group(group)),
            ("user", _) => ", her own choice".to_owned(),
            ("prevented", _) => ", as redirects are turned off for this user".to_owned(),
            _ => String::new(),
        };
        format!("{place}{why}")
    }

    /// Which products a developer may use and why; why an admin sees all of them.
    fn products(&mut self) {
        say!(self);
        say!(
            self,
            "3. Which products a developer may use, and why an admin sees them all"
        );
        if let Some(access) = self.ask(json!({"op": "userAccess", "user": DEVELOPER})) {
            let products = list(&access, "products");
            say!(
                self,
                "   {} ({}) may use {} products:",
                self.names.user(DEVELOPER),
                self.names.job(DEVELOPER),
                products.len()
            );
            let mut by_via: BTreeMap<String, Vec<&str>> = BTreeMap::new();
            for product in products {
                let via = list(product, "via");
                let how = if via.is_empty() {
                    format!("as {}", text(product, "reason"))
                } else {
                    format!("through {}", self.group_names(via))
                };
                by_via
                    .entry(how)
                    .or_default()
                    .push(self.names.product(text(product, "product")));
            }
            for (how, products) in by_via {
                say!(self, "     {:<42} {how}", join(products.into_iter()));
            }
        }
        if let Some(check) =
            self.ask(json!({"op": "check", "user": DEVELOPER, "product": UNAVAILABLE_PRODUCT}))
        {
            let answer = if check.get("allowed") == Some(&Value::Bool(true)) {
                "yes"
            } else {
                "no"
            };
            say!(
                self,
                "   May he use {}? {answer} (reason `{}`); it comes with {}, where an admin could add him.",
                self.names.product(UNAVAILABLE_PRODUCT),
                text(&check, "reason"),
                self.group_names(list(&check, "productGroups"))
            );
        }
        if let Some(check) =
            self.ask(json!({"op": "check", "user": ADMIN, "product": UNAVAILABLE_PRODUCT}))
        {
            let verdict = if check.get("allowed") == Some(&Value::Bool(true)) {
                "may"
            } else {
                "may not"
            };
            let via = list(&check, "via");
            let how = if via.is_empty() {
                "through no group: an org admin's access does not depend on groups".to_owned()
            } else {
                format!("through {}", self.group_names(via))
            };
            say!(
                self,
                "   {} ({}) {verdict} use it: reason `{}`, {how}.",
                self.names.user(ADMIN),
                self.names.job(ADMIN),
                text(&check, "reason")
            );
        }
        if let Some(access) = self.ask(json!({"op": "userAccess", "user": ADMIN})) {
            let products = list(&access, "products");
            let as_admin = products
                .iter()
                .filter(|p| text(p, "reason") == "admin")
                .count();
            if as_admin == products.len() && products.len() == self.names.products.len() {
                say!(
                    self,
                    "   Being an org admin opens all {} of the tenant's products to her, each with reason `admin`, whatever her groups say.",
                    products.len()
                );
            } else {
                say!(
                    self,
                    "   She may use {} of the tenant's {} products, {} of them with reason `admin`.",
                    products.len(),
                    self.names.products.len(),
                    as_admin
                );
            }
        }
        if let Some(who) =
            self.ask(json!({"op": "whoCanAccess", "product": ON_CALL_PRODUCT, "pageSize": 1000}))
        {
            let mut reasons: BTreeMap<&str, usize> = BTreeMap::new();
            let mut groups: BTreeMap<&str, usize> = BTreeMap::new();
            for user in list(&who, "users") {
                *reasons.entry(text(user, "reason")).or_default() += 1;
                for group in list(user, "via") {
                    *groups.entry(group.as_str().unwrap_or("")).or_default() += 1;
                }
            }
            let mut parts = Vec::new();
            if let Some(n) = reasons.remove("group") {
                let groups = join(
                    groups
                        .iter()
                        .map(|(g, n)| format!("\"{}\" {n}", self.names.group(g))),
                );
                parts.push(format!("{n} through their groups ({groups})"));
            }
            for (reason, n) in reasons {
                parts.push(format!("{n} as {reason}"));
            }
            say!(
                self,
                "   Who may use {}? {} people: {}.",
                self.names.product(ON_CALL_PRODUCT),
                number(&who, "count"),
                join(parts.iter())
            );
        }
    }

    /// Where a support agent lands: module and published dashboard; and two other cases.
    fn landing(&mut self) {
        say!(self);
        say!(self, "4. Where a support agent lands");
        if let Some(homepage) = self.ask(json!({"op": "homepage", "user": SUPPORT_AGENT})) {
            say!(
                self,
                "   {} ({}) is sent to {}.",
                self.names.user(SUPPORT_AGENT),
                self.names.job(SUPPORT_AGENT),
                self.landing_text(&homepage)
            );
            let dashboard = homepage.get("dashboard").unwrap_or(&Value::Null);
            let layout = dashboard.get("layout").unwrap_or(&Value::Null);
            let whose = match (
                text(dashboard, "source"),
                dashboard.get("group").and_then(Value::as_str),
            ) {
                ("group", Some(group)) => {
                    format!("the published one of \"{}\"", self.names.group(group))
                }
                ("user", _) => "her own".to_owned(),
                ("default", _) => "the tenant's default".to_owned(),
                _ => "none".to_owned(),
            };
            say!(
                self,
                "   Her dashboard is {whose}: {}.",
                describe_dashboard(layout)
            );
            if let Some(draft) = self.ask(json!({"op": "editDashboard", "group": SUPPORT_GROUP})) {
                let draft_layout = draft.get("layout").unwrap_or(&Value::Null);
                let added: Vec<&str> = widgets(draft_layout)
                    .into_iter()
                    .filter(|w| !widgets(layout).contains(w))
                    .collect();
                let status = if draft.get("isDraft") == Some(&Value::Bool(true)) {
                    "an unpublished draft"
                } else {
                    "the published dashboard"
                };
                say!(
                    self,
                    "   The dashboard editor opens {status}: {}{}; agents see it only once it is published.",
                    describe_dashboard(draft_layout),
                    if added.is_empty() {
                        String::new()
                    } else {
                        format!(" (adds {})", join(added.into_iter()))
                    }
                );
            }
        }
        if let Some(homepage) = self.ask(json!({"op": "homepage", "user": TWO_HOMES})) {
            let note = homepage
                .get("note")
                .and_then(Value::as_str)
                .map(|note| format!(" ({note})"))
                .unwrap_or_default();
            say!(
                self,
                "   {} ({}) is sent to {}{note}.",
                self.names.user(TWO_HOMES),
                self.names.job(TWO_HOMES),
                self.landing_text(&homepage)
            );
        }
        if let Some(homepage) = self.ask(json!({"op": "homepage", "user": NO_REDIRECT})) {
            say!(
                self,
                "   {} ({}) stays on {}.",
                self.names.user(NO_REDIRECT),
                self.names.job(NO_REDIRECT),
                self.landing_text(&homepage)
            );
        }
    }

    /// Group ids (JSON strings) as a list of quoted names.
    fn group_names(&self, ids: &[Value]) -> String {
        if ids.is_empty() {
            return "no group".to_owned();
        }
        join(
            ids.iter()
                .map(|id| format!("\"{}\"", self.names.group(id.as_str().unwrap_or("")))),
        )
    }

    /// Role sources (`direct` or group ids) for people.
    fn sources(&self, sources: &[Value]) -> String {
        join(sources.iter().map(|source| match source.as_str() {
            Some("direct") => "a direct assignment".to_owned(),
            Some(group) => format!("\"{}\"", self.names.group(group)),
            None => source.to_string(),
        }))
    }

    /// The display names of the `key` ids of answer items.
    fn names_of(
        &self,
        items: &[Value],
        key: &str,
        name: for<'n> fn(&'n Names, &'n str) -> &'n str,
    ) -> String {
        if items.is_empty() {
            return "none".to_owned();
        }
        join(items.iter().map(|item| name(&self.names, text(item, key))))
    }
}

/// Display names and a few profile fields from the tenant, for the tour's sentences.
struct Names {
    users: BTreeMap<String, (String, String, String)>,
    groups: BTreeMap<String, String>,
    roles: BTreeMap<String, String>,
    products: BTreeMap<String, String>,
    modules: BTreeMap<String, String>,
}

impl Names {
    fn of(tenant: &Value) -> Names {
        let table = |key: &str| -> BTreeMap<String, String> {
            list(tenant, key)
                .iter()
                .map(|item| (text(item, "id").to_owned(), display_name(item)))
                .collect()
        };
        let users = list(tenant, "users")
            .iter()
            .map(|user| {
                let attributes = user.get("attributes").unwrap_or(&Value::Null);
                (
                    text(user, "id").to_owned(),
                    (
                        display_name(user),
                        text(attributes, "jobTitle").to_owned(),
                        text(attributes, "location").to_owned(),
                    ),
                )
            })
            .collect();
        Names {
            users,
            groups: table("groups"),
            roles: table("roles"),
            products: table("products"),
            modules: table("modules"),
        }
    }

    fn user<'a>(&'a self, id: &'a str) -> &'a str {
        self.users.get(id).map_or(id, |(name, _, _)| name)
    }

    fn job<'a>(&'a self, id: &'a str) -> &'a str {
        self.users.get(id).map_or("", |(_, job, _)| job)
    }

    fn location<'a>(&'a self, id: &'a str) -> &'a str {
        self.users.get(id).map_or("", |(_, _, location)| location)
    }

    fn group<'a>(&'a self, id: &'a str) -> &'a str {
        self.groups.get(id).map_or(id, String::as_str)
    }

    fn role<'a>(&'a self, id: &'a str) -> &'a str {
        self.roles.get(id).map_or(id, String::as_str)
    }

    fn product<'a>(&'a self, id: &'a str) -> &'a str {
        self.products.get(id).map_or(id, String::as_str)
    }

    fn module<'a>(&'a self, id: &'a str) -> &'a str {
        self.modules.get(id).map_or(id, String::as_str)
    }
}

/// The English name of an item: `name` as text, or its `en` entry; else the id.
fn display_name(item: &Value) -> String {
    match item.get("name") {
        Some(Value::String(name)) => name.clone(),
        Some(Value::Object(localized)) => localized
            .get("en")
            .and_then(Value::as_str)
            .unwrap_or_else(|| text(item, "id"))
            .to_owned(),
        _ => text(item, "id").to_owned(),
    }
}

/// The value of `field` in the group `id` of the tenant.
fn group_field<'v>(tenant: &'v Value, id: &str, field: &str) -> Option<&'v Value> {
    list(tenant, "groups")
        .iter()
        .find(|g| text(g, "id") == id)?
        .get(field)
}

/// The display names of role ids.
fn role_names(names: &Names, ids: &[Value]) -> Vec<String> {
    ids.iter()
        .filter_map(Value::as_str)
        .map(|id| names.role(id).to_owned())
        .collect()
}

/// The display names of product ids.
fn product_names(names: &Names, ids: &[Value]) -> Vec<String> {
    ids.iter()
        .filter_map(Value::as_str)
        .map(|id| names.product(id).to_owned())
        .collect()
}

/// The items of the list `items` of an answer, keyed by their id in `key`.
fn keyed<'v>(answer: &'v Value, items: &str, key: &str) -> BTreeMap<&'v str, &'v Value> {
    list(answer, items)
        .iter()
        .map(|item| (text(item, key), item))
        .collect()
}

/// The membership types of an answer item, as `manual, dynamic`.
fn types(item: &Value) -> String {
    let names: Vec<&str> = list(item, "types")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    names.join(", ")
}

/// Whether a trace node held, under the names a trace may use for it.
fn matched(node: &Value) -> Option<bool> {
    ["matched", "result", "holds", "value"]
        .iter()
        .find_map(|key| node.get(*key).and_then(Value::as_bool))
}

/// A dashboard for people: its layout and widgets when it has them, else its JSON.
fn describe_dashboard(layout: &Value) -> String {
    match (
        layout.get("layout").and_then(Value::as_str),
        widgets(layout),
    ) {
        (Some(kind), widgets) if !widgets.is_empty() => {
            format!("a {kind} of {}", join(widgets.into_iter()))
        }
        _ if layout.is_null() => "none".to_owned(),
        _ => layout.to_string(),
    }
}

fn widgets(layout: &Value) -> Vec<&str> {
    list(layout, "widgets")
        .iter()
        .filter_map(Value::as_str)
        .collect()
}

/// The date part of an RFC 3339 timestamp.
fn date(timestamp: &str) -> &str {
    timestamp.split('T').next().unwrap_or(timestamp)
}

fn text<'v>(value: &'v Value, key: &str) -> &'v str {
    value.get(key).and_then(Value::as_str).unwrap_or("")
}

fn list<'v>(value: &'v Value, key: &str) -> &'v [Value] {
    value
        .get(key)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

fn number(value: &Value, key: &str) -> String {
    value
        .get(key)
        .map_or_else(|| "?".to_owned(), Value::to_string)
}

fn join<S: AsRef<str>>(items: impl Iterator<Item = S>) -> String {
    let items: Vec<S> = items.collect();
    let mut out = String::new();
    for (index, item) in items.iter().enumerate() {
        if index > 0 {
            out.push_str(if index + 1 == items.len() {
                " and "
            } else {
                ", "
            });
        }
        out.push_str(item.as_ref());
    }
    out
}
