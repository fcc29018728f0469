//! Change lists through `apply` against a fixed tenant (SPEC §7, §7.2).
//!
//! Two input modes. Plain: `!`, a selector byte (the tenant; strict when >= 128), then the
//! request text as is (the seed corpus is written this way, from the project's vectors).
//! Structure-aware (any other first byte): the input is decoded with `arbitrary` into a change list built from the
//! change kinds of §7.2, naming mostly ids the tenant has (and sometimes unknown ones), with
//! occasional damage (a key dropped, an unknown key, a value of the wrong type) and raw JSON
//! elements. Asserted:
//! - an error answer names a path, and leaves the engine answering every probe exactly as
//!   before (a change list is atomic);
//! - a success answer carries `revision` (the request's, or null) and the full list of
//!   `diagnostics`, the same list the `diagnostics` op then gives; under `strict` none of
//!   them is an error; later answers carry the new revision; the same request on a second
//!   fresh engine gives the same answers (no hidden nondeterminism).

#![no_main]

use arbitrary::Arbitrary;
use groupgate_fuzz::{ask, parse_json, Tenant};
use libfuzzer_sys::fuzz_target;
use serde_json::{json, Map, Value};
use std::sync::OnceLock;

#[derive(Arbitrary, Debug)]
struct Input {
    tenant: u8,
    strict: bool,
    revision: Option<Revision>,
    changes: Vec<(Change, Damage)>,
    /// Replaces the well-formed list with raw text when present.
    raw: Option<String>,
}

#[derive(Arbitrary, Debug)]
enum Revision {
    Text(String),
    Number(i32),
}

/// A reference: an id the tenant has (by index), or any text.
#[derive(Arbitrary, Debug)]
enum Ref {
    Known(u8),
    Text(String),
}

#[derive(Arbitrary, Debug)]
enum Stamp {
    /// Seconds after 2020-01-01T00:00:00Z, written in RFC 3339 with an offset.
    Valid(u32, i8),
    Text(String),
}

#[derive(Arbitrary, Debug)]
enum RuleSpec {
    Null,
    /// A rule text from the project's vectors.
    Vector(u8),
    MemberOf(Ref),
    Condition(Field, u8, Scalar),
    Not(Box<RuleSpec>),
    All(Vec<RuleSpec>),
    Any(Vec<RuleSpec>),
    Raw(String),
}

#[derive(Arbitrary, Debug)]
enum Field {
    Known(u8),
    Text(String),
}

