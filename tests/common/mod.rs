#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "shared by several test binaries, each using a part; a test fails by panicking"
)]
//! Random tenants and change lists, the document edit each change stands for, and the
//! questions whose answers two engines must agree on: shared by the property tests.
//! Every sequence is fixed by its seed, so a failure always reproduces.

use groupgate::{load_json, Engine, LoadOptions};
use serde_json::{json, Map, Value};

/// The first seed and how many to try: `GROUPGATE_PROPERTY_SEED` (default 1) and
/// `GROUPGATE_PROPERTY_CASES` (default `cases`).
pub fn seeds(cases: u64) -> (u64, u64) {
    let var = |name: &str, default: u64| {
        std::env::var(name)
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(default)
    };
    (
        var("GROUPGATE_PROPERTY_SEED", 1),
        var("GROUPGATE_PROPERTY_CASES", cases),
    )
}

/// splitmix64: a fixed sequence per seed, so a failure always reproduces.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    pub fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

pub const CITIES: &[&str] = &["Paris", "paris", "London", "Lyon", "Berlin"];
pub const DEPTS: &[&str] = &["Sales", "Eng", "Ops", "HR"];
pub const TAGS: &[&str] = &["x", "y", "z"];

pub fn user_id(i: usize) -> String {
    format!("u{i}")
}

pub fn group_id(i: usize) -> String {
    format!("g{i}")
}

/// A random condition over the tenant's fields.
pub fn condition(rng: &mut Rng, users: usize, groups: usize, own: usize) -> Value {
    match rng.below(10) {
        0 => json!({"field": "location", "op": "=", "value": rng.pick(CITIES)}),
        1 => json!({"field": "dept", "op": "IN", "value": [rng.pick(DEPTS), rng.pick(DEPTS)]}),
        2 => json!({"field": "level", "op": rng.pick(&[">", "<=", "="]), "value": rng.below(6)}),
        3 => json!({"field": "tags", "op": rng.pick(&["EXISTS", "NOT EXISTS"])}),
        4 => json!({"field": "tags", "op": "IN", "value": [rng.pick(TAGS)]}),
        5 => {
            json!({"field": "manager", "op": "REPORTS TO", "value": user_id(rng.below(users + 1))})
        }
        6 => {
            // Sometimes the group itself or an unknown one: cycles and dangling references.
            let g = if rng.chance(10) {
                own
            } else {
                rng.below(groups + 1)
            };
            json!({"op": "MEMBER OF", "value": group_id(g)})
        }
        7 => json!({"field": "name", "op": "STARTS WITH", "value": rng.pick(&["a", "B", "c"])}),
        8 => json!({"field": "location", "op": "LIKE", "value": "on"}),
        _ => json!({"field": "Location", "op": "!=", "value": rng.pick(CITIES)}),
    }
}

pub fn rule(rng: &mut Rng, users: usize, groups: usize, own: usize) -> Value {
    let n = 1 + rng.below(3);
    let mut items: Vec<Value> = (0..n).map(|_| condition(rng, users, groups, own)).collect();
    if rng.chance(20) {
        let inner = items.pop().unwrap();
        items.push(json!({ "not": inner }));
    }
    let node = if items.len() == 1 {
        items.pop().unwrap()
    } else if rng.chance(50) {
        json!({ "all": items })
    } else {
        json!({ "any": items })
    };
    if rng.chance(30) {
        // The text form of the same rule.
        let text = groupgate::answer_without_engine_json(
            &json!({"op": "formatRule", "rule": node.clone()}).to_string(),
        );
        let text: Value = serde_json::from_str(&text).unwrap();
        if let Some(text) = text["text"].as_str() {
            return Value::String(text.to_owned());
        }
    }
    node
}

