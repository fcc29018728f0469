//! Shared pieces of the fuzz targets: the contract's answer shape (SPEC §2, §7), the fixed
//! tenants the `query` and `apply` targets run against, and the requests that tell whether
//! an engine still answers as it did.
//!
//! Every check panics on a violation: libFuzzer reports a panic (an abort) as a crash and
//! saves the input that caused it.

#![allow(
    clippy::panic,
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::indexing_slicing
)]

use std::borrow::Cow;
use std::sync::OnceLock;

use groupgate::{Engine, LoadOptions};
use serde::Deserialize;
use serde_json::{json, Map, Value};

/// The error codes of SPEC §7.
pub const ERROR_CODES: &[&str] = &[
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
];

/// The fields of an error object, SPEC §7.
pub const ERROR_FIELDS: &[&str] = &["code", "message", "path", "line", "column", "expected"];

/// Fuzz input as text: itself when it is UTF-8, else its lossy decoding (so no run is wasted
/// on inputs the library cannot be handed anyway: its API takes `&str`).
pub fn text(data: &[u8]) -> Cow<'_, str> {
    String::from_utf8_lossy(data)
}

/// Parses JSON without serde_json's default nesting limit of 128 (answers may nest deeper:
/// a 64-level rule is 128 levels of objects and arrays, inside the answer object).
pub fn parse_json(text: &str) -> Option<Value> {
    let mut de = serde_json::Deserializer::from_str(text);
    de.disable_recursion_limit();
    let value = Value::deserialize(&mut de).ok()?;
    de.end().ok()?;
    Some(value)
}

/// Checks one answer against SPEC §2 and §7 and returns its top-level object:
/// exactly one JSON object, keys sorted by UTF-8 bytes at every level, `revision` at the
/// top level (a string or null), and either an `error` with all six fields (and nothing
/// but `revision` beside it) or no `error`.
pub fn check_answer(answer: &str, request: &str) -> Map<String, Value> {
    let Some(value) = parse_json(answer) else {
        panic!("answer is not JSON\nrequest: {request}\nanswer: {answer}");
    };
    let Value::Object(map) = value else {
        panic!("answer is not a JSON object\nrequest: {request}\nanswer: {answer}");
    };
    if let Some(bad) = unsorted_keys(&Value::Object(map.clone())) {
        panic!("answer is not canonical: keys out of order at {bad:?}\nrequest: {request}\nanswer: {answer}");
    }
    match map.get("revision") {
        Some(Value::String(_) | Value::Null) => {}
        other => panic!("answer's `revision` is {other:?}\nrequest: {request}\nanswer: {answer}"),
    }
    if let Some(error) = map.get("error") {
        check_error(error, request, answer);
        let extra: Vec<&String> = map
            .keys()
            .filter(|k| *k != "error" && *k != "revision")
            .collect();
        assert!(
            extra.is_empty(),
            "error answer carries other keys {extra:?}\nrequest: {request}\nanswer: {answer}"
        );
    }
    map
}

fn check_error(error: &Value, request: &str, answer: &str) {
    let Value::Object(error) = error else {
        panic!("`error` is not an object\nrequest: {request}\nanswer: {answer}");
    };
    for field in ERROR_FIELDS {
        assert!(
            error.contains_key(*field),
            "error lacks `{field}`\nrequest: {request}\nanswer: {answer}"
        );
    }
    let ok = match error.get("code") {
        Some(Value::String(code)) => ERROR_CODES.contains(&code.as_str()),
        _ => false,
    } && matches!(error.get("message"), Some(Value::String(_)))
        && matches!(error.get("path"), Some(Value::String(_) | Value::Null))
        && matches!(error.get("line"), Some(Value::Number(_) | Value::Null))
        && matches!(error.get("column"), Some(Value::Number(_) | Value::Null))
        && matches!(error.get("expected"), Some(Value::Array(_) | Value::Null));
    assert!(
        ok,
        "malformed error object\nrequest: {request}\nanswer: {answer}"
    );
}

/// The first object (as a JSON pointer) whose keys are not in strictly increasing byte order.
fn unsorted_keys(value: &Value) -> Option<String> {
    match value {
        Value::Object(map) => {
            let keys: Vec<&String> = map.keys().collect();
            if keys.windows(2).any(|w| w[0].as_bytes() >= w[1].as_bytes()) {
                return Some(String::new());
            }
            map.iter()
                .find_map(|(k, v)| unsorted_keys(v).map(|p| format!("/{k}{p}")))
        }
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, v)| unsorted_keys(v).map(|p| format!("/{i}{p}"))),
        _ => None,
    }
}

/// The error code of an answer, if it is an error.
pub fn error_code(answer: &Map<String, Value>) -> Option<&str> {
    answer.get("error")?.get("code")?.as_str()
}

/// Asks `request` and checks the answer's shape; returns the answer text and its object.
pub fn ask(engine: &mut Engine, request: &str) -> (String, Map<String, Value>) {
    let answer = engine.query_json(request);
    let map = check_answer(&answer, request);
    (answer, map)
}

/// The first string `id` of the items of `snapshot[list]`.
pub fn first_id(snapshot: &Value, list: &str) -> Option<String> {
    snapshot
        .get(list)?
        .as_array()?
        .iter()
        .find_map(|item| item.get("id")?.as_str().map(str::to_owned))
}

/// All string ids of the items of `snapshot[list]`, in document order.
pub fn ids(snapshot: &Value, list: &str) -> Vec<String> {
    snapshot
        .get(list)
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|item| Some(item.get("id")?.as_str()?.to_owned()))
                .collect()
        })
        .unwrap_or_default()
}

