#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a test fails by panicking"
)]
//! The native runner for the shared test-vector corpus in `tests/vectors/*.json`.
//!
//! Every file runs through the JSON path (`load_json`, `Engine::answer_json`), exactly as the
//! wasm and Node runners do, and is matched with `groupgate_vectors`.
//! `VECTORS=substr` keeps only the cases whose full name (`file/case`) contains `substr`.
//! Beyond the subset match, every answer must be canonical JSON (sorted keys, whole numbers
//! without a fraction), and a few limits whose inputs would not fit a readable vector file are
//! checked directly at the end of this file.

use groupgate::{load_json, LoadOptions};
use groupgate_vectors::{run_file, NativeBackend};
use serde_json::Value;

/// Every vector file, embedded at compile time so the runner needs no working directory.
macro_rules! load {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_str!(concat!("vectors/", $name, ".json")))),*]
    };
}

const FILES: &[(&str, &str)] = load![
    "canonical",
    "changes_base",
    "changes_errors",
    "changes_groups",
    "changes_names",
    "changes_member_of_cycles",
    "changes_members",
    "changes_removals",
    "changes_strict",
    "changes_upserts",
    "defaults",
    "definition",
    "diagnostics",
    "homepage",
    "homepage_no_modules",
    "impact_next",
    "impact_workflows",
    "limits",
    "lint",
    "list_groups",
    "load",
    "load_as_of",
    "load_attributes_type",
    "load_duplicate_group",
    "load_duplicate_module",
    "load_empty",
    "load_id_not_string",
    "load_is_active_type",
    "load_item_not_object",
    "load_list_type",
    "load_localized_name",
    "load_member_entry_type",
    "load_members_type",
    "load_missing_group_name",
    "load_missing_id",
    "load_missing_role_name",
    "load_not_object",
    "load_revision_type",
    "member_of",
    "member_of_mixed",
    "members",
    "membership",
    "missing_as_of",
    "names_order",
    "operators",
    "preview_warnings",
    "products",
    "requests",
    "roles",
    "snapshot",
    "rule_limits",
    "rules_text",
    "rules_numbers",
    "strict",
    "strict_as_of",
    "strict_member_of_cycle",
    "strict_warnings",
    "suggest",
    "suggest_after_apply",
    "time",
    "values",
];

fn no_snapshot_files(path: &str) -> Result<String, String> {
    Err(format!(
        "`snapshotFile` {path} is not supported by the embedded corpus"
    ))
}

#[test]
fn vectors() {
    let filter = std::env::var("VECTORS").ok().filter(|f| !f.is_empty());
    let mut passed = 0usize;
    let mut failed = 0usize;
    let mut malformed = Vec::new();
    for (name, text) in FILES {
        let mut backend = NativeBackend::new();
        match run_file(
            name,
            text,
            &no_snapshot_files,
            &mut backend,
            filter.as_deref(),
        ) {
            Ok(outcomes) => {
                for outcome in outcomes {
                    let failure = outcome
                        .failure
                        .clone()
                        .or_else(|| canonical_failure(&outcome.answer));
                    match failure {
                        None => passed += 1,
                        Some(failure) => {
                            failed += 1;
                            println!(
                                "FAIL {}\n  why:    {failure}\n  answer: {}",
                                outcome.name, outcome.answer
                            );
                        }
                    }
                }
            }
            Err(error) => malformed.push(error),
        }
    }
    for error in &malformed {
        println!("MALFORMED {error}");
    }
    println!("vectors: {passed} passed, {failed} failed");
    assert!(
        passed + failed > 0,
        "no case ran{}",
        filter.map_or(String::new(), |f| format!(": VECTORS={f} matches none"))
    );
    assert!(
        malformed.is_empty(),
        "malformed vector files: {malformed:?}"
    );
    assert_eq!(failed, 0, "{failed} vector cases failed");
}