pub fn user(rng: &mut Rng, i: usize, users: usize, roles: usize) -> Value {
    let mut attrs = Map::new();
    if rng.chance(80) {
        attrs.insert("location".into(), json!(rng.pick(CITIES)));
    }
    if rng.chance(70) {
        attrs.insert("dept".into(), json!(rng.pick(DEPTS)));
    }
    if rng.chance(60) {
        attrs.insert("level".into(), json!(rng.below(6)));
    }
    if rng.chance(40) {
        let n = rng.below(3);
        attrs.insert(
            "tags".into(),
            Value::Array((0..n).map(|_| json!(rng.pick(TAGS))).collect()),
        );
    }
    if i > 0 && rng.chance(80) {
        attrs.insert("manager".into(), json!(user_id(rng.below(users))));
    }
    let mut u = Map::new();
    u.insert("id".into(), json!(user_id(i)));
    if rng.chance(90) {
        u.insert(
            "name".into(),
            json!(format!(
                "{}{}",
                rng.pick(&["Ana", "bo", "Cy", "Éd", "ana"]),
                i % 3
            )),
        );
    }
    if rng.chance(10) {
        u.insert(
            "orgRole".into(),
            json!(rng.pick(&["owner", "admin", "boss"])),
        );
    }
    u.insert("attributes".into(), Value::Object(attrs));
    if rng.chance(40) {
        u.insert(
            "roles".into(),
            json!([format!("r{}", rng.below(roles + 1))]),
        );
    }
    if rng.chance(20) {
        u.insert("primaryGroup".into(), json!(group_id(rng.below(6))));
    }
    if rng.chance(10) {
        u.insert(
            "homepageModule".into(),
            json!(rng.pick(&["m1", "m2", "m9"])),
        );
    }
    if rng.chance(5) {
        u.insert("dashboard".into(), json!({"w": [1, 2.0]}));
    }
    Value::Object(u)
}

pub fn member_entry(rng: &mut Rng, users: usize) -> Value {
    let u = user_id(rng.below(users + 2));
    match rng.below(6) {
        0 => json!({"user": u, "addedAt": format!("2024-0{}-01T00:00:00Z", 1 + rng.below(9))}),
        1 => json!({"user": u, "startsAt": "2025-03-01T00:00:00Z"}),
        2 => json!({"user": u, "expiresAt": "2025-09-01T00:00:00Z"}),
        _ => json!(u),
    }
}

pub fn group(rng: &mut Rng, i: usize, users: usize, groups: usize, roles: usize) -> Value {
    let mut g = Map::new();
    g.insert("id".into(), json!(group_id(i)));
    g.insert(
        "name".into(),
        if rng.chance(20) {
            json!({"en": format!("Team {}", i % 4), "fr": format!("Équipe {i}")})
        } else {
            json!(format!("Team {}", i % 5))
        },
    );
    if rng.chance(15) {
        g.insert("isActive".into(), json!(false));
    }
    if rng.chance(60) {
        let n = rng.below(5);
        g.insert(
            "members".into(),
            Value::Array((0..n).map(|_| member_entry(rng, users)).collect()),
        );
    }
    if rng.chance(35) {
        let n = 1 + rng.below(3);
        g.insert(
            "includeGroups".into(),
            Value::Array(
                (0..n)
                    .map(|_| json!(group_id(rng.below(groups + 1))))
                    .collect(),
            ),
        );
    }
    if rng.chance(45) {
        g.insert("rule".into(), rule(rng, users, groups, i));
    }
    if rng.chance(50) {
        g.insert(
            "roles".into(),
            json!([format!("r{}", rng.below(roles + 1))]),
        );
    }
    if rng.chance(50) {
        g.insert("products".into(), json!([format!("p{}", rng.below(4))]));
    }
    if rng.chance(20) {
        g.insert("homepageModule".into(), json!(rng.pick(&["m1", "m2"])));
    }
    if rng.chance(15) {
        g.insert("dashboard".into(), json!({"layout": format!("d{}", i % 2)}));
    }
    if rng.chance(20) {
        g.insert("slug".into(), json!(format!("team-{}", i % 3)));
    }
    Value::Object(g)
}

pub fn role(rng: &mut Rng, i: usize) -> Value {
    let perms: Vec<String> = (0..1 + rng.below(3))
        .map(|_| format!("perm.{}", rng.below(5)))
        .collect();
    json!({"id": format!("r{i}"), "name": format!("Role {i}"), "permissions": perms,
           "privileged": rng.chance(20)})
}

