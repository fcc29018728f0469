#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a test fails by panicking"
)]
//! Incremental changes are trustworthy only if they agree with starting over. For random
//! tenants and random change lists, this test checks that:
//!
//! - after each `apply`, every answer of the engine equals, byte for byte, the answer of a
//!   fresh engine loaded from the changed snapshot (the document edited as SPEC §7.2 and
//!   docs/decisions.md say);
//! - `impact` of the same list equals the difference of the two engines' `userAccess` and
//!   `members` answers;
//! - a list with an invalid change fails with that change's path and leaves every answer as
//!   it was.
//!
//! `GROUPGATE_PROPERTY_CASES` sets how many tenants (each with several change lists) to try;
//! `GROUPGATE_PROPERTY_SEED` the first seed. On the default range (the one CI runs), the numbers
//! of tenants that do not load and of change lists applied and rejected are pinned
//! ([`DEFAULT_RUN`]): a generator that drifts into tenants that fail to load, or into lists that
//! are all rejected, would otherwise test less and less while still passing.

use std::collections::BTreeSet;

use groupgate::Engine;
use serde_json::{json, Value};

mod common;

use common::*;

/// A user's view in a userAccess answer: groups, roles, permissions, products, by id.
fn view(engine: &Engine, user: &str) -> [BTreeSet<String>; 4] {
    let a: Value = serde_json::from_str(
        &engine.answer_json(&json!({"op": "userAccess", "user": user}).to_string()),
    )
    .unwrap();
    let set = |list: &Value, key: &str| -> BTreeSet<String> {
        list.as_array()
            .into_iter()
            .flatten()
            .map(|x| {
                if key.is_empty() {
                    x.as_str().unwrap().to_owned()
                } else {
                    x[key].as_str().unwrap().to_owned()
                }
            })
            .collect()
    };
    [
        set(&a["groups"], "group"),
        set(&a["roles"], "role"),
        set(&a["permissions"], ""),
        set(&a["products"], "product"),
    ]
}