/// Why `answer` is not canonical JSON (SPEC §2), if it is not: every object has its keys
/// sorted by UTF-8 bytes and every whole number is written without a fraction or exponent.
/// Vectors compare parsed values, so this is the byte-level half of the contract.
fn canonical_failure(answer: &str) -> Option<String> {
    fn check(path: &str, value: &Value) -> Option<String> {
        match value {
            Value::Object(map) => {
                let keys: Vec<&String> = map.keys().collect();
                if let Some(pair) = keys.windows(2).find(|pair| pair[0] >= pair[1]) {
                    return Some(format!(
                        "{path}: keys `{}` and `{}` are not in byte order",
                        pair[0], pair[1]
                    ));
                }
                map.iter()
                    .find_map(|(key, item)| check(&format!("{path}.{key}"), item))
            }
            Value::Array(items) => items
                .iter()
                .enumerate()
                .find_map(|(index, item)| check(&format!("{path}[{index}]"), item)),
            Value::Number(number) if number.is_f64() => {
                let float = number.as_f64().unwrap_or(f64::NAN);
                // Larger whole numbers only parse back as floats, however they were written.
                (float.fract() == 0.0 && float.abs() < 9_007_199_254_740_992.0).then(|| {
                    format!("{path}: whole number {number} written with a fraction or exponent")
                })
            }
            _ => None,
        }
    }
    let value: Value = serde_json::from_str(answer).ok()?;
    check("$", &value).map(|why| format!("answer is not canonical: {why}"))
}

fn error_code(answer: &str) -> Option<String> {
    let value: Value = serde_json::from_str(answer).ok()?;
    value["error"]["code"].as_str().map(str::to_owned)
}

// Nesting limits (SPEC §8) cannot be vectors: a vector file holding a snapshot or request
// nested deeper than 128 is itself too deep for the JSON reader of the runners.