pub fn tenant(rng: &mut Rng) -> Value {
    let users = 3 + rng.below(10);
    let groups = 2 + rng.below(7);
    let roles = 1 + rng.below(4);
    let mut doc = Map::new();
    doc.insert("revision".into(), json!("r0"));
    if rng.chance(70) {
        doc.insert("asOf".into(), json!("2025-06-01T00:00:00Z"));
    }
    doc.insert(
        "users".into(),
        Value::Array((0..users).map(|i| user(rng, i, users, roles)).collect()),
    );
    doc.insert(
        "groups".into(),
        Value::Array(
            (0..groups)
                .map(|i| group(rng, i, users, groups, roles))
                .collect(),
        ),
    );
    doc.insert(
        "roles".into(),
        Value::Array((0..roles).map(|i| role(rng, i)).collect()),
    );
    doc.insert(
        "products".into(),
        Value::Array((0..3).map(|i| json!({"id": format!("p{i}")})).collect()),
    );
    if rng.chance(50) {
        doc.insert(
            "modules".into(),
            json!([{"id": "m1"}, {"id": "m2", "requiredPermission": "perm.1"}]),
        );
    }
    if rng.chance(30) {
        doc.insert("defaults".into(), json!({"dashboard": {"layout": "home"}}));
    }
    Value::Object(doc)
}

/// The ids of a snapshot list.
pub fn ids(doc: &Value, list: &str) -> Vec<String> {
    doc[list]
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|i| i["id"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// A random change and whether it is valid; `valid` false makes one that names an unknown
/// id (a valid one may name one too, when the list it picks from is empty).
pub fn change(rng: &mut Rng, doc: &Value, valid: bool) -> (Value, bool) {
    let ghost = std::cell::Cell::new(false);
    let made = change_naming(rng, doc, valid, &ghost);
    (made, !ghost.get())
}

pub fn change_naming(
    rng: &mut Rng,
    doc: &Value,
    valid: bool,
    ghost: &std::cell::Cell<bool>,
) -> Value {
    let users = ids(doc, "users");
    let groups = ids(doc, "groups");
    let roles = ids(doc, "roles");
    let products = ids(doc, "products");
    let pick = |rng: &mut Rng, list: &[String], fallback: &str| -> String {
        if !valid || list.is_empty() {
            ghost.set(true);
            format!("{fallback}-ghost")
        } else {
            rng.pick(list).clone()
        }
    };
    let n_users = users.len() + 3;
    let n_groups = groups.len() + 2;
    // An invalid change is one that names a target, which then does not exist.
    let kind = if valid {
        rng.below(19)
    } else {
        *rng.pick(&[0, 1, 2, 3, 5, 6, 7, 8, 9, 12, 14, 16])
    };
    match kind {
        0 => {
            let mut body = Map::new();
            body.insert("group".into(), json!(pick(rng, &groups, "g")));
            body.insert("user".into(), json!(pick(rng, &users, "u")));
            if rng.chance(30) {
                body.insert("startsAt".into(), json!("2025-05-01T00:00:00Z"));
            }
            if rng.chance(30) {
                body.insert("expiresAt".into(), json!("2025-07-01T00:00:00Z"));
            }
            json!({ "addMember": body })
        }
        1 => {
            json!({"removeMember": {"group": pick(rng, &groups, "g"), "user": pick(rng, &users, "u")}})
        }
        2 => {
            json!({"addInclude": {"group": pick(rng, &groups, "g"), "source": pick(rng, &groups, "g")}})
        }
        3 => {
            json!({"removeInclude": {"group": pick(rng, &groups, "g"), "source": pick(rng, &groups, "g")}})
        }
        4 => {
            let g = pick(rng, &groups, "g");
            let own = g.trim_start_matches('g').parse().unwrap_or(0);
            let r = if rng.chance(20) {
                Value::Null
            } else {
                rule(rng, n_users, n_groups, own)
            };
            json!({"setRule": {"group": g, "rule": r}})
        }
        5 => {
            json!({"addGroupRole": {"group": pick(rng, &groups, "g"), "role": pick(rng, &roles, "r")}})
        }
        6 => {
            json!({"removeGroupRole": {"group": pick(rng, &groups, "g"), "role": pick(rng, &roles, "r")}})
        }
        7 => {
            json!({"addGroupProduct": {"group": pick(rng, &groups, "g"), "product": pick(rng, &products, "p")}})
        }
        8 => {
            json!({"removeGroupProduct": {"group": pick(rng, &groups, "g"), "product": pick(rng, &products, "p")}})
        }
        9 => {
            json!({"setGroupActive": {"group": pick(rng, &groups, "g"), "active": rng.chance(50)}})
        }
        10 | 11 => {
            // An existing user changed, or a new one (maybe an id members already name).
            let i = rng.below(n_users);
            json!({ "upsertUser": user(rng, i, n_users, 4) })
        }
        12 => json!({"removeUser": pick(rng, &users, "u")}),
        13 => {
            let i = rng.below(n_groups);
            json!({ "upsertGroup": group(rng, i, n_users, n_groups, 4) })
        }
        14 => json!({"removeGroup": pick(rng, &groups, "g")}),
        15 => {
            let i = rng.below(roles.len() + 2);
            json!({ "upsertRole": role(rng, i) })
        }
        16 => json!({"removeRole": pick(rng, &roles, "r")}),
        17 => {
            if rng.chance(50) {
                json!({"upsertProduct": {"id": format!("p{}", rng.below(5))}})
            } else {
                json!({"removeProduct": pick(rng, &products, "p")})
            }
        }
        _ => json!({"setAsOf": if rng.chance(20) { Value::Null } else {
            json!(rng.pick(&["2025-04-01T00:00:00Z", "2025-08-01T00:00:00Z"]))
        }}),
    }
}

pub fn find(list: &[Value], id: &str) -> Option<usize> {
    list.iter().position(|item| item["id"] == id)
}

/// The list `list` of the document, made when absent (after the other keys).
pub fn list_mut<'a>(doc: &'a mut Value, list: &str) -> &'a mut Vec<Value> {
    let map = doc.as_object_mut().unwrap();
    if !map.get(list).is_some_and(Value::is_array) {
        map.insert(list.to_owned(), json!([]));
    }
    map.get_mut(list).unwrap().as_array_mut().unwrap()
}