fn members(engine: &Engine, group: &str) -> Option<Vec<String>> {
    let a: Value = serde_json::from_str(
        &engine
            .answer_json(&json!({"op": "members", "group": group, "pageSize": 1000}).to_string()),
    )
    .unwrap();
    let list = a["members"].as_array()?;
    let mut ids: Vec<String> = list
        .iter()
        .map(|m| m["user"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    Some(ids)
}

/// The impact answer `before → after` should give, from their answers alone.
fn expected_impact(
    before: &Engine,
    after: &Engine,
    doc_before: &Value,
    doc_after: &Value,
) -> Value {
    let mut users: Vec<String> = ids(doc_before, "users");
    users.extend(ids(doc_after, "users"));
    users.sort();
    users.dedup();
    let diff = |a: &BTreeSet<String>, b: &BTreeSet<String>| -> Vec<String> {
        b.difference(a).cloned().collect()
    };
    let mut rows = Vec::new();
    for u in &users {
        let (b, a) = (view(before, u), view(after, u));
        let row = json!({
            "user": u,
            "joined": diff(&b[0], &a[0]), "left": diff(&a[0], &b[0]),
            "rolesGained": diff(&b[1], &a[1]), "rolesLost": diff(&a[1], &b[1]),
            "permissionsGained": diff(&b[2], &a[2]), "permissionsLost": diff(&a[2], &b[2]),
            "productsGained": diff(&b[3], &a[3]), "productsLost": diff(&a[3], &b[3]),
        });
        let changed = row
            .as_object()
            .unwrap()
            .iter()
            .any(|(k, v)| k != "user" && !v.as_array().unwrap().is_empty());
        if changed {
            rows.push(row);
        }
    }
    let mut groups: Vec<String> = ids(doc_before, "groups");
    groups.extend(ids(doc_after, "groups"));
    groups.sort();
    groups.dedup();
    // A side is the member count and the active flag, or nothing when the group is absent.
    let side = |engine: &Engine, doc: &Value, g: &str| -> Option<(usize, bool)> {
        let count = members(engine, g)?.len();
        let item = doc["groups"].as_array()?.iter().find(|i| i["id"] == g)?;
        Some((count, item["isActive"].as_bool().unwrap_or(true)))
    };
    let group_rows: Vec<Value> = groups
        .iter()
        .filter_map(|g| {
            let (b, a) = (side(before, doc_before, g), side(after, doc_after, g));
            (b != a).then(|| {
                json!({
                    "group": g,
                    "before": b.map(|s| s.0), "after": a.map(|s| s.0),
                    "activeBefore": b.map(|s| s.1), "activeAfter": a.map(|s| s.1),
                })
            })
        })
        .collect();
    let mut totals = serde_json::Map::new();
    for key in [
        "joined",
        "left",
        "rolesGained",
        "rolesLost",
        "permissionsGained",
        "permissionsLost",
        "productsGained",
        "productsLost",
    ] {
        let sum: usize = rows.iter().map(|r| r[key].as_array().unwrap().len()).sum();
        totals.insert(key.to_owned(), json!(sum));
    }
    json!({"totalUsers": rows.len(), "users": rows, "totals": totals, "groups": group_rows})
}

/// The seeds CI runs: `GROUPGATE_PROPERTY_SEED` and `GROUPGATE_PROPERTY_CASES` unset.
const DEFAULT_FIRST_SEED: u64 = 1;
const DEFAULT_CASES: u64 = 120;

/// What the default seeds give: `(tenants that do not load, lists applied, lists rejected)`.
/// The generator and the engine are both deterministic, so these move only when one of them
/// changes; when that is on purpose, check that the new numbers still exercise both paths and
/// pin them here.
const DEFAULT_RUN: (usize, usize, usize) = (4, 559, 137);

#[test]
fn incremental_changes_agree_with_a_fresh_load() {
    let (first, cases) = seeds(DEFAULT_CASES);
    let mut applied = 0usize;
    let mut rejected = 0usize;
    let mut unloaded = 0usize;
    for seed in first..first + cases {
        let mut rng = Rng(seed);
        let mut doc = tenant(&mut rng);
        let strict = rng.chance(20);
        let Some(mut engine) = load(&doc, strict) else {
            unloaded += 1;
            continue;
        };
        let mut history: Vec<Value> = Vec::new();
        for step in 0..6 {
            let mut label = format!("seed {seed}, step {step}, after {}", json!(history));
            let n = 1 + rng.below(4);
            let wanted_bad = rng.chance(15).then(|| rng.below(n));
            // Build the list against the document as the earlier changes leave it.
            let mut list = Vec::new();
            let mut edited = doc.clone();
            let mut bad_at = None;
            for i in 0..n {
                let (c, valid) = change(&mut rng, &edited, wanted_bad != Some(i));
                if valid && bad_at.is_none() {
                    edit(&mut edited, &c);
                } else if bad_at.is_none() {
                    bad_at = Some(i);
                }
                list.push(c);
            }
            label.push_str(&format!(" ({})", json!(list)));
            let questions = questions(&edited);
            let before_answers = answers(&engine, &questions);
            let impact: Value = serde_json::from_str(
                &engine.answer_json(&json!({"op": "impact", "changes": list.clone()}).to_string()),
            )
            .unwrap();
            let revision = format!("r{seed}-{step}");
            let answer: Value = serde_json::from_str(&engine.query_json(
                &json!({"op": "apply", "changes": list.clone(), "revision": revision}).to_string(),
            ))
            .unwrap();
            if let Some(i) = bad_at {
                assert!(
                    answer.get("error").is_some(),
                    "{label}: a bad change applied: {answer}"
                );
                let path = answer["error"]["path"].as_str().unwrap();
                assert!(
                    path.starts_with(&format!("$.changes[{i}]")),
                    "{label}: error at {path}, not at change {i}"
                );
                assert_eq!(impact["error"]["code"], answer["error"]["code"], "{label}");
                assert_same(
                    &label,
                    &questions,
                    &before_answers,
                    &answers(&engine, &questions),
                );
                history.push(json!({"rejected": list}));
                rejected += 1;
                continue;
            }
            let mut fresh_doc = edited.clone();
            fresh_doc["revision"] = json!(revision);
            let fresh = load(&fresh_doc, strict);
            match (&fresh, answer.get("error")) {
                (None, Some(_)) => {
                    // Strict, and the changed snapshot has an error diagnostic: rejected, and
                    // nothing changed.
                    assert!(strict, "{label}: refused without strict: {answer}");
                    assert_same(
                        &label,
                        &questions,
                        &before_answers,
                        &answers(&engine, &questions),
                    );
                    rejected += 1;
                    continue;
                }
                (Some(_), None) => {}
                (fresh, error) => panic!(
                    "{label}: fresh load {} but apply {}: {answer}",
                    if fresh.is_some() { "succeeds" } else { "fails" },
                    if error.is_some() { "fails" } else { "succeeds" },
                ),
            }
            let fresh = fresh.unwrap();
            let before_engine = load(&doc, false).unwrap();
            assert_eq!(
                answer["diagnostics"].to_string(),
                serde_json::from_str::<Value>(&fresh.load_answer_json()).unwrap()["diagnostics"]
                    .to_string(),
                "{label}: diagnostics after apply"
            );
            assert_same(
                &label,
                &questions,
                &answers(&fresh, &questions),
                &answers(&engine, &questions),
            );
            // A compiled image holds what the snapshot says and derives the rest on restore:
            // restoring the changed engine must give the fresh load's answers too.
            let restored = Engine::from_compiled(&engine.to_compiled()).unwrap();
            assert_same(
                &format!("{label}, restored"),
                &questions,
                &answers(&fresh, &questions),
                &answers(&restored, &questions),
            );
            let mut impact = impact;
            impact.as_object_mut().unwrap().remove("revision");
            let expected = expected_impact(&before_engine, &fresh, &doc, &edited);
            assert_eq!(impact, expected, "{label}: impact of {}", json!(list));
            doc = fresh_doc;
            history.push(json!(list));
            applied += 1;
        }
    }
    println!(
        "property: {applied} change lists applied, {rejected} rejected, over {cases} tenants \
         ({unloaded} did not load), seeds {first}..{}",
        first + cases
    );
    assert!(applied > 0, "no change list was applied");
    if (first, cases) == (DEFAULT_FIRST_SEED, DEFAULT_CASES) {
        assert_eq!(
            (unloaded, applied, rejected),
            DEFAULT_RUN,
            "(tenants that did not load, lists applied, lists rejected) on the default seeds \
             differ from DEFAULT_RUN: the generator or the engine changed what this test covers"
        );
    }
}

#[test]
#[ignore]
fn debug_seed() {
    let seed: u64 = std::env::var("SEED").unwrap().parse().unwrap();
    let lists: Vec<Value> = serde_json::from_str(&std::env::var("CHANGES").unwrap()).unwrap();
    let asks: Vec<Value> = serde_json::from_str(&std::env::var("ASK").unwrap()).unwrap();
    let mut rng = Rng(seed);
    let mut doc = tenant(&mut rng);
    let mut engine = load(&doc, false).unwrap();
    for changes in lists {
        if let Some(rejected) = changes.get("rejected") {
            println!(
                "rejected: {}",
                engine.query_json(&json!({"op":"apply","changes":rejected.clone()}).to_string())
            );
            continue;
        }
        if std::env::var("IMPACT").is_ok() {
            println!(
                "impact: {}",
                engine.answer_json(&json!({"op":"impact","changes":changes.clone()}).to_string())
            );
        }
        println!(
            "{}",
            engine.query_json(&json!({"op":"apply","changes":changes.clone()}).to_string())
        );
        for c in changes.as_array().unwrap() {
            edit(&mut doc, c);
        }
    }
    let fresh = load(&doc, false).unwrap();
    if std::env::var("PRINT_DOC").is_ok() {
        println!("DOC {doc}");
    }
    for q in asks {
        println!(
            "Q {q}\n incremental {}\n fresh       {}",
            engine.answer_json(&q.to_string()),
            fresh.answer_json(&q.to_string())
        );
    }
}