#[derive(Arbitrary, Debug)]
enum Scalar {
    Text(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    Null,
    List(Vec<Scalar>),
}

#[derive(Arbitrary, Debug)]
enum Change {
    AddMember {
        group: Ref,
        user: Ref,
        starts_at: Option<Stamp>,
        expires_at: Option<Stamp>,
    },
    RemoveMember {
        group: Ref,
        user: Ref,
    },
    AddInclude {
        group: Ref,
        source: Ref,
    },
    RemoveInclude {
        group: Ref,
        source: Ref,
    },
    SetRule {
        group: Ref,
        rule: RuleSpec,
    },
    AddGroupRole {
        group: Ref,
        role: Ref,
    },
    RemoveGroupRole {
        group: Ref,
        role: Ref,
    },
    AddGroupProduct {
        group: Ref,
        product: Ref,
    },
    RemoveGroupProduct {
        group: Ref,
        product: Ref,
    },
    SetGroupActive {
        group: Ref,
        active: bool,
    },
    UpsertUser(UserSpec),
    RemoveUser(Ref),
    UpsertGroup(GroupSpec),
    RemoveGroup(Ref),
    UpsertRole {
        id: Ref,
        name: Option<String>,
        permissions: Vec<String>,
        privileged: Option<bool>,
    },
    RemoveRole(Ref),
    UpsertProduct {
        id: Ref,
        name: Option<String>,
    },
    RemoveProduct(Ref),
    SetAsOf(Stamp),
    /// Any JSON text as the element (a string when it is not JSON).
    Raw(String),
}

#[derive(Arbitrary, Debug)]
struct UserSpec {
    id: Ref,
    name: Option<String>,
    org_role: Option<u8>,
    attributes: Vec<(Field, Scalar)>,
    roles: Vec<Ref>,
    primary_group: Option<Ref>,
    homepage_module: Option<String>,
}

#[derive(Arbitrary, Debug)]
struct GroupSpec {
    id: Ref,
    name: Option<String>,
    is_active: Option<bool>,
    members: Vec<(Ref, Option<Stamp>, Option<Stamp>)>,
    include_groups: Vec<Ref>,
    rule: Option<RuleSpec>,
    roles: Vec<Ref>,
    products: Vec<Ref>,
}

/// Occasional damage to a change's inner object.
#[derive(Arbitrary, Debug)]
enum Damage {
    None,
    DropKey(u8),
    ExtraKey(String),
    WrongType(u8, Scalar),
}

const FIELDS: &[&str] = &[
    "department",
    "location",
    "jobTitle",
    "job",
    "status",
    "level",
    "manager",
    "hireDate",
    "name",
    "id",
    "orgRole",
    "gender",
];
const OPS: &[&str] = &[
    "=",
    "!=",
    "LIKE",
    "NOT LIKE",
    "STARTS WITH",
    "ENDS WITH",
    "IN",
    "NOT IN",
    "<",
    "<=",
    ">",
    ">=",
    "EXISTS",
    "NOT EXISTS",
    "REPORTS TO",
    "MEMBER OF",
];

/// Rule texts from the project's vectors.
fn rule_texts() -> &'static [String] {
    static TEXTS: OnceLock<Vec<String>> = OnceLock::new();
    TEXTS.get_or_init(|| {
        let mut texts = Vec::new();
        for file in [
            include_str!("../../tests/vectors/rules_text.json"),
            include_str!("../../tests/vectors/operators.json"),
        ] {
            let vector: Value = serde_json::from_str(file).expect("vector file is JSON");
            for case in vector["cases"].as_array().into_iter().flatten() {
                for key in ["text", "rule"] {
                    if let Some(Value::String(text)) = case["request"].get(key) {
                        texts.push(text.clone());
                    }
                }
            }
        }
        texts
    })
}

struct Builder<'a> {
    tenant: &'a Tenant,
}