/// How many of the first probes `Tenant::assert_unchanged_quick` asks: all but the costly
/// listing and lint, which the `apply` target still asks.
pub const QUICK_PROBES: usize = 7;

/// Requests that read every part of an engine's state: asked before and after something
/// that must not change it, their answers must be identical byte for byte.
pub fn probe_requests(snapshot: &Value) -> Vec<String> {
    let user = first_id(snapshot, "users").unwrap_or_else(|| "u-none".to_owned());
    let group = first_id(snapshot, "groups").unwrap_or_else(|| "g-none".to_owned());
    let product = first_id(snapshot, "products").unwrap_or_else(|| "p-none".to_owned());
    [
        json!({"op": "check", "user": user, "product": product}),
        json!({"op": "members", "group": group, "pageSize": 1000}),
        json!({"op": "userAccess", "user": user}),
        json!({"op": "homepage", "user": user}),
        json!({"op": "explain", "user": user, "group": group}),
        json!({"op": "whoCanAccess", "product": product, "pageSize": 1000}),
        json!({"op": "diagnostics"}),
        // The costly ones last: `QUICK_PROBES` leaves them out.
        json!({"op": "listGroups", "status": "all", "includeHidden": true, "pageSize": 1000}),
        json!({"op": "lint"}),
    ]
    .iter()
    .map(Value::to_string)
    .collect()
}

/// One of the fixed tenants: a snapshot taken from the project's test vectors.
pub struct Tenant {
    pub name: &'static str,
    /// The snapshot as JSON text.
    pub text: String,
    pub snapshot: Value,
    pub users: Vec<String>,
    pub groups: Vec<String>,
    pub roles: Vec<String>,
    pub products: Vec<String>,
    pub probes: Vec<String>,
    /// The probes' answers from a freshly loaded engine (not strict).
    pub baseline: Vec<String>,
    /// Whether the snapshot also loads under `strict`.
    pub loads_strict: bool,
}

impl Tenant {
    /// A freshly loaded engine for this tenant.
    pub fn engine(&self, strict: bool) -> Engine {
        Engine::from_json(&self.text, LoadOptions { strict })
            .unwrap_or_else(|e| panic!("fixed tenant {} no longer loads: {e:?}", self.name))
    }

    /// Panics unless `engine` answers every probe exactly as `before`.
    pub fn assert_unchanged(&self, engine: &mut Engine, before: &[String], after_what: &str) {
        for (probe, expected) in self.probes.iter().zip(before) {
            let (answer, _) = ask(engine, probe);
            assert!(
                &answer == expected,
                "engine ({}) answers differently after {after_what}\nprobe: {probe}\nbefore: {expected}\nafter:  {answer}",
                self.name
            );
        }
    }

    /// As `assert_unchanged`, with the first `QUICK_PROBES` probes only.
    pub fn assert_unchanged_quick(&self, engine: &mut Engine, before: &[String], after_what: &str) {
        for (probe, expected) in self.probes.iter().zip(before).take(QUICK_PROBES) {
            let (answer, _) = ask(engine, probe);
            assert!(
                &answer == expected,
                "engine ({}) answers differently after {after_what}\nprobe: {probe}\nbefore: {expected}\nafter:  {answer}",
                self.name
            );
        }
    }

    /// The probes' answers from `engine`, each checked for shape.
    pub fn probe(&self, engine: &mut Engine) -> Vec<String> {
        self.probes.iter().map(|p| ask(engine, p).0).collect()
    }
}

/// The vector files whose snapshots the `query` and `apply` targets use, in selector order:
/// a seed file's first byte picks one (see `tenant_for`).
pub const TENANT_FILES: &[(&str, &str)] = &[
    (
        "membership",
        include_str!("../../tests/vectors/membership.json"),
    ),
    (
        "member_of_mixed",
        include_str!("../../tests/vectors/member_of_mixed.json"),
    ),
    (
        "products",
        include_str!("../../tests/vectors/products.json"),
    ),
    ("roles", include_str!("../../tests/vectors/roles.json")),
    (
        "homepage",
        include_str!("../../tests/vectors/homepage.json"),
    ),
    ("lint", include_str!("../../tests/vectors/lint.json")),
    (
        "list_groups",
        include_str!("../../tests/vectors/list_groups.json"),
    ),
    (
        "operators",
        include_str!("../../tests/vectors/operators.json"),
    ),
];

/// The fixed tenants, loaded once.
pub fn tenants() -> &'static [Tenant] {
    static TENANTS: OnceLock<Vec<Tenant>> = OnceLock::new();
    TENANTS.get_or_init(|| {
        TENANT_FILES
            .iter()
            .map(|(name, file)| {
                let vector: Value = serde_json::from_str(file).expect("vector file is JSON");
                let snapshot = vector
                    .get("snapshot")
                    .cloned()
                    .expect("vector file has a snapshot");
                let text = snapshot.to_string();
                let probes = probe_requests(&snapshot);
                let mut tenant = Tenant {
                    name,
                    users: ids(&snapshot, "users"),
                    groups: ids(&snapshot, "groups"),
                    roles: ids(&snapshot, "roles"),
                    products: ids(&snapshot, "products"),
                    loads_strict: Engine::from_json(&text, LoadOptions { strict: true }).is_ok(),
                    text,
                    snapshot,
                    probes,
                    baseline: Vec::new(),
                };
                let mut engine = tenant.engine(false);
                tenant.baseline = tenant.probe(&mut engine);
                tenant
            })
            .collect()
    })
}

/// The tenant a selector byte picks.
pub fn tenant_for(selector: u8) -> &'static Tenant {
    let all = tenants();
    &all[usize::from(selector) % all.len()]
}
