//! Arbitrary text as a snapshot (SPEC §1, §1.1, §8).
//!
//! Loaded plain and strict: nothing may panic; a load error carries a load code; strict and
//! plain agree (strict fails exactly where the first error-severity diagnostic is, and
//! otherwise gives the same diagnostics). A loaded engine then answers a fixed set of
//! requests about the snapshot's own first user, group and product, and every answer must
//! have the shape of SPEC §7.

#![no_main]

use groupgate::{Engine, LoadOptions};
use groupgate_fuzz::{ask, parse_json, probe_requests, text};
use libfuzzer_sys::fuzz_target;
use serde_json::{json, Value};

const LOAD_CODES: &[&str] = &["invalid-json", "invalid-snapshot", "limit-exceeded"];

fuzz_target!(|data: &[u8]| {
    let text = text(data);
    let plain = Engine::from_json(&text, LoadOptions::default());
    let strict = Engine::from_json(&text, LoadOptions { strict: true });

    for error in [plain.as_ref().err(), strict.as_ref().err()]
        .into_iter()
        .flatten()
    {
        let code = error.code().to_string();
        assert!(
            LOAD_CODES.contains(&code.as_str()),
            "load failed with code {code}: {error:?}"
        );
    }

    match (plain, strict) {
        (Err(p), Err(s)) => {
            // A fatal snapshot is fatal whatever the mode, for the same reason.
            assert_eq!(
                (p.code(), p.path()),
                (s.code(), s.path()),
                "plain and strict fail differently"
            );
        }
        (Err(p), Ok(_)) => panic!("strict load succeeds where the plain one fails: {p:?}"),
        (Ok(mut plain), strict) => {
            let (plain_diagnostics, map) = ask(&mut plain, r#"{"op":"diagnostics"}"#);
            let first_error = map
                .get("diagnostics")
                .and_then(Value::as_array)
                .expect("`diagnostics` answer lists diagnostics")
                .iter()
                .find(|d| d.get("severity").and_then(Value::as_str) == Some("error"))
                .cloned();
            match (strict, first_error) {
                (Ok(mut strict), None) => {
                    let (strict_diagnostics, _) = ask(&mut strict, r#"{"op":"diagnostics"}"#);
                    assert_eq!(
                        plain_diagnostics, strict_diagnostics,
                        "strict load has other diagnostics"
                    );
                }
                (Ok(_), Some(d)) => panic!("strict load succeeds despite the error diagnostic {d}"),
                (Err(e), Some(d)) => {
                    assert_eq!(
                        e.code().to_string(),
                        "invalid-snapshot",
                        "strict failure code"
                    );
                    assert_eq!(
                        e.path(),
                        d.get("path").and_then(Value::as_str),
                        "strict failure is not at the first error diagnostic"
                    );
                }
                (Err(e), None) => panic!("strict load fails without an error diagnostic: {e:?}"),
            }
            exercise(&mut plain, &text);
        }
    }
});

/// The fixed requests, about ids read off the snapshot itself so that evaluation runs.
fn exercise(engine: &mut Engine, text: &str) {
    let snapshot = parse_json(text).unwrap_or(Value::Null);
    let mut requests = probe_requests(&snapshot);
    requests.push(json!({"op": "previewRule", "rule": "name EXISTS", "limit": 1000}).to_string());
    for request in &requests {
        ask(engine, request);
    }
    // A group id as the engine lists it, when the snapshot's first one was not usable.
    let (_, listing) = ask(
        engine,
        r#"{"op":"listGroups","includeHidden":true,"pageSize":1}"#,
    );
    if let Some(group) = listing
        .get("groups")
        .and_then(|g| g.get(0))
        .and_then(|g| g.get("group"))
        .and_then(Value::as_str)
    {
        ask(
            engine,
            &json!({"op": "members", "group": group}).to_string(),
        );
        ask(
            engine,
            &json!({"op": "editDashboard", "group": group}).to_string(),
        );
    }
}