pub fn group_mut<'a>(doc: &'a mut Value, id: &str) -> &'a mut Map<String, Value> {
    let groups = list_mut(doc, "groups");
    let at = find(groups, id).unwrap();
    groups[at].as_object_mut().unwrap()
}

pub fn key_list<'a>(group: &'a mut Map<String, Value>, key: &str) -> &'a mut Vec<Value> {
    if !group.get(key).is_some_and(Value::is_array) {
        group.insert(key.to_owned(), json!([]));
    }
    group.get_mut(key).unwrap().as_array_mut().unwrap()
}

/// The document edited by one change, as SPEC §7.2 and docs/decisions.md describe.
pub fn edit(doc: &mut Value, change: &Value) {
    let (kind, body) = change.as_object().unwrap().iter().next().unwrap();
    let text = |v: &Value, k: &str| v[k].as_str().unwrap().to_owned();
    let entry_user = |e: &Value| -> String {
        match e {
            Value::String(s) => s.clone(),
            other => other["user"].as_str().unwrap_or("").to_owned(),
        }
    };
    match kind.as_str() {
        "addMember" | "removeMember" => {
            let user = text(body, "user");
            let g = group_mut(doc, &text(body, "group"));
            if kind == "removeMember" && !g.contains_key("members") {
                return;
            }
            let members = key_list(g, "members");
            members.retain(|e| entry_user(e) != user);
            if kind == "addMember" {
                let mut entry = Map::new();
                entry.insert("user".into(), json!(user));
                for k in ["startsAt", "expiresAt"] {
                    if let Some(v) = body.get(k) {
                        entry.insert(k.into(), v.clone());
                    }
                }
                members.push(Value::Object(entry));
            }
        }
        "addInclude" | "removeInclude" | "addGroupRole" | "removeGroupRole" | "addGroupProduct"
        | "removeGroupProduct" => {
            let (key, field) = match kind.as_str() {
                "addInclude" | "removeInclude" => ("includeGroups", "source"),
                "addGroupRole" | "removeGroupRole" => ("roles", "role"),
                _ => ("products", "product"),
            };
            let id = json!(text(body, field));
            let g = group_mut(doc, &text(body, "group"));
            if kind.starts_with("add") {
                let list = key_list(g, key);
                if !list.contains(&id) {
                    list.push(id);
                }
            } else if g.contains_key(key) {
                key_list(g, key).retain(|x| *x != id);
            }
        }
        "setRule" => {
            let g = group_mut(doc, &text(body, "group"));
            if body["rule"].is_null() {
                // shift_remove keeps the other keys in place, as the engine does (a plain
                // remove on an ordered map swaps the last key into the hole).
                g.shift_remove("rule");
            } else {
                g.insert("rule".into(), body["rule"].clone());
            }
        }
        "setGroupActive" => {
            let g = group_mut(doc, &text(body, "group"));
            g.insert("isActive".into(), body["active"].clone());
        }
        "upsertUser" | "upsertGroup" | "upsertRole" | "upsertProduct" => {
            let list = match kind.as_str() {
                "upsertUser" => "users",
                "upsertGroup" => "groups",
                "upsertRole" => "roles",
                _ => "products",
            };
            let items = list_mut(doc, list);
            match find(items, body["id"].as_str().unwrap()) {
                Some(at) => items[at] = body.clone(),
                None => items.push(body.clone()),
            }
        }
        "removeUser" | "removeGroup" | "removeRole" | "removeProduct" => {
            let list = match kind.as_str() {
                "removeUser" => "users",
                "removeGroup" => "groups",
                "removeRole" => "roles",
                _ => "products",
            };
            let items = list_mut(doc, list);
            let at = find(items, body.as_str().unwrap()).unwrap();
            items.remove(at);
        }
        "setAsOf" => {
            let map = doc.as_object_mut().unwrap();
            if body.is_null() {
                map.shift_remove("asOf");
            } else {
                map.insert("asOf".into(), body.clone());
            }
        }
        other => panic!("unknown change kind {other}"),
    }
}

