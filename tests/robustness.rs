#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a test fails by panicking"
)]
//! No input may make the engine panic (a panic is a trap in WebAssembly).
//!
//! Every vector file's snapshot and requests are corrupted in thousands of deterministic
//! ways — bytes dropped, repeated, swapped for JSON punctuation, values retyped — and fed to
//! the JSON path. Each must come back as an answer; a panic fails the test.
//!
//! The files are taken in name order and each has its own random stream, seeded from the
//! test's seed and the file's name: the same file gets the same corruptions whatever the
//! directory's order, and adding or editing one file changes no other file's inputs.

use groupgate::{load_json, LoadOptions};
use serde_json::Value;

/// splitmix64: a fixed sequence, so a failure always reproduces.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    /// The stream of one vector file: `seed` mixed with the file's name (FNV-1a).
    fn for_file(seed: u64, name: &str) -> Rng {
        let hash = name.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
            (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
        });
        Rng(seed ^ hash)
    }
}

const SPLICES: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    ",",
    ":",
    "\"",
    "null",
    "true",
    "-1",
    "1e999",
    "0.5",
    "\"\\u0000\"",
    "{}",
    "[]",
    "\"op\"",
    "\"check\"",
    "\"members\"",
    "\"rule\"",
    "\"(((\"",
    "\"MEMBER OF\"",
    "\"é\"",
    "\\",
    "\"a\"",
];

