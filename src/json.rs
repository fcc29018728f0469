//! JSON in and out: the nesting guard, parse errors with line and column, JSON paths,
//! and the canonical writer of SPEC §2 (keys sorted by UTF-8 bytes, whole numbers bare).
//!
//! INVARIANT: every answer leaves the engine through [`write_canonical`], so the same
//! value prints the same bytes on every host.

use serde::Deserialize;
use serde_json::{Map, Number, Value};

use crate::error::{Error, ErrorCode};

/// The deepest nesting of arrays and objects accepted anywhere (SPEC §8).
pub const MAX_DEPTH: usize = 128;

/// Parses JSON text after checking its nesting, so that no input can exhaust the stack.
///
/// # Errors
///
/// `limit-exceeded` for nesting over [`MAX_DEPTH`], `invalid-json` with line and column
/// for anything that is not JSON.
pub fn parse(text: &str) -> Result<Value, Error> {
    check_depth(text)?;
    let mut deserializer = serde_json::Deserializer::from_str(text);
    // The depth was checked above; serde_json's own limit is one level short of ours.
    deserializer.disable_recursion_limit();
    let value = Value::deserialize(&mut deserializer).map_err(|e| json_error(text, &e))?;
    deserializer.end().map_err(|e| json_error(text, &e))?;
    Ok(value)
}

fn json_error(text: &str, error: &serde_json::Error) -> Error {
    let line = error.line();
    let byte_column = error.column();
    // serde_json counts columns in bytes; the contract counts Unicode characters.
    let column = text
        .split('\n')
        .nth(line.saturating_sub(1))
        .map(|l| {
            let end = byte_column.min(l.len());
            let mut end = end;
            while end > 0 && !l.is_char_boundary(end) {
                end -= 1;
            }
            l.get(..end).map_or(0, |p| p.chars().count())
        })
        .unwrap_or(byte_column);
    let message = error.to_string();
    let message = match message.find(" at line ") {
        Some(cut) => message.get(..cut).unwrap_or(&message).to_owned(),
        None => message,
    };
    let mut err = Error::new(ErrorCode::InvalidJson, format!("not valid JSON: {message}"));
    err.line = Some(u32::try_from(line.max(1)).unwrap_or(u32::MAX));
    err.column = Some(u32::try_from(column.max(1)).unwrap_or(u32::MAX));
    err
}

/// Rejects text whose arrays and objects nest deeper than [`MAX_DEPTH`].
///
/// # Errors
///
/// `limit-exceeded` with the line and column (in characters) of the first bracket too deep.
pub fn check_depth(text: &str) -> Result<(), Error> {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for (offset, &b) in bytes.iter().enumerate() {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    let before = text.get(..offset).unwrap_or("");
                    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
                    let mut err = Error::new(
                        ErrorCode::LimitExceeded,
                        format!("JSON nests deeper than {MAX_DEPTH} levels"),
                    );
                    err.line =
                        Some(u32::try_from(before.matches('\n').count() + 1).unwrap_or(u32::MAX));
                    err.column = Some(
                        u32::try_from(
                            before.get(line_start..).map_or(0, |l| l.chars().count()) + 1,
                        )
                        .unwrap_or(u32::MAX),
                    );
                    return Err(err);
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

/// Whether a nested value is deeper than [`MAX_DEPTH`] (for values built by a host, not text).
pub fn too_deep(value: &Value) -> bool {
    let mut stack = vec![(value, 1usize)];
    while let Some((v, depth)) = stack.pop() {
        let children: Box<dyn Iterator<Item = &Value>> = match v {
            Value::Array(items) => Box::new(items.iter()),
            Value::Object(map) => Box::new(map.values()),
            _ => continue,
        };
        if depth > MAX_DEPTH {
            return true;
        }
        for child in children {
            stack.push((child, depth + 1));
        }
    }
    false
}

/// Whether two values are the same JSON: numbers compare by value (`1` is `1.0`), so that
/// a snapshot sent as text and as a JavaScript object compare alike.
pub fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x == y || x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

/// `base.key`, or `base["key"]` when the key is not a plain identifier.
pub fn path_key(base: &str, key: &str) -> String {
    let plain = key
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if plain {
        format!("{base}.{key}")
    } else {
        let mut out = format!("{base}[");
        write_string(&mut out, key);
        out.push(']');
        out
    }
}

/// `base[index]`.
pub fn path_index(base: &str, index: usize) -> String {
    format!("{base}[{index}]")
}

/// Writes `value` canonically: object keys sorted by UTF-8 bytes, whole numbers without a
/// fraction or exponent, no insignificant whitespace.
pub fn write_canonical(out: &mut String, value: &Value) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Number(n) => write_number(out, n),
        Value::String(s) => write_string(out, s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(out, item);
            }
            out.push(']');
        }
        Value::Object(map) => write_object(out, map),
    }
}

