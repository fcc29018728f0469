#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a test fails by panicking"
)]
//! The `snapshot` answer is only useful if it is the tenant: loading it must give an engine
//! that answers everything the same. For random tenants and random change lists (the
//! generator of the changes property test), this test checks, on the loaded engine and after
//! each `apply`, that:
//!
//! - a fresh engine loaded from the `snapshot` answer gives every answer byte for byte,
//!   diagnostics and their paths included, and writes the same snapshot again;
//! - the applied engine's snapshot equals that of a fresh engine loaded from the changed
//!   document, and that of the engine restored from its compiled bytes;
//! - `definition` of every item equals the item inside the snapshot, and an id the snapshot
//!   only refers to, or never names, is `unknown-*`.
//!
//! `GROUPGATE_PROPERTY_CASES` sets how many tenants (each with several change lists) to try;
//! `GROUPGATE_PROPERTY_SEED` the first seed.

mod common;

use common::*;
use groupgate::Engine;
use serde_json::{json, Value};

fn ask(engine: &Engine, request: &Value) -> Value {
    serde_json::from_str(&engine.answer_json(&request.to_string())).unwrap()
}

/// The `snapshot` answer's text and its document.
fn snapshot(engine: &Engine) -> (String, Value) {
    let text = engine.answer_json(r#"{"op":"snapshot"}"#);
    let answer: Value = serde_json::from_str(&text).unwrap();
    assert!(answer.get("error").is_none(), "snapshot failed: {text}");
    (text, answer["snapshot"].clone())
}

/// Every check of the module doc on one engine; returns its snapshot answer.
fn check(label: &str, engine: &Engine) -> String {
    let (text, doc) = snapshot(engine);
    let fresh =
        load(&doc, false).unwrap_or_else(|| panic!("{label}: the snapshot does not load: {doc}"));
    let questions = questions(&doc);
    assert_same(
        &format!("{label} (snapshot reloaded from {doc})"),
        &questions,
        &answers(engine, &questions),
        &answers(&fresh, &questions),
    );
    assert_eq!(
        engine.load_answer_json(),
        fresh.load_answer_json(),
        "{label}: load answers"
    );
    assert_eq!(
        snapshot(&fresh).0,
        text,
        "{label}: the snapshot is not a fixed point"
    );
    let restored = Engine::from_compiled(&engine.to_compiled()).unwrap();
    assert_eq!(
        snapshot(&restored).0,
        text,
        "{label}: restored from compiled bytes"
    );

    for (list, key, code) in [
        ("users", "user", "unknown-user"),
        ("groups", "group", "unknown-group"),
        ("roles", "role", "unknown-role"),
        ("products", "product", "unknown-product"),
        ("modules", "module", "invalid-request"),
    ] {
        for item in doc[list].as_array().into_iter().flatten() {
            let id = &item["id"];
            let answer = ask(engine, &json!({"op": "definition", key: id}));
            assert_eq!(
                answer["definition"], *item,
                "{label}: definition of {key} {id}: {answer}"
            );
        }
        // Ids the generator uses that the snapshot does not define (some are referred to).
        for ghost in ["u-none", "g9", "r9", "p9", "m9", &format!("{key}-ghost")] {
            if doc[list]
                .as_array()
                .is_some_and(|items| items.iter().any(|i| i["id"] == ghost))
            {
                continue;
            }
            let answer = ask(engine, &json!({"op": "definition", key: ghost}));
            assert_eq!(
                answer["error"]["code"], code,
                "{label}: definition of {key} {ghost}: {answer}"
            );
            assert_eq!(answer["error"]["path"], format!("$.{key}"), "{label}");
        }
    }
    text
}

#[test]
fn a_written_back_snapshot_answers_as_the_engine_does() {
    let (first, cases) = seeds(60);
    let mut checked = 0usize;
    for seed in first..first + cases {
        let mut rng = Rng(seed);
        let mut doc = tenant(&mut rng);
        let Some(mut engine) = load(&doc, false) else {
            continue;
        };
        check(&format!("seed {seed}, loaded"), &engine);
        checked += 1;
        for step in 0..4 {
            let mut list = Vec::new();
            let mut edited = doc.clone();
            for _ in 0..1 + rng.below(4) {
                let (c, valid) = change(&mut rng, &edited, true);
                if !valid {
                    continue;
                }
                edit(&mut edited, &c);
                list.push(c);
            }
            let revision = format!("r{seed}-{step}");
            let answer: Value = serde_json::from_str(&engine.query_json(
                &json!({"op": "apply", "changes": list, "revision": revision}).to_string(),
            ))
            .unwrap();
            let label = format!("seed {seed}, step {step}, after {}", json!(list));
            assert!(answer.get("error").is_none(), "{label}: {answer}");
            edited["revision"] = json!(revision);
            let text = check(&label, &engine);
            let fresh = load(&edited, false).unwrap();
            assert_eq!(
                snapshot(&fresh).0,
                text,
                "{label}: the applied engine's snapshot differs from a fresh load's"
            );
            doc = edited;
            checked += 1;
        }
    }
    println!("snapshot round trip: {checked} engines checked over {cases} tenants");
    assert!(checked > 0, "nothing was checked");
}

/// A document whose keys are in no particular order, with a problem of every kind, comes back
/// with sorted keys and the same diagnostics, in the same order.
#[test]
fn diagnostics_survive_sorted_keys() {
    let doc = r#"{
        "users": [
            {"roles": ["r-gone"], "orgRole": "boss", "id": "u1",
             "attributes": {"z": {"deep": 1}, "a": [{"x": 1}], "ok": "yes"},
             "homepageModule": "m-gone", "locale": "fr"},
            {"id": "u2", "name": "Bo"}
        ],
        "revision": "r1",
        "asOf": "2025-06-01T02:00:00+02:00",
        "groups": [
            {"rule": "ok = ", "products": ["p-gone"], "id": "g1", "name": {"fr": "Un", "en": "One"},
             "slug": "Not A Slug", "includeGroups": ["g-gone", "g2"],
             "members": [{"expiresAt": "later", "user": "u1", "startsAt": "soon"}, "u-gone", "u2", "u2"]},
            {"name": "Two", "id": "g2", "slug": "two", "rule": {"op": "MEMBER OF", "value": "g1"},
             "includeGroups": ["g1"], "isActive": false},
            {"id": "g3", "name": "Three", "slug": "two", "rule": "ok = yes AND manager REPORTS TO u9"}
        ],
        "roles": [{"permissions": ["b", "a", "a"], "id": "r1", "name": "R"}],
        "modules": [{"id": "m1", "requiredPermission": "a", "name": "Home"}],
        "products": [{"name": "P", "id": "p1"}]
    }"#;
    let engine = Engine::from_json(doc, groupgate::LoadOptions::default()).unwrap();
    let diagnostics = engine.answer_json(r#"{"op":"diagnostics"}"#);
    let listed: Value = serde_json::from_str(&diagnostics).unwrap();
    assert!(
        listed["diagnostics"].as_array().unwrap().len() >= 12,
        "{diagnostics}"
    );
    check("a document of problems", &engine);
    let (_, written) = snapshot(&engine);
    let again = load(&written, false).unwrap();
    assert_eq!(again.answer_json(r#"{"op":"diagnostics"}"#), diagnostics);
    // What the snapshot says, as written: the ignored attributes, the unknown org role, the
    // text rule, the malformed slug, asOf with its offset.
    assert_eq!(written["users"][0]["attributes"]["z"], json!({"deep": 1}));
    assert_eq!(written["users"][0]["orgRole"], "boss");
    assert_eq!(written["users"][0]["locale"], "fr");
    assert_eq!(written["groups"][0]["rule"], "ok = ");
    assert_eq!(written["groups"][0]["slug"], "Not A Slug");
    assert_eq!(written["asOf"], "2025-06-01T02:00:00+02:00");
    assert_eq!(written["roles"][0]["permissions"], json!(["a", "b"]));
}