/// Every question worth asking of a small tenant.
pub fn questions(doc: &Value) -> Vec<String> {
    let users = ids(doc, "users");
    let groups = ids(doc, "groups");
    let products = ids(doc, "products");
    let mut out = vec![
        json!({"op": "diagnostics"}),
        json!({"op": "lint"}),
        json!({"op": "listGroups", "pageSize": 1000, "includeHidden": true}),
        json!({"op": "listGroups", "sort": "members", "order": "desc", "locale": "fr-CA"}),
        json!({"op": "previewRule", "rule": "location = paris OR MEMBER OF g1", "limit": 1000}),
        json!({"op": "previewRule", "rule": "manager REPORTS TO u0", "limit": 1000}),
    ];
    for u in users.iter().chain(std::iter::once(&"u-none".to_owned())) {
        out.push(json!({"op": "userAccess", "user": u}));
        out.push(json!({"op": "hasPermission", "user": u, "permission": "perm.1"}));
        for p in &products {
            out.push(json!({"op": "check", "user": u, "product": p}));
        }
    }
    for g in &groups {
        out.push(json!({"op": "members", "group": g, "pageSize": 1000}));
        for kind in ["manual", "dynamic", "group"] {
            out.push(json!({"op": "members", "group": g, "type": kind, "pageSize": 1000}));
        }
        out.push(json!({"op": "editDashboard", "group": g}));
        for u in users.iter().take(3) {
            out.push(json!({"op": "explain", "user": u, "group": g}));
        }
    }
    for p in &products {
        out.push(json!({"op": "whoCanAccess", "product": p, "pageSize": 1000}));
    }
    out.into_iter().map(|q| q.to_string()).collect()
}

pub fn answers(engine: &Engine, questions: &[String]) -> Vec<String> {
    questions.iter().map(|q| engine.answer_json(q)).collect()
}

pub fn assert_same(label: &str, questions: &[String], left: &[String], right: &[String]) {
    // The most specific question first: lint and listings sum up the rest.
    let mut order: Vec<usize> = (0..questions.len()).collect();
    order.sort_by_key(|&i| questions[i].contains("lint") || questions[i].contains("listGroups"));
    for i in order {
        assert_eq!(
            left[i], right[i],
            "{label}: answers differ for {}",
            questions[i]
        );
    }
}

pub fn load(doc: &Value, strict: bool) -> Option<Engine> {
    load_json(&doc.to_string(), LoadOptions { strict }).0
}
