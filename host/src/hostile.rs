//! Hostile inputs: small, valid-looking snapshots and requests that would cost far more than
//! they should if some step compared every pair, multiplied two dimensions, or let chosen ids
//! degrade its tables. [`write`] puts, per input, `NAME.snapshot.json` and `NAME.cases.json`
//! (`[{ "request", "expect" }]`, `expect` an error code or `"answer"`) in a folder.
//!
//! The Rust suite (`host/tests/hostile.rs`) runs them natively and in wasmtime through the
//! `groupgate` command under a memory and time budget; the Node suite runs them through the
//! package (`cargo run -p groupgate-host --example hostile -- DIR` writes them).

use std::fmt::Write as _;
use std::fs;
use std::path::Path;

use serde_json::{json, Value};

/// One hostile input.
pub struct Input {
    /// Its name.
    pub name: &'static str,
    /// The snapshot text.
    pub snapshot: String,
    /// The requests, each with the error code it must get, or `"answer"`.
    pub cases: Vec<(Value, &'static str)>,
}

fn users(n: usize, id: impl Fn(usize) -> String) -> String {
    let mut out = String::with_capacity(n * 24);
    for i in 0..n {
        if i > 0 {
            out.push(',');
        }
        let _ = write!(out, "{{\"id\":\"{}\"}}", id(i));
    }
    out
}

/// Every hostile input.
pub fn inputs() -> Vec<Input> {
    let mut all = Vec::new();

    // Many users and many products and no group: nothing is granted, so nothing is held.
    let products: Vec<String> = (0..200_000)
        .map(|i| format!("{{\"id\":\"p{i}\"}}"))
        .collect();
    all.push(Input {
        name: "products-without-groups",
        snapshot: format!(
            "{{\"users\":[{}],\"products\":[{}]}}",
            users(200_000, |i| format!("u{i}")),
            products.join(",")
        ),
        cases: vec![
            (
                json!({"op":"check","user":"u1","product":"p199999"}),
                "answer",
            ),
            (json!({"op":"userAccess","user":"u7"}), "answer"),
        ],
    });

    // Ids that differ only in their last bytes, a common pattern and a chosen one.
    all.push(Input {
        name: "zero-padded-ids",
        snapshot: format!(
            "{{\"users\":[{}],\"groups\":[{{\"id\":\"g\",\"name\":\"G\",\"members\":[\"u0999999\"],\"products\":[\"p\"]}}],\"products\":[{{\"id\":\"p\"}}]}}",
            users(1_000_000, |i| format!("u{i:07}"))
        ),
        cases: vec![
            (json!({"op":"check","user":"u0999999","product":"p"}), "answer"),
            (json!({"op":"check","user":"u1000000","product":"p"}), "answer"),
        ],
    });

    // One user with 50,000 attribute keys among 50,000 users.
    let mut wide = String::new();
    for k in 0..50_000 {
        if k > 0 {
            wide.push(',');
        }
        let _ = write!(wide, "\"k{k}\":\"v{k}\"");
    }
    all.push(Input {
        name: "one-user-many-attributes",
        snapshot: format!(
            "{{\"users\":[{},{{\"id\":\"wide\",\"attributes\":{{{wide}}}}}]}}",
            users(50_000, |i| format!("u{i}"))
        ),
        cases: vec![
            (json!({"op":"previewRule","rule":"k49999 EXISTS"}), "answer"),
            (
                json!({"op":"previewRule","rule":"k1 = v1 OR k2 = v2"}),
                "answer",
            ),
        ],
    });

    // One include cycle through 10,000 groups.
    let mut groups = Vec::new();
    for g in 0..10_000 {
        groups.push(format!(
            "{{\"id\":\"g{g}\",\"name\":\"G{g}\",\"members\":[\"u{g}\"],\"includeGroups\":[\"g{}\"]}}",
            (g + 1) % 10_000
        ));
    }
    all.push(Input {
        name: "long-include-cycle",
        snapshot: format!(
            "{{\"users\":[{}],\"groups\":[{}]}}",
            users(10_000, |i| format!("u{i}")),
            groups.join(",")
        ),
        cases: vec![
            (json!({"op":"members","group":"g0"}), "answer"),
            (
                json!({"op":"members","group":"g5000","type":"group","pageSize":1000}),
                "answer",
            ),
            (json!({"op":"userAccess","user":"u1"}), "answer"),
        ],
    });

    // One group including 60,000 one-member groups.
    let mut groups = vec![format!(
        "{{\"id\":\"all\",\"name\":\"All\",\"includeGroups\":[{}]}}",
        (0..60_000)
            .map(|g| format!("\"g{g}\""))
            .collect::<Vec<_>>()
            .join(",")
    )];
    for g in 0..60_000 {
        groups.push(format!(
            "{{\"id\":\"g{g}\",\"name\":\"G{g}\",\"members\":[\"u{g}\"]}}"
        ));
    }
    all.push(Input {
        name: "wide-include",
        snapshot: format!(
            "{{\"users\":[{}],\"groups\":[{}]}}",
            users(60_000, |i| format!("u{i}")),
            groups.join(",")
        ),
        cases: vec![
            (
                json!({"op":"members","group":"all","type":"group","pageSize":1000}),
                "answer",
            ),
            (
                json!({"op":"explain","user":"u59999","group":"all"}),
                "answer",
            ),
        ],
    });

    // A product carried by 1,000 groups, asked 100,000 times of someone in none of them: each
    // result would list the 1,000 groups. The answer stops at its limit instead.
    let mut groups = Vec::new();
    for g in 0..1_000 {
        groups.push(format!(
            "{{\"id\":\"group-with-a-long-id-{g:04}\",\"name\":\"G{g}\",\"members\":[\"u{g}\"],\"products\":[\"p\"]}}"
        ));
    }
    let checks: Vec<Value> = (0..100_000)
        .map(|_| json!({"user":"outsider","product":"p"}))
        .collect();
    all.push(Input {
        name: "check-batch-explosion",
        snapshot: format!(
            "{{\"users\":[{},{{\"id\":\"outsider\"}}],\"groups\":[{}],\"products\":[{{\"id\":\"p\"}}]}}",
            users(1_000, |i| format!("u{i}")),
            groups.join(",")
        ),
        cases: vec![
            (json!({"op":"checkBatch","checks":checks}), "limit-exceeded"),
            (json!({"op":"check","user":"u1","product":"p"}), "answer"),
        ],
    });

    // Lint on many groups with a dangling include each, many `Team N`, and one long name.
    let mut groups = Vec::new();
    for g in 0..200_000 {
        groups.push(format!(
            "{{\"id\":\"g{g}\",\"name\":\"Team {g}\",\"includeGroups\":[\"ghost{g}\"]}}"
        ));
    }
    groups.push(format!(
        "{{\"id\":\"long\",\"name\":\"{}\"}}",
        "Copy of (1) x 1 ".repeat(65_000)
    ));
    all.push(Input {
        name: "lint-at-scale",
        snapshot: format!("{{\"groups\":[{}]}}", groups.join(",")),
        cases: vec![
            (json!({"op":"lint"}), "answer"),
            (
                json!({"op":"listGroups","locale":"a-".repeat(100_000)}),
                "answer",
            ),
            (json!({"op":"listGroups","search":"team 1999"}), "answer"),
        ],
    });

    // A deep reporting chain, and rules that follow it many times over.
    let mut chain = String::new();
    for i in 0..100_000 {
        if i > 0 {
            chain.push(',');
        }
        if i == 0 {
            chain.push_str("{\"id\":\"u0\"}");
        } else {
            let _ = write!(
                chain,
                "{{\"id\":\"u{i}\",\"attributes\":{{\"manager\":\"u{}\"}}}}",
                i - 1
            );
        }
    }
    let targets: Vec<String> = (0..2_000)
        .map(|i| format!("manager REPORTS TO u{}", i * 50))
        .collect();
    let or_text = targets.join(" OR ");
    let and_text = targets.join(" AND ");
    let ast_or: Vec<Value> = (0..100_001)
        .map(|i| json!({"field":"manager","op":"=","value":format!("u{i}")}))
        .collect();
    all.push(Input {
        name: "reports-to-chains",
        snapshot: format!("{{\"users\":[{chain}]}}"),
        cases: vec![
            (json!({"op":"previewRule","rule":or_text}), "answer"),
            (json!({"op":"previewRule","rule":and_text}), "answer"),
            (
                json!({"op":"previewRule","rule":{"any":ast_or}}),
                "limit-exceeded",
            ),
        ],
    });
    all
}

/// Writes every input into `dir`; the names written.
///
/// # Errors
///
/// When a file cannot be written.
pub fn write(dir: &Path) -> std::io::Result<Vec<&'static str>> {
    fs::create_dir_all(dir)?;
    let mut names = Vec::new();
    for input in inputs() {
        let cases: Vec<Value> = input
            .cases
            .iter()
            .map(|(request, expect)| json!({"request": request, "expect": expect}))
            .collect();
        fs::write(
            dir.join(format!("{}.snapshot.json", input.name)),
            &input.snapshot,
        )?;
        fs::write(
            dir.join(format!("{}.cases.json", input.name)),
            Value::Array(cases).to_string(),
        )?;
        names.push(input.name);
    }
    Ok(names)
}
