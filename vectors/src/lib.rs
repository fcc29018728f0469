//! Test-vector files (SPEC §10): the runner and the matcher shared by every host.
//!
//! A vector file (`{ "name", "snapshot" | "snapshotFile", "load"?, "cases" }`) is run
//! against a [`Backend`]: the native core, the wasm module in wasmtime, or anything else
//! that loads a snapshot and answers JSON requests.
//! This module does no I/O: the caller reads files and passes a resolver for `snapshotFile`.

use serde_json::Value;

use groupgate::{error_answer_json, load_json, Engine, Error, ErrorCode, LoadOptions};

/// Something that loads a snapshot and answers requests, as JSON text.
pub trait Backend {
    /// Loads `snapshot` (JSON text) and returns the load answer:
    /// `{"diagnostics":[...],"revision":...}` or an error answer.
    fn load(&mut self, snapshot: &str, strict: bool) -> String;
    /// Answers one request (JSON text) against the loaded engine.
    fn query(&mut self, request: &str) -> String;
    /// Restores an engine from compiled-snapshot bytes and returns the load answer.
    fn load_compiled(&mut self, bytes: &[u8]) -> String;
    /// The loaded engine as compiled-snapshot bytes.
    ///
    /// # Errors
    ///
    /// When no engine is loaded or the host fails.
    fn export(&mut self) -> Result<Vec<u8>, String>;
}

/// The core compiled into this program, behind [`Backend`]: the reference every other
/// backend (wasmtime, Node) is compared with.
#[derive(Default)]
pub struct NativeBackend {
    engine: Option<Engine>,
}

impl NativeBackend {
    /// A backend with no snapshot loaded yet.
    pub fn new() -> NativeBackend {
        NativeBackend::default()
    }
}

impl Backend for NativeBackend {
    fn load(&mut self, snapshot: &str, strict: bool) -> String {
        let (engine, answer) = load_json(snapshot, LoadOptions { strict });
        self.engine = engine;
        answer
    }

    fn load_compiled(&mut self, bytes: &[u8]) -> String {
        match Engine::from_compiled(bytes) {
            Ok(engine) => {
                let answer = engine.load_answer_json();
                self.engine = Some(engine);
                answer
            }
            Err(error) => {
                self.engine = None;
                error_answer_json(&error, None)
            }
        }
    }

    fn export(&mut self) -> Result<Vec<u8>, String> {
        self.engine
            .as_ref()
            .map(Engine::to_compiled)
            .ok_or_else(|| "no snapshot is loaded".to_owned())
    }

    fn query(&mut self, request: &str) -> String {
        match self.engine.as_mut() {
            Some(engine) => engine.query_json(request),
            None => error_answer_json(
                &Error::host(ErrorCode::InvalidSnapshot, "no snapshot is loaded"),
                None,
            ),
        }
    }
}

/// The outcome of one case.
#[derive(Debug, Clone)]
pub struct CaseOutcome {
    /// `file/case`.
    pub name: String,
    /// The answer exactly as the backend wrote it.
    pub answer: String,
    /// `None` when the answer matched, else why not.
    pub failure: Option<String>,
}

impl CaseOutcome {
    /// Whether the answer matched.
    pub fn passed(&self) -> bool {
        self.failure.is_none()
    }
}

