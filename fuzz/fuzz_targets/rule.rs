//! Rule text and rule ASTs through `parseRule` / `formatRule` (SPEC §4.3), without a
//! snapshot.
//!
//! As text: when it parses, `formatRule` of the AST must succeed, parse back to the same
//! AST (the same canonical JSON text), and format again to the same text. As a rule in
//! JSON (when the input is one JSON value): when `formatRule` accepts it, its text must
//! parse, and that AST must format to the same text.
//! Failures must be `rule-syntax`, `invalid-rule`, `limit-exceeded` or `invalid-request`.

#![no_main]

use groupgate::answer_without_engine_json;
use groupgate_fuzz::{check_answer, error_code, parse_json, text};
use libfuzzer_sys::fuzz_target;
use serde_json::{json, Value};

const RULE_CODES: &[&str] = &[
    "rule-syntax",
    "invalid-rule",
    "limit-exceeded",
    "invalid-request",
];

fuzz_target!(|data: &[u8]| {
    let text = text(data);
    if let Some(ast) = parse_rule(&text) {
        let formatted = format_rule(&ast).unwrap_or_else(|code| {
            panic!("a parsed rule does not format ({code})\ntext: {text:?}\nast: {ast}")
        });
        let again = parse_rule(&formatted).unwrap_or_else(|| {
            panic!("formatted text does not parse\ntext: {text:?}\nformatted: {formatted:?}")
        });
        assert_eq!(
            ast, again,
            "round trip changes the AST\ntext: {text:?}\nformatted: {formatted:?}"
        );
        let reformatted = format_rule(&again).expect("formats once, formats twice");
        assert_eq!(
            formatted, reformatted,
            "formatting is not stable\ntext: {text:?}"
        );
    }
    // The input itself as the rule of `formatRule`, when it is one JSON value.
    if parse_json(&text).is_some() {
        if let Ok(formatted) = format_rule(&text) {
            let ast = parse_rule(&formatted).unwrap_or_else(|| {
                panic!("formatRule wrote text that does not parse\nrule: {text}\nformatted: {formatted:?}")
            });
            let reformatted = format_rule(&ast).expect("a parsed rule formats");
            assert_eq!(
                formatted, reformatted,
                "format(parse(format(rule))) differs\nrule: {text}"
            );
        }
    }
});

/// The answer of `parseRule` on success: `{"revision":null,"rule":` AST `}`.
const PARSED_PREFIX: &str = r#"{"revision":null,"rule":"#;

/// `parseRule`: the AST as the canonical JSON text of the answer, or `None` on a rule error.
///
/// ASTs are compared and passed on as the engine wrote them, never re-encoded here: a number
/// read into an `f64` by this harness and written again could differ from the engine's own.
fn parse_rule(text: &str) -> Option<String> {
    let request = json!({"op": "parseRule", "text": text}).to_string();
    let answer_text = answer_without_engine_json(&request);
    let answer = check_answer(&answer_text, &request);
    match error_code(&answer) {
        None => {
            let ast = answer_text
                .strip_prefix(PARSED_PREFIX)
                .and_then(|rest| rest.strip_suffix('}'))
                .unwrap_or_else(|| panic!("unexpected `parseRule` answer: {answer_text}"));
            Some(ast.to_owned())
        }
        Some(code) => {
            assert!(
                RULE_CODES.contains(&code),
                "parseRule failed with {code}\ntext: {text:?}"
            );
            None
        }
    }
}

/// `formatRule` of a rule given as JSON text: the text, or the error code.
fn format_rule(rule: &str) -> Result<String, String> {
    let request = format!(r#"{{"op":"formatRule","rule":{rule}}}"#);
    let answer_text = answer_without_engine_json(&request);
    let answer = check_answer(&answer_text, &request);
    match error_code(&answer) {
        None => match answer.get("text") {
            Some(Value::String(text)) => Ok(text.clone()),
            other => panic!("`formatRule` answer's text is {other:?}"),
        },
        Some(code) => {
            assert!(
                RULE_CODES.contains(&code),
                "formatRule failed with {code}\nrule: {rule}"
            );
            Err(code.to_owned())
        }
    }
}