fn mutate(text: &str, rng: &mut Rng) -> String {
    let mut bytes = text.as_bytes().to_vec();
    for _ in 0..1 + rng.below(3) {
        let at = rng.below(bytes.len() + 1);
        match rng.below(4) {
            0 if !bytes.is_empty() => {
                let end = (at + 1 + rng.below(8)).min(bytes.len());
                bytes.drain(at.min(end)..end);
            }
            1 => {
                let splice = SPLICES[rng.below(SPLICES.len())];
                bytes.splice(at..at, splice.bytes());
            }
            2 if at < bytes.len() => {
                let end = (at + 1 + rng.below(16)).min(bytes.len());
                let copy = bytes[at..end].to_vec();
                bytes.splice(at..at, copy);
            }
            _ => {
                if let Some(b) = bytes.get_mut(at) {
                    *b = b"{}[],:\"0a-."[rng.below(11)];
                }
            }
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Replaces one value somewhere in `value` by a value of another JSON type.
fn retype(value: &mut Value, rng: &mut Rng) {
    let replacements = [
        Value::Null,
        Value::Bool(true),
        serde_json::json!(-3),
        serde_json::json!(1.5),
        serde_json::json!("x"),
        serde_json::json!([]),
        serde_json::json!({}),
        serde_json::json!([[["deep"]]]),
    ];
    retype_at(value, &replacements, rng);
}

fn retype_at(node: &mut Value, replacements: &[Value], rng: &mut Rng) {
    let descend = rng.below(3) > 0;
    match node {
        Value::Object(map) if descend && !map.is_empty() => {
            let i = rng.below(map.len());
            if let Some(child) = map.values_mut().nth(i) {
                return retype_at(child, replacements, rng);
            }
        }
        Value::Array(items) if descend && !items.is_empty() => {
            let i = rng.below(items.len());
            if let Some(child) = items.get_mut(i) {
                return retype_at(child, replacements, rng);
            }
        }
        _ => {}
    }
    *node = replacements[rng.below(replacements.len())].clone();
}

/// The error codes of the contract (SPEC §7).
const CODES: &[&str] = &[
    "invalid-json",
    "invalid-snapshot",
    "invalid-request",
    "unknown-op",
    "unknown-user",
    "unknown-group",
    "unknown-role",
    "unknown-product",
    "rule-syntax",
    "invalid-rule",
    "limit-exceeded",
    "revision-mismatch",
];

/// An answer is one JSON object carrying `revision`: either an error with a contract code and
/// all six fields of the right types, or an answer with no `error` at all.
fn check_answer(request: &str, answer: &str) {
    let parsed: Value = serde_json::from_str(answer)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {request} → {answer}"));
    let object = parsed
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {answer}"));
    assert!(object.contains_key("revision"), "{request} → {answer}");
    let Some(error) = object.get("error") else {
        return;
    };
    let code = error["code"].as_str().unwrap_or("");
    assert!(
        CODES.contains(&code),
        "unknown code `{code}`: {request} → {answer}"
    );
    assert!(error["message"].is_string(), "{answer}");
    for (key, ok) in [
        ("path", error["path"].is_string() || error["path"].is_null()),
        ("line", error["line"].is_u64() || error["line"].is_null()),
        (
            "column",
            error["column"].is_u64() || error["column"].is_null(),
        ),
        (
            "expected",
            error["expected"].is_array() || error["expected"].is_null(),
        ),
    ] {
        assert!(
            ok && error.get(key).is_some(),
            "`{key}` missing or mistyped: {answer}"
        );
    }
    assert_eq!(error.as_object().map(|e| e.len()), Some(6), "{answer}");
    assert_eq!(
        object.len(),
        2,
        "an error answer has `error` and `revision` only: {answer}"
    );
}

/// The vector files that hold their snapshot inline, with their names, in name order.
fn vector_files() -> Vec<(String, Value)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors");
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    paths.sort();
    let mut files = Vec::new();
    for path in paths {
        let text = std::fs::read_to_string(&path).unwrap();
        let mut reader = serde_json::Deserializer::from_str(&text);
        reader.disable_recursion_limit();
        let file: Value = serde::Deserialize::deserialize(&mut reader).unwrap();
        if file.get("snapshot").is_some() && text.len() < 100_000 {
            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
            files.push((name, file));
        }
    }
    files
}

#[test]
fn corrupted_snapshots_and_requests_never_panic() {
    let files = vector_files();
    assert!(files.len() > 20);
    let mut answered = 0usize;
    for (name, file) in &files {
        let mut rng = Rng::for_file(0x5eed, name);
        for round in 0..12 {
            let snapshot = &file["snapshot"];
            let requests: Vec<Value> = file["cases"]
                .as_array()
                .map(|cases| {
                    cases
                        .iter()
                        .filter_map(|c| c.get("request").cloned())
                        .collect()
                })
                .unwrap_or_default();

            let text = if round % 2 == 0 {
                mutate(&snapshot.to_string(), &mut rng)
            } else {
                let mut s = snapshot.clone();
                retype(&mut s, &mut rng);
                s.to_string()
            };
            let (engine, answer) = load_json(
                &text,
                LoadOptions {
                    strict: round % 3 == 0,
                },
            );
            check_answer(&text, &answer);
            // Queries go to the corrupted engine when it loaded, else to the intact one.
            let engine =
                engine.or_else(|| load_json(&snapshot.to_string(), LoadOptions::default()).0);
            // Files about load failures have no snapshot that loads: nothing to query.
            let Some(mut engine) = engine else { continue };
            for request in &requests {
                let mutated = if rng.below(2) == 0 {
                    mutate(&request.to_string(), &mut rng)
                } else {
                    let mut r = request.clone();
                    retype(&mut r, &mut rng);
                    r.to_string()
                };
                for text in [request.to_string(), mutated] {
                    let answer = engine.query_json(&text);
                    check_answer(&text, &answer);
                    answered += 1;
                }
            }
        }
    }
    assert!(answered > 5_000, "only {answered} requests were answered");
}

/// Compiled snapshots whose body is corrupted — and re-sealed with a valid checksum, so the
/// decoder itself meets the damage — are refused or restored, never a panic; a restored engine
/// answers every request.
#[test]
fn corrupted_compiled_snapshots_never_panic() {
    let mut restored = 0usize;
    let mut refused = 0usize;
    for (name, file) in vector_files() {
        let mut rng = Rng::for_file(0xc0de, &name);
        let Some(engine) = load_json(&file["snapshot"].to_string(), LoadOptions::default()).0
        else {
            continue;
        };
        let bytes = engine.to_compiled();
        let requests: Vec<String> = file["cases"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|c| c.get("request").map(Value::to_string))
            .collect();
        for _ in 0..40 {
            let mut damaged = bytes.clone();
            for _ in 0..1 + rng.below(4) {
                let at = 20 + rng.below(damaged.len().saturating_sub(20).max(1));
                if let Some(b) = damaged.get_mut(at) {
                    *b ^= 1 << rng.below(8);
                }
            }
            if rng.below(5) == 0 {
                let keep = 20 + rng.below(damaged.len().saturating_sub(20).max(1));
                damaged.truncate(keep);
                let len = (damaged.len() - 20) as u64;
                damaged[8..16].copy_from_slice(&len.to_le_bytes());
            }
            let crc = crc32fast::hash(&damaged[20..]);
            damaged[16..20].copy_from_slice(&crc.to_le_bytes());
            match groupgate::Engine::from_compiled(&damaged) {
                Ok(mut engine) => {
                    restored += 1;
                    for request in &requests {
                        check_answer(request, &engine.query_json(request));
                    }
                }
                Err(error) => {
                    assert_eq!(error.code(), groupgate::ErrorCode::InvalidSnapshot);
                    refused += 1;
                }
            }
        }
    }
    assert!(refused > 100, "only {refused} damaged snapshots refused");
    println!("compiled: {restored} damaged snapshots restored, {refused} refused");
}
