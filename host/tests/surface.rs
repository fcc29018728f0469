//! The plain module's surface is pinned: it imports nothing, and exports exactly the
//! documented list (src/abi.rs) with the documented signatures.

mod common;

/// The exports of src/abi.rs, plus `memory` and the two globals the linker always exports.
const EXPORTS: &[&str] = &[
    "__data_end",
    "__heap_base",
    "gg_abi_version",
    "gg_alloc",
    "gg_check",
    "gg_engine_export",
    "gg_engine_free",
    "gg_engine_from_compiled",
    "gg_engine_new",
    "gg_free",
    "gg_last_answer",
    "gg_query",
    "memory",
];

#[test]
fn imports_nothing() {
    assert_eq!(common::module().imports(), Vec::<String>::new());
}

#[test]
fn exports_exactly_the_documented_list() {
    let mut exports = common::module().exports();
    exports.sort();
    assert_eq!(exports, EXPORTS);
}

#[test]
fn signatures_match_the_reference() {
    // Instantiation checks every export against the typed signature the harness expects.
    let mut guest = common::guest();
    assert_eq!(guest.abi_version(), Ok(1));
}

/// Text that is not JSON (`tests/vectors/raw/invalid_json_requests.json`, which the native and
/// Node runners read too): `invalid-json` at the exact line and column, in Unicode characters,
/// as a request and as a snapshot, through the module's memory; the engine stays usable.
#[test]
fn invalid_json_reports_its_line_and_column() {
    let table: serde_json::Value = serde_json::from_str(include_str!(
        "../../tests/vectors/raw/invalid_json_requests.json"
    ))
    .expect("the table is JSON");
    let cases = table["cases"].as_array().expect("cases");
    assert!(cases.len() >= 5, "only {} cases", cases.len());
    let mut guest = common::guest();
    let (handle, answer) = guest.load(r#"{"revision":"r1"}"#, false).expect("loads");
    assert_ne!(handle, 0, "{answer}");
    let fields = |answer: &str| {
        let answer: serde_json::Value = serde_json::from_str(answer).expect("a JSON answer");
        let mut error = answer["error"].clone();
        error
            .as_object_mut()
            .expect("an error answer")
            .remove("message");
        (error, answer["revision"].clone())
    };
    for case in cases {
        let text = case["text"].as_str().expect("text");
        let want = serde_json::json!({
            "code": "invalid-json",
            "path": null,
            "line": case["line"],
            "column": case["column"],
            "expected": null,
        });
        let answer = guest.query(handle, text).expect("answers");
        assert_eq!(
            fields(&answer),
            (want.clone(), serde_json::json!("r1")),
            "{}: as a request",
            case["name"]
        );
        let (failed, answer) = guest.load(text, false).expect("answers");
        assert_eq!(failed, 0, "{}: loads", case["name"]);
        assert_eq!(
            fields(&answer),
            (want, serde_json::Value::Null),
            "{}: as a snapshot",
            case["name"]
        );
    }
    let answer = guest
        .query(handle, r#"{"op":"diagnostics"}"#)
        .expect("answers");
    assert_eq!(answer, r#"{"diagnostics":[],"revision":"r1"}"#);
}