/// Runs every case of one vector file, in order, against one engine.
///
/// `file_name` prefixes case names; `filter` keeps only cases whose full name contains it;
/// `resolve` reads a `snapshotFile` path (relative to the vector file).
///
/// # Errors
///
/// A message when the file itself is malformed (not JSON, no cases, no snapshot).
pub fn run_file(
    file_name: &str,
    text: &str,
    resolve: &dyn Fn(&str) -> Result<String, String>,
    backend: &mut dyn Backend,
    filter: Option<&str>,
) -> Result<Vec<CaseOutcome>, String> {
    // Vector files are the project's own, and some hold snapshots nested past the engine's
    // limit on purpose: read them without serde_json's depth limit.
    let mut reader = serde_json::Deserializer::from_str(text);
    reader.disable_recursion_limit();
    let file: Value = serde::Deserialize::deserialize(&mut reader)
        .map_err(|e: serde_json::Error| format!("{file_name}: not JSON: {e}"))?;
    let snapshot_text = match (file.get("snapshot"), file.get("snapshotFile")) {
        (Some(snapshot), _) => snapshot.to_string(),
        (None, Some(Value::String(path))) => resolve(path)?,
        _ => return Err(format!("{file_name}: no `snapshot` or `snapshotFile`")),
    };
    let strict = file
        .get("load")
        .and_then(|load| load.get("strict"))
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let Some(cases) = file.get("cases").and_then(Value::as_array) else {
        return Err(format!("{file_name}: no `cases` array"));
    };

    let load_answer = backend.load(&snapshot_text, strict);
    let load_failed = serde_json::from_str::<Value>(&load_answer)
        .map(|answer| answer.get("error").is_some())
        .unwrap_or(true);

    let mut outcomes = Vec::new();
    for (index, case) in cases.iter().enumerate() {
        let case_name = case
            .get("name")
            .and_then(Value::as_str)
            .map_or_else(|| format!("#{index}"), str::to_owned);
        let name = format!("{file_name}/{case_name}");
        if filter.is_some_and(|f| !name.contains(f)) {
            continue;
        }
        let (Some(request), Some(expect)) = (case.get("request"), case.get("expect")) else {
            outcomes.push(CaseOutcome {
                name,
                answer: String::new(),
                failure: Some("case lacks `request` or `expect`".to_owned()),
            });
            continue;
        };
        let is_load = request.get("op").and_then(Value::as_str) == Some("load");
        let answer = if is_load || load_failed {
            load_answer.clone()
        } else {
            backend.query(&request.to_string())
        };
        let failure = match serde_json::from_str::<Value>(&answer) {
            Ok(actual) => matches(expect, &actual).err(),
            Err(e) => Some(format!("answer is not JSON: {e}")),
        };
        outcomes.push(CaseOutcome {
            name,
            answer,
            failure,
        });
    }
    Ok(outcomes)
}

/// Whether `actual` matches `expect`: every key of an expected object is present with a
/// matching value, recursively; arrays match element by element and have the same length;
/// numbers compare by value.
///
/// # Errors
///
/// Describes the first mismatch with its JSON path.
pub fn matches(expect: &Value, actual: &Value) -> Result<(), String> {
    match_at("$", expect, actual)
}

fn match_at(path: &str, expect: &Value, actual: &Value) -> Result<(), String> {
    match (expect, actual) {
        (Value::Object(want), Value::Object(got)) => {
            for (key, want_value) in want {
                let Some(got_value) = got.get(key) else {
                    return Err(format!("{path}.{key}: missing"));
                };
                match_at(&format!("{path}.{key}"), want_value, got_value)?;
            }
            Ok(())
        }
        (Value::Array(want), Value::Array(got)) => {
            if want.len() != got.len() {
                return Err(format!(
                    "{path}: expected {} elements, got {}: {}",
                    want.len(),
                    got.len(),
                    actual
                ));
            }
            for (index, (w, g)) in want.iter().zip(got).enumerate() {
                match_at(&format!("{path}[{index}]"), w, g)?;
            }
            Ok(())
        }
        (Value::Number(want), Value::Number(got)) => {
            if want == got || want.as_f64() == got.as_f64() {
                Ok(())
            } else {
                Err(format!("{path}: expected {want}, got {got}"))
            }
        }
        _ if expect == actual => Ok(()),
        _ => Err(format!("{path}: expected {expect}, got {actual}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn subset_objects_and_exact_arrays() {
        let actual = json!({"a": 1, "b": [1, {"c": 2, "d": 3}], "e": null});
        assert!(matches(&json!({"a": 1}), &actual).is_ok());
        assert!(matches(&json!({"b": [1, {"d": 3}]}), &actual).is_ok());
        assert!(matches(&json!({"b": [1]}), &actual).is_err());
        assert!(matches(&json!({"e": null}), &actual).is_ok());
        assert!(matches(&json!({"f": null}), &actual).is_err());
        assert!(matches(&json!({"a": 1.0}), &actual).is_ok());
        assert_eq!(
            matches(&json!({"b": [2, {}]}), &actual),
            Err("$.b[0]: expected 2, got 1".to_owned())
        );
    }
}
