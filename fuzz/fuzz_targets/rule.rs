//! Rule text and rule ASTs through `parseRule` / `formatRule` (SPEC §4.3), without a
//! snapshot.
//!
//! As text: when it parses, `formatRule` of the AST must succeed, parse back to the same
//! AST, and format again to the same text. As an AST (when the input is JSON): when
//! `formatRule` accepts it, its text must parse, and that AST must format to the same text.
//! Failures must be `rule-syntax`, `invalid-rule`, `limit-exceeded` or `invalid-request`.

#![no_main]

use groupgate::answer_without_engine_json;
use groupgate_fuzz::{check_answer, error_code, parse_json, text};
use libfuzzer_sys::fuzz_target;
use serde_json::{json, Map, Value};

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
    if let Some(candidate) = parse_json(&text) {
        if let Ok(formatted) = format_rule(&candidate) {
            let ast = parse_rule(&formatted).unwrap_or_else(|| {
                panic!("formatRule wrote text that does not parse\nast: {candidate}\nformatted: {formatted:?}")
            });
            let reformatted = format_rule(&ast).expect("a parsed rule formats");
            assert_eq!(
                formatted, reformatted,
                "format(parse(format(ast))) differs\nast: {candidate}"
            );
        }
    }
});

/// `parseRule`: the AST, or `None` on a rule error.
fn parse_rule(text: &str) -> Option<Value> {
    let mut answer = call(json!({"op": "parseRule", "text": text}));
    match error_code(&answer) {
        None => Some(
            answer
                .remove("rule")
                .expect("`parseRule` answer has `rule`"),
        ),
        Some(code) => {
            assert!(
                RULE_CODES.contains(&code),
                "parseRule failed with {code}\ntext: {text:?}"
            );
            None
        }
    }
}

/// `formatRule`: the text, or the error code.
fn format_rule(rule: &Value) -> Result<String, String> {
    let answer = call(json!({"op": "formatRule", "rule": rule}));
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

fn call(request: Value) -> Map<String, Value> {
    let request = request.to_string();
    let answer = answer_without_engine_json(&request);
    check_answer(&answer, &request)
}
