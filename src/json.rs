//! JSON in and out: the nesting guard, parse errors with line and column, JSON paths,
//! and the canonical writer of SPEC §2 (keys sorted by UTF-8 bytes, whole numbers bare).
//!
//! INVARIANT: every answer leaves the engine through a [`Writer`] (host JSON inside answers,
//! such as dashboards, through [`write_canonical`]), so the same value prints the same bytes
//! on every host.

use serde::Deserialize;
use serde_json::{Map, Number, Value};

use crate::error::{Error, ErrorCode};
use crate::limits::MAX_JSON_DEPTH as MAX_DEPTH;

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
    let value = Value::deserialize(&mut deserializer).map_err(|e| syntax_error(text, &e))?;
    deserializer.end().map_err(|e| syntax_error(text, &e))?;
    Ok(value)
}

/// The `invalid-json` error for a serde_json error in `text`, with line and column.
pub(crate) fn syntax_error(text: &str, error: &serde_json::Error) -> Error {
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
    Error::new(ErrorCode::InvalidJson, format!("not valid JSON: {message}")).at_position(
        u32::try_from(line.max(1)).unwrap_or(u32::MAX),
        u32::try_from(column.max(1)).unwrap_or(u32::MAX),
    )
}

/// Checks that `text` is JSON, without keeping what it holds.
///
/// # Errors
///
/// `invalid-json` with line and column.
pub(crate) fn check_syntax(text: &str) -> Result<(), Error> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    deserializer.disable_recursion_limit();
    serde::de::IgnoredAny::deserialize(&mut deserializer).map_err(|e| syntax_error(text, &e))?;
    deserializer.end().map_err(|e| syntax_error(text, &e))
}