#[test]
fn snapshot_nested_deeper_than_128_fails_with_limit_exceeded() {
    let deep = format!("{}0{}", "[".repeat(130), "]".repeat(130));
    let snapshot = format!(r#"{{"users":[{{"id":"u1","dashboard":{deep}}}]}}"#);
    let (engine, answer) = load_json(&snapshot, LoadOptions { strict: false });
    assert!(engine.is_none(), "a too deep snapshot loaded: {answer}");
    assert_eq!(
        error_code(&answer).as_deref(),
        Some("limit-exceeded"),
        "{answer}"
    );
}

#[test]
fn hostile_snapshot_nesting_is_an_error_not_a_crash() {
    let snapshot = format!(
        r#"{{"defaults":{{"dashboard":{}{}}}}}"#,
        "[".repeat(200_000),
        "]".repeat(200_000)
    );
    let (engine, answer) = load_json(&snapshot, LoadOptions { strict: false });
    assert!(engine.is_none(), "a too deep snapshot loaded");
    assert_eq!(
        error_code(&answer).as_deref(),
        Some("limit-exceeded"),
        "{answer}"
    );
}

#[test]
fn request_nested_deeper_than_128_fails_and_the_engine_stays_usable() {
    let (engine, answer) = load_json(r#"{"revision":"r1"}"#, LoadOptions { strict: false });
    let Some(engine) = engine else {
        panic!("an empty snapshot did not load: {answer}");
    };
    let deep = format!("{}{}", "[".repeat(200_000), "]".repeat(200_000));
    let hostile = format!(r#"{{"op":"previewRule","rule":{deep}}}"#);
    let answer = engine.answer_json(&hostile);
    assert_eq!(
        error_code(&answer).as_deref(),
        Some("limit-exceeded"),
        "{answer}"
    );
    let nots = format!(
        r#"{{"op":"previewRule","rule":{}{{"field":"a","op":"EXISTS"}}{}}}"#,
        r#"{"not":"#.repeat(130),
        "}".repeat(130)
    );
    let answer = engine.answer_json(&nots);
    assert_eq!(
        error_code(&answer).as_deref(),
        Some("limit-exceeded"),
        "{answer}"
    );
    let answer = engine.answer_json(r#"{"op":"diagnostics"}"#);
    let value: Value = serde_json::from_str(&answer).unwrap_or(Value::Null);
    assert_eq!(value["diagnostics"], serde_json::json!([]), "{answer}");
    assert_eq!(value["revision"], "r1", "{answer}");
}

// Limits whose inputs are too large to keep readable as vector files.

#[test]
fn check_batch_over_100000_checks_fails_with_limit_exceeded() {
    let snapshot = r#"{"users":[{"id":"u1"}],"products":[{"id":"p1"}]}"#;
    let (engine, answer) = load_json(snapshot, LoadOptions { strict: false });
    let Some(engine) = engine else {
        panic!("snapshot did not load: {answer}");
    };
    let batch = |n: usize| {
        let check = r#"{"user":"u1","product":"p1"}"#;
        format!(
            r#"{{"op":"checkBatch","checks":[{}]}}"#,
            vec![check; n].join(",")
        )
    };
    let answer = engine.answer_json(&batch(100_001));
    assert_eq!(error_code(&answer).as_deref(), Some("limit-exceeded"));
    let answer = engine.answer_json(&batch(100_000));
    let value: Value = serde_json::from_str(&answer).unwrap_or(Value::Null);
    let results = value["results"].as_array().map(Vec::len);
    assert_eq!(
        results,
        Some(100_000),
        "{}",
        &answer[..answer.len().min(300)]
    );
}

/// A subset match cannot see a key that must be absent: batch results carry no `revision`.
#[test]
fn check_batch_results_carry_no_revision() {
    let snapshot = r#"{"revision":"r1","users":[{"id":"u1"}],"products":[{"id":"p1"}]}"#;
    let (engine, answer) = load_json(snapshot, LoadOptions { strict: false });
    let Some(engine) = engine else {
        panic!("snapshot did not load: {answer}");
    };
    let answer = engine.answer_json(
        r#"{"op":"checkBatch","checks":[{"user":"u1","product":"p1"},{"user":"u2","product":"p1"}]}"#,
    );
    let value: Value = serde_json::from_str(&answer).unwrap_or(Value::Null);
    assert_eq!(value["revision"], "r1", "{answer}");
    let results = value["results"].as_array().cloned().unwrap_or_default();
    assert_eq!(results.len(), 2, "{answer}");
    for result in &results {
        assert!(result.get("revision").is_none(), "{answer}");
        assert!(result.get("allowed").is_some(), "{answer}");
    }
}

#[test]
fn snapshot_rule_with_an_in_list_over_10000_values_is_an_invalid_rule() {
    let values: Vec<String> = (0..10_001).map(|n| n.to_string()).collect();
    let snapshot = format!(
        r#"{{"users":[{{"id":"u1","attributes":{{"n":5}}}}],"groups":[{{"id":"g1","name":"Big","rule":{{"field":"n","op":"IN","value":[{}]}}}}]}}"#,
        values.join(",")
    );
    let (engine, answer) = load_json(&snapshot, LoadOptions { strict: false });
    let Some(engine) = engine else {
        panic!("snapshot did not load: {answer}");
    };
    let value: Value = serde_json::from_str(&answer).unwrap_or(Value::Null);
    assert_eq!(value["diagnostics"][0]["code"], "invalid-rule", "{answer}");
    assert_eq!(
        value["diagnostics"][0]["path"], "$.groups[0].rule",
        "{answer}"
    );
    let members = engine.answer_json(r#"{"op":"members","group":"g1"}"#);
    let value: Value = serde_json::from_str(&members).unwrap_or(Value::Null);
    assert_eq!(value["total"], 0, "{members}");
}

/// Case names are unique per file, so `file/case` names one case.
#[test]
fn case_names_are_unique() {
    for (name, text) in FILES {
        let file: Value = serde_json::from_str(text).expect("vector file is JSON");
        let mut seen = std::collections::BTreeSet::new();
        for case in file["cases"].as_array().expect("cases array") {
            let case_name = case["name"].as_str().expect("case has a name");
            assert!(
                seen.insert(case_name),
                "{name}: duplicate case `{case_name}`"
            );
        }
    }
}

/// The `load!` list and the directory hold the same files, so no file goes unrun.
#[test]
fn every_vector_file_is_listed() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors");
    let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
        .expect("tests/vectors is readable")
        .filter_map(|entry| {
            let path = entry.ok()?.path();
            (path.extension()? == "json").then(|| path.file_stem()?.to_str().map(str::to_owned))?
        })
        .collect();
    on_disk.sort();
    let mut listed: Vec<String> = FILES.iter().map(|(name, _)| (*name).to_owned()).collect();
    listed.sort();
    assert_eq!(
        on_disk, listed,
        "tests/vectors/*.json and the load! list differ"
    );
}

/// An engine restored from its compiled bytes answers every request exactly as the engine
/// that saved it, including after changes (SPEC §7.5).
#[test]
fn compiled_engines_answer_alike() {
    let mut compared = 0usize;
    for (name, text) in FILES {
        let mut reader = serde_json::Deserializer::from_str(text);
        reader.disable_recursion_limit();
        let file: Value =
            serde::Deserialize::deserialize(&mut reader).expect("vector file is JSON");
        let Some(snapshot) = file.get("snapshot") else {
            continue;
        };
        let strict = file["load"]["strict"].as_bool().unwrap_or(false);
        let (engine, _) = load_json(&snapshot.to_string(), LoadOptions { strict });
        let Some(mut original) = engine else {
            continue;
        };
        for case in file["cases"].as_array().expect("cases") {
            let request = case["request"].to_string();
            if case["request"]["op"] == "load" {
                continue;
            }
            let bytes = original.to_compiled();
            let mut restored = groupgate::Engine::from_compiled(&bytes)
                .unwrap_or_else(|e| panic!("{name}: compiled bytes do not load: {e}"));
            assert_eq!(
                restored.to_compiled(),
                bytes,
                "{name}: bytes differ after a round trip"
            );
            let want = original.query_json(&request);
            let got = restored.query_json(&request);
            assert_eq!(
                got, want,
                "{name}/{}: restored engine answers differently",
                case["name"]
            );
            compared += 1;
        }
    }
    assert!(compared > 500, "only {compared} answers compared");
}

// SPEC §8: `=`, `IN` and prefix conditions come from an index; conditions that must read every
// value run under a work budget. The inputs are too large for a readable vector file.

fn distinct_users(n: usize) -> String {
    let users: Vec<String> = (0..n)
        .map(|i| format!(r#"{{"id":"u{i}","name":"Person {i}","attributes":{{"badge":"b-{i}"}}}}"#))
        .collect();
    format!(r#"{{"revision":"big","users":[{}]}}"#, users.join(","))
}

#[test]
fn thousands_of_indexed_conditions_answer_by_what_they_match() {
    let (engine, answer) = load_json(&distinct_users(20_000), LoadOptions { strict: false });
    let Some(engine) = engine else {
        panic!("snapshot did not load: {answer}");
    };
    let ids: Vec<String> = (0..4_760).map(|i| format!("id=u{}", i * 4)).collect();
    let rule = ids.join(" OR ");
    assert!(rule.len() <= 64 * 1024, "the rule fits the text limit");
    let answer = engine
        .answer_json(&serde_json::json!({"op":"previewRule","rule":rule,"limit":1}).to_string());
    let value: Value = serde_json::from_str(&answer).unwrap_or(Value::Null);
    assert_eq!(
        value["count"],
        4_760,
        "{}",
        &answer[..answer.len().min(300)]
    );
    let badges: Vec<String> = (0..2_000).map(|i| format!("b-{}", i * 10)).collect();
    let rule = serde_json::json!({"any": badges.iter().map(|b| serde_json::json!({"field":"badge","op":"=","value":b})).collect::<Vec<_>>()});
    let answer = engine
        .answer_json(&serde_json::json!({"op":"previewRule","rule":rule,"limit":1}).to_string());
    let value: Value = serde_json::from_str(&answer).unwrap_or(Value::Null);
    assert_eq!(
        value["count"],
        2_000,
        "{}",
        &answer[..answer.len().min(300)]
    );
}

#[test]
fn a_rule_that_must_read_every_value_too_often_is_limit_exceeded() {
    let (engine, answer) = load_json(&distinct_users(20_000), LoadOptions { strict: false });
    let Some(engine) = engine else {
        panic!("snapshot did not load: {answer}");
    };
    // Each LIKE on the names, all distinct, reads 20,000 of them.
    let likes: Vec<String> = (0..2_000)
        .map(|i| format!("name LIKE 'son {i}x'"))
        .collect();
    let request = serde_json::json!({"op":"previewRule","rule":likes.join(" OR ")}).to_string();
    let answer = engine.answer_json(&request);
    let value: Value = serde_json::from_str(&answer).unwrap_or(Value::Null);
    assert_eq!(value["error"]["code"], "limit-exceeded", "{answer}");
    assert_eq!(value["error"]["path"], "$.rule", "{answer}");
    assert!(
        value["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("too costly")),
        "{answer}"
    );
    // A few such conditions are fine, and the engine stays usable.
    let answer = engine.answer_json(
        r#"{"op":"previewRule","rule":"name ENDS WITH 'son 1999' OR badge ENDS WITH '-7'","limit":1}"#,
    );
    let value: Value = serde_json::from_str(&answer).unwrap_or(Value::Null);
    assert_eq!(value["count"], 2, "{answer}");
}