fn write_object(out: &mut String, map: &Map<String, Value>) {
    let mut entries: Vec<(&String, &Value)> = map.iter().collect();
    entries.sort_unstable_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    out.push('{');
    for (i, (key, value)) in entries.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_string(out, key);
        out.push(':');
        write_canonical(out, value);
    }
    out.push('}');
}

/// The canonical text of a value.
pub fn to_canonical(value: &Value) -> String {
    let mut out = String::new();
    write_canonical(&mut out, value);
    out
}

/// Writes a number: integers as they are, whole floats as integers, others in shortest form.
pub fn write_number(out: &mut String, n: &Number) {
    if n.is_i64() || n.is_u64() {
        out.push_str(&n.to_string());
        return;
    }
    match n.as_f64() {
        Some(f) => write_f64(out, f),
        None => out.push_str(&n.to_string()),
    }
}

/// Writes a float: whole values without fraction or exponent.
pub fn write_f64(out: &mut String, f: f64) {
    if !f.is_finite() {
        out.push_str("null");
    } else if f.fract() == 0.0 {
        if f == 0.0 {
            out.push('0');
        } else if f.abs() < 9.0e15 {
            // Exact in i64: the common case.
            #[expect(clippy::cast_possible_truncation, reason = "whole and below 2^53")]
            let whole = f as i64;
            out.push_str(&whole.to_string());
        } else {
            out.push_str(&format!("{f:.0}"));
        }
    } else {
        match Number::from_f64(f) {
            Some(n) => out.push_str(&n.to_string()),
            None => out.push_str("null"),
        }
    }
}

/// The canonical text of a float.
pub fn f64_text(f: f64) -> String {
    let mut out = String::new();
    write_f64(&mut out, f);
    out
}

/// Writes a JSON string literal.
pub fn write_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// The JSON type of a value, for messages.
pub fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(input: &str, expect: &str) {
        let value = parse(input).map_err(|e| e.to_string());
        assert_eq!(value.map(|v| to_canonical(&v)), Ok(expect.to_owned()));
    }

    #[test]
    fn keys_sorted_and_numbers_canonical() {
        check(
            r#"{"b":1,"a":{"d":2.0,"c":1e3},"B":-0.0}"#,
            r#"{"B":0,"a":{"c":1000,"d":2},"b":1}"#,
        );
        check(r#"[2.5, 1e-7, "x\u0001"]"#, r#"[2.5,1e-7,"x\u0001"]"#);
    }

    #[test]
    fn depth_guard_rejects_deep_nesting() {
        let ok = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(parse(&ok).is_ok());
        let deep = format!("{}{}", "[".repeat(MAX_DEPTH + 1), "]".repeat(MAX_DEPTH + 1));
        assert_eq!(
            parse(&deep).map_err(|e| e.code),
            Err(ErrorCode::LimitExceeded)
        );
        let hostile = "[".repeat(1_000_000);
        assert_eq!(
            parse(&hostile).map_err(|e| e.code),
            Err(ErrorCode::LimitExceeded)
        );
        assert!(!too_deep(&json!([[[1]]])));
    }

    #[test]
    fn syntax_errors_have_character_columns() {
        let err = parse("{\"é\": tru}").err();
        assert_eq!(err.as_ref().map(|e| e.code), Some(ErrorCode::InvalidJson));
        assert_eq!(err.as_ref().and_then(|e| e.line), Some(1));
        assert!(err.and_then(|e| e.column).is_some_and(|c| c <= 10));
    }

    #[test]
    fn paths_quote_odd_keys() {
        assert_eq!(path_key("$", "users"), "$.users");
        assert_eq!(path_key("$.a", "job title"), "$.a[\"job title\"]");
        assert_eq!(path_index("$.users", 3), "$.users[3]");
    }
}