impl Builder<'_> {
    fn pick(&self, r: &Ref, known: &[String]) -> Value {
        match r {
            Ref::Known(i) if !known.is_empty() => json!(known[usize::from(*i) % known.len()]),
            Ref::Known(i) => json!(format!("x{i}")),
            Ref::Text(t) => json!(t),
        }
    }
    fn user(&self, r: &Ref) -> Value {
        self.pick(r, &self.tenant.users)
    }
    fn group(&self, r: &Ref) -> Value {
        self.pick(r, &self.tenant.groups)
    }
    fn role(&self, r: &Ref) -> Value {
        self.pick(r, &self.tenant.roles)
    }
    fn product(&self, r: &Ref) -> Value {
        self.pick(r, &self.tenant.products)
    }

    fn stamp(s: &Stamp) -> Value {
        match s {
            Stamp::Valid(secs, offset) => {
                let secs = i64::from(*secs) + 1_577_836_800; // 2020-01-01T00:00:00Z
                let (days, rest) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
                let (y, m, d) = civil(days);
                let off = i64::from(*offset % 15);
                let sign = if off < 0 { '-' } else { '+' };
                json!(format!(
                    "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}{sign}{:02}:00",
                    rest / 3600,
                    rest / 60 % 60,
                    rest % 60,
                    off.abs()
                ))
            }
            Stamp::Text(t) => json!(t),
        }
    }

    fn scalar(s: &Scalar) -> Value {
        match s {
            Scalar::Text(t) => json!(t),
            Scalar::Int(i) => json!(i),
            Scalar::Float(f) => json!(f),
            Scalar::Bool(b) => json!(b),
            Scalar::Null => Value::Null,
            Scalar::List(items) => Value::Array(items.iter().map(Builder::scalar).collect()),
        }
    }

    fn field(f: &Field) -> Value {
        match f {
            Field::Known(i) => json!(FIELDS[usize::from(*i) % FIELDS.len()]),
            Field::Text(t) => json!(t),
        }
    }

    fn rule(&self, r: &RuleSpec) -> Value {
        match r {
            RuleSpec::Null => Value::Null,
            RuleSpec::Vector(i) => {
                let texts = rule_texts();
                json!(texts[usize::from(*i) % texts.len()])
            }
            RuleSpec::MemberOf(g) => json!({"op": "MEMBER OF", "value": self.group(g)}),
            RuleSpec::Condition(f, op, v) => {
                let op = OPS[usize::from(*op) % OPS.len()];
                let mut node = json!({"field": Builder::field(f), "op": op});
                if !op.ends_with("EXISTS") {
                    node["value"] = Builder::scalar(v);
                }
                if op == "MEMBER OF" {
                    node.as_object_mut().map(|m| m.remove("field"));
                }
                node
            }
            RuleSpec::Not(inner) => json!({"not": self.rule(inner)}),
            RuleSpec::All(items) => {
                json!({"all": items.iter().map(|i| self.rule(i)).collect::<Vec<_>>()})
            }
            RuleSpec::Any(items) => {
                json!({"any": items.iter().map(|i| self.rule(i)).collect::<Vec<_>>()})
            }
            RuleSpec::Raw(t) => json!(t),
        }
    }

    fn change(&self, change: &Change) -> Value {
        let gu = |kind: &str, group: &Ref, key: &str, other: Value| json!({ kind: { "group": self.group(group), key: other } });
        match change {
            Change::AddMember {
                group,
                user,
                starts_at,
                expires_at,
            } => {
                let mut inner = json!({"group": self.group(group), "user": self.user(user)});
                if let Some(s) = starts_at {
                    inner["startsAt"] = Builder::stamp(s);
                }
                if let Some(s) = expires_at {
                    inner["expiresAt"] = Builder::stamp(s);
                }
                json!({ "addMember": inner })
            }
            Change::RemoveMember { group, user } => {
                gu("removeMember", group, "user", self.user(user))
            }
            Change::AddInclude { group, source } => {
                gu("addInclude", group, "source", self.group(source))
            }
            Change::RemoveInclude { group, source } => {
                gu("removeInclude", group, "source", self.group(source))
            }
            Change::SetRule { group, rule } => gu("setRule", group, "rule", self.rule(rule)),
            Change::AddGroupRole { group, role } => {
                gu("addGroupRole", group, "role", self.role(role))
            }
            Change::RemoveGroupRole { group, role } => {
                gu("removeGroupRole", group, "role", self.role(role))
            }
            Change::AddGroupProduct { group, product } => {
                gu("addGroupProduct", group, "product", self.product(product))
            }
            Change::RemoveGroupProduct { group, product } => gu(
                "removeGroupProduct",
                group,
                "product",
                self.product(product),
            ),
            Change::SetGroupActive { group, active } => {
                gu("setGroupActive", group, "active", json!(active))
            }
            Change::UpsertUser(u) => {
                let mut user = Map::new();
                user.insert("id".into(), self.user(&u.id));
                if let Some(name) = &u.name {
                    user.insert("name".into(), json!(name));
                }
                if let Some(role) = u.org_role {
                    let roles = ["owner", "admin", "member", "guest"];
                    user.insert(
                        "orgRole".into(),
                        json!(roles[usize::from(role) % roles.len()]),
                    );
                }
                if !u.attributes.is_empty() {
                    let attributes: Map<String, Value> = u
                        .attributes
                        .iter()
                        .map(|(f, v)| {
                            let key = Builder::field(f).as_str().unwrap_or_default().to_owned();
                            (key, Builder::scalar(v))
                        })
                        .collect();
                    user.insert("attributes".into(), Value::Object(attributes));
                }
                if !u.roles.is_empty() {
                    user.insert(
                        "roles".into(),
                        u.roles.iter().map(|r| self.role(r)).collect(),
                    );
                }
                if let Some(g) = &u.primary_group {
                    user.insert("primaryGroup".into(), self.group(g));
                }
                if let Some(m) = &u.homepage_module {
                    user.insert("homepageModule".into(), json!(m));
                }
                json!({ "upsertUser": user })
            }
            Change::RemoveUser(u) => json!({ "removeUser": self.user(u) }),
            Change::UpsertGroup(g) => {
                let mut group = Map::new();
                group.insert("id".into(), self.group(&g.id));
                if let Some(name) = &g.name {
                    group.insert("name".into(), json!(name));
                }
                if let Some(active) = g.is_active {
                    group.insert("isActive".into(), json!(active));
                }
                if !g.members.is_empty() {
                    let members = g
                        .members
                        .iter()
                        .map(|(u, starts, expires)| match (starts, expires) {
                            (None, None) => self.user(u),
                            _ => {
                                let mut entry = json!({"user": self.user(u)});
                                if let Some(s) = starts {
                                    entry["startsAt"] = Builder::stamp(s);
                                }
                                if let Some(s) = expires {
                                    entry["expiresAt"] = Builder::stamp(s);
                                }
                                entry
                            }
                        })
                        .collect();
                    group.insert("members".into(), members);
                }
                if !g.include_groups.is_empty() {
                    group.insert(
                        "includeGroups".into(),
                        g.include_groups.iter().map(|r| self.group(r)).collect(),
                    );
                }
                if let Some(rule) = &g.rule {
                    group.insert("rule".into(), self.rule(rule));
                }
                if !g.roles.is_empty() {
                    group.insert(
                        "roles".into(),
                        g.roles.iter().map(|r| self.role(r)).collect(),
                    );
                }
                if !g.products.is_empty() {
                    group.insert(
                        "products".into(),
                        g.products.iter().map(|r| self.product(r)).collect(),
                    );
                }
                json!({ "upsertGroup": group })
            }
            Change::RemoveGroup(g) => json!({ "removeGroup": self.group(g) }),
            Change::UpsertRole {
                id,
                name,
                permissions,
                privileged,
            } => {
                let mut role = json!({"id": self.role(id), "permissions": permissions});
                if let Some(name) = name {
                    role["name"] = json!(name);
                }
                if let Some(p) = privileged {
                    role["privileged"] = json!(p);
                }
                json!({ "upsertRole": role })
            }
            Change::RemoveRole(r) => json!({ "removeRole": self.role(r) }),
            Change::UpsertProduct { id, name } => {
                let mut product = json!({"id": self.product(id)});
                if let Some(name) = name {
                    product["name"] = json!(name);
                }
                json!({ "upsertProduct": product })
            }
            Change::RemoveProduct(p) => json!({ "removeProduct": self.product(p) }),
            Change::SetAsOf(s) => json!({ "setAsOf": Builder::stamp(s) }),
            Change::Raw(text) => parse_json(text).unwrap_or_else(|| json!(text)),
        }
    }

    fn damage(change: &mut Value, damage: &Damage) {
        let Some(inner) = change.as_object_mut().and_then(|m| m.values_mut().next()) else {
            return;
        };
        match damage {
            Damage::None => {}
            Damage::DropKey(i) => {
                if let Some(map) = inner.as_object_mut() {
                    if !map.is_empty() {
                        let key = map.keys().nth(usize::from(*i) % map.len()).cloned();
                        key.map(|k| map.remove(&k));
                    }
                }
            }
            Damage::ExtraKey(key) => {
                if let Some(map) = inner.as_object_mut() {
                    map.insert(key.clone(), json!(1));
                }
            }
            Damage::WrongType(i, scalar) => match inner.as_object_mut() {
                Some(map) if !map.is_empty() => {
                    let key = map.keys().nth(usize::from(*i) % map.len()).cloned();
                    if let Some(k) = key {
                        map.insert(k, Builder::scalar(scalar));
                    }
                }
                _ => *inner = Builder::scalar(scalar),
            },
        }
    }
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian.
fn civil(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

fn request_text(input: &Input, tenant: &Tenant) -> String {
    let builder = Builder { tenant };
    let mut request = Map::new();
    request.insert("op".into(), json!("apply"));
    if let Some(raw) = &input.raw {
        // The whole `changes` value as raw JSON text (or a string when it is not JSON).
        request.insert(
            "changes".into(),
            parse_json(raw).unwrap_or_else(|| json!(raw)),
        );
    } else {
        let changes = input
            .changes
            .iter()
            .map(|(change, damage)| {
                let mut value = builder.change(change);
                Builder::damage(&mut value, damage);
                value
            })
            .collect();
        request.insert("changes".into(), Value::Array(changes));
    }
    match &input.revision {
        Some(Revision::Text(r)) => {
            request.insert("revision".into(), json!(r));
        }
        Some(Revision::Number(n)) => {
            request.insert("revision".into(), json!(n));
        }
        None => {}
    }
    Value::Object(request).to_string()
}

fuzz_target!(|data: &[u8]| {
    match data {
        // Plain mode: `!`, a selector byte (tenant; strict when >= 128), the request text.
        [b'!', selector, text @ ..] => {
            let tenant = groupgate_fuzz::tenant_for(*selector);
            let strict = *selector >= 128 && tenant.loads_strict;
            let request = groupgate_fuzz::text(text);
            let parsed = parse_json(&request);
            let is_apply = parsed
                .as_ref()
                .and_then(|r| r.get("op"))
                .and_then(Value::as_str)
                == Some("apply");
            let revision = match parsed.as_ref().and_then(|r| r.get("revision")) {
                None => Some(Value::Null),
                Some(r @ Value::String(_)) => Some(r.clone()),
                Some(_) => None,
            };
            run(tenant, strict, &request, is_apply, revision);
        }
        // Structure-aware mode.
        _ => {
            let Ok(input) = Input::arbitrary_take_rest(arbitrary::Unstructured::new(data)) else {
                return;
            };
            let tenant = groupgate_fuzz::tenant_for(input.tenant);
            let strict = input.strict && tenant.loads_strict;
            let request = request_text(&input, tenant);
            // "The request's revision labels the new state (none when absent)."
            let revision = match &input.revision {
                Some(Revision::Text(r)) => Some(json!(r)),
                None => Some(Value::Null),
                Some(Revision::Number(_)) => None,
            };
            run(tenant, strict, &request, true, revision);
        }
    }
});

/// Sends `request` to a fresh engine of `tenant` and checks the contract. `is_apply`: the
/// request is an `apply` (else only the shape and the atomicity of errors are checked);
/// `revision`: the revision a success must carry, when known.
fn run(tenant: &Tenant, strict: bool, request: &str, is_apply: bool, revision: Option<Value>) {
    let mut engine = tenant.engine(strict);
    let before = if strict {
        tenant.probe(&mut engine)
    } else {
        tenant.baseline.clone()
    };
    let (answer_text, answer) = ask(&mut engine, request);

    if let Some(error) = answer.get("error") {
        let path = error
            .get("path")
            .and_then(Value::as_str)
            .unwrap_or_default();
        assert!(
            !is_apply || path.starts_with('$'),
            "apply error names no path\nrequest: {request}\nanswer: {answer_text}"
        );
        tenant.assert_unchanged(&mut engine, &before, "a failed request");
        return;
    }
    if !is_apply {
        return;
    }

    let new_revision = answer.get("revision").cloned().unwrap_or_default();
    if let Some(expected) = revision {
        assert_eq!(
            new_revision, expected,
            "apply does not label the state with the request's revision\nrequest: {request}\nanswer: {answer_text}"
        );
    }
    let Some(Value::Array(diagnostics)) = answer.get("diagnostics") else {
        panic!("apply success lacks `diagnostics`\nrequest: {request}\nanswer: {answer_text}");
    };
    if strict {
        assert!(
            diagnostics.iter().all(|d| d.get("severity").and_then(Value::as_str) != Some("error")),
            "strict engine accepted a change list that adds an error diagnostic\nrequest: {request}\nanswer: {answer_text}"
        );
    }
    let (_, listed) = ask(&mut engine, r#"{"op":"diagnostics"}"#);
    assert_eq!(
        listed.get("diagnostics"),
        answer.get("diagnostics"),
        "apply's diagnostics are not the full list the engine then gives\nrequest: {request}"
    );
    let after = tenant.probe(&mut engine);
    for (probe, probe_answer) in tenant.probes.iter().zip(&after) {
        let map = groupgate_fuzz::check_answer(probe_answer, probe);
        assert_eq!(
            map.get("revision"),
            Some(&new_revision),
            "an answer after apply carries another revision\nprobe: {probe}\nrequest: {request}"
        );
    }

    // Determinism: the same request on a second fresh engine, the same answers.
    let mut twin = tenant.engine(strict);
    let (twin_answer, _) = ask(&mut twin, request);
    assert_eq!(
        answer_text, twin_answer,
        "apply answers differently on a twin engine\nrequest: {request}"
    );
    assert_eq!(
        after,
        tenant.probe(&mut twin),
        "twin engines answer differently after apply\nrequest: {request}"
    );
}