/// Rejects text whose arrays and objects nest deeper than [`MAX_DEPTH`].
///
/// # Errors
///
/// `limit-exceeded` with the line and column (in characters) of the first bracket too deep.
pub fn check_depth(text: &str) -> Result<(), Error> {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut offset = 0usize;
    while let Some(&b) = bytes.get(offset) {
        match b {
            b'"' => {
                // Most of a snapshot is inside strings: skip to the closing quote a word at a
                // time (`memchr`), stepping over escapes.
                offset += 1;
                loop {
                    let rest = bytes.get(offset..).unwrap_or(&[]);
                    match memchr::memchr2(b'"', b'\\', rest) {
                        Some(at) if rest.get(at) == Some(&b'\\') => offset += at + 2,
                        Some(at) => {
                            offset += at;
                            break;
                        }
                        None => return Ok(()),
                    }
                }
            }
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    let before = text.get(..offset).unwrap_or("");
                    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
                    let line = u32::try_from(before.matches('\n').count() + 1).unwrap_or(u32::MAX);
                    let column = u32::try_from(
                        before.get(line_start..).map_or(0, |l| l.chars().count()) + 1,
                    )
                    .unwrap_or(u32::MAX);
                    return Err(Error::new(
                        ErrorCode::LimitExceeded,
                        format!("JSON nests deeper than {MAX_DEPTH} levels"),
                    )
                    .at_position(line, column));
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        offset += 1;
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

/// Writes an answer as canonical JSON text straight into a buffer, with no JSON tree between.
///
/// Callers give object keys in byte order (checked in debug builds; the vector corpus checks
/// every answer's bytes); the writer adds commas and colons, escapes strings, and inserts one
/// pending top-level key (an answer's `revision`) at its sorted place.
/// It stops growing past its byte budget or when memory cannot grow, and [`Writer::finish`]
/// then reports `limit-exceeded` instead of an answer, so no request exhausts memory.
pub struct Writer {
    out: String,
    /// Per open container: whether it has an element yet, and whether it is an object.
    stack: Vec<(bool, bool)>,
    #[cfg(debug_assertions)]
    keys: Vec<String>,
    pending: Option<(&'static str, String)>,
    budget: usize,
    failed: Option<&'static str>,
}

impl Writer {
    /// A writer that fails past `budget` bytes.
    pub fn new(budget: usize) -> Writer {
        Writer {
            out: String::new(),
            stack: Vec::new(),
            #[cfg(debug_assertions)]
            keys: Vec::new(),
            pending: None,
            budget,
            failed: None,
        }
    }

    /// Inserts `key: raw` (canonical JSON text) into the top-level object at its sorted place.
    pub fn with_top_level(mut self, key: &'static str, raw: String) -> Writer {
        self.pending = Some((key, raw));
        self
    }

    fn push(&mut self, s: &str) {
        if self.failed.is_some() {
            return;
        }
        if self.out.len() + s.len() > self.budget {
            self.failed = Some("the answer would be larger than its limit of 256 MiB");
            return;
        }
        if self.out.capacity() - self.out.len() < s.len() {
            let more = s.len().max(self.out.len()).max(64);
            if self.out.try_reserve(more).is_err() && self.out.try_reserve(s.len()).is_err() {
                self.failed = Some("out of memory while writing the answer");
                return;
            }
        }
        self.out.push_str(s);
    }

    /// Whether the writer has given up (over budget or out of memory).
    pub fn failed(&self) -> bool {
        self.failed.is_some()
    }

    fn before_value(&mut self) {
        if let Some((has, false)) = self.stack.last().copied() {
            if has {
                self.push(",");
            }
            if let Some(top) = self.stack.last_mut() {
                top.0 = true;
            }
        }
    }

    /// Opens an object.
    pub fn obj(&mut self) {
        self.before_value();
        self.push("{");
        self.stack.push((false, true));
        #[cfg(debug_assertions)]
        self.keys.push(String::new());
    }

    /// Closes the innermost object.
    pub fn end_obj(&mut self) {
        if self.stack.len() == 1 {
            if let Some((key, raw)) = self.pending.take() {
                self.raw_key(key);
                self.push(&raw);
            }
        }
        self.stack.pop();
        #[cfg(debug_assertions)]
        self.keys.pop();
        self.push("}");
    }

    /// Opens an array.
    pub fn arr(&mut self) {
        self.before_value();
        self.push("[");
        self.stack.push((false, false));
    }

    /// Closes the innermost array.
    pub fn end_arr(&mut self) {
        self.stack.pop();
        self.push("]");
    }

    fn raw_key(&mut self, key: &str) {
        if let Some(top) = self.stack.last_mut() {
            let has = top.0;
            top.0 = true;
            if has {
                self.push(",");
            }
        }
        let mut quoted = String::with_capacity(key.len() + 3);
        write_string(&mut quoted, key);
        quoted.push(':');
        self.push(&quoted);
    }

    /// Starts the entry `key` of the innermost object; keys come in byte order.
    pub fn key(&mut self, key: &str) {
        if self.stack.len() == 1 {
            if let Some((pending, _)) = &self.pending {
                if key > *pending {
                    if let Some((pending, raw)) = self.pending.take() {
                        self.raw_key(pending);
                        self.push(&raw);
                    }
                }
            }
        }
        #[cfg(debug_assertions)]
        if let Some(last) = self.keys.last_mut() {
            debug_assert!(
                last.is_empty() || key > last.as_str(),
                "key `{key}` after `{last}`"
            );
            *last = key.to_owned();
        }
        self.raw_key(key);
    }

    /// A string value.
    pub fn str(&mut self, s: &str) {
        self.before_value();
        if self.failed.is_some() {
            return;
        }
        let plain = s.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\');
        if plain {
            self.push("\"");
            self.push(s);
            self.push("\"");
        } else {
            let mut quoted = String::with_capacity(s.len() + 8);
            write_string(&mut quoted, s);
            self.push(&quoted);
        }
    }

    /// A string value, or `null`.
    pub fn opt_str(&mut self, s: Option<&str>) {
        match s {
            Some(s) => self.str(s),
            None => self.null(),
        }
    }

    /// A whole number.
    pub fn num(&mut self, n: u64) {
        self.before_value();
        let mut buf = itoa_buf(n);
        self.push(buf.as_str());
        buf.clear();
    }

    /// A boolean.
    pub fn bool(&mut self, b: bool) {
        self.before_value();
        self.push(if b { "true" } else { "false" });
    }

    /// `null`.
    pub fn null(&mut self) {
        self.before_value();
        self.push("null");
    }

    /// Canonical JSON text, as it is.
    pub fn raw(&mut self, canonical: &str) {
        self.before_value();
        self.push(canonical);
    }

    /// A JSON value, written canonically.
    pub fn value(&mut self, value: &Value) {
        let mut text = String::new();
        write_canonical(&mut text, value);
        self.raw(&text);
    }

    /// `key: "s"`.
    pub fn field_str(&mut self, key: &str, s: &str) {
        self.key(key);
        self.str(s);
    }

    /// Each of `items` as a string array.
    pub fn str_list<'a>(&mut self, items: impl IntoIterator<Item = &'a str>) {
        self.arr();
        for item in items {
            self.str(item);
        }
        self.end_arr();
    }

    /// The text, or `limit-exceeded` when the writer gave up.
    ///
    /// # Errors
    ///
    /// `limit-exceeded` when the answer outgrew its budget or memory.
    pub fn finish(self) -> Result<String, Error> {
        match self.failed {
            Some(why) => Err(Error::new(ErrorCode::LimitExceeded, why)),
            None => Ok(self.out),
        }
    }
}

fn itoa_buf(n: u64) -> String {
    n.to_string()
}

/// A host-supplied JSON value kept as canonical text: dashboards are stored this way, compared
/// as text (so `1` and `1.0` agree), and spliced into answers as they are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Canonical(Box<str>);

impl Canonical {
    /// The canonical text of `value`.
    pub fn of(value: &Value) -> Canonical {
        Canonical(to_canonical(value).into_boxed_str())
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
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
            parse(&deep).map_err(|e| e.code()),
            Err(ErrorCode::LimitExceeded)
        );
        let hostile = "[".repeat(1_000_000);
        assert_eq!(
            parse(&hostile).map_err(|e| e.code()),
            Err(ErrorCode::LimitExceeded)
        );
        assert!(!too_deep(&json!([[[1]]])));
    }

    #[test]
    fn depth_guard_skips_strings_and_escapes() {
        // Brackets inside strings, after escaped quotes and backslashes, do not nest.
        let inside = format!(
            "{{\"a\":\"\\\"{}\\\\\",\"b\":[1]}}",
            "[".repeat(MAX_DEPTH + 5)
        );
        assert!(check_depth(&inside).is_ok(), "{inside}");
        // A string that closes lets what follows count again, at its line and column.
        let after = format!("[\"\\\"[\",\n {}", "[".repeat(MAX_DEPTH));
        let err = check_depth(&after).unwrap_err();
        assert_eq!(err.code(), ErrorCode::LimitExceeded);
        assert!(err.to_string().contains("line 2"), "{err}");
        // An unterminated string or a trailing backslash is left to the parser.
        assert!(check_depth("[\"abc").is_ok() && check_depth("[\"abc\\").is_ok());
    }

    #[test]
    fn syntax_errors_have_character_columns() {
        let err = parse("{\"é\": tru}").err();
        assert_eq!(err.as_ref().map(Error::code), Some(ErrorCode::InvalidJson));
        assert_eq!(err.as_ref().and_then(Error::line), Some(1));
        assert!(err.and_then(|e| e.column()).is_some_and(|c| c <= 10));
    }

    #[test]
    fn writer_inserts_the_pending_key_in_order() {
        let mut w = Writer::new(1 << 20).with_top_level("revision", "\"r1\"".to_owned());
        w.obj();
        w.key("allowed");
        w.bool(true);
        w.key("via");
        w.str_list(["g\"1", "g2"]);
        w.end_obj();
        assert_eq!(
            w.finish().ok().as_deref(),
            Some(r#"{"allowed":true,"revision":"r1","via":["g\"1","g2"]}"#)
        );
        let mut w = Writer::new(1 << 20).with_top_level("revision", "null".to_owned());
        w.obj();
        w.key("a");
        w.obj();
        w.key("z");
        w.num(1);
        w.end_obj();
        w.end_obj();
        assert_eq!(
            w.finish().ok().as_deref(),
            Some(r#"{"a":{"z":1},"revision":null}"#)
        );
    }

    #[test]
    fn writer_gives_up_past_its_budget() {
        let mut w = Writer::new(10);
        w.arr();
        for _ in 0..10 {
            w.str("abc");
        }
        w.end_arr();
        assert_eq!(
            w.finish().map_err(|e| e.code()),
            Err(ErrorCode::LimitExceeded)
        );
    }

    #[test]
    fn paths_quote_odd_keys() {
        assert_eq!(path_key("$", "users"), "$.users");
        assert_eq!(path_key("$.a", "job title"), "$.a[\"job title\"]");
        assert_eq!(path_index("$.users", 3), "$.users[3]");
    }
}
